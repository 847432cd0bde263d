import Foundation
import ScoreKitCore

/// Annealed Langevin dynamics (Song & Ermon, "Generative Modeling by Estimating Gradients of the
/// Data Distribution", NeurIPS 2019, Algorithm 1).
///
/// Noise levels σ_1 > … > σ_L geometric from `sigma_max` to `sigma_min`; at level i the step is
/// `α_i = ε·σ_i²/σ_L²` and T Langevin steps run on the score `(D(x; σ_i) − x)/σ_i²`:
///
///     x ← x + (α_i/2)·score + √α_i·z           convention=paper (Algorithm 1)
///     x ← x + α_i·score + √(2α_i)·z            convention=code (the released NCSN and NCSNv2 code)
///
/// The code's update is the paper's with α_i replaced by 2α_i (its `step_lr` is our ε): the
/// same unadjusted Langevin chain towards p_σ, moving twice as far per step. Start:
/// `init=uniform` is U[0,1]^D (NCSN's images), made from the standard-normal z as `u = Φ(z)` so
/// one z drives every sampler; `init=gaussian` is `σ_1·z`. With `denoise`, a last step
/// `x ← x + σ_L²·score(x, σ_L)` (Tweedie; NCSNv2's `denoise`). `levels=1` is plain Langevin
/// dynamics at σ_L (sigma_max then only scales the gaussian start).
/// NFE = L·T (+1 with denoise).
public struct AnnealedLangevin: Sampler {
    /// Which step-size convention the update uses.
    public enum Convention: String, Sendable, CaseIterable {
        /// `x + (α/2)·score + √α·z`, the paper's Algorithm 1.
        case paper
        /// `x + α·score + √(2α)·z`, the released code (twice the paper's step).
        case code
    }

    /// Where the chain starts.
    public enum Initialization: String, Sendable, CaseIterable {
        /// U[0,1]^D as `Φ(z)`, NCSN's start for images in [0, 1].
        case uniform
        /// N(0, σ_1²) as `σ_1·z`.
        case gaussian
    }

    public static let descriptor = SamplerDescriptor(
        name: "langevin",
        summary: "annealed Langevin dynamics (NCSN): T Langevin steps at each of L falling noise levels",
        reference: "Song & Ermon, Generative Modeling by Estimating Gradients of the Data Distribution, NeurIPS 2019",
        keys: [
            SamplerKey("sigma_max", .real(1e-6...1e6), default: "1", help: "σ_1, the first and largest level; init=gaussian draws σ_1·z"),
            SamplerKey("sigma_min", .real(1e-6...1e6), default: "0.01", help: "σ_L, the last and smallest level"),
            SamplerKey("levels", .integer(1...100_000), default: "10", help: "L: geometric levels (1 = plain Langevin at sigma_min)"),
            SamplerKey("steps", .integer(1...10_000_000), default: "100", help: "T: Langevin steps per level"),
            SamplerKey("eps", .real(1e-15...1e6), default: "2e-5", help: "ε: step α_i = ε·σ_i²/σ_L²"),
            SamplerKey("convention", .choice(Convention.allCases.map(\.rawValue)), default: "paper",
                       help: "paper: x + (α/2)·score + √α·z; code: x + α·score + √(2α)·z"),
            SamplerKey("init", .choice(Initialization.allCases.map(\.rawValue)), default: "uniform",
                       help: "uniform: U[0,1] as Φ(z); gaussian: σ_1·z"),
            SamplerKey("denoise", .flag, default: "false", help: "finish with x + σ_L²·score(x, σ_L) (+1 NFE)"),
        ],
        nfeRule: "NFE = levels·steps (+1 with denoise); --nfe N sets steps = ⌊(N − denoise)/levels⌋")

    public let options: SamplerOptions
    /// The noise levels σ_1 > … > σ_L.
    public let sigmas: [Double]
    /// T: Langevin steps at each noise level.
    public let stepsPerLevel: Int
    /// ε: the base step size, scaled per level by the convention.
    public let epsilon: Double
    /// How ε is scaled across levels.
    public let convention: Convention
    /// Where the chains start.
    public let initialization: Initialization
    /// Whether a final Tweedie step `D(x; σ_L)` ends the run.
    public let finalDenoise: Bool

    public init(options: SamplerOptions) throws {
        let (hi, lo, levels) = (options.double("sigma_max"), options.double("sigma_min"), options.int("levels"))
        guard lo <= hi else {
            throw SamplerSpecError.invalidCombination(sampler: Self.descriptor.name,
                reason: "sigma_min=\(canonicalNumber(lo)) must not exceed sigma_max=\(canonicalNumber(hi))")
        }
        self.options = options
        sigmas = levels == 1 ? [lo] : (0..<levels).map { hi * pow(lo / hi, Double($0) / Double(levels - 1)) }
        stepsPerLevel = options.int("steps")
        epsilon = options.double("eps")
        convention = options.choice("convention")
        initialization = options.choice("init")
        finalDenoise = options.bool("denoise")
    }

    private var denoiseNFE: Int { finalDenoise ? 1 : 0 }
    public var plannedNFE: Int? { sigmas.count * stepsPerLevel + denoiseNFE }

    public func fitted(toNFE nfe: Int) throws -> AnnealedLangevin {
        try fittedSteps(toNFE: nfe) { sigmas.count * $0 + denoiseNFE }
    }

    public func sample(_ model: any Denoiser, from z: Tensor, noise: any NoiseSource,
                       context: SamplingContext) throws -> Tensor {
        var x = initialState(z)
        let sigmaL = sigmas[sigmas.count - 1], total = plannedNFE!
        let drift = convention == .paper ? 0.5 : 1.0          // h = drift·α in x + h·score + √(2h)·z
        for (i, sigma) in sigmas.enumerated() {
            let h = drift * epsilon * sigma * sigma / (sigmaL * sigmaL)
            for s in 0..<stepsPerLevel {
                try context.beginStep(i * stepsPerLevel + s, of: total, sigma: sigma)
                let denoised = try context.denoise(model, x, sigma: sigma)
                // x + h·score + √(2h)·z with score = (D − x)/σ²; D − x first, exact in Float32
                // where the two agree in most digits.
                let residual = Tensor.combination([(1.0, denoised), (-1.0, x)])
                x = Tensor.combination([(1.0, x), (.all(h / (sigma * sigma)), residual),
                                        (.all((2 * h).squareRoot()), try noise.normal(like: x))])
                try context.endStep(x, sigma: sigma)
            }
        }
        if finalDenoise {                                      // x + σ_L²·score = D(x; σ_L)
            try context.beginStep(total - 1, of: total, sigma: sigmaL)
            x = try context.denoise(model, x, sigma: sigmaL)
            try context.endStep(x, sigma: 0)
        }
        return x
    }

    /// U[0,1] as Φ(z), or σ_1·z.
    private func initialState(_ z: Tensor) -> Tensor {
        switch initialization {
        case .gaussian:
            return options.double("sigma_max") * z
        case .uniform:
            var u = z
            for i in u.scalars.indices { u.scalars[i] = Float(0.5 * erfc(-Double(z.scalars[i]) / 2.0.squareRoot())) }
            return u
        }
    }
}
