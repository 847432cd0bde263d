import ArgumentParser
import Foundation
import ScoreKit

/// `scorekit compare`: every sampler at every NFE budget on one model, measured, tabled, plotted.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare samplers on one model across NFE budgets: tables, a plot, sample pictures.",
        discussion: """
            For every (sampler, budget) cell, draws --count samples from the same seed and initial \
            noise and measures them (sliced Wasserstein and MMD² against reference data; for exact \
            models the log-likelihood gap and mode-weight TV; Fréchet distance in classifier features \
            when the model has them; for deterministic samplers the distance to a reference ODE \
            solution). Writes results.csv, results.json, report.md, nfe-quality.svg, per-cell \
            pictures under cells/ and, for 2-D and image models, one trajectories-nfeB.png per budget \
            (a row per sampler: the same initial noise at --trajectory-frames states) in --out. Each cell is stored as it finishes; running the same \
            command again skips finished cells and rewrites identical files. With --shard K/N \
            (several machines sharing --out) each process runs its share of the cells; a final \
            run without --shard assembles the report.
            """)

    @Option(help: "A built-in model (see `scorekit models`) or a Gaussian-mixture JSON file.")
    var model = "gmm2d"

    @Option(help: "Sampler specs separated by ';' (default: one of each family in this build: \(ComparisonPlan.defaultSamplers(in: .standard).joined(separator: ";"))).")
    var samplers: String?

    @Option(parsing: .unconditional, help: "NFE budgets separated by ',' (default \(ComparisonPlan.defaultBudgets.map(String.init).joined(separator: ","))).")
    var nfe: String?

    @Option(parsing: .unconditional, help: "Samples per cell.")
    var count = ComparisonPlan.defaultCount

    @Option(parsing: .unconditional, help: "The run seed: 0…2⁶⁴−1.", transform: SeedArgument.parse)
    var seed: UInt64 = 0

    @Option(help: "Output folder (created if missing; an earlier run's folder resumes it).")
    var out: String

    @Option(help: "Reference ODE solver for the reference-solution distance, or 'none'.")
    var reference = ComparisonPlan.defaultReferenceSolver

    @Option(parsing: .unconditional, help: "Samples per batch (does not change results).")
    var batch = 10_000

    @Option(parsing: .unconditional, help: "Worker threads per cell (default: every active core, here \(ActiveCores.count)); does not change results.")
    var threads: Int?

    @Option(help: "Run only shard K of N of the cells (cell j goes to shard j mod N + 1) into the shared --out folder, without a report; a final run without --shard runs what is left and writes the report.")
    var shard: String?

    @Option(name: .customLong("trajectory-frames"), parsing: .unconditional,
            help: "States per sampler in the side-by-side trajectory figures trajectories-nfeB.png (2-D and image models; 0: none).")
    var trajectoryFrames = ComparisonPlan.defaultTrajectoryFrames

    @Option(help: "generate (default; on a class-conditional model such as digits-cond, sample i asks for class i mod 10 and the report adds the classifier's agreement and per-class Fréchet distance) or inpaint (complete held-out images whose lower half is masked: digits, digits-cond).")
    var task = "generate"

    @Option(parsing: .unconditional, help: "Classifier-free guidance weight w ≥ 0 for a class-conditional model: D(x|c) + w·(D(x|c) − D(x|∅)); 0 is the conditional estimate alone. With --task inpaint: the reconstruction guidance weight (see `scorekit inpaint --help`).")
    var guidance: Double?

    @Flag(help: "Sample a class-conditional model without labels (its unconditional estimate).")
    var unconditional = false

    @Flag(help: "Start even when the planned denoiser evaluations (cells × budget × count) exceed the limit (10¹⁰).")
    var force = false

    func run() throws {
        do {
            try execute()
        } catch {
            throw CLIError(Self.message(for: error))
        }
    }

    /// The one-line message the tool prints for `error`.
    static func message(for error: any Error) -> String {
        (error as? CLIError)?.description ?? String(describing: error)
    }

    /// The comparison the options describe, validated; throws before any work on bad input.
    func comparison() throws -> Comparison {
        try ModelArgument.check(model)
        let parsedShard = try shard.map { text in
            do { return try Shard(parsing: text) } catch { throw CLIError(String(describing: error)) }
        }
        guard let parsedTask = ComparisonTask(rawValue: task) else {
            throw CLIError("--task \(task): unknown task; valid tasks: \(ComparisonTask.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var plan = ComparisonPlan(
            model: model,
            samplers: try samplers.map(ComparisonPlan.parseSamplerList) ?? [],
            budgets: try nfe.map(ComparisonPlan.parseBudgets) ?? [],
            count: count, seed: seed, output: URL(fileURLWithPath: out, isDirectory: true),
            referenceSolver: reference.lowercased() == "none" ? nil : reference, batchSize: batch,
            threads: threads ?? ActiveCores.count, shard: parsedShard, trajectoryFrames: trajectoryFrames)
        plan.task = parsedTask
        plan.guidance = guidance
        plan.unconditional = unconditional
        return try Comparison(plan: plan)
    }

    /// Refuses a --count whose samples would not fit in memory, and planned work past
    /// `RunLimits.maxEvaluations` without --force (returning the warning to print with it).
    func checkSize(_ comparison: Comparison) throws -> WorkCheck {
        let size = OutputSizeCheck(count: count, valuesPerSample: comparison.model.denoiser.dimension, streamed: false)
        try size.check(what: "--count \(count)", out: nil, freeBytes: nil, memoryLimit: RunLimits.memoryLimit)
        let budgets = comparison.plan.budgets.reduce(0.0) { $0 + Double($1) }
        let work = WorkCheck(evaluations: budgets * Double(comparison.rows.count) * Double(count),
                             breakdown: "(budgets summing to \(RunLimits.count(budgets)) NFE × \(comparison.rows.count) samplers × \(RunLimits.count(Double(count))) samples)")
        if let warning = try work.check("compare", force: force) {
            FileHandle.standardError.write(Data("warning: \(warning)\n".utf8))
        }
        return work
    }

    private func execute() throws {
        let comparison = try comparison()
        let work = try checkSize(comparison)
        ProcessTuning.apply()     // one BLAS thread per worker: the workers are the parallelism
        let bar = TerminalProgress(label: "compare", estimatesETA: false, sparseLines: work.isLarge)
        let results = try comparison.run { p in
            bar.update(p.fraction, detail: "cells \(p.cellsDone)/\(p.cells)  \(p.current)", secondsRemaining: p.secondsRemaining)
        }
        bar.finish()
        let folder = comparison.plan.output
        if let shard = comparison.plan.shard {
            print("shard \(shard): \(results.cells.count) of \(comparison.cells.count) cells finished in \(folder.path); "
                  + "run `scorekit compare` with the same options and no --shard to finish and write the report")
            return
        }
        let unavailable = results.cells.filter { $0.status == .unavailable }.count
        print("compared \(results.rows.count) samplers × \(results.budgets.count) budgets on \(results.model), \(results.count) samples per cell"
              + (unavailable > 0 ? " (\(unavailable) cells n/a)" : ""))
        if let skipped = results.referenceSolution.skipped { print("reference-solution distance skipped: \(skipped)") }
        print("report: \(folder.appendingPathComponent("report.md").path)")
        print("plot:   \(folder.appendingPathComponent("nfe-quality.svg").path)")
        print("tables: \(folder.appendingPathComponent("results.csv").path), results.json; pictures under cells/")
        if let figures = results.trajectoryFigures, !figures.isEmpty {
            print("trajectories: \(figures.joined(separator: ", ")) (a row per sampler, the same initial noise)")
        }
    }
}
