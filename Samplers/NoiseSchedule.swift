import Foundation
import ScoreKitCore

/// The σ's a sampler that steps in σ visits (Euler, Heun, DPM-Solver++): the `schedule` key
/// and its refinements. All in Float64.
///
/// | case | σ's `sample` visits (N = steps) | spec keys |
/// |---|---|---|
/// | `karras` | `(σ_max^{1/ρ} + i/(N−1)·(σ_min^{1/ρ} − σ_max^{1/ρ}))^ρ` (Karras et al. 2022, eq. 5) | sigma_min, sigma_max, rho |
/// | `ve` | `σ_min·(σ_max/σ_min)^t`, t uniform from 1 to 1e-5 (score_sde's VE grid) | sigma_min, sigma_max |
/// | `exponential` | `σ_min·(σ_max/σ_min)^t`, t uniform from 1 to 0: uniform in log σ, both ends included (k-diffusion's `get_sigmas_exponential`) | sigma_min, sigma_max |
/// | `polyexponential` | `σ_min·(σ_max/σ_min)^{t^ρ}`, t uniform from 1 to 0 (k-diffusion's `get_sigmas_polyexponential`; ρ = 1 is `exponential`, ρ > 1 crowds the steps towards sigma_min) | sigma_min, sigma_max, rho (default 1) |
/// | `vp` | continuous VP (β 0.1…20): `σ(t) = √(1/ᾱ(t) − 1)`, t uniform from 1 to 1e-3 | — |
/// | `discrete` | `σ_t = √((1−ᾱ_t)/ᾱ_t)` of the DDPM table at the spacing's timesteps | spacing, betas, T |
/// | `custom` | the given σ's, strictly decreasing, all > 0 | sigmas (a list, or `@FILE`) |
///
/// An unset σ range (`nil`, `auto` in specs) is the model's `sigmaRange` where that is a
/// finite range above 0, else 0.002…80 (EDM's). `sample` starts from the first σ (the prior
/// `σ_0·z`) and ends with the sampler's own step to σ = 0. An integration from a row's own
/// σ_r to σ_end lays the same kind over `[σ_end, σ_r]` (see `NoiseLevelRule`).
public enum NoiseSchedule: Sendable, Hashable {
    /// Karras et al.'s schedule, uniform in σ^{1/ρ}.
    case karras(sigmaMin: Double? = nil, sigmaMax: Double? = nil, rho: Double = 7)
    /// Geometric (uniform in log σ), score_sde's VE grid.
    case ve(sigmaMin: Double? = nil, sigmaMax: Double? = nil)
    /// Uniform in log σ from σ_max to σ_min, both included (k-diffusion's exponential schedule).
    case exponential(sigmaMin: Double? = nil, sigmaMax: Double? = nil)
    /// Uniform in (log σ − log σ_min)^{1/ρ} (k-diffusion's polyexponential schedule).
    case polyexponential(sigmaMin: Double? = nil, sigmaMax: Double? = nil, rho: Double = 1)
    /// The continuous VP process's σ(t), uniform in t.
    case vp
    /// A DDPM table's σ's at a spacing's timesteps.
    case discrete(DiscreteTimesteps = DiscreteTimesteps(spacing: .linspace))
    /// Your own σ's, descending, all > 0 (the final step to 0 is the sampler's).
    case custom([Double])

    /// The schedule kinds, as the `schedule` key names them.
    public enum Kind: String, Sendable, CaseIterable {
        case karras, ve, vp, discrete, exponential, polyexponential, custom
    }

    /// EDM's σ range, used when neither the user nor the model gives one.
    public static let defaultRange = 0.002...80.0

