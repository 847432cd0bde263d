import Foundation
import ScoreKitCore

// The machinery shared by the reverse-SDE samplers of Song et al., "Score-Based Generative
// Modeling through Stochastic Differential Equations", ICLR 2021: the forward process, the
// predictors (one step of the reverse SDE as `x ← a·x + b·score + c·z`), the Langevin
// corrector, and the one loop every sampler of the family runs. The samplers themselves are in
// ReverseSDESamplers.swift.

/// The forward process a reverse-SDE sampler inverts (score_sde's `sde`).
public enum SDEKind: String, Sendable, CaseIterable {
    /// Variance exploding: `σ(t) = σ_min·(σ_max/σ_min)^t`, state in VE coordinates.
    case ve
    /// Variance preserving with linear β(t): the continuous DDPM.
    case vp
    /// Sub-VP: VP's drift with a smaller diffusion.
    case subvp
}

/// One batch row at one step of a reverse-SDE sampler: from time t to tNext < t (forward-process
/// time: 1 = noise, 0 = data) in the process's own coordinates `x = scale·x_VE`.
struct SDEStep {
    var t: Double, tNext: Double
    /// VE noise levels σ(t) and σ(tNext); `sigmaNext = 0` on the final, noise-removing step.
    var sigma: Double, sigmaNext: Double
    /// The scales s(t), s(tNext) of the state relative to VE coordinates.
    var scale: Double, scaleNext: Double
    /// The SDE's drift coefficient f(t) and diffusion g(t).
    var drift: Double, diffusion: Double

    /// The step from t to tNext of `process`.
    init(_ process: any NoiseProcess, from t: Double, to tNext: Double) {
        self.t = t
        self.tNext = tNext
        sigma = process.sigma(at: t)
        sigmaNext = process.sigma(at: tNext)
        scale = process.scale(at: t)
        scaleNext = process.scale(at: tNext)
        drift = process.drift(at: t)
        diffusion = process.diffusion(at: t)
    }

    /// The final step from t to the clean data: σ = 0, scale 1, time 0.
    init(_ process: any NoiseProcess, toDataFrom t: Double) {
        self.init(process, from: t, to: 0)
        sigmaNext = 0
        scaleNext = 1
    }
}

/// A predictor: one step of the reverse SDE from t to tNext as
/// `x_next = a·x + b·score + c·z`, the score `∇log p_t(x)` in the process's coordinates.
protocol ReverseSDEPredictor: Sendable {
    func coefficients(_ s: SDEStep) -> (a: Double, b: Double, c: Double)
}

/// Euler–Maruyama on `dx = [f(t)·x − g(t)²·score] dt + g(t) dw̄` with Δt = t − tNext:
/// `x ← (1 − f·Δt)·x + g²·Δt·score + g·√Δt·z`.
struct EulerMaruyamaPredictor: ReverseSDEPredictor {
    func coefficients(_ s: SDEStep) -> (a: Double, b: Double, c: Double) {
        let dt = s.t - s.tNext
        return (1 - s.drift * dt, s.diffusion * s.diffusion * dt, s.diffusion * dt.squareRoot())
    }
}

/// Reverse diffusion (eq. 45–47 of the paper): the forward step tNext → t run backwards.
/// The exact forward kernel is `x_t = r·x_tNext + √v·n` with `r = s(t)/s(tNext)` and
/// `v = s(t)²·(σ(t)² − σ(tNext)²)`, so `x ← (2 − r)·x + v·score + √v·z`.
/// VE: `x + (σ² − σ_next²)·score + √(σ² − σ_next²)·z`; VP: `(2 − √(1−β))·x + β·score + √β·z`
/// with `β = 1 − ᾱ(t)/ᾱ(tNext)`.
struct ReverseDiffusionPredictor: ReverseSDEPredictor {
    func coefficients(_ s: SDEStep) -> (a: Double, b: Double, c: Double) {
        let v = s.scale * s.scale * (s.sigma * s.sigma - s.sigmaNext * s.sigmaNext)
        return (2 - s.scale / s.scaleNext, v, v.squareRoot())
    }
}

/// Ancestral sampling: a draw from the forward process's posterior `q(x_tNext | x_t, x0 = D)`.
/// In VE coordinates every one of these processes adds independent noise of variance
/// `σ(t)² − σ(tNext)²`, so the posterior is the same for VE, VP and sub-VP:
/// mean `x_VE + (σ² − σ_next²)·score_VE`, standard deviation `σ_next·√(σ² − σ_next²)/σ`;
/// scaled by s(tNext) back to the process's coordinates.
struct AncestralPredictor: ReverseSDEPredictor {
    func coefficients(_ s: SDEStep) -> (a: Double, b: Double, c: Double) {
        let dv = s.sigma * s.sigma - s.sigmaNext * s.sigmaNext
        return (s.scaleNext / s.scale, s.scaleNext * s.scale * dv,
                s.scaleNext * s.sigmaNext * dv.squareRoot() / s.sigma)
    }
}

