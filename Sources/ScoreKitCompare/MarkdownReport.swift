import Foundation
import ScoreKitCore

/// `report.md`: a table per metric (samplers as rows, budgets as columns, the best of each
/// column in bold) with the metric's noise floor, then NFE used, time, the resolved specs, the
/// cells that could not run and why, and the reference solution.
public enum MarkdownReport {
    /// The report's text.
    public static func text(_ r: ComparisonResults) -> String {
        var out = [
            "# NFE versus quality: \(r.model)", "",
            "\(r.count) samples per cell, seed \(r.seed); every cell starts from the same initial noise.",
            r.isComplete ? "" : "**Partial:** \(r.cells.count) of \(r.rows.count * r.budgets.count) cells finished (… marks the rest).",
            "Reproduce or resume: `\(r.command)`", "",
            "**Noise floor.** Under each table: the metric of an independent draw of \(r.count) reference "
                + "samples in place of a sampler's output — what a perfect sampler would score — as the mean "
                + "and standard deviation over \(QualitySuite.floorDraws) such draws. Differences within a "
                + "standard deviation or so of the floor are sampling noise, not sampler quality.",
            "Columns are NFE budgets; the best value of each column is in **bold**; n/a marks a sampler "
                + "that cannot run at that budget (reasons at the end)"
                + (r.cells.contains { $0.stoppedEarly != nil } ? "; † marks a cell where an adaptive sampler ran out of "
                    + "budget and denoised some samples early (how many, and from which σ, at the end)." : "."), "",
        ]
        for metric in r.metrics { out += metricSection(r, metric) }
        out += countTable(r, title: "NFE used per sample (mean)") { c in c.nfe.map { format($0.mean) + mark(c) } }
        if r.cells.contains(where: { ($0.classifierCalls?.max ?? 0) > 0 }) {
            out += countTable(r, title: "Noise-level classifier calls per sample (mean)") { $0.classifierCalls.map { format($0.mean) } }
        }
        out += countTable(r, title: "Sampling time (seconds, measured when the cell ran)") {
            $0.seconds.map { String(format: "%.3f", $0) }
        }
        out += trajectorySection(r) + specsSection(r) + unavailableSection(r) + earlyStopSection(r) + referenceSection(r)
        if !r.notes.isEmpty { out += ["## Notes", ""] + r.notes.map { "- \($0)" } + [""] }
        return out.joined(separator: "\n")
    }

    static func format(_ v: Double) -> String { String(format: "%.4g", v) }

    private static func header(_ r: ComparisonResults) -> [String] {
        ["| sampler \\ NFE | " + r.budgets.map(String.init).joined(separator: " | ") + " |",
         "|---|" + String(repeating: "---:|", count: r.budgets.count)]
    }

    private static func metricSection(_ r: ComparisonResults, _ metric: ComparisonResults.MetricInfo) -> [String] {
        var lines = ["## \(metric.name) — \(metric.title)", "", "\(metric.goal.phrase.prefix(1).uppercased() + metric.goal.phrase.dropFirst()).", ""]
        lines += header(r)
        for row in r.rows {
            let cells = r.budgets.map { budget -> String in
                guard let record = r.cell(row, budget) else { return "…" }
                guard record.status == .ok else { return "n/a" }
                guard let v = record.metrics[metric.name] else { return "–" }
                return (r.best(metric, at: budget) == v ? "**\(format(v))**" : format(v)) + mark(record)
            }
            lines.append("| `\(row.label)` | " + cells.joined(separator: " | ") + " |")
        }
        lines.append("")
        if let floor = metric.noiseFloor {
            let sd = metric.noiseFloorSD.map { " ± \(format($0))" } ?? ""
            lines.append("Noise floor (independent draws of \(r.count) reference samples, mean ± sd over "
                         + "\(QualitySuite.floorDraws)): \(format(floor))\(sd).")
        } else if metric.name == "ref_rms" {
            lines.append("Measured only for deterministic samplers (– marks stochastic ones); the reference is "
                         + "`\(r.referenceSolution.solver)` from the same initial noise.")
        }
        return lines + [""]
    }

