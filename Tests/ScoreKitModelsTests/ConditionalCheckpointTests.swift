import Foundation
import ScoreKitCore
import Testing
@testable import ScoreKitModels

/// Checkpoints of class-conditional models (`digits-cond`): the label table and the noise-aware
/// label classifier round-trip, their shapes and `label_classes` are checked against the
/// config, seeded config edits fail cleanly, and a resumed run equals an uninterrupted one.
@Suite("Conditional checkpoints")
struct ConditionalCheckpointTests {
    /// digits-cond's recipe with small networks and a few steps of each phase.
    static func tinyRecipe(steps: Int = 3) throws -> TrainingRecipe {
        var recipe = try TrainingRecipe.named("digits-cond", seed: 5)
        recipe.denoiser.network.channels = [4, 8]
        recipe.denoiser.network.groups = 2
        recipe.denoiser.network.embeddingWidth = 8
        recipe.classifier.network.channels = [2, 2, 2]
        recipe.labelClassifier!.network.channels = [2, 2]
        recipe.noisyLabelClassifier!.network.channels = [2, 2, 2]
        for hidden in [\TrainingRecipe.classifier.network.hidden, \.labelClassifier!.network.hidden, \.noisyLabelClassifier!.network.hidden] {
            recipe[keyPath: hidden] = 4
        }
        recipe.settings.steps = steps
        recipe.settings.warmup = 1
        recipe.settings.batch = 8
        recipe.settings.classifierSteps = steps
        recipe.settings.classifierBatch = 8
        recipe.settings.labelSteps = steps
        recipe.settings.labelBatch = 8
        recipe.settings.noisyLabelSteps = steps
        recipe.settings.noisyLabelBatch = 8
        return recipe
    }

    static func checkpoint() throws -> Checkpoint {
        var run = try TrainingRun(recipe: try tinyRecipe())
        while !run.isFinished { run.step() }
        return try run.checkpoint(weightsOnly: true)
    }

    /// Sets `denoiser.network.<key>` (nil removes it).
    static func denoiserNetwork(_ key: String, _ value: Any?) -> (inout [String: Any]) -> Void {
        { config in
            var d = config["denoiser"] as! [String: Any], network = d["network"] as! [String: Any]
            network[key] = value
            d["network"] = network
            config["denoiser"] = d
        }
    }

    static func reason(_ c: Checkpoint) -> String? {
        ConfigValidationTests.reason { _ = try TrainedModel(checkpoint: c) }
    }

    @Test func roundTripsWithTheLabelTableAndTheNoisyClassifier() throws {
        let c = try Self.checkpoint()
        #expect(c.tensors["denoiser.label_embed.weight"]?.shape == [11, 8])
        #expect(c.names.contains { $0.hasPrefix(TrainedModel.Prefix.noisyLabelClassifier) })
        let model = try TrainedModel(checkpoint: try Checkpoint(data: try c.encoded()))
        #expect(model.config.dataset == "digits-cond")
        #expect(model.config.denoiser?.network.labelClasses == 10)
        #expect(model.config.training?.noisyLabelSteps == 3)
        #expect(model.config.training?.settings.labelDropout == 0.1)
        let conditional = try #require(model.conditionalDenoiser)
        #expect(conditional.labelCount == 10)
        let noisy = try #require(model.noisyLabelClassifier)
        #expect(noisy.labelCount == 10 && noisy.sampleShape == [1, 8, 8] && noisy.sigmaRange == 0.002...80)
        let loaded = try model.loaded(name: "tiny")
        #expect(loaded.denoiser is TrainedConditionalDenoiser)
        #expect(loaded.referenceData != nil && loaded.featureExtractor != nil)
        let x = TestData.normal([3, 1, 8, 8], seed: 1)
        let d = try conditional.denoise(x, sigma: [0.1, 1, 10], labels: [0, 9, nil])
        #expect(d.shape == x.shape && d.isFinite)
        let (values, gradient) = try noisy.logProbability(of: [0, 9, 3], at: x, sigma: [0.1, 1, 10])
        #expect(values.allSatisfy { $0 < 0 && $0.isFinite } && gradient.shape == x.shape && gradient.isFinite)
    }

