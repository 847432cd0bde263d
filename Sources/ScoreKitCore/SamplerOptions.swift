/// One option of a sampler: its key in a spec string, what values it takes, its default.
public struct SamplerKey: Sendable, Hashable {
    /// What values a key takes.
    public enum Kind: Sendable, Hashable {
        /// An integer in the range.
        case integer(ClosedRange<Int>)
        /// A real number in the range.
        case real(ClosedRange<Double>)
        /// One of the listed words.
        case choice([String])
        /// `true` or `false`.
        case flag

        /// Describes the valid values, for error messages and `scorekit samplers`.
        public var summary: String {
            switch self {
            case .integer(let r): r.upperBound == .max ? "an integer ≥ \(r.lowerBound)" : "an integer in \(r.lowerBound)…\(r.upperBound)"
            case .real(let r): r.upperBound.isInfinite ? "a number ≥ \(canonicalNumber(r.lowerBound))" : "a number in \(canonicalNumber(r.lowerBound))…\(canonicalNumber(r.upperBound))"
            case .choice(let words): words.joined(separator: "|")
            case .flag: "true|false"
            }
        }

        /// The canonical form of `text` if it is a valid value, else nil.
        public func canonical(_ text: String) -> String? {
            switch self {
            case .integer(let r):
                guard let v = Int(text), r.contains(v) else { return nil }
                return String(v)
            case .real(let r):
                guard let v = Double(text), v.isFinite, r.contains(v) else { return nil }
                return canonicalNumber(v)
            case .choice(let words):
                return words.contains(text) ? text : nil
            case .flag:
                switch text.lowercased() {
                case "true", "1", "yes", "on": return "true"
                case "false", "0", "no", "off": return "false"
                default: return nil
                }
            }
        }
    }

    /// The key as written in a spec.
    public let name: String
    /// Its valid values.
    public let kind: Kind
    /// The value used when the spec does not give one (canonical form).
    public let defaultValue: String
    /// One line on what it does.
    public let help: String

    /// A key. `defaultValue` must be valid for `kind`.
    public init(_ name: String, _ kind: Kind, default defaultValue: String, help: String) {
        guard let canonical = kind.canonical(defaultValue) else {
            preconditionFailure("SamplerKey \(name): default '\(defaultValue)' is not \(kind.summary)")
        }
        self.name = name
        self.kind = kind
        self.defaultValue = canonical
        self.help = help
    }
}

/// Formats a real number the way specs print it: shortest round-tripping form, no trailing `.0`.
public func canonicalNumber(_ v: Double) -> String {
    if v == v.rounded(), abs(v) < 1e15 { return String(Int(v)) }
    return "\(v)"
}

/// The resolved options of a sampler: every key of its descriptor with a canonical value,
/// in the descriptor's order, and which of them the user gave explicitly.
public struct SamplerOptions: Sendable, Hashable {
    /// (key, canonical value) in descriptor order.
    public private(set) var entries: [(key: String, value: String)]
    /// Keys the user set in the spec (the rest are defaults).
    public private(set) var explicitKeys: Set<String>

    public static func == (a: SamplerOptions, b: SamplerOptions) -> Bool {
        a.entries.map(\.key) == b.entries.map(\.key) && a.entries.map(\.value) == b.entries.map(\.value)
            && a.explicitKeys == b.explicitKeys
    }
    public func hash(into h: inout Hasher) {
        for e in entries { h.combine(e.key); h.combine(e.value) }
    }

    /// Options from already-canonical entries.
    public init(entries: [(key: String, value: String)], explicitKeys: Set<String>) {
        self.entries = entries
        self.explicitKeys = explicitKeys
    }

    /// The canonical value of `key`. Traps for a key the sampler does not have (a programming error).
    public subscript(key: String) -> String {
        guard let e = entries.first(where: { $0.key == key }) else {
            preconditionFailure("SamplerOptions: no key '\(key)' among \(entries.map(\.key))")
        }
        return e.value
    }

    /// The value of an integer key.
    public func int(_ key: String) -> Int { Int(self[key])! }
    /// The value of a real key.
    public func double(_ key: String) -> Double { Double(self[key])! }
    /// The value of a flag key.
    public func bool(_ key: String) -> Bool { self[key] == "true" }
    /// The value of a choice key as a `RawRepresentable` enum.
    public func choice<T: RawRepresentable>(_ key: String, as: T.Type = T.self) -> T where T.RawValue == String {
        T(rawValue: self[key])!
    }

    /// Whether the user gave `key` in the spec.
    public func isExplicit(_ key: String) -> Bool { explicitKeys.contains(key) }

    /// These options with `key` set to `value` (canonical, not marked explicit).
    public func setting(_ key: String, to value: String) -> SamplerOptions {
        var copy = self
        guard let i = copy.entries.firstIndex(where: { $0.key == key }) else {
            preconditionFailure("SamplerOptions: no key '\(key)'")
        }
        copy.entries[i].value = value
        return copy
    }
}
