import Foundation
import ScoreKitCore

/// The probability-flow ODE stepped in σ with Euler or Heun steps and EDM's optional churn
/// (Karras, Aittala, Aila & Laine, "Elucidating the Design Space of Diffusion-Based Generative
/// Models", NeurIPS 2022, Algorithms 1 and 2; k-diffusion's `sample_euler`, `sample_heun`).
///
/// From `x = σ_0·z`, along σ_0 > … > σ_{N−1} > σ_N = 0, with `dx/dσ = (x − D(x; σ))/σ`:
///
///     γ_i = min(S_churn/N, √2 − 1) if S_tmin ≤ σ_i ≤ S_tmax, else 0;   σ̂ = σ_i·(1 + γ_i)
///     x̂ = x + √(σ̂² − σ_i²)·S_noise·z                      (only when γ_i > 0)
///     d = (x̂ − D(x̂; σ̂))/σ̂,   x' = x̂ + (σ_{i+1} − σ̂)·d                    (Euler)
///     x ← x̂ + (σ_{i+1} − σ̂)·½·(d + (x' − D(x'; σ_{i+1}))/σ_{i+1})       (Heun's correction)
///
/// The last step, to σ = 0, is Euler: `x ← D(x̂; σ̂)`. NFE = steps (Euler), 2·steps − 1 (Heun).
/// Three presets: `euler` (50 steps), `heun` (18; EDM's deterministic sampler) and
/// `heun-churn` (Denoising MCMC's integrator: S_churn 80, S_tmin 0.05, S_tmax 1, S_noise 1.007).
public struct EDMSampler: ScheduledSampler, Equatable {
    /// Euler steps, or Heun's with the second-order correction.
    public enum Method: String, Sendable, CaseIterable {
        case euler, heun
    }

    /// EDM's churn: how far σ is raised before a step, and where.
    public struct Churn: Sendable, Hashable {
        /// S_churn (0: no churn), S_tmin, S_tmax, S_noise.
        public var amount: Double, tMin: Double, tMax: Double, noise: Double
        /// Churn settings; see the properties.
        public init(amount: Double, tMin: Double = 0, tMax: Double = 1e6, noise: Double = 1) {
            (self.amount, self.tMin, self.tMax, self.noise) = (amount, tMin, tMax, noise)
        }
        /// Off: EDM's deterministic sampler.
        public static let none = Churn(amount: 0)
        /// Denoising MCMC's setting.
        public static let denoisingMCMC = Churn(amount: 80, tMin: 0.05, tMax: 1, noise: 1.007)
    }

    /// Euler or Heun.
    public var method: Method
    /// σ levels before the final step to 0; nil: 50 (Euler) or 18 (Heun), or the most an NFE
    /// budget allows. Ignored by a custom schedule, which has its own count.
    public var steps: Int?
    /// The σ's visited.
    public var schedule: NoiseSchedule
    /// Churn settings.
    public var churn: Churn

    /// A sampler; see the properties.
    public init(method: Method = .heun, steps: Int? = nil, schedule: NoiseSchedule = .karras(), churn: Churn = .none) {
        self.method = method
        self.steps = steps
        self.schedule = schedule
        self.churn = churn
    }

    /// Euler steps (k-diffusion's `sample_euler`).
    public static func euler(steps: Int? = nil, schedule: NoiseSchedule = .karras(), churn: Churn = .none) -> Self {
        Self(method: .euler, steps: steps, schedule: schedule, churn: churn)
    }

    /// Heun steps (EDM's sampler).
    public static func heun(steps: Int? = nil, schedule: NoiseSchedule = .karras(), churn: Churn = .none) -> Self {
        Self(method: .heun, steps: steps, schedule: schedule, churn: churn)
    }

    public static let declaration: SamplerDeclaration<EDMSampler> = {
        let reference = "Karras, Aittala, Aila & Laine, Elucidating the Design Space of Diffusion-Based Generative Models, NeurIPS 2022"
        let heunRule = "NFE = 2·steps − 1 (the last step is Euler); --nfe N sets steps = ⌊(N + 1)/2⌋"
        return SamplerDeclaration(presets: [
            .init(name: "euler", summary: "probability-flow ODE, Euler steps in σ (first order); optional EDM churn",
                  reference: reference + " (Alg. 2, no correction)", nfeRule: "NFE = steps; --nfe N sets steps = N",
                  base: .euler(), options: options(defaultSteps: 50), matches: { $0.method == .euler }),
            .init(name: "heun", summary: "probability-flow ODE, Heun steps in σ (second order; EDM's sampler); optional churn",
                  reference: reference + " (Alg. 1, 2)", nfeRule: heunRule, base: .heun(), options: options(defaultSteps: 18),
                  matches: { $0.method == .heun && $0.churn != .denoisingMCMC }),
            .init(name: "heun-churn", summary: "stochastic Heun (EDM Alg. 2) with Denoising-MCMC's churn defaults",
                  reference: reference + " (Alg. 2); settings of Kim & Ye, Denoising MCMC, 2022", nfeRule: heunRule,
                  base: .heun(churn: .denoisingMCMC), options: options(defaultSteps: 18)),
        ])
    }()

