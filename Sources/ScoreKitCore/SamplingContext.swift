/// The per-run companion of a sampler: it counts network evaluations per sample, enforces the
/// NFE budget, reports progress, honours cancellation, records trajectories and stops the run
/// when a value turns NaN or infinite.
///
/// Samplers call the model only through `denoise(_:_:sigma:rows:)` and mark each step with
/// `beginStep` / `endStep`:
///
/// ```swift
/// for i in 0..<steps {
///     try context.beginStep(i, of: steps, sigma: sigmas[i])
///     let denoised = try context.denoise(model, x, sigma: sigmas[i])
///     x = …
///     try context.endStep(x, sigma: [sigmas[i + 1]])
/// }
/// ```
///
/// A context belongs to one batch and one worker; it is not shared.
public final class SamplingContext {
    /// The name of the sampler using this context (for error messages).
    public let samplerName: String
    /// The most denoiser calls any one sample may use, if limited.
    public let budget: Int?
    /// The sample indices (within the run) of the batch rows.
    public let sampleIndices: [Int]
    /// Denoiser calls made for each batch row so far.
    public private(set) var nfe: [Int]
    /// Network rows those calls cost for each batch row: a call costs a row its model's
    /// `ConditionalDenoiser.networkRows(sigma:label:)` (1 for a plain denoiser; 2 where
    /// classifier-free guidance runs both branches).
    public private(set) var networkRows: [Int]
    /// Each batch row's class label (nil: ∅), passed to a `ConditionalDenoiser` at every
    /// call; nil: every row unconditional.
    public var labels: [Int?]?
    /// The run's labels by sample index (what `labels` was taken from), for samplers whose
    /// work for a row serves other samples too (DLG's chains).
    public var sampleLabels: SampleLabels?
    /// Noise-level estimator (classifier) calls for each batch row so far.
    public private(set) var classifierCalls: [Int]
    /// Denoiser calls per batch row broken down by the part of the algorithm that made them
    /// (set `part` before calling); samplers with one phase leave it empty.
    public private(set) var nfeByPart: [String: [Int]] = [:]
    /// Calls that serve all rows of the batch together (e.g. a Markov chain's burn-in),
    /// counted in row-evaluations and reported apart from the per-sample NFE.
    public private(set) var sharedNFE: [String: Int] = [:]
    /// Noise-level estimator calls that serve the whole batch, by label (counted per row).
    public private(set) var sharedClassifierCalls: [String: Int] = [:]
    /// Per-row values a sampler reports about what it did (e.g. DLG's hand-off σ), by name.
    public var diagnostics: [String: [Double]] = [:]
    /// For each batch row, the σ at which an adaptive sampler stopped integrating because the
    /// row's NFE budget ran out (it was then denoised from there); nil for a row that finished
    /// its integration. Set with `stopEarly(row:sigma:)`.
    public private(set) var stoppedAt: [Double?]
    /// The label under which denoiser calls are counted in `nfeByPart`, if any.
    public var part: String?
    /// Called at the start of every step.
    public var onProgress: ((SamplingProgress) -> Void)?
    /// Asked at the start of every step, besides the task's cancellation: true stops the run
    /// with `CancellationError` (a `SamplingJob` sets it so one worker's failure stops the rest).
    public var shouldStop: (@Sendable () -> Bool)?
    /// Records the state after every step when set.
    public var recorder: TrajectoryRecorder?
    /// Called at the end of every step with the state the sampler reached (to watch a run
    /// without owning its loop; to change the state between steps, step a `SamplingRun`).
    public var onStep: ((TrajectoryRecorder.Frame) -> Void)?
    /// The model's noise-level estimator, for samplers that need one (DLG).
    public var noiseLevelEstimator: (any NoiseLevelEstimator)?

    /// The step being run, and its σ, for error messages.
    public private(set) var currentStep = 0
    /// The σ of the step in progress (NaN before the first).
    public private(set) var currentSigma = Double.nan

