import Foundation
import Testing
import ScoreKit

/// DDPM and DDIM against diffusers' DDPMScheduler and DDIMScheduler on the same closed-form
/// denoiser, initial noise and injected noise (`scripts/fixtures_discrete_vp.py`).
@Suite("Discrete VP parity with diffusers")
struct DiscreteVPParityTests {
    struct Case: Decodable, Sendable, CustomTestStringConvertible {
        let sampler: String, spacing: String, steps: Int
        let eta: Double?, variance: String?
        let timesteps: [Int]
        let z: [[Double]], noise: [[[Double]]], expected: [[Double]]
        /// A table other than DDPM's linear 1e-4…0.02 over T = 1000.
        let table: Table?
        struct Table: Decodable, Sendable { let betas: String, T: Int, beta_start: Double, beta_end: Double }

        var spec: String {
            "\(sampler):steps=\(steps),spacing=\(spacing)" + (eta.map { ",eta=\($0)" } ?? "")
                + (variance.map { ",variance=\($0)" } ?? "")
                + (table.map { ",betas=\($0.betas),T=\($0.T),beta_start=\($0.beta_start),beta_end=\($0.beta_end)" } ?? "")
        }
        var testDescription: String { spec }
    }
    struct Grid: Decodable, Sendable, CustomTestStringConvertible {
        let spacing: String, steps: Int, timesteps: [Int]
        var testDescription: String { "\(spacing), \(steps) steps" }
    }
    struct File: Decodable, Sendable {
        let mixture: Fixtures.Mixture, cases: [Case]
        let alphas_cumprod: [String: [Double]], spacings: [Grid]
    }

    static let file = try! Fixtures.load("discrete_vp_parity.json", as: File.self)

    @Test("matches the reference to 1e-4 relative", arguments: file.cases)
    func parity(_ c: Case) throws {
        let sampler = try SamplerCatalog.standard.sampler(c.spec)
        let timesteps = (sampler as? DDIM)?.visited ?? (sampler as! DDPM).visited
        #expect(timesteps == c.timesteps, "timestep grid differs from diffusers'")

        let noise = ReplayNoise(c.noise.map { Tensor($0) })
        let (x, context) = try TestKit.run(sampler, Self.file.mixture.model, z: Tensor(c.z), noise: noise)
        let error = TestKit.relativeError(x, Tensor(c.expected))
        #expect(error < 1e-4, "relative error \(error)")
        #expect(context.nfe.allSatisfy { $0 == c.steps })
    }
}

/// The schedule tables and timestep grids themselves.
@Suite("Discrete VP schedules match diffusers")
struct DiscreteVPScheduleTests {
    @Test("ᾱ_t for linear, cosine and sigmoid betas", arguments: DiscreteVPSchedule.Betas.allCases)
    func alphasCumprod(_ betas: DiscreteVPSchedule.Betas) throws {
        let reference = try #require(DiscreteVPParityTests.file.alphas_cumprod[betas.rawValue])
        let ours = DiscreteVPSchedule(betas: betas).alphasCumprod
        // diffusers accumulates the product in float32: agreement to float32 precision.
        let worst = zip(ours, reference).map { abs($0 - $1) / $1 }.max()!
        #expect(worst < 2e-5, "worst relative difference \(worst)")
    }

    @Test("timestep grids", arguments: DiscreteVPParityTests.file.spacings)
    func grid(_ g: DiscreteVPParityTests.Grid) throws {
        let spacing = try #require(TimestepSpacing(rawValue: g.spacing))
        #expect(spacing.timesteps(steps: g.steps, trainSteps: 1000) == g.timesteps)
    }

    @Test("quad spacing is DDIM's quadratic skip, without repeats")
    func quad() {
        #expect(TimestepSpacing.quad.timesteps(steps: 10, trainSteps: 1000) == [800, 632, 483, 355, 246, 158, 88, 39, 9, 0])
        let many = TimestepSpacing.quad.timesteps(steps: 100, trainSteps: 1000)
        #expect(Set(many).count == many.count && many.count < 100 && many.first == 800 && many.last == 0)
    }
}
