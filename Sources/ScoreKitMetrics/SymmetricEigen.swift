import Foundation
import ScoreKitCore

/// A dense square matrix of Float64 values, row-major: the small linear algebra the metrics
/// need (covariances, their square roots) without a LAPACK dependency.
public struct Matrix: Sendable, Equatable {
    /// The number of rows and of columns.
    public let size: Int
    /// The values, row-major; `values.count == size²`.
    public var values: [Double]

    /// A `size × size` matrix of `values` (row-major).
    public init(size: Int, values: [Double]) {
        precondition(values.count == size * size, "Matrix: \(values.count) values for \(size)×\(size)")
        self.size = size
        self.values = values
    }

    /// The diagonal matrix with `diagonal` on its diagonal.
    public init(diagonal: [Double]) {
        var values = [Double](repeating: 0, count: diagonal.count * diagonal.count)
        for (i, v) in diagonal.enumerated() { values[i * diagonal.count + i] = v }
        self.init(size: diagonal.count, values: values)
    }

    /// Element (i, j).
    public subscript(i: Int, j: Int) -> Double {
        get { values[i * size + j] }
        set { values[i * size + j] = newValue }
    }

    /// The sum of the diagonal.
    public var trace: Double { (0..<size).reduce(0) { $0 + self[$1, $1] } }

    /// The product `a · b`.
    public static func * (a: Matrix, b: Matrix) -> Matrix {
        precondition(a.size == b.size, "Matrix: sizes differ")
        let n = a.size
        var out = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for k in 0..<n {
                let aik = a.values[i * n + k]
                if aik == 0 { continue }
                for j in 0..<n { out[i * n + j] += aik * b.values[k * n + j] }
            }
        }
        return Matrix(size: n, values: out)
    }

    /// `(a + aᵀ)/2`: removes the rounding asymmetry of a product that should be symmetric.
    public var symmetrised: Matrix {
        var out = self
        for i in 0..<size {
            for j in (i + 1)..<size {
                let v = 0.5 * (self[i, j] + self[j, i])
                out[i, j] = v
                out[j, i] = v
            }
        }
        return out
    }
}

/// The eigen-decomposition `A = V·diag(λ)·Vᵀ` of a real symmetric matrix by the cyclic Jacobi
/// method (Golub & Van Loan, *Matrix Computations*, 4th ed., §8.5.2–8.5.3).
///
/// Each rotation zeroes one off-diagonal pair `(p, q)`: with `θ = (a_qq − a_pp)/(2a_pq)`,
/// `t = sign(θ)/(|θ| + √(θ² + 1))`, `c = 1/√(t² + 1)`, `s = t·c`, the similarity `JᵀAJ`
/// reduces the off-diagonal Frobenius norm by `2a_pq²`. Sweeps over all pairs repeat until
/// that norm is below `tolerance` times the matrix norm; convergence is quadratic. Cost O(n³)
/// per sweep, fine for the few-hundred-dimensional feature covariances of the metrics.
public struct SymmetricEigen: Sendable {
    /// The eigenvalues, ascending.
    public let values: [Double]
    /// The eigenvectors: column k is the unit eigenvector of `values[k]`.
    public let vectors: Matrix
    /// The sweeps the iteration took.
    public let sweeps: Int

    /// Decomposes the symmetric matrix `a` (its upper triangle is read; the result is exact
    /// for the symmetrised matrix).
    public init(_ a: Matrix, tolerance: Double = 1e-15, maxSweeps: Int = 60) {
        let n = a.size
        var m = a.symmetrised.values
        var v = Matrix(diagonal: Array(repeating: 1, count: n)).values
        let norm = m.reduce(0) { $0 + $1 * $1 }.squareRoot()
        var sweep = 0
        while sweep < maxSweeps {
            var off = 0.0
            for p in 0..<n { for q in (p + 1)..<n { off += m[p * n + q] * m[p * n + q] } }
            if off.squareRoot() <= tolerance * norm || off == 0 { break }
            sweep += 1
            for p in 0..<n {
                for q in (p + 1)..<n where m[p * n + q] != 0 {
                    Self.rotate(&m, &v, n: n, p: p, q: q)
                }
            }
        }
        let order = (0..<n).sorted { m[$0 * n + $0] < m[$1 * n + $1] }
        values = order.map { m[$0 * n + $0] }
        var sorted = [Double](repeating: 0, count: n * n)
        for (k, col) in order.enumerated() { for i in 0..<n { sorted[i * n + k] = v[i * n + col] } }
        vectors = Matrix(size: n, values: sorted)
        sweeps = sweep
    }

    /// One Jacobi rotation in the (p, q) plane: `m ← JᵀmJ`, `v ← vJ`.
    private static func rotate(_ m: inout [Double], _ v: inout [Double], n: Int, p: Int, q: Int) {
        let apq = m[p * n + q]
        let theta = (m[q * n + q] - m[p * n + p]) / (2 * apq)
        let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
        let c = 1 / (t * t + 1).squareRoot(), s = t * c
        for k in 0..<n {                       // columns p and q: m ← mJ
            let mkp = m[k * n + p], mkq = m[k * n + q]
            m[k * n + p] = c * mkp - s * mkq
            m[k * n + q] = s * mkp + c * mkq
        }
        for k in 0..<n {                       // rows p and q: m ← Jᵀm
            let mpk = m[p * n + k], mqk = m[q * n + k]
            m[p * n + k] = c * mpk - s * mqk
            m[q * n + k] = s * mpk + c * mqk
        }
        m[p * n + q] = 0
        m[q * n + p] = 0
        for k in 0..<n {
            let vkp = v[k * n + p], vkq = v[k * n + q]
            v[k * n + p] = c * vkp - s * vkq
            v[k * n + q] = s * vkp + c * vkq
        }
    }

    /// `V·diag(f(λ))·Vᵀ`: a function of the matrix.
    public func map(_ f: (Double) -> Double) -> Matrix {
        let n = values.count
        let fl = values.map(f)
        var out = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in i..<n {
                var s = 0.0
                for k in 0..<n { s += vectors[i, k] * fl[k] * vectors[j, k] }
                out[i * n + j] = s
                out[j * n + i] = s
            }
        }
        return Matrix(size: n, values: out)
    }
}

extension Matrix {
    /// The symmetric positive-semidefinite square root `S` with `S·S = A`, for a symmetric PSD
    /// matrix; eigenvalues that rounding made slightly negative count as zero.
    public var psdSquareRoot: Matrix { SymmetricEigen(self).map { max($0, 0).squareRoot() } }
}
