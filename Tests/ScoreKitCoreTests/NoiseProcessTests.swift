import Foundation
import Testing
@testable import ScoreKitCore

@Suite("Noise processes, schedules and conversions")
struct NoiseProcessTests {
    static let processes: [any NoiseProcess] = [VarianceExplodingProcess(), VariancePreservingProcess(), SubVariancePreservingProcess()]

    /// The marginal variance of the process state started at x0 = 0 obeys dv/dt = 2f·v + g².
    /// With `x_t = s(t)·(x0 + σ(t)·n)`, v = s²σ²; VE's is σ² − σ(0)² (its SDE starts at σ_min).
    @Test("drift and diffusion generate the stated marginals", arguments: 0..<3)
    func marginals(_ index: Int) {
        let p = Self.processes[index]
        func v(_ t: Double) -> Double {
            let s = p.scale(at: t), sigma = p.sigma(at: t)
            return s * s * sigma * sigma - (index == 0 ? p.sigma(at: 0) * p.sigma(at: 0) : 0)
        }
        for t in [0.05, 0.3, 0.7, 0.95] {
            let h = 1e-5
            let dv = (v(t + h) - v(t - h)) / (2 * h)
            let expected = 2 * p.drift(at: t) * v(t) + p.diffusion(at: t) * p.diffusion(at: t)
            #expect(abs(dv - expected) < 1e-5 * max(1, abs(expected)), "t = \(t): \(dv) vs \(expected)")
        }
    }

    @Test("time(atSigma:) inverts sigma(at:)", arguments: 0..<3)
    func inverse(_ index: Int) {
        let p = Self.processes[index]
        for t in [1e-3, 0.1, 0.5, 0.99] {
            #expect(abs(p.time(atSigma: p.sigma(at: t)) - t) < 1e-9)
        }
    }

    @Test("continuous VP matches its closed-form ᾱ(t)")
    func vpAlphaBar() {
        let p = VariancePreservingProcess()
        let t = 0.4
        let alphaBar = exp(-0.5 * t * t * (20 - 0.1) - t * 0.1)
        #expect(abs(p.scale(at: t) - alphaBar.squareRoot()) < 1e-14)
        #expect(abs(p.sigma(at: t) - NoiseConversion.sigma(alphaBar: alphaBar)) < 1e-12)
    }

    @Test("VP ↔ VE, ε, score and x0 are consistent")
    func conversions() {
        let sigma = 0.7, alphaBar = NoiseConversion.alphaBar(sigma: sigma)
        #expect(abs(NoiseConversion.sigma(alphaBar: alphaBar) - sigma) < 1e-15)
        #expect(abs(NoiseConversion.vpScale(sigma: sigma) - alphaBar.squareRoot()) < 1e-15)
        #expect(abs(NoiseConversion.lambda(sigma: sigma) + log(sigma)) < 1e-15)
        let x = Tensor(rows: [[1, -2], [0.5, 3]]), d = Tensor(rows: [[0.2, -1], [0, 2]])
        let s = [sigma, 2 * sigma]
        let eps = NoiseConversion.epsilon(x: x, denoised: d, sigma: s)
        let score = NoiseConversion.score(x: x, denoised: d, sigma: s)
        for (u, v) in zip(NoiseConversion.denoised(x: x, epsilon: eps, sigma: s).scalars, d.scalars) { #expect(abs(u - v) < 1e-6) }
        for (u, v) in zip(NoiseConversion.denoised(x: x, score: score, sigma: s).scalars, d.scalars) { #expect(abs(u - v) < 1e-6) }
    }

    @Test("discrete-timestep conditioning interpolates linearly in log σ")
    func timestepInterpolation() {
        var alphaBar = 1.0                                 // DDPM's linear β table, T = 1000
        let table = (0..<1000).map { t -> Double in
            alphaBar *= 1 - (1e-4 + (0.02 - 1e-4) * Double(t) / 999)
            return NoiseConversion.sigma(alphaBar: alphaBar)
        }
        #expect(NoiseConditioning.timestep(forSigma: table[321], table: table) == 321)
        let mid = (table[10] * table[11]).squareRoot()    // halfway in log σ
        #expect(abs(NoiseConditioning.timestep(forSigma: mid, table: table) - 10.5) < 1e-12)
        #expect(NoiseConditioning.timestep(forSigma: 1e-9, table: table) == 0)
        #expect(NoiseConditioning.timestep(forSigma: 1e9, table: table) == 999)
    }
}
