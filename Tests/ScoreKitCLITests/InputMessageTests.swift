import Foundation
import ScoreKit
import Testing

/// Messages that name the input: the argument or file, the value, and what was expected — on
/// one line, whole, with a value's line breaks escaped.
@Suite("scorekit messages that name the input")
struct InputMessageTests {
    /// Runs `sample --count 4 --out out.npy ARGS` in a fresh folder holding `files`; returns
    /// the run and whether the folder is unchanged afterwards (nothing half-written).
    private func sample(_ arguments: [String], files: [String: Data] = [:]) throws -> (CLI.Output, unchanged: Bool) {
        let folder = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for (name, data) in files { try data.write(to: folder.appendingPathComponent(name)) }
        let before = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        let r = try CLI.run(["sample", "--count", "4", "--out", "out.npy"] + arguments, in: folder)
        return (r, try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == before)
    }

    /// Expects a refusal: non-zero exit, exactly one line on stderr containing `message`, no file.
    private func expectRefused(_ arguments: [String], files: [String: Data] = [:], _ message: String) throws {
        let (r, unchanged) = try sample(arguments, files: files)
        #expect(r.status != 0)
        #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains(message), "stderr: \(r.stderr)")
        #expect(unchanged)
    }

    @Test("a spec value holding a newline: the whole message, the newline escaped")
    func specWithNewline() throws {
        try expectRefused(["--sampler", "ddim:eta=1\n"], "sampler 'ddim': eta=1\\n is invalid; expected a number in 0…1")
    }

    @Test("a path holding a newline is escaped in the argument parser's messages too")
    func parserMessageWithNewline() throws {
        try expectRefused(["--count", "4\n5"], "The value '4\\n5' is invalid for '--count <count>'")
    }

    @Test("non-finite --init-noise: the file and its first bad row are named")
    func nonFiniteNoise() throws {
        let z = Tensor(shape: [4, 2], scalars: [0, 1, 0.5, -1, 2, .nan, .infinity, 0])
        let data = try ArrayFile.encode(z, for: URL(fileURLWithPath: "z.npy"))
        try expectRefused(["--init-noise", "z.npy"], files: ["z.npy": data],
                          "--init-noise z.npy: row 2 (counting from 0) holds nan; initial noise must be finite standard-normal values")
    }

    @Test("--init-noise with 0 rows: the file is named and said to have 0 rows", arguments: [[], ["--count", "4"]])
    func emptyNoise(_ count: [String]) throws {
        let folder = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try NPY.header(shape: [0, 2]).write(to: folder.appendingPathComponent("z.npy"))
        let r = try CLI.run(["sample", "--init-noise", "z.npy", "--out", "out.npy"] + count, in: folder)
        #expect(r.status != 0)
        #expect(r.stderr == "Error: --init-noise z.npy has 0 rows; expected one row of 2 values per sample\n", "\(r.stderr)")
    }

    @Test("--seed takes 0…2⁶⁴−1; outside it the message gives the range", arguments: [
        "18446744073709551616", "-1", "1e3",
    ])
    func seedOutOfRange(_ seed: String) throws {
        try expectRefused(["--seed", seed],
                          "The value '\(seed)' is invalid for '--seed <seed>': expected a whole number in 0…18446744073709551615 (2⁶⁴−1)")
    }

    @Test("--seed 2⁶³ and 2⁶⁴−1 run and are recorded as given")
    func largeSeeds() throws {
        for seed in ["9223372036854775808", "18446744073709551615"] {
            let r = try CLI.run(["sample", "--sampler", "ddim:steps=3", "--count", "5", "--seed", seed, "--json"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.contains("\"seed\":\(seed)"), "\(r.stdout)")
        }
    }

    @Test("--model '' names the empty value and lists the built-in models")
    func emptyModel() throws {
        try expectRefused(["--model", ""], "--model '' is empty; give a built-in model (\(BuiltinModels.names.joined(separator: ", "))) or a model file")
    }

    @Test("a reverse-SDE sampler with far too few steps runs with a warning naming the fix")
    func tooFewSteps() throws {
        let r = try CLI.run(["sample", "--sampler", "euler-maruyama", "--nfe", "1", "--count", "5"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("warning: euler-maruyama with steps=1 is too few for a reverse-time SDE") &&
                r.stderr.contains("give at least 10 steps (--nfe or steps=), or use an ODE sampler (ddim, heun)"), "\(r.stderr)")
        let quiet = try CLI.run(["sample", "--sampler", "euler-maruyama", "--nfe", "10", "--count", "5"])
        #expect(quiet.status == 0 && !quiet.stderr.contains("warning"), "\(quiet.stderr)")
    }
}
