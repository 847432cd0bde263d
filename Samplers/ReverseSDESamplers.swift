import Foundation
import ScoreKitCore

// The reverse-SDE samplers of Song et al., "Score-Based Generative Modeling through Stochastic
// Differential Equations", ICLR 2021: three predictors on their own and the predictor–corrector
// sampler. The maths is in ReverseSDE.swift; docs/samplers/score-sde.md compares with score_sde.
//
// All four are `Integrator`s: `integrate` takes `steps` steps from each row's own σ down to
// σ_end on a time grid uniform in t, NFE = steps·(correctors + 1), and returns the VE state at
// σ_end with its noise. `sample` with N points is the same loop: N − 1 steps from t = 1 to
// t = eps, then the noise-removing last step from eps to σ = 0.

/// The keys every reverse-SDE sampler shares, and the run they describe.
enum ReverseSDEKeys {
    static let sde = SamplerKey("sde", .choice(SDEKind.allCases.map(\.rawValue)), default: "ve",
                                help: "forward process: ve, vp (linear β) or subvp")
    static let steps = SamplerKey("steps", .integer(1...1_000_000), default: "1000",
                                  help: "N: time points from t = 1 to eps; the last step removes the noise")
    static let eps = SamplerKey("eps", .real(0...0.5), default: "1e-5",
                                help: "the last time point; unless given, 1e-5 for ve and 1e-3 for vp/subvp")
    static let sigmaMin = SamplerKey("sigma_min", .real(1e-6...1e6), default: "0.01", help: "VE σ_min")
    static let sigmaMax = SamplerKey("sigma_max", .real(1e-6...1e6), default: "50", help: "VE σ_max (prior σ_max·z)")
    static let betaMin = SamplerKey("beta_min", .real(0...1e4), default: "0.1", help: "VP/sub-VP β(0)")
    static let betaMax = SamplerKey("beta_max", .real(0...1e4), default: "20", help: "VP/sub-VP β(1)")
    static let common = [sde, steps, eps, sigmaMin, sigmaMax, betaMin, betaMax]

    /// The last time point used when `eps` is not given.
    static let defaultEps: [SDEKind: Double] = [.ve: 1e-5, .vp: 1e-3, .subvp: 1e-3]

    /// The options with `eps` filled in for the process (so the spec says what ran), and the run.
    static func resolve(_ given: SamplerOptions, sampler: String, predictor: String,
                        correctors: Int = 0, corrector: String = "langevin", snr: Double = 0) throws -> (SamplerOptions, ReverseSDERun) {
        let kind: SDEKind = given.choice("sde")
        var options = given
        if !given.isExplicit("eps") { options = given.setting("eps", to: canonicalNumber(defaultEps[kind]!)) }
        let eps = options.double("eps")
        let process: any NoiseProcess, priorScale: Double
        switch kind {
        case .ve:
            let (lo, hi) = (options.double("sigma_min"), options.double("sigma_max"))
            guard lo < hi else {
                throw SamplerSpecError.invalidCombination(sampler: sampler, reason: "sigma_min=\(canonicalNumber(lo)) must be below sigma_max=\(canonicalNumber(hi))")
            }
            (process, priorScale) = (VarianceExplodingProcess(sigmaMin: lo, sigmaMax: hi), hi)
        case .vp, .subvp:
            let (lo, hi) = (options.double("beta_min"), options.double("beta_max"))
            guard lo <= hi, hi > 0 else {
                throw SamplerSpecError.invalidCombination(sampler: sampler, reason: "need beta_min ≤ beta_max and beta_max > 0; got \(canonicalNumber(lo)) and \(canonicalNumber(hi))")
            }
            guard eps > 0 else {
                throw SamplerSpecError.invalidCombination(sampler: sampler, reason: "eps must be positive for sde=\(kind.rawValue) (σ(0) = 0)")
            }
            process = kind == .vp ? VariancePreservingProcess(betaMin: lo, betaMax: hi) as any NoiseProcess
                : SubVariancePreservingProcess(betaMin: lo, betaMax: hi)
            priorScale = 1
        }
        let run = ReverseSDERun(process: process, steps: options.int("steps"), eps: eps,
                                predictor: ReverseSDEPredictors.byName[predictor]!,
                                correctors: correctors, corrector: CorrectorStepRules.byName[corrector]!, snr: snr,
                                priorScale: priorScale)
        return (options, run)
    }
}

