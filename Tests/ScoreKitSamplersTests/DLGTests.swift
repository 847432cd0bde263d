import Foundation
import ScoreKitTestSupport
import Testing
import ScoreKit

/// Denoising MCMC (DLG) on exact models, with the exact noise-level posterior.
@Suite("DLG", .tags(.statistical), .statistical)
struct DLGTests {
    /// The paper's claim on a mixture where one sample pins down its noise level: at the same
    /// per-sample NFE, chains that start the integrator at moderate σ beat the integrator alone.
    /// 1,000 samples from 250 chains; the per-dimension gap has SE ≈ 0.003 (log p's SD ≈ 5.7 over
    /// 64 dimensions and ~250 independent chains), far below the differences tested.
    @Test("gmm64: a clearly smaller log-likelihood gap than heun alone at 20 and 30 NFE", arguments: [20, 30])
    func beatsIntegratorAlone(nfe: Int) throws {
        let model = BuiltinModels.gmm64
        let exact = SampleStatistics(model.sample(count: 1000, seed: 99), under: model)
        func gap(_ spec: String) throws -> (Double, SamplingResult) {
            let result = try TestKit.draw(spec, from: model, count: 1000, nfe: nfe)
            return ((SampleStatistics(result.samples, under: model).meanLogLikelihood - exact.meanLogLikelihood) / 64, result)
        }
        let (alone, _) = try gap("heun")
        let (chained, result) = try gap("dlg:integrator=heun,chains=250")
        #expect(abs(chained) < 0.5 * abs(alone), "gap per dimension: dlg \(chained), heun \(alone)")
        // The chains sit at moderate noise: the hand-off σ is far below σ_max = 80.
        let handoff = try #require(result.diagnostics["handoff-sigma"]).sorted()
        #expect(handoff[handoff.count / 2] > 0.3 && handoff[handoff.count / 2] < 5)
        #expect(result.nfe.allSatisfy { $0 <= nfe })
    }

    /// On gmm2d one point says little about its noise level: the chains sink to the bottom of
    /// the grid and the integrator has almost nothing to do. Chains never cross the 14-unit gap
    /// between the modes, so the mode weights are those the chains started with (the `init`
    /// sampler's, shifted by the prior as any sampler from σ_max = 80 is: ≈ 0.785). With one
    /// chain per sample (4,000), the weight's SE is 0.0065; the test asks for 0.80 ± 0.03 and
    /// within four SE of the exact-flow value.
    @Test("gmm2d: the chain drifts to the bottom of the grid and keeps the 0.8/0.2 mode weights")
    func keepsModeWeights() throws {
        let model = BuiltinModels.gmm2d
        let result = try TestKit.draw("dlg:integrator=heun,chains=4000", from: model, count: 4000, nfe: 20)
        let weight = SampleStatistics(result.samples, under: model).modeWeights[0]
        #expect(abs(weight - 0.80) <= 0.03)
        #expect(abs(weight - 0.785) <= 4 * (0.785 * 0.215 / 4000).squareRoot(), "mode weight \(weight)")
        let handoff = try #require(result.diagnostics["handoff-sigma"]).sorted()
        #expect(handoff[handoff.count / 2] < 0.01, "median hand-off σ \(handoff[handoff.count / 2])")
    }

    @Test("output does not depend on the batch size")
    func batchIndependence() throws {
        let sampler = try SamplerCatalog.standard.sampler("dlg:chains=16,skip=3,init.steps=4,burn-in=2").fitted(toNFE: 12)
        let model = BuiltinModels.gmm2d
        let run = { (batch: Int) in
            try SamplingJob(sampler: sampler, model: model, count: 100, seed: 8, batchSize: batch,
                            noiseLevelEstimator: model.noiseLevelPosterior()).run()
        }
        let (a, b) = (try run(100), try run(7))
        #expect(a.samples == b.samples && a.nfe == b.nfe)
    }

