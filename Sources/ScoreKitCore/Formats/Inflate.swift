/// A zlib/DEFLATE decoder (RFC 1950, RFC 1951), for reading PNG image data: stored, fixed
/// Huffman and dynamic Huffman blocks, checked against the stream's Adler-32.
///
/// Codes are decoded canonically: for each length 1…15 the count of codes and the symbols in
/// code order; a code is read bit by bit (LSB-first stream, codes MSB-first), comparing with
/// the first code of each length.
enum Inflate {
    /// Why a stream could not be decoded.
    struct Failure: Error { let reason: String }

    /// The bytes of a zlib stream (2-byte header, DEFLATE data, Adler-32).
    static func zlib(_ bytes: [UInt8]) throws -> [UInt8] {
        guard bytes.count >= 6 else { throw Failure(reason: "zlib stream too short") }
        let cmf = Int(bytes[0]), flg = Int(bytes[1])
        guard cmf & 0x0F == 8, (cmf << 8 | flg) % 31 == 0, flg & 0x20 == 0 else {
            throw Failure(reason: "bad zlib header")
        }
        var reader = BitReader(bytes: bytes, position: 2)
        let out = try inflate(&reader)
        let at = reader.alignedByte
        guard at + 4 <= bytes.count else { throw Failure(reason: "zlib stream truncated (no checksum)") }
        let stored = bytes[at..<(at + 4)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard stored == adler32(out) else { throw Failure(reason: "zlib checksum mismatch") }
        return out
    }

    static func adler32(_ bytes: [UInt8]) -> UInt32 {
        var a: UInt32 = 1, b: UInt32 = 0
        for chunk in stride(from: 0, to: bytes.count, by: 5552) {
            for v in bytes[chunk..<min(chunk + 5552, bytes.count)] { a += UInt32(v); b += a }
            a %= 65521; b %= 65521
        }
        return b << 16 | a
    }

    /// Raw DEFLATE blocks until the final one.
    static func inflate(_ r: inout BitReader) throws -> [UInt8] {
        var out: [UInt8] = []
        var last = false
        while !last {
            last = try r.bits(1) == 1
            switch try r.bits(2) {
            case 0: try stored(&r, into: &out)
            case 1: try codes(&r, literals: fixedLiterals, distances: fixedDistances, into: &out)
            case 2:
                let (lit, dist) = try dynamicTables(&r)
                try codes(&r, literals: lit, distances: dist, into: &out)
            default: throw Failure(reason: "invalid DEFLATE block type")
            }
        }
        return out
    }

    private static func stored(_ r: inout BitReader, into out: inout [UInt8]) throws {
        var at = r.alignedByte
        guard at + 4 <= r.bytes.count else { throw Failure(reason: "truncated stored block") }
        let len = Int(r.bytes[at]) | Int(r.bytes[at + 1]) << 8, nlen = Int(r.bytes[at + 2]) | Int(r.bytes[at + 3]) << 8
        guard len == nlen ^ 0xFFFF else { throw Failure(reason: "stored block length check failed") }
        at += 4
        guard at + len <= r.bytes.count else { throw Failure(reason: "truncated stored block") }
        out.append(contentsOf: r.bytes[at..<(at + len)])
        r = BitReader(bytes: r.bytes, position: at + len)
    }

    static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
    static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    static let distanceBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
                               2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]
    static let distanceExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]

    static let fixedLiterals = try! Huffman(lengths: (0..<288).map { $0 < 144 ? 8 : $0 < 256 ? 9 : $0 < 280 ? 7 : 8 })
    static let fixedDistances = try! Huffman(lengths: Array(repeating: 5, count: 30))

    private static func codes(_ r: inout BitReader, literals: Huffman, distances: Huffman, into out: inout [UInt8]) throws {
        while true {
            let symbol = try literals.decode(&r)
            if symbol < 256 { out.append(UInt8(symbol)); continue }
            if symbol == 256 { return }
            let l = symbol - 257
            guard l < 29 else { throw Failure(reason: "invalid length code") }
            let length = lengthBase[l] + (try r.bits(lengthExtra[l]))
            let d = try distances.decode(&r)
            guard d < 30 else { throw Failure(reason: "invalid distance code") }
            let distance = distanceBase[d] + (try r.bits(distanceExtra[d]))
            guard distance <= out.count else { throw Failure(reason: "distance past the start of the data") }
            let from = out.count - distance
            for k in 0..<length { out.append(out[from + k]) }
        }
    }

    private static func dynamicTables(_ r: inout BitReader) throws -> (Huffman, Huffman) {
        let hlit = try r.bits(5) + 257, hdist = try r.bits(5) + 1, hclen = try r.bits(4) + 4
        let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
        var codeLengths = [Int](repeating: 0, count: 19)
        for k in 0..<hclen { codeLengths[order[k]] = try r.bits(3) }
        let lengthCode = try Huffman(lengths: codeLengths)
        var lengths: [Int] = []
        while lengths.count < hlit + hdist {
            let symbol = try lengthCode.decode(&r)
            switch symbol {
            case 0...15: lengths.append(symbol)
            case 16:
                guard let previous = lengths.last else { throw Failure(reason: "repeat with no previous length") }
                lengths += Array(repeating: previous, count: 3 + (try r.bits(2)))
            case 17: lengths += Array(repeating: 0, count: 3 + (try r.bits(3)))
            default: lengths += Array(repeating: 0, count: 11 + (try r.bits(7)))
            }
        }
        guard lengths.count == hlit + hdist, lengths[256] > 0 else { throw Failure(reason: "bad code lengths") }
        return (try Huffman(lengths: Array(lengths[..<hlit])), try Huffman(lengths: Array(lengths[hlit...])))
    }
}

