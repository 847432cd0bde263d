import Foundation
import ScoreKit
@testable import ScoreKitSamplers
import Testing

/// The σ schedules of the ODE samplers (`schedule` key).
@Suite("ODE σ schedules")
struct NoiseLevelsTests {
    static func levels(_ spec: String) throws -> NoiseLevels {
        let euler = try #require(try SamplerCatalog.standard.sampler("euler:" + spec) as? EDMSampler)
        return euler.schedule.levels(steps: euler.steps ?? 50, modelRange: 0...Double.infinity)
    }

    static func close(_ a: [Double], _ b: [Double], _ tolerance: Double = 1e-12) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs($0 / $1 - 1) < tolerance }
    }

    @Test("Karras schedule: endpoints, monotone, ρ-spacing")
    func karras() {
        let s = SigmaSchedule.karras(count: 18)
        #expect(abs(s.first! - 80) < 1e-12 && abs(s.last! - 0.002) < 1e-15)
        #expect(zip(s, s.dropFirst()).allSatisfy { $0 > $1 })
        // σ^{1/ρ} is evenly spaced.
        let roots = s.map { pow($0, 1 / 7.0) }
        let steps = zip(roots, roots.dropFirst()).map { $1 - $0 }
        #expect(steps.allSatisfy { abs($0 - steps[0]) < 1e-12 })
    }

    @Test("VE geometric schedule spans σ_max down to σ(ε)")
    func geometric() {
        let s = SigmaSchedule.geometric(count: 5, sigmaMin: 0.01, sigmaMax: 50, epsilon: 1e-5)
        #expect(abs(s[0] - 50) < 1e-12)
        #expect(abs(s[4] - 0.01 * pow(5000, 1e-5)) < 1e-12)
        let ratios = zip(s, s.dropFirst()).map { $0 / $1 }
        #expect(ratios.allSatisfy { abs($0 - ratios[0]) < 1e-9 })
    }

    @Test("sample's levels follow each schedule's formula")
    func sampleLevels() throws {
        #expect(try Self.levels("steps=18").sampleSigmas == SigmaSchedule.karras(count: 18))
        #expect(try Self.levels("steps=9,rho=3,sigma_min=0.1,sigma_max=20").sampleSigmas
                == SigmaSchedule.karras(count: 9, sigmaMin: 0.1, sigmaMax: 20, rho: 3))
        #expect(try Self.levels("steps=12,schedule=ve").sampleSigmas == SigmaSchedule.geometric(count: 12, sigmaMin: 0.002, sigmaMax: 80))
        let vp = VariancePreservingProcess()
        #expect(Self.close(try Self.levels("steps=12,schedule=vp").sampleSigmas,
                           SigmaSchedule.timeUniform(count: 12, from: 1, to: 1e-3).map(vp.sigma(at:))))
        let table = DiscreteVPSchedule(betas: .cosine, trainSteps: 500)
        #expect(Self.close(try Self.levels("steps=10,schedule=discrete,spacing=trailing,betas=cosine,T=500").sampleSigmas,
                           TimestepSpacing.trailing.timesteps(steps: 10, trainSteps: 500).map(table.sigma(at:))))
    }

    @Test("laid over a row's range: exact ends, descending, the same rule",
          arguments: ["steps=10", "steps=10,schedule=ve", "steps=10,schedule=vp", "steps=10,schedule=discrete",
                      "steps=10,schedule=discrete,spacing=quad", "steps=10,schedule=discrete,spacing=leading"])
    func laid(_ spec: String) throws {
        let levels = try Self.levels(spec)
        for (hi, lo) in [(3.7, 0.002), (500.0, 0.0005), (0.02, 0.019), (157.0, 0.01)] {
            let sigmas = levels.sigmas(count: 10, from: hi, to: lo)
            #expect(sigmas.count == 10 && sigmas.first == hi && sigmas.last == lo)
            #expect(zip(sigmas, sigmas.dropFirst()).allSatisfy { $0 > $1 }, "\(spec) over [\(lo), \(hi)]: \(sigmas)")
        }
        // Laid over sample's own range it gives sample's levels.
        let own = levels.sampleSigmas
        #expect(Self.close(levels.sigmas(count: own.count, from: own[0], to: own[own.count - 1]), own, 1e-9))
    }

    @Test("the discrete table maps timesteps to σ and back, past both ends")
    func discreteTable() {
        let schedule = DiscreteVPSchedule()
        let table = DiscreteSigmaTable(schedule)
        for t in [0, 1, 17, 500, 998, 999] {
            #expect(abs(table.sigma(atTime: Double(t)) / schedule.sigma(at: t) - 1) < 1e-12)
            #expect(abs(table.time(atSigma: schedule.sigma(at: t)) - Double(t)) < 1e-9)
        }
        for t in [-40.0, -0.5, 3.25, 640.6, 1200] {
            #expect(abs(table.time(atSigma: table.sigma(atTime: t)) - t) < 1e-9)
        }
        // Between entries, linear in log σ.
        let mid = table.sigma(atTime: 100.5)
        #expect(abs(log(mid) - 0.5 * (log(schedule.sigma(at: 100)) + log(schedule.sigma(at: 101)))) < 1e-12)
    }

    /// One step straight to σ = 0 from the prior σ_0·z: the output is D(σ_0·z; σ_0).
    @Test("sample starts from the first level's prior", arguments: ["karras", "ve", "vp", "discrete"])
    func prior(_ schedule: String) throws {
        let euler = try #require(try TestKit.sampler("euler:steps=1,schedule=\(schedule)") as? EDMSampler)
        let sigmas = try #require(TestKit.sigmas(of: euler)), sigma0 = sigmas[0]
        #expect(sigmas.count == 1)
        let model = SingleGaussian.standard.model, z = try TestKit.normals(rows: 4, dimension: 4)
        let (x, _) = try TestKit.run(euler, model, z: z)
        #expect(x == (try model.denoise(sigma0 * z, sigma: Array(repeating: sigma0, count: 4))))
        let expected = ["karras": 80, "ve": 80, "vp": VariancePreservingProcess().sigma(at: 1),
                        "discrete": DiscreteVPSchedule().sigma(at: 0)][schedule]!
        #expect(abs(sigma0 / expected - 1) < 1e-12)
    }
}
