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
///
/// Budget: under `--nfe N` with `skip` unset, the chain takes `skip = clamp(⌊(N − 1)/3⌋, 1, 10)`
/// steps per sample — a third of what is left after the Tweedie step, at most the released 10
/// — and the integrator gets the rest, `N − skip − 1`, fitted by its own rule (its unset step
/// count becomes the most that fits). So 10 NFE is 3 chain steps, 6 integrator calls and the
/// Tweedie step; from 31 NFE on, the released skip = 10. A given `skip` is kept, and a given
/// integrator step count is kept with the auto skip lowered (down to 1) until it fits; a
/// combination that cannot fit is an error naming what each part needs. Initialisation and
/// burn-in are shared by a chain's samples and not part of the per-sample budget. Unset
/// `tweedie-sigma` is the model's σ_min.
///
/// Budget: under `--nfe N` with `skip` unset, the chain takes `skip = clamp(⌊(N − 1)/3⌋, 1, 10)`
/// steps per sample — a third of what is left after the Tweedie step, at most the released 10
/// — and the integrator gets the rest, `N − skip − 1`, fitted by its own rule (its unset step
/// count becomes the most that fits). So 10 NFE is 3 chain steps, 6 integrator calls and the
/// Tweedie step; from 31 NFE on, the released skip = 10. A given `skip` is kept, and a given
/// integrator step count is kept with the auto skip lowered (down to 1) until it fits; a
/// combination that cannot fit is an error naming what each part needs. Initialisation and
/// burn-in are shared by a chain's samples and not part of the per-sample budget. Unset
/// `tweedie-sigma` is the model's σ_min.
public struct DLG: Sampler, Equatable {
    /// How the Gibbs step picks the next noise level.
    public enum SigmaUpdate: String, Sendable, CaseIterable {
        /// The most probable level (the released code).
        case argmax
        /// A draw from p(k | x).
        case sample
    }

    /// Where chain samples go: any integrator, with its own settings.
    public var integrator: any Integrator
    /// Langevin step η (constant; unstable where σ < √η/2).
    public var eta: Double
    /// Chain steps per round = chain NFE per sample; nil: 10, or under a budget
    /// `clamp(⌊(N − 1)/3⌋, 1, 10)` (`autoSkip`).
    public var skip: Int?
    /// How a chain's noise level is set from the estimator's posterior.
    public var sigmaUpdate: SigmaUpdate
    /// C, the number of chains (sample i: chain i mod C).
    public var chains: Int
    /// What makes the chains' first states (from σ_max·z).
    public var initializer: any Sampler
    /// Std of the noise added to the first states.
    public var initNoise: Double
    /// Steps at η = 0.5, then as many at η.
    public var burnIn: Int
    /// σ where the integrator stops and Tweedie's step denoises; nil: the model's σ_min.
    public var tweedieSigma: Double?

    /// A sampler; see the properties. The defaults are the released code's.
    public init(integrator: any Integrator = EDMSampler.heun(), eta: Double = 0.8, skip: Int? = nil,
                sigmaUpdate: SigmaUpdate = .argmax, chains: Int = 256,
                initializer: any Sampler = EDMSampler.heun(steps: 20, churn: .denoisingMCMC),
                initNoise: Double = 0.5, burnIn: Int = 10, tweedieSigma: Double? = nil) {
        self.integrator = integrator
        self.eta = eta
        self.skip = skip
        self.sigmaUpdate = sigmaUpdate
        self.chains = chains
        self.initializer = initializer
        self.initNoise = initNoise
        self.burnIn = burnIn
        self.tweedieSigma = tweedieSigma
    }

    /// Two DLG samplers are equal when their specs are.
    public static func == (a: DLG, b: DLG) -> Bool { a.spec == b.spec }