    /// The kind; setting it keeps the σ range where both kinds have one.
    public var kind: Kind {
        get {
            switch self {
            case .karras: .karras
            case .ve: .ve
            case .vp: .vp
            case .discrete: .discrete
            case .exponential: .exponential
            case .polyexponential: .polyexponential
            case .custom: .custom
            }
        }
        set {
            guard newValue != kind else { return }
            switch newValue {
            case .karras: self = .karras(sigmaMin: sigmaMin, sigmaMax: sigmaMax)
            case .ve: self = .ve(sigmaMin: sigmaMin, sigmaMax: sigmaMax)
            case .vp: self = .vp
            case .discrete: self = .discrete()
            case .exponential: self = .exponential(sigmaMin: sigmaMin, sigmaMax: sigmaMax)
            case .polyexponential: self = .polyexponential(sigmaMin: sigmaMin, sigmaMax: sigmaMax)
            case .custom: self = .custom([])
            }
        }
    }

    /// Whether the kind spans a σ range (`sigma_min`, `sigma_max`): karras, ve, exponential, polyexponential.
    public var hasSigmaRange: Bool { [.karras, .ve, .exponential, .polyexponential].contains(kind) }

    /// The σ range's ends (see `hasSigmaRange`); nil where unset or not applicable.
    public var sigmaMin: Double? {
        get { range?.lo }
        set { if let range { setRange(newValue, range.hi) } }
    }

    /// See `sigmaMin`.
    public var sigmaMax: Double? {
        get { range?.hi }
        set { if let range { setRange(range.lo, newValue) } }
    }

    /// The ends of a kind with a σ range (each may be unset); nil for other kinds.
    private var range: (lo: Double?, hi: Double?)? {
        switch self {
        case let .karras(lo, hi, _), let .polyexponential(lo, hi, _): (lo, hi)
        case let .ve(lo, hi), let .exponential(lo, hi): (lo, hi)
        case .vp, .discrete, .custom: nil
        }
    }

    private mutating func setRange(_ lo: Double?, _ hi: Double?) {
        switch self {
        case .karras(_, _, let rho): self = .karras(sigmaMin: lo, sigmaMax: hi, rho: rho)
        case .ve: self = .ve(sigmaMin: lo, sigmaMax: hi)
        case .exponential: self = .exponential(sigmaMin: lo, sigmaMax: hi)
        case .polyexponential(_, _, let rho): self = .polyexponential(sigmaMin: lo, sigmaMax: hi, rho: rho)
        case .vp, .discrete, .custom: break
        }
    }

    /// ρ: Karras's (default 7) or polyexponential's (default 1); 7 for other kinds, where it
    /// does not apply.
    public var rho: Double {
        get {
            switch self {
            case .karras(_, _, let rho), .polyexponential(_, _, let rho): rho
            default: 7
            }
        }
        set {
            if case .karras(let lo, let hi, _) = self { self = .karras(sigmaMin: lo, sigmaMax: hi, rho: newValue) }
            if case .polyexponential(let lo, let hi, _) = self { self = .polyexponential(sigmaMin: lo, sigmaMax: hi, rho: newValue) }
        }
    }

    /// The discrete table and spacing (the default where it does not apply).
    public var table: DiscreteTimesteps {
        get { if case .discrete(let t) = self { t } else { DiscreteTimesteps(spacing: .linspace) } }
        set { if case .discrete = self { self = .discrete(newValue) } }
    }

    /// The custom σ's (empty for other kinds).
    public var customSigmas: [Double] {
        get { if case .custom(let s) = self { s } else { [] } }
        set { if case .custom = self { self = .custom(newValue) } }
    }

    /// The number of σ's it gives for `steps` (custom: its own length).
    public func count(steps: Int) -> Int { kind == .custom ? customSigmas.count : steps }

    /// This schedule with an unset σ range filled in: from `model` if its range is finite and
    /// above 0, else `defaultRange`.
    public func resolved(modelRange: ClosedRange<Double>) -> NoiseSchedule {
        guard hasSigmaRange else { return self }
        let usable = modelRange.lowerBound > 0 && modelRange.upperBound.isFinite && modelRange.lowerBound < modelRange.upperBound
        let range = usable ? modelRange : Self.defaultRange
        var out = self
        if sigmaMin == nil { out.sigmaMin = range.lowerBound }
        if sigmaMax == nil { out.sigmaMax = range.upperBound }
        return out
    }

