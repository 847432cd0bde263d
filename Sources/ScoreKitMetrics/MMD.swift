import Foundation
import ScoreKitCore

/// The squared maximum mean discrepancy with a Gaussian (RBF) kernel (Gretton, Borgwardt,
/// Rasch, Schölkopf & Smola, "A Kernel Two-Sample Test", JMLR 2012, Lemma 6):
///
///     k(a, b) = exp(−‖a − b‖² / (2h²))
///     MMD²_u = 1/(m(m−1))·Σ_{i≠j} k(x_i, x_j) + 1/(n(n−1))·Σ_{i≠j} k(y_i, y_j) − 2/(mn)·Σ_{i,j} k(x_i, y_j)
///
/// The unbiased estimator: its expectation is the population MMD², so it is zero on average
/// when both sets come from the same distribution (and can then be slightly negative).
/// Bandwidth by the median heuristic (Gretton et al., section 8): `h` = the median distance
/// between distinct points of a set. ScoreKit's comparisons take h from the reference data once,
/// so every sampler is measured with the same kernel.
public enum MMD {
    /// Rows per block of the pairwise computation (bounds memory at `block × rows` values).
    static let block = 256

    /// The unbiased MMD² between the rows of `x` and `y` (each at least two rows, same row size)
    /// with kernel bandwidth `h`.
    public static func squared(_ x: Tensor, _ y: Tensor, bandwidth h: Double) -> Double {
        precondition(x.rows >= 2 && y.rows >= 2, "MMD: need at least two rows in each set")
        precondition(x.rowSize == y.rowSize, "MMD: row sizes differ (\(x.rowSize) vs \(y.rowSize))")
        precondition(h > 0 && h.isFinite, "MMD: bandwidth must be positive, got \(h)")
        let m = Double(x.rows), n = Double(y.rows)
        let xx = kernelSum(x, x, bandwidth: h, skipDiagonal: true)
        let yy = kernelSum(y, y, bandwidth: h, skipDiagonal: true)
        let xy = kernelSum(x, y, bandwidth: h, skipDiagonal: false)
        return xx / (m * (m - 1)) + yy / (n * (n - 1)) - 2 * xy / (m * n)
    }

    /// The biased (V-statistic) MMD², which includes the diagonal terms `k(x_i, x_i) = 1`:
    /// always ≥ 0, and positive on average even for two sets of one distribution. For
    /// comparison with `squared` in tests and diagnostics.
    public static func squaredBiased(_ x: Tensor, _ y: Tensor, bandwidth h: Double) -> Double {
        let m = Double(x.rows), n = Double(y.rows)
        let xx = kernelSum(x, x, bandwidth: h, skipDiagonal: true) + m
        let yy = kernelSum(y, y, bandwidth: h, skipDiagonal: true) + n
        let xy = kernelSum(x, y, bandwidth: h, skipDiagonal: false)
        return xx / (m * m) + yy / (n * n) - 2 * xy / (m * n)
    }

    /// The median heuristic: the median Euclidean distance between distinct rows of `z`,
    /// using at most the first `maxRows` rows (the median of ~½·maxRows² pairs is stable).
    public static func medianBandwidth(_ z: Tensor, maxRows: Int = 1000) -> Double {
        let rows = min(z.rows, maxRows)
        precondition(rows >= 2, "MMD: the median heuristic needs at least two rows")
        let sub = z.reshaped([z.rows, z.rowSize]).rows(0..<rows)
        var distances: [Double] = []
        distances.reserveCapacity(rows * (rows - 1) / 2)
        forEachSquaredDistanceBlock(sub, sub) { i0, block, cols in
            for bi in 0..<(block.count / cols) {
                let i = i0 + bi
                for j in (i + 1)..<cols { distances.append(Double(block[bi * cols + j])) }
            }
        }
        distances.sort()
        let mid = distances.count / 2
        // Sorted squared distances sort the distances too; average the two middle *distances*.
        return distances.count % 2 == 1 ? distances[mid].squareRoot()
            : 0.5 * (distances[mid - 1].squareRoot() + distances[mid].squareRoot())
    }

