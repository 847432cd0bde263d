import Foundation

/// The safetensors format (Hugging Face): an 8-byte little-endian header length N, N bytes of
/// JSON mapping tensor names to `{dtype, shape, data_offsets}` (plus an optional
/// `__metadata__` of strings), then the raw data.
///
/// The reader trusts nothing: header length within the file, JSON well-formed, every dtype
/// known, every shape's byte size equal to its offsets, every range inside the data section,
/// ranges neither overlapping nor leaving gaps, and — when a tensor is loaded — every value
/// finite. Each failure is a `FileFormatError`, never a crash.
public struct Safetensors: Sendable {
    /// One tensor's entry in the header.
    public struct Entry: Sendable, Hashable {
        /// The tensor's name.
        public let name: String
        /// Its element type.
        public let dtype: DType
        /// Its shape.
        public let shape: [Int]
        /// Byte range within the data section.
        public let byteRange: Range<Int>
    }

    /// The element types the reader understands.
    public enum DType: String, Sendable, CaseIterable {
        case F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL
        /// Bytes per element.
        public var size: Int {
            switch self {
            case .F64, .I64: 8
            case .F32, .I32: 4
            case .F16, .BF16, .I16: 2
            case .I8, .U8, .BOOL: 1
            }
        }
    }

    /// The `__metadata__` strings.
    public let metadata: [String: String]
    /// The tensors, in data order.
    public let entries: [Entry]
    private let payload: Data
    private let path: String

    /// The entry named `name`, if present.
    public func entry(_ name: String) -> Entry? { entries.first { $0.name == name } }

    /// Parses and validates a file's bytes.
    public init(data: Data, path: String = "safetensors file") throws {
        func fail(_ reason: String) -> FileFormatError { .malformed(path, reason: reason) }
        guard data.count >= 8 else { throw fail("shorter than the 8-byte header length") }
        let length = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard length <= UInt64(data.count - 8) else {
            throw fail("header length \(length) exceeds the file's \(data.count - 8) remaining bytes")
        }
        guard length <= 100_000_000 else { throw fail("header length \(length) exceeds the format's 100 MB limit") }
        let headerEnd = 8 + Int(length)
        let dataSize = data.count - headerEnd
        (metadata, entries) = try Self.parseHeader(data.subdata(in: 8..<headerEnd), dataSize: dataSize, path: path)
        self.payload = data.subdata(in: headerEnd..<data.count)
        self.path = path
    }

    /// The metadata and entries of a header's JSON, validated against a data section of
    /// `dataSize` bytes (every range inside it, no overlaps, no gaps).
    static func parseHeader(_ header: Data, dataSize: Int, path: String) throws -> ([String: String], [Entry]) {
        func fail(_ reason: String) -> FileFormatError { .malformed(path, reason: reason) }
        guard header.first == UInt8(ascii: "{") else { throw fail("header is not a JSON object") }
        guard Self.nestingDepth(header) <= 16 else { throw fail("header JSON nests deeper than 16 levels") }
        let parsed: Any
        do {
            parsed = try JSONCheck.parse(header)
        } catch let problem as JSONProblem {
            throw fail("header is not valid JSON: \(problem.reason)")
        }
        guard let object = parsed as? [String: Any] else { throw fail("header is not a JSON object") }
        var metadata: [String: String] = [:]
        var entries: [Entry] = []
        for (name, value) in object {
            if name == "__metadata__" {
                guard let m = value as? [String: Any] else { throw fail("__metadata__ is not an object") }
                for (k, v) in m {
                    guard let s = v as? String else { throw fail("__metadata__.\(k) is not a string") }
                    metadata[k] = s
                }
                continue
            }
            entries.append(try Self.entry(name: name, value, fail: fail))
        }
        entries.sort { ($0.byteRange.lowerBound, $0.byteRange.upperBound) < ($1.byteRange.lowerBound, $1.byteRange.upperBound) }
        var cursor = 0
        for e in entries {
            guard e.byteRange.upperBound <= dataSize else {
                throw fail("tensor '\(e.name)' ends at byte \(e.byteRange.upperBound), past the data section's \(dataSize) bytes")
            }
            guard e.byteRange.lowerBound >= cursor else { throw fail("tensor '\(e.name)' overlaps the tensor before it") }
            guard e.byteRange.lowerBound == cursor else { throw fail("gap of \(e.byteRange.lowerBound - cursor) bytes before tensor '\(e.name)'") }
            cursor = e.byteRange.upperBound
        }
        guard cursor == dataSize else { throw fail("\(dataSize - cursor) bytes after the last tensor are not indexed") }
        return (metadata, entries)
    }

