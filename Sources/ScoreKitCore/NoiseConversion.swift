import Foundation

/// Conversions between the parametrisations of a diffusion model.
///
/// ScoreKit's common coordinates are variance-exploding: `x = x0 + σ·n`. A variance-preserving
/// state `x_t = α·x0 + s·ε` (α = √ᾱ, s = √(1−ᾱ)) is the same point scaled: `x_VE = x_t/α`,
/// `σ = s/α`. Given the denoiser output `D ≈ E[x0 | x]`, the other predictions follow:
///
/// | quantity | in VE coordinates |
/// |---|---|
/// | ε̂ | `(x − D)/σ` |
/// | score ∇log p_σ(x) | `(D − x)/σ²` (Tweedie) |
/// | ODE slope dx/dσ | `(x − D)/σ` |
/// | v (VP) | `α·ε̂ − s·D` |
public enum NoiseConversion {
    /// `σ = √((1 − ᾱ)/ᾱ)`.
    public static func sigma(alphaBar: Double) -> Double { ((1 - alphaBar) / alphaBar).squareRoot() }
    /// `ᾱ = 1/(1 + σ²)`.
    public static func alphaBar(sigma: Double) -> Double { 1 / (1 + sigma * sigma) }
    /// The VP scale `α = √ᾱ = 1/√(1 + σ²)`, so that `x_VP = α·x_VE`.
    public static func vpScale(sigma: Double) -> Double { 1 / (1 + sigma * sigma).squareRoot() }
    /// The log signal-to-noise ratio `λ = log(α/s) = −log σ`.
    public static func lambda(sigma: Double) -> Double { -Foundation.log(sigma) }

    /// `ε̂ = (x − D)/σ`, row by row.
    public static func epsilon(x: Tensor, denoised: Tensor, sigma: [Double]) -> Tensor {
        Tensor.combination([(.perRow(sigma.map { 1 / $0 }), x), (.perRow(sigma.map { -1 / $0 }), denoised)])
    }

    /// The score `(D − x)/σ²`, row by row.
    public static func score(x: Tensor, denoised: Tensor, sigma: [Double]) -> Tensor {
        Tensor.combination([(.perRow(sigma.map { 1 / ($0 * $0) }), denoised),
                            (.perRow(sigma.map { -1 / ($0 * $0) }), x)])
    }

    /// `D = x − σ·ε` (from an ε-prediction in VE coordinates).
    public static func denoised(x: Tensor, epsilon: Tensor, sigma: [Double]) -> Tensor {
        Tensor.combination([(1.0, x), (.perRow(sigma.map { -$0 }), epsilon)])
    }

    /// `D = x + σ²·score` (Tweedie's formula).
    public static func denoised(x: Tensor, score: Tensor, sigma: [Double]) -> Tensor {
        Tensor.combination([(1.0, x), (.perRow(sigma.map { $0 * $0 }), score)])
    }
}
