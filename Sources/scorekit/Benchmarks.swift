import Foundation
import ScoreKit

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
    /// One sgemm figure: the shape, its speed, and the largest difference from a naive product.
    struct GemmFigure {
        let shape: String
        /// OpenBLAS's sgemm, and ScoreKit's batch-invariant network kernel on the same product.
        let gflops: Double, networkGflops: Double
        /// Max |C − naive| over checked rows; the inputs are small integers, so every correct
        /// kernel gives exactly 0 (all partial sums are exact in Float32).
        let maxAbsError: Float
    }

    /// sgemm on square matrices and on the shapes of the networks' products, each checked
    /// against a naive product on some of its rows.
    static func sgemm(timer: Timer) -> [GemmFigure] {
        [(512, 512, 512), (1024, 1024, 1024), (8192, 32, 864), (1024, 128, 128)].map { m, n, k in
            // Integers in −4…4: exact in Float32, and no two rows or columns alike.
            let a = (0..<(m * k)).map { Float(($0 &* 7 &+ $0 / k &* 3) % 9 - 4) }
            let b = (0..<(k * n)).map { Float(($0 &* 5 &+ $0 / n) % 9 - 4) }
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
            var error: Float = 0
            for i in stride(from: 0, to: m, by: max(1, m / 16)) {
                for j in 0..<n {
                    var sum: Float = 0
                    for p in 0..<k { sum += a[i * k + p] * b[p * n + j] }
                    error = max(error, abs(c[i * n + j] - sum))
                }
            }
            // The same product on the network kernel (weights packed once, as at load time).
            let w = PackedWeights(matrix: (0..<(n * k)).map { b[($0 % k) * n + $0 / k] }, outputs: n, inputs: k)
            let networkSeconds = timer.median {
                a.withUnsafeBufferPointer { pa in
                    c.withUnsafeMutableBufferPointer { NetworkGEMM.multiply(rows: m, pa.baseAddress!, w, into: $0.baseAddress!) }
                }
            }
            for i in stride(from: 0, to: m, by: max(1, m / 16)) {
                for j in 0..<n {
                    var sum: Float = 0
                    for p in 0..<k { sum += a[i * k + p] * b[p * n + j] }
                    error = max(error, abs(c[i * n + j] - sum))
                }
            }
            return GemmFigure(shape: "\(m)×\(k) · \(k)×\(n)", gflops: 2 * Double(m * n * k) / seconds / 1e9,
                              networkGflops: 2 * Double(m * n * k) / networkSeconds / 1e9, maxAbsError: error)
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
                let cores = ProcessInfo.processInfo.activeProcessorCount
                if cores > 1 {
                    // Every core, as a sampling job runs: the batch split into one part per worker.
                    out.append(Network(name: "\(dataset) denoiser (\(arch)), \(cores) threads") { batch, timer in
                        let parts = (0..<cores).map { k in (k * batch / cores)..<((k + 1) * batch / cores) }
                        let x = Tensor(repeating: 0.3, shape: [batch] + d.sampleShape)
                        return timer.median {
                            DispatchQueue.concurrentPerform(iterations: cores) { k in
                                _ = try? d.denoise(x.rows(parts[k]), sigma: [Double](repeating: 0.7, count: parts[k].count))
                            }
                        }
                    })
                }
            }
            var classifiers: [(String, TrainedClassifier)] = []
            if let e = model.noiseLevelEstimator { classifiers.append(("noise-level", e.classifier)) }
            if let l = model.labelClassifier { classifiers.append(("digit", l)) }
            for (role, c) in classifiers {
                out.append(Network(name: "\(dataset) \(role) classifier (\(c.network.config.architecture))") { batch, timer in
                    let x = Tensor(repeating: 0.3, shape: [batch] + c.sampleShape)
                    return timer.median { _ = c.logits(x) }
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
