import Foundation

/// One option of the sampler type `S`, declared once: its key in spec strings, the typed
/// property it reads and writes, the values it takes and a line of help.
///
/// A sampler's declaration lists its options; parsing a spec, printing it, validating its
/// values and `scorekit samplers` all read that list, and the sampler's own initialiser sets
/// the same properties — so a key cannot drift from the property it names.
///
/// ```swift
/// .integer("steps", \.steps, in: 1...100_000, auto: "50, or the most --nfe allows", help: "…")
/// .real("eta", \.eta, in: 0...1, help: "stochasticity η")
/// .choice("spacing", \.timesteps.spacing, help: "…")
/// ```
public struct SamplerOption<S>: Sendable {
    /// The key as written in a spec.
    public let key: String
    /// The valid values, in words (for errors and `scorekit samplers`).
    public let values: String
    /// One line on what it does.
    public let help: String
    /// What an unset (`auto`) value becomes, if the option can be left unset.
    public let auto: String?
    /// Whether the value is itself a sampler, written `KEY=NAME` plus `KEY.k=v` pairs for
    /// its own keys (DLG's integrator). Its text is then a whole spec, `NAME:k=v,…`.
    public let isNested: Bool
    /// The canonical text of the value in `s`, whether or not the option applies to `s`.
    let text: @Sendable (S) -> String
    /// Whether the option applies to `s` (a spec leaves out the options that do not).
    let applies: @Sendable (S) -> Bool
    /// Sets the value from text; throws `InvalidOptionValue` when the text is not valid.
    let write: @Sendable (inout S, String, SpecParsing) throws -> Void

    /// An option from its parts; prefer the typed constructors (`integer`, `real`, `choice`, `flag`).
    public init(key: String, values: String, help: String, auto: String? = nil, isNested: Bool = false,
                text: @escaping @Sendable (S) -> String, applies: (@Sendable (S) -> Bool)? = nil,
                write: @escaping @Sendable (inout S, String, SpecParsing) throws -> Void) {
        self.key = key
        self.values = values
        self.help = help
        self.auto = auto
        self.isNested = isNested
        self.text = text
        self.applies = applies ?? { _ in true }
        self.write = write
    }

    /// The canonical text of the value in `s`, or nil when the option does not apply to `s`.
    func read(_ s: S) -> String? { applies(s) ? text(s) : nil }

    /// Sets the option in `value` from `text` (for values parsed outside a sampler spec, such
    /// as a noise schedule on its own); throws `InvalidOptionValue` for text it does not take.
    public func apply(_ text: String, to value: inout S, parsing: SpecParsing) throws {
        try write(&value, text, parsing)
    }

    /// The canonical text of the value in `value`, or nil when the option does not apply to it.
    public func textIfApplicable(_ value: S) -> String? { read(value) }

    /// Whether the option applies to `value` (a spec of `value` lists it).
    public func isApplicable(to value: S) -> Bool { applies(value) }
}

/// What parsing a spec value may need besides the text: the catalog nested samplers are
/// resolved against (DLG's integrator).
public struct SpecParsing: Sendable {
    /// The catalog the spec is resolved against.
    public let catalog: SamplerCatalog
    /// Parsing against `catalog`.
    public init(catalog: SamplerCatalog) { self.catalog = catalog }
}

/// A value that is not one of an option's valid values; `expected` says what is.
public struct InvalidOptionValue: Error {
    /// What the valid values are (or why this one is not).
    public let expected: String
    /// An error saying what was expected.
    public init(expected: String) { self.expected = expected }
}

/// The word an unset option prints as, and parses from.
public let autoValue = "auto"

extension SamplerOption {
    /// An integer in `range`.
    public static func integer(_ key: String, _ path: WritableKeyPath<S, Int> & Sendable, in range: ClosedRange<Int>,
                               help: String, when applies: (@Sendable (S) -> Bool)? = nil) -> Self {
        let values = integerSummary(range)
        return Self(key: key, values: values, help: help,
                    text: { s in String(s[keyPath: path]) }, applies: applies,
                    write: { s, text, _ in s[keyPath: path] = try parseInteger(text, range, values) })
    }

    /// An integer in `range`, or unset (nil, written `auto`): chosen by the sampler (`auto`
    /// says how — typically from the NFE budget or the model).
    public static func integer(_ key: String, _ path: WritableKeyPath<S, Int?> & Sendable, in range: ClosedRange<Int>,
                               auto: String, help: String, when applies: (@Sendable (S) -> Bool)? = nil) -> Self {
        let values = integerSummary(range) + " or auto"
        return Self(key: key, values: values, help: help, auto: auto,
                    text: { s in s[keyPath: path].map { String($0) } ?? autoValue }, applies: applies,
                    write: { s, text, _ in s[keyPath: path] = text == autoValue ? nil : try parseInteger(text, range, values) })
    }

    /// A finite real number in `range`.
    public static func real(_ key: String, _ path: WritableKeyPath<S, Double> & Sendable, in range: ClosedRange<Double>,
                            help: String, when applies: (@Sendable (S) -> Bool)? = nil) -> Self {
        let values = realSummary(range)
        return Self(key: key, values: values, help: help,
                    text: { s in canonicalNumber(s[keyPath: path]) }, applies: applies,
                    write: { s, text, _ in s[keyPath: path] = try parseReal(text, range, values) })
    }