/// A canonical Huffman code from its code lengths.
struct Huffman {
    /// counts[l]: codes of length l; symbols: in canonical order.
    let counts: [Int], symbols: [Int]

    init(lengths: [Int]) throws {
        var counts = [Int](repeating: 0, count: 16)
        for l in lengths { counts[l] += 1 }
        counts[0] = 0
        var left = 1
        for l in 1...15 {
            left = left * 2 - counts[l]
            guard left >= 0 else { throw Inflate.Failure(reason: "over-subscribed Huffman code") }
        }
        var offsets = [Int](repeating: 0, count: 16)
        for l in 1..<15 { offsets[l + 1] = offsets[l] + counts[l] }
        var symbols = [Int](repeating: 0, count: lengths.count)
        for (s, l) in lengths.enumerated() where l > 0 {
            symbols[offsets[l]] = s
            offsets[l] += 1
        }
        self.counts = counts
        self.symbols = symbols
    }

    func decode(_ r: inout BitReader) throws -> Int {
        var code = 0, first = 0, index = 0
        for l in 1...15 {
            code |= try r.bits(1)
            let count = counts[l]
            if code - first < count { return symbols[index + code - first] }
            index += count
            first = (first + count) << 1
            code <<= 1
        }
        throw Inflate.Failure(reason: "invalid Huffman code")
    }
}

/// Reads a DEFLATE stream's bits, least significant first.
struct BitReader {
    let bytes: [UInt8]
    private var byte: Int
    private var bit = 0

    init(bytes: [UInt8], position: Int) { self.bytes = bytes; self.byte = position }

    /// The next `n` bits (n ≤ 16) as a number, first bit lowest.
    mutating func bits(_ n: Int) throws -> Int {
        var value = 0
        for k in 0..<n {
            guard byte < bytes.count else { throw Inflate.Failure(reason: "data ends inside a block") }
            value |= Int((bytes[byte] >> UInt8(bit)) & 1) << k
            bit += 1
            if bit == 8 { bit = 0; byte += 1 }
        }
        return value
    }

    /// The position of the next whole byte (skipping the rest of a partial one).
    var alignedByte: Int { bit == 0 ? byte : byte + 1 }
}