    public static let declaration = SamplerDeclaration<DLG>(
        name: "dlg",
        summary: "Denoising MCMC (Langevin–Gibbs chains on x × σ) handing each chain sample to any integrator",
        reference: "Kim & Ye, Denoising MCMC for Accelerating Diffusion-Based Generative Models, ICML 2023",
        nfeRule: "NFE per sample = skip + integrator calls + 1 (Tweedie); --nfe N sets an unset skip to clamp(⌊(N − 1)/3⌋, 1, 10) "
            + "and gives the integrator N − skip − 1; initialisation and burn-in are shared and reported apart",
        base: DLG(),
        options: [
            .sampler("integrator", \.integrator, as: (any Integrator).self, spec: { $0.spec }, accepts: { $0 as? any Integrator },
                     names: \.integratorNames, kind: "an integrator of the catalog",
                     help: "the integrator each chain sample goes to; its keys as integrator.KEY=value"),
            .real("eta", \.eta, in: 1e-9...1e9, help: "Langevin step η (constant; unstable where σ < √η/2)"),
            .integer("skip", \.skip, in: 1...100_000, auto: "10, or clamp(⌊(N − 1)/3⌋, 1, 10) under --nfe N",
                     help: "chain steps per round = chain NFE per sample"),
            .choice("sigma", \.sigmaUpdate, help: "Gibbs σ-update"),
            .integer("chains", \.chains, in: 1...1_000_000,
                     help: "number of chains C (sample i: chain i mod C); far-apart modes are weighted only as well as C chains can"),
            .sampler("init", \.initializer, as: (any Sampler).self, spec: { $0.spec }, accepts: { $0 }, names: \.names,
                     kind: "a sampler of the catalog", help: "sampler that makes the chains' first states; its keys as init.KEY=value"),
            .real("init-noise", \.initNoise, in: 0...1e9, help: "std of the noise added to the first states"),
            .integer("burn-in", \.burnIn, in: 0...1_000_000, help: "steps at η = 0.5, then as many at η"),
            .real("tweedie-sigma", \.tweedieSigma, in: 1e-9...1e9, auto: "the model's σ_min (0.002 where it has none)",
                  help: "σ where the integrator stops and Tweedie's step denoises"),
        ])

    public func validated() throws -> Self {
        _ = try integrator.validated()
        _ = try initializer.validated()
        return self
    }

    public func resolved(for model: any Denoiser) -> Self {
        var out = self
        out.integrator = integrator.resolved(for: model)
        out.initializer = initializer.resolved(for: model)
        out.skip = skipCount
        out.tweedieSigma = tweedieSigma ?? modelSigmaRange(model).lowerBound
        return out
    }

    /// The released setting, used when `skip` is unset and there is no budget.
    public static let releasedSkip = 10
    /// The chain steps per sample used: `skip`, else the released 10.
    var skipCount: Int { skip ?? Self.releasedSkip }

    /// The chain steps per sample an unset `skip` takes under a budget of N NFE:
    /// `clamp(⌊(N − 1)/3⌋, 1, 10)`, a third of what the Tweedie step leaves.
    public static func autoSkip(budget: Int) -> Int { min(max((budget - 1) / 3, 1), releasedSkip) }

    /// Not fixed in advance: a sample handed over at or below `tweedie-sigma` skips the
    /// integrator. At most `skip` + the integrator's calls + 1.
    public var plannedNFE: Int? { nil }

    /// The most denoiser calls a sample can use, when the integrator's count is fixed.
    public var maximumNFE: Int? { integrator.plannedIntegrationNFE.map { skipCount + $0 + 1 } }

    /// Sets an unset `skip` from the budget (`autoSkip`, lowered while a given integrator step
    /// count does not fit; the error is then skip = 1's) and gives the integrator what is left after the chain steps and the
    /// Tweedie step.
    public func fitted(toNFE nfe: Int) throws -> DLG {
        guard skip == nil else { return try fitted(toNFE: nfe, skip: skip!) }
        var failure: Error?
        for candidate in stride(from: Self.autoSkip(budget: nfe), through: 1, by: -1) {
            do { return try fitted(toNFE: nfe, skip: candidate) } catch { failure = error }   // the last: skip = 1
        }
        throw failure!
    }

    /// Fits the integrator into what `skip` chain steps and the Tweedie step leave of `nfe`.
    private func fitted(toNFE nfe: Int, skip: Int) throws -> DLG {
        let room = nfe - skip - 1
        guard room >= 1 else {
            let hint = self.skip == nil ? "" : "; lower skip, or leave it unset to fit the budget"
            throw SamplerSpecError.overBudget(sampler: "dlg", detail: "skip=\(skip) plus the Tweedie step need \(skip + 1) NFE per sample, leaving none for the integrator\(hint)", budget: nfe)
        }
        var out = self
        out.integrator = try fittedIntegrator(room: room, skip: skip, budget: nfe)
        out.skip = skip
        return out
    }

    /// The integrator with the most steps whose integration fits `room` calls: its own budget
    /// rule (which counts `sample`'s calls, not an integration's) fitted to the largest target
    /// that leaves the integration within `room`; a given step count is kept when its
    /// integration fits.
    private func fittedIntegrator(room: Int, skip: Int, budget nfe: Int) throws -> any Integrator {
        if let adaptive = try? integrator.fitted(toNFE: room), adaptive.plannedIntegrationNFE == nil { return adaptive }
        func fits(_ s: any Integrator) -> Bool { s.plannedIntegrationNFE.map { $0 <= room } ?? true }
        var best: (any Integrator)?
        for target in 1...(2 * room + 2) {
            guard let fit = try? integrator.fitted(toNFE: target) else { continue }
            if fits(fit) { best = fit } else if best != nil { break }
        }
        if best == nil, fits(integrator) { best = integrator }
        guard let best else {
            let need = integrator.plannedIntegrationNFE.map(String.init) ?? "more"
            throw SamplerSpecError.overBudget(sampler: "dlg", detail: "integrator \(integrator.spec) needs \(need) NFE per sample, "
                + "and skip=\(skip) plus the Tweedie step \(skip + 1) more", budget: nfe)
        }
        return best
    }

