import ScoreKitCore

/// Denoising MCMC with Langevin–Gibbs (Kim & Ye, "Denoising MCMC for Accelerating
/// Diffusion-Based Generative Models", ICML 2023).
///
/// Markov chains run on data × noise level. A chain's state is (x, σ) with σ on the noise-level
/// estimator's grid σ_k = σ_min·(σ_max/σ_min)^{1 − k/K}. One chain step costs one NFE:
///
///     x ← x + (η/2)·score(x; σ) + √η·z          (Langevin at fixed σ; score = (D − x)/σ²)
///     σ ← σ_k*,  k* = argmax_k p(k | x)            (Gibbs, from the estimator; or k* ~ p(k | x))
///
/// Rounds of `skip` steps; each round keeps the state of smallest σ (the round's entering state,
/// replaced only by a strictly smaller σ) and hands it to any integrator, which carries it from
/// its own σ down to `tweedie-sigma`; a Tweedie step `x + σ²·score(x; σ) = D(x; σ)` ends it.
/// The chain continues from its last state.
///
///     chain c:  init → burn-in → [round 0: skip steps] → [round 1] → …
///                                      │ min-σ state            │
///                                      ▼                        ▼
///                          integrator(σ → σ_end) + Tweedie = sample c, sample C + c, …
///
/// Sample i comes from chain i mod C in round i div C, so the output does not depend on the
/// batch. Chains start from σ_max·z carried to data by a short integrator (`init`,
/// `init-steps`; EDM's stochastic sampler in the released code), plus `init-noise`·z, then
/// `burn-in` steps at η = 0.5 and `burn-in` more at η. That start-up is shared by all samples
/// of a chain and reported apart from the per-sample NFE = skip + integrator calls + 1.
/// The per-sample initial noise z is not used: chains carry their own (keyed by chain).
public struct DLG: Sampler {
    /// How the Gibbs step picks the next noise level.
    public enum SigmaUpdate: String, Sendable, CaseIterable {
        /// The most probable level (the released code).
        case argmax
        /// A draw from p(k | x).
        case sample
    }

    /// The samplers that can start from a per-sample σ (`Integrator`s). A fixed list, not read
    /// from the catalog (the catalog's construction reads this descriptor); a test keeps the two
    /// in step.
    static let integratorNames = ["euler", "heun", "heun-churn", "dpm-solver++", "rk45", "ddim",
                                  "euler-maruyama", "reverse-diffusion", "ancestral", "pc"]

    public static let descriptor = SamplerDescriptor(
        name: "dlg",
        summary: "Denoising MCMC (Langevin–Gibbs chains on x × σ) handing each chain sample to any integrator",
        reference: "Kim & Ye, Denoising MCMC for Accelerating Diffusion-Based Generative Models, ICML 2023",
        keys: [
            SamplerKey("integrator", .choice(integratorNames), default: "heun",
                       help: "the integrator each chain sample goes to; its keys as integrator.KEY=value"),
            SamplerKey("eta", .real(1e-9...1e9), default: "0.8", help: "Langevin step η (constant; unstable where σ < √η/2)"),
            SamplerKey("skip", .integer(1...100_000), default: "10", help: "chain steps per round = chain NFE per sample"),
            SamplerKey("sigma", .choice(SigmaUpdate.allCases.map(\.rawValue)), default: "argmax", help: "Gibbs σ-update"),
            SamplerKey("chains", .integer(1...1_000_000), default: "256",
                       help: "number of chains C (sample i: chain i mod C); far-apart modes are weighted only as well as C chains can"),
            SamplerKey("init", .choice(integratorNames), default: "heun-churn", help: "sampler that makes the chains' first states"),
            SamplerKey("init-steps", .integer(1...100_000), default: "20", help: "its steps"),
            SamplerKey("init-noise", .real(0...1e9), default: "0.5", help: "std of the noise added to the first states"),
            SamplerKey("burn-in", .integer(0...1_000_000), default: "10", help: "steps at η = 0.5, then as many at η"),
            SamplerKey("tweedie-sigma", .real(1e-9...1e9), default: "0.01", help: "σ where the integrator stops and Tweedie's step denoises"),
        ],
        nfeRule: "NFE per sample = skip + integrator calls + 1 (Tweedie); --nfe N gives the integrator N − skip − 1; "
            + "initialisation and burn-in are shared and reported apart")

    public let options: SamplerOptions
    /// The chain settings, from the keys of the same names: η, skip, chains, burn-in,
    /// init-noise and tweedie-sigma.
    public let eta: Double, skip: Int, chains: Int, burnIn: Int, initNoise: Double, tweedieSigma: Double
    /// How a chain's noise level is set from the classifier's posterior.
    public let sigmaUpdate: SigmaUpdate
    /// Where chain samples go.
    public let integrator: any Integrator
    /// What makes the chains' first states.
    public let initializer: any Sampler

    /// Resolves `integrator.KEY` pairs against the chosen integrator's own keys.
    public static func resolve(_ pairs: [(key: String, value: String)]) throws -> SamplerOptions {
        let prefix = "integrator."
        let base = try descriptor.resolve(pairs.filter { !$0.key.hasPrefix(prefix) })
        let type = try SamplerCatalog.standard.type(named: base["integrator"])
        let nested: SamplerOptions
        do {
            nested = try type.resolve(pairs.filter { $0.key.hasPrefix(prefix) }.map { (String($0.key.dropFirst(prefix.count)), $0.value) })
        } catch let SamplerSpecError.unknownKey(_, key, valid) {
            throw SamplerSpecError.unknownKey(sampler: "dlg", key: prefix + key,
                                              valid: descriptor.keys.map(\.name) + valid.map { prefix + $0 })
        } catch let SamplerSpecError.badValue(_, key, value, expected) {
            throw SamplerSpecError.badValue(sampler: "dlg", key: prefix + key, value: value, expected: expected)
        }
        return SamplerOptions(entries: base.entries + nested.entries.map { (prefix + $0.key, $0.value) },
                              explicitKeys: base.explicitKeys.union(nested.explicitKeys.map { prefix + $0 }))
    }