    private static func options(defaultSteps: Int) -> [SamplerOption<EDMSampler>] {
        [.integer("steps", \.steps, in: 1...100_000, auto: "\(defaultSteps), or the most --nfe allows",
                  help: "σ levels before the final step to σ = 0", when: { $0.schedule.kind != .custom })]
            + NoiseSchedule.options.map { $0.lifted(\.schedule) } + [
                .real("s_churn", \.churn.amount, in: 0...1e6, help: "EDM S_churn: total churn (0 = deterministic ODE)"),
                .real("s_tmin", \.churn.tMin, in: 0...1e6, help: "EDM S_tmin: churn only where σ ≥ s_tmin"),
                .real("s_tmax", \.churn.tMax, in: 0...1e6, help: "EDM S_tmax: churn only where σ ≤ s_tmax (EDM: ∞)"),
                .real("s_noise", \.churn.noise, in: 0...10, help: "EDM S_noise: scale of the churn noise"),
            ]
    }

    /// The step count when `steps` is unset.
    public var defaultSteps: Int { method == .euler ? 50 : 18 }

    /// Denoiser calls of `sample` over `levels` σ levels.
    public func nfe(levels: Int) -> Int { method == .heun ? 2 * levels - 1 : levels }
    public var plannedIntegrationNFE: Int? { (method == .heun ? 2 : 1) * max(levelCount - 1, 1) }

    public func makeRun(_ model: any Denoiser, from z: Tensor, noise: any NoiseSource,
                        context: SamplingContext) throws -> EDMRun {
        let schedules = sampleSchedules(for: model, rows: z.rows)
        return EDMRun(sampler: self, model: model, x: schedules.sigmas[0][0] * z, schedules: schedules,
                      churnSteps: schedules.points - 1, noise: noise, context: context)
    }

    public func makeIntegration(_ model: any Denoiser, from x: Tensor, sigma: [Double], to sigmaEnd: Double,
                                batchRows: [Int]?, noise: any NoiseSource, context: SamplingContext) throws -> EDMRun {
        let schedules = integrationSchedules(for: model, from: sigma, to: sigmaEnd, batchRows: batchRows)
        return EDMRun(sampler: self, model: model, x: x, schedules: schedules, churnSteps: levelCount, noise: noise, context: context)
    }
}

/// A run of `EDMSampler`: one step per σ interval of each row's schedule; a step to σ = 0
/// lands on the denoised estimate.
public struct EDMRun: SamplingRun {
    let sampler: EDMSampler
    let model: any Denoiser
    public var x: Tensor
    let schedules: RowSchedules
    /// N in γ = min(S_churn/N, √2 − 1).
    let churnSteps: Int
    let noise: any NoiseSource
    let context: SamplingContext
    public private(set) var stepsTaken = 0

    public var sigma: [Double] { schedules.column(stepsTaken) }
    public var plannedSteps: Int? { schedules.points - 1 }
    public var isFinished: Bool { stepsTaken == schedules.points - 1 }

    public mutating func step() throws -> SamplingStep {
        let i = stepsTaken, sigmaNext = schedules.column(i + 1)
        try context.beginStep(i, of: schedules.points - 1, sigma: schedules.sigmas[0][i])
        let (xHat, sigmaHat) = try churned(x, sigma: schedules.column(i))
        let denoised = try context.denoise(model, xHat, sigma: sigmaHat, rows: schedules.rows)
        if sigmaNext.allSatisfy({ $0 == 0 }) {
            x = denoised                                  // Euler to σ = 0 lands on D(x̂; σ̂)
        } else {
            // Euler: x' = x̂ + (σ' − σ̂)·(x̂ − D)/σ̂ = (σ'/σ̂)·x̂ + (1 − σ'/σ̂)·D
            let ratio = zip(sigmaNext, sigmaHat).map { $0 / $1 }
            x = Tensor.combination([(.perRow(ratio), xHat), (.perRow(ratio.map { 1 - $0 }), denoised)])
            if sampler.method == .heun {
                let denoisedNext = try context.denoise(model, x, sigma: sigmaNext, rows: schedules.rows)
                // x̂ + (σ' − σ̂)/2·[(x̂ − D)/σ̂ + (x' − D')/σ']
                let a = zip(sigmaNext, sigmaHat).map { ($0 - $1) / (2 * $1) }
                let b = zip(sigmaNext, sigmaHat).map { ($0 - $1) / (2 * $0) }
                x = Tensor.combination([(.perRow(a.map { 1 + $0 }), xHat), (.perRow(a.map { -$0 }), denoised),
                                        (.perRow(b), x), (.perRow(b.map { -$0 }), denoisedNext)])
            }
        }
        try context.endStep(x, sigma: sigmaNext, denoised: denoised)
        stepsTaken += 1
        return SamplingStep(index: i, sigma: sigmaHat, sigmaNext: sigmaNext, denoised: denoised)
    }

    /// Raises each row's σ to σ̂ = σ(1 + γ) adding `√(σ̂² − σ²)·S_noise·z`; draws noise only for
    /// the rows whose γ > 0, so a row's draws do not depend on its batch-mates.
    private func churned(_ x: Tensor, sigma: [Double]) throws -> (x: Tensor, sigma: [Double]) {
        let churn = sampler.churn
        let gammas = sigma.map { s in
            churn.amount > 0 && churn.tMin <= s && s <= churn.tMax ? min(churn.amount / Double(churnSteps), 2.squareRoot() - 1) : 0
        }
        let raised = gammas.indices.filter { gammas[$0] > 0 }
        guard !raised.isEmpty else { return (x, sigma) }
        let sigmaHat = zip(sigma, gammas).map { $0 * (1 + $1) }
        var z = Tensor(zeros: x.shape)
        z.scatterRows(raised, from: try noise.normal(rows: raised.map(schedules.batchRow), shape: x.rowShape))
        let scale = zip(sigma, sigmaHat).map { churn.noise * ($1 * $1 - $0 * $0).squareRoot() }
        return (Tensor.combination([(1, x), (.perRow(scale), z)]), sigmaHat)
    }
}
