import ScoreKitCore

/// A small U-Net for images (the 8×8 digits): one down and one up level with a skip.
///
///     e   = SiLU(Linear(SiLU(Linear(fourier(c_noise)))))            embed.0, embed.1
///           [+ E[c]   class-conditional: row c of a learned table, row K for ∅]  label_embed
///     h0  = Conv3×3(x_in)                              c0 @ H×W     conv_in
///     s   = Res(h0, e)                                 c0 @ H×W     enc0   (kept for the skip)
///     h1  = Res(Res(AvgPool(s), e), e)                 c1 @ H/2     enc1, mid
///     h2  = Res([Upsample(h1), s], e)                  c0 @ H×W     dec0   (concatenation skip)
///     F   = Conv3×3(SiLU(GroupNorm(h2)))                1 @ H×W     norm_out, conv_out (starts at zero)
///
/// With `label_classes: K` in the config the network is class-conditional: the label's row of
/// a `[K + 1, width]` table is added to the (activated) noise embedding `e`, so it reaches
/// every residual block through the block's own projection of `e`.
///
/// Inside, feature maps are channels-last; the input and output are `[N, C, H, W]`.
public struct UNetNetwork: DenoiserNetwork {
    /// The configuration the network was built from.
    public let config: NetworkConfig
    /// Where each layer's parameters sit in the flat weight vector.
    public let layout: ParameterLayout
    /// The noise embedding.
    public let embed: NoiseEmbeddingMLP
    /// The class-label table of a conditional network (nil: unconditional).
    public let labelEmbed: LabelEmbedding?
    /// The layers, named as in the diagram above.
    public let convIn: Conv2d, enc0: ResidualBlock, enc1: ResidualBlock, mid: ResidualBlock, dec0: ResidualBlock
    /// The output normalisation and convolution.
    public let normOut: GroupNorm, convOut: Conv2d
    /// Rows per call (keeps the feature maps of one call near 1 MB per layer).
    public var preferredBatch: Int { NetworkCost.chunkRows(base: 64, floatsPerRow: workingFloatsPerRow) }

    /// What the backward pass needs.
    public struct Tape {
        let embed: NoiseEmbeddingMLP.Cache, e: Tensor, classes: [Int?]
        let convIn: Conv2d.Cache, enc0: ResidualBlock.Cache, enc1: ResidualBlock.Cache, mid: ResidualBlock.Cache
        let dec0: ResidualBlock.Cache, normOut: GroupNorm.Cache, preOut: Tensor, convOut: Conv2d.Cache
        let downChannels: Int
    }

    /// The network a config describes (`channels` = [c0, c1], `groups`, `embedding_features`,
    /// `embedding_max_frequency`, `embedding_width`, and optionally `label_classes`).
    public init(_ config: NetworkConfig) throws {
        self.config = config
        guard config.sampleShape.count == 3, config.sampleShape[1] % 2 == 0, config.sampleShape[2] % 2 == 0 else {
            throw NetworkConfigError.invalid(architecture: "unet", field: "sample_shape", value: "\(config.sampleShape)")
        }
        let channels = try config.require(config.channels, "channels") { $0.count == 2 && $0.allSatisfy { $0 > 0 } }
        let groups = try config.require(config.groups, "groups") { g in g > 0 && channels.allSatisfy { $0 % g == 0 } }
        let features = try config.require(config.embeddingFeatures, "embedding_features") { $0 >= 2 && $0 % 2 == 0 }
        let maxFrequency = try config.require(config.embeddingMaxFrequency, "embedding_max_frequency") { $0 > 0 }
        let width = try config.require(config.embeddingWidth, "embedding_width") { $0 > 0 }
        let (c0, c1, inputChannels) = (channels[0], channels[1], config.sampleShape[0])
        guard (c0 + c1) % groups == 0 else {
            throw NetworkConfigError.invalid(architecture: "unet", field: "groups", value: "\(groups) (must divide c0 + c1)")
        }
        var layout = ParameterLayout()
        embed = NoiseEmbeddingMLP("embed", features: features, maxFrequency: maxFrequency, width: width, layout: &layout)
        let classes = try config.labelClasses.map { k in
            try config.require(k, "label_classes") { (1...NetworkConfig.maxLabelClasses).contains($0) }
        }
        labelEmbed = classes.map { LabelEmbedding("label_embed", classes: $0, width: width, layout: &layout) }
        convIn = Conv2d("conv_in", inChannels: inputChannels, outChannels: c0, kernel: 3, layout: &layout)
        enc0 = ResidualBlock("enc0", inChannels: c0, outChannels: c0, embeddingWidth: width, groups: groups, layout: &layout)
        enc1 = ResidualBlock("enc1", inChannels: c0, outChannels: c1, embeddingWidth: width, groups: groups, layout: &layout)
        mid = ResidualBlock("mid", inChannels: c1, outChannels: c1, embeddingWidth: width, groups: groups, layout: &layout)
        dec0 = ResidualBlock("dec0", inChannels: c1 + c0, outChannels: c0, embeddingWidth: width, groups: groups, layout: &layout)
        normOut = GroupNorm("norm_out", channels: c0, groups: groups, layout: &layout)
        convOut = Conv2d("conv_out", inChannels: c0, outChannels: inputChannels, kernel: 3, zeroInit: true, layout: &layout)
        self.layout = layout
    }

