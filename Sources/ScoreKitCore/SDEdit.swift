/// SDEdit / img2img (Meng et al., "SDEdit: Guided Image Synthesis and Editing with Stochastic
/// Differential Equations", ICLR 2022, algorithm 1): start an integrator part-way down the noise
/// scale from given data.
///
///     x(σ_start) = y + σ_start·z                     (z: the sample's initial noise)
///     x(σ_end)   = the integrator from σ_start to σ_end = the model's σ_min (unless given)
///     result     = D(x(σ_end); σ_end)                 (one final denoising call: the step to σ = 0
///                                                      the ODE samplers end with, Euler's landing on D)
///
/// NFE = the integrator's `plannedIntegrationNFE` + 1 (just the final call when σ_start ≤ σ_end).
/// With the probability-flow ODE the map y → result is deterministic given z; with a reverse
/// SDE the result is a draw from (approximately) the posterior given the noised start.
extension Integrator {
    /// SDEdit over the batch `data` (`[N] + model.sampleShape`) with standard-normal `z` of the
    /// same shape: noise to `sigmaStart`, integrate to `sigmaEnd` (nil: `model.sigmaRange`'s
    /// lower end), denoise. Throws `SamplingError.invalidInput` when `sigmaStart` is not finite,
    /// not above 0 or above the model's σ_max, or the shapes differ.
    public func edit(_ model: any Denoiser, from data: Tensor, sigmaStart: Double, z: Tensor, to sigmaEnd: Double? = nil,
                     noise: any NoiseSource, context: SamplingContext) throws -> Tensor {
        try Self.checkStart(sigmaStart, model: model, sampler: name)
        try checkBatch(data, model: model, context: context, what: "initial data")
        guard z.shape == data.shape else {
            throw SamplingError.invalidInput("\(name): initial noise has shape \(z.shape) but the initial data \(data.shape)")
        }
        let end = min(sigmaEnd ?? model.sigmaRange.lowerBound, sigmaStart)
        guard end > 0, end.isFinite else { throw SamplingError.invalidInput("\(name): σ_end must be finite and > 0, got \(end)") }
        var x = Tensor.combination([(1, data), (.all(sigmaStart), z)])
        var steps = 0
        if sigmaStart > end {
            var run = try validated().makeIntegration(model, from: x, sigma: Array(repeating: sigmaStart, count: x.rows), to: end,
                                                      batchRows: nil, noise: noise, context: context)
            while !run.isFinished { _ = try run.step() }
            x = run.x
            steps = run.stepsTaken
        }
        try context.beginStep(steps, of: steps + 1, sigma: end)
        let denoised = try context.denoise(model, x, sigma: end)
        try context.endStep(denoised, sigma: 0, denoised: denoised)
        return denoised
    }

    /// Throws unless σ_start is finite, above 0 and at most the model's σ_max.
    public static func checkStart(_ sigmaStart: Double, model: any Denoiser, sampler: String) throws {
        guard sigmaStart.isFinite, sigmaStart > 0, sigmaStart <= model.sigmaRange.upperBound else {
            throw SamplingError.invalidInput("\(sampler): σ_start must be finite, above 0 and at most the model's σ_max = \(model.sigmaRange.upperBound); got \(sigmaStart)")
        }
    }
}
