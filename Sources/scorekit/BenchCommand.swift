import ArgumentParser
import Foundation
import ScoreKit

/// `scorekit bench`: the BLAS in use, sgemm, network throughput, training-step time and whole
/// sampling runs.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure sgemm GFLOP/s, network throughput, training-step time and whole sampling runs.",
        discussion: """
            Each figure is the median of repeated timings (wall clock) on this machine; the load \
            average is reported alongside, since other processes slow every figure down. The BLAS \
            library, its kernel and threads are reported first.
            """)

    /// The parts `--only` can select, in the order they run.
    static let parts = ["sgemm", "forward", "training", "sampling"]

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    @Option(parsing: .unconditional, help: "Timed repetitions per figure (the median is reported).")
    var repeats = 7

    @Option(name: .customLong("sampling-repeats"), parsing: .unconditional,
            help: "Timed repetitions of each whole sampling run (each takes seconds).")
    var samplingRepeats = 1

    @Option(help: "Batch sizes for the forward throughput.")
    var batches = "1,64,1024"

    @Option(help: "The parts to run, comma-separated: sgemm, forward, training, sampling (default: all).")
    var only: String?

    @Option(name: .customLong("blas-core"),
            help: "Run on this OpenBLAS kernel (e.g. Haswell, SkylakeX, Prescott) instead of the default one.")
    var blasCore: String?

    func run() throws {
        ProcessTuning.apply()
        guard repeats > 0 else { throw CLIError("--repeats must be positive") }
        guard samplingRepeats > 0 else { throw CLIError("--sampling-repeats must be positive") }
        let sizes = batches.split(separator: ",").compactMap { Int($0) }
        guard !sizes.isEmpty, sizes.allSatisfy({ $0 > 0 }) else { throw CLIError("--batches takes positive integers, e.g. 1,64,1024") }
        let selected = try selectedParts()
        if let blasCore {
            do { try ScoreKitRuntime.selectOpenBLASKernel(blasCore) } catch { throw CLIError("--blas-core: \(error)") }
        }
        let blas = BLASInfo.current
        let timer = Timer(repeats: repeats)
        let gemm = selected.contains("sgemm") ? Benchmarks.sgemm(timer: timer) : []
        var forward: [[String: Any]] = []
        if selected.contains("forward") {
            for network in try Benchmarks.networks() {
                for batch in sizes {
                    forward.append(["network": network.name, "batch": batch,
                                    "samples_per_second": Double(batch) / (try network.forward(batch, timer))])
                }
            }
        }
        let training = selected.contains("training") ? try Benchmarks.trainingSteps(timer: timer) : []
        let sampling = selected.contains("sampling")
            ? try Benchmarks.sampling(Benchmarks.SamplingRun.standard(), repeats: samplingRepeats) : []
        var load = [Double](repeating: 0, count: 3)
        _ = getloadavg(&load, 3)
        if json {
            let object: [String: Any] = [
                "blas": blas.jsonObject, "network_kernel": NetworkGEMM.kernelName,
                "parts": Self.parts.filter(selected.contains),
                "sgemm_gflops": gemm.map { ["shape": $0.shape, "gflops": $0.gflops, "network_kernel_gflops": $0.networkGflops, "max_abs_error": Double($0.maxAbsError)] },
                "forward": forward,
                "training_step_seconds": training.map { ["model": $0.name, "batch": $0.batch, "seconds": $0.seconds] },
                "sampling": sampling.map(Self.jsonObject),
                "repeats": repeats, "sampling_repeats": samplingRepeats, "load_average": load[0],
                "cores": ProcessInfo.processInfo.activeProcessorCount,
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print(String(format: "machine: %d cores, load average %.2f; medians of %d timings", ProcessInfo.processInfo.activeProcessorCount, load[0], repeats))
        printBLAS(blas)
        printTables(gemm: gemm, forward: forward, sizes: sizes, training: training, sampling: sampling)
    }

    /// The parts `--only` names (all by default); unknown names are an error listing the valid ones.
    private func selectedParts() throws -> Set<String> {
        guard let only else { return Set(Self.parts) }
        let names = only.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard !names.isEmpty else { throw CLIError("--only takes part names: \(Self.parts.joined(separator: ", "))") }
        for name in names where !Self.parts.contains(name) {
            throw CLIError("--only: unknown part \(name); valid parts: \(Self.parts.joined(separator: ", "))")
        }
        return Set(names)
    }

    private static func jsonObject(_ s: Benchmarks.SamplingFigure) -> [String: Any] {
        ["model": s.model, "sampler": s.sampler, "count": s.count, "threads": s.threads, "nfe_per_sample": s.nfePerSample,
         "seconds": s.seconds, "samples_per_second": s.samplesPerSecond,
         "evaluations_per_second": s.evaluationsPerSecond, "outside_network_share": s.outsideNetworkShare,
         "outside_network_share_wall": s.outsideNetworkShareWall, "finite": s.finite]
    }

    private func printBLAS(_ blas: BLASInfo) {
        print("\nBLAS")
        print("  library   \(blas.library)")
        if let kernel = blas.kernel {
            var line = "  kernel    \(kernel)" + (blas.kernelClass.map { " (\($0))" } ?? "")
            switch blas.kernelSource {
            case .scorekit: line += ", chosen by ScoreKit over OpenBLAS's \(blas.changedFrom ?? "?")"
            case .request: line += ", chosen by --blas-core (default was \(blas.changedFrom ?? "?"))"
            case .environment: line += ", from OPENBLAS_CORETYPE"
            case .library: line += ", OpenBLAS's choice"
            }
            print(line)
        }
        if let threads = blas.threads { print("  threads   \(threads)") }
        print("  CPU       \(blas.cpuClass)" + (blas.cpuBestKernel.map { " (best OpenBLAS kernel: \($0))" } ?? ""))
        if let warning = blas.warning { print("  warning   \(warning)") }
        print("  networks  ScoreKit's batch-invariant kernel, \(NetworkGEMM.kernelName) (OpenBLAS only in training's backward passes and exact models)")
    }

    private func printTables(gemm: [Benchmarks.GemmFigure], forward: [[String: Any]], sizes: [Int],
                             training: [(name: String, batch: Int, seconds: Double)], sampling: [Benchmarks.SamplingFigure]) {
        if !gemm.isEmpty {
            print("\nsgemm (GFLOP/s)                  OpenBLAS  network kernel")
            for g in gemm {
                let check = g.maxAbsError == 0 ? "" : String(format: "  (differs from a naive product by %.3g)", g.maxAbsError)
                print("  \(g.shape.padding(toLength: 24, withPad: " ", startingAt: 0))  \(String(format: "%8.1f  %14.1f", g.gflops, g.networkGflops))\(check)")
            }
        }
        if !forward.isEmpty {
            print("\nforward throughput (samples/s)")
            let names = forward.map { $0["network"] as! String }.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
            func right(_ text: String) -> String { String(repeating: " ", count: max(0, 12 - text.count)) + text }
            print("  " + "network".padding(toLength: 50, withPad: " ", startingAt: 0) + sizes.map { right("batch \($0)") }.joined())
            for name in names {
                let row = forward.filter { ($0["network"] as! String) == name }.map { String(format: "%12.0f", $0["samples_per_second"] as! Double) }
                print("  " + name.padding(toLength: 50, withPad: " ", startingAt: 0) + row.joined())
            }
        }
        if !training.isEmpty {
            print("\ntraining step")
            for t in training {
                print("  \(t.name.padding(toLength: 42, withPad: " ", startingAt: 0))  batch \(t.batch)  \(String(format: "%8.2f ms", 1000 * t.seconds))")
            }
        }
        if !sampling.isEmpty {
            print("\nsampling runs (SamplingJob, medians of \(samplingRepeats))")
            print("  " + "run".padding(toLength: 34, withPad: " ", startingAt: 0) + "   seconds   samples/s  evaluations/s  outside network")
            for s in sampling {
                let name = "\(s.model) heun \(String(format: "%.0f", s.nfePerSample)) NFE × \(s.count), \(s.threads) thr"
                print("  " + name.padding(toLength: 34, withPad: " ", startingAt: 0)
                      + String(format: "%10.2f  %10.0f  %13.0f  %14.1f%%", s.seconds, s.samplesPerSecond, s.evaluationsPerSecond, 100 * s.outsideNetworkShare))
            }
        }
    }
}
