import Foundation
import Testing
import ScoreKit

/// Issue 12: `rk45` under a budget stopped integrating and denoised from a large σ without a
/// word (a 3-D Gaussian with standard deviations 0.5/1/2 came back with 0.04/0.16/0.63 at 50 NFE).
@Suite("scorekit sample: a budget that truncates an adaptive sampler is reported")
struct BudgetReportTests {
    static func gaussianFile(in folder: URL) throws {
        try Data(#"{"kind":"gaussian-mixture","weights":[1],"means":[[0,0,0]],"stds":[[0.5,1,2]]}"#.utf8)
            .write(to: folder.appendingPathComponent("g.json"))
    }

    @Test("rk45 at --nfe 50: a warning line, and --json says how many stopped and where")
    func truncated() throws {
        let folder = try CLI.temporaryFolder()
        try Self.gaussianFile(in: folder)
        let r = try CLI.run(["sample", "--model", "g.json", "--sampler", "rk45", "--nfe", "50", "--count", "20",
                             "--json", "--out", "x.npy"], in: folder)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("warning: rk45: 20 of 20 samples ran out of the budget of 50 NFE and were denoised early, from σ "),
                "\(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: r.stdoutData) as? [String: Any])
        let stopped = try #require(object["stopped_early"] as? [String: Any])
        #expect(stopped["count"] as? Int == 20)
        let sigma = try #require(stopped["sigma_min"] as? Double)
        #expect(sigma > 0.002 && sigma <= (stopped["sigma_max"] as? Double ?? 0))
        let text = try CLI.run(["sample", "--model", "g.json", "--sampler", "rk45", "--nfe", "50", "--count", "20",
                                "--out", "y.npy"], in: folder)
        #expect(text.stdout.contains("stopped     20 samples early (budget), at σ "), "\(text.stdout)")
    }

    @Test("with room to finish: no warning, and stopped_early counts 0")
    func complete() throws {
        let folder = try CLI.temporaryFolder()
        try Self.gaussianFile(in: folder)
        let r = try CLI.run(["sample", "--model", "g.json", "--sampler", "rk45:rtol=1e-3,atol=1e-3", "--count", "10",
                             "--json", "--out", "x.npy"], in: folder)
        #expect(r.status == 0 && !r.stderr.contains("warning"), "\(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: r.stdoutData) as? [String: Any])
        #expect((object["stopped_early"] as? [String: Any])?["count"] as? Int == 0)
    }
}
