import Foundation
import ScoreKitCore

/// A Gaussian mixture with diagonal covariances: `p(x0) = Σ_k w_k·N(x0; μ_k, diag(s_k²))`.
///
/// Everything a sampler needs is exact. Adding noise of level σ keeps it a mixture,
/// `p_σ(x) = Σ_k w_k·N(x; μ_k, diag(s_k² + σ²))`, so with responsibilities
/// `r_k(x) ∝ w_k·N(x; μ_k, s_k² + σ²)` the denoiser is
/// `D(x; σ) = Σ_k r_k(x)·(μ_k + s_k²/(s_k² + σ²)·(x − μ_k))`, the density is exact, and so is
/// the posterior over a grid of noise levels. Sampler error can be measured with no network
/// error mixed in. Computed in Float64, returned as Float32.
public struct GaussianMixture: Denoiser, Sendable, Hashable {
    /// Mixture weights (sum to 1).
    public let weights: [Double]
    /// Component means, `[K][D]`.
    public let means: [[Double]]
    /// Per-dimension standard deviations, `[K][D]`.
    public let stds: [[Double]]
    /// The shape of one sample (default `[D]`).
    public let sampleShape: [Int]

    /// A mixture; weights are normalised. Throws when the parts do not fit together.
    public init(weights: [Double], means: [[Double]], stds: [[Double]], sampleShape: [Int]? = nil) throws {
        let k = weights.count
        guard k >= 1 else { throw GaussianMixtureError.invalid("a mixture needs at least one component") }
        guard means.count == k, stds.count == k else {
            throw GaussianMixtureError.invalid("\(k) weights but \(means.count) means and \(stds.count) stds")
        }
        let d = means[0].count
        guard d >= 1, means.allSatisfy({ $0.count == d }), stds.allSatisfy({ $0.count == d }) else {
            throw GaussianMixtureError.invalid("every mean and std must have the same dimension (\(d))")
        }
        guard weights.allSatisfy({ $0 >= 0 && $0.isFinite }), weights.reduce(0, +) > 0 else {
            throw GaussianMixtureError.invalid("weights must be non-negative and not all zero")
        }
        guard stds.joined().allSatisfy({ $0 > 0 && $0.isFinite }), means.joined().allSatisfy(\.isFinite) else {
            throw GaussianMixtureError.invalid("stds must be positive and means finite")
        }
        let shape = sampleShape ?? [d]
        guard shape.reduce(1, *) == d else { throw GaussianMixtureError.invalid("sample shape \(shape) does not hold \(d) values") }
        let total = weights.reduce(0, +)
        self.weights = weights.map { $0 / total }
        self.means = means
        self.stds = stds
        self.sampleShape = shape
    }

    /// The number of components.
    public var componentCount: Int { weights.count }
    /// Exact: every σ > 0.
    public var sigmaRange: ClosedRange<Double> { 0...Double.infinity }

    /// The mixture convolved with noise of level σ, as `[K, D]` tables (row-major) that turn
    /// its evaluation into matrix products.
    struct Noisy {
        /// `1/v_kj` with `v_kj = s_kj² + σ²`.
        let inverseVariance: [Double]
        /// `μ_kj/v_kj`.
        let meanOverVariance: [Double]
        /// `s_kj²/v_kj`, the shrinkage of the posterior mean towards μ_k.
        let shrink: [Double]
        /// `μ_kj·(1 − shrink_kj)`: the posterior mean is `offset_k + shrink_k·x`.
        let offset: [Double]
        /// `log w_k − ½·Σ_j (log 2πv_kj + μ_kj²/v_kj)`.
        let logConstant: [Double]
    }

    func noisy(_ sigma: Double) -> Noisy {
        let d = dimension, k = weights.count, s2 = sigma * sigma
        var inverse = [Double](repeating: 0, count: k * d)
        var meanOver = inverse, shrink = inverse, offset = inverse
        var constant = [Double](repeating: 0, count: k)
        for c in 0..<k {
            var acc = log(weights[c])
            for j in 0..<d {
                let v0 = stds[c][j] * stds[c][j], v = v0 + s2, mu = means[c][j], i = c * d + j
                inverse[i] = 1 / v
                meanOver[i] = mu / v
                shrink[i] = v0 / v
                offset[i] = mu * (1 - v0 / v)
                acc -= 0.5 * (log(2 * .pi * v) + mu * mu / v)
            }
            constant[c] = acc
        }
        return Noisy(inverseVariance: inverse, meanOverVariance: meanOver, shrink: shrink, offset: offset,
                     logConstant: constant)
    }

    /// `log w_k + log N(x_r; μ_k, s_k² + σ²)` for `n` rows `x` (`[n, D]`, Float64): the matrix
    /// `c_k − ½·(x∘x)·(1/v)ᵀ + x·(μ/v)ᵀ`, shape `[n, K]`.
    func componentLogDensities(_ x: [Double], rows n: Int, _ t: Noisy) -> [Double] {
        let d = dimension, k = weights.count
        var squares = x
        for i in 0..<squares.count { squares[i] *= squares[i] }
        var out = [Double](repeating: 0, count: n * k)
        for r in 0..<n { for c in 0..<k { out[r * k + c] = t.logConstant[c] } }
        squares.withUnsafeBufferPointer { sq in
            x.withUnsafeBufferPointer { px in
                out.withUnsafeMutableBufferPointer { po in
                    BLAS.gemm(m: n, n: k, k: d, sq.baseAddress!, t.inverseVariance, transposeB: true,
                              po.baseAddress!, alpha: -0.5, beta: 1)
                    BLAS.gemm(m: n, n: k, k: d, px.baseAddress!, t.meanOverVariance, transposeB: true,
                              po.baseAddress!, alpha: 1, beta: 1)
                }
            }
        }
        return out
    }

