import Foundation
import ScoreKitCore
import ScoreKitMetrics
import ScoreKitModels

/// What every cell of a comparison asks of its samplers.
public enum ComparisonTask: String, Sendable, CaseIterable {
    /// Draw samples from noise. A class-conditional model with labelled reference data (such as
    /// `digits-cond`) draws one class per sample — sample i asks for class i mod K — and is
    /// measured class by class too, unless the plan asks for unconditional samples.
    case generate
    /// Complete held-out data whose lower half is masked (image models with labelled reference
    /// data and a classifier, such as `digits`): does the completion keep the original's class,
    /// and is the known half untouched?
    case inpaint
}

/// A comparison's task made concrete for its model: the denoiser the samplers call, what each
/// job gets besides noise, the metrics, and the key that keeps these cells apart from another
/// task's in the same folder.
struct TaskSetup: Sendable {
    /// The model the samplers call: the model, or classifier-free guidance around it.
    let denoiser: any Denoiser
    /// Each sample's class, for class-conditional generation.
    let labels: SampleLabels?
    /// Inpainting's known values, for the inpainting task.
    let edit: SamplingEdit?
    /// Empty for plain generation; else what differs, part of every cell's key.
    let variant: String
    /// The metrics and their floors.
    let suite: QualitySuite

    /// Whether the reference-solution distance means anything: only for plain generation,
    /// whose reference solver draws from the same model and noise.
    var hasReferenceSolution: Bool { variant.isEmpty }

    init(plan: ComparisonPlan, model: LoadedModel) throws {
        try Self.validate(plan, model: model)
        switch plan.task {
        case .generate: try self.init(generating: plan, model: model)
        case .inpaint: try self.init(inpainting: plan, model: model)
        }
    }

    /// The labels a class-conditional comparison cycles through, or nil when it samples
    /// without labels (an unconditional model, one whose reference data has no labels, or
    /// `plan.unconditional`).
    static func conditionalLabels(_ plan: ComparisonPlan, model: LoadedModel) -> [Int]? {
        guard plan.task == .generate, !plan.unconditional, let conditional = model.denoiser as? any ConditionalDenoiser,
              let labelled = model.referenceData as? any LabelledReferenceData,
              labelled.labelCount == conditional.labelCount else { return nil }
        return Array(0..<conditional.labelCount)
    }

    /// Throws when the plan's task or guidance does not fit the model (before any work).
    static func validate(_ plan: ComparisonPlan, model: LoadedModel) throws {
        if let weight = plan.guidance {
            guard weight.isFinite, weight >= 0 else { throw ComparisonError.badGuidance(weight, reason: "the weight must be a finite number ≥ 0") }
            if plan.task == .inpaint {
                guard model.denoiser is any DifferentiableDenoiser else {
                    throw ComparisonError.badGuidance(weight, reason: "reconstruction guidance needs a model with vector–Jacobian products, and \(model.name) has none")
                }
            } else if conditionalLabels(plan, model: model) == nil {
                throw ComparisonError.badGuidance(weight, reason: plan.unconditional ? "guidance needs labels, and --unconditional samples without them"
                    : "\(model.name) is not a class-conditional model with labelled reference data (digits-cond is)")
            }
        }
        if plan.task == .inpaint {
            guard model.denoiser.sampleShape.count >= 2, model.referenceData is any LabelledReferenceData,
                  model.featureExtractor is any SampleClassifier else {
                throw ComparisonError.taskUnavailable(plan.task.rawValue, model: model.name,
                                                      reason: "inpainting compares images of labelled held-out data with a classifier (digits, digits-cond)")
            }
        }
    }

    /// Generation; class-conditional when the model and its reference data have labels.
    private init(generating plan: ComparisonPlan, model: LoadedModel) throws {
        edit = nil
        guard let cycle = Self.conditionalLabels(plan, model: model),
              let conditional = model.denoiser as? any ConditionalDenoiser else {
            denoiser = model.denoiser
            labels = nil
            variant = plan.unconditional && model.denoiser is any ConditionalDenoiser ? "unconditional" : ""
            suite = try QualitySuite(model: model, count: plan.count, seed: plan.seed)
            return
        }
        labels = .cycled(cycle)
        let weight = plan.guidance ?? 0
        denoiser = weight == 0 ? conditional : try ClassifierFreeGuidance(base: conditional, weight: weight)
        variant = "labels=cycled|guidance=\(weight)"
        var suite = try QualitySuite(model: model, count: plan.count, seed: plan.seed,
                                     labels: (0..<plan.count).map { cycle[$0 % cycle.count] })
        suite.notes.append("Class-conditional: sample i asks for class i mod \(cycle.count), with classifier-free guidance w = \(weight) (0: the conditional estimate alone); the reference draws are real samples of the same classes.")
        self.suite = suite
    }

    /// Inpainting of held-out data with the lower half of each image masked; `plan.guidance` is
    /// the weight of reconstruction guidance (none when nil or 0).
    private init(inpainting plan: ComparisonPlan, model: LoadedModel) throws {
        let data = model.referenceData as! any LabelledReferenceData     // checked by validate
        // Originals from indices past every reference draw, so the distribution metrics'
        // reference is not the data being completed.
        let (originals, originalLabels) = try data.drawLabelled(count: plan.count, seed: plan.seed,
                                                                firstIndex: (QualitySuite.floorDraws + 1) * plan.count)
        let mask = Self.upperHalfKnown(model.denoiser.sampleShape)
        denoiser = model.denoiser
        labels = nil
        let weight = plan.guidance ?? 0
        edit = .inpaint(try KnownValues(data: originals, mask: mask), .none, guidance: weight)
        variant = "inpaint=lower-half" + (weight == 0 ? "" : "|reconstruction=\(weight)")
        var suite = try QualitySuite.inpainting(model: model, count: plan.count, seed: plan.seed, originals: originals,
                                                labels: originalLabels, mask: mask)
        suite.notes.append("Inpainting: sample i completes held-out image i (drawn from seed \(plan.seed)) whose lower half is masked; the upper half is known and must come back unchanged." + (weight == 0 ? "" : " Reconstruction guidance w = \(weight): each call also runs the network's backward pass."))
        self.suite = suite
    }

    /// A mask for images `shape` = [C, H, W]: 1 (known) on the top ⌊H/2⌋ rows, 0 below.
    static func upperHalfKnown(_ shape: [Int]) -> Tensor {
        let height = shape[shape.count - 2], width = shape[shape.count - 1]
        let channels = shape.dropLast(2).reduce(1, *)
        let plane = (0..<height * width).map { $0 / width < height / 2 ? Float(1) : 0 }
        return Tensor(shape: [1] + shape, scalars: Array((0..<channels).map { _ in plane }.joined()))
    }

    /// The job of one cell.
    func job(sampler: any Sampler, model: LoadedModel, plan: ComparisonPlan, budget: Int) -> SamplingJob {
        var job = SamplingJob(sampler: sampler, model: denoiser, count: plan.count, seed: plan.seed, batchSize: plan.batchSize,
                              budget: budget, noiseLevelEstimator: model.noiseLevelEstimator, threads: plan.threads,
                              labels: labels)
        job.edit = edit
        return job
    }
}
