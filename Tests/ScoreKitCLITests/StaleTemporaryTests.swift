import Foundation
import ScoreKit
import Testing

/// A run killed while writing leaves its hidden temporary file; the next run writing the same
/// target removes it — but only when its writer (a process id of this host, in the name) is gone.
@Suite("scorekit cleans up after killed runs")
struct StaleTemporaryTests {
    /// Hidden temporary files in `folder`.
    private func temporaries(in folder: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix(".") && $0.hasSuffix(".tmp") }.sorted()
    }

    /// The id of a process that has exited (and been reaped).
    private func deadProcessID() throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/true")
        try p.run()
        p.waitUntilExit()
        return p.processIdentifier
    }

    /// A temporary name for `target` as this host's process `pid` would make it.
    private func temporaryName(for target: URL, pid: Int32) throws -> String {
        var parts = try AtomicFile.temporaryURL(for: target).lastPathComponent.split(separator: ".", omittingEmptySubsequences: false)
        parts[parts.count - 3] = Substring(String(pid))     // .NAME.HOST.PID.TOKEN.tmp
        return parts.joined(separator: ".")
    }

    @Test("SIGKILL while writing leaves a temporary; the next run of that target removes it")
    func realKill() throws {
        let folder = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = ["sample", "--sampler", "ddpm", "--count", "5000000", "--threads", "1", "--out", "big.npy"]
        process.currentDirectoryURL = folder
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        while try temporaries(in: folder).isEmpty, process.isRunning { usleep(10_000) }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal, "the run must still have been writing")
        let left = try temporaries(in: folder)
        #expect(left.count == 1 && left[0].hasPrefix(".big.npy."), "\(left)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("big.npy").path))

        let next = try CLI.run(["sample", "--sampler", "ddim:steps=2", "--count", "10", "--out", "big.npy"], in: folder)
        #expect(next.status == 0, "\(next.stderr)")
        #expect(try temporaries(in: folder).isEmpty)
        #expect(try ArrayFile.read(folder.appendingPathComponent("big.npy")).shape == [10, 2])
    }

    @Test("only a dead writer's temporaries of the same target are removed")
    func onlyStale() throws {
        let folder = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let target = folder.appendingPathComponent("x.safetensors")
        let dead = try deadProcessID(), alive = ProcessInfo.processInfo.processIdentifier
        let stale = try temporaryName(for: target, pid: dead)
        let kept = [
            try temporaryName(for: target, pid: alive),                                       // a live writer
            try temporaryName(for: folder.appendingPathComponent("y.safetensors"), pid: dead), // another target
            ".x.safetensors.otherhost.\(dead).7.tmp",                                         // another host
            ".x.safetensors.\(dead).7.tmp",                                                   // not our pattern
        ]
        for name in [stale] + kept { try Data(count: 64).write(to: folder.appendingPathComponent(name)) }
        let r = try CLI.run(["sample", "--sampler", "ddim:steps=2", "--count", "10", "--out", "x.safetensors"], in: folder)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try temporaries(in: folder) == kept.sorted())
    }
}
