import Foundation
import ScoreKitCore

/// A noise schedule on its own, written as the samplers' `schedule` key and its refinements:
/// `KIND` or `KIND:key=value,…` — `karras:sigma_min=0.01,rho=7`, `ve`, `vp`,
/// `discrete:betas=cosine,T=1000`, `custom:sigmas=10/1/0.1`. The keys are the samplers' own
/// (`NoiseSchedule.options`), so values, ranges and messages are theirs. `scorekit forward`
/// takes one.
extension NoiseSchedule {
    /// The schedule `text` describes, validated for `steps` σ's; errors are `SamplerSpecError`s
    /// naming `schedule` and the valid kinds or keys.
    public init(parsing text: String, steps: Int, catalog: SamplerCatalog = .standard) throws {
        let spec: SamplerSpec
        do { spec = try SamplerSpec(parsing: text) } catch {
            throw NoiseScheduleError(text: text, reason: "expected KIND or KIND:key=value,…")
        }
        guard let kind = Kind(rawValue: spec.name) else {
            throw NoiseScheduleError(text: text, reason: "unknown kind '\(spec.name)'; valid kinds: "
                                     + Kind.allCases.map(\.rawValue).joined(separator: ", "))
        }
        var value = NoiseSchedule.karras()
        value.kind = kind
        // A discrete table takes all its keys, including those a spec shows only when they
        // matter (beta_start/beta_end on a linear table, timesteps once given).
        let tableKeys = kind == .discrete ? Set(DiscreteTimesteps.options.map(\.key)) : []
        let keyed = Self.options.filter { $0.key != "schedule" && ($0.isApplicable(to: value) || tableKeys.contains($0.key)) }
        var seen: Set<String> = []
        for pair in spec.pairs {
            guard keyed.contains(where: { $0.key == pair.key }) else {
                let valid = keyed.isEmpty ? "none" : keyed.map(\.key).joined(separator: ", ")
                throw NoiseScheduleError(text: text, reason: "\(kind.rawValue) has no key '\(pair.key)'; valid keys: \(valid)")
            }
            guard seen.insert(pair.key).inserted else { throw NoiseScheduleError(text: text, reason: "key '\(pair.key)' given twice") }
        }
        for option in keyed {                      // declaration order: a key that refines another comes after it
            guard let given = spec.pairs.first(where: { $0.key == option.key })?.value else { continue }
            do { try option.apply(given, to: &value, parsing: SpecParsing(catalog: catalog)) } catch let error as InvalidOptionValue {
                throw NoiseScheduleError(text: text, reason: "\(option.key)=\(given) is invalid; expected \(error.expected)")
            }
        }
        do { try value.validate(steps: steps, sampler: "schedule") } catch let SamplerSpecError.invalidCombination(_, reason) {
            throw NoiseScheduleError(text: text, reason: reason)
        }
        self = value
    }

    /// The `steps` σ's a sampler with this schedule visits (descending, all > 0), an unset σ
    /// range taken from `modelRange`.
    public func sampleSigmas(steps: Int, modelRange: ClosedRange<Double>) -> [Double] {
        levels(steps: steps, modelRange: modelRange).sampleSigmas
    }

    /// Whether the schedule belongs to the variance-preserving process (`vp`, `discrete`),
    /// whose state is `√ᾱ·x0 + √(1−ᾱ)·z` with `ᾱ = 1/(1+σ²)`.
    public var isVariancePreserving: Bool { kind == .vp || kind == .discrete }

    /// The schedule's spec text (`KIND:key=value,…`, every applicable key given).
    public var specText: String {
        let pairs = Self.options.filter { $0.key != "schedule" && $0.isApplicable(to: self) }
            .compactMap { o in o.textIfApplicable(self).map { "\(o.key)=\($0)" } }
        return pairs.isEmpty ? kind.rawValue : kind.rawValue + ":" + pairs.joined(separator: ",")
    }
}

/// A noise schedule's text that does not parse or does not fit together.
public struct NoiseScheduleError: DescribedError, Equatable {
    /// The text as given.
    public let text: String
    /// What is wrong, naming the valid kinds or keys.
    public let reason: String

    /// "schedule 'TEXT': REASON".
    public var description: String { "schedule '\(text)': \(reason)" }
}
