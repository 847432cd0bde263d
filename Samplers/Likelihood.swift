import Foundation
import ScoreKitCore

/// The log-likelihood of data under a model, through the probability-flow ODE (Song et al.,
/// "Score-Based Generative Modeling through Stochastic Differential Equations", ICLR 2021,
/// appendix D.2; Chen et al., "Neural Ordinary Differential Equations", 2018, for the
/// instantaneous change of variables; Grathwohl et al., FFJORD, 2019, for Hutchinson's trace).
///
/// In VE coordinates the flow `dx/dσ = (x − D(x; σ))/σ` carries the data density `p_σ` along,
/// with `d log p_σ(x(σ))/dσ = −div_x((x − D)/σ) = −(d − tr J)/σ`, `J = ∂D/∂x`. In `s = log σ`,
/// each row integrates
///
///     d/ds [x, ℓ] = [x − D(x; e^s), d − tr J(x; e^s)]
///
/// from `x(log σ_min) = data`, `ℓ = 0`, up to `log σ_max`, and
///
///     log p(x) ≈ log N(x(σ_max); 0, σ_max²·I) + ℓ(log σ_max)
///
/// (strictly, log p_{σ_min}; the prior replaces p_{σ_max}, whose spread the data's adds to
/// by a fraction σ_data²/σ_max²). The integration is adaptive Dormand–Prince 5(4), per row
/// (see `RK45`; here upwards in s): a step is accepted when both the RMS of the state's error
/// over `atol + rtol·|x|` and the error of ℓ over `atol + rtol·|ℓ|` are below 1, so the
/// integral has its own tolerance.
///
/// The trace: `exact` takes the d products `e_iᵀJ` with the unit vectors (d vector–Jacobian
/// products per evaluation); `hutchinson` estimates `tr J = E[vᵀJv]` from `probes` Rademacher
/// vectors v, drawn once per row from the row's own noise and kept for the whole integration
/// (FFJORD's choice; score_sde's `likelihood.py` and k-diffusion's `log_likelihood` use one).
/// Unset, the trace is exact up to `exactDimensionLimit` dimensions (the 2-D models: 2 products)
/// and estimated above it (64-D data: 1 product per probe instead of 64).
///
/// NFE per row = the denoiser evaluations it made: 1 (start) + 1 (step-size probe, no products)
/// + 6 per attempted step; each evaluation but the probe also makes d (exact) or `probes`
/// (Hutchinson) vector–Jacobian products.
public struct Likelihood: Sendable, Equatable {
    /// How the trace of the Jacobian is taken.
    public enum Divergence: String, Sendable, Equatable, CaseIterable {
        /// d products with the unit vectors: exact, d backward passes per evaluation.
        case exact
        /// `probes` Rademacher products: unbiased, `probes` backward passes per evaluation.
        case hutchinson
    }

    /// The tolerances of each step.
    public var rtol: Double, atol: Double
    /// Where the integration starts (the data) and ends (the prior); nil: the model's σ range,
    /// else 0.002 and 80.
    public var sigmaMin: Double?, sigmaMax: Double?
    /// The trace; nil: `exact` up to `exactDimensionLimit` dimensions, else `hutchinson`.
    public var divergence: Divergence?
    /// Rademacher probes per row for `hutchinson`.
    public var probes: Int

    /// The largest dimension whose trace is exact by default.
    public static let exactDimensionLimit = 16
    /// The most attempted steps per row before the integration gives up.
    public static let maxAttempts = 100_000

    /// A likelihood computation; see the properties (the tolerances are score_sde's).
    public init(rtol: Double = 1e-5, atol: Double = 1e-5, sigmaMin: Double? = nil, sigmaMax: Double? = nil,
                divergence: Divergence? = nil, probes: Int = 1) {
        self.rtol = rtol
        self.atol = atol
        self.sigmaMin = sigmaMin
        self.sigmaMax = sigmaMax
        self.divergence = divergence
        self.probes = probes
    }

    /// The settings checked: positive tolerances below 1, 0 < σ_min < σ_max, 1…10⁴ probes.
    public func validated() throws -> Self {
        for (name, value) in [("rtol", rtol), ("atol", atol)] where !(value > 0 && value <= 1) {
            throw LikelihoodError.invalidSetting("\(name) must be in (0, 1], got \(value)")
        }
        for (name, value) in [("sigma_min", sigmaMin), ("sigma_max", sigmaMax)] {
            if let value, !(value > 0 && value.isFinite) {
                throw LikelihoodError.invalidSetting("\(name) must be a positive number, got \(value)")
            }
        }
        let lo = sigmaMin ?? NoiseSchedule.defaultRange.lowerBound, hi = sigmaMax ?? NoiseSchedule.defaultRange.upperBound
        guard lo < hi else { throw LikelihoodError.invalidSetting("sigma_min=\(lo) must be below sigma_max=\(hi)") }
        guard (1...10_000).contains(probes) else { throw LikelihoodError.invalidSetting("probes must be in 1…10000, got \(probes)") }
        return self
    }

