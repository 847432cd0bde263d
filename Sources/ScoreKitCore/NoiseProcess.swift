import Foundation

/// A continuous-time forward noise process `dx = f(t)·x dt + g(t) dw` on t ∈ [0, 1]
/// (Song et al., "Score-Based Generative Modeling through Stochastic Differential Equations",
/// ICLR 2021), described by where it puts a data point in ScoreKit's VE coordinates:
/// `x_t = scale(t)·(x0 + sigma(t)·n)`.
public protocol NoiseProcess: Sendable {
    /// The VE noise level σ(t) of the marginal at time t.
    func sigma(at t: Double) -> Double
    /// The scale s(t) of the process state relative to VE coordinates: `x_t = s(t)·x_VE`.
    func scale(at t: Double) -> Double
    /// The linear drift coefficient f(t) of `dx = f(t)·x dt + g(t) dw`.
    func drift(at t: Double) -> Double
    /// The diffusion coefficient g(t).
    func diffusion(at t: Double) -> Double
    /// The time at which the marginal has VE noise level σ (the inverse of `sigma(at:)`).
    func time(atSigma sigma: Double) -> Double
}

/// The variance-exploding SDE: `σ(t) = σ_min·(σ_max/σ_min)^t`, `f = 0`,
/// `g(t) = σ(t)·√(2 log(σ_max/σ_min))`.
public struct VarianceExplodingProcess: NoiseProcess, Hashable {
    /// σ at t = 0 and at t = 1.
    public var sigmaMin: Double, sigmaMax: Double
    /// A VE process between `sigmaMin` and `sigmaMax` (score_sde defaults 0.01 and 50).
    public init(sigmaMin: Double = 0.01, sigmaMax: Double = 50) {
        self.sigmaMin = sigmaMin; self.sigmaMax = sigmaMax
    }
    public func sigma(at t: Double) -> Double { sigmaMin * pow(sigmaMax / sigmaMin, t) }
    public func scale(at t: Double) -> Double { 1 }
    public func drift(at t: Double) -> Double { 0 }
    public func diffusion(at t: Double) -> Double { sigma(at: t) * (2 * log(sigmaMax / sigmaMin)).squareRoot() }
    public func time(atSigma sigma: Double) -> Double { log(sigma / sigmaMin) / log(sigmaMax / sigmaMin) }
}

/// The variance-preserving SDE with linear `β(t) = β_min + t(β_max − β_min)`:
/// `f = −½β(t)`, `g = √β(t)`, `ᾱ(t) = exp(−½t²(β_max − β_min) − tβ_min)`.
public struct VariancePreservingProcess: NoiseProcess, Hashable {
    /// β at t = 0 and at t = 1.
    public var betaMin: Double, betaMax: Double
    /// A VP process (score_sde defaults β_min 0.1, β_max 20).
    public init(betaMin: Double = 0.1, betaMax: Double = 20) {
        self.betaMin = betaMin; self.betaMax = betaMax
    }
    /// β(t).
    public func beta(at t: Double) -> Double { betaMin + t * (betaMax - betaMin) }
    /// `log ᾱ(t) = −½t²(β_max − β_min) − tβ_min` (twice the log of the mean coefficient).
    public func logAlphaBar(at t: Double) -> Double { -0.5 * t * t * (betaMax - betaMin) - t * betaMin }
    public func sigma(at t: Double) -> Double { (-expm1(logAlphaBar(at: t))).squareRoot() / exp(0.5 * logAlphaBar(at: t)) }
    public func scale(at t: Double) -> Double { exp(0.5 * logAlphaBar(at: t)) }
    public func drift(at t: Double) -> Double { -0.5 * beta(at: t) }
    public func diffusion(at t: Double) -> Double { beta(at: t).squareRoot() }
    public func time(atSigma sigma: Double) -> Double {
        // Solve ½Δ·t² + β_min·t + log ᾱ = 0 with log ᾱ = −log(1 + σ²).
        let delta = betaMax - betaMin, logAlphaBar = -log1p(sigma * sigma)
        guard delta > 0 else { return -logAlphaBar / betaMin }
        return (-betaMin + (betaMin * betaMin - 2 * delta * logAlphaBar).squareRoot()) / delta
    }
}

/// The sub-VP SDE: VP's drift with `g(t) = √(β(t)(1 − e^{−2∫β}))`; marginal mean α(t) as VP,
/// standard deviation `1 − α(t)²`, so `σ(t) = (1 − α²)/α`.
public struct SubVariancePreservingProcess: NoiseProcess, Hashable {
    /// The VP process whose β schedule and drift it shares.
    public var base: VariancePreservingProcess
    /// A sub-VP process on the β schedule of `VariancePreservingProcess(betaMin:betaMax:)`.
    public init(betaMin: Double = 0.1, betaMax: Double = 20) {
        base = VariancePreservingProcess(betaMin: betaMin, betaMax: betaMax)
    }
    public func sigma(at t: Double) -> Double {
        let l = base.logAlphaBar(at: t)
        return -expm1(l) / exp(0.5 * l)
    }
    public func scale(at t: Double) -> Double { base.scale(at: t) }
    public func drift(at t: Double) -> Double { base.drift(at: t) }
    public func diffusion(at t: Double) -> Double {
        (base.beta(at: t) * -expm1(2 * base.logAlphaBar(at: t))).squareRoot()
    }
    public func time(atSigma sigma: Double) -> Double {
        // σ = (1 − a)/√a with a = ᾱ: solve for √a, then invert VP's ᾱ(t).
        let r = (-sigma + (sigma * sigma + 4).squareRoot()) / 2   // √ᾱ
        let vpSigma = NoiseConversion.sigma(alphaBar: r * r)
        return base.time(atSigma: vpSigma)
    }
}
