import Foundation
import ScoreKit
import ScoreKitTestSupport
import Testing

/// SDEdit on a single Gaussian N(μ, s²) (per dimension), where noising y to σ, integrating to
/// σ_m = the model's σ_min and denoising there has a closed-form law:
///
/// - probability-flow ODE: x(σ_m) = μ + (x_σ − μ)·√((s² + σ_m²)/(s² + σ²)), then
///   D = μ + s²/(s² + σ_m²)·(x − μ): affine in x_σ = y + σ·z, so the result is Gaussian with
///   mean μ + k·(y − μ) and variance k²σ², k = s²/√((s² + σ_m²)(s² + σ²));
/// - reverse SDE: x(σ_m) given x_σ is the forward process's bridge,
///   N(μ + a/(s² + σ²)·(x_σ − μ), a(σ² − σ_m²)/(s² + σ²)) with a = s² + σ_m², then D.
@Suite("SDEdit matches noised-then-denoised")
struct SDEditMatchesNoisedThenDenoisedTests {
    static let gaussian = SingleGaussian.standard
    static let y: [Float] = [3, -1, -2, 2]

    static func edit(_ spec: String, model: any Denoiser, data: Tensor, sigmaStart: Double, seed: UInt64 = 4,
                     batch: Int = 10_000, threads: Int = 1) throws -> SamplingResult {
        let sampler = try SamplerCatalog.standard.sampler(spec).resolved(for: model)
        var job = SamplingJob(sampler: sampler, model: model, count: data.rows, seed: seed, batchSize: batch, threads: threads)
        job.edit = .sdedit(data: data, sigmaStart: sigmaStart)
        return try job.run()
    }

    static func data(rows: Int) -> Tensor { Tensor(rows: Array(repeating: y, count: rows)) }

    /// Mean and variance of each coordinate of the closed-form law.
    static func law(sigma: Double, sigmaMin m: Double, stochastic: Bool) -> [(mean: Double, variance: Double)] {
        (0..<4).map { j in
            let mu = gaussian.mean[j], s2 = gaussian.std[j] * gaussian.std[j], v = s2 + sigma * sigma, a = s2 + m * m
            let yj = Double(y[j])
            if !stochastic {
                let k = s2 / (a * v).squareRoot()
                return (mu + k * (yj - mu), k * k * sigma * sigma)
            }
            let d = s2 / a             // D's gain at σ_m
            let meanGain = a / v       // E[x(σ_m) | x_σ] gain
            let variance = d * d * (a * (sigma * sigma - m * m) / v + meanGain * meanGain * sigma * sigma)
            return (mu + d * meanGain * (yj - mu), variance)
        }
    }

    static func check(_ x: Tensor, against law: [(mean: Double, variance: Double)], label: String) {
        let n = x.rows
        for j in 0..<4 {
            let v = (0..<n).map { Double(x.scalars[4 * $0 + j]) }
            let (mean, error) = TestKit.meanAndError(v)
            let variance = v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n - 1)
            let varianceError = law[j].variance * (2 / Double(n - 1)).squareRoot()
            print("sdedit \(label) dim \(j): mean \(mean) (exact \(law[j].mean) ± \(error)), variance \(variance) (exact \(law[j].variance) ± \(varianceError))")
            #expect(abs(mean - law[j].mean) < 4 * error, "\(label) mean, dim \(j)")
            #expect(abs(variance - law[j].variance) < 4 * varianceError, "\(label) variance, dim \(j)")
        }
    }

    @Test("the law of the result is the closed form", .tags(.statistical), .statistical,
          arguments: [("heun:steps=40", false), ("dpm-solver++:steps=30", false), ("euler-maruyama:steps=1000", true)])
    func closedFormLaw(spec: String, stochastic: Bool) throws {
        let model = Self.gaussian.model
        let n = TestSettings.count(default: 4000)
        for sigma in [0.5, 2.0] {
            let x = try Self.edit(spec, model: model, data: Self.data(rows: n), sigmaStart: sigma).samples
            Self.check(x, against: Self.law(sigma: sigma, sigmaMin: model.sigmaRange.lowerBound, stochastic: stochastic),
                       label: "\(spec) σ_start \(sigma)")
        }
    }

    @Test("at σ_max it samples the model unconditionally", .tags(.statistical), .statistical)
    func atSigmaMaxItIsUnconditional() throws {
        let model = Self.gaussian.model
        let n = TestSettings.count(default: 4000)
        let x = try Self.edit("heun:steps=40", model: model, data: Self.data(rows: n), sigmaStart: model.sigmaRange.upperBound).samples
        let law = (0..<4).map { (mean: Self.gaussian.mean[$0], variance: Self.gaussian.std[$0] * Self.gaussian.std[$0]) }
        Self.check(x, against: law, label: "σ_max")
    }

    @Test("at a small σ_start the result stays close to the input", arguments: ["heun", "ddim", "euler-maruyama", "rk45"])
    func smallSigmaStartStaysClose(spec: String) throws {
        let model = Self.gaussian.model
        let x = try Self.edit(spec, model: model, data: Self.data(rows: 50), sigmaStart: 0.01).samples
        let worst = x.scalars.indices.map { abs(Double(x.scalars[$0]) - Double(Self.y[$0 % 4])) }.max()!
        #expect(worst < 0.06, "\(spec): max |x − y| = \(worst)")
    }

    @Test("NFE is the integration's plus one final denoising call", arguments: ["heun", "ddim", "dpm-solver++", "restart"])
    func nfeCount(spec: String) throws {
        let model = Self.gaussian.model
        let sampler = try #require(try SamplerCatalog.standard.sampler(spec).resolved(for: model) as? any Integrator)
        let result = try Self.edit(spec, model: model, data: Self.data(rows: 3), sigmaStart: 1)
        let planned = try #require(sampler.plannedIntegrationNFE)
        #expect(result.nfe == Array(repeating: planned + 1, count: 3))
    }

    @Test("a sample depends on (seed, index) only", arguments: ["euler-maruyama", "euler-ancestral"])
    func batchInvariance(spec: String) throws {
        let model = Self.gaussian.model
        let data = Tensor(rows: (0..<13).map { r in Self.y.map { $0 + Float(r) / 7 } })
        let one = try Self.edit(spec, model: model, data: data, sigmaStart: 1.5)
        let split = try Self.edit(spec, model: model, data: data, sigmaStart: 1.5, batch: 4, threads: 2)
        #expect(one.samples == split.samples)
    }

    @Test func refusesBadStartsAndNonIntegrators() throws {
        let model = Self.gaussian.model
        for sigma in [0, -1, .nan, .infinity, model.sigmaRange.upperBound * 1.01] {
            #expect(throws: SamplingError.self) { _ = try Self.edit("heun", model: model, data: Self.data(rows: 2), sigmaStart: sigma) }
        }
        for spec in ["ddpm", "langevin", "dlg"] {
            #expect(throws: SamplingError.self) { _ = try Self.edit(spec, model: model, data: Self.data(rows: 2), sigmaStart: 1) }
        }
        #expect(throws: SamplingError.self) {
            _ = try Self.edit("heun", model: model, data: Tensor(rows: [[1, 2, 3]]), sigmaStart: 1)
        }
    }
}
