import Foundation
import ScoreKitCore

/// The exact posterior over a grid of noise levels for a Gaussian mixture, under a uniform
/// prior on the grid: `p(k | x) ∝ p_{σ_k}(x)`. The exact `NoiseLevelEstimator` DLG uses on
/// exact models.
public struct ExactNoiseLevelPosterior: NoiseLevelEstimator {
    /// The mixture whose noised densities give the posterior.
    public let mixture: GaussianMixture
    /// The noise levels the posterior is over.
    public let grid: NoiseLevelGrid

    /// The posterior of `mixture` over `grid`.
    public init(mixture: GaussianMixture, grid: NoiseLevelGrid) {
        self.mixture = mixture
        self.grid = grid
    }

    public func logProbabilities(_ x: Tensor) throws -> Tensor {
        let n = x.rows, k = mixture.componentCount, levels = grid.count
        let values = x.scalars.map(Double.init)
        var logLikelihood = [Double](repeating: 0, count: n * levels)      // [n, levels]
        for (level, sigma) in grid.sigmas.enumerated() {
            let l = mixture.componentLogDensities(values, rows: n, mixture.noisy(sigma))
            for r in 0..<n { logLikelihood[r * levels + level] = logSumExp(l[(r * k)..<((r + 1) * k)]) }
        }
        var out = [Float](repeating: 0, count: n * levels)
        for r in 0..<n {
            let normaliser = logSumExp(logLikelihood[(r * levels)..<((r + 1) * levels)])
            for level in 0..<levels { out[r * levels + level] = Float(logLikelihood[r * levels + level] - normaliser) }
        }
        return Tensor(shape: [n, levels], scalars: out)
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
