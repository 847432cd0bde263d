import Foundation
import ScoreKit
import Testing

/// `Tests/Fixtures/multistep_parity.json`, written by `scripts/fixtures_multistep.py`: final
/// samples of diffusers' DPM-Solver++ (orders 1–3), UniPC (bh1/bh2, orders 1–3, corrector on
/// and off) and DEIS (orders 1–3) schedulers, and of k-diffusion's DPM-Solver++(2M/3M) SDE with
/// replayed noise, on a closed-form Gaussian-mixture denoiser from the same z and σ's.
struct MultistepParityFixture: Decodable {
    let diffusers: String
    let mixture: Fixtures.Mixture
    /// diffusers' `DPMSolverMultistepScheduler().set_timesteps(n)` timesteps, by n.
    let linspace_timesteps: [String: [Int]]
    let z: [[Double]]
    let cases: [ODEParityFixture.Case]

    static func load() throws -> MultistepParityFixture { try Fixtures.load("multistep_parity.json") }

    static let cases: [ODEParityFixture.Case] = (try? load().cases) ?? []
}

@Suite("Multistep solvers: parity with diffusers and k-diffusion")
struct MultistepParityTests {
    @Test("the fixture is present and covers every configuration")
    func fixtureLoads() throws {
        let fixture = try MultistepParityFixture.load()
        #expect(fixture.diffusers == "0.42.1")
        let specs = try fixture.cases.map { try SamplerCatalog.standard.sampler($0.spec) }
        let unipc = specs.compactMap { $0 as? UniPC }
        for variant in UniPC.Variant.allCases {
            for order in 1...3 {
                for corrector in [true, false] {
                    let steps = Set(unipc.filter { $0.variant == variant && $0.order == order && $0.corrector == corrector }.compactMap(\.plannedNFE))
                    #expect(steps.contains { $0 < 15 } && steps.contains { $0 >= 15 }, "unipc \(variant) \(order) \(corrector): \(steps)")
                }
            }
        }
        for order in 1...3 {
            let deis = Set(specs.compactMap { $0 as? DEIS }.filter { $0.order == order }.compactMap(\.plannedNFE))
            let dpm = Set(specs.compactMap { $0 as? DPMSolverPlusPlus }.filter { $0.order == order && !$0.sde }.compactMap(\.plannedNFE))
            #expect(deis.contains { $0 < 15 } && deis.contains { $0 >= 15 }, "deis \(order): \(deis)")
            #expect(dpm.contains { $0 < 15 } && dpm.contains { $0 >= 15 }, "dpm-solver++ \(order): \(dpm)")
        }
        let sde = specs.compactMap { $0 as? DPMSolverPlusPlus }.filter(\.sde)
        #expect(Set(sde.map(\.order)) == [2, 3] && Set(sde.map(\.solverType)) == [.midpoint, .heun])
    }

    /// diffusers' multistep schedulers' default timesteps (999, 899, …, 500, 400, …, 100).
    @Test("spacing=linspace-no-zero gives diffusers' multistep timesteps")
    func linspaceNoZero() throws {
        let fixture = try MultistepParityFixture.load()
        for (n, expected) in fixture.linspace_timesteps {
            #expect(TimestepSpacing.linspaceNoZero.timesteps(steps: Int(n)!, trainSteps: 1000) == expected)
        }
        #expect(TimestepSpacing.linspaceNoZero.timesteps(steps: 10, trainSteps: 1000) == [999, 899, 799, 699, 599, 500, 400, 300, 200, 100])
    }

    /// The ScoreKit sampler visits the reference's σ's: to 1e-12 when the script computed them
    /// in Float64, to Float32 rounding of the σ's diffusers stores, and to 1e-5 where diffusers
    /// takes them from its DDPM table — a Float32 cumulative product of 1000 factors, 2.8e-6
    /// from the Float64 table ScoreKit computes.
    @Test("same σ's as the reference", arguments: MultistepParityFixture.cases)
    func sameSigmas(_ c: ODEParityFixture.Case) throws {
        let sigmas = try #require(Self.sigmas(of: try SamplerCatalog.standard.sampler(c.spec)))
        let tolerance = ["float64": 1e-12, "float32": 1e-6, "float32-table": 1e-5][c.sigma_precision]!
        #expect(sigmas.count == c.sigmas.count)
        for (a, b) in zip(sigmas, c.sigmas) {
            #expect(abs(a / b - 1) < tolerance, "\(c.name): σ \(a) vs reference \(b)")
        }
    }

    /// Final samples within 1e-4 of the reference, relative to its largest value; every
    /// replayed draw used, NFE = steps.
    @Test("final samples match the reference to 1e-4 relative", arguments: MultistepParityFixture.cases)
    func matchesReference(_ c: ODEParityFixture.Case) throws {
        let fixture = try MultistepParityFixture.load()
        let sampler = try SamplerCatalog.standard.sampler(c.spec)
        let noise = ReplayNoise(c.noise.map { Tensor($0) })
        let (x, context) = try TestKit.run(sampler, fixture.mixture.model, z: Tensor(fixture.z), noise: noise)
        let error = TestKit.relativeError(x, Tensor(c.expected))
        #expect(error < 1e-4, "\(c.name) vs \(c.reference): relative error \(error)")
        #expect(context.nfe.allSatisfy { $0 == sampler.plannedNFE && $0 == c.sigmas.count })
        #expect(throws: ReplayNoiseError.self) { try noise.normal(rows: nil, shape: [3]) }
    }

    static func sigmas(of sampler: any Sampler) -> [Double]? {
        let model = SingleGaussian.standard.model
        return (sampler as? DPMSolverPlusPlus)?.sigmas(for: model) ?? (sampler as? UniPC)?.sigmas(for: model)
            ?? (sampler as? DEIS)?.sigmas(for: model)
    }
}
