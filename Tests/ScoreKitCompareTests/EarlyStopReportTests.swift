import Foundation
import Testing
@testable import ScoreKitCompare
import ScoreKit

/// A cell where an adaptive sampler ran out of budget is marked in every table, explained at
/// the end of the report, noted in results.csv, and kept in its stored record.
@Suite("Cells with samples stopped early")
struct EarlyStopReportTests {
    static func results() -> ComparisonResults {
        let base = ResultsFilesTests.results()
        var cells = base.cells
        cells[0].stoppedEarly = EarlyStopSummary([0.5, nil, 2.5].map { $0 })
        return ComparisonResults(model: base.model, count: base.count, seed: base.seed, budgets: base.budgets, rows: base.rows,
                                 metrics: base.metrics, referenceSolution: base.referenceSolution, notes: base.notes,
                                 cells: cells, command: base.command)
    }

    @Test("the report marks the cell with † in the metric and NFE tables and lists it")
    func report() {
        let text = MarkdownReport.text(Self.results())
        #expect(text.contains("| `a` | **0.3** † | **0.1** |"))
        #expect(text.contains("| `a` | 10 † | 20 |"))
        #expect(text.contains("† marks a cell where an adaptive sampler ran out of budget"))
        #expect(text.contains("- `a` at 10 NFE: stopped early: 2 of 2 samples ran out of budget and were denoised from σ 0.5…2.5 (mean 1.5)"))
        #expect(!MarkdownReport.text(ResultsFilesTests.results()).contains("†"))
    }

    @Test("results.csv notes it, and the cell record keeps it")
    func csvAndRecord() throws {
        let lines = ResultsFiles.csv(Self.results()).split(separator: "\n").map(String.init)
        #expect(lines[1].hasSuffix(",stopped early: 2 samples ran out of budget and were denoised from σ 0.5…2.5 (mean 1.5)"))
        let record = Self.results().cells[0]
        #expect(try record.roundTripped().stoppedEarly == record.stoppedEarly)
        #expect(String(decoding: try record.encoded(), as: UTF8.self).contains("\"stopped_early\""))
    }
}
