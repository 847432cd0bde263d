import Foundation
import Testing
import ScoreKit

// BEGIN library.md async example
/// The same draw from a task, printing progress as it goes.
func drawSamplesAsync() async throws -> Tensor {
    let sampler = try SamplerCatalog.standard.sampler("ddim:eta=0").fitted(toNFE: 25)
    let job = SamplingJob(sampler: sampler, model: ShiftedGaussian(), count: 1000, seed: 42, budget: 25)
    let result = try await job.run { progress in     // or just `try await job.run()`
        for await p in progress { print("\(Int(p.fraction * 100))% done") }
    }
    return result.samples
}

/// Cancelling the task stops the job within a step; `run` then throws `CancellationError`.
func drawAndCancel() async {
    let task = Task { try await drawSamplesAsync() }
    task.cancel()
    do { _ = try await task.value } catch { print(error is CancellationError ? "cancelled" : "\(error)") }
}
// END library.md async example

/// Counts a job's denoiser calls (from any worker) and announces the first one.
final class CallCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var calls = 0
    private let announce: AsyncStream<Void>.Continuation
    /// Yields once, at the first call.
    let firstCall: AsyncStream<Void>

    init() { (firstCall, announce) = AsyncStream.makeStream(of: Void.self) }

    /// Counts a call; returns the number of calls so far.
    func record() -> Int {
        let n = lock.withLock { calls += 1; return calls }
        if n == 1 { announce.yield(); announce.finish() }
        return n
    }

    var count: Int { lock.withLock { calls } }
}

/// The last progress update a consumer saw (written from a `@Sendable` closure).
final class LastProgress: @unchecked Sendable {
    private let lock = NSLock()
    private var value: SamplingJob.Progress?
    func record(_ p: SamplingJob.Progress) { lock.withLock { value = p } }
    var last: SamplingJob.Progress? { lock.withLock { value } }
}

/// `base`, counted; its output turns NaN from call `nanFrom` on (if given).
struct CountedDenoiser: Denoiser {
    let base: any Denoiser
    let counter: CallCounter
    var nanFrom: Int?
    var sampleShape: [Int] { base.sampleShape }
    var sigmaRange: ClosedRange<Double> { base.sigmaRange }

    func denoise(_ x: Tensor, sigma: [Double]) throws -> Tensor {
        let call = counter.record()
        var out = try base.denoise(x, sigma: sigma)
        if let nanFrom, call >= nanFrom { out.scalars[0] = .nan }
        return out
    }
}

/// Keeps every row a job hands over, by position.
final class RowCollector: SampleSink {
    var rows: [Int: [Float]] = [:]
    func receive(_ samples: Tensor, at positions: [Int]) throws {
        for (r, p) in positions.enumerated() { rows[p] = Array(samples.row(r)) }
    }
}

/// Main-actor state a progress loop updates (as a user interface would).
@MainActor final class ProgressView {
    var fraction = 0.0
}

/// `SamplingJob` from Swift concurrency: `try await job.run()`, progress, cancellation.
@Suite("async sampling job")
struct AsyncJobTests {
    struct Stop: Error {}

    /// A job of `spec` on the counted gmm2d model.
    static func job(_ spec: String, nfe: Int, count: Int, counter: CallCounter, nanFrom: Int? = nil,
                    batch: Int = 10_000, threads: Int = 2) throws -> SamplingJob {
        let sampler = try SamplerCatalog.standard.sampler(spec).fitted(toNFE: nfe)
        let gmm = try ModelLoader.load("gmm2d").denoiser
        return SamplingJob(sampler: sampler, model: CountedDenoiser(base: gmm, counter: counter, nanFrom: nanFrom),
                           count: count, seed: 5, batchSize: batch, threads: threads)
    }

    /// A job far too long to finish during a test: 10⁶ Langevin steps for each of two batches.
    /// Far more calls per sample than any test waits for (the stop must come first, however
    /// loaded the machine is: on two busy cores a 10⁶-call job can finish before the consuming
    /// task is first scheduled).
    static let endlessNFE = 50_000_000

    static func endless(_ counter: CallCounter) throws -> SamplingJob {
        try job("langevin", nfe: endlessNFE, count: 4, counter: counter, batch: 2)
    }

    @Test("run() and run(into:) give the bits and counts of the synchronous runs")
    func sameAsSynchronous() async throws {
        let job = try Self.job("ddim", nfe: 20, count: 40, counter: CallCounter(), batch: 7)
        let sync = try job.run(progress: nil)
        let awaited = try await job.run()
        let differing = zip(sync.samples.scalars, awaited.samples.scalars).filter { $0.bitPattern != $1.bitPattern }.count
        #expect(awaited.samples.shape == sync.samples.shape && differing == 0, "\(differing) values differ")
        #expect(awaited.nfe == sync.nfe && awaited.nfe.allSatisfy { $0 == 20 })

        let sink = RowCollector()
        let summary = try await job.run(into: sink)
        #expect((0..<40).flatMap { sink.rows[$0] ?? [] } == sync.samples.scalars)
        #expect(summary.nfe == sync.summary.nfe)
    }

