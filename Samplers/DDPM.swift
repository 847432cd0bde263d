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
public struct DDPM: Sampler {
    /// The posterior variance of each step.
    public enum Variance: String, Sendable, CaseIterable {
        /// `σ_t² = β_t`, the DDPM paper's CIFAR-10 choice.
        case large
        /// `σ_t² = β̃_t = β_t(1−ᾱ_{t−1})/(1−ᾱ_t)`, diffusers' default.
        case small
    }

    public static let descriptor = SamplerDescriptor(
        name: "ddpm",
        summary: "ancestral DDPM: the discrete VP chain run backwards, with fresh noise each step",
        reference: "Ho, Jain & Abbeel, Denoising Diffusion Probabilistic Models, NeurIPS 2020",
        keys: [
            DiscreteVPKeys.steps(default: 1000),
            SamplerKey("variance", .choice(Variance.allCases.map(\.rawValue)), default: "small",
                       help: "posterior variance: small (β̃_t, diffusers) or large (β_t, DDPM CIFAR-10)"),
            SamplerKey("clip", .flag, default: "false", help: "clip x̂0 to [−1, 1] (for data in that range)"),
            DiscreteVPKeys.spacing, DiscreteVPKeys.betas, DiscreteVPKeys.trainSteps,
        ],
        nfeRule: "NFE = steps; --nfe N sets steps = min(N, T)")

    public let options: SamplerOptions
    /// The reverse-step variance (`small` posterior β̃ or `large` β).
    public let variance: Variance
    /// Whether the predicted x0 is clipped to [−1, 1].
    public let clip: Bool
    /// The noise schedule and the descending timesteps visited.
    public let schedule: DiscreteVPSchedule
    /// The visited timesteps, descending.
    public let timesteps: [Int]

    public init(options: SamplerOptions) throws {
        self.options = options
        variance = options.choice("variance")
        clip = options.bool("clip")
        (schedule, timesteps) = try DiscreteVPKeys.timesteps(options, sampler: Self.descriptor.name)
    }

    public var plannedNFE: Int? { timesteps.count }

    public func fitted(toNFE nfe: Int) throws -> DDPM {
        try fittedSteps(toNFE: min(nfe, schedule.trainSteps)) { $0 }
    }

    public func sample(_ model: any Denoiser, from z: Tensor, noise: any NoiseSource,
                       context: SamplingContext) throws -> Tensor {
        var x = z
        for i in timesteps.indices {
            let (alphaBar, alphaBarPrev) = DiscreteVPKeys.alphaBars(schedule, timesteps, at: i)
            let sigma = NoiseConversion.sigma(alphaBar: alphaBar)
            try context.beginStep(i, of: timesteps.count, sigma: sigma)

            var x0 = try context.denoise(model, (1 / alphaBar.squareRoot()) * x, sigma: sigma)
            if clip { x0 = x0.clipped(to: -1...1) }
            let alpha = alphaBar / alphaBarPrev, beta = 1 - alpha
            var terms: [(RowCoefficients, Tensor)] = [
                (.all(alphaBarPrev.squareRoot() * beta / (1 - alphaBar)), x0),
                (.all(alpha.squareRoot() * (1 - alphaBarPrev) / (1 - alphaBar)), x),
            ]
            if i < timesteps.count - 1 {
                let variance = variance == .large ? beta : beta * (1 - alphaBarPrev) / (1 - alphaBar)
                terms.append((.all(variance.squareRoot()), try noise.normal(like: x)))
            }
            x = Tensor.combination(terms)
            try context.endStep(x, sigma: NoiseConversion.sigma(alphaBar: alphaBarPrev))
        }
        return x
    }
}
