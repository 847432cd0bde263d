import Foundation

/// A PNG (or APNG) file read back chunk by chunk for tests, checked independently of the
/// writer: the signature, each chunk's CRC-32, and the zlib streams (stored or fixed-Huffman
/// deflate blocks, the two kinds ScoreKit writes) inflated and checked against their Adler-32.
public struct PNGChunks {
    /// One chunk: its type and data.
    public struct Chunk {
        public let type: String
        public let data: [UInt8]
    }

    /// The chunks in file order.
    public let chunks: [Chunk]

    /// Reads `data`; throws when the signature, a length or a CRC is wrong.
    public init(_ data: Data) throws {
        let bytes = [UInt8](data)
        guard bytes.count >= 8, Array(bytes[0..<8]) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] else {
            throw PNGCheckError("bad signature")
        }
        var chunks: [Chunk] = []
        var i = 8
        while i < bytes.count {
            guard i + 12 <= bytes.count else { throw PNGCheckError("truncated chunk at \(i)") }
            let length = Int(Self.uint32(bytes, i))
            guard i + 12 + length <= bytes.count else { throw PNGCheckError("chunk at \(i) runs past the end") }
            let typed = Array(bytes[(i + 4)..<(i + 8 + length)])
            guard Self.crc32(typed) == Self.uint32(bytes, i + 8 + length) else {
                throw PNGCheckError("bad CRC in chunk \(String(decoding: typed[0..<4], as: UTF8.self))")
            }
            chunks.append(Chunk(type: String(decoding: typed[0..<4], as: UTF8.self), data: Array(typed[4...])))
            i += 12 + length
        }
        self.chunks = chunks
    }

    /// Width and height from IHDR.
    public var size: (width: Int, height: Int) {
        let ihdr = chunks.first { $0.type == "IHDR" }!.data
        return (Int(Self.uint32(ihdr, 0)), Int(Self.uint32(ihdr, 4)))
    }

    /// The chunks of one type.
    public func all(_ type: String) -> [Chunk] { chunks.filter { $0.type == type } }

    /// A big-endian 32-bit value at `offset`.
    public static func uint32(_ b: [UInt8], _ offset: Int) -> UInt32 {
        UInt32(b[offset]) << 24 | UInt32(b[offset + 1]) << 16 | UInt32(b[offset + 2]) << 8 | UInt32(b[offset + 3])
    }

    /// CRC-32 (bitwise, no table).
    public static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            c ^= UInt32(b)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        }
        return ~c
    }

    /// Inflates a zlib stream of stored and fixed-Huffman blocks; throws on anything else or a
    /// wrong Adler-32.
    public static func inflate(_ stream: [UInt8]) throws -> [UInt8] {
        guard stream.count >= 6, stream[0] & 0x0F == 8 else { throw PNGCheckError("not a zlib stream") }
        var reader = BitReader(bytes: stream, position: 16)
        var out: [UInt8] = []
        var last = false
        while !last {
            last = try reader.bits(1) == 1
            switch try reader.bits(2) {
            case 0:
                reader.align()
                let n = try reader.bits(16), complement = try reader.bits(16)
                guard n ^ 0xFFFF == complement else { throw PNGCheckError("bad stored block length") }
                for _ in 0..<n { out.append(UInt8(try reader.bits(8))) }
            case 1:
                try inflateFixed(&reader, into: &out)
            default:
                throw PNGCheckError("unexpected block type")
            }
        }
        reader.align()
        let at = reader.position / 8
        guard at + 4 <= stream.count else { throw PNGCheckError("no Adler-32") }
        var a: UInt32 = 1, b: UInt32 = 0
        for v in out { a = (a + UInt32(v)) % 65_521; b = (b + a) % 65_521 }
        guard uint32(stream, at) == b << 16 | a else { throw PNGCheckError("bad Adler-32") }
        return out
    }

    private static func inflateFixed(_ r: inout BitReader, into out: inout [UInt8]) throws {
        let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
        let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
        let distBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
                        4097, 6145, 8193, 12289, 16385, 24577]
        let distExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]
        while true {
            var code = try r.huffmanBits(7), symbol: Int
            if code <= 0x17 { symbol = 256 + code } else {
                code = code << 1 | (try r.bits(1))
                if (0x30...0xBF).contains(code) { symbol = code - 0x30 }
                else if (0xC0...0xC7).contains(code) { symbol = 280 + code - 0xC0 }
                else { code = code << 1 | (try r.bits(1)); symbol = 144 + code - 0x190 }
            }
            if symbol < 256 { out.append(UInt8(symbol)); continue }
            if symbol == 256 { return }
            let k = symbol - 257
            guard k < 29 else { throw PNGCheckError("bad length symbol") }
            let length = lengthBase[k] + (try r.bits(lengthExtra[k]))
            let d = try r.huffmanBits(5)
            guard d < 30 else { throw PNGCheckError("bad distance symbol") }
            let distance = distBase[d] + (try r.bits(distExtra[d]))
            guard distance <= out.count else { throw PNGCheckError("distance past the start") }
            for _ in 0..<length { out.append(out[out.count - distance]) }
        }
    }

    private struct BitReader {
        let bytes: [UInt8]
        var position: Int

        mutating func bits(_ n: Int) throws -> Int {
            var v = 0
            for k in 0..<n {
                guard position / 8 < bytes.count else { throw PNGCheckError("stream ends early") }
                v |= Int((bytes[position / 8] >> UInt8(position % 8)) & 1) << k
                position += 1
            }
            return v
        }

        /// `n` bits of a Huffman code, most significant first.
        mutating func huffmanBits(_ n: Int) throws -> Int {
            var v = 0
            for _ in 0..<n { v = v << 1 | (try bits(1)) }
            return v
        }

        mutating func align() { position = (position + 7) / 8 * 8 }
    }
}

