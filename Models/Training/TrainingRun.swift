import Foundation
import ScoreKitCore

/// The optimiser state a resumable checkpoint carries, as flat vectors under `train.`:
/// `train.<section>.weights` (raw weights; the EMA weights are the section's own tensors),
/// `train.<section>.adam_m`, `train.<section>.adam_v`.
public enum TrainingState {
    /// The tensor-name prefix of the optimiser state.
    public static let prefix = "train."
}

/// A training run: the denoiser, then its noise-level classifier, then (digits) the label
/// classifier, then (digits-cond) the noise-aware label classifier, one step at a time, with checkpoints that resume bit for bit.
public struct TrainingRun: Sendable {
    /// The config the checkpoint will carry, with the steps done so far.
    public private(set) var config: ModelConfig
    /// The data the run draws its minibatches from.
    public let data: any TrainingDataset
    private var denoiserState: PhaseState
    private var classifierState: PhaseState
    private var labelState: PhaseState?
    private var noisyLabelState: PhaseState?
    private let denoiserNetwork: any DenoiserNetwork
    private let classifierNetwork: any ClassifierNetwork
    private let labelNetwork: (any ClassifierNetwork)?
    private let noisyLabelNetwork: (any ClassifierNetwork)?

    /// A fresh run of `recipe`: weights initialised from its seed.
    public init(recipe: TrainingRecipe) throws {
        data = try TrainingData.named(recipe.dataset)
        var record = TrainingRecord(settings: recipe.settings, denoiserSteps: 0, classifierSteps: 0, labelSteps: 0,
                                    seconds: 0, resumable: true)
        if recipe.noisyLabelClassifier != nil { record.noisyLabelSteps = 0 }
        config = ModelConfig(dataset: recipe.dataset, denoiser: recipe.denoiser, classifier: recipe.classifier,
                             labelClassifier: recipe.labelClassifier, noisyLabelClassifier: recipe.noisyLabelClassifier,
                             training: record)
        denoiserNetwork = try recipe.denoiser.network.denoiserNetwork()
        classifierNetwork = try recipe.classifier.network.classifierNetwork()
        labelNetwork = try recipe.labelClassifier?.network.classifierNetwork()
        let seed = recipe.settings.seed
        denoiserState = PhaseState(initial: denoiserNetwork.layout.initialValues(seed: seed))
        classifierState = PhaseState(initial: classifierNetwork.layout.initialValues(seed: seed &+ 1))
        labelState = labelNetwork.map { PhaseState(initial: $0.layout.initialValues(seed: seed &+ 2)) }
        noisyLabelNetwork = try recipe.noisyLabelClassifier?.network.classifierNetwork()
        noisyLabelState = noisyLabelNetwork.map { PhaseState(initial: $0.layout.initialValues(seed: seed &+ 3)) }
    }

    /// A run continued from a resumable checkpoint (validated by `TrainedModel`).
    public init(resuming checkpoint: Checkpoint) throws {
        let model = try TrainedModel(checkpoint: checkpoint)
        config = model.config
        guard let record = config.training, record.resumable, let dataset = config.dataset,
              let denoiser = model.denoiser, let estimator = model.noiseLevelEstimator else {
            throw TrainingError.cannotResume("\(checkpoint.path) holds no training state (it was saved with weights only)")
        }
        data = try TrainingData.named(dataset)
        denoiserNetwork = denoiser.network
        classifierNetwork = estimator.classifier.network
        labelNetwork = model.labelClassifier?.network
        noisyLabelNetwork = model.noisyLabelClassifier?.network
        func state(_ section: String, ema: [Float], steps: Int) throws -> PhaseState {
            let flat = try checkpoint.group("\(TrainingState.prefix)\(section).", expecting: [
                ("weights", [ema.count]), ("adam_m", [ema.count]), ("adam_v", [ema.count]),
            ])
            return PhaseState(weights: flat[0].scalars, ema: ema, adam: Adam(m: flat[1].scalars, v: flat[2].scalars, steps: steps))
        }
        denoiserState = try state("denoiser", ema: denoiser.weights, steps: record.denoiserSteps)
        classifierState = try state("classifier", ema: estimator.classifier.weights, steps: record.classifierSteps)
        labelState = try model.labelClassifier.map { try state("label_classifier", ema: $0.weights, steps: record.labelSteps) }
        noisyLabelState = try model.noisyLabelClassifier.map {
            try state("noisy_label_classifier", ema: $0.weights, steps: record.noisyLabelSteps ?? 0)
        }
    }

    /// The settings (steps may be raised to continue a finished run).
    public var settings: TrainingSettings {
        get { config.training!.settings }
        set { config.training!.settings = newValue }
    }

    private var record: TrainingRecord { config.training! }

