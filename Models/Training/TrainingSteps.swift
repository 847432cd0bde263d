import Foundation
import ScoreKitCore

/// The optimiser state of one network under training: raw weights, their EMA (the weights
/// used for sampling), and Adam's moments.
public struct PhaseState: Sendable {
    /// The raw weights the optimiser updates.
    public var weights: [Float]
    /// Their exponential moving average: the weights samplers use.
    public var ema: [Float]
    /// Adam's moment estimates and step count.
    public var adam: Adam

    /// Fresh state from initial weights.
    public init(initial: [Float]) {
        weights = initial
        ema = initial
        adam = Adam(count: initial.count)
    }

    /// State restored from a checkpoint.
    public init(weights: [Float], ema: [Float], adam: Adam) {
        self.weights = weights
        self.ema = ema
        self.adam = adam
    }

    /// Clips `gradient`, takes an Adam step at rate `lr`, and updates the EMA.
    mutating func apply(_ gradient: inout [Float], lr: Double, clip: Double, emaDecay: Double) {
        FlatVector.clipNorm(&gradient, maxNorm: clip)
        adam.update(&weights, gradient: gradient, lr: lr)
        FlatVector.updateEMA(&ema, weights, decay: emaDecay, step: adam.steps - 1)
    }
}

/// One optimisation step of each kind of training. All randomness comes from Philox keyed by
/// (seed, stream, step·batch + row), so a step's batch depends only on the seed and the step.
public enum TrainingSteps {
    /// Standard normals `[rows] + shape` for rows `first ..< first + rows` of `stream`.
    static func normals(rows: Int, shape: [Int], first: Int, seed: UInt64, stream: UInt32) -> Tensor {
        let n = shape.reduce(1, *), streams = RandomStreams(seed: seed)
        var out = [Float](repeating: 0, count: rows * n)
        out.withUnsafeMutableBufferPointer { p in
            for r in 0..<rows {
                streams.fillNormals(UnsafeMutableBufferPointer(rebasing: p[(r * n)..<((r + 1) * n)]), stream: stream,
                                    sample: first + r, firstBlock: 0)
            }
        }
        return Tensor(shape: [rows] + shape, scalars: out)
    }

    /// EDM denoiser training (Karras et al. 2022, section 5): `ln σ ~ N(p_mean, p_std²)`,
    /// `x = x0 + σ·n`, and the loss `λ(σ)·‖D(x; σ) − x0‖²` with `λ = 1/c_out²`, which is
    /// `‖F(c_in·x, c_noise) − (x0 − c_skip·x)/c_out‖²` — averaged over the batch and the dimensions.
    /// Returns the loss.
    public static func denoiser<Network: DenoiserNetwork>(
        _ net: Network, _ state: inout PhaseState, data: any TrainingDataset, preconditioning p: EDMPreconditioning,
        settings s: TrainingSettings, step t: Int
    ) -> Double {
        let b = s.batch
        let (x0, labels) = data.batch(size: b, step: t, seed: s.seed, stream: TrainingStream.minibatch)
        let streams = RandomStreams(seed: s.seed)
        let classes = net.labelClasses == nil ? Array(repeating: nil, count: b)
            : droppedLabels(labels, p: s.labelDropout ?? 0, seed: s.seed, first: t * b)
        let sigma = (0..<b).map { exp(s.pMean + s.pStd * streams.normals(stream: TrainingStream.noiseLevel, sample: t * b + $0, block: 0)[0]) }
        let n = normals(rows: b, shape: data.sampleShape, first: t * b, seed: s.seed, stream: TrainingStream.noise)
        let x = Tensor.combination([(1, x0), (.perRow(sigma), n)])
        let (f, tape) = net.forward(x.scalingRows(by: sigma.map(p.cIn)), labels: sigma.map { Float(p.cNoise($0)) },
                                    classes: classes, state.weights)
        let target = Tensor.combination([(.perRow(sigma.map { 1 / p.cOut($0) }), x0),
                                         (.perRow(sigma.map { -p.cSkip($0) / p.cOut($0) }), x)])
        var diff = f - target
        let loss = diff.rowSquaredNorms().reduce(0, +) / Double(diff.count)
        diff = (2 / Double(diff.count)) * diff
        var g = [Float](repeating: 0, count: state.weights.count)
        _ = net.backward(diff, tape, state.weights, &g)
        let schedule = LearningRateSchedule(peak: s.learningRate, warmup: s.warmup, total: s.steps, final: s.finalLearningRate)
        state.apply(&g, lr: schedule.rate(at: t), clip: s.gradientClip, emaDecay: s.emaDecay)
        return loss
    }