    /// Throws unless the settings fit together (σ_min < σ_max; a custom list strictly
    /// decreasing, positive and finite; steps ≤ T).
    func validate(steps: Int, sampler: String) throws {
        let range = (sigmaMin ?? Self.defaultRange.lowerBound, sigmaMax ?? Self.defaultRange.upperBound)
        if hasSigmaRange, !(range.0 < range.1) {
            throw SamplerSpecError.invalidCombination(sampler: sampler, reason: "sigma_min=\(canonicalNumber(range.0)) must be below sigma_max=\(canonicalNumber(range.1))")
        }
        if kind == .discrete { try table.validateBetas(sampler: sampler) }
        if kind == .discrete, steps > table.trainSteps {
            throw SamplerSpecError.invalidCombination(sampler: sampler, reason: "schedule=discrete: steps=\(steps) exceeds T=\(table.trainSteps)")
        }
        if kind == .custom, let problem = SigmaList.problem(customSigmas) {
            throw SamplerSpecError.invalidCombination(sampler: sampler, reason: "schedule=custom: sigmas \(problem)")
        }
    }

    /// The rule for `steps` σ's, the range resolved against `modelRange`.
    func rule(steps: Int, modelRange: ClosedRange<Double>) -> any NoiseLevelRule {
        let s = resolved(modelRange: modelRange)
        switch s {
        case let .karras(lo, hi, rho): return KarrasRule(steps: steps, range: lo!...hi!, rho: rho)
        case let .ve(lo, hi): return GeometricRule(steps: steps, range: lo!...hi!)
        case let .exponential(lo, hi): return PolyExponentialRule(steps: steps, range: lo!...hi!, rho: 1)
        case let .polyexponential(lo, hi, rho): return PolyExponentialRule(steps: steps, range: lo!...hi!, rho: rho)
        case .vp: return VPTimeRule(steps: steps)
        case .discrete(let t): return DiscreteRule(table: DiscreteSigmaTable(t.schedule), timesteps: t.timesteps(steps: steps))
        case .custom(let sigmas): return PatternRule(sampleSigmas: sigmas)
        }
    }

    /// The spec keys of a schedule, declared once for every sampler that takes one.
    static let options: [SamplerOption<NoiseSchedule>] = [
        .choice("schedule", \.kind, help: "σ schedule: karras (EDM), ve (geometric), vp (continuous VP time), discrete (DDPM table), "
                + "exponential (uniform in log σ), polyexponential (log σ on a power ramp), custom (sigmas=…)"),
        .real("sigma_min", \.sigmaMin, in: 1e-6...1e6, auto: "the model's σ range, else 0.002",
              help: "smallest σ > 0 (karras, ve, exponential, polyexponential)", when: { $0.hasSigmaRange }),
        .real("sigma_max", \.sigmaMax, in: 1e-6...1e6, auto: "the model's σ range, else 80",
              help: "largest σ, the prior's (karras, ve, exponential, polyexponential)", when: { $0.hasSigmaRange }),
        .real("rho", \.rho, in: 0.01...100, help: "karras: ρ, how the steps crowd towards sigma_min (7); polyexponential: the ramp's power (1)",
              when: { $0.kind == .karras || $0.kind == .polyexponential }),
    ] + DiscreteTimesteps.options.map { $0.lifted(\.table) }.map { o in o.onlyWhen { $0.kind == .discrete } } + [
        SigmaList.option(key: "sigmas", \.customSigmas, help: "custom: the σ's, descending (a/b/c or @FILE: numbers, or a JSON array)",
                         when: { $0.kind == .custom }),
    ]
}
