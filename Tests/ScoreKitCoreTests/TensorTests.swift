import Testing
@testable import ScoreKitCore

@Suite("Tensor arithmetic and matrix products")
struct TensorTests {
    let a = Tensor(rows: [[1, 2, 3], [4, 5, 6]])
    let b = Tensor(rows: [[0.5, -1, 2], [3, 0, -2]])

    @Test func elementwise() {
        #expect((a + b).scalars == [1.5, 1, 5, 7, 5, 4])
        #expect((a - b).scalars == [0.5, 3, 1, 1, 5, 8])
        #expect((a * b).scalars == [0.5, -2, 6, 12, 0, -12])
        #expect((2.0 * a).scalars == [2, 4, 6, 8, 10, 12])
        #expect((a + 1.0).scalars == [2, 3, 4, 5, 6, 7])
    }

    @Test("combination with shared and per-row coefficients")
    func combination() {
        let c = Tensor.combination([(.perRow([1, -1]), a), (0.5, b)])
        #expect(c.scalars == [1.25, 1.5, 4, -2.5, -5, -7])
        #expect(a.scalingRows(by: [2, 0]).scalars == [2, 4, 6, 0, 0, 0])
    }

    @Test("rows: gather, scatter, slices, concatenation")
    func rows() {
        #expect(a.gatherRows([1, 0, 1]).scalars == [4, 5, 6, 1, 2, 3, 4, 5, 6])
        var c = a
        c.scatterRows([1], from: Tensor(rows: [[9, 9, 9]]))
        #expect(c.scalars == [1, 2, 3, 9, 9, 9])
        #expect(Tensor.concatenatingRows([a.rows(1..<2), a.rows(0..<1)]).scalars == [4, 5, 6, 1, 2, 3])
        #expect(a.rowSquaredNorms() == [14, 77])
    }

    @Test("non-finite values are found")
    func finiteness() {
        #expect(a.isFinite && a.firstNonFiniteRow == nil)
        var c = a
        c.scalars[4] = .nan
        #expect(!c.isFinite && c.firstNonFiniteRow == 1)
        c.scalars[4] = -.infinity
        #expect(c.firstNonFiniteRow == 1)
    }

    @Test("matmul agrees with the naive product, with and without transposes")
    func matmul() {
        func naive(_ x: Tensor, _ y: Tensor) -> [Float] {
            let (m, k, n) = (x.shape[0], x.shape[1], y.shape[1])
            return (0..<(m * n)).map { i in (0..<k).reduce(Float(0)) { $0 + x.scalars[(i / n) * k + $1] * y.scalars[$1 * n + i % n] } }
        }
        let bt = Tensor(shape: [3, 2], scalars: [0.5, 3, -1, 0, 2, -2])   // bᵀ
        #expect(a.matmul(bt).scalars == naive(a, bt))
        #expect(a.matmul(b, transposeOther: true).scalars == naive(a, bt))
        // btᵀ·aᵀ = (a·bt)ᵀ
        let ab = naive(a, bt)
        #expect(bt.matmul(a, transposeSelf: true, transposeOther: true).scalars == [ab[0], ab[2], ab[1], ab[3]])
    }
}
