import Foundation
import ScoreKitCore

/// EDM's preconditioning (Karras et al., "Elucidating the Design Space of Diffusion-Based
/// Generative Models", NeurIPS 2022, Table 1): with `σ_d` the data's standard deviation,
///
///     D(x; σ) = c_skip·x + c_out·F(c_in·x, c_noise)
///     c_skip = σ_d²/(σ² + σ_d²),  c_out = σ·σ_d/√(σ² + σ_d²),  c_in = 1/√(σ² + σ_d²),  c_noise = ¼·ln σ
///
/// so the network's input and training target both have unit variance at every σ.
public struct EDMPreconditioning: Sendable, Hashable, Codable {
    /// σ_d.
    public var sigmaData: Double

    /// Preconditioning for data of standard deviation `sigmaData`.
    public init(sigmaData: Double) { self.sigmaData = sigmaData }

    /// `c_skip(σ)`.
    public func cSkip(_ sigma: Double) -> Double { sigmaData * sigmaData / (sigma * sigma + sigmaData * sigmaData) }
    /// `c_out(σ)`.
    public func cOut(_ sigma: Double) -> Double { sigma * sigmaData / (sigma * sigma + sigmaData * sigmaData).squareRoot() }
    /// `c_in(σ)`.
    public func cIn(_ sigma: Double) -> Double { 1 / (sigma * sigma + sigmaData * sigmaData).squareRoot() }
    /// `c_noise(σ) = ¼·ln σ`.
    public func cNoise(_ sigma: Double) -> Double { 0.25 * log(sigma) }
}

/// A trained denoiser network behind the `Denoiser` protocol: VE coordinates outside, EDM's
/// preconditioning inside. Large batches are evaluated in chunks of the network's preferred
/// size; results do not depend on the chunking.
public struct TrainedDenoiser: Denoiser {
    /// The network `F`.
    public let network: any DenoiserNetwork
    /// Its weights (the EMA weights of training).
    public let weights: [Float]
    /// The EDM coefficients.
    public let preconditioning: EDMPreconditioning
    /// The σ range it was trained for.
    public let sigmaRange: ClosedRange<Double>

    /// A denoiser from a network and its weights.
    public init(network: any DenoiserNetwork, weights: [Float], preconditioning: EDMPreconditioning,
                sigmaRange: ClosedRange<Double>) {
        precondition(weights.count == network.layout.count, "TrainedDenoiser: \(weights.count) weights for \(network.layout.count) parameters")
        self.network = network
        self.weights = weights
        self.preconditioning = preconditioning
        self.sigmaRange = sigmaRange
    }

    /// The shape of one sample.
    public var sampleShape: [Int] { network.sampleShape }

    public func denoise(_ x: Tensor, sigma: [Double]) throws -> Tensor {
        precondition(x.rowShape == sampleShape && sigma.count == x.rows, "denoise: shape \(x.shape) / \(sigma.count) σ's")
        let chunk = network.preferredBatch
        guard x.rows > chunk else { return denoiseChunk(x, sigma: sigma) }
        var parts: [Tensor] = []
        for start in stride(from: 0, to: x.rows, by: chunk) {
            let end = min(start + chunk, x.rows)
            parts.append(denoiseChunk(x.rows(start..<end), sigma: Array(sigma[start..<end])))
        }
        return Tensor.concatenatingRows(parts)
    }

    private func denoiseChunk(_ x: Tensor, sigma: [Double]) -> Tensor {
        let p = preconditioning
        let input = x.scalingRows(by: sigma.map(p.cIn))
        let f = network(input, labels: sigma.map { Float(p.cNoise($0)) }, weights)
        return Tensor.combination([(.perRow(sigma.map(p.cSkip)), x), (.perRow(sigma.map(p.cOut)), f)])
    }
}

/// A trained classifier with its weights: logits, log-probabilities and penultimate features
/// for any batch (in chunks of the network's preferred size).
public struct TrainedClassifier: Sendable {
    /// The network.
    public let network: any ClassifierNetwork
    /// Its weights.
    public let weights: [Float]

    /// A classifier from a network and its weights.
    public init(network: any ClassifierNetwork, weights: [Float]) {
        precondition(weights.count == network.layout.count, "TrainedClassifier: \(weights.count) weights for \(network.layout.count) parameters")
        self.network = network
        self.weights = weights
    }

    /// The shape of one input.
    public var sampleShape: [Int] { network.sampleShape }

    /// Logits `[N, classes]` and features `[N, hidden]`.
    public func evaluate(_ x: Tensor) -> (logits: Tensor, features: Tensor) {
        let chunk = network.preferredBatch
        var logits: [Tensor] = [], features: [Tensor] = []
        for start in stride(from: 0, to: x.rows, by: chunk) {
            let out = network.forward(x.rows(start..<min(start + chunk, x.rows)), weights)
            logits.append(out.logits)
            features.append(out.features)
        }
        return (Tensor.concatenatingRows(logits), Tensor.concatenatingRows(features))
    }

    /// `log p(class | x)`, `[N, classes]`.
    public func logProbabilities(_ x: Tensor) -> Tensor { SoftmaxCrossEntropy.logSoftmax(evaluate(x).logits) }

    /// The most probable class of each row and its probability.
    public func predict(_ x: Tensor) -> [(label: Int, probability: Double)] {
        let lp = logProbabilities(x), k = lp.shape[1]
        return (0..<x.rows).map { r in
            let row = lp.scalars[(r * k)..<((r + 1) * k)]
            let best = row.indices.max { row[$0] < row[$1] }!
            return (best - r * k, exp(Double(row[best])))
        }
    }

    /// The penultimate features (the digit classifier's feature space for Fréchet distances).
    public func features(_ x: Tensor) -> Tensor { evaluate(x).features }
}

/// A trained noise-level classifier behind `NoiseLevelEstimator`: `p(k | x)` over its grid.
public struct TrainedNoiseLevelEstimator: NoiseLevelEstimator {
    /// The classifier, one class per level.
    public let classifier: TrainedClassifier
    /// The levels.
    public let grid: NoiseLevelGrid

    /// An estimator; the classifier must have one class per grid level.
    public init(classifier: TrainedClassifier, grid: NoiseLevelGrid) {
        precondition(classifier.network.classes == grid.count, "TrainedNoiseLevelEstimator: \(classifier.network.classes) classes for \(grid.count) levels")
        self.classifier = classifier
        self.grid = grid
    }

    public func logProbabilities(_ x: Tensor) throws -> Tensor { classifier.logProbabilities(x) }
}
