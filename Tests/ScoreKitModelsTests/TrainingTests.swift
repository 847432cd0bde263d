import Foundation
import ScoreKitCore
import ScoreKitTestSupport
import Testing
@testable import ScoreKitModels

/// Training: the loss falls, a seed fixes the result, and a resumed run equals an
/// uninterrupted one bit for bit.
@Suite("Training", .tags(.statistical), .statistical)
struct TrainingTests {
    /// A small 2-D recipe that trains in well under a second.
    static func tinyRecipe(steps: Int = 40, classifierSteps: Int = 10, seed: UInt64 = 3) throws -> TrainingRecipe {
        var recipe = try TrainingRecipe.named("moons", seed: seed)
        recipe.denoiser.network.hidden = 16
        recipe.classifier.network.hidden = 16
        recipe.settings.steps = steps
        recipe.settings.batch = 64
        recipe.settings.warmup = 5
        recipe.settings.classifierSteps = classifierSteps
        recipe.settings.classifierBatch = 64
        return recipe
    }

    static func run(_ recipe: TrainingRecipe) throws -> TrainingRun {
        var run = try TrainingRun(recipe: recipe)
        while !run.isFinished { run.step() }
        return run
    }

    /// EDM's weighted loss `mean λ(σ)·(D(x; σ) − x0)²`, `λ = 1/c_out²`, on a fixed batch.
    static func edmLoss(_ d: TrainedDenoiser, x0: Tensor, sigma: [Double], noise: Tensor) throws -> Double {
        let x = Tensor.combination([(1, x0), (.perRow(sigma), noise)])
        let error = try d.denoise(x, sigma: sigma) - x0
        let weights = sigma.map { 1 / (d.preconditioning.cOut($0) * d.preconditioning.cOut($0)) }
        return zip(error.rowSquaredNorms(), weights).map { $0 * $1 }.reduce(0, +) / Double(error.count)
    }

    @Test func denoiserLossFalls() throws {
        var recipe = try Self.tinyRecipe(steps: 2000, classifierSteps: 0)
        recipe.denoiser.network.hidden = 32
        var run = try TrainingRun(recipe: recipe)
        // A held-out batch of 4096 examples with σ from the training distribution; both
        // networks see the same batch, so the comparison is paired.
        let n = 4096, streams = RandomStreams(seed: 99)
        let x0 = Toy2D.moons.sample(count: n, seed: 99)
        let sigma = (0..<n).map { exp(-1.2 + 1.2 * streams.normals(stream: 1, sample: $0, block: 0)[0]) }
        let noise = TestData.normal([n, 2], seed: 98)
        let before = try Self.edmLoss(run.model().denoiser!, x0: x0, sigma: sigma, noise: noise)
        while !run.isFinished { run.step() }
        let after = try Self.edmLoss(run.model(raw: true).denoiser!, x0: x0, sigma: sigma, noise: noise)
        // The untrained network outputs F = 0, a loss of 1 (unit-variance targets); the
        // irreducible part is large for 2-D data, so ask for a clear but modest fall. The
        // paired difference's standard error on 4096 examples is below 0.02.
        #expect(abs(before - 1) < 0.05, "untrained loss \(before)")
        #expect(after < before - 0.1, "loss \(before) → \(after)")
    }

    @Test func classifierLossFalls() throws {
        var run = try TrainingRun(recipe: try Self.tinyRecipe(steps: 0, classifierSteps: 300))
        var losses: [Double] = []
        while !run.isFinished { losses.append(run.step().loss) }
        let first = losses.prefix(50).reduce(0, +) / 50, last = losses.suffix(50).reduce(0, +) / 50
        #expect(first > 4 && first < 5, "an untrained classifier is near log(100) = 4.6, got \(first)")
        // 50-step means of batch-64 cross-entropies have standard errors near 0.02.
        #expect(last < first - 0.2, "loss \(first) → \(last)")
    }

    @Test func deterministicForASeed() throws {
        let a = try Self.run(try Self.tinyRecipe()).checkpoint()
        let b = try Self.run(try Self.tinyRecipe()).checkpoint()
        let c = try Self.run(try Self.tinyRecipe(seed: 4)).checkpoint()
        #expect(a.tensors == b.tensors)
        #expect(a.tensors != c.tensors)
    }

    @Test func resumedRunEqualsUninterruptedRun() throws {
        let straight = try Self.run(try Self.tinyRecipe())
        var first = try TrainingRun(recipe: try Self.tinyRecipe())
        for _ in 0..<25 { first.step() }     // stop inside the denoiser phase
        let saved = try Checkpoint(data: try first.checkpoint().encoded())
        var resumed = try TrainingRun(resuming: saved)
        while !resumed.isFinished { resumed.step() }
        #expect(resumed.stepsDone == straight.stepsDone)
        #expect(try resumed.checkpoint().tensors == straight.checkpoint().tensors)
    }

    @Test func weightsOnlyCheckpointsCannotResume() throws {
        let run = try Self.run(try Self.tinyRecipe(steps: 2, classifierSteps: 1))
        let saved = try Checkpoint(data: try run.checkpoint(weightsOnly: true).encoded(), path: "w.safetensors")
        #expect(!saved.names.contains { $0.hasPrefix("train.") })
        #expect(throws: TrainingError.self) { try TrainingRun(resuming: saved) }
        let model = try TrainedModel(checkpoint: saved)
        #expect(model.denoiser != nil && model.noiseLevelEstimator != nil)
    }

    @Test func unknownDataSetListsTheValidOnes() {
        #expect(throws: TrainingError.unknownDataset("mnist", valid: ["moons", "swissroll", "checkerboard", "scurve", "circles", "digits", "digits-cond"])) {
            try TrainingRecipe.named("mnist")
        }
    }

    @Test func learningRateWarmsUpAndDecays() {
        let s = LearningRateSchedule(peak: 1e-3, warmup: 10, total: 110, final: 0.1)
        #expect(abs(s.rate(at: 0) - 1e-4) < 1e-12)
        #expect(abs(s.rate(at: 9) - 1e-3) < 1e-12)
        #expect(abs(s.rate(at: 60) - 0.55e-3) < 1e-9)
        #expect(abs(s.rate(at: 110) - 1e-4) < 1e-12)
    }

    @Test func adamMatchesItsDefinition() {
        // One parameter, two steps, against the update written out by hand.
        var adam = Adam(count: 1)
        var w: [Float] = [1]
        adam.update(&w, gradient: [0.5], lr: 0.1)
        #expect(abs(w[0] - 0.9) < 1e-6)            // first step: m̂/√v̂ = sign(g)
        adam.update(&w, gradient: [-1], lr: 0.1)
        let m = 0.9 * 0.05 + 0.1 * -1.0, v = 0.999 * 0.00025 + 0.001 * 1.0
        let expected = 0.9 - 0.1 * (m / (1 - 0.81)) / ((v / (1 - 0.999 * 0.999)).squareRoot() + 1e-8)
        #expect(abs(Double(w[0]) - expected) < 1e-6)
    }
}