    /// NFE per sample = skip (chain) + the integrator's calls + 1 (Tweedie); the integrator runs
    /// only for samples handed over above `tweedie-sigma`.
    @Test("NFE splits exactly into chain, integrator and Tweedie parts", arguments: ["heun", "dpm-solver++", "ddim"])
    func nfeParts(integrator: String) throws {
        let model = BuiltinModels.gmm64
        let sampler = try SamplerCatalog.standard.sampler("dlg:integrator=\(integrator),chains=32,skip=6").fitted(toNFE: 20)
        let planned = try #require((sampler as? DLG)?.integrator.plannedIntegrationNFE)
        let result = try SamplingJob(sampler: sampler, model: model, count: 64, seed: 2,
                                     noiseLevelEstimator: model.noiseLevelPosterior()).run()
        let handoff = try #require(result.diagnostics["handoff-sigma"])
        #expect(result.nfeByPart["chain"] == Array(repeating: 6, count: 64))
        #expect(result.nfeByPart["tweedie"] == Array(repeating: 1, count: 64))
        #expect(result.nfeByPart["integrator"] == handoff.map { $0 > 0.002 ? planned : 0 })
        #expect(result.nfe == zip(result.nfeByPart["chain"]!, result.nfeByPart["integrator"]!).map { $0 + $1 + 1 })
        #expect(result.classifierCalls == Array(repeating: 6, count: 64))
        #expect(result.sharedNFE["initialisation"] == 32 * (2 * 20 - 1))    // heun-churn, 20 steps
        #expect(result.sharedNFE["burn-in"] == 32 * 20 && result.sharedClassifierCalls["burn-in"] == 32 * 20)
        #expect(result.nfe.allSatisfy { $0 <= 20 })
    }

    @Test("sigma=sample draws levels from the posterior")
    func sampledLevels() throws {
        let model = BuiltinModels.gmm64
        let argmax = try TestKit.draw("dlg:chains=32,sigma=argmax", from: model, count: 32, nfe: 20).diagnostics["handoff-sigma"]!
        let sampled = try TestKit.draw("dlg:chains=32,sigma=sample", from: model, count: 32, nfe: 20).diagnostics["handoff-sigma"]!
        #expect(argmax != sampled)
        #expect(Set(sampled).count > 1)
    }

    @Test("integrator keys: nested in the spec, round-tripped, validated")
    func nestedKeys() throws {
        let sampler = try SamplerCatalog.standard.sampler("dlg:integrator=heun,integrator.steps=7,skip=4")
        #expect(sampler.spec.contains("integrator=heun,") && sampler.spec.contains("integrator.steps=7"))
        #expect(try SamplerCatalog.standard.sampler(sampler.spec).spec == sampler.spec)
        #expect { try SamplerCatalog.standard.sampler("dlg:integrator.bogus=1") } throws: {
            String(describing: $0).hasPrefix("sampler 'dlg' has no key 'integrator.bogus'; valid keys: integrator, eta,")
                && String(describing: $0).contains("integrator.steps")
        }
        // A given skip (the unset one now follows the budget: DLGBudgetTests).
        #expect { try SamplerCatalog.standard.sampler("dlg:skip=10").fitted(toNFE: 11) } throws: {
            String(describing: $0) == "sampler 'dlg': skip=10 plus the Tweedie step need 11 NFE per sample, leaving none for the integrator; "
                + "lower skip, or leave it unset to fit the budget, more than the budget of 11"
        }
    }

    @Test("the integrator list is exactly the catalog's integrators")
    func integratorList() throws {
        let integrators = SamplerCatalog.standard.integratorNames
        #expect(Set(integrators) == ["euler", "heun", "heun-churn", "dpm-solver++", "unipc", "deis", "rk45", "ddim", "euler-maruyama",
                                     "reverse-diffusion", "ancestral", "pc", "ipndm", "euler-ancestral", "dpm-2s-ancestral",
                                     "dpm-adaptive", "restart"])
        for name in integrators {
            #expect((try SamplerCatalog.standard.sampler("dlg:integrator=\(name)") as? DLG)?.integrator.name == name)
        }
        #expect { try SamplerCatalog.standard.sampler("dlg:integrator=ddpm") } throws: {
            String(describing: $0) == "sampler 'dlg': integrator=ddpm is invalid; expected "
                + SamplerCatalog.standard.integratorNames.joined(separator: "|")
        }
    }

    @Test("without a noise-level estimator it says what is missing")
    func needsEstimator() throws {
        let sampler = try SamplerCatalog.standard.sampler("dlg")
        #expect { try SamplingJob(sampler: sampler, model: BuiltinModels.gmm2d, count: 2).run() } throws: {
            String(describing: $0).hasPrefix("dlg needs a noise-level estimator")
        }
    }
}
