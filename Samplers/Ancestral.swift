import Foundation
import ScoreKitCore

/// Ancestral samplers in σ: each step goes down to σ_down with a deterministic solver step and
/// adds fresh noise of size σ_up, so the state reaches σ_{i+1}'s noise level with part of its
/// noise renewed (k-diffusion's `sample_euler_ancestral` and `sample_dpmpp_2s_ancestral`; the
/// 2S step is DPM-Solver++(2S) of Lu, Zhou, Bao, Chen, Li & Zhu, "DPM-Solver++: Fast Solver for
/// Guided Sampling of Diffusion Probabilistic Models", 2022, Algorithm 1).
///
/// From `x = σ_0·z`, along σ_0 > … > σ_{N−1} > σ_N = 0, with `D_i = D(x; σ_i)`:
///
///     σ_up   = min(σ_{i+1}, η·√(σ_{i+1}²·(σ_i² − σ_{i+1}²)/σ_i²)),   σ_down = √(σ_{i+1}² − σ_up²)
///     euler:   x ← (σ_down/σ_i)·x + (1 − σ_down/σ_i)·D_i                         (Euler to σ_down)
///     dpm-2s:  σ_s = √(σ_i·σ_down)                                  (the midpoint in λ = −log σ)
///              u = (σ_s/σ_i)·x + (1 − σ_s/σ_i)·D_i
///              x ← (σ_down/σ_i)·x + (1 − σ_down/σ_i)·D(u; σ_s)
///     x ← x + S_noise·σ_up·z
///
/// η = 1 renews the most noise a step can while keeping the marginals (DDPM's ancestral step in
/// σ); η = 0 is the deterministic solver (Euler, or DPM-Solver++(2S)). The last step, to σ = 0,
/// has σ_up = σ_down = 0 and lands on `D_{N−1}`, with no noise. Noise is drawn only for rows
/// whose σ_up > 0, one draw per step after the step's denoiser calls (k-diffusion's order).
/// NFE: `euler-ancestral` steps; `dpm-2s-ancestral` 2·steps − 1 (two calls per step, one on the
/// last). An integration to σ_end > 0 has no last step to 0: steps·1 or steps·2 calls.
public struct AncestralSampler: ScheduledSampler, Equatable {
    /// The deterministic part of a step.
    public enum Method: String, Sendable, CaseIterable {
        /// Euler's step (first order).
        case euler
        /// DPM-Solver++(2S): a single-step second-order exponential integrator, two calls.
        case dpmSolver2S = "dpm-2s"
    }

    /// Euler or DPM-Solver++(2S).
    public var method: Method
    /// σ levels before the final step to 0; nil: 50 (Euler) or 25 (2S), or the most an NFE
    /// budget allows. Ignored by a custom schedule, which has its own count.
    public var steps: Int?
    /// The σ's visited.
    public var schedule: NoiseSchedule
    /// η: how much of each step's noise is renewed (0: the deterministic solver, 1: all).
    public var eta: Double
    /// S_noise: the scale of the renewed noise.
    public var sNoise: Double

    /// A sampler; see the properties.
    public init(method: Method = .euler, steps: Int? = nil, schedule: NoiseSchedule = .karras(),
                eta: Double = 1, sNoise: Double = 1) {
        (self.method, self.steps, self.schedule, self.eta, self.sNoise) = (method, steps, schedule, eta, sNoise)
    }

    /// Euler ancestral steps (k-diffusion's `sample_euler_ancestral`).
    public static func euler(steps: Int? = nil, schedule: NoiseSchedule = .karras(), eta: Double = 1, sNoise: Double = 1) -> Self {
        Self(method: .euler, steps: steps, schedule: schedule, eta: eta, sNoise: sNoise)
    }

    /// DPM-Solver++(2S) ancestral steps (k-diffusion's `sample_dpmpp_2s_ancestral`).
    public static func dpmSolver2S(steps: Int? = nil, schedule: NoiseSchedule = .karras(), eta: Double = 1,
                                   sNoise: Double = 1) -> Self {
        Self(method: .dpmSolver2S, steps: steps, schedule: schedule, eta: eta, sNoise: sNoise)
    }

    public static let declaration: SamplerDeclaration<AncestralSampler> = {
        let reference = "k-diffusion (Crowson), sample_euler_ancestral / sample_dpmpp_2s_ancestral; "
        return SamplerDeclaration(presets: [
            .init(name: "euler-ancestral", summary: "ancestral Euler steps in σ: Euler down to σ_down, then fresh noise σ_up (η)",
                  reference: reference + "Karras et al., Elucidating the Design Space of Diffusion-Based Generative Models, 2022",
                  nfeRule: "NFE = steps; --nfe N sets steps = N", base: .euler(), options: options(defaultSteps: 50),
                  matches: { $0.method == .euler }),
            .init(name: "dpm-2s-ancestral", summary: "ancestral DPM-Solver++(2S) steps: second-order step to σ_down, then fresh noise σ_up (η)",
                  reference: reference + "Lu et al., DPM-Solver++: Fast Solver for Guided Sampling of Diffusion Probabilistic Models, 2022",
                  nfeRule: "NFE = 2·steps − 1 (the last step, to σ = 0, makes one call); --nfe N sets steps = ⌊(N + 1)/2⌋",
                  base: .dpmSolver2S(), options: options(defaultSteps: 25)),
        ])
    }()

