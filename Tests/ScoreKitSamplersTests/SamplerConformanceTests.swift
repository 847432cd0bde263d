import Foundation
import Testing
import ScoreKit

/// Returns NaN from its `failOnCall`-th call on, and remembers the σ's it was asked about.
final class FailingDenoiser: Denoiser, @unchecked Sendable {
    let base: any Denoiser
    let failOnCall: Int
    private(set) var calls = 0
    private(set) var sigmaAtFailure: [Double] = []
    init(_ base: any Denoiser, failOnCall: Int) { self.base = base; self.failOnCall = failOnCall }
    var sampleShape: [Int] { base.sampleShape }
    var sigmaRange: ClosedRange<Double> { base.sigmaRange }
    func denoise(_ x: Tensor, sigma: [Double]) throws -> Tensor {
        calls += 1
        var out = try base.denoise(x, sigma: sigma)
        if calls == failOnCall { sigmaAtFailure = sigma; out.scalars[0] = .nan }
        return out
    }
}

/// What every sampler in the catalog must do, whoever wrote it.
@Suite("Every sampler honours the protocol")
struct SamplerConformanceTests {
    static let names = SamplerCatalog.standard.names
    let model = BuiltinModels.gmm2d

    func context(_ sampler: any Sampler, rows: Int, budget: Int? = nil) -> SamplingContext {
        let c = SamplingContext(samplerName: sampler.name, sampleIndices: Array(0..<rows), budget: budget)
        c.noiseLevelEstimator = model.noiseLevelPosterior()
        return c
    }

    func z(_ rows: Int) throws -> Tensor {
        try PhiloxNoise(seed: 1, stream: RandomStreamID.initialNoise, sampleIndices: Array(0..<rows)).normal(rows: nil, shape: [2])
    }

    @Test("spec round-trips: parse → sampler → spec → parse", arguments: names)
    func roundTrip(_ name: String) throws {
        let sampler = try SamplerCatalog.standard.sampler(name)
        let again = try SamplerCatalog.standard.sampler(sampler.spec)
        #expect(again.spec == sampler.spec)
        #expect(sampler.spec.hasPrefix(name + ":"))
    }

    @Test("counts NFE exactly and stays within a budget", arguments: names)
    func nfe(_ name: String) throws {
        let budget = 40
        let sampler = try SamplerCatalog.standard.sampler(name).fitted(toNFE: budget)
        let c = context(sampler, rows: 8, budget: budget)
        _ = try sampler.sample(model, from: try z(8), noise: PhiloxNoise(seed: 2, sampleIndices: Array(0..<8)), context: c)
        #expect(c.nfe.allSatisfy { $0 <= budget }, "\(c.nfe)")
        if let planned = sampler.plannedNFE { #expect(c.nfe.allSatisfy { $0 == planned }, "planned \(planned), counted \(c.nfe)") }
        if let maximum = (sampler as? DLG)?.maximumNFE { #expect(c.nfe.allSatisfy { $0 <= maximum }) }
    }

    @Test("cancellation stops the run within one step", arguments: names)
    func cancellation(_ name: String) async throws {
        let sampler = try SamplerCatalog.standard.sampler(name).fitted(toNFE: 200)
        let model = self.model, z = try z(4)
        let c = context(sampler, rows: 4)
        let task = Task { () throws -> [Int] in
            var seen: [Int] = []
            let me = withUnsafeCurrentTask { $0 }
            c.onProgress = { p in seen.append(p.step); if seen.count == 3 { me?.cancel() } }
            do {
                _ = try sampler.sample(model, from: z, noise: PhiloxNoise(seed: 2, sampleIndices: Array(0..<4)), context: c)
            } catch is CancellationError {
                return seen
            }
            return []
        }
        // Cancelled while the third step began: that step may finish, no further step starts.
        let seen = try await task.value
        #expect(seen.count == 3, "steps begun: \(seen)")
    }

    @Test("a NaN from the model stops the run, naming sampler, step and σ", arguments: names)
    func nonFinite(_ name: String) throws {
        let sampler = try SamplerCatalog.standard.sampler(name).fitted(toNFE: 50)
        let failing = FailingDenoiser(model, failOnCall: 3)
        let c = context(sampler, rows: 4)
        #expect {
            try sampler.sample(failing, from: try z(4), noise: PhiloxNoise(seed: 2, sampleIndices: Array(0..<4)), context: c)
        } throws: { error in
            guard case let .nonFinite(sampler, step, sigma, _) = error as? SamplingError else { return false }
            // A sampler that runs a sub-run (DLG's chain initialisation) names it after its own name.
            let stepMatches = sampler == name ? step == c.currentStep : sampler.hasPrefix(name + " (")
            return stepMatches && failing.sigmaAtFailure.first == sigma && String(describing: error).hasPrefix(name)
        }
    }
}


