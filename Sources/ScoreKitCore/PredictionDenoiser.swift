import Foundation

/// A network as trained elsewhere: input tensor and a per-row conditioning value in, one
/// prediction out.
public protocol NoiseConditionedNetwork: Sendable {
    /// The shape of one sample.
    var sampleShape: [Int] { get }
    /// The prediction for each row of `x` given its conditioning value.
    func predict(_ x: Tensor, conditioning: [Double]) throws -> Tensor
}

/// Wraps a network trained to predict ε, the score, x0 or v — in VP or VE input coordinates,
/// conditioned on σ, a continuous time or a discrete timestep — as a `Denoiser`.
///
/// With `α = 1/√(1+σ²)`, `s = σ·α` and the VP input `x_VP = α·x_VE` (see `specs/samplers.md`):
///
/// | prediction | D(x; σ) |
/// |---|---|
/// | ε | `x − σ·ε̂` |
/// | score (of the input's density) | VE: `x + σ²·ŝ`; VP: `x + σ²·α·ŝ` |
/// | x0 | `x̂0` |
/// | v (`v = α·ε − s·x0`) | `α·x_VP − s·v̂` |
public struct PredictionDenoiser<Network: NoiseConditionedNetwork>: Denoiser {
    /// What the network outputs.
    public enum Prediction: String, Sendable, CaseIterable, Codable { case epsilon, score, x0, v }
    /// The coordinates of the network's input.
    public enum InputSpace: String, Sendable, CaseIterable, Codable {
        /// `x_VE = x0 + σ·n` (NCSN, score_sde VE, EDM without preconditioning).
        case varianceExploding
        /// `x_VP = α·x0 + s·ε` (DDPM, score_sde VP).
        case variancePreserving
    }

    /// The wrapped network.
    public let network: Network
    /// What the network predicts (ε, score, x0 or v).
    public let prediction: Prediction
    /// The coordinates the network reads (VP-scaled or VE).
    public let inputSpace: InputSpace
    /// How the noise level is given to the network.
    public let conditioning: NoiseConditioning
    /// The σ range the network was trained on.
    public let sigmaRange: ClosedRange<Double>

    /// A denoiser over `network`.
    public init(_ network: Network, prediction: Prediction, inputSpace: InputSpace,
                conditioning: NoiseConditioning, sigmaRange: ClosedRange<Double>) {
        self.network = network
        self.prediction = prediction
        self.inputSpace = inputSpace
        self.conditioning = conditioning
        self.sigmaRange = sigmaRange
    }

    public var sampleShape: [Int] { network.sampleShape }

    public func denoise(_ x: Tensor, sigma: [Double]) throws -> Tensor {
        let alpha = sigma.map(NoiseConversion.vpScale(sigma:))
        let input = inputSpace == .variancePreserving ? x.scalingRows(by: alpha) : x
        let out = try network.predict(input, conditioning: sigma.map(conditioning.value(forSigma:)))
        switch prediction {
        case .epsilon:
            return NoiseConversion.denoised(x: x, epsilon: out, sigma: sigma)
        case .score:
            // p_VE(x) = α^d·p_VP(α·x), so ∇_{x_VE} log p = α·∇_{x_VP} log p.
            let veScore = inputSpace == .variancePreserving ? out.scalingRows(by: alpha) : out
            return NoiseConversion.denoised(x: x, score: veScore, sigma: sigma)
        case .x0:
            return out
        case .v:
            // x0 = α·x_VP − s·v, with x_VP = α·x_VE.
            return Tensor.combination([(.perRow(alpha.map { $0 * $0 }), x),
                                       (.perRow(zip(sigma, alpha).map { -$0 * $1 }), out)])
        }
    }
}

/// The value a network is conditioned on, as a function of σ.
public enum NoiseConditioning: Sendable, Hashable {
    /// σ itself.
    case sigma
    /// EDM's `c_noise = ¼·ln σ`.
    case edmLogSigma
    /// Continuous time t ∈ [0, 1] of a process (score_sde), from `NoiseProcess.time(atSigma:)`.
    case continuousTime(VariancePreservingProcess)
    /// Continuous VE time (score_sde VE models condition on σ, but some on t).
    case continuousVETime(VarianceExplodingProcess)
    /// A discrete timestep t ∈ [0, T−1] of a table of σ_t (ascending), interpolated linearly in
    /// log σ between entries, as k-diffusion does for DDPM-trained networks. Clamped to the table.
    case discreteTimestep(sigmas: [Double])

    /// The conditioning value for noise level σ.
    public func value(forSigma sigma: Double) -> Double {
        switch self {
        case .sigma: return sigma
        case .edmLogSigma: return 0.25 * log(sigma)
        case .continuousTime(let p): return p.time(atSigma: sigma)
        case .continuousVETime(let p): return p.time(atSigma: sigma)
        case .discreteTimestep(let table): return Self.timestep(forSigma: sigma, table: table)
        }
    }

    /// The fractional timestep of σ in an ascending table, by linear interpolation in log σ.
    public static func timestep(forSigma sigma: Double, table: [Double]) -> Double {
        let logSigma = log(sigma)
        guard logSigma > log(table[0]) else { return 0 }
        guard logSigma < log(table[table.count - 1]) else { return Double(table.count - 1) }
        var lo = 0, hi = table.count - 1      // binary search: table[lo] ≤ σ < table[hi]
        while hi - lo > 1 {
            let mid = (lo + hi) / 2
            if table[mid] <= sigma { lo = mid } else { hi = mid }
        }
        let a = log(table[lo]), b = log(table[hi])
        return Double(lo) + (logSigma - a) / (b - a)
    }
}
