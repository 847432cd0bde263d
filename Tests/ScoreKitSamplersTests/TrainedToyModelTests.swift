import Foundation
import ScoreKit
import Testing

/// The shipped 2-D models sample their data: the sliced Wasserstein distance between model
/// samples and fresh data is within 2× of that between two fresh data sets of the same size.
@Suite("Trained 2-D models")
struct TrainedToyModelTests {
    /// Set SCOREKIT_MODEL_DIR to evaluate checkpoints in a folder instead of the shipped ones.
    static func model(_ name: String) throws -> LoadedModel {
        if let dir = ProcessInfo.processInfo.environment["SCOREKIT_MODEL_DIR"] {
            return try ModelLoader.load("\(dir)/\(name).safetensors")
        }
        return try ModelLoader.load(name)
    }

    static var count: Int { Int(ProcessInfo.processInfo.environment["SCOREKIT_EVAL_COUNT"] ?? "") ?? 2000 }

    @Test(arguments: Toy2D.allCases) func slicedWassersteinWithinTwiceTheDataFloor(kind: Toy2D) throws {
        let loaded = try Self.model(kind.rawValue)
        let n = Self.count
        let sampler = try SamplerCatalog.standard.sampler("ddim").fitted(toNFE: 40)
        let samples = try SamplingJob(sampler: sampler, model: loaded.denoiser, count: n, seed: 1, budget: 40).run().samples
        let data = kind.sample(count: n, seed: 11)
        let model = QualityMeasures.slicedWasserstein(samples, data)
        let floor = QualityMeasures.meanDataFloor(kind, count: n)
        print("\(kind.rawValue): SW(model, data) = \(model), mean SW(data, data') = \(floor), ratio \(model / floor) (n = \(n))")
        #expect(model < 2 * floor)
    }
}
