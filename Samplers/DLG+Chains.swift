import Foundation
import ScoreKitCore

/// Which chains and rounds a batch needs: sample i is chain i mod C in round i div C.
struct ChainPlan {
    /// The chains the batch draws from, ascending.
    let chainIDs: [Int]
    /// Rounds to run (the last sample's round + 1).
    let rounds: Int
    private let chains: Int
    private let rowOfSample: [Int: Int]

    init(sampleIndices: [Int], chains: Int) {
        self.chains = chains
        chainIDs = Set(sampleIndices.map { $0 % chains }).sorted()
        rounds = (sampleIndices.map { $0 / chains }.max() ?? -1) + 1
        rowOfSample = Dictionary(uniqueKeysWithValues: sampleIndices.enumerated().map { ($1, $0) })
    }

    /// For each chain position, the batch row its round-`round` sample fills (nil: another batch's).
    func batchRows(inRound round: Int) -> [Int?] {
        chainIDs.map { rowOfSample[round * chains + $0] }
    }
}

/// The chains' states and their noise (keyed by chain index, so independent of the batch).
struct ChainState {
    var x: Tensor
    var sigma: [Double]
    let noise: any NoiseSource
    /// The chains' indices, and each chain's class label while it runs (nil: unconditional):
    /// the label of the sample the chain is making — in round r, sample r·C + chain; during
    /// start-up, its round-0 sample (the sample whose index is the chain's). Keyed by sample
    /// index, so the same whichever batch runs the chain.
    let ids: [Int]
    var labels: [Int?]
}

extension DLG {
    /// Initialisation and burn-in (shared by every sample of a chain): the `init` sampler from
    /// σ_max·z, plus `init-noise`·z, a σ from the estimator, then `burn-in` Langevin–Gibbs steps
    /// at η = 0.5 and `burn-in` at η.
    func startChains(_ ids: [Int], _ model: any Denoiser, _ estimator: any NoiseLevelEstimator,
                     _ noise: any NoiseSource, _ context: SamplingContext) throws -> ChainState {
        let chainNoise = try noise.derived(stream: RandomStreamID.chain, sampleIndices: ids)
        let start = SamplingContext(samplerName: context.samplerName + " (initialisation)", sampleIndices: ids)
        start.shouldStop = context.shouldStop
        let labels = context.sampleLabels.map { $0.labels(ofSamples: ids) }
        start.labels = labels
        var x = try initializer.sample(model, from: try chainNoise.normal(rows: nil, shape: model.sampleShape),
                                       noise: try noise.derived(stream: RandomStreamID.auxiliary, sampleIndices: ids),
                                       context: start)
        context.absorbShared(start, label: "initialisation")
        x = Tensor.combination([(1.0, x), (.all(initNoise), try chainNoise.normal(like: x))])
        let everyChain = [Int?](repeating: nil, count: ids.count)
        var chain = ChainState(x: x, sigma: [], noise: chainNoise, ids: ids,
                               labels: labels ?? Array(repeating: nil, count: ids.count))
        chain.sigma = try gibbsStep(chain.x, chainNoise, estimator, attributedTo: everyChain, context, shared: "initialisation")
        for step in 0..<(2 * burnIn) {
            try context.beginStep(step, of: 2 * burnIn, sigma: median(chain.sigma))
            try langevinGibbsStep(&chain, eta: step < burnIn ? 0.5 : eta, attributedTo: everyChain, model, estimator,
                                  context, shared: "burn-in")
        }
        return chain
    }

    /// One round of `skip` steps; returns, per chain, the state of smallest σ — the state the
    /// round started from, replaced only by a strictly smaller σ.
    func runRound(_ chain: inout ChainState, round: Int, of rounds: Int, attributedTo rows: [Int?],
                  _ model: any Denoiser, _ estimator: any NoiseLevelEstimator,
                  _ context: SamplingContext) throws -> (x: Tensor, sigma: [Double]) {
        var best = (x: chain.x, sigma: chain.sigma)
        if let sampleLabels = context.sampleLabels {
            chain.labels = sampleLabels.labels(ofSamples: chain.ids.map { round * chains + $0 })
        }
        for step in 0..<skipCount {
            try context.beginStep(round * skipCount + step, of: rounds * skipCount, sigma: median(chain.sigma))
            try langevinGibbsStep(&chain, eta: eta, attributedTo: rows, model, estimator, context, shared: "other batches' chain steps")
            let lower = chain.sigma.indices.filter { chain.sigma[$0] < best.sigma[$0] }
            best.x.scatterRows(lower, from: chain.x.gatherRows(lower))
            for c in lower { best.sigma[c] = chain.sigma[c] }
        }
        return best
    }

