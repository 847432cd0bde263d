import Foundation
import ScoreKitCore
import ScoreKitModels
import ScoreKitSamplers

/// An NFE-versus-quality sweep, validated and ready to run: every sampler at every budget,
/// `count` samples per cell from the same seed and initial noise, each cell measured and
/// written to `output/cells/` the moment it finishes. Running it again skips finished cells,
/// so an interrupted sweep resumes and produces the same files.
///
/// ```swift
/// let plan = ComparisonPlan(model: "gmm2d", samplers: ["ddim", "ddpm"], budgets: [10, 20],
///                           count: 2000, output: URL(fileURLWithPath: "out/gmm2d"))
/// let results = try Comparison(plan: plan).run()
/// ```
public struct Comparison: Sendable {
    /// One row of the comparison: the spec as given and the sampler it resolves to.
    public struct Row: Sendable {
        /// The spec as the user wrote it (the report's row label).
        public let label: String
        /// The resolved sampler (defaults filled in, not yet fitted to a budget).
        public let sampler: any Sampler
    }

    /// The plan, with defaults filled in and budgets sorted.
    public let plan: ComparisonPlan
    /// The loaded model.
    public let model: LoadedModel
    /// The samplers, in order.
    public let rows: [Row]
    /// The reference solver, when the catalog has it.
    public let referenceSolver: (any Sampler)?
    /// Why there is no reference solver (not asked for, or not in this build).
    public let referenceSkipped: String?

    /// Validates `plan` before any work: sampler specs against `catalog` (unknown names and
    /// keys, repeats), budgets, count, the reference solver, the output folder, the model.
    /// Every problem is a `ComparisonError` naming the option and the valid choices.
    public init(plan: ComparisonPlan, catalog: SamplerCatalog = .standard,
                loadModel: (String) throws -> LoadedModel = ModelLoader.load) throws {
        var plan = plan
        guard plan.count >= 2 else { throw ComparisonError.badCount(plan.count) }
        guard plan.batchSize > 0 else { throw ComparisonError.badBatch(plan.batchSize) }
        guard plan.threads >= 1 else { throw ComparisonError.badThreads(plan.threads) }
        guard plan.trajectoryFrames == 0 || (2...50).contains(plan.trajectoryFrames) else {
            throw ComparisonError.badTrajectoryFrames(plan.trajectoryFrames)
        }
        plan.budgets = try ComparisonPlan.validatedBudgets(plan.budgets.isEmpty ? ComparisonPlan.defaultBudgets : plan.budgets)
        if plan.samplers.isEmpty { plan.samplers = ComparisonPlan.defaultSamplers(in: catalog) }
        guard !plan.samplers.isEmpty else { throw ComparisonError.noSamplers }
        rows = try Self.resolve(plan.samplers, catalog: catalog)
        (referenceSolver, referenceSkipped) = try Self.resolveReference(plan.referenceSolver, catalog: catalog)
        try Self.checkOutput(plan.output)
        do {
            model = try loadModel(plan.model)
        } catch {
            throw ComparisonError.model(String(describing: error))
        }
        try TaskSetup.validate(plan, model: model)
        self.plan = plan
    }

    private static func resolve(_ specs: [String], catalog: SamplerCatalog) throws -> [Row] {
        var rows: [Row] = []
        for text in specs {
            let sampler: any Sampler
            do {
                sampler = try catalog.sampler(text)
            } catch {
                throw ComparisonError.badSampler(text, reason: String(describing: error))
            }
            if rows.contains(where: { $0.sampler.spec == sampler.spec }) {
                throw ComparisonError.duplicateSampler(text, resolved: sampler.spec)
            }
            rows.append(Row(label: text, sampler: sampler))
        }
        return rows
    }

    private static func resolveReference(_ spec: String?, catalog: SamplerCatalog) throws -> ((any Sampler)?, String?) {
        guard let spec else { return (nil, "no reference solver was asked for (--reference none)") }
        let parsed: SamplerSpec
        do { parsed = try SamplerSpec(parsing: spec) } catch {
            throw ComparisonError.badReferenceSolver(spec, reason: String(describing: error))
        }
        guard catalog.names.contains(parsed.name) else {
            return (nil, "the reference solver '\(parsed.name)' is not in this build (samplers: \(catalog.names.joined(separator: ", ")))")
        }
        do { return (try catalog.sampler(spec), nil) } catch {
            throw ComparisonError.badReferenceSolver(spec, reason: String(describing: error))
        }
    }

