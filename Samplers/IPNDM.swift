import Foundation
import ScoreKitCore

/// iPNDM, the improved pseudo-numerical method: Adams–Bashforth steps with fixed coefficients on
/// the probability-flow ODE in σ, warming up with lower orders instead of PNDM's Runge–Kutta
/// start (Zhang & Chen, "Fast Sampling of Diffusion Models with Exponential Integrator", ICLR 2023,
/// §4 and App. B; as the DEIS and diff-solvers repositories run it; PNDM: Liu, Ren, Lin & Zhao,
/// "Pseudo Numerical Methods for Diffusion Models on Manifolds", ICLR 2022).
///
/// From `x = σ_0·z`, along σ_0 > … > σ_{N−1} > σ_N = 0, with the slope `d_i = (x_i − D(x_i; σ_i))/σ_i`
/// (the ε estimate, `dx/dσ`) and k = min(order, i + 1) — the warm-up:
///
///     k = 1:  x_{i+1} = x_i + (σ_{i+1} − σ_i)·d_i
///     k = 2:  x_{i+1} = x_i + (σ_{i+1} − σ_i)·(3·d_i − d_{i−1})/2
///     k = 3:  x_{i+1} = x_i + (σ_{i+1} − σ_i)·(23·d_i − 16·d_{i−1} + 5·d_{i−2})/12
///     k = 4:  x_{i+1} = x_i + (σ_{i+1} − σ_i)·(55·d_i − 59·d_{i−1} + 37·d_{i−2} − 9·d_{i−3})/24
///
/// The coefficients are those of equal steps whatever the steps are; the last step, to σ = 0,
/// is first order: `x ← D(x; σ_{N−1})`. NFE = steps (one call per step, the history reused).
///
/// Order: on equal steps in σ (`schedule=karras,rho=1`) the error falls as steps⁻ᵏ once the
/// history is full; the warm-up's lower-order steps and unequal steps (any other schedule) add
/// error terms of order steps⁻², small where the path is straight (high σ), which is where
/// warm-up happens when sampling from σ_max.
public struct IPNDM: ScheduledSampler, Equatable {
    /// The Adams–Bashforth order once warmed up, 1–4.
    public var order: Int
    /// σ levels before the final step to 0; nil: 20, or the most an NFE budget allows.
    /// Ignored by a custom schedule, which has its own count.
    public var steps: Int?
    /// The σ's visited.
    public var schedule: NoiseSchedule

    /// A solver; see the properties.
    public init(order: Int = 4, steps: Int? = nil, schedule: NoiseSchedule = .karras()) {
        (self.order, self.steps, self.schedule) = (order, steps, schedule)
    }

    public static let declaration = SamplerDeclaration<IPNDM>(
        name: "ipndm",
        summary: "iPNDM: fixed-coefficient Adams–Bashforth on the probability-flow ODE in σ, lower-order warm-up",
        reference: "Zhang & Chen, Fast Sampling of Diffusion Models with Exponential Integrator, ICLR 2023 (iPNDM)",
        nfeRule: "NFE = steps; --nfe N sets steps = N",
        base: IPNDM(),
        options: [.integer("order", \.order, in: 1...4, help: "Adams–Bashforth order after the warm-up"),
                  .integer("steps", \.steps, in: 1...100_000, auto: "20, or the most --nfe allows",
                           help: "σ levels before the final step to σ = 0", when: { $0.schedule.kind != .custom })]
            + NoiseSchedule.options.map { $0.lifted(\.schedule) })

    /// Adams–Bashforth coefficients of equal steps, newest slope first, for orders 1–4.
    static let coefficients: [[Double]] = [
        [1],
        [3.0 / 2, -1.0 / 2],
        [23.0 / 12, -16.0 / 12, 5.0 / 12],
        [55.0 / 24, -59.0 / 24, 37.0 / 24, -9.0 / 24],
    ]

    /// The step count when `steps` is unset.
    public var defaultSteps: Int { 20 }

    public func validated() throws -> Self {
        guard (1...4).contains(order) else {
            throw SamplerSpecError.invalidCombination(sampler: name, reason: "order=\(order) must be 1…4")
        }
        try schedule.validate(steps: stepCount, sampler: name)
        return self
    }

    public var plannedIntegrationNFE: Int? { max(levelCount - 1, 1) }

    public func makeRun(_ model: any Denoiser, from z: Tensor, noise: any NoiseSource,
                        context: SamplingContext) throws -> IPNDMRun {
        let schedules = sampleSchedules(for: model, rows: z.rows)
        return IPNDMRun(order: order, model: model, x: schedules.sigmas[0][0] * z, schedules: schedules, context: context)
    }

    public func makeIntegration(_ model: any Denoiser, from x: Tensor, sigma: [Double], to sigmaEnd: Double,
                                batchRows: [Int]?, noise: any NoiseSource, context: SamplingContext) throws -> IPNDMRun {
        IPNDMRun(order: order, model: model, x: x, schedules: integrationSchedules(for: model, from: sigma, to: sigmaEnd, batchRows: batchRows),
                 context: context)
    }
}

/// A run of `IPNDM`: one step per σ interval; the last `order − 1` slopes are the multistep
/// history. A step to σ = 0 lands on the denoised estimate.
public struct IPNDMRun: SamplingRun {
    let order: Int
    let model: any Denoiser
    public var x: Tensor
    let schedules: RowSchedules
    let context: SamplingContext
    /// Earlier slopes `d_{i−1}, d_{i−2}, …`, newest first (at most `order − 1`).
    var history: [Tensor] = []
    public private(set) var stepsTaken = 0

    public var sigma: [Double] { schedules.column(stepsTaken) }
    public var plannedSteps: Int? { schedules.points - 1 }
    public var isFinished: Bool { stepsTaken == schedules.points - 1 }

    public mutating func step() throws -> SamplingStep {
        let i = stepsTaken, sigma = schedules.column(i), sigmaNext = schedules.column(i + 1)
        try context.beginStep(i, of: schedules.points - 1, sigma: sigma[0])
        let denoised = try context.denoise(model, x, sigma: sigma, rows: schedules.rows)
        if sigmaNext.allSatisfy({ $0 == 0 }) {
            x = denoised                                  // the first-order step to σ = 0
        } else {
            let slope = Tensor.combination([(.perRow(sigma.map { 1 / $0 }), x), (.perRow(sigma.map { -1 / $0 }), denoised)])
            let slopes = [slope] + history
            let c = IPNDM.coefficients[slopes.count - 1]
            let dt = zip(sigmaNext, sigma).map { $0 - $1 }
            x = Tensor.combination([(1, x)] + zip(c, slopes).map { c, d in (.perRow(dt.map { c * $0 }), d) })
            history = Array(slopes.prefix(order - 1))
        }
        try context.endStep(x, sigma: sigmaNext, denoised: denoised)
        stepsTaken += 1
        return SamplingStep(index: i, sigma: sigma, sigmaNext: sigmaNext, denoised: denoised)
    }
}