    /// `Σ k(x_i, y_j)` over all pairs, or over i ≠ j when `skipDiagonal` (x and y the same set).
    static func kernelSum(_ x: Tensor, _ y: Tensor, bandwidth h: Double, skipDiagonal: Bool) -> Double {
        let scale = Float(-0.5 / (h * h))
        let blocks = SquaredDistanceBlocks(x.reshaped([x.rows, x.rowSize]), y.reshaped([y.rows, y.rowSize]))
        // Blocks of rows on every core; the row sums are added in row order afterwards, so the
        // total has the same bits whatever the number of cores.
        let sums = RowSums(count: blocks.count)
        DispatchQueue.concurrentPerform(iterations: blocks.count) { b in
            let (i0, block, cols) = blocks.block(b)
            var rowSums: [Double] = []
            var kernel = block
            kernel.withUnsafeMutableBufferPointer { p in
                for i in 0..<p.count { p[i] = Foundation.exp(scale * p[i]) }
                for bi in 0..<(p.count / cols) {
                    var rowSum = 0.0
                    for j in 0..<cols { rowSum += Double(p[bi * cols + j]) }
                    if skipDiagonal { rowSum -= Double(p[bi * cols + i0 + bi]) }   // the i = j term
                    rowSums.append(rowSum)
                }
            }
            sums.set(b, rowSums)
        }
        return sums.total()
    }

    /// The row sums of each block, filled in from any thread and added in block order.
    final class RowSums: @unchecked Sendable {
        private let lock = NSLock()
        private var blocks: [[Double]]   // guarded by `lock`

        init(count: Int) { blocks = Array(repeating: [], count: count) }

        func set(_ block: Int, _ sums: [Double]) { lock.withLock { blocks[block] = sums } }

        /// Every row sum, added in row order (the same bits whatever thread filled which block).
        func total() -> Double { lock.withLock { blocks.joined().reduce(0.0, +) } }
    }

    /// The blocks of squared distances between rows of x (a block of rows at a time) and all
    /// rows of y, computed on demand (each independently, so on any thread).
    struct SquaredDistanceBlocks: Sendable {
        let x: Tensor, y: Tensor
        let xNorms: [Double], yNorms: [Double]

        init(_ x: Tensor, _ y: Tensor) {
            let centre = columnMeans(x)
            self.x = shifted(x, by: centre)
            self.y = shifted(y, by: centre)
            xNorms = self.x.rowSquaredNorms()
            yNorms = self.y.rowSquaredNorms()
        }

        var count: Int { (x.rows + MMD.block - 1) / MMD.block }

        /// Block `b`: its first row, the squared distances (rows × cols) and cols.
        func block(_ b: Int) -> (Int, [Float], Int) {
            let start = b * MMD.block, end = min(start + MMD.block, x.rows)
            var gram = x.rows(start..<end).matmul(y, transposeOther: true).scalars
            let cols = y.rows
            for bi in 0..<(end - start) {
                let xn = xNorms[start + bi]
                for j in 0..<cols {
                    let d2 = xn + yNorms[j] - 2 * Double(gram[bi * cols + j])
                    gram[bi * cols + j] = Float(max(d2, 0))
                }
            }
            return (start, gram, cols)
        }
    }

    /// Calls `body(firstRow, d², columns)` with blocks of squared distances
    /// `‖x_i − y_j‖² = ‖x_i‖² + ‖y_j‖² − 2·x_i·y_j` (Gram products on BLAS, clamped at 0) for
    /// consecutive row blocks of x, each `[rowsInBlock, y.rows]` row-major. Both sets are first
    /// shifted by x's mean, which leaves distances unchanged and keeps the norms small, so the
    /// Float32 Gram products lose little to cancellation.
    static func forEachSquaredDistanceBlock(_ x: Tensor, _ y: Tensor, _ body: (Int, [Float], Int) -> Void) {
        let blocks = SquaredDistanceBlocks(x, y)
        for b in 0..<blocks.count {
            let (start, gram, cols) = blocks.block(b)
            body(start, gram, cols)
        }
    }

    /// The mean of each column of a `[N, D]` tensor, in Float64.
    static func columnMeans(_ x: Tensor) -> [Double] {
        let d = x.rowSize
        var mean = [Double](repeating: 0, count: d)
        for r in 0..<x.rows { for j in 0..<d { mean[j] += Double(x.scalars[r * d + j]) } }
        return mean.map { $0 / Double(max(x.rows, 1)) }
    }

    /// `x` with `centre` subtracted from every row.
    static func shifted(_ x: Tensor, by centre: [Double]) -> Tensor {
        let d = x.rowSize
        var out = x
        out.scalars.withUnsafeMutableBufferPointer { p in
            for r in 0..<x.rows { for j in 0..<d { p[r * d + j] = Float(Double(p[r * d + j]) - centre[j]) } }
        }
        return out
    }
}
