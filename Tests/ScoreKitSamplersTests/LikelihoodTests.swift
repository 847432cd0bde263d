import Foundation
import ScoreKit
import Testing
@testable import ScoreKitSamplers

/// The probability-flow ODE's log-likelihood against the exact mixtures' closed-form density,
/// Hutchinson's estimator against the exact trace, and the job's bookkeeping.
@Suite("Likelihood")
struct LikelihoodTests {
    /// The mean of (ODE − exact) log-density per dimension over `count` exact draws, and the
    /// result.
    func gapPerDimension(_ mixture: GaussianMixture, count: Int, settings: Likelihood = Likelihood(), seed: UInt64 = 3)
        throws -> (gap: Double, result: LikelihoodResult) {
        let x = mixture.sample(count: count, seed: seed)
        let result = try settings.logLikelihood(of: x, under: mixture, seed: seed)
        let truth = mixture.logDensity(x)
        let gap = zip(result.logLikelihood, truth).reduce(0) { $0 + $1.0 - $1.1 } / Double(count * mixture.dimension)
        print("gap/dim \(gap), NFE mean \(Double(result.nfe.reduce(0, +)) / Double(count)), divergence \(settings.resolved(for: mixture).divergence!)")
        return (gap, result)
    }

    @Test func gmm2dAgreesWithTheClosedFormDensity() throws {
        let (gap, _) = try gapPerDimension(BuiltinModels.gmm2d, count: 200)
        #expect(abs(gap) < 0.01)
    }

    /// Row by row the estimate is off by the prior's error, `log p_{σ_max}(x_T) − log N(x_T; 0, σ_max²)`,
    /// about `x_T·μ/σ_max²` (±0.14 nats on gmm2d at σ_max = 80, whose mean is (3, 3)); from
    /// σ_max = 4000 every row is within 0.01 nats (exact trace in 2-D).
    @Test func gmm2dRowsAgreeWithALargeSigmaMax() throws {
        let (_, result) = try gapPerDimension(BuiltinModels.gmm2d, count: 100, settings: Likelihood(sigmaMax: 4000))
        let truth = BuiltinModels.gmm2d.logDensity(BuiltinModels.gmm2d.sample(count: 100, seed: 3))
        let worst = zip(result.logLikelihood, truth).map { abs($0 - $1) }.max()!
        #expect(worst < 0.01, "worst row error \(worst) nats")
    }

    /// Hutchinson with one probe (the default at 64 dimensions) adds noise of about 1.5 nats
    /// per row here, so the mean is over 200 rows (standard error ≈ 0.002 nats/dim).
    @Test func gmm64AgreesWithTheClosedFormDensity() throws {
        let (gap, result) = try gapPerDimension(BuiltinModels.gmm64, count: 200)
        #expect(abs(gap) < 0.01)
        #expect(result.vectorJacobianProducts == result.nfe.map { $0 - 1 })   // one probe per evaluation but the step-size probe
    }

    @Test func gmm64ExactTraceAgreesToo() throws {
        let (gap, _) = try gapPerDimension(BuiltinModels.gmm64, count: 16, settings: Likelihood(divergence: .exact))
        #expect(abs(gap) < 0.01)
    }

    /// At a point between gmm2d's modes at σ = 5 the Jacobian has large off-diagonal terms, so
    /// a Rademacher probe's `vᵀJv` varies; its mean over many probes is the trace within 3
    /// standard errors.
    @Test func hutchinsonIsUnbiased() throws {
        let mixture = BuiltinModels.gmm2d, probes = 4000
        let x = Tensor(shape: [1, 2], scalars: [0.5, -1]), sigma = [5.0]
        let exact = try mixture.denoise(x, sigma: sigma, pullingBack: [Tensor(shape: [1, 2], scalars: [1, 0]),
                                                                       Tensor(shape: [1, 2], scalars: [0, 1])]).pullbacks
        let trace = Double(exact[0].scalars[0] + exact[1].scalars[1])
        let noise = PhiloxNoise(seed: 5, sampleIndices: [0])
        let estimates = try (0..<probes).map { _ -> Double in
            let v = LikelihoodODE.rademacher(try noise.normal(rows: nil, shape: [2]))
            let product = try mixture.vjp(x, sigma: sigma, v)
            return Double(v.scalars[0] * product.scalars[0] + v.scalars[1] * product.scalars[1])
        }
        let mean = estimates.reduce(0, +) / Double(probes)
        let sd = (estimates.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(probes - 1)).squareRoot()
        #expect(sd > 0.05, "the probe must matter here (sd \(sd))")
        #expect(abs(mean - trace) < 3 * sd / Double(probes).squareRoot(), "mean \(mean), trace \(trace), sd \(sd)")
    }

