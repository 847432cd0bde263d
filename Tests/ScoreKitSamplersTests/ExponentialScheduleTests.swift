import Foundation
import ScoreKit
@testable import ScoreKitSamplers
import Testing

/// The `exponential` and `polyexponential` schedules beyond k-diffusion's lists (which
/// `AncestralParityTests` checks): their keys, and the same rule laid over a row's own range.
@Suite("Exponential σ schedules")
struct ExponentialScheduleTests {
    static func schedule(_ spec: String) throws -> NoiseSchedule {
        try #require(try SamplerCatalog.standard.sampler("ipndm:" + spec) as? IPNDM).schedule
    }

    @Test("keys: σ range from the model when unset, ρ 1 by default, kept when the kind changes")
    func keys() throws {
        #expect(try Self.schedule("schedule=exponential") == .exponential())
        #expect(try Self.schedule("schedule=polyexponential") == .polyexponential(rho: 1))
        #expect(try Self.schedule("schedule=polyexponential,rho=3,sigma_max=10") == .polyexponential(sigmaMax: 10, rho: 3))
        #expect(IPNDM(schedule: .exponential()).spec == "ipndm:order=4,steps=auto,schedule=exponential,sigma_min=auto,sigma_max=auto")
        #expect(NoiseSchedule.polyexponential().resolved(modelRange: 0.01...20) == .polyexponential(sigmaMin: 0.01, sigmaMax: 20, rho: 1))
        var s = NoiseSchedule.karras(sigmaMin: 0.1, sigmaMax: 5)
        s.kind = .polyexponential
        #expect(s == .polyexponential(sigmaMin: 0.1, sigmaMax: 5, rho: 1))
        #expect { try Self.schedule("schedule=exponential,sigma_min=9,sigma_max=8") } throws: {
            String(describing: $0).contains("sigma_min=9 must be below sigma_max=8")
        }
    }

    @Test("ρ = 1 is the exponential schedule; ρ > 1 crowds the levels towards σ_min")
    func rho() {
        let exponential = SigmaSchedule.polyExponential(count: 12, sigmaMin: 0.002, sigmaMax: 80)
        let logs = exponential.map(log)
        let steps = zip(logs, logs.dropFirst()).map { $0 - $1 }
        #expect(steps.allSatisfy { abs($0 - steps[0]) < 1e-12 })
        let crowded = SigmaSchedule.polyExponential(count: 12, sigmaMin: 0.002, sigmaMax: 80, rho: 3)
        #expect(crowded.first == exponential.first && abs(crowded.last! / 0.002 - 1) < 1e-12)
        #expect(zip(crowded, exponential).dropFirst().dropLast().allSatisfy { $0 < $1 })
    }

    @Test("laid over a row's range: exact ends, descending, sample's levels over sample's range",
          arguments: ["steps=10,schedule=exponential", "steps=10,schedule=polyexponential,rho=2.5"])
    func laid(_ spec: String) throws {
        let levels = try Self.schedule(spec).levels(steps: 10, modelRange: 0...Double.infinity)
        for (hi, lo) in [(3.7, 0.002), (500.0, 0.0005), (0.02, 0.019)] {
            let sigmas = levels.sigmas(count: 10, from: hi, to: lo)
            #expect(sigmas.count == 10 && sigmas.first == hi && sigmas.last == lo)
            #expect(zip(sigmas, sigmas.dropFirst()).allSatisfy { $0 > $1 })
        }
        let own = levels.sampleSigmas
        let again = levels.sigmas(count: own.count, from: own[0], to: own[own.count - 1])
        #expect(zip(again, own).allSatisfy { abs($0 / $1 - 1) < 1e-12 })
    }
}
