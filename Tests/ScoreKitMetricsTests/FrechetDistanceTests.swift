import Foundation
import Testing
@testable import ScoreKitMetrics
import ScoreKitCore

@Suite("Fréchet distance between Gaussian fits")
struct FrechetDistanceTests {
    /// Rows whose sample mean is exactly `mean` and whose sample covariance is exactly `cov`
    /// (up to Float32 rounding): Philox normals, whitened by their own sample moments, then
    /// coloured by `cov^{1/2}`. So the fit of these rows has a known answer.
    static func exactMoments(count: Int, mean: [Double], cov: Matrix, seed: UInt64) -> Tensor {
        let d = mean.count
        let z = MetricTestSupport.gaussian(count: count, mean: Array(repeating: 0, count: d), std: 1, seed: seed)
        let fit = GaussianFit(z)
        let whiten = SymmetricEigen(fit.covariance).map { 1 / $0.squareRoot() }
        let colour = cov.psdSquareRoot
        let transform = whiten * colour                    // row vector times whiten, then colour
        var out = [Float](repeating: 0, count: count * d)
        for r in 0..<count {
            let centred = (0..<d).map { Double(z.scalars[r * d + $0]) - fit.mean[$0] }
            for j in 0..<d {
                var v = mean[j]
                for k in 0..<d { v += centred[k] * transform[k, j] }
                out[r * d + j] = Float(v)
            }
        }
        return Tensor(shape: [count, d], scalars: out)
    }

    @Test("Identical sets are at distance 0")
    func identical() {
        let x = MetricTestSupport.gaussian(count: 500, mean: [1, -2, 0.5], std: 1.5, seed: 1)
        #expect(abs(FrechetDistance.between(x, x)) < 1e-9)
    }

    @Test("Diagonal Gaussians: FD = ‖Δμ‖² + Σ_j (√a_j − √b_j)²")
    func diagonalClosedForm() {
        let a = GaussianFit(mean: [0, 1, 2], covariance: Matrix(diagonal: [1, 4, 9]))
        let b = GaussianFit(mean: [1, 1, 0], covariance: Matrix(diagonal: [4, 1, 0.25]))
        let expected = (1.0 + 0 + 4) + (1.0 + 1 + 6.25)
        #expect(abs(FrechetDistance.between(a, b) - expected) < 1e-12)
    }

    @Test("Non-commuting 2×2 covariances: tr√(Σ₁^½Σ₂Σ₁^½) = √(tr Σ₁Σ₂ + 2√(det Σ₁·det Σ₂))")
    func nonCommutingClosedForm() {
        let s1 = Matrix(size: 2, values: [2, 0.8, 0.8, 1]), s2 = Matrix(size: 2, values: [1, -0.5, -0.5, 3])
        let a = GaussianFit(mean: [0.5, 0], covariance: s1), b = GaussianFit(mean: [0, 0], covariance: s2)
        let det1 = 2.0 * 1 - 0.64, det2 = 3.0 - 0.25
        let cross = ((s1 * s2).trace + 2 * (det1 * det2).squareRoot()).squareRoot()
        let expected = 0.25 + s1.trace + s2.trace - 2 * cross
        #expect(abs(FrechetDistance.between(a, b) - expected) < 1e-12)
        #expect(abs(FrechetDistance.between(a, b) - FrechetDistance.between(b, a)) < 1e-12)   // symmetric
    }

    @Test("In one dimension FD is W₂² = Δm² + (s₁ − s₂)²")
    func oneDimension() {
        let a = GaussianFit(mean: [3], covariance: Matrix(diagonal: [4])), b = GaussianFit(mean: [1], covariance: Matrix(diagonal: [0.25]))
        #expect(abs(FrechetDistance.between(a, b) - (4 + 2.25)) < 1e-12)
    }

    @Test("From samples with known moments, the fit and the distance have the closed-form values")
    func fromSamples() {
        let cov1 = Matrix(size: 3, values: [2, 0.5, 0, 0.5, 1, 0.3, 0, 0.3, 1.5])
        let cov2 = Matrix(diagonal: [1, 2, 0.5])
        let x = Self.exactMoments(count: 1000, mean: [1, 0, -1], cov: cov1, seed: 5)
        let y = Self.exactMoments(count: 800, mean: [0, 0, 0], cov: cov2, seed: 6)
        let fit = GaussianFit(x)
        // Float32 storage rounds each value by ~6e-8 relative; moments inherit ~1e-6.
        #expect(zip(fit.mean, [1.0, 0, -1]).allSatisfy { abs($0 - $1) < 1e-5 })
        #expect(zip(fit.covariance.values, cov1.values).allSatisfy { abs($0 - $1) < 1e-5 })
        let expected = FrechetDistance.between(GaussianFit(mean: [1, 0, -1], covariance: cov1),
                                               GaussianFit(mean: [0, 0, 0], covariance: cov2))
        #expect(abs(FrechetDistance.between(x, y) - expected) < 1e-4)
    }

    @Test("The sample fit of Philox normals is within a few standard errors of the truth")
    func fitOfRandomSamples() {
        let n = 4000
        let x = MetricTestSupport.gaussian(count: n, mean: [2, -1], std: 3, seed: 7)
        let fit = GaussianFit(x)
        // SE of a mean: s/√n = 0.047; SE of a variance: s²·√(2/(n−1)) = 0.20; off-diagonal: s²/√n = 0.14.
        let seMean = 3 / Double(n).squareRoot(), seVar = 9 * (2 / Double(n - 1)).squareRoot(), seCov = 9 / Double(n).squareRoot()
        #expect(abs(fit.mean[0] - 2) < 4 * seMean && abs(fit.mean[1] + 1) < 4 * seMean)
        #expect(abs(fit.covariance[0, 0] - 9) < 4 * seVar && abs(fit.covariance[1, 1] - 9) < 4 * seVar)
        #expect(abs(fit.covariance[0, 1]) < 4 * seCov)
    }
}
