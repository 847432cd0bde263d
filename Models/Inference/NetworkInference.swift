import ScoreKitCore

/// A denoiser network with an inference pass on packed weights and a workspace: what sampling
/// runs. Networks without one fall back to `forward`.
protocol InferenceDenoiserNetwork: DenoiserNetwork {
    /// `F(x, c_noise | class)` for `labels.count` rows at `x` (`[N] + sampleShape`) into `out`;
    /// `classes` (one per row, nil = ∅) is read by class-conditional networks only.
    func infer(_ x: UnsafePointer<Float>, labels: [Float], classes: [Int?], _ pass: InferencePass, into out: UnsafeMutablePointer<Float>)
}

extension InferenceDenoiserNetwork {
    /// `F(x, c_noise)` with every class label ∅ (the unconditional estimate).
    func infer(_ x: UnsafePointer<Float>, labels: [Float], _ pass: InferencePass, into out: UnsafeMutablePointer<Float>) {
        infer(x, labels: labels, classes: Array(repeating: nil, count: labels.count), pass, into: out)
    }
}

/// A classifier network with an inference pass for its logits.
protocol InferenceClassifierNetwork: ClassifierNetwork {
    /// The logits `[rows, classes]` of `rows` inputs at `x` into `out`.
    func inferLogits(_ x: UnsafePointer<Float>, rows: Int, _ pass: InferencePass, into out: UnsafeMutablePointer<Float>)
}

extension MLPDenoiserNetwork: InferenceDenoiserNetwork {
    func infer(_ x: UnsafePointer<Float>, labels: [Float], classes: [Int?], _ pass: InferencePass, into out: UnsafeMutablePointer<Float>) {
        let rows = labels.count, d = config.sampleShape.reduce(1, *), width = d + embedding.features
        let input = pass.buffer(rows * width), features = pass.buffer(rows * embedding.features)
        embedding.write(labels, into: features)
        for r in 0..<rows {     // plain loops: rows are a few values, too short for memmove calls
            let row = input + r * width, f = features + r * embedding.features
            for j in 0..<d { row[j] = x[r * d + j] }
            for j in 0..<embedding.features { row[d + j] = f[j] }
        }
        let last = hidden.infer(rows: rows, input, pass)
        output.apply(rows: rows, last, pass.parameters[output.weight], pass.w, into: out)
    }
}

extension SiLUStack {
    /// The last hidden activation of `rows` rows.
    func infer(rows: Int, _ x: UnsafePointer<Float>, _ pass: InferencePass) -> UnsafeMutablePointer<Float> {
        var h = UnsafeMutablePointer(mutating: x)
        for layer in layers { h = pass.linear(layer, rows: rows, h, .silu) }
        return h
    }
}

extension UNetNetwork: InferenceDenoiserNetwork {
    func infer(_ x: UnsafePointer<Float>, labels: [Float], classes: [Int?], _ pass: InferencePass, into out: UnsafeMutablePointer<Float>) {
        let n = labels.count, (cin, h, w) = (sampleShape[0], sampleShape[1], sampleShape[2]), pixels = h * w
        let (c0, c1) = (enc0.conv2.outChannels, mid.conv2.outChannels)
        let e = embed.infer(labels, pass)
        labelEmbed?.add(classes, pass.w, to: e)
        let input = pass.buffer(n * pixels * cin)
        FeatureMaps.transpose(x, images: n, channels: cin, pixels: pixels, toChannelsFirst: false, into: input)
        let h0 = pass.conv(convIn, images: n, height: h, width: w, input)
        let s = enc0.infer(h0, images: n, height: h, width: w, e, pass)
        let pooled = pass.buffer(n * pixels / 4 * c0)
        FeatureMaps.averagePool(s, images: n, height: h, width: w, channels: c0, into: pooled)
        let d1 = enc1.infer(pooled, images: n, height: h / 2, width: w / 2, e, pass)
        let h1 = mid.infer(d1, images: n, height: h / 2, width: w / 2, e, pass)
        let joined = pass.buffer(n * pixels * (c0 + c1))
        FeatureMaps.upsampleAndConcatenate(h1, channels: c1, s, channels: c0, images: n, height: h, width: w, into: joined)
        let h2 = dec0.infer(joined, images: n, height: h, width: w, e, pass)
        let a = pass.normSiLU(normOut, images: n, pixels: pixels, h2)
        let f = pass.conv(convOut, images: n, height: h, width: w, a)
        FeatureMaps.transpose(f, images: n, channels: cin, pixels: pixels, toChannelsFirst: true, into: out)
    }
}

extension MLPClassifierNetwork: InferenceClassifierNetwork {
    func inferLogits(_ x: UnsafePointer<Float>, rows: Int, _ pass: InferencePass, into out: UnsafeMutablePointer<Float>) {
        let d = config.sampleShape.reduce(1, *)
        let input = InputScaling.write(x, rows: rows, values: d, logScale: scaleInput, pass)
        let last = hidden.infer(rows: rows, input, pass)
        output.apply(rows: rows, last, pass.parameters[output.weight], pass.w, into: out)
    }
}

extension CNNClassifierNetwork: InferenceClassifierNetwork {
    func inferLogits(_ x: UnsafePointer<Float>, rows: Int, _ pass: InferencePass, into out: UnsafeMutablePointer<Float>) {
        let (cin, h0, w0) = (config.sampleShape[0], config.sampleShape[1], config.sampleShape[2])
        let values = cin * h0 * w0
        let logScales = scaleInput ? pass.buffer(rows) : nil
        let input = scaleInput
            ? UnsafePointer(InputScaling.write(x, rows: rows, values: values, logScale: false, logs: logScales, pass)) : x
        var (h, w, c) = (h0, w0, cin)
        var map = pass.buffer(rows * values)
        FeatureMaps.transpose(input, images: rows, channels: c, pixels: h * w, toChannelsFirst: false, into: map)
        for conv in convs {
            let z = pass.conv(conv, images: rows, height: h, width: w, map, GEMMEpilogue(activation: .relu))
            c = conv.outChannels
            map = pass.buffer(rows * h * w * c / 4)
            FeatureMaps.averagePool(z, images: rows, height: h, width: w, channels: c, into: map)
            (h, w) = (h / 2, w / 2)
        }
        var flat = map, width = h * w * c
        if let logScales {
            flat = pass.buffer(rows * (width + 1))
            for r in 0..<rows {
                (flat + r * (width + 1)).update(from: map + r * width, count: width)
                flat[r * (width + 1) + width] = logScales[r]
            }
            width += 1
        }
        let features = pass.linear(head, rows: rows, flat, .relu)
        output.apply(rows: rows, features, pass.parameters[output.weight], pass.w, into: out)
    }
}

extension InputScaling {
    /// `apply` on raw rows: the scaled rows, with `ln r` appended to each row when `logScale`;
    /// each row's `ln r` also goes to `logs` when given.
    static func write(_ x: UnsafePointer<Float>, rows: Int, values n: Int, logScale: Bool,
                      logs: UnsafeMutablePointer<Float>? = nil, _ pass: InferencePass) -> UnsafeMutablePointer<Float> {
        let width = n + (logScale ? 1 : 0), out = pass.buffer(rows * width)
        for r in 0..<rows {
            let (inverse, log) = scale(x + r * n, count: n)
            for j in 0..<n { out[r * width + j] = x[r * n + j] * inverse }
            if logScale { out[r * width + n] = log }
            logs?[r] = log
        }
        return out
    }
}
