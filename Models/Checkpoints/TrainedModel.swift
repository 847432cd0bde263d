import Foundation
import ScoreKitCore

/// The networks of a model checkpoint, validated and ready to use.
public struct TrainedModel: Sendable {
    /// The config the file carries.
    public let config: ModelConfig
    /// The denoiser, if the file has one.
    public let denoiser: TrainedDenoiser?
    /// The noise-level classifier, if the file has one.
    public let noiseLevelEstimator: TrainedNoiseLevelEstimator?
    /// The classifier of clean samples (digits), if the file has one.
    public let labelClassifier: TrainedClassifier?
    /// The noise-aware label classifier for classifier guidance, if the file has one.
    public let noisyLabelClassifier: TrainedNoisyClassifier?
    /// The denoiser as a `ConditionalDenoiser`, when it is class-conditional.
    public var conditionalDenoiser: TrainedConditionalDenoiser? { denoiser.flatMap(TrainedConditionalDenoiser.init) }

    /// Tensor name prefixes of the sections.
    public enum Prefix {
        /// `denoiser.`, `classifier.`, `label_classifier.` and `noisy_label_classifier.`.
        public static let denoiser = "denoiser.", classifier = "classifier.", labelClassifier = "label_classifier.",
                          noisyLabelClassifier = "noisy_label_classifier."
    }

    /// Builds the networks a checkpoint's config describes and loads their weights, checking
    /// every tensor's presence and shape against the config.
    public init(checkpoint: Checkpoint) throws {
        let path = checkpoint.path
        func fail(_ reason: String) -> FileFormatError { .malformed(path, reason: reason) }
        let config = try ModelConfig(json: checkpoint.config, path: path)
        self.config = config
        try ModelLimits.validate(config, path: path)
        do {
            if let section = config.denoiser {
                let network = try section.network.denoiserNetwork()
                let weights = try Self.weights(checkpoint, Prefix.denoiser, network.layout)
                denoiser = TrainedDenoiser(network: network, weights: weights,
                                           preconditioning: EDMPreconditioning(sigmaData: section.sigmaData),
                                           sigmaRange: section.sigmaMin...section.sigmaMax)
            } else {
                denoiser = nil
            }
            if let section = config.classifier {
                let levels = section.levels
                let network = try section.network.classifierNetwork()
                guard network.classes == levels.count else {
                    throw fail("classifier has \(network.classes) classes for \(levels.count) noise levels")
                }
                let classifier = TrainedClassifier(network: network, weights: try Self.weights(checkpoint, Prefix.classifier, network.layout))
                noiseLevelEstimator = TrainedNoiseLevelEstimator(classifier: classifier, grid: levels)
            } else {
                noiseLevelEstimator = nil
            }
            if let section = config.labelClassifier {
                let network = try section.network.classifierNetwork()
                guard network.classes == section.labels.count else {
                    throw fail("label classifier has \(network.classes) classes for \(section.labels.count) labels")
                }
                labelClassifier = TrainedClassifier(network: network, weights: try Self.weights(checkpoint, Prefix.labelClassifier, network.layout))
            } else {
                labelClassifier = nil
            }
            noisyLabelClassifier = try config.noisyLabelClassifier.map { section in
                guard let network = try section.network.classifierNetwork() as? CNNClassifierNetwork else {
                    throw fail("noisy_label_classifier is '\(section.network.architecture)'; expected 'cnn-classifier'")
                }
                guard network.classes == section.labels.count else {
                    throw fail("noisy label classifier has \(network.classes) classes for \(section.labels.count) labels")
                }
                return TrainedNoisyClassifier(network: network, weights: try Self.weights(checkpoint, Prefix.noisyLabelClassifier, network.layout),
                                              sigmaRange: section.sigmaMin...section.sigmaMax)
            }
        } catch let error as NetworkConfigError {
            throw fail("config: \(error)")
        }
        guard denoiser != nil || noiseLevelEstimator != nil || labelClassifier != nil || noisyLabelClassifier != nil else {
            throw fail("config describes no network (no denoiser, classifier, label_classifier or noisy_label_classifier section)")
        }
        let known = [Prefix.denoiser, Prefix.classifier, Prefix.labelClassifier, Prefix.noisyLabelClassifier, TrainingState.prefix]
        if let stray = checkpoint.names.first(where: { name in !known.contains { name.hasPrefix($0) } }) {
            throw fail("tensor '\(stray)' belongs to no section (prefixes: \(known.joined(separator: ", ")))")
        }
    }

    /// Reads, validates and loads the checkpoint file at `url`.
    public init(contentsOf url: URL) throws {
        try self.init(checkpoint: try Checkpoint.read(url))
    }

    /// The flat weights of the group `prefix` for `layout`.
    static func weights(_ checkpoint: Checkpoint, _ prefix: String, _ layout: ParameterLayout) throws -> [Float] {
        layout.flatten(try checkpoint.group(prefix, expecting: layout.shapes))
    }

    /// The model as `LoadedModel` for samplers (needs a denoiser), with the reference data and
    /// feature space comparisons use (`ReferenceSets.swift`) and the noise-aware label
    /// classifier classifier guidance uses.
    public func loaded(name: String) throws -> LoadedModel {
        guard var denoiser else { throw ModelLoadError.malformed(name, reason: "the checkpoint holds no denoiser") }
        let reference = try referenceData()
        denoiser.dataDiameter = try reference.map { try Self.diameter(of: $0) }
        let sampled: any Denoiser = TrainedConditionalDenoiser(denoiser) ?? denoiser
        var model = LoadedModel(name: name, denoiser: sampled, noiseLevelEstimator: noiseLevelEstimator, mixture: nil)
        model.referenceData = reference
        model.featureExtractor = featureExtractor
        model.noisyClassifier = noisyLabelClassifier
        return model
    }

    /// The largest distance between two of 1000 reference points (all of a smaller finite set):
    /// the data diameter annealed Langevin starts from (NCSNv2's Technique 1).
    static func diameter(of reference: any ReferenceData) throws -> Double {
        let x: Tensor
        if let rows = reference.finiteRows, rows.rows <= 1000 {
            x = rows
        } else {
            x = try reference.draw(count: 1000, seed: 0, firstIndex: 0)
        }
        let n = x.rowSize
        var widest: Float = 0
        x.scalars.withUnsafeBufferPointer { p in
            for a in 0..<x.rows {
                for b in (a + 1)..<x.rows {
                    var s: Float = 0
                    for j in 0..<n { let t = p[a * n + j] - p[b * n + j]; s += t * t }
                    widest = max(widest, s)
                }
            }
        }
        return Double(widest).squareRoot()
    }
}
