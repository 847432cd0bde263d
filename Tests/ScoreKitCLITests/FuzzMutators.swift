import Foundation

/// A seeded generator for mutants (SplitMix64): mutant i of a run depends only on (seed, i).
struct FuzzRandom {
    private var state: UInt64

    init(seed: UInt64, index: Int) { state = seed &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15 }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform index below `n`.
    mutating func index(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
    /// A uniform element.
    mutating func pick<T>(_ values: [T]) -> T { values[index(values.count)] }
}

/// Paths into a JSON value ([String: Any] / [Any] trees from `JSONSerialization`).
enum JSONPath {
    enum Step { case key(String), index(Int) }

    /// Every path to a value in `value`, the root excluded.
    static func all(_ value: Any, prefix: [Step] = []) -> [[Step]] {
        var out: [[Step]] = []
        if let object = value as? [String: Any] {
            for key in object.keys.sorted() {
                let path = prefix + [.key(key)]
                out.append(path)
                out += all(object[key]!, prefix: path)
            }
        } else if let array = value as? [Any] {
            for (i, element) in array.enumerated() {
                let path = prefix + [.index(i)]
                out.append(path)
                out += all(element, prefix: path)
            }
        }
        return out
    }

    static func get(_ value: Any, _ path: [Step]) -> Any? {
        guard let first = path.first else { return value }
        switch first {
        case .key(let k): return (value as? [String: Any])?[k].flatMap { get($0, Array(path.dropFirst())) }
        case .index(let i):
            guard let a = value as? [Any], i < a.count else { return nil }
            return get(a[i], Array(path.dropFirst()))
        }
    }

    /// `value` with the value at `path` replaced (nil removes it).
    static func set(_ value: Any, _ path: [Step], to new: Any?) -> Any {
        guard let first = path.first else { return new ?? NSNull() }
        let rest = Array(path.dropFirst())
        switch first {
        case .key(let k):
            var object = value as? [String: Any] ?? [:]
            if rest.isEmpty { object[k] = new } else if let child = object[k] { object[k] = set(child, rest, to: new) }
            return object
        case .index(let i):
            var array = value as? [Any] ?? []
            guard i < array.count else { return array }
            if rest.isEmpty { if let new { array[i] = new } else { array.remove(at: i) } } else { array[i] = set(array[i], rest, to: new) }
            return array
        }
    }

    static func describe(_ path: [Step]) -> String {
        path.map { if case .key(let k) = $0 { k } else if case .index(let i) = $0 { "\(i)" } else { "?" } }.joined(separator: ".")
    }
}

/// Mutations of JSON documents by field: numbers, shapes, types, keys, and raw-text edits
/// (duplicate keys, floats where integers go, numbers out of range, deep nesting).
struct FieldMutator {
    static var numbers: [Any] { [0, -1, 1, 2, 3, 7, 8, 16, 100, 65536, 65537, 1_000_000_000, 4_611_686_018_427_387_904,
                                 Int.min, 1.5, 2.5, 1e-300, 1e300, 1e308, -1e-9, 0.001, 80, 1e6, 1e7] }
    static let shapes: [[Int]] = [[], [0], [-1], [2], [3], [1], [1, 8, 8], [1, 16, 16], [1, 4, 4], [1, 8], [2, 8, 8], [1, 7, 7],
                                  [1, 8, 9], [65536, 65536, 65536, 65536], [1, 4096, 4096], [1, 256, 256], [1, 2, 2], [2, 1],
                                  [16_777_216], [16_777_217], [4_611_686_018_427_387_904, 4, 2], [-1, -2], [1, 1, 1, 1, 2], [64]]
    static var wrongTypes: [Any] { ["x", "", [Any](), [String: Any](), NSNull(), true, [1, 2], ["a": 1], "1", [[1]]] }

