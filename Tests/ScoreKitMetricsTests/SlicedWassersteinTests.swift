import Foundation
import Testing
@testable import ScoreKitMetrics
import ScoreKitCore

@Suite("Sliced Wasserstein distance")
struct SlicedWassersteinTests {
    static func column(_ values: [Double]) -> Tensor {
        Tensor(shape: [values.count, 1], scalars: values.map(Float.init))
    }

    @Test("Identical sets, and the same set in another order, are at distance 0")
    func identical() {
        let x = MetricTestSupport.gaussian(count: 300, mean: [1, 2, 3], std: 2, seed: 1)
        let sw = SlicedWasserstein(dimension: 3, projections: 256, seed: 0)
        #expect(sw.distance(x, x) == 0)
        let reversed = x.gatherRows(Array((0..<300).reversed()))
        #expect(sw.distance(x, reversed) == 0)
    }

    @Test("Directions are seeded unit vectors: same seed same slices, another seed others")
    func directions() {
        let a = SlicedWasserstein(dimension: 5, projections: 256, seed: 9)
        let b = SlicedWasserstein(dimension: 5, projections: 256, seed: 9)
        let c = SlicedWasserstein(dimension: 5, projections: 256, seed: 10)
        #expect(a.directions == b.directions)
        #expect(a.directions != c.directions)
        #expect(a.projections == 256)
        for l in 0..<256 {
            let norm = a.directions.row(l).reduce(0) { $0 + Double($1) * Double($1) }
            #expect(abs(norm - 1) < 1e-6)
        }
    }

    @Test("1-D W₂ between empirical sets of different sizes, integrated over merged quantiles")
    func unequalSizes() {
        // {0, 1} against {0, ½, 1}: the quantile functions differ by ½ on [⅓, ⅔): W₂² = ¼·⅓ = 1/12.
        #expect(abs(SlicedWasserstein.squaredW2(sorted: [0, 1], [0, 0.5, 1]) - 1.0 / 12) < 1e-15)
        // Repeating every point leaves the distribution, and so the distance, unchanged.
        let a = [-1.0, 0.2, 0.3, 2], b = [0.0, 0.5, 4]
        let w = SlicedWasserstein.squaredW2(sorted: a, b)
        #expect(abs(SlicedWasserstein.squaredW2(sorted: a.flatMap { [$0, $0] }, b) - w) < 1e-12)
        #expect(abs(SlicedWasserstein.squaredW2(sorted: a, b.flatMap { [$0, $0, $0] }) - w) < 1e-12)
        #expect(abs(SlicedWasserstein.squaredW2(sorted: b, a) - w) < 1e-12)
    }

    @Test("1-D Gaussians at their quantiles: W₂² = Δm² + (s₁ − s₂)²·mean(q²), exactly")
    func gaussianQuantiles1D() {
        let q = MetricTestSupport.normalQuantiles(4000)
        let meanQ2 = q.reduce(0) { $0 + $1 * $1 } / Double(q.count)
        let x = Self.column(q.map { 1 + 2 * $0 }), y = Self.column(q.map { -1 + 0.5 * $0 })
        // In 1-D every direction is ±1, so SW₂ is W₂ whatever the directions.
        let sw = SlicedWasserstein(dimension: 1, projections: 256, seed: 0).distance(x, y)
        let expected = (4 + 2.25 * meanQ2).squareRoot()
        #expect(abs(sw - expected) < 1e-5)              // Float32 storage of the points
        #expect(abs(meanQ2 - 1) < 2e-3)                 // and so ≈ W₂ of N(1, 4), N(−1, ¼) = 2.5
    }

    @Test("1-D Gaussians from random draws: W₂ ≈ √(Δm² + (s₁ − s₂)²) = 2.5")
    func gaussianSamples1D() {
        let n = 20_000
        let x = MetricTestSupport.gaussian(count: n, mean: [1], std: 2, seed: 1)
        let y = MetricTestSupport.gaussian(count: n, mean: [-1], std: 0.5, seed: 2)
        let w = SlicedWasserstein(dimension: 1, projections: 256, seed: 0).distance(x, y)
        // Leading errors: Δm̂ has SE √((4 + ¼)/n) = 0.0146, which moves W₂ by (Δm/W₂)·SE = 0.012;
        // ŝ₁ − ŝ₂ has SE √((4 + ¼)/(2n)) = 0.0103, moving W₂ by (1.5/2.5)·SE = 0.006.
        // Combined SE ≈ 0.013; allow 4 SE.
        #expect(abs(w - 2.5) < 0.055)
    }

    @Test("Isotropic Gaussians in 2-D: SW₂² = ‖Δμ‖²/d + (s₁ − s₂)²")
    func isotropicGaussians() {
        let n = 4000, l = 1024
        let x = MetricTestSupport.gaussian(count: n, mean: [3, 0], std: 1, seed: 3)
        let y = MetricTestSupport.gaussian(count: n, mean: [0, 0], std: 2, seed: 4)
        let sw = SlicedWasserstein(dimension: 2, projections: l, seed: 11).distance(x, y)
        let expected = 9.0 / 2 + 1
        // Errors on SW₂²: the directions — (θ·Δμ)² = 9cos²φ has sd 9·√(1/8) = 3.18, so SE 3.18/√L
        // = 0.10; the sample means — Δμ̂ is off by e with sd √(5/n) = 0.035 per axis, moving
        // ‖Δμ‖²/2 by Δμ·e, sd 0.11; the spreads — (ŝ₁ − ŝ₂) has SE √(5/(2n)) = 0.025, moving
        // (s₁ − s₂)² by 0.05. Combined SE ≈ 0.16; allow 4 SE.
        #expect(abs(sw * sw - expected) < 0.64)
    }

    @Test("A translation by c in 1-D gives SW₂ = |c| exactly")
    func translation() {
        let x = MetricTestSupport.gaussian(count: 500, mean: [0], std: 1, seed: 8)
        let shifted = x + 0.75
        #expect(abs(SlicedWasserstein(dimension: 1, projections: 256).distance(x, shifted) - 0.75) < 1e-6)
    }
}
