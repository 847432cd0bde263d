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

    /// The mixture convolved with noise of level σ, as tables for fast evaluation.
    struct Noisy {
        /// `1/(s_kj² + σ²)`, `[K][D]` flattened.
        let inverseVariance: [Double]
        /// `s_kj²/(s_kj² + σ²)`, the shrinkage of the posterior mean towards μ_k.
        let shrink: [Double]
        /// `log w_k − ½·Σ_j log(2π(s_kj² + σ²))`.
        let logConstant: [Double]
    }

    func noisy(_ sigma: Double) -> Noisy {
        let d = dimension, s2 = sigma * sigma
        var inv = [Double](repeating: 0, count: weights.count * d), shrink = inv
        var constant = [Double](repeating: 0, count: weights.count)
        for k in 0..<weights.count {
            var c = log(weights[k])
            for j in 0..<d {
                let v0 = stds[k][j] * stds[k][j], v = v0 + s2
                inv[k * d + j] = 1 / v
                shrink[k * d + j] = v0 / v
                c -= 0.5 * log(2 * .pi * v)
            }
            constant[k] = c
        }
        return Noisy(inverseVariance: inv, shrink: shrink, logConstant: constant)
    }

    /// `log w_k + log N(x; μ_k, s_k² + σ²)` for each component, for one point.
    func componentLogDensities(_ x: UnsafeBufferPointer<Float>, _ t: Noisy) -> [Double] {
        let d = x.count
        return (0..<weights.count).map { k in
            let mu = means[k]
            var q = 0.0
            for j in 0..<d {
                let e = Double(x[j]) - mu[j]
                q += e * e * t.inverseVariance[k * d + j]
            }
            return t.logConstant[k] - 0.5 * q
        }
    }

    /// Applies `body` to each row with the tables of its σ (computed once per distinct σ).
    func forEachRow(_ x: Tensor, sigma: [Double], _ body: (Int, UnsafeBufferPointer<Float>, Noisy) -> Void) {
        let n = dimension
        var tables: [Double: Noisy] = [:]
        x.scalars.withUnsafeBufferPointer { px in
            for r in 0..<x.rows {
                let t = tables[sigma[r]] ?? noisy(sigma[r])
                tables[sigma[r]] = t
                body(r, UnsafeBufferPointer(rebasing: px[(r * n)..<((r + 1) * n)]), t)
            }
        }
    }

    public func denoise(_ x: Tensor, sigma: [Double]) throws -> Tensor {
        let n = dimension
        var out = [Float](repeating: 0, count: x.count)
        forEachRow(x, sigma: sigma) { r, row, t in
            let resp = softmax(componentLogDensities(row, t))
            for j in 0..<n {
                var d = 0.0
                for k in 0..<weights.count {
                    d += resp[k] * (means[k][j] + t.shrink[k * n + j] * (Double(row[j]) - means[k][j]))
                }
                out[r * n + j] = Float(d)
            }
        }
        return Tensor(shape: x.shape, scalars: out)
    }

    /// `log p_σ(x)` for each row (σ = 0 gives the data density).
    public func logDensity(_ x: Tensor, sigma: Double = 0) -> [Double] {
        var out = [Double](repeating: 0, count: x.rows)
        forEachRow(x, sigma: Array(repeating: sigma, count: x.rows)) { r, row, t in
            out[r] = logSumExp(componentLogDensities(row, t))
        }
        return out
    }

    /// The most responsible component of each row at noise level σ (σ = 0: the mode a sample
    /// belongs to).
    public func component(of x: Tensor, sigma: Double = 0) -> [Int] {
        var out = [Int](repeating: 0, count: x.rows)
        forEachRow(x, sigma: Array(repeating: sigma, count: x.rows)) { r, row, t in
            let l = componentLogDensities(row, t)
            out[r] = l.indices.max { l[$0] < l[$1] }!
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
func logSumExp(_ v: [Double]) -> Double {
    guard let m = v.max(), m.isFinite else { return v.max() ?? -.infinity }
    return m + log(v.reduce(0) { $0 + exp($1 - m) })
}

/// `exp(v − logSumExp(v))`.
func softmax(_ v: [Double]) -> [Double] {
    let l = logSumExp(v)
    return v.map { exp($0 - l) }
}