    private static func options(defaultSteps: Int) -> [SamplerOption<AncestralSampler>] {
        [.integer("steps", \.steps, in: 1...100_000, auto: "\(defaultSteps), or the most --nfe allows",
                  help: "σ levels before the final step to σ = 0", when: { $0.schedule.kind != .custom })]
            + NoiseSchedule.options.map { $0.lifted(\.schedule) } + [
                .real("eta", \.eta, in: 0...1, help: "η: share of each step's noise renewed (0 = the deterministic solver)"),
                .real("s_noise", \.sNoise, in: 0...10, help: "S_noise: scale of the renewed noise"),
            ]
    }

    /// The step count when `steps` is unset.
    public var defaultSteps: Int { method == .euler ? 50 : 25 }
    /// Denoiser calls per step that does not end at σ = 0.
    var callsPerStep: Int { method == .euler ? 1 : 2 }

    /// Denoiser calls of `sample` over `levels` σ levels.
    public func nfe(levels: Int) -> Int { callsPerStep * (levels - 1) + 1 }
    public var plannedIntegrationNFE: Int? { callsPerStep * max(levelCount - 1, 1) }

    public func makeRun(_ model: any Denoiser, from z: Tensor, noise: any NoiseSource,
                        context: SamplingContext) throws -> AncestralRun {
        let schedules = sampleSchedules(for: model, rows: z.rows)
        return AncestralRun(sampler: self, model: model, x: schedules.sigmas[0][0] * z, schedules: schedules,
                            noise: noise, context: context)
    }

    public func makeIntegration(_ model: any Denoiser, from x: Tensor, sigma: [Double], to sigmaEnd: Double,
                                batchRows: [Int]?, noise: any NoiseSource, context: SamplingContext) throws -> AncestralRun {
        let schedules = integrationSchedules(for: model, from: sigma, to: sigmaEnd, batchRows: batchRows)
        return AncestralRun(sampler: self, model: model, x: x, schedules: schedules, noise: noise, context: context)
    }
}

/// A run of `AncestralSampler`: one step per σ interval of each row's schedule.
public struct AncestralRun: SamplingRun {
    let sampler: AncestralSampler
    let model: any Denoiser
    public var x: Tensor
    let schedules: RowSchedules
    let noise: any NoiseSource
    let context: SamplingContext
    public private(set) var stepsTaken = 0

    public var sigma: [Double] { schedules.column(stepsTaken) }
    public var plannedSteps: Int? { schedules.points - 1 }
    public var isFinished: Bool { stepsTaken == schedules.points - 1 }

    public mutating func step() throws -> SamplingStep {
        let i = stepsTaken, sigma = schedules.column(i), sigmaNext = schedules.column(i + 1)
        try context.beginStep(i, of: schedules.points - 1, sigma: sigma[0])
        let denoised = try context.denoise(model, x, sigma: sigma, rows: schedules.rows)
        if sigmaNext.allSatisfy({ $0 == 0 }) {
            x = denoised                                  // σ_down = σ_up = 0: lands on D
        } else {
            let split = zip(sigma, sigmaNext).map { Self.split(from: $0, to: $1, eta: sampler.eta) }
            x = try descend(x, sigma: sigma, to: split.map(\.down), denoised: denoised)
            x = try renewed(x, sigmaUp: split.map(\.up))
        }
        try context.endStep(x, sigma: sigmaNext, denoised: denoised)
        stepsTaken += 1
        return SamplingStep(index: i, sigma: sigma, sigmaNext: sigmaNext, denoised: denoised)
    }

    /// k-diffusion's split of a step from σ to σ' (> 0): the noise level the solver steps to
    /// and the noise added after it, with σ_down² + σ_up² = σ'².
    static func split(from sigma: Double, to next: Double, eta: Double) -> (down: Double, up: Double) {
        guard eta > 0 else { return (next, 0) }
        let up = min(next, eta * (next * next * (sigma * sigma - next * next) / (sigma * sigma)).squareRoot())
        return ((next * next - up * up).squareRoot(), up)
    }

    /// The solver's step from `x` at σ to σ_down (> 0), given `D(x; σ)`.
    private func descend(_ x: Tensor, sigma: [Double], to down: [Double], denoised: Tensor) throws -> Tensor {
        var target = denoised
        if sampler.method == .dpmSolver2S {
            let mid = zip(sigma, down).map { ($0 * $1).squareRoot() }
            target = try context.denoise(model, Self.exponentialStep(x, sigma: sigma, to: mid, denoised: denoised),
                                         sigma: mid, rows: schedules.rows)
        }
        return Self.exponentialStep(x, sigma: sigma, to: down, denoised: target)
    }

    /// `(σ'/σ)·x + (1 − σ'/σ)·D`: Euler's step in σ, and DPM-Solver++'s first-order step in λ.
    static func exponentialStep(_ x: Tensor, sigma: [Double], to next: [Double], denoised: Tensor) -> Tensor {
        let ratio = zip(next, sigma).map { $0 / $1 }
        return Tensor.combination([(.perRow(ratio), x), (.perRow(ratio.map { 1 - $0 }), denoised)])
    }

    /// `x + S_noise·σ_up·z`, drawing z only for the rows whose σ_up > 0 (so a row's draws do
    /// not depend on its batch-mates).
    private func renewed(_ x: Tensor, sigmaUp: [Double]) throws -> Tensor {
        let noisy = sigmaUp.indices.filter { sigmaUp[$0] > 0 }
        guard !noisy.isEmpty, sampler.sNoise > 0 else { return x }
        var z = Tensor(zeros: x.shape)
        z.scatterRows(noisy, from: try noise.normal(rows: noisy.map(schedules.batchRow), shape: x.rowShape))
        return Tensor.combination([(1, x), (.perRow(sigmaUp.map { sampler.sNoise * $0 }), z)])
    }
}
