import Foundation
import ScoreKitCore

/// The reverse-SDE samplers of Song et al., "Score-Based Generative Modeling through
/// Stochastic Differential Equations", ICLR 2021: one predictor step per time point on
/// t_i = linspace(1, eps, N), after `correctors` Langevin corrector steps; the last predictor
/// step goes to σ = 0 and its mean is the result. In the process's own coordinates (VE
/// `σ_max·z`, VP/sub-VP `z` at t = 1); the denoiser is called in VE coordinates. The maths of
/// the predictors and correctors is in ReverseSDE.swift; docs/samplers/score-sde.md compares
/// with score_sde. Four presets:
///
/// - `euler-maruyama` (eq. 6): `x ← x − [f(t)·x − g(t)²·score]·Δt + g(t)·√Δt·z`. For VE, t = 0
///   is σ_min, so samples keep about σ_min of noise (as in score_sde).
/// - `reverse-diffusion` (eq. 45–47): the forward kernel run backwards,
///   `x ← (2 − r)·x + v·score + √v·z`, r = s(t)/s(t_next), v = s(t)²·(σ(t)² − σ(t_next)²).
/// - `ancestral` (appendix F; DDPM): a draw from the forward posterior given Tweedie's x0,
///   `x ← x + (σ_i² − σ_{i+1}²)·score + √(σ_{i+1}²(σ_i² − σ_{i+1}²)/σ_i²)·z` in VE coordinates.
/// - `pc` (Algorithm 1, correctors of Algorithms 4–5): Langevin steps `x ← x + h·score +
///   √(2h)·z` with `h = 2r(snr·s·σ)²` (`ald`, the default) or `2r(snr·‖z‖/‖score‖)²`
///   (`langevin`, score_sde's signal-to-noise rule with each sample's own norms — unstable in
///   low dimension, as the step grows as 1/‖score‖² at a mode), then the predictor.
///
/// As an integrator, each row takes `steps` steps from its own σ down to σ_end on a grid
/// uniform in t and ends with its noise. NFE = steps·(correctors + 1).
public struct ReverseSDESampler: Integrator, Equatable {
    /// The forward process (`sde` key).
    public var sde: SDEKind
    /// N, time points from t = 1 to eps; nil: 1000, or the most an NFE budget allows.
    public var steps: Int?
    /// The last time point; nil: 1e-5 for VE, 1e-3 for VP and sub-VP.
    public var eps: Double?
    /// VE σ_min and σ_max; nil: the model's σ range (`sigmaRange`; 0.002 … 80 where it has
    /// none).
    public var sigmaMin: Double?, sigmaMax: Double?
    /// VP/sub-VP β(0) and β(1).
    public var betaMin: Double, betaMax: Double
    /// The predictor step.
    public var predictor: ReverseSDEPredictorKind
    /// Langevin corrector steps per point (0 for the plain predictors).
    public var correctors: Int
    /// How the corrector sizes its step.
    public var corrector: CorrectorStepKind
    /// The corrector's signal-to-noise ratio.
    public var snr: Double

    /// A sampler; see the properties. The defaults are `reverse-diffusion` on score_sde's VE
    /// process, over the model's σ range.
    public init(sde: SDEKind = .ve, steps: Int? = nil, eps: Double? = nil, sigmaMin: Double? = nil, sigmaMax: Double? = nil,
                betaMin: Double = 0.1, betaMax: Double = 20, predictor: ReverseSDEPredictorKind = .reverseDiffusion,
                correctors: Int = 0, corrector: CorrectorStepKind = .ald, snr: Double = 0.16) {
        self.sde = sde
        self.steps = steps
        self.eps = eps
        self.sigmaMin = sigmaMin
        self.sigmaMax = sigmaMax
        self.betaMin = betaMin
        self.betaMax = betaMax
        self.predictor = predictor
        self.correctors = correctors
        self.corrector = corrector
        self.snr = snr
    }

    public static let declaration: SamplerDeclaration<ReverseSDESampler> = {
        let reference = "Song et al., Score-Based Generative Modeling through Stochastic Differential Equations, ICLR 2021"
        let common: [SamplerOption<ReverseSDESampler>] = [
            .choice("sde", \.sde, help: "forward process: ve, vp (linear β) or subvp"),
            .integer("steps", \.steps, in: 1...1_000_000, auto: "1000, or the most --nfe allows",
                     help: "N: time points from t = 1 to eps; the last step removes the noise"),
            .real("eps", \.eps, in: 0...0.5, auto: "1e-5 for ve, 1e-3 for vp/subvp", help: "the last time point"),
            .real("sigma_min", \.sigmaMin, in: 1e-6...1e6, auto: "the model's σ range, else 0.002", help: "VE σ_min",
                  when: { $0.sde == .ve }),
            .real("sigma_max", \.sigmaMax, in: 1e-6...1e6, auto: "the model's σ range, else 80", help: "VE σ_max (prior σ_max·z)",
                  when: { $0.sde == .ve }),
            .real("beta_min", \.betaMin, in: 0...1e4, help: "VP/sub-VP β(0)"),
            .real("beta_max", \.betaMax, in: 0...1e4, help: "VP/sub-VP β(1)"),
        ]
        func plain(_ p: ReverseSDEPredictorKind, _ summary: String) -> SamplerDeclaration<ReverseSDESampler>.Preset {
            .init(name: p.rawValue, summary: summary, reference: reference, nfeRule: "NFE = steps; --nfe N sets steps = N",
                  base: ReverseSDESampler(predictor: p), options: common, matches: { $0.correctors == 0 && $0.predictor == p })
        }
        return SamplerDeclaration(presets: [
            plain(.eulerMaruyama, "reverse-time SDE, Euler–Maruyama steps (score SDE; ve, vp or subvp)"),
            plain(.reverseDiffusion, "reverse diffusion: the discretised forward process run backwards (score SDE; ve, vp or subvp)"),
            plain(.ancestral, "ancestral sampling: draws from the forward posterior given Tweedie's x0 (score SDE; ve, vp or subvp)"),
            .init(name: "pc", summary: "predictor–corrector: Langevin corrector steps, then a reverse-SDE predictor step (score SDE)",
                  reference: reference, nfeRule: "NFE = steps·(correctors+1); --nfe N sets steps = ⌊N/(correctors+1)⌋",
                  base: ReverseSDESampler(correctors: 1), options: common + [
                      .choice("predictor", \.predictor, help: "the predictor step"),
                      .integer("correctors", \.correctors, in: 0...1000, help: "Langevin corrector steps per point"),
                      .choice("corrector", \.corrector,
                              help: "step size: ald 2r(snr·σ)²; langevin 2r(snr‖z‖/‖score‖)² per sample (unstable in low dimension)"),
                      .real("snr", \.snr, in: 0...100, help: "corrector signal-to-noise ratio"),
                  ]),
        ])
    }()

