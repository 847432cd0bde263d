import Foundation
import ScoreKit
#if canImport(Glibc)
import Glibc
#endif

/// A `Denoiser` decorator that times every call of the model it wraps and counts its rows.
///
/// Time is taken two ways: wall clock, and the calling thread's CPU time. The CPU time stays
/// right when several sampling threads run at once or other processes share the cores (it
/// assumes one BLAS thread, ScoreKit's default).
struct TimingDenoiser: DenoiserWrapper {
    /// The totals, shared by all copies of the decorator and all threads.
    final class Totals: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var calls = 0, rows = 0
        private(set) var wallSeconds = 0.0, cpuSeconds = 0.0

        func add(rows: Int, wall: Double, cpu: Double) {
            lock.withLock { calls += 1; self.rows += rows; wallSeconds += wall; cpuSeconds += cpu }
        }

        /// (calls, rows, wall seconds, CPU seconds) so far.
        var snapshot: (calls: Int, rows: Int, wall: Double, cpu: Double) {
            lock.withLock { (calls, rows, wallSeconds, cpuSeconds) }
        }
    }

    let model: any Denoiser
    let totals = Totals()

    var wrapped: any Denoiser { model }

    func denoise(_ x: Tensor, sigma: [Double]) throws -> Tensor {
        let wall = DispatchTime.now().uptimeNanoseconds, cpu = Clocks.threadCPU()
        let out = try model.denoise(x, sigma: sigma)
        totals.add(rows: x.rows, wall: Double(DispatchTime.now().uptimeNanoseconds - wall) / 1e9, cpu: Clocks.threadCPU() - cpu)
        return out
    }
}

/// CPU-time clocks.
enum Clocks {
    /// CPU seconds of the calling thread.
    static func threadCPU() -> Double { seconds(CLOCK_THREAD_CPUTIME_ID) }
    /// CPU seconds of the whole process (all threads).
    static func processCPU() -> Double { seconds(CLOCK_PROCESS_CPUTIME_ID) }

    private static func seconds(_ clock: clockid_t) -> Double {
        var t = timespec()
        clock_gettime(clock, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
}

extension Benchmarks {
    /// A whole sampling run to time: a built-in model, a sampler spec with an NFE budget, a count.
    struct SamplingRun {
        let model: String
        let sampler: String
        let nfe: Int
        let count: Int
        /// Sampling threads (`SamplingJob.threads`).
        let threads: Int

        /// heun at 39 NFE on moons (100,000 samples) and on digits (2,000 samples), on one
        /// thread and on every core.
        static func standard(scale: Double = 1) -> [SamplingRun] {
            let cores = ProcessInfo.processInfo.activeProcessorCount
            return Set([1, cores]).sorted().flatMap { threads in
                [SamplingRun(model: "moons", sampler: "heun", nfe: 39, count: max(1, Int(100_000 * scale)), threads: threads),
                 SamplingRun(model: "digits", sampler: "heun", nfe: 39, count: max(1, Int(2_000 * scale)), threads: threads)]
            }
        }
    }

    /// The figures of one sampling run (the median run by wall time of `repeats`).
    struct SamplingFigure {
        let model: String, sampler: String, count: Int, threads: Int
        /// Denoiser calls per sample (mean).
        let nfePerSample: Double
        let seconds: Double
        /// Network rows (one sample at one σ) the run evaluated.
        let evaluations: Int
        /// Network rows (one sample at one σ) evaluated per second.
        let evaluationsPerSecond: Double
        var samplesPerSecond: Double { Double(count) / seconds }
        /// The share of CPU time spent outside the network: the sampler's own work
        /// (1 − network CPU seconds / process CPU seconds during the run).
        let outsideNetworkShare: Double
        /// The same share by wall clock (1 − seconds inside the network / run seconds); equal to
        /// the CPU share when the run uses one thread on an idle machine.
        let outsideNetworkShareWall: Double
        /// Whether the samples came out finite.
        let finite: Bool
    }

    /// Times whole sampling runs through `SamplingJob`, as `scorekit sample` runs them, with
    /// the model wrapped in a `TimingDenoiser`.
    static func sampling(_ runs: [SamplingRun], repeats: Int) throws -> [SamplingFigure] {
        try runs.map { run in
            let loaded = try ModelLoader.load(run.model)
            let sampler = try SamplerCatalog.standard.sampler(run.sampler).fitted(toNFE: run.nfe)
            // A small warm-up run: pages in the weights and the allocator's arenas.
            _ = try SamplingJob(sampler: sampler, model: loaded.denoiser, count: min(run.count, 64), budget: run.nfe).run()
            var figures: [SamplingFigure] = []
            for _ in 0..<max(repeats, 1) {
                let timed = TimingDenoiser(model: loaded.denoiser)
                var job = SamplingJob(sampler: sampler, model: timed, count: run.count, seed: 0, budget: run.nfe)
                job.threads = run.threads
                let cpu = Clocks.processCPU(), wall = DispatchTime.now().uptimeNanoseconds
                let result = try job.run()
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - wall) / 1e9
                let processCPU = Clocks.processCPU() - cpu
                let t = timed.totals.snapshot
                figures.append(SamplingFigure(
                    model: run.model, sampler: sampler.spec, count: run.count, threads: run.threads,
                    nfePerSample: CountSummary(result.nfe).mean, seconds: seconds, evaluations: t.rows,
                    evaluationsPerSecond: Double(t.rows) / seconds,
                    outsideNetworkShare: processCPU > 0 ? max(0, 1 - t.cpu / processCPU) : 0,
                    outsideNetworkShareWall: max(0, 1 - t.wall / seconds), finite: result.samples.isFinite))
            }
            return figures.sorted { $0.seconds < $1.seconds }[figures.count / 2]
        }
    }
}