    /// A context for a batch with the given sample indices.
    public init(samplerName: String, sampleIndices: [Int], budget: Int? = nil) {
        self.samplerName = samplerName
        self.sampleIndices = sampleIndices
        self.budget = budget
        self.nfe = Array(repeating: 0, count: sampleIndices.count)
        self.networkRows = nfe
        self.classifierCalls = Array(repeating: 0, count: sampleIndices.count)
        self.stoppedAt = Array(repeating: nil, count: sampleIndices.count)
    }

    /// Records that batch row `row` stopped integrating at noise level `sigma`, short of its
    /// end, because its budget ran out: the run reports it rather than return a half-integrated
    /// sample silently.
    public func stopEarly(row: Int, sigma: Double) { stoppedAt[row] = sigma }

    /// The number of rows in the batch.
    public var rows: Int { sampleIndices.count }

    /// Marks the start of step `index` of `total` at noise level `sigma` (a representative
    /// value when rows differ): checks for cancellation and reports progress.
    public func beginStep(_ index: Int, of total: Int, sigma: Double) throws {
        try Task.checkCancellation()
        if let shouldStop, shouldStop() { throw CancellationError() }
        currentStep = index
        currentSigma = sigma
        onProgress?(SamplingProgress(step: index, steps: total, sigma: sigma))
    }

    /// Marks the end of a step: checks the new state is finite, records it and reports it to
    /// `onStep`. `x` is the state in the sampler's own coordinates; `denoised`, when given, the
    /// step's estimate of the clean data.
    public func endStep(_ x: Tensor, sigma: [Double], denoised: Tensor? = nil) throws {
        if let r = x.firstNonFiniteRow {
            throw SamplingError.nonFinite(sampler: samplerName, step: currentStep, sigma: sigma[min(r, sigma.count - 1)],
                                          what: "state")
        }
        guard recorder != nil || onStep != nil else { return }
        let frame = TrajectoryRecorder.Frame(step: currentStep, sigma: sigma, x: x, denoised: denoised)
        recorder?.record(frame)
        onStep?(frame)
    }

    /// `endStep` with every row at the same noise level.
    public func endStep(_ x: Tensor, sigma: Double, denoised: Tensor? = nil) throws {
        try endStep(x, sigma: Array(repeating: sigma, count: x.rows), denoised: denoised)
    }

    /// `model.denoise(x, sigma)`, counted: one call for each row in `rows` (all rows when nil;
    /// `x` then holds exactly the listed rows), and the network rows each costs. A
    /// `ConditionalDenoiser` gets the rows' labels — `labels` (one per row of `x`) when given,
    /// for states that are not the batch's own (DLG's chains); a `SampleAwareDenoiser` gets the
    /// rows' sample indices instead. Throws when a row would exceed
    /// the budget or the model returns NaN or infinity.
    public func denoise(_ model: any Denoiser, _ x: Tensor, sigma: [Double], rows: [Int]? = nil,
                        labels given: [Int?]? = nil) throws -> Tensor {
        guard sigma.count == x.rows else { throw SamplingError.invalidInput("\(samplerName): denoise got \(sigma.count) σ's for \(x.rows) rows") }
        let rows = rows ?? Array(0..<self.rows)
        guard rows.count == x.rows, rows.allSatisfy({ (0..<self.rows).contains($0) }) else {
            throw SamplingError.invalidInput("\(samplerName): denoise got \(rows.count) row indices (within 0..<\(self.rows)) for \(x.rows) rows")
        }
        for r in rows {
            if let budget, nfe[r] + 1 > budget {
                throw SamplingError.budgetExceeded(sampler: samplerName, budget: budget)
            }
            nfe[r] += 1
        }
        if let part {
            var counts = nfeByPart[part] ?? Array(repeating: 0, count: self.rows)
            for r in rows { counts[r] += 1 }
            nfeByPart[part] = counts
        }
        let rowLabels = given ?? rows.map { labels?[$0] ?? nil }
        guard rowLabels.count == x.rows else { throw SamplingError.invalidInput("\(samplerName): denoise got \(rowLabels.count) labels for \(x.rows) rows") }
        for (k, r) in rows.enumerated() { networkRows[r] += Self.networkRows(model, sigma: sigma[k], label: rowLabels[k]) }
        if let aware = model as? any SampleAwareDenoiser {
            return try checked(aware.denoise(x, sigma: sigma, samples: rows.map { sampleIndices[$0] }), sigma: sigma)
        }
        return try checked(Self.evaluate(model, x, sigma: sigma, labels: rowLabels), sigma: sigma)
    }

