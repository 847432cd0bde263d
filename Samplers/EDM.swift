import Foundation
import ScoreKitCore

/// Euler, Heun and Heun with churn share one `EDMStepper`: σ's, planning, `sample` and
/// `integrate` all come from it.
public protocol EDMSampler: Integrator {
    /// The configured stepper (σ schedule, churn, second-order correction or not).
    var stepper: EDMStepper { get }
}

extension EDMSampler {
    /// The σ's `sample` visits before its final step to 0.
    public var sigmas: [Double] { stepper.levels.sampleSigmas }
    public var plannedNFE: Int? { stepper.plannedNFE }
    public var plannedIntegrationNFE: Int? { stepper.plannedIntegrationNFE }

    /// Steps set to the most whose NFE fits the budget (an explicit `steps` is checked instead).
    public func fitted(toNFE nfe: Int) throws -> Self {
        try fittedSteps(toNFE: nfe) { stepper.nfe(steps: $0) }
    }

    public func sample(_ model: any Denoiser, from z: Tensor, noise: any NoiseSource,
                       context: SamplingContext) throws -> Tensor {
        try stepper.sample(model, from: z, noise: noise, context: context)
    }

    public func integrate(_ model: any Denoiser, from x: Tensor, sigma: [Double], to sigmaEnd: Double,
                          noise: any NoiseSource, context: SamplingContext) throws -> Tensor {
        try stepper.integrate(model, from: x, sigma: sigma, to: sigmaEnd, noise: noise, context: context)
    }
}

/// The probability-flow ODE solved with Euler steps (Karras et al., "Elucidating the Design
/// Space of Diffusion-Based Generative Models", NeurIPS 2022, Algorithm 2 without its
/// second-order correction; k-diffusion's `sample_euler`).
///
/// From `x = σ_0·z`, along σ_0 > … > σ_{N−1} > σ_N = 0, with `dx/dσ = (x − D(x; σ))/σ`:
///
///     γ_i = min(S_churn/N, √2 − 1) if S_tmin ≤ σ_i ≤ S_tmax, else 0;   σ̂ = σ_i·(1 + γ_i)
///     x̂ = x + √(σ̂² − σ_i²)·S_noise·z                      (only when γ_i > 0)
///     x ← x̂ + (σ_{i+1} − σ̂)·(x̂ − D(x̂; σ̂))/σ̂
///
/// The last step, to σ = 0, is `x ← D(x̂; σ̂)`. NFE = steps.
public struct Euler: EDMSampler {
    public static let descriptor = SamplerDescriptor(
        name: "euler",
        summary: "probability-flow ODE, Euler steps in σ (first order); optional EDM churn",
        reference: "Karras, Aittala, Aila & Laine, Elucidating the Design Space of Diffusion-Based Generative Models, NeurIPS 2022 (Alg. 2, no correction)",
        keys: EDMStepper.keys(steps: 50, churn: .none),
        nfeRule: "NFE = steps; --nfe N sets steps = N")

    public let options: SamplerOptions
    /// The σ schedule and churn settings shared by the EDM samplers.
    public let stepper: EDMStepper

    public init(options: SamplerOptions) throws {
        self.options = options
        stepper = try EDMStepper(options, corrector: false, sampler: Self.descriptor.name)
    }
}

/// The probability-flow ODE solved with Heun's second-order method (Karras et al.,
/// "Elucidating the Design Space of Diffusion-Based Generative Models", NeurIPS 2022,
/// Algorithm 1, and Algorithm 2 with churn).
///
/// As `Euler`, then a trapezoid correction with the slope at the Euler point `x'`:
///
///     d = (x̂ − D(x̂; σ̂))/σ̂,   x' = x̂ + (σ_{i+1} − σ̂)·d
///     x ← x̂ + (σ_{i+1} − σ̂)·½·(d + (x' − D(x'; σ_{i+1}))/σ_{i+1})
///
/// except the last step, to σ = 0, which is plain Euler: `x ← D(x̂; σ̂)`. NFE = 2·steps − 1.
/// With the default keys (S_churn = 0) it is EDM's deterministic sampler.
public struct Heun: EDMSampler {
    public static let descriptor = SamplerDescriptor(
        name: "heun",
        summary: "probability-flow ODE, Heun steps in σ (second order; EDM's sampler); optional churn",
        reference: "Karras, Aittala, Aila & Laine, Elucidating the Design Space of Diffusion-Based Generative Models, NeurIPS 2022 (Alg. 1, 2)",
        keys: EDMStepper.keys(steps: 18, churn: .none),
        nfeRule: "NFE = 2·steps − 1 (the last step is Euler); --nfe N sets steps = ⌊(N + 1)/2⌋")

