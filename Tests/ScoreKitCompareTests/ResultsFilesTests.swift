import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import ScoreKitCompare
import ScoreKit

@Suite("Result tables, report and plot")
struct ResultsFilesTests {
    /// Two samplers at two budgets with made-up values, one cell n/a.
    static func results() -> ComparisonResults {
        func cell(_ name: String, _ budget: Int, _ sw: Double?, _ gap: Double?) -> CellRecord {
            var r = CellRecord(key: "\(name)\(budget)", sampler: "\(name):x=1", name: name, budget: budget,
                               status: sw == nil ? .unavailable : .ok)
            if let sw, let gap {
                r.nfe = CountSummary([budget, budget]); r.seconds = 0.5; r.spec = "\(name):x=1,steps=\(budget)"
                r.metrics = ["sw": sw, "ll_gap": gap]
            } else {
                r.reason = "needs more NFE"
            }
            return r
        }
        return ComparisonResults(
            model: "toy", count: 2, seed: 0, budgets: [10, 20],
            rows: [.init(label: "a", sampler: "a:x=1", name: "a"), .init(label: "b", sampler: "b:x=1", name: "b")],
            metrics: [.init(name: "sw", title: "sliced", goal: .lower, noiseFloor: 0.05, noiseFloorSD: 0.02),
                      .init(name: "ll_gap", title: "gap", goal: .nearZero, noiseFloor: 0.01, noiseFloorSD: nil)],
            referenceSolution: .init(solver: "rk45", nfe: nil, skipped: "not in this build"), notes: [],
            cells: [cell("a", 10, 0.3, -0.2), cell("a", 20, 0.1, 0.05), cell("b", 10, nil, nil), cell("b", 20, 0.2, -0.01)],
            command: "scorekit compare …")
    }

    @Test("The report marks the best of each column by the metric's goal, and states the noise floor")
    func bestPerColumn() {
        let text = MarkdownReport.text(Self.results())
        #expect(text.contains("| `a` | **0.3** | **0.1** |"))          // sw: lower is better
        #expect(text.contains("| `b` | n/a | 0.2 |"))
        #expect(text.contains("| `a` | **-0.2** | 0.05 |"))            // ll_gap: nearest 0 (b is n/a at 10)
        #expect(text.contains("| `b` | n/a | **-0.01** |"))
        #expect(text.contains("Noise floor (independent draws of 2 reference samples, mean ± sd over 5): 0.05 ± 0.02."))
        #expect(text.contains("`b` at 10 NFE: needs more NFE"))
        #expect(text.contains("Skipped: not in this build"))
    }

    @Test("CSV: specs with commas are quoted; missing values are empty; the reason goes in the note")
    func csv() {
        #expect(ResultsFiles.quoted("ddim:steps=10,eta=0") == "\"ddim:steps=10,eta=0\"")
        #expect(ResultsFiles.quoted("say \"hi\", ok") == "\"say \"\"hi\"\", ok\"")
        let lines = ResultsFiles.csv(Self.results()).split(separator: "\n").map(String.init)
        #expect(lines[0] == "sampler,name,budget,status,spec,nfe_mean,nfe_min,nfe_max,classifier_calls_mean,seconds,deterministic,sw,ll_gap,note")
        #expect(lines[1] == "a:x=1,a,10,ok,\"a:x=1,steps=10\",10,10,10,,0.5000,,0.3,-0.2,")
        #expect(lines[3] == "b:x=1,b,10,unavailable,,,,,,,,,,needs more NFE")
    }

    @Test("The plot has a panel per metric, a curve per sampler with data, and the floor line")
    func plot() {
        let svg = NFEQualityPlot.svg(Self.results())
        #expect(svg.hasPrefix("<svg") && svg.hasSuffix("</svg>\n"))
        #expect(svg.components(separatedBy: "<polyline").count - 1 == 4)        // 2 metrics × 2 samplers
        #expect(svg.components(separatedBy: "stroke-dasharray").count - 1 == 2)  // a floor per panel
        #expect(svg.contains("NFE per sample (log scale)"))
        // Well-formed XML.
        #expect(XMLParser(data: Data(svg.utf8)).parse())
    }

    @Test("Log axes span whole decades; linear axes round steps that cover the data")
    func axes() {
        let log = Axis(values: [10, 20, 50, 100], logarithmic: true)
        #expect(log.lo == 10 && log.hi == 100 && log.ticks == [10, 20, 50, 100])
        #expect(abs(log.position(31.622776601683793) - 0.5) < 1e-12)
        let linear = Axis(values: [-0.47, 0.03], logarithmic: false)
        #expect(linear.lo <= -0.47 && linear.hi >= 0.03 && linear.ticks.contains(0))
        #expect(Axis.niceStep(0.13) == 0.2 && Axis.niceStep(0.3) == 0.5 && Axis.niceStep(7) == 10)
    }
}
