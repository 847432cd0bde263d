import Foundation
import ScoreKit
import ScoreKitTestSupport
import Testing

/// The reverse-SDE samplers: their time grid, the one code path behind `sample` and
/// `integrate`, the Integrator contract on an exact Gaussian, and batch independence.
@Suite("reverse-SDE samplers")
struct ReverseSDETests {
    static let processes: [String: any NoiseProcess] = [
        "ve": VarianceExplodingProcess(), "vp": VariancePreservingProcess(), "subvp": SubVariancePreservingProcess(),
    ]

    /// The σ each step reports, from a one-row run.
    static func progressSigmas(_ spec: String) throws -> [Double] {
        let sampler = try SamplerCatalog.standard.sampler(spec)
        let context = SamplingContext(samplerName: sampler.name, sampleIndices: [0])
        var sigmas: [Double] = []
        context.onProgress = { sigmas.append($0.sigma) }
        _ = try sampler.sample(BuiltinModels.gmm2d, from: Tensor(rows: [[0.3, 0.1]]),
                               noise: PhiloxNoise(seed: 1, sampleIndices: [0]), context: context)
        return sigmas
    }

    @Test("steps walk σ(t_i), t_i = linspace(1, eps, N), with eps 1e-5 (ve) or 1e-3 (vp, subvp)",
          arguments: ["ve", "vp", "subvp"])
    func timeGrid(sde: String) throws {
        let eps = sde == "ve" ? 1e-5 : 1e-3, n = 17
        let range = sde == "ve" ? ",sigma_min=0.01,sigma_max=50" : ""     // the processes' (VE's default is now the model's)
        let sigmas = try Self.progressSigmas("pc:steps=\(n),sde=\(sde),corrector=ald\(range)")
        let expected = SigmaSchedule.timeUniform(count: n, from: 1, to: eps).map(Self.processes[sde]!.sigma(at:))
        #expect(sigmas.count == n)
        for (got, want) in zip(sigmas, expected) { #expect(abs(got - want) <= 1e-12 * want) }
    }

    /// Runs `spec` on gmm2d from z with Philox noise of `seed`.
    static func sample(_ spec: String, _ z: Tensor, seed: UInt64 = 5) throws -> Tensor {
        let sampler = try SamplerCatalog.standard.sampler(spec)
        let rows = Array(0..<z.rows)
        return try sampler.sample(BuiltinModels.gmm2d, from: z, noise: PhiloxNoise(seed: seed, sampleIndices: rows),
                                  context: SamplingContext(samplerName: sampler.name, sampleIndices: rows))
    }

    static let z = try! PhiloxNoise(seed: 11, sampleIndices: Array(0..<64)).normal(rows: nil, shape: [2])

    @Test("pc without correctors is its predictor", arguments: [
        ("pc:correctors=0,steps=50", "reverse-diffusion:steps=50"),
        ("pc:correctors=0,steps=50,sde=vp,predictor=euler-maruyama", "euler-maruyama:steps=50,sde=vp"),
        ("pc:correctors=0,steps=50,sde=subvp,predictor=ancestral", "ancestral:steps=50,sde=subvp"),
    ])
    func pcWithoutCorrectors(pc: String, predictor: String) throws {
        #expect(try Self.sample(pc, Self.z) == Self.sample(predictor, Self.z))
    }

    /// `sample` with N points is `integrate` with N − 1 steps from σ_max to σ(eps), then the last
    /// predictor step to σ = 0, which for VE reverse diffusion and ancestral sampling is Tweedie's
    /// `x + σ²·score = D(x; σ)`.
    @Test("sample is integrate from σ_max plus the noise removal", arguments: ["reverse-diffusion", "ancestral"])
    func sampleIsIntegratePlusNoiseRemoval(name: String) throws {
        let n = 40, rows = Array(0..<Self.z.rows)
        // score_sde's VE range, given (the default is now the model's, 0.002…80 for gmm2d).
        let sampled = try Self.sample("\(name):steps=\(n),sigma_min=0.01,sigma_max=50", Self.z)
        let integrator = try #require(try SamplerCatalog.standard.sampler("\(name):steps=\(n - 1),sigma_min=0.01,sigma_max=50") as? any Integrator)
        let context = SamplingContext(samplerName: integrator.name, sampleIndices: rows)
        let sigmaEnd = VarianceExplodingProcess().sigma(at: 1e-5)
        let x = try integrator.integrate(BuiltinModels.gmm2d, from: 50 * Self.z, sigma: Array(repeating: 50, count: rows.count),
                                         to: sigmaEnd, noise: PhiloxNoise(seed: 5, sampleIndices: rows), context: context)
        let denoised = try BuiltinModels.gmm2d.denoise(x, sigma: Array(repeating: sigmaEnd, count: rows.count))
        #expect(context.nfe == Array(repeating: n - 1, count: rows.count))
        for (a, b) in zip(sampled.scalars, denoised.scalars) { #expect(abs(a - b) <= 1e-5 * max(1, abs(b))) }
    }

    @Test("integrate: each row follows its own grid, as if run alone", arguments: ["euler-maruyama", "reverse-diffusion:sde=vp", "pc:sde=subvp,correctors=2"])
    func integrateRowsAreIndependent(spec: String) throws {
        let integrator = try #require(try SamplerCatalog.standard.sampler(spec + (spec.contains(":") ? "," : ":") + "steps=25") as? any Integrator)
        let sigma = [40.0, 3.0, 0.4], x = Tensor(rows: [[30, -20], [4, 6], [-5.2, -4.9]])
        func run(_ rows: [Int]) throws -> Tensor {
            let context = SamplingContext(samplerName: integrator.name, sampleIndices: rows)
            let out = try integrator.integrate(BuiltinModels.gmm2d, from: x.gatherRows(rows), sigma: rows.map { sigma[$0] }, to: 0.05,
                                               noise: PhiloxNoise(seed: 8, sampleIndices: rows), context: context)
            #expect(context.nfe == Array(repeating: integrator.plannedIntegrationNFE!, count: rows.count))
            return out
        }
        let together = try run([0, 1, 2])
        for r in 0..<3 { #expect(try run([r]).scalars == Array(together.row(r))) }
    }

    /// Exact check of `integrate` on N(m, v) in 1-D: rows drawn from p_σ at two starting levels
    /// must arrive distributed as p_σend = N(m, v + σ_end²) — in VE coordinates whatever the
    /// process. Tolerances: 4 standard errors (mean √(var/n); variance var·√(2/n)) plus the
    /// first-order discretisation error of the variance. For VE reverse diffusion with
    /// h = ln(σ_start/σ_end)/N per step, the relative excess e obeys e' = (1−ρ)e + ρ²/(1−ρ) with
    /// ρ = 1 − e^{−2h} (while σ² ≫ v), whose fixed point is ρ/(1−ρ) ≈ 2h; the other predictors
    /// err less. The ald corrector adds Langevin's own bias, at most snr² in relative variance.
    @Test("integrate carries p_σ to p_σend on an exact Gaussian", .tags(.statistical), .statistical, arguments: [
        "euler-maruyama", "reverse-diffusion", "ancestral", "pc:corrector=ald",
        "euler-maruyama:sde=vp", "reverse-diffusion:sde=vp", "ancestral:sde=vp",
        "euler-maruyama:sde=subvp", "reverse-diffusion:sde=subvp", "pc:sde=subvp,corrector=ald",
    ])
    func integrateOnGaussian(spec: String) throws {
        let m = 1.5, v = 0.49, sigmaEnd = 0.3, n = 8000, steps = 150
        let model = try GaussianMixture(weights: [1], means: [[m]], stds: [[v.squareRoot()]])
        let sampler = try SamplerCatalog.standard.sampler(spec + (spec.contains(":") ? "," : ":") + "steps=\(steps)")
        let integrator = try #require(sampler as? any Integrator)
        let langevinBias = spec.hasPrefix("pc") ? pow(Double(sampler.specValue("snr")!)!, 2) : 0
        for start in [8.0, 1.5] {
            let rows = Array(0..<n)
            let z = try PhiloxNoise(seed: 21, sampleIndices: rows).normal(rows: nil, shape: [1])
            let x = z.scalingRows(by: Array(repeating: (v + start * start).squareRoot(), count: n)) + m
            let context = SamplingContext(samplerName: integrator.name, sampleIndices: rows)
            let out = try integrator.integrate(model, from: x, sigma: Array(repeating: start, count: n), to: sigmaEnd,
                                               noise: PhiloxNoise(seed: 22, sampleIndices: rows), context: context)
            let values = out.scalars.map(Double.init), variance = v + sigmaEnd * sigmaEnd
            let (mean, meanError) = TestKit.meanAndError(values)
            let sampleVariance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)
            let discretisation = 2 * log(start / sigmaEnd) / Double(steps)
            #expect(abs(mean - m) <= 4 * meanError, "\(spec) from σ=\(start): mean \(mean)")
            #expect(abs(sampleVariance / variance - 1) <= 4 * (2.0 / Double(n)).squareRoot() + discretisation + langevinBias,
                    "\(spec) from σ=\(start): variance \(sampleVariance), want \(variance)")
        }
    }

    @Test("a sample does not depend on its batch-mates (per-sample corrector norms)")
    func batchIndependence() throws {
        let spec = "pc:steps=30,correctors=2"
        let alone = try TestKit.draw(spec, count: 9, seed: 3, batch: 1).samples
        let together = try TestKit.draw(spec, count: 9, seed: 3, batch: 9).samples
        let mixed = try TestKit.draw(spec, count: 9, seed: 3, batch: 4).samples
        #expect(alone == together)
        #expect(mixed == together)
    }

    /// With each sample's own norms, the corrector step `2(snr·‖z‖/‖score‖)²` grows without bound
    /// where the score vanishes (at a mode's centre); in 2-D that happens often enough that the
    /// jumps have infinite variance and the samples get heavy tails. score_sde's batch-averaged
    /// norms hide this (at the price of coupling samples); `corrector=ald` avoids it.
    @Test("per-sample SNR corrector on 2-D gmm2d: heavy-tailed (known limitation)")
    func perSampleCorrectorIn2D() throws {
        let result = try TestKit.draw("pc:steps=200,corrector=langevin", count: 2000, seed: 2)
        let ll = TestKit.meanAndError(BuiltinModels.gmm2d.logDensity(result.samples))
        let exact = TestKit.exactMeanLogLikelihood()
        withKnownIssue("per-sample SNR steps are heavy-tailed in low dimension") {
            #expect(abs(ll.mean - exact.mean) <= 0.05)
        }
        let ald = try TestKit.draw("pc:steps=200,corrector=ald", count: 2000, seed: 2)
        let aldLL = TestKit.meanAndError(BuiltinModels.gmm2d.logDensity(ald.samples))
        #expect(abs(aldLL.mean - exact.mean) <= 4 * aldLL.error + 0.05)
    }
}
