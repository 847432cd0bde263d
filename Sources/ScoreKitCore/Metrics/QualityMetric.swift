import Foundation

/// A measure of sample quality against a reference fixed when the metric is made (exact data,
/// held-out data, a reference solution). Comparisons call `measure` on every sampler's output,
/// and on an independent draw of the reference data to state the noise floor.
public protocol QualityMetric: Sendable {
    /// The column name in results: lower-case, no spaces (`sw`, `mmd2`, `ll_gap`, …).
    var name: String { get }
    /// What it is, in a few words, for reports and plots.
    var title: String { get }
    /// Which values are better.
    var goal: MetricGoal { get }
    /// The metric of `samples` (`[N] + sampleShape`) against the metric's reference.
    func measure(_ samples: Tensor) throws -> Double
}

/// Which way a metric improves.
public enum MetricGoal: String, Sendable, Codable, Hashable {
    /// Smaller is better (distances).
    case lower
    /// Larger is better (confidence).
    case higher
    /// Closer to zero is better (signed gaps).
    case nearZero

    /// Whether `a` is better than `b`.
    public func prefers(_ a: Double, over b: Double) -> Bool {
        switch self {
        case .lower: a < b
        case .higher: a > b
        case .nearZero: abs(a) < abs(b)
        }
    }

    /// A short phrase for reports.
    public var phrase: String {
        switch self {
        case .lower: "lower is better"
        case .higher: "higher is better"
        case .nearZero: "closer to 0 is better"
        }
    }
}

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
