import Foundation
import Testing
@testable import ScoreKitMetrics
import ScoreKitCore

@Suite("Exact-model metrics and the reference-solution distance")
struct ExactModelMetricsTests {
    /// log N(x; 0, I_d) of each row.
    static func standardNormalLogDensity(_ x: Tensor) -> [Double] {
        let d = Double(x.rowSize)
        return x.rowSquaredNorms().map { -0.5 * d * log(2 * .pi) - 0.5 * $0 }
    }

    @Test("Mode-weight TV: ½·Σ|n_k/n − w_k| on hand-counted cases")
    func modeTV() {
        #expect(abs(ExactModelMetrics.modeWeightTotalVariation(assignments: [0, 0, 0, 1], weights: [0.8, 0.2]) - 0.05) < 1e-15)
        #expect(abs(ExactModelMetrics.modeWeightTotalVariation(assignments: [0, 1], weights: [0.8, 0.2]) - 0.3) < 1e-15)
        #expect(ExactModelMetrics.modeWeightTotalVariation(assignments: [0, 0, 0, 0, 1], weights: [0.8, 0.2]) == 0)
        #expect(abs(ExactModelMetrics.modeWeightTotalVariation(assignments: [2, 2], weights: [0.5, 0.5, 0]) - 1) < 1e-15)
    }

    @Test("Log-likelihood gap of N(0, s²I) samples under N(0, I): (d/2)·(s² − 1)", arguments: [0.8, 1.0, 1.3])
    func logLikelihoodGap(s: Double) {
        let n = 5000, d = 4
        let reference = MetricTestSupport.gaussian(count: n, mean: Array(repeating: 0, count: d), std: 1, seed: 1)
        let samples = MetricTestSupport.gaussian(count: n, mean: Array(repeating: 0, count: d), std: s, seed: 2)
        let gap = ExactModelMetrics.logLikelihoodGap(samples: Self.standardNormalLogDensity(samples),
                                                      reference: Self.standardNormalLogDensity(reference))
        // log p = c − ‖x‖²/2 with ‖x‖² ~ s²χ²_d, so Var log p = s⁴·d/2; the gap's SE is
        // √((1 + s⁴)·d/(2n)). Allow 4 SE.
        let se = ((1 + pow(s, 4)) * Double(d) / (2 * Double(n))).squareRoot()
        #expect(abs(gap - Double(d) / 2 * (s * s - 1)) < 4 * se)
    }

    @Test("The gap of a set against itself is exactly 0")
    func gapIdentical() throws {
        let x = MetricTestSupport.gaussian(count: 100, mean: [0, 0], std: 1, seed: 3)
        let metric = LogLikelihoodGapMetric(reference: x, logDensity: Self.standardNormalLogDensity)
        #expect(try metric.measure(x) == 0)
        #expect(metric.goal == .nearZero)
    }

    @Test("RMS distance to a reference solution: 0 for the same set, |c| for a shift by c")
    func referenceDistance() {
        let x = MetricTestSupport.gaussian(count: 50, mean: [0, 0, 0], std: 1, seed: 4)
        #expect(ReferenceSolutionDistance.rms(x, x) == 0)
        // Shift every row by (0.3, 0.4, 0): each row is 0.5 away.
        let shift = Tensor(shape: x.shape, scalars: (0..<x.count).map { [0.3, 0.4, 0][$0 % 3] })
        #expect(abs(ReferenceSolutionDistance.rms(x + shift, x) - 0.5) < 1e-6)
        // Half the rows 1 away, half 0: RMS = √½.
        var y = x
        for r in stride(from: 0, to: 50, by: 2) { y.scalars[3 * r] += 1 }
        #expect(abs(ReferenceSolutionDistance.rms(y, x) - 0.5.squareRoot()) < 1e-6)
    }
}
