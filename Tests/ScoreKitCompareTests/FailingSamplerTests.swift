import Foundation
import Testing
@testable import ScoreKitCompare
import ScoreKit

/// A test sampler that blows up: each step multiplies the state by 1e30 until it overflows,
/// which the sampling context's non-finite guard reports. With `refuse=true` it throws an error
/// of its own instead, like a sampler that cannot work with the model.
private struct Exploding: Sampler {
    struct Refusal: Error, CustomStringConvertible { var description: String { "exploding: refuses this model" } }
    var steps: Int?
    var refuse = false

    static let declaration = SamplerDeclaration<Exploding>(
        name: "exploding", summary: "test sampler that diverges", reference: "none", nfeRule: "NFE = steps", base: Exploding(),
        options: [.integer("steps", \.steps, in: 1...1000, auto: "10", help: "steps"),
                  .flag("refuse", \.refuse, help: "throw its own error")])

    func validated() throws -> Exploding { self }
    var plannedNFE: Int? { steps ?? 10 }
    func fitted(toNFE nfe: Int) throws -> Exploding {
        try fittedSteps(steps, in: 1...1000, toNFE: nfe, nfe: { $0 }) { Exploding(steps: $0, refuse: refuse) }
    }
    func makeRun(_ model: any Denoiser, from z: Tensor, noise: any NoiseSource, context: SamplingContext) throws -> Run {
        if refuse { throw Refusal() }
        return Run(steps: steps ?? 10, model: model, x: z + 1, context: context)
    }

    struct Run: SamplingRun {
        let steps: Int
        let model: any Denoiser
        var x: Tensor
        let context: SamplingContext
        var stepsTaken = 0
        var sigma: [Double] { Array(repeating: 1, count: x.rows) }
        var plannedSteps: Int? { steps }
        var isFinished: Bool { stepsTaken == steps }
        mutating func step() throws -> SamplingStep {
            try context.beginStep(stepsTaken, of: steps, sigma: 1)
            let denoised = try context.denoise(model, x, sigma: 1)
            x = 1e30 * (denoised + x)
            try context.endStep(x, sigma: 1)
            stepsTaken += 1
            return SamplingStep(index: stepsTaken - 1, sigma: sigma, sigmaNext: sigma, denoised: denoised)
        }
    }
}

@Suite("Samplers that fail give n/a cells")
struct FailingSamplerTests {
    @Test("A diverging sampler and one that throws its own error are n/a with the reason; the others still run")
    func failures() throws {
        let out = CompareTestSupport.scratch()
        let plan = CompareTestSupport.smallPlan(out, samplers: ["exploding", "exploding:refuse=true", "ddim"], budgets: [5], count: 20)
        let results = try Comparison(plan: plan, catalog: SamplerCatalog([DDIM.self, Exploding.self])).run()
        let reasons = results.cells.map { $0.reason ?? "" }
        #expect(results.cells.map(\.status) == [.unavailable, .unavailable, .ok])
        #expect(reasons[0].contains("non-finite state"))
        #expect(reasons[1] == "exploding: refuses this model")
        // Stored like any finished cell: a rerun does not try again and writes the same table.
        let csv = CompareTestSupport.text(out.appendingPathComponent("results.csv"))
        _ = try Comparison(plan: plan, catalog: SamplerCatalog([DDIM.self, Exploding.self])).run()
        #expect(CompareTestSupport.text(out.appendingPathComponent("results.csv")) == csv)
    }
}
