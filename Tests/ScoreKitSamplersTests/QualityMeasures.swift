import Foundation
import ScoreKit

/// Small quality measures for the trained-model tests (kept here, not in the library: the
/// toolkit's metrics live with the comparisons).
enum QualityMeasures {
    /// The sliced 2-Wasserstein distance between two equal-sized point sets:
    /// `√(mean_θ W₂²(θ·a, θ·b))` over `projections` directions spread evenly on the half circle
    /// (2-D) with a seeded offset; each 1-D W₂ pairs the sorted projections.
    static func slicedWasserstein(_ a: Tensor, _ b: Tensor, projections: Int = 64) -> Double {
        precondition(a.shape == b.shape && a.rowSize == 2, "slicedWasserstein: equal-sized 2-D sets")
        let n = a.rows
        var total = 0.0
        for p in 0..<projections {
            let angle = Double.pi * (Double(p) + 0.37) / Double(projections)
            let (c, s) = (cos(angle), sin(angle))
            let pa = (0..<n).map { c * Double(a.scalars[2 * $0]) + s * Double(a.scalars[2 * $0 + 1]) }.sorted()
            let pb = (0..<n).map { c * Double(b.scalars[2 * $0]) + s * Double(b.scalars[2 * $0 + 1]) }.sorted()
            var w = 0.0
            for i in 0..<n { w += (pa[i] - pb[i]) * (pa[i] - pb[i]) }
            total += w / Double(n)
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
