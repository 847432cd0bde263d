import Foundation
import Testing
import ScoreKit

@Suite("scorekit likelihood")
struct LikelihoodCommandTests {
    /// `count` exact gmm2d draws in `folder/name`.
    func writeDraws(_ mixture: GaussianMixture, count: Int, to folder: URL, name: String = "x.npy") throws {
        try ArrayFile.write(mixture.sample(count: count, seed: 4), to: folder.appendingPathComponent(name))
    }

    @Test("--json and --out: the per-row log p(x), its summary, and the closed-form density beside it")
    func jsonAndOut() throws {
        let folder = try CLI.temporaryFolder()
        try writeDraws(BuiltinModels.gmm2d, count: 40, to: folder)
        let r = try CLI.run(["likelihood", "--model", "gmm2d", "--data", "x.npy", "--json", "--out", "ll.npy"], in: folder)
        #expect(r.status == 0 && r.stderr.isEmpty, "\(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: r.stdoutData) as? [String: Any])
        let ll = try ArrayFile.read(folder.appendingPathComponent("ll.npy"))
        #expect(ll.shape == [40])
        let nll = try #require(object["nll_mean"] as? Double)
        #expect(abs(nll + ll.scalars.reduce(0) { $0 + Double($1) } / 40) < 1e-4)
        let stderr = try #require(object["nll_stderr"] as? Double)
        #expect(stderr > 0 && stderr < 1)
        #expect(abs((object["bpd"] as? Double ?? 0) - nll / (2 * log(2))) < 1e-12)
        let nfe = try #require(object["nfe_per_sample"] as? [String: Any])
        #expect((nfe["mean"] as? Double ?? 0) > 10)
        #expect(object["divergence"] as? String == "exact" && object["probes"] == nil)
        #expect(abs(object["gap_per_dim"] as? Double ?? 1) < 0.01)
        let exact = BuiltinModels.gmm2d.logDensity(BuiltinModels.gmm2d.sample(count: 40, seed: 4))
        #expect(abs((object["exact_nll_mean"] as? Double ?? 0) + exact.reduce(0, +) / 40) < 1e-9)
        let rowError = try #require(object["row_error"] as? [String: Double])
        let errors = zip(ll.scalars, exact).map { abs(Double($0) - $1) }
        #expect(abs(rowError["max_abs"]! - errors.max()!) < 1e-4 && rowError["sd"]! > 0)
    }

    @Test("the output does not depend on --batch or --threads")
    func batchIndependence() throws {
        let folder = try CLI.temporaryFolder()
        try writeDraws(BuiltinModels.gmm64, count: 6, to: folder)
        for (name, batch, threads) in [("a", "6", "1"), ("b", "4", "2")] {
            let r = try CLI.run(["likelihood", "--model", "gmm64", "--data", "x.npy", "--rtol", "1e-3", "--atol", "1e-3",
                                 "--seed", "2", "--batch", batch, "--threads", threads, "--out", "\(name).npy"], in: folder)
            #expect(r.status == 0, "\(r.stderr)")
        }
        #expect(try Data(contentsOf: folder.appendingPathComponent("a.npy")) == Data(contentsOf: folder.appendingPathComponent("b.npy")))
    }

    @Test("--reference: fresh exact draws, Hutchinson above 16 dimensions, and the report's lines")
    func reference() throws {
        let r = try CLI.run(["likelihood", "--model", "gmm64", "--reference", "--count", "4", "--probes", "2", "--rtol", "1e-3"])
        #expect(r.status == 0, "\(r.stderr)")
        for line in ["data        4 fresh draws (seed 0)", "Hutchinson, 2 probes", "NLL ", "bits/dim", "exact NLL", "NFE/sample"] {
            #expect(r.stdout.contains(line), "missing '\(line)' in \(r.stdout)")
        }
    }

    @Test("digits: the held-out set, dequantised, with the discrete data's bits per dimension")
    func dequantisedDigits() throws {
        let r = try CLI.run(["likelihood", "--model", "digits", "--reference", "--count", "2", "--dequantise", "0.125",
                             "--rtol", "1e-3", "--atol", "1e-3", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: r.stdoutData) as? [String: Any])
        #expect(object["data"] as? String == "2 of the 297 held-out rows")
        let bpd = try #require(object["bpd"] as? Double), discrete = try #require(object["bpd_discrete"] as? Double)
        #expect(abs(discrete - (bpd + 3)) < 1e-12)
        #expect(object["exact_nll_mean"] == nil)
    }

    @Test("refusals are one line naming the argument", arguments: [
        (["--data", "g64.npy"], "--data g64.npy has shape [3, 64]; gmm2d samples have 2 values (shape [2]), so expected rows × 2"),
        ([], "give the data: --data FILE, or --reference for the model's reference data"),
        (["--data", "g64.npy", "--reference"], "give --data FILE or --reference, not both"),
        (["--reference", "--divergence", "trace"], "--divergence 'trace' is not known; expected exact or hutchinson"),
        (["--reference", "--probes", "0"], "--probes must be in 1…10000, got 0"),
        (["--reference", "--rtol", "0"], "--rtol must be in (0, 1], got 0.0"),
        (["--reference", "--sigma-min", "5", "--sigma-max", "1"], "--sigma-min 5.0 must be below --sigma-max 1.0"),
        (["--reference", "--dequantise", "-1"], "--dequantise must be a positive bin width, got -1.0"),
        (["--reference", "--count", "0"], "--count must be positive, got 0"),
        (["--reference", "--out", "ll.png"], "--out ll.png: expected a .npy, .safetensors or .csv file for the per-row log-likelihoods"),
        (["--data", "bad.csv"], "--data bad.csv: row 1 (counting from 0) holds nan; data must be finite"),
    ])
    func refusals(arguments: [String], message: String) throws {
        let folder = try CLI.temporaryFolder()
        try writeDraws(BuiltinModels.gmm64, count: 3, to: folder, name: "g64.npy")
        try Data("1,2\nnan,3\n".utf8).write(to: folder.appendingPathComponent("bad.csv"))
        let r = try CLI.run(["likelihood", "--model", "gmm2d"] + arguments, in: folder)
        #expect(r.status != 0)
        #expect(r.stderr == "Error: \(message)\n")
    }
}