    @Test("the progress stream delivers updates in order and finishes with the job at fraction 1")
    func progress() async throws {
        let job = try Self.job("ddim", nfe: 50, count: 30, counter: CallCounter(), batch: 4)
        var seen: [SamplingJob.Progress] = []
        let result = try await job.run { progress in
            for await p in progress { seen.append(p) }
        }
        #expect(result.samples.rows == 30)
        let last = try #require(seen.last)
        #expect(last.fraction == 1 && last.samplesDone == 30 && last.samples == 30)
        #expect(seen.allSatisfy { (0...1).contains($0.fraction) })
        #expect(zip(seen, seen.dropFirst()).allSatisfy { $0.fraction <= $1.fraction }, "fractions went backwards")
        #expect(seen.dropLast().allSatisfy { $0.fraction < 1 })    // only the closing update says done
    }

    @Test("cancelling the task stops a long job, which throws CancellationError")
    func cancelTask() async throws {
        let counter = CallCounter()
        let job = try Self.endless(counter)
        let task = Task { try await job.run() }
        for await _ in counter.firstCall { break }   // the job is running
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(counter.count < 4 * Self.endlessNFE, "the job ran \(counter.count) denoiser calls after cancellation")
    }

    @Test("cancelling the consuming task stops the job; the sink gets no unfinished batch")
    func cancelConsumer() async throws {
        let counter = CallCounter()
        let job = try Self.endless(counter)
        let seen = LastProgress()
        let task = Task { () -> (error: (any Error)?, rows: Int) in
            let sink = RowCollector()
            do {
                _ = try await job.run(into: sink) { progress in
                    for await p in progress {
                        seen.record(p)
                        if p.step >= 10 { withUnsafeCurrentTask { $0?.cancel() } }
                    }
                }
                return (nil, sink.rows.count)
            } catch {
                return (error, sink.rows.count)
            }
        }
        let outcome = await task.value
        #expect(outcome.error is CancellationError, "threw \(String(describing: outcome.error))")
        #expect(outcome.rows == 0)
        let last = try #require(seen.last)
        #expect(last.steps > 100_000 && last.step < last.steps)
        #expect(counter.count < 4 * Self.endlessNFE)
    }

    @Test("an error thrown by the progress consumer stops the job and is rethrown")
    func consumerThrows() async throws {
        let counter = CallCounter()
        let job = try Self.endless(counter)
        await #expect(throws: Stop.self) {
            _ = try await job.run { progress in
                for await p in progress where p.step >= 3 { throw Stop() }
            }
        }
        #expect(counter.count < 4 * Self.endlessNFE)
    }

    @Test("from the main actor: progress updates main-actor state, and the caller keeps its non-Sendable sink")
    @MainActor func mainActorClient() async throws {
        let view = ProgressView()
        let job = try Self.job("ddim", nfe: 10, count: 12, counter: CallCounter(), batch: 5)
        var updates = 0
        _ = try await job.run { progress in
            for await p in progress { view.fraction = p.fraction; updates += 1 }
        }
        #expect(view.fraction == 1 && updates >= 1)

        view.fraction = 0
        let sink = RowCollector()
        _ = try await job.run(into: sink) { @MainActor progress in
            for await p in progress { view.fraction = p.fraction }
        }
        #expect(view.fraction == 1 && sink.rows.count == 12)
    }

    @Test("a task cancelled before the run starts throws without calling the model")
    func cancelledBeforeStart() async throws {
        let counter = CallCounter()
        let job = try Self.job("ddim", nfe: 20, count: 8, counter: counter)
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await job.run()
        }
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(counter.count == 0)
    }

    @Test("a failing job's error arrives through await, and progress stops short of 1")
    func failure() async throws {
        let counter = CallCounter()
        let job = try Self.job("ddim", nfe: 20, count: 8, counter: counter, nanFrom: 5, threads: 1)
        var fractions: [Double] = []
        let error = await #expect(throws: SamplingError.self) {
            _ = try await job.run { progress in
                for await p in progress { fractions.append(p.fraction) }
            }
        }
        guard case let .nonFinite(sampler, _, _, what)? = error else {
            Issue.record("expected a non-finite error, got \(String(describing: error))")
            return
        }
        #expect(sampler == job.sampler.name && what == "denoiser output")
        #expect(!fractions.isEmpty && fractions.allSatisfy { $0 < 1 })
        await #expect(throws: SamplingError.self) { try await job.run(into: RowCollector()) }
    }

    @Test("docs/library.md shows the async example word for word, and it draws the synchronous example's bits")
    func documentedExample() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let doc = try String(contentsOf: root.appendingPathComponent("docs/library.md"), encoding: .utf8)
        let source = try String(contentsOf: URL(fileURLWithPath: #filePath), encoding: .utf8)
        let example = source.components(separatedBy: "// BEGIN library.md async example\n")[1]
            .components(separatedBy: "// END library.md async example")[0]
        let block = try #require(doc.components(separatedBy: "```swift\n").dropFirst().first { $0.hasPrefix(example.prefix(40)) })
            .components(separatedBy: "```")[0]
        #expect(block == example)
        #expect(try await drawSamplesAsync().scalars == drawSamples().scalars)
    }
}
