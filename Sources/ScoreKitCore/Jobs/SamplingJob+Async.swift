import Foundation

/// Sampling from Swift concurrency: `try await job.run()`.
///
/// The job's work is blocking (a sampler is a loop of matrix products), so it never runs on
/// Swift concurrency's threads: each call starts a thread of its own for each of the job's
/// workers (the synchronous `run(progress:)` borrows Dispatch's), and the calling task is
/// suspended until the job is over.
///
/// **Cancellation.** Cancelling the calling task stops the job within one step of every batch
/// in flight, and the call throws `CancellationError`. The call returns or throws only once
/// every worker has stopped, so nothing the job touches (the model, a sink) is in use after it.
///
/// **Isolation.** `run(observingProgress:)` runs on the caller's actor (`isolation`, filled in
/// by the compiler), so its closure may use the caller's state, main-actor state included.
/// The sink variants are not isolated, so that Swift checks nobody else uses the sink while
/// the job writes to it. Either way only the job's own threads do the work.
///
/// **Progress.** The `observingProgress:` variants hand the closure an `AsyncStream` of the
/// job's `Progress`, which finishes when the job does. The stream keeps only the newest
/// update: a slow consumer skips updates and never holds up the workers. After a successful
/// job, the last update has `fraction == 1`.
extension SamplingJob {
    /// Runs the job and returns every sample with its counts, as `run(progress:)` does, without
    /// blocking the caller's thread.
    ///
    /// Throws `CancellationError` if the calling task is cancelled (the job stops within a step),
    /// and the job's own error (for example `SamplingError.nonFinite`) if it fails.
    public func run() async throws -> SamplingResult {
        try await runOnThread(reportsProgress: false, observing: { _ in }) { job, stop, progress in
            try job.collect(progress: progress, stopRequest: stop)
        }
    }

    /// `run()`, with progress: `body` gets the job's progress as an `AsyncStream`, which
    /// finishes when the job does, and runs on the calling task while the job runs.
    ///
    /// ```swift
    /// let result = try await job.run { progress in
    ///     for await p in progress { print("\(Int(p.fraction * 100))%") }
    /// }
    /// ```
    ///
    /// The call returns once both the job and `body` are done. Leaving the loop early does not
    /// stop the job; cancelling the task does, and an error thrown by `body` stops the job and
    /// is rethrown once the workers have stopped.
    public func run(isolation: isolated (any Actor)? = #isolation,
                    observingProgress body: (AsyncStream<Progress>) async throws -> Void) async throws -> SamplingResult {
        try await runOnThread(reportsProgress: true, observing: body) { job, stop, progress in
            try job.collect(progress: progress, stopRequest: stop)
        }
    }

    /// Runs the job, handing each finished batch to `sink`, as `run(into:progress:)` does,
    /// without blocking the caller's thread; returns the run's figures.
    ///
    /// `sink` is called from the job's threads, one batch at a time, and only while this call
    /// is in progress: it is not used once the call returns or throws, even when cancelled.
    /// Cancellation and errors behave as in `run()`; batches finished before a cancellation
    /// have reached `sink`.
    ///
    /// The call is not isolated to the caller's actor: Swift then checks that no other code
    /// can reach `sink` while the job writes to it (an actor passes a local sink, not one in
    /// its stored state), and the caller has it back afterwards (to commit a file, say).
    public func run(into sink: any SampleSink) async throws -> SamplingSummary {
        let sink = Serialised(value: sink)
        return try await runOnThread(reportsProgress: false, observing: { _ in }) { job, stop, progress in
            try job.stream(into: sink.value, progress: progress, stopRequest: stop)
        }
    }

    /// `run(into:)` with progress, as in `run(observingProgress:)`. As the call is not isolated
    /// (see `run(into:)`), `body` is `@Sendable`; to update an actor's state from it, give it
    /// that actor: `{ @MainActor progress in … }`.
    public func run(into sink: any SampleSink,
                    observingProgress body: @Sendable (AsyncStream<Progress>) async throws -> Void) async throws -> SamplingSummary {
        let sink = Serialised(value: sink)
        return try await runOnThread(reportsProgress: true, observing: body) { job, stop, progress in
            try job.stream(into: sink.value, progress: progress, stopRequest: stop)
        }
    }

    /// Runs `work` on a new thread while `body` runs on the calling task with the progress
    /// stream (fed only if `reportsProgress`); raises the job's stop request when the task is
    /// cancelled or `body` throws. Returns when both the thread and `body` are done.
    private func runOnThread<Output: Sendable>(
        isolation: isolated (any Actor)? = #isolation,
        reportsProgress: Bool,
        observing body: (AsyncStream<Progress>) async throws -> Void,
        _ work: @escaping @Sendable (SamplingJob, StopRequest, ((Progress, SamplingProgress) -> Void)?) throws -> Output
    ) async throws -> Output {
        try Task.checkCancellation()
        let stop = StopRequest(), outcome = JobOutcome<Output>()
        let (updates, reporter) = AsyncStream.makeStream(of: Progress.self, bufferingPolicy: .bufferingNewest(1))
        let job = self
        let thread = Thread {
            let last = Locked<Progress?>(nil)
            let progress: ((Progress, SamplingProgress) -> Void)? = reportsProgress ? { p, _ in
                last.withLock { $0 = p }
                reporter.yield(p)
            } : nil
            let result = Result { try work(job, stop, progress) }
            if case .success = result { reporter.yield(Self.finished(after: last.withLock { $0 }, count: job.count)) }
            reporter.finish()
            outcome.complete(result)
        }
        thread.stackSize = WorkerPool.threadStackSize
        return try await withTaskCancellationHandler {
            thread.start()
            do { try await body(updates) } catch {
                stop.raise()
                _ = try? await outcome.value
                throw error
            }
            return try await outcome.value
        } onCancel: {
            stop.raise()
        }
    }

    /// The progress update that closes a successful job: every sample done.
    private static func finished(after last: Progress?, count: Int) -> Progress {
        let steps = last?.steps ?? 0
        return Progress(samplesDone: count, batchSamples: last?.batchSamples ?? 0, samples: count,
                        step: steps, steps: steps, fraction: 1)
    }
}

/// The outcome of a job running on its own thread, delivered once to one waiting task.
private final class JobOutcome<Value: Sendable>: Sendable {
    private enum State {
        case running
        case waiting(CheckedContinuation<Value, any Error>)
        case done(Result<Value, any Error>)
    }

    private let state = Locked(State.running)

    /// Records the outcome and resumes the waiting task, if any.
    func complete(_ result: Result<Value, any Error>) {
        let waiter: CheckedContinuation<Value, any Error>? = state.withLock { state in
            defer { state = .done(result) }
            if case let .waiting(continuation) = state { return continuation }
            return nil
        }
        waiter?.resume(with: result)
    }

    /// The outcome, once the job is over (waiting for it if need be). Not cancellable: a
    /// cancelled job still ends, and its `CancellationError` arrives here.
    var value: Value {
        get async throws {
            try await withCheckedThrowingContinuation { continuation in
                let done: Result<Value, any Error>? = state.withLock { state in
                    if case let .done(result) = state { return result }
                    state = .waiting(continuation)
                    return nil
                }
                if let done { continuation.resume(with: done) }
            }
        }
    }
}
