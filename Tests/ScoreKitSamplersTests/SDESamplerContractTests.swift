import Foundation
import ScoreKit
import Testing

/// The contract every sampler keeps — exact NFE, cancellation, the non-finite guard, spec round
/// trips — checked for annealed Langevin and the reverse-SDE samplers.
@Suite("Langevin and reverse-SDE sampler contracts")
struct SDESamplerContractTests {
    /// Small configurations of every new sampler, with the NFE per sample each must make.
    static let planned: [(spec: String, nfe: Int)] = [
        ("langevin:levels=3,steps=5", 15),
        ("langevin:levels=3,steps=5,denoise=true", 16),
        ("langevin:levels=1,steps=7", 7),
        ("euler-maruyama:steps=12", 12),
        ("reverse-diffusion:steps=12,sde=vp", 12),
        ("ancestral:steps=12,sde=subvp", 12),
        ("pc:steps=12", 24),
        ("pc:steps=12,correctors=0", 12),
        ("pc:steps=12,correctors=3,sde=vp,predictor=euler-maruyama", 48),
        ("pc:steps=12,corrector=ald,predictor=ancestral", 24),
    ]

    @Test("planned NFE equals the calls counted", arguments: planned)
    func plannedEqualsCounted(_ c: (spec: String, nfe: Int)) throws {
        let sampler = try SamplerCatalog.standard.sampler(c.spec)
        #expect(sampler.plannedNFE == c.nfe)
        let result = try TestKit.draw(c.spec, count: 5)
        #expect(result.nfe == Array(repeating: c.nfe, count: 5))
    }

    /// `--nfe` budgets and the step counts they must give (the most that fit).
    static let budgets: [(spec: String, budget: Int, steps: Int, nfe: Int)] = [
        ("langevin:levels=10", 1000, 100, 1000),
        ("langevin:levels=10", 1009, 100, 1000),
        ("langevin:levels=10,denoise=true", 1000, 99, 991),
        ("langevin:levels=10,denoise=true", 1001, 100, 1001),
        ("euler-maruyama", 37, 37, 37),
        ("reverse-diffusion:sde=vp", 50, 50, 50),
        ("ancestral", 3, 3, 3),
        ("pc", 51, 25, 50),
        ("pc:correctors=2", 100, 33, 99),
        ("pc:correctors=0", 40, 40, 40),
    ]

    @Test("--nfe sets the steps to the most that fit, and the run uses exactly that", arguments: budgets)
    func fitsBudget(_ c: (spec: String, budget: Int, steps: Int, nfe: Int)) throws {
        let fitted = try SamplerCatalog.standard.sampler(c.spec).fitted(toNFE: c.budget)
        #expect(fitted.specValue("steps") == String(c.steps))
        #expect(fitted.plannedNFE == c.nfe)
        let result = try TestKit.draw(c.spec, count: 3, nfe: c.budget)
        #expect(result.nfe == Array(repeating: c.nfe, count: 3))
    }