    /// Steps of every phase in total, and done.
    public var totalSteps: Int {
        settings.steps + settings.classifierSteps + (labelNetwork == nil ? 0 : settings.labelSteps)
            + (noisyLabelNetwork == nil ? 0 : settings.noisyLabelSteps ?? 0)
    }
    /// Steps done so far, over all phases.
    public var stepsDone: Int { record.denoiserSteps + record.classifierSteps + record.labelSteps + (record.noisyLabelSteps ?? 0) }
    /// Whether every phase has run all its steps.
    public var isFinished: Bool { stepsDone >= totalSteps }

    /// The phase the next step belongs to.
    public var phase: String {
        if record.denoiserSteps < settings.steps { return "denoiser" }
        if record.classifierSteps < settings.classifierSteps { return "classifier" }
        if labelNetwork != nil, record.labelSteps < settings.labelSteps { return "label classifier" }
        return noisyLabelNetwork != nil ? "noisy label classifier" : "label classifier"
    }

    /// Takes the next step; returns its phase and loss.
    @discardableResult
    public mutating func step() -> (phase: String, loss: Double) {
        let phase = self.phase, s = settings
        switch phase {
        case "denoiser":
            let loss = TrainingSteps.denoiser(denoiserNetwork, &denoiserState, data: data,
                                              preconditioning: EDMPreconditioning(sigmaData: config.denoiser!.sigmaData),
                                              settings: s, step: record.denoiserSteps)
            config.training!.denoiserSteps += 1
            return (phase, loss)
        case "classifier":
            let loss = TrainingSteps.noiseLevelClassifier(classifierNetwork, &classifierState, data: data,
                                                          levels: config.classifier!.levels, settings: s,
                                                          step: record.classifierSteps)
            config.training!.classifierSteps += 1
            return (phase, loss)
        case "noisy label classifier":
            let section = config.noisyLabelClassifier!
            let loss = TrainingSteps.noisyLabelClassifier(noisyLabelNetwork!, &noisyLabelState!, data: data,
                                                          sigmaRange: section.sigmaMin...section.sigmaMax, settings: s,
                                                          step: record.noisyLabelSteps ?? 0)
            config.training!.noisyLabelSteps = (record.noisyLabelSteps ?? 0) + 1
            return (phase, loss)
        default:
            let loss = TrainingSteps.labelClassifier(labelNetwork!, &labelState!, data: data, settings: s, step: record.labelSteps)
            config.training!.labelSteps += 1
            return (phase, loss)
        }
    }

    /// Adds wall-clock time to the record.
    public mutating func addSeconds(_ seconds: Double) { config.training!.seconds += seconds }

    /// The model as it stands: the EMA weights (what checkpoints hold), or the raw weights.
    public func model(raw: Bool = false) throws -> TrainedModel {
        guard raw else { return try TrainedModel(checkpoint: try checkpoint(weightsOnly: true)) }
        var copy = self
        copy.denoiserState.ema = denoiserState.weights
        copy.classifierState.ema = classifierState.weights
        if let labelState { copy.labelState?.ema = labelState.weights }
        if let noisyLabelState { copy.noisyLabelState?.ema = noisyLabelState.weights }
        return try TrainedModel(checkpoint: try copy.checkpoint(weightsOnly: true))
    }

    /// The checkpoint: EMA weights of each network and, unless `weightsOnly`, the optimiser state.
    public func checkpoint(weightsOnly: Bool = false) throws -> Checkpoint {
        var config = self.config
        config.training!.resumable = !weightsOnly
        var tensors: [(name: String, tensor: Tensor)] = []
        func add(_ prefix: String, _ layout: ParameterLayout, _ state: PhaseState) {
            tensors += layout.tensors(state.ema).map { (prefix + $0.name, $0.tensor) }
        }
        add(TrainedModel.Prefix.denoiser, denoiserNetwork.layout, denoiserState)
        add(TrainedModel.Prefix.classifier, classifierNetwork.layout, classifierState)
        if let labelNetwork, let labelState { add(TrainedModel.Prefix.labelClassifier, labelNetwork.layout, labelState) }
        if let noisyLabelNetwork, let noisyLabelState {
            add(TrainedModel.Prefix.noisyLabelClassifier, noisyLabelNetwork.layout, noisyLabelState)
        }
        if !weightsOnly {
            var states = [("denoiser", denoiserState), ("classifier", classifierState)]
            if let labelState { states.append(("label_classifier", labelState)) }
            if let noisyLabelState { states.append(("noisy_label_classifier", noisyLabelState)) }
            for (section, state) in states {
                let p = TrainingState.prefix + section + "."
                tensors += [(p + "weights", Tensor(shape: [state.weights.count], scalars: state.weights)),
                            (p + "adam_m", Tensor(shape: [state.weights.count], scalars: state.adam.m)),
                            (p + "adam_v", Tensor(shape: [state.weights.count], scalars: state.adam.v))]
            }
        }
        return Checkpoint(config: try config.jsonData(), tensors: tensors)
    }
}
