import Foundation

/// The states a sampler passes through for a few samples, for pictures (`TrajectoryFigure`).
///
/// Sample i starts from the same initial noise and draws the same step noise as in a
/// `SamplingJob` with the same seed, so its trajectory ends at the job's sample i (for every
/// sampler whose batches are independent rows; DLG's chains share a batch, so its states
/// belong to a smaller batch). States are in VE coordinates, `x = x0 + σ·n`.
public struct TrajectoryCapture: Sendable {
    /// One recorded state.
    public struct Frame: Sendable {
        /// Steps taken before this state (0: the initial noise).
        public let state: Int
        /// The noise level of the first row at this state (0 once clean).
        public let sigma: Double
        /// The rows' state, VE coordinates.
        public let x: Tensor
        /// The sampler's estimate of the clean data made from this state (for the final
        /// state, the state itself); nil when the step from it made no denoiser call.
        public let denoised: Tensor?

        /// A frame; see the properties.
        public init(state: Int, sigma: Double, x: Tensor, denoised: Tensor? = nil) {
            self.state = state
            self.sigma = sigma
            self.x = x
            self.denoised = denoised
        }
    }

    /// The sampler, fitted to its budget and resolved for the model.
    public var sampler: any Sampler
    /// The model.
    public var model: any Denoiser
    /// The run seed.
    public var seed: UInt64
    /// The most denoiser calls per sample, if limited.
    public var budget: Int?
    /// The model's noise-level estimator, for samplers that need one (DLG).
    public var noiseLevelEstimator: (any NoiseLevelEstimator)?
    /// The class label of each sample (keyed by sample index), for a conditional model.
    public var labels: SampleLabels?

    /// A capture; see the properties.
    public init(sampler: any Sampler, model: any Denoiser, seed: UInt64, budget: Int? = nil,
                noiseLevelEstimator: (any NoiseLevelEstimator)? = nil, labels: SampleLabels? = nil) {
        self.sampler = sampler
        self.model = model
        self.seed = seed
        self.budget = budget
        self.noiseLevelEstimator = noiseLevelEstimator
        self.labels = labels
    }

    /// `frames` indices, evenly spaced, of `states` states (0 … states−1), first and last
    /// included; all of them when `frames ≥ states`.
    public static func evenlySpaced(_ frames: Int, of states: Int) -> [Int] {
        guard frames < states else { return Array(0..<states) }
        guard frames > 1 else { return [states - 1] }
        let picked = (0..<frames).map { Int((Double($0) * Double(states - 1) / Double(frames - 1)).rounded()) }
        return Array(Set(picked)).sorted()
    }

    /// Runs the sampler on samples `indices` (initial noise `initialNoise`, one row per index,
    /// or drawn from the seed) and keeps `frames` evenly spaced states, the first and last
    /// included (every state when nil). When the sampler plans its steps only those states
    /// are kept in memory; an adaptive one's are all kept, then thinned.
    public func record(indices: [Int], initialNoise: Tensor? = nil, frames: Int?) throws -> [Frame] {
        let z = try initialNoise ?? PhiloxNoise(seed: seed, stream: RandomStreamID.initialNoise, sampleIndices: indices)
            .normal(rows: nil, shape: model.sampleShape)
        let context = SamplingContext(samplerName: sampler.name, sampleIndices: indices, budget: budget)
        context.noiseLevelEstimator = noiseLevelEstimator
        context.labels = labels?.labels(ofSamples: indices)
        let noise = PhiloxNoise(seed: seed, stream: RandomStreamID.samplerNoise, sampleIndices: indices)
        var run = try sampler.start(model, from: z, noise: noise, context: context)
        let planned = run.plannedSteps.flatMap { steps in frames.map { Set(Self.evenlySpaced($0, of: steps + 1)) } }
        func keeps(_ state: Int) -> Bool { planned?.contains(state) ?? true }
        var kept: [Frame] = []
        var pending: (state: Int, sigma: Double, x: Tensor)? = keeps(0) ? (0, run.sigma.first ?? 0, run.x) : nil
        var state = 0
        while !run.isFinished {
            let step = try run.step()
            if let p = pending { kept.append(Frame(state: p.state, sigma: p.sigma, x: p.x, denoised: step.denoised)) }
            state += 1
            pending = keeps(state) || run.isFinished ? (state, run.sigma.first ?? 0, run.x) : nil
        }
        if let p = pending {
            if kept.last?.state != p.state { kept.append(Frame(state: p.state, sigma: p.sigma, x: p.x, denoised: p.x)) }
        }
        guard let frames, kept.count > frames else { return kept }
        return Self.evenlySpaced(frames, of: kept.count).map { kept[$0] }
    }
}