    @Test func labelClassesMustBeSaneAndMatchTheTable() throws {
        let c = try Self.checkpoint()
        for bad in [0, 1001, -3] {
            let edited = try ModelCheckpointTests.editingConfig(c, Self.denoiserNetwork("label_classes", bad))
            #expect(Self.reason(edited) == "config: unet: 'label_classes' = \(bad) is not valid")
        }
        let fewer = try ModelCheckpointTests.editingConfig(c, Self.denoiserNetwork("label_classes", 9))
        #expect(Self.reason(fewer)?.contains("label_embed.weight") == true, "\(Self.reason(fewer) ?? "accepted")")
        let none = try ModelCheckpointTests.editingConfig(c, Self.denoiserNetwork("label_classes", nil))
        #expect(Self.reason(none)?.contains("label_embed.weight") == true, "\(Self.reason(none) ?? "accepted")")
        let mlp = try ModelCheckpointTests.editingConfig(c) { config in
            var n = config["noisy_label_classifier"] as! [String: Any], network = n["network"] as! [String: Any]
            network["architecture"] = "mlp-classifier"
            network["depth"] = 1
            n["network"] = network
            config["noisy_label_classifier"] = n
        }
        #expect(Self.reason(mlp) == "noisy_label_classifier is 'mlp-classifier'; expected 'cnn-classifier'")
        let range = try ModelCheckpointTests.editingConfig(c) { config in
            var n = config["noisy_label_classifier"] as! [String: Any]
            n["sigma_min"] = 100
            config["noisy_label_classifier"] = n
        }
        #expect(Self.reason(range) == "noisy_label_classifier sigma_min = 100.0 must be below sigma_max = 80.0")
        let shape = try ModelCheckpointTests.editingConfig(c) { config in
            var n = config["noisy_label_classifier"] as! [String: Any], network = n["network"] as! [String: Any]
            network["sample_shape"] = [1, 16, 16]
            n["network"] = network
            config["noisy_label_classifier"] = n
        }
        #expect(Self.reason(shape) == "noisy_label_classifier sample_shape [1, 16, 16] disagrees with denoiser sample_shape [1, 8, 8]; every section must read the same samples")
    }

    /// Seeded edits of the config's values (label_classes and the noisy classifier's fields
    /// among them): each loads or fails with a `FileFormatError`.
    @Test func configFuzz() throws {
        let replacements = ["0", "-1", "1", "11", "1001", "1e9", "2.5", "null", "\"x\"", "[]", "{}", "true"]
        let x = TestData.normal([2, 1, 8, 8], seed: 2)
        try ModelCheckpointTests.fuzzConfig(try Self.checkpoint(), seed: 78, replacements: replacements) { model in
            if let d = model.conditionalDenoiser { _ = try d.denoise(x, sigma: [1, 1], labels: [d.labelCount - 1, nil]) }
            if let n = model.noisyLabelClassifier { _ = try n.logProbability(of: [0, n.labelCount - 1], at: x, sigma: [1, 1]) }
        }
    }

    @Test func resumedRunEqualsUninterruptedRun() throws {
        var straight = try TrainingRun(recipe: try Self.tinyRecipe())
        while !straight.isFinished { straight.step() }
        var first = try TrainingRun(recipe: try Self.tinyRecipe())
        for _ in 0..<(first.totalSteps - 2) { first.step() }
        #expect(first.phase == "noisy label classifier")
        var resumed = try TrainingRun(resuming: try Checkpoint(data: try first.checkpoint().encoded()))
        while !resumed.isFinished { resumed.step() }
        #expect(resumed.stepsDone == straight.stepsDone && straight.stepsDone == 12)
        #expect(try resumed.checkpoint().tensors == straight.checkpoint().tensors)
    }

    @Test func labelDropoutHitsAboutOneInTen() {
        let labels = TrainingSteps.droppedLabels(Array(repeating: 4, count: 10_000), p: 0.1, seed: 0, first: 0)
        let dropped = labels.filter { $0 == nil }.count
        #expect((900...1100).contains(dropped), "\(dropped) of 10000 dropped")
        #expect(labels.allSatisfy { $0 == nil || $0 == 4 })
    }
}
