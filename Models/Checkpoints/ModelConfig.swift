import Foundation
import ScoreKitCore

/// The config a ScoreKit model checkpoint carries in `__metadata__["config"]` (JSON, snake_case
/// keys). Each section describes the tensors under its name prefix:
///
/// ```json
/// {"format": "scorekit-model", "version": 1, "dataset": "moons",
///  "denoiser":   {"network": {"architecture": "mlp-denoiser", "sample_shape": [2], …},
///                 "preconditioning": "edm", "sigma_data": 1, "sigma_min": 0.002, "sigma_max": 80},
///  "classifier": {"network": {"architecture": "mlp-classifier", …},
///                 "levels": {"sigma_min": 0.002, "sigma_max": 80, "count": 100}},
///  "training":   {"settings": {…}, "denoiser_steps": 20000, "classifier_steps": 10000, …}}
/// ```
///
/// Tensors: `denoiser.<parameter>` and `classifier.<parameter>` hold the weights used for
/// sampling (the EMA weights), `label_classifier.<parameter>` a digit classifier, and
/// `train.*` the optimiser state of a resumable training run.
public struct ModelConfig: Codable, Sendable, Equatable {
    /// Always `scorekit-model`.
    public var format = ModelConfig.formatName
    /// The config's version (1).
    public var version = 1
    /// The data set it was trained on, if any.
    public var dataset: String?
    /// The denoiser (tensors `denoiser.*`), if any.
    public var denoiser: DenoiserSection?
    /// The noise-level classifier (tensors `classifier.*`), if any.
    public var classifier: ClassifierSection?
    /// A classifier of clean samples (tensors `label_classifier.*`), if any.
    public var labelClassifier: LabelClassifierSection?
    /// A noise-aware label classifier for classifier guidance (tensors `noisy_label_classifier.*`), if any.
    public var noisyLabelClassifier: NoisyLabelClassifierSection?
    /// How it was trained, if it was trained by ScoreKit or scripts/torch.
    public var training: TrainingRecord?

    /// The value of `format`.
    public static let formatName = "scorekit-model"

    /// A config with the given sections.
    public init(dataset: String? = nil, denoiser: DenoiserSection? = nil, classifier: ClassifierSection? = nil,
                labelClassifier: LabelClassifierSection? = nil, noisyLabelClassifier: NoisyLabelClassifierSection? = nil,
                training: TrainingRecord? = nil) {
        self.dataset = dataset
        self.noisyLabelClassifier = noisyLabelClassifier
        self.denoiser = denoiser
        self.classifier = classifier
        self.labelClassifier = labelClassifier
        self.training = training
    }

