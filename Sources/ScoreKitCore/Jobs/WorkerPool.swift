import Dispatch
import Foundation

/// The number of cores this process may run on: `ProcessInfo.activeProcessorCount`, at least 1.
/// The default worker count of a `SamplingJob`. (Whether it reflects a container's CPU quota
/// depends on the platform's Foundation; set the count explicitly in containers.)
public enum ActiveCores {
    /// The cores available now, at least 1.
    public static var count: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }
}

/// A lock around a value, for state that worker threads share (the job's progress and results).
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    /// Runs `body` with the value, holding the lock.
    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}

/// A request to stop a job, raised from outside its workers (the async `SamplingJob.run` raises
/// it when its task is cancelled). The workers check it before each batch and, through the
/// pool's `StopFlag`, at every step.
final class StopRequest: Sendable {
    private let raised = Locked(false)

    /// Asks the job to stop; it ends with `CancellationError` at its next check.
    func raise() { raised.withLock { $0 = true } }

    /// Whether a stop was asked for.
    var isRaised: Bool { raised.withLock { $0 } }
}

/// A value handed to worker threads whose uses the job serialises with a lock (the caller's
/// progress callback and sink are never called concurrently), so it need not be `Sendable`.
struct Serialised<Value>: @unchecked Sendable {
    let value: Value
}

/// Runs numbered tasks on a fixed number of workers, each worker taking the next task as it
/// finishes one (so uneven tasks balance). The first error stops the pool: no new task starts,
/// running tasks see `shouldStop` and end at their next check, and the error is rethrown.
///
/// The calling thread is one of the workers (`DispatchQueue.concurrentPerform`), so a pool
/// never waits for a thread that is not there. Swift task cancellation is visible only on the
/// calling thread: its worker checks it between tasks and, once its own tasks are done, keeps
/// checking until the others finish, and raises `shouldStop` for everyone. A `stopRequest`
/// works from any thread: every worker checks it before each task, and `StopFlag` reports it.
///
/// With `ownThreads`, the other workers run on threads of their own instead of
/// `concurrentPerform`'s: on Linux that borrows threads from the pool Swift concurrency also
/// runs its tasks on, so a long job started from async code would starve those tasks.
struct WorkerPool: Sendable {
    /// How many workers (≥ 1).
    let workers: Int
    /// Whether the calling task's cancellation stops the pool (false for work that must finish,
    /// such as a metric's sum).
    var cancellable = true
    /// A stop asked for from outside the pool (by another thread), if any.
    var stopRequest: StopRequest?
    /// Whether the workers besides the calling thread get threads of their own.
    var ownThreads = false

    /// The stack size of the threads the pool and the async job start: a main thread's, so a
    /// job behaves as it does when run synchronously from `main`.
    static let threadStackSize = 8 << 20

    fileprivate final class State: @unchecked Sendable {
        let lock = NSLock()
        var next = 0, finished = 0
        var error: (any Error)?
        var stopped = false
    }

    /// A flag the tasks poll; true once any task failed, the calling task was cancelled or a
    /// stop was requested.
    struct StopFlag: Sendable {
        fileprivate let state: State
        fileprivate let request: StopRequest?
        /// Whether work should stop.
        var isRaised: Bool { state.lock.withLock { state.stopped } || request?.isRaised == true }
    }

    /// Runs `body(task, worker, stop)` for every task in `0..<tasks`.
    func run(tasks: Int, _ body: @Sendable @escaping (_ task: Int, _ worker: Int, _ stop: StopFlag) throws -> Void) throws {
        let state = State()
        let stop = StopFlag(state: state, request: stopRequest)
        let workers = min(self.workers, max(tasks, 1))
        let cancellable = self.cancellable
        let work: @Sendable (Int) -> Void = { worker in
            Self.work(worker: worker, tasks: tasks, workers: workers, cancellable: cancellable, state: state, stop: stop, body)
        }
        if workers == 1 {
            work(0)
        } else if ownThreads {
            let done = DispatchGroup()
            for worker in 1..<workers {
                done.enter()
                let thread = Thread { work(worker); done.leave() }
                thread.stackSize = Self.threadStackSize
                thread.start()
            }
            work(0)
            done.wait()
        } else {
            DispatchQueue.concurrentPerform(iterations: workers, execute: work)
        }
        if let error = state.error { throw error }
    }

    private static func work(worker: Int, tasks: Int, workers: Int, cancellable: Bool, state: State, stop: StopFlag,
                             _ body: (Int, Int, StopFlag) throws -> Void) {
        let onCallingTask = cancellable && withUnsafeCurrentTask { $0 != nil }
        while true {
            if onCallingTask, Task.isCancelled { fail(state, CancellationError()) }
            if stop.request?.isRaised == true { fail(state, CancellationError()) }
            let task: Int? = state.lock.withLock {
                guard !state.stopped, state.next < tasks else { return nil }
                defer { state.next += 1 }
                return state.next
            }
            guard let task else { break }
            do { try body(task, worker, stop) } catch { fail(state, error) }
        }
        state.lock.withLock { state.finished += 1 }
        // The worker on the calling task watches for cancellation until the others are done.
        while onCallingTask, state.lock.withLock({ state.finished < workers }) {
            if Task.isCancelled { fail(state, CancellationError()) }
            Thread.sleep(forTimeInterval: 0.02)
        }
    }

    private static func fail(_ state: State, _ error: any Error) {
        state.lock.withLock {
            // A worker stopped because another failed reports CancellationError; keep the first cause.
            if state.error == nil { state.error = error }
            state.stopped = true
        }
    }
}