    var stepCount: Int { steps ?? 1000 }
    /// The last time point used.
    public var lastTime: Double { eps ?? (sde == .ve ? 1e-5 : 1e-3) }

    /// The forward process and the prior's scale at t = 1 (VE `σ_max`, VP and sub-VP 1).
    var process: (any NoiseProcess, priorScale: Double) {
        switch sde {
        case .ve:
            (VarianceExplodingProcess(sigmaMin: sigmaMin ?? NoiseSchedule.defaultRange.lowerBound,
                                      sigmaMax: sigmaMax ?? NoiseSchedule.defaultRange.upperBound),
             sigmaMax ?? NoiseSchedule.defaultRange.upperBound)
        case .vp: (VariancePreservingProcess(betaMin: betaMin, betaMax: betaMax), 1)
        case .subvp: (SubVariancePreservingProcess(betaMin: betaMin, betaMax: betaMax), 1)
        }
    }

    public func validated() throws -> Self {
        switch sde {
        case .ve:
            let lo = sigmaMin ?? NoiseSchedule.defaultRange.lowerBound, hi = sigmaMax ?? NoiseSchedule.defaultRange.upperBound
            guard lo < hi else {
                throw SamplerSpecError.invalidCombination(sampler: name, reason: "sigma_min=\(canonicalNumber(lo)) must be below sigma_max=\(canonicalNumber(hi))")
            }
        case .vp, .subvp:
            guard betaMin <= betaMax, betaMax > 0 else {
                throw SamplerSpecError.invalidCombination(sampler: name, reason: "need beta_min ≤ beta_max and beta_max > 0; got \(canonicalNumber(betaMin)) and \(canonicalNumber(betaMax))")
            }
            guard lastTime > 0 else {
                throw SamplerSpecError.invalidCombination(sampler: name, reason: "eps must be positive for sde=\(sde.rawValue) (σ(0) = 0)")
            }
        }
        return self
    }

    public func resolved(for model: any Denoiser) -> Self {
        var out = self
        out.steps = stepCount
        out.eps = lastTime
        if sde == .ve {
            let range = NoiseSchedule.ve(sigmaMin: sigmaMin, sigmaMax: sigmaMax).resolved(modelRange: model.sigmaRange)
            (out.sigmaMin, out.sigmaMax) = (range.sigmaMin, range.sigmaMax)
        }
        return out
    }

    func nfe(steps: Int) -> Int { steps * (correctors + 1) }
    public var plannedNFE: Int? { nfe(steps: stepCount) }
    public var plannedIntegrationNFE: Int? { nfe(steps: stepCount) }

    public func fitted(toNFE budget: Int) throws -> Self {
        try fittedSteps(steps, in: 1...1_000_000, toNFE: budget, nfe: nfe(steps:)) { n in
            var out = self
            out.steps = n
            return out
        }
    }

    public func makeRun(_ model: any Denoiser, from z: Tensor, noise: any NoiseSource,
                        context: SamplingContext) throws -> ReverseSDERun {
        let (process, priorScale) = resolved(for: model).process
        return run(process, model, priorScale * z, from: [1], to: lastTime, intervals: stepCount - 1, removeNoise: true,
                   noise: noise, context: context)
    }

    public func makeIntegration(_ model: any Denoiser, from x: Tensor, sigma: [Double], to sigmaEnd: Double,
                                batchRows: [Int]?, noise: any NoiseSource, context: SamplingContext) throws -> ReverseSDERun {
        let process = resolved(for: model).process.0
        let tStart = sigma.map(process.time(atSigma:))
        let start = x.scalingRows(by: tStart.map(process.scale(at:)))
        return run(process, model, start, from: tStart, to: process.time(atSigma: sigmaEnd), intervals: stepCount,
                   removeNoise: false, batchRows: batchRows, noise: noise, context: context)
    }

    private func run(_ process: any NoiseProcess, _ model: any Denoiser, _ start: Tensor, from tStart: [Double], to tEnd: Double,
                     intervals: Int, removeNoise: Bool, batchRows: [Int]? = nil, noise: any NoiseSource,
                     context: SamplingContext) -> ReverseSDERun {
        ReverseSDERun(process: process, predictor: predictor.rule, correctors: correctors, corrector: corrector.rule, snr: snr,
                      tStart: tStart, tEnd: tEnd, intervals: intervals, removeNoise: removeNoise, batchRows: batchRows, model: model, state: start,
                      noise: noise, context: context)
    }
}
