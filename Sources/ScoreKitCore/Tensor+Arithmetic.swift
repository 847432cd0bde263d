// Element-wise arithmetic. The loops are plain multiply-adds over contiguous buffers so that
// the compiler vectorises them on the baseline x86-64 target (SSE2); `SIMD.addingProduct`
// would become a library call there.

extension Tensor {
    @inline(__always)
    private static func zipped(_ a: Tensor, _ b: Tensor, _ op: (Float, Float) -> Float) -> Tensor {
        precondition(a.shape == b.shape, "Tensor shapes differ: \(a.shape) vs \(b.shape)")
        var out = [Float](repeating: 0, count: a.count)
        a.scalars.withUnsafeBufferPointer { pa in
            b.scalars.withUnsafeBufferPointer { pb in
                out.withUnsafeMutableBufferPointer { po in
                    for i in 0..<po.count { po[i] = op(pa[i], pb[i]) }
                }
            }
        }
        return Tensor(shape: a.shape, scalars: out)
    }

    /// Element-wise sum.
    public static func + (a: Tensor, b: Tensor) -> Tensor { zipped(a, b, +) }
    /// Element-wise difference.
    public static func - (a: Tensor, b: Tensor) -> Tensor { zipped(a, b, -) }
    /// Element-wise product.
    public static func * (a: Tensor, b: Tensor) -> Tensor { zipped(a, b, *) }

    /// Every value multiplied by `s`.
    public static func * (s: Double, a: Tensor) -> Tensor {
        let f = Float(s)
        var out = a
        out.scalars.withUnsafeMutableBufferPointer { p in
            for i in 0..<p.count { p[i] *= f }
        }
        return out
    }

    /// Every value plus `s`.
    public static func + (a: Tensor, s: Double) -> Tensor {
        let f = Float(s)
        var out = a
        out.scalars.withUnsafeMutableBufferPointer { p in
            for i in 0..<p.count { p[i] += f }
        }
        return out
    }

    /// Each row multiplied by its own coefficient: `out[r] = s[r] · self[r]`.
    public func scalingRows(by s: [Double]) -> Tensor {
        precondition(s.count == rows, "scalingRows: \(s.count) coefficients for \(rows) rows")
        let n = rowSize
        var out = self
        out.scalars.withUnsafeMutableBufferPointer { p in
            for r in 0..<rows {
                let f = Float(s[r])
                let base = r * n
                for j in 0..<n { p[base + j] *= f }
            }
        }
        return out
    }

    /// The linear combination `Σ_k c_k[r] · t_k[r]` row by row.
    ///
    /// The workhorse of every sampler update (`x_next = a·x + b·denoised + c·z`). Each term's
    /// coefficients are either one value for all rows or one per row; they are Float64 and
    /// rounded to Float32 once per row.
    public static func combination(_ terms: [(RowCoefficients, Tensor)]) -> Tensor {
        precondition(!terms.isEmpty, "combination: no terms")
        let shape = terms[0].1.shape
        let rows = shape[0], n = terms[0].1.rowSize
        var out = [Float](repeating: 0, count: terms[0].1.count)
        out.withUnsafeMutableBufferPointer { po in
            for (coefficients, t) in terms {
                precondition(t.shape == shape, "combination: shapes differ: \(t.shape) vs \(shape)")
                t.scalars.withUnsafeBufferPointer { pt in
                    for r in 0..<rows {
                        let c = Float(coefficients[r])
                        let base = r * n
                        for j in 0..<n { po[base + j] += c * pt[base + j] }
                    }
                }
            }
        }
        return Tensor(shape: shape, scalars: out)
    }

    /// Values clipped to `range`.
    public func clipped(to range: ClosedRange<Float>) -> Tensor {
        var out = self
        out.scalars.withUnsafeMutableBufferPointer { p in
            for i in 0..<p.count { p[i] = Swift.min(Swift.max(p[i], range.lowerBound), range.upperBound) }
        }
        return out
    }

    /// The squared Euclidean norm of each row, accumulated in Float64.
    public func rowSquaredNorms() -> [Double] {
        let n = rowSize
        return scalars.withUnsafeBufferPointer { p in
            (0..<rows).map { r in
                var s = 0.0
                for j in 0..<n { let v = Double(p[r * n + j]); s += v * v }
                return s
            }
        }
    }
}

/// Coefficients of one term in `Tensor.combination`: one value for every row, or one per row.
public enum RowCoefficients: Sendable, ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral {
    /// The same coefficient for every row.
    case all(Double)
    /// One coefficient per row.
    case perRow([Double])

    /// One coefficient for every row.
    public init(floatLiteral value: Double) { self = .all(value) }
    /// One coefficient for every row.
    public init(integerLiteral value: Int) { self = .all(Double(value)) }

    /// The coefficient of row `r`.
    @inline(__always)
    public subscript(r: Int) -> Double {
        switch self {
        case .all(let c): return c
        case .perRow(let cs): return cs[r]
        }
    }
}
