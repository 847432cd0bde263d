import Foundation
import ScoreKitCore

/// Annealed Langevin dynamics (Song & Ermon, "Generative Modeling by Estimating Gradients of the
/// Data Distribution", NeurIPS 2019, Algorithm 1), with NCSNv2's rules for the settings left
/// unset (Song & Ermon, "Improved Techniques for Training Score-Based Generative Models",
/// NeurIPS 2020; `NCSNv2Rules`).
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
///
/// Unset settings come from the model and the budget (`resolved(for:)`): σ_1 the data diameter
/// (Technique 1; the model's σ_max where it has none), σ_L the model's σ_min — raised to a
/// tenth of the data's finest scale where the model knows it (`Denoiser.dataResolution`) —,
/// L from Technique 2's ratio, T = ⌊(NFE budget − denoise)/L⌋ (budget 1000 without --nfe),
/// ε from Technique 4.
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

    /// The NFE budget the unset level and step counts share when no `--nfe` is given.
    public static let defaultBudget = 1000

    /// σ_1, the first and largest level (`init=gaussian` draws σ_1·z); nil: the model's data
    /// diameter, else its σ_max.
    public var sigmaMax: Double?
    /// σ_L, the last and smallest level; nil: the model's σ_min, or a tenth of the data's
    /// finest scale where that is larger (`NCSNv2Rules`).
    public var sigmaMin: Double?
    /// L: geometric levels (1 = plain Langevin dynamics at σ_min); nil: NCSNv2's Technique 2.
    public var levels: Int?
    /// T: Langevin steps per level; nil: the budget's share, ⌊(budget − denoise)/L⌋.
    public var steps: Int?
    /// ε: the base step size; level i takes `α_i = ε·σ_i²/σ_L²`; nil: NCSNv2's Technique 4.
    public var epsilon: Double?
    /// How ε becomes the step.
    public var convention: Convention
    /// Where the chains start.
    public var initialization: Initialization
    /// Whether a final Tweedie step `D(x; σ_L)` ends the run.
    public var finalDenoise: Bool
    /// The NFE budget `fitted(toNFE:)` recorded for unset levels, until `resolved(for:)`.
    var budget: Int?

    /// A sampler; see the properties. Unset values follow NCSNv2's rules for the model.
    public init(sigmaMax: Double? = nil, sigmaMin: Double? = nil, levels: Int? = nil, steps: Int? = nil, epsilon: Double? = nil,
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
        reference: "Song & Ermon, Generative Modeling by Estimating Gradients of the Data Distribution, NeurIPS 2019; "
            + "defaults: Song & Ermon, Improved Techniques for Training Score-Based Generative Models, NeurIPS 2020",
        nfeRule: "NFE = levels·steps (+1 with denoise); --nfe N sets steps = ⌊(N − denoise)/levels⌋",
        base: AnnealedLangevin(),
        options: [
            .real("sigma_max", \.sigmaMax, in: 1e-6...1e6, auto: "the data's largest pairwise distance (NCSNv2 Technique 1), else the model's σ_max",
                  help: "σ_1, the first and largest level; init=gaussian draws σ_1·z"),
            .real("sigma_min", \.sigmaMin, in: 1e-6...1e6, auto: "the model's σ_min, or a tenth of the data's finest scale where larger", help: "σ_L, the last and smallest level"),
            .integer("levels", \.levels, in: 1...100_000, auto: "NCSNv2 Technique 2's ratio (100 steps per level below 5 dimensions)",
                     help: "L: geometric levels (1 = plain Langevin at sigma_min)"),
            .integer("steps", \.steps, in: 1...10_000_000, auto: "⌊(NFE budget − denoise)/levels⌋, budget --nfe or 1000",
                     help: "T: Langevin steps per level"),
            .real("eps", \.epsilon, in: 1e-15...1e6, auto: "NCSNv2 Technique 4 for T and the level ratio", help: "ε: step α_i = ε·σ_i²/σ_L²"),
            .choice("convention", \.convention, help: "paper: x + (α/2)·score + √α·z; code: x + α·score + √(2α)·z"),
            .choice("init", \.initialization, help: "uniform: U[0,1] as Φ(z); gaussian: σ_1·z"),
            .flag("denoise", \.finalDenoise, help: "finish with x + σ_L²·score(x, σ_L) (+1 NFE)"),
        ])

    private var denoiseNFE: Int { finalDenoise ? 1 : 0 }
    var levelCount: Int { levels ?? 10 }
    /// T: given, else the budget's share (100 at NCSN's 10 levels and no budget).
    var stepCount: Int { steps ?? max(1, ((budget ?? Self.defaultBudget) - denoiseNFE) / levelCount) }

    /// The noise levels σ_1 > … > σ_L of the settings given (unset ones at NCSN's CIFAR-10
    /// values σ_1 = 1, σ_L = 0.01, L = 10); `sigmas(for:)` gives a model's.
    public var sigmas: [Double] {
        let hi = sigmaMax ?? 1, lo = sigmaMin ?? 0.01
        return levelCount == 1 ? [lo] : (0..<levelCount).map { hi * pow(lo / hi, Double($0) / Double(levelCount - 1)) }
    }

    /// The noise levels σ_1 > … > σ_L the sampler visits on `model`.
    public func sigmas(for model: any Denoiser) -> [Double] { resolved(for: model).sigmas }

    public func validated() throws -> Self {
        if let lo = sigmaMin, let hi = sigmaMax, lo > hi {
            throw SamplerSpecError.invalidCombination(sampler: name,
                reason: "sigma_min=\(canonicalNumber(lo)) must not exceed sigma_max=\(canonicalNumber(hi))")
        }
        return self
    }

    /// Every unset value filled in for `model` by NCSNv2's rules (`NCSNv2Rules`), against the
    /// budget `fitted(toNFE:)` recorded (1000 without one).
    public func resolved(for model: any Denoiser) -> Self {
        var out = self
        let range = modelSigmaRange(model)
        let hi = sigmaMax ?? model.dataDiameter ?? range.upperBound
        let lo = sigmaMin ?? min(max(range.lowerBound, (model.dataResolution ?? 0) / 10), hi)
        let langevinBudget = max(1, (budget ?? Self.defaultBudget) - denoiseNFE)
        let l = levels ?? NCSNv2Rules.levels(sigmaMax: hi, sigmaMin: lo, dimension: model.dimension, budget: langevinBudget, steps: steps)
        let t = steps ?? max(1, langevinBudget / l)
        if epsilon == nil {
            // The ratio a level is entered with; for one level, the start's scale σ_1 against σ_L.
            let gamma = l == 1 ? max(hi / lo, 1) : pow(hi / lo, 1 / Double(l - 1))
            let u = NCSNv2Rules.stepFraction(ratio: gamma, steps: t)
            out.epsilon = (convention == .code ? 1 : 2) * u * lo * lo
        }
        (out.sigmaMax, out.sigmaMin, out.levels, out.steps, out.budget) = (hi, lo, l, t, nil)
        return out
    }

    /// Fixed once levels are known; nil while they wait for the model.
    public var plannedNFE: Int? { levels.map { $0 * stepCount + denoiseNFE } }

    /// With `levels` given, steps = ⌊(nfe − denoise)/levels⌋ (or a given count checked). With
    /// levels unset, the budget is recorded for `resolved(for:)`, which lays L levels and T
    /// steps within it; a given T must leave room for one level.
    public func fitted(toNFE nfe: Int) throws -> Self {
        if levels != nil {
            return try fittedSteps(steps, in: 1...10_000_000, toNFE: nfe, nfe: { levelCount * $0 + denoiseNFE }) { n in
                var out = self
                out.steps = n
                return out
            }
        }
        let need = (steps ?? 1) + denoiseNFE
        guard need <= nfe else {
            let detail = steps.map { "steps=\($0)" + (finalDenoise ? " plus the denoise step" : "") + " need \(need) NFE per sample for one level" }
                ?? "one Langevin step plus the denoise step need 2 NFE per sample"
            throw SamplerSpecError.overBudget(sampler: name, detail: detail, budget: nfe)
        }
        var out = self
        out.budget = nfe
        return out
    }

    public func makeRun(_ model: any Denoiser, from z: Tensor, noise: any NoiseSource,
                        context: SamplingContext) throws -> AnnealedLangevinRun {
        let sampler = resolved(for: model)
        return AnnealedLangevinRun(sampler: sampler, sigmas: sampler.sigmas, model: model, x: sampler.initialState(z), noise: noise,
                                   context: context)
    }

    /// U[0,1] as Φ(z), or σ_1·z.
    private func initialState(_ z: Tensor) -> Tensor {
        switch initialization {
        case .gaussian:
            return sigmaMax! * z
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
        let h = drift * sampler.epsilon! * sigma * sigma / (sigmaL * sigmaL)
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
