import Foundation
import ScoreKit
import Testing

/// `Tests/Fixtures/adaptive_parity.json`, written by `scripts/fixtures_adaptive.py`: final samples
/// and NFE of k-diffusion's `sample_dpm_adaptive` (one row per run, Float64, then a final
/// denoise) and of a Float64 transcription of Restart sampling, on a closed-form Gaussian
/// mixture from the same z.
struct AdaptiveParityFixture: Decodable {
    struct Case: Decodable, Sendable, CustomTestStringConvertible {
        let name: String, spec: String, reference: String
        let expected: [[Double]]
        let nfe: [Int]
        let noise: [[[Double]]]
        var testDescription: String { name }
    }
    let k_diffusion: String
    let mixture: Fixtures.Mixture
    let z: [[Double]]
    let cases: [Case]

    static func load() throws -> AdaptiveParityFixture { try Fixtures.load("adaptive_parity.json") }

    static let cases: [Case] = (try? load().cases) ?? []
}

@Suite("dpm-adaptive and restart: parity with k-diffusion and the paper")
struct AdaptiveParityTests {
    @Test("the fixture is present and covers both samplers")
    func fixtureLoads() throws {
        let fixture = try AdaptiveParityFixture.load()
        #expect(fixture.k_diffusion == "0.1.1.post1")
        #expect(Set(fixture.cases.map { $0.spec.split(separator: ":")[0] }) == ["dpm-adaptive", "restart"])
        #expect(fixture.cases.count == 7)
    }

    /// Final samples within 1e-4 of the reference relative to its largest value, and every row
    /// made exactly the reference's denoiser calls (for restart: also the planned NFE).
    @Test("final samples match to 1e-4 relative, with the same NFE", arguments: AdaptiveParityFixture.cases)
    func matchesReference(_ c: AdaptiveParityFixture.Case) throws {
        let fixture = try AdaptiveParityFixture.load()
        let sampler = try TestKit.sampler(c.spec)
        let noise = ReplayNoise(c.noise.map { Tensor($0) })
        let (x, context) = try TestKit.run(sampler, fixture.mixture.model, z: Tensor(fixture.z), noise: noise)
        let error = TestKit.relativeError(x, Tensor(c.expected))
        #expect(error < 1e-4, "\(c.name) vs \(c.reference): relative error \(error)")
        #expect(context.nfe == c.nfe)
        if let planned = sampler.plannedNFE { #expect(c.nfe.allSatisfy { $0 == planned }) }
        #expect(context.stoppedAt.allSatisfy { $0 == nil })
        #expect(throws: ReplayNoiseError.self) { try noise.normal(rows: nil, shape: [3]) }   // every draw used
    }
}
