import Foundation
import ScoreKit
import Testing

/// Samplers as typed values: one declaration gives the initialiser, the spec and its checks.
@Suite("Typed samplers")
struct TypedSamplerTests {
    /// A non-default value of every preset in the catalog.
    static let values: [any Sampler] = [
        DDPM(steps: 100, variance: .large, clip: true, timesteps: DiscreteTimesteps(betas: .cosine, trainSteps: 500, spacing: .trailing)),
        DDIM(steps: 20, eta: 0.5),
        DDIM(timesteps: DiscreteTimesteps(custom: [999, 500, 10])),
        EDMSampler.euler(steps: 7, schedule: .ve(sigmaMin: 0.01, sigmaMax: 20)),
        EDMSampler.heun(steps: 18, schedule: .karras(sigmaMin: 0.002, sigmaMax: 80, rho: 7)),
        EDMSampler.heun(churn: .denoisingMCMC),
        EDMSampler.heun(schedule: .custom([10, 5, 1, 0.1])),
        DPMSolverPlusPlus(steps: 10, schedule: .discrete(DiscreteTimesteps(betas: .cosine, spacing: .quad))),
        DPMSolverPlusPlus(schedule: .vp),
        DPMSolverPlusPlus(steps: 12, order: 3, schedule: .discrete(DiscreteTimesteps(spacing: .linspaceNoZero))),
        DPMSolverPlusPlus(order: 2, sde: true, solverType: .heun, eta: 0.5, sNoise: 1.1),
        DPMSolverPlusPlus(order: 3, sde: true),
        UniPC(steps: 9, order: 3, variant: .bh1, corrector: false, schedule: .ve(sigmaMin: 0.01, sigmaMax: 50)),
        UniPC(),
        DEIS(steps: 15, order: 3, schedule: .discrete(DiscreteTimesteps(spacing: .linspaceNoZero))),
        DEIS(order: 1),
        IPNDM(order: 3, steps: 12, schedule: .exponential(sigmaMin: 0.01, sigmaMax: 40)),
        AncestralSampler.euler(steps: 30, schedule: .polyexponential(rho: 2), eta: 0.5),
        AncestralSampler.dpmSolver2S(steps: 8, eta: 1, sNoise: 1.003),
        RK45(rtol: 1e-3, atol: 1e-4, sigmaMin: 0.01, sigmaMax: 50),
        ReverseSDESampler(sde: .vp, steps: 100, predictor: .eulerMaruyama),
        ReverseSDESampler(eps: 1e-3, sigmaMin: 0.1, predictor: .reverseDiffusion),
        ReverseSDESampler(predictor: .ancestral),
        ReverseSDESampler(sde: .subvp, predictor: .ancestral, correctors: 2, corrector: .langevin, snr: 0.1),
        AnnealedLangevin(sigmaMax: 5, levels: 3, steps: 4, convention: .code, initialization: .gaussian, finalDenoise: true),
        DLG(integrator: DPMSolverPlusPlus(steps: 10), chains: 16),
        DLG(integrator: RK45(rtol: 1e-3), initializer: DDIM(steps: 5), burnIn: 0),
        DPMAdaptive(order: 2, rtol: 0.01, pcoeff: 0.2, sigmaMin: 0.01),
        Restart(steps: 9, schedule: .ve(sigmaMax: 20), restarts: [.init(tMin: 0.1, steps: 3, repeats: 2, tMax: 1),
                                                                  .init(tMin: 2, steps: 1, repeats: 0, tMax: 4)]),
        Restart(restarts: []),
        DLG(integrator: Restart(steps: 4), chains: 2),
    ]

    @Test("every preset: typed value → spec → value gives the same value")
    func roundTrip() throws {
        for value in Self.values {
            let again = try SamplerCatalog.standard.sampler(value.spec)
            #expect(again.spec == value.spec)
            #expect(Self.equal(value, again), "\(value.spec)")
        }
        let named = Set(Self.values.map(\.name))
        #expect(named == Set(SamplerCatalog.standard.names))
    }

    /// Equality through the concrete type (every sampler is `Equatable`).
    static func equal(_ a: any Sampler, _ b: any Sampler) -> Bool {
        func same<T: Sampler & Equatable>(_ a: T) -> Bool { (b as? T) == a }
        guard let a = a as? any (Sampler & Equatable) else { return false }
        return same(a)
    }

