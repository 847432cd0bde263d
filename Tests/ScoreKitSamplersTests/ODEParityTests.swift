import Foundation
import ScoreKit
import Testing

/// `Tests/Fixtures/ode_parity.json`, written by `scripts/fixtures_ode.py`: final samples of
/// diffusers' Euler, Heun and DPM-Solver++ schedulers and of EDM's sampler (Float64) on a
/// closed-form Gaussian-mixture denoiser, from the same z and the same σ's.
struct ODEParityFixture: Decodable {
    struct Case: Decodable, Sendable, CustomTestStringConvertible {
        let name: String, spec: String, reference: String
        let sigmas: [Double]
        /// "float64": computed by the script from the schedule's formula; "float32": as stored by diffusers.
        let sigma_precision: String
        let noise: [[[Double]]]
        let expected: [[Double]]
        var testDescription: String { name }
    }
    let diffusers: String
    let mixture: Fixtures.Mixture
    let z: [[Double]]
    let cases: [Case]

    static func load() throws -> ODEParityFixture { try Fixtures.load("ode_parity.json") }

    static let cases: [Case] = (try? load().cases) ?? []
}

@Suite("ODE samplers: parity with diffusers and EDM")
struct ODEParityTests {
    @Test("the fixture is present and covers every reference")
    func fixtureLoads() throws {
        let fixture = try ODEParityFixture.load()
        #expect(fixture.diffusers == "0.42.1")
        #expect(Set(fixture.cases.map { $0.spec.split(separator: ":")[0] }) == ["euler", "heun", "heun-churn", "dpm-solver++"])
        #expect(fixture.cases.count == 11)
    }

    /// The ScoreKit sampler visits the reference's σ's: to 1e-12 when the script computed them
    /// from the schedule's formula, to Float32 rounding when diffusers computed them.
    @Test("same σ's as the reference", arguments: ODEParityFixture.cases)
    func sameSigmas(_ c: ODEParityFixture.Case) throws {
        let sigmas = try #require(sigmaList(try TestKit.sampler(c.spec)))
        let tolerance = c.sigma_precision == "float64" ? 1e-12 : 1e-6
        #expect(sigmas.count == c.sigmas.count)
        for (a, b) in zip(sigmas, c.sigmas) {
            #expect(abs(a / b - 1) < tolerance, "\(c.name): σ \(a) vs reference \(b)")
        }
    }

    /// Final samples within 1e-4 of the reference, relative to its largest value (the references
    /// run in Float32 — diffusers — or Float64 — EDM; ScoreKit's tensors are Float32).
    @Test("final samples match the reference to 1e-4 relative", arguments: ODEParityFixture.cases)
    func matchesReference(_ c: ODEParityFixture.Case) throws {
        let fixture = try ODEParityFixture.load()
        let sampler = try TestKit.sampler(c.spec)
        let noise = ReplayNoise(c.noise.map { Tensor($0) })
        let (x, context) = try TestKit.run(sampler, fixture.mixture.model, z: Tensor(fixture.z), noise: noise)
        let error = TestKit.relativeError(x, Tensor(c.expected))
        #expect(error < 1e-4, "\(c.name) vs \(c.reference): relative error \(error)")
        #expect(context.nfe.allSatisfy { $0 == sampler.plannedNFE })
        #expect(throws: ReplayNoiseError.self) { try noise.normal(rows: nil, shape: [3]) }   // every draw used
    }

    private func sigmaList(_ sampler: any Sampler) -> [Double]? { TestKit.sigmas(of: sampler) }
}
