import Foundation

/// A parsed JSON value. Arrays whose elements are all numbers are kept flat (`numbers`), so
/// large numeric files (a mixture of a million components) parse in a fraction of a second.
public enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    /// An array of numbers only (the empty array included).
    case numbers([Double])
    /// Any other array.
    case array([JSONValue])
    /// An object, keys in file order (no key twice).
    case object([(key: String, value: JSONValue)])

    /// The value of `key` in an object, else nil.
    public subscript(key: String) -> JSONValue? {
        guard case let .object(pairs) = self else { return nil }
        return pairs.first { $0.key == key }?.value
    }

    /// A word for the kind of value, for messages.
    public var kind: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .numbers, .array: "an array"
        case .object: "an object"
        }
    }
}

/// A strict JSON parser (RFC 8259) with messages that say what is wrong and where: nesting
/// past `JSONCheck.maxDepth`, numbers beyond `Double`'s range, a key given twice in one
/// object, control characters in strings, trailing text. Used for mixture specs and to vet a
/// checkpoint's config before it is decoded.
public struct JSONReader {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var at = 0

    /// Parses `data`; throws a `JSONProblem` naming the first problem and its byte offset.
    public static func parse(_ data: Data) throws -> JSONValue {
        try data.withUnsafeBytes { raw in
            var reader = JSONReader(bytes: raw.bindMemory(to: UInt8.self))
            let value = try reader.value(depth: 1)
            reader.skipSpace()
            guard reader.at == reader.bytes.count else { throw reader.problem("unexpected text after the JSON value") }
            return value
        }
    }

    private init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    private func problem(_ what: String) -> JSONProblem { JSONProblem(reason: "\(what) at byte \(at)") }

    private mutating func skipSpace() {
        while at < bytes.count {
            let b = bytes[at]
            guard b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 else { return }
            at += 1
        }
    }

    private mutating func value(depth: Int) throws -> JSONValue {
        guard depth <= JSONCheck.maxDepth else {
            throw problem("nested too deeply (more than \(JSONCheck.maxDepth) levels of arrays and objects)")
        }
        skipSpace()
        guard at < bytes.count else { throw problem("the text ends where a value should be") }
        switch bytes[at] {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw problem("unexpected character '\(Character(Unicode.Scalar(bytes[at])))'")
        }
    }

    private mutating func literal(_ word: String) throws {
        let utf8 = Array(word.utf8)
        guard at + utf8.count <= bytes.count, Array(bytes[at..<(at + utf8.count)]) == utf8 else {
            throw problem("unexpected word (expected \(word))")
        }
        at += utf8.count
    }

    private mutating func object(depth: Int) throws -> JSONValue {
        at += 1
        var pairs: [(key: String, value: JSONValue)] = []
        var seen = Set<String>()
        skipSpace()
        if at < bytes.count, bytes[at] == UInt8(ascii: "}") { at += 1; return .object(pairs) }
        while true {
            skipSpace()
            guard at < bytes.count, bytes[at] == UInt8(ascii: "\"") else { throw problem("expected a key in quotes") }
            let keyStart = at
            let key = try string()
            guard seen.insert(key).inserted else {
                at = keyStart
                throw problem("duplicate key '\(key.prefix(60))'")
            }
            skipSpace()
            guard at < bytes.count, bytes[at] == UInt8(ascii: ":") else { throw problem("expected ':' after a key") }
            at += 1
            pairs.append((key, try value(depth: depth + 1)))
            skipSpace()
            guard at < bytes.count else { throw problem("the text ends inside an object") }
            if bytes[at] == UInt8(ascii: "}") { at += 1; return .object(pairs) }
            guard bytes[at] == UInt8(ascii: ",") else { throw problem("expected ',' or '}' in an object") }
            at += 1
        }
    }

