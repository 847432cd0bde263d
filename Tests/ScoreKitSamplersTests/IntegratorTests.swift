import Foundation
import ScoreKit
import Testing

/// `integrate` from a per-row starting σ, as Denoising MCMC uses it.
@Suite("Integrators: per-sample starting σ")
struct IntegratorTests {
    static let gaussian = SingleGaussian.standard
    static let start = [0.3, 1, 2.5, 7, 20, 55, 80, 0.05]

    static func states() throws -> Tensor { try TestKit.normals(rows: start.count, dimension: 4).scalingRows(by: start) }

    /// Against the closed-form flow from each row's σ (0.05 … 80) to σ_end = 0.002, states up to
    /// ~250 in size. A wrong start or end level would be off by O(0.1–1); what is left is
    /// discretisation error, whose order the convergence suite checks. Fixed-step samplers are
    /// run at step counts that bring it under 1e-2 (measured 1e-3 … 6e-3); RK45 at its default
    /// tolerance is held to 3× its scale atol + rtol·|x| ≈ 7e-5 (measured 1.9e-5).
    @Test("equals the closed-form ODE solution from each row's σ", arguments: [
        ("euler:steps=1000", 1e-2), ("heun:steps=100", 1e-2), ("dpm-solver++:steps=100", 1e-2),
        ("ddim:steps=1000,spacing=linspace", 1e-2), ("heun:steps=100,schedule=vp", 1e-2),
        ("dpm-solver++:steps=200,schedule=discrete", 1e-2), ("rk45", 2e-4),
    ])
    func closedForm(_ spec: String, _ tolerance: Double) throws {
        let integrator = try TestKit.integrator(spec)
        let x = try Self.states()
        let (out, context) = try TestKit.integrate(integrator, Self.gaussian.model, x: x, sigma: Self.start, to: 0.002)
        let exact = Self.gaussian.flow(x, from: Self.start, to: 0.002)
        #expect(TestKit.maxError(out, exact) < tolerance, "\(spec): error \(TestKit.maxError(out, exact))")
        if let planned = integrator.plannedIntegrationNFE {
            #expect(context.nfe == Array(repeating: planned, count: Self.start.count))
        }
    }

    @Test("rows at different σ in one batch give what each gives alone", arguments: [
        "euler:steps=20", "heun:steps=20", "heun-churn:steps=20", "dpm-solver++:steps=20,schedule=ve", "rk45",
        "ddim:steps=20", "ddim:steps=20,eta=0.5",
    ])
    func batchIndependence(_ spec: String) throws {
        let integrator = try TestKit.integrator(spec)
        let x = try Self.states()
        let (batch, batchContext) = try TestKit.integrate(integrator, Self.gaussian.model, x: x, sigma: Self.start, to: 0.01, seed: 4)
        for r in Self.start.indices {
            let (alone, context) = try TestKit.integrate(integrator, Self.gaussian.model, x: x.rows(r..<(r + 1)),
                                                     sigma: [Self.start[r]], to: 0.01, seed: 4, firstIndex: r)
            #expect(alone == batch.rows(r..<(r + 1)), "\(spec): row \(r) at σ \(Self.start[r])")
            #expect(context.nfe == [batchContext.nfe[r]])
        }
    }

    @Test("rows at or below σ_end pass through with no calls", arguments: ["heun", "dpm-solver++", "rk45", "ddim", "euler"])
    func passThrough(_ name: String) throws {
        let integrator = try TestKit.integrator(name)
        let x = try Self.states()
        let (out, context) = try TestKit.integrate(integrator, Self.gaussian.model, x: x, sigma: Self.start, to: 1)
        for r in Self.start.indices where Self.start[r] <= 1 {
            #expect(out.rows(r..<(r + 1)) == x.rows(r..<(r + 1)))
            #expect(context.nfe[r] == 0)
        }
        #expect(context.nfe.filter { $0 > 0 }.count == Self.start.filter { $0 > 1 }.count)
    }