    @Test("a preset name gives the typed value it stands for")
    func presets() throws {
        let catalog = SamplerCatalog.standard
        #expect(try catalog.sampler("heun-churn") as? EDMSampler == EDMSampler.heun(churn: .denoisingMCMC))
        #expect(try catalog.sampler("euler:steps=9") as? EDMSampler == EDMSampler.euler(steps: 9))
        #expect(try catalog.sampler("pc") as? ReverseSDESampler == ReverseSDESampler(correctors: 1))
        #expect(try catalog.sampler("pc:correctors=0,predictor=ancestral").name == "ancestral")
        #expect(try catalog.sampler("dlg:integrator.steps=5") as? DLG == DLG(integrator: EDMSampler.heun(steps: 5)))
        #expect(try catalog.sampler("dlg:init.steps=4") as? DLG
                == DLG(initializer: EDMSampler.heun(steps: 4, churn: .denoisingMCMC)))
    }

    @Test("a custom σ list from a file and the typed schedule give the same bits",
          arguments: ["80, 10\n 1 0.1\n", "[80, 10, 1, 0.1]"])
    func customSigmasFromFile(_ text: String) throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sigmas-\(UUID().uuidString).txt")
        try text.write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        let fromFile = try SamplerCatalog.standard.sampler("heun:schedule=custom,sigmas=@\(url.path)")
        let typed = EDMSampler.heun(schedule: .custom([80, 10, 1, 0.1]))
        #expect(fromFile.spec == typed.spec)
        #expect(fromFile.spec.contains("sigmas=80/10/1/0.1"))
        let model = BuiltinModels.gmm2d
        let a = try SamplingJob(sampler: fromFile, model: model, count: 50, seed: 3).run()
        let b = try SamplingJob(sampler: typed, model: model, count: 50, seed: 3).run()
        #expect(a.samples == b.samples && a.nfe == Array(repeating: 7, count: 50))
    }

    @Test("DDIM's own timesteps from a file and the typed list give the same bits")
    func customTimesteps() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("timesteps-\(UUID().uuidString).json")
        try "[999, 600, 300, 50]".write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        let fromFile = try SamplerCatalog.standard.sampler("ddim:timesteps=@\(url.path)")
        let typed = DDIM(timesteps: DiscreteTimesteps(custom: [999, 600, 300, 50]))
        #expect(fromFile as? DDIM == typed && typed.plannedNFE == 4)
        let model = BuiltinModels.gmm2d
        #expect(try SamplingJob(sampler: fromFile, model: model, count: 20, seed: 1).run().samples
                == SamplingJob(sampler: typed, model: model, count: 20, seed: 1).run().samples)
    }

    @Test("bad σ and timestep lists are errors that say what is wrong", arguments: [
        ("heun:schedule=custom,sigmas=10/10/1", "must be strictly decreasing; entry 1 (10) is not below entry 0 (10)"),
        ("heun:schedule=custom,sigmas=10/-1", "must be finite and > 0; entry 1 is -1.0"),
        ("heun:schedule=custom,sigmas=10/x", "'x' is not one"),
        ("heun:schedule=custom,sigmas=@/nonexistent/sigmas.txt", "cannot read '/nonexistent/sigmas.txt'"),
        ("heun:schedule=custom", "sigmas must hold at least one σ"),
        ("ddim:timesteps=999/1000", "entry 1 (1000) is outside 0…999"),
        ("ddim:timesteps=10/20", "timesteps must be strictly decreasing"),
        ("ddim:timesteps=10.5", "whole-number timesteps"),
    ])
    func badLists(_ spec: String, _ fragment: String) {
        #expect { try SamplerCatalog.standard.sampler(spec) } throws: { String(describing: $0).contains(fragment) }
    }

    @Test("a custom schedule over the budget is an error, not truncated")
    func customOverBudget() throws {
        let heun = EDMSampler.heun(schedule: .custom([10, 5, 1, 0.1]))
        #expect(try heun.fitted(toNFE: 7).plannedNFE == 7)
        #expect(throws: SamplerSpecError.self) { try heun.fitted(toNFE: 6) }
    }

    /// A model that states a σ range: the samplers' unset σ's come from it.
    struct RangedModel: Denoiser {
        var sampleShape: [Int] { [2] }
        var sigmaRange: ClosedRange<Double> { 0.05...12 }
        func denoise(_ x: Tensor, sigma: [Double]) throws -> Tensor { x.scalingRows(by: sigma.map { 1 / (1 + $0 * $0) }) }
    }

    @Test("unset σ ranges come from the model, and the resolved spec says so")
    func modelRange() throws {
        let model = RangedModel()
        let heun = EDMSampler.heun(steps: 5)
        #expect(heun.spec.contains("sigma_min=auto,sigma_max=auto"))
        #expect(heun.resolved(for: model).spec.contains("sigma_min=0.05,sigma_max=12"))
        let sigmas = heun.sigmas(for: model)
        #expect(abs(sigmas[0] / 12 - 1) < 1e-12 && abs(sigmas[4] / 0.05 - 1) < 1e-12)
        #expect(abs(EDMSampler.heun(schedule: .karras(sigmaMax: 3)).sigmas(for: model)[0] / 3 - 1) < 1e-12)
        #expect(RK45().resolved(for: model).spec == "rk45:rtol=1e-05,atol=1e-05,sigma_min=0.05,sigma_max=12")
        #expect(EDMSampler.heun().resolved(for: BuiltinModels.gmm2d).spec.contains("steps=18,schedule=karras,sigma_min=0.002,sigma_max=80"))
    }
}

