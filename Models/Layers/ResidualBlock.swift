import ScoreKitCore

/// The residual block of DDPM/EDM U-Nets on channels-last maps, conditioned on the noise
/// embedding `e` (already passed through SiLU):
///
///     h = Conv3×3(SiLU(GroupNorm(x))) + Linear(e)        (one value per channel)
///     y = Skip(x) + Conv3×3(SiLU(GroupNorm(h)))
///
/// `Skip` is the identity when the channel counts agree, else a 1×1 convolution. The second
/// convolution starts at zero, so a fresh block is the identity (or its skip).
public struct ResidualBlock: Sendable {
    /// The layers, in the order of the formula above.
    public let norm1: GroupNorm, conv1: Conv2d, embedding: Linear, norm2: GroupNorm, conv2: Conv2d
    /// The 1×1 skip convolution when the channel counts differ.
    public let skip: Conv2d?

    /// The intermediate values the backward pass needs.
    public struct Cache: Sendable {
        let x: Tensor, e: Tensor
        let norm1: GroupNorm.Cache, n1: Tensor, conv1: Conv2d.Cache
        let norm2: GroupNorm.Cache, n2: Tensor, conv2: Conv2d.Cache
        let skip: Conv2d.Cache?
    }

    /// Registers the block's layers under `name` (`norm1`, `conv1`, `emb`, `norm2`, `conv2`, `skip`).
    public init(_ name: String, inChannels: Int, outChannels: Int, embeddingWidth: Int, groups: Int,
                layout: inout ParameterLayout) {
        norm1 = GroupNorm("\(name).norm1", channels: inChannels, groups: groups, layout: &layout)
        conv1 = Conv2d("\(name).conv1", inChannels: inChannels, outChannels: outChannels, kernel: 3, layout: &layout)
        embedding = Linear("\(name).emb", inputs: embeddingWidth, outputs: outChannels, layout: &layout)
        norm2 = GroupNorm("\(name).norm2", channels: outChannels, groups: groups, layout: &layout)
        conv2 = Conv2d("\(name).conv2", inChannels: outChannels, outChannels: outChannels, kernel: 3, zeroInit: true,
                       layout: &layout)
        skip = inChannels == outChannels ? nil
            : Conv2d("\(name).skip", inChannels: inChannels, outChannels: outChannels, kernel: 1, layout: &layout)
    }

    /// `y` for `x` (`[N, H, W, in]`) and the embedding `e` (`[N, width]`).
    public func forward(_ x: Tensor, _ e: Tensor, _ w: [Float]) -> (Tensor, Cache) {
        let (n1, c1) = norm1.forward(x, w)
        let (h, cc1) = conv1.forward(SiLU.forward(n1), w)
        let conditioned = FeatureMaps.addingPerSample(h, embedding.forward(e, w))
        let (n2, c2) = norm2.forward(conditioned, w)
        let (h2, cc2) = conv2.forward(SiLU.forward(n2), w)
        var skipped = x, skipCache: Conv2d.Cache?
        if let skip { (skipped, skipCache) = skip.forward(x, w) }
        return (skipped + h2, Cache(x: x, e: e, norm1: c1, n1: n1, conv1: cc1, norm2: c2, n2: n2, conv2: cc2, skip: skipCache))
    }

    /// Accumulates the parameter gradients; returns `(dX, dE)`.
    public func backward(_ dy: Tensor, _ cache: Cache, _ w: [Float], _ g: inout [Float]) -> (Tensor, Tensor) {
        let dA2 = conv2.backward(dy, cache.conv2, w, &g)
        let dH = norm2.backward(SiLU.backward(dA2, input: cache.n2), cache.norm2, w, &g)
        let dE = embedding.backward(FeatureMaps.sumOverPixels(dH), input: cache.e, w, &g)
        let dA1 = conv1.backward(dH, cache.conv1, w, &g)
        var dx = norm1.backward(SiLU.backward(dA1, input: cache.n1), cache.norm1, w, &g)
        if let skip, let skipCache = cache.skip {
            dx = dx + skip.backward(dy, skipCache, w, &g)
        } else {
            dx = dx + dy
        }
        return (dx, dE)
    }
}
