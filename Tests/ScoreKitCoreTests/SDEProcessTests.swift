import Foundation
import ScoreKitCore
import Testing

/// The three score-SDE processes: each coefficient set (f, g) must produce the marginals its
/// (σ, s) describe, and `time(atSigma:)` must invert σ(t). The reverse-SDE samplers rely on
/// both: their reverse-diffusion and ancestral steps are written in terms of σ and s alone.
@Suite("score-SDE noise processes")
struct SDEProcessTests {
    static let processes: [(String, any NoiseProcess)] = [
        ("ve", VarianceExplodingProcess()), ("vp", VariancePreservingProcess()),
        ("subvp", SubVariancePreservingProcess()), ("ve 0.002…80", VarianceExplodingProcess(sigmaMin: 0.002, sigmaMax: 80)),
    ]

    /// For `dx = f·x dt + g dw` the mean coefficient s obeys `ds/dt = f·s` and the state's noise
    /// variance `V = s²σ²` obeys `dV/dt = 2f·V + g²`. Central differences with h = 1e-5 are
    /// accurate to ~1e-9 relative here.
    @Test("drift and diffusion generate the marginals σ(t), s(t)", arguments: 0..<4)
    func coefficientsMatchMarginals(index: Int) {
        let (name, p) = Self.processes[index]
        let h = 1e-5
        for t in stride(from: 0.05, through: 0.95, by: 0.15) {
            let dLogScale = (log(p.scale(at: t + h)) - log(p.scale(at: t - h))) / (2 * h)
            #expect(abs(dLogScale - p.drift(at: t)) <= 1e-6 * max(1, abs(p.drift(at: t))), "\(name) t=\(t)")
            func variance(_ t: Double) -> Double { pow(p.scale(at: t) * p.sigma(at: t), 2) }
            let dV = (variance(t + h) - variance(t - h)) / (2 * h)
            let want = 2 * p.drift(at: t) * variance(t) + pow(p.diffusion(at: t), 2)
            #expect(abs(dV - want) <= 1e-6 * max(1, abs(want)), "\(name) t=\(t)")
        }
    }

    @Test("time(atSigma:) inverts sigma(at:)", arguments: 0..<4)
    func timeInvertsSigma(index: Int) {
        let (name, p) = Self.processes[index]
        for t in [1e-5, 1e-3, 0.1, 0.5, 0.9, 1] {
            #expect(abs(p.time(atSigma: p.sigma(at: t)) - t) <= 1e-9 * max(t, 1e-3), "\(name) t=\(t)")
        }
    }
}