/// The predictor of a reverse-SDE sampler (the `predictor` key).
public enum ReverseSDEPredictorKind: String, Sendable, CaseIterable {
    case reverseDiffusion = "reverse-diffusion", eulerMaruyama = "euler-maruyama", ancestral

    var rule: any ReverseSDEPredictor {
        switch self {
        case .reverseDiffusion: ReverseDiffusionPredictor()
        case .eulerMaruyama: EulerMaruyamaPredictor()
        case .ancestral: AncestralPredictor()
        }
    }
}

/// How a Langevin corrector step `x ← x + h·score + √(2h)·z` picks h for each row, given
/// `r = (s(t)/s(tNext))²` (1 for VE; α_i = ᾱ(t_i)/ᾱ(t_{i+1}) for VP and sub-VP).
protocol CorrectorStepRule: Sendable {
    func stepSizes(noise z: Tensor, score: Tensor, _ geometry: [SDEStep], r: [Double], snr: Double) -> [Double]
}

/// score_sde's `LangevinCorrector` (Algorithm 5), with the norms of each sample on its own:
/// `h = 2·r·(snr·‖z‖/‖score‖)²`. score_sde averages both norms over the batch. A row whose score
/// is exactly zero — at σ far below the data's scale D and x/s agree to all Float32 digits —
/// gets h = 0 (it stays put) instead of an infinite step.
struct SignalToNoiseStepRule: CorrectorStepRule {
    func stepSizes(noise z: Tensor, score: Tensor, _ geometry: [SDEStep], r: [Double], snr: Double) -> [Double] {
        zip(zip(z.rowSquaredNorms(), score.rowSquaredNorms()), r).map { norms, r in
            norms.1 > 0 ? 2 * r * snr * snr * norms.0 / norms.1 : 0
        }
    }
}

/// score_sde's `AnnealedLangevinDynamics` corrector: `h = 2·r·(snr·s·σ)²` from the noise level
/// alone (s·σ is the perturbation's standard deviation in the process's coordinates), so the
/// step depends neither on x nor on the batch.
struct NoiseLevelStepRule: CorrectorStepRule {
    func stepSizes(noise z: Tensor, score: Tensor, _ geometry: [SDEStep], r: [Double], snr: Double) -> [Double] {
        let std = geometry.count == 1 ? Array(repeating: geometry[0].scale * geometry[0].sigma, count: z.rows)
            : geometry.map { $0.scale * $0.sigma }
        return zip(std, r).map { std, r in 2 * r * snr * snr * std * std }
    }
}

/// How the Langevin corrector sizes its step (the `corrector` key).
public enum CorrectorStepKind: String, Sendable, CaseIterable {
    /// score_sde's `LangevinCorrector`: `h = 2r(snr·‖z‖/‖score‖)²` per sample.
    case langevin
    /// score_sde's `AnnealedLangevinDynamics`: `h = 2r(snr·s·σ)²`.
    case ald

    var rule: any CorrectorStepRule {
        switch self {
        case .langevin: SignalToNoiseStepRule()
        case .ald: NoiseLevelStepRule()
        }
    }
}

/// A run of `ReverseSDESampler`, in the process's own coordinates `x = s(t)·x_VE`: at each
/// time point the corrector steps, then the predictor step to the next point (with
/// `removeNoise`, the last predictor step goes to the data and keeps its mean). Row r's points
/// are `tStart[r] + (tEnd − tStart[r])·i/intervals`; `tStart` has one entry when all rows share it.
public struct ReverseSDERun: SamplingRun {
    let process: any NoiseProcess
    let predictor: any ReverseSDEPredictor
    let correctors: Int
    let corrector: any CorrectorStepRule
    let snr: Double
    let tStart: [Double], tEnd: Double
    let intervals: Int
    let removeNoise: Bool
    /// The context's batch rows of the stepped rows (nil: all, in order).
    let batchRows: [Int]?
    let model: any Denoiser
    /// The state in the process's coordinates.
    var state: Tensor
    let noise: any NoiseSource
    let context: SamplingContext
    public private(set) var stepsTaken = 0

    public var plannedSteps: Int? { intervals + (removeNoise ? 1 : 0) }
    public var isFinished: Bool { stepsTaken == plannedSteps! }