    /// The config as JSON text (sorted keys, snake_case).
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(self)
    }

    /// Parses the JSON text, with an error naming the problem.
    public init(json: Data, path: String) throws {
        let tree: JSONValue
        do {
            tree = try JSONReader.parse(json)
        } catch let problem as JSONProblem {
            throw FileFormatError.malformed(path, reason: "config is not valid JSON: \(problem.reason)")
        }
        if let problem = Self.integerProblem(tree, path: []) {
            throw FileFormatError.malformed(path, reason: "config: bad value at '\(problem.path)': \(problem.value) is not an integer in range")
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            self = try decoder.decode(ModelConfig.self, from: json)
        } catch let DecodingError.keyNotFound(key, context) {
            throw FileFormatError.malformed(path, reason: "config: missing '\(Self.keyPath(context.codingPath + [key]))'")
        } catch let DecodingError.dataCorrupted(context) where context.codingPath.isEmpty {
            throw FileFormatError.malformed(path, reason: "config is not valid JSON: \(JSONCheck.parserReason(DecodingError.dataCorrupted(context)))")
        } catch let DecodingError.typeMismatch(type, context) {
            throw FileFormatError.malformed(path, reason: "config: bad value at '\(Self.keyPath(context.codingPath))' (expected \(Self.typeName(type)))")
        } catch let DecodingError.valueNotFound(_, context), let DecodingError.dataCorrupted(context) {
            throw FileFormatError.malformed(path, reason: "config: bad value at '\(Self.keyPath(context.codingPath))'")
        }
        guard format == Self.formatName else {
            throw FileFormatError.malformed(path, reason: "config format is '\(format)'; expected '\(Self.formatName)'")
        }
        if let problem = Self.versionProblem(version) { throw FileFormatError.malformed(path, reason: problem) }
    }

    /// The keys whose values (or array elements) are integers.
    static let integerKeys: Set<String> = [
        "version", "sample_shape", "hidden", "depth", "channels", "groups", "embedding_features", "embedding_width", "classes",
        "count", "steps", "batch", "warmup", "classifier_steps", "classifier_batch", "label_steps", "label_batch",
        "denoiser_steps", "label_classes", "noisy_label_steps", "noisy_label_batch",
    ]

    /// The first number under an integer key that is fractional or outside `Int`'s range
    /// (Foundation's decoder reports those without saying where), with its key path.
    static func integerProblem(_ value: JSONValue, path: [String]) -> (path: String, value: Double)? {
        func bad(_ v: Double) -> Bool { v != v.rounded() || abs(v) >= 9.2e18 }
        let isInteger = path.last(where: { Int($0) == nil }).map(integerKeys.contains) ?? false
        switch value {
        case .number(let v) where isInteger && bad(v): return (path.joined(separator: "."), v)
        case .numbers(let values) where isInteger:
            return values.firstIndex(where: bad).map { ((path + ["\($0)"]).joined(separator: "."), values[$0]) }
        case .array(let elements):
            for (i, e) in elements.enumerated() { if let p = integerProblem(e, path: path + ["\(i)"]) { return p } }
        case .object(let pairs):
            for (k, v) in pairs { if let p = integerProblem(v, path: path + [k]) { return p } }
        default: break
        }
        return nil
    }

    /// The version this ScoreKit reads.
    public static let currentVersion = 1

    /// Why a config of `version` cannot be read, or nil for the current version.
    static func versionProblem(_ version: Int) -> String? {
        if version == currentVersion { return nil }
        if version > currentVersion {
            return "config version \(version) is newer than this ScoreKit reads (\(currentVersion)); update ScoreKit"
        }
        return "config version \(version) is not a valid version (versions start at 1; this ScoreKit reads \(currentVersion))"
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type, is UInt64.Type, is [Int].Type: "an integer"
        case is Double.Type: "a number"
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        default: "a value of type \(type)"
        }
    }

    private static func keyPath(_ path: [any CodingKey]) -> String {
        path.map { $0.intValue.map(String.init) ?? snakeCase($0.stringValue) }.joined(separator: ".")
    }

    private static func snakeCase(_ s: String) -> String {
        s.reduce(into: "") { out, c in
            if c.isUppercase { out += "_" + c.lowercased() } else { out.append(c) }
        }
    }
}

/// The denoiser of a checkpoint: its network and EDM preconditioning.
public struct DenoiserSection: Codable, Sendable, Hashable {
    /// The network `F`.
    public var network: NetworkConfig
    /// Always `edm`: `D = c_skip·x + c_out·F(c_in·x, ¼·ln σ)`.
    public var preconditioning = "edm"
    /// σ_d: the data's root mean square.
    public var sigmaData: Double
    /// The σ range it was trained for.
    public var sigmaMin: Double, sigmaMax: Double

    /// A section; see the properties.
    public init(network: NetworkConfig, sigmaData: Double, sigmaMin: Double, sigmaMax: Double) {
        self.network = network
        self.sigmaData = sigmaData
        self.sigmaMin = sigmaMin
        self.sigmaMax = sigmaMax
    }
}

/// The noise-level classifier of a checkpoint: its network and the grid of its classes.
public struct ClassifierSection: Codable, Sendable, Hashable {
    /// The network, with one class per level.
    public var network: NetworkConfig
    /// The noise levels its classes stand for.
    public var levels: NoiseLevelGrid

    /// A section; see the properties.
    public init(network: NetworkConfig, levels: NoiseLevelGrid) {
        self.network = network
        self.levels = levels
    }
}

/// A classifier of clean samples into named classes (the digit classifier).
public struct LabelClassifierSection: Codable, Sendable, Hashable {
    /// The network.
    public var network: NetworkConfig
    /// The name of each class.
    public var labels: [String]

    /// A section; see the properties.
    public init(network: NetworkConfig, labels: [String]) {
        self.network = network
        self.labels = labels
    }
}