    public let options: SamplerOptions
    /// The σ schedule and churn settings shared by the EDM samplers.
    public let stepper: EDMStepper

    public init(options: SamplerOptions) throws {
        self.options = options
        stepper = try EDMStepper(options, corrector: true, sampler: Self.descriptor.name)
    }
}

/// `Heun` with churn on by default: Denoising MCMC's integrator setting (Kim & Ye, "Denoising
/// MCMC for Accelerating Diffusion-Based Generative Models", 2022): S_churn 80, S_tmin 0.05,
/// S_tmax 1, S_noise 1.007. The same sampler as `heun:s_churn=80,s_tmin=0.05,s_tmax=1,s_noise=1.007`.
public struct HeunChurn: EDMSampler {
    public static let descriptor = SamplerDescriptor(
        name: "heun-churn",
        summary: "stochastic Heun (EDM Alg. 2) with Denoising-MCMC's churn defaults",
        reference: "Karras et al., NeurIPS 2022 (Alg. 2); settings of Kim & Ye, Denoising MCMC, 2022",
        keys: EDMStepper.keys(steps: 18, churn: .denoisingMCMC),
        nfeRule: Heun.descriptor.nfeRule)

    public let options: SamplerOptions
    /// The σ schedule and churn settings shared by the EDM samplers.
    public let stepper: EDMStepper

    public init(options: SamplerOptions) throws {
        self.options = options
        stepper = try EDMStepper(options, corrector: true, sampler: Self.descriptor.name)
    }
}

/// EDM's churn: how far σ is raised before a step, and where.
struct Churn: Sendable {
    /// S_churn, S_tmin, S_tmax, S_noise.
    let amount: Double, tMin: Double, tMax: Double, noise: Double
    /// The number of steps N in γ = min(S_churn/N, √2 − 1).
    let steps: Int

    /// Default key values.
    struct Defaults {
        let churn, tMin, tMax, noise: String
        /// Off (EDM's deterministic sampler).
        static let none = Defaults(churn: "0", tMin: "0", tMax: "1000000", noise: "1")
        /// Denoising MCMC's setting.
        static let denoisingMCMC = Defaults(churn: "80", tMin: "0.05", tMax: "1", noise: "1.007")
    }

    /// γ at noise level σ.
    func gamma(_ sigma: Double) -> Double {
        amount > 0 && tMin <= sigma && sigma <= tMax ? min(amount / Double(steps), 2.squareRoot() - 1) : 0
    }

    /// Raises each row's σ to σ̂ = σ(1 + γ) adding `√(σ̂² − σ²)·S_noise·z`; draws noise only for
    /// the rows whose γ > 0, so a row's draws do not depend on its batch-mates.
    func apply(_ x: Tensor, sigma: [Double], schedules: RowSchedules,
               noise: any NoiseSource) throws -> (x: Tensor, sigma: [Double]) {
        let gammas = sigma.map(gamma)
        let churned = gammas.indices.filter { gammas[$0] > 0 }
        guard !churned.isEmpty else { return (x, sigma) }
        let sigmaHat = zip(sigma, gammas).map { $0 * (1 + $1) }
        var z = Tensor(zeros: x.shape)
        z.scatterRows(churned, from: try noise.normal(rows: churned.map(schedules.batchRow), shape: x.rowShape))
        let scale = zip(sigma, sigmaHat).map { self.noise * ($1 * $1 - $0 * $0).squareRoot() }
        return (Tensor.combination([(1, x), (.perRow(scale), z)]), sigmaHat)
    }
}

/// The engine of `Euler`, `Heun` and `HeunChurn`: Karras et al.'s Algorithm 2 with or without
/// the second-order correction, along per-row schedules.
public struct EDMStepper: Sendable {
    let levels: NoiseLevels
    let corrector: Bool
    let churn: Churn

    /// The keys of the EDM samplers: steps, the schedule keys, the churn keys.
    static func keys(steps: Int, churn d: Churn.Defaults) -> [SamplerKey] {
        [SamplerKey("steps", .integer(1...100_000), default: String(steps), help: "σ levels before the final step to σ = 0")]
            + ScheduleKeys.all + [
                SamplerKey("s_churn", .real(0...1e6), default: d.churn, help: "EDM S_churn: total churn (0 = deterministic ODE)"),
                SamplerKey("s_tmin", .real(0...1e6), default: d.tMin, help: "EDM S_tmin: churn only where σ ≥ s_tmin"),
                SamplerKey("s_tmax", .real(0...1e6), default: d.tMax, help: "EDM S_tmax: churn only where σ ≤ s_tmax (EDM: ∞)"),
                SamplerKey("s_noise", .real(0...10), default: d.noise, help: "EDM S_noise: scale of the churn noise"),
            ]
    }

