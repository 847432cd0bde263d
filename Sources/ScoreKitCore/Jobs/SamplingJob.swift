import Foundation

/// Draws `count` samples from a model with a sampler, in batches spread over `threads` workers.
///
/// Sample *i* gets its initial noise from stream `initialNoise` and its step noise from stream
/// `samplerNoise` of the run's `RandomStreams`, both keyed by *i*; so the output does not
/// depend on the batch size, the number of threads or the shard. A supplied `initialNoise`
/// tensor replaces the first stream.
///
/// Workers each take the next batch (from `Sampler.batches(of:batchSize:workers:)`) as they
/// finish one; results are put back by sample index. Matrix products inside a worker are
/// single-threaded: networks run on ScoreKit's own kernel, and ScoreKit sets OpenBLAS to one
/// thread unless `OPENBLAS_NUM_THREADS` says otherwise (`ScoreKitRuntime.configure()`), so the
/// parallelism is across batches. Peak memory grows with `batchSize × threads`.
public struct SamplingJob: Sendable {
    /// The sampler (already fitted to the budget, if any).
    public var sampler: any Sampler
    /// The model.
    public var model: any Denoiser
    /// How many samples.
    public var count: Int
    /// The run seed.
    public var seed: UInt64
    /// The most rows per batch.
    public var batchSize: Int
    /// Standard-normal initial noise `[count] + sampleShape`, or nil to draw it from the seed.
    public var initialNoise: Tensor?
    /// The most denoiser calls per sample, enforced by the context.
    public var budget: Int?
    /// The first sample index (for drawing part of a larger run, such as a shard).
    public var firstIndex: Int
    /// The model's noise-level estimator, handed to samplers that need one (DLG).
    public var noiseLevelEstimator: (any NoiseLevelEstimator)?
    /// Worker threads (≥ 1); by default every active core (`ActiveCores.count`).
    public var threads: Int
    /// The class label of each sample, keyed by sample index, for a `ConditionalDenoiser`
    /// model; nil: unconditional. Checked against the model before any work.
    public var labels: SampleLabels?
    /// Inpainting or SDEdit over given data (one row per sample), or nil to sample from noise.
    /// Sample i's bits still depend only on (seed, i, its data row).
    public var edit: SamplingEdit? = nil

    /// A job; see the properties.
    public init(sampler: any Sampler, model: any Denoiser, count: Int, seed: UInt64 = 0,
                batchSize: Int = 10_000, initialNoise: Tensor? = nil, budget: Int? = nil, firstIndex: Int = 0,
                noiseLevelEstimator: (any NoiseLevelEstimator)? = nil, threads: Int = ActiveCores.count,
                labels: SampleLabels? = nil) {
        self.sampler = sampler
        self.model = model
        self.count = count
        self.seed = seed
        self.batchSize = batchSize
        self.initialNoise = initialNoise
        self.budget = budget
        self.firstIndex = firstIndex
        self.noiseLevelEstimator = noiseLevelEstimator
        self.threads = threads
        self.labels = labels
    }

    /// Progress of a whole job, across all workers.
    public struct Progress: Sendable {
        /// Samples in finished batches, rows of the batch reporting now, and samples in all.
        public let samplesDone: Int, batchSamples: Int, samples: Int
        /// The step starting now within the reporting batch, and that batch's number of steps.
        public let step: Int, steps: Int
        /// The fraction of the job done, 0…1: finished batches plus every running batch's
        /// share of its steps.
        public let fraction: Double
    }

    /// Runs the job and returns every sample with its counts.
    ///
    /// `progress` is called at every step of every batch. It may be called from any worker
    /// thread, but never by two at once (the job serialises the calls), so it needs no lock of
    /// its own; keep it short, as workers wait for it.
    public func run(progress: ((Progress, SamplingProgress) -> Void)? = nil) throws -> SamplingResult {
        try collect(progress: progress, stopRequest: nil)
    }

    /// `run(progress:)`, stopping early with `CancellationError` once `stopRequest` is raised.
    func collect(progress: ((Progress, SamplingProgress) -> Void)?, stopRequest: StopRequest?) throws -> SamplingResult {
        let shape = try validated()
        var collected = Collected(count: count, shape: shape)
        let seconds = try execute(progress: progress, stopRequest: stopRequest) { collected.add($0) }
        return collected.result(seconds: seconds)
    }

    /// Runs the job, handing each finished batch to `sink` instead of keeping it, and returns
    /// the run's figures (their size does not grow with the count): memory stays bounded by
    /// the batches in flight (`batchSize × threads` rows).
    ///
    /// Batches reach `sink` one at a time (never concurrently), from worker threads, in the
    /// order they finish — not necessarily by index; each carries its rows' positions.
    /// `progress` behaves as in `run(progress:)`.
    public func run(into sink: any SampleSink, progress: ((Progress, SamplingProgress) -> Void)? = nil) throws -> SamplingSummary {
        try stream(into: sink, progress: progress, stopRequest: nil)
    }