    /// x ← x + (η/2)·score(x; σ) + √η·z, then σ from the estimator. Evaluations of chains whose
    /// sample is in this batch count towards that sample; the rest are shared.
    func langevinGibbsStep(_ chain: inout ChainState, eta: Double, attributedTo rows: [Int?],
                           _ model: any Denoiser, _ estimator: any NoiseLevelEstimator,
                           _ context: SamplingContext, shared label: String) throws {
        context.part = "chain"
        defer { context.part = nil }
        let labels = chain.labels
        let denoised = try evaluate(chain.x, chain.sigma, attributedTo: rows, context, shared: label) { x, sigma, rows, chains in
            try context.denoise(model, x, sigma: sigma, rows: rows, labels: chains.map { labels[$0] })
        } sharedCall: { x, sigma, chains in
            try context.denoiseShared(model, x, sigma: sigma, label: label, labels: chains.map { labels[$0] })
        }
        let score = NoiseConversion.score(x: chain.x, denoised: denoised, sigma: chain.sigma)
        chain.x = Tensor.combination([(1.0, chain.x), (.all(eta / 2), score),
                                      (.all(eta.squareRoot()), try chain.noise.normal(like: chain.x))])
        try context.checkFinite(chain.x, sigma: chain.sigma, what: "chain state")
        chain.sigma = try gibbsStep(chain.x, chain.noise, estimator, attributedTo: rows, context, shared: label)
    }

    /// The next noise level of each chain: argmax of p(k | x), or a draw from it.
    func gibbsStep(_ x: Tensor, _ noise: any NoiseSource, _ estimator: any NoiseLevelEstimator,
                   attributedTo rows: [Int?], _ context: SamplingContext, shared label: String) throws -> [Double] {
        let logp = try evaluate(x, [], attributedTo: rows, context, shared: label) { x, _, rows, _ in
            try context.estimateNoiseLevel(estimator, x, rows: rows)
        } sharedCall: { x, _, _ in
            try context.estimateNoiseLevelShared(estimator, x, label: label)
        }
        let uniforms = sigmaUpdate == .sample ? try noise.uniform(rows: nil) : []
        return (0..<x.rows).map { c in
            let row = logp.row(c)
            let level: Int
            switch sigmaUpdate {
            case .argmax:
                level = row.indices.max { row[$0] < row[$1] }! - row.startIndex
            case .sample:
                var cumulative = 0.0
                level = row.indices.first { cumulative += exp(Double(row[$0])); return uniforms[c] < cumulative }.map { $0 - row.startIndex }
                    ?? row.count - 1
            }
            return estimator.grid.sigma(level)
        }
    }

    /// Runs `call` on the chains attributed to batch rows and `sharedCall` on the others, and
    /// puts the results back in chain order.
    private func evaluate(_ x: Tensor, _ sigma: [Double], attributedTo rows: [Int?], _ context: SamplingContext,
                          shared label: String,
                          call: (Tensor, [Double], [Int], [Int]) throws -> Tensor,
                          sharedCall: (Tensor, [Double], [Int]) throws -> Tensor) throws -> Tensor {
        let mine = rows.indices.filter { rows[$0] != nil }, others = rows.indices.filter { rows[$0] == nil }
        let pick = { (ids: [Int]) in sigma.isEmpty ? [] : ids.map { sigma[$0] } }
        var parts: [([Int], Tensor)] = []
        if !mine.isEmpty { parts.append((mine, try call(x.gatherRows(mine), pick(mine), mine.map { rows[$0]! }, mine))) }
        if !others.isEmpty { parts.append((others, try sharedCall(x.gatherRows(others), pick(others), others))) }
        var out = Tensor(zeros: [x.rows] + parts[0].1.rowShape)
        for (ids, values) in parts { out.scatterRows(ids, from: values) }
        return out
    }
}

private func median(_ v: [Double]) -> Double {
    guard !v.isEmpty else { return .nan }
    let s = v.sorted()
    return s[s.count / 2]
}

extension DLG {
    /// Keeps each chain's samples in one batch (sample i is chain i mod C), so a chain's
    /// start-up and rounds run once, not once per batch that holds one of its samples. Chains
    /// are packed into batches of at most `batchSize`; a chain with more samples than a batch
    /// holds is cut into runs of consecutive rounds (each run starts the chain again, and
    /// that repeated start-up is reported as shared NFE).
    public func batches(of indices: Range<Int>, batchSize: Int, workers: Int) -> [[Int]] {
        guard indices.count > chains else {   // a contiguous range this short has one sample per chain
            return BatchPlan.packing(indices.map { [$0] }, batchSize: batchSize, workers: workers)
        }
        var groups = [[Int]](repeating: [], count: chains)
        for i in indices { groups[i % chains].append(i) }
        return BatchPlan.packing(groups, batchSize: batchSize, workers: workers)
    }
}
