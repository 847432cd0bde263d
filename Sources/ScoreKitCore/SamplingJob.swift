import Foundation

/// Draws `count` samples from a model with a sampler, in batches.
///
/// Sample *i* gets its initial noise from stream `initialNoise` and its step noise from stream
/// `samplerNoise` of the run's `RandomStreams`, both keyed by *i*; so the output does not
/// depend on the batch size. A supplied `initialNoise` tensor replaces the first stream.
public struct SamplingJob: Sendable {
    /// The sampler (already fitted to the budget, if any).
    public var sampler: any Sampler
    /// The model.
    public var model: any Denoiser
    /// How many samples.
    public var count: Int
    /// The run seed.
    public var seed: UInt64
    /// Rows per batch.
    public var batchSize: Int
    /// Standard-normal initial noise `[count] + sampleShape`, or nil to draw it from the seed.
    public var initialNoise: Tensor?
    /// The most denoiser calls per sample, enforced by the context.
    public var budget: Int?
    /// The first sample index (for drawing part of a larger run).
    public var firstIndex: Int
    /// The model's noise-level estimator, handed to samplers that need one (DLG).
    public var noiseLevelEstimator: (any NoiseLevelEstimator)?

    /// A job; see the properties.
    public init(sampler: any Sampler, model: any Denoiser, count: Int, seed: UInt64 = 0,
                batchSize: Int = 10_000, initialNoise: Tensor? = nil, budget: Int? = nil, firstIndex: Int = 0,
                noiseLevelEstimator: (any NoiseLevelEstimator)? = nil) {
        self.sampler = sampler
        self.model = model
        self.count = count
        self.seed = seed
        self.batchSize = batchSize
        self.initialNoise = initialNoise
        self.budget = budget
        self.firstIndex = firstIndex
        self.noiseLevelEstimator = noiseLevelEstimator
    }

    /// Progress of a whole job.
    public struct Progress: Sendable {
        /// Samples finished before the current batch, in the current batch, and in total.
        public let samplesDone: Int, batchSamples: Int, samples: Int
        /// The step starting now within the current batch, and the batch's number of steps.
        public let step: Int, steps: Int
        /// The fraction of the job done, 0…1.
        public var fraction: Double {
            let inBatch = steps > 0 ? Double(batchSamples) * Double(step) / Double(steps) : 0
            return min(1, (Double(samplesDone) + inBatch) / Double(max(samples, 1)))
        }
    }

    /// Runs the job. `progress` is called at every step of every batch.
    public func run(progress: ((Progress, SamplingProgress) -> Void)? = nil) throws -> SamplingResult {
        guard count > 0 else { throw SamplingError.invalidInput("count must be positive, got \(count)") }
        guard batchSize > 0 else { throw SamplingError.invalidInput("batch size must be positive, got \(batchSize)") }
        let shape = model.sampleShape
        if let z = initialNoise {
            guard z.rowShape == shape, z.rows == count else {
                throw SamplingError.invalidInput(
                    "initial noise has shape \(z.shape); expected \([count] + shape) (count × sample shape)")
            }
        }
        let start = Date()
        var parts: [Tensor] = [], nfe: [Int] = [], classifier: [Int] = []
        var byPart: [String: [Int]] = [:], shared: [String: Int] = [:], sharedClassifier: [String: Int] = [:]
        var diagnostics: [String: [Double]] = [:]
        var done = 0
        while done < count {
            let rows = done..<min(done + batchSize, count)
            let indices = rows.map { firstIndex + $0 }
            let z = try initialNoise?.rows(rows)
                ?? PhiloxNoise(seed: seed, stream: RandomStreamID.initialNoise, sampleIndices: indices)
                .normal(rows: nil, shape: shape)
            let context = SamplingContext(samplerName: sampler.name, sampleIndices: indices, budget: budget)
            context.noiseLevelEstimator = noiseLevelEstimator
            if let progress {
                let before = done, size = rows.count
                context.onProgress = { p in
                    progress(Progress(samplesDone: before, batchSamples: size, samples: count, step: p.step, steps: p.steps), p)
                }
            }
            let noise = PhiloxNoise(seed: seed, stream: RandomStreamID.samplerNoise, sampleIndices: indices)
            let x = try sampler.sample(model, from: z, noise: noise, context: context)
            guard x.shape == z.shape else {
                throw SamplingError.invalidInput("\(sampler.name) returned shape \(x.shape) for input \(z.shape)")
            }
            parts.append(x)
            nfe += context.nfe
            classifier += context.classifierCalls
            for (k, v) in context.nfeByPart { byPart[k, default: []] += v }
            for (k, v) in context.sharedNFE { shared[k, default: 0] += v }
            for (k, v) in context.sharedClassifierCalls { sharedClassifier[k, default: 0] += v }
            for (k, v) in context.diagnostics { diagnostics[k, default: []] += v }
            done = rows.upperBound
        }
        return SamplingResult(samples: Tensor.concatenatingRows(parts), nfe: nfe, classifierCalls: classifier,
                              nfeByPart: byPart, sharedNFE: shared, sharedClassifierCalls: sharedClassifier,
                              diagnostics: diagnostics, seconds: Date().timeIntervalSince(start))
    }
}

/// The output of a `SamplingJob`.
public struct SamplingResult: Sendable {
    /// The samples, `[count] + sampleShape`.
    public let samples: Tensor
    /// Denoiser calls each sample used.
    public let nfe: [Int]
    /// Noise-level estimator calls each sample used.
    public let classifierCalls: [Int]
    /// Per-sample denoiser calls by part of the algorithm (empty for one-phase samplers).
    public let nfeByPart: [String: [Int]]
    /// Row-evaluations shared by the whole run (chain burn-in and the like), by label.
    public let sharedNFE: [String: Int]
    /// Noise-level estimator calls shared by the whole run, by label.
    public let sharedClassifierCalls: [String: Int]
    /// Per-sample values the sampler reported (e.g. DLG's hand-off σ), by name.
    public let diagnostics: [String: [Double]]
    /// Wall-clock seconds.
    public let seconds: Double
}

/// Mean, minimum and maximum of per-sample counts.
public struct CountSummary: Sendable, Codable, Equatable {
    public let mean: Double, min: Int, max: Int
    /// The summary of `values` (zeros when empty).
    public init(_ values: [Int]) {
        mean = values.isEmpty ? 0 : Double(values.reduce(0, +)) / Double(values.count)
        min = values.min() ?? 0
        max = values.max() ?? 0
    }
}
