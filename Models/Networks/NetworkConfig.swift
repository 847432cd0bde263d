import Foundation
import ScoreKitCore

/// The architecture and sizes of one network, as a checkpoint's config records them. One
/// struct for every architecture; each uses the fields it needs and says which is missing.
///
/// | architecture | fields |
/// |---|---|
/// | `mlp-denoiser` | `hidden`, `depth`, `embedding_features`, `embedding_max_frequency` |
/// | `unet` | `channels` (two levels), `groups`, `embedding_features`, `embedding_max_frequency`, `embedding_width`, optional `label_classes` |
/// | `mlp-classifier` | `hidden`, `depth`, `classes`, `scale_input` |
/// | `cnn-classifier` | `channels` (one per conv + pool), `hidden`, `classes`, `scale_input` |
public struct NetworkConfig: Codable, Sendable, Hashable {
    /// Which architecture (see the table).
    public var architecture: String
    /// The shape of one input sample, e.g. `[2]` or `[1, 8, 8]`.
    public var sampleShape: [Int]
    /// Width of the hidden layers (MLPs, the CNN head).
    public var hidden: Int?
    /// Number of hidden layers (MLPs).
    public var depth: Int?
    /// Channels per level (U-Net: [c0, c1]; CNN: one per convolution).
    public var channels: [Int]?
    /// GroupNorm groups (U-Net).
    public var groups: Int?
    /// Fourier features of the noise label (denoisers).
    public var embeddingFeatures: Int?
    /// The highest Fourier frequency.
    public var embeddingMaxFrequency: Double?
    /// Width of the U-Net's noise embedding.
    public var embeddingWidth: Int?
    /// Output classes of a classifier (the number of noise levels K, or 10 digits).
    public var classes: Int?
    /// Class-conditional U-Net: the number of class labels K (a learned table of K + 1
    /// embeddings, row K for ∅, is added to the noise embedding); nil for an unconditional one.
    public var labelClasses: Int?
    /// Classifiers: divide the input by its root mean square r and give `log r` to the head, so
    /// one network sees inputs whose scale spans σ from 0.002 to 80.
    public var scaleInput: Bool?

    /// A config; fields an architecture does not use stay nil.
    public init(architecture: String, sampleShape: [Int], hidden: Int? = nil, depth: Int? = nil,
                channels: [Int]? = nil, groups: Int? = nil, embeddingFeatures: Int? = nil,
                embeddingMaxFrequency: Double? = nil, embeddingWidth: Int? = nil, classes: Int? = nil,
                scaleInput: Bool? = nil, labelClasses: Int? = nil) {
        self.labelClasses = labelClasses
        self.architecture = architecture
        self.sampleShape = sampleShape
        self.hidden = hidden
        self.depth = depth
        self.channels = channels
        self.groups = groups
        self.embeddingFeatures = embeddingFeatures
        self.embeddingMaxFrequency = embeddingMaxFrequency
        self.embeddingWidth = embeddingWidth
        self.classes = classes
        self.scaleInput = scaleInput
    }

    /// The value of a required field, or an error naming it.
    func require<T>(_ value: T?, _ field: String, where valid: (T) -> Bool = { _ in true }) throws -> T {
        guard let value else { throw NetworkConfigError.missing(architecture: architecture, field: field) }
        guard valid(value) else { throw NetworkConfigError.invalid(architecture: architecture, field: field, value: "\(value)") }
        return value
    }

    /// The largest width, depth, sample rank and sample size a config may ask for, so that a
    /// hostile checkpoint cannot make the reader build an enormous network before its tensors
    /// are checked: widths 2¹⁶, depth 64, 4 sample dimensions, 2²⁴ values per sample.
    public static let maxWidth = 1 << 16, maxDepth = 64, maxSampleRank = 4, maxSampleValues = 1 << 24
    /// The most class labels a conditional network may have.
    public static let maxLabelClasses = 1000