    public func makeRun(_ model: any Denoiser, from z: Tensor, noise: any NoiseSource,
                        context: SamplingContext) throws -> DLGRun {
        try resolved(for: model).makeResolvedRun(model, from: z, noise: noise, context: context)
    }

    /// `makeRun` with every setting known.
    private func makeResolvedRun(_ model: any Denoiser, from z: Tensor, noise: any NoiseSource,
                                 context: SamplingContext) throws -> DLGRun {
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
        return try DLGRun(self, model: model, handoff: handoff.x, sigma: handoff.sigma, noise: noise, context: context)
    }
}

/// A run of `DLG`. Starting it runs the chains (initialisation, burn-in and the rounds that
/// make this batch's hand-off states); its steps are then the integrator's steps, carrying
/// each row above `tweedie-sigma` from its hand-off σ down, and a last Tweedie step. `x` is
/// the whole batch: rows at or below `tweedie-sigma` wait at their hand-off state.
public struct DLGRun: SamplingRun {
    let tweedieSigma: Double
    let model: any Denoiser
    let context: SamplingContext
    /// The rows the integrator carries, its context and its run.
    let active: [Int]
    let sub: SamplingContext
    var inner: (any SamplingRun)?
    /// The whole batch, rows not in `active` as handed over.
    var waiting: Tensor
    var handoffSigma: [Double]
    public private(set) var stepsTaken = 0
    public private(set) var isFinished = false

    init(_ dlg: DLG, model: any Denoiser, handoff: Tensor, sigma: [Double], noise: any NoiseSource,
         context: SamplingContext) throws {
        tweedieSigma = dlg.tweedieSigma!
        self.model = model
        self.context = context
        waiting = handoff
        handoffSigma = sigma
        active = sigma.indices.filter { sigma[$0] > dlg.tweedieSigma! }
        sub = context.subcontext(rows: active, reserving: 1)      // keeps one call for Tweedie
        if !active.isEmpty {
            let subNoise = try noise.derived(stream: RandomStreamID.samplerNoise, sampleIndices: active.map { context.sampleIndices[$0] })
            inner = try dlg.integrator.makeIntegration(model, from: handoff.gatherRows(active), sigma: active.map { sigma[$0] },
                                                       to: dlg.tweedieSigma!, batchRows: nil, noise: subNoise, context: sub)
        }
    }

    public var x: Tensor {
        get {
            guard let inner, !isFinished else { return waiting }
            var out = waiting
            out.scatterRows(active, from: inner.x)
            return out
        }
        set {
            waiting = newValue
            if !isFinished, var run = inner {
                run.x = newValue.gatherRows(active)
                inner = run
            }
        }
    }

    public var sigma: [Double] {
        if isFinished { return Array(repeating: 0, count: waiting.rows) }
        var out = handoffSigma
        if let inner { for (k, r) in active.enumerated() { out[r] = inner.sigma[k] } }
        return out
    }

    public var plannedSteps: Int? { inner.map { $0.plannedSteps.map { $0 + 1 } } ?? 1 }
    /// False: the integrator's counts live in a shared sub-context folded in once, when it
    /// finishes, so a copy redoing its last step would count it twice.
    public static var canRedoSteps: Bool { false }

    public mutating func step() throws -> SamplingStep {
        let i = stepsTaken
        stepsTaken += 1
        if var run = inner, !run.isFinished {
            let before = sigma
            let step = try run.step()
            inner = run
            if run.isFinished {
                try context.absorb(sub, rows: active, part: "integrator")
                waiting.scatterRows(active, from: run.x)
            }
            return SamplingStep(index: i, sigma: before, sigmaNext: sigma, denoised: step.denoised)
        }
        let before = sigma
        context.part = "tweedie"
        defer { context.part = nil }
        let denoised = try context.denoise(model, waiting, sigma: tweedieSigma)   // x + σ²·score(x; σ)
        try context.endStep(denoised, sigma: 0, denoised: denoised)
        waiting = denoised
        isFinished = true
        return SamplingStep(index: i, sigma: before, sigmaNext: sigma, denoised: denoised)
    }
}
