import Foundation
import Testing
import ScoreKit

/// `scorekit sample --shard`, `scorekit merge`, `scorekit compare --shard`, `--threads`.
@Suite("scorekit shards and threads")
struct ShardCommandTests {
    static let run = ["sample", "--sampler", "ddim:eta=0.5,steps=10", "--count", "1000", "--seed", "3"]

    /// Three shard processes in `folder`, as s1.EXT, s2.EXT, s3.EXT.
    static func shards(_ ext: String, in folder: URL, seed: String = "3") throws {
        for k in 1...3 {
            let r = try CLI.run(run + ["--seed", seed, "--shard", "\(k)/3", "--out", "s\(k).\(ext)"], in: folder)
            #expect(r.status == 0, "\(r.stderr)")
        }
    }

    @Test("three shards merged equal the one-process run byte for byte", arguments: ["npy", "safetensors"])
    func mergeEqualsFullRun(_ ext: String) throws {
        let folder = try CLI.temporaryFolder()
        #expect(try CLI.run(Self.run + ["--out", "full.\(ext)"], in: folder).status == 0)
        try Self.shards(ext, in: folder)
        let merged = try CLI.run(["merge", "merged.\(ext)", "s3.\(ext)", "s1.\(ext)", "s2.\(ext)"], in: folder)
        #expect(merged.status == 0 && merged.stderr.isEmpty, "\(merged.stderr)")
        let full = try Data(contentsOf: folder.appendingPathComponent("full.\(ext)"))
        let joined = try Data(contentsOf: folder.appendingPathComponent("merged.\(ext)"))
        #expect(full.count > 8000 && full == joined)
        let part = try ArrayFile.read(folder.appendingPathComponent("s2.\(ext)"))
        #expect(part.rows == 333)                    // 1000 = 334 + 333 + 333
    }

    @Test("merge refuses shards that do not fit together, naming the file, and writes nothing", arguments: [
        (["s1.npy", "s3.npy"], "gap: samples 334..<667 are in no shard"),
        (["s1.npy", "s2.npy", "s2.npy", "s3.npy"], "both hold shard 2/3"),
        (["s1.npy", "seed4.npy", "s3.npy"], "seed4.npy has seed 4, but"),
        (["s1.npy", "s2.npy", "notes.csv"], "notes.csv: wrong format"),
    ])
    func mergeRefuses(_ files: [String], _ message: String) throws {
        let folder = try CLI.temporaryFolder()
        try Self.shards("npy", in: folder)
        #expect(try CLI.run(Self.run + ["--seed", "4", "--shard", "2/3", "--out", "seed4.npy"], in: folder).status == 0)
        try Data("1,2\n".utf8).write(to: folder.appendingPathComponent("notes.csv"))
        let r = try CLI.run(["merge", "merged.npy"] + files, in: folder)
        #expect(r.status != 0 && r.stderr.contains(message) && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        let left = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        #expect(!left.contains { $0.hasPrefix("merged") || $0.hasPrefix(".merged") })
    }

    @Test("--threads 1 and the default write the same file")
    func threads() throws {
        let folder = try CLI.temporaryFolder()
        for (name, extra) in [("one", ["--threads", "1"]), ("all", []), ("three", ["--threads", "3"])] {
            let r = try CLI.run(Self.run + ["--batch", "77", "--out", "\(name).npy"] + extra, in: folder)
            #expect(r.status == 0, "\(r.stderr)")
        }
        let files = try ["one", "all", "three"].map { try Data(contentsOf: folder.appendingPathComponent("\($0).npy")) }
        #expect(files[0] == files[1] && files[0] == files[2] && files[0].count > 8000)
    }

    @Test("bad --threads and --shard are one clear line", arguments: [
        (["--threads", "0", "--out", "x.npy"], "--threads must be at least 1, got 0"),
        (["--shard", "4/3", "--out", "x.npy"], "--shard 4/3: the shard number must be between 1 and 3"),
        (["--shard", "a/b", "--out", "x.npy"], "--shard a/b: expected K/N"),
        (["--shard", "1/2", "--out", "x.csv"], "--shard 1/2 needs --out FILE.npy or FILE.safetensors"),
        (["--shard", "1/9", "--count", "4", "--out", "x.npy"], "9 shards of --count 4 would leave shards empty"),
    ])
    func badInput(_ args: [String], _ message: String) throws {
        let folder = try CLI.temporaryFolder()
        let r = try CLI.run(["sample"] + args, in: folder)
        #expect(r.status != 0 && r.stderr.contains(message) && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }

    @Test("compare --shard 1/2, 2/2, then a final compare: the results of an unsharded compare")
    func compareShards() throws {
        let folder = try CLI.temporaryFolder()
        let args = ["compare", "--model", "gmm2d", "--samplers", "ddim;ddpm;heun", "--nfe", "5,10", "--count", "100",
                    "--reference", "none"]
        for k in ["1/2", "2/2"] {
            let r = try CLI.run(args + ["--out", "sharded", "--shard", k], in: folder)
            #expect(r.status == 0, "\(r.stderr)")
        }
        let cells = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("sharded/cells").path)
        #expect(cells.filter { $0.hasSuffix(".json") }.count == 6)
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("sharded/results.csv").path))
        let assembled = try CLI.run(args + ["--out", "sharded"], in: folder)
        let plain = try CLI.run(args + ["--out", "plain"], in: folder)
        #expect(assembled.status == 0 && plain.status == 0)
        let a = try String(contentsOf: folder.appendingPathComponent("sharded/results.csv"), encoding: .utf8)
        let b = try String(contentsOf: folder.appendingPathComponent("plain/results.csv"), encoding: .utf8)
        // Wall-clock seconds are measured once per cell and differ between runs; all else agrees.
        #expect(Self.withoutSeconds(a) == Self.withoutSeconds(b) && a.split(separator: "\n").count == 7)
    }

    /// CSV lines with the `seconds` column dropped (no field of these tables holds a comma
    /// before it except inside quotes, which the split keeps together).
    static func withoutSeconds(_ csv: String) -> [String] {
        let lines = csv.split(separator: "\n").map(String.init)
        let column = lines[0].split(separator: ",").firstIndex(of: "seconds")!
        return lines.map { line in
            var fields: [String] = [], field = "", quoted = false
            for c in line {
                if c == "\"" { quoted.toggle() }
                if c == ",", !quoted { fields.append(field); field = "" } else { field.append(c) }
            }
            fields.append(field)
            fields.remove(at: column)
            return fields.joined(separator: ",")
        }
    }
}
