/// Everything ScoreKit knows about a sampler type, in one place: the names it goes by in
/// spec strings, what each is, and its options. Parsing, printing, validation and `scorekit
/// samplers` all come from it.
///
/// Most types have one name. A family that is one algorithm with settings has several
/// *presets* — `euler`, `heun` and `heun-churn` are one type — each a name with a starting
/// value, the options a spec may set, and a test that tells whether a value is that preset's
/// (the first preset that matches names a value when it is printed).
public struct SamplerDeclaration<S: Sampler>: Sendable {
    /// One name of the sampler type.
    public struct Preset: Sendable {
        /// The name used in specs.
        public let name: String
        /// One line: what it is.
        public let summary: String
        /// The paper it implements.
        public let reference: String
        /// How many denoiser calls per sample it makes, and how `--nfe` sets its steps.
        public let nfeRule: String
        /// The value the name stands for before any key is applied.
        public let base: S
        /// The options a spec of this name may set, in the order specs print them.
        public let options: [SamplerOption<S>]
        /// Whether a value is this preset's (printed under this name).
        let matches: @Sendable (S) -> Bool

        /// A preset. `matches` defaults to "always" (the last or only preset).
        public init(name: String, summary: String, reference: String, nfeRule: String, base: S,
                    options: [SamplerOption<S>], matches: @escaping @Sendable (S) -> Bool = { _ in true }) {
            self.name = name
            self.summary = summary
            self.reference = reference
            self.nfeRule = nfeRule
            self.base = base
            self.options = options
            self.matches = matches
        }

        /// The option with key `key`, if the preset has one.
        public func option(_ key: String) -> SamplerOption<S>? { options.first { $0.key == key } }
    }

    /// The presets, in the order `scorekit samplers` lists them.
    public let presets: [Preset]

    /// A declaration with several presets.
    public init(presets: [Preset]) {
        precondition(!presets.isEmpty, "a sampler declaration needs a preset")
        self.presets = presets
    }

    /// A declaration with one name.
    public init(name: String, summary: String, reference: String, nfeRule: String, base: S,
                options: [SamplerOption<S>]) {
        self.init(presets: [Preset(name: name, summary: summary, reference: reference, nfeRule: nfeRule,
                                   base: base, options: options)])
    }

    /// The preset a value prints as.
    public func preset(of value: S) -> Preset {
        presets.first { $0.matches(value) } ?? presets[presets.count - 1]
    }

    /// The value a preset name and its `key=value` pairs describe, validated. Keys are
    /// applied in the preset's order (so `schedule` is set before the keys that refine it),
    /// whatever their order in the spec.
    public func value(preset name: String, pairs: [(key: String, value: String)], parsing: SpecParsing) throws -> S {
        guard let preset = presets.first(where: { $0.name == name }) else {
            throw SamplerSpecError.unknownSampler(name, valid: presets.map(\.name))
        }
        var given: [String: String] = [:]
        var nested: [String: [String]] = [:]              // nested option key → its "k=v" pairs
        for (key, text) in pairs {
            if let dot = key.firstIndex(of: "."), let o = preset.option(String(key[..<dot])), o.isNested {
                nested[o.key, default: []].append("\(key[key.index(after: dot)...])=\(text)")
                continue
            }
            guard preset.option(key) != nil else {
                throw SamplerSpecError.unknownKey(sampler: name, key: key, valid: preset.options.map(\.key))
            }
            guard given[key] == nil else { throw SamplerSpecError.duplicateKey(sampler: name, key: key) }
            given[key] = text
        }
        var value = preset.base
        for option in preset.options {
            var text = given[option.key]
            if option.isNested, let sub = nested[option.key] {
                text = Self.nestedSpec(name: text, overrides: sub, current: option.read(value))
            }
            guard let text else { continue }
            do {
                try option.write(&value, text, parsing)
            } catch let error as InvalidOptionValue {
                throw SamplerSpecError.badValue(sampler: name, key: option.key, value: given[option.key] ?? text, expected: error.expected)
            } catch let error as SamplerSpecError where option.isNested {
                throw error.nested(in: name, key: option.key, keys: preset.options.map(\.key))
            }
        }
        return try value.validated()
    }