    /// `run(into:progress:)`, stopping early with `CancellationError` once `stopRequest` is raised.
    func stream(into sink: any SampleSink, progress: ((Progress, SamplingProgress) -> Void)?,
                stopRequest: StopRequest?) throws -> SamplingSummary {
        _ = try validated()
        var tally = SamplingSummary.Tally()
        let seconds = try execute(progress: progress, stopRequest: stopRequest) { batch in
            try sink.receive(batch.samples, at: batch.positions)
            tally.add(nfe: batch.nfe, networkRows: batch.networkRows, classifier: batch.classifier, byPart: batch.byPart, diagnostics: batch.diagnostics,
                      stoppedAt: batch.stoppedAt)
            for (k, v) in batch.shared { tally.sharedNFE[k, default: 0] += v }
            for (k, v) in batch.sharedClassifier { tally.sharedClassifierCalls[k, default: 0] += v }
        }
        return tally.summary(count: count, seconds: seconds)
    }

    /// Checks the job's settings; returns the sample shape.
    private func validated() throws -> [Int] {
        guard count > 0 else { throw SamplingError.invalidInput("count must be positive, got \(count)") }
        guard batchSize > 0 else { throw SamplingError.invalidInput("batch size must be positive, got \(batchSize)") }
        guard threads >= 1 else { throw SamplingError.invalidInput("threads must be at least 1, got \(threads)") }
        guard firstIndex >= 0 else { throw SamplingError.invalidInput("first index must be non-negative, got \(firstIndex)") }
        let shape = model.sampleShape
        if let z = initialNoise {
            guard z.rowShape == shape, z.rows == count else {
                throw SamplingError.invalidInput(
                    "initial noise has shape \(z.shape); expected \([count] + shape) (count × sample shape)")
            }
        }
        try labels?.check(for: model, samples: firstIndex..<(firstIndex + count))
        try validateEdit()
        return shape
    }
}

/// Where a `SamplingJob` run with `run(into:)` puts its samples as batches finish.
public protocol SampleSink: AnyObject {
    /// Receives a finished batch: row r of `samples` is the job's sample at position
    /// `positions[r]` (0-based within the job; its sample index is the job's `firstIndex` plus
    /// the position). Every position arrives exactly once, in no particular order. Called
    /// from worker threads, one call at a time. A thrown error stops the job.
    func receive(_ samples: Tensor, at positions: [Int]) throws
}

/// `run()`'s collector: every batch's rows put back at their positions.
private struct Collected {
    var samples: Tensor
    var nfe: [Int], networkRows: [Int], classifier: [Int]
    var byPart: [String: [Int]] = [:], diagnostics: [String: [Double]] = [:]
    var stoppedAt: [Double?]
    var shared: [String: Int] = [:], sharedClassifier: [String: Int] = [:]

    init(count: Int, shape: [Int]) {
        samples = Tensor(zeros: [count] + shape)
        nfe = Array(repeating: 0, count: count)
        networkRows = nfe
        classifier = nfe
        stoppedAt = Array(repeating: nil, count: count)
    }

    mutating func add(_ b: BatchOutcome) {
        let count = nfe.count
        samples.scatterRows(b.positions, from: b.samples)
        for (r, p) in b.positions.enumerated() {
            nfe[p] = b.nfe[r]
            networkRows[p] = b.networkRows[r]
            classifier[p] = b.classifier[r]
            stoppedAt[p] = b.stoppedAt[r]
        }
        for (part, values) in b.byPart {
            var all = byPart[part] ?? Array(repeating: 0, count: count)
            for (r, p) in b.positions.enumerated() { all[p] = values[r] }
            byPart[part] = all
        }
        for (name, values) in b.diagnostics {
            var all = diagnostics[name] ?? Array(repeating: .nan, count: count)
            for (r, p) in b.positions.enumerated() { all[p] = values[r] }
            diagnostics[name] = all
        }
        for (k, v) in b.shared { shared[k, default: 0] += v }
        for (k, v) in b.sharedClassifier { sharedClassifier[k, default: 0] += v }
    }

    func result(seconds: Double) -> SamplingResult {
        SamplingResult(samples: samples, nfe: nfe, networkRows: networkRows, classifierCalls: classifier, nfeByPart: byPart, sharedNFE: shared,
                       sharedClassifierCalls: sharedClassifier, diagnostics: diagnostics, stoppedAt: stoppedAt,
                       seconds: seconds)
    }
}