    /// Through the whole integration: Hutchinson's per-row log-likelihoods differ from the
    /// exact-trace ones by noise whose mean is zero within 3 standard errors.
    @Test func hutchinsonLikelihoodsAreUnbiased() throws {
        let mixture = BuiltinModels.gmm2d
        let x = Tensor(shape: [1, 2], scalars: [0.5, -1])
        let rows = Tensor.concatenatingRows(Array(repeating: x, count: 200))
        let exact = try Likelihood(divergence: .exact).logLikelihood(of: x, under: mixture, seed: 1).logLikelihood[0]
        let estimates = try Likelihood(divergence: .hutchinson).logLikelihood(of: rows, under: mixture, seed: 1).logLikelihood
        let mean = estimates.reduce(0, +) / Double(estimates.count)
        let sd = (estimates.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(estimates.count - 1)).squareRoot()
        #expect(sd > 1e-3, "the probes must matter here (sd \(sd))")
        #expect(abs(mean - exact) < 3 * sd / Double(estimates.count).squareRoot(), "mean \(mean), exact \(exact), sd \(sd)")
    }

    @Test func rowsDoNotDependOnBatchOrThreads() throws {
        let mixture = BuiltinModels.gmm64, x = mixture.sample(count: 6, seed: 4)
        let settings = Likelihood(rtol: 1e-3, atol: 1e-3)
        let whole = try settings.logLikelihood(of: x, under: mixture, seed: 2, batchSize: 6, threads: 1)
        let split = try settings.logLikelihood(of: x, under: mixture, seed: 2, batchSize: 4, threads: 2)
        let alone = try settings.logLikelihood(of: x.rows(3..<4), under: mixture, seed: 2, firstIndex: 3, threads: 1)
        #expect(whole == split)
        #expect(alone.logLikelihood[0] == whole.logLikelihood[3])
    }

    @Test func countsFollowTheNFERule() throws {
        let mixture = BuiltinModels.gmm2d
        let result = try Likelihood(rtol: 1e-4, atol: 1e-4).logLikelihood(of: mixture.sample(count: 5, seed: 1), under: mixture, seed: 0)
        #expect(result.nfe == result.attempts.map { 2 + 6 * $0 })
        #expect(result.vectorJacobianProducts == result.attempts.map { 2 * (1 + 6 * $0) })
        #expect(zip(result.logLikelihood, zip(result.priorLogDensity, result.divergenceIntegral)).allSatisfy { $0 == $1.0 + $1.1 })
        #expect(result.bitsPerDimension == result.nllMean / (2 * log(2)))
    }

    @Test func tighterTolerancesCostMoreAndAgree() throws {
        let mixture = BuiltinModels.gmm2d, x = mixture.sample(count: 20, seed: 6)
        let loose = try Likelihood(rtol: 1e-3, atol: 1e-3).logLikelihood(of: x, under: mixture, seed: 0)
        let tight = try Likelihood(rtol: 1e-7, atol: 1e-7).logLikelihood(of: x, under: mixture, seed: 0)
        #expect(tight.nfe.reduce(0, +) > loose.nfe.reduce(0, +))
        let truth = mixture.logDensity(x)
        let errors = [loose, tight].map { r in zip(r.logLikelihood, truth).map { abs($0 - $1) }.max()! }
        #expect(errors[1] < errors[0] || errors[1] < 1e-3, "max error loose \(errors[0]), tight \(errors[1])")
    }

    @Test func defaultsFollowTheDimension() {
        #expect(Likelihood().resolved(for: BuiltinModels.gmm2d).divergence == .exact)
        #expect(Likelihood().resolved(for: BuiltinModels.gmm64).divergence == .hutchinson)
        #expect(Likelihood(divergence: .exact).resolved(for: BuiltinModels.gmm64).divergence == .exact)
        let resolved = Likelihood().resolved(for: BuiltinModels.gmm2d)
        #expect(resolved.sigmaMin != nil && resolved.sigmaMax != nil && resolved.sigmaMin! < resolved.sigmaMax!)
    }

    @Test func refusals() throws {
        let mixture = BuiltinModels.gmm2d, x = mixture.sample(count: 2, seed: 0)
        #expect(throws: LikelihoodError.shapeMismatch(data: [64], model: [2])) {
            try Likelihood().logLikelihood(of: BuiltinModels.gmm64.sample(count: 1, seed: 0), under: mixture, seed: 0)
        }
        for bad in [Likelihood(rtol: 0), Likelihood(atol: 2), Likelihood(sigmaMin: 5, sigmaMax: 1), Likelihood(probes: 0)] {
            #expect(throws: LikelihoodError.self) { try bad.logLikelihood(of: x, under: mixture, seed: 0) }
        }
    }
}
