import ScoreKitCore

/// The denoiser network for low-dimensional data (2-D toys): a multilayer perceptron on the
/// scaled input concatenated with Fourier features of the noise label,
///
///     h = SiLU(Linear([x_in, fourier(c_noise)]))          layers.0
///     h = SiLU(Linear(h))  (depth − 1 times)              layers.1 …
///     F = Linear(h)        (starts at zero)               out
public struct MLPDenoiserNetwork: DenoiserNetwork {
    /// The config it was built from.
    public let config: NetworkConfig
    /// Its parameters.
    public let layout: ParameterLayout
    /// The noise-label features.
    public let embedding: FourierEmbedding
    /// The hidden layers.
    public let hidden: SiLUStack
    /// The output layer.
    public let output: Linear
    /// Rows per call.
    public var preferredBatch: Int { NetworkCost.chunkRows(base: 256, floatsPerRow: workingFloatsPerRow) }

    /// Each layer's input and pre-activation.
    public struct Tape {
        let hidden: SiLUStack.Tape, last: Tensor
    }

    /// The network a config describes (`hidden`, `depth`, `embedding_features`, `embedding_max_frequency`).
    public init(_ config: NetworkConfig) throws {
        self.config = config
        let dimension = config.sampleShape.reduce(1, *)
        let hidden = try config.require(config.hidden, "hidden") { $0 > 0 }
        let depth = try config.require(config.depth, "depth") { $0 >= 1 }
        let features = try config.require(config.embeddingFeatures, "embedding_features") { $0 >= 2 && $0 % 2 == 0 }
        let maxFrequency = try config.require(config.embeddingMaxFrequency, "embedding_max_frequency") { $0 > 0 }
        embedding = FourierEmbedding(features: features, maxFrequency: maxFrequency)
        var layout = ParameterLayout()
        self.hidden = SiLUStack((0..<depth).map { i in
            Linear("layers.\(i)", inputs: i == 0 ? dimension + features : hidden, outputs: hidden, layout: &layout)
        })
        output = Linear("out", inputs: hidden, outputs: dimension, zeroInit: true, layout: &layout)
        self.layout = layout
    }

    /// The raw output F for the scaled input `x` and noise labels c_noise with weights `w`,
    /// and the tape `backward` needs.
    public func forward(_ x: Tensor, labels: [Float], _ w: [Float]) -> (Tensor, Tape) {
        let input = FeatureMaps.concatenate(x.reshaped([x.rows, x.rowSize]), embedding.forward(labels))
        let (last, tape) = hidden.forward(input, w)
        return (output.forward(last, w).reshaped(x.shape), Tape(hidden: tape, last: last))
    }

    /// Adds the weights' gradient of a loss with gradient `dy` with respect to F into `g`;
    /// returns the gradient with respect to the input.
    public func backward(_ dy: Tensor, _ tape: Tape, _ w: [Float], _ g: inout [Float]) -> Tensor {
        let shape = dy.shape
        let dh = hidden.backward(output.backward(dy.reshaped([dy.rows, dy.rowSize]), input: tape.last, w, &g), tape.hidden, w, &g)
        return FeatureMaps.split(dh, first: dy.rowSize).0.reshaped(shape)
    }
}
