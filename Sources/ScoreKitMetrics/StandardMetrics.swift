import Foundation
import ScoreKitCore

// The metrics of a comparison as `QualityMetric` values, each bound to its reference. The
// formulas are documented on the functions they call.

/// The sliced 2-Wasserstein distance to a reference set (`SlicedWasserstein`); the reference
/// projections are sorted once.
public struct SlicedWassersteinMetric: QualityMetric {
    /// The projection directions.
    public let slicer: SlicedWasserstein
    private let sortedReference: [[Double]]

    /// SW₂ to `reference` over `projections` (≥ 256 recommended) directions from `seed`.
    public init(reference: Tensor, projections: Int = 256, seed: UInt64 = 0) {
        slicer = SlicedWasserstein(dimension: reference.rowSize, projections: projections, seed: seed)
        sortedReference = slicer.sortedProjections(reference)
    }

    public var name: String { "sw" }
    public var title: String { "sliced Wasserstein-2 distance (\(slicer.projections) projections)" }
    public var goal: MetricGoal { .lower }
    public func measure(_ samples: Tensor) throws -> Double {
        slicer.distance(slicer.sortedProjections(samples), sortedReference)
    }
}

/// The unbiased MMD² with an RBF kernel to a reference set (`MMD.squared`); the bandwidth is
/// the median heuristic on the reference set unless given. Its cost is quadratic in the set
/// sizes, so it uses at most the first `maxRows` rows of each set (rows are independent draws,
/// so the first `maxRows` are a random subset and the estimate stays unbiased).
public struct MMDMetric: QualityMetric {
    /// The reference set (at most `maxRows` rows).
    public let reference: Tensor
    /// The kernel bandwidth h.
    public let bandwidth: Double
    /// The most rows of each set used.
    public let maxRows: Int

    /// MMD² to `reference`, bandwidth `MMD.medianBandwidth(reference)` when nil.
    public init(reference: Tensor, bandwidth: Double? = nil, maxRows: Int = 5000) {
        precondition(maxRows >= 2, "MMDMetric: maxRows must be at least 2")
        self.maxRows = maxRows
        self.reference = reference.rows(0..<min(reference.rows, maxRows))
        self.bandwidth = bandwidth ?? MMD.medianBandwidth(reference)
    }

    public var name: String { "mmd2" }
    public var title: String {
        "MMD² (RBF kernel, h = \(String(format: "%.3g", bandwidth)), unbiased"
            + (reference.rows == maxRows ? ", first \(maxRows) samples of each set)" : ")")
    }
    public var goal: MetricGoal { .lower }
    public func measure(_ samples: Tensor) throws -> Double {
        MMD.squared(samples.rows(0..<min(samples.rows, maxRows)), reference, bandwidth: bandwidth)
    }
}

/// The mean log-likelihood gap to exact samples under the true density
/// (`ExactModelMetrics.logLikelihoodGap`).
public struct LogLikelihoodGapMetric: QualityMetric {
    /// log p of each row under the true density.
    public let logDensity: @Sendable (Tensor) -> [Double]
    private let referenceLogDensity: [Double]

    /// The gap to `reference` (exact data) under `logDensity` (log p of each row).
    public init(reference: Tensor, logDensity: @escaping @Sendable (Tensor) -> [Double]) {
        self.logDensity = logDensity
        referenceLogDensity = logDensity(reference)
    }

    public var name: String { "ll_gap" }
    public var title: String { "log-likelihood gap to exact samples (nats)" }
    public var goal: MetricGoal { .nearZero }
    public func measure(_ samples: Tensor) throws -> Double {
        ExactModelMetrics.logLikelihoodGap(samples: logDensity(samples), reference: referenceLogDensity)
    }
}

/// The total variation between the samples' mode weights and the true weights
/// (`ExactModelMetrics.modeWeightTotalVariation`).
public struct ModeWeightTVMetric: QualityMetric {
    /// The true mode weights.
    public let weights: [Double]
    /// The mode of each row.
    public let assign: @Sendable (Tensor) -> [Int]

    /// Mode TV against `weights`, with `assign` giving each row's mode.
    public init(weights: [Double], assign: @escaping @Sendable (Tensor) -> [Int]) {
        self.weights = weights
        self.assign = assign
    }

    public var name: String { "mode_tv" }
    public var title: String { "mode-weight total variation" }
    public var goal: MetricGoal { .lower }
    public func measure(_ samples: Tensor) throws -> Double {
        ExactModelMetrics.modeWeightTotalVariation(assignments: assign(samples), weights: weights)
    }
}

/// The Fréchet distance between Gaussian fits of features (`FrechetDistance`): FID's formula
/// in the feature space of `extractor`.
public struct FrechetFeatureMetric: QualityMetric {
    /// The feature space.
    public let extractor: any FeatureExtractor
    private let referenceFit: GaussianFit

    /// FD to the features of `reference`.
    public init(extractor: any FeatureExtractor, reference: Tensor) throws {
        self.extractor = extractor
        referenceFit = GaussianFit(try extractor.features(reference))
    }

    public var name: String { "fd_\(extractor.featureSpace)" }
    public var title: String { "Fréchet distance in \(extractor.featureSpace) features (FID formula)" }
    public var goal: MetricGoal { .lower }
    public func measure(_ samples: Tensor) throws -> Double {
        FrechetDistance.between(GaussianFit(try extractor.features(samples)), referenceFit)
    }
}

/// The classifier's mean confidence on the samples: `(1/n)·Σ_i max_c p(c | x_i)`. Recognisable
/// samples score high; note that a sampler collapsing onto easy prototypes also scores high, so
/// read it next to the Fréchet distance.
public struct ClassifierConfidenceMetric: QualityMetric {
    /// The classifier.
    public let classifier: any SampleClassifier

    /// Confidence of `classifier`.
    public init(classifier: any SampleClassifier) { self.classifier = classifier }

    public var name: String { "confidence_\(classifier.featureSpace)" }
    public var title: String { "\(classifier.featureSpace) classifier confidence (mean max p)" }
    public var goal: MetricGoal { .higher }
    public func measure(_ samples: Tensor) throws -> Double {
        let logp = try classifier.classLogProbabilities(samples)
        var total = 0.0
        for r in 0..<logp.rows { total += exp(Double(logp.row(r).max() ?? -.infinity)) }
        return total / Double(max(logp.rows, 1))
    }
}

/// The RMS distance to a reference solution from the same noise (`ReferenceSolutionDistance`).
public struct ReferenceSolutionMetric: QualityMetric {
    /// The reference solution, row i from the same noise as sample i.
    public let solution: Tensor
    /// The spec of the sampler that produced the solution, for the title.
    public let solver: String

    /// Distance to `solution`, produced by `solver`.
    public init(solution: Tensor, solver: String) {
        self.solution = solution
        self.solver = solver
    }

    public var name: String { "ref_rms" }
    public var title: String { "RMS distance to the reference solution (\(solver))" }
    public var goal: MetricGoal { .lower }
    public func measure(_ samples: Tensor) throws -> Double {
        ReferenceSolutionDistance.rms(samples, solution)
    }
}
