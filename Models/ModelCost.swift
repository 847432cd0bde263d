import Foundation
import ScoreKitCore

/// What one call of a model costs per sample, estimated from its sizes: floating-point
/// operations of a denoiser call and of a noise-level estimate. Exact mixtures cost
/// K·(6D + 20) per denoiser call; their noise-level posterior K·3D + 40K per row for
/// components sharing one isotropic variance, else K·levels·(3D + 20).
public struct ModelCost: Sendable, Codable, Equatable {
    /// Operations of one denoiser call per sample.
    public var denoiserFlops: Double
    /// Operations of one noise-level estimate per sample (nil when the model has no estimator).
    public var noiseLevelFlops: Double?

    /// A cost; see the properties.
    public init(denoiserFlops: Double, noiseLevelFlops: Double?) {
        self.denoiserFlops = denoiserFlops
        self.noiseLevelFlops = noiseLevelFlops
    }

    /// One line, e.g. `denoiser 1.2 MFLOP/sample, noise level 3.4 GFLOP/sample`.
    public var summary: String {
        var line = "denoiser \(Self.format(denoiserFlops))/sample"
        if let noiseLevelFlops { line += ", noise level \(Self.format(noiseLevelFlops))/sample" }
        return line
    }

    /// `1.2 MFLOP`, `34 GFLOP`, … (powers of 1000, two significant digits).
    public static func format(_ flops: Double) -> String {
        let units = ["FLOP", "kFLOP", "MFLOP", "GFLOP", "TFLOP", "PFLOP"]
        var value = flops, unit = 0
        while value >= 1000, unit < units.count - 1 { value /= 1000; unit += 1 }
        return (value < 10 && unit > 0 ? String(format: "%.1f", value) : String(format: "%.0f", value)) + " " + units[unit]
    }
}

extension LoadedModel {
    /// The model's cost per call and sample (exact mixtures and ScoreKit networks; other
    /// denoisers count as zero).
    public var cost: ModelCost {
        let denoiserFlops: Double
        switch denoiser {
        case let mixture as GaussianMixture: denoiserFlops = mixture.denoiserFlopsPerRow
        case let trained as TrainedDenoiser: denoiserFlops = trained.network.flopsPerRow + 6 * Double(trained.dimension)
        case let conditional as TrainedConditionalDenoiser:
            denoiserFlops = conditional.base.network.flopsPerRow + 6 * Double(conditional.dimension)
        default: denoiserFlops = 0
        }
        let noiseLevelFlops: Double?
        switch noiseLevelEstimator {
        case let posterior as ExactNoiseLevelPosterior: noiseLevelFlops = posterior.flopsPerRow
        case let trained as TrainedNoiseLevelEstimator: noiseLevelFlops = trained.classifier.network.flopsPerRow
        case nil: noiseLevelFlops = nil
        default: noiseLevelFlops = 0
        }
        return ModelCost(denoiserFlops: denoiserFlops, noiseLevelFlops: noiseLevelFlops)
    }
}