    /// Noise-level classifier training (Denoising MCMC): k uniform over the grid,
    /// `x = x0 + σ_k·z`, cross-entropy on k. Returns the loss.
    public static func noiseLevelClassifier<Network: ClassifierNetwork>(
        _ net: Network, _ state: inout PhaseState, data: any TrainingDataset, levels: NoiseLevelGrid,
        settings s: TrainingSettings, step t: Int
    ) -> Double {
        let b = s.classifierBatch
        let x0 = data.batch(size: b, step: t, seed: s.seed, stream: TrainingStream.classifierMinibatch).x
        let streams = RandomStreams(seed: s.seed)
        let k = (0..<b).map { min(Int(streams.uniforms(stream: TrainingStream.classifierLevel, sample: t * b + $0, block: 0)[0] * Double(levels.count)), levels.count - 1) }
        let z = normals(rows: b, shape: data.sampleShape, first: t * b, seed: s.seed, stream: TrainingStream.classifierNoise)
        let x = Tensor.combination([(1, x0), (.perRow(k.map(levels.sigma)), z)])
        return classifierStep(net, &state, x: x, labels: k, lr: s.classifierLearningRate, steps: s.classifierSteps, settings: s, step: t)
    }

    /// Label dropout (classifier-free guidance's training, Ho & Salimans 2022): each example's
    /// label is replaced by ∅ (nil) with probability `p`, drawn per example from its own stream.
    static func droppedLabels(_ labels: [Int], p: Double, seed: UInt64, first: Int) -> [Int?] {
        let streams = RandomStreams(seed: seed)
        return labels.enumerated().map { i, label in
            streams.uniforms(stream: TrainingStream.labelDropout, sample: first + i, block: 0)[0] < p ? nil : label
        }
    }

    /// Noise-aware label classifier training (for classifier guidance): σ log-uniform on
    /// `sigmaRange`, `x = x0 + σ·n`, cross-entropy on the label. Returns the loss.
    public static func noisyLabelClassifier<Network: ClassifierNetwork>(
        _ net: Network, _ state: inout PhaseState, data: any TrainingDataset, sigmaRange: ClosedRange<Double>,
        settings s: TrainingSettings, step t: Int
    ) -> Double {
        let b = s.noisyLabelBatch ?? s.labelBatch
        let (x0, labels) = data.batch(size: b, step: t, seed: s.seed, stream: TrainingStream.noisyLabelMinibatch)
        let streams = RandomStreams(seed: s.seed)
        let (low, high) = (log(sigmaRange.lowerBound), log(sigmaRange.upperBound))
        let sigma = (0..<b).map { i in
            exp(low + (high - low) * streams.uniforms(stream: TrainingStream.noisyLabelLevel, sample: t * b + i, block: 0)[0])
        }
        let z = normals(rows: b, shape: data.sampleShape, first: t * b, seed: s.seed, stream: TrainingStream.noisyLabelNoise)
        let x = Tensor.combination([(1, x0), (.perRow(sigma), z)])
        return classifierStep(net, &state, x: x, labels: labels, lr: s.noisyLabelLearningRate ?? s.labelLearningRate,
                              steps: s.noisyLabelSteps ?? 0, settings: s, step: t)
    }

    /// Label classifier training on clean samples shifted by up to one pixel each way
    /// (padding with the background value −1). Returns the loss.
    public static func labelClassifier<Network: ClassifierNetwork>(
        _ net: Network, _ state: inout PhaseState, data: any TrainingDataset, settings s: TrainingSettings, step t: Int
    ) -> Double {
        let b = s.labelBatch
        let (x0, labels) = data.batch(size: b, step: t, seed: s.seed, stream: TrainingStream.labelMinibatch)
        let streams = RandomStreams(seed: s.seed)
        let shifts = (0..<b).map { i -> (Int, Int) in
            let u = streams.uniforms(stream: TrainingStream.augmentation, sample: t * b + i, block: 0)
            return (min(Int(u[0] * 3), 2) - 1, min(Int(u[1] * 3), 2) - 1)
        }
        return classifierStep(net, &state, x: shifted(x0, by: shifts), labels: labels, lr: s.labelLearningRate,
                              steps: s.labelSteps, settings: s, step: t)
    }

    private static func classifierStep<Network: ClassifierNetwork>(
        _ net: Network, _ state: inout PhaseState, x: Tensor, labels: [Int], lr: Double, steps: Int,
        settings s: TrainingSettings, step t: Int
    ) -> Double {
        let (logits, _, tape) = net.forward(x, state.weights)
        let (loss, dLogits) = SoftmaxCrossEntropy.lossAndGradient(logits, labels: labels)
        var g = [Float](repeating: 0, count: state.weights.count)
        net.backward(dLogits, tape, state.weights, &g)
        let schedule = LearningRateSchedule(peak: lr, warmup: min(200, steps / 10 + 1), total: steps, final: s.finalLearningRate)
        state.apply(&g, lr: schedule.rate(at: t), clip: s.gradientClip, emaDecay: s.emaDecay)
        return loss
    }

    /// Images `[N, C, H, W]` translated by `(dy, dx)` pixels each, filling with −1.
    static func shifted(_ x: Tensor, by shifts: [(Int, Int)]) -> Tensor {
        let (c, h, w) = (x.shape[1], x.shape[2], x.shape[3])
        var out = Tensor(repeating: -1, shape: x.shape)
        for (r, (dy, dx)) in shifts.enumerated() {
            for ch in 0..<c {
                for i in 0..<h where (0..<h).contains(i - dy) {
                    for j in 0..<w where (0..<w).contains(j - dx) {
                        out.scalars[((r * c + ch) * h + i) * w + j] = x.scalars[((r * c + ch) * h + i - dy) * w + j - dx]
                    }
                }
            }
        }
        return out
    }
}
