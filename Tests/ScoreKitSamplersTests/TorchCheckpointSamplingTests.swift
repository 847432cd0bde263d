import Foundation
import ScoreKit
import ScoreKitTestSupport
import Testing

/// A checkpoint trained and saved by PyTorch (`scripts/torch/train.py`, via
/// `scripts/torch/make_fixtures.py`) samples in ScoreKit: it loads with its classifier, and its
/// samples are as close to the data as ScoreKit's own models (the sliced Wasserstein distance
/// within 2× of the data-to-data floor).
@Suite("PyTorch checkpoints sample in ScoreKit", .tags(.statistical), .statistical)
struct TorchCheckpointSamplingTests {
    static let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/torch/moons-torch.safetensors").path

    @Test func torchTrainedMoonsSamples() throws {
        let loaded = try ModelLoader.load(Self.file)
        #expect(loaded.noiseLevelEstimator?.grid.count == 100)
        let n = 2000
        let sampler = try SamplerCatalog.standard.sampler("ddim").fitted(toNFE: 40)
        let samples = try SamplingJob(sampler: sampler, model: loaded.denoiser, count: n, seed: 3, budget: 40).run().samples
        let data = Toy2D.moons.sample(count: n, seed: 21)
        let model = TestKit.slicedWasserstein(samples, data)
        let floor = TestKit.meanDataFloor(.moons, count: n)
        print("torch-trained moons: SW(model, data) = \(model), data floor \(floor)")
        #expect(model < 2 * floor)
    }
}
