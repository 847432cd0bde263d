import ArgumentParser
import Foundation
import ScoreKit

/// `scorekit bench`: throughput of the built-in networks, a training step's time, and sgemm.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure forward throughput of the built-in networks, training-step time and sgemm GFLOP/s.",
        discussion: """
            Each figure is the median of repeated timings (wall clock) on this machine; the load \
            average is reported alongside, since other processes slow every figure down.
            """)

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    @Option(parsing: .unconditional, help: "Timed repetitions per figure (the median is reported).")
    var repeats = 7

    @Option(help: "Batch sizes for the forward throughput.")
    var batches = "1,64,1024"

    func run() throws {
        ProcessTuning.apply()
        guard repeats > 0 else { throw CLIError("--repeats must be positive") }
        let sizes = batches.split(separator: ",").compactMap { Int($0) }
        guard !sizes.isEmpty, sizes.allSatisfy({ $0 > 0 }) else { throw CLIError("--batches takes positive integers, e.g. 1,64,1024") }
        let timer = Timer(repeats: repeats)
        let gemm = Benchmarks.sgemm(timer: timer)
        var forward: [[String: Any]] = []
        for network in try Benchmarks.networks() {
            for batch in sizes {
                forward.append(["network": network.name, "batch": batch,
                                "samples_per_second": Double(batch) / (try network.forward(batch, timer))])
            }
        }
        let training = try Benchmarks.trainingSteps(timer: timer)
        var load = [Double](repeating: 0, count: 3)
        _ = getloadavg(&load, 3)
        if json {
            let object: [String: Any] = [
                "sgemm_gflops": gemm.map { ["shape": $0.shape, "gflops": $0.gflops] },
                "forward": forward,
                "training_step_seconds": training.map { ["model": $0.name, "batch": $0.batch, "seconds": $0.seconds] },
                "repeats": repeats, "load_average": load[0],
                "cores": ProcessInfo.processInfo.activeProcessorCount,
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print(String(format: "machine: %d cores, load average %.2f; medians of %d timings", ProcessInfo.processInfo.activeProcessorCount, load[0], repeats))
        print("\nsgemm")
        for g in gemm { print("  \(g.shape.padding(toLength: 24, withPad: " ", startingAt: 0))  \(String(format: "%8.1f", g.gflops)) GFLOP/s") }
        print("\nforward throughput (samples/s)")
        let names = forward.map { $0["network"] as! String }.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        func right(_ text: String) -> String { String(repeating: " ", count: max(0, 12 - text.count)) + text }
        print("  " + "network".padding(toLength: 50, withPad: " ", startingAt: 0) + sizes.map { right("batch \($0)") }.joined())
        for name in names {
            let row = forward.filter { ($0["network"] as! String) == name }.map { String(format: "%12.0f", $0["samples_per_second"] as! Double) }
            print("  " + name.padding(toLength: 50, withPad: " ", startingAt: 0) + row.joined())
        }
        print("\ntraining step")
        for t in training {
            print("  \(t.name.padding(toLength: 42, withPad: " ", startingAt: 0))  batch \(t.batch)  \(String(format: "%8.2f ms", 1000 * t.seconds))")
        }
    }
}

/// Repeated timing with a median.
struct Timer {
    let repeats: Int

    /// The median wall-clock seconds of `body` over `repeats` runs, after one warm-up run.
    func median(_ body: () throws -> Void) rethrows -> Double {
        try body()
        var times: [Double] = []
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return times.sorted()[times.count / 2]
    }
}

/// The figures `scorekit bench` reports.
enum Benchmarks {
    /// sgemm on square matrices and on the shape of the U-Net's largest convolution.
    static func sgemm(timer: Timer) -> [(shape: String, gflops: Double)] {
        [(512, 512, 512), (1024, 1024, 1024), (8192, 32, 864), (1024, 128, 128)].map { m, n, k in
            let a = [Float](repeating: 0.5, count: m * k), b = [Float](repeating: 0.25, count: k * n)
            var c = [Float](repeating: 0, count: m * n)
            let seconds = timer.median {
                a.withUnsafeBufferPointer { pa in
                    b.withUnsafeBufferPointer { pb in
                        c.withUnsafeMutableBufferPointer { pc in
                            BLAS.gemm(m: m, n: n, k: k, pa.baseAddress!, pb.baseAddress!, pc.baseAddress!)
                        }
                    }
                }
            }
            return ("\(m)×\(k) · \(k)×\(n)", 2 * Double(m * n * k) / seconds / 1e9)
        }
    }

    /// A network to time: its name and a forward pass at a batch size.
    struct Network {
        let name: String
        let forward: (Int, Timer) throws -> Double
    }

    /// The built-in trained networks (shipped weights when present, else the recipe's initial weights).
    static func networks() throws -> [Network] {
        var out: [Network] = []
        for dataset in ["moons", "digits"] {
            let model = try builtinModel(dataset)
            if let d = model.denoiser {
                let arch = d.network.config.architecture
                out.append(Network(name: "\(dataset) denoiser (\(arch))") { batch, timer in
                    let x = Tensor(repeating: 0.3, shape: [batch] + d.sampleShape), sigma = [Double](repeating: 0.7, count: batch)
                    return try timer.median { _ = try d.denoise(x, sigma: sigma) }
                })
            }
            var classifiers: [(String, TrainedClassifier)] = []
            if let e = model.noiseLevelEstimator { classifiers.append(("noise-level", e.classifier)) }
            if let l = model.labelClassifier { classifiers.append(("digit", l)) }
            for (role, c) in classifiers {
                out.append(Network(name: "\(dataset) \(role) classifier (\(c.network.config.architecture))") { batch, timer in
                    let x = Tensor(repeating: 0.3, shape: [batch] + c.sampleShape)
                    return timer.median { _ = c.evaluate(x) }
                })
            }
        }
        return out
    }

    /// The shipped checkpoint of `dataset`, or a fresh one from its recipe.
    static func builtinModel(_ dataset: String) throws -> TrainedModel {
        if let model = try? BuiltinModels.trainedModel(dataset) { return model }
        return try TrainingRun(recipe: try TrainingRecipe.named(dataset)).model()
    }

    /// The time of one denoiser training step (forward, backward, Adam, EMA) per recipe.
    static func trainingSteps(timer: Timer) throws -> [(name: String, batch: Int, seconds: Double)] {
        try ["moons", "digits"].map { dataset in
            var recipe = try TrainingRecipe.named(dataset)
            recipe.settings.steps = 1_000_000
            var run = try TrainingRun(recipe: recipe)
            let seconds = timer.median { run.step() }
            return ("\(dataset) denoiser (\(recipe.denoiser.network.architecture))", recipe.settings.batch, seconds)
        }
    }
}
