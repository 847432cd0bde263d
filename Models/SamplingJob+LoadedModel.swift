import ScoreKitCore

extension SamplingJob {
    /// A job on a loaded model: its denoiser, and its noise-level estimator for the samplers
    /// that need one (DLG), so `SamplingJob(sampler: DLG(), model: try ModelLoader.load("moons"),
    /// count: 100)` runs without another argument. The sampler is resolved for the model
    /// (`auto` σ ranges from the checkpoint's, step counts to their defaults).
    public init(sampler: any Sampler, model: LoadedModel, count: Int, seed: UInt64 = 0, batchSize: Int = 10_000,
                initialNoise: Tensor? = nil, budget: Int? = nil, firstIndex: Int = 0, threads: Int = ActiveCores.count) {
        self.init(sampler: sampler.resolved(for: model.denoiser), model: model.denoiser, count: count, seed: seed,
                  batchSize: batchSize, initialNoise: initialNoise, budget: budget, firstIndex: firstIndex,
                  noiseLevelEstimator: model.noiseLevelEstimator, threads: threads)
    }
}
