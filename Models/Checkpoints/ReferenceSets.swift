import Foundation
import ScoreKitCore

/// The 2-D data sets are exact reference data: draw i of a seed is a fresh point of the
/// generator, so comparisons measure trained 2-D models against their own data distribution.
extension Toy2D: ReferenceData {
    /// `[2]`.
    public var sampleShape: [Int] { [2] }

    /// `count` fresh standardised points, draws `firstIndex ..< firstIndex + count` of `seed`.
    public func draw(count: Int, seed: UInt64, firstIndex: Int) throws -> Tensor {
        sample(count: count, seed: seed, firstIndex: firstIndex)
    }
}

/// A digit classifier seen as a feature extractor: its penultimate-layer activations are the
/// feature space of the Fréchet distance `fd_digits`, its class probabilities give the
/// comparisons' confidence metric.
public struct DigitFeatures: SampleClassifier {
    /// The classifier of clean digits (a checkpoint's `label_classifier`).
    public let classifier: TrainedClassifier

    /// Features and probabilities from `classifier`.
    public init(classifier: TrainedClassifier) { self.classifier = classifier }

    /// `digits`, so the metric is named `fd_digits`.
    public var featureSpace: String { "digits" }

    /// Penultimate-layer activations, `[N, hidden]`.
    public func features(_ x: Tensor) throws -> Tensor { classifier.features(x) }

    /// `log p(digit | x)`, `[N, 10]`.
    public func classLogProbabilities(_ x: Tensor) throws -> Tensor { classifier.logProbabilities(x) }
}

extension TrainedModel {
    /// What a comparison measures this model's samples against, from the config's `dataset`:
    /// fresh draws for the 2-D generators, the 10,000 held-out points of a tutorial set, and
    /// the 297 held-out images for `digits` and `digits-cond` with their labels (drawn with
    /// replacement); nothing for other data.
    func referenceData() throws -> (any ReferenceData)? {
        guard let dataset = config.dataset, denoiser != nil else { return nil }
        if let kind = Toy2D(rawValue: dataset), denoiser?.sampleShape == kind.sampleShape { return kind }
        if let kind = Tutorial2D(rawValue: dataset), denoiser?.sampleShape == [2] {
            return FiniteReferenceData(try kind.load().heldOut)
        }
        if TrainingData.digitsNames.contains(dataset), denoiser?.sampleShape == [1, 8, 8] {
            let heldOut = try DigitsData.load().heldOut
            return FiniteLabelledReferenceData(heldOut.images, labels: heldOut.labels, labelCount: 10)
        }
        return nil
    }

    /// The feature space for Fréchet distances: the digit classifier's, when the file has one
    /// that reads the denoiser's samples.
    var featureExtractor: (any FeatureExtractor)? {
        guard let labelClassifier, labelClassifier.sampleShape == denoiser?.sampleShape else { return nil }
        return DigitFeatures(classifier: labelClassifier)
    }
}
