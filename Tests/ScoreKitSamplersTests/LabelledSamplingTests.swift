import Foundation
import Testing
import ScoreKit

/// Labels through a sampling run: keyed by sample index, checked before any work, passed to
/// the model at every call, and counted as calls (NFE) and network rows.
@Suite("labelled sampling runs")
struct LabelledSamplingTests {
    static let model = BuiltinModels.gmm2d

    static func job(_ spec: String, model: any Denoiser = model, labels: SampleLabels?, count: Int = 24, batch: Int = 10_000,
                    threads: Int = 1, firstIndex: Int = 0, nfe: Int? = nil) throws -> SamplingJob {
        var sampler = try SamplerCatalog.standard.sampler(spec)
        if let nfe { sampler = try sampler.fitted(toNFE: nfe) }
        return SamplingJob(sampler: sampler.resolved(for: model), model: model, count: count, seed: 5, batchSize: batch,
                           budget: nfe, firstIndex: firstIndex, noiseLevelEstimator: Self.model.noiseLevelPosterior(),
                           threads: threads, labels: labels)
    }

    @Test("a label steers every sample to its component (gmm2d: class 1 is the mode at (−5, −5))")
    func labelSteers() throws {
        let result = try Self.job("heun", labels: .all(1), count: 50).run()
        let modes = Self.model.component(of: result.samples)
        #expect(modes.allSatisfy { $0 == 1 }, "\(modes.filter { $0 != 1 }.count) of 50 left class 1")
        let cycled = try Self.job("heun", labels: .cycled([0, 1, 1]), count: 30).run()
        #expect(Self.model.component(of: cycled.samples) == (0..<30).map { [0, 1, 1][$0 % 3] })
    }

    @Test("a guided heun run costs two network rows per call; with an interval, exactly the calls inside it")
    func networkRows() throws {
        let guided = try ClassifierFreeGuidance(base: Self.model, weight: 2)
        let run = try Self.job("heun", model: guided, labels: .all(0), nfe: 19).run()
        #expect(run.nfe.allSatisfy { $0 == 19 })
        #expect(run.networkRows == run.nfe.map { 2 * $0 })
        // The σ's of heun's 19 calls, from an unguided run's log, decide which calls guide.
        let spy = CallLog(base: Self.model)
        _ = try Self.job("heun", model: spy, labels: .all(0), count: 1, nfe: 19).run()
        let callSigmas = spy.calls.map { $0.sigma[0] }
        #expect(callSigmas.count == 19)
        let interval = 0.5...5.0
        let inside = callSigmas.filter { interval.contains($0) }.count
        #expect(inside > 0 && inside < 19)
        let banded = try ClassifierFreeGuidance(base: Self.model, weight: 2, interval: interval)
        let partly = try Self.job("heun", model: banded, labels: .all(0), count: 6, nfe: 19).run()
        #expect(partly.networkRows == Array(repeating: 19 + inside, count: 6))
        #expect(partly.summary.networkRows == CountSummary(Array(repeating: 19 + inside, count: 6)))
        // Unlabelled samples run one branch.
        let unlabelled = try Self.job("heun", model: guided, labels: nil, count: 4, nfe: 19).run()
        #expect(unlabelled.networkRows == unlabelled.nfe)
    }

    @Test("labelled guided runs give the same bits whatever the batch, threads or shard",
          arguments: ["heun", "dpm-solver++", "euler-ancestral", "dlg:chains=8,skip=2,init.steps=3,burn-in=2"])
    func batchInvariance(_ spec: String) throws {
        let guided = try ClassifierFreeGuidance(base: Self.model, weight: 1.5, interval: 0.2...20)
        let labels = SampleLabels.cycled([1, 0, 0, 1, 1])
        let one = try Self.job(spec, model: guided, labels: labels, count: 24, batch: 24, threads: 1, nfe: 12).run()
        let split = try Self.job(spec, model: guided, labels: labels, count: 24, batch: 5, threads: 3, nfe: 12).run()
        #expect(one.samples == split.samples && one.nfe == split.nfe && one.networkRows == split.networkRows, "\(spec)")
        let tail = try Self.job(spec, model: guided, labels: labels, count: 10, batch: 4, threads: 2, firstIndex: 14, nfe: 12).run()
        #expect(tail.samples == one.samples.rows(14..<24), "\(spec): a shard's rows differ")
        let perSample = SampleLabels.perSample((0..<24).map { [1, 0, 0, 1, 1][$0 % 5] })
        let listed = try Self.job(spec, model: guided, labels: perSample, count: 24, batch: 7, threads: 2, nfe: 12).run()
        #expect(listed.samples == one.samples, "\(spec): a per-sample list and the cycled list differ")
    }

    @Test("DLG: each chain runs conditioned on the label of the sample it is making, and so does the rest")
    func dlgLabels() throws {
        let result = try Self.job("dlg:chains=8,skip=2,init.steps=3,burn-in=2", labels: .all(1), count: 16, nfe: 12).run()
        #expect(Self.model.component(of: result.samples).allSatisfy { $0 == 1 })
        #expect(result.networkRows == result.nfe)
    }

    @Test("labels that do not fit are refused before any work, in one line")
    func refused() throws {
        let plain = NaNBelowSigma(base: Self.model, below: 0)
        let cases: [(SamplingJob, String)] = [
            (try Self.job("heun", model: plain, labels: .all(0)), "the model is not conditional: it takes no class labels (and no guidance)"),
            (try Self.job("heun", labels: .all(2)), "label 2 is out of range: the model's labels are 0..<2 (0…1)"),
            (try Self.job("heun", labels: .cycled([0, -1])), "label -1 is out of range: the model's labels are 0..<2 (0…1)"),
            (try Self.job("heun", labels: .perSample([0, 1]), count: 3),
             "the per-sample label list has 2 labels; the run's samples need 3 (one per sample)"),
            (try Self.job("heun", labels: .cycled([])), "the label list is empty"),
        ]
        for (job, message) in cases {
            #expect { _ = try job.run() } throws: { ($0 as? LabelError)?.description == message && $0.localizedDescription == message }
        }
    }
}
