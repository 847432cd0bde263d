import Foundation
import ScoreKitCore
import ScoreKitModels
import Testing

/// Tweedie's formula on the exact mixtures: `(D(x; σ) − x)/σ²` is the gradient of `log p_σ`.
/// Samplers and the reference fixtures (scripts/fixtures_score_sde.py) take the score this way.
@Suite("Gaussian-mixture score")
struct MixtureScoreTests {
    @Test("(D − x)/σ² is ∇log p_σ (central differences of logDensity)", arguments: [0.05, 0.7, 3, 40])
    func scoreIsGradientOfLogDensity(sigma: Double) throws {
        let mixture = BuiltinModels.gmm2d
        let points: [[Double]] = [[0.3, -0.2], [4.1, 5.6], [-5.5, -3.9], [12, -7], [-0.1, 0.15]]
        for p in points {
            let x = Tensor(rows: [p.map(Float.init)])
            let d = try mixture.denoise(x, sigma: [sigma])
            for j in 0..<2 {
                // A central difference with step 1e-2·σ; Float32 D and Float32 points put an
                // absolute error of ~1e-6/σ² on either side.
                let h = 1e-2 * sigma
                var plus = p, minus = p
                plus[j] += h; minus[j] -= h
                let fd = (mixture.logDensity(Tensor(rows: [plus.map(Float.init)]), sigma: sigma)[0]
                    - mixture.logDensity(Tensor(rows: [minus.map(Float.init)]), sigma: sigma)[0]) / (2 * h)
                let score = (Double(d.scalars[j]) - p[j]) / (sigma * sigma)
                #expect(abs(score - fd) <= 1e-3 * max(1, abs(fd)) + 1e-5 / (sigma * sigma), "σ=\(sigma) x=\(p) j=\(j)")
            }
        }
    }
}
