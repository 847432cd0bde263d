import Foundation
import ScoreKitCore
import ScoreKitMetrics
import ScoreKitModels

/// The metrics a model's samples are measured with, bound to a draw of its reference data,
/// and the noise floor of each: the metric of further independent draws of the same size —
/// the score a perfect sampler would get, so a reader can tell a real difference from
/// sampling noise. One such draw is itself noisy (on gmm2d the sliced-Wasserstein floor of
/// 2,000 samples ranges over 0.14–1.2 across seeds), so the floor is the mean over
/// `floorDraws` draws, reported with their standard deviation.
public struct QualitySuite: Sendable {
    /// Independent reference draws the noise floor averages over.
    public static let floorDraws = 5

    /// The metrics, in the report's order.
    public let metrics: [any QualityMetric]
    /// The noise floor of each metric (mean over `floorDraws` draws), by name.
    public let noiseFloor: [String: Double]
    /// The standard deviation of the metric over those draws, by name.
    public let noiseFloorSD: [String: Double]
    /// The reference draw the metrics compare against (draw A), if the model has reference data.
    public let reference: Tensor?
    /// Why metrics are missing, when the model offers little to measure against.
    public let notes: [String]

    /// What a rule sees when deciding which metrics apply.
    public struct Context: Sendable {
        /// The model.
        public let model: LoadedModel
        /// Draw A of the reference data (`count` samples, indices 0..<count).
        public let reference: Tensor
        /// The run seed (for seeded metrics such as the SW projections).
        public let seed: UInt64
    }

    /// One row of the applicability table: the metrics it adds for a model (none when it
    /// does not apply).
    public typealias Rule = @Sendable (Context) throws -> [any QualityMetric]

    /// Which metrics apply to which models. Any model with reference data gets sliced
    /// Wasserstein (256 projections from the run seed) and MMD² (median-heuristic bandwidth of
    /// the reference); exact models (with a mixture) add the log-likelihood gap and the
    /// mode-weight TV; a model with a feature extractor adds the Fréchet distance in its
    /// features, and its classifier's confidence when it is one.
    public static let rules: [Rule] = [
        { c in [SlicedWassersteinMetric(reference: c.reference, projections: 256, seed: c.seed),
                MMDMetric(reference: c.reference)] },
        { c in
            guard let mixture = c.model.mixture else { return [] }
            return [LogLikelihoodGapMetric(reference: c.reference) { mixture.logDensity($0) },
                    ModeWeightTVMetric(weights: mixture.weights) { mixture.component(of: $0) }]
        },
        { c in
            guard let extractor = c.model.featureExtractor else { return [] }
            let fd: [any QualityMetric] = [try FrechetFeatureMetric(extractor: extractor, reference: c.reference)]
            guard let classifier = extractor as? any SampleClassifier else { return fd }
            return fd + [ClassifierConfidenceMetric(classifier: classifier)]
        },
    ]

    /// The suite for `model`: reference draw A (indices 0..<count) from `seed`, every
    /// applicable metric bound to A, and its floor measured on draws B_k (indices
    /// k·count..<(k+1)·count, k = 1…`floorDraws`).
    public init(model: LoadedModel, count: Int, seed: UInt64) throws {
        guard let data = model.referenceData else {
            metrics = []
            noiseFloor = [:]
            noiseFloorSD = [:]
            reference = nil
            notes = ["\(model.name) has no reference data: sliced Wasserstein, MMD and the other distribution metrics are not available; only the reference-solution distance is."]
            return
        }
        let a = try data.draw(count: count, seed: seed, firstIndex: 0)
        let context = Context(model: model, reference: a, seed: seed)
        let metrics = try Self.rules.flatMap { try $0(context) }
        var values: [String: [Double]] = [:]
        for k in 1...Self.floorDraws {
            let b = try data.draw(count: count, seed: seed, firstIndex: k * count)
            for m in metrics { values[m.name, default: []].append(try m.measure(b)) }
        }
        self.metrics = metrics
        noiseFloor = values.mapValues { $0.reduce(0, +) / Double($0.count) }
        noiseFloorSD = values.mapValues { v in
            let mean = v.reduce(0, +) / Double(v.count)
            return (v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(v.count - 1)).squareRoot()
        }
        self.reference = a
        var notes: [String] = []
        if model.featureExtractor == nil, model.denoiser.sampleShape.count >= 2 {
            notes.append("\(model.name) supplies no feature extractor, so there is no Fréchet distance in classifier features.")
        }
        self.notes = notes
    }
}
