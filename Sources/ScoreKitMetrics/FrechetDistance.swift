import Foundation
import ScoreKitCore

/// The mean and covariance of a set of vectors: the Gaussian the Fréchet distance compares.
public struct GaussianFit: Sendable, Equatable {
    /// The mean vector.
    public let mean: [Double]
    /// The covariance matrix.
    public let covariance: Matrix

    /// A Gaussian given by its parameters.
    public init(mean: [Double], covariance: Matrix) {
        precondition(mean.count == covariance.size, "GaussianFit: mean and covariance sizes differ")
        self.mean = mean
        self.covariance = covariance
    }

    /// The sample mean `μ = (1/n)·Σ x_i` and unbiased sample covariance
    /// `Σ = (1/(n−1))·Σ (x_i − μ)(x_i − μ)ᵀ` of the rows of `x` (each row flattened),
    /// accumulated in Float64. Needs at least two rows.
    public init(_ x: Tensor) {
        precondition(x.rows >= 2, "GaussianFit: need at least two rows, got \(x.rows)")
        let n = x.rows, d = x.rowSize
        var mean = [Double](repeating: 0, count: d)
        x.scalars.withUnsafeBufferPointer { p in
            for r in 0..<n { for j in 0..<d { mean[j] += Double(p[r * d + j]) } }
        }
        for j in 0..<d { mean[j] /= Double(n) }
        var cov = [Double](repeating: 0, count: d * d)
        var centred = [Double](repeating: 0, count: d)
        x.scalars.withUnsafeBufferPointer { p in
            for r in 0..<n {
                for j in 0..<d { centred[j] = Double(p[r * d + j]) - mean[j] }
                for i in 0..<d {
                    let ci = centred[i]
                    for j in i..<d { cov[i * d + j] += ci * centred[j] }
                }
            }
        }
        for i in 0..<d {
            for j in i..<d {
                cov[i * d + j] /= Double(n - 1)
                cov[j * d + i] = cov[i * d + j]
            }
        }
        self.init(mean: mean, covariance: Matrix(size: d, values: cov))
    }
}

/// The Fréchet distance between Gaussian fits of two sets — FID's formula (Heusel et al.,
/// "GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash Equilibrium",
/// NeurIPS 2017), which is the squared 2-Wasserstein distance between the two Gaussians
/// (Dowson & Landau, 1982):
///
///     FD = ‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2·(Σ₁^{1/2}·Σ₂·Σ₁^{1/2})^{1/2})
///
/// Like FID, ScoreKit reports this *squared* distance. The matrix square roots come from a
/// Jacobi eigen-decomposition in Float64 (`SymmetricEigen`); using the symmetric form
/// `Σ₁^{1/2}Σ₂Σ₁^{1/2}` (same trace of square root as `Σ₁Σ₂`) keeps everything symmetric PSD.
public enum FrechetDistance {
    /// FD between two Gaussians.
    public static func between(_ a: GaussianFit, _ b: GaussianFit) -> Double {
        precondition(a.mean.count == b.mean.count, "FrechetDistance: dimensions differ (\(a.mean.count) vs \(b.mean.count))")
        let meanTerm = zip(a.mean, b.mean).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        let rootA = a.covariance.psdSquareRoot
        let middle = (rootA * b.covariance * rootA).symmetrised
        let crossTrace = SymmetricEigen(middle).values.reduce(0) { $0 + max($1, 0).squareRoot() }
        return meanTerm + a.covariance.trace + b.covariance.trace - 2 * crossTrace
    }

    /// FD between Gaussian fits of the rows of `x` and of `y` (flattened; same row size).
    public static func between(_ x: Tensor, _ y: Tensor) -> Double {
        precondition(x.rowSize == y.rowSize, "FrechetDistance: row sizes differ (\(x.rowSize) vs \(y.rowSize))")
        return between(GaussianFit(x), GaussianFit(y))
    }
}
