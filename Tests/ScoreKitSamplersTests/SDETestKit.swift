import Foundation
import ScoreKit
import Testing

/// Helpers for the Langevin and reverse-SDE tests (a namespace, so names cannot clash with other
/// test files of this target).
enum SDETestKit {
    /// `Tests/Fixtures/<name>`, found from this file's path.
    static func fixture(_ name: String, file: String = #filePath) -> URL {
        URL(fileURLWithPath: file).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures").appendingPathComponent(name)
    }

    /// Draws `count` samples of `model` with the sampler `spec` (fitted to `nfe` when given).
    static func run(_ spec: String, model: any Denoiser = BuiltinModels.gmm2d, count: Int, seed: UInt64 = 1,
                    nfe: Int? = nil, batch: Int = 10_000) throws -> SamplingResult {
        var sampler = try SamplerCatalog.standard.sampler(spec)
        if let nfe { sampler = try sampler.fitted(toNFE: nfe) }
        return try SamplingJob(sampler: sampler, model: model, count: count, seed: seed, batchSize: batch, budget: nfe).run()
    }

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
}

/// A model whose output turns NaN once σ falls below `below`.
struct NaNBelowSigma: Denoiser {
    let base: any Denoiser
    let below: Double
    var sampleShape: [Int] { base.sampleShape }
    var sigmaRange: ClosedRange<Double> { base.sigmaRange }
    func denoise(_ x: Tensor, sigma: [Double]) throws -> Tensor {
        var out = try base.denoise(x, sigma: sigma)
        if sigma.contains(where: { $0 < below }) { out.scalars[0] = .nan }
        return out
    }
}
