import Foundation
import ScoreKit
import Testing

/// `scorekit sample --label/--labels/--guidance/--guidance-interval/--classifier-guidance`:
/// conditional sampling on the exact mixtures, and a one-line refusal for each misuse.
@Suite("scorekit sample with labels and guidance")
struct SampleLabelCommandTests {
    /// Runs `sample ARGS` in a fresh folder holding `files`.
    private func sample(_ arguments: [String], files: [String: Data] = [:]) throws -> CLI.Output {
        let folder = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for (name, data) in files { try data.write(to: folder.appendingPathComponent(name)) }
        return try CLI.run(["sample"] + arguments, in: folder)
    }

    /// Expects a refusal: non-zero exit and exactly one line on stderr containing `message`.
    private func expectRefused(_ arguments: [String], files: [String: Data] = [:], _ message: String) throws {
        let r = try sample(["--count", "4"] + arguments, files: files)
        #expect(r.status != 0)
        #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains(message), "stderr: \(r.stderr)")
    }

    @Test("--label on gmm2d: every sample in that class's mode; --json records labels, calls and network rows")
    func labelledGuidedRun() throws {
        let r = try sample(["--model", "gmm2d", "--sampler", "heun", "--nfe", "19", "--count", "20", "--label", "1",
                            "--guidance", "2", "--guidance-interval", "0.5:5", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: r.stdoutData) as? [String: Any])
        #expect(object["labels"] as? String == "1" && object["guidance"] as? Double == 2)
        #expect(object["guidance_interval"] as? [Double] == [0.5, 5])
        let calls = try #require(object["nfe_per_sample"] as? [String: Any])
        let rows = try #require(object["network_rows_per_sample"] as? [String: Any])
        #expect(calls["mean"] as? Double == 19)
        let guidedRows = try #require(rows["mean"] as? Double)
        #expect(guidedRows > 19 && guidedRows < 38, "\(rows)")
    }

    @Test("--labels cycles over samples; the CSV rows fall in their classes' modes; the text summary shows both counts")
    func cycledLabels() throws {
        let r = try sample(["--model", "gmm2d", "--sampler", "heun", "--nfe", "19", "--count", "6", "--labels", "0,1",
                            "--guidance", "1"])
        #expect(r.status == 0, "\(r.stderr)")
        let points = r.stdout.split(separator: "\n").map { $0.split(separator: ",").compactMap { Double($0) } }.filter { $0.count == 2 }
        #expect(points.count == 6)
        for (i, p) in points.enumerated() { #expect((p[0] > 0) == (i % 2 == 0), "sample \(i): \(p)") }
        #expect(r.stderr.contains("condition   labels 0,1 (cycled), classifier-free guidance w = 1.0"))
        #expect(r.stderr.contains("network     38 rows/sample"), "\(r.stderr)")
    }

    @Test("--labels FILE (.npy or text, one per sample) and --classifier-guidance with the exact classifier")
    func labelFiles() throws {
        let npy = try ArrayFile.encode(Tensor(shape: [4], scalars: [1, 1, 0, 1]), for: URL(fileURLWithPath: "l.npy"))
        let a = try sample(["--count", "4", "--sampler", "heun", "--nfe", "9", "--labels", "l.npy", "--classifier-guidance", "1"],
                           files: ["l.npy": npy])
        #expect(a.status == 0, "\(a.stderr)")
        let b = try sample(["--count", "4", "--sampler", "heun", "--nfe", "9", "--labels", "l.txt", "--classifier-guidance", "1"],
                           files: ["l.txt": Data("1\n1\n0\n1\n".utf8)])
        #expect(b.status == 0 && a.stdout == b.stdout, "\(b.stderr)")
        let signs = a.stdout.split(separator: "\n").compactMap { $0.split(separator: ",").first.flatMap { Double($0) } }.map { $0 > 0 }
        #expect(signs == [false, false, true, false])
    }

    @Test("models says which models take labels")
    func modelsListLabels() throws {
        let r = try CLI.run(["models"])
        #expect(r.stdout.contains("conditional: --label 0…1"), "\(r.stdout)")
        let json = try CLI.run(["models", "--json"])
        let rows = try #require(try JSONSerialization.jsonObject(with: json.stdoutData) as? [[String: Any]])
        #expect(rows.first { $0["name"] as? String == "gmm64" }?["labels"] as? Int == 16)
    }

    static let refusals: [([String], String)] = [
        (["--label", "2"], "--label: label 2 is out of range for gmm2d: its labels are 0…1"),
        (["--labels", "0,5"], "--labels: label 5 is out of range for gmm2d: its labels are 0…1"),
        (["--label", "x"], "--label 'x' is not a whole number"),
        (["--labels", "0,,1"], "--labels '0,,1': expected a comma-separated list of class labels"),
        (["--label", "0", "--labels", "0,1"], "--label and --labels: give one of them"),
        (["--guidance", "2"], "--guidance needs labels (--label N or --labels …)"),
        (["--classifier-guidance", "1"], "--classifier-guidance needs labels"),
        (["--label", "0", "--guidance", "-1"], "--guidance '-1': the weight must be a finite number ≥ 0"),
        (["--label", "0", "--guidance", "nan"], "--guidance 'nan': the weight must be a finite number ≥ 0"),
        (["--label", "0", "--classifier-guidance", "-0.5"], "--classifier-guidance '-0.5': the weight must be a finite number ≥ 0"),
        (["--label", "0", "--guidance", "1", "--guidance-interval", "5:1"], "--guidance-interval 5:1: LO must not exceed HI"),
        (["--label", "0", "--guidance", "1", "--guidance-interval", "1"], "--guidance-interval '1': expected LO:HI"),
        (["--label", "0", "--guidance-interval", "1:2"], "--guidance-interval needs --guidance W"),
        (["--label", "0", "--guidance", "1", "--classifier-guidance", "1"], "--guidance and --classifier-guidance: give one of them"),
        (["--labels", "l.txt"], "--labels l.txt has 2 labels; --count is 4 (one label per sample)"),
        (["--model", "moons", "--label", "0"], "--label: model moons is not conditional (it takes no class labels)"),
        (["--model", "moons", "--guidance", "1"], "--guidance: model moons is not conditional"),
    ]

    @Test("misuse is refused in one line naming the option", arguments: refusals)
    func refused(_ arguments: [String], _ message: String) throws {
        try expectRefused(arguments, files: ["l.txt": Data("0\n1\n".utf8)], message)
    }
}
