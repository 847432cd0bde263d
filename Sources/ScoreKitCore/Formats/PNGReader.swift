import Foundation

/// A PNG reader for 8-bit grey, grey+alpha, RGB and RGBA images without interlacing (what
/// ScoreKit's own grids are, and what image tools write by default), decoded to grey levels:
/// colour as the mean of R, G and B, alpha ignored. The image data is inflated by `Inflate`
/// (no zlib needed); each scanline's filter (none, sub, up, average, Paeth) is undone.
public struct GrayImage: Sendable, Equatable {
    /// Width and height in pixels.
    public let width: Int, height: Int
    /// Grey levels 0…255, row by row.
    public let pixels: [UInt8]

    /// An image; see the properties.
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height, "GrayImage: \(pixels.count) pixels for \(width)×\(height)")
        (self.width, self.height, self.pixels) = (width, height, pixels)
    }

    /// The grey level at column x, row y.
    public subscript(x: Int, y: Int) -> UInt8 { pixels[y * width + x] }

    /// Decodes PNG bytes; throws `FileFormatError.malformed` naming `path` and the problem.
    public init(png data: Data, path: String) throws {
        do { self = try Self.decode([UInt8](data)) } catch let failure as Inflate.Failure {
            throw FileFormatError.malformed(path, reason: "not a readable PNG: \(failure.reason)")
        }
    }

    /// Reads the PNG file at `url`.
    public init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw FileFormatError.cannotRead(url.path, reason: "\(error.localizedDescription)")
        }
        try self.init(png: data, path: url.path)
    }

    private static func decode(_ bytes: [UInt8]) throws -> GrayImage {
        guard bytes.count > 8, bytes[0..<8] == [137, 80, 78, 71, 13, 10, 26, 10] else { throw Inflate.Failure(reason: "no PNG signature") }
        var at = 8
        var header: [UInt8]?, compressed: [UInt8] = []
        while at + 12 <= bytes.count {
            let length = Int(bytes[at..<(at + 4)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
            guard length <= bytes.count - at - 12 else { throw Inflate.Failure(reason: "chunk runs past the end of the file") }
            let type = String(decoding: bytes[(at + 4)..<(at + 8)], as: UTF8.self)
            let body = Array(bytes[(at + 8)..<(at + 8 + length)])
            let stored = bytes[(at + 8 + length)..<(at + 12 + length)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            guard stored == crc32(Array(bytes[(at + 4)..<(at + 8 + length)])) else { throw Inflate.Failure(reason: "\(type) chunk CRC mismatch") }
            switch type {
            case "IHDR": header = body
            case "IDAT": compressed += body
            case "IEND": return try image(header: header, data: compressed)
            default: break
            }
            at += 12 + length
        }
        throw Inflate.Failure(reason: "no IEND chunk (truncated file)")
    }

    private static func image(header: [UInt8]?, data: [UInt8]) throws -> GrayImage {
        guard let h = header, h.count == 13 else { throw Inflate.Failure(reason: "missing IHDR chunk") }
        let word = { (k: Int) in Int(h[k..<(k + 4)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }) }
        let width = word(0), height = word(4)
        let channels: Int
        switch h[9] {
        case 0: channels = 1
        case 2: channels = 3
        case 4: channels = 2
        case 6: channels = 4
        default: throw Inflate.Failure(reason: "colour type \(h[9]) (palette) is not supported; use grey, RGB or RGBA")
        }
        guard h[8] == 8 else { throw Inflate.Failure(reason: "bit depth \(h[8]) is not supported; use 8 bits per channel") }
        guard h[12] == 0 else { throw Inflate.Failure(reason: "interlaced PNGs are not supported") }
        guard width > 0, height > 0, width * height <= 1 << 26 else { throw Inflate.Failure(reason: "image size \(width)×\(height)") }
        let raw = try Inflate.zlib(data)
        let stride = width * channels
        guard raw.count == height * (stride + 1) else { throw Inflate.Failure(reason: "image data has \(raw.count) bytes, expected \(height * (stride + 1))") }
        var rows = [UInt8](repeating: 0, count: height * stride)
        for y in 0..<height {
            let filter = raw[y * (stride + 1)]
            for i in 0..<stride {
                let v = raw[y * (stride + 1) + 1 + i]
                let a = i >= channels ? Int(rows[y * stride + i - channels]) : 0
                let b = y > 0 ? Int(rows[(y - 1) * stride + i]) : 0
                let c = i >= channels && y > 0 ? Int(rows[(y - 1) * stride + i - channels]) : 0
                let predictor: Int
                switch filter {
                case 0: predictor = 0
                case 1: predictor = a
                case 2: predictor = b
                case 3: predictor = (a + b) / 2
                case 4: predictor = paeth(a, b, c)
                default: throw Inflate.Failure(reason: "unknown scanline filter \(filter)")
                }
                rows[y * stride + i] = v &+ UInt8(truncatingIfNeeded: predictor)
            }
        }
        let grey = (0..<(width * height)).map { p -> UInt8 in
            let base = p * channels
            return channels < 3 ? rows[base] : UInt8((Int(rows[base]) + Int(rows[base + 1]) + Int(rows[base + 2]) + 1) / 3)
        }
        return GrayImage(width: width, height: height, pixels: grey)
    }

    private static func paeth(_ a: Int, _ b: Int, _ c: Int) -> Int {
        let p = a + b - c
        let pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c
    }
}