    /// `sample` is integrate-from-σ_0 over the sampler's own levels, then its final step to 0,
    /// which for these samplers lands on D(x; σ_last).
    @Test("sample is integrate from σ_0 plus the final step", arguments: [
        "euler:steps=9", "heun:steps=9,schedule=ve", "dpm-solver++:steps=9,schedule=vp",
        "heun:steps=9,schedule=discrete,spacing=trailing", "rk45", "dpm-solver++:steps=9,order=3",
        "unipc:steps=9,order=3", "deis:steps=9,order=3,schedule=ve",
    ])
    func sampleIsIntegratePlusEnding(_ spec: String) throws {
        let integrator = try TestKit.integrator(spec)
        let model = Self.gaussian.model
        let levels = (integrator as? EDMSampler)?.sigmas(for: model) ?? (integrator as? DPMSolverPlusPlus)?.sigmas(for: model)
            ?? (integrator as? UniPC)?.sigmas(for: model) ?? (integrator as? DEIS)?.sigmas(for: model)
            ?? [80, 0.002]                                             // rk45: σ_max to σ_min
        let z = try TestKit.normals(rows: 6, dimension: 4)
        let (sampled, sampleContext) = try TestKit.run(integrator, Self.gaussian.model, z: z)
        let first = Array(repeating: levels[0], count: 6), last = levels[levels.count - 1]
        let (x, context) = try TestKit.integrate(integrator, Self.gaussian.model, x: levels[0] * z, sigma: first, to: last)
        let ended = try Self.gaussian.model.denoise(x, sigma: Array(repeating: last, count: 6))
        #expect(TestKit.relativeError(sampled, ended) < 1e-5)
        if let planned = integrator.plannedNFE {
            #expect(context.nfe.map { $0 + 1 } == Array(repeating: planned, count: 6))
        } else {
            #expect(context.nfe == sampleContext.nfe)     // rk45's Tweedie step reuses its last evaluation
        }
    }

    /// DDIM's integrate over `[σ(t_last), σ(t_first)]` visits exactly `sample`'s timesteps, so it
    /// reproduces sample's state before its last step.
    @Test("ddim: integrate retraces sample's timesteps", arguments: ["leading", "trailing", "linspace", "quad"])
    func ddimRetracesSample(_ spacing: String) throws {
        let ddim = try #require(try TestKit.sampler("ddim:steps=10,spacing=\(spacing)") as? DDIM)
        let z = try TestKit.normals(rows: 5, dimension: 4)
        let context = SamplingContext(samplerName: "ddim", sampleIndices: Array(0..<5))
        context.recorder = TrajectoryRecorder()
        _ = try ddim.sample(Self.gaussian.model, from: z, noise: PhiloxNoise(seed: 0, sampleIndices: Array(0..<5)), context: context)
        let t = ddim.visited, n = t.count, schedule = ddim.timesteps.schedule
        let before = try #require(context.recorder?.frames[n - 2])
        let start = 1 / schedule.alphasCumprod[t[0]].squareRoot()
        let sigma = [schedule.sigma(at: t[0]), schedule.sigma(at: t[n - 1])]
        let (x, nfe) = try TestKit.integrate(ddim, Self.gaussian.model, x: start * z, sigma: Array(repeating: sigma[0], count: 5), to: sigma[1])
        #expect(TestKit.relativeError(x, before.x) < 1e-5)
        #expect(nfe.nfe == Array(repeating: n - 1, count: 5))
    }

    /// Under a budget rk45's integrate leaves one call for the caller's final step and carries a
    /// row that stopped early to σ_end with the denoiser value it has.
    @Test("rk45 integrate under a budget leaves room for the caller")
    func rk45IntegrateBudget() throws {
        let integrator = try TestKit.integrator("rk45")
        let x = try Self.states()
        let (out, context) = try TestKit.integrate(integrator, Self.gaussian.model, x: x, sigma: Self.start, to: 0.002, budget: 30)
        #expect(context.nfe.allSatisfy { $0 <= 29 })
        #expect(out.isFinite)
        let (tight, tightContext) = try TestKit.integrate(integrator, Self.gaussian.model, x: x.rows(0..<1), sigma: [80], to: 0.002, budget: 2)
        let denoised = try Self.gaussian.model.denoise(x.rows(0..<1), sigma: [80])
        let jump = Tensor.combination([(.all(0.002 / 80), x.rows(0..<1)), (.all(1 - 0.002 / 80), denoised)])
        #expect(tightContext.nfe == [1])
        #expect(tight == jump)
    }
}
