import Foundation
import ScoreKit
import Testing
@testable import scorekit

/// `scorekit train` and `scorekit bench`, run in-process.
@Suite("train and bench commands")
struct TrainAndBenchCommandTests {
    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("scorekit-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func trainWritesASampleableCheckpointAndResumes() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("m.safetensors").path
        try TrainCommand.parse(["--data", "moons", "--steps", "6", "--classifier-steps", "2", "--seed", "4", "--out", out]).run()
        let first = try TrainedModel(contentsOf: URL(fileURLWithPath: out))
        #expect(first.config.training?.denoiserSteps == 6 && first.config.training?.resumable == true)
        // Continue the same file for more steps, then sample from it.
        try TrainCommand.parse(["--resume", out, "--steps", "10"]).run()
        let resumed = try TrainedModel(contentsOf: URL(fileURLWithPath: out))
        #expect(resumed.config.training?.denoiserSteps == 10 && resumed.config.training?.classifierSteps == 2)
        let loaded = try ModelLoader.load(out)
        #expect(loaded.noiseLevelEstimator != nil)
        let x = try loaded.denoiser.denoise(Tensor(rows: [[0.5, -0.5]]), sigma: [1])
        #expect(x.isFinite)
    }

    @Test func halfPrecisionWeightsOnly() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let full = folder.appendingPathComponent("full.safetensors").path, half = folder.appendingPathComponent("half.safetensors").path
        try TrainCommand.parse(["--data", "moons", "--steps", "3", "--classifier-steps", "1", "--out", full]).run()
        try TrainCommand.parse(["--data", "moons", "--steps", "3", "--classifier-steps", "1", "--half", "--out", half]).run()
        let size = { (path: String) in (try FileManager.default.attributesOfItem(atPath: path)[.size] as! NSNumber).intValue }
        #expect(try size(half) < size(full) / 3)          // no optimiser state, two bytes a weight
        #expect(throws: (any Error).self) { try TrainCommand.parse(["--resume", half]).run() }
    }

    @Test func trainRejectsBadArguments() throws {
        #expect(throws: CLIError.self) { try TrainCommand.parse(["--data", "mnist", "--out", "/tmp/x.safetensors"]).run() }
        #expect(throws: CLIError.self) { try TrainCommand.parse(["--data", "moons", "--out", "/tmp/x.npy"]).run() }
        #expect(throws: CLIError.self) { try TrainCommand.parse(["--data", "moons"]).run() }
        #expect(throws: CLIError.self) { try TrainCommand.parse(["--data", "moons", "--steps", "-1", "--out", "/tmp/x.safetensors"]).run() }
        do {
            try TrainCommand.parse(["--data", "mnist", "--out", "/tmp/x.safetensors"]).run()
        } catch {
            #expect("\(error)".contains("moons, swissroll, checkerboard, scurve, circles, digits"))
        }
    }

    @Test func benchReportsEveryFigure() throws {
        let timer = Timer(repeats: 1)
        let gemm = Benchmarks.sgemm(timer: timer)
        #expect(gemm.count == 4 && gemm.allSatisfy { $0.gflops > 0 })
        let networks = try Benchmarks.networks()
        #expect(networks.map(\.name).contains("moons denoiser (mlp-denoiser)") && networks.map(\.name).contains("digits denoiser (unet)"))
        for network in networks { #expect(try network.forward(2, timer) > 0) }
        let steps = try Benchmarks.trainingSteps(timer: timer)
        #expect(steps.count == 2 && steps.allSatisfy { $0.seconds > 0 })
    }
}