    /// A finite real number in `range`, or unset (nil, written `auto`).
    public static func real(_ key: String, _ path: WritableKeyPath<S, Double?> & Sendable, in range: ClosedRange<Double>,
                            auto: String, help: String, when applies: (@Sendable (S) -> Bool)? = nil) -> Self {
        let values = realSummary(range) + " or auto"
        return Self(key: key, values: values, help: help, auto: auto,
                    text: { s in s[keyPath: path].map(canonicalNumber) ?? autoValue }, applies: applies,
                    write: { s, text, _ in s[keyPath: path] = text == autoValue ? nil : try parseReal(text, range, values) })
    }

    /// One of the cases of a string enum, by raw value.
    public static func choice<E: CaseIterable & RawRepresentable & Sendable>(
        _ key: String, _ path: WritableKeyPath<S, E> & Sendable, help: String,
        when applies: (@Sendable (S) -> Bool)? = nil) -> Self where E.RawValue == String {
        let values = E.allCases.map(\.rawValue).joined(separator: "|")
        return Self(key: key, values: values, help: help,
                    text: { s in s[keyPath: path].rawValue }, applies: applies,
                    write: { s, text, _ in
                        guard let v = E(rawValue: text) else { throw InvalidOptionValue(expected: values) }
                        s[keyPath: path] = v
                    })
    }

    /// `true` or `false` (also accepted: 1/0, yes/no, on/off).
    public static func flag(_ key: String, _ path: WritableKeyPath<S, Bool> & Sendable, help: String,
                            when applies: (@Sendable (S) -> Bool)? = nil) -> Self {
        Self(key: key, values: "true|false", help: help,
             text: { s in String(s[keyPath: path]) }, applies: applies,
             write: { s, text, _ in
                 switch text.lowercased() {
                 case "true", "1", "yes", "on": s[keyPath: path] = true
                 case "false", "0", "no", "off": s[keyPath: path] = false
                 default: throw InvalidOptionValue(expected: "true|false")
                 }
             })
    }

    /// A sampler from the catalog the spec is parsed against, of type `T` (for example
    /// `any Integrator`), set as a whole: `KEY=NAME` and `KEY.k=v` for its keys.
    public static func sampler<T: Sendable>(_ key: String, _ path: WritableKeyPath<S, T> & Sendable, as: T.Type,
                                            spec: @escaping @Sendable (T) -> String,
                                            accepts: @escaping @Sendable (any Sampler) -> T?,
                                            names: @escaping @Sendable (SamplerCatalog) -> [String],
                                            kind: String, help: String) -> Self {
        Self(key: key, values: kind, help: help, isNested: true,
             text: { spec($0[keyPath: path]) },
             write: { s, text, parsing in
                 let valid = names(parsing.catalog).joined(separator: "|")
                 let made: any Sampler
                 do {
                     made = try parsing.catalog.sampler(text)
                 } catch SamplerSpecError.unknownSampler {
                     throw InvalidOptionValue(expected: valid)
                 }
                 guard let value = accepts(made) else { throw InvalidOptionValue(expected: valid) }
                 s[keyPath: path] = value
             })
    }

    /// This option, applying (and printed) only where `applies` holds as well.
    public func onlyWhen(_ applies: @escaping @Sendable (S) -> Bool) -> SamplerOption<S> {
        let applied = self.applies
        return SamplerOption(key: key, values: values, help: help, auto: auto, isNested: isNested,
                             text: text, applies: { applies($0) && applied($0) }, write: write)
    }

    /// This option for a sampler that holds an `S` at `path` (options shared by several
    /// samplers, such as a schedule's, are declared once on the shared type).
    public func lifted<T>(_ path: WritableKeyPath<T, S> & Sendable) -> SamplerOption<T> {
        let text = self.text, applies = self.applies, write = self.write
        return SamplerOption<T>(key: key, values: values, help: help, auto: auto, isNested: isNested,
                                text: { text($0[keyPath: path]) }, applies: { applies($0[keyPath: path]) },
                                write: { t, text, parsing in try write(&t[keyPath: path], text, parsing) })
    }
}

private func integerSummary(_ r: ClosedRange<Int>) -> String {
    r.upperBound == .max ? "an integer ≥ \(r.lowerBound)" : "an integer in \(r.lowerBound)…\(r.upperBound)"
}

private func realSummary(_ r: ClosedRange<Double>) -> String {
    r.upperBound.isInfinite ? "a number ≥ \(canonicalNumber(r.lowerBound))"
        : "a number in \(canonicalNumber(r.lowerBound))…\(canonicalNumber(r.upperBound))"
}

private func parseInteger(_ text: String, _ range: ClosedRange<Int>, _ values: String) throws -> Int {
    guard let v = Int(text), range.contains(v) else { throw InvalidOptionValue(expected: values) }
    return v
}

private func parseReal(_ text: String, _ range: ClosedRange<Double>, _ values: String) throws -> Double {
    guard let v = Double(text), v.isFinite, range.contains(v) else { throw InvalidOptionValue(expected: values) }
    return v
}

/// Formats a real number the way specs print it: shortest round-tripping form, no trailing `.0`.
public func canonicalNumber(_ v: Double) -> String {
    if v == v.rounded(), abs(v) < 1e15 { return String(Int(v)) }
    return "\(v)"
}
