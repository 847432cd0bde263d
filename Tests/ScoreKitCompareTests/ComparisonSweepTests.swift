import Foundation
import ScoreKitTestSupport
import Testing
@testable import ScoreKitCompare
import ScoreKit

@Suite("Comparison sweeps on gmm2d", .tags(.statistical), .statistical)
struct ComparisonSweepTests {
    @Test("ddpm and ddim at two budgets: every file, every metric, honest NFE and determinism")
    func smallSweep() throws {
        let out = CompareTestSupport.scratch()
        let results = try Comparison(plan: CompareTestSupport.smallPlan(out)).run()
        for file in ["results.csv", "results.json", "report.md", "nfe-quality.svg", "reference.png"] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(file).path), "missing \(file)")
        }
        #expect(results.isComplete && results.cells.count == 4)
        #expect(results.metrics.map(\.name) == ["sw", "mmd2", "ll_gap", "mode_tv"])
        for metric in results.metrics { #expect(metric.noiseFloor != nil) }
        for cell in results.cells {
            #expect(cell.status == .ok)
            #expect(cell.nfe == CountSummary(Array(repeating: cell.budget, count: 200)))
            #expect(cell.deterministic == (cell.name == "ddim"))
            #expect(Set(cell.metrics.keys) == ["sw", "mmd2", "ll_gap", "mode_tv"])
            #expect(cell.spec?.contains("steps=\(cell.budget)") == true)
            let stem = CellLocation(model: "gmm2d", sampler: cell.sampler, name: cell.name, budget: cell.budget,
                                    count: 200, seed: 3, output: out)
            let samples = try ArrayFile.read(stem.samples)
            #expect(samples.shape == [200, 2])
            #expect(FileManager.default.fileExists(atPath: stem.picture.path))
        }
        // The tables: a header and one row per cell; the JSON decodes to the returned results.
        let csv = try #require(CompareTestSupport.text(out.appendingPathComponent("results.csv")))
        #expect(csv.split(separator: "\n").count == 5)
        let json = try #require(FileManager.default.contents(atPath: out.appendingPathComponent("results.json").path))
        #expect(try JSONDecoder().decode(ComparisonResults.self, from: json) == results)
    }

    @Test("The same samples as `scorekit sample`: a cell is the sampling job with the same seed")
    func cellMatchesSamplingJob() throws {
        let out = CompareTestSupport.scratch()
        let comparison = try Comparison(plan: CompareTestSupport.smallPlan(out, samplers: ["ddim:eta=0.3"], budgets: [8], count: 50))
        let results = try comparison.run()
        let cell = try #require(results.cells.first)
        let location = CellLocation(model: "gmm2d", sampler: cell.sampler, name: cell.name, budget: 8, count: 50, seed: 3, output: out)
        let sampler = try SamplerCatalog.standard.sampler("ddim:eta=0.3").fitted(toNFE: 8)
        let direct = try SamplingJob(sampler: sampler, model: BuiltinModels.gmm2d, count: 50, seed: 3, batchSize: 7).run()
        #expect(try ArrayFile.read(location.samples) == direct.samples)
        #expect(cell.deterministic == false)
        // And the metric values are the suite's metrics of those samples.
        let suite = try QualitySuite(model: comparison.model, count: 50, seed: 3)
        for metric in suite.metrics { #expect(cell.metrics[metric.name] == (try metric.measure(direct.samples))) }
    }

    @Test("A sampler that cannot meet a budget gives an n/a cell with the reason, not a failure")
    func unavailableCell() throws {
        let out = CompareTestSupport.scratch()
        let results = try Comparison(plan: CompareTestSupport.smallPlan(out, samplers: ["ddim:steps=8", "ddpm"], budgets: [5, 10], count: 40)).run()
        let na = try #require(results.cells.first { $0.sampler.hasPrefix("ddim") && $0.budget == 5 })
        #expect(na.status == .unavailable)
        #expect(na.reason?.contains("steps=8 needs 8 NFE") == true)
        #expect(na.metrics.isEmpty)
        let ok = try #require(results.cells.first { $0.sampler.hasPrefix("ddim") && $0.budget == 10 })
        #expect(ok.status == .ok && ok.nfe?.mean == 8)
        let report = try #require(CompareTestSupport.text(out.appendingPathComponent("report.md")))
        #expect(report.contains("| n/a |") && report.contains("## Cells not available"))
        #expect(report.contains("`ddim:steps=8` at 5 NFE"))
    }

    @Test("With a reference solver, deterministic cells get the reference-solution distance and it falls with NFE")
    func referenceSolution() throws {
        let out = CompareTestSupport.scratch()
        // DDIM with trailing spacing always starts at t = 999, so its 1000-step run solves the
        // same ODE from the same start; η = 0 is first order, so the error E(S) ∝ 1/S − 1/1000
        // falls by ≈ 2.2 from 80 to 160 steps. (Below ~40 steps on gmm2d a few samples land in
        // the other mode than the reference, and those 14-unit jumps dominate the RMS.)
        let plan = CompareTestSupport.smallPlan(out, samplers: ["ddim:spacing=trailing", "ddpm"], budgets: [80, 160], count: 100,
                                                reference: "ddim:steps=1000,spacing=trailing")
        let results = try Comparison(plan: plan).run()
        #expect(results.metrics.last?.name == "ref_rms")
        #expect(results.referenceSolution.skipped == nil && results.referenceSolution.nfe?.mean == 1000)
        let ddim = results.cells.filter { $0.name == "ddim" }.map { $0.metrics["ref_rms"] }
        let e80 = try #require(ddim[0]), e160 = try #require(ddim[1])
        #expect(e80 / e160 > 1.6 && e80 / e160 < 3)
        for cell in results.cells where cell.name == "ddpm" {
            #expect(cell.metrics["ref_rms"] == nil && cell.metricNotes["ref_rms"]?.contains("stochastic") == true)
        }
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("reference-solution.npy").path))
    }

    @Test("Without the reference solver, the report says the distance was skipped and why")
    func referenceSkipped() throws {
        let out = CompareTestSupport.scratch()
        let results = try Comparison(plan: CompareTestSupport.smallPlan(out, samplers: ["ddim"], budgets: [5], count: 30,
                                                                         reference: "rk-missing:rtol=1e-7")).run()
        #expect(!results.metrics.contains { $0.name == "ref_rms" })
        let report = try #require(CompareTestSupport.text(out.appendingPathComponent("report.md")))
        #expect(report.contains("Skipped: the reference solver 'rk-missing' is not in this build"))
    }

    @Test("Progress: cells done rise to the total and the work fraction to 1")
    func progress() throws {
        let out = CompareTestSupport.scratch()
        final class Log: @unchecked Sendable { var events: [ComparisonProgress] = [] }
        let log = Log()
        _ = try Comparison(plan: CompareTestSupport.smallPlan(out, count: 30)).run { log.events.append($0) }
        let last = try #require(log.events.last)
        #expect(last.cellsDone == 4 && last.cells == 4 && abs(last.fraction - 1) < 1e-12)
        #expect(zip(log.events, log.events.dropFirst()).allSatisfy { $0.cellsDone <= $1.cellsDone })
    }
}
