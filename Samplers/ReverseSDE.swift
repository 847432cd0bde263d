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

/// The predictors by the name specs use.
enum ReverseSDEPredictors {
    static let names = ["reverse-diffusion", "euler-maruyama", "ancestral"]
    static let byName: [String: any ReverseSDEPredictor] = [
        "reverse-diffusion": ReverseDiffusionPredictor(),
        "euler-maruyama": EulerMaruyamaPredictor(),
        "ancestral": AncestralPredictor(),
    ]
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

/// The corrector step rules by the name specs use.
enum CorrectorStepRules {
    static let names = ["langevin", "ald"]
    static let byName: [String: any CorrectorStepRule] = ["langevin": SignalToNoiseStepRule(), "ald": NoiseLevelStepRule()]
}

/// A reverse-SDE run: process, grid, predictor and Langevin corrector. Every sampler of the
/// family (and its `Integrator` conformance) goes through `run`.
public struct ReverseSDERun: Sendable {
    let process: any NoiseProcess
    /// N: time points of `sample` (t from 1 to eps); the number of steps of `integrate`.
    let steps: Int
    let eps: Double
    let predictor: any ReverseSDEPredictor
    /// Langevin corrector steps before each predictor step, their step rule and signal-to-noise ratio.
    let correctors: Int
    let corrector: any CorrectorStepRule
    let snr: Double

    /// The prior at t = 1 from standard-normal z: VE `σ_max·z`, VP and sub-VP `z`.
    let priorScale: Double

    /// Denoiser calls per sample of `sample` and of `integrate`.
    var nfe: Int { nfe(steps: steps) }
    /// Denoiser calls per sample with `steps` time points: one predictor call and
    /// `correctors` corrector calls at each.
    func nfe(steps: Int) -> Int { steps * (correctors + 1) }

    /// From the prior down t = 1 … eps over `steps` points; the last point's predictor step goes
    /// to the data (σ = 0) and its mean, without noise, is the result.
    func sample(_ model: any Denoiser, from z: Tensor, noise: any NoiseSource,
                context: SamplingContext) throws -> Tensor {
        try run(model, priorScale * z, from: [1], to: eps, intervals: steps - 1, removeNoise: true,
                noise: noise, context: context)
    }

    /// Each row from its own σ down to `sigmaEnd` in `steps` steps; the VE state at `sigmaEnd`.
    func integrate(_ model: any Denoiser, from x: Tensor, sigma: [Double], to sigmaEnd: Double,
                   noise: any NoiseSource, context: SamplingContext) throws -> Tensor {
        guard sigma.count == x.rows else {
            throw SamplingError.invalidInput("integrate: \(sigma.count) starting σ's for \(x.rows) rows")
        }
        guard sigmaEnd > 0 else { throw SamplingError.invalidInput("integrate: σ_end must be positive, got \(sigmaEnd)") }
        if let r = sigma.firstIndex(where: { !($0 >= sigmaEnd) }) {
            throw SamplingError.invalidInput("integrate: row \(r) starts at σ = \(sigma[r]), below σ_end = \(sigmaEnd)")
        }
        let tStart = sigma.map(process.time(atSigma:)), tEnd = process.time(atSigma: sigmaEnd)
        let start = x.scalingRows(by: tStart.map(process.scale(at:)))
        let end = try run(model, start, from: tStart, to: tEnd, intervals: steps, removeNoise: false,
                          noise: noise, context: context)
        return (1 / process.scale(at: tEnd)) * end
    }

    /// The loop: at each point the corrector steps, then the predictor step to the next point
    /// (or, with `removeNoise`, a last predictor step to the data, keeping its mean). Row r's
    /// points are `tStart[r] + (tEnd − tStart[r])·i/intervals`; `tStart` has one entry when all
    /// rows share it.
    private func run(_ model: any Denoiser, _ start: Tensor, from tStart: [Double], to tEnd: Double,
                     intervals: Int, removeNoise: Bool, noise: any NoiseSource,
                     context: SamplingContext) throws -> Tensor {
        let points = intervals + (removeNoise ? 1 : 0)
        func time(_ t0: Double, _ i: Int) -> Double {
            intervals == 0 ? t0 : t0 + (tEnd - t0) * Double(i) / Double(intervals)
        }
        var x = start
        for i in 0..<points {
            let final = i == intervals
            let geometry = tStart.map { t0 in
                final ? SDEStep(process, toDataFrom: time(t0, i)) : SDEStep(process, from: time(t0, i), to: time(t0, i + 1))
            }
            try context.beginStep(i, of: points, sigma: geometry[0].sigma)
            for _ in 0..<correctors {
                x = try correct(model, x, geometry, noise: noise, context: context)
            }
            let score = try score(model, x, geometry, context: context)
            let k = geometry.map(predictor.coefficients)
            var terms: [(RowCoefficients, Tensor)] = [(rowValues(k.map(\.a)), x), (rowValues(k.map(\.b)), score)]
            if !final { terms.append((rowValues(k.map(\.c)), try noise.normal(like: x))) }
            x = Tensor.combination(terms)
            try context.endStep(x, sigma: expand(geometry.map(\.sigmaNext), rows: x.rows))
        }
        return x
    }

    /// One Langevin corrector step at t: `x ← x + h·score + √(2h)·z`, h from the step rule with
    /// `r = (s(t)/s(tNext))²`.
    private func correct(_ model: any Denoiser, _ x: Tensor, _ geometry: [SDEStep], noise: any NoiseSource,
                         context: SamplingContext) throws -> Tensor {
        let score = try score(model, x, geometry, context: context)
        let z = try noise.normal(like: x)
        let r = expand(geometry.map { ($0.scale / $0.scaleNext) * ($0.scale / $0.scaleNext) }, rows: x.rows)
        let h = corrector.stepSizes(noise: z, score: score, geometry, r: r, snr: snr)
        return Tensor.combination([(1.0, x), (.perRow(h), score), (.perRow(h.map { (2 * $0).squareRoot() }), z)])
    }

    /// `D(x/s; σ)`: the denoiser, called in VE coordinates.
    private func denoise(_ model: any Denoiser, _ x: Tensor, _ geometry: [SDEStep],
                         context: SamplingContext) throws -> Tensor {
        let sigma = expand(geometry.map(\.sigma), rows: x.rows)
        guard geometry.contains(where: { $0.scale != 1 }) else { return try context.denoise(model, x, sigma: sigma) }
        return try context.denoise(model, Tensor.combination([(rowValues(geometry.map { 1 / $0.scale }), x)]), sigma: sigma)
    }

    /// The score in the process's coordinates: `(D(x/s; σ) − x/s)/(σ²·s)`. The difference is
    /// taken before scaling: at small σ, D and x/s agree in most digits and their Float32
    /// difference is exact, where `D/σ² − x/σ²` would lose them.
    private func score(_ model: any Denoiser, _ x: Tensor, _ geometry: [SDEStep],
                       context: SamplingContext) throws -> Tensor {
        let denoised = try denoise(model, x, geometry, context: context)
        let residual = Tensor.combination([(1.0, denoised), (rowValues(geometry.map { -1 / $0.scale }), x)])
        return Tensor.combination([(rowValues(geometry.map { 1 / ($0.sigma * $0.sigma * $0.scale) }), residual)])
    }
}

/// One value for every row, or one per row.
private func rowValues(_ v: [Double]) -> RowCoefficients { v.count == 1 ? .all(v[0]) : .perRow(v) }

/// Per-row values from one shared value or one per row.
private func expand(_ v: [Double], rows: Int) -> [Double] { v.count == 1 ? Array(repeating: v[0], count: rows) : v }