/// What is wrong with a PNG a test read.
public struct PNGCheckError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// An APNG's animation chunks checked: returns the frame count acTL declares after checking
/// that there are as many fcTL chunks, that fcTL and fdAT sequence numbers run 0, 1, 2, … in
/// file order, that the first frame's fcTL comes before IDAT, and that every frame inflates to
/// `height` scanlines of `1 + 3·width` bytes.
public func checkedAPNGFrames(_ png: PNGChunks) throws -> Int {
    guard let actl = png.all("acTL").first else { throw PNGCheckError("no acTL") }
    let declared = Int(PNGChunks.uint32(actl.data, 0))
    guard png.all("fcTL").count == declared else { throw PNGCheckError("acTL says \(declared) frames, fcTL count \(png.all("fcTL").count)") }
    let sequenced = png.chunks.filter { $0.type == "fcTL" || $0.type == "fdAT" }.map { Int(PNGChunks.uint32($0.data, 0)) }
    guard sequenced == Array(0..<sequenced.count) else { throw PNGCheckError("sequence numbers \(sequenced)") }
    guard let firstControl = png.chunks.firstIndex(where: { $0.type == "fcTL" }),
          let idat = png.chunks.firstIndex(where: { $0.type == "IDAT" }), firstControl < idat else {
        throw PNGCheckError("the first fcTL must come before IDAT")
    }
    let (w, h) = png.size
    var frames = [png.all("IDAT").flatMap(\.data)]
    // Each fdAT here holds a whole frame (ScoreKit writes one per frame).
    frames += png.all("fdAT").map { Array($0.data.dropFirst(4)) }
    guard frames.count == declared else { throw PNGCheckError("\(frames.count) frames of pixels for \(declared) declared") }
    for stream in frames {
        let pixels = try PNGChunks.inflate(stream)
        guard pixels.count == h * (1 + 3 * w) else { throw PNGCheckError("a frame does not inflate to \(h) scanlines of width \(w)") }
    }
    return declared
}