    private func time(_ t0: Double, _ i: Int) -> Double {
        intervals == 0 ? t0 : t0 + (tEnd - t0) * Double(i) / Double(intervals)
    }

    /// Each row's (σ, s) now: after the noise-removing step, (0, 1).
    private var levels: [(sigma: Double, scale: Double)] {
        let now = isFinished && removeNoise ? [(0.0, 1.0)]
            : tStart.map { t0 in (process.sigma(at: time(t0, stepsTaken)), process.scale(at: time(t0, stepsTaken))) }
        return now.count == 1 ? Array(repeating: now[0], count: state.rows) : now
    }

    public var sigma: [Double] { levels.map(\.sigma) }
    public var x: Tensor {
        get { levels.allSatisfy { $0.scale == 1 } ? state : state.scalingRows(by: levels.map { 1 / $0.scale }) }
        set { state = levels.allSatisfy { $0.scale == 1 } ? newValue : newValue.scalingRows(by: levels.map(\.scale)) }
    }

    public mutating func step() throws -> SamplingStep {
        let i = stepsTaken, final = i == intervals
        let geometry = tStart.map { t0 in
            final ? SDEStep(process, toDataFrom: time(t0, i)) : SDEStep(process, from: time(t0, i), to: time(t0, i + 1))
        }
        try context.beginStep(i, of: plannedSteps!, sigma: geometry[0].sigma)
        for _ in 0..<correctors {
            state = try correct(state, geometry)
        }
        let (score, denoised) = try score(state, geometry)
        let k = geometry.map(predictor.coefficients)
        var terms: [(RowCoefficients, Tensor)] = [(rowValues(k.map(\.a)), state), (rowValues(k.map(\.b)), score)]
        if !final { terms.append((rowValues(k.map(\.c)), try noise.normal(rows: batchRows, shape: state.rowShape))) }
        state = Tensor.combination(terms)
        let sigmaNext = expand(geometry.map(\.sigmaNext), rows: state.rows)
        try context.endStep(state, sigma: sigmaNext, denoised: denoised)
        stepsTaken += 1
        return SamplingStep(index: i, sigma: expand(geometry.map(\.sigma), rows: state.rows), sigmaNext: sigmaNext,
                            denoised: denoised)
    }

    /// One Langevin corrector step at t: `x ← x + h·score + √(2h)·z`, h from the step rule with
    /// `r = (s(t)/s(tNext))²`.
    private func correct(_ x: Tensor, _ geometry: [SDEStep]) throws -> Tensor {
        let score = try score(x, geometry).score
        let z = try noise.normal(rows: batchRows, shape: x.rowShape)
        let r = expand(geometry.map { ($0.scale / $0.scaleNext) * ($0.scale / $0.scaleNext) }, rows: x.rows)
        let h = corrector.stepSizes(noise: z, score: score, geometry, r: r, snr: snr)
        return Tensor.combination([(1.0, x), (.perRow(h), score), (.perRow(h.map { (2 * $0).squareRoot() }), z)])
    }

    /// `D(x/s; σ)`: the denoiser, called in VE coordinates.
    private func denoise(_ x: Tensor, _ geometry: [SDEStep]) throws -> Tensor {
        let sigma = expand(geometry.map(\.sigma), rows: x.rows)
        guard geometry.contains(where: { $0.scale != 1 }) else { return try context.denoise(model, x, sigma: sigma, rows: batchRows) }
        return try context.denoise(model, Tensor.combination([(rowValues(geometry.map { 1 / $0.scale }), x)]), sigma: sigma,
                                   rows: batchRows)
    }

    /// The score in the process's coordinates, `(D(x/s; σ) − x/s)/(σ²·s)`, and D. The
    /// difference is taken before scaling: at small σ, D and x/s agree in most digits and
    /// their Float32 difference is exact, where `D/σ² − x/σ²` would lose them.
    private func score(_ x: Tensor, _ geometry: [SDEStep]) throws -> (score: Tensor, denoised: Tensor) {
        let denoised = try denoise(x, geometry)
        let residual = Tensor.combination([(1.0, denoised), (rowValues(geometry.map { -1 / $0.scale }), x)])
        return (Tensor.combination([(rowValues(geometry.map { 1 / ($0.sigma * $0.sigma * $0.scale) }), residual)]), denoised)
    }
}

/// One value for every row, or one per row.
private func rowValues(_ v: [Double]) -> RowCoefficients { v.count == 1 ? .all(v[0]) : .perRow(v) }

/// Per-row values from one shared value or one per row.
private func expand(_ v: [Double], rows: Int) -> [Double] { v.count == 1 ? Array(repeating: v[0], count: rows) : v }
