import Foundation
import ScoreKitCore

/// The exact posterior over a grid of noise levels for a Gaussian mixture, under a uniform
/// prior on the grid: `p(k | x) ∝ p_{σ_k}(x)`. The exact `NoiseLevelEstimator` DLG uses on
/// exact models.
public struct ExactNoiseLevelPosterior: NoiseLevelEstimator {
    public let mixture: GaussianMixture
    public let grid: NoiseLevelGrid

    /// The posterior of `mixture` over `grid`.
    public init(mixture: GaussianMixture, grid: NoiseLevelGrid) {
        self.mixture = mixture
        self.grid = grid
    }

    public func logProbabilities(_ x: Tensor) throws -> Tensor {
        let levels = grid.sigmas.map(mixture.noisy)
        let n = mixture.dimension, kCount = grid.count
        var out = [Float](repeating: 0, count: x.rows * kCount)
        x.scalars.withUnsafeBufferPointer { px in
            for r in 0..<x.rows {
                let row = UnsafeBufferPointer(rebasing: px[(r * n)..<((r + 1) * n)])
                let logLikelihood = levels.map { logSumExp(mixture.componentLogDensities(row, $0)) }
                let normaliser = logSumExp(logLikelihood)
                for k in 0..<kCount { out[r * kCount + k] = Float(logLikelihood[k] - normaliser) }
            }
        }
        return Tensor(shape: [x.rows, kCount], scalars: out)
    }
}

extension GaussianMixture {
    /// The exact noise-level posterior over `grid`.
    public func noiseLevelPosterior(grid: NoiseLevelGrid = .exactModelDefault) -> ExactNoiseLevelPosterior {
        ExactNoiseLevelPosterior(mixture: self, grid: grid)
    }

    /// The JSON form: `{"kind":"gaussian-mixture","weights":[…],"means":[[…],…],"stds":[[…],…]}`
    /// (`stds` per dimension; an optional `"shape"` gives the sample shape).
    struct JSONForm: Codable {
        var kind: String
        var weights: [Double]
        var means: [[Double]]
        var stds: [[Double]]
        var shape: [Int]?
    }

    /// A mixture from its JSON form, with errors that say what is wrong.
    public init(json data: Data) throws {
        let form: JSONForm
        do {
            form = try JSONDecoder().decode(JSONForm.self, from: data)
        } catch let DecodingError.keyNotFound(key, _) {
            throw GaussianMixtureError.invalid("missing key '\(key.stringValue)' (need kind, weights, means, stds)")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            let path = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
            throw GaussianMixtureError.invalid("wrong type at '\(path)': \(context.debugDescription)")
        } catch {
            throw GaussianMixtureError.invalid("not valid JSON")
        }
        guard form.kind == "gaussian-mixture" else {
            throw GaussianMixtureError.invalid("kind is '\(form.kind)'; expected 'gaussian-mixture'")
        }
        try self.init(weights: form.weights, means: form.means, stds: form.stds, sampleShape: form.shape)
    }

    /// The JSON form of this mixture.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(JSONForm(kind: "gaussian-mixture", weights: weights, means: means, stds: stds,
                                           shape: sampleShape == [dimension] ? nil : sampleShape))
    }
}

extension NoiseLevelGrid {
    /// The grid exact models use by default: 1000 levels from 0.002 to 80 (EDM's σ range).
    public static let exactModelDefault = NoiseLevelGrid(sigmaMin: 0.002, sigmaMax: 80, count: 1000)
}
