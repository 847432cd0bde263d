import Foundation
import Testing
@testable import ScoreKitSamplers
import ScoreKit

@Suite("Trajectory capture and schedules on their own")
struct TrajectoryCaptureTests {
    static let model = BuiltinModels.gmm2d

    @Test("A captured trajectory ends at the job's samples, from σ_max to 0, at evenly spaced states",
          arguments: ["heun", "ddpm", "euler-ancestral", "dpm-solver++"])
    func endsAtTheJobsSamples(spec: String) throws {
        let sampler = try SamplerCatalog.standard.sampler(spec).fitted(toNFE: 20).resolved(for: Self.model)
        let job = try SamplingJob(sampler: sampler, model: Self.model, count: 12, seed: 7, budget: 20, threads: 1).run()
        let capture = TrajectoryCapture(sampler: sampler, model: Self.model, seed: 7, budget: 20)
        let frames = try capture.record(indices: Array(0..<5), frames: 4)
        #expect(frames.count == 4)
        #expect(frames.first?.state == 0 && frames.last?.sigma == 0)
        #expect(frames.first!.sigma > 10, "starts at the prior's σ")
        #expect(frames.last!.x.scalars == job.samples.rows(0..<5).scalars, "the same samples as the job")
        #expect(zip(frames, frames.dropFirst()).allSatisfy { $0.sigma > $1.sigma && $0.state < $1.state })
        #expect(frames.dropLast().allSatisfy { $0.denoised?.shape == [5, 2] }, "every state has its estimate")
        let all = try capture.record(indices: Array(0..<5), frames: nil)
        #expect(all.count > frames.count && all.last?.x.scalars == frames.last?.x.scalars)
        #expect(Set(frames.map(\.state)).isSubset(of: Set(all.map(\.state))))
    }

    @Test("A schedule parses with the samplers' keys and gives their σ's")
    func parsing() throws {
        let karras = try NoiseSchedule(parsing: "karras:sigma_min=0.01,sigma_max=10,rho=7", steps: 6)
        #expect(karras.sampleSigmas(steps: 6, modelRange: 0.002...80) == SigmaSchedule.karras(count: 6, sigmaMin: 0.01, sigmaMax: 10, rho: 7))
        let cosine = try NoiseSchedule(parsing: "discrete:betas=cosine", steps: 10)
        #expect(cosine.isVariancePreserving && cosine.table.schedule.betas == DiscreteVPSchedule(betas: .cosine).betas)
        let ddim = try SamplerCatalog.standard.sampler("euler:schedule=discrete,betas=cosine,steps=10") as! any ScheduledSampler
        #expect(cosine.sampleSigmas(steps: 10, modelRange: Self.model.sigmaRange) == ddim.sigmas(for: Self.model))
        #expect(try NoiseSchedule(parsing: "ve", steps: 3).specText.hasPrefix("ve:sigma_min="))
        #expect(!(try NoiseSchedule(parsing: "karras", steps: 3)).isVariancePreserving)
    }

    @Test("Bad schedules are refused naming the kinds or keys", arguments: [
        ("bogus", "unknown kind 'bogus'; valid kinds: karras"),
        ("karras:foo=1", "karras has no key 'foo'; valid keys: sigma_min, sigma_max, rho"),
        ("vp:rho=2", "vp has no key 'rho'; valid keys: none"),
        ("karras:rho=x", "rho=x is invalid; expected"),
        ("karras:rho=2,rho=3", "key 'rho' given twice"),
        ("karras:sigma_min=5,sigma_max=1", "must be below sigma_max"),
        ("discrete:T=5", "exceeds T=5"),
    ])
    func refused(text: String, expected: String) {
        let error = #expect(throws: NoiseScheduleError.self) { _ = try NoiseSchedule(parsing: text, steps: 8) }
        #expect(error?.reason.contains(expected) == true, "\(String(describing: error))")
    }
}
