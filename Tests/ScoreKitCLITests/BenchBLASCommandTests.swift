import Foundation
import ScoreKit
import Testing
@testable import scorekit

/// `scorekit bench`'s BLAS report, kernel switching (`--blas-core`), `--only`, and the
/// whole-run sampling figures.
@Suite("bench BLAS and sampling")
struct BenchBLASCommandTests {
    /// Whether this machine can switch OpenBLAS kernels and has at least AVX2.
    static let canSwitch: Bool = {
        let info = BLASInfo.current
        return info.library.contains("DYNAMIC_ARCH") && info.cpuClass >= .avx2
    }()

    /// `scorekit bench --json --only sgemm --repeats 1` plus `extra`, parsed.
    static func benchJSON(_ extra: [String] = []) throws -> [String: Any] {
        let out = try CLI.run(["bench", "--json", "--only", "sgemm", "--repeats", "1"] + extra)
        #expect(out.status == 0, "\(out.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: out.stdoutData) as? [String: Any])
    }

    /// The BLAS kernel a bench run reports, after checking its sgemm results are exact.
    static func kernelAndCheckProducts(_ object: [String: Any]) throws -> String {
        let blas = try #require(object["blas"] as? [String: Any])
        #expect((blas["library"] as? String)?.isEmpty == false && blas["threads"] as? Int == 1)
        let gemm = try #require(object["sgemm_gflops"] as? [[String: Any]])
        #expect(gemm.count == 4)
        for g in gemm {
            #expect(g["max_abs_error"] as? Double == 0, "\(g)")     // integer inputs: exact in any kernel
            #expect((g["gflops"] as? Double ?? 0) > 0)
        }
        #expect((object["forward"] as? [Any])?.isEmpty == true && object["parts"] as? [String] == ["sgemm"])
        return try #require(blas["kernel"] as? String)
    }

    @Test(.enabled(if: canSwitch)) func defaultKernelIsNotSSEOnly() throws {
        let object = try Self.benchJSON()
        let kernel = try Self.kernelAndCheckProducts(object)
        let kernelClass = try #require(BLASKernelClass(openBLASCore: kernel), "unknown kernel \(kernel)")
        #expect(kernelClass >= .avx2, "kernel \(kernel)")
        let blas = try #require(object["blas"] as? [String: Any])
        #expect(blas["cpu_class"] as? String != nil && blas["warning"] == nil)
    }

    @Test(.enabled(if: canSwitch)) func blasCoreSwitchesBothWays() throws {
        let slow = try Self.benchJSON(["--blas-core", "Prescott"])
        #expect(try Self.kernelAndCheckProducts(slow) == "Prescott")
        let blas = try #require(slow["blas"] as? [String: Any])
        #expect(blas["kernel_source"] as? String == "request" && blas["changed_from"] as? String != nil)
        let fast = try Self.benchJSON(["--blas-core", "haswell"])
        #expect(try Self.kernelAndCheckProducts(fast) == "Haswell")
    }

    @Test func sampleSummaryCarriesTheBLASInfo() throws {
        let folder = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = try CLI.run(["sample", "--model", "gmm2d", "--count", "20", "--json", "--out", "x.npy"], in: folder)
        #expect(out.status == 0, "\(out.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: out.stdoutData) as? [String: Any])
        let blas = try #require(object["blas"] as? [String: Any])
        #expect(blas["library"] as? String == BLASInfo.current.library && blas["cpu_class"] as? String == BLASInfo.current.cpuClass.description)
    }

    @Test func badBenchOptionsAreOneLineErrors() throws {
        let part = try CLI.run(["bench", "--only", "sgemm,warp"])
        #expect(part.status != 0 && part.stderr.contains("valid parts: sgemm, forward, training, sampling"))
        let core = try CLI.run(["bench", "--only", "sgemm", "--blas-core", "Pentium9"])
        #expect(core.status != 0 && core.stderr.contains("unknown OpenBLAS kernel Pentium9"))
    }

    @Test func samplingRunsReportEveryFigure() throws {
        let all = Benchmarks.SamplingRun.standard(scale: 0.001)           // 100 moons, 2 digits
        let cores = ProcessInfo.processInfo.activeProcessorCount, threads = Set([1, cores]).sorted()
        #expect(all.map(\.threads) == threads.flatMap { [$0, $0] })       // one thread, then every core
        #expect(all.map(\.count) == threads.flatMap { _ in [100, 2] })
        #expect(Benchmarks.SamplingRun.standard().prefix(2).map(\.count) == [100_000, 2_000])
        let runs = Array(all.prefix(2))
        let figures = try Benchmarks.sampling(runs, repeats: 1)
        #expect(figures.map(\.model) == ["moons", "digits"] && figures.map(\.threads) == [1, 1])
        for (f, run) in zip(figures, runs) {
            #expect(f.nfePerSample == 39 && f.evaluations == 39 * run.count && f.finite)
            #expect(f.sampler.hasPrefix("heun:") && f.sampler.contains("steps=20"))
            #expect(f.samplesPerSecond > 0 && f.evaluationsPerSecond > f.samplesPerSecond)
            #expect((0...1).contains(f.outsideNetworkShare) && (0...1).contains(f.outsideNetworkShareWall))
        }
    }

    @Test func timingDenoiserPassesResultsThroughAndCounts() throws {
        let model = try ModelLoader.load("gmm2d").denoiser
        let timed = TimingDenoiser(model: model)
        let x = Tensor(rows: [[0.5, -0.5], [1, 2], [3, -1]])
        #expect(try timed.denoise(x, sigma: [1, 2, 3]) == model.denoise(x, sigma: [1, 2, 3]))
        _ = try timed.denoise(x, sigma: [1, 1, 1])
        let t = timed.totals.snapshot
        #expect(t.calls == 2 && t.rows == 6 && t.wall > 0 && timed.sampleShape == [2])
    }
}