/// The stepping interface: `sample` is its loop, and the loop is yours.
@Suite("Stepping a run")
struct SteppingTests {
    static let model = BuiltinModels.gmm2d
    static let specs = SamplerCatalog.standard.names.map { $0 == "dlg" ? "dlg:chains=4,skip=2,burn-in=1,init.steps=3" : $0 }

    func context(_ sampler: any Sampler, rows: Int) -> SamplingContext {
        let c = SamplingContext(samplerName: sampler.name, sampleIndices: Array(0..<rows))
        c.noiseLevelEstimator = Self.model.noiseLevelPosterior()
        return c
    }

    @Test("stepping by hand gives sample's bits, and reading x changes nothing", arguments: specs)
    func steppingIsSample(_ spec: String) throws {
        let sampler = try SamplerCatalog.standard.sampler(spec).fitted(toNFE: 12)
        let z = try PhiloxNoise(seed: 4, stream: RandomStreamID.initialNoise, sampleIndices: Array(0..<6)).normal(rows: nil, shape: [2])
        let sampled = try sampler.sample(Self.model, from: z, noise: PhiloxNoise(seed: 4, sampleIndices: Array(0..<6)),
                                         context: context(sampler, rows: 6))
        var run = try sampler.start(Self.model, from: z, noise: PhiloxNoise(seed: 4, sampleIndices: Array(0..<6)),
                                    context: context(sampler, rows: 6))
        var steps = 0
        while !run.isFinished {
            let before = run.sigma
            let step = try run.step()
            #expect(step.index == steps && step.sigma.count == 6 && before.count == 6)
            #expect(run.x.rows == 6 && run.sigma.count == 6)
            steps += 1
        }
        #expect(run.stepsTaken == steps && run.plannedSteps.map { $0 == steps } ?? true)
        #expect(run.x == sampled)
    }

    /// Keeping a coordinate fixed between steps (the inpainting pattern) is seen by the next step.
    @Test("x set between steps is where the next step starts", arguments: ["euler", "dpm-solver++", "ddim", "ddpm", "euler-maruyama"])
    func editingX(_ spec: String) throws {
        let sampler = try SamplerCatalog.standard.sampler(spec).fitted(toNFE: 20)
        let z = try PhiloxNoise(seed: 5, stream: RandomStreamID.initialNoise, sampleIndices: Array(0..<4)).normal(rows: nil, shape: [2])
        var run = try sampler.start(Self.model, from: z, noise: PhiloxNoise(seed: 5, sampleIndices: Array(0..<4)),
                                    context: context(sampler, rows: 4))
        _ = try run.step()
        let x = run.x
        run.x = x
        #expect(TestKit.relativeError(run.x, x) < 1e-6)                 // VE in, VE out
        var moved = x
        for r in 0..<4 { moved.scalars[2 * r] = 5 }              // every row's first coordinate on the heavier mode
        run.x = moved
        let step = try run.step()
        let denoised = try #require(step.denoised)
        let truth = try Self.model.denoise(moved, sigma: step.sigma)
        #expect(TestKit.relativeError(denoised, truth) < 1e-5)
    }

    @Test("initial noise of the wrong shape is an error, not a crash")
    func wrongShape() throws {
        for spec in ["ddim", "heun", "langevin", "rk45", "pc", "dlg"] {
            let sampler = try SamplerCatalog.standard.sampler(spec)
            let z = Tensor(zeros: [3, 5])
            #expect(throws: SamplingError.self) {
                try sampler.sample(Self.model, from: z, noise: PhiloxNoise(seed: 0, sampleIndices: [0, 1, 2]),
                                   context: context(sampler, rows: 3))
            }
            #expect(throws: SamplingError.self) {
                try sampler.sample(Self.model, from: Tensor(zeros: [2, 2]), noise: PhiloxNoise(seed: 0, sampleIndices: [0, 1, 2]),
                                   context: context(sampler, rows: 3))
            }
        }
    }

    @Test("onStep sees every step's state and denoised estimate")
    func onStep() throws {
        let sampler = EDMSampler.heun(steps: 4)
        let c = context(sampler, rows: 3)
        final class Seen: @unchecked Sendable { var frames: [TrajectoryRecorder.Frame] = [] }
        let seen = Seen()
        c.onStep = { seen.frames.append($0) }
        let z = Tensor(zeros: [3, 2])
        let out = try sampler.sample(Self.model, from: z, noise: PhiloxNoise(seed: 0, sampleIndices: [0, 1, 2]), context: c)
        #expect(seen.frames.map(\.step) == [0, 1, 2, 3])
        #expect(seen.frames.last?.x == out && seen.frames.allSatisfy { $0.denoised != nil })
    }
}

