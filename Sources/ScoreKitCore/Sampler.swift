/// A sampler: turns initial noise into samples by calling a `Denoiser`.
///
/// A sampler is a value whose settings are typed stored properties, declared once in its
/// `declaration` (which gives its spec keys, validation and help). It runs as a
/// `SamplingRun` you can step: `start` makes one from initial noise, each `step()` takes one
/// step, and `sample` is that loop run to the end. Everything that varies per run — the NFE
/// counter, progress, cancellation, recording, the non-finite guard — lives in the
/// `SamplingContext`; every random draw comes from the `NoiseSource`. So one sampler value can
/// be shared across tasks.
public protocol Sampler: Sendable {
    /// The run `start` makes.
    associatedtype Run: SamplingRun

    /// The sampler's names, options and help.
    static var declaration: SamplerDeclaration<Self> { get }

    /// This value if its settings fit together, else an error naming the conflict (for
    /// example `steps` above `T`). Parsing a spec and `start` call it.
    func validated() throws -> Self

    /// The denoiser calls per sample this configuration makes, or nil when it adapts
    /// (the context reports what was really used).
    var plannedNFE: Int? { get }

    /// This sampler configured for at most `nfe` denoiser calls per sample: an unset (`auto`)
    /// step count becomes the most that fits. Throws when nothing fits, or when a step count
    /// given explicitly needs more than `nfe`.
    func fitted(toNFE nfe: Int) throws -> Self

    /// This sampler with its unset (`auto`) settings filled in for `model` — its σ range from
    /// `model.sigmaRange` where the sampler reads one, its default step count — so its spec
    /// says exactly what runs. The default returns `self`.
    func resolved(for model: any Denoiser) -> Self

    /// A run over the batch `z` (standard-normal, `[N] + model.sampleShape`), not yet stepped.
    /// Call `start`, which checks the shapes first.
    func makeRun(_ model: any Denoiser, from z: Tensor, noise: any NoiseSource,
                 context: SamplingContext) throws -> Run

    /// How a `SamplingJob` splits the sample indices `indices` into batches of at most
    /// `batchSize` rows for `workers` workers: every index in exactly one batch. Sample i
    /// depends only on (seed, i), so any split gives the same samples; it decides only how much
    /// work is repeated or shared. The default is `BatchPlan.contiguous`; DLG keeps each
    /// chain's samples in one batch.
    func batches(of indices: Range<Int>, batchSize: Int, workers: Int) -> [[Int]]
}

/// A sampler's run over one batch, advanced one step at a time.
///
/// `x` is the batch in variance-exploding coordinates (`x = x0 + σ·n`) at the noise levels
/// `sigma`, whatever coordinates the sampler steps in; it may be changed between steps (to
/// keep known values, guide, or edit), and the next step starts from the new value. For
/// multistep solvers the history of denoised estimates lives in the run.
public protocol SamplingRun {
    /// The batch, VE coordinates, at `sigma`.
    var x: Tensor { get set }
    /// The noise level of each row now (0 once a row is clean).
    var sigma: [Double] { get }
    /// The number of steps taken.
    var stepsTaken: Int { get }
    /// The number of steps the run will take, or nil when it adapts.
    var plannedSteps: Int? { get }
    /// Whether the run is done (`x` is then its result).
    var isFinished: Bool { get }
    /// Takes the next step and says what it did.
    mutating func step() throws -> SamplingStep
    /// Whether a copy of the run taken before a step can redo that step (RePaint): true for a
    /// value type whose state is all in its stored values (the default for structs); false
    /// where state lives in a shared object.
    static var canRedoSteps: Bool { get }
}

extension SamplingRun {
    /// True for value types, false for classes.
    public static var canRedoSteps: Bool { !(Self.self is AnyClass) }
}

/// What one step of a run did.
public struct SamplingStep: Sendable {
    /// The step's index (0-based).
    public let index: Int
    /// Each row's noise level before and after the step.
    public let sigma: [Double], sigmaNext: [Double]
    /// The denoiser's estimate of the clean data at the step's first evaluation, VE
    /// coordinates (nil for steps that make no call).
    public let denoised: Tensor?

    /// A step record.
    public init(index: Int, sigma: [Double], sigmaNext: [Double], denoised: Tensor?) {
        self.index = index
        self.sigma = sigma
        self.sigmaNext = sigmaNext
        self.denoised = denoised
    }
}

extension Sampler {
    /// The default split: `BatchPlan.contiguous`.
    public func batches(of indices: Range<Int>, batchSize: Int, workers: Int) -> [[Int]] {
        BatchPlan.contiguous(indices, batchSize: batchSize, workers: workers)
    }

    /// Nothing to fill in.
    public func resolved(for model: any Denoiser) -> Self { self }

    /// The sampler's name in specs (its preset's).
    public var name: String { Self.declaration.preset(of: self).name }
    /// The spec that recreates this sampler, every applicable key given: `name:key=value,…`.
    public var spec: String { Self.declaration.spec(of: self).description }

    /// A run over the batch `z`, checked: `z` must be `[N] + model.sampleShape` with N ≥ 1,
    /// matching the context's rows.
    public func start(_ model: any Denoiser, from z: Tensor, noise: any NoiseSource,
                      context: SamplingContext) throws -> Run {
        try checkBatch(z, model: model, context: context, what: "initial noise")
        return try validated().makeRun(model, from: z, noise: noise, context: context)
    }

