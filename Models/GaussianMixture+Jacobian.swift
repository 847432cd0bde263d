import Foundation
import ScoreKitCore

/// The exact vector–Jacobian products of a mixture's denoiser.
///
/// With responsibilities `r_k(x)`, gains `g_k = s_k²/(s_k² + σ²)` (per dimension), component
/// means `m_k = μ_k + g_k⊙(x − μ_k)` and `a_k = −(x − μ_k)/(s_k² + σ²) = ∇ log N(x; μ_k, s_k² + σ²)`,
/// `D = Σ_k r_k·m_k` and `∇r_k = r_k·(a_k − Σ_l r_l·a_l)`, so for a cotangent v, with
/// `c_k = vᵀm_k` and `c̄ = Σ_k r_k·c_k = vᵀD`,
///
///     (vᵀ·∂D/∂x)_j = Σ_k r_k·(g_kj·v_j + (c_k − c̄)·a_kj)
///
/// Float64 per row, components below e⁻⁶⁰ of the largest left out (as in `denoise`).
extension GaussianMixture: DifferentiableDenoiser {
    public func denoise(_ x: Tensor, sigma: [Double],
                        pullingBackRowwise cotangents: (Int, Tensor) throws -> [Tensor]) throws -> (denoised: Tensor, pullbacks: [Tensor]) {
        precondition(x.rowSize == dimension && sigma.count == x.rows, "denoise: shape \(x.shape) / \(sigma.count) σ's")
        let d = dimension
        var out = [Float](repeating: 0, count: x.count)
        var pulled: [[Float]] = []
        var jacobian = MixtureJacobian(tables: tables)
        for r in 0..<x.rows {
            jacobian.evaluate(row: x.scalars[(r * d)..<((r + 1) * d)].map(Double.init), sigma: sigma[r])
            for j in 0..<d { out[r * d + j] = Float(jacobian.denoised[j]) }
            let vs = try cotangents(r, Tensor(shape: [1] + sampleShape, scalars: Array(out[(r * d)..<((r + 1) * d)])))
            if r == 0 { pulled = vs.map { _ in [Float](repeating: 0, count: x.count) } }
            precondition(vs.count == pulled.count && vs.allSatisfy { $0.count == d }, "denoise: each row needs the same number of one-row cotangents")
            for (c, v) in vs.enumerated() {
                let product = jacobian.pullback(v.scalars.map(Double.init))
                for j in 0..<d { pulled[c][r * d + j] = Float(product[j]) }
            }
        }
        return (Tensor(shape: x.shape, scalars: out), pulled.map { Tensor(shape: x.shape, scalars: $0) })
    }

    /// √(mean over dimensions of the mixture's variance).
    public var dataStandardDeviation: Double? {
        let mean = self.mean
        let variance = (0..<dimension).map { j in
            zip(weights, zip(means, stds)).reduce(0) { $0 + $1.0 * ($1.1.0[j] * $1.1.0[j] + $1.1.1[j] * $1.1.1[j]) } - mean[j] * mean[j]
        }
        return (variance.reduce(0, +) / Double(dimension)).squareRoot()
    }
}

/// One row's responsibilities, gains, component means and log-density gradients, from which
/// `pullback` forms vector–Jacobian products. Reused from row to row (the σ tables are rebuilt
/// only when σ changes).
struct MixtureJacobian {
    let tables: MixtureTables
    private var sigma = Double.nan
    /// `1/(s_kj² + σ²)`, `[K·D]`.
    private var inverse: [Double] = []
    /// The components kept, their responsibilities, and per kept component `m_k` and `a_k` (`[D]` each).
    private(set) var kept: [Int] = [], responsibility: [Double] = []
    private var means: [[Double]] = [], gradients: [[Double]] = []
    /// `D(x; σ)`.
    private(set) var denoised: [Double] = []
    private var level: MixtureTables.Level?

    init(tables: MixtureTables) { self.tables = tables }

    /// Evaluates everything at `x` (one row) and noise level σ.
    mutating func evaluate(row x: [Double], sigma: Double) {
        let (k, d) = (tables.count, tables.dimension)
        if sigma != self.sigma { setLevel(sigma) }
        var terms = [Double](repeating: 0, count: k)
        tables.terms(x, level!, into: &terms)
        let top = terms.max()!
        kept = (0..<k).filter { terms[$0] > top - MixtureTables.negligible }
        let weights = kept.map { exp(terms[$0] - top) }
        let total = weights.reduce(0, +)
        responsibility = weights.map { $0 / total }
        means = []
        gradients = []
        denoised = [Double](repeating: 0, count: d)
        for (p, c) in kept.enumerated() {
            var m = [Double](repeating: 0, count: d), a = m
            for j in 0..<d {
                let mu = tables.means[c * d + j], inv = inverse[c * d + j], e = x[j] - mu
                m[j] = mu + tables.variances[c * d + j] * inv * e
                a[j] = -e * inv
                denoised[j] += responsibility[p] * m[j]
            }
            means.append(m)
            gradients.append(a)
        }
    }

    /// `vᵀ·∂D/∂x` at the evaluated row.
    func pullback(_ v: [Double]) -> [Double] {
        let d = tables.dimension
        let cBar = zip(v, denoised).reduce(0) { $0 + $1.0 * $1.1 }
        var out = [Double](repeating: 0, count: d)
        for (p, c) in kept.enumerated() {
            let r = responsibility[p], m = means[p], a = gradients[p]
            var ck = 0.0
            for j in 0..<d { ck += v[j] * m[j] }
            let shift = r * (ck - cBar)
            for j in 0..<d {
                let gain = tables.variances[c * d + j] * inverse[c * d + j]
                out[j] += r * gain * v[j] + shift * a[j]
            }
        }
        return out
    }

    private mutating func setLevel(_ sigma: Double) {
        self.sigma = sigma
        let level = tables.level(sigma: sigma)
        self.level = level
        let (k, d) = (tables.count, tables.dimension)
        if tables.isotropic != nil {
            inverse = (0..<(k * d)).map { level.inverse[Int(tables.varianceClass[$0 / d])] }
        } else {
            inverse = level.inverse
        }
    }
}
