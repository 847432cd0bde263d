import ScoreKitCore

/// A sampler that walks a `NoiseSchedule`: `steps` σ levels (a custom schedule brings its own),
/// then its own step to σ = 0 — Euler, Heun, the multistep and ancestral solvers, Restart.
///
/// A conforming type states its default step count and what a number of levels costs; this
/// protocol gives it the rest of the `Sampler` contract that every such sampler shares:
/// validation, resolving against a model (its σ range), the planned NFE, fitting to a budget,
/// and the σ's `sample` visits.
public protocol ScheduledSampler: Integrator {
    /// σ levels before the final step to 0; nil: `defaultSteps`, or the most an NFE budget
    /// allows. Ignored by a custom schedule, which has its own count.
    var steps: Int? { get set }
    /// The σ's visited.
    var schedule: NoiseSchedule { get set }
    /// The step count when `steps` is unset.
    var defaultSteps: Int { get }
    /// Denoiser calls of `sample` over `levels` σ levels, its step to 0 included (default:
    /// one per level).
    func nfe(levels: Int) -> Int
    /// The fewest σ levels a run needs (default 1).
    var fewestLevels: Int { get }
}

extension ScheduledSampler {
    /// One call per level.
    public func nfe(levels: Int) -> Int { levels }
    /// One level.
    public var fewestLevels: Int { 1 }

    /// The step count used: `steps`, else `defaultSteps`.
    public var stepCount: Int { steps ?? defaultSteps }
    /// The σ levels `sample` visits before its final step (a custom schedule's own count).
    public var levelCount: Int { schedule.count(steps: stepCount) }

    public func validated() throws -> Self {
        try schedule.validate(steps: stepCount, sampler: name)
        return self
    }

    public func resolved(for model: any Denoiser) -> Self {
        var out = self
        out.steps = stepCount
        out.schedule = schedule.resolved(modelRange: model.sigmaRange)
        return out
    }

    public var plannedNFE: Int? { nfe(levels: levelCount) }

    public func fitted(toNFE budget: Int) throws -> Self {
        guard schedule.kind != .custom else {
            return try fittedSteps(levelCount, in: 1...levelCount, toNFE: budget, key: "sigmas", nfe: nfe(levels:)) { _ in self }
        }
        return try fittedSteps(steps, in: fewestLevels...100_000, toNFE: budget, nfe: nfe(levels:)) { n in
            var out = self
            out.steps = n
            return out
        }
    }

    /// The σ's `sample` visits for `model` before its final step to 0.
    public func sigmas(for model: any Denoiser) -> [Double] {
        schedule.levels(steps: stepCount, modelRange: model.sigmaRange).sampleSigmas
    }

    /// The schedules `sample` walks over a batch of `rows`: the σ's for `model`, then 0.
    func sampleSchedules(for model: any Denoiser, rows: Int) -> RowSchedules {
        .shared(sigmas(for: model) + [0], rows: rows)
    }

    /// The σ's an integration walks: the same kind of schedule laid over each row's
    /// `[σ_end, σ_r]`, with at least two points.
    func integrationSigmas(for model: any Denoiser, from sigma: [Double], to sigmaEnd: Double) -> [[Double]] {
        let levels = schedule.levels(steps: stepCount, modelRange: model.sigmaRange)
        let points = max(levelCount, 2)
        return sigma.map { levels.sigmas(count: points, from: $0, to: sigmaEnd) }
    }

    /// `integrationSigmas` as the rows' schedules.
    func integrationSchedules(for model: any Denoiser, from sigma: [Double], to sigmaEnd: Double,
                              batchRows: [Int]?) -> RowSchedules {
        RowSchedules(rows: batchRows, sigmas: integrationSigmas(for: model, from: sigma, to: sigmaEnd))
    }
}
