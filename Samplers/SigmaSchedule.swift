import Foundation
import ScoreKitCore

/// σ schedules for samplers that step directly in σ.
public enum SigmaSchedule {
    /// The Karras/EDM schedule (Karras et al., "Elucidating the Design Space of Diffusion-Based
    /// Generative Models", 2022, eq. 5): `σ_i = (σ_max^{1/ρ} + i/(N−1)·(σ_min^{1/ρ} − σ_max^{1/ρ}))^ρ`
    /// for i = 0 … N−1. The final σ = 0 is not included.
    public static func karras(count n: Int, sigmaMin: Double = 0.002, sigmaMax: Double = 80, rho: Double = 7) -> [Double] {
        precondition(n >= 1, "karras: need at least one level")
        guard n > 1 else { return [sigmaMax] }
        let a = pow(sigmaMax, 1 / rho), b = pow(sigmaMin, 1 / rho)
        return (0..<n).map { i in pow(a + Double(i) / Double(n - 1) * (b - a), rho) }
    }

    /// The VE geometric schedule: `σ_i = σ_min·(σ_max/σ_min)^{t_i}` with t from 1 down to
    /// `epsilon` over N points (score_sde's `VESDE` timesteps).
    public static func geometric(count n: Int, sigmaMin: Double, sigmaMax: Double, epsilon: Double = 1e-5) -> [Double] {
        let process = VarianceExplodingProcess(sigmaMin: sigmaMin, sigmaMax: sigmaMax)
        return timeUniform(count: n, from: 1, to: epsilon).map(process.sigma(at:))
    }

    /// k-diffusion's polyexponential schedule: `σ_i = exp(log σ_min + t_i^ρ·(log σ_max − log σ_min))`
    /// with t from 1 down to 0 over N points — both ends included; ρ = 1 is uniform in log σ (the
    /// exponential schedule), ρ > 1 crowds the levels towards σ_min.
    public static func polyExponential(count n: Int, sigmaMin: Double, sigmaMax: Double, rho: Double = 1) -> [Double] {
        let lo = log(sigmaMin), span = log(sigmaMax) - lo
        return timeUniform(count: n, from: 1, to: 0).map { t in exp(lo + pow(t, rho) * span) }
    }

    /// N times evenly spaced from `start` to `end` inclusive (`linspace`).
    public static func timeUniform(count n: Int, from start: Double, to end: Double) -> [Double] {
        guard n > 1 else { return [start] }
        return (0..<n).map { i in start + Double(i) * (end - start) / Double(n - 1) }
    }
}
