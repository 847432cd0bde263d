import Foundation
import Testing
@testable import ScoreKitCompare
import ScoreKit

/// A test sampler that blows up: each step multiplies the state by 1e30 until it overflows,
/// which the sampling context's non-finite guard reports. With `refuse=true` it throws an error
/// of its own instead, like a sampler that cannot work with the model.
private struct Exploding: Sampler {
    struct Refusal: Error, CustomStringConvertible { var description: String { "exploding: refuses this model" } }
    static let descriptor = SamplerDescriptor(
        name: "exploding", summary: "test sampler that diverges", reference: "none",
        keys: [SamplerKey("steps", .integer(1...1000), default: "10", help: "steps"),
               SamplerKey("refuse", .flag, default: "false", help: "throw its own error")],
        nfeRule: "NFE = steps")
    let options: SamplerOptions
    init(options: SamplerOptions) throws { self.options = options }
    var plannedNFE: Int? { options.int("steps") }
    func fitted(toNFE nfe: Int) throws -> Exploding { try fittedSteps(toNFE: nfe) { $0 } }
    func sample(_ model: any Denoiser, from z: Tensor, noise: any NoiseSource, context: SamplingContext) throws -> Tensor {
        if options.bool("refuse") { throw Refusal() }
        var x = z + 1
        for i in 0..<options.int("steps") {
            try context.beginStep(i, of: options.int("steps"), sigma: 1)
            x = 1e30 * (try context.denoise(model, x, sigma: 1) + x)
            try context.endStep(x, sigma: 1)
        }
        return x
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
