// Your own `Denoiser`, sampled with typed samplers and with your own σ's.
//
// The model is a two-component Gaussian mixture in 2-D whose denoiser is exact (closed form),
// so every statistic of the samples can be checked against the truth: each sampler's sample
// mean, variance and weight of the first mode must lie within four standard errors of the
// exact values. Prints every check; exits with status 1 if any fails.
import Foundation
import ScoreKit

/// The exact denoiser of the mixture Σ_k π_k·N(μ_k, s_k²·I) in 2-D.
///
/// Seen through noise σ, component k is N(μ_k, (s_k² + σ²)·I), so
/// `D(x; σ) = Σ_k w_k(x)·(s_k²·x + σ²·μ_k)/(s_k² + σ²)` with `w_k(x)` the posterior weight of
/// component k given x.
struct GaussianMixture2D: Denoiser {
    struct Component { var weight: Double, mean: [Double], sd: Double }
    let components: [Component]

    var sampleShape: [Int] { [2] }
    var sigmaRange: ClosedRange<Double> { 0...Double.infinity }   // exact at every σ

    func denoise(_ x: Tensor, sigma: [Double]) throws -> Tensor {
        var out = x
        for r in 0..<x.rows {
            let point = [Double(x.scalars[2 * r]), Double(x.scalars[2 * r + 1])]
            let s2 = sigma[r] * sigma[r]
            // log(π_k·N(x; μ_k, v_k·I)) up to a shared constant, then normalised (log-sum-exp).
            let logWeights = components.map { c -> Double in
                let v = c.sd * c.sd + s2
                let d2 = zip(point, c.mean).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
                return log(c.weight) - d2 / (2 * v) - log(v)
            }
            let top = logWeights.max()!
            let w = logWeights.map { exp($0 - top) }
            let total = w.reduce(0, +)
            for j in 0..<2 {
                var estimate = 0.0
                for (k, c) in components.enumerated() {
                    let v = c.sd * c.sd + s2
                    estimate += w[k] / total * (c.sd * c.sd * point[j] + s2 * c.mean[j]) / v
                }
                out.scalars[2 * r + j] = Float(estimate)
            }
        }
        return out
    }

    /// The exact mean of coordinate j.
    func mean(_ j: Int) -> Double { components.reduce(0) { $0 + $1.weight * $1.mean[j] } }
    /// The exact variance of coordinate j.
    func variance(_ j: Int) -> Double {
        components.reduce(0) { $0 + $1.weight * ($1.sd * $1.sd + $1.mean[j] * $1.mean[j]) } - mean(j) * mean(j)
    }
    /// The exact probability that a sample is nearer μ_0 than μ_1 (the first mode's half-plane).
    var firstModeWeight: Double {
        let a = components[0], b = components[1]
        let half = sqrt(zip(a.mean, b.mean).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }) / 2
        let phi = { (t: Double) in 0.5 * erfc(-t / 2.0.squareRoot()) }   // standard-normal CDF
        return a.weight * phi(half / a.sd) + b.weight * (1 - phi(half / b.sd))
    }
    /// Whether a point is nearer μ_0 than μ_1.
    func inFirstMode(_ p: [Double]) -> Bool {
        let d = components.map { c in zip(p, c.mean).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } }
        return d[0] < d[1]
    }
}

let model = GaussianMixture2D(components: [
    .init(weight: 0.7, mean: [2, 1], sd: 0.6),
    .init(weight: 0.3, mean: [-2, -1], sd: 0.4),
])

/// Typed samplers, and Heun on a σ list of our own (a Heun step per gap, then Euler to 0).
/// The step counts are ones at which these samplers have converged for this model: with 10
/// steps, DPM-Solver++ draws a variance about 30% too large here (its discretisation error,
/// not noise), which the checks below would catch.
let samplers: [any Sampler] = [
    DDIM(steps: 50),
    EDMSampler.heun(steps: 18, schedule: .karras(sigmaMin: 0.002, sigmaMax: 80, rho: 7)),
    DPMSolverPlusPlus(steps: 25),
    EDMSampler.heun(schedule: .custom([80, 40, 20, 10, 6, 4, 2.5, 1.6, 1, 0.6, 0.35, 0.2, 0.1, 0.05, 0.02, 0.005])),
]

let count = 4000

/// The checks made so far: each prints a line, and failures are counted for the exit status.
struct Checks {
    var failures = 0

    /// Checks |value − exact| ≤ 4 standard errors.
    mutating func check(_ what: String, _ value: Double, exact: Double, standardError: Double) {
        let ok = abs(value - exact) <= 4 * standardError
        if !ok { failures += 1 }
        let label = what.padding(toLength: 24, withPad: " ", startingAt: 0)
        print((ok ? "  ok   " : "  FAIL ") + label + String(format: "%8.4f   exact %8.4f   (±4·SE = %.4f)", value, exact, 4 * standardError))
    }
}
var checks = Checks()

for sampler in samplers {
    let result = try SamplingJob(sampler: sampler, model: model, count: count, seed: 2024).run()
    print("\(sampler.resolved(for: model).spec)")
    print("  NFE per sample: \(result.nfe[0]) (planned \(sampler.plannedNFE.map(String.init) ?? "adaptive"))")
    if result.nfe.contains(where: { $0 != sampler.plannedNFE }) { checks.failures += 1; print("  FAIL NFE differs from the plan") }

    let points = (0..<count).map { r in [Double(result.samples.scalars[2 * r]), Double(result.samples.scalars[2 * r + 1])] }
    for j in 0..<2 {
        let values = points.map { $0[j] }
        let m = values.reduce(0, +) / Double(count)
        let v = values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(count - 1)
        let m4 = values.reduce(0) { $0 + pow($1 - m, 4) } / Double(count)
        checks.check("mean of x[\(j)]", m, exact: model.mean(j), standardError: sqrt(model.variance(j) / Double(count)))
        checks.check("variance of x[\(j)]", v, exact: model.variance(j), standardError: sqrt((m4 - v * v) / Double(count)))
    }
    let p = model.firstModeWeight
    let share = Double(points.filter(model.inFirstMode).count) / Double(count)
    checks.check("weight of mode (2, 1)", share, exact: p, standardError: sqrt(p * (1 - p) / Double(count)))
}

print(checks.failures == 0 ? "CustomDenoiser: all checks passed" : "CustomDenoiser: \(checks.failures) check(s) failed")
exit(checks.failures == 0 ? 0 : 1)
