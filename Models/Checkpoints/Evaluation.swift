import Foundation
import ScoreKitCore

/// Measurements of trained networks that the tests and the documentation's figures use.
public enum ModelEvaluation {
    /// For each grid level k, the fraction of the clean samples `x0` whose noisy version
    /// `x0 + σ_k·z` the estimator places within `tolerance·K` levels of k (argmax of p(k | x)).
    /// The noise z of sample i at level k is Philox draw (seed, `auxiliary` stream, i·K + k).
    public static func noiseLevelAccuracy(_ estimator: any NoiseLevelEstimator, data x0: Tensor, seed: UInt64,
                                          tolerance: Double = 0.05) throws -> [Double] {
        let grid = estimator.grid, k = grid.count, n = x0.rows
        let window = Int((tolerance * Double(k)).rounded(.down))
        var hits = [Int](repeating: 0, count: k)
        for level in 0..<k {
            let z = try PhiloxNoise(seed: seed, stream: RandomStreamID.auxiliary, sampleIndices: (0..<n).map { $0 * k + level })
                .normal(rows: nil, shape: x0.rowShape)
            let x = Tensor.combination([(1, x0), (.all(grid.sigma(level)), z)])
            let logp = try estimator.logProbabilities(x)
            for r in 0..<n {
                let row = logp.scalars[(r * k)..<((r + 1) * k)]
                let best = row.indices.max { row[$0] < row[$1] }! - r * k
                if abs(best - level) <= window { hits[level] += 1 }
            }
        }
        return hits.map { Double($0) / Double(n) }
    }

    /// How a classifier labels a set of samples.
    public struct LabelStatistics: Sendable, Equatable {
        /// Samples per predicted class.
        public let counts: [Int]
        /// The fraction predicted with probability at least the confidence threshold.
        public let confidentFraction: Double
        /// The total-variation distance of the predicted-label histogram from uniform:
        /// `½·Σ_c |count_c/N − 1/C|`.
        public let totalVariationFromUniform: Double
    }

    /// The label histogram and confidence of `classifier` on `samples`.
    public static func labelStatistics(_ classifier: TrainedClassifier, samples: Tensor,
                                       confidence: Double = 0.9) -> LabelStatistics {
        let predictions = classifier.predict(samples), classes = classifier.network.classes
        var counts = [Int](repeating: 0, count: classes)
        for p in predictions { counts[p.label] += 1 }
        let n = Double(samples.rows)
        let confident = Double(predictions.filter { $0.probability >= confidence }.count) / n
        let tv = 0.5 * counts.map { abs(Double($0) / n - 1 / Double(classes)) }.reduce(0, +)
        return LabelStatistics(counts: counts, confidentFraction: confident, totalVariationFromUniform: tv)
    }

    /// The fraction of `images` the classifier labels correctly.
    public static func accuracy(_ classifier: TrainedClassifier, images: Tensor, labels: [Int]) -> Double {
        let predictions = classifier.predict(images)
        return Double(zip(predictions, labels).filter { $0.0.label == $0.1 }.count) / Double(labels.count)
    }
}
