import Foundation

/// One finished batch: its rows' positions in the job and what the sampler reported for them.
struct BatchOutcome {
    let positions: [Int]
    let samples: Tensor
    let nfe: [Int], networkRows: [Int], classifier: [Int]
    let byPart: [String: [Int]]
    let shared: [String: Int], sharedClassifier: [String: Int]
    let diagnostics: [String: [Double]]
    let stoppedAt: [Double?]
}

/// Every worker's place, for the job's overall progress.
private struct ProgressBoard {
    var samplesDone = 0
    var running: [Int: (rows: Int, step: Int, steps: Int)] = [:]

    var inFlight: Double {
        running.values.reduce(0) { $0 + ($1.steps > 0 ? Double($1.rows) * Double($1.step) / Double($1.steps) : 0) }
    }
}

extension SamplingJob {
    /// Runs every batch on the worker pool and hands each outcome to `deliver` (one at a time,
    /// under the job's lock); a raised `stopRequest` ends it with `CancellationError` within a
    /// step. Returns the wall-clock seconds. A job with a stop request is one run from async
    /// code (`run() async`), so its workers get threads of their own (`WorkerPool.ownThreads`).
    func execute(progress: ((Progress, SamplingProgress) -> Void)?, stopRequest: StopRequest?,
                 deliver: @escaping (BatchOutcome) throws -> Void) throws -> Double {
        let start = Date()
        let indices = firstIndex..<(firstIndex + count)
        let batches = sampler.batches(of: indices, batchSize: batchSize, workers: threads)
        precondition(batches.reduce(0) { $0 + $1.count } == count, "\(sampler.name): batches do not cover the job")
        let board = Locked(ProgressBoard())
        let report = Serialised(value: progress), output = Serialised(value: deliver)
        let total = count
        try WorkerPool(workers: threads, stopRequest: stopRequest, ownThreads: stopRequest != nil).run(tasks: batches.count) { task, worker, stop in
            let rows = batches[task].count
            let onProgress: ((SamplingProgress) -> Void)? = report.value.map { callback in
                { p in
                    board.withLock { b in
                        b.running[worker] = (rows, p.step, p.steps)
                        let fraction = min(1, (Double(b.samplesDone) + b.inFlight) / Double(max(total, 1)))
                        callback(Progress(samplesDone: b.samplesDone, batchSamples: rows, samples: total,
                                          step: p.step, steps: p.steps, fraction: fraction), p)
                    }
                }
            }
            let outcome = try runBatch(batches[task], stop: stop, onProgress: onProgress)
            try board.withLock { b in
                try output.value(outcome)
                b.samplesDone += rows
                b.running[worker] = nil
            }
        }
        return Date().timeIntervalSince(start)
    }

    /// Draws one batch (sample indices `indices`).
    private func runBatch(_ indices: [Int], stop: WorkerPool.StopFlag,
                          onProgress: ((SamplingProgress) -> Void)?) throws -> BatchOutcome {
        let positions = indices.map { $0 - firstIndex }
        let shape = model.sampleShape
        let z = try initialNoise?.gatherRows(positions)
            ?? PhiloxNoise(seed: seed, stream: RandomStreamID.initialNoise, sampleIndices: indices).normal(rows: nil, shape: shape)
        let context = SamplingContext(samplerName: sampler.name, sampleIndices: indices, budget: budget)
        context.noiseLevelEstimator = noiseLevelEstimator
        context.labels = labels?.labels(ofSamples: indices)
        context.sampleLabels = labels
        context.onProgress = onProgress
        context.shouldStop = { stop.isRaised }
        let noise = PhiloxNoise(seed: seed, stream: RandomStreamID.samplerNoise, sampleIndices: indices)
        let x = try draw(z, positions: positions, noise: noise, context: context)
        guard x.shape == z.shape else {
            throw SamplingError.invalidInput("\(sampler.name) returned shape \(x.shape) for input \(z.shape)")
        }
        return BatchOutcome(positions: positions, samples: x, nfe: context.nfe, networkRows: context.networkRows,
                            classifier: context.classifierCalls,
                            byPart: context.nfeByPart, shared: context.sharedNFE,
                            sharedClassifier: context.sharedClassifierCalls, diagnostics: context.diagnostics,
                            stoppedAt: context.stoppedAt)
    }
}
