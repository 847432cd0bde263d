import Foundation
import ScoreKitCore

/// A model ready to sample from: its denoiser and what else is known about it.
public struct LoadedModel: Sendable {
    /// The name it was loaded by (a built-in name or a file path).
    public let name: String
    /// The denoiser every sampler calls.
    public let denoiser: any Denoiser
    /// Its noise-level estimator (exact posterior or trained classifier), if any; DLG needs one.
    public let noiseLevelEstimator: (any NoiseLevelEstimator)?
    /// The exact mixture behind exact models (exact density, modes, data), else nil.
    public let mixture: GaussianMixture?
    /// Data to measure samples against (exact draws, or a held-out set); comparisons compute
    /// sliced Wasserstein and MMD against it. Exact models set it to their mixture.
    public var referenceData: (any ReferenceData)? = nil
    /// A feature space for the Fréchet distance (and, for a `SampleClassifier`, confidence):
    /// for digits, the shipped digit classifier's penultimate layer.
    public var featureExtractor: (any FeatureExtractor)? = nil
    /// A noise-aware classifier of the model's class labels, for classifier guidance (an exact
    /// mixture's `ExactMixtureClassifier`; a trained one beside a conditional network), if any.
    public var noisyClassifier: (any NoisyClassifier)? = nil

    /// The number of class labels the denoiser takes, or nil for an unconditional model.
    public var labelCount: Int? { (denoiser as? any ConditionalDenoiser)?.labelCount }

    /// A loaded model.
    public init(name: String, denoiser: any Denoiser, noiseLevelEstimator: (any NoiseLevelEstimator)?,
                mixture: GaussianMixture?) {
        self.name = name
        self.denoiser = denoiser
        self.noiseLevelEstimator = noiseLevelEstimator
        self.mixture = mixture
    }

    /// An exact model from a mixture, with its exact noise-level posterior.
    public init(name: String, mixture: GaussianMixture) {
        self.init(name: name, denoiser: mixture, noiseLevelEstimator: mixture.noiseLevelPosterior(), mixture: mixture)
        referenceData = mixture
        noisyClassifier = mixture.exactClassifier
    }
}

/// The built-in models, by name.
public enum BuiltinModels {
    /// One built-in model.
    public struct Entry: Sendable {
        /// The name `--model` takes.
        public let name: String
        /// `exact` or `trained`.
        public let kind: String
        /// One line on what it is for.
        public let summary: String
        /// Loads it.
        public let load: @Sendable () throws -> LoadedModel
    }

    /// Every built-in model, in the order `scorekit models` lists them: the exact models, then
    /// the trained checkpoints shipped as resources (`ShippedModels.swift`).
    public static let all: [Entry] = exactEntries + trainedEntries

    /// The exact models.
    static let exactEntries: [Entry] = [
        Entry(name: "gmm2d", kind: "exact",
              summary: "NCSN's toy: 0.8·N((5,5), I) + 0.2·N((−5,−5), I); tests mode weights") {
            LoadedModel(name: "gmm2d", mixture: gmm2d)
        },
        Entry(name: "ring8", kind: "exact",
              summary: "8 equal Gaussians (std 0.5) on a circle of radius 5; mode coverage") {
            LoadedModel(name: "ring8", mixture: ring8)
        },
        Entry(name: "gmm64", kind: "exact",
              summary: "16 well-separated components in 64-D; one sample pins down its noise level") {
            LoadedModel(name: "gmm64", mixture: gmm64)
        },
    ]

    /// The names of all built-in models.
    public static var names: [String] { all.map(\.name) }

    /// The built-in model `name`, or nil.
    public static func entry(_ name: String) -> Entry? { all.first { $0.name == name } }

    /// 0.8·N((5,5), I) + 0.2·N((−5,−5), I) (Song & Ermon, NCSN, 2019, section 3.2).
    public static let gmm2d = try! GaussianMixture(
        weights: [0.8, 0.2], means: [[5, 5], [-5, -5]], stds: [[1, 1], [1, 1]])

    /// Eight equal components with std 0.5 at radius 5.
    public static let ring8 = try! GaussianMixture(
        weights: Array(repeating: 1, count: 8),
        means: (0..<8).map { k in
            let a = Double(k) * .pi / 4
            return [5 * cos(a), 5 * sin(a)]
        },
        stds: Array(repeating: [0.5, 0.5], count: 8))

    /// Sixteen components in 64 dimensions: means 4·z, per-dimension stds in [0.5, 1.5], weights
    /// proportional to 1 + u, with z, u drawn from Philox under the fixed seed 64 (stream
    /// `auxiliary`, component k as the sample index). Typical distances between means (~45)
    /// dwarf the stds, and 64 dimensions make ‖x − μ‖ concentrate, so one noisy sample
    /// pins down its noise level.
    public static let gmm64: GaussianMixture = {
        let streams = RandomStreams(seed: 64), d = 64, k = 16
        var weights: [Double] = [], means: [[Double]] = [], stds: [[Double]] = []
        for c in 0..<k {
            var z = [Float](repeating: 0, count: d)
            z.withUnsafeMutableBufferPointer {
                streams.fillNormals($0, stream: RandomStreamID.auxiliary, sample: c, firstBlock: 0)
            }
            means.append(z.map { 4 * Double($0) })
            let blocks = (0..<(d / 4 + 1)).map {
                streams.uniforms(stream: RandomStreamID.auxiliary, sample: c, block: 1000 + $0)
            }
            let u = blocks.flatMap { [$0[0], $0[1], $0[2], $0[3]] }
            stds.append((0..<d).map { 0.5 + u[$0] })
            weights.append(1 + u[d])
        }
        return try! GaussianMixture(weights: weights, means: means, stds: stds)
    }()
}