    /// `model.denoise(x, sigma)` counted as shared work under `label` (not charged to any
    /// sample's NFE or budget), for computation that serves the whole batch; with `labels` (one
    /// per row of `x`), a `ConditionalDenoiser` gets them.
    public func denoiseShared(_ model: any Denoiser, _ x: Tensor, sigma: [Double], label: String,
                              labels: [Int?]? = nil) throws -> Tensor {
        sharedNFE[label, default: 0] += x.rows
        return try checked(Self.evaluate(model, x, sigma: sigma, labels: labels ?? []), sigma: sigma)
    }

    /// The network rows one call costs one row: `networkRows(sigma:label:)` of a conditional
    /// model, 1 for a plain one.
    static func networkRows(_ model: any Denoiser, sigma: Double, label: Int?) -> Int {
        (model as? any ConditionalDenoiser)?.networkRows(sigma: sigma, label: label) ?? 1
    }

    /// The model's estimate: conditional when it is a `ConditionalDenoiser` and a row has a label.
    private static func evaluate(_ model: any Denoiser, _ x: Tensor, sigma: [Double], labels: [Int?]) throws -> Tensor {
        if let conditional = model as? any ConditionalDenoiser, labels.contains(where: { $0 != nil }) {
            return try conditional.denoise(x, sigma: sigma, labels: labels)
        }
        return try model.denoise(x, sigma: sigma)
    }

    /// A uniform-σ convenience: every row at the same `sigma`.
    public func denoise(_ model: any Denoiser, _ x: Tensor, sigma: Double) throws -> Tensor {
        try denoise(model, x, sigma: Array(repeating: sigma, count: x.rows))
    }

    /// `estimator.logProbabilities(x)`, counted as one classifier call for each row in `rows`.
    public func estimateNoiseLevel(_ estimator: any NoiseLevelEstimator, _ x: Tensor, rows: [Int]? = nil) throws -> Tensor {
        for r in rows ?? Array(0..<self.rows) { classifierCalls[r] += 1 }
        let out = try estimator.logProbabilities(x)
        if out.scalars.contains(where: \.isNaN) {   // −∞ is a valid log-probability
            throw SamplingError.nonFinite(sampler: samplerName, step: currentStep, sigma: currentSigma,
                                          what: "noise-level estimate")
        }
        return out
    }

    /// A context for some of this batch's rows, for handing them to another sampler: same
    /// sampler name (errors still name the outer sampler), budget reduced by what each row has
    /// used (all rows must have used the same), progress forwarded. Fold its counts back with
    /// `absorb(_:rows:part:)`.
    public func subcontext(rows: [Int], reserving reserve: Int = 0) -> SamplingContext {
        let used = rows.map { nfe[$0] }.max() ?? 0
        let sub = SamplingContext(samplerName: samplerName, sampleIndices: rows.map { sampleIndices[$0] },
                                  budget: budget.map { $0 - used - reserve })
        sub.labels = labels.map { all in rows.map { all[$0] } }
        sub.sampleLabels = sampleLabels
        sub.onProgress = onProgress
        sub.shouldStop = shouldStop
        return sub
    }

