import ScoreKitCore

/// Ancestral sampling of the discrete VP chain (Ho, Jain & Abbeel, "Denoising Diffusion
/// Probabilistic Models", NeurIPS 2020, Algorithm 2).
///
/// From `x_T = z`, at each chosen timestep t with `ᾱ_t` and the next chosen `ᾱ_prev`
/// (1 after the last), with `α'_t = ᾱ_t/ᾱ_prev` and `β'_t = 1 − α'_t` (the respaced chain;
/// β'_t = β_t when every timestep is used):
///
///     x̂0 = D(x_t/√ᾱ_t; σ_t)                          (= (x_t − √(1−ᾱ_t)·ε̂)/√ᾱ_t), optionally clipped to [−1, 1]
///     μ  = √ᾱ_prev·β'_t/(1−ᾱ_t)·x̂0 + √α'_t·(1−ᾱ_prev)/(1−ᾱ_t)·x_t
///     x_prev = μ + σ_t·z,   σ_t² = β'_t (large) or β'_t·(1−ᾱ_prev)/(1−ᾱ_t) (small)
///
/// with no noise at the last step. NFE = steps.
public struct DDPM: Sampler, Equatable {
    /// The posterior variance of each step.
    public enum Variance: String, Sendable, CaseIterable {
        /// `σ_t² = β_t`, the DDPM paper's CIFAR-10 choice.
        case large
        /// `σ_t² = β̃_t = β_t(1−ᾱ_{t−1})/(1−ᾱ_t)`, diffusers' default.
        case small
    }

    /// Sampling steps, at most T; nil: T (the whole chain), or the most an NFE budget allows (custom
    /// timesteps have their own count).
    public var steps: Int?
    /// The reverse-step variance (`small` posterior β̃ or `large` β).
    public var variance: Variance
    /// Whether the predicted x0 is clipped to [−1, 1].
    public var clip: Bool
    /// The table and which of its timesteps are visited.
    public var timesteps: DiscreteTimesteps

    /// A sampler; see the properties.
    public init(steps: Int? = nil, variance: Variance = .small, clip: Bool = false,
                timesteps: DiscreteTimesteps = DiscreteTimesteps()) {
        self.steps = steps
        self.variance = variance
        self.clip = clip
        self.timesteps = timesteps
    }

    public static let declaration = SamplerDeclaration<DDPM>(
        name: "ddpm",
        summary: "ancestral DDPM: the discrete VP chain run backwards, with fresh noise each step",
        reference: "Ho, Jain & Abbeel, Denoising Diffusion Probabilistic Models, NeurIPS 2020",
        nfeRule: "NFE = steps; --nfe N sets steps = min(N, T)",
        base: DDPM(),
        options: [
            .integer("steps", \.steps, in: 1...100_000, auto: "T (the whole chain), or the most --nfe allows",
                     help: "sampling steps, at most T (fewer than T respaces the chain)", when: { $0.timesteps.custom.isEmpty }),
            .choice("variance", \.variance, help: "posterior variance: small (β̃_t, diffusers) or large (β_t, DDPM CIFAR-10)"),
            .flag("clip", \.clip, help: "clip x̂0 to [−1, 1] (for data in that range)"),
        ] + DiscreteTimesteps.options.map { $0.lifted(\.timesteps) })

    var stepCount: Int { steps ?? timesteps.trainSteps }
    /// The visited timesteps, descending.
    public var visited: [Int] { timesteps.timesteps(steps: stepCount) }

    public func validated() throws -> Self {
        try timesteps.validate(steps: stepCount, sampler: name)
        return self
    }

    public func resolved(for model: any Denoiser) -> Self {
        Self(steps: stepCount, variance: variance, clip: clip, timesteps: timesteps)
    }

    public var plannedNFE: Int? { timesteps.count(steps: stepCount) }

    public func fitted(toNFE budget: Int) throws -> Self {
        try fittedDiscreteSteps(steps, timesteps, toNFE: budget) {
            Self(steps: $0, variance: variance, clip: clip, timesteps: timesteps)
        }
    }

    public func makeRun(_ model: any Denoiser, from z: Tensor, noise: any NoiseSource,
                        context: SamplingContext) throws -> DDPMRun {
        DDPMRun(sampler: self, schedule: timesteps.schedule, visited: visited, model: model, state: z,
                noise: noise, context: context)
    }
}

/// A run of `DDPM`, stepped in VP coordinates (`x_VP = √ᾱ·x_VE`): one step per visited timestep.
public struct DDPMRun: SamplingRun {
    let sampler: DDPM
    let schedule: DiscreteVPSchedule
    let visited: [Int]
    let model: any Denoiser
    /// The VP state.
    var state: Tensor
    let noise: any NoiseSource
    let context: SamplingContext
    public private(set) var stepsTaken = 0

    /// ᾱ before step i (1 once the chain has ended).
    private func alphaBar(_ i: Int) -> Double { i < visited.count ? schedule.alphasCumprod[visited[i]] : 1 }

    public var x: Tensor {
        get { (1 / alphaBar(stepsTaken).squareRoot()) * state }
        set { state = alphaBar(stepsTaken).squareRoot() * newValue }
    }
    public var sigma: [Double] { Array(repeating: NoiseConversion.sigma(alphaBar: alphaBar(stepsTaken)), count: state.rows) }
    public var plannedSteps: Int? { visited.count }
    public var isFinished: Bool { stepsTaken == visited.count }

    public mutating func step() throws -> SamplingStep {
        let i = stepsTaken
        let (alphaBar, alphaBarPrev) = (alphaBar(i), alphaBar(i + 1))
        let sigma = NoiseConversion.sigma(alphaBar: alphaBar)
        try context.beginStep(i, of: visited.count, sigma: sigma)
        var x0 = try context.denoise(model, (1 / alphaBar.squareRoot()) * state, sigma: sigma)
        if sampler.clip { x0 = x0.clipped(to: -1...1) }
        let alpha = alphaBar / alphaBarPrev, beta = 1 - alpha
        var terms: [(RowCoefficients, Tensor)] = [
            (.all(alphaBarPrev.squareRoot() * beta / (1 - alphaBar)), x0),
            (.all(alpha.squareRoot() * (1 - alphaBarPrev) / (1 - alphaBar)), state),
        ]
        if i < visited.count - 1 {
            let variance = sampler.variance == .large ? beta : beta * (1 - alphaBarPrev) / (1 - alphaBar)
            terms.append((.all(variance.squareRoot()), try noise.normal(like: state)))
        }
        state = Tensor.combination(terms)
        let sigmaNext = NoiseConversion.sigma(alphaBar: alphaBarPrev)
        try context.endStep(state, sigma: sigmaNext, denoised: x0)
        stepsTaken += 1
        return SamplingStep(index: i, sigma: Array(repeating: sigma, count: state.rows),
                            sigmaNext: Array(repeating: sigmaNext, count: state.rows), denoised: x0)
    }
}
