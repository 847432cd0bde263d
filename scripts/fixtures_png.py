"""PNG fixtures for ScoreKit's PNG reader (Tests/ScoreKitCoreTests/PNGReadingTests.swift).

Writes Tests/Fixtures/formats/png/*.png compressed by zlib (dynamic and fixed Huffman codes,
every scanline filter) and Tests/Fixtures/formats/png/expected.json with each image's size
and grey levels (colour: (R + G + B + 1) // 3, alpha ignored). Standard library only.
"""
import json, os, struct, zlib

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "formats", "png")


def chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def filtered(rows, channels):
    """Scanlines with filter y % 5 (none, sub, up, average, Paeth)."""
    out, previous = bytearray(), [0] * len(rows[0])
    for y, row in enumerate(rows):
        kind = y % 5
        out.append(kind)
        for i, v in enumerate(row):
            a = row[i - channels] if i >= channels else 0
            b = previous[i]
            c = previous[i - channels] if i >= channels else 0
            pred = [0, a, b, (a + b) // 2, paeth(a, b, c)][kind]
            out.append((v - pred) % 256)
        previous = row
    return bytes(out)


def png(width, height, colour, rows, strategy):
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
    compressor = zlib.compressobj(9, zlib.DEFLATED, 15, 9, strategy)
    data = compressor.compress(filtered(rows, channels)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = {}
    w, h = 8, 8
    grey = [[(37 * x + 11 * y * y + x * y) % 256 for x in range(w)] for y in range(h)]
    cases = {
        "grey_dynamic.png": (0, [row for row in grey], zlib.Z_DEFAULT_STRATEGY),
        "grey_fixed.png": (0, [row for row in grey], zlib.Z_FIXED),
        "rgb_dynamic.png": (2, [sum(([v, (v * 3) % 256, 255 - v] for v in row), []) for row in grey], zlib.Z_DEFAULT_STRATEGY),
        "rgba_fixed.png": (6, [sum(([v, v, v, (v * 7) % 256] for v in row), []) for row in grey], zlib.Z_FIXED),
        "grey_alpha.png": (4, [sum(([v, 200] for v in row), []) for row in grey], zlib.Z_DEFAULT_STRATEGY),
    }
    for name, (colour, rows, strategy) in cases.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(png(w, h, colour, rows, strategy))
        channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
        levels = []
        for row in rows:
            for x in range(w):
                px = row[x * channels:(x + 1) * channels]
                levels.append(px[0] if channels < 3 else (px[0] + px[1] + px[2] + 1) // 3)
        expected[name] = {"width": w, "height": h, "levels": levels}
    # A long repetitive stream: long matches and distances for the inflater.
    text = bytes((i * i // 7) % 251 for i in range(3000)) * 5
    expected["inflate"] = {"zlib": zlib.compress(text, 9).hex(), "length": len(text), "sum": sum(text),
                           "head": list(text[:16])}
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f)


if __name__ == "__main__":
    main()