    /// Checks the sample shape and every size field against the limits (products with
    /// overflow checks).
    func checkLimits() throws {
        func bad(_ field: String, _ value: Any) -> NetworkConfigError {
            .invalid(architecture: architecture, field: field, value: "\(value)")
        }
        do {
            _ = try ShapeCheck.count(sampleShape, limit: Self.maxSampleValues)
        } catch let problem as ShapeProblem {
            throw NetworkConfigError.badShape(architecture: architecture, problem: "sample_shape: \(problem)")
        }
        guard sampleShape.count <= Self.maxSampleRank else {
            throw NetworkConfigError.badShape(architecture: architecture,
                                              problem: "sample_shape \(sampleShape) has \(sampleShape.count) dimensions; at most \(Self.maxSampleRank)")
        }
        let widths: [(String, Int?)] = [("hidden", hidden), ("groups", groups), ("embedding_features", embeddingFeatures),
                                        ("embedding_width", embeddingWidth), ("classes", classes)]
        for (field, value) in widths {
            if let value, !(1...Self.maxWidth).contains(value) { throw bad(field, value) }
        }
        if let depth, !(1...Self.maxDepth).contains(depth) { throw bad("depth", depth) }
        if let labelClasses, !(1...Self.maxLabelClasses).contains(labelClasses) { throw bad("label_classes", labelClasses) }
        if let channels, channels.count > Self.maxDepth || !channels.allSatisfy({ (1...Self.maxWidth).contains($0) }) {
            throw bad("channels", channels)
        }
        if let f = embeddingMaxFrequency, !(f.isFinite && f > 0 && f < 1e6) { throw bad("embedding_max_frequency", f) }
    }

    /// The architectures of denoiser networks.
    public static let denoiserArchitectures = ["mlp-denoiser", "unet"]
    /// The architectures of classifier networks.
    public static let classifierArchitectures = ["mlp-classifier", "cnn-classifier"]

    /// The denoiser network this config describes.
    public func denoiserNetwork() throws -> any DenoiserNetwork {
        try checkLimits()
        let network: any DenoiserNetwork
        switch architecture {
        case "mlp-denoiser": network = try MLPDenoiserNetwork(self)
        case "unet": network = try UNetNetwork(self)
        default: throw NetworkConfigError.unknownArchitecture(architecture, valid: Self.denoiserArchitectures)
        }
        try NetworkCost.check(self, floatsPerRow: network.workingFloatsPerRow)
        return network
    }

    /// The classifier network this config describes.
    public func classifierNetwork() throws -> any ClassifierNetwork {
        try checkLimits()
        let network: any ClassifierNetwork
        switch architecture {
        case "mlp-classifier": network = try MLPClassifierNetwork(self)
        case "cnn-classifier": network = try CNNClassifierNetwork(self)
        default: throw NetworkConfigError.unknownArchitecture(architecture, valid: Self.classifierArchitectures)
        }
        try NetworkCost.check(self, floatsPerRow: network.workingFloatsPerRow)
        return network
    }
}

/// A config that does not describe a network.
public enum NetworkConfigError: Error, Equatable, CustomStringConvertible {
    case unknownArchitecture(String, valid: [String])
    case missing(architecture: String, field: String)
    case invalid(architecture: String, field: String, value: String)
    /// The sample shape breaks a rule (`ShapeCheck`) or a limit.
    case badShape(architecture: String, problem: String)

    /// The message.
    public var description: String {
        switch self {
        case let .badShape(architecture, problem): "\(architecture): \(problem)"
        case let .unknownArchitecture(name, valid):
            "unknown architecture '\(name)'; expected one of \(valid.joined(separator: ", "))"
        case let .missing(architecture, field): "\(architecture): the config has no '\(field)'"
        case let .invalid(architecture, field, value): "\(architecture): '\(field)' = \(value) is not valid"
        }
    }
}

/// A network that predicts `F(x_in, c_noise)`, the raw output inside EDM's preconditioning.
public protocol DenoiserNetwork: Sendable {
    /// What the forward pass keeps for the backward pass.
    associatedtype Tape
    /// The config it was built from.
    var config: NetworkConfig { get }
    /// Its parameter tensors.
    var layout: ParameterLayout { get }
    /// Rows per call that keep memory modest (im2col buffers grow with the batch).
    var preferredBatch: Int { get }
    /// Workspace floats one row of an inference call takes (`NetworkCost`).
    var workingFloatsPerRow: Int { get }
    /// Floating-point operations of one row's forward pass (an estimate from the products).
    var flopsPerRow: Double { get }
    /// `F` for inputs `x` (`[N] + sampleShape`) and noise labels `c_noise` (one per row).
    func forward(_ x: Tensor, labels: [Float], _ w: [Float]) -> (Tensor, Tape)
    /// Accumulates the parameter gradients into `g`; returns the gradient with respect to `x`.
    /// An empty `g` asks for the gradient with respect to `x` alone (vector–Jacobian products).
    func backward(_ dy: Tensor, _ tape: Tape, _ w: [Float], _ g: inout [Float]) -> Tensor
    /// The number of class labels of a class-conditional network; nil for an unconditional one.
    var labelClasses: Int? { get }
    /// `F` for inputs `x`, noise labels `c_noise` and a class label per row (`nil`: ∅). An
    /// unconditional network ignores the classes.
    func forward(_ x: Tensor, labels: [Float], classes: [Int?], _ w: [Float]) -> (Tensor, Tape)
}

