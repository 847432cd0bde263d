import Foundation
import Testing
import ScoreKitCore
@testable import ScoreKitModels

/// The fast exact evaluation of mixtures (flat tables, the radial expansion of the
/// noise-level posterior) against term-by-term sums written out here in Float64.
@Suite("Exact mixture evaluation")
struct MixtureEvaluationTests {
    /// A seeded mixture: `k` components in `d` dimensions, means spread ±`spread`, weights in
    /// (0.5, 1.5]; `stds` gives each component's per-dimension stds from its index.
    static func mixture(k: Int, d: Int, spread: Double, seed: UInt64, stds: (Int, [Double]) -> [Double]) throws -> GaussianMixture {
        let streams = RandomStreams(seed: seed)
        var weights: [Double] = [], means: [[Double]] = [], deviations: [[Double]] = []
        for c in 0..<k {
            let u = (0..<(d / 4 + 2)).flatMap { block in
                let v = streams.uniforms(stream: 9, sample: c, block: block)
                return [v[0], v[1], v[2], v[3]]
            }
            weights.append(0.5 + u[d])
            means.append((0..<d).map { spread * (2 * u[$0] - 1) })
            deviations.append(stds(c, Array(u[(d + 1)...])))
        }
        return try GaussianMixture(weights: weights, means: means, stds: deviations)
    }

    /// `log w_k + log N(x; μ_k, s_k² + σ²)` for each component, term by term.
    static func componentLogs(_ m: GaussianMixture, _ x: [Double], sigma: Double) -> [Double] {
        let t = sigma * sigma
        return (0..<m.componentCount).map { k in
            (0..<m.dimension).reduce(log(m.weights[k])) { acc, j in
                let v = m.stds[k][j] * m.stds[k][j] + t, e = x[j] - m.means[k][j]
                return acc - 0.5 * (log(2 * .pi * v) + e * e / v)
            }
        }
    }

    /// `log p_σ(x)` summed term by term.
    static func referenceLogDensity(_ m: GaussianMixture, _ x: [Double], sigma: Double) -> Double {
        let terms = componentLogs(m, x, sigma: sigma)
        let top = terms.max()!
        return top + log(terms.reduce(0) { $0 + exp($1 - top) })
    }

    /// Rows near the data and far from it, at several noise levels.
    static func points(_ m: GaussianMixture, count: Int) throws -> Tensor {
        let x0 = m.sample(count: count, seed: 5)
        let z = try PhiloxNoise(seed: 6, sampleIndices: Array(0..<count)).normal(rows: nil, shape: [m.dimension])
        let scales = (0..<count).map { [0.01, 0.3, 2, 20, 70][$0 % 5] }
        return Tensor.combination([(1.0, x0), (.perRow(scales), z)])
    }

    @Test("the radial sum matches the term-by-term sum to 1e-12 at every a")
    func radialSum() {
        for (count, spread) in [(5, 1.0), (300, 50.0), (4000, 2000.0)] {
            let streams = RandomStreams(seed: UInt64(count))
            let raw = (0..<count).map { Double(streams.uniforms(stream: 1, sample: $0, block: 0)[0]) }
            let u = raw.map { $0 * $0 * spread }.map { $0 - raw.map { $0 * $0 * spread }.min()! }
            let logWeights = (0..<count).map { -3 * Double(streams.uniforms(stream: 2, sample: $0, block: 0)[0]) }
            let omega = logWeights.map(exp)
            let largestA = 1e4
            let sum = u.withUnsafeBufferPointer { pu in omega.withUnsafeBufferPointer { RadialGaussSum(u: pu, omega: $0, largestA: largestA) } }
            var a = largestA
            while a > 1e-8 {
                let expected = PosteriorPlan.directLog(a: a, u, logWeights)
                let got = sum.log(a: a)
                #expect(got != nil, "a = \(a): no value")
                if let got { #expect(abs(got - expected) <= 1e-12 * max(1, abs(expected)), "K \(count), a \(a): \(got) vs \(expected)") }
                a /= 1.7
            }
            #expect(sum.log(a: 2 * largestA) == nil)
        }
    }

    /// One shared variance (radial path), two large variance classes plus a few odd
    /// components (radial and direct together), and per-dimension stds (direct only).
    static let cases: [(String, GaussianMixture)] = [
        ("one variance", try! mixture(k: 400, d: 2, spread: 10, seed: 1) { _, _ in [1, 1] }),
        ("classes", try! mixture(k: 300, d: 3, spread: 5, seed: 2) { c, _ in Array(repeating: c < 140 ? 0.3 : c < 290 ? 2 : 0.7 + Double(c) / 1000, count: 3) }),
        ("per dimension", try! mixture(k: 20, d: 4, spread: 3, seed: 3) { _, u in (0..<4).map { 0.2 + u[$0] } }),
    ]

    @Test("the noise-level posterior equals the term-by-term posterior", arguments: cases.indices)
    func posterior(_ index: Int) throws {
        let (name, m) = Self.cases[index]
        let grid = NoiseLevelGrid(sigmaMin: 0.002, sigmaMax: 80, count: 300)
        let x = try Self.points(m, count: 10)
        let got = try m.noiseLevelPosterior(grid: grid).logProbabilities(x)
        for r in 0..<x.rows {
            let row = x.row(r).map { Double($0) }
            let logDensity = grid.sigmas.map { Self.referenceLogDensity(m, row, sigma: $0) }
            let top = logDensity.max()!, normaliser = top + log(logDensity.reduce(0) { $0 + exp($1 - top) })
            for level in 0..<grid.count {
                let expected = logDensity[level] - normaliser
                #expect(abs(Double(got.scalars[r * grid.count + level]) - expected) <= 1e-6 * max(1, abs(expected)),
                        "\(name) row \(r) level \(level)")
            }
        }
    }

