import Foundation
import ScoreKitCore

extension GaussianMixture {
    /// The largest Euclidean distance between two data points, estimated from the components:
    /// the largest over pairs (k, l), k = l included, of
    ///
    ///     √(‖μ_k − μ_l‖² + ‖s_k‖² + ‖s_l‖²) + 3·√2·s_max
    ///
    /// For independent draws x ~ N(μ_k, s_k²), y ~ N(μ_l, s_l²) the first term is the root mean
    /// square of ‖x − y‖, and ‖x − y‖ fluctuates about it with a standard deviation of at most
    /// √2·s_max (the norm is 1-Lipschitz, the difference's largest per-dimension std is at most
    /// √2 times the largest std s_max): so the term is what the farthest of a data set's points
    /// reach — three standard deviations past the typical distance of its two farthest
    /// components. gmm2d gives √(200 + 4) + 4.2 ≈ 18.5. With K²·D above 10⁷ the pair is found by
    /// two farthest-point sweeps (from the mixture mean, then from the component found), which
    /// finds the farthest pair in practice and at worst half its distance.
    static func diameter(means: [[Double]], stds: [[Double]]) -> Double {
        let k = means.count, d = means[0].count
        let norms = stds.map { $0.reduce(0) { $0 + $1 * $1 } }
        let stdMax = stds.lazy.map { $0.max()! }.max()!
        func spread(_ a: Int, _ b: Int) -> Double {
            var s = norms[a] + norms[b]
            for j in 0..<d { let t = means[a][j] - means[b][j]; s += t * t }
            return s
        }
        var widest = 0.0
        if Double(k) * Double(k) * Double(d) <= 1e7 {
            for a in 0..<k { for b in a..<k { widest = max(widest, spread(a, b)) } }
        } else {
            let centre = (0..<d).map { j in means.reduce(0) { $0 + $1[j] } / Double(k) }
            func farthest(from point: [Double]) -> Int {
                (0..<k).max { a, b in
                    zip(means[a], point).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } + norms[a]
                        < zip(means[b], point).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } + norms[b]
                }!
            }
            let a = farthest(from: centre), b = farthest(from: means[a])
            widest = max(spread(a, b), spread(a, a))
        }
        return widest.squareRoot() + 3 * 2.squareRoot() * stdMax
    }

    /// The smallest component standard deviation: the finest scale of the data.
    public var dataResolution: Double? { stds.lazy.map { $0.min()! }.min()! }

    /// The σ range samplers use when none is given, from the mixture's scale (an exact mixture
    /// is exact at every σ, so this is a choice, not a limit):
    ///
    /// - σ_max = max(80, diameter, 2·scale): EDM's 80, raised for mixtures that reach farther —
    ///   to the largest distance between data points (NCSNv2's Technique 1 for σ_max) and to
    ///   twice the reach from the origin, so the prior N(0, σ_max²) covers every component
    ///   within half a standard deviation.
    /// - σ_min = min(0.002, 0.01·s_min): EDM's 0.002, lowered for mixtures with finer detail so
    ///   the noise left at σ_min stays below 1% of the smallest component std (the final step's
    ///   shrinkage of the variance below 10⁻⁴ relative).
    ///
    /// gmm2d, ring8 and gmm64 keep EDM's 0.002 … 80.
    static func defaultSigmaRange(stds: [[Double]], diameter: Double, scale: Double) -> ClosedRange<Double> {
        let stdMin = stds.lazy.map { $0.min()! }.min()!
        return min(0.002, 0.01 * stdMin)...max(80, diameter, 2 * scale)
    }
}
