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
    /// Every row of a finite data set (nil for a generator that draws fresh data).
    var finiteRows: Tensor? { get }
}

extension ReferenceData {
    /// None: a generator.
    public var finiteRows: Tensor? { nil }
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
    /// The data.
    public var finiteRows: Tensor? { data }

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

/// Reference data whose rows carry class labels, for class-aware measures: draws of a given
/// class per row (the data a class-conditional sampler should match) and draws with their labels
/// (the originals an inpainting is checked against).
public protocol LabelledReferenceData: ReferenceData {
    /// The number of classes; labels are `0..<labelCount`.
    var labelCount: Int { get }
    /// One data row per entry of `labels`, row i of class `labels[i]`; row i depends only on
    /// (seed, firstIndex + i, labels[i]).
    func draw(labels: [Int], seed: UInt64, firstIndex: Int) throws -> Tensor
    /// `count` rows with their labels, as `draw(count:seed:firstIndex:)` picks them.
    func drawLabelled(count: Int, seed: UInt64, firstIndex: Int) throws -> (data: Tensor, labels: [Int])
}

/// A finite labelled data set as reference data. Unlabelled draws are `FiniteReferenceData`'s
/// bootstrap; a draw of class c picks uniformly among the rows of class c with the same uniform.
public struct FiniteLabelledReferenceData: LabelledReferenceData {
    /// The data, `[n] + sampleShape`.
    public let data: Tensor
    /// The label of each row.
    public let labels: [Int]
    /// The number of classes.
    public let labelCount: Int
    private let rowsOfClass: [[Int]]

    /// Reference data from `data` whose row j has label `labels[j]` in `0..<labelCount`;
    /// every class needs at least one row.
    public init(_ data: Tensor, labels: [Int], labelCount: Int) {
        precondition(data.rows == labels.count && data.rows >= 1, "FiniteLabelledReferenceData: one label per row")
        precondition(labels.allSatisfy { (0..<labelCount).contains($0) }, "FiniteLabelledReferenceData: label out of range")
        self.data = data
        self.labels = labels
        self.labelCount = labelCount
        rowsOfClass = (0..<labelCount).map { c in labels.indices.filter { labels[$0] == c } }
        precondition(rowsOfClass.allSatisfy { !$0.isEmpty }, "FiniteLabelledReferenceData: a class has no rows")
    }

    public var sampleShape: [Int] { data.rowShape }
    /// The data.
    public var finiteRows: Tensor? { data }

    public func draw(count: Int, seed: UInt64, firstIndex: Int) throws -> Tensor {
        data.gatherRows(picks(count: count, seed: seed, firstIndex: firstIndex) { _ in Array(labels.indices) })
    }

    public func draw(labels wanted: [Int], seed: UInt64, firstIndex: Int) throws -> Tensor {
        guard let bad = wanted.first(where: { !(0..<labelCount).contains($0) }) else {
            return data.gatherRows(picks(count: wanted.count, seed: seed, firstIndex: firstIndex) { rowsOfClass[wanted[$0]] })
        }
        throw SamplingError.invalidInput("reference data: label \(bad) is not in 0..<\(labelCount)")
    }

    public func drawLabelled(count: Int, seed: UInt64, firstIndex: Int) throws -> (data: Tensor, labels: [Int]) {
        let rows = picks(count: count, seed: seed, firstIndex: firstIndex) { _ in Array(labels.indices) }
        return (data.gatherRows(rows), rows.map { labels[$0] })
    }

    /// Row i: a uniform pick among `candidates(i)` by the uniform of (seed, firstIndex + i).
    private func picks(count: Int, seed: UInt64, firstIndex: Int, candidates: (Int) -> [Int]) -> [Int] {
        let streams = RandomStreams(seed: seed)
        return (0..<count).map { i in
            let rows = candidates(i)
            let u = streams.uniforms(stream: RandomStreamID.data, sample: firstIndex + i, block: 0)[0]
            return rows[min(Int(u * Double(rows.count)), rows.count - 1)]
        }
    }
}
