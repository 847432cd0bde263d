import ScoreKitCore

/// What one network call costs per sample: the workspace floats its inference pass takes (the
/// pass's buffers, each allocated once per call, see `Workspace`) and its floating-point
/// operations. Calls run in chunks sized so a chunk's workspace stays within
/// `callMemoryBudget`; a network whose single sample needs more is refused when it is built.
public enum NetworkCost {
    /// The most workspace memory one network call may use: 128 MiB.
    public static let callMemoryBudget = 128 << 20

    /// Rows per call: `base`, fewer when `base` rows would exceed `callMemoryBudget`.
    static func chunkRows(base: Int, floatsPerRow: Int) -> Int {
        max(1, min(base, callMemoryBudget / max(1, 4 * floatsPerRow)))
    }

    /// The floats a residual block's pass takes per image (`ResidualBlock.infer`).
    static func residualBlockFloats(in cin: Int, out cout: Int, pixels: Int) -> Int {
        cout + pixels * (cin + 3 * cout)
    }

    /// Floating-point operations of the products of `layout` for one row: 2·in·out per linear
    /// weight, 2·out·in·k²·pixels per convolution weight, with `pixels(name)` the map size a
    /// convolution runs at.
    static func flops(_ layout: ParameterLayout, pixels: (String) -> Int) -> Double {
        layout.slots.reduce(0.0) { total, slot in
            guard slot.name.hasSuffix(".weight") else { return total }
            switch slot.shape.count {
            case 2: return total + 2 * Double(slot.shape[0]) * Double(slot.shape[1])
            case 4: return total + 2 * Double(slot.count) * Double(pixels(slot.name))
            default: return total
            }
        }
    }

    /// Refuses a network whose one sample needs more than `callMemoryBudget`, with the estimate.
    static func check(_ config: NetworkConfig, floatsPerRow: Int) throws {
        let bytes = 4 * Double(floatsPerRow)
        guard bytes <= Double(callMemoryBudget) else {
            throw NetworkConfigError.badShape(
                architecture: config.architecture,
                problem: "sample_shape \(config.sampleShape): one sample needs about \(formatBytes(bytes)) of working memory per call, above the limit of \(formatBytes(Double(callMemoryBudget)))")
        }
    }
}

/// A byte count as `12.3 MB`, `4.1 GB`, … (powers of 1024, one decimal).
public func formatBytes(_ bytes: Double) -> String {
    let units = ["bytes", "KB", "MB", "GB", "TB", "PB", "EB"]
    var value = bytes, unit = 0
    while value >= 1024, unit < units.count - 1 { value /= 1024; unit += 1 }
    return unit == 0 ? "\(Int(value)) bytes" : String(format: "%.1f %@", value, units[unit])
}

extension MLPDenoiserNetwork {
    /// Workspace floats per row of `TrainedDenoiser`'s call: its input and output rows, the
    /// network's input, Fourier features and hidden layers.
    public var workingFloatsPerRow: Int {
        let d = config.sampleShape.reduce(1, *), f = embedding.features
        return 2 * d + (d + f) + f + hidden.layers.count * output.inputs + 64
    }
    /// Multiply-adds ×2 per row.
    public var flopsPerRow: Double { NetworkCost.flops(layout) { _ in 1 } }
}

extension UNetNetwork {
    /// Workspace floats per row of `TrainedDenoiser`'s call (see `UNetNetwork.infer`).
    public var workingFloatsPerRow: Int {
        let s = config.sampleShape, n = s[0] * s[1] * s[2], p = s[1] * s[2]
        let (c0, c1) = (enc0.conv2.outChannels, mid.conv2.outChannels)
        let embedding = embed.fourier.features + 2 * embed.second.outputs
        let blocks = NetworkCost.residualBlockFloats(in: c0, out: c0, pixels: p)
            + NetworkCost.residualBlockFloats(in: c0, out: c1, pixels: p / 4)
            + NetworkCost.residualBlockFloats(in: c1, out: c1, pixels: p / 4)
            + NetworkCost.residualBlockFloats(in: c0 + c1, out: c0, pixels: p)
        let maps = n + p * c0 + p / 4 * c0 + p * (c0 + c1) + p * c0 + n
        return 2 * n + embedding + blocks + maps + 64
    }
    /// Multiply-adds ×2 per row (encoder-1 and middle blocks at a quarter of the pixels).
    public var flopsPerRow: Double {
        let p = config.sampleShape[1] * config.sampleShape[2]
        return NetworkCost.flops(layout) { $0.hasPrefix("enc1.") || $0.hasPrefix("mid.") ? p / 4 : p }
    }
}

extension MLPClassifierNetwork {
    /// Workspace floats per row of an inference pass.
    public var workingFloatsPerRow: Int {
        config.sampleShape.reduce(1, *) + 1 + hidden.layers.count * output.inputs + classes + 64
    }
    /// Multiply-adds ×2 per row.
    public var flopsPerRow: Double { NetworkCost.flops(layout) { _ in 1 } }
}

extension CNNClassifierNetwork {
    /// Workspace floats per row of an inference pass (see `CNNClassifierNetwork.inferLogits`).
    public var workingFloatsPerRow: Int {
        let s = config.sampleShape, n = s[0] * s[1] * s[2]
        var p = s[1] * s[2], total = 1 + 2 * n
        for conv in convs {
            total += p * conv.outChannels + p / 4 * conv.outChannels
            p /= 4
        }
        return total + head.inputs + head.outputs + classes + 64
    }
    /// Multiply-adds ×2 per row (convolution i at the pixels left after i poolings).
    public var flopsPerRow: Double {
        let p = config.sampleShape[1] * config.sampleShape[2]
        return NetworkCost.flops(layout) { name in
            guard name.hasPrefix("convs."), let i = Int(name.dropFirst(6).prefix { $0 != "." }) else { return 1 }
            return p >> (2 * i)
        }
    }
}
