import Foundation
import ScoreKitTestSupport
import Testing
import ScoreKit

/// DDPM and DDIM reproduce the data distribution of exact models.
@Suite("Discrete VP samplers reproduce exact mixtures", .tags(.statistical), .statistical)
struct DiscreteVPDistributionTests {
    /// 20,000 samples on gmm2d: the (5,5) mode weight within 0.80 ± 0.02 and the mean
    /// log-likelihood within 0.05 nats of that of exact samples. The mode weight's standard
    /// error at n = 20,000 is √(0.16/n) ≈ 0.0028, so ±0.02 is a 7σ band around an unbiased
    /// sampler; the log-likelihood SE is ≈ 0.007 per set (reported on failure).
    @Test("gmm2d: mode weights and log-likelihood", arguments: ["ddpm:steps=1000", "ddim:eta=0,steps=100"])
    func gmm2d(_ spec: String) throws {
        let mixture = BuiltinModels.gmm2d
        let samples = try TestKit.draw(spec, from: mixture, count: 20_000).samples
        let stats = SampleStatistics(samples, under: mixture)
        let exact = SampleStatistics(mixture.sample(count: 20_000, seed: 99), under: mixture)
        #expect(abs(stats.modeWeights[0] - 0.80) <= 0.02, "mode weight \(stats.modeWeights[0])")
        let gap = stats.meanLogLikelihood - exact.meanLogLikelihood
        #expect(abs(gap) <= 0.05, "log-likelihood gap \(gap) (SE \(stats.logLikelihoodStandardError))")
    }

    /// gmm64 (64 dimensions, 16 components): mean log-likelihood within 0.5 nats of exact
    /// samples. log p has a standard deviation of about √(64/2) ≈ 5.7 nats here, so with 4,000
    /// samples per set the difference of means has SE ≈ 0.13 and 0.5 nats is a ~4σ band.
    ///
    /// Not DDIM at 100 steps nor DDPM with the small variance: in 64 dimensions their
    /// first-order discretisation bias alone exceeds 0.5 nats (≥ 0.0105 nats per dimension for
    /// DDIM-100 at any component scale, any spacing, linear or cosine betas — see
    /// `DiscretisationBiasTests`, which pins that bias to its closed form).
    @Test("gmm64: log-likelihood", arguments: ["ddpm:steps=1000,variance=large", "ddim:eta=0,steps=1000"])
    func gmm64(_ spec: String) throws {
        let mixture = BuiltinModels.gmm64
        let samples = try TestKit.draw(spec, from: mixture, count: 4_000).samples
        let stats = SampleStatistics(samples, under: mixture)
        let exact = SampleStatistics(mixture.sample(count: 4_000, seed: 99), under: mixture)
        let gap = stats.meanLogLikelihood - exact.meanLogLikelihood
        #expect(abs(gap) <= 0.5, "log-likelihood gap \(gap)")
        let tv = 0.5 * zip(stats.modeWeights, mixture.weights).reduce(0) { $0 + abs($1.0 - $1.1) }
        #expect(tv < 0.05, "mode-weight total variation \(tv)")
    }
}

/// On a Gaussian, DDIM (η = 0) and DDPM are affine in their noise, so the variance they put out
/// in each dimension has a closed form: propagate the prior variance through each step's
/// coefficients. The log-likelihood gap of their samples is then `−½·Σ_j (ρ_j − 1)` with
/// `ρ_j` the ratio of output to data variance (for an unbiased mean). This pins the 64-D gap
/// of the few-step samplers to the discretisation bias theory predicts — not a bug, and not
/// something a tolerance should hide.
@Suite("Discretisation bias has its closed form", .tags(.statistical), .statistical)
struct DiscretisationBiasTests {
    /// Output variance ÷ data variance for a zero-mean Gaussian of std `s`, from unit prior
    /// variance at the first timestep. `ddim` with η = 0; otherwise DDPM with the given variance.
    static func varianceRatio(_ s: Double, timesteps: [Int], schedule: DiscreteVPSchedule, ddpmSmall: Bool?) -> Double {
        var v = 1.0
        for (i, t) in timesteps.enumerated() {
            let a = schedule.alphasCumprod[t]
            let aNext = i + 1 < timesteps.count ? schedule.alphasCumprod[timesteps[i + 1]] : 1
            let sigma2 = (1 - a) / a, shrink = s * s / (s * s + sigma2)      // x̂0 = shrink·x/√a
            if let small = ddpmSmall {
                let alpha = a / aNext, beta = 1 - alpha
                let gain = aNext.squareRoot() * beta / (1 - a) * shrink / a.squareRoot() + alpha.squareRoot() * (1 - aNext) / (1 - a)
                let added = i + 1 < timesteps.count ? (small ? beta * (1 - aNext) / (1 - a) : beta) : 0
                v = gain * gain * v + added
            } else {
                let x0Gain = shrink / a.squareRoot()
                let epsGain = (1 - a.squareRoot() * x0Gain) / (1 - a).squareRoot()
                let gain = aNext.squareRoot() * x0Gain + (1 - aNext).squareRoot() * epsGain
                v = gain * gain * v
            }
        }
        return v / (s * s)
    }