/// The samplers of this family share one `ReverseSDERun`: planning, `sample` and `integrate`
/// all come from it.
public protocol ReverseSDESampler: Integrator {
    /// The configured run (process, grid, predictor, corrector).
    var run: ReverseSDERun { get }
}

extension ReverseSDESampler {
    public var plannedNFE: Int? { run.nfe }
    public var plannedIntegrationNFE: Int? { run.nfe }

    /// Steps set to the most whose NFE fits the budget (an explicit `steps` is checked instead).
    public func fitted(toNFE nfe: Int) throws -> Self {
        try fittedSteps(toNFE: nfe) { run.nfe(steps: $0) }
    }

    public func sample(_ model: any Denoiser, from z: Tensor, noise: any NoiseSource,
                       context: SamplingContext) throws -> Tensor {
        try run.sample(model, from: z, noise: noise, context: context)
    }

    public func integrate(_ model: any Denoiser, from x: Tensor, sigma: [Double], to sigmaEnd: Double,
                          noise: any NoiseSource, context: SamplingContext) throws -> Tensor {
        try run.integrate(model, from: x, sigma: sigma, to: sigmaEnd, noise: noise, context: context)
    }
}

/// Euler–Maruyama on the reverse-time SDE (Song et al., ICLR 2021, eq. 6):
///
///     x ← x − [f(t)·x − g(t)²·score(x, t)]·Δt + g(t)·√Δt·z,   Δt = t_i − t_{i+1}
///
/// on t_i = linspace(1, eps, N), then a last step from t = eps to t = 0 whose mean is the
/// result. In the process's own coordinates (VE `σ_max·z`, VP/sub-VP `z` at t = 1); the
/// denoiser is called in VE coordinates. For VE, t = 0 is σ_min, so samples keep about σ_min
/// of noise (as in score_sde). NFE = steps.
public struct EulerMaruyama: ReverseSDESampler {
    public static let descriptor = SamplerDescriptor(
        name: "euler-maruyama",
        summary: "reverse-time SDE, Euler–Maruyama steps (score SDE; ve, vp or subvp)",
        reference: "Song et al., Score-Based Generative Modeling through Stochastic Differential Equations, ICLR 2021",
        keys: ReverseSDEKeys.common,
        nfeRule: "NFE = steps; --nfe N sets steps = N")

    public let options: SamplerOptions
    /// The process, time grid and settings of the reverse-SDE run.
    public let run: ReverseSDERun

    public init(options: SamplerOptions) throws {
        (self.options, run) = try ReverseSDEKeys.resolve(options, sampler: Self.descriptor.name, predictor: "euler-maruyama")
    }
}

/// The reverse-diffusion predictor (Song et al., ICLR 2021, eq. 45–47): the forward process's
/// one-step kernel `x_t = r·x_next + √v·n` run backwards,
///
///     x ← (2 − r)·x + v·score(x, t) + √v·z,   r = s(t)/s(t_next),   v = s(t)²·(σ(t)² − σ(t_next)²)
///
/// — for VE `x + (σ_i² − σ_{i+1}²)·score + √(σ_i² − σ_{i+1}²)·z`, for VP
/// `(2 − √(1−β_i))·x + β_i·score + √β_i·z` with β_i = 1 − ᾱ(t_i)/ᾱ(t_{i+1}). On
/// t_i = linspace(1, eps, N); the last step goes to σ = 0 and its mean is the result
/// (for VE exactly Tweedie's `x + σ²·score`). NFE = steps.
public struct ReverseDiffusion: ReverseSDESampler {
    public static let descriptor = SamplerDescriptor(
        name: "reverse-diffusion",
        summary: "reverse diffusion: the discretised forward process run backwards (score SDE; ve, vp or subvp)",
        reference: "Song et al., Score-Based Generative Modeling through Stochastic Differential Equations, ICLR 2021",
        keys: ReverseSDEKeys.common,
        nfeRule: "NFE = steps; --nfe N sets steps = N")

    public let options: SamplerOptions
    /// The process, time grid and settings of the reverse-SDE run.
    public let run: ReverseSDERun