    /// Adds the counts of `sub` — a context for this batch's rows `rows` — to this one, its
    /// denoiser calls under `part` (if given).
    public func absorb(_ sub: SamplingContext, rows: [Int], part: String?) throws {
        for (k, r) in rows.enumerated() {
            nfe[r] += sub.nfe[k]
            networkRows[r] += sub.networkRows[k]
            classifierCalls[r] += sub.classifierCalls[k]
            if let sigma = sub.stoppedAt[k] { stoppedAt[r] = sigma }
            if let budget, nfe[r] > budget { throw SamplingError.budgetExceeded(sampler: samplerName, budget: budget) }
        }
        if let part {
            var counts = nfeByPart[part] ?? Array(repeating: 0, count: self.rows)
            for (k, r) in rows.enumerated() { counts[r] += sub.nfe[k] }
            nfeByPart[part] = counts
        }
        for (k, v) in sub.sharedNFE { sharedNFE[k, default: 0] += v }
        for (k, v) in sub.sharedClassifierCalls { sharedClassifierCalls[k, default: 0] += v }
    }

    /// Counts a sub-run's denoiser calls as shared work under `label`.
    public func absorbShared(_ sub: SamplingContext, label: String) {
        sharedNFE[label, default: 0] += sub.nfe.reduce(0, +) + sub.sharedNFE.values.reduce(0, +)
        sharedClassifierCalls[label, default: 0] += sub.classifierCalls.reduce(0, +)
    }

    /// `estimator.logProbabilities(x)` counted as shared work under `label`.
    public func estimateNoiseLevelShared(_ estimator: any NoiseLevelEstimator, _ x: Tensor, label: String) throws -> Tensor {
        sharedClassifierCalls[label, default: 0] += x.rows
        let out = try estimator.logProbabilities(x)
        if out.scalars.contains(where: \.isNaN) {
            throw SamplingError.nonFinite(sampler: samplerName, step: currentStep, sigma: currentSigma, what: "noise-level estimate")
        }
        return out
    }

    /// Throws `SamplingError.nonFinite` naming `what` if any value of `x` is NaN or infinite
    /// (for states that are not the batch's rows, such as Markov chains).
    public func checkFinite(_ x: Tensor, sigma: [Double], what: String) throws {
        if let r = x.firstNonFiniteRow {
            throw SamplingError.nonFinite(sampler: samplerName, step: currentStep, sigma: sigma[min(r, sigma.count - 1)], what: what)
        }
    }

    private func checked(_ out: Tensor, sigma: [Double]) throws -> Tensor {
        if let r = out.firstNonFiniteRow {
            throw SamplingError.nonFinite(sampler: samplerName, step: currentStep, sigma: sigma[r], what: "denoiser output")
        }
        return out
    }
}

/// Where a sampler is in its run.
public struct SamplingProgress: Sendable {
    /// The step starting now (0-based) and the number of steps.
    public let step: Int, steps: Int
    /// The noise level of the step.
    public let sigma: Double
}

/// The states a sampler passes through, one frame per step (optionally every k-th step).
public final class TrajectoryRecorder {
    /// One recorded state.
    public struct Frame: Sendable {
        /// The step's index.
        public let step: Int
        /// The noise level of each row after the step.
        public let sigma: [Double]
        /// The batch after the step.
        public let x: Tensor
        /// The step's estimate of the clean data, when the sampler reports one.
        public let denoised: Tensor?
    }
    /// Record every `every`-th step.
    public let every: Int
    /// The frames so far.
    public private(set) var frames: [Frame] = []

    /// A recorder keeping every `every`-th step.
    public init(every: Int = 1) { self.every = max(every, 1) }

    func record(_ frame: Frame) {
        if frame.step % every == 0 { frames.append(frame) }
    }
}

/// Why a sampling run stopped.
public enum SamplingError: Error, Equatable, CustomStringConvertible {
    /// A NaN or infinity appeared (`what`: "denoiser output", "state", …).
    case nonFinite(sampler: String, step: Int, sigma: Double, what: String)
    /// A sample needed more denoiser calls than the budget allows.
    case budgetExceeded(sampler: String, budget: Int)
    /// The inputs do not fit together (shapes, counts).
    case invalidInput(String)

    public var description: String {
        switch self {
        case let .nonFinite(sampler, step, sigma, what):
            "\(sampler): non-finite \(what) at step \(step), σ = \(sigma)"
        case let .budgetExceeded(sampler, budget):
            "\(sampler): a sample needed more than its budget of \(budget) denoiser calls"
        case let .invalidInput(message):
            message
        }
    }
}
