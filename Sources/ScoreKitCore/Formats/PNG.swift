import Foundation

/// An 8-bit RGB image and its PNG encoding (zlib stream of stored deflate blocks: no
/// compression library needed; the images ScoreKit writes are small).
public struct RGBImage: Sendable, Equatable {
    /// Size in pixels.
    public let width: Int, height: Int
    /// `width·height·3` bytes, row-major, top row first.
    public var pixels: [UInt8]

    /// A `width × height` image filled with one colour.
    public init(width: Int, height: Int, fill: (UInt8, UInt8, UInt8) = (255, 255, 255)) {
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: 0, count: width * height * 3)
        for i in 0..<(width * height) {
            pixels[3 * i] = fill.0; pixels[3 * i + 1] = fill.1; pixels[3 * i + 2] = fill.2
        }
    }

    /// Blends `colour` into pixel (x, y) with opacity `alpha`; points outside are ignored.
    public mutating func blend(x: Int, y: Int, colour: (UInt8, UInt8, UInt8), alpha: Double) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        let i = 3 * (y * width + x)
        for (c, v) in [colour.0, colour.1, colour.2].enumerated() {
            pixels[i + c] = UInt8((Double(pixels[i + c]) * (1 - alpha) + Double(v) * alpha).rounded())
        }
    }

    /// The PNG file bytes: pixels stored uncompressed, or with `compressed` deflated with
    /// back-references to the previous pixel and row (much smaller for figures, slower to write).
    public func pngData(compressed: Bool = false) -> Data {
        var png = pngHeader()
        png.append(chunk("IDAT", pixelStream(compressed: compressed)))
        png.append(chunk("IEND", []))
        return png
    }

    /// The PNG signature and IHDR chunk of an image of this size.
    func pngHeader() -> Data {
        var png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        var ihdr = [UInt8]()
        ihdr += bigEndian(UInt32(width)) + bigEndian(UInt32(height))
        ihdr += [8, 2, 0, 0, 0]   // 8-bit, truecolour, deflate, no filter set, no interlace
        png.append(chunk("IHDR", ihdr))
        return png
    }

    /// The zlib stream of the scanlines.
    func pixelStream(compressed: Bool) -> [UInt8] {
        compressed ? Deflate.zlib(scanlines(), distances: [1, 3, 1 + 3 * width]) : zlibStored(scanlines())
    }

    /// The rows as PNG scanlines (filter byte 0, then the row's pixels), before compression.
    func scanlines() -> [UInt8] {
        var raw = [UInt8]()
        raw.reserveCapacity(height * (1 + 3 * width))
        for y in 0..<height {
            raw.append(0)   // filter: none
            raw.append(contentsOf: pixels[(3 * width * y)..<(3 * width * (y + 1))])
        }
        return raw
    }
}

func bigEndian(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }

func chunk(_ type: String, _ body: [UInt8]) -> Data {
    let typed = Array(type.utf8) + body
    return Data(bigEndian(UInt32(body.count)) + typed + bigEndian(crc32(typed)))
}