    @Test("a budget below one step per level is an error naming the need")
    func budgetTooSmall() throws {
        // Given levels: one step per level must fit. (Unset levels now follow the budget; the
        // old default was 10 levels.)
        #expect(throws: SamplerSpecError.overBudget(sampler: "langevin", detail: "its fewest steps (steps=1) need 10 NFE per sample", budget: 9)) {
            try SamplerCatalog.standard.sampler("langevin:levels=10").fitted(toNFE: 9)
        }
        #expect(throws: SamplerSpecError.overBudget(sampler: "langevin", detail: "its fewest steps (steps=1) need 11 NFE per sample", budget: 10)) {
            try SamplerCatalog.standard.sampler("langevin:levels=10,denoise=true").fitted(toNFE: 10)
        }
        #expect(throws: SamplerSpecError.overBudget(sampler: "langevin", detail: "steps=5 plus the denoise step need 6 NFE per sample for one level", budget: 5)) {
            try SamplerCatalog.standard.sampler("langevin:steps=5,denoise=true").fitted(toNFE: 5)
        }
        #expect(throws: SamplerSpecError.overBudget(sampler: "pc", detail: "steps=10 needs 20 NFE per sample", budget: 19)) {
            try SamplerCatalog.standard.sampler("pc:steps=10").fitted(toNFE: 19)
        }
    }

    /// Cancels from the progress callback at step `at`; the run must stop before the next step.
    static func cancelled(_ spec: String, at step: Int) async throws -> (error: (any Error)?, nfe: [Int]) {
        let sampler = try SamplerCatalog.standard.sampler(spec)
        let task = Task { () -> ((any Error)?, [Int]) in
            let context = SamplingContext(samplerName: sampler.name, sampleIndices: [0, 1])
            context.onProgress = { p in
                if p.step == step { withUnsafeCurrentTask { $0?.cancel() } }
            }
            let z = try! PhiloxNoise(seed: 3, sampleIndices: [0, 1]).normal(rows: nil, shape: [2])
            do {
                _ = try sampler.sample(BuiltinModels.gmm2d, from: z, noise: PhiloxNoise(seed: 4, sampleIndices: [0, 1]),
                                       context: context)
                return (nil, context.nfe)
            } catch {
                return (error, context.nfe)
            }
        }
        return await task.value
    }

    @Test("cancelling stops within one step", arguments: [
        ("langevin:levels=4,steps=10", 17, 1),
        ("reverse-diffusion:steps=40", 9, 1),
        ("euler-maruyama:steps=40,sde=vp", 0, 1),
        ("ancestral:steps=40", 30, 1),
        ("pc:steps=40,correctors=2", 5, 3),
    ])
    func cancellation(spec: String, at step: Int, nfePerStep: Int) async throws {
        let (error, nfe) = try await Self.cancelled(spec, at: step)
        #expect(error is CancellationError)
        #expect(nfe == [(step + 1) * nfePerStep, (step + 1) * nfePerStep])
    }

    /// The noise levels the sampler's denoiser calls walk through, in order, one per step.
    static func firstStepBelow(_ threshold: Double, of spec: String) throws -> (step: Int, sigma: Double) {
        let sampler = try SamplerCatalog.standard.sampler(spec)
        let context = SamplingContext(samplerName: sampler.name, sampleIndices: [0])
        var sigmas: [Double] = []
        context.onProgress = { sigmas.append($0.sigma) }
        _ = try sampler.sample(BuiltinModels.gmm2d, from: Tensor(rows: [[0.1, -0.2]]),
                               noise: PhiloxNoise(seed: 1, sampleIndices: [0]), context: context)
        let i = try #require(sigmas.firstIndex { $0 < threshold })
        return (i, sigmas[i])
    }

    @Test("a NaN from the denoiser stops the run naming the sampler, step and σ", arguments: [
        ("langevin:levels=3,steps=4,sigma_min=0.01", 0.05),
        ("langevin:levels=3,steps=4,denoise=true,sigma_min=0.5", 0.6),
        ("euler-maruyama:steps=20", 1.0),
        ("reverse-diffusion:steps=20,sde=vp", 1.0),
        ("ancestral:steps=20,sde=subvp", 0.5),
        ("pc:steps=20,correctors=2", 2.0),
    ])
    func nonFinite(spec: String, below threshold: Double) throws {
        let expected = try Self.firstStepBelow(threshold, of: spec)
        let sampler = try SamplerCatalog.standard.sampler(spec)
        let context = SamplingContext(samplerName: sampler.name, sampleIndices: [0])
        do {
            _ = try sampler.sample(NaNBelowSigma(base: BuiltinModels.gmm2d, below: threshold), from: Tensor(rows: [[0.1, -0.2]]),
                                   noise: PhiloxNoise(seed: 1, sampleIndices: [0]), context: context)
            Issue.record("\(spec): no error")
        } catch let SamplingError.nonFinite(name, step, sigma, what) {
            #expect(name == sampler.name)
            #expect(step == expected.step)
            #expect(abs(sigma - expected.sigma) <= 1e-12 * expected.sigma)
            #expect(what == "denoiser output")
        }
    }

    @Test("spec round trip: parse → sampler → spec → parse gives the same options", arguments: [
        "langevin", "langevin:levels=1,init=gaussian,convention=code,denoise=true,eps=0.1",
        "euler-maruyama", "euler-maruyama:sde=vp", "reverse-diffusion:sde=subvp,eps=0.002,beta_max=15",
        "ancestral:sigma_max=80,steps=50", "pc", "pc:sde=vp,predictor=ancestral,correctors=3,snr=0.05,corrector=ald",
    ])
    func roundTrip(spec: String) throws {
        let first = try SamplerCatalog.standard.sampler(spec)
        let second = try SamplerCatalog.standard.sampler(first.spec)
        #expect(second.spec == first.spec)
        #expect(second.plannedNFE == first.plannedNFE)
    }

    @Test("the resolved spec says which eps ran: 1e-5 for ve, 1e-3 for vp and subvp unless given")
    func epsDefaultFollowsProcess() throws {
        let catalog = SamplerCatalog.standard, model = SingleGaussian.standard.model
        #expect(try catalog.sampler("pc").specValue("eps") == "auto")
        #expect(try catalog.sampler("pc").resolved(for: model).specValue("eps") == "1e-05")
        #expect(try catalog.sampler("pc:sde=vp").resolved(for: model).specValue("eps") == "0.001")
        #expect(try catalog.sampler("euler-maruyama:sde=subvp").resolved(for: model).specValue("eps") == "0.001")
        #expect(try catalog.sampler("reverse-diffusion:sde=vp,eps=1e-05").resolved(for: model).specValue("eps") == "1e-05")
        #expect(try catalog.sampler("pc:sde=vp").fitted(toNFE: 40).resolved(for: model).specValue("eps") == "0.001")
    }

    @Test("invalid combinations are errors that say what is wrong")
    func invalidCombinations() {
        let catalog = SamplerCatalog.standard
        // Unset σ_max now comes from the model (langevin's old default was 1, score SDE's 50).
        #expect(throws: SamplerSpecError.invalidCombination(sampler: "langevin", reason: "sigma_min=2 must not exceed sigma_max=1")) {
            try catalog.sampler("langevin:sigma_min=2,sigma_max=1")
        }
        #expect(throws: SamplerSpecError.invalidCombination(sampler: "reverse-diffusion", reason: "sigma_min=50 must be below sigma_max=50")) {
            try catalog.sampler("reverse-diffusion:sigma_min=50,sigma_max=50")
        }
        #expect(throws: SamplerSpecError.invalidCombination(sampler: "pc", reason: "eps must be positive for sde=vp (σ(0) = 0)")) {
            try catalog.sampler("pc:sde=vp,eps=0")
        }
        #expect(throws: SamplerSpecError.badValue(sampler: "pc", key: "predictor", value: "heun", expected: "reverse-diffusion|euler-maruyama|ancestral")) {
            try catalog.sampler("pc:predictor=heun")
        }
    }
}
