import Foundation
import Testing
@testable import ScoreKitModels
import ScoreKitCore

@Suite("Models as reference data for quality metrics")
struct ModelReferenceDataTests {
    @Test("An exact mixture's reference draws are its exact samples, index by index")
    func mixtureDraws() throws {
        let mixture = BuiltinModels.gmm2d
        #expect(try mixture.draw(count: 30, seed: 4, firstIndex: 10) == mixture.sample(count: 30, seed: 4, firstIndex: 10))
        // Disjoint index ranges are independent draws; the same range is the same draw.
        let whole = try mixture.draw(count: 40, seed: 4, firstIndex: 0)
        #expect(try mixture.draw(count: 20, seed: 4, firstIndex: 20) == whole.rows(20..<40))
    }

    @Test("Exact built-in models carry their mixture as reference data and no feature extractor")
    func loadedExactModels() throws {
        for name in ["gmm2d", "ring8", "gmm64"] {
            let model = try ModelLoader.load(name)
            let data = try #require(model.referenceData)
            #expect(data.sampleShape == model.denoiser.sampleShape)
            #expect(try data.draw(count: 5, seed: 1, firstIndex: 0) == model.mixture!.sample(count: 5, seed: 1))
            #expect(model.featureExtractor == nil)
        }
    }
}
