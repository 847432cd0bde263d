import ScoreKitCore

/// A noise-level classifier for low-dimensional data: an MLP from the (optionally scaled)
/// input to K logits.
///
///     input = scale_input ? [x/r, log r] : x
///     h = SiLU(Linear(h))  (depth times)      layers.0 …
///     logits = Linear(h)                      out
public struct MLPClassifierNetwork: ClassifierNetwork {
    /// The configuration the network was built from.
    public let config: NetworkConfig
    /// Where each layer's parameters sit in the flat weight vector.
    public let layout: ParameterLayout
    /// The hidden layers.
    public let hidden: SiLUStack
    /// The layer to the logits.
    public let output: Linear
    /// The number of classes.
    public let classes: Int
    /// Whether the input is divided by its RMS r, with ln r as an extra input.
    public let scaleInput: Bool
    /// Rows per call.
    public var preferredBatch: Int { NetworkCost.chunkRows(base: 256, floatsPerRow: workingFloatsPerRow) }

    /// What the backward pass needs.
    public struct Tape { let hidden: SiLUStack.Tape, last: Tensor }

    /// The network a config describes (`hidden`, `depth`, `classes`, `scale_input`).
    public init(_ config: NetworkConfig) throws {
        self.config = config
        let hidden = try config.require(config.hidden, "hidden") { $0 > 0 }
        let depth = try config.require(config.depth, "depth") { $0 >= 1 }
        classes = try config.require(config.classes, "classes") { $0 >= 2 }
        scaleInput = config.scaleInput ?? false
        let inputs = config.sampleShape.reduce(1, *) + (scaleInput ? 1 : 0)
        var layout = ParameterLayout()
        self.hidden = SiLUStack((0..<depth).map { Linear("layers.\($0)", inputs: $0 == 0 ? inputs : hidden, outputs: hidden, layout: &layout) })
        output = Linear("out", inputs: hidden, outputs: classes, layout: &layout)
        self.layout = layout
    }

    /// The logits for the batch `x` with weights `w`, the features before the last layer, and the
    /// tape `backward` needs.
    public func forward(_ x: Tensor, _ w: [Float]) -> (logits: Tensor, features: Tensor, tape: Tape) {
        var h = x.reshaped([x.rows, x.rowSize])
        if scaleInput {
            let (scaled, logScale) = InputScaling.apply(h)
            h = FeatureMaps.concatenate(scaled, Tensor(shape: [x.rows, 1], scalars: logScale))
        }
        let (last, tape) = hidden.forward(h, w)
        return (output.forward(last, w), last, Tape(hidden: tape, last: last))
    }

    /// Adds the gradient with respect to the weights of a loss whose gradient with respect to
    /// the logits is `dLogits` into `g`.
    public func backward(_ dLogits: Tensor, _ tape: Tape, _ w: [Float], _ g: inout [Float]) {
        _ = hidden.backward(output.backward(dLogits, input: tape.last, w, &g), tape.hidden, w, &g)
    }
}

/// A convolutional classifier for images — the noise-level classifier of Denoising MCMC
/// (Kim & Ye, 2022: 3×3 convolution + ReLU + 2×2 average pooling per level, then a linear
/// layer to K logits) with a small ReLU head, and ScoreKit's digit classifier.
///
///     input = scale_input ? x/r : x                                 (channels-last inside)
///     h = AvgPool(ReLU(Conv3×3(h)))  per entry of `channels`        convs.0 …
///     f = ReLU(Linear([flatten(h), log r]))                         head   (features)
///     logits = Linear(f)                                            out
///
/// `flatten` reads the final map channels-last (height, width, channel).
public struct CNNClassifierNetwork: ClassifierNetwork {
    /// The configuration the network was built from.
    public let config: NetworkConfig
    /// Where each layer's parameters sit in the flat weight vector.
    public let layout: ParameterLayout
    /// One convolution per level (each followed by ReLU and pooling).
    public let convs: [Conv2d]
    /// The hidden head layer and the layer to the logits.
    public let head: Linear, output: Linear
    /// The number of classes.
    public let classes: Int
    /// Whether the input is divided by its RMS r, with ln r given to the head.
    public let scaleInput: Bool
    /// Rows per call.
    public var preferredBatch: Int { NetworkCost.chunkRows(base: 128, floatsPerRow: workingFloatsPerRow) }

    /// What the backward pass needs.
    public struct Tape {
        let convCaches: [Conv2d.Cache], preActivations: [Tensor], finalShape: [Int]
        let flat: Tensor, preHead: Tensor, features: Tensor
        let input: Tensor, logScale: [Float]
    }

