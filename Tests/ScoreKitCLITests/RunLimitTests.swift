import Foundation
import ScoreKit
@testable import scorekit
import Testing

/// Absurd requests are refused before any work, naming the limit.
@Suite("scorekit run limits")
struct RunLimitTests {
    static let refusals: [([String], String)] = [
        (["--count", "1000000000000", "--out", "x.npy"],
         "--count 1000000000000: 1e12 samples × 2 values × 4 bytes = 8.0 TB of samples, more than the 1.1 TB (2⁴⁰ bytes) one run may write"),
        (["--count", "1000000000000", "--out", "x.csv"], "more than the 1.1 TB (2⁴⁰ bytes) one run may write"),
        (["--count", "100000000000"], "--count 100000000000: holding 1e11 samples needs about 6.4 TB of memory"),
        (["--sampler", "langevin:steps=10000000,levels=100000", "--out", "x.npy"],
         "plans 4e12 denoiser evaluations (1e12 NFE per sample × 4 samples), more than the 1e10 a run starts without --force"),
        (["--sampler", "ddpm", "--count", "20000000", "--out", "x.npy"],
         "plans 2e10 denoiser evaluations (1000 NFE per sample × 2e7 samples), more than the 1e10 a run starts without --force"),
    ]

    @Test("refused up front: one line naming the limit, no file", arguments: refusals)
    func refused(arguments: [String], message: String) throws {
        let folder = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let r = try CLI.run(["sample", "--count", "4"] + arguments, in: folder)
        #expect(r.status != 0)
        #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains(message), "stderr: \(r.stderr)")
        #expect(r.stdout.isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }

    @Test("the output must fit the free space of its file system")
    func freeSpace() throws {
        let check = OutputSizeCheck(count: 1000, valuesPerSample: 2, streamed: true)
        let out = URL(fileURLWithPath: "/data/x.npy")
        #expect(throws: (any Error).self) { try check.check(what: "--count 1000", out: out, freeBytes: 7999, memoryLimit: 1 << 30) }
        do {
            try check.check(what: "--count 1000", out: out, freeBytes: 7999, memoryLimit: 1 << 30)
        } catch {
            #expect("\(error)" == "--count 1000: 1000 samples × 2 values × 4 bytes = 8.0 kB for --out /data/x.npy, but its file system has only 8.0 kB free")
        }
        try check.check(what: "--count 1000", out: out, freeBytes: 8000, memoryLimit: 1 << 30)
        #expect(RunLimits.freeBytes(of: FileManager.default.temporaryDirectory).map { $0 > 0 } == true)
    }

    @Test("--force runs past the work limit, with a warning")
    func forced() throws {
        let work = WorkCheck(nfePerSample: 1_000_000, count: 20_000)
        #expect(throws: (any Error).self) { try work.check("ddim", force: false) }
        let warning = try #require(try work.check("ddim", force: true))
        #expect(warning.contains("ddim plans 2e10 denoiser evaluations") && warning.contains("running because of --force"))
        #expect(try WorkCheck(nfePerSample: 100, count: 1000).check("ddim", force: false) == nil)
        #expect(try WorkCheck(nfePerSample: nil, count: 1_000_000_000).check("rk45", force: false) == nil)
    }
}

/// Progress with an ETA: a bar on a terminal, sparse lines in a log for large runs.
@Suite("scorekit progress")
struct ProgressTests {
    /// Collects what a progress display writes.
    final class Sink: @unchecked Sendable {
        var text: [String] = []
    }

    @Test("not a terminal, large work: a line at each tenth, with elapsed time and ETA")
    func sparseLines() {
        let sink = Sink()
        let bar = TerminalProgress(label: "ddim", sparseLines: true, isTerminal: false) { sink.text.append($0) }
        for f in [0.05, 0.15, 0.16, 0.55, 0.99, 1.0] { bar.update(f) }
        bar.finish()
        #expect(sink.text.map { $0.prefix(while: { $0 != "," }) } == ["ddim: 10% done", "ddim: 50% done", "ddim: 90% done", "ddim: 100% done"])
        #expect(sink.text.allSatisfy { $0.contains(" elapsed, ETA ") && $0.hasSuffix("\n") })
    }

    @Test("not a terminal, small work: silent")
    func quiet() {
        let sink = Sink()
        let bar = TerminalProgress(label: "ddim", isTerminal: false) { sink.text.append($0) }
        bar.update(0.5)
        bar.finish()
        #expect(sink.text.isEmpty)
    }

    @Test("a terminal: a redrawn bar with the ETA, cleared at the end")
    func terminal() throws {
        let sink = Sink()
        let bar = TerminalProgress(label: "ddim", isTerminal: true) { sink.text.append($0) }
        bar.update(0.5, detail: "σ=1")
        bar.finish()
        let line = try #require(sink.text.first)
        #expect(line.hasPrefix("\rddim [===============               ]  50%") && line.contains(", ETA ") && line.contains("σ=1"))
        #expect(sink.text.last == "\r\u{1B}[K")
    }

    @Test("durations read as people write them", arguments: [
        (4.24, "4.2 s"), (185, "3m05s"), (7_640, "2h07m"), (273_600, "3d04h"), (Double.infinity, "?"),
    ])
    func durations(seconds: Double, text: String) {
        #expect(TerminalProgress.duration(seconds) == text)
    }

    @Test("sizes and counts in messages")
    func formats() {
        #expect(RunLimits.bytes(8e12) == "8.0 TB" && RunLimits.bytes(12) == "12 bytes" && RunLimits.bytes(1 << 40) == "1.1 TB")
        #expect(RunLimits.count(999_999) == "999999" && RunLimits.count(1e12) == "1e12" && RunLimits.count(2.5e10) == "2.5e10")
        #expect(RunLimits.count(9.999e9) == "1e10")
    }
}