    /// One edit of `document` at a random path; returns the new document and what was done.
    static func edit(_ document: Any, _ random: inout FuzzRandom, shapeKeys: [String]) -> (Any, String) {
        let paths = JSONPath.all(document)
        let shapePaths = paths.filter { if case .key(let k)? = $0.last { shapeKeys.contains(k) } else { false } }
        let numeric = paths.filter { JSONPath.get(document, $0) is NSNumber }
        switch random.index(6) {
        case 0 where !shapePaths.isEmpty:
            let path = random.pick(shapePaths), shape = random.pick(shapes)
            return (JSONPath.set(document, path, to: shape), "\(JSONPath.describe(path)) = \(shape)")
        case 1 where !numeric.isEmpty:
            let path = random.pick(numeric), old = (JSONPath.get(document, path) as! NSNumber).doubleValue
            let value: Any = random.index(3) == 0 ? random.pick([old * 2, old / 2, old + 1, old - 1, -old]) : random.pick(numbers)
            return (JSONPath.set(document, path, to: value), "\(JSONPath.describe(path)) = \(value)")
        case 2 where !paths.isEmpty:
            let path = random.pick(paths)
            return (JSONPath.set(document, path, to: nil), "removed \(JSONPath.describe(path))")
        case 3 where !paths.isEmpty:
            let path = random.pick(paths), value = random.pick(wrongTypes)
            return (JSONPath.set(document, path, to: value), "\(JSONPath.describe(path)) = \(value)")
        case 4 where shapePaths.count >= 2:
            let a = random.pick(shapePaths), b = random.pick(shapePaths)
            let value = JSONPath.get(document, a) ?? []
            return (JSONPath.set(document, b, to: value), "\(JSONPath.describe(b)) = \(JSONPath.describe(a))")
        default:
            let objects = paths.filter { JSONPath.get(document, $0) is [String: Any] }
            let path = objects.isEmpty ? [] : random.pick(objects)
            return (JSONPath.set(document, path + [.key("unknown_\(random.index(100))")], to: random.pick(numbers)),
                    "added a key under \(JSONPath.describe(path))")
        }
    }

    /// One raw-text edit of JSON `text`.
    static func rawEdit(_ text: String, _ random: inout FuzzRandom) -> (String, String) {
        var chars = Array(text)
        switch random.index(5) {
        case 0:   // a duplicate key: the first key of a random object again, with another value
            let braces = chars.indices.filter { chars[$0] == "{" && $0 + 1 < chars.count && chars[$0 + 1] == "\"" }
            guard let at = braces.isEmpty ? nil : random.pick(braces),
                  let end = chars[(at + 2)...].firstIndex(of: "\"") else { return (text, "unchanged") }
            let key = String(chars[(at + 1)...end])
            chars.insert(contentsOf: Array("\(key):\(random.pick(["0", "2", "\"x\"", "[]", "null"])),"), at: at + 1)
            return (String(chars), "duplicate key \(key)")
        case 1:   // a float where an integer goes
            let digits = chars.indices.filter { chars[$0].isNumber && ($0 + 1 == chars.count || !chars[$0 + 1].isNumber && chars[$0 + 1] != ".") }
            guard !digits.isEmpty else { return (text, "unchanged") }
            let at = random.pick(digits)
            chars.insert(contentsOf: Array(random.pick([".0", ".5", "e0", "e2"])), at: at + 1)
            return (String(chars), "float at \(at)")
        case 2:   // a number out of range, or a token JSON does not have
            let digits = chars.indices.filter { chars[$0].isNumber && ($0 == 0 || !chars[$0 - 1].isNumber) }
            guard !digits.isEmpty else { return (text, "unchanged") }
            let at = random.pick(digits), token = random.pick(["1e309", "-1e400", "NaN", "Infinity", "99999999999999999999999"])
            chars.insert(contentsOf: Array(token + ","), at: at)
            if token != "99999999999999999999999" { chars.remove(at: at + token.count) }
            return (String(chars), "token \(token)")
        case 3:   // deep nesting
            let depth = random.pick([100, 511, 513, 5000])
            return (String(repeating: "[", count: depth) + String(repeating: "]", count: depth), "nested \(depth)")
        default:  // a byte dropped or doubled
            guard !chars.isEmpty else { return (text, "unchanged") }
            let at = random.index(chars.count)
            if random.index(2) == 0 { chars.remove(at: at) } else { chars.insert(chars[at], at: at) }
            return (String(chars), "byte \(at)")
        }
    }

    /// `text` of `document` (sorted keys).
    static func text(_ document: Any) -> String {
        guard JSONSerialization.isValidJSONObject(document),
              let data = try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys]) else { return "null" }
        return String(decoding: data, as: UTF8.self)
    }

    /// A mutant of `document`: one to three field edits, then a raw edit one time in four.
    static func mutant(of document: Any, seed: UInt64, index: Int, shapeKeys: [String]) -> (String, String) {
        var random = FuzzRandom(seed: seed, index: index)
        var value = document, notes: [String] = []
        for _ in 0..<(1 + random.index(3)) {
            let (next, note) = edit(value, &random, shapeKeys: shapeKeys)
            value = next
            notes.append(note)
        }
        var text = text(value)
        if random.index(4) == 0 {
            let (edited, note) = rawEdit(text, &random)
            text = edited
            notes.append(note)
        }
        return (text, notes.joined(separator: "; "))
    }
}
