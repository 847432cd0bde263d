import Foundation
import Testing
@testable import ScoreKitMetrics
import ScoreKitCore

@Suite("MMD² with an RBF kernel")
struct MMDTests {
    /// The population MMD² between N(μ₁, s₁²) and N(μ₂, s₂²) in 1-D with kernel bandwidth h:
    /// E exp(−Z²/(2h²)) for Z ~ N(m, v) is h/√(h² + v)·exp(−m²/(2(h² + v))), applied to the
    /// differences of two independent draws.
    static func population(_ m1: Double, _ s1: Double, _ m2: Double, _ s2: Double, h: Double) -> Double {
        func expectedKernel(_ m: Double, _ v: Double) -> Double {
            h / (h * h + v).squareRoot() * exp(-m * m / (2 * (h * h + v)))
        }
        return expectedKernel(0, 2 * s1 * s1) + expectedKernel(0, 2 * s2 * s2)
            - 2 * expectedKernel(m1 - m2, s1 * s1 + s2 * s2)
    }

    @Test("Identical sets: the biased estimate is 0, the unbiased one lies in [−2/m, 0]")
    func identical() {
        let x = MetricTestSupport.gaussian(count: 300, mean: [0, 1], std: 1, seed: 1)
        #expect(abs(MMD.squaredBiased(x, x, bandwidth: 1)) < 1e-9)
        let u = MMD.squared(x, x, bandwidth: 1)
        #expect(u <= 0 && u >= -2.0 / 300)
    }

    @Test("The unbiased estimate averages to 0 for two sets of one distribution; the biased one does not")
    func unbiasedUnderTheNull() {
        let replicates = 40, n = 100
        var unbiased: [Double] = [], biased: [Double] = []
        for r in 0..<replicates {
            let x = MetricTestSupport.gaussian(count: n, mean: [0, 0], std: 1, seed: 100, firstIndex: 2 * r * n)
            let y = MetricTestSupport.gaussian(count: n, mean: [0, 0], std: 1, seed: 100, firstIndex: (2 * r + 1) * n)
            unbiased.append(MMD.squared(x, y, bandwidth: 1))
            biased.append(MMD.squaredBiased(x, y, bandwidth: 1))
        }
        // Tolerance: 4 standard errors of the mean over the replicates.
        let (mean, se) = MetricTestSupport.meanAndStandardError(unbiased)
        #expect(abs(mean) < 4 * se)
        let (biasedMean, biasedSE) = MetricTestSupport.meanAndStandardError(biased)
        #expect(biasedMean > 4 * biasedSE)               // the V-statistic's bias is visible at this size
    }

    @Test("Two 1-D Gaussians: the estimate matches the closed-form MMD²", arguments: [0.5, 1.0, 2.0])
    func closedForm(bandwidth h: Double) {
        let replicates = 20, n = 400
        let truth = Self.population(0.5, 1, 0, 1.5, h: h)
        var values: [Double] = []
        for r in 0..<replicates {
            let x = MetricTestSupport.gaussian(count: n, mean: [0.5], std: 1, seed: 200, firstIndex: 2 * r * n)
            let y = MetricTestSupport.gaussian(count: n, mean: [0], std: 1.5, seed: 200, firstIndex: (2 * r + 1) * n)
            values.append(MMD.squared(x, y, bandwidth: h))
        }
        // Tolerance: 4 standard errors of the replicate mean (the estimator is unbiased).
        let (mean, se) = MetricTestSupport.meanAndStandardError(values)
        #expect(truth > 0.01)
        #expect(abs(mean - truth) < 4 * se)
    }

    @Test("Translating both sets far from the origin leaves MMD² unchanged (no Gram cancellation)")
    func translationInvariance() {
        let x = MetricTestSupport.gaussian(count: 200, mean: [0, 0], std: 1, seed: 3)
        let y = MetricTestSupport.gaussian(count: 200, mean: [0.3, 0], std: 1, seed: 4)
        let near = MMD.squared(x, y, bandwidth: 1)
        let far = MMD.squared(x + 1000, y + 1000, bandwidth: 1)
        #expect(abs(near - far) < 1e-4 * abs(near) + 1e-6)
    }

    @Test("Median heuristic: the median distance between distinct points")
    func medianBandwidth() {
        // Points 0, 1, 3 on a line: distances 1, 2, 3, median 2.
        #expect(abs(MMD.medianBandwidth(Tensor(shape: [3, 1], scalars: [0, 1, 3])) - 2) < 1e-6)
        // Points 0, 1, 3, 7: distances 1, 2, 3, 4, 6, 7 — median of an even count is the mid-point, 3.5.
        #expect(abs(MMD.medianBandwidth(Tensor(shape: [4, 1], scalars: [0, 1, 3, 7])) - 3.5) < 1e-6)
    }

    @Test("Blocked computation agrees with the pairwise definition")
    func blockedAgreesWithDefinition() {
        let x = MetricTestSupport.gaussian(count: 300, mean: [0, 0, 0], std: 1, seed: 5)    // > one block of rows
        let y = MetricTestSupport.gaussian(count: 270, mean: [0.5, 0, 0], std: 1.2, seed: 6)
        let h = 1.3
        func k(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Double {
            exp(-zip(a, b).reduce(0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) } / (2 * h * h))
        }
        var xx = 0.0, yy = 0.0, xy = 0.0
        for i in 0..<300 { for j in 0..<300 where i != j { xx += k(x.row(i), x.row(j)) } }
        for i in 0..<270 { for j in 0..<270 where i != j { yy += k(y.row(i), y.row(j)) } }
        for i in 0..<300 { for j in 0..<270 { xy += k(x.row(i), y.row(j)) } }
        let direct = xx / (300 * 299) + yy / (270 * 269) - 2 * xy / (300 * 270)
        #expect(abs(MMD.squared(x, y, bandwidth: h) - direct) < 1e-6)
    }
}
