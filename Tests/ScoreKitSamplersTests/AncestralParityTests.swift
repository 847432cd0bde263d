import Foundation
import ScoreKit
import Testing

/// `Tests/Fixtures/ancestral_parity.json`, written by `scripts/fixtures_ancestral.py`:
/// k-diffusion's `sample_euler_ancestral` and `sample_dpmpp_2s_ancestral` (Float64) on a
/// closed-form Gaussian-mixture denoiser, from the same z with the same injected noise, and
/// k-diffusion's karras, exponential and polyexponential σ lists.
struct AncestralParityFixture: Decodable {
    struct Schedule: Decodable, Sendable, CustomTestStringConvertible {
        let spec: String
        let sigmas: [Double]
        var testDescription: String { spec }
    }
    struct Case: Decodable, Sendable, CustomTestStringConvertible {
        let name: String, spec: String, reference: String
        let sigmas: [Double]
        /// One draw per step but the last, each `[rows][dims]`; empty where η = 0.
        let noise: [[[Double]]]
        let expected: [[Double]]
        var testDescription: String { name }
    }
    let k_diffusion: String
    let mixture: Fixtures.Mixture
    let z: [[Double]]
    let schedules: [Schedule]
    let cases: [Case]

    static func load() throws -> AncestralParityFixture { try Fixtures.load("ancestral_parity.json") }
    static let schedules: [Schedule] = (try? load().schedules) ?? []
    static let cases: [Case] = (try? load().cases) ?? []
}

@Suite("Ancestral samplers and exponential schedules: parity with k-diffusion")
struct AncestralParityTests {
    /// The σ's a spec's sampler visits before its final step to 0.
    static func sigmas(_ spec: String) throws -> [Double] {
        let sampler = try #require(try SamplerCatalog.standard.sampler(spec) as? AncestralSampler)
        return sampler.sigmas(for: SingleGaussian.standard.model)
    }

    @Test("the fixture is present and covers both samplers, every new schedule and η 1 and 0.5")
    func fixtureLoads() throws {
        let fixture = try AncestralParityFixture.load()
        #expect(fixture.k_diffusion == "0.1.1.post1")
        #expect(Set(fixture.cases.map { $0.spec.split(separator: ":")[0] }) == ["euler-ancestral", "dpm-2s-ancestral"])
        #expect(fixture.cases.count == 8 && fixture.schedules.count == 7)
        for needed in ["schedule=exponential", "schedule=polyexponential", "schedule=karras", "eta=1.0", "eta=0.5", "eta=0.0"] {
            #expect(fixture.cases.contains { $0.spec.contains(needed) }, "no case with \(needed)")
        }
    }

    /// k-diffusion's `get_sigmas_*` in Float64, to 1e-12 relative.
    @Test("the schedules give k-diffusion's σ's", arguments: AncestralParityFixture.schedules)
    func schedules(_ s: AncestralParityFixture.Schedule) throws {
        let sigmas = try Self.sigmas(s.spec)
        #expect(sigmas.count == s.sigmas.count)
        for (a, b) in zip(sigmas, s.sigmas) {
            #expect(abs(a / b - 1) < 1e-12, "\(s.spec): σ \(a) vs k-diffusion \(b)")
        }
    }

    @Test("same σ's as the reference run", arguments: AncestralParityFixture.cases)
    func sameSigmas(_ c: AncestralParityFixture.Case) throws {
        let sigmas = try Self.sigmas(c.spec)
        #expect(sigmas.count == c.sigmas.count)
        for (a, b) in zip(sigmas, c.sigmas) {
            #expect(abs(a / b - 1) < 1e-12, "\(c.name): σ \(a) vs k-diffusion \(b)")
        }
    }

    /// Final samples within 1e-4 of k-diffusion's, relative to its largest value, with its noise
    /// replayed draw for draw; every recorded draw used, and the planned NFE made.
    @Test("final samples match k-diffusion to 1e-4 relative", arguments: AncestralParityFixture.cases)
    func matchesReference(_ c: AncestralParityFixture.Case) throws {
        let fixture = try AncestralParityFixture.load()
        let sampler = try SamplerCatalog.standard.sampler(c.spec)
        let noise = ReplayNoise(c.noise.map { Tensor($0) })
        let (x, context) = try TestKit.run(sampler, fixture.mixture.model, z: Tensor(fixture.z), noise: noise)
        let error = TestKit.relativeError(x, Tensor(c.expected))
        #expect(error < 1e-4, "\(c.name) vs \(c.reference): relative error \(error)")
        #expect(context.nfe.allSatisfy { $0 == sampler.plannedNFE })
        #expect(throws: ReplayNoiseError.self) { try noise.normal(rows: nil, shape: [3]) }   // every draw used
    }

    /// The planned NFE is the calls k-diffusion makes: one per step for Euler; two per step for
    /// 2S, but one on the last step to σ = 0.
    @Test("NFE rules", arguments: [("euler-ancestral:steps=10", 10), ("dpm-2s-ancestral:steps=10", 19),
                                   ("dpm-2s-ancestral:steps=1", 1), ("euler-ancestral", 50), ("dpm-2s-ancestral", 49)])
    func nfeRule(_ spec: String, _ nfe: Int) throws {
        #expect(try SamplerCatalog.standard.sampler(spec).plannedNFE == nfe)
    }
}