    /// Draws a batch: `start`, then `step()` until the run is finished.
    ///
    /// - Parameters:
    ///   - model: the denoiser (VE coordinates).
    ///   - z: standard-normal initial noise, `[N] + model.sampleShape`; the sampler scales it
    ///     to its own prior (VP: `z`; VE/EDM: `σ_max·z`).
    ///   - noise: the batch's source of further random draws.
    ///   - context: NFE counting, progress, cancellation, recording, the non-finite guard.
    /// - Returns: the samples, shaped like `z`.
    public func sample(_ model: any Denoiser, from z: Tensor, noise: any NoiseSource,
                       context: SamplingContext) throws -> Tensor {
        var run = try start(model, from: z, noise: noise, context: context)
        while !run.isFinished { _ = try run.step() }
        return run.x
    }

    /// The common rule for samplers with a step count: an unset count becomes the largest
    /// in `range` whose `nfe(steps)` fits the budget; a set one is checked. `set` returns the
    /// sampler with a count.
    public func fittedSteps(_ steps: Int?, in range: ClosedRange<Int>, toNFE budget: Int, key: String = "steps",
                            nfe: (Int) -> Int, set: (Int) -> Self) throws -> Self {
        if let steps {
            let need = nfe(steps)
            guard need <= budget else {
                throw SamplerSpecError.overBudget(sampler: name, detail: "\(key)=\(steps) needs \(need) NFE per sample", budget: budget)
            }
            return self
        }
        guard nfe(range.lowerBound) <= budget else {
            throw SamplerSpecError.overBudget(sampler: name, detail: "its fewest steps (\(key)=\(range.lowerBound)) need \(nfe(range.lowerBound)) NFE per sample", budget: budget)
        }
        var lo = range.lowerBound, hi = min(range.upperBound, max(budget, lo))
        while lo < hi {                      // the largest steps with nfe(steps) ≤ budget
            let mid = lo + (hi - lo + 1) / 2
            if nfe(mid) <= budget { lo = mid } else { hi = mid - 1 }
        }
        return set(lo)
    }
}

/// Throws unless `x` is a batch of `model`'s samples with one row per context row.
func checkBatch(_ x: Tensor, model: any Denoiser, context: SamplingContext, what: String) throws {
    guard x.rowShape == model.sampleShape, x.rows >= 1 else {
        throw SamplingError.invalidInput("\(context.samplerName): \(what) has shape \(x.shape); expected [N] + \(model.sampleShape) (N ≥ 1 rows of the model's sample shape)")
    }
    guard x.rows == context.rows else {
        throw SamplingError.invalidInput("\(context.samplerName): \(what) has \(x.rows) rows but the context has \(context.rows)")
    }
}

/// A sampler that can start part-way down the noise scale: every row of the VE state `x` at
/// its own noise level `sigma[r]`. Denoising-MCMC hands each chain sample to an integrator
/// this way; `sample` is the special case of every row starting at the sampler's σ_max.
///
/// For each row the integrator lays its own schedule (same kind, same `steps`) over
/// `[sigmaEnd, sigma[r]]` and ends with the VE state at `sigmaEnd` — not denoised: the caller
/// decides the final step (DLG takes a Tweedie step `x + σ_end²·score`).
public protocol Integrator: Sampler {
    /// A run carrying each row of `x` from `sigma[r]` (> `sigmaEnd`) down to `sigmaEnd` (> 0).
    /// `batchRows` maps the rows of `x` to rows of the context's batch (nil: the same rows).
    func makeIntegration(_ model: any Denoiser, from x: Tensor, sigma: [Double], to sigmaEnd: Double,
                         batchRows: [Int]?, noise: any NoiseSource, context: SamplingContext) throws -> Run

    /// The denoiser calls per sample an integration makes (nil when adaptive).
    var plannedIntegrationNFE: Int? { get }
}

extension Integrator {
    /// Carries each row from `sigma[r]` down to `sigmaEnd` (> 0) and returns the VE state
    /// there. Rows at or below `sigmaEnd` are returned unchanged, with no denoiser calls.
    public func integrate(_ model: any Denoiser, from x: Tensor, sigma: [Double], to sigmaEnd: Double,
                          noise: any NoiseSource, context: SamplingContext) throws -> Tensor {
        guard sigma.count == x.rows, x.rows == context.rows else {
            throw SamplingError.invalidInput("integrate: \(sigma.count) starting σ's and \(context.rows) context rows for \(x.rows) rows")
        }
        guard sigmaEnd > 0, sigmaEnd.isFinite, sigma.allSatisfy(\.isFinite) else {
            throw SamplingError.invalidInput("integrate: σ_end must be finite and > 0 and every starting σ finite (σ_end = \(sigmaEnd))")
        }
        try checkBatch(x, model: model, context: context, what: "integrate's state")
        let active = sigma.indices.filter { sigma[$0] > sigmaEnd }
        guard !active.isEmpty else { return x }
        let all = active.count == x.rows
        var run = try validated().makeIntegration(model, from: all ? x : x.gatherRows(active), sigma: active.map { sigma[$0] },
                                                  to: sigmaEnd, batchRows: all ? nil : active, noise: noise, context: context)
        while !run.isFinished { _ = try run.step() }
        guard !all else { return run.x }
        var out = x
        out.scatterRows(active, from: run.x)
        return out
    }
}
