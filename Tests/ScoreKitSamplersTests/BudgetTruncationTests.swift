import Foundation
import ScoreKit
import Testing

/// Issue 12's example: rk45 under a budget stopped early and denoised from a large σ without a
/// word. The run now reports how many samples stopped early and where.
@Suite("adaptive samplers report a budget that truncates")
struct BudgetTruncationTests {
    /// A 3-D Gaussian with standard deviations 0.5, 1, 2.
    static let gaussian = try! GaussianMixture(weights: [1], means: [[0, 0, 0]], stds: [[0.5, 1, 2]])

    @Test("rk45 at 50 NFE: every sample stopped early, reported in the result and the summary", arguments: ["rk45", "dpm-adaptive:rtol=0.0005,atol=0.0005"])
    func truncated(_ spec: String) throws {
        let sampler = try SamplerCatalog.standard.sampler(spec).resolved(for: Self.gaussian)
        let job = SamplingJob(sampler: sampler, model: Self.gaussian, count: 40, seed: 3, batchSize: 16, budget: 50, threads: 2)
        let result = try job.run()
        #expect(result.nfe.allSatisfy { $0 <= 50 })
        #expect(result.stoppedAt.allSatisfy { $0 != nil })
        let stops = result.earlyStops
        #expect(stops.count == 40 && stops.sigmaMin > 0.002 && stops.sigmaMin <= stops.sigmaMean && stops.sigmaMean <= stops.sigmaMax)
        #expect(result.summary.earlyStops == stops)
        final class Sink: SampleSink { func receive(_ samples: Tensor, at positions: [Int]) throws {} }
        let streamed = try job.run(into: Sink()).earlyStops      // added batch by batch: the mean to rounding
        #expect(streamed.count == stops.count && streamed.sigmaMin == stops.sigmaMin && streamed.sigmaMax == stops.sigmaMax)
        #expect(abs(streamed.sigmaMean - stops.sigmaMean) <= 1e-12 * stops.sigmaMean)
    }

    @Test("without a budget, or with enough, nothing is reported")
    func complete() throws {
        let sampler = try SamplerCatalog.standard.sampler("rk45:rtol=1e-3,atol=1e-3").resolved(for: Self.gaussian)
        for budget in [nil, 10_000] as [Int?] {
            let result = try SamplingJob(sampler: sampler, model: Self.gaussian, count: 8, seed: 3, budget: budget, threads: 1).run()
            #expect(result.earlyStops.count == 0 && result.stoppedAt.allSatisfy { $0 == nil })
        }
    }

    /// Some rows stop, others finish: only those are counted (a budget one call short of what
    /// the hungriest rows need).
    @Test("only the samples that ran out are counted")
    func partial() throws {
        let sampler = try SamplerCatalog.standard.sampler("rk45:rtol=1e-4,atol=1e-4").resolved(for: Self.gaussian)
        let free = try SamplingJob(sampler: sampler, model: Self.gaussian, count: 30, seed: 5, threads: 1).run()
        let needs = free.nfe.sorted()
        try #require(needs.first! < needs.last!)
        let budget = needs.last! - 1
        let capped = try SamplingJob(sampler: sampler, model: Self.gaussian, count: 30, seed: 5, budget: budget, threads: 1).run()
        let expected = free.nfe.filter { $0 > budget }.count
        #expect(capped.earlyStops.count == expected && expected > 0)
        for (need, stop) in zip(free.nfe, capped.stoppedAt) { #expect((stop != nil) == (need > budget)) }
    }
}