/// A user's own integrator: one Euler step of the probability-flow ODE from each row's σ to
/// the end (σ_end, or 0 when sampling from σ_max = 80).
struct OneStepEuler: Integrator, Equatable {
    var sigmaMax = 80.0
    static let declaration = SamplerDeclaration<OneStepEuler>(
        name: "one-step", summary: "one Euler step", reference: "none", nfeRule: "NFE = 1", base: OneStepEuler(),
        options: [.real("sigma_max", \.sigmaMax, in: 1...1000, help: "σ of the prior")])
    func validated() throws -> Self { self }
    var plannedNFE: Int? { 1 }
    var plannedIntegrationNFE: Int? { 1 }
    func fitted(toNFE nfe: Int) throws -> Self { self }
    func makeRun(_ model: any Denoiser, from z: Tensor, noise: any NoiseSource, context: SamplingContext) throws -> Run {
        Run(model: model, x: sigmaMax * z, from: Array(repeating: sigmaMax, count: z.rows), to: 0, context: context)
    }
    func makeIntegration(_ model: any Denoiser, from x: Tensor, sigma: [Double], to sigmaEnd: Double, batchRows: [Int]?,
                         noise: any NoiseSource, context: SamplingContext) throws -> Run {
        Run(model: model, x: x, from: sigma, to: sigmaEnd, rows: batchRows, context: context)
    }

    struct Run: SamplingRun {
        let model: any Denoiser
        var x: Tensor
        let from: [Double], to: Double
        var rows: [Int]? = nil
        let context: SamplingContext
        var stepsTaken = 0
        var sigma: [Double] { stepsTaken == 0 ? from : Array(repeating: to, count: from.count) }
        var plannedSteps: Int? { 1 }
        var isFinished: Bool { stepsTaken == 1 }
        mutating func step() throws -> SamplingStep {
            try context.beginStep(0, of: 1, sigma: from[0])
            let d = try context.denoise(model, x, sigma: from, rows: rows)
            let ratio = from.map { to / $0 }
            x = Tensor.combination([(.perRow(ratio), x), (.perRow(ratio.map { 1 - $0 }), d)])
            try context.endStep(x, sigma: to)
            stepsTaken = 1
            return SamplingStep(index: 0, sigma: from, sigmaNext: sigma, denoised: d)
        }
    }
}

@Suite("Your own sampler in a catalog")
struct OwnCatalogTests {
    @Test("DLG resolves its integrator from the catalog it is parsed against")
    func dlgTakesTheCatalog() throws {
        let mine = SamplerCatalog([EDMSampler.self, DLG.self, OneStepEuler.self])
        #expect(mine.integratorNames == ["euler", "heun", "heun-churn", "one-step"])
        let dlg = try #require(try mine.sampler("dlg:integrator=one-step,integrator.sigma_max=50,chains=4,burn-in=1") as? DLG)
        #expect(dlg.integrator as? OneStepEuler == OneStepEuler(sigmaMax: 50))
        #expect(throws: SamplerSpecError.self) { try SamplerCatalog.standard.sampler("dlg:integrator=one-step") }
        let model = BuiltinModels.gmm2d
        let result = try SamplingJob(sampler: dlg.fitted(toNFE: 12), model: model, count: 8, seed: 1,
                                     noiseLevelEstimator: model.noiseLevelPosterior()).run()
        #expect(result.nfe.allSatisfy { $0 <= 12 } && result.samples.firstNonFiniteRow == nil)
    }
}

@Suite("Models in code")
struct LoadedModelJobTests {
    @Test("a loaded model carries its noise-level estimator: dlg runs with no other argument")
    func dlgOnLoadedModel() throws {
        let moons = try ModelLoader.load("moons")
        let job = SamplingJob(sampler: try DLG(chains: 4, burnIn: 1).fitted(toNFE: 14), model: moons, count: 6, seed: 2)
        let result = try job.run(progress: nil)
        #expect(result.samples.shape == [6, 2] && result.classifierCalls.allSatisfy { $0 > 0 })
        #expect(job.sampler.spec.contains("integrator.sigma_min=0.002,integrator.sigma_max=80"))   // resolved from the checkpoint
    }
}
