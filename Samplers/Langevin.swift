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
public struct AnnealedLangevin: Sampler, Equatable {
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

    /// σ_1, the first and largest level (`init=gaussian` draws σ_1·z).
    public var sigmaMax: Double
    /// σ_L, the last and smallest level.
    public var sigmaMin: Double
    /// L: geometric levels (1 = plain Langevin dynamics at σ_min).
    public var levels: Int
    /// T: Langevin steps per level; nil: 100, or the most an NFE budget allows.
    public var steps: Int?
    /// ε: the base step size; level i takes `α_i = ε·σ_i²/σ_L²`.
    public var epsilon: Double
    /// How ε becomes the step.
    public var convention: Convention
    /// Where the chains start.
    public var initialization: Initialization
    /// Whether a final Tweedie step `D(x; σ_L)` ends the run.
    public var finalDenoise: Bool

    /// A sampler; see the properties. The defaults are NCSN's CIFAR-10 settings.
    public init(sigmaMax: Double = 1, sigmaMin: Double = 0.01, levels: Int = 10, steps: Int? = nil, epsilon: Double = 2e-5,
                convention: Convention = .paper, initialization: Initialization = .uniform, finalDenoise: Bool = false) {
        self.sigmaMax = sigmaMax
        self.sigmaMin = sigmaMin
        self.levels = levels
        self.steps = steps
        self.epsilon = epsilon
        self.convention = convention
        self.initialization = initialization
        self.finalDenoise = finalDenoise
    }

    public static let declaration = SamplerDeclaration<AnnealedLangevin>(
        name: "langevin",
        summary: "annealed Langevin dynamics (NCSN): T Langevin steps at each of L falling noise levels",
        reference: "Song & Ermon, Generative Modeling by Estimating Gradients of the Data Distribution, NeurIPS 2019",
        nfeRule: "NFE = levels·steps (+1 with denoise); --nfe N sets steps = ⌊(N − denoise)/levels⌋",
        base: AnnealedLangevin(),
        options: [
            .real("sigma_max", \.sigmaMax, in: 1e-6...1e6, help: "σ_1, the first and largest level; init=gaussian draws σ_1·z"),
            .real("sigma_min", \.sigmaMin, in: 1e-6...1e6, help: "σ_L, the last and smallest level"),
            .integer("levels", \.levels, in: 1...100_000, help: "L: geometric levels (1 = plain Langevin at sigma_min)"),
            .integer("steps", \.steps, in: 1...10_000_000, auto: "100, or the most --nfe allows", help: "T: Langevin steps per level"),
            .real("eps", \.epsilon, in: 1e-15...1e6, help: "ε: step α_i = ε·σ_i²/σ_L²"),
            .choice("convention", \.convention, help: "paper: x + (α/2)·score + √α·z; code: x + α·score + √(2α)·z"),
            .choice("init", \.initialization, help: "uniform: U[0,1] as Φ(z); gaussian: σ_1·z"),
            .flag("denoise", \.finalDenoise, help: "finish with x + σ_L²·score(x, σ_L) (+1 NFE)"),
        ])

    var stepCount: Int { steps ?? 100 }

    /// The noise levels σ_1 > … > σ_L.
    public var sigmas: [Double] {
        levels == 1 ? [sigmaMin] : (0..<levels).map { sigmaMax * pow(sigmaMin / sigmaMax, Double($0) / Double(levels - 1)) }
    }

    public func validated() throws -> Self {
        guard sigmaMin <= sigmaMax else {
            throw SamplerSpecError.invalidCombination(sampler: name,
                reason: "sigma_min=\(canonicalNumber(sigmaMin)) must not exceed sigma_max=\(canonicalNumber(sigmaMax))")
        }
        return self
    }

    public func resolved(for model: any Denoiser) -> Self {
        var out = self
        out.steps = stepCount
        return out
    }

    private var denoiseNFE: Int { finalDenoise ? 1 : 0 }
    public var plannedNFE: Int? { levels * stepCount + denoiseNFE }

    public func fitted(toNFE nfe: Int) throws -> Self {
        try fittedSteps(steps, in: 1...10_000_000, toNFE: nfe, nfe: { levels * $0 + denoiseNFE }) { n in
            var out = self
            out.steps = n
            return out
        }
    }

    public func makeRun(_ model: any Denoiser, from z: Tensor, noise: any NoiseSource,
                        context: SamplingContext) throws -> AnnealedLangevinRun {
        AnnealedLangevinRun(sampler: self, sigmas: sigmas, model: model, x: initialState(z), noise: noise, context: context)
    }

    /// U[0,1] as Φ(z), or σ_1·z.
    private func initialState(_ z: Tensor) -> Tensor {
        switch initialization {
        case .gaussian:
            return sigmaMax * z
        case .uniform:
            var u = z
            for i in u.scalars.indices { u.scalars[i] = Float(0.5 * erfc(-Double(z.scalars[i]) / 2.0.squareRoot())) }
            return u
        }
    }
}

/// A run of `AnnealedLangevin`: one step per Langevin step (L·T), then the Tweedie step if
/// asked for. `x` is already in VE coordinates.
public struct AnnealedLangevinRun: SamplingRun {
    let sampler: AnnealedLangevin
    let sigmas: [Double]
    let model: any Denoiser
    public var x: Tensor
    let noise: any NoiseSource
    let context: SamplingContext
    public private(set) var stepsTaken = 0

    private var langevinSteps: Int { sigmas.count * sampler.stepCount }
    public var plannedSteps: Int? { langevinSteps + (sampler.finalDenoise ? 1 : 0) }
    public var isFinished: Bool { stepsTaken == plannedSteps! }
    public var sigma: [Double] {
        let level = stepsTaken < langevinSteps ? sigmas[stepsTaken / sampler.stepCount] : (sampler.finalDenoise && isFinished ? 0 : sigmas[sigmas.count - 1])
        return Array(repeating: level, count: x.rows)
    }

    public mutating func step() throws -> SamplingStep {
        let i = stepsTaken, total = plannedSteps!
        let sigmaL = sigmas[sigmas.count - 1]
        if i == langevinSteps {                               // x + σ_L²·score = D(x; σ_L)
            try context.beginStep(i, of: total, sigma: sigmaL)
            x = try context.denoise(model, x, sigma: sigmaL)
            try context.endStep(x, sigma: 0, denoised: x)
            stepsTaken += 1
            return SamplingStep(index: i, sigma: [Double](repeating: sigmaL, count: x.rows),
                                sigmaNext: [Double](repeating: 0, count: x.rows), denoised: x)
        }
        let sigma = sigmas[i / sampler.stepCount]
        let drift = sampler.convention == .paper ? 0.5 : 1.0          // h = drift·α in x + h·score + √(2h)·z
        let h = drift * sampler.epsilon * sigma * sigma / (sigmaL * sigmaL)
        try context.beginStep(i, of: total, sigma: sigma)
        let denoised = try context.denoise(model, x, sigma: sigma)
        // x + h·score + √(2h)·z with score = (D − x)/σ²; D − x first, exact in Float32 where
        // the two agree in most digits.
        let residual = Tensor.combination([(1.0, denoised), (-1.0, x)])
        x = Tensor.combination([(1.0, x), (.all(h / (sigma * sigma)), residual),
                                (.all((2 * h).squareRoot()), try noise.normal(like: x))])
        try context.endStep(x, sigma: sigma, denoised: denoised)
        stepsTaken += 1
        let levels = [Double](repeating: sigma, count: x.rows)
        return SamplingStep(index: i, sigma: levels, sigmaNext: levels, denoised: denoised)
    }
}
