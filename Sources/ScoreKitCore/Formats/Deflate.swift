/// A small deflate compressor (RFC 1951) for pictures: one block with the fixed Huffman codes,
/// and back-references to the previous byte, the previous pixel or the previous row only. That
/// is enough for figures — mostly flat background — to shrink tenfold or more; pictures of
/// noise stay about their stored size.
enum Deflate {
    /// A zlib stream (RFC 1950) of `bytes` compressed with back-references at `distances`.
    static func zlib(_ bytes: [UInt8], distances: [Int]) -> [UInt8] {
        var out = BitWriter()
        out.bytes = [0x78, 0x01]
        out.write(1, bits: 1)          // BFINAL
        out.write(1, bits: 2)          // BTYPE = 01, fixed Huffman codes
        let usable = distances.filter { $0 >= 1 && $0 <= 32_768 }
        var i = 0
        while i < bytes.count {
            var best = (length: 0, distance: 0)
            for d in usable where d <= i {
                var n = 0
                let most = min(258, bytes.count - i)
                while n < most && bytes[i + n] == bytes[i + n - d] { n += 1 }
                if n > best.length { best = (n, d) }
            }
            if best.length >= 3 {
                out.writeLength(best.length)
                out.writeDistance(best.distance)
                i += best.length
            } else {
                out.writeLiteral(Int(bytes[i]))
                i += 1
            }
        }
        out.writeLiteral(256)           // end of block
        out.flush()
        var a: UInt32 = 1, b: UInt32 = 0
        for v in bytes { a = (a + UInt32(v)) % 65_521; b = (b + a) % 65_521 }
        return out.bytes + bigEndian(b << 16 | a)
    }

    static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115,
                             131, 163, 195, 227, 258]
    static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    static let distanceBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
                               2049, 3073, 4097, 6145, 8193, 12_289, 16_385, 24_577]
    static let distanceExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]

    /// Bits packed least significant first, as deflate stores them.
    struct BitWriter {
        var bytes: [UInt8] = []
        private var buffer: UInt32 = 0, count = 0

        mutating func write(_ value: Int, bits: Int) {
            buffer |= UInt32(value) << UInt32(count)
            count += bits
            while count >= 8 {
                bytes.append(UInt8(buffer & 0xFF))
                buffer >>= 8
                count -= 8
            }
        }

        /// A Huffman code, whose bits go most significant first.
        mutating func writeCode(_ code: Int, bits: Int) {
            var reversed = 0
            for k in 0..<bits where code & (1 << k) != 0 { reversed |= 1 << (bits - 1 - k) }
            write(reversed, bits: bits)
        }

        /// A literal/length symbol in the fixed code.
        mutating func writeLiteral(_ symbol: Int) {
            switch symbol {
            case 0...143: writeCode(0x30 + symbol, bits: 8)
            case 144...255: writeCode(0x190 + symbol - 144, bits: 9)
            case 256...279: writeCode(symbol - 256, bits: 7)
            default: writeCode(0xC0 + symbol - 280, bits: 8)
            }
        }

        mutating func writeLength(_ length: Int) {
            let k = (Deflate.lengthBase.lastIndex { $0 <= length })!
            writeLiteral(257 + k)
            if Deflate.lengthExtra[k] > 0 { write(length - Deflate.lengthBase[k], bits: Deflate.lengthExtra[k]) }
        }

        mutating func writeDistance(_ distance: Int) {
            let k = (Deflate.distanceBase.lastIndex { $0 <= distance })!
            writeCode(k, bits: 5)
            if Deflate.distanceExtra[k] > 0 { write(distance - Deflate.distanceBase[k], bits: Deflate.distanceExtra[k]) }
        }

        mutating func flush() {
            if count > 0 { bytes.append(UInt8(buffer & 0xFF)) }
            buffer = 0
            count = 0
        }
    }
}
