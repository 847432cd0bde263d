import Foundation
import ScoreKitCore

/// A trained noise-aware label classifier behind `NoisyClassifier`: `log p(c | x, σ)` for noisy
/// samples `x = x0 + σ·n`, with its gradient in `x` from the classifier's backward pass — the
/// term classifier guidance (Dhariwal & Nichol, "Diffusion Models Beat GANs on Image
/// Synthesis", 2021) adds to the score.
///
/// The network is a `cnn-classifier` with `scale_input` (the noise-level classifier's design):
/// it reads σ from the input's scale (its `ln r` feature) rather than as an argument, so `sigma`
/// only documents the call. Rows are evaluated one at a time on the training passes (BLAS), so
/// a row's values and gradient do not depend on its batch-mates.
public struct TrainedNoisyClassifier: NoisyClassifier {
    /// The network (a `cnn-classifier`).
    public let network: CNNClassifierNetwork
    /// Its weights.
    public let weights: [Float]
    /// The σ range it was trained on.
    public let sigmaRange: ClosedRange<Double>

    /// A classifier from a network and its weights.
    public init(network: CNNClassifierNetwork, weights: [Float], sigmaRange: ClosedRange<Double>) {
        precondition(weights.count == network.layout.count, "TrainedNoisyClassifier: \(weights.count) weights for \(network.layout.count) parameters")
        self.network = network
        self.weights = weights
        self.sigmaRange = sigmaRange
    }

    /// The number of classes.
    public var labelCount: Int { network.classes }
    /// The shape of one sample.
    public var sampleShape: [Int] { network.sampleShape }

    /// `log p(labels[r] | x_r, σ_r)` and its gradient in `x_r` for each row. Throws
    /// `ConditioningError` for a label outside `0..<labelCount`.
    public func logProbability(of labels: [Int], at x: Tensor, sigma: [Double]) throws -> (values: [Double], gradient: Tensor) {
        precondition(x.rowShape == sampleShape && labels.count == x.rows && sigma.count == x.rows,
                     "logProbability: shape \(x.shape) / \(labels.count) labels / \(sigma.count) σ's")
        if let bad = labels.first(where: { !(0..<labelCount).contains($0) }) {
            throw ConditioningError.labelOutOfRange(bad, labelCount: labelCount)
        }
        var values: [Double] = [], gradients: [Tensor] = []
        for r in 0..<x.rows {
            let (value, gradient) = row(x.rows(r..<(r + 1)), label: labels[r])
            values.append(value)
            gradients.append(gradient)
        }
        guard !gradients.isEmpty else { return ([], x) }
        return (values, Tensor.concatenatingRows(gradients))
    }

    /// `log p(label | x)` of one row and its input gradient: `∂/∂logits = onehot − softmax`.
    private func row(_ x: Tensor, label: Int) -> (Double, Tensor) {
        let (logits, _, tape) = network.forward(x, weights)
        let logP = SoftmaxCrossEntropy.logSoftmax(logits)
        var dLogits = logP
        for k in 0..<labelCount { dLogits.scalars[k] = (k == label ? 1 : 0) - exp(logP.scalars[k]) }
        var unused = [Float](repeating: 0, count: weights.count)
        return (Double(logP.scalars[label]), network.backwardToInput(dLogits, tape, weights, &unused))
    }
}
