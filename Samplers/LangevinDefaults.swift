import Foundation
import ScoreKitCore

/// The rules of Song & Ermon, "Improved Techniques for Training Score-Based Generative Models"
/// (NeurIPS 2020; NCSNv2) that set annealed Langevin's noise levels and step size from the
/// data, used where the user leaves them unset (`auto`):
///
/// - **Technique 1** (initial noise scale): σ_1 = the largest Euclidean distance between two
///   data points (`Denoiser.dataDiameter`), so that the first level lets a chain travel between
///   any two modes; the model's σ_max where it cannot tell.
/// - **Technique 2** (other noise scales): geometric levels with the common ratio γ = σ_{i−1}/σ_i
///   that solves `Φ(√(2D)(γ−1) + 3γ) − Φ(√(2D)(γ−1) − 3γ) = 0.5` (D = data dimension): a sample
///   of N(0, σ_{i−1}²I) lies, with probability ½, within three standard deviations of the
///   typical norm at σ_i, so every level starts where the next one's mass is. The equation comes
///   from ‖x‖ ≈ N(σ√D, σ²/2), a thin shell; it has a solution only for D ≥ 5. In fewer
///   dimensions the noisy data are not shells and adjacent levels overlap whatever γ is, so the
///   budget is split evenly instead, L = ⌊√budget⌋ levels of about as many steps (31 × 32 at
///   1000 NFE). Technique 4 wants T large, mode weights want many levels: on gmm2d at 1000 NFE
///   the mass near (5,5) is 0.71 with 10 × 100, 0.76 with 31 × 32 and with 100 × 10.
/// - **Technique 4** (step size): with T steps per level, the chain's variance at the end of a
///   level, for data that is a single point, is (the paper's Proposition 3, with u = ε/σ_L²
///   and the code's update `x + α·score + √(2α)·z`, α = ε·σ_i²/σ_L²)
///
///       s_T²/σ_i² = (1 − u)^{2T}·(γ² − 2/(2 − u)) + 2/(2 − u)
///
///   and ε is chosen so that this is as close to 1 as it gets.
///
/// σ_L is the model's smallest σ, raised to a tenth of the data's finest scale s where the
/// model knows it (an exact mixture's smallest std). This is not NCSNv2's: it assumes data of
/// a single point, where every level is alike. With data of scale s a step at level σ moves a
/// chain by u·σ²/(s² + σ²) of its spread instead of u, so below s/10 a level moves it by less
/// than 1% of what it would, and adds at most 1% to the data's variance if it stopped there:
/// those levels spend the budget and change nothing. On gmm2d (s = 1) at 1000 NFE, stopping
/// at 0.002 instead of 0.1 leaves the mass near (5,5) at 0.762 ± 0.007 instead of 0.774 ± 0.007
/// (truth 0.8).
///
/// The level count comes from γ (L = 1 + ⌈ln(σ_1/σ_L)/ln γ⌉),
/// the steps per level from the NFE budget (T = ⌊budget/L⌋; when the budget is below L, L
/// falls to the budget with T = 1 and a larger ratio), and ε from T and the ratio actually used.
public enum NCSNv2Rules {
    /// The overlap of Technique 2 for ratio γ in D dimensions.
    public static func overlap(ratio gamma: Double, dimension d: Int) -> Double {
        let a = (2 * Double(d)).squareRoot() * (gamma - 1)
        return normalCDF(a + 3 * gamma) - normalCDF(a - 3 * gamma)
    }

    /// Technique 2's ratio γ > 1 for D dimensions, or nil when none exists (D ≤ 4: the overlap
    /// stays above ½ for every γ).
    public static func ratio(dimension d: Int) -> Double? {
        guard (2 * Double(d)).squareRoot() > 3 else { return nil }
        var lo = 1.0, hi = 2.0
        while overlap(ratio: hi, dimension: d) > 0.5 { lo = hi; hi *= 2 }
        for _ in 0..<100 {
            let mid = (lo + hi) / 2
            if overlap(ratio: mid, dimension: d) > 0.5 { lo = mid } else { hi = mid }
        }
        return (lo + hi) / 2
    }

    /// Technique 4's variance ratio s_T²/σ_i² after T steps of fraction u = ε/σ_L², entering
    /// the level with variance γ²σ_i².
    public static func varianceRatio(u: Double, ratio gamma: Double, steps: Int) -> Double {
        let stationary = 2 / (2 - u)
        return exp(2 * Double(steps) * log1p(-u)) * (gamma * gamma - stationary) + stationary
    }

    /// The u = ε/σ_L² in (0, 1) that brings `varianceRatio` closest to 1 (the smaller u on a
    /// tie), searched on a grid of 4000 points uniform in log u from 10⁻¹⁰ to 0.9.
    public static func stepFraction(ratio gamma: Double, steps: Int) -> Double {
        let points = 4000, lo = log(1e-10), hi = log(0.9)
        var best = (u: 1e-10, miss: Double.infinity)
        for i in 0..<points {
            let u = exp(lo + (hi - lo) * Double(i) / Double(points - 1))
            let miss = abs(varianceRatio(u: u, ratio: gamma, steps: steps) - 1)
            if miss < best.miss { best = (u, miss) }
        }
        return best.u
    }

    /// The level count for levels from σ_1 down to σ_L in D dimensions with `budget` Langevin
    /// steps per sample (`steps` per level when given).
    public static func levels(sigmaMax: Double, sigmaMin: Double, dimension: Int, budget: Int, steps: Int?) -> Int {
        guard sigmaMax > sigmaMin else { return 1 }
        let wanted: Int
        if let gamma = ratio(dimension: dimension) {
            wanted = 1 + Int((log(sigmaMax / sigmaMin) / log(gamma)).rounded(.up))
        } else {
            wanted = max(2, Int(Double(budget).squareRoot()))
        }
        return max(1, min(wanted, budget / (steps ?? 1)))
    }

    /// Φ, the standard normal CDF.
    static func normalCDF(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }
}
