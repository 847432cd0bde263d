import Foundation

/// NumPy's `.npy` format, version 1.0: a magic string, a Python-dict header, raw values.
/// ScoreKit writes little-endian float32 in C order and reads float32 or float64 (C order).
public enum NPY {
    /// The bytes of `tensor` as a `.npy` file.
    public static func encode(_ tensor: Tensor) -> Data {
        var data = header(shape: tensor.shape)
        tensor.scalars.withUnsafeBytes { data.append(contentsOf: $0) }   // little-endian hosts only
        return data
    }

    /// The header of a `.npy` file of little-endian float32 values in C order with `shape`
    /// (the values follow it directly), padded to a multiple of 64 bytes.
    public static func header(shape: [Int]) -> Data {
        let shape = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shape), }"
        let unpadded = 10 + header.utf8.count + 1                 // magic+version+length, header, newline
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let length = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        data.append(contentsOf: Array(header.utf8))
        return data
    }

    /// Parses a `.npy` file of float32 or float64 values in C order.
    public static func decode(_ data: Data, path: String = "array") throws -> Tensor {
        let bytes = [UInt8](data)
        let info = try headerInfo(bytes, path: path)
        let count = info.shape.reduce(1, *), width = info.width      // checked in headerInfo: no overflow
        let payload = bytes[info.dataStart...]
        guard payload.count == count * width else {
            throw FileFormatError.malformed(path, reason: "shape \(info.shape) needs \(count * width) bytes of data, found \(payload.count)")
        }
        let values: [Float] = payload.withUnsafeBytes { raw in
            width == 4 ? (0..<count).map { raw.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) }
                       : (0..<count).map { Float(raw.loadUnaligned(fromByteOffset: 8 * $0, as: Double.self)) }
        }
        return Tensor(shape: info.shape, scalars: values)
    }

    /// What a `.npy` header says: the shape, the bytes per value (4 or 8) and where the values
    /// start. `bytes` must hold at least the header (the values may be missing).
    static func headerInfo(_ bytes: [UInt8], path: String) throws -> (shape: [Int], width: Int, dataStart: Int) {
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1...5]) == Array("NUMPY".utf8) else {
            throw FileFormatError.malformed(path, reason: "not a .npy file (bad magic)")
        }
        let major = bytes[6]
        let (lengthBytes, start): (Int, Int) = major == 1 ? (2, 8) : (4, 8)
        guard bytes.count >= start + lengthBytes else { throw FileFormatError.malformed(path, reason: "truncated header") }
        var headerLength = 0
        for i in 0..<lengthBytes { headerLength |= Int(bytes[start + i]) << (8 * i) }
        let dataStart = start + lengthBytes + headerLength
        guard bytes.count >= dataStart,
              let header = String(bytes: bytes[(start + lengthBytes)..<dataStart], encoding: .ascii) else {
            throw FileFormatError.malformed(path, reason: "truncated header")
        }
        guard let descr = field("descr", in: header) else { throw FileFormatError.malformed(path, reason: "no dtype in header") }
        guard field("fortran_order", in: header) == "False" else {
            throw FileFormatError.malformed(path, reason: "Fortran-ordered arrays are not supported; save with C order")
        }
        guard let shapeText = field("shape", in: header) else { throw FileFormatError.malformed(path, reason: "no shape in header") }
        let shape = try parseShape(shapeText, path: path)
        switch descr {
        case "'<f4'", "'f4'": return (shape, 4, dataStart)
        case "'<f8'", "'f8'": return (shape, 8, dataStart)
        default: throw FileFormatError.malformed(path, reason: "dtype \(descr) is not supported; use float32 or float64")
        }
    }

    /// The most values a `.npy` file may declare (2⁴⁰): byte counts stay far from overflow.
    public static let maxValues = 1 << 40

    /// The shape tuple of a header, e.g. `(3, 2)` or `(5,)`: every entry a non-negative
    /// integer, the number of values at most `maxValues`.
    private static func parseShape(_ text: String, path: String) throws -> [Int] {
        let fields = text.trimmingCharacters(in: CharacterSet(charactersIn: "() "))
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !fields.isEmpty else { throw FileFormatError.malformed(path, reason: "a 0-d array holds no samples") }
        var shape: [Int] = []
        for field in fields {
            guard let n = Int(field) else {
                throw FileFormatError.malformed(path, reason: "header shape \(text) is invalid: '\(field)' is not an integer")
            }
            shape.append(n)
        }
        do {
            _ = try ShapeCheck.count(shape, minimumEntry: 0, limit: maxValues)
        } catch let problem as ShapeProblem {
            throw FileFormatError.malformed(path, reason: "header \(problem)")
        }
        return shape
    }

    /// The text of `key`'s value in a Python-dict header, e.g. `'<f4'`, `False`, `(3, 2)`.
    private static func field(_ key: String, in header: String) -> String? {
        guard let range = header.range(of: "'\(key)':") else { return nil }
        let rest = header[range.upperBound...].drop { $0 == " " }
        if rest.first == "(" { return rest.firstIndex(of: ")").map { String(rest[...$0]) } }
        return rest.split(separator: ",", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces) }
    }
}
