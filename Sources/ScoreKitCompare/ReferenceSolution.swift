import Foundation
import ScoreKitCore
import ScoreKitMetrics
import ScoreKitModels

/// The reference solution of a comparison: a tight-tolerance ODE solve (by default
/// `rk45:rtol=1e-7,atol=1e-7`) from the same initial noise as every cell, against which
/// deterministic samplers' outputs are measured — or the reason there is none.
public struct ReferenceSolution: Sendable {
    /// The solver spec as resolved, or as given when it was not available.
    public let solver: String
    /// The solution, `[count] + sampleShape`, when there is one.
    public let samples: Tensor?
    /// Denoiser calls per sample the solver used.
    public let nfe: CountSummary?
    /// Why there is no reference solution.
    public let skipped: String?

    /// The metric that measures a deterministic sampler's distance to the solution.
    public var metric: ReferenceSolutionMetric? {
        samples.map { ReferenceSolutionMetric(solution: $0, solver: solver) }
    }

    /// What the stored file says about the solution.
    struct Stored: Codable {
        var key: String
        var solver: String
        var nfe: CountSummary
        var seconds: Double
    }

    /// A skipped reference solution with the reason.
    static func skipped(_ solver: String, reason: String) -> ReferenceSolution {
        ReferenceSolution(solver: solver, samples: nil, nfe: nil, skipped: reason)
    }

    /// Loads the solution from `output` when a previous run stored it under the same key, else
    /// solves and stores it (`reference-solution.npy` and `.json`, each written atomically).
    static func loadOrSolve(_ solver: any Sampler, model: LoadedModel, modelName: String, count: Int, seed: UInt64,
                            batchSize: Int, threads: Int, output: URL,
                            progress: ((SamplingJob.Progress, SamplingProgress) -> Void)?) throws -> ReferenceSolution {
        let key = "model=\(modelName)|solver=\(solver.spec)|count=\(count)|seed=\(seed)"
        let jsonURL = output.appendingPathComponent("reference-solution.json")
        let npyURL = output.appendingPathComponent("reference-solution.npy")
        if let data = FileManager.default.contents(atPath: jsonURL.path),
           let stored = try? JSONDecoder().decode(Stored.self, from: data), stored.key == key,
           let samples = try? ArrayFile.read(npyURL), samples.count == count * model.denoiser.dimension {
            return ReferenceSolution(solver: solver.spec, samples: samples.reshaped([count] + model.denoiser.sampleShape),
                                     nfe: stored.nfe, skipped: nil)
        }
        let job = SamplingJob(sampler: solver, model: model.denoiser, count: count, seed: seed, batchSize: batchSize,
                              noiseLevelEstimator: model.noiseLevelEstimator, threads: threads)
        let result: SamplingResult
        do {
            result = try job.run(progress: progress)
        } catch let error where !(error is CancellationError) {
            return .skipped(solver.spec, reason: "the reference solver failed: \(error)")
        }
        try ArrayFile.write(result.samples, to: npyURL)
        let stored = Stored(key: key, solver: solver.spec, nfe: CountSummary(result.nfe), seconds: result.seconds)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        try AtomicFile.write(try encoder.encode(stored), to: jsonURL)
        return ReferenceSolution(solver: solver.spec, samples: result.samples, nfe: stored.nfe, skipped: nil)
    }
}

/// Finds out whether a sampler is deterministic — its output a function of the initial noise
/// alone — by running it on one sample with a noise source that counts draws. Cheaper and
/// surer than a list: `ddim:eta=0` is deterministic, `ddim:eta=0.5` is not.
enum DeterminismProbe {
    /// A noise source that passes draws through and counts them.
    final class CountingNoise: NoiseSource {
        let base: any NoiseSource
        private(set) var draws = 0
        init(_ base: any NoiseSource) { self.base = base }
        func normal(rows: [Int]?, shape: [Int]) throws -> Tensor {
            draws += 1
            return try base.normal(rows: rows, shape: shape)
        }
        func uniform(rows: [Int]?) throws -> [Double] {
            draws += 1
            return try base.uniform(rows: rows)
        }
        /// A sampler that asks for another stream (DLG's chains) means to draw from it.
        func derived(stream: UInt32, sampleIndices: [Int]) throws -> any NoiseSource {
            draws += 1
            return try base.derived(stream: stream, sampleIndices: sampleIndices)
        }
    }

    /// Whether `sampler` draws no noise on sample 0 of the run with `seed`.
    static func isDeterministic(_ sampler: any Sampler, model: LoadedModel, seed: UInt64, budget: Int?) throws -> Bool {
        let z = try PhiloxNoise(seed: seed, stream: RandomStreamID.initialNoise, sampleIndices: [0])
            .normal(rows: nil, shape: model.denoiser.sampleShape)
        let noise = CountingNoise(PhiloxNoise(seed: seed, stream: RandomStreamID.samplerNoise, sampleIndices: [0]))
        let context = SamplingContext(samplerName: sampler.name, sampleIndices: [0], budget: budget)
        context.noiseLevelEstimator = model.noiseLevelEstimator
        _ = try sampler.sample(model.denoiser, from: z, noise: noise, context: context)
        return noise.draws == 0
    }
}