    /// The spec of a nested sampler: the named one with `overrides`, or — with no name — the
    /// current one (`current`, a whole spec) with `overrides` replacing its keys.
    private static func nestedSpec(name: String?, overrides: [String], current: String?) -> String {
        if let name { return name + ":" + overrides.joined(separator: ",") }
        guard let current, let spec = try? SamplerSpec(parsing: current) else { return ":" + overrides.joined(separator: ",") }
        var pairs = spec.pairs
        for o in overrides {
            let kv = o.split(separator: "=", maxSplits: 1).map(String.init)
            let pair = SamplerSpec.Pair(key: kv[0], value: kv.count > 1 ? kv[1] : "")
            if let i = pairs.firstIndex(where: { $0.key == pair.key }) { pairs[i] = pair } else { pairs.append(pair) }
        }
        return SamplerSpec(name: spec.name, pairs: pairs).description
    }

    /// The spec that recreates `value`: its preset's name and every option that applies.
    public func spec(of value: S) -> SamplerSpec {
        let preset = preset(of: value)
        return SamplerSpec(name: preset.name, pairs: preset.options.flatMap { option -> [SamplerSpec.Pair] in
            guard let text = option.read(value) else { return [] }
            guard option.isNested, let inner = try? SamplerSpec(parsing: text) else { return [.init(key: option.key, value: text)] }
            return [.init(key: option.key, value: inner.name)] + inner.pairs.map { .init(key: option.key + "." + $0.key, value: $0.value) }
        })
    }
}

extension SamplerSpecError {
    /// This error of a nested sampler, restated for the outer sampler `outer` whose option
    /// `key` holds it (its keys then read `key.k`).
    func nested(in outer: String, key: String, keys: [String]) -> SamplerSpecError {
        switch self {
        case let .unknownKey(_, k, valid):
            .unknownKey(sampler: outer, key: key + "." + k, valid: keys + valid.map { key + "." + $0 })
        case let .badValue(_, k, value, expected):
            .badValue(sampler: outer, key: key + "." + k, value: value, expected: expected)
        case let .duplicateKey(_, k):
            .duplicateKey(sampler: outer, key: key + "." + k)
        case let .unknownSampler(name, valid):
            .badValue(sampler: outer, key: key, value: name, expected: valid.joined(separator: "|"))
        case let .invalidCombination(inner, reason):
            .invalidCombination(sampler: outer, reason: "\(key) \(inner): \(reason)")
        default:
            self
        }
    }
}

/// What `scorekit samplers` prints about one sampler name, independent of its type.
public struct SamplerDescription: Sendable {
    /// One option: key, valid values, default (as printed), help.
    public struct Option: Sendable {
        /// The key, the values it takes, its default as a spec shows it, and a line of help.
        public let key: String, values: String, defaultValue: String, help: String
    }
    /// The name, one line on what it is, the paper and the NFE rule.
    public let name: String, summary: String, reference: String, nfeRule: String
    /// Its options in spec order.
    public let options: [Option]
}

extension SamplerDeclaration.Preset {
    /// This preset as `scorekit samplers` describes it.
    public var description: SamplerDescription {
        SamplerDescription(name: name, summary: summary, reference: reference, nfeRule: nfeRule,
                           options: options.map { o in
                               .init(key: o.key, values: o.values, defaultValue: defaultText(of: o), help: o.help)
                           })
    }

    /// The default `scorekit samplers` prints: the base value's, `auto (what it becomes)`, and
    /// for an option the base value does not use (a schedule key of another schedule), the
    /// value it takes once it applies, marked so; "—" when there is none (an empty list).
    private func defaultText(of option: SamplerOption<S>) -> String {
        let text = option.text(base)
        let shown = text == autoValue ? "auto (\(option.auto ?? ""))" : text
        if text.isEmpty { return "—" }
        return option.applies(base) ? shown : shown + " (where it applies)"
    }
}
