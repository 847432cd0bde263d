// Sampling from Swift concurrency: `try await job.run { progress in … }`, progress as an
// `AsyncStream`, and cancellation by cancelling the task.
//
// First a job far too long to wait for, cancelled once three progress updates have arrived:
// it must throw `CancellationError` before it is done. Then a complete job: its progress must
// end at 100%, its samples must be the synchronous run's bit for bit, and the share of samples
// in the heavier mode must match the model's weight. Prints every check; exits with status 1
// if any fails.
import Foundation
import ScoreKit

/// The checks made so far: each prints a line, and failures are counted for the exit status.
struct Checks {
    var failures = 0

    mutating func check(_ ok: Bool, _ what: String) {
        if !ok { failures += 1 }
        print("\(ok ? "ok  " : "FAIL") \(what)")
    }
}
var checks = Checks()

let model = BuiltinModels.gmm2d                // exact: 0.8·N((5,5), I) + 0.2·N((−5,−5), I)
// Heun, 35 NFE per sample. σ_max is far above the data's scale: the model's mean is (3, 3), and
// from the prior N(0, 80²·I) even the exact flow would draw the heavier mode about 1.5% too
// rarely — enough for the last check to notice.
let sampler = EDMSampler.heun(steps: 18, schedule: .karras(sigmaMin: 0.002, sigmaMax: 1000))

// 1. Cancellation. The job runs in a task of its own and relays its progress here; after the
// third update we cancel that task.
let long = SamplingJob(sampler: sampler, model: model, count: 1_000_000, seed: 1)
let (updates, relay) = AsyncStream.makeStream(of: SamplingJob.Progress.self)
let task = Task {
    try await long.run { progress in
        for await p in progress { relay.yield(p) }
    }
}
var seen: [SamplingJob.Progress] = []
for await p in updates {
    seen.append(p)
    print(String(format: "long job: %.2f%% done (step %d of %d in a batch of %d)", 100 * p.fraction, p.step, p.steps, p.batchSamples))
    if seen.count == 3 { break }
}
task.cancel()
let cancelledAt = ContinuousClock.now
do {
    _ = try await task.value
    checks.check(false, "the cancelled job threw CancellationError (it finished instead)")
} catch is CancellationError {
    checks.check(true, "the cancelled job threw CancellationError \(ContinuousClock.now - cancelledAt) after cancel()")
} catch {
    checks.check(false, "the cancelled job threw CancellationError (it threw \(error))")
}
checks.check(seen.count == 3 && seen.allSatisfy { $0.fraction < 1 },
             "it was cancelled part-way: \(seen.count) updates, the last at \(String(format: "%.2f", 100 * (seen.last?.fraction ?? 0)))%")

// 2. A complete job with progress. The closure runs on this (the main) task, so it may keep
// state of its own.
let count = 4000
let job = SamplingJob(sampler: sampler, model: model, count: count, seed: 2)
var fractions: [Double] = []
let result = try await job.run { progress in
    for await p in progress { fractions.append(p.fraction) }
}
checks.check(fractions.last == 1 && fractions.allSatisfy { (0...1).contains($0) },
             "the complete job reported \(fractions.count) progress updates, the last at 100%")
checks.check(result.samples.rows == count && result.nfe.allSatisfy { $0 == sampler.plannedNFE },
             "it drew \(result.samples.rows) samples at \(result.nfe[0]) NFE each (\(sampler.spec))")
checks.check(result.samples == (try job.run(progress: nil)).samples,
             "its samples are the synchronous run's, bit for bit")

let inHeavyMode = (0..<count).filter { result.samples.scalars[2 * $0] > 0 }.count
let share = Double(inHeavyMode) / Double(count), tolerance = 4 * (0.8 * 0.2 / Double(count)).squareRoot()
checks.check(abs(share - 0.8) <= tolerance,
             String(format: "%.4f of the samples are in the (5,5) mode; the model says 0.8 (±4·SE = %.4f)", share, tolerance))

print(checks.failures == 0 ? "AsyncProgress: all checks passed" : "AsyncProgress: \(checks.failures) check(s) failed")
exit(checks.failures == 0 ? 0 : 1)
