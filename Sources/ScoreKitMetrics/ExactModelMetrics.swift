import Foundation
import ScoreKitCore

/// Quality measures that need the exact model: its density and its modes. Core knows no
/// models, so the density and the mode assignment come in as closures (ScoreKitModels'
/// `GaussianMixture.logDensity` and `component(of:)`).
public enum ExactModelMetrics {
    /// The mean log-likelihood gap: how much less likely the samples are under the true
    /// density than exact data samples,
    ///
    ///     gap = (1/m)·Σ_i log p(y_i) − (1/n)·Σ_i log p(x_i)
    ///
    /// for samples x and exact data y. Zero on average for a perfect sampler; positive when
    /// samples land in low-density places (spread too wide, between modes); negative when
    /// they crowd the high-density cores (too little spread) — so the target is zero, not the
    /// smallest value. Known answer: for p = N(0, I_d) and samples from N(0, s²I_d),
    /// `E log p(x) = −(d/2)·log 2π − (d/2)·s²`, so the expected gap is `(d/2)·(s² − 1)`.
    public static func logLikelihoodGap(samples: [Double], reference: [Double]) -> Double {
        precondition(!samples.isEmpty && !reference.isEmpty, "logLikelihoodGap: empty set")
        return mean(reference) - mean(samples)
    }

    /// The total-variation distance between the samples' mode weights and the true weights,
    ///
    ///     TV = ½·Σ_k | n_k/n − w_k |
    ///
    /// where `n_k` counts the samples assigned to mode k (`assignments[i]` ∈ 0..<K) and `w_k`
    /// are the mixture weights. 0 when the proportions match; 1 when all mass sits in modes the
    /// model gives no weight. For NCSN's 0.8/0.2 toy, plain Langevin's equal split gives 0.3.
    public static func modeWeightTotalVariation(assignments: [Int], weights: [Double]) -> Double {
        precondition(!assignments.isEmpty, "modeWeightTotalVariation: no samples")
        var counts = [Int](repeating: 0, count: weights.count)
        for k in assignments {
            precondition(weights.indices.contains(k), "modeWeightTotalVariation: mode \(k) outside 0..<\(weights.count)")
            counts[k] += 1
        }
        let n = Double(assignments.count)
        return 0.5 * zip(counts, weights).reduce(0) { $0 + abs(Double($1.0) / n - $1.1) }
    }

    static func mean(_ v: [Double]) -> Double { v.reduce(0, +) / Double(v.count) }
}

/// The distance of a sampler's output to a tight-tolerance reference solution from the same
/// initial noise (for deterministic samplers, whose output is a function of that noise):
///
///     RMS = ( (1/n)·Σ_i ‖x_i − x*_i‖² )^{1/2}
///
/// the root-mean-square over samples of the Euclidean distance between sample i and the
/// reference solution of the same noise. It measures discretisation error alone, free of
/// sampling noise: it falls like h^p for a method of order p.
public enum ReferenceSolutionDistance {
    /// RMS distance between paired rows of `x` and `reference` (same shape).
    public static func rms(_ x: Tensor, _ reference: Tensor) -> Double {
        precondition(x.shape == reference.shape, "ReferenceSolutionDistance: shapes differ (\(x.shape) vs \(reference.shape))")
        precondition(x.rows >= 1, "ReferenceSolutionDistance: no rows")
        var total = 0.0
        x.scalars.withUnsafeBufferPointer { a in
            reference.scalars.withUnsafeBufferPointer { b in
                for i in 0..<a.count { let d = Double(a[i]) - Double(b[i]); total += d * d }
            }
        }
        return (total / Double(x.rows)).squareRoot()
    }
}
