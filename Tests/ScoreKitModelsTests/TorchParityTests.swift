import Foundation
import ScoreKitCore
import Testing
@testable import ScoreKitModels

/// ScoreKit's forward passes equal PyTorch's on the same checkpoint: the fixtures under
/// Tests/Fixtures/torch were saved by PyTorch (`scripts/torch/make_fixtures.py`) with random
/// weights in every layer, together with PyTorch's outputs on fixed inputs.
@Suite("PyTorch parity")
struct TorchParityTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/torch")

    static func load(_ name: String) throws -> (TrainedModel, [String: Tensor]) {
        let model = try TrainedModel(contentsOf: fixtures.appendingPathComponent("\(name).safetensors"))
        let io = try Safetensors(data: try Data(contentsOf: fixtures.appendingPathComponent("\(name)-io.safetensors")))
        var tensors: [String: Tensor] = [:]
        for e in io.entries { tensors[e.name] = try io.tensor(e.name) }
        return (model, tensors)
    }

    /// The largest `|a − b|/max(1, |b|)`.
    static func maxError(_ a: Tensor, _ b: Tensor) -> Float {
        precondition(a.count == b.count, "maxError: \(a.shape) vs \(b.shape)")
        return zip(a.scalars, b.scalars).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
    }

    @Test(arguments: ["mlp", "conv"]) func denoiserMatchesPyTorch(fixture: String) throws {
        let (model, io) = try Self.load(fixture)
        let x = io["x"]!, sigma = io["sigma"]!.scalars.map(Double.init)
        let denoised = try model.denoiser!.denoise(x, sigma: sigma)
        let error = Self.maxError(denoised, io["denoised"]!)
        print("\(fixture) denoiser: largest difference from PyTorch \(error)")
        #expect(error < 1e-4)
    }

    @Test(arguments: ["mlp", "conv"]) func noiseLevelClassifierMatchesPyTorch(fixture: String) throws {
        let (model, io) = try Self.load(fixture)
        let out = model.noiseLevelEstimator!.classifier.evaluate(io["x"]!)
        #expect(Self.maxError(out.logits, io["classifier_logits"]!) < 1e-4)
        #expect(Self.maxError(model.noiseLevelEstimator!.classifier.logits(io["x"]!), io["classifier_logits"]!) < 1e-4)
        #expect(Self.maxError(out.features, io["classifier_features"]!) < 1e-4)
    }

    @Test func labelClassifierMatchesPyTorch() throws {
        let (model, io) = try Self.load("conv")
        let out = model.labelClassifier!.evaluate(io["x0"]!)
        #expect(Self.maxError(out.logits, io["label_logits"]!) < 1e-4)
        #expect(Self.maxError(model.labelClassifier!.logits(io["x0"]!), io["label_logits"]!) < 1e-4)
        #expect(Self.maxError(out.features, io["label_features"]!) < 1e-4)
    }

    @Test func conditionalDenoiserMatchesPyTorch() throws {
        let (model, io) = try Self.load("cond")
        let x = io["x"]!, sigma = io["sigma"]!.scalars.map(Double.init)
        let labels = io["labels"]!.scalars.map { $0 < 0 ? nil : Int($0) }
        #expect(labels.contains(nil) && labels.contains { $0 != nil })
        let conditional = try #require(model.conditionalDenoiser)
        let error = Self.maxError(try conditional.denoise(x, sigma: sigma, labels: labels), io["denoised_conditional"]!)
        let unconditional = Self.maxError(try conditional.denoise(x, sigma: sigma), io["denoised"]!)
        print("cond denoiser: largest difference from PyTorch \(error) (labels), \(unconditional) (∅)")
        #expect(error < 1e-4 && unconditional < 1e-4)
    }

    @Test func noisyLabelClassifierMatchesPyTorch() throws {
        let (model, io) = try Self.load("cond")
        let classifier = try #require(model.noisyLabelClassifier)
        let labels = io["labels"]!.scalars.map { max(0, Int($0)) }
        let x = io["x"]!, sigma = io["sigma"]!.scalars.map(Double.init)
        let (values, gradient) = try classifier.logProbability(of: labels, at: x, sigma: sigma)
        let valueError = Self.maxError(Tensor(shape: [values.count], scalars: values.map(Float.init)), io["noisy_log_p"]!)
        let gradientError = Self.maxError(gradient, io["noisy_gradient"]!)
        print("cond noisy classifier: largest difference from PyTorch \(valueError) (log p), \(gradientError) (gradient)")
        #expect(valueError < 1e-4 && gradientError < 1e-4)
    }
}
