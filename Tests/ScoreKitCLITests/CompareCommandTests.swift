import Foundation
import Testing
@testable import scorekit

@Suite("scorekit compare")
struct CompareCommandTests {
    static func scratch() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("scorekit-cli-compare-\(UUID().uuidString)")
    }

    /// The message `scorekit compare args…` fails with before doing any work.
    static func failure(_ args: [String]) -> String? {
        do {
            let command = try CompareCommand.parse(args)
            _ = try command.comparison()
            return nil
        } catch {
            return CompareCommand.message(for: error)
        }
    }

    @Test("Bad input is refused with a message naming the problem, and nothing is written", arguments: [
        (["--samplers", "ddim;eulr"], "unknown sampler 'eulr'"),
        (["--samplers", ";"], "--samplers is empty"),
        (["--nfe", ""], "--nfe is empty"),
        (["--nfe", "10,0"], "0 is not positive"),
        (["--nfe", "-5"], "-5 is not positive"),
        (["--nfe", "10,x"], "'x' is not a whole number"),
        (["--count", "1"], "--count must be at least 2"),
        (["--model", "nope"], "unknown model 'nope'"),
    ])
    func badInput(args: [String], expected: String) {
        let out = Self.scratch()
        let message = Self.failure(args + ["--out", out.path])
        #expect(message?.contains(expected) == true, "got: \(message ?? "no error")")
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    @Test("An --out that is an existing file is refused")
    func outIsFile() throws {
        let file = Self.scratch()
        try Data("keep".utf8).write(to: file)
        let message = Self.failure(["--out", file.path])
        #expect(message?.contains("exists and is not a folder") == true)
        #expect(FileManager.default.contents(atPath: file.path) == Data("keep".utf8))
    }

    @Test("--out is required")
    func outRequired() {
        #expect(throws: (any Error).self) { try CompareCommand.parse(["--model", "gmm2d"]) }
    }

    @Test("A small run writes the report and the plot; a second run gives the same files")
    func smallRun() throws {
        let out = Self.scratch()
        let args = ["--samplers", "ddim;ddpm", "--nfe", "4,8", "--count", "50", "--reference", "none", "--out", out.path]
        try CompareCommand.parse(args).run()
        let files = ["results.csv", "results.json", "report.md", "nfe-quality.svg"]
        let first = files.map { FileManager.default.contents(atPath: out.appendingPathComponent($0).path) }
        #expect(first.allSatisfy { $0 != nil })
        try CompareCommand.parse(args).run()
        #expect(files.map { FileManager.default.contents(atPath: out.appendingPathComponent($0).path) } == first)
    }
}
