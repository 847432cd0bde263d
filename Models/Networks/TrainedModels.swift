import Foundation
import ScoreKitCore

/// EDM's preconditioning (Karras et al., "Elucidating the Design Space of Diffusion-Based
/// Generative Models", NeurIPS 2022, Table 1): with `σ_d` the data's standard deviation,
///
///     D(x; σ) = c_skip·x + c_out·F(c_in·x, c_noise)
///     c_skip = σ_d²/(σ² + σ_d²),  c_out = σ·σ_d/√(σ² + σ_d²),  c_in = 1/√(σ² + σ_d²),  c_noise = ¼·ln σ
///
/// so the network's input and training target both have unit variance at every σ.
public struct EDMPreconditioning: Sendable, Hashable, Codable {
    /// σ_d.
    public var sigmaData: Double

    /// Preconditioning for data of standard deviation `sigmaData`.
    public init(sigmaData: Double) { self.sigmaData = sigmaData }

    /// `c_skip(σ)`.
    public func cSkip(_ sigma: Double) -> Double { sigmaData * sigmaData / (sigma * sigma + sigmaData * sigmaData) }
    /// `c_out(σ)`.
    public func cOut(_ sigma: Double) -> Double { sigma * sigmaData / (sigma * sigma + sigmaData * sigmaData).squareRoot() }
    /// `c_in(σ)`.
    public func cIn(_ sigma: Double) -> Double { 1 / (sigma * sigma + sigmaData * sigmaData).squareRoot() }
    /// `c_noise(σ) = ¼·ln σ`.
    public func cNoise(_ sigma: Double) -> Double { 0.25 * log(sigma) }
}

/// A trained denoiser network behind the `Denoiser` protocol: VE coordinates outside, EDM's
/// preconditioning inside. Large batches are evaluated in chunks of the network's preferred
/// size, each on the batch-invariant kernels with weights packed at load time and a workspace
/// reused from call to call (one per concurrent caller): results depend on neither the chunking
/// nor the batch, and steady-state sampling allocates no network memory.
public struct TrainedDenoiser: Denoiser {
    /// The network `F`.
    public let network: any DenoiserNetwork
    /// Its weights (the EMA weights of training).
    public let weights: [Float]
    /// The EDM coefficients.
    public let preconditioning: EDMPreconditioning
    /// The σ range it was trained for.
    public let sigmaRange: ClosedRange<Double>
    /// The largest distance between two points of its data, when known (set from the
    /// reference data when a checkpoint is loaded as a model).
    public var dataDiameter: Double?
    private let packed: PackedParameters
    private let workspaces = WorkspacePool()

    /// A denoiser from a network and its weights.
    public init(network: any DenoiserNetwork, weights: [Float], preconditioning: EDMPreconditioning,
                sigmaRange: ClosedRange<Double>) {
        precondition(weights.count == network.layout.count, "TrainedDenoiser: \(weights.count) weights for \(network.layout.count) parameters")
        self.network = network
        self.weights = weights
        self.preconditioning = preconditioning
        self.sigmaRange = sigmaRange
        packed = PackedParameters(layout: network.layout, weights: weights)
    }

    /// The shape of one sample.
    public var sampleShape: [Int] { network.sampleShape }

    /// The number of class labels of a class-conditional network (`label_classes`), else nil.
    public var labelClasses: Int? { network.labelClasses }

    /// The unconditional estimate (label ∅ for a class-conditional network).
    public func denoise(_ x: Tensor, sigma: [Double]) throws -> Tensor {
        try denoise(x, sigma: sigma, classes: Array(repeating: nil, count: x.rows))
    }

    /// `D(x; σ | c)` for each row with its class label (nil: ∅). An unconditional network
    /// ignores the labels; a conditional one throws for a label outside `0..<labelClasses`.
    public func denoise(_ x: Tensor, sigma: [Double], classes: [Int?]) throws -> Tensor {
        precondition(x.rowShape == sampleShape && sigma.count == x.rows && classes.count == x.rows,
                     "denoise: shape \(x.shape) / \(sigma.count) σ's / \(classes.count) labels")
        if let k = labelClasses, let bad = classes.first(where: { $0.map { !(0..<k).contains($0) } ?? false }) {
            throw ConditioningError.labelOutOfRange(bad!, labelCount: k)
        }
        let n = x.rowSize, chunk = network.preferredBatch
        let out = uninitializedFloats(x.count) { out in
            x.scalars.withUnsafeBufferPointer { px in
                for start in stride(from: 0, to: x.rows, by: chunk) {
                    let rows = start..<min(start + chunk, x.rows)
                    denoiseChunk(px.baseAddress! + start * n, sigma: Array(sigma[rows]), classes: Array(classes[rows]),
                                 into: out.baseAddress! + start * n)
                }
            }
        }
        return Tensor(shape: x.shape, scalars: out)
    }

