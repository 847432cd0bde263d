/// A small Float32 array: contiguous, row-major, batch-first.
///
/// The first dimension is the batch (`rows`); the rest is the shape of one sample
/// (`[2]` for 2-D points, `[1, 8, 8]` for an 8×8 image). ScoreKit needs element-wise
/// arithmetic with per-row coefficients (samplers give each sample its own σ), row
/// gathers and scatters, and matrix products (see `Tensor+BLAS.swift`) — nothing more.
public struct Tensor: Sendable, Equatable {
    /// The extent of each dimension; `shape[0]` is the batch size.
    public private(set) var shape: [Int]
    /// The values in row-major order; `scalars.count == shape.reduce(1, *)`.
    public var scalars: [Float]

    /// A tensor of the given shape and values. The count must match the shape.
    public init(shape: [Int], scalars: [Float]) {
        precondition(!shape.isEmpty && shape.allSatisfy { $0 >= 0 }, "Tensor: bad shape \(shape)")
        precondition(shape.reduce(1, *) == scalars.count,
                     "Tensor: \(scalars.count) values do not fill shape \(shape)")
        self.shape = shape
        self.scalars = scalars
    }

    /// A tensor of the given shape filled with `value`.
    public init(repeating value: Float, shape: [Int]) {
        self.init(shape: shape, scalars: Array(repeating: value, count: shape.reduce(1, *)))
    }

    /// A tensor of zeros.
    public init(zeros shape: [Int]) { self.init(repeating: 0, shape: shape) }

    /// Stacks rows of equal length into an `[rows.count, length]` tensor.
    public init(rows: [[Float]]) {
        let width = rows.first?.count ?? 0
        precondition(rows.allSatisfy { $0.count == width }, "Tensor: ragged rows")
        self.init(shape: [rows.count, width], scalars: rows.flatMap { $0 })
    }

    /// The batch size, `shape[0]`.
    public var rows: Int { shape[0] }
    /// The shape of one row (one sample).
    public var rowShape: [Int] { Array(shape.dropFirst()) }
    /// The number of values in one row.
    public var rowSize: Int { shape.dropFirst().reduce(1, *) }
    /// The number of values.
    public var count: Int { scalars.count }

    /// The values of row `r`.
    public func row(_ r: Int) -> ArraySlice<Float> {
        let n = rowSize
        return scalars[(r * n)..<((r + 1) * n)]
    }

    /// The same values under another shape with the same count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, scalars: scalars)
    }

    /// The rows at `indices`, in that order.
    public func gatherRows(_ indices: [Int]) -> Tensor {
        let n = rowSize
        var out = [Float]()
        out.reserveCapacity(indices.count * n)
        for r in indices { out.append(contentsOf: scalars[(r * n)..<((r + 1) * n)]) }
        return Tensor(shape: [indices.count] + rowShape, scalars: out)
    }

    /// Rows `range` as a tensor.
    public func rows(_ range: Range<Int>) -> Tensor {
        let n = rowSize
        return Tensor(shape: [range.count] + rowShape,
                      scalars: Array(scalars[(range.lowerBound * n)..<(range.upperBound * n)]))
    }

    /// Writes the rows of `source` into rows `indices` of this tensor.
    public mutating func scatterRows(_ indices: [Int], from source: Tensor) {
        let n = rowSize
        precondition(source.rowSize == n && source.rows == indices.count, "scatterRows: shape mismatch")
        scalars.withUnsafeMutableBufferPointer { dst in
            source.scalars.withUnsafeBufferPointer { src in
                for (k, r) in indices.enumerated() {
                    for j in 0..<n { dst[r * n + j] = src[k * n + j] }
                }
            }
        }
    }

    /// Rows of several tensors with the same row shape, one after another.
    public static func concatenatingRows(_ parts: [Tensor]) -> Tensor {
        precondition(!parts.isEmpty, "concatenatingRows: nothing to concatenate")
        let rowShape = parts[0].rowShape
        precondition(parts.allSatisfy { $0.rowShape == rowShape }, "concatenatingRows: row shapes differ")
        return Tensor(shape: [parts.reduce(0) { $0 + $1.rows }] + rowShape,
                      scalars: parts.flatMap { $0.scalars })
    }

    /// Whether every value is finite.
    public var isFinite: Bool {
        scalars.withUnsafeBufferPointer { p in
            var acc: Float = 0
            for v in p { acc += v * 0 }   // NaN or ±inf turns the sum into NaN
            return acc == 0
        }
    }

    /// The index of the first row holding a NaN or infinity, if any.
    public var firstNonFiniteRow: Int? {
        let n = max(rowSize, 1)
        guard let i = scalars.firstIndex(where: { !$0.isFinite }) else { return nil }
        return i / n
    }
}
