// Owning the step loop: inpainting by editing `x` between steps.
//
// The model is a correlated 2-D Gaussian with an exact denoiser. We know the first coordinate
// of every sample (x0 = 1.5) and want the second drawn from its conditional distribution, which
// for a Gaussian is known in closed form. Before every step the loop overwrites the first
// coordinate with the known value noised to the level of that step, `1.5 + σ·n` with fresh n
// (Song & Ermon 2019's inpainting with annealed Langevin dynamics), and puts the known value
// itself back at the end.
//
// Why Langevin: its steps re-equilibrate the free coordinate at every noise level, so at the
// last, small level it is drawn from the model's conditional. Overwriting coordinates between
// the steps of an ODE sampler (Heun, DDIM with eta = 0) is only an approximation — the free
// coordinate's denoised estimate is conditioned on the noisy known value — and here it would
// miss the conditional mean by 0.4 standard deviations and double its variance.
//
// Checks that the first coordinate is the known value and that the second has the exact
// conditional mean and variance (within four standard errors); exits with status 1 if not.
import Foundation
import ScoreKit

/// The exact denoiser of N(μ, Σ) in 2-D: `D(x; σ) = μ + Σ·(Σ + σ²·I)⁻¹·(x − μ)`.
struct Gaussian2D: Denoiser {
    let mean: [Double]
    let cov: [[Double]]                       // symmetric positive definite

    var sampleShape: [Int] { [2] }
    var sigmaRange: ClosedRange<Double> { 0...Double.infinity }

    func denoise(_ x: Tensor, sigma: [Double]) throws -> Tensor {
        var out = x
        for r in 0..<x.rows {
            let s2 = sigma[r] * sigma[r]
            // (Σ + σ²·I)⁻¹·(x − μ), by the 2×2 inverse.
            let a = cov[0][0] + s2, b = cov[0][1], d = cov[1][1] + s2
            let det = a * d - b * b
            let u = Double(x.scalars[2 * r]) - mean[0], v = Double(x.scalars[2 * r + 1]) - mean[1]
            let w0 = (d * u - b * v) / det, w1 = (a * v - b * u) / det
            out.scalars[2 * r] = Float(mean[0] + cov[0][0] * w0 + cov[0][1] * w1)
            out.scalars[2 * r + 1] = Float(mean[1] + cov[1][0] * w0 + cov[1][1] * w1)
        }
        return out
    }
}

let model = Gaussian2D(mean: [1, -1], cov: [[1, 0.8], [0.8, 1]])
let known: Float = 1.5
// x[1] given x[0] = a: mean μ1 + Σ10/Σ00·(a − μ0), variance Σ11 − Σ10²/Σ00.
let exactMean = model.mean[1] + model.cov[1][0] / model.cov[0][0] * (Double(known) - model.mean[0])
let exactVariance = model.cov[1][1] - model.cov[1][0] * model.cov[1][0] / model.cov[0][0]

// 10 geometric levels from σ = 3 down to 0.1, 30 Langevin steps at each, then a Tweedie step
// (the denoised estimate at σ = 0.1). With ε = 0.8·σ_min², every Langevin step moves x 80% of
// the way to the denoised estimate and adds noise of variance 1.6·σ².
let sampler = AnnealedLangevin(sigmaMax: 3, sigmaMin: 0.1, levels: 10, steps: 30, epsilon: 0.008,
                               convention: .code, initialization: .gaussian, finalDenoise: true)
let count = 4000, seed: UInt64 = 11
let rows = Array(0..<count)

// The pieces `sample` would make for us: initial noise, the sampler's noise, a context; and a
// stream of our own for the noise we add to the known coordinate.
let z = try PhiloxNoise(seed: seed, stream: RandomStreamID.initialNoise, sampleIndices: rows).normal(rows: nil, shape: [2])
let knownNoise = PhiloxNoise(seed: seed, stream: RandomStreamID.auxiliary, sampleIndices: rows)
let context = SamplingContext(samplerName: sampler.name, sampleIndices: rows)
var run = try sampler.start(model, from: z, noise: PhiloxNoise(seed: seed, sampleIndices: rows), context: context)

/// Sets each row's first coordinate to `value` noised to the row's current level, `value + σ·n`.
func pinFirstCoordinate(to value: Float, in run: inout some SamplingRun, noise: any NoiseSource) throws {
    let n = try noise.normal(rows: nil, shape: [1])
    var x = run.x                              // VE coordinates: x = x0 + σ·noise
    for r in 0..<x.rows { x.scalars[2 * r] = value + Float(run.sigma[r]) * n.scalars[r] }
    run.x = x
}

while !run.isFinished {
    try pinFirstCoordinate(to: known, in: &run, noise: knownNoise)
    let step = try run.step()                  // step.sigma, step.sigmaNext, step.denoised
    if step.index % 100 == 0 { print("step \(step.index) of \(run.plannedSteps!): σ = \(String(format: "%.3g", step.sigma[0]))") }
}
try pinFirstCoordinate(to: known, in: &run, noise: knownNoise)   // σ is 0 now: the known value itself
let samples = run.x

var failures = 0
print("\(sampler.spec): \(run.stepsTaken) steps, \(context.nfe[0]) NFE per sample")

let first = (0..<count).map { samples.scalars[2 * $0] }
let pinned = run.sigma.allSatisfy { $0 == 0 } && first.allSatisfy { $0 == known }
if !pinned { failures += 1 }
print("\(pinned ? "ok  " : "FAIL") x[0] of all \(count) samples is the known value \(known)")

let second = (0..<count).map { Double(samples.scalars[2 * $0 + 1]) }
let m = second.reduce(0, +) / Double(count)
let v = second.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(count - 1)
let meanTolerance = 4 * (exactVariance / Double(count)).squareRoot()
let varianceTolerance = 4 * exactVariance * (2 / Double(count - 1)).squareRoot()   // SE of a normal sample's variance
for (what, value, exact, tolerance) in [("mean", m, exactMean, meanTolerance), ("variance", v, exactVariance, varianceTolerance)] {
    let ok = abs(value - exact) <= tolerance
    if !ok { failures += 1 }
    print(String(format: "\(ok ? "ok  " : "FAIL") conditional \(what) of x[1] given x[0] = \(known): %.4f, exact %.4f (±4·SE = %.4f)",
                 value, exact, tolerance))
}

print(failures == 0 ? "OwnLoop: all checks passed" : "OwnLoop: \(failures) check(s) failed")
exit(failures == 0 ? 0 : 1)
