import Foundation
import Testing
@testable import ScoreKitMetrics
import ScoreKitCore

@Suite("Symmetric eigen-decomposition (Jacobi)")
struct SymmetricEigenTests {
    /// A random symmetric positive-definite matrix `B·Bᵀ + εI` from Philox normals.
    static func randomSPD(_ n: Int, seed: UInt64) -> Matrix {
        let b = MetricTestSupport.gaussian(count: n, mean: Array(repeating: 0, count: n), std: 1, seed: seed)
        var values = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n {
            var s = 0.0
            for k in 0..<n { s += Double(b.scalars[i * n + k]) * Double(b.scalars[j * n + k]) }
            values[i * n + j] = s + (i == j ? 0.1 : 0)
        } }
        return Matrix(size: n, values: values)
    }

    static func maxAbsDifference(_ a: Matrix, _ b: Matrix) -> Double {
        zip(a.values, b.values).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }

    @Test("2×2 [[2,1],[1,2]] has eigenvalues 1 and 3 with eigenvectors (1,∓1)/√2")
    func twoByTwo() {
        let e = SymmetricEigen(Matrix(size: 2, values: [2, 1, 1, 2]))
        #expect(abs(e.values[0] - 1) < 1e-14 && abs(e.values[1] - 3) < 1e-14)
        #expect(abs(abs(e.vectors[0, 1]) - 0.5.squareRoot()) < 1e-14)
        #expect(abs(e.vectors[0, 1] - e.vectors[1, 1]) < 1e-14)       // (1, 1)/√2 for λ = 3
    }

    @Test("A diagonal matrix is its own decomposition, values sorted ascending")
    func diagonal() {
        let e = SymmetricEigen(Matrix(diagonal: [3, -1, 2]))
        #expect(e.values == [-1, 2, 3])
        #expect(e.sweeps == 0)
    }

    @Test("V·diag(λ)·Vᵀ rebuilds a random 30×30 SPD matrix and V is orthonormal", arguments: [1, 2] as [UInt64])
    func reconstruction(seed: UInt64) {
        let a = Self.randomSPD(30, seed: seed)
        let e = SymmetricEigen(a)
        let scale = a.values.map(abs).max()!
        #expect(Self.maxAbsDifference(e.map { $0 }, a) < 1e-12 * scale)
        var vt = e.vectors
        for i in 0..<30 { for j in 0..<30 { vt[i, j] = e.vectors[j, i] } }
        #expect(Self.maxAbsDifference(vt * e.vectors, Matrix(diagonal: Array(repeating: 1, count: 30))) < 1e-13)
        #expect(e.values.allSatisfy { $0 > 0 })
    }

    @Test("The PSD square root squares back to the matrix")
    func squareRoot() {
        let a = Self.randomSPD(20, seed: 3)
        let root = a.psdSquareRoot
        let scale = a.values.map(abs).max()!
        #expect(Self.maxAbsDifference(root * root, a) < 1e-11 * scale)
        #expect(Self.maxAbsDifference(root, root.symmetrised) == 0)
    }
}
