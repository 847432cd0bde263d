import Foundation
import Testing
import ScoreKit

/// Same seed, same bits for trained networks: every sampler in the catalog gives identical
/// samples on moons (MLP) and digits (U-Net, CNN classifier) whatever the batch size.
@Suite("Trained models: bits independent of the batch")
struct TrainedModelInvarianceTests {
    /// A cheap configuration of sampler `name` (DLG with few, short chains) at a small budget.
    static func sampler(_ name: String) throws -> any Sampler {
        let spec = name == "dlg" ? "dlg:chains=3,skip=2,burn-in=1,init.steps=2" : name
        return try SamplerCatalog.standard.sampler(spec).fitted(toNFE: 12)
    }

    static func run(_ sampler: any Sampler, _ model: TrainedModel, count: Int, batch: Int) throws -> Tensor {
        try SamplingJob(sampler: sampler, model: model.denoiser!, count: count, seed: 5, batchSize: batch,
                        noiseLevelEstimator: model.noiseLevelEstimator).run().samples
    }

    @Test("--batch 1, 7 and 1000 give the same samples", arguments: SamplerCatalog.standard.names)
    func batches(_ name: String) throws {
        let sampler = try Self.sampler(name)
        for (model, count) in [("moons", 9), ("digits", 8)] {
            let trained = try BuiltinModels.trainedModel(model)
            let reference = try Self.run(sampler, trained, count: count, batch: 1000)
            for batch in [1, 7] {
                let samples = try Self.run(sampler, trained, count: count, batch: batch)
                #expect(samples == reference, "\(sampler.spec) on \(model) with batch \(batch)")
            }
        }
    }
}
