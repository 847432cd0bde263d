import ScoreKitCore

/// Denoising diffusion implicit models (Song, Meng & Ermon, "Denoising Diffusion Implicit
/// Models", ICLR 2021, eq. 12).
///
/// From `x_T = z`, at each chosen timestep with `a_t = ᾱ_t` and the next chosen `a_n`
/// (1 after the last):
///
///     x̂0 = D(x_t/√a_t; σ_t),   ε̂ = (x_t − √a_t·x̂0)/√(1 − a_t)
///     c1 = η·√((1 − a_t/a_n)(1 − a_n)/(1 − a_t)),   c2 = √(1 − a_n − c1²)
///     x_n = √a_n·x̂0 + c1·z + c2·ε̂
///
/// No clipping. η = 0 is deterministic — the Euler step of the probability-flow ODE in
/// disguise; η = 1 is DDPM with the small variance. NFE = steps.
public struct DDIM: Sampler {
    public static let descriptor = SamplerDescriptor(
        name: "ddim",
        summary: "DDIM: the non-Markovian discrete VP sampler; eta=0 deterministic, eta=1 ancestral",
        reference: "Song, Meng & Ermon, Denoising Diffusion Implicit Models, ICLR 2021",
        keys: [
            DiscreteVPKeys.steps(default: 50),
            SamplerKey("eta", .real(0...1), default: "0", help: "stochasticity η: 0 deterministic, 1 = DDPM (small variance)"),
            DiscreteVPKeys.spacing, DiscreteVPKeys.betas, DiscreteVPKeys.trainSteps,
        ],
        nfeRule: "NFE = steps; --nfe N sets steps = min(N, T)")

    public let options: SamplerOptions
    /// η: 0 is the deterministic DDIM update, 1 matches DDPM's posterior variance.
    public let eta: Double
    /// The noise schedule and the descending timesteps visited.
    public let schedule: DiscreteVPSchedule
    /// The visited timesteps, descending.
    public let timesteps: [Int]

    public init(options: SamplerOptions) throws {
        self.options = options
        eta = options.double("eta")
        (schedule, timesteps) = try DiscreteVPKeys.timesteps(options, sampler: Self.descriptor.name)
    }

    public var plannedNFE: Int? { timesteps.count }

    public func fitted(toNFE nfe: Int) throws -> DDIM {
        try fittedSteps(toNFE: min(nfe, schedule.trainSteps)) { $0 }
    }

    public func sample(_ model: any Denoiser, from z: Tensor, noise: any NoiseSource,
                       context: SamplingContext) throws -> Tensor {
        var x = z
        for i in timesteps.indices {
            let (alphaBar, alphaBarNext) = DiscreteVPKeys.alphaBars(schedule, timesteps, at: i)
            let sigma = NoiseConversion.sigma(alphaBar: alphaBar)
            try context.beginStep(i, of: timesteps.count, sigma: sigma)

            let x0 = try context.denoise(model, (1 / alphaBar.squareRoot()) * x, sigma: sigma)
            let epsilon = Tensor.combination([(.all(1 / (1 - alphaBar).squareRoot()), x),
                                              (.all(-(alphaBar / (1 - alphaBar)).squareRoot()), x0)])
            let c1 = eta * ((1 - alphaBar / alphaBarNext) * (1 - alphaBarNext) / (1 - alphaBar)).squareRoot()
            let c2 = max(1 - alphaBarNext - c1 * c1, 0).squareRoot()
            var terms: [(RowCoefficients, Tensor)] = [(.all(alphaBarNext.squareRoot()), x0), (.all(c2), epsilon)]
            if c1 > 0 { terms.append((.all(c1), try noise.normal(like: x))) }
            x = Tensor.combination(terms)
            try context.endStep(x, sigma: NoiseConversion.sigma(alphaBar: alphaBarNext))
        }
        return x
    }
}
