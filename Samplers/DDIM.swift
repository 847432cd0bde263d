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
/// stepped in VE coordinates (`x_VE = x_VP/√a`, `ε̂ = (x − x̂0)/σ_t`):
/// `x_n = x̂0 + (c2/√a_n)·ε̂ + (c1/√a_n)·z`. No clipping. η = 0 is deterministic — the Euler
/// step of the probability-flow ODE in disguise; η = 1 is DDPM with the small variance.
/// NFE = steps.
///
/// As an integrator (for Denoising MCMC), row r starts at the fractional timestep of its σ_r
/// on the table (log σ interpolated between timesteps), and the spacing's pattern of `steps`
/// timesteps is stretched over `[t(σ_end), t_r]`; `steps − 1` steps (at least one).
public struct DDIM: Integrator, Equatable {
    /// Sampling steps, at most T; nil: 50, or the most an NFE budget allows (custom
    /// timesteps have their own count).
    public var steps: Int?
    /// η: 0 is the deterministic DDIM update, 1 matches DDPM's posterior variance.
    public var eta: Double
    /// The table and which of its timesteps are visited.
    public var timesteps: DiscreteTimesteps

    /// A sampler; see the properties.
    public init(steps: Int? = nil, eta: Double = 0, timesteps: DiscreteTimesteps = DiscreteTimesteps()) {
        self.steps = steps
        self.eta = eta
        self.timesteps = timesteps
    }

    public static let declaration = SamplerDeclaration<DDIM>(
        name: "ddim",
        summary: "DDIM: the non-Markovian discrete VP sampler; eta=0 deterministic, eta=1 ancestral",
        reference: "Song, Meng & Ermon, Denoising Diffusion Implicit Models, ICLR 2021",
        nfeRule: "NFE = steps; --nfe N sets steps = min(N, T)",
        base: DDIM(),
        options: [
            .integer("steps", \.steps, in: 1...100_000, auto: "50, or the most --nfe allows (at most T)",
                     help: "sampling steps, at most T (fewer than T respaces the chain)", when: { $0.timesteps.custom.isEmpty }),
            .real("eta", \.eta, in: 0...1, help: "stochasticity η: 0 deterministic, 1 = DDPM (small variance)"),
        ] + DiscreteTimesteps.options.map { $0.lifted(\.timesteps) })

    var stepCount: Int { steps ?? 50 }
    /// The visited timesteps, descending.
    public var visited: [Int] { timesteps.timesteps(steps: stepCount) }

    public func validated() throws -> Self {
        try timesteps.validate(steps: stepCount, sampler: name)
        return self
    }

    public func resolved(for model: any Denoiser) -> Self { Self(steps: stepCount, eta: eta, timesteps: timesteps) }

    public var plannedNFE: Int? { timesteps.count(steps: stepCount) }
    public var plannedIntegrationNFE: Int? { max(timesteps.count(steps: stepCount) - 1, 1) }

    public func fitted(toNFE budget: Int) throws -> Self {
        try fittedDiscreteSteps(steps, timesteps, toNFE: budget) { Self(steps: $0, eta: eta, timesteps: timesteps) }
    }

    public func makeRun(_ model: any Denoiser, from z: Tensor, noise: any NoiseSource,
                        context: SamplingContext) throws -> DDIMRun {
        let schedule = timesteps.schedule
        let sigmas = visited.map { schedule.sigma(at: $0) } + [0]
        return DDIMRun(eta: eta, model: model, x: (1 / schedule.alphasCumprod[visited[0]].squareRoot()) * z,
                       schedules: .shared(sigmas, rows: z.rows), noise: noise, context: context)
    }

    public func makeIntegration(_ model: any Denoiser, from x: Tensor, sigma: [Double], to sigmaEnd: Double,
                                batchRows: [Int]?, noise: any NoiseSource, context: SamplingContext) throws -> DDIMRun {
        let levels = NoiseLevels(rule: DiscreteRule(table: DiscreteSigmaTable(timesteps.schedule), timesteps: visited))
        let points = max(visited.count, 2)
        return DDIMRun(eta: eta, model: model, x: x, schedules: RowSchedules(rows: batchRows, sigmas: sigma.map {
            levels.sigmas(count: points, from: $0, to: sigmaEnd)
        }), noise: noise, context: context)
    }
}

extension Sampler {
    /// `fittedSteps` for the discrete VP samplers: at most T steps; custom timesteps are checked.
    func fittedDiscreteSteps(_ steps: Int?, _ t: DiscreteTimesteps, toNFE budget: Int, set: (Int) -> Self) throws -> Self {
        guard t.custom.isEmpty else {
            return try fittedSteps(t.custom.count, in: 1...t.custom.count, toNFE: budget, key: "timesteps", nfe: { $0 }) { _ in self }
        }
        return try fittedSteps(steps, in: 1...t.trainSteps, toNFE: min(budget, t.trainSteps), nfe: { $0 }, set: set)
    }
}

/// A run of `DDIM` in VE coordinates: one step per pair of consecutive levels of each row.
public struct DDIMRun: SamplingRun {
    let eta: Double
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
        let i = stepsTaken
        let sigma = schedules.column(i), sigmaNext = schedules.column(i + 1)
        try context.beginStep(i, of: schedules.points - 1, sigma: sigma[0])
        let denoised = try context.denoise(model, x, sigma: sigma, rows: schedules.rows)
        let c = zip(sigma, sigmaNext).map(coefficients)
        var terms: [(RowCoefficients, Tensor)] = [(.perRow(c.map(\.x)), x), (.perRow(c.map { 1 - $0.x }), denoised)]
        if c.contains(where: { $0.noise > 0 }) {
            terms.append((.perRow(c.map(\.noise)), try noise.normal(rows: schedules.rows, shape: x.rowShape)))
        }
        x = Tensor.combination(terms)
        try context.endStep(x, sigma: sigmaNext, denoised: denoised)
        stepsTaken += 1
        return SamplingStep(index: i, sigma: sigma, sigmaNext: sigmaNext, denoised: denoised)
    }

    /// For a step from σ to σ_n in VE coordinates: the noise scale `c1/√a_n` and the weight of
    /// x, `c2/(√a_n·σ)` (D gets one minus it).
    private func coefficients(_ sigma: Double, _ sigmaNext: Double) -> (noise: Double, x: Double) {
        let alphaBar = NoiseConversion.alphaBar(sigma: sigma), alphaBarNext = NoiseConversion.alphaBar(sigma: sigmaNext)
        let c1 = eta * ((1 - alphaBar / alphaBarNext) * (1 - alphaBarNext) / (1 - alphaBar)).squareRoot()
        let c2 = max(1 - alphaBarNext - c1 * c1, 0).squareRoot()
        let root = alphaBarNext.squareRoot()
        return (c1 / root, c2 / (root * sigma))
    }
}