    @Test("64-D Gaussian: measured gap equals the closed-form bias",
          arguments: [("ddim:eta=0,steps=100", nil as Bool?), ("ddpm:steps=1000,variance=small", true)])
    func gaussian64(_ spec: String, ddpmSmall: Bool?) throws {
        let stds = (0..<64).map { 0.5 + Double($0) / 63 }      // gmm64's range of component stds
        let gaussian = try GaussianMixture(weights: [1], means: [Array(repeating: 0, count: 64)], stds: [stds])
        let sampler = try SamplerCatalog.standard.sampler(spec)
        let timesteps = (sampler as? DDIM)?.visited ?? (sampler as! DDPM).visited
        let schedule = DiscreteVPSchedule()
        let predicted = stds.reduce(0.0) { $0 - 0.5 * (Self.varianceRatio($1, timesteps: timesteps, schedule: schedule, ddpmSmall: ddpmSmall) - 1) }

        let n = 4_000
        let samples = try TestKit.draw(spec, from: gaussian, count: n).samples
        let exact = gaussian.sample(count: n, seed: 99)
        let gap = SampleStatistics(samples, under: gaussian).meanLogLikelihood - SampleStatistics(exact, under: gaussian).meanLogLikelihood
        // log p of a 64-D Gaussian sample has SD √32 ≈ 5.7; two independent means of n draws
        // differ with SE 5.7·√(2/n) ≈ 0.13. Four SE.
        #expect(abs(gap - predicted) < 4 * 5.7 * (2.0 / Double(n)).squareRoot(),
                "gap \(gap) vs closed form \(predicted)")
        if ddpmSmall == nil {
            #expect(predicted > 0.5, "the bias this test documents is why gmm64 is not tested with DDIM-100")
        }
    }
}

/// DDIM with η = 0 is the Euler method of the probability-flow ODE, so on a single Gaussian it
/// converges to the closed-form ODE endpoint at first order.
@Suite("DDIM convergence")
struct DDIMConvergenceTests {
    @Test("η = 0 converges at first order to the exact ODE endpoint")
    func firstOrder() throws {
        // N(μ, s²) per dimension. From x_VE at σ_T the ODE ends at μ + (x − μ)·s/√(s² + σ_T²).
        let mu = [0.7, -1.2], s = [0.5, 1.5]
        let gaussian = try GaussianMixture(weights: [1], means: [mu], stds: [s])
        let z = try PhiloxNoise(seed: 3, stream: RandomStreamID.initialNoise, sampleIndices: Array(0..<64))
            .normal(rows: nil, shape: [2])
        let schedule = DiscreteVPSchedule()
        let sigmaT = schedule.sigma(at: 999)        // trailing spacing always starts at t = 999
        let xT = (1 / schedule.alphasCumprod[999].squareRoot()) * z   // VP prior z in VE coordinates
        var exact = xT
        for r in 0..<z.rows {
            for j in 0..<2 {
                exact.scalars[2 * r + j] = Float(mu[j] + (Double(xT.scalars[2 * r + j]) - mu[j]) * s[j] / (s[j] * s[j] + sigmaT * sigmaT).squareRoot())
            }
        }
        let errors = try [25, 50, 100, 200, 400].map { steps -> Double in
            let sampler = try SamplerCatalog.standard.sampler("ddim:eta=0,spacing=trailing,steps=\(steps)")
            let (x, _) = try TestKit.run(sampler, gaussian, z: z, noise: ReplayNoise([]))
            return (zip(x.scalars, exact.scalars).map { Double($0 - $1) * Double($0 - $1) }.reduce(0, +) / Double(x.count)).squareRoot()
        }
        // First order: each doubling of the steps roughly halves the error.
        for (coarse, fine) in zip(errors, errors.dropFirst()) {
            let ratio = coarse / fine
            #expect(ratio > 1.7 && ratio < 2.4, "error ratio \(ratio) per doubling; errors \(errors)")
        }
        #expect(errors.last! < errors.first! / 10)
    }
}
