import Foundation
import Testing
import ScoreKit

extension Tag {
    /// Tests on trained networks that compare runs with different batch compositions. They
    /// pass only once the network kernels are batch-invariant (a row's bits independent of the
    /// other rows in its batch) — the kernel rewrite in progress; until then they fail.
    @Tag static var needsBatchInvariantKernels: Tag
}

/// `SamplingJob` on several workers: the same bits as one worker, for every sampler.
@Suite("parallel sampling job")
struct ParallelJobTests {
    /// Every catalog sampler with settings small enough for a quick run (DLG's chains shortened).
    static let specs: [String] = SamplerCatalog.standard.names.map {
        $0 == "dlg" ? "dlg:chains=8,skip=2,init.steps=3,burn-in=2" : $0
    }

    /// Runs `spec` on `model` with `threads` workers and the given batch size.
    static func run(_ spec: String, _ model: LoadedModel, count: Int, nfe: Int, batch: Int, threads: Int) throws -> SamplingResult {
        let sampler = try SamplerCatalog.standard.sampler(spec).fitted(toNFE: nfe)
        return try SamplingJob(sampler: sampler, model: model.denoiser, count: count, seed: 11, batchSize: batch, budget: nfe,
                               noiseLevelEstimator: model.noiseLevelEstimator, threads: threads).run()
    }

    /// Samples, per-sample NFE and classifier calls agree bit for bit.
    static func expectSame(_ a: SamplingResult, _ b: SamplingResult, _ label: String) {
        let differing = zip(a.samples.scalars, b.samples.scalars).filter { $0.bitPattern != $1.bitPattern }.count
        #expect(a.samples.shape == b.samples.shape && differing == 0, "\(label): \(differing) of \(a.samples.count) values differ")
        #expect(a.nfe == b.nfe && a.classifierCalls == b.classifierCalls, "\(label): counts differ")
    }

    @Test("gmm2d: one thread, every core and three threads give the same bits", arguments: specs)
    func exactModel(_ spec: String) throws {
        let model = try ModelLoader.load("gmm2d")
        let one = try Self.run(spec, model, count: 40, nfe: 20, batch: 6, threads: 1)
        Self.expectSame(one, try Self.run(spec, model, count: 40, nfe: 20, batch: 6, threads: ActiveCores.count), "\(spec) default")
        Self.expectSame(one, try Self.run(spec, model, count: 40, nfe: 20, batch: 10_000, threads: 3), "\(spec) 3 threads")
    }

    // Needs batch-invariant network kernels: with 1 and 2 workers the batches hold different rows.
    @Test("moons (trained MLP): one thread and two give the same bits", .tags(.needsBatchInvariantKernels), arguments: specs)
    func moons(_ spec: String) throws {
        let model = try ModelLoader.load("moons")
        Self.expectSame(try Self.run(spec, model, count: 24, nfe: 12, batch: 5, threads: 1),
                        try Self.run(spec, model, count: 24, nfe: 12, batch: 5, threads: max(2, ActiveCores.count)), spec)
    }

    // Needs batch-invariant network kernels: with 1 and 2 workers the batches hold different rows.
    @Test("digits (trained U-Net): one thread and two give the same bits", .tags(.needsBatchInvariantKernels), arguments: specs)
    func digits(_ spec: String) throws {
        let model = try ModelLoader.load("digits")
        Self.expectSame(try Self.run(spec, model, count: 6, nfe: 12, batch: 2, threads: 1),
                        try Self.run(spec, model, count: 6, nfe: 12, batch: 2, threads: max(2, ActiveCores.count)), spec)
    }

