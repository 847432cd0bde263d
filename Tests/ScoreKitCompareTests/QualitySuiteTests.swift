import Foundation
import Testing
@testable import ScoreKitCompare
import ScoreKit

/// Features = the rows; class = sign of the first coordinate (a stand-in for the digit classifier).
private struct SignClassifier: SampleClassifier {
    var featureSpace: String { "sign" }
    func features(_ x: Tensor) throws -> Tensor { x.reshaped([x.rows, x.rowSize]) }
    func classLogProbabilities(_ x: Tensor) throws -> Tensor {
        Tensor(shape: [x.rows, 2], scalars: (0..<x.rows).flatMap { r -> [Float] in
            x.scalars[r * x.rowSize] > 0 ? [log(0.9), log(0.1)] : [log(0.2), log(0.8)]
        })
    }
}

@Suite("Which metrics apply to which model")
struct QualitySuiteTests {
    @Test("Exact models: SW, MMD², log-likelihood gap and mode TV, each with a noise floor")
    func exactModel() throws {
        let model = try ModelLoader.load("gmm2d")
        let suite = try QualitySuite(model: model, count: 400, seed: 1)
        #expect(suite.metrics.map(\.name) == ["sw", "mmd2", "ll_gap", "mode_tv"])
        // The floor is the mean of the metric over draws B_k (indices k·count..<(k+1)·count).
        let tvs = (1...QualitySuite.floorDraws).map { k in
            let b = BuiltinModels.gmm2d.sample(count: 400, seed: 1, firstIndex: k * 400)
            return ExactModelMetrics.modeWeightTotalVariation(assignments: BuiltinModels.gmm2d.component(of: b), weights: [0.8, 0.2])
        }
        let (mean, se) = MetricTestSupportStats.meanAndStandardError(tvs)
        #expect(abs(suite.noiseFloor["mode_tv"]! - mean) < 1e-12)
        #expect(abs(suite.noiseFloorSD["mode_tv"]! - se * Double(tvs.count).squareRoot()) < 1e-12)
        #expect(suite.reference == BuiltinModels.gmm2d.sample(count: 400, seed: 1))
        #expect((suite.noiseFloor["sw"] ?? 0) > 0)
    }

    @Test("Models with reference data but no density: SW and MMD² only")
    func referenceDataOnly() throws {
        let exact = try ModelLoader.load("gmm2d")
        var model = LoadedModel(name: "data-only", denoiser: exact.denoiser, noiseLevelEstimator: nil, mixture: nil)
        model.referenceData = FiniteReferenceData(BuiltinModels.gmm2d.sample(count: 500, seed: 9))
        let suite = try QualitySuite(model: model, count: 100, seed: 1)
        #expect(suite.metrics.map(\.name) == ["sw", "mmd2"])
    }

    @Test("A feature extractor that classifies adds the Fréchet distance and the confidence")
    func featureExtractor() throws {
        var model = try ModelLoader.load("gmm2d")
        model.featureExtractor = SignClassifier()
        let suite = try QualitySuite(model: model, count: 200, seed: 1)
        #expect(suite.metrics.map(\.name) == ["sw", "mmd2", "ll_gap", "mode_tv", "fd_sign", "confidence_sign"])
        // Confidence of the floor draws: 0.9 for points in the (5,5) mode, 0.8 in the other.
        let expected = (1...QualitySuite.floorDraws).map { k in
            let b = BuiltinModels.gmm2d.sample(count: 200, seed: 1, firstIndex: k * 200)
            let positive = (0..<200).filter { b.scalars[2 * $0] > 0 }.count
            return (0.9 * Double(positive) + 0.8 * Double(200 - positive)) / 200
        }.reduce(0, +) / Double(QualitySuite.floorDraws)
        #expect(abs((suite.noiseFloor["confidence_sign"] ?? 0) - expected) < 1e-6)
    }

    @Test("No reference data: no distribution metrics, and a note that says so")
    func noReferenceData() throws {
        let exact = try ModelLoader.load("gmm2d")
        let model = LoadedModel(name: "bare", denoiser: exact.denoiser, noiseLevelEstimator: nil, mixture: nil)
        let suite = try QualitySuite(model: model, count: 50, seed: 1)
        #expect(suite.metrics.isEmpty && suite.reference == nil)
        #expect(suite.notes.first?.contains("no reference data") == true)
    }

    @Test("The determinism probe: ddim η = 0 draws no noise; ddim η > 0 and ddpm do")
    func determinism() throws {
        let model = try ModelLoader.load("gmm2d")
        for (spec, expected) in [("ddim:steps=5", true), ("ddim:steps=5,eta=0.5", false), ("ddpm:steps=5", false)] {
            let sampler = try SamplerCatalog.standard.sampler(spec)
            #expect(try DeterminismProbe.isDeterministic(sampler, model: model, seed: 0, budget: nil) == expected, "\(spec)")
        }
    }
}

enum MetricTestSupportStats {
    /// The mean and the standard error of the mean of `values`.
    static func meanAndStandardError(_ values: [Double]) -> (mean: Double, se: Double) {
        let n = Double(values.count)
        let mean = values.reduce(0, +) / n
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
        return (mean, (variance / n).squareRoot())
    }
}
