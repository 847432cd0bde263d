import Foundation
import ScoreKitCore

/// DPM-Solver++: multistep exponential integrators of the probability-flow ODE in data
/// prediction, orders 1–3 (Lu, Zhou, Bao, Chen, Li & Zhu, "DPM-Solver++: Fast Solver for Guided
/// Sampling of Diffusion Probabilistic Models", 2022, Algorithm 2 and §4; diffusers'
/// `DPMSolverMultistepScheduler`), and their SDE variants DPM-Solver++(2M/3M) SDE
/// (k-diffusion's `sample_dpmpp_2m_sde`, `sample_dpmpp_3m_sde`).
///
/// From `x = σ_0·z`, along σ_0 > … > σ_{N−1} > σ_N = 0, with `λ = −log σ`, `D_i = D(x_i; σ_i)`,
/// `h = λ_{i+1} − λ_i`, `r_0 = h_{i−1}/h`, `r_1 = h_{i−2}/h` and ĥ = h (ODE) or (1 + η)·h (SDE):
///
///     D1₀ = (D_i − D_{i−1})/r_0,   D1₁ = (D_{i−1} − D_{i−2})/r_1
///     x_{i+1} = e^{−ĥ}·x_i + (1 − e^{−ĥ})·D_i + c₁·D1 − φ₃(ĥ)·D2 + σ_{i+1}·√(1 − e^{−2ηh})·s_noise·z
///
/// with φ₂(h) = 1 − (1 − e^{−h})/h and φ₃(h) = (e^{−h} − 1 + h)/h² − ½ and, by the step's order:
/// order 1 (DDIM): c₁ = 0, D2 = 0; order 2: D1 = D1₀, D2 = 0, c₁ = ½(1 − e^{−ĥ}) (midpoint) or
/// φ₂(ĥ) (heun); order 3: D1 = D1₀ + r_0/(r_0 + r_1)·(D1₀ − D1₁), D2 = (D1₀ − D1₁)/(r_0 + r_1),
/// c₁ = φ₂(ĥ). (VE form: e^{−h} = σ_{i+1}/σ_i. The noise term only with `sde` and η > 0.)
///
/// Orders by step (ODE, diffusers' rules): warm-up `min(order, i + 1)`; below 15 steps the step
/// before last is at most second order; the last, to σ = 0, is `x ← D_{N−1}`. The SDE variants
/// follow k-diffusion: warm-up only, their second-order warm-up step of 3M uses φ₂ (heun), and
/// the step to 0 lands on `D_{N−1}`. NFE = steps.
public struct DPMSolverPlusPlus: ScheduledSampler, Equatable {
    /// The second-order update's form (diffusers' and k-diffusion's `solver_type`).
    public enum SolverType: String, Sendable, CaseIterable {
        case midpoint, heun
    }

    /// σ levels before the final step to 0; nil: 20, or the most an NFE budget allows.
    /// Ignored by a custom schedule, which has its own count.
    public var steps: Int?
    /// The multistep order, 1–3 (2: DPM-Solver++(2M); 3: 3M).
    public var order: Int
    /// Whether to solve the SDE (2M/3M SDE, noise injected each step) instead of the ODE.
    public var sde: Bool
    /// The second-order update's form (order 2; order 3's warm-up in the ODE).
    public var solverType: SolverType
    /// SDE: η, the share of the step taken stochastically (0: the ODE's update).
    public var eta: Double
    /// SDE: the scale of the injected noise.
    public var sNoise: Double
    /// The σ's visited.
    public var schedule: NoiseSchedule

    /// A solver; see the properties.
    public init(steps: Int? = nil, order: Int = 2, sde: Bool = false, solverType: SolverType = .midpoint,
                eta: Double = 1, sNoise: Double = 1, schedule: NoiseSchedule = .karras()) {
        self.steps = steps
        self.order = order
        self.sde = sde
        self.solverType = solverType
        self.eta = eta
        self.sNoise = sNoise
        self.schedule = schedule
    }

    public static let declaration = SamplerDeclaration<DPMSolverPlusPlus>(
        name: "dpm-solver++",
        summary: "DPM-Solver++(1S/2M/3M): multistep exponential integrator of the probability-flow ODE, or its 2M/3M SDE",
        reference: "Lu, Zhou, Bao, Chen, Li & Zhu, DPM-Solver++: Fast Solver for Guided Sampling of Diffusion Probabilistic Models, 2022",
        nfeRule: "NFE = steps; --nfe N sets steps = N",
        base: DPMSolverPlusPlus(),
        options: [
            .integer("steps", \.steps, in: 1...100_000, auto: "20, or the most --nfe allows",
                     help: "σ levels before the final step to σ = 0", when: { $0.schedule.kind != .custom }),
            .integer("order", \.order, in: 1...3, help: "multistep order: 1 (DDIM), 2 (2M), 3 (3M)"),
            .flag("sde", \.sde, help: "solve the SDE (DPM-Solver++ 2M/3M SDE, k-diffusion) instead of the ODE"),
            .choice("solver_type", \.solverType, help: "second-order update: midpoint or heun",
                    when: { $0.order == 2 || ($0.order == 3 && !$0.sde) }),
            .real("eta", \.eta, in: 0...10, help: "sde: η, the stochastic share of each step (0 = ODE update)", when: { $0.sde }),
            .real("s_noise", \.sNoise, in: 0...10, help: "sde: scale of the injected noise", when: { $0.sde }),
        ] + NoiseSchedule.options.map { $0.lifted(\.schedule) })

    /// The step count when `steps` is unset.
    public var defaultSteps: Int { 20 }

    public var plannedIntegrationNFE: Int? { max(levelCount - 1, 1) }

    public func makeRun(_ model: any Denoiser, from z: Tensor, noise: any NoiseSource,
                        context: SamplingContext) throws -> DPMSolverRun {
        let schedules = sampleSchedules(for: model, rows: z.rows)
        return DPMSolverRun(solver: self, model: model, x: schedules.sigmas[0][0] * z, schedules: schedules, noise: noise, context: context)
    }

    public func makeIntegration(_ model: any Denoiser, from x: Tensor, sigma: [Double], to sigmaEnd: Double,
                                batchRows: [Int]?, noise: any NoiseSource, context: SamplingContext) throws -> DPMSolverRun {
        let schedules = integrationSchedules(for: model, from: sigma, to: sigmaEnd, batchRows: batchRows)
        return DPMSolverRun(solver: self, model: model, x: x, schedules: schedules, noise: noise, context: context)
    }
}