/// A noise-aware classifier of noisy samples `x0 + σ·n` into named classes, for classifier
/// guidance: a `cnn-classifier` (with `scale_input`) trained with σ log-uniform on
/// `sigma_min … sigma_max`.
public struct NoisyLabelClassifierSection: Codable, Sendable, Hashable {
    /// The network.
    public var network: NetworkConfig
    /// The name of each class.
    public var labels: [String]
    /// The σ range it was trained on.
    public var sigmaMin: Double, sigmaMax: Double

    /// A section; see the properties.
    public init(network: NetworkConfig, labels: [String], sigmaMin: Double, sigmaMax: Double) {
        self.network = network
        self.labels = labels
        self.sigmaMin = sigmaMin
        self.sigmaMax = sigmaMax
    }
}

/// How a checkpoint was trained, and how far.
public struct TrainingRecord: Codable, Sendable, Equatable {
    /// The settings of the run.
    public var settings: TrainingSettings
    /// Steps done so far.
    public var denoiserSteps: Int, classifierSteps: Int, labelSteps: Int
    /// Steps of the noise-aware label classifier done so far (nil where the run has none).
    public var noisyLabelSteps: Int?
    /// Wall-clock seconds spent training (summed over resumed runs).
    public var seconds: Double
    /// Whether the file holds the optimiser state (`train.*` tensors) to resume from.
    public var resumable: Bool

    /// A record; see the properties.
    public init(settings: TrainingSettings, denoiserSteps: Int, classifierSteps: Int, labelSteps: Int, seconds: Double,
                resumable: Bool) {
        self.settings = settings
        self.denoiserSteps = denoiserSteps
        self.classifierSteps = classifierSteps
        self.labelSteps = labelSteps
        self.seconds = seconds
        self.resumable = resumable
    }
}

/// The settings of a training run (the recipe's defaults, possibly overridden).
public struct TrainingSettings: Codable, Sendable, Hashable {
    /// The seed of every random draw of the run.
    public var seed: UInt64
    /// Denoiser: steps, batch, Adam's peak learning rate, warm-up steps, final rate (fraction).
    public var steps: Int, batch: Int, learningRate: Double, warmup: Int, finalLearningRate: Double
    /// EMA decay of the sampling weights, and the gradient-norm clip.
    public var emaDecay: Double, gradientClip: Double
    /// EDM's log-normal σ distribution: `ln σ ~ N(p_mean, p_std²)`.
    public var pMean: Double, pStd: Double
    /// Noise-level classifier: steps, batch, learning rate.
    public var classifierSteps: Int, classifierBatch: Int, classifierLearningRate: Double
    /// Label classifier (digits only; 0 steps elsewhere): steps, batch, learning rate.
    public var labelSteps: Int, labelBatch: Int, labelLearningRate: Double
    /// Class-conditional denoisers: the probability that a training example's label is
    /// replaced by ∅ (label dropout); nil for unconditional ones.
    public var labelDropout: Double?
    /// Noise-aware label classifier (digits-cond): steps, batch, learning rate; nil elsewhere.
    public var noisyLabelSteps: Int?, noisyLabelBatch: Int?, noisyLabelLearningRate: Double?

    /// Settings; see the properties.
    public init(seed: UInt64, steps: Int, batch: Int, learningRate: Double, warmup: Int, finalLearningRate: Double,
                emaDecay: Double, gradientClip: Double, pMean: Double, pStd: Double, classifierSteps: Int,
                classifierBatch: Int, classifierLearningRate: Double, labelSteps: Int = 0, labelBatch: Int = 128,
                labelLearningRate: Double = 1e-3) {
        self.labelSteps = labelSteps
        self.labelBatch = labelBatch
        self.labelLearningRate = labelLearningRate
        self.seed = seed
        self.steps = steps
        self.batch = batch
        self.learningRate = learningRate
        self.warmup = warmup
        self.finalLearningRate = finalLearningRate
        self.emaDecay = emaDecay
        self.gradientClip = gradientClip
        self.pMean = pMean
        self.pStd = pStd
        self.classifierSteps = classifierSteps
        self.classifierBatch = classifierBatch
        self.classifierLearningRate = classifierLearningRate
    }
}
