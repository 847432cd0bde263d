import Foundation
import ScoreKit
import ScoreKitTestSupport
import Testing

/// Samples of `gmm2d` (0.8·N((5,5), I) + 0.2·N((−5,−5), I)) at generous budgets.
///
/// The samplers start from N(0, σ_max²), not the noisy data marginal whose mean is (3, 3), so an
/// exact ODE solve puts p* ≈ 0.785 (not 0.8) on the (5,5) mode and has mean log-likelihood
/// L* ≈ −3.354 (not −3.338); `GMM2DPriorShift` computes both. Each test checks the issue's
/// criteria (mode weight 0.80 ± 0.03; mean log-likelihood within 0.05 nats of exact samples')
/// and, more sharply, the distance to p* and L* within 4 standard errors: `√(p*(1−p*)/n)` for the
/// weight, the sample standard deviation of log p over √n for the log-likelihood.
/// The cheap samplers draw 20,000 samples; Euler (400 steps) and RK45 (adaptive, every stage at
/// its own σ per sample, so the mixture's tables are rebuilt per row), and 200-step stochastic
/// Heun draw 5,000 to keep the suite fast. `SCOREKIT_TEST_FULL=1` makes every case draw
/// 20,000 and print its figures (docs/samplers/ode.md lists them).
@Suite("ODE samplers: distributions on gmm2d", .tags(.statistical), .statistical)
struct ODEDistributionTests {
    static let shift = GMM2DPriorShift(sigmaMax: 80)
    static let model = BuiltinModels.gmm2d

    struct Case: Sendable, CustomTestStringConvertible {
        let spec: String, count: Int
        /// Whether the samples should match the exact ODE's p* and L* to within standard errors.
        var exact = true
        var testDescription: String { "\(spec) × \(count)" }
    }

    @Test("mode weight and mean log-likelihood", arguments: [
        Case(spec: "heun:steps=50", count: 20_000),
        Case(spec: "dpm-solver++:steps=100", count: 20_000),
        Case(spec: "euler:steps=400", count: 5_000),
        Case(spec: "rk45", count: 5_000),
        // Churn with S_noise = 1 targets the same distribution; Denoising MCMC's S_noise = 1.007
        // adds 0.7% more noise than the exact score calls for (EDM's correction for networks), which
        // broadens the samples of an exact model: mean log p ≈ 0.02–0.03 nats below L* (measured at
        // 20,000 samples), so that setting is held to the criteria only.
        Case(spec: "heun-churn:steps=200,s_noise=1", count: 5_000),
        Case(spec: "heun-churn:steps=200", count: 5_000, exact: false),
    ])
    func distribution(_ c: Case) throws {
        let full = TestSettings.full
        let count = full ? 20_000 : c.count
        let z = try PhiloxNoise(seed: 11, stream: RandomStreamID.initialNoise, sampleIndices: Array(0..<count))
            .normal(rows: nil, shape: [2])
        let (x, context) = try TestKit.run(try TestKit.sampler(c.spec), Self.model, z: z, seed: 12)
        let n = Double(count)

        let weight = Double(Self.model.component(of: x).filter { $0 == 0 }.count) / n
        let p = Self.shift.modeWeight
        #expect(abs(weight - 0.8) <= 0.03, "\(c.spec): weight \(weight)")
        #expect(!c.exact || abs(weight - p) <= 4 * (p * (1 - p) / n).squareRoot(), "\(c.spec): weight \(weight), exact-ODE weight \(p)")

        let (mean, standardError) = Self.meanAndError(Self.model.logDensity(x))
        let exact = Self.meanAndError(Self.model.logDensity(Self.model.sample(count: count, seed: 13))).mean
        if full {
            print(String(format: "%@ × %d: NFE %.1f, weight %.4f (exact ODE %.4f ± %.4f), mean log p %.4f ± %.4f (exact ODE %.4f, exact samples %.4f)",
                         c.spec, count, Double(context.nfe.reduce(0, +)) / n, weight, p, (p * (1 - p) / n).squareRoot(),
                         mean, standardError, Self.shift.meanLogLikelihood, exact))
        }
        #expect(abs(mean - exact) < 0.05, "\(c.spec): mean log-likelihood \(mean), exact samples \(exact)")
        #expect(!c.exact || abs(mean - Self.shift.meanLogLikelihood) <= 4 * standardError,
                "\(c.spec): mean log-likelihood \(mean), exact ODE \(Self.shift.meanLogLikelihood) ± \(standardError)")
    }

    /// The prior shift itself: the quadrature reproduces the first-order estimate
    /// 0.8 − φ(Φ⁻¹(0.8))·3√2/σ_max, and with a huge σ_max the shift vanishes.
    @Test("the exact-ODE targets")
    func priorShift() {
        let firstOrder = 0.8 - 0.28 * 3 * 2.0.squareRoot() / 80
        #expect(abs(Self.shift.modeWeight - firstOrder) < 0.001)
        #expect(abs(GMM2DPriorShift(sigmaMax: 1e5).modeWeight - 0.8) < 1e-4)
        let exactMean = -log(2 * .pi) - 1 + 0.8 * log(0.8) + 0.2 * log(0.2)   // modes do not overlap
        #expect(abs(GMM2DPriorShift(sigmaMax: 1e5).meanLogLikelihood - exactMean) < 1e-3)
        #expect(Self.shift.meanLogLikelihood < exactMean - 0.01)
    }

    static func meanAndError(_ v: [Double]) -> (mean: Double, error: Double) {
        let n = Double(v.count), mean = v.reduce(0, +) / n
        let variance = v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
        return (mean, (variance / n).squareRoot())
    }
}
