/// A run that keeps known values: any sampler's run, with the known part of `x` replaced after
/// every step (and once at the start) by the known data noised to the row's level, and RePaint's
/// resampling if asked for. See `KnownValues` for the rule; `Sampler.startInpainting` makes one.
public struct InpaintingRun<Base: SamplingRun>: SamplingRun {
    /// The sampler's own run.
    public private(set) var base: Base
    /// The known values, one row per batch row.
    public let known: KnownValues
    /// RePaint's resampling.
    public let resampling: Resampling
    let noise: any NoiseSource
    /// The run at the start of the current group of `jump` steps (RePaint only).
    private var checkpoint: Base?

    /// Wraps `base`, imposing the known values on its starting state. Throws when the shapes
    /// differ, or when resampling is asked of a run whose steps cannot be redone.
    public init(_ base: Base, known: KnownValues, resampling: Resampling = .none, noise: any NoiseSource) throws {
        guard known.data.shape == base.x.shape else {
            throw SamplingError.invalidInput("inpainting: the known data has shape \(known.data.shape) but the batch has \(base.x.shape)")
        }
        let resampling = try resampling.validated()
        if resampling.resample > 0, !Base.canRedoSteps {
            throw SamplingError.invalidInput("inpainting: \(Base.self) cannot redo a step (its state is shared, not copied), so it cannot resample; use resample 0 or another sampler")
        }
        self.base = base
        self.known = known
        self.resampling = resampling
        self.noise = noise
        self.base.x = try known.imposed(on: base.x, sigma: base.sigma, exact: base.isFinished, noise: noise)
    }

    public var x: Tensor {
        get { base.x }
        set { base.x = newValue }
    }
    public var sigma: [Double] { base.sigma }
    public var stepsTaken: Int { base.stepsTaken }
    public var plannedSteps: Int? { base.plannedSteps }
    public var isFinished: Bool { base.isFinished }

    /// One step of the sampler, then the replacement; at the end of a group of `jump` steps
    /// (or of the run), the group redone `resample` times.
    public mutating func step() throws -> SamplingStep {
        if resampling.resample > 0, base.stepsTaken % resampling.jump == 0 { checkpoint = base }
        let step = try Self.advance(&base, known: known, noise: noise)
        if resampling.resample > 0, let start = checkpoint,
           base.stepsTaken % resampling.jump == 0 || base.isFinished {
            for _ in 0..<resampling.resample { try redo(from: start) }
            checkpoint = nil
        }
        return step
    }

    /// Goes back up to the checkpoint's levels and redoes the steps from there.
    private mutating func redo(from start: Base) throws {
        let target = base.stepsTaken
        let up = zip(start.sigma, base.sigma).map { max($0 * $0 - $1 * $1, 0).squareRoot() }
        let rows = up.indices.filter { up[$0] > 0 }
        var x = base.x
        if !rows.isEmpty {
            var z = Tensor(zeros: x.shape)
            z.scatterRows(rows, from: try noise.normal(rows: rows, shape: x.rowShape))
            x = Tensor.combination([(1, x), (.perRow(up), z)])
        }
        var again = start
        again.x = x
        while again.stepsTaken < target, !again.isFinished { _ = try Self.advance(&again, known: known, noise: noise) }
        base = again
    }

    private static func advance(_ run: inout Base, known: KnownValues, noise: any NoiseSource) throws -> SamplingStep {
        let step = try run.step()
        run.x = try known.imposed(on: run.x, sigma: run.sigma, exact: run.isFinished, noise: noise)
        return step
    }
}

extension Sampler {
    /// A run over the batch `z` that keeps `known` (one row per batch row): `start`, wrapped in
    /// an `InpaintingRun`.
    public func startInpainting(_ model: any Denoiser, from z: Tensor, known: KnownValues, resampling: Resampling = .none,
                                noise: any NoiseSource, context: SamplingContext) throws -> InpaintingRun<Run> {
        try InpaintingRun(start(model, from: z, noise: noise, context: context), known: known, resampling: resampling, noise: noise)
    }

    /// Draws a batch that keeps `known`: `startInpainting`, stepped to the end. The known values
    /// of the result are the known data, bit for bit.
    public func inpaint(_ model: any Denoiser, from z: Tensor, known: KnownValues, resampling: Resampling = .none,
                        noise: any NoiseSource, context: SamplingContext) throws -> Tensor {
        var run = try startInpainting(model, from: z, known: known, resampling: resampling, noise: noise, context: context)
        while !run.isFinished { _ = try run.step() }
        return run.x
    }
}