    init(_ options: SamplerOptions, corrector: Bool, sampler: String) throws {
        levels = try NoiseLevels(options, steps: options.int("steps"), sampler: sampler)
        self.corrector = corrector
        churn = Churn(amount: options.double("s_churn"), tMin: options.double("s_tmin"), tMax: options.double("s_tmax"),
                      noise: options.double("s_noise"), steps: levels.sampleSigmas.count)
    }

    /// The number of σ levels `sample` visits.
    var steps: Int { levels.sampleSigmas.count }
    var plannedNFE: Int { nfe(steps: steps) }
    /// Denoiser calls of `sample` with `steps` σ levels: 2·steps − 1 with the correction (the
    /// last step is Euler), else steps.
    func nfe(steps: Int) -> Int { corrector ? 2 * steps - 1 : steps }
    var plannedIntegrationNFE: Int { (corrector ? 2 : 1) * max(steps - 1, 1) }

    func sample(_ model: any Denoiser, from z: Tensor, noise: any NoiseSource, context: SamplingContext) throws -> Tensor {
        let sigmas = levels.sampleSigmas
        let x = try run(model, sigmas[0] * z, along: .shared(sigmas, rows: z.rows), noise: noise,
                        context: context, totalSteps: sigmas.count)
        return try finish(model, x, sigma: sigmas[sigmas.count - 1], noise: noise, context: context)
    }

    func integrate(_ model: any Denoiser, from x: Tensor, sigma: [Double], to sigmaEnd: Double,
                   noise: any NoiseSource, context: SamplingContext) throws -> Tensor {
        let points = max(steps, 2)
        return try integrateRows(x, from: sigma, to: sigmaEnd, schedule: { levels.sigmas(count: points, from: $0, to: $1) }) {
            try run(model, $0, along: $1, noise: noise, context: context, totalSteps: points - 1)
        }
    }

    /// The steps between consecutive points of each row's schedule.
    private func run(_ model: any Denoiser, _ start: Tensor, along schedules: RowSchedules, noise: any NoiseSource,
                     context: SamplingContext, totalSteps: Int) throws -> Tensor {
        var x = start
        for i in 0..<(schedules.points - 1) {
            let sigmaNext = schedules.column(i + 1)
            try context.beginStep(i, of: totalSteps, sigma: schedules.sigmas[0][i])
            let (xHat, sigmaHat) = try churn.apply(x, sigma: schedules.column(i), schedules: schedules, noise: noise)
            let denoised = try context.denoise(model, xHat, sigma: sigmaHat, rows: schedules.rows)
            // Euler: x' = x̂ + (σ' − σ̂)·(x̂ − D)/σ̂ = (σ'/σ̂)·x̂ + (1 − σ'/σ̂)·D
            let ratio = zip(sigmaNext, sigmaHat).map { $0 / $1 }
            x = Tensor.combination([(.perRow(ratio), xHat), (.perRow(ratio.map { 1 - $0 }), denoised)])
            if corrector {
                let denoisedNext = try context.denoise(model, x, sigma: sigmaNext, rows: schedules.rows)
                // x̂ + (σ' − σ̂)/2·[(x̂ − D)/σ̂ + (x' − D')/σ']
                let a = zip(sigmaNext, sigmaHat).map { ($0 - $1) / (2 * $1) }
                let b = zip(sigmaNext, sigmaHat).map { ($0 - $1) / (2 * $0) }
                x = Tensor.combination([(.perRow(a.map { 1 + $0 }), xHat), (.perRow(a.map { -$0 }), denoised),
                                        (.perRow(b), x), (.perRow(b.map { -$0 }), denoisedNext)])
            }
            try context.endStep(x, sigma: sigmaNext)
        }
        return x
    }

    /// The last step, from σ to 0: churn, then Euler to 0, which lands on `D(x̂; σ̂)`.
    private func finish(_ model: any Denoiser, _ x: Tensor, sigma: Double, noise: any NoiseSource,
                        context: SamplingContext) throws -> Tensor {
        let all = RowSchedules.shared([sigma], rows: x.rows)
        try context.beginStep(steps - 1, of: steps, sigma: sigma)
        let (xHat, sigmaHat) = try churn.apply(x, sigma: all.column(0), schedules: all, noise: noise)
        let denoised = try context.denoise(model, xHat, sigma: sigmaHat)
        try context.endStep(denoised, sigma: 0)
        return denoised
    }
}