    private static func countTable(_ r: ComparisonResults, title: String, _ value: (CellRecord) -> String?) -> [String] {
        var lines = ["## \(title)", ""] + header(r)
        for row in r.rows {
            let cells = r.budgets.map { b in r.cell(row, b).map { value($0) ?? "n/a" } ?? "…" }
            lines.append("| `\(row.label)` | " + cells.joined(separator: " | ") + " |")
        }
        return lines + [""]
    }

    private static func trajectorySection(_ r: ComparisonResults) -> [String] {
        guard let figures = r.trajectoryFigures, !figures.isEmpty else { return [] }
        let links = zip(r.budgets, figures).map { "[\($0) NFE](\($1))" }.joined(separator: " · ")
        return ["## Trajectories", "",
                "One figure per budget, a row per sampler: the same initial noise (the run's first samples) carried "
                    + "by each sampler, shown as x/√(1+σ²) at evenly spaced steps, first and last included: \(links).", ""]
    }

    private static func specsSection(_ r: ComparisonResults) -> [String] {
        var lines = ["## Samplers", "", "Each row's spec with every default filled in (the budget then sets its steps; "
                     + "the spec that ran in each cell is in results.csv).", ""]
        lines += r.rows.map { "- `\($0.label)` → `\($0.sampler)`" }
        return lines + [""]
    }

    private static func unavailableSection(_ r: ComparisonResults) -> [String] {
        let missing = r.cells.filter { $0.status == .unavailable }
        guard !missing.isEmpty else { return [] }
        let label = Dictionary(r.rows.map { ($0.sampler, $0.label) }, uniquingKeysWith: { a, _ in a })
        return ["## Cells not available", ""]
            + missing.map { "- `\(label[$0.sampler] ?? $0.name)` at \($0.budget) NFE: \($0.reason ?? "unknown")" } + [""]
    }

    /// † for a cell with samples stopped early.
    static func mark(_ record: CellRecord) -> String { record.stoppedEarly == nil ? "" : " †" }

    /// How many samples of a cell stopped early, and where.
    static func earlyStopText(_ s: EarlyStopSummary, of total: Int? = nil) -> String {
        "stopped early: \(s.count)\(total.map { " of \($0)" } ?? "") samples ran out of budget and were denoised from σ "
            + String(format: "%.4g…%.4g (mean %.4g)", s.sigmaMin, s.sigmaMax, s.sigmaMean)
    }

    private static func earlyStopSection(_ r: ComparisonResults) -> [String] {
        let stopped = r.cells.filter { $0.stoppedEarly != nil }
        guard !stopped.isEmpty else { return [] }
        let label = Dictionary(r.rows.map { ($0.sampler, $0.label) }, uniquingKeysWith: { a, _ in a })
        return ["## Cells with samples stopped early (†)", "",
                "An adaptive sampler that runs out of its budget denoises the sample where it stopped, short of its "
                    + "tolerance: these cells measure a truncated integration.", ""]
            + stopped.map { "- `\(label[$0.sampler] ?? $0.name)` at \($0.budget) NFE: \(earlyStopText($0.stoppedEarly!, of: r.count))" } + [""]
    }

    private static func referenceSection(_ r: ComparisonResults) -> [String] {
        let ref = r.referenceSolution
        if let skipped = ref.skipped {
            return ["## Reference solution", "", "Skipped: \(skipped). The reference-solution distance is not reported.", ""]
        }
        let nfe = ref.nfe.map { String(format: " (%.4g NFE per sample on average)", $0.mean) } ?? ""
        return ["## Reference solution", "", "`\(ref.solver)`\(nfe), from the same initial noise as every cell.", ""]
    }
}
