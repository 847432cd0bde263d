import Foundation

/// A one-line progress bar on stderr, drawn only when stderr is a terminal (silent in pipes),
/// redrawn at most ten times a second.
final class TerminalProgress {
    private let label: String
    private let enabled: Bool
    private let start = Date()
    private var lastDraw = Date.distantPast

    init(label: String) {
        self.label = label
        enabled = isatty(STDERR_FILENO) != 0
    }

    /// Shows `fraction` (0…1) done, with elapsed time and an estimate of the rest.
    func update(_ fraction: Double, detail: String = "") {
        guard enabled, Date().timeIntervalSince(lastDraw) >= 0.1 else { return }
        lastDraw = Date()
        let width = 30, filled = Int((fraction * Double(width)).rounded(.down))
        let elapsed = Date().timeIntervalSince(start)
        let eta = fraction > 0.01 ? String(format: ", ETA %.1f s", elapsed / fraction - elapsed) : ""
        let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
        let line = String(format: "\r%@ [%@] %3.0f%%  %.1f s%@  %@", label, bar, 100 * fraction, elapsed, eta, detail)
        FileHandle.standardError.write(Data(line.utf8) + Data("\u{1B}[K".utf8))
    }

    /// Clears the line.
    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