    public init(options: SamplerOptions) throws {
        self.options = options
        eta = options.double("eta")
        skip = options.int("skip")
        chains = options.int("chains")
        burnIn = options.int("burn-in")
        initNoise = options.double("init-noise")
        tweedieSigma = options.double("tweedie-sigma")
        sigmaUpdate = options.choice("sigma")
        let prefix = "integrator."
        let nested = SamplerOptions(
            entries: options.entries.filter { $0.key.hasPrefix(prefix) }.map { (String($0.key.dropFirst(prefix.count)), $0.value) },
            explicitKeys: Set(options.explicitKeys.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }))
        guard let made = try SamplerCatalog.standard.type(named: options["integrator"]).init(options: nested) as? any Integrator else {
            throw SamplerSpecError.invalidCombination(sampler: "dlg", reason: "\(options["integrator"]) cannot start from a chain's σ")
        }
        integrator = made
        let initType = try SamplerCatalog.standard.type(named: options["init"])
        let steps = initType.descriptor.key("steps") != nil ? [("steps", options["init-steps"])] : []
        initializer = try initType.init(options: initType.resolve(steps))
    }

    /// Not fixed in advance: a sample handed over at or below `tweedie-sigma` skips the
    /// integrator. At most `skip` + the integrator's calls + 1.
    public var plannedNFE: Int? { nil }

    /// The most denoiser calls a sample can use, when the integrator's count is fixed.
    public var maximumNFE: Int? { integrator.plannedIntegrationNFE.map { skip + $0 + 1 } }

    /// Gives the integrator what is left of `nfe` after the chain steps and the Tweedie step.
    public func fitted(toNFE nfe: Int) throws -> DLG {
        let room = nfe - skip - 1
        guard room >= 1 else {
            throw SamplerSpecError.overBudget(sampler: "dlg", detail: "skip=\(skip) plus the Tweedie step need \(skip + 1) NFE per sample, leaving none for the integrator", budget: nfe)
        }
        // Fit the integrator's own budget rule, then shrink until its integration fits too.
        var fit = try integrator.fitted(toNFE: room)
        var target = room
        while let planned = fit.plannedIntegrationNFE, planned > room, target > 1 {
            target -= 1
            fit = try integrator.fitted(toNFE: target)
        }
        if let planned = fit.plannedIntegrationNFE, planned > room {
            throw SamplerSpecError.overBudget(sampler: "dlg", detail: "integrator \(integrator.name) needs \(planned) NFE per sample", budget: nfe)
        }
        var options = self.options
        for e in fit.options.entries { options = options.setting("integrator." + e.key, to: e.value) }
        return try DLG(options: options)
    }

    public func sample(_ model: any Denoiser, from z: Tensor, noise: any NoiseSource,
                       context: SamplingContext) throws -> Tensor {
        guard let estimator = context.noiseLevelEstimator else {
            throw SamplingError.invalidInput("dlg needs a noise-level estimator (an exact model's posterior or a trained classifier); the model has none")
        }
        let plan = ChainPlan(sampleIndices: context.sampleIndices, chains: chains)
        var chain = try startChains(plan.chainIDs, model, estimator, noise, context)
        var handoff = (x: Tensor(zeros: z.shape), sigma: [Double](repeating: 0, count: z.rows))
        for round in 0..<plan.rounds {
            let rows = plan.batchRows(inRound: round)
            let best = try runRound(&chain, round: round, of: plan.rounds, attributedTo: rows, model, estimator, context)
            let produced = rows.indices.filter { rows[$0] != nil }
            handoff.x.scatterRows(produced.map { rows[$0]! }, from: best.x.gatherRows(produced))
            for p in produced { handoff.sigma[rows[p]!] = best.sigma[p] }
        }
        context.diagnostics["handoff-sigma"] = handoff.sigma
        let x = try integrate(handoff.x, from: handoff.sigma, model, noise, context)
        context.part = "tweedie"
        defer { context.part = nil }
        let denoised = try context.denoise(model, x, sigma: tweedieSigma)   // x + σ²·score(x; σ)
        try context.endStep(denoised, sigma: 0)
        return denoised
    }

    /// The integrator on the rows above `tweedie-sigma` (the others are already there), each
    /// from its own σ, counted under the part "integrator".
    private func integrate(_ x: Tensor, from sigma: [Double], _ model: any Denoiser, _ noise: any NoiseSource,
                           _ context: SamplingContext) throws -> Tensor {
        let active = sigma.indices.filter { sigma[$0] > tweedieSigma }
        guard !active.isEmpty else { return x }
        let sub = context.subcontext(rows: active, reserving: 1)    // keeps one call for Tweedie
        let subNoise = try noise.derived(stream: RandomStreamID.samplerNoise, sampleIndices: active.map { context.sampleIndices[$0] })
        let moved = try integrator.integrate(model, from: x.gatherRows(active), sigma: active.map { sigma[$0] },
                                             to: tweedieSigma, noise: subNoise, context: sub)
        try context.absorb(sub, rows: active, part: "integrator")
        var out = x
        out.scatterRows(active, from: moved)
        return out
    }
}
