import Foundation
import ScoreKit
import ScoreKitTestSupport
import Testing

/// The shipped class-conditional digits model (`digits-cond`): digits generated for a
/// requested label are that digit, and its unconditional estimate (label ∅) still generates
/// digits like the unconditional `digits` model's.
@Suite("Trained conditional digits model", .tags(.statistical), .statistical)
struct TrainedConditionalDigitsTests {
    static func model(_ name: String = "digits-cond") throws -> TrainedModel {
        if let dir = TestSettings.modelDirectory {
            return try TrainedModel(contentsOf: URL(fileURLWithPath: "\(dir)/\(name).safetensors"))
        }
        return try BuiltinModels.trainedModel(name)
    }

    /// A conditional denoiser with one label per row bound for a single batch (labels travel
    /// through the sampling context elsewhere; here the whole batch is one call).
    struct FixedLabels: Denoiser {
        let model: any ConditionalDenoiser
        let labels: [Int?]
        var sampleShape: [Int] { model.sampleShape }
        var sigmaRange: ClosedRange<Double> { model.sigmaRange }
        var dataDiameter: Double? { model.dataDiameter }

        func denoise(_ x: Tensor, sigma: [Double]) throws -> Tensor {
            precondition(x.rows == labels.count, "FixedLabels: \(x.rows) rows for \(labels.count) labels")
            return try model.denoise(x, sigma: sigma, labels: labels)
        }
    }

    /// `heun` at 39 NFE, all rows in one batch, each with its label.
    static func sample(_ model: any ConditionalDenoiser, labels: [Int?], seed: UInt64) throws -> Tensor {
        let sampler = try SamplerCatalog.standard.sampler("heun").fitted(toNFE: 39)
        let z = try PhiloxNoise(seed: seed, stream: RandomStreamID.initialNoise, sampleIndices: Array(0..<labels.count))
            .normal(rows: nil, shape: model.sampleShape)
        return try TestKit.run(sampler, FixedLabels(model: model, labels: labels), z: z, seed: seed, budget: 39).0
    }

    /// With labels cycling 0…9, the shipped digit classifier agrees with the requested label
    /// on at least 90 % of the samples (N = 1000 by default: the standard error near 0.9 is
    /// under 0.01, so a model at the target does not fail by chance).
    @Test func generatedDigitsHaveTheRequestedLabel() throws {
        let trained = try Self.model()
        let model = try #require(trained.conditionalDenoiser)
        let classifier = try #require(trained.labelClassifier)
        let n = TestSettings.count(default: 1000)
        let labels = (0..<n).map { $0 % 10 }
        let samples = try Self.sample(model, labels: labels, seed: 13)
        let predicted = classifier.predict(samples)
        var hits = [Int](repeating: 0, count: 10)
        for (p, label) in zip(predicted, labels) where p.label == label { hits[label] += 1 }
        let agreement = Double(hits.reduce(0, +)) / Double(n)
        print("digits-cond (heun 39 NFE, N = \(n)): label agreement \(agreement); per digit \(hits)")
        #expect(agreement >= 0.9)
    }

    /// Label ∅ (the unconditional estimate of the same network, trained on the 10 % of
    /// examples whose label was dropped) against the unconditional `digits` model, same sampler
    /// and seeds: the digit classifier's confident fraction and label histogram, and the
    /// Fréchet distance in its feature space to the 297 held-out digits. The ∅ estimate must
    /// cover the ten digits as evenly as `digits` is required to, and stay within twice its
    /// Fréchet distance. (Measured at N = 1000: confident 0.73 against 0.91 for `digits`,
    /// fd_digits 8.5 against 6.5 — the unconditional branch is the weaker one; see
    /// docs/models.md.)
    @Test func unconditionalEstimateGeneratesDigits() throws {
        let trained = try Self.model()
        let model = try #require(trained.conditionalDenoiser)
        let classifier = try #require(trained.labelClassifier)
        let n = TestSettings.count(default: 1000)
        let conditional = try Self.sample(model, labels: Array(repeating: nil, count: n), seed: 17)
        let sampler = try SamplerCatalog.standard.sampler("heun").fitted(toNFE: 39)
        let digits = try #require(try Self.model("digits").denoiser)
        let z = try PhiloxNoise(seed: 17, stream: RandomStreamID.initialNoise, sampleIndices: Array(0..<n)).normal(rows: nil, shape: [1, 8, 8])
        let unconditional = try TestKit.run(sampler, digits, z: z, seed: 17, budget: 39).0
        let heldOut = classifier.features(try DigitsData.load().heldOut.images)
        let stats = ModelEvaluation.labelStatistics(classifier, samples: conditional)
        let fdCond = FrechetDistance.between(classifier.features(conditional), heldOut)
        let fdDigits = FrechetDistance.between(classifier.features(unconditional), heldOut)
        print("digits-cond at ∅ (N = \(n)): confident \(stats.confidentFraction), TV from uniform \(stats.totalVariationFromUniform), counts \(stats.counts)")
        print("fd_digits to held-out: digits-cond at ∅ \(fdCond), digits \(fdDigits)")
        #expect(stats.totalVariationFromUniform <= 0.1 + 0.4 * (10 / Double(n)).squareRoot())
        #expect(fdCond <= 2 * fdDigits)
    }

    /// The noise-aware classifier recognises held-out digits at small σ and is uninformed at
    /// large σ: its accuracy at σ = 0.1 is at least 90 % and at σ = 50 below 35 %.
    @Test func noisyLabelClassifierReadsNoisyDigits() throws {
        let classifier = try #require(try Self.model().noisyLabelClassifier)
        let heldOut = try DigitsData.load().heldOut
        var accuracies: [Double] = []
        for sigma in [0.1, 0.5, 1, 2, 50] {
            let z = try PhiloxNoise(seed: 3, stream: RandomStreamID.initialNoise, sampleIndices: Array(0..<heldOut.labels.count))
                .normal(rows: nil, shape: [1, 8, 8])
            let x = Tensor.combination([(1, heldOut.images), (.perRow(Array(repeating: sigma, count: z.rows)), z)])
            var correct = 0
            for k in 0..<10 {
                let (values, _) = try classifier.logProbability(of: Array(repeating: k, count: x.rows), at: x,
                                                                sigma: Array(repeating: sigma, count: x.rows))
                for r in 0..<x.rows where heldOut.labels[r] == k && values[r] > log(0.5) { correct += 1 }
            }
            accuracies.append(Double(correct) / Double(x.rows))
        }
        print("noisy label classifier: held-out fraction with p(true label) > 0.5 at σ = 0.1, 0.5, 1, 2, 50: \(accuracies)")
        #expect(accuracies[0] >= 0.9 && accuracies[4] < 0.35)
    }
}
