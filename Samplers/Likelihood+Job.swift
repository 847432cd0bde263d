import Dispatch
import Foundation
import ScoreKitCore

extension Likelihood {
    /// `log p(x)` of every row of `data`, in batches of at most `batchSize` rows spread over
    /// `threads` workers. Row i's Hutchinson probes come from sample index `firstIndex + i` of
    /// the `samplerNoise` stream of `seed`, so the result of a row depends on neither the batch
    /// size nor the thread count. `progress` gets the fraction of the rows' integration done
    /// (called from any worker, never two at once).
    public func logLikelihood(of data: Tensor, under model: any DifferentiableDenoiser, seed: UInt64, firstIndex: Int = 0,
                              batchSize: Int = 256, threads: Int = ActiveCores.count,
                              progress: ((Double) -> Void)? = nil) throws -> LikelihoodResult {
        guard data.rowShape == model.sampleShape else {
            throw LikelihoodError.shapeMismatch(data: data.rowShape, model: model.sampleShape)
        }
        _ = try validated()
        guard batchSize > 0, threads > 0 else { throw LikelihoodError.invalidSetting("batch size and threads must be positive") }
        let n = data.rows, workers = max(1, min(threads, n))
        let rowsPerBatch = max(1, min(batchSize, (n + workers - 1) / workers))
        let batches = stride(from: 0, to: n, by: rowsPerBatch).map { $0..<min($0 + rowsPerBatch, n) }
        let shared = SharedWork(batches: batches.count, rows: n, progress: progress)
        let settings = self
        DispatchQueue.concurrentPerform(iterations: min(workers, batches.count)) { _ in
            while let b = shared.next() {
                let range = batches[b]
                do {
                    let noise = PhiloxNoise(seed: seed, stream: RandomStreamID.samplerNoise,
                                            sampleIndices: range.map { firstIndex + $0 })
                    let part = try settings.logLikelihood(of: data.rows(range), under: model, noise: noise) { fraction in
                        shared.report(batch: b, done: fraction * Double(range.count))
                    }
                    shared.finish(batch: b, part)
                } catch {
                    shared.fail(error, batch: b, rows: range)
                }
            }
        }
        return try shared.collected()
    }
}

/// The state the workers of one likelihood job share, behind a lock.
private final class SharedWork: @unchecked Sendable {
    private let lock = NSLock()
    private var nextBatch = 0, error: (any Error)?
    private var parts: [LikelihoodResult?], done: [Double]
    private let rows: Int, progress: ((Double) -> Void)?

    init(batches: Int, rows: Int, progress: ((Double) -> Void)?) {
        parts = Array(repeating: nil, count: batches)
        done = Array(repeating: 0, count: batches)
        self.rows = rows
        self.progress = progress
    }

    /// The next batch to run, or nil when all are taken or one failed.
    func next() -> Int? {
        lock.withLock {
            guard error == nil, nextBatch < parts.count else { return nil }
            defer { nextBatch += 1 }
            return nextBatch
        }
    }

    func report(batch: Int, done rows: Double) {
        lock.withLock {
            done[batch] = rows
            progress?(done.reduce(0, +) / Double(max(self.rows, 1)))
        }
    }

    func finish(batch: Int, _ part: LikelihoodResult) {
        lock.withLock { parts[batch] = part }
    }

    /// Keeps the first error, with row numbers counted over the whole data.
    func fail(_ error: any Error, batch: Int, rows: Range<Int>) {
        let shifted: any Error = switch error as? LikelihoodError {
        case .nonFinite(let row, let sigma)?: LikelihoodError.nonFinite(row: rows.lowerBound + row, sigma: sigma)
        case .stalled(let row, let sigma)?: LikelihoodError.stalled(row: rows.lowerBound + row, sigma: sigma)
        default: error
        }
        lock.withLock { if self.error == nil { self.error = shifted } }
    }

    func collected() throws -> LikelihoodResult {
        try lock.withLock {
            if let error { throw error }
            return LikelihoodResult.concatenating(parts.map { $0! })
        }
    }
}
