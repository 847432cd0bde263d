import Foundation
import ScoreKitCore

/// A Gaussian mixture with diagonal covariances: `p(x0) = Σ_k w_k·N(x0; μ_k, diag(s_k²))`.
///
/// Everything a sampler needs is exact. Adding noise of level σ keeps it a mixture,
/// `p_σ(x) = Σ_k w_k·N(x; μ_k, diag(s_k² + σ²))`, so with responsibilities
/// `r_k(x) ∝ w_k·N(x; μ_k, s_k² + σ²)` the denoiser is
/// `D(x; σ) = Σ_k r_k(x)·(μ_k + s_k²/(s_k² + σ²)·(x − μ_k))`, the density is exact, and so is
/// the posterior over a grid of noise levels. Sampler error can be measured with no network
/// error mixed in. Computed in Float64 over flat tables (`MixtureTables`), one row at a time
/// in a fixed order, so a row's result does not depend on the batch; returned as Float32.
/// The parameters must lie in `GaussianMixture.Limits`.
public struct GaussianMixture: Denoiser, Sendable, Hashable {
    /// Mixture weights (sum to 1).
    public let weights: [Double]
    /// Component means, `[K][D]`.
    public let means: [[Double]]
    /// Per-dimension standard deviations, `[K][D]`.
    public let stds: [[Double]]
    /// The shape of one sample (default `[D]`).
    public let sampleShape: [Int]
    /// The same parameters as flat tables for evaluation.
    let tables: MixtureTables
    /// The largest distance between data points (`diameter(means:stds:)`).
    public let dataDiameter: Double?
    /// The σ range samplers use when none is given (`defaultSigmaRange`), from the mixture's
    /// scale; the mixture itself is exact at every σ > 0.
    public let sigmaRange: ClosedRange<Double>
    /// The class of each component, `0..<labelCount` (by default component k is class k): a
    /// label selects the group of components of its class (see `GaussianMixture+Conditional`).
    public let classes: [Int]

    /// A mixture; weights are normalised. `classes` gives each component's class label (nil:
    /// component k is class k; every class in `0..<max + 1` must have a component). Throws when
    /// the parts do not fit together or a number lies outside `Limits`.
    public init(weights: [Double], means: [[Double]], stds: [[Double]], sampleShape: [Int]? = nil,
                classes: [Int]? = nil) throws {
        let shape = try Self.validate(weights: weights, means: means, stds: stds, sampleShape: sampleShape)
        self.classes = try Self.validate(classes: classes, componentCount: weights.count)
        let largest = weights.max()!
        let scaled = weights.map { $0 / largest }                    // no overflow in the sum
        let total = scaled.reduce(0, +)
        self.weights = scaled.map { $0 / total }
        self.means = means
        self.stds = stds
        self.sampleShape = shape
        tables = MixtureTables(logWeights: scaled.map { log($0 / total) }, means: means, stds: stds)
        let diameter = Self.diameter(means: means, stds: stds)
        dataDiameter = diameter
        sigmaRange = Self.defaultSigmaRange(stds: stds, diameter: diameter, scale: Self.reach(means: means, stds: stds))
    }

    /// Equal when weights, means and standard deviations are.
    public static func == (a: GaussianMixture, b: GaussianMixture) -> Bool {
        a.weights == b.weights && a.means == b.means && a.stds == b.stds && a.sampleShape == b.sampleShape
            && a.classes == b.classes
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(weights)
        hasher.combine(means)
        hasher.combine(stds)
        hasher.combine(sampleShape)
        hasher.combine(classes)
    }

    /// The number of components.
    public var componentCount: Int { weights.count }

    public func denoise(_ x: Tensor, sigma: [Double]) throws -> Tensor {
        posteriorMeans(x, sigma: sigma, labels: nil)
    }

    /// `E[x0 | x]` for each row, within the components of the row's class when `labels` gives
    /// one (the closed-form conditional denoiser), else over all components.
    func posteriorMeans(_ x: Tensor, sigma: [Double], labels: [Int?]?) -> Tensor {
        precondition(x.rowSize == dimension && sigma.count == x.rows, "denoise: shape \(x.shape) / \(sigma.count) σ's")
        let d = dimension
        var out = [Float](repeating: 0, count: x.count)
        var terms = [Double](repeating: 0, count: tables.count), row = [Double](repeating: 0, count: d)
        var mean = row, scratch = terms
        forEachSigma(sigma) { rows, level in
            for r in rows {
                for j in 0..<d { row[j] = Double(x.scalars[r * d + j]) }
                tables.terms(row, level, into: &terms)
                if let label = labels?[r] { keepClass(label, in: &terms) }
                tables.posteriorMean(row, terms, level, scratch: &scratch, into: &mean)
                for j in 0..<d { out[r * d + j] = Float(mean[j]) }
            }
        }
        return Tensor(shape: x.shape, scalars: out)
    }

    /// `log p_σ(x)` for each row (σ = 0 gives the data density).
    public func logDensity(_ x: Tensor, sigma: Double = 0) -> [Double] {
        var out = [Double](repeating: 0, count: x.rows)
        eachRow(x, sigma: sigma) { r, terms in out[r] = logSumExp(terms) }
        return out
    }

    /// The most responsible component of each row at noise level σ (σ = 0: the mode a sample
    /// belongs to).
    public func component(of x: Tensor, sigma: Double = 0) -> [Int] {
        var out = [Int](repeating: 0, count: x.rows)
        eachRow(x, sigma: sigma) { r, terms in
            var best = 0
            for k in 1..<terms.count where terms[k] > terms[best] { best = k }
            out[r] = best
        }
        return out
    }

    /// Calls `body(rows, level)` once per distinct σ, largest first, with the σ's tables.
    private func forEachSigma(_ sigma: [Double], _ body: ([Int], MixtureTables.Level) -> Void) {
        var groups: [Double: [Int]] = [:]
        for (r, s) in sigma.enumerated() { groups[s, default: []].append(r) }
        for (s, rows) in groups.sorted(by: { $0.key > $1.key }) { body(rows, tables.level(sigma: s)) }
    }

    /// Calls `body(r, terms)` for each row with its component log-densities at σ.
    private func eachRow(_ x: Tensor, sigma: Double, _ body: (Int, [Double]) -> Void) {
        let d = dimension, level = tables.level(sigma: sigma)
        var terms = [Double](repeating: 0, count: tables.count), row = [Double](repeating: 0, count: d)
        for r in 0..<x.rows {
            for j in 0..<d { row[j] = Double(x.scalars[r * d + j]) }
            tables.terms(row, level, into: &terms)
            body(r, terms)
        }
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
                let k = Self.firstAbove(u, in: cumulative)
                let row = UnsafeMutableBufferPointer(rebasing: p[(i * n)..<((i + 1) * n)])
                streams.fillNormals(row, stream: RandomStreamID.data, sample: index, firstBlock: 1)
                for j in 0..<n { row[j] = Float(means[k][j] + stds[k][j] * Double(row[j])) }
            }
        }
        return Tensor(shape: [count] + sampleShape, scalars: out)
    }

    /// The first index whose cumulative weight exceeds u (the last when rounding leaves none).
    static func firstAbove(_ u: Double, in cumulative: [Double]) -> Int {
        var low = 0, high = cumulative.count - 1
        while low < high {
            let mid = (low + high) / 2
            if u < cumulative[mid] { high = mid } else { low = mid + 1 }
        }
        return low
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
