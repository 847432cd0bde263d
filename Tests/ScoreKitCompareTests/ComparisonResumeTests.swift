import Foundation
import Testing
@testable import ScoreKitCompare
import ScoreKit

@Suite("Comparisons survive interruption")
struct ComparisonResumeTests {
    static let files = ["results.csv", "results.json", "report.md", "nfe-quality.svg"]

    static func contents(_ folder: URL) -> [String: String] {
        Dictionary(uniqueKeysWithValues: files.map { ($0, CompareTestSupport.text(folder.appendingPathComponent($0)) ?? "") })
    }

    @Test("Rerunning a finished comparison samples nothing and rewrites identical files")
    func rerunIsIdentical() throws {
        let out = CompareTestSupport.scratch()
        let plan = CompareTestSupport.smallPlan(out, count: 100)
        _ = try Comparison(plan: plan).run()
        let first = Self.contents(out)
        final class Log: @unchecked Sendable { var remaining: [Double?] = [] }
        let log = Log()
        _ = try Comparison(plan: plan).run { log.remaining.append($0.secondsRemaining) }
        #expect(Self.contents(out) == first)
        #expect(log.remaining.allSatisfy { $0 == nil })          // no cell ran, so no pace to estimate from
    }

    @Test("Cancelled after the first cell, then rerun: the same results.csv as an uninterrupted run")
    func cancelAndResume() async throws {
        let plan = { (out: URL) in CompareTestSupport.smallPlan(out, budgets: [5, 10, 20], count: 100) }
        let interrupted = CompareTestSupport.scratch("interrupted"), fresh = CompareTestSupport.scratch("fresh")
        let comparison = try Comparison(plan: plan(interrupted))
        let task = Task {
            try comparison.run { p in
                if p.cellsDone >= 1 { withUnsafeCurrentTask { $0?.cancel() } }
            }
        }
        await #expect(throws: CancellationError.self) { try await task.value }
        let stored = try FileManager.default.contentsOfDirectory(atPath: interrupted.appendingPathComponent("cells").path)
        #expect(stored.filter { $0.hasSuffix(".json") }.count == 1)             // the finished cell, nothing half-done
        #expect(!stored.contains { $0.hasSuffix(".tmp") })
        let partial = try #require(CompareTestSupport.text(interrupted.appendingPathComponent("report.md")))
        #expect(partial.contains("**Partial:** 1 of 6 cells finished"))

        _ = try Comparison(plan: plan(interrupted)).run()
        _ = try Comparison(plan: plan(fresh)).run()
        let resumed = try #require(CompareTestSupport.text(interrupted.appendingPathComponent("results.csv")))
        let uninterrupted = try #require(CompareTestSupport.text(fresh.appendingPathComponent("results.csv")))
        // Two separate runs agree on everything but the wall-clock seconds of each cell …
        #expect(CompareTestSupport.csvWithoutSeconds(resumed) == CompareTestSupport.csvWithoutSeconds(uninterrupted))
        // … and a rerun of the resumed folder reproduces it byte for byte.
        _ = try Comparison(plan: plan(interrupted)).run()
        #expect(CompareTestSupport.text(interrupted.appendingPathComponent("results.csv")) == resumed)
    }

    @Test("A wider sweep reuses the cells of a narrower one (a subset run is an interrupted run)")
    func subsetThenFull() throws {
        let out = CompareTestSupport.scratch()
        let narrow = try Comparison(plan: CompareTestSupport.smallPlan(out, budgets: [5], count: 60)).run()
        let wide = try Comparison(plan: CompareTestSupport.smallPlan(out, budgets: [5, 10], count: 60)).run()
        for cell in narrow.cells {
            let again = try #require(wide.cells.first { $0.key == cell.key })
            #expect(again == cell)                               // including its seconds: not sampled again
        }
    }

    @Test("A changed metric set re-measures stored samples without sampling again")
    func newReferenceSolution() throws {
        let out = CompareTestSupport.scratch()
        let before = try Comparison(plan: CompareTestSupport.smallPlan(out, samplers: ["ddim"], budgets: [5], count: 60)).run()
        let after = try Comparison(plan: CompareTestSupport.smallPlan(out, samplers: ["ddim"], budgets: [5], count: 60,
                                                                      reference: "ddim:steps=100")).run()
        let a = try #require(before.cells.first), b = try #require(after.cells.first)
        #expect(a.seconds == b.seconds)                          // the stored run, not a new one
        #expect(a.metrics["ref_rms"] == nil && b.metrics["ref_rms"] != nil)
        #expect(a.metrics["sw"] == b.metrics["sw"])
    }

    @Test("A damaged or foreign cell record is ignored and the cell runs again")
    func damagedRecord() throws {
        let out = CompareTestSupport.scratch()
        let plan = CompareTestSupport.smallPlan(out, samplers: ["ddim"], budgets: [5], count: 40)
        let first = try Comparison(plan: plan).run()
        let cell = try #require(first.cells.first)
        let location = CellLocation(model: "gmm2d", sampler: cell.sampler, name: cell.name, budget: 5, count: 40, seed: 3, output: out)
        try Data("{ not json".utf8).write(to: location.record)
        let second = try Comparison(plan: plan).run()
        #expect(second.cells.first?.metrics == cell.metrics)       // re-run from the same noise: same samples
        #expect(CellRecord.decoded(try Data(contentsOf: location.record)) != nil)
    }
}