    /// The number of class labels (nil: unconditional).
    public var labelClasses: Int? { labelEmbed?.classes }

    /// The raw output F for the scaled input `x` and noise labels c_noise with weights `w`
    /// (class labels ∅ for a conditional network), and the tape `backward` needs.
    public func forward(_ x: Tensor, labels: [Float], _ w: [Float]) -> (Tensor, Tape) {
        forward(x, labels: labels, classes: Array(repeating: nil, count: labels.count), w)
    }

    /// The raw output F for the scaled input `x`, noise labels c_noise and class labels
    /// (`nil`: ∅; ignored by an unconditional network) with weights `w`, and the tape.
    public func forward(_ x: Tensor, labels: [Float], classes: [Int?], _ w: [Float]) -> (Tensor, Tape) {
        precondition(classes.count == labels.count, "UNetNetwork: \(classes.count) class labels for \(labels.count) rows")
        var (e, embedCache) = embed.forward(labels, w)
        if let labelEmbed { e = labelEmbed.forward(e, labels: classes, w) }
        let (h0, convInCache) = convIn.forward(FeatureMaps.channelsLast(x), w)
        let (s, enc0Cache) = enc0.forward(h0, e, w)
        let (d1, enc1Cache) = enc1.forward(FeatureMaps.averagePool(s), e, w)
        let (h1, midCache) = mid.forward(d1, e, w)
        let joined = FeatureMaps.concatenate(FeatureMaps.upsample(h1), s)
        let (h2, dec0Cache) = dec0.forward(joined, e, w)
        let (n, normCache) = normOut.forward(h2, w)
        let (out, convOutCache) = convOut.forward(SiLU.forward(n), w)
        let tape = Tape(embed: embedCache, e: e, classes: classes, convIn: convInCache, enc0: enc0Cache, enc1: enc1Cache, mid: midCache,
                        dec0: dec0Cache, normOut: normCache, preOut: n, convOut: convOutCache, downChannels: h1.shape[3])
        return (FeatureMaps.channelsFirst(out), tape)
    }

    /// Adds the weights' gradient of a loss with gradient `dy` with respect to F into `g`;
    /// returns the gradient with respect to the input.
    public func backward(_ dy: Tensor, _ tape: Tape, _ w: [Float], _ g: inout [Float]) -> Tensor {
        let dA = convOut.backward(FeatureMaps.channelsLast(dy), tape.convOut, w, &g)
        let dH2 = normOut.backward(SiLU.backward(dA, input: tape.preOut), tape.normOut, w, &g)
        let (dJoined, dE3) = dec0.backward(dH2, tape.dec0, w, &g)
        let (dUp, dSkip) = FeatureMaps.split(dJoined, first: tape.downChannels)
        let (dD1, dE2) = mid.backward(FeatureMaps.upsampleBackward(dUp), tape.mid, w, &g)
        let (dPooled, dE1) = enc1.backward(dD1, tape.enc1, w, &g)
        let (dH0, dE0) = enc0.backward(FeatureMaps.averagePoolBackward(dPooled) + dSkip, tape.enc0, w, &g)
        let dX = convIn.backward(dH0, tape.convIn, w, &g)
        if !g.isEmpty {                 // the embeddings depend on σ and the label, not on x
            let dE = dE0 + dE1 + dE2 + dE3
            labelEmbed?.backward(dE, labels: tape.classes, &g)
            embed.backward(dE, tape.embed, w, &g)
        }
        return FeatureMaps.channelsFirst(dX)
    }
}