    private mutating func array(depth: Int) throws -> JSONValue {
        at += 1
        var numbers: [Double] = [], values: [JSONValue]? = nil
        skipSpace()
        if at < bytes.count, bytes[at] == UInt8(ascii: "]") { at += 1; return .numbers([]) }
        while true {
            skipSpace()
            if values == nil, at < bytes.count, bytes[at] == UInt8(ascii: "-") || (48...57).contains(bytes[at]) {
                numbers.append(try number())
            } else {
                let element = try value(depth: depth + 1)
                if values == nil { values = numbers.map { .number($0) } }
                values!.append(element)
            }
            skipSpace()
            guard at < bytes.count else { throw problem("the text ends inside an array") }
            if bytes[at] == UInt8(ascii: "]") { at += 1; return values.map { .array($0) } ?? .numbers(numbers) }
            guard bytes[at] == UInt8(ascii: ",") else { throw problem("expected ',' or ']' in an array") }
            at += 1
        }
    }

    /// A number by JSON's grammar, converted with `strtod`; out of `Double`'s range is an error.
    private mutating func number() throws -> Double {
        let start = at
        func digits() -> Int {
            let from = at
            while at < bytes.count, (48...57).contains(bytes[at]) { at += 1 }
            return at - from
        }
        if bytes[at] == UInt8(ascii: "-") { at += 1 }
        let integer = digits()
        guard integer > 0 else { throw problem("a number needs digits") }
        guard integer == 1 || bytes[at - integer] != UInt8(ascii: "0") else { at = start; throw problem("a number has a leading zero") }
        if at < bytes.count, bytes[at] == UInt8(ascii: ".") {
            at += 1
            guard digits() > 0 else { throw problem("a number needs digits after '.'") }
        }
        if at < bytes.count, bytes[at] == UInt8(ascii: "e") || bytes[at] == UInt8(ascii: "E") {
            at += 1
            if at < bytes.count, bytes[at] == UInt8(ascii: "+") || bytes[at] == UInt8(ascii: "-") { at += 1 }
            guard digits() > 0 else { throw problem("a number needs digits in its exponent") }
        }
        let length = at - start
        let value = withUnsafeTemporaryAllocation(of: CChar.self, capacity: length + 1) { buffer -> Double in
            for i in 0..<length { buffer[i] = CChar(bitPattern: bytes[start + i]) }
            buffer[length] = 0
            return strtod(buffer.baseAddress!, nil)
        }
        guard value.isFinite else {
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<min(at, start + 40)]), as: UTF8.self)
            at = start
            throw problem("number \(text) is out of range (beyond ±1.8e308)")
        }
        return value
    }

    private mutating func string() throws -> String {
        at += 1
        var out: [UInt8] = []
        while true {
            guard at < bytes.count else { throw problem("the text ends inside a string") }
            let b = bytes[at]
            at += 1
            switch b {
            case UInt8(ascii: "\""): return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"): try escape(into: &out)
            case 0..<0x20: at -= 1; throw problem("control character in a string")
            default: out.append(b)
            }
        }
    }

    private mutating func escape(into out: inout [UInt8]) throws {
        guard at < bytes.count else { throw problem("the text ends inside a string") }
        let b = bytes[at]
        at += 1
        let simple: [UInt8: UInt8] = [0x22: 0x22, 0x5C: 0x5C, 0x2F: 0x2F, 0x62: 0x08, 0x66: 0x0C, 0x6E: 0x0A, 0x72: 0x0D, 0x74: 0x09]
        if let c = simple[b] { out.append(c); return }
        guard b == UInt8(ascii: "u") else { at -= 1; throw problem("unknown escape '\\\(Character(Unicode.Scalar(b)))'") }
        var code = try hex4()
        if (0xD800..<0xDC00).contains(code), at + 1 < bytes.count, bytes[at] == UInt8(ascii: "\\"), bytes[at + 1] == UInt8(ascii: "u") {
            at += 2
            let low = try hex4()
            code = (0xDC00..<0xE000).contains(low) ? 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00) : 0xFFFD
        }
        out.append(contentsOf: Array(String(Character(Unicode.Scalar(code) ?? "\u{FFFD}")).utf8))
    }

    private mutating func hex4() throws -> UInt32 {
        guard at + 4 <= bytes.count else { throw problem("the text ends inside a \\u escape") }
        var code: UInt32 = 0
        for _ in 0..<4 {
            guard let digit = Character(Unicode.Scalar(bytes[at])).hexDigitValue else { throw problem("bad \\u escape") }
            code = code << 4 | UInt32(digit)
            at += 1
        }
        return code
    }
}
