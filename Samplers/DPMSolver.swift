import Foundation
import ScoreKitCore

/// DPM-Solver++(2M): the second-order multistep exponential integrator of the
/// probability-flow ODE in data prediction (Lu, Zhou, Bao, Chen, Li & Zhu, "DPM-Solver++: Fast
/// Solver for Guided Sampling of Diffusion Probabilistic Models", 2022, Algorithm 2;
/// k-diffusion's `sample_dpmpp_2m`).
///
/// From `x = σ_0·z`, along σ_0 > … > σ_{N−1} > σ_N = 0, with `λ = −log σ`, `D_i = D(x_i; σ_i)`:
///
///     h = λ_{i+1} − λ_i,   r = h_{i−1}/h
///     D' = (1 + 1/(2r))·D_i − (1/(2r))·D_{i−1}
///     x_{i+1} = (σ_{i+1}/σ_i)·x_i + (1 − e^{−h})·D'
///
/// (VE form). The first step and the last, to σ = 0 (`x ← D_{N−1}`), use `D' = D_i`. NFE = steps.
public struct DPMSolverPlusPlus: Integrator, Equatable {
    /// σ levels before the final step to 0; nil: 20, or the most an NFE budget allows.
    /// Ignored by a custom schedule, which has its own count.
    public var steps: Int?
    /// The σ's visited.
    public var schedule: NoiseSchedule

    /// A solver; see the properties.
    public init(steps: Int? = nil, schedule: NoiseSchedule = .karras()) {
        self.steps = steps
        self.schedule = schedule
    }

    public static let declaration = SamplerDeclaration<DPMSolverPlusPlus>(
        name: "dpm-solver++",
        summary: "DPM-Solver++(2M): second-order multistep exponential integrator of the probability-flow ODE",
        reference: "Lu, Zhou, Bao, Chen, Li & Zhu, DPM-Solver++: Fast Solver for Guided Sampling of Diffusion Probabilistic Models, 2022",
        nfeRule: "NFE = steps; --nfe N sets steps = N",
        base: DPMSolverPlusPlus(),
        options: [.integer("steps", \.steps, in: 1...100_000, auto: "20, or the most --nfe allows",
                           help: "σ levels before the final step to σ = 0", when: { $0.schedule.kind != .custom })]
            + NoiseSchedule.options.map { $0.lifted(\.schedule) })

    var stepCount: Int { steps ?? 20 }
    var levelCount: Int { schedule.count(steps: stepCount) }

    public func validated() throws -> Self {
        try schedule.validate(steps: stepCount, sampler: name)
        return self
    }

    public func resolved(for model: any Denoiser) -> Self {
        Self(steps: stepCount, schedule: schedule.resolved(modelRange: model.sigmaRange))
    }

    public var plannedNFE: Int? { levelCount }
    public var plannedIntegrationNFE: Int? { max(levelCount - 1, 1) }

    public func fitted(toNFE budget: Int) throws -> Self {
        guard schedule.kind != .custom else {
            return try fittedSteps(levelCount, in: 1...levelCount, toNFE: budget, key: "sigmas", nfe: { $0 }) { _ in self }
        }
        return try fittedSteps(steps, in: 1...100_000, toNFE: budget, nfe: { $0 }) { Self(steps: $0, schedule: schedule) }
    }

    /// The σ's `sample` visits for `model` before its final step to 0.
    public func sigmas(for model: any Denoiser) -> [Double] {
        schedule.levels(steps: stepCount, modelRange: model.sigmaRange).sampleSigmas
    }

    public func makeRun(_ model: any Denoiser, from z: Tensor, noise: any NoiseSource,
                        context: SamplingContext) throws -> DPMSolverRun {
        let sigmas = sigmas(for: model)
        return DPMSolverRun(model: model, x: sigmas[0] * z, schedules: .shared(sigmas + [0], rows: z.rows), context: context)
    }

    public func makeIntegration(_ model: any Denoiser, from x: Tensor, sigma: [Double], to sigmaEnd: Double,
                                batchRows: [Int]?, noise: any NoiseSource, context: SamplingContext) throws -> DPMSolverRun {
        let levels = schedule.levels(steps: stepCount, modelRange: model.sigmaRange)
        let points = max(levelCount, 2)
        return DPMSolverRun(model: model, x: x, schedules: RowSchedules(rows: batchRows, sigmas: sigma.map {
            levels.sigmas(count: points, from: $0, to: sigmaEnd)
        }), context: context)
    }
}

/// A run of `DPMSolverPlusPlus`: one step per σ interval; the previous step's denoised
/// estimate and log-σ step are the multistep history. A step to σ = 0 lands on `D_i`.
public struct DPMSolverRun: SamplingRun {
    let model: any Denoiser
    public var x: Tensor
    let schedules: RowSchedules
    let context: SamplingContext
    /// The previous step's `D` and `h`, once there is one.
    var previous: (denoised: Tensor, h: [Double])?
    public private(set) var stepsTaken = 0

    public var sigma: [Double] { schedules.column(stepsTaken) }
    public var plannedSteps: Int? { schedules.points - 1 }
    public var isFinished: Bool { stepsTaken == schedules.points - 1 }

    public mutating func step() throws -> SamplingStep {
        let i = stepsTaken
        let sigma = schedules.column(i), sigmaNext = schedules.column(i + 1)
        try context.beginStep(i, of: schedules.points - 1, sigma: sigma[0])
        let denoised = try context.denoise(model, x, sigma: sigma, rows: schedules.rows)
        if sigmaNext.allSatisfy({ $0 == 0 }) {
            x = denoised                                  // the step to σ = 0
        } else {
            let h = zip(sigma, sigmaNext).map { log($0 / $1) }
            var d = denoised
            if let previous {
                let c = zip(h, previous.h).map { h, hPrevious in h / (2 * hPrevious) }      // 1/(2r)
                d = Tensor.combination([(.perRow(c.map { 1 + $0 }), denoised), (.perRow(c.map { -$0 }), previous.denoised)])
            }
            x = Tensor.combination([(.perRow(zip(sigmaNext, sigma).map { $0 / $1 }), x), (.perRow(h.map { -expm1(-$0) }), d)])
            previous = (denoised, h)
        }
        try context.endStep(x, sigma: sigmaNext, denoised: denoised)
        stepsTaken += 1
        return SamplingStep(index: i, sigma: sigma, sigmaNext: sigmaNext, denoised: denoised)
    }
}