    /// `D(x; σ) = c_skip·x + c_out·F(c_in·x, c_noise)` for `sigma.count` rows.
    private func denoiseChunk(_ x: UnsafePointer<Float>, sigma: [Double], classes: [Int?], into out: UnsafeMutablePointer<Float>) {
        let p = preconditioning, rows = sigma.count, n = sampleShape.reduce(1, *)
        let labels = sigma.map { Float(p.cNoise($0)) }
        workspaces.withWorkspace { workspace in
            packed.weights.withUnsafeBufferPointer { w in
                let pass = InferencePass(parameters: packed, w: w, workspace: workspace)
                let input = pass.buffer(rows * n), f = pass.buffer(rows * n)
                for r in 0..<rows {
                    let c = Float(p.cIn(sigma[r]))
                    for j in 0..<n { input[r * n + j] = x[r * n + j] * c }
                }
                if let net = network as? any InferenceDenoiserNetwork {
                    net.infer(input, labels: labels, classes: classes, pass, into: f)
                } else {
                    let y = network.forward(Tensor(shape: [rows] + sampleShape, scalars: Array(UnsafeBufferPointer(start: input, count: rows * n))),
                                            labels: labels, classes: classes, weights).0
                    y.scalars.withUnsafeBufferPointer { f.update(from: $0.baseAddress!, count: rows * n) }
                }
                for r in 0..<rows {
                    let skip = Float(p.cSkip(sigma[r])), scale = Float(p.cOut(sigma[r]))
                    for j in 0..<n { out[r * n + j] = (0 + skip * x[r * n + j]) + scale * f[r * n + j] }
                }
            }
        }
    }
}

/// A trained classifier with its weights: logits, log-probabilities and penultimate features
/// for any batch (in chunks of the network's preferred size).
public struct TrainedClassifier: Sendable {
    /// The network.
    public let network: any ClassifierNetwork
    /// Its weights.
    public let weights: [Float]

    private let packed: PackedParameters
    private let workspaces = WorkspacePool()

    /// A classifier from a network and its weights.
    public init(network: any ClassifierNetwork, weights: [Float]) {
        precondition(weights.count == network.layout.count, "TrainedClassifier: \(weights.count) weights for \(network.layout.count) parameters")
        self.network = network
        self.weights = weights
        packed = PackedParameters(layout: network.layout, weights: weights)
    }

    /// The shape of one input.
    public var sampleShape: [Int] { network.sampleShape }

    /// Logits `[N, classes]` and features `[N, hidden]`.
    public func evaluate(_ x: Tensor) -> (logits: Tensor, features: Tensor) {
        let chunk = network.preferredBatch
        var logits: [Tensor] = [], features: [Tensor] = []
        for start in stride(from: 0, to: x.rows, by: chunk) {
            let out = network.forward(x.rows(start..<min(start + chunk, x.rows)), weights)
            logits.append(out.logits)
            features.append(out.features)
        }
        return (Tensor.concatenatingRows(logits), Tensor.concatenatingRows(features))
    }

    /// The logits `[N, classes]` alone: the inference pass (batch-invariant kernels, packed
    /// weights, a reused workspace) where the network has one.
    public func logits(_ x: Tensor) -> Tensor {
        guard let net = network as? any InferenceClassifierNetwork else { return evaluate(x).logits }
        let n = x.rowSize, k = network.classes, chunk = network.preferredBatch
        let out = uninitializedFloats(x.rows * k) { out in
            x.scalars.withUnsafeBufferPointer { px in
                packed.weights.withUnsafeBufferPointer { w in
                    for start in stride(from: 0, to: x.rows, by: chunk) {
                        let rows = min(chunk, x.rows - start)
                        workspaces.withWorkspace { workspace in
                            let pass = InferencePass(parameters: packed, w: w, workspace: workspace)
                            net.inferLogits(px.baseAddress! + start * n, rows: rows, pass, into: out.baseAddress! + start * k)
                        }
                    }
                }
            }
        }
        return Tensor(shape: [x.rows, k], scalars: out)
    }

    /// `log p(class | x)`, `[N, classes]`.
    public func logProbabilities(_ x: Tensor) -> Tensor { SoftmaxCrossEntropy.logSoftmax(logits(x)) }

    /// The most probable class of each row and its probability.
    public func predict(_ x: Tensor) -> [(label: Int, probability: Double)] {
        let lp = logProbabilities(x), k = lp.shape[1]
        return (0..<x.rows).map { r in
            let row = lp.scalars[(r * k)..<((r + 1) * k)]
            let best = row.indices.max { row[$0] < row[$1] }!
            return (best - r * k, exp(Double(row[best])))
        }
    }

    /// The penultimate features (the digit classifier's feature space for Fréchet distances).
    public func features(_ x: Tensor) -> Tensor { evaluate(x).features }
}

/// A trained noise-level classifier behind `NoiseLevelEstimator`: `p(k | x)` over its grid.
public struct TrainedNoiseLevelEstimator: NoiseLevelEstimator {
    /// The classifier, one class per level.
    public let classifier: TrainedClassifier
    /// The levels.
    public let grid: NoiseLevelGrid

    /// An estimator; the classifier must have one class per grid level.
    public init(classifier: TrainedClassifier, grid: NoiseLevelGrid) {
        precondition(classifier.network.classes == grid.count, "TrainedNoiseLevelEstimator: \(classifier.network.classes) classes for \(grid.count) levels")
        self.classifier = classifier
        self.grid = grid
    }

    public func logProbabilities(_ x: Tensor) throws -> Tensor { classifier.logProbabilities(x) }
}