    @Test("run(into:) hands every sample over once, and its summary matches run()'s")
    func sink() throws {
        final class Collector: SampleSink {
            var rows: [Int: [Float]] = [:]
            func receive(_ samples: Tensor, at positions: [Int]) throws {
                for (r, p) in positions.enumerated() {
                    #expect(rows[p] == nil, "position \(p) delivered twice")
                    rows[p] = Array(samples.row(r))
                }
            }
        }
        let model = try ModelLoader.load("gmm2d")
        let sampler = try SamplerCatalog.standard.sampler("dlg:chains=8,skip=2,init.steps=3,burn-in=2").fitted(toNFE: 12)
        let job = SamplingJob(sampler: sampler, model: model.denoiser, count: 50, seed: 4, batchSize: 9, firstIndex: 30,
                              noiseLevelEstimator: model.noiseLevelEstimator, threads: 2)
        let collector = Collector()
        let summary = try job.run(into: collector)
        let full = try job.run()
        #expect(collector.rows.count == 50)
        #expect((0..<50).flatMap { collector.rows[$0] ?? [] } == full.samples.scalars)
        let expected = full.summary
        #expect(summary.nfe == expected.nfe && summary.classifierCalls == expected.classifierCalls)
        #expect(summary.nfeByPart == expected.nfeByPart && summary.sharedNFE == expected.sharedNFE)
        #expect(summary.diagnostics == expected.diagnostics && summary.count == 50)
    }

    @Test("DLG batches keep each chain's samples together, within the batch size, and its shared NFE does not depend on the threads")
    func dlgBatches() throws {
        let dlg = try SamplerCatalog.standard.sampler("dlg:chains=16,skip=2,init.steps=3,burn-in=2").fitted(toNFE: 12)
        let batches = dlg.batches(of: 5..<205, batchSize: 30, workers: 2)
        #expect(batches.flatMap { $0 }.sorted() == Array(5..<205))
        #expect(batches.allSatisfy { $0.count <= 30 } && batches.count >= 2)
        for chain in 0..<16 {
            #expect(batches.filter { $0.contains { $0 % 16 == chain } }.count == 1, "chain \(chain) is split")
        }
        let model = try ModelLoader.load("gmm2d")
        // 192 = 12 rounds of 16 chains: every chain runs the same rounds however chains are packed
        // (with a partial last round, a batch runs all its chains to its longest chain's end).
        let shared = try [1, 2, 3].map { threads in
            try SamplingJob(sampler: dlg, model: model.denoiser, count: 192, seed: 1, batchSize: 1000,
                            noiseLevelEstimator: model.noiseLevelEstimator, threads: threads).run().sharedNFE
        }
        #expect(shared[0] == shared[1] && shared[1] == shared[2], "\(shared)")
        #expect(shared[0]["initialisation"].map { $0 > 0 } == true)
    }

    @Test("fewer samples than batch × threads: every worker gets a batch; otherwise none exceeds the batch size")
    func contiguousBatches() {
        #expect(BatchPlan.contiguous(0..<10, batchSize: 100, workers: 4).map(\.count) == [2, 3, 2, 3])
        let big = BatchPlan.contiguous(3..<25_003, batchSize: 10_000, workers: 2)
        #expect(big.count == 4 && big.allSatisfy { $0.count == 6250 } && big.flatMap { $0 } == Array(3..<25_003))
        #expect(BatchPlan.contiguous(0..<3, batchSize: 10, workers: 8).count == 3)
    }

    @Test("progress adds up across workers: fractions stay within 0…1 and reach the end")
    func progress() throws {
        let model = try ModelLoader.load("gmm2d")
        let sampler = try SamplerCatalog.standard.sampler("ddim:steps=10")
        var fractions: [Double] = []
        _ = try SamplingJob(sampler: sampler, model: model.denoiser, count: 100, seed: 0, batchSize: 10, threads: 3)
            .run { p, _ in fractions.append(p.fraction) }
        #expect(fractions.count == 12 * 10)                 // 12 batches (a multiple of 3 workers) × 10 steps
        #expect(fractions.allSatisfy { (0...1).contains($0) } && fractions.max()! >= 0.9)
    }

    @Test("threads below 1 is refused with a clear message")
    func badThreads() throws {
        let model = try ModelLoader.load("gmm2d")
        let job = SamplingJob(sampler: try SamplerCatalog.standard.sampler("ddim"), model: model.denoiser, count: 4, threads: 0)
        #expect(throws: SamplingError.invalidInput("threads must be at least 1, got 0")) { try job.run() }
    }
}