    public init(options: SamplerOptions) throws {
        (self.options, run) = try ReverseSDEKeys.resolve(options, sampler: Self.descriptor.name, predictor: "reverse-diffusion")
    }
}

/// Ancestral sampling (Song et al., ICLR 2021, appendix F; Ho et al., DDPM): each step draws
/// from the forward process's posterior given Tweedie's estimate of x0. In VE coordinates
///
///     x ← x + (σ_i² − σ_{i+1}²)·score + √(σ_{i+1}²·(σ_i² − σ_{i+1}²)/σ_i²)·z
///
/// for VE, VP and sub-VP alike (each adds independent noise of variance σ(t)² − σ(s)² in VE
/// coordinates); VP states are scaled back by s(t_{i+1}). For VP this is DDPM with the
/// posterior (β̃) variance. On t_i = linspace(1, eps, N); the last step goes to σ = 0 and its
/// mean (Tweedie) is the result. NFE = steps.
public struct AncestralSampling: ReverseSDESampler {
    public static let descriptor = SamplerDescriptor(
        name: "ancestral",
        summary: "ancestral sampling: draws from the forward posterior given Tweedie's x0 (score SDE; ve, vp or subvp)",
        reference: "Song et al., Score-Based Generative Modeling through Stochastic Differential Equations, ICLR 2021",
        keys: ReverseSDEKeys.common,
        nfeRule: "NFE = steps; --nfe N sets steps = N")

    public let options: SamplerOptions
    /// The process, time grid and settings of the reverse-SDE run.
    public let run: ReverseSDERun

    public init(options: SamplerOptions) throws {
        (self.options, run) = try ReverseSDEKeys.resolve(options, sampler: Self.descriptor.name, predictor: "ancestral")
    }
}

/// Predictor–corrector sampling (Song et al., ICLR 2021, Algorithm 1 with the Langevin
/// corrector of Algorithms 4–5). At each t_i = linspace(1, eps, N): `correctors` Langevin steps
///
///     x ← x + h·score + √(2h)·z,   h = 2·r·(snr·s·σ)²                (`ald`, the default)
///                                   h = 2·r·(snr·‖z‖/‖score‖)²        (`langevin`)
///
/// (r = 1 for VE, α_i for VP; s the VP scale), then one predictor step to t_{i+1}; the last
/// predictor step goes to σ = 0 and its mean is the result. `langevin` is score_sde's
/// signal-to-noise corrector with each sample's own norms — score_sde averages them over the
/// batch, making a sample depend on its batch-mates; here it does not. Per sample, that step
/// is heavy-tailed in low dimension (it grows as 1/‖score‖², and the score vanishes at a mode:
/// on gmm2d it ruins the samples), so the default is `ald`, score_sde's annealed-Langevin
/// corrector, whose step depends on the noise level alone. NFE = steps·(correctors + 1).
public struct PredictorCorrector: ReverseSDESampler {
    public static let descriptor = SamplerDescriptor(
        name: "pc",
        summary: "predictor–corrector: Langevin corrector steps, then a reverse-SDE predictor step (score SDE)",
        reference: "Song et al., Score-Based Generative Modeling through Stochastic Differential Equations, ICLR 2021",
        keys: ReverseSDEKeys.common + [
            SamplerKey("predictor", .choice(ReverseSDEPredictors.names), default: "reverse-diffusion",
                       help: "the predictor step"),
            SamplerKey("correctors", .integer(0...1000), default: "1", help: "Langevin corrector steps per point"),
            SamplerKey("corrector", .choice(CorrectorStepRules.names), default: "ald",
                       help: "step size: ald 2r(snr·σ)²; langevin 2r(snr‖z‖/‖score‖)² per sample (unstable in low dimension)"),
            SamplerKey("snr", .real(0...100), default: "0.16", help: "corrector signal-to-noise ratio"),
        ],
        nfeRule: "NFE = steps·(correctors+1); --nfe N sets steps = ⌊N/(correctors+1)⌋")

    public let options: SamplerOptions
    /// The process, time grid and settings of the reverse-SDE run.
    public let run: ReverseSDERun

    public init(options: SamplerOptions) throws {
        (self.options, run) = try ReverseSDEKeys.resolve(
            options, sampler: Self.descriptor.name, predictor: options["predictor"],
            correctors: options.int("correctors"), corrector: options["corrector"], snr: options.double("snr"))
    }
}
