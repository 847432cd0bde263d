import Foundation

// What a model offers for measuring samples: reference data and feature spaces. They live in
// ScoreKitCore (beside `Denoiser`) so that models can provide them without depending on the
// metrics; ScoreKitMetrics computes the distances.

/// Data to measure samples against: exact draws from a known distribution, or draws from a
/// finite held-out set.
public protocol ReferenceData: Sendable {
    /// The shape of one sample.
    var sampleShape: [Int] { get }
    /// `count` data samples; sample i depends only on (seed, firstIndex + i), so two calls with
    /// disjoint index ranges are independent draws.
    func draw(count: Int, seed: UInt64, firstIndex: Int) throws -> Tensor
}

/// A finite data set used as reference data: draws pick rows uniformly with replacement
/// (a bootstrap), row i of a draw chosen by the uniform of (seed, firstIndex + i) in stream
/// `data`. Two draws of the same size from a set of n rows therefore share rows when the size
/// is a sizeable fraction of n; their distance then understates the floor an infinite data
/// source would give.
public struct FiniteReferenceData: ReferenceData {
    /// The data, `[n] + sampleShape`.
    public let data: Tensor

    /// Reference data from the rows of `data` (at least one).
    public init(_ data: Tensor) {
        precondition(data.rows >= 1, "FiniteReferenceData: no rows")
        self.data = data
    }

    public var sampleShape: [Int] { data.rowShape }

    public func draw(count: Int, seed: UInt64, firstIndex: Int) throws -> Tensor {
        let streams = RandomStreams(seed: seed)
        let picks = (0..<count).map { i in
            let u = streams.uniforms(stream: RandomStreamID.data, sample: firstIndex + i, block: 0)[0]
            return min(Int(u * Double(data.rows)), data.rows - 1)
        }
        return data.gatherRows(picks)
    }
}

/// Maps samples to a feature space where distances mean something for the data (for digits:
/// the penultimate layer of a digit classifier). The Fréchet distance is computed there.
public protocol FeatureExtractor: Sendable {
    /// The name of the feature space, used in metric names: `digits` gives `fd_digits`.
    var featureSpace: String { get }
    /// The features of each row of `x` (`[N] + sampleShape`): `[N, F]`.
    func features(_ x: Tensor) throws -> Tensor
}

/// A feature extractor that is also a classifier: it gives class probabilities, from which a
/// comparison reports the classifier's mean confidence on the samples.
public protocol SampleClassifier: FeatureExtractor {
    /// `log p(class | x)` for each row: `[N, classes]`.
    func classLogProbabilities(_ x: Tensor) throws -> Tensor
}