    /// The settings for `model` with nothing left unset: the σ range from the model (or
    /// 0.002…80) and the trace by the model's dimension.
    public func resolved(for model: any Denoiser) -> Self {
        let schedule = NoiseSchedule.ve(sigmaMin: sigmaMin, sigmaMax: sigmaMax).resolved(modelRange: model.sigmaRange)
        var out = self
        out.sigmaMin = schedule.sigmaMin
        out.sigmaMax = schedule.sigmaMax
        out.divergence = divergence ?? (model.dimension <= Self.exactDimensionLimit ? .exact : .hutchinson)
        return out
    }

    /// The vector–Jacobian products each evaluation makes for a model of `dimension` values.
    public func productsPerEvaluation(dimension: Int) -> Int {
        let exact = (divergence ?? (dimension <= Self.exactDimensionLimit ? .exact : .hutchinson)) == .exact
        return exact ? dimension : probes
    }

    /// `log p(x)` of each row of `x` (one batch, `[N] + sampleShape`). Hutchinson's probes
    /// come from `noise` (row r's from batch row r), so a row's result does not depend on its
    /// batch-mates. `progress` gets the fraction of the batch's integration done.
    public func logLikelihood(of x: Tensor, under model: any DifferentiableDenoiser, noise: any NoiseSource,
                              progress: ((Double) -> Void)? = nil) throws -> LikelihoodResult {
        guard x.rowShape == model.sampleShape else {
            throw LikelihoodError.shapeMismatch(data: x.rowShape, model: model.sampleShape)
        }
        let settings = try validated().resolved(for: model)
        var ode = try LikelihoodODE(settings: settings, model: model, data: x, noise: noise)
        try ode.run(progress: progress)
        return ode.result()
    }
}

/// The log-likelihood of each row and what it cost.
public struct LikelihoodResult: Sendable, Equatable {
    /// `log p(x)` per row, in nats.
    public var logLikelihood: [Double]
    /// `log N(x(σ_max); 0, σ_max²·I)` per row: the prior term.
    public var priorLogDensity: [Double]
    /// `∫ (d − tr J) d log σ` per row: the change-of-variables term.
    public var divergenceIntegral: [Double]
    /// Denoiser evaluations per row.
    public var nfe: [Int]
    /// Vector–Jacobian products per row.
    public var vectorJacobianProducts: [Int]
    /// Attempted steps per row (accepted and rejected).
    public var attempts: [Int]
    /// The values in one row.
    public var dimension: Int

    /// The results of several batches, one after another.
    public static func concatenating(_ parts: [LikelihoodResult]) -> LikelihoodResult {
        LikelihoodResult(logLikelihood: parts.flatMap(\.logLikelihood), priorLogDensity: parts.flatMap(\.priorLogDensity),
                         divergenceIntegral: parts.flatMap(\.divergenceIntegral), nfe: parts.flatMap(\.nfe),
                         vectorJacobianProducts: parts.flatMap(\.vectorJacobianProducts), attempts: parts.flatMap(\.attempts),
                         dimension: parts.first?.dimension ?? 0)
    }

    /// The mean negative log-likelihood, nats per sample.
    public var nllMean: Double { -logLikelihood.reduce(0, +) / Double(max(logLikelihood.count, 1)) }

    /// The standard error of `nllMean` (sample standard deviation over √N; 0 for one row).
    public var nllStandardError: Double {
        let n = Double(logLikelihood.count)
        guard n > 1 else { return 0 }
        let mean = -nllMean
        let variance = logLikelihood.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
        return (variance / n).squareRoot()
    }

    /// Bits per dimension of the continuous density: `nll/(d·ln 2)`.
    public var bitsPerDimension: Double { nllMean / (Double(dimension) * log(2)) }
}

/// Why a likelihood could not be computed.
public enum LikelihoodError: DescribedError, Equatable {
    /// A setting outside its range.
    case invalidSetting(String)
    /// The data's rows are not the model's samples.
    case shapeMismatch(data: [Int], model: [Int])
    /// A NaN or infinity appeared in a row's integration.
    case nonFinite(row: Int, sigma: Double)
    /// A row's step size fell to nothing or its steps ran past `Likelihood.maxAttempts`.
    case stalled(row: Int, sigma: Double)

    public var description: String {
        switch self {
        case .invalidSetting(let why): "likelihood: \(why)"
        case let .shapeMismatch(data, model):
            "likelihood: data rows have shape \(data) but the model's samples have shape \(model)"
        case let .nonFinite(row, sigma): "likelihood: row \(row) became non-finite at σ = \(sigma)"
        case let .stalled(row, sigma): "likelihood: row \(row) stalled at σ = \(sigma) (step size underflow); loosen rtol/atol"
        }
    }
}
