import CScoreKitKernels
import Foundation
import ScoreKitCore

/// A mixture's parameters as flat Float64 tables, built once, and the per-row evaluations
/// that every exact computation shares. Each row is evaluated on its own, components in a
/// fixed order, so results do not depend on the batch. Cost per row: K·D multiply-adds for
/// the component log-densities and up to K exponentials for the posterior mean.
final class MixtureTables: Sendable {
    /// K and D.
    let count: Int, dimension: Int
    /// `log w_k` (normalised weights).
    let logWeights: [Double]
    /// `μ_kj`, `[K·D]`, and transposed, `[D·K]` (for loops over components that vectorise).
    let means: [Double], meansByDimension: [Double]
    /// `s_kj²`, `[K·D]`.
    let variances: [Double]
    /// `s_k²` when every component has one variance in all dimensions, else nil.
    let isotropic: [Double]?
    /// When isotropic: the distinct variances, and which one each component has. A σ's tables
    /// then need one logarithm and division per distinct variance, not per component.
    let classVariances: [Double], varianceClass: [Int32]

    /// Tables from nested means and standard deviations (`[K][D]`).
    convenience init(logWeights: [Double], means: [[Double]], stds: [[Double]]) {
        self.init(logWeights: logWeights, means: Array(means.joined()), variances: stds.joined().map { $0 * $0 },
                  dimension: means[0].count)
    }

    /// Tables from flat means and variances (`[K·D]`).
    init(logWeights: [Double], means: [Double], variances: [Double], dimension: Int) {
        count = logWeights.count
        self.dimension = dimension
        self.logWeights = logWeights
        self.means = means
        meansByDimension = (0..<(count * dimension)).map { means[($0 % logWeights.count) * dimension + $0 / logWeights.count] }
        self.variances = variances
        let isotropic = (0..<count).allSatisfy { k in (1..<max(dimension, 1)).allSatisfy { variances[k * dimension + $0] == variances[k * dimension] } }
        self.isotropic = isotropic ? (0..<count).map { variances[$0 * dimension] } : nil
        var classes: [Double: Int32] = [:], distinct: [Double] = []
        varianceClass = (self.isotropic ?? []).map { v in
            if let c = classes[v] { return c }
            classes[v] = Int32(distinct.count)
            distinct.append(v)
            return Int32(distinct.count - 1)
        }
        classVariances = distinct
    }

    /// The tables of one noise level. Isotropic: per distinct variance v, `−½·D·log 2π(v + σ²)`
    /// and `1/(v + σ²)`. Otherwise per component, `c_k = log w_k − ½·Σ_j log 2π(s_kj² + σ²)`,
    /// and per value `1/(s_kj² + σ²)`.
    struct Level {
        let t: Double
        let logConstant: [Double]
        let inverse: [Double]
    }

    /// The tables at noise level σ.
    func level(sigma: Double) -> Level {
        let t = sigma * sigma, d = dimension
        if isotropic != nil {
            let half = 0.5 * Double(d)
            return Level(t: t, logConstant: classVariances.map { -half * log(2 * .pi * ($0 + t)) },
                         inverse: classVariances.map { 1 / ($0 + t) })
        }
        var constant = logWeights
        variances.withUnsafeBufferPointer { v in
            for k in 0..<count {
                var sum = 0.0
                for j in 0..<d { sum += log(2 * .pi * (v[k * d + j] + t)) }
                constant[k] -= 0.5 * sum
            }
        }
        return Level(t: t, logConstant: constant, inverse: variances.map { 1 / ($0 + t) })
    }

    /// `‖x − μ_k‖²` for every component, into `out` (`[K]`), each summed over j in order.
    func squaredDistances(_ x: [Double], into out: inout [Double]) {
        let k = count
        meansByDimension.withUnsafeBufferPointer { m in
            out.withUnsafeMutableBufferPointer { po in
                for c in 0..<k { po[c] = 0 }
                for j in 0..<dimension {
                    let xj = x[j], column = m.baseAddress! + j * k
                    for c in 0..<k {
                        let e = xj - column[c]
                        po[c] += e * e
                    }
                }
            }
        }
    }

    /// `log w_k + log N(x; μ_k, s_k² + σ²)` for every component, into `terms` (`[K]`).
    func terms(_ x: [Double], _ level: Level, into terms: inout [Double]) {
        let d = dimension
        if isotropic != nil {
            squaredDistances(x, into: &terms)
            if classVariances.count == 1 {               // one variance: a loop that vectorises
                let c = level.logConstant[0], half = 0.5 * level.inverse[0]
                logWeights.withUnsafeBufferPointer { lw in
                    terms.withUnsafeMutableBufferPointer { t in for k in 0..<count { t[k] = lw[k] + c - half * t[k] } }
                }
                return
            }
            logWeights.withUnsafeBufferPointer { lw in
                varianceClass.withUnsafeBufferPointer { cls in
                    for k in 0..<count {
                        let c = Int(cls[k])
                        terms[k] = lw[k] + level.logConstant[c] - 0.5 * level.inverse[c] * terms[k]
                    }
                }
            }
            return
        }
        means.withUnsafeBufferPointer { m in
            level.inverse.withUnsafeBufferPointer { inv in
                for k in 0..<count {
                    var sum = 0.0
                    for j in 0..<d {
                        let e = x[j] - m[k * d + j]
                        sum += inv[k * d + j] * e * e
                    }
                    terms[k] = level.logConstant[k] - 0.5 * sum
                }
            }
        }
    }

    /// Components more than this far below the largest term carry less than e⁻⁶⁰ ≈ 10⁻²⁶ of
    /// the mass each and are left out of sums.
    static let negligible = 60.0

    /// `D(x; σ) = Σ_k r_k·(μ_k + s_k²/(s_k² + σ²)·(x − μ_k))` with `r = softmax(terms)`, into
    /// `out` (`[D]`); `p` is scratch space of K values.
    func posteriorMean(_ x: [Double], _ terms: [Double], _ level: Level, scratch p: inout [Double], into out: inout [Double]) {
        let d = dimension, top = terms.max()!
        terms.withUnsafeBufferPointer { scorekit_shifted_exp($0.baseAddress!, top, top - Self.negligible, &p, count) }
        let total = p.reduce(0, +)
        if isotropic != nil, classVariances.count == 1 {
            // Σ_k p_k·(μ_k + g·(x − μ_k)) = (1 − g)·Σ_k p_k·μ_k + g·x·Σ_k p_k, with one gain g.
            let gain = classVariances[0] * level.inverse[0]
            meansByDimension.withUnsafeBufferPointer { m in
                for j in 0..<d {
                    let column = m.baseAddress! + j * count
                    var sum = 0.0
                    for k in 0..<count { sum += p[k] * column[k] }
                    out[j] = (1 - gain) * (sum / total) + gain * x[j]
                }
            }
            return
        }
        for j in 0..<d { out[j] = 0 }
        let shrink = isotropic == nil ? zip(variances, level.inverse).map(*) : zip(classVariances, level.inverse).map(*)
        means.withUnsafeBufferPointer { m in
            shrink.withUnsafeBufferPointer { s in
                for k in 0..<count where p[k] > 0 {
                    if isotropic != nil {
                        let gain = s[Int(varianceClass[k])]
                        for j in 0..<d { out[j] += p[k] * (m[k * d + j] + gain * (x[j] - m[k * d + j])) }
                    } else {
                        for j in 0..<d { out[j] += p[k] * (m[k * d + j] + s[k * d + j] * (x[j] - m[k * d + j])) }
                    }
                }
            }
        }
        for j in 0..<d { out[j] /= total }
    }
}