/// A zlib stream of uncompressed deflate blocks (each at most 65,535 bytes) with its Adler-32.
func zlibStored(_ bytes: [UInt8]) -> [UInt8] {
    var out: [UInt8] = [0x78, 0x01]
    var offset = 0
    repeat {
        let n = min(65_535, bytes.count - offset)
        let last: UInt8 = offset + n == bytes.count ? 1 : 0
        out += [last, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
        out += bytes[offset..<(offset + n)]
        offset += n
    } while offset < bytes.count
    var a: UInt32 = 1, b: UInt32 = 0
    for v in bytes { a = (a + UInt32(v)) % 65_521; b = (b + a) % 65_521 }
    return out + bigEndian(b << 16 | a)
}

private let crcTable: [UInt32] = (0..<256).map { n -> UInt32 in
    var c = UInt32(n)
    for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    return c
}

/// CRC-32 (ISO 3309), as PNG chunks use.
func crc32(_ bytes: [UInt8]) -> UInt32 {
    var c: UInt32 = 0xFFFF_FFFF
    for b in bytes { c = crcTable[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
    return c ^ 0xFFFF_FFFF
}

/// Pictures of samples: scatter plots of 2-D points and grids of small images.
public enum SamplePlot {
    /// A square scatter plot of the first two coordinates of each row, with light axes through
    /// the origin. The view covers `bounds` on both axes; by default the 0.5 % – 99.5 % quantiles
    /// of both coordinates, padded, so a few stray points do not shrink the picture (pass the
    /// `scatterBounds` of one set to draw several on the same axes).
    public static func scatter(_ points: Tensor, size: Int = 512, bounds: ClosedRange<Double>? = nil) -> RGBImage {
        precondition(points.rowSize >= 2, "scatter: need 2-D points")
        let xs = (0..<points.rows).map { Double(points.scalars[$0 * points.rowSize]) }
        let ys = (0..<points.rows).map { Double(points.scalars[$0 * points.rowSize + 1]) }
        let (lo, hi) = bounds.map { ($0.lowerBound, $0.upperBound) } ?? viewBounds(xs + ys)
        var image = RGBImage(width: size, height: size)
        func pixel(_ v: Double) -> Int { Int(((v - lo) / (hi - lo) * Double(size - 1)).rounded()) }
        let origin = pixel(0)
        for i in 0..<size {
            image.blend(x: origin, y: i, colour: (200, 200, 200), alpha: 1)
            image.blend(x: i, y: size - 1 - origin, colour: (200, 200, 200), alpha: 1)
        }
        let alpha = min(0.6, max(0.05, 2000 / Double(max(points.rows, 1))))
        for (x, y) in zip(xs, ys) where x.isFinite && y.isFinite {
            let px = pixel(x), py = size - 1 - pixel(y)
            for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                image.blend(x: px + dx, y: py + dy, colour: (31, 90, 170), alpha: alpha)
            }
        }
        return image
    }

    /// The view `scatter` picks by default for `points`.
    public static func scatterBounds(_ points: Tensor) -> ClosedRange<Double> {
        precondition(points.rowSize >= 2, "scatterBounds: need 2-D points")
        let values = (0..<points.rows).flatMap {
            [Double(points.scalars[$0 * points.rowSize]), Double(points.scalars[$0 * points.rowSize + 1])]
        }
        let (lo, hi) = viewBounds(values)
        return lo...hi
    }

    private static func viewBounds(_ values: [Double]) -> (Double, Double) {
        let sorted = values.filter(\.isFinite).sorted()
        guard let first = sorted.first, let last = sorted.last else { return (-1, 1) }
        let lo = sorted[Int(Double(sorted.count - 1) * 0.005)], hi = sorted[Int(Double(sorted.count - 1) * 0.995)]
        let (a, b) = hi > lo ? (lo, hi) : (first - 1, last + 1)
        let pad = 0.08 * (b - a)
        return (a - pad, b + pad)
    }

    /// A grid of grey-scale images (`[N, 1, H, W]` or `[N, H, W]`), values mapped from
    /// `range` to black…white, each scaled up by `zoom`, with one-pixel gaps.
    public static func grid(_ images: Tensor, columns: Int = 10, range: ClosedRange<Float> = -1...1, zoom: Int = 4) -> RGBImage {
        let h = images.shape[images.shape.count - 2], w = images.shape[images.shape.count - 1]
        let n = images.rows, rows = (n + columns - 1) / columns
        let cell = (h * zoom + 1, w * zoom + 1)
        var image = RGBImage(width: columns * cell.1 + 1, height: rows * cell.0 + 1, fill: (128, 128, 128))
        for i in 0..<n {
            let top = (i / columns) * cell.0 + 1, left = (i % columns) * cell.1 + 1
            let values = images.row(i)
            for y in 0..<(h * zoom) {
                for x in 0..<(w * zoom) {
                    let v = values[values.startIndex + (y / zoom) * w + x / zoom]
                    let g = UInt8(max(0, min(255, ((v - range.lowerBound) / (range.upperBound - range.lowerBound) * 255).rounded())))
                    image.blend(x: left + x, y: top + y, colour: (g, g, g), alpha: 1)
                }
            }
        }
        return image
    }
}