    @Test("the denoiser and density equal their term-by-term forms", arguments: cases.indices)
    func denoiser(_ index: Int) throws {
        let (name, m) = Self.cases[index]
        let x = try Self.points(m, count: 10)
        for sigma in [0.01, 0.7, 9.0, 60.0] {
            let d = try m.denoise(x, sigma: Array(repeating: sigma, count: x.rows))
            let density = m.logDensity(x, sigma: sigma)
            for r in 0..<x.rows {
                let row = x.row(r).map { Double($0) }, t = sigma * sigma
                let logs = Self.componentLogs(m, row, sigma: sigma)
                let top = logs.max()!, total = logs.reduce(0) { $0 + exp($1 - top) }
                #expect(abs(density[r] - (top + log(total))) <= 1e-9 * max(1, abs(density[r])), "\(name) σ \(sigma) row \(r)")
                for j in 0..<m.dimension {
                    let expected = (0..<m.componentCount).reduce(0.0) { acc, k in
                        let v = m.stds[k][j] * m.stds[k][j]
                        return acc + exp(logs[k] - top) / total * (m.means[k][j] + v / (v + t) * (row[j] - m.means[k][j]))
                    }
                    let value = Double(d.scalars[r * m.dimension + j])
                    #expect(abs(value - expected) <= 1e-5 * max(1, abs(expected)), "\(name) σ \(sigma) row \(r) dim \(j): \(value) vs \(expected)")
                }
            }
        }
    }

    /// Far from the data the component log-densities are so large that `top − 60` rounds to
    /// `top`; the nearest component must still get its weight.
    @Test("rows far from the data give finite values", arguments: cases.indices)
    func farRows(_ index: Int) throws {
        let m = Self.cases[index].1
        let x = Tensor(shape: [2, m.dimension], scalars: (0..<(2 * m.dimension)).map { Float($0 % 2 == 0 ? 5e30 : -3e37) })
        #expect(try m.denoise(x, sigma: [1, 0.002]).isFinite)
        let p = try m.noiseLevelPosterior(grid: NoiseLevelGrid(sigmaMin: 0.002, sigmaMax: 80, count: 50)).logProbabilities(x)
        let hasNaN = p.scalars.contains { $0.isNaN }
        #expect(!hasNaN)
    }

    @Test("a row's denoised value and posterior do not depend on the batch", arguments: cases.indices)
    func batchInvariance(_ index: Int) throws {
        let m = Self.cases[index].1
        let x = try Self.points(m, count: 7)
        let sigmas: [Double] = (1...7).map { (r: Int) -> Double in 0.05 * Double(r * r) }
        let posterior = m.noiseLevelPosterior(grid: NoiseLevelGrid(sigmaMin: 0.01, sigmaMax: 50, count: 64))
        let batch = try m.denoise(x, sigma: sigmas), batchLevels = try posterior.logProbabilities(x)
        for r in 0..<7 {
            let one = x.rows(r..<(r + 1))
            #expect(try m.denoise(one, sigma: [sigmas[r]]).scalars == Array(batch.row(r)))
            #expect(try posterior.logProbabilities(one).scalars == Array(batchLevels.row(r)))
        }
    }

    @Test("the posterior's cost grows with the components, not components × levels, for one shared variance")
    func cost() throws {
        let grid = NoiseLevelGrid.exactModelDefault
        let shared = try Self.mixture(k: 20_000, d: 2, spread: 10, seed: 4) { _, _ in [1, 1] }
        let perDimension = try Self.mixture(k: 20_000, d: 2, spread: 10, seed: 4) { _, u in [0.5 + u[0], 0.5 + u[1]] }
        let radial = shared.noiseLevelPosterior(grid: grid).flopsPerRow
        let direct = perDimension.noiseLevelPosterior(grid: grid).flopsPerRow
        #expect(radial < Double(grid.count) * 20_000 / 3)    // O(K) plus a fixed cost per level
        #expect(direct > Double(grid.count) * 20_000)    // O(K·levels)
        let model = LoadedModel(name: "m", mixture: shared)
        #expect(model.cost.noiseLevelFlops == radial && model.cost.denoiserFlops == shared.denoiserFlopsPerRow)
        #expect(model.cost.summary.hasPrefix("denoiser ") && model.cost.summary.contains("FLOP/sample"))
    }
}
