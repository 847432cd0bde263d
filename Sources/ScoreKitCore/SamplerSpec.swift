import Foundation

/// A sampler as one string: `name` or `name:key=value,key=value`
/// (for example `ddim:eta=0.5,spacing=trailing`).
///
/// Parsing splits the string; a `SamplerCatalog` turns it into a sampler, validating the name
/// and keys. Printing a sampler's spec gives every key with defaults filled in, so a results
/// table says exactly what ran, and parsing that string again gives the same sampler.
public struct SamplerSpec: Sendable, Hashable, CustomStringConvertible {
    /// The sampler's name.
    public let name: String
    /// The `key=value` pairs as written, in order.
    public let pairs: [Pair]

    /// One `key=value` pair.
    public struct Pair: Sendable, Hashable {
        /// A key and its value as written.
        public let key: String, value: String
        /// A key and its value.
        public init(key: String, value: String) { self.key = key; self.value = value }
    }

    /// Parses `name` or `name:key=value,…`. Whitespace around parts is ignored.
    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let head = trimmed.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let name = head[0].trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { throw SamplerSpecError.malformed(text, reason: "no sampler name") }
        var pairs: [Pair] = []
        if head.count == 2 {
            for part in head[1].split(separator: ",", omittingEmptySubsequences: false) {
                let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let key = kv[0].trimmingCharacters(in: .whitespaces)
                guard kv.count == 2, !key.isEmpty else {
                    throw SamplerSpecError.malformed(text, reason: "'\(part)' is not key=value")
                }
                pairs.append(Pair(key: key, value: kv[1].trimmingCharacters(in: .whitespaces)))
            }
        }
        self.name = name
        self.pairs = pairs
    }

    /// A spec from its parts.
    public init(name: String, pairs: [Pair]) {
        self.name = name
        self.pairs = pairs
    }

    public var description: String {
        pairs.isEmpty ? name : name + ":" + pairs.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }
}

/// The samplers a spec string can name: each sampler type once, its presets by name. This is
/// the one place a sampler is registered; `scorekit samplers`, DLG's integrators and
/// `compare`'s default list all read it.
public struct SamplerCatalog: Sendable {
    /// The sampler types, in the order `scorekit samplers` lists them.
    public let types: [any Sampler.Type]

    /// A catalog of `types`; their preset names must be unique.
    public init(_ types: [any Sampler.Type]) {
        let names = types.flatMap { $0.presetNames }
        precondition(Set(names).count == names.count, "duplicate sampler names in \(names)")
        self.types = types
    }

    /// Every sampler name, in listing order.
    public var names: [String] { types.flatMap { $0.presetNames } }

    /// The names of the samplers that can start part-way down the noise scale (`Integrator`s).
    public var integratorNames: [String] { types.filter { $0 is any Integrator.Type }.flatMap { $0.presetNames } }

    /// What `scorekit samplers` prints, in listing order.
    public var descriptions: [SamplerDescription] { types.flatMap { $0.descriptions } }

    /// The description of the sampler named `name`, or an error listing the valid names.
    public func description(of name: String) throws -> SamplerDescription {
        guard let d = descriptions.first(where: { $0.name == name }) else {
            throw SamplerSpecError.unknownSampler(name, valid: names)
        }
        return d
    }

    /// The type that has a preset named `name`, or an error listing the valid names.
    public func type(named name: String) throws -> any Sampler.Type {
        guard let t = types.first(where: { $0.presetNames.contains(name) }) else {
            throw SamplerSpecError.unknownSampler(name, valid: names)
        }
        return t
    }

    /// The sampler a spec string describes, validated.
    public func sampler(_ text: String) throws -> any Sampler {
        try sampler(SamplerSpec(parsing: text))
    }

    /// The sampler a parsed spec describes, validated.
    public func sampler(_ spec: SamplerSpec) throws -> any Sampler {
        try type(named: spec.name).make(preset: spec.name, pairs: spec.pairs.map { ($0.key, $0.value) },
                                        parsing: SpecParsing(catalog: self))
    }
}

extension Sampler {
    /// The names of this type's presets.
    public static var presetNames: [String] { declaration.presets.map(\.name) }
    /// What `scorekit samplers` prints for each preset.
    public static var descriptions: [SamplerDescription] { declaration.presets.map(\.description) }
    /// The value a preset and its pairs describe (type-erased, for catalogs).
    public static func make(preset: String, pairs: [(key: String, value: String)], parsing: SpecParsing) throws -> any Sampler {
        try declaration.value(preset: preset, pairs: pairs, parsing: parsing)
    }
}

/// Errors in a sampler spec, each naming the problem and the valid choices.
public enum SamplerSpecError: Error, Equatable, CustomStringConvertible {
    case malformed(String, reason: String)
    case unknownSampler(String, valid: [String])
    case unknownKey(sampler: String, key: String, valid: [String])
    case duplicateKey(sampler: String, key: String)
    case badValue(sampler: String, key: String, value: String, expected: String)
    case invalidCombination(sampler: String, reason: String)
    case overBudget(sampler: String, detail: String, budget: Int)

    public var description: String { describing(budgetAs: "the budget of") }

    /// The message, with an NFE budget called `budget` (the tool says `--nfe`).
    public func describing(budgetAs budgetName: String) -> String {
        switch self {
        case let .malformed(text, reason):
            "malformed sampler spec '\(text)': \(reason) (expected name or name:key=value,…)"
        case let .unknownSampler(name, valid):
            "unknown sampler '\(name)'; valid samplers: \(valid.joined(separator: ", "))"
        case let .unknownKey(sampler, key, valid):
            "sampler '\(sampler)' has no key '\(key)'; valid keys: \(valid.joined(separator: ", "))"
        case let .duplicateKey(sampler, key):
            "sampler '\(sampler)': key '\(key)' given twice"
        case let .badValue(sampler, key, value, expected):
            "sampler '\(sampler)': \(key)=\(value) is invalid; expected \(expected)"
        case let .invalidCombination(sampler, reason):
            "sampler '\(sampler)': \(reason)"
        case let .overBudget(sampler, detail, budget):
            "sampler '\(sampler)': \(detail), more than \(budgetName) \(budget)"
        }
    }
}
