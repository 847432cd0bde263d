import Foundation
import ScoreKitCore

/// The sliced 2-Wasserstein distance (Rabin, Peyré, Delon & Bernot, "Wasserstein Barycenter
/// and its Application to Texture Mixing", SSVM 2011; Bonneel et al., JMIV 2015):
///
///     SW₂(P, Q) = ( E_θ[ W₂²(θ·P, θ·Q) ] )^{1/2},   θ uniform on the unit sphere
///
/// estimated with L fixed random directions: `SW₂ ≈ ( (1/L)·Σ_l W₂²(θ_l·X, θ_l·Y) )^{1/2}`.
/// In one dimension W₂ between empirical distributions is exact from sorted values: with
/// quantile functions F⁻¹, G⁻¹, `W₂² = ∫₀¹ (F⁻¹(t) − G⁻¹(t))² dt`, which for equal sizes n is
/// `(1/n)·Σ_i (x_(i) − y_(i))²`. The directions are normal draws from `RandomStreams(seed)`
/// (stream `auxiliary`, direction l as the sample index), normalised: the same seed gives the
/// same directions, so every sampler of a comparison is measured on the same slices.
///
/// Known answers: for isotropic Gaussians in d dimensions,
/// `SW₂² = ‖μ₁ − μ₂‖²/d + (s₁ − s₂)²`; in one dimension SW₂ = W₂.
public struct SlicedWasserstein: Sendable {
    /// The unit directions, `[L, D]`.
    public let directions: Tensor

    /// `projections` directions in `dimension` dimensions from `seed`.
    public init(dimension: Int, projections: Int = 256, seed: UInt64 = 0) {
        precondition(dimension >= 1 && projections >= 1, "SlicedWasserstein: need a dimension and projections")
        let streams = RandomStreams(seed: seed)
        var values = [Float](repeating: 0, count: projections * dimension)
        values.withUnsafeMutableBufferPointer { p in
            for l in 0..<projections {
                let row = UnsafeMutableBufferPointer(rebasing: p[(l * dimension)..<((l + 1) * dimension)])
                var norm = 0.0
                var block = 0
                repeat {                       // redraw in the (measure-zero) case of a zero vector
                    streams.fillNormals(row, stream: RandomStreamID.auxiliary, sample: l, firstBlock: block)
                    norm = row.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
                    block += (dimension + 3) / 4
                } while norm == 0
                for j in 0..<dimension { row[j] = Float(Double(row[j]) / norm) }
            }
        }
        directions = Tensor(shape: [projections, dimension], scalars: values)
    }

    /// The number of directions L.
    public var projections: Int { directions.rows }

    /// Each set's values along each direction, sorted: `[L][rows]` in Float64.
    public func sortedProjections(_ x: Tensor) -> [[Double]] {
        precondition(x.rowSize == directions.rowSize,
                     "SlicedWasserstein: rows have \(x.rowSize) values; the directions \(directions.rowSize)")
        let flat = x.reshaped([x.rows, x.rowSize])
        let projected = flat.matmul(directions, transposeOther: true)   // [N, L]
        let n = x.rows, l = projections
        return (0..<l).map { k in (0..<n).map { Double(projected.scalars[$0 * l + k]) }.sorted() }
    }

    /// SW₂ between the rows of `x` and of `y` (sizes may differ).
    public func distance(_ x: Tensor, _ y: Tensor) -> Double {
        distance(sortedProjections(x), sortedProjections(y))
    }

    /// SW₂ from already sorted projections (`sortedProjections`) of two sets.
    public func distance(_ a: [[Double]], _ b: [[Double]]) -> Double {
        precondition(a.count == b.count, "SlicedWasserstein: projection counts differ")
        let total = zip(a, b).reduce(0) { $0 + Self.squaredW2(sorted: $1.0, $1.1) }
        return (total / Double(a.count)).squareRoot()
    }

    /// `W₂²` between two empirical distributions on the line, from their sorted values:
    /// `∫₀¹ (F⁻¹(t) − G⁻¹(t))² dt`, integrated exactly over the merged quantile breakpoints
    /// `i/n` and `j/m` (for n = m this is `(1/n)·Σ (a_i − b_i)²`).
    public static func squaredW2(sorted a: [Double], _ b: [Double]) -> Double {
        precondition(!a.isEmpty && !b.isEmpty, "W2: empty set")
        let n = a.count, m = b.count
        if n == m { return zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / Double(n) }
        var i = 0, j = 0, t = 0.0, total = 0.0
        while i < n && j < m {
            // Segment i of a ends at (i+1)/n, segment j of b at (j+1)/m; compare as (i+1)·m vs (j+1)·n.
            let endA = (i + 1) * m, endB = (j + 1) * n
            let end = Double(min(endA, endB)) / Double(n * m)
            let d = a[i] - b[j]
            total += d * d * (end - t)
            t = end
            if endA <= endB { i += 1 }
            if endB <= endA { j += 1 }
        }
        return total
    }
}
