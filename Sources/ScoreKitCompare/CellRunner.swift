import Foundation
import ScoreKitCore
import ScoreKitModels

/// Runs, measures and stores one cell — or finds it finished from an earlier run.
///
/// A cell's files go to `cells/<name>-nfe<budget>-<hash>.{npy,png,json}`, each written
/// atomically, the record (`.json`) last: a record on disk means the cell is complete.
struct CellRunner {
    let comparison: Comparison
    /// The task: the denoiser, labels or known values each job gets, and the metrics.
    let task: TaskSetup
    let solution: ReferenceSolution
    /// The scatter-plot view shared by every cell (from the reference data), so pictures compare.
    let scatterBounds: ClosedRange<Double>?

    private var plan: ComparisonPlan { comparison.plan }
    private var suite: QualitySuite { task.suite }
    private var model: LoadedModel { comparison.model }

    /// Names and configurations of the metrics, with the reference solution: when this changes,
    /// stored cells are measured again from their samples.
    var fingerprint: String {
        (suite.metrics.map { "\($0.name)=\($0.title)" } + ["ref=\(solution.samples == nil ? "none" : solution.solver)"])
            .joined(separator: ";")
    }

    /// The record of a cell, and whether it was sampled now (false when found on disk).
    func record(for row: Comparison.Row, budget: Int, progress: @escaping (Double) -> Void) throws -> (CellRecord, Bool) {
        let location = CellLocation(model: task.variant.isEmpty ? plan.model : "\(plan.model)|\(task.variant)", sampler: row.sampler.spec, name: row.sampler.name, budget: budget,
                                    count: plan.count, seed: plan.seed, output: plan.output)
        if let stored = try finished(location) { return (stored, false) }
        var record = CellRecord(key: location.key, sampler: row.sampler.spec, name: row.sampler.name, budget: budget,
                                status: .ok, metricsFingerprint: fingerprint)
        let fitted: any Sampler
        let result: SamplingResult
        do {
            fitted = try row.sampler.fitted(toNFE: budget).resolved(for: model.denoiser)
            record.spec = fitted.spec
            let job = task.job(sampler: fitted, model: model, plan: plan, budget: budget)
            result = try job.run { p, _ in progress(p.fraction) }
            record.deterministic = try DeterminismProbe.isDeterministic(fitted, model: model, seed: plan.seed, budget: budget)
        } catch let error where !(error is CancellationError) {
            // The sampler cannot meet the budget, diverged, or refused this model (say DLG with
            // no noise-level estimator): an n/a cell with the reason, not a failed sweep. Writing
            // the results happens below, so file errors still stop the run.
            return (try store(unavailable: record, reason: String(describing: error), at: location), true)
        }
        record.nfe = CountSummary(result.nfe)
        record.classifierCalls = CountSummary(result.classifierCalls)
        record.sharedNFE = result.sharedNFE.isEmpty ? nil : result.sharedNFE
        record.stoppedEarly = result.earlyStops.count > 0 ? result.earlyStops : nil
        record.seconds = result.seconds
        try ArrayFile.write(result.samples, to: location.samples)
        if let picture = Self.picture(result.samples, bounds: scatterBounds) {
            try AtomicFile.write(picture.pngData(), to: location.picture)
        }
        try measure(&record, samples: result.samples)
        try AtomicFile.write(try record.encoded(), to: location.record)
        return (try record.roundTripped(), true)
    }

    /// The stored record of a finished cell with this key, measured again from its stored
    /// samples if the metric configuration changed; nil when the cell must run.
    private func finished(_ location: CellLocation) throws -> CellRecord? {
        guard let data = FileManager.default.contents(atPath: location.record.path),
              var record = CellRecord.decoded(data), record.key == location.key else { return nil }
        if record.status == .unavailable || record.metricsFingerprint == fingerprint { return record }
        guard let samples = try? ArrayFile.read(location.samples), samples.count == plan.count * model.denoiser.dimension else {
            return nil
        }
        try measure(&record, samples: samples.reshaped([plan.count] + model.denoiser.sampleShape))
        record.metricsFingerprint = fingerprint
        try AtomicFile.write(try record.encoded(), to: location.record)
        return try record.roundTripped()
    }

    /// Fills in every metric: the suite's, and the reference-solution distance for a
    /// deterministic sampler (or the reason there is none).
    private func measure(_ record: inout CellRecord, samples: Tensor) throws {
        record.metrics = [:]
        record.metricNotes = [:]
        for metric in suite.metrics { record.metrics[metric.name] = try metric.measure(samples) }
        if let metric = solution.metric {
            if record.deterministic == true {
                record.metrics[metric.name] = try metric.measure(samples)
            } else {
                record.metricNotes[metric.name] = "stochastic sampler: its output is not a function of the initial noise"
            }
        }
    }

    private func store(unavailable record: CellRecord, reason: String, at location: CellLocation) throws -> CellRecord {
        var record = record
        record.status = .unavailable
        record.reason = reason
        try AtomicFile.write(try record.encoded(), to: location.record)
        return try record.roundTripped()
    }

    /// A picture of samples: a grid of the first 100 images, or a scatter plot of the first two
    /// coordinates; nil for one-dimensional samples.
    static func picture(_ samples: Tensor, bounds: ClosedRange<Double>?) -> RGBImage? {
        if samples.rowShape.count >= 2 { return SamplePlot.grid(samples.rows(0..<min(samples.rows, 100))) }
        guard samples.rowSize >= 2 else { return nil }
        return SamplePlot.scatter(samples.reshaped([samples.rows, samples.rowSize]), bounds: bounds)
    }

    /// The view of the reference data's scatter plot, shared by every cell's plot.
    static func scatterBounds(_ reference: Tensor) -> ClosedRange<Double>? {
        guard reference.rowShape.count == 1, reference.rowSize >= 2 else { return nil }
        return SamplePlot.scatterBounds(reference)
    }
}