    /// The output must be a folder, or not exist under a writable folder.
    private static func checkOutput(_ url: URL) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw ComparisonError.outputNotFolder(url.path) }
            guard FileManager.default.isWritableFile(atPath: url.path) else {
                throw ComparisonError.outputNotWritable(url.path, reason: "the folder is not writable")
            }
            return
        }
        var ancestor = url.deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: ancestor.path, isDirectory: &isDirectory) {
            ancestor = ancestor.deletingLastPathComponent()
        }
        guard isDirectory.boolValue else {
            throw ComparisonError.outputNotWritable(url.path, reason: "\(ancestor.path) is not a folder")
        }
        guard FileManager.default.isWritableFile(atPath: ancestor.path) else {
            throw ComparisonError.outputNotWritable(url.path, reason: "cannot create it: \(ancestor.path) is not writable")
        }
    }

    /// The cells in report order: sampler-major, budgets ascending.
    public var cells: [(row: Row, budget: Int)] { rows.flatMap { row in plan.budgets.map { (row, $0) } } }

    /// Runs every cell not already finished in `plan.output`, then writes `results.csv`,
    /// `results.json`, `report.md` and `nfe-quality.svg` (rewritten after every cell, so an
    /// interrupted run leaves a readable partial report). Cancelling the task stops at the
    /// next sampler step; finished cells stay.
    ///
    /// With `plan.shard`, runs only that shard's cells and writes no report or tables (other
    /// shards write the same folder at the same time); the results hold that shard's cells. A
    /// later run without a shard finds every finished cell, runs what is left and writes the report.
    public func run(progress: ((ComparisonProgress) -> Void)? = nil) throws -> ComparisonResults {
        let cellsFolder = plan.output.appendingPathComponent("cells", isDirectory: true)
        try FileManager.default.createDirectory(at: cellsFolder, withIntermediateDirectories: true)
        let mine = cells.enumerated().filter { plan.shard?.owns(cell: $0.offset) ?? true }.map(\.element)
        let tracker = ProgressTracker(cells: mine.map { $0.budget * plan.count }, report: progress)
        tracker.phase("reference data and noise floor")
        let task = try TaskSetup(plan: plan, model: model)
        let suite = task.suite
        let bounds = suite.reference.flatMap(CellRunner.scatterBounds)
        if plan.shard == nil, let reference = suite.reference, let picture = CellRunner.picture(reference, bounds: bounds) {
            try AtomicFile.write(picture.pngData(), to: plan.output.appendingPathComponent("reference.png"))
        }
        let solution = task.hasReferenceSolution ? try referenceSolution(tracker: tracker)
            : .skipped(plan.referenceSolver ?? "none", reason: "the reference solution is computed for unconditional generation only")
        let runner = CellRunner(comparison: self, task: task, solution: solution, scatterBounds: bounds)
        var records: [CellRecord] = []
        for (index, cell) in mine.enumerated() {
            tracker.start(index, label: "\(cell.row.sampler.name) @ \(cell.budget) NFE")
            let (record, ran) = try runner.record(for: cell.row, budget: cell.budget) { fraction in
                tracker.update(withinCell: fraction)
            }
            tracker.finish(index, ran: ran)
            records.append(record)
            if plan.shard == nil { try ResultsFiles.write(results(records, suite: suite, solution: solution), to: plan.output) }
        }
        var final = results(records, suite: suite, solution: solution)
        if plan.shard == nil, plan.trajectoryFrames > 0, task.edit == nil,
           let kind = TrajectoryFigure.kind(sampleShape: model.denoiser.sampleShape, reference: suite.reference) {
            tracker.phase("trajectory figures")
            final.trajectoryFigures = try ComparisonTrajectories(comparison: self, task: task, frames: plan.trajectoryFrames, kind: kind)
                .write(to: plan.output)
            try ResultsFiles.write(final, to: plan.output)
        }
        return final
    }

    private func referenceSolution(tracker: ProgressTracker) throws -> ReferenceSolution {
        guard let solver = referenceSolver else {
            return .skipped(plan.referenceSolver ?? "none", reason: referenceSkipped ?? "no reference solver")
        }
        tracker.phase("reference solution \(solver.name)")
        return try ReferenceSolution.loadOrSolve(solver, model: model, modelName: plan.model, count: plan.count,
                                                 seed: plan.seed, batchSize: plan.batchSize, threads: plan.threads,
                                                 output: plan.output) { p, _ in
            tracker.phase("reference solution \(solver.name)", within: p.fraction)
        }
    }

    private func results(_ records: [CellRecord], suite: QualitySuite, solution: ReferenceSolution) -> ComparisonResults {
        var metrics = suite.metrics.map {
            ComparisonResults.MetricInfo(name: $0.name, title: $0.title, goal: $0.goal,
                                         noiseFloor: suite.noiseFloor[$0.name], noiseFloorSD: suite.noiseFloorSD[$0.name])
        }
        if let m = solution.metric {
            metrics.append(.init(name: m.name, title: m.title, goal: m.goal, noiseFloor: nil, noiseFloorSD: nil))
        }
        return ComparisonResults(
            model: plan.model, count: plan.count, seed: plan.seed, budgets: plan.budgets,
            rows: rows.map { .init(label: $0.label, sampler: $0.sampler.spec, name: $0.sampler.name) },
            metrics: metrics,
            referenceSolution: .init(solver: solution.solver, nfe: solution.nfe, skipped: solution.skipped),
            notes: suite.notes, cells: records, command: reproducingCommand)
    }

    /// The `scorekit compare` command that reproduces (or resumes) this comparison.
    public var reproducingCommand: String {
        var parts = ["scorekit compare", "--model \(plan.model)",
                     "--samplers \"\(rows.map(\.label).joined(separator: ";"))\"",
                     "--nfe \(plan.budgets.map(String.init).joined(separator: ","))",
                     "--count \(plan.count)", "--seed \(plan.seed)"]
        if plan.trajectoryFrames != ComparisonPlan.defaultTrajectoryFrames {
            parts.append("--trajectory-frames \(plan.trajectoryFrames)")
        }
        if plan.task != .generate { parts.append("--task \(plan.task.rawValue)") }
        if let weight = plan.guidance { parts.append("--guidance \(weight)") }
        if plan.unconditional { parts.append("--unconditional") }
        if plan.referenceSolver != ComparisonPlan.defaultReferenceSolver {
            parts.append("--reference \"\(plan.referenceSolver ?? "none")\"")
        }
        parts.append("--out \(plan.output.lastPathComponent)")
        return parts.joined(separator: " ")
    }
}

