import Foundation
import Testing
import ScoreKit

/// DLG at small budgets: an unset `skip` adapts to `--nfe`, given keys are kept, and what
/// cannot fit is an error naming each part's need.
@Suite("DLG budgets")
struct DLGBudgetTests {
    static func dlg(_ spec: String, nfe: Int) throws -> DLG {
        try #require(try SamplerCatalog.standard.sampler(spec).fitted(toNFE: nfe) as? DLG)
    }

    @Test("unset skip is clamp(⌊(N − 1)/3⌋, 1, 10); the integrator gets the rest", arguments: [
        (4, 1), (10, 3), (15, 4), (20, 6), (31, 10), (100, 10),
    ])
    func autoSkip(nfe: Int, skip: Int) throws {
        let d = try Self.dlg("dlg", nfe: nfe)
        #expect(d.skip == skip && DLG.autoSkip(budget: nfe) == skip)
        let integration = try #require(d.integrator.plannedIntegrationNFE)
        #expect(skip + integration + 1 <= nfe)
        // Heun's integration costs 2 per interval: the most that fits.
        #expect(integration == 2 * ((nfe - skip - 1) / 2))
    }

    @Test("dlg runs at 10 NFE on gmm64 within the budget, every part counted")
    func runsAtTen() throws {
        let model = BuiltinModels.gmm64
        let sampler = try Self.dlg("dlg:chains=16,init.steps=4,burn-in=2", nfe: 10)
        let result = try SamplingJob(sampler: sampler, model: model, count: 32, seed: 3, budget: 10,
                                     noiseLevelEstimator: model.noiseLevelPosterior()).run()
        #expect(result.nfe.allSatisfy { $0 <= 10 })
        #expect(result.nfeByPart["chain"] == Array(repeating: 3, count: 32))
        #expect(try result.samples.scalars.allSatisfy(\.isFinite))
    }

    @Test("a given skip is kept; a given integrator step count lowers the auto skip until it fits")
    func givenKeys() throws {
        #expect(try Self.dlg("dlg:skip=2", nfe: 10).skip == 2)
        let fixed = try Self.dlg("dlg:integrator.steps=4", nfe: 10)      // heun, 3 intervals: 6 calls
        #expect(fixed.skip == 3 && fixed.integrator.plannedIntegrationNFE == 6)
        let lowered = try Self.dlg("dlg:integrator.steps=5", nfe: 10)    // 8 calls leave room for skip = 1
        #expect(lowered.skip == 1 && lowered.integrator.plannedIntegrationNFE == 8)
    }

    @Test("combinations that cannot fit are errors that say what each part needs")
    func errors() throws {
        func message(_ spec: String, _ nfe: Int) -> String {
            do { _ = try Self.dlg(spec, nfe: nfe); return "" } catch { return "\(error)" }
        }
        let skip = message("dlg:skip=10", 10)
        #expect(skip.contains("skip=10 plus the Tweedie step need 11 NFE per sample") && skip.contains("leave it unset"), "\(skip)")
        let integrator = message("dlg:integrator.steps=6", 10)
        #expect(integrator.contains("needs 10 NFE per sample") && integrator.contains("skip=1 plus the Tweedie step 2 more"), "\(integrator)")
        #expect(!message("dlg", 2).isEmpty)
    }

    @Test("without a budget: the released skip = 10 and tweedie-sigma the model's σ_min")
    func unbudgeted() throws {
        let d = try #require(DLG().resolved(for: BuiltinModels.gmm2d) as DLG?)
        #expect(d.skip == 10 && d.tweedieSigma == 0.002)
        #expect(DLG().spec.contains("skip=auto") && d.spec.contains("skip=10"))
    }
}
