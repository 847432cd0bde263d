import Foundation
import ScoreKit

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
        let logp = mixture.logDensity(x)
        let mean = logp.reduce(0, +) / Double(logp.count)
        meanLogLikelihood = mean
        let variance = logp.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(logp.count - 1)
        logLikelihoodStandardError = (variance / Double(logp.count)).squareRoot()
    }
}

/// Draws `count` samples with `spec` from `mixture` through a `SamplingJob`.
func draw(_ spec: String, from mixture: GaussianMixture, count: Int, seed: UInt64 = 1, nfe: Int? = nil) throws -> SamplingResult {
    var sampler = try SamplerCatalog.standard.sampler(spec)
    if let nfe { sampler = try sampler.fitted(toNFE: nfe) }
    return try SamplingJob(sampler: sampler, model: mixture, count: count, seed: seed, budget: nfe,
                           noiseLevelEstimator: mixture.noiseLevelPosterior()).run()
}