/// Where a sweep is, for progress bars.
public struct ComparisonProgress: Sendable {
    /// Cells finished (run now or found from an earlier run) and in all.
    public let cellsDone: Int, cells: Int
    /// What is running: `ddim @ 20 NFE`, or the reference solution.
    public let current: String
    /// The fraction of all cells' work (NFE budget × count) done, 0…1.
    public let fraction: Double
    /// Seconds left at this run's pace, once there is a pace to go by.
    public let secondsRemaining: Double?
}

/// Turns cell and sampler progress into `ComparisonProgress`: work is weighted by each cell's
/// budget × count, and the pace counts only work done in this process (cells found finished
/// do not make the estimate optimistic).
final class ProgressTracker: @unchecked Sendable {
    private let weights: [Int]
    private let total: Double
    private let report: ((ComparisonProgress) -> Void)?
    private var done: [Bool]
    private var current = 0, label = ""
    private var sessionWork = 0.0, sessionSeconds = 0.0
    private var cellStart = Date()

    init(cells weights: [Int], report: ((ComparisonProgress) -> Void)?) {
        self.weights = weights
        total = Double(max(weights.reduce(0, +), 1))
        self.report = report
        done = Array(repeating: false, count: weights.count)
    }

    private var doneWork: Double { zip(weights, done).reduce(0) { $0 + ($1.1 ? Double($1.0) : 0) } }

    func phase(_ label: String, within fraction: Double = 0) {
        let shown = fraction > 0 ? label + String(format: " %.0f%%", 100 * fraction) : label
        report?(ComparisonProgress(cellsDone: done.filter { $0 }.count, cells: weights.count, current: shown,
                                   fraction: doneWork / total, secondsRemaining: nil))
    }

    func start(_ index: Int, label: String) {
        current = index
        self.label = label
        cellStart = Date()
        update(withinCell: 0)
    }

    func update(withinCell fraction: Double) {
        guard let report else { return }
        let inCell = fraction * Double(weights[current])
        let work = sessionWork + inCell, seconds = sessionSeconds + Date().timeIntervalSince(cellStart)
        let remaining = total - doneWork - inCell
        report(ComparisonProgress(cellsDone: done.filter { $0 }.count, cells: weights.count, current: label,
                                  fraction: (doneWork + inCell) / total,
                                  secondsRemaining: work > 0 && seconds > 0.5 ? remaining * seconds / work : nil))
    }

    func finish(_ index: Int, ran: Bool) {
        if ran {
            sessionWork += Double(weights[index])
            sessionSeconds += Date().timeIntervalSince(cellStart)
        }
        done[index] = true
        update(withinCell: 0)
    }
}
