import Foundation

/// What an exact probability-flow ODE solve produces on `gmm2d` (0.8·N((5,5), I) + 0.2·N((−5,−5), I))
/// when it starts from N(0, σ_max²·I) instead of the true noisy marginal p_σmax.
///
/// Along u = (x₁ + x₂)/√2 the mixture is 0.8·N(a, 1) + 0.2·N(−a, 1) with a = 5√2, and along
/// v = (x₁ − x₂)/√2 it is N(0, 1) for both components; the denoiser's u-part depends on u only and
/// its v-part on v only, so the flow decouples into two 1-D flows. A 1-D flow is monotone and maps
/// p_σmax to p_0, so it is the quantile map `T = F₀⁻¹∘F_σmax` (u) and `v ↦ v/√(1 + σ_max²)` (v).
/// Pushing N(0, σ_max²) through it gives the mode weight and mean log-likelihood below, by
/// quadrature. The data mean (3, 3) sits 3√2 off the prior's centre, so the (5,5) mode gets
/// ≈ 0.8 − φ(Φ⁻¹(0.8))·3√2/σ_max ≈ 0.785 at σ_max = 80 rather than 0.8.
struct GMM2DPriorShift {
    static let a = 5 * 2.0.squareRoot()
    let sigmaMax: Double
    /// The probability that a sample lands in the (5,5) mode, and `E[log p(x)]` over the samples.
    let modeWeight: Double, meanLogLikelihood: Double

    init(sigmaMax: Double) {
        self.sigmaMax = sigmaMax
        modeWeight = Self.weight(sigmaMax)
        meanLogLikelihood = Self.logLikelihood(sigmaMax)
    }

    /// The mode weight, as `component(of:)` decides: u above the point where the weighted
    /// component densities are equal.
    private static func weight(_ sigmaMax: Double) -> Double {
        let c = -log(4) / (2 * a)
        let b = quantile(of: cdf(c, sigma: 0), sigma: sigmaMax)     // the prior point that lands on c
        return phi(-b / sigmaMax)
    }

    private static func logLikelihood(_ sigmaMax: Double) -> Double {
        // v: N(0, σ²/(1+σ²)) against the N(0, 1) density.
        let v = -0.5 * log(2 * .pi) - 0.5 * sigmaMax * sigmaMax / (1 + sigmaMax * sigmaMax)
        // u: Simpson's rule over t ∈ [−9, 9] for u = σ_max·t, t ~ N(0, 1).
        let n = 6000, lo = -9.0, h = 18.0 / Double(n)
        var sum = 0.0
        for i in 0...n {
            let t = lo + Double(i) * h
            let w = (i == 0 || i == n) ? 1.0 : (i % 2 == 1 ? 4.0 : 2.0)
            let density = exp(-0.5 * t * t) / (2 * .pi).squareRoot()
            sum += w * density * logDensityU(transport(sigmaMax * t, sigmaMax: sigmaMax))
        }
        return sum * h / 3 + v
    }

    /// Where the flow takes u from σ_max to 0.
    static func transport(_ u: Double, sigmaMax: Double) -> Double {
        let upper = u > 0   // match survival functions above the middle, CDFs below, for precision
        let target = upper ? survival(u, sigma: sigmaMax) : cdf(u, sigma: sigmaMax)
        var lo = -60.0, hi = 60.0
        for _ in 0..<100 {
            let mid = 0.5 * (lo + hi)
            let below = upper ? survival(mid, sigma: 0) > target : cdf(mid, sigma: 0) < target
            if below { lo = mid } else { hi = mid }
        }
        return 0.5 * (lo + hi)
    }

    /// The u at noise level σ below which a fraction `p` of the mass lies.
    static func quantile(of p: Double, sigma: Double) -> Double {
        let reach = a + 40 * (1 + sigma * sigma).squareRoot()
        var lo = -reach, hi = reach
        for _ in 0..<100 {
            let mid = 0.5 * (lo + hi)
            if cdf(mid, sigma: sigma) < p { lo = mid } else { hi = mid }
        }
        return 0.5 * (lo + hi)
    }

    static func cdf(_ u: Double, sigma: Double) -> Double {
        let s = (1 + sigma * sigma).squareRoot()
        return 0.8 * phi((u - a) / s) + 0.2 * phi((u + a) / s)
    }

    static func survival(_ u: Double, sigma: Double) -> Double {
        let s = (1 + sigma * sigma).squareRoot()
        return 0.8 * phi((a - u) / s) + 0.2 * phi((-a - u) / s)
    }

    static func logDensityU(_ u: Double) -> Double {
        let l1 = log(0.8) - 0.5 * (u - a) * (u - a), l2 = log(0.2) - 0.5 * (u + a) * (u + a)
        let m = max(l1, l2)
        return m + log(exp(l1 - m) + exp(l2 - m)) - 0.5 * log(2 * .pi)
    }

    /// The standard normal CDF.
    static func phi(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }
}
