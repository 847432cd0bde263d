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
    public private(set) var noiseFloorSD: [String: Double]
    /// The reference draw the metrics compare against (draw A), if the model has reference data.
    public let reference: Tensor?
    /// Why metrics are missing, when the model offers little to measure against.
    public var notes: [String]

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
    ///
    /// With `labels` (sample i asked for class `labels[i]`) and labelled reference data, every
    /// draw is class-conditional — row i a real sample of class `labels[i]` — and, when the model
    /// has a classifier, the suite adds its agreement with the labels and the per-class Fréchet
    /// distance; their floors are what real data of those classes scores.
    public init(model: LoadedModel, count: Int, seed: UInt64, labels: [Int]? = nil) throws {
        guard let data = model.referenceData else {
            self.init(metrics: [], floors: [:], reference: nil,
                      notes: ["\(model.name) has no reference data: sliced Wasserstein, MMD and the other distribution metrics are not available; only the reference-solution distance is."])
            return
        }
        let draw: (Int) throws -> Tensor
        if let labels, let labelled = data as? any LabelledReferenceData {
            draw = { k in try labelled.draw(labels: labels, seed: seed, firstIndex: k * count) }
        } else {
            draw = { k in try data.draw(count: count, seed: seed, firstIndex: k * count) }
        }
        let a = try draw(0)
        let context = Context(model: model, reference: a, seed: seed)
        var metrics = try Self.rules.flatMap { try $0(context) }
        if let labels, data is any LabelledReferenceData, let classifier = model.featureExtractor as? any SampleClassifier {
            metrics += [LabelAgreementMetric(classifier: classifier, labels: labels),
                        try ClassFrechetMetric(extractor: classifier, reference: a, referenceLabels: labels, labels: labels)]
        }
        var floors: [String: [Double]] = [:]
        for k in 1...Self.floorDraws {
            let b = try draw(k)
            for m in metrics { floors[m.name, default: []].append(try m.measure(b)) }
        }
        var notes: [String] = []
        if model.featureExtractor == nil, model.denoiser.sampleShape.count >= 2 {
            notes.append("\(model.name) supplies no feature extractor, so there is no Fréchet distance in classifier features.")
        }
        self.init(metrics: metrics, floors: floors, reference: a, notes: notes)
    }

    /// The suite of an inpainting comparison: the distribution metrics of `init(model:count:seed:)`,
    /// plus the classifier's agreement between each completed sample and the label of the
    /// original it completes (`inpaint_agreement`) and the largest change to a known value
    /// (`known_error`, which must be 0). The floors of those two are their values on the
    /// originals themselves: the classifier's accuracy on real data, and 0.
    public static func inpainting(model: LoadedModel, count: Int, seed: UInt64, originals: Tensor, labels: [Int],
                                  mask: Tensor) throws -> QualitySuite {
        let plain = try QualitySuite(model: model, count: count, seed: seed)
        var added: [any QualityMetric] = [KnownValueErrorMetric(originals: originals, mask: mask)]
        if let classifier = model.featureExtractor as? any SampleClassifier {
            added.insert(LabelAgreementMetric(classifier: classifier, labels: labels, name: "inpaint_agreement"), at: 0)
        }
        var floors = plain.noiseFloor.mapValues { [$0] }
        for m in added { floors[m.name] = [try m.measure(originals)] }
        var suite = QualitySuite(metrics: added + plain.metrics, floors: floors, reference: plain.reference, notes: plain.notes)
        suite.noiseFloorSD.merge(plain.noiseFloorSD) { _, kept in kept }
        return suite
    }

    /// A suite from metrics and each one's floor values (mean and SD over them; SD 0 for one).
    private init(metrics: [any QualityMetric], floors: [String: [Double]], reference: Tensor?, notes: [String]) {
        self.metrics = metrics
        noiseFloor = floors.mapValues { $0.reduce(0, +) / Double($0.count) }
        noiseFloorSD = floors.mapValues { v in
            guard v.count > 1 else { return 0 }
            let mean = v.reduce(0, +) / Double(v.count)
            return (v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(v.count - 1)).squareRoot()
        }
        self.reference = reference
        self.notes = notes
    }
}
