import Foundation
import ScoreKit
import Testing

/// Convergence order of the multistep solvers on the single Gaussian of `ODEConvergenceTests`,
/// whose probability-flow ODE and denoiser are closed-form. `sample` ends with `x ← D(x; σ_min)`,
/// so the exact answer it approximates is `D(x(σ_min); σ_min)` with x(σ) the exact flow from
/// `σ_max·z`; the error is the largest absolute difference over 64 samples × 4 dimensions, on
/// the Karras schedule at 32, 64 and 128 steps (above diffusers' 15-step threshold for lower
/// final orders, below the Float32 floor of ≈ 1e-5). A method of order q divides the error by
/// 2^q per doubling; each test requires the ratios inside a band around 2^q that excludes the
/// neighbouring orders.
@Suite("Multistep solvers: convergence order on a single Gaussian")
struct MultistepConvergenceTests {
    static let gaussian = SingleGaussian.standard

    /// `D(x; σ)` of the Gaussian, exactly.
    static func denoised(_ x: Tensor, sigma: Double) -> Tensor {
        let g = gaussian, d = g.mean.count
        var out = x
        for (k, v) in x.scalars.enumerated() {
            let j = k % d, s2 = g.std[j] * g.std[j]
            out.scalars[k] = Float(g.mean[j] + s2 / (s2 + sigma * sigma) * (Double(v) - g.mean[j]))
        }
        return out
    }

    /// The errors of `spec` (keys without `steps`) at each step count, and their ratios.
    static func ratios(_ spec: String, steps: [Int] = [32, 64, 128]) throws -> (errors: [Double], ratios: [Double]) {
        let z = try TestKit.normals(rows: 64, dimension: 4)
        let sigmaMin = NoiseSchedule.defaultRange.lowerBound, sigmaMax = NoiseSchedule.defaultRange.upperBound
        let exact = denoised(gaussian.flow(sigmaMax * z, from: Array(repeating: sigmaMax, count: 64), to: sigmaMin), sigma: sigmaMin)
        let errors = try steps.map { n in
            TestKit.maxError(try TestKit.run(try TestKit.sampler(spec + ",steps=\(n)"), gaussian.model, z: z).0, exact)
        }
        return (errors, zip(errors, errors.dropFirst()).map { $0 / $1 })
    }

    static func expectRatios(_ spec: String, in band: Range<Double>, steps: [Int] = [32, 64, 128]) throws {
        let (errors, ratios) = try ratios(spec, steps: steps)
        for ratio in ratios { #expect(band.contains(ratio), "\(spec): errors \(errors), ratios \(ratios)") }
    }

    /// Measured (32 → 64 → 128): UniPC-1 without corrector 1.99, 2.00.
    @Test("UniP-1 alone is first order")
    func firstOrder() throws {
        try Self.expectRatios("unipc:order=1,corrector=false", in: 1.9..<2.1)
    }

    /// Measured: dpm-solver++ 2M 4.40, 4.18 (heun 4.55, 4.24); deis 2 4.19, 4.12; unipc 1 (+ UniC) 4.03, 4.04;
    /// UniP-2 alone is DPM-Solver++(2M) in other words (the same errors).
    @Test("second-order configurations divide the error by about 4", arguments: [
        "dpm-solver++:order=2", "dpm-solver++:order=2,solver_type=heun", "deis:order=2", "unipc:order=1",
        "unipc:order=2,corrector=false",
    ])
    func secondOrder(_ spec: String) throws {
        try Self.expectRatios(spec, in: 3.5..<5.5)
    }

    /// diffusers' (and k-diffusion's, and the DPM-Solver reference code's) third-order multistep
    /// update weights `D2 = (D1₀ − D1₁)/(r_0 + r_1)` — which estimates h²·D''/2 — by −φ₃(h),
    /// where the Taylor expansion needs −2φ₃(h): the local error stays O(h³), so 3M as shipped
    /// converges at second order (a Float64 re-implementation with 2φ₃ gives 8.96, 8.41, 8.10).
    /// ScoreKit keeps diffusers' update for parity. Measured (128 → 256 → 512): 3.76, 4.01.
    @Test("DPM-Solver++(3M) as diffusers ships it converges at second order")
    func threeMIsSecondOrder() throws {
        try Self.expectRatios("dpm-solver++:order=3", in: 3.5..<5.5, steps: [128, 256, 512])
    }

    /// Measured: deis 3 6.66, 7.42 (approaching 8 from below); unipc 2 (bh2 + UniC) 8.58, 8.42,
    /// bh1 9.36, 8.67; UniP-3 alone 8.98, 8.21.
    @Test("third-order configurations divide the error by about 8", arguments: [
        "deis:order=3", "unipc:order=2", "unipc:order=2,variant=bh1", "unipc:order=3,corrector=false",
    ])
    func thirdOrder(_ spec: String) throws {
        try Self.expectRatios(spec, in: 6.5..<11)
    }

    /// UniC raises UniP-3 to fourth order. Measured: bh2 16.8, 19.5; bh1 17.0, 16.1.
    @Test("UniPC-3 with its corrector is fourth order", arguments: ["unipc:order=3", "unipc:order=3,variant=bh1"])
    func fourthOrder(_ spec: String) throws {
        try Self.expectRatios(spec, in: 13..<24)
    }
}