    /// The deepest nesting of brackets outside strings, found before parsing, so that a hostile
    /// header cannot exhaust the stack of a recursive JSON parser.
    private static func nestingDepth(_ json: Data) -> Int {
        var depth = 0, deepest = 0, inString = false, escaped = false
        for byte in json {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1; deepest = max(deepest, depth)
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            default: break
            }
        }
        return deepest
    }

    private static func entry(name: String, _ value: Any, fail: (String) -> FileFormatError) throws -> Entry {
        guard let info = value as? [String: Any] else { throw fail("entry '\(name)' is not an object") }
        guard let dtypeText = info["dtype"] as? String else { throw fail("tensor '\(name)' has no dtype") }
        guard let dtype = DType(rawValue: dtypeText) else {
            throw fail("tensor '\(name)' has unknown dtype \(dtypeText); known: \(DType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let shapeValues = info["shape"] as? [Any] else { throw fail("tensor '\(name)' has no shape") }
        var elements = 1
        var shape: [Int] = []
        for v in shapeValues {
            guard let n = v as? Int, n >= 0 else { throw fail("tensor '\(name)' has a bad shape \(shapeValues)") }
            let (product, overflow) = elements.multipliedReportingOverflow(by: n)
            guard !overflow, product < 1 << 40 else { throw fail("tensor '\(name)' has an impossibly large shape") }
            elements = product
            shape.append(n)
        }
        guard let offsets = info["data_offsets"] as? [Any], offsets.count == 2,
              let begin = offsets[0] as? Int, let end = offsets[1] as? Int, begin >= 0, end >= begin else {
            throw fail("tensor '\(name)' has bad data_offsets")
        }
        guard end - begin == elements * dtype.size else {
            throw fail("tensor '\(name)': shape \(shape) of \(dtype.rawValue) needs \(elements * dtype.size) bytes, offsets span \(end - begin)")
        }
        return Entry(name: name, dtype: dtype, shape: shape, byteRange: begin..<end)
    }

    /// Loads tensor `name` as Float32 (from F32, F64, F16 or BF16), checking every value is finite.
    public func tensor(_ name: String) throws -> Tensor {
        guard let e = entry(name) else {
            throw FileFormatError.malformed(path, reason: "no tensor '\(name)'; it has \(entries.map(\.name).joined(separator: ", "))")
        }
        let count = e.shape.reduce(1, *)
        let bytes = payload.subdata(in: e.byteRange)
        let values: [Float] = try bytes.withUnsafeBytes { raw in
            switch e.dtype {
            case .F32: return (0..<count).map { raw.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) }
            case .F64: return (0..<count).map { Float(raw.loadUnaligned(fromByteOffset: 8 * $0, as: Double.self)) }
            case .F16: return (0..<count).map { halfToFloat(raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self)) }
            case .BF16: return (0..<count).map { Float(bitPattern: UInt32(raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self)) << 16) }
            default: throw FileFormatError.malformed(path, reason: "tensor '\(name)' is \(e.dtype.rawValue); expected a float type")
            }
        }
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw FileFormatError.malformed(path, reason: "tensor '\(name)' holds a non-finite value at element \(bad)")
        }
        return Tensor(shape: e.shape.isEmpty ? [1] : e.shape, scalars: values)
    }

    /// The header of a safetensors file (length, JSON padded to 8 bytes) for tensors of the
    /// given names and shapes, stored in that order; their data follows it directly.
    public static func header(_ tensors: [(name: String, shape: [Int])], metadata: [String: String] = [:],
                              dtype: DType = .F32) throws -> Data {
        precondition(dtype == .F32 || dtype == .F16, "Safetensors.encode writes F32 or F16, not \(dtype)")
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        for (name, shape) in tensors {
            let bytes = dtype.size * shape.reduce(1, *)
            header[name] = ["dtype": dtype.rawValue, "shape": shape, "data_offsets": [offset, offset + bytes]] as [String: Any]
            offset += bytes
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        json.append(contentsOf: Array(repeating: UInt8(ascii: " "), count: (8 - json.count % 8) % 8))
        var data = Data((0..<8).map { UInt8(truncatingIfNeeded: UInt64(json.count) >> (8 * $0)) })
        data.append(json)
        return data
    }

    /// The bytes of a safetensors file holding `tensors` in the given order, as F32 or (rounded
    /// to nearest, ties to even) F16.
    public static func encode(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:],
                              dtype: DType = .F32) throws -> Data {
        var data = try header(tensors.map { ($0.name, $0.tensor.shape) }, metadata: metadata, dtype: dtype)
        for (_, t) in tensors {
            if dtype == .F32 {
                t.scalars.withUnsafeBytes { data.append(contentsOf: $0) }
            } else {
                t.scalars.map(floatToHalf).withUnsafeBytes { data.append(contentsOf: $0) }
            }
        }
        return data
    }
}

/// IEEE 754 half precision to Float32.
func halfToFloat(_ h: UInt16) -> Float {
    let sign = UInt32(h & 0x8000) << 16
    let exponent = Int((h >> 10) & 0x1F), mantissa = UInt32(h & 0x3FF)
    switch exponent {
    case 0:
        let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
        return sign == 0 ? magnitude : -magnitude
    case 31:
        return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
    default:
        return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
    }
}

/// Float32 to IEEE 754 half precision, rounding to nearest with ties to even (overflow gives ±∞).
func floatToHalf(_ f: Float) -> UInt16 {
    let bits = f.bitPattern
    let sign = UInt16((bits >> 16) & 0x8000)
    let magnitude = bits & 0x7FFF_FFFF
    if magnitude > 0x7F80_0000 { return sign | 0x7E00 }                 // NaN
    let exponent = Int(magnitude >> 23) - 127 + 15
    var mantissa = magnitude & 0x7F_FFFF
    if exponent >= 31 { return sign | 0x7C00 }                           // too large: ∞
    if exponent <= 0 {                                                   // subnormal or zero
        guard exponent >= -10 else { return sign }
        mantissa |= 0x80_0000
        let shift = UInt32(14 - exponent)
        var half = mantissa >> shift
        let rest = mantissa & ((1 << shift) - 1), halfway = UInt32(1) << (shift - 1)
        if rest > halfway || (rest == halfway && half & 1 == 1) { half += 1 }
        return sign | UInt16(half)
    }
    var half = UInt32(exponent) << 10 | mantissa >> 13
    let rest = mantissa & 0x1FFF
    if rest > 0x1000 || (rest == 0x1000 && half & 1 == 1) { half += 1 }  // a carry rounds up into the exponent
    return sign | UInt16(half)
}