    /// The network a config describes (`channels`, `hidden`, `classes`, `scale_input`).
    public init(_ config: NetworkConfig) throws {
        self.config = config
        guard config.sampleShape.count == 3 else {
            throw NetworkConfigError.invalid(architecture: "cnn-classifier", field: "sample_shape", value: "\(config.sampleShape)")
        }
        let channels = try config.require(config.channels, "channels") { !$0.isEmpty && $0.allSatisfy { $0 > 0 } }
        let hidden = try config.require(config.hidden, "hidden") { $0 > 0 }
        classes = try config.require(config.classes, "classes") { $0 >= 2 }
        scaleInput = config.scaleInput ?? false
        var (h, w) = (config.sampleShape[1], config.sampleShape[2])
        var layout = ParameterLayout()
        var convs: [Conv2d] = []
        var inChannels = config.sampleShape[0]
        for (i, c) in channels.enumerated() {
            guard h % 2 == 0, w % 2 == 0 else {
                throw NetworkConfigError.invalid(architecture: "cnn-classifier", field: "channels",
                                                 value: "\(channels) (too many poolings for \(config.sampleShape))")
            }
            convs.append(Conv2d("convs.\(i)", inChannels: inChannels, outChannels: c, kernel: 3, layout: &layout))
            inChannels = c
            (h, w) = (h / 2, w / 2)
        }
        self.convs = convs
        head = Linear("head", inputs: h * w * inChannels + (scaleInput ? 1 : 0), outputs: hidden, layout: &layout)
        output = Linear("out", inputs: hidden, outputs: classes, layout: &layout)
        self.layout = layout
    }

    /// The logits for the batch `x` with weights `w`, the features before the last layer, and the
    /// tape `backward` needs.
    public func forward(_ x: Tensor, _ w: [Float]) -> (logits: Tensor, features: Tensor, tape: Tape) {
        var input = x, logScale: [Float] = []
        if scaleInput { (input, logScale) = InputScaling.apply(x) }
        var h = FeatureMaps.channelsLast(input)
        var caches: [Conv2d.Cache] = [], pre: [Tensor] = []
        for conv in convs {
            let (z, cache) = conv.forward(h, w)
            caches.append(cache)
            pre.append(z)
            h = FeatureMaps.averagePool(ReLU.forward(z))
        }
        var flat = h.reshaped([x.rows, h.rowSize])
        if scaleInput { flat = FeatureMaps.concatenate(flat, Tensor(shape: [x.rows, 1], scalars: logScale)) }
        let preHead = head.forward(flat, w)
        let features = ReLU.forward(preHead)
        let tape = Tape(convCaches: caches, preActivations: pre, finalShape: h.shape, flat: flat, preHead: preHead,
                        features: features, input: x, logScale: logScale)
        return (output.forward(features, w), features, tape)
    }

    /// Adds the gradient with respect to the weights of a loss whose gradient with respect to
    /// the logits is `dLogits` into `g`.
    public func backward(_ dLogits: Tensor, _ tape: Tape, _ w: [Float], _ g: inout [Float]) {
        _ = backwardToInput(dLogits, tape, w, &g)
    }

    /// `backward`, also returning the gradient with respect to the input `x` (`[N, C, H, W]`),
    /// through the input scaling when the network has it: what classifier guidance needs.
    public func backwardToInput(_ dLogits: Tensor, _ tape: Tape, _ w: [Float], _ g: inout [Float]) -> Tensor {
        let dF = output.backward(dLogits, input: tape.features, w, &g)
        var dFlat = head.backward(ReLU.backward(dF, input: tape.preHead), input: tape.flat, w, &g)
        var dLogScale: [Float] = []
        if scaleInput {
            let (maps, scale) = FeatureMaps.split(dFlat, first: dFlat.shape[1] - 1)
            (dFlat, dLogScale) = (maps, scale.scalars)
        }
        var dh = dFlat.reshaped(tape.finalShape)
        for i in convs.indices.reversed() {
            let dz = ReLU.backward(FeatureMaps.averagePoolBackward(dh), input: tape.preActivations[i])
            dh = convs[i].backward(dz, tape.convCaches[i], w, &g)
        }
        let dInput = FeatureMaps.channelsFirst(dh)
        return scaleInput ? InputScaling.backward(dInput, dLogScale: dLogScale, input: tape.input) : dInput
    }
}
