import Foundation
import ScoreKitCore
import ScoreKitMetrics

/// Everything a comparison measured: what ran, the metrics and their noise floors, the
/// reference solution, and one record per finished cell. `results.json` is this value.
public struct ComparisonResults: Sendable, Codable, Equatable {
    /// One sampler row.
    public struct Row: Sendable, Codable, Equatable {
        /// The spec as given (row label); the resolved spec; the sampler's name.
        public let label: String, sampler: String, name: String
    }

    /// One metric column.
    public struct MetricInfo: Sendable, Codable, Equatable {
        /// The column name and a description.
        public let name: String, title: String
        /// Which values are better.
        public let goal: MetricGoal
        /// The metric of an independent reference draw of `count` samples, the mean over
        /// `QualitySuite.floorDraws` draws (nil when it does not apply, as for the
        /// reference-solution distance).
        public let noiseFloor: Double?
        /// The standard deviation of that metric over the draws.
        public let noiseFloorSD: Double?

        enum CodingKeys: String, CodingKey {
            case name, title, goal, noiseFloor = "noise_floor", noiseFloorSD = "noise_floor_sd"
        }
    }

    /// The reference solution used for the reference-solution distance, or why there is none.
    public struct ReferenceInfo: Sendable, Codable, Equatable {
        /// The solver's spec.
        public let solver: String
        /// Denoiser calls per sample it used.
        public let nfe: CountSummary?
        /// Why there is no reference solution.
        public let skipped: String?
    }

    /// The model, as named in the plan.
    public let model: String
    /// Samples per cell.
    public let count: Int
    /// The run seed.
    public let seed: UInt64
    /// The budgets, ascending.
    public let budgets: [Int]
    /// The samplers, in order.
    public let rows: [Row]
    /// The metric columns.
    public let metrics: [MetricInfo]
    /// The reference solution.
    public let referenceSolution: ReferenceInfo
    /// Remarks on what could not be measured.
    public let notes: [String]
    /// The finished cells, sampler-major, budgets ascending.
    public let cells: [CellRecord]
    /// The command that reproduces the comparison.
    public let command: String
    /// The side-by-side trajectory figures in the output folder, one per budget in budget order
    /// (nil when none were drawn).
    public var trajectoryFigures: [String]? = nil

    enum CodingKeys: String, CodingKey {
        case model, count, seed, budgets, rows, metrics, notes, cells, command
        case trajectoryFigures = "trajectory_figures"
        case referenceSolution = "reference_solution"
    }

    /// The record of `row` at `budget`, if that cell has finished.
    public func cell(_ row: Row, _ budget: Int) -> CellRecord? {
        cells.first { $0.sampler == row.sampler && $0.budget == budget }
    }

    /// Whether every cell has finished.
    public var isComplete: Bool { cells.count == rows.count * budgets.count }

    /// The best value of `metric` among the finished cells at `budget` (by the metric's goal).
    public func best(_ metric: MetricInfo, at budget: Int) -> Double? {
        rows.compactMap { cell($0, budget)?.metrics[metric.name] }
            .reduce(nil as Double?) { best, v in best.map { metric.goal.prefers(v, over: $0) ? v : $0 } ?? v }
    }
}

/// Writes the result files of a comparison, each atomically.
public enum ResultsFiles {
    /// Writes `results.csv`, `results.json`, `report.md` and `nfe-quality.svg` into `folder`.
    public static func write(_ results: ComparisonResults, to folder: URL) throws {
        try AtomicFile.write(Data(csv(results).utf8), to: folder.appendingPathComponent("results.csv"))
        try AtomicFile.write(try json(results), to: folder.appendingPathComponent("results.json"))
        try AtomicFile.write(Data(MarkdownReport.text(results).utf8), to: folder.appendingPathComponent("report.md"))
        try AtomicFile.write(Data(NFEQualityPlot.svg(results).utf8), to: folder.appendingPathComponent("nfe-quality.svg"))
    }

    /// The JSON form: sorted keys, so equal results are equal bytes.
    public static func json(_ results: ComparisonResults) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return try encoder.encode(results)
    }

    /// One row per finished cell: the resolved sampler spec, budget, status, the spec that ran,
    /// NFE per sample (mean, min, max), classifier calls, seconds, whether it drew noise, every
    /// metric, and a note (why a cell or a value is missing).
    public static func csv(_ results: ComparisonResults) -> String {
        let names = results.metrics.map(\.name)
        var lines = [(["sampler", "name", "budget", "status", "spec", "nfe_mean", "nfe_min", "nfe_max",
                       "classifier_calls_mean", "seconds", "deterministic"] + names + ["note"]).joined(separator: ",")]
        for record in results.cells {
            var fields = [record.sampler, record.name, String(record.budget), record.status.rawValue, record.spec ?? "",
                          record.nfe.map { number($0.mean) } ?? "", record.nfe.map { String($0.min) } ?? "",
                          record.nfe.map { String($0.max) } ?? "", record.classifierCalls.map { number($0.mean) } ?? "",
                          record.seconds.map { String(format: "%.4f", $0) } ?? "",
                          record.deterministic.map { $0 ? "true" : "false" } ?? ""]
            fields += names.map { record.metrics[$0].map(number) ?? "" }
            fields.append(note(record))
            lines.append(fields.map(quoted).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Why a cell, or some of its values, are missing.
    static func note(_ record: CellRecord) -> String {
        if let reason = record.reason { return reason }
        let stopped = record.stoppedEarly.map { [MarkdownReport.earlyStopText($0)] } ?? []
        return (stopped + record.metricNotes.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }).joined(separator: "; ")
    }

    /// A value with six significant digits (the same text for the same value, every run).
    static func number(_ v: Double) -> String { String(format: "%.6g", v) }

    /// A CSV field, quoted when it holds a comma, quote or newline.
    static func quoted(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
