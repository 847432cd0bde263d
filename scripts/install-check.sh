#!/usr/bin/env bash
# Checks that docs/library.md's "Adding the dependency" works as written: makes a fresh package
# in a temporary folder from the two code blocks marked `<!-- install-check: … -->`, with the
# ScoreKit URL replaced by the path of this checkout, then builds and runs it.
#
# The checkout is reached through a symbolic link named ScoreKit, since the package identity
# (`package: "ScoreKit"`) is the folder's name, whatever this checkout's folder is called.
# Usage: scripts/install-check.sh   (or `make install-check`); SWIFT=… picks the swift binary.
set -euo pipefail

swift=${SWIFT:-swift}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/scorekit-install-check.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The fenced block that follows the marker line `<!-- install-check: NAME -->`.
block() {
    awk -v marker="<!-- install-check: $1 -->" '
        $0 == marker { armed = 1; next }
        armed && /^```/ { if (inside) exit; inside = 1; next }
        inside { print }
    ' "$root/docs/library.md"
}

ln -s "$root" "$work/ScoreKit"
mkdir -p "$work/MyTool/Sources/MyTool"
block Package.swift > "$work/MyTool/Package.swift"
block main.swift > "$work/MyTool/Sources/MyTool/main.swift"
for f in Package.swift Sources/MyTool/main.swift; do
    [ -s "$work/MyTool/$f" ] || { echo "install-check: no '$f' block in docs/library.md" >&2; exit 1; }
done

url_line='.package(url: "https://github.com/<owner>/ScoreKit.git", branch: "main")'
grep -qF "$url_line" "$work/MyTool/Package.swift" || {
    echo "install-check: docs/library.md's manifest no longer has the line $url_line" >&2; exit 1; }
sed -i.orig "s|\.package(url: \"https://github.com/<owner>/ScoreKit.git\", branch: \"main\")|.package(path: \"../ScoreKit\")|" \
    "$work/MyTool/Package.swift"
rm -f "$work/MyTool/Package.swift.orig"

echo "install-check: building a fresh package in $work/MyTool that depends on ../ScoreKit"
start=$(date +%s)
(cd "$work/MyTool" && "$swift" build 2>&1 | tail -n 5)
echo "install-check: built in $(( $(date +%s) - start )) s; running it"
output=$(cd "$work/MyTool" && "$swift" run --skip-build MyTool)
echo "$output"
echo "$output" | grep -q "samples in the (5,5) mode" || { echo "install-check: unexpected output" >&2; exit 1; }
echo "install-check: passed"