    /// Groups the rows of `x` by their σ and calls `body(rowIndices, rows as Float64, tables)`
    /// once per distinct σ.
    func forEachSigma(_ x: Tensor, sigma: [Double], _ body: ([Int], [Double], Noisy) -> Void) {
        var groups: [Double: [Int]] = [:]
        for (r, s) in sigma.enumerated() { groups[s, default: []].append(r) }
        let d = dimension
        for (s, rows) in groups.sorted(by: { $0.key > $1.key }) {
            var values = [Double](repeating: 0, count: rows.count * d)
            x.scalars.withUnsafeBufferPointer { px in
                for (i, r) in rows.enumerated() { for j in 0..<d { values[i * d + j] = Double(px[r * d + j]) } }
            }
            body(rows, values, noisy(s))
        }
    }

    public func denoise(_ x: Tensor, sigma: [Double]) throws -> Tensor {
        let d = dimension, k = weights.count
        var out = [Float](repeating: 0, count: x.count)
        forEachSigma(x, sigma: sigma) { rows, values, t in
            var responsibilities = componentLogDensities(values, rows: rows.count, t)
            for r in 0..<rows.count { softmaxInPlace(&responsibilities, from: r * k, count: k) }
            var mean = [Double](repeating: 0, count: rows.count * d), gain = mean
            responsibilities.withUnsafeBufferPointer { pr in
                BLAS.gemm(m: rows.count, n: d, k: k, pr.baseAddress!, t.offset, mean.withUnsafeMutableBufferPointer { $0.baseAddress! })
                BLAS.gemm(m: rows.count, n: d, k: k, pr.baseAddress!, t.shrink, gain.withUnsafeMutableBufferPointer { $0.baseAddress! })
            }
            for (i, r) in rows.enumerated() {
                for j in 0..<d { out[r * d + j] = Float(mean[i * d + j] + gain[i * d + j] * values[i * d + j]) }
            }
        }
        return Tensor(shape: x.shape, scalars: out)
    }

    /// `log p_σ(x)` for each row (σ = 0 gives the data density).
    public func logDensity(_ x: Tensor, sigma: Double = 0) -> [Double] {
        let k = weights.count
        var out = [Double](repeating: 0, count: x.rows)
        forEachSigma(x, sigma: Array(repeating: sigma, count: x.rows)) { rows, values, t in
            let l = componentLogDensities(values, rows: rows.count, t)
            for (i, r) in rows.enumerated() { out[r] = logSumExp(l[(i * k)..<((i + 1) * k)]) }
        }
        return out
    }

    /// The most responsible component of each row at noise level σ (σ = 0: the mode a sample
    /// belongs to).
    public func component(of x: Tensor, sigma: Double = 0) -> [Int] {
        let k = weights.count
        var out = [Int](repeating: 0, count: x.rows)
        forEachSigma(x, sigma: Array(repeating: sigma, count: x.rows)) { rows, values, t in
            let l = componentLogDensities(values, rows: rows.count, t)
            for (i, r) in rows.enumerated() {
                out[r] = (0..<k).max { l[i * k + $0] < l[i * k + $1] }!
            }
        }
        return out
    }

    /// Exact draws from the data distribution: sample i uses only (seed, i), in the
    /// `RandomStreamID.data` stream (one uniform block for the component, then normals).
    public func sample(count: Int, seed: UInt64, firstIndex: Int = 0) -> Tensor {
        let streams = RandomStreams(seed: seed)
        let n = dimension
        let cumulative = weights.reduce(into: [Double]()) { $0.append(($0.last ?? 0) + $1) }
        var out = [Float](repeating: 0, count: count * n)
        out.withUnsafeMutableBufferPointer { p in
            for i in 0..<count {
                let index = firstIndex + i
                let u = streams.uniforms(stream: RandomStreamID.data, sample: index, block: 0)[0]
                let k = cumulative.firstIndex { u < $0 } ?? weights.count - 1
                let row = UnsafeMutableBufferPointer(rebasing: p[(i * n)..<((i + 1) * n)])
                streams.fillNormals(row, stream: RandomStreamID.data, sample: index, firstBlock: 1)
                for j in 0..<n { row[j] = Float(means[k][j] + stds[k][j] * Double(row[j])) }
            }
        }
        return Tensor(shape: [count] + sampleShape, scalars: out)
    }

    /// The mean of the data distribution.
    public var mean: [Double] {
        (0..<dimension).map { j in zip(weights, means).reduce(0) { $0 + $1.0 * $1.1[j] } }
    }
}

/// A malformed mixture.
public enum GaussianMixtureError: Error, CustomStringConvertible, Equatable {
    case invalid(String)
    public var description: String {
        switch self { case .invalid(let m): "invalid Gaussian mixture: \(m)" }
    }
}

/// `log Σ exp(v)`, stable.
func logSumExp<C: Collection>(_ v: C) -> Double where C.Element == Double {
    guard let m = v.max(), m.isFinite else { return v.max() ?? -.infinity }
    return m + log(v.reduce(0) { $0 + exp($1 - m) })
}

/// Replaces `v[from ..< from + count]` by its softmax.
func softmaxInPlace(_ v: inout [Double], from start: Int, count: Int) {
    let l = logSumExp(v[start..<(start + count)])
    for i in start..<(start + count) { v[i] = exp(v[i] - l) }
}
