import Foundation
import ScoreKit

/// Errors, sample statistics and exact answers the sampler tests compare against.
extension TestKit {
    /// `max |a − b| / max |b|`: the relative error parity tests bound.
    static func relativeError(_ a: Tensor, _ b: Tensor) -> Double {
        precondition(a.shape == b.shape)
        let scale = b.scalars.map { abs(Double($0)) }.max() ?? 1
        return maxError(a, b) / max(scale, 1e-30)
    }

    /// ‖a − b‖_∞.
    static func maxError(_ a: Tensor, _ b: Tensor) -> Double {
        maxAbs(zip(a.scalars, b.scalars).map { Double($0) - Double($1) })
    }

    /// `max |v_i|`.
    static func maxAbs(_ v: [Double]) -> Double { v.map(abs).max() ?? 0 }

    /// Mean and standard error.
    static func meanAndError(_ v: [Double]) -> (mean: Double, error: Double) {
        let n = Double(v.count), mean = v.reduce(0, +) / n
        let variance = v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
        return (mean, (variance / n).squareRoot())
    }

    /// The fraction of samples in component 0 of the mixture (gmm2d: the (5,5) mode).
    static func firstModeWeight(_ x: Tensor, _ mixture: GaussianMixture = BuiltinModels.gmm2d) -> Double {
        let c = mixture.component(of: x)
        return Double(c.filter { $0 == 0 }.count) / Double(c.count)
    }

    /// `E[log p(x)]` over exact samples of the mixture, from `count` draws (with its error).
    static func exactMeanLogLikelihood(_ mixture: GaussianMixture = BuiltinModels.gmm2d,
                                       count: Int = 200_000) -> (mean: Double, error: Double) {
        meanAndError(mixture.logDensity(mixture.sample(count: count, seed: 99)))
    }

    /// The mode weight a sampler that maps each starting point x_T to a draw from p(x0 | x_T)
    /// gives when x_T comes from the prior N(0, s²I) instead of the true marginal at σ:
    /// `E_{x~N(0,s²)}[p(first mode | x; σ)]` for gmm2d (0.8 at (5,5), 0.2 at (−5,−5), unit
    /// stds). Only u = x1 + x2 matters; integrated by the trapezoid rule over ±10 sd.
    static func gmm2dWeightFromPrior(priorStd s: Double, sigma: Double) -> Double {
        let v = 1 + sigma * sigma, sd = s * 2.0.squareRoot(), n = 4000
        var total = 0.0, mass = 0.0
        for i in 0...n {
            let u = -10 * sd + 20 * sd * Double(i) / Double(n)
            let density = exp(-u * u / (2 * sd * sd)) * (i == 0 || i == n ? 0.5 : 1)
            let logOdds = log(4) + 10 * u / v          // (μ1 − μ2)·x/v with μ1 − μ2 = (10, 10)
            total += density / (1 + exp(-logOdds))
            mass += density
        }
        return total / mass
    }

    /// The sliced 2-Wasserstein distance between two equal-sized 2-D point sets:
    /// `√(mean_θ W₂²(θ·a, θ·b))` over `projections` directions spread evenly on the half circle
    /// with a fixed offset; each 1-D W₂ pairs the sorted projections.
    static func slicedWasserstein(_ a: Tensor, _ b: Tensor, projections: Int = 64) -> Double {
        precondition(a.shape == b.shape && a.rowSize == 2, "slicedWasserstein: equal-sized 2-D sets")
        let n = a.rows
        var total = 0.0
        for p in 0..<projections {
            let angle = Double.pi * (Double(p) + 0.37) / Double(projections)
            let (c, s) = (cos(angle), sin(angle))
            let pa = (0..<n).map { c * Double(a.scalars[2 * $0]) + s * Double(a.scalars[2 * $0 + 1]) }.sorted()
            let pb = (0..<n).map { c * Double(b.scalars[2 * $0]) + s * Double(b.scalars[2 * $0 + 1]) }.sorted()
            total += zip(pa, pb).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / Double(n)
        }
        return (total / Double(projections)).squareRoot()
    }

    /// The mean sliced Wasserstein distance between independent fresh data sets of `count`
    /// points (eight pairs, seeds 101…116): the floor a perfect model reaches at this size.
    /// One pair's value varies by about ±30 % (its distribution is skewed by a few projections),
    /// so the mean of eight is good to about ±10 %.
    static func meanDataFloor(_ kind: Toy2D, count: Int) -> Double {
        (0..<8).map { p in
            slicedWasserstein(kind.sample(count: count, seed: 101 + 2 * UInt64(p)), kind.sample(count: count, seed: 102 + 2 * UInt64(p)))
        }.reduce(0, +) / 8
    }
}

/// Sample statistics the distribution tests compare.
struct SampleStatistics {
    /// Fraction of samples in each mixture component (by most responsible component at σ = 0).
    let modeWeights: [Double]
    /// Mean log-density under the true data distribution.
    let meanLogLikelihood: Double
    /// Standard error of that mean.
    let logLikelihoodStandardError: Double

    init(_ x: Tensor, under mixture: GaussianMixture) {
        let components = mixture.component(of: x)
        modeWeights = (0..<mixture.componentCount).map { k in
            Double(components.filter { $0 == k }.count) / Double(x.rows)
        }
        (meanLogLikelihood, logLikelihoodStandardError) = TestKit.meanAndError(mixture.logDensity(x))
    }
}

/// N(μ, diag(s²)): its probability-flow ODE has a closed-form solution,
/// `x(σ) = μ + (x(σ_a) − μ)·√((s² + σ²)/(s² + σ_a²))` per dimension.
struct SingleGaussian {
    let mean: [Double], std: [Double]

    static let standard = SingleGaussian(mean: [1.5, -2, 0.5, 3], std: [1, 0.5, 2, 0.8])

    var model: GaussianMixture { try! GaussianMixture(weights: [1], means: [mean], stds: [std]) }

    /// The ODE solution at σ of each row, from the row at its own `sigmaStart`.
    func flow(_ x: Tensor, from sigmaStart: [Double], to sigma: Double) -> Tensor {
        let d = mean.count
        var out = x
        for r in 0..<x.rows {
            for j in 0..<d {
                let v0 = std[j] * std[j]
                let factor = ((v0 + sigma * sigma) / (v0 + sigmaStart[r] * sigmaStart[r])).squareRoot()
                out.scalars[r * d + j] = Float(mean[j] + (Double(x.scalars[r * d + j]) - mean[j]) * factor)
            }
        }
        return out
    }
}