extension DenoiserNetwork {
    /// Unconditional, unless the network says otherwise.
    public var labelClasses: Int? { nil }
    /// Unconditional networks ignore the classes.
    public func forward(_ x: Tensor, labels: [Float], classes: [Int?], _ w: [Float]) -> (Tensor, Tape) {
        forward(x, labels: labels, w)
    }
}

extension DenoiserNetwork {
    /// The shape of one sample.
    public var sampleShape: [Int] { config.sampleShape }
    /// `F(x, c_noise)` without keeping a tape.
    public func callAsFunction(_ x: Tensor, labels: [Float], _ w: [Float]) -> Tensor { forward(x, labels: labels, w).0 }
}

/// A network that maps a sample to logits over `classes` classes.
public protocol ClassifierNetwork: Sendable {
    /// What the forward pass keeps for the backward pass.
    associatedtype Tape
    var config: NetworkConfig { get }
    var layout: ParameterLayout { get }
    /// The number of classes.
    var classes: Int { get }
    /// Rows per call that keep memory modest.
    var preferredBatch: Int { get }
    /// Workspace floats one row of an inference call takes (`NetworkCost`).
    var workingFloatsPerRow: Int { get }
    /// Floating-point operations of one row's forward pass (an estimate from the products).
    var flopsPerRow: Double { get }
    /// Logits `[N, classes]` and the penultimate features, for inputs `[N] + sampleShape`.
    func forward(_ x: Tensor, _ w: [Float]) -> (logits: Tensor, features: Tensor, tape: Tape)
    /// Accumulates the parameter gradients of a loss whose gradient with respect to the logits is `dLogits`.
    func backward(_ dLogits: Tensor, _ tape: Tape, _ w: [Float], _ g: inout [Float])
}

extension ClassifierNetwork {
    /// The shape of one sample.
    public var sampleShape: [Int] { config.sampleShape }
}

/// The classifiers' input scaling: each row divided by its root mean square
/// `r = √(mean(x²) + 10⁻¹²)`, with `log r` returned as a feature of its own.
enum InputScaling {
    static func apply(_ x: Tensor) -> (scaled: Tensor, logScale: [Float]) {
        let n = x.rowSize
        var out = x
        var logs = [Float](repeating: 0, count: x.rows)
        out.scalars.withUnsafeMutableBufferPointer { p in
            for r in 0..<x.rows {
                let row = p.baseAddress! + r * n
                let (inverse, log) = scale(row, count: n)
                logs[r] = log
                for j in 0..<n { row[j] *= inverse }
            }
        }
        return (out, logs)
    }

    /// The gradient with respect to `x` of a loss with gradients `dy` on the scaled rows `x/r`
    /// and `dLogScale` on `ln r`: with `n` values per row and `r² = mean(x²) + 10⁻¹²`,
    /// `dx = dy/r + x·(dℓ − Σ_j dy_j·x_j/r)/(n·r²)`.
    static func backward(_ dy: Tensor, dLogScale: [Float], input x: Tensor) -> Tensor {
        let n = x.rowSize
        var out = dy
        for r in 0..<x.rows {
            var s = 0.0, dot = 0.0
            for j in 0..<n {
                let v = Double(x.scalars[r * n + j])
                s += v * v
                dot += Double(dy.scalars[r * n + j]) * v
            }
            let rms = (s / Double(n) + 1e-12).squareRoot()
            let c = (Double(dLogScale[r]) - dot / rms) / (Double(n) * rms * rms)
            for j in 0..<n {
                out.scalars[r * n + j] = Float(Double(dy.scalars[r * n + j]) / rms + Double(x.scalars[r * n + j]) * c)
            }
        }
        return out
    }

    /// `1/r` and `ln r` for the root mean square `r` of `count` values (accumulated in Float64).
    static func scale(_ row: UnsafePointer<Float>, count n: Int) -> (inverse: Float, log: Float) {
        var s: Double = 0
        for j in 0..<n { s += Double(row[j]) * Double(row[j]) }
        let rms = (s / Double(n) + 1e-12).squareRoot()
        return (Float(1 / rms), Float(log(rms)))
    }
}
