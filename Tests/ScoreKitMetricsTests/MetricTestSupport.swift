import Foundation
import ScoreKitCore

/// Draws and helpers shared by the metric tests.
enum MetricTestSupport {
    /// `count` draws of N(mean, std²·I) from Philox (stream `auxiliary`, so independent of
    /// everything a sampler draws), sample indices from `firstIndex`.
    static func gaussian(count: Int, mean: [Double], std: Double, seed: UInt64, firstIndex: Int = 0) -> Tensor {
        let d = mean.count
        var z = [Float](repeating: 0, count: count * d)
        let streams = RandomStreams(seed: seed)
        z.withUnsafeMutableBufferPointer { p in
            for i in 0..<count {
                let row = UnsafeMutableBufferPointer(rebasing: p[(i * d)..<((i + 1) * d)])
                streams.fillNormals(row, stream: RandomStreamID.auxiliary, sample: firstIndex + i, firstBlock: 0)
                for j in 0..<d { row[j] = Float(mean[j] + std * Double(row[j])) }
            }
        }
        return Tensor(shape: [count, d], scalars: z)
    }

    /// Φ⁻¹(p) by bisection on `Φ(x) = ½·erfc(−x/√2)` (to ~1e-12; tests only).
    static func inverseNormalCDF(_ p: Double) -> Double {
        var lo = -40.0, hi = 40.0
        for _ in 0..<200 {
            let mid = 0.5 * (lo + hi)
            if 0.5 * erfc(-mid / 2.0.squareRoot()) < p { lo = mid } else { hi = mid }
        }
        return 0.5 * (lo + hi)
    }

    /// The standard-normal quantiles `Φ⁻¹((i + ½)/n)`, i = 0..<n: a deterministic "sample"
    /// whose empirical distribution is as close to N(0, 1) as n points get.
    static func normalQuantiles(_ n: Int) -> [Double] {
        (0..<n).map { inverseNormalCDF((Double($0) + 0.5) / Double(n)) }
    }

    /// The mean and the standard error of the mean of `values`.
    static func meanAndStandardError(_ values: [Double]) -> (mean: Double, se: Double) {
        let n = Double(values.count)
        let mean = values.reduce(0, +) / n
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
        return (mean, (variance / n).squareRoot())
    }
}
