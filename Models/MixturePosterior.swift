import Foundation
import ScoreKitCore

/// The exact posterior over a grid of noise levels for a Gaussian mixture, under a uniform
/// prior on the grid: `p(k | x) ∝ p_{σ_k}(x)`. The exact `NoiseLevelEstimator` DLG uses on
/// exact models.
///
/// Components that share one isotropic variance (groups of 64 or more) are summed for every
/// level at once by `RadialGaussSum` — `O(K)` per row, whatever the number of levels; the
/// others are summed directly, `O(K·D)` per level, with each level's tables computed once
/// when they fit in 32 MB. Each row is evaluated on its own, so results do not depend on the
/// batch. `flopsPerRow` states the cost.
public struct ExactNoiseLevelPosterior: NoiseLevelEstimator {
    /// The mixture whose noised densities give the posterior.
    public let mixture: GaussianMixture
    /// The noise levels the posterior is over.
    public let grid: NoiseLevelGrid
    private let plan: PosteriorPlan

    /// The posterior of `mixture` over `grid`.
    public init(mixture: GaussianMixture, grid: NoiseLevelGrid) {
        self.mixture = mixture
        self.grid = grid
        plan = PosteriorPlan(mixture.tables, sigmas: grid.sigmas)
    }

    /// An estimate of the floating-point operations per row of one call.
    public var flopsPerRow: Double { plan.flopsPerRow }

    public func logProbabilities(_ x: Tensor) throws -> Tensor {
        let n = x.rows, levels = grid.count, d = mixture.dimension
        var out = [Float](repeating: 0, count: n * levels)
        var row = [Double](repeating: 0, count: d)
        for r in 0..<n {
            for j in 0..<d { row[j] = Double(x.scalars[r * d + j]) }
            let logDensity = plan.levelLogDensities(row)
            let normaliser = logSumExp(logDensity)
            for level in 0..<levels { out[r * levels + level] = Float(logDensity[level] - normaliser) }
        }
        return Tensor(shape: [n, levels], scalars: out)
    }
}

/// How `ExactNoiseLevelPosterior` sums its components: radial groups and the rest.
final class PosteriorPlan: Sendable {
    /// Components with one isotropic variance, summed by `RadialGaussSum`.
    struct Group {
        let variance: Double
        let members: [Int]
        /// `log w_k − max log w` of each member, its exponential, and that maximum.
        let relativeLogWeights: [Double], relativeWeights: [Double]
        let topLogWeight: Double
    }

    /// Groups smaller than this are summed directly.
    static let minimumGroup = 64
    /// The most Float64 values of per-level tables kept (32 MB).
    static let cacheLimit = 1 << 22

    let sigmas: [Double]
    let tables: MixtureTables
    let groups: [Group]
    let direct: MixtureTables?
    let directLevels: [MixtureTables.Level]?

    init(_ tables: MixtureTables, sigmas: [Double]) {
        self.sigmas = sigmas
        self.tables = tables
        var byClass = [[Int]](repeating: [], count: tables.classVariances.count)
        for (k, c) in tables.varianceClass.enumerated() { byClass[Int(c)].append(k) }
        let large = byClass.indices.filter { byClass[$0].count >= Self.minimumGroup }
            .map { (tables.classVariances[$0], byClass[$0]) }
        groups = large.map { variance, members in
            let logWeights = members.map { tables.logWeights[$0] }, top = logWeights.max()!
            let relative = logWeights.map { $0 - top }
            return Group(variance: variance, members: members, relativeLogWeights: relative, relativeWeights: relative.map(exp),
                         topLogWeight: top)
        }
        var grouped = [Bool](repeating: false, count: tables.count)
        for group in groups { for k in group.members { grouped[k] = true } }
        let rest = (0..<tables.count).filter { !grouped[$0] }
        direct = rest.isEmpty ? nil : tables.subset(rest)
        let perLevel = direct.map { $0.isotropic == nil ? $0.count * ($0.dimension + 1) : 2 * $0.classVariances.count } ?? 0
        if let direct, sigmas.count * perLevel <= Self.cacheLimit {
            directLevels = sigmas.map { direct.level(sigma: $0) }
        } else {
            directLevels = nil
        }
    }

    /// Estimated floating-point operations per row.
    var flopsPerRow: Double {
        let d = Double(tables.dimension), levels = Double(sigmas.count)
        let radial = groups.isEmpty ? 0 : Double(tables.count) * 3 * d
            + groups.reduce(0.0) { $0 + Double($1.members.count) * 40 + levels * 2 * Double(RadialGaussSum.buckets * RadialGaussSum.order) }
        let rest = Double(direct?.count ?? 0) * levels * (3 * d + 20)
        return radial + rest
    }

    /// `log p_σ(x)` at every level, for one row.
    func levelLogDensities(_ x: [Double]) -> [Double] {
        var out = [Double](repeating: -.infinity, count: sigmas.count)
        if !groups.isEmpty {
            var distances = [Double](repeating: 0, count: tables.count)
            tables.squaredDistances(x, into: &distances)
            for group in groups { addGroup(group, distances, into: &out) }
        }
        if let direct {
            var terms = [Double](repeating: 0, count: direct.count)
            for (l, sigma) in sigmas.enumerated() {
                direct.terms(x, directLevels?[l] ?? direct.level(sigma: sigma), into: &terms)
                out[l] = logAddExp(out[l], logSumExp(terms))
            }
        }
        return out
    }

    /// Adds `log Σ_{k∈group} w_k·N(x; μ_k, (s² + σ²)·I)` at every level to `out`.
    private func addGroup(_ group: Group, _ distances: [Double], into out: inout [Double]) {
        let r = group.members.map { distances[$0] }, nearest = r.min()!
        let u = r.map { $0 - nearest }, omega = group.relativeWeights
        let largestA = 1 / (group.variance + sigmas.min()! * sigmas.min()!)
        let sum = u.withUnsafeBufferPointer { pu in
            omega.withUnsafeBufferPointer { RadialGaussSum(u: pu, omega: $0, largestA: largestA) }
        }
        let half = 0.5 * Double(tables.dimension)
        for (l, sigma) in sigmas.enumerated() {
            let v = group.variance + sigma * sigma, a = 1 / v
            let logG = sum.log(a: a) ?? Self.directLog(a: a, u, group.relativeLogWeights)
            out[l] = logAddExp(out[l], group.topLogWeight - half * log(2 * .pi * v) - 0.5 * a * nearest + logG)
        }
    }

    /// `log Σ_k exp(l_k − a·u_k/2)`, summed term by term.
    static func directLog(a: Double, _ u: [Double], _ logWeights: [Double]) -> Double {
        logSumExp(zip(u, logWeights).map { $1 - 0.5 * a * $0 })
    }
}

/// `log(eᵃ + eᵇ)`, stable.
func logAddExp(_ a: Double, _ b: Double) -> Double {
    if a == -.infinity { return b }
    if b == -.infinity { return a }
    let m = max(a, b)
    return m + log(exp(a - m) + exp(b - m))
}

extension MixtureTables {
    /// The tables of the components `indices` (log weights kept as they are, not renormalised).
    func subset(_ indices: [Int]) -> MixtureTables {
        let d = dimension
        return MixtureTables(logWeights: indices.map { logWeights[$0] },
                             means: indices.flatMap { means[($0 * d)..<(($0 + 1) * d)] },
                             variances: indices.flatMap { variances[($0 * d)..<(($0 + 1) * d)] }, dimension: d)
    }
}
