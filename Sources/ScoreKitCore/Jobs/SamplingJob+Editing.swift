/// What a `SamplingJob` does with given data instead of drawing from noise alone.
public enum SamplingEdit: Sendable {
    /// Inpainting: keep the known values (row p of the data and mask belongs to the job's
    /// position p, i.e. sample `firstIndex + p`), with RePaint's resampling and reconstruction
    /// guidance of weight `guidance` (0: none; see `ReconstructionGuidance`) if asked for.
    case inpaint(KnownValues, Resampling, guidance: Double = 0)
    /// SDEdit: start from `data` (row p for position p) noised to `sigmaStart` with the sample's
    /// initial noise; the sampler must be an `Integrator`.
    case sdedit(data: Tensor, sigmaStart: Double)
}

extension SamplingJob {
    /// Checks the edit against the job: one data row per sample, the model's shape, and for
    /// SDEdit an integrator and a valid σ_start.
    func validateEdit() throws {
        guard let edit else { return }
        let data: Tensor
        switch edit {
        case let .inpaint(known, resampling, guidance):
            data = known.data
            _ = try resampling.validated()
            if guidance != 0 { _ = try guided(known: known, weight: guidance) }
        case let .sdedit(y, sigmaStart):
            data = y
            guard let integrator = sampler as? any Integrator else {
                throw SamplingError.invalidInput("\(sampler.name) cannot start from data (SDEdit needs an integrator); the catalog's `integratorNames` lists those that are")
            }
            try type(of: integrator).checkStart(sigmaStart, model: model, sampler: sampler.name)
            if let bad = y.firstNonFiniteRow {
                throw SamplingError.invalidInput("initial data row \(bad) (counting from 0) holds a value that is not finite")
            }
        }
        guard data.rowShape == model.sampleShape, data.rows == count else {
            throw SamplingError.invalidInput("the edit's data has shape \(data.shape); expected \([count] + model.sampleShape) (count × the model's sample shape)")
        }
    }

    /// Draws one batch's samples: `sample`, or the edit for its rows at `positions`.
    func draw(_ z: Tensor, positions: [Int], noise: any NoiseSource, context: SamplingContext) throws -> Tensor {
        switch edit {
        case nil:
            return try sampler.sample(model, from: z, noise: noise, context: context)
        case let .inpaint(known, resampling, guidance):
            let model = guidance == 0 ? model : try guided(known: known, weight: guidance)
            return try sampler.inpaint(model, from: z, known: known.rows(positions), resampling: resampling,
                                       noise: noise, context: context)
        case let .sdedit(data, sigmaStart):
            let integrator = sampler as! any Integrator      // checked by validateEdit
            return try integrator.edit(model, from: data.gatherRows(positions), sigmaStart: sigmaStart, z: z,
                                       noise: noise, context: context)
        }
    }

    /// The model with reconstruction guidance towards `known`: it needs a differentiable,
    /// unconditional run (guidance and labels do not combine).
    private func guided(known: KnownValues, weight: Double) throws -> ReconstructionGuidance {
        guard let differentiable = model as? any DifferentiableDenoiser else {
            throw SamplingError.invalidInput("reconstruction guidance needs a model with vector–Jacobian products (a trained network or an exact mixture); this model has none")
        }
        guard labels == nil else {
            throw SamplingError.invalidInput("reconstruction guidance works on unconditional runs; drop the labels")
        }
        return try ReconstructionGuidance(base: differentiable, known: known, firstIndex: firstIndex, weight: weight)
    }
}
