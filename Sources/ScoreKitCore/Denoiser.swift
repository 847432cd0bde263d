import Foundation

/// A model of the data seen through noise: `D(x; σ) ≈ E[x0 | x0 + σ·n = x]`.
///
/// Every sampler talks to the model through this one call, in variance-exploding coordinates
/// (`x = x0 + σ·n`); VP samplers convert their state at the call (`x_VE = x_VP/√ᾱ`). The score,
/// ε and ODE slope all follow from `D` (see `NoiseConversion`). Implementations: the exact
/// Gaussian mixtures of ScoreKitModels, trained networks, and `PredictionDenoiser` around a
/// network trained to predict ε, the score, x0 or v.
public protocol Denoiser: Sendable {
    /// The shape of one sample, e.g. `[2]` or `[1, 8, 8]`.
    var sampleShape: [Int] { get }
    /// The noise levels the model was trained on; samplers warn or clamp outside it. Samplers
    /// whose σ range is unset (`auto`) take theirs from it (a finite range above 0).
    var sigmaRange: ClosedRange<Double> { get }
    /// The largest Euclidean distance between two data points, where the model can tell (an
    /// exact mixture from its components, a trained model from its reference data); nil where
    /// it cannot. Annealed Langevin takes its first noise level from it (NCSNv2's Technique 1).
    var dataDiameter: Double? { get }
    /// The finest scale of the data, where the model can tell (an exact mixture's smallest
    /// component standard deviation); nil where it cannot. Annealed Langevin stops its levels
    /// at a tenth of it: below that its chains no longer move.
    var dataResolution: Double? { get }
    /// The denoised estimate for each row of `x` (shape `[N] + sampleShape`) at its own
    /// noise level `sigma[r]` (all σ > 0).
    func denoise(_ x: Tensor, sigma: [Double]) throws -> Tensor
}

extension Denoiser {
    /// The number of values in one sample.
    public var dimension: Int { sampleShape.reduce(1, *) }

    /// Unknown, by default.
    public var dataDiameter: Double? { nil }
    /// Unknown, by default.
    public var dataResolution: Double? { nil }
}

/// A denoiser built around another one (guidance, instrumentation, a conditional network's
/// unconditional face): it describes the same samples — shape, σ range, data scales — as
/// `wrapped`, and changes only what `denoise` returns.
public protocol DenoiserWrapper: Denoiser {
    /// The denoiser this one is built around.
    var wrapped: any Denoiser { get }
}

extension DenoiserWrapper {
    /// The wrapped model's.
    public var sampleShape: [Int] { wrapped.sampleShape }
    /// The wrapped model's.
    public var sigmaRange: ClosedRange<Double> { wrapped.sigmaRange }
    /// The wrapped model's.
    public var dataDiameter: Double? { wrapped.dataDiameter }
    /// The wrapped model's.
    public var dataResolution: Double? { wrapped.dataResolution }
}

/// A distribution over a grid of noise levels given a noisy sample: `p(k | x)`.
///
/// Denoising-MCMC uses it to move a chain's noise level (the Gibbs σ-update); diagnostics use
/// it to ask "how noisy does this look?". Implementations: the exact posterior of a Gaussian
/// mixture and trained noise-level classifiers.
public protocol NoiseLevelEstimator: Sendable {
    /// The grid of levels the distribution is over.
    var grid: NoiseLevelGrid { get }
    /// `log p(k | x)` for each row of x: shape `[N, grid.count]`.
    func logProbabilities(_ x: Tensor) throws -> Tensor
}

/// K log-spaced noise levels `σ_k = σ_min·(σ_max/σ_min)^{1 − k/K}`, k = 0 … K−1: k = 0 is σ_max
/// and the levels fall towards σ_min (the Denoising-MCMC grid; Kim & Ye, 2022).
public struct NoiseLevelGrid: Sendable, Hashable, Codable {
    /// The smallest and largest level and the number of levels.
    public var sigmaMin: Double, sigmaMax: Double, count: Int

    /// A grid of `count` levels between `sigmaMin` and `sigmaMax`.
    public init(sigmaMin: Double, sigmaMax: Double, count: Int) {
        precondition(sigmaMin > 0 && sigmaMax > sigmaMin && count >= 2, "NoiseLevelGrid: bad bounds")
        self.sigmaMin = sigmaMin; self.sigmaMax = sigmaMax; self.count = count
    }

    /// σ_k.
    public func sigma(_ k: Int) -> Double {
        sigmaMin * pow(sigmaMax / sigmaMin, 1 - Double(k) / Double(count))
    }

    /// Every level, from σ_max down.
    public var sigmas: [Double] { (0..<count).map(sigma) }

    /// The level nearest to σ in log space, clamped to the grid.
    public func nearestIndex(to sigma: Double) -> Int {
        let u = 1 - log(sigma / sigmaMin) / log(sigmaMax / sigmaMin)
        return min(max(Int((u * Double(count)).rounded()), 0), count - 1)
    }
}
