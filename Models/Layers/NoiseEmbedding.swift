import Foundation
import ScoreKitCore

/// Fourier features of the scalar noise label `c` (EDM's `c_noise = ¼·ln σ`):
/// `[cos(ω_0·c), …, cos(ω_{h−1}·c), sin(ω_0·c), …, sin(ω_{h−1}·c)]` with `h = features/2`
/// fixed frequencies spaced geometrically from 1 to `maxFrequency`,
/// `ω_i = maxFrequency^{i/(h−1)}` — the sinusoidal position embedding of the transformer,
/// applied to a continuous label. No parameters: the frequencies follow from the config.
public struct FourierEmbedding: Sendable, Hashable {
    /// The number of features (even).
    public let features: Int
    /// The highest angular frequency.
    public let maxFrequency: Double

    /// An embedding with `features` outputs.
    public init(features: Int, maxFrequency: Double) {
        precondition(features >= 2 && features % 2 == 0, "FourierEmbedding: features must be even, got \(features)")
        self.features = features
        self.maxFrequency = maxFrequency
    }

    /// `ω_i`, `i < features/2`.
    public var frequencies: [Double] {
        let half = features / 2
        return (0..<half).map { half == 1 ? 1 : pow(maxFrequency, Double($0) / Double(half - 1)) }
    }

    /// The features of each label: `[N, features]` (computed in Float64).
    public func forward(_ labels: [Float]) -> Tensor {
        let out = uninitializedFloats(labels.count * features) { write(labels, into: $0.baseAddress!) }
        return Tensor(shape: [labels.count, features], scalars: out)
    }

    /// The features of each label into `labels.count × features` floats at `out`.
    func write(_ labels: [Float], into out: UnsafeMutablePointer<Float>) {
        let omega = frequencies, half = features / 2
        for (n, c) in labels.enumerated() {
            if n > 0 && labels[n - 1] == c {     // samplers often give a whole batch one σ
                (out + n * features).update(from: out + (n - 1) * features, count: features)
                continue
            }
            for i in 0..<half {
                let a = omega[i] * Double(c)
                out[n * features + i] = Float(cos(a))
                out[n * features + half + i] = Float(sin(a))
            }
        }
    }

    /// The gradient with respect to the labels: `Σ_i ω_i·(−sin(ω_i c)·dy_i + cos(ω_i c)·dy_{h+i})`.
    public func backward(_ dy: Tensor, labels: [Float]) -> [Float] {
        let omega = frequencies, half = features / 2
        return labels.enumerated().map { n, c in
            var s = 0.0
            for i in 0..<half {
                let a = omega[i] * Double(c)
                s += omega[i] * (-sin(a) * Double(dy.scalars[n * features + i]) + cos(a) * Double(dy.scalars[n * features + half + i]))
            }
            return Float(s)
        }
    }
}

/// The conditioning path shared by a denoiser's layers: Fourier features of `c_noise`, then
/// `Linear → SiLU → Linear → SiLU`. The output (already activated) feeds each residual block's
/// own projection.
public struct NoiseEmbeddingMLP: Sendable {
    /// The Fourier features.
    public let fourier: FourierEmbedding
    /// The two linear layers.
    public let first: Linear, second: Linear

    /// The intermediate values the backward pass needs.
    public struct Cache: Sendable {
        let labels: [Float], features: Tensor, hidden: Tensor, activated: Tensor, output: Tensor
    }

    /// Registers `name.0` and `name.1` linear layers: `features → width → width`.
    public init(_ name: String, features: Int, maxFrequency: Double, width: Int, layout: inout ParameterLayout) {
        fourier = FourierEmbedding(features: features, maxFrequency: maxFrequency)
        first = Linear("\(name).0", inputs: features, outputs: width, layout: &layout)
        second = Linear("\(name).1", inputs: width, outputs: width, layout: &layout)
    }

    /// The embedding `[N, width]` of each label.
    public func forward(_ labels: [Float], _ w: [Float]) -> (Tensor, Cache) {
        let f = fourier.forward(labels)
        let h = first.forward(f, w)
        let a = SiLU.forward(h)
        let o = second.forward(a, w)
        return (SiLU.forward(o), Cache(labels: labels, features: f, hidden: h, activated: a, output: o))
    }

    /// Accumulates the parameter gradients; returns the gradient with respect to the labels.
    @discardableResult
    public func backward(_ dy: Tensor, _ cache: Cache, _ w: [Float], _ g: inout [Float]) -> [Float] {
        let dO = SiLU.backward(dy, input: cache.output)
        let dA = second.backward(dO, input: cache.activated, w, &g)
        let dH = SiLU.backward(dA, input: cache.hidden)
        let dF = first.backward(dH, input: cache.features, w, &g)
        return fourier.backward(dF, labels: cache.labels)
    }
}
