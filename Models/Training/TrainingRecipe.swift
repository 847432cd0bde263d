import Foundation
import ScoreKitCore

/// What `scorekit train --data NAME` trains: the networks and the default settings per data set.
public struct TrainingRecipe: Sendable {
    /// The data set's name (`moons`, `swissroll`, `checkerboard`, `scurve`, `circles`, `digits`).
    public var dataset: String
    /// The denoiser's network and preconditioning.
    public var denoiser: DenoiserSection
    /// The noise-level classifier's network and grid.
    public var classifier: ClassifierSection
    /// The classifier of clean samples (digits only).
    public var labelClassifier: LabelClassifierSection?
    /// The noise-aware label classifier for classifier guidance (digits-cond only).
    public var noisyLabelClassifier: NoisyLabelClassifierSection?
    /// Steps, batch sizes, learning rates, EMA and the seed.
    public var settings: TrainingSettings

    /// The noise-level grid of trained classifiers: 100 levels over EDM's σ range.
    public static let levels = NoiseLevelGrid(sigmaMin: 0.002, sigmaMax: 80, count: 100)

    /// The recipe for `dataset` (one of `TrainingData.names`) with seed `seed`.
    public static func named(_ dataset: String, seed: UInt64 = 0) throws -> TrainingRecipe {
        let data = try TrainingData.named(dataset)
        if data.sampleShape == [2] { return toy2D(data, seed: seed) }
        return dataset == "digits-cond" ? digitsConditional(data, seed: seed) : digits(data, seed: seed)
    }

    /// Class-conditional digits: the digits U-Net with a label table (`label_classes: 10`),
    /// trained like digits with label dropout 0.1, the same two classifiers, and a noise-aware
    /// label classifier (the noise-level classifier's CNN with 10 classes) for classifier
    /// guidance, trained on σ log-uniform over the denoiser's σ range.
    static func digitsConditional(_ data: any TrainingDataset, seed: UInt64) -> TrainingRecipe {
        var recipe = digits(data, seed: seed)
        recipe.denoiser.network.labelClasses = 10
        let noisy = NetworkConfig(architecture: "cnn-classifier", sampleShape: data.sampleShape, hidden: 64,
                                  channels: [16, 32, 64], classes: 10, scaleInput: true)
        recipe.noisyLabelClassifier = NoisyLabelClassifierSection(network: noisy, labels: (0...9).map(String.init),
                                                                  sigmaMin: 0.002, sigmaMax: 80)
        recipe.settings.steps = conditionalSteps.denoiser
        recipe.settings.classifierSteps = conditionalSteps.classifiers
        recipe.settings.labelSteps = conditionalSteps.classifiers
        recipe.settings.labelDropout = 0.1
        recipe.settings.noisyLabelSteps = conditionalSteps.classifiers
        recipe.settings.noisyLabelBatch = 128
        recipe.settings.noisyLabelLearningRate = 1e-3
        return recipe
    }

    /// digits-cond's step counts (fewer than digits': it was trained on a shared machine).
    static let conditionalSteps = (denoiser: 10_000, classifiers: 2000)

    /// 2-D toys: an MLP denoiser and an MLP noise-level classifier. The training σ's are
    /// log-normal about σ_data·e^{−1.2}: the standardised sets (σ_data = 1) train at EDM's
    /// P_mean = −1.2, and the unstandardised tutorial sets (scurve, circles) at the same σ's
    /// relative to their scale, so the recipe does not depend on the data's units.
    static func toy2D(_ data: any TrainingDataset, seed: UInt64) -> TrainingRecipe {
        let denoiser = NetworkConfig(architecture: "mlp-denoiser", sampleShape: [2], hidden: 128, depth: 4,
                                     embeddingFeatures: 32, embeddingMaxFrequency: 32)
        let classifier = NetworkConfig(architecture: "mlp-classifier", sampleShape: [2], hidden: 64, depth: 2,
                                       classes: levels.count, scaleInput: true)
        return TrainingRecipe(
            dataset: data.name,
            denoiser: DenoiserSection(network: denoiser, sigmaData: data.sigmaData, sigmaMin: 0.002, sigmaMax: 80),
            classifier: ClassifierSection(network: classifier, levels: levels),
            labelClassifier: nil,
            settings: TrainingSettings(seed: seed, steps: 20_000, batch: 512, learningRate: 2e-3, warmup: 200,
                                       finalLearningRate: 0.05, emaDecay: 0.999, gradientClip: 1, pMean: -1.2 + log(data.sigmaData), pStd: 1.2,
                                       classifierSteps: 4000, classifierBatch: 512, classifierLearningRate: 1e-3))
    }

    /// Digits: a small U-Net, the Denoising-MCMC CNN noise-level classifier, and a CNN digit classifier.
    static func digits(_ data: any TrainingDataset, seed: UInt64) -> TrainingRecipe {
        let shape = data.sampleShape
        let denoiser = NetworkConfig(architecture: "unet", sampleShape: shape, channels: [32, 64], groups: 8,
                                     embeddingFeatures: 32, embeddingMaxFrequency: 32, embeddingWidth: 64)
        let classifier = NetworkConfig(architecture: "cnn-classifier", sampleShape: shape, hidden: 64,
                                       channels: [16, 32, 64], classes: levels.count, scaleInput: true)
        let labels = NetworkConfig(architecture: "cnn-classifier", sampleShape: shape, hidden: 128,
                                   channels: [32, 64], classes: 10, scaleInput: false)
        return TrainingRecipe(
            dataset: data.name,
            denoiser: DenoiserSection(network: denoiser, sigmaData: data.sigmaData, sigmaMin: 0.002, sigmaMax: 80),
            classifier: ClassifierSection(network: classifier, levels: levels),
            labelClassifier: LabelClassifierSection(network: labels, labels: (0...9).map(String.init)),
            settings: TrainingSettings(seed: seed, steps: 12_000, batch: 128, learningRate: 1e-3, warmup: 500,
                                       finalLearningRate: 0.05, emaDecay: 0.999, gradientClip: 1, pMean: -1.2, pStd: 1.2,
                                       classifierSteps: 3000, classifierBatch: 128, classifierLearningRate: 1e-3,
                                       labelSteps: 3000, labelBatch: 128, labelLearningRate: 1e-3))
    }
}
