import Foundation
import ScoreKitCore

// Class-aware metrics, for samples drawn with a requested label per row (a class-conditional
// model) or completed from a known original (inpainting): row i of the measured samples is
// compared with `labels[i]`.

/// The fraction of rows the classifier assigns to their requested (or original) label:
/// `(1/n)·#{i : argmax_c p(c | x_i) = labels[i]}`.
public struct LabelAgreementMetric: QualityMetric {
    /// The classifier that reads the samples.
    public let classifier: any SampleClassifier
    /// The label row i should have.
    public let labels: [Int]
    /// The column name (`label_agreement`, or another for a second use such as inpainting).
    public let name: String

    /// Agreement of `classifier` with `labels` (one per measured row).
    public init(classifier: any SampleClassifier, labels: [Int], name: String = "label_agreement") {
        self.classifier = classifier
        self.labels = labels
        self.name = name
    }

    public var title: String { "\(classifier.featureSpace) classifier agrees with the label (fraction)" }
    public var goal: MetricGoal { .higher }
    public func measure(_ samples: Tensor) throws -> Double {
        let predicted = try ClassMetrics.predictedLabels(classifier, samples)
        guard predicted.count == labels.count else { throw MetricError.labelCount(labels.count, samples.rows) }
        let agree = zip(predicted, labels).filter { $0 == $1 }.count
        return Double(agree) / Double(max(labels.count, 1))
    }
}

/// The Fréchet distance in a classifier's features computed class by class — row i belongs to
/// class `labels[i]`, reference row j to `referenceLabels[j]` — and averaged over the classes
/// both sides have at least two rows of. It catches a sampler that draws good digits of the
/// wrong class, which the pooled distance cannot.
public struct ClassFrechetMetric: QualityMetric {
    /// The feature space.
    public let extractor: any FeatureExtractor
    /// The class of each measured row.
    public let labels: [Int]
    private let referenceFits: [Int: GaussianFit]

    /// Per-class FD against `reference`, whose row j is of class `referenceLabels[j]`.
    public init(extractor: any FeatureExtractor, reference: Tensor, referenceLabels: [Int], labels: [Int]) throws {
        guard reference.rows == referenceLabels.count else { throw MetricError.labelCount(referenceLabels.count, reference.rows) }
        self.extractor = extractor
        self.labels = labels
        let features = try extractor.features(reference)
        referenceFits = ClassMetrics.groups(referenceLabels).mapValues { GaussianFit(features.gatherRows($0)) }
    }

    public var name: String { "fd_\(extractor.featureSpace)_class" }
    public var title: String { "Fréchet distance in \(extractor.featureSpace) features, per class, averaged" }
    public var goal: MetricGoal { .lower }
    public func measure(_ samples: Tensor) throws -> Double {
        let distances = try perClass(samples)
        return distances.values.reduce(0, +) / Double(max(distances.count, 1))
    }

    /// The distance for each class both sides have at least two rows of.
    public func perClass(_ samples: Tensor) throws -> [Int: Double] {
        guard samples.rows == labels.count else { throw MetricError.labelCount(labels.count, samples.rows) }
        let features = try extractor.features(samples)
        var out: [Int: Double] = [:]
        for (label, rows) in ClassMetrics.groups(labels) where rows.count >= 2 {
            guard let reference = referenceFits[label] else { continue }
            out[label] = FrechetDistance.between(GaussianFit(features.gatherRows(rows)), reference)
        }
        return out
    }
}

/// Helpers shared by the class metrics.
public enum ClassMetrics {
    /// The most probable class of each row.
    public static func predictedLabels(_ classifier: any SampleClassifier, _ samples: Tensor) throws -> [Int] {
        let logp = try classifier.classLogProbabilities(samples)
        return (0..<logp.rows).map { r in
            let row = logp.row(r)
            return (row.indices.max { row[$0] < row[$1] } ?? row.startIndex) - row.startIndex
        }
    }

    /// The row indices of each label, in order.
    static func groups(_ labels: [Int]) -> [Int: [Int]] {
        Dictionary(grouping: labels.indices) { labels[$0] }
    }
}

/// A metric given labels or reference rows that do not match the samples.
public enum MetricError: DescribedError, Equatable {
    /// `labels` labels for `rows` rows.
    case labelCount(Int, Int)
    /// Samples of shape `samples` measured against references of shape `expected`.
    case shapeMismatch(expected: [Int], samples: [Int])

    public var description: String {
        switch self {
        case let .labelCount(labels, rows): "class metric: \(labels) labels for \(rows) samples (one label per sample)"
        case let .shapeMismatch(expected, samples): "metric: samples of shape \(samples) measured against references of shape \(expected)"
        }
    }
}
