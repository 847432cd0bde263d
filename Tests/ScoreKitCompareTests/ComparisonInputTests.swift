import Foundation
import Testing
@testable import ScoreKitCompare
import ScoreKit

@Suite("Comparison input is checked before any work")
struct ComparisonInputTests {
    func expectNothingWritten(_ url: URL) {
        #expect(!FileManager.default.fileExists(atPath: url.path))
    }

    @Test("An unknown sampler in the list names it and the valid samplers")
    func unknownSampler() throws {
        let out = CompareTestSupport.scratch()
        let error = #expect(throws: ComparisonError.self) {
            try Comparison(plan: CompareTestSupport.smallPlan(out, samplers: ["ddim", "hen"]))
        }
        let message = error.map(String.init(describing:)) ?? ""
        #expect(message.contains("'hen'") && message.contains("ddpm, ddim"))
        expectNothingWritten(out)
    }

    @Test("An unknown key, and the same sampler twice, are errors")
    func badKeyAndDuplicate() {
        let out = CompareTestSupport.scratch()
        #expect(throws: ComparisonError.self) { try Comparison(plan: CompareTestSupport.smallPlan(out, samplers: ["ddim:etaa=1"])) }
        // "ddim" and "ddim:eta=0" resolve to the same spec.
        #expect(throws: ComparisonError.duplicateSampler("ddim:eta=0", resolved: "ddim:steps=auto,eta=0,spacing=leading,betas=linear,T=1000")) {
            try Comparison(plan: CompareTestSupport.smallPlan(out, samplers: ["ddim", "ddim:eta=0"]))
        }
        expectNothingWritten(out)
    }

    @Test("Budget lists: empty, blank entries, words, zero, negatives and repeats are errors", arguments: [
        "", "10,,20", "10,abc", "0", "10,-5", "20,10,20",
    ])
    func badBudgets(text: String) {
        #expect(throws: ComparisonError.self) { try ComparisonPlan.parseBudgets(text) }
    }

    @Test("Budgets parse, trimmed and sorted")
    func goodBudgets() throws {
        #expect(try ComparisonPlan.parseBudgets(" 50, 10 ,20") == [10, 20, 50])
    }

    @Test("A non-positive budget in a plan is caught by the comparison too")
    func planBudget() {
        let out = CompareTestSupport.scratch()
        #expect(throws: ComparisonError.self) { try Comparison(plan: CompareTestSupport.smallPlan(out, budgets: [10, 0])) }
        expectNothingWritten(out)
    }

    @Test("Sampler lists split on ';', ignore blank entries, and must not be empty")
    func samplerLists() throws {
        #expect(try ComparisonPlan.parseSamplerList("ddim:eta=0.5,steps=20; ddpm ;") == ["ddim:eta=0.5,steps=20", "ddpm"])
        #expect(throws: ComparisonError.noSamplers) { try ComparisonPlan.parseSamplerList(" ; ") }
    }

    @Test("An existing --out that is a file is refused")
    func outputIsAFile() throws {
        let folder = CompareTestSupport.scratch()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("results")
        try Data("x".utf8).write(to: file)
        #expect(throws: ComparisonError.outputNotFolder(file.path)) {
            try Comparison(plan: CompareTestSupport.smallPlan(file))
        }
        #expect(CompareTestSupport.text(file) == "x")
    }

    @Test("Counts below two and unknown models are errors")
    func countAndModel() {
        let out = CompareTestSupport.scratch()
        #expect(throws: ComparisonError.badCount(1)) { try Comparison(plan: CompareTestSupport.smallPlan(out, count: 1)) }
        var plan = CompareTestSupport.smallPlan(out)
        plan.model = "gmm3d"
        let error = #expect(throws: ComparisonError.self) { try Comparison(plan: plan) }
        #expect(error.map(String.init(describing:))?.contains("gmm2d") == true)   // lists the built-in models
        expectNothingWritten(out)
    }

    @Test("A reference solver missing from the build is skipped with a reason; a bad spec for one present is an error")
    func referenceSolver() throws {
        let out = CompareTestSupport.scratch()
        let missing = try Comparison(plan: CompareTestSupport.smallPlan(out, reference: "nosuchsolver:rtol=1e-7"))
        #expect(missing.referenceSolver == nil)
        #expect(missing.referenceSkipped?.contains("not in this build") == true)
        #expect(throws: ComparisonError.self) {
            try Comparison(plan: CompareTestSupport.smallPlan(out, reference: "ddim:rtol=1e-7"))
        }
        expectNothingWritten(out)
    }

    @Test("Defaults: the default samplers this build has, and the default budgets")
    func defaults() throws {
        let out = CompareTestSupport.scratch()
        let c = try Comparison(plan: ComparisonPlan(model: "gmm2d", output: out))
        #expect(c.rows.map(\.label) == ComparisonPlan.defaultSamplers(in: .standard))
        #expect(c.rows.map(\.label).starts(with: ["ddpm", "ddim"]))
        #expect(c.plan.budgets == ComparisonPlan.defaultBudgets)
        #expect(c.plan.count == ComparisonPlan.defaultCount)
        // Every default spec this build lacks is simply left out.
        #expect(ComparisonPlan.defaultSamplers(in: SamplerCatalog([DDIM.self])) == ["ddim"])
    }
}
