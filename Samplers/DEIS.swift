import Foundation
import ScoreKitCore

/// DEIS: diffusion exponential integrator sampler, multistep in noise prediction with the
/// noise interpolated in log ρ (Zhang & Chen, "Fast Sampling of Diffusion Models with
/// Exponential Integrator", ICLR 2023, "ρAB-DEIS"; diffusers' `DEISMultistepScheduler`,
/// `solver_type="logrho"`).
///
/// In VE coordinates ρ = σ and the probability-flow ODE is `dx/dρ = ε(x; ρ)`, `ε = (x − D)/ρ`.
/// Step i → i+1 of order p integrates the Lagrange polynomial through the last p values
/// `ε_{i−k}` in `u = log ρ` exactly:
///
///     x_{i+1} = x_i + Σ_{k<p} C_k·ε_{i−k},   C_k = ∫_{σ_i}^{σ_{i+1}} ℓ_k(log ρ) dρ,
///     ℓ_k(u) = Π_{m≠k} (u − u_{i−m})/(u_{i−k} − u_{i−m}),   ∫ ℓ(u)·e^u du = e^u·(ℓ − ℓ' + ℓ'')
///
/// (order 1 is Euler, `x + (σ_{i+1} − σ_i)·ε_i`, which is DDIM). Orders by step as diffusers:
/// warm-up `min(order, i + 1)`; below 15 steps the step before last is at most second order.
/// diffusers ends at σ_min with a zero-length last step; ScoreKit's last step goes to σ = 0 as
/// its other solvers do, `x ← D(x; σ_{N−1})` — the same result with the zero-length step's call
/// spent on that denoising. NFE = steps.
public struct DEIS: ScheduledSampler, Equatable {
    /// σ levels before the final step to 0; nil: 20, or the most an NFE budget allows.
    /// Ignored by a custom schedule, which has its own count.
    public var steps: Int?
    /// The multistep order, 1–3 (diffusers' default 2).
    public var order: Int
    /// The σ's visited.
    public var schedule: NoiseSchedule

    /// A solver; see the properties.
    public init(steps: Int? = nil, order: Int = 2, schedule: NoiseSchedule = .karras()) {
        self.steps = steps
        self.order = order
        self.schedule = schedule
    }

    public static let declaration = SamplerDeclaration<DEIS>(
        name: "deis",
        summary: "DEIS (ρAB, log-ρ): multistep exponential integrator in noise prediction, orders 1–3",
        reference: "Zhang & Chen, Fast Sampling of Diffusion Models with Exponential Integrator, ICLR 2023",
        nfeRule: "NFE = steps; --nfe N sets steps = N",
        base: DEIS(),
        options: [
            .integer("steps", \.steps, in: 1...100_000, auto: "20, or the most --nfe allows",
                     help: "σ levels before the final step to σ = 0", when: { $0.schedule.kind != .custom }),
            .integer("order", \.order, in: 1...3, help: "multistep order (1 = DDIM)"),
        ] + NoiseSchedule.options.map { $0.lifted(\.schedule) })

    /// The step count when `steps` is unset.
    public var defaultSteps: Int { 20 }

    public var plannedIntegrationNFE: Int? { max(levelCount - 1, 1) }

    public func makeRun(_ model: any Denoiser, from z: Tensor, noise: any NoiseSource,
                        context: SamplingContext) throws -> DEISRun {
        let schedules = sampleSchedules(for: model, rows: z.rows)
        return DEISRun(solver: self, model: model, x: schedules.sigmas[0][0] * z, schedules: schedules, context: context)
    }

    public func makeIntegration(_ model: any Denoiser, from x: Tensor, sigma: [Double], to sigmaEnd: Double,
                                batchRows: [Int]?, noise: any NoiseSource, context: SamplingContext) throws -> DEISRun {
        let schedules = integrationSchedules(for: model, from: sigma, to: sigmaEnd, batchRows: batchRows)
        return DEISRun(solver: self, model: model, x: x, schedules: schedules, context: context)
    }
}

/// A run of `DEIS`: one step per σ interval; the last `order` noise estimates ε (with each
/// row's σ) are the history. A step to σ = 0 lands on `D_i`.
public struct DEISRun: SamplingRun {
    let solver: DEIS
    let model: any Denoiser
    public var x: Tensor
    let schedules: RowSchedules
    let context: SamplingContext
    /// ε at the points visited, newest first.
    var history: MultistepHistory
    public private(set) var stepsTaken = 0

    init(solver: DEIS, model: any Denoiser, x: Tensor, schedules: RowSchedules, context: SamplingContext) {
        self.solver = solver
        self.model = model
        self.x = x
        self.schedules = schedules
        self.context = context
        history = MultistepHistory(capacity: solver.order)
    }

    public var sigma: [Double] { schedules.column(stepsTaken) }
    public var plannedSteps: Int? { schedules.points - 1 }
    public var isFinished: Bool { stepsTaken == schedules.points - 1 }

    public mutating func step() throws -> SamplingStep {
        let i = stepsTaken, n = schedules.points - 1, counted = Multistep.countedSteps(schedules)
        let sigma = schedules.column(i), sigmaNext = schedules.column(i + 1)
        try context.beginStep(i, of: n, sigma: sigma[0])
        let denoised = try context.denoise(model, x, sigma: sigma, rows: schedules.rows)
        let inverse = sigma.map { 1 / $0 }
        history.push(Tensor.combination([(.perRow(inverse), x), (.perRow(inverse.map { -$0 }), denoised)]), sigma: sigma)
        if sigmaNext.allSatisfy({ $0 == 0 }) {
            x = denoised                                  // the step to σ = 0
        } else {
            let p = min(Multistep.lowerOrderFinal(solver.order, step: i, of: counted, toZero: false), history.count)
            let c = (0..<x.rows).map { r in
                Self.coefficients(nodes: (0..<p).map { log(history[$0].sigma[r]) }, to: log(sigmaNext[r]))
            }
            x = history.combination((0..<p).map { k in c.map { $0[k] } }, plus: [(1, x)])
        }
        try context.endStep(x, sigma: sigmaNext, denoised: denoised)
        stepsTaken += 1
        return SamplingStep(index: i, sigma: sigma, sigmaNext: sigmaNext, denoised: denoised)
    }

    /// `C_k = ∫ ℓ_k(u)·e^u du` from `nodes[0]` to `end` (u = log ρ) for the Lagrange basis on
    /// `nodes` (1–3 of them): `e^u·(ℓ − ℓ' + ℓ'')` between the ends.
    static func coefficients(nodes u: [Double], to end: Double) -> [Double] {
        u.indices.map { k in
            let others = u.indices.filter { $0 != k }.map { u[$0] }
            let den = others.reduce(1.0) { $0 * (u[k] - $1) }
            func antiderivative(_ v: Double) -> Double {
                let (l, dl, ddl): (Double, Double, Double)
                switch others.count {
                case 0: (l, dl, ddl) = (1, 0, 0)
                case 1: (l, dl, ddl) = (v - others[0], 1, 0)
                default: (l, dl, ddl) = ((v - others[0]) * (v - others[1]), 2 * v - others[0] - others[1], 2)
                }
                return exp(v) * (l - dl + ddl) / den
            }
            return antiderivative(end) - antiderivative(u[0])
        }
    }
}
