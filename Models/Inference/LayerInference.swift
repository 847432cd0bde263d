import ScoreKitCore

/// One inference pass: packed weights, the flat vector they came from, and the workspace the
/// pass takes its buffers from. The layers' `infer` methods below are their `forward` passes
/// without a cache, on raw buffers, with the element-wise steps fused into the products.
struct InferencePass {
    /// The packed weights.
    let parameters: PackedParameters
    /// `parameters.weights`, as a pointer for the pass.
    let w: UnsafeBufferPointer<Float>
    /// Where buffers come from.
    let workspace: Workspace

    /// A buffer of `count` floats from the workspace.
    func buffer(_ count: Int) -> UnsafeMutablePointer<Float> { workspace.floats(count) }

    /// `rows` rows through `layer` into a new buffer.
    func linear(_ layer: Linear, rows: Int, _ x: UnsafePointer<Float>,
                _ activation: GEMMEpilogue.Activation = .none) -> UnsafeMutablePointer<Float> {
        let y = buffer(rows * layer.outputs)
        layer.apply(rows: rows, x, parameters[layer.weight], w, into: y, activation)
        return y
    }

    /// `images` maps of `height × width` through `conv` into `y` (a new buffer when nil).
    @discardableResult
    func conv(_ conv: Conv2d, images: Int, height: Int, width: Int, _ x: UnsafePointer<Float>,
              into y: UnsafeMutablePointer<Float>? = nil, _ epilogue: GEMMEpilogue = GEMMEpilogue()) -> UnsafeMutablePointer<Float> {
        let out = y ?? buffer(images * height * width * conv.outChannels)
        conv.apply(images: images, height: height, width: width, x, parameters[conv.weight], w, into: out, epilogue)
        return out
    }

    /// `SiLU(GroupNorm(x))` into a new buffer.
    func normSiLU(_ norm: GroupNorm, images: Int, pixels: Int, _ x: UnsafePointer<Float>) -> UnsafeMutablePointer<Float> {
        let y = buffer(images * pixels * norm.channels)
        norm.applyWithSiLU(images: images, pixels: pixels, x, w, into: y)
        return y
    }
}

extension NoiseEmbeddingMLP {
    /// The embedding `[rows, width]` of each label: `SiLU(Linear(SiLU(Linear(fourier(c)))))`.
    func infer(_ labels: [Float], _ pass: InferencePass) -> UnsafeMutablePointer<Float> {
        let features = pass.buffer(labels.count * fourier.features)
        fourier.write(labels, into: features)
        let hidden = pass.linear(first, rows: labels.count, features, .silu)
        return pass.linear(second, rows: labels.count, hidden, .silu)
    }
}

extension ResidualBlock {
    /// The block on `images` channels-last maps of `height × width`, with the embedding `e`.
    func infer(_ x: UnsafePointer<Float>, images: Int, height: Int, width: Int, _ e: UnsafePointer<Float>,
               _ pass: InferencePass) -> UnsafeMutablePointer<Float> {
        let pixels = height * width
        let projected = pass.linear(embedding, rows: images, e)
        let a = pass.normSiLU(norm1, images: images, pixels: pixels, x)
        let h = pass.conv(conv1, images: images, height: height, width: width, a,
                          GEMMEpilogue(rowBias: projected, rowBiasGroup: pixels))
        let b = pass.normSiLU(norm2, images: images, pixels: pixels, h)
        let y: UnsafeMutablePointer<Float>
        if let skip {
            y = pass.conv(skip, images: images, height: height, width: width, x)
        } else {
            y = pass.buffer(images * pixels * conv2.outChannels)
            y.update(from: x, count: images * pixels * conv2.outChannels)
        }
        pass.conv(conv2, images: images, height: height, width: width, b, into: y, GEMMEpilogue(accumulate: true))
        return y
    }
}

extension FeatureMaps {
    /// `[N, C, H, W]` ↔ `[N, H, W, C]` on raw buffers: `channelsFirst` false transposes to
    /// channels-last, true back.
    static func transpose(_ x: UnsafePointer<Float>, images: Int, channels c: Int, pixels: Int,
                          toChannelsFirst: Bool, into y: UnsafeMutablePointer<Float>) {
        for s in 0..<images {
            for k in 0..<c {
                for p in 0..<pixels {
                    let first = (s * c + k) * pixels + p, last = (s * pixels + p) * c + k
                    if toChannelsFirst { y[first] = x[last] } else { y[last] = x[first] }
                }
            }
        }
    }

    /// 2×2 average pooling of `images` channels-last maps into `y`.
    static func averagePool(_ x: UnsafePointer<Float>, images: Int, height h: Int, width w: Int, channels c: Int,
                            into y: UnsafeMutablePointer<Float>) {
        for s in 0..<images {
            for i in 0..<(h / 2) {
                for j in 0..<(w / 2) {
                    let dst = y + ((s * h / 2 + i) * w / 2 + j) * c
                    let a = x + ((s * h + 2 * i) * w + 2 * j) * c, b = a + w * c
                    for k in 0..<c { dst[k] = 0.25 * ((a[k] + a[c + k]) + (b[k] + b[c + k])) }
                }
            }
        }
    }

    /// `[upsample(low), high]` along channels: `low` is `h/2 × w/2 × cl`, `high` is `h × w × ch`.
    static func upsampleAndConcatenate(_ low: UnsafePointer<Float>, channels cl: Int, _ high: UnsafePointer<Float>,
                                       channels ch: Int, images: Int, height h: Int, width w: Int,
                                       into y: UnsafeMutablePointer<Float>) {
        for s in 0..<images {
            for i in 0..<h {
                for j in 0..<w {
                    let p = (s * h + i) * w + j, dst = y + p * (cl + ch)
                    dst.update(from: low + ((s * h / 2 + i / 2) * w / 2 + j / 2) * cl, count: cl)
                    (dst + cl).update(from: high + p * ch, count: ch)
                }
            }
        }
    }
}
