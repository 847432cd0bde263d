import Foundation
import Testing

/// `scorekit train` refuses requests that would train nothing.
@Suite("scorekit train: no-op requests")
struct TrainRequestTests {
    @Test("train: no-op requests are errors", arguments: [
        (["--data", "moons", "--steps", "0"], "--steps must be at least 1, got 0: a network trained for no steps is left at its random start"),
        (["--data", "moons", "--classifier-steps", "0"], "--classifier-steps must be at least 1, got 0"),
        (["--data", "moons", "--label-steps", "5"], "--label-steps applies only to data sets with a label classifier (digits); moons has none"),
        (["--data", "digits-cond", "--noisy-label-steps", "0"], "--noisy-label-steps must be at least 1, got 0"),
        (["--data", "digits", "--noisy-label-steps", "5"],
         "--noisy-label-steps applies only to data sets with a noise-aware label classifier (digits-cond); digits has none"),
    ])
    func trainNoOp(arguments: [String], message: String) throws {
        let folder = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let r = try CLI.run(["train", "--out", "m.safetensors"] + arguments, in: folder)
        #expect(r.status != 0)
        #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains(message), "stderr: \(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }

    @Test("train: resuming a finished run into the same file, or to fewer steps, is refused")
    func trainFinished() throws {
        let folder = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let first = try CLI.run(["train", "--data", "moons", "--steps", "3", "--classifier-steps", "2", "--out", "m.safetensors"], in: folder)
        #expect(first.status == 0, "\(first.stderr)")
        let again = try CLI.run(["train", "--resume", "m.safetensors"], in: folder)
        #expect(again.status != 0 && again.stderr.contains("--resume m.safetensors has finished all 5 of its steps; nothing to train"), "\(again.stderr)")
        let fewer = try CLI.run(["train", "--resume", "m.safetensors", "--steps", "2"], in: folder)
        #expect(fewer.status != 0 && fewer.stderr.contains("--steps 2 is below the 3 denoiser steps m.safetensors has done"), "\(fewer.stderr)")
        let copy = try CLI.run(["train", "--resume", "m.safetensors", "--half", "--out", "h.safetensors"], in: folder)
        #expect(copy.status == 0, "a finished run can still be written as a float16 copy: \(copy.stderr)")
    }
}
