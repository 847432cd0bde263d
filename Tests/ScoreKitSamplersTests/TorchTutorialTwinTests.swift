import Foundation
import ScoreKit
import ScoreKitTestSupport
import Testing

/// The PyTorch twins of the tutorial models: `scripts/torch/train.py --data scurve|circles`
/// (via `scripts/torch/make_fixtures.py`: 4000 steps, hidden 64, float16) trains on the same
/// committed tables, and ScoreKit samples the files it writes as well as its own: the sliced
/// Wasserstein distance to the held-out points is within 2× of the data's floor (see
/// `TrainedTutorialModelTests.floor`),
/// with the shipped tutorial models' sampler (DPM-Solver++(3M), 40 NFE; see
/// `TrainedTutorialModelTests`).
@Suite("PyTorch twins of the tutorial models sample in ScoreKit", .tags(.statistical), .statistical)
struct TorchTutorialTwinTests {
    static func file(_ kind: Tutorial2D) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/torch/\(kind.rawValue)-torch.safetensors").path
    }

    @Test(arguments: Tutorial2D.allCases) func torchTrainedTwinSamplesItsData(kind: Tutorial2D) throws {
        let trained = try TrainedModel(contentsOf: URL(fileURLWithPath: Self.file(kind)))
        let data = try kind.load()
        #expect(trained.config.dataset == kind.rawValue)
        #expect(trained.config.denoiser?.sigmaData == (try TrainingData.named(kind.rawValue).sigmaData))
        let loaded = try trained.loaded(name: kind.rawValue)
        #expect(loaded.noiseLevelEstimator?.grid.count == 100)
        let n = 2000
        let (spec, nfe) = (TrainedTutorialModelTests.spec, TrainedTutorialModelTests.nfe)
        let sampler = try SamplerCatalog.standard.sampler(spec).fitted(toNFE: nfe)
        let samples = try SamplingJob(sampler: sampler, model: loaded.denoiser, count: n, seed: 3, budget: nfe).run().samples
        let model = TestKit.slicedWasserstein(samples, TrainedTutorialModelTests.block(data.heldOut, 0, count: n))
        let floor = TrainedTutorialModelTests.floor(data, count: n)
        print("torch-trained \(kind.rawValue): SW(model, held-out) = \(model), data floor \(floor), ratio \(model / floor)")
        #expect(model < 2 * floor)
    }
}
