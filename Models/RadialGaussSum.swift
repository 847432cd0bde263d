import Foundation

/// `G(a) = Σ_k ω_k·exp(−a·u_k/2)` for many values of `a` from one pass over the `u_k ≥ 0`:
/// the exact noise-level posterior of components that share one isotropic variance, where
/// `u_k` is a squared distance and `a = 1/(s² + σ²)`, costs `O(K)` per row instead of
/// `O(K·levels)`.
///
/// The `u_k` go into buckets of width `h_j = h₀·2^j` at several resolutions j (256 buckets
/// each, all starting at 0; a coarser resolution holds everything a finer one does). A bucket
/// keeps the Taylor moments `M_n = Σ ω_k·(u_k − c)^n/n!` about its centre c, so its share of
/// G is `exp(−a·c/2)·Σ_n M_n·(−a/2)^n`. Each `a` is evaluated at the coarsest resolution
/// with `a·h ≤ 1`: then `|a·(u − c)/2| ≤ ¼` and 10 terms leave a relative error below 5·10⁻¹³.
/// Buckets are summed from u = 0 outwards until the mass left could add less than 10⁻¹⁷ of
/// the sum. Where that bound cannot be met, `log(a:)` returns nil and the caller sums directly.
struct RadialGaussSum {
    /// Taylor terms per bucket, and buckets per resolution.
    static let order = 10, buckets = 256
    /// The finest bucket width.
    let h0: Double
    /// The number of resolutions.
    let resolutions: Int
    /// `M_n` of bucket b at resolution j, at `(j·buckets + b)·order + n`.
    private var moments: [Double]
    /// The mass `Σ ω` each resolution holds, and the mass beyond it (summed from the
    /// components, not by subtraction, so the coarsest resolution has none beyond).
    private var covered: [Double]
    private let beyond: [Double]

    /// The sums of `omega[k]·exp(−a·u[k]/2)`, accurate for every `a ≤ largestA`.
    init(u: UnsafeBufferPointer<Double>, omega: UnsafeBufferPointer<Double>, largestA: Double) {
        let n = Self.order, b = Self.buckets
        let h0 = 1 / largestA, span = Double(b) * h0, top = u.max() ?? 0
        var r = 1
        while span * Double(sign: .plus, exponent: r - 1, significand: 1) <= top, r < 1000 { r += 1 }
        self.h0 = h0
        resolutions = r
        covered = []
        var moments = [Double](repeating: 0, count: r * b * n)
        var assigned = [Double](repeating: 0, count: r)
        let widths = (0..<r).map { h0 * Double(sign: .plus, exponent: $0, significand: 1) }
        let inverseWidths = widths.map { 1 / $0 }, limits = widths.map { Double(b) * $0 }
        let reciprocals = (0..<n).map { 1 / Double(max($0, 1)) }, inverseSpan = 1 / span
        moments.withUnsafeMutableBufferPointer { m in
            for k in 0..<u.count {
                let value = u[k], weight = omega[k]
                var j = min(r - 1, max(0, value > 0 ? (value * inverseSpan).exponent + 1 : 0))
                while j > 0, value < limits[j - 1] { j -= 1 }
                while j < r - 1, value >= limits[j] { j += 1 }
                let bucket = min(Int(value * inverseWidths[j]), b - 1)
                let delta = value - (Double(bucket) + 0.5) * widths[j]
                let base = (j * b + bucket) * n
                assigned[j] += weight
                var p = weight
                m[base] += p
                for i in 1..<n {
                    p *= delta * reciprocals[i]
                    m[base + i] += p
                }
            }
        }
        beyond = (0..<r).map { j in assigned[(j + 1)...].reduce(0, +) }
        self.moments = moments
        mergeUpwards()
    }

    /// Adds each resolution's buckets into the next coarser one (bucket b into b/2, moments
    /// moved to the parent's centre), then records the mass each resolution holds.
    private mutating func mergeUpwards() {
        let n = Self.order, b = Self.buckets
        for j in 0..<resolutions {
            if j + 1 < resolutions {
                let h = h0 * Double(sign: .plus, exponent: j, significand: 1)
                for bucket in 0..<b {
                    let delta = (bucket % 2 == 0 ? -0.5 : 0.5) * h
                    var shift = [Double](repeating: 1, count: n)        // δ^i / i!
                    for i in 1..<n { shift[i] = shift[i - 1] * delta / Double(i) }
                    let child = (j * b + bucket) * n, parent = ((j + 1) * b + bucket / 2) * n
                    for target in 0..<n {
                        var sum = 0.0
                        for m in 0...target { sum += moments[child + m] * shift[target - m] }
                        moments[parent + target] += sum
                    }
                }
            }
            covered.append((0..<b).reduce(0.0) { $0 + moments[(j * b + $1) * n] })
        }
    }

    /// `log G(a)`, or nil when the expansion cannot promise full accuracy at this `a`.
    func log(a: Double) -> Double? {
        let n = Self.order, b = Self.buckets
        guard a > 0, a * h0 <= 1 + 1e-12 else { return nil }
        var j = 0
        while j + 1 < resolutions, a * h0 * Double(sign: .plus, exponent: j + 1, significand: 1) <= 1 { j += 1 }
        let h = h0 * Double(sign: .plus, exponent: j, significand: 1), y = -0.5 * a
        let beyond = self.beyond[j]
        var rest = covered[j], sum = 0.0, first = -1.0
        for bucket in 0..<b {
            let base = (j * b + bucket) * n, mass = moments[base]
            guard mass > 0 else { continue }
            let centre = (Double(bucket) + 0.5) * h
            if first < 0 { first = centre }
            var p = moments[base + n - 1]
            for i in stride(from: n - 2, through: 0, by: -1) { p = p * y + moments[base + i] }
            sum += Foundation.exp(y * (centre - first)) * p
            rest -= mass
            let edge = Double(bucket + 1) * h
            if (max(rest, 0) + beyond) * Foundation.exp(y * (edge - first)) < 1e-17 * sum { return Self.finish(sum, y, first) }
        }
        guard first >= 0, beyond * Foundation.exp(y * (Double(b) * h - first)) <= 1e-16 * sum else { return nil }
        return Self.finish(sum, y, first)
    }

    private static func finish(_ sum: Double, _ y: Double, _ first: Double) -> Double? {
        sum > 0 ? y * first + Foundation.log(sum) : nil
    }
}
