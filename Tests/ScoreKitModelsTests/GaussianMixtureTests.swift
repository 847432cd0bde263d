import Foundation
import Testing
import ScoreKitCore
@testable import ScoreKitModels

@Suite("Exact Gaussian mixtures")
struct GaussianMixtureTests {
    let mixture = try! GaussianMixture(weights: [0.3, 0.7], means: [[1, -2, 0.5], [-1, 0, 2]],
                                       stds: [[0.5, 1, 2], [1.5, 0.3, 0.7]])
    let points = Tensor(rows: [[0.3, -1, 1], [2, 2, -1], [-1, 0.1, 1.9]])

    /// Tweedie: D(x; σ) = x + σ²·∇log p_σ(x). The gradient by central differences of the
    /// exact log-density, so the denoiser and the density check each other.
    @Test("the denoiser is Tweedie's formula on the exact density", arguments: [0.05, 0.5, 3.0, 40.0])
    func tweedie(_ sigma: Double) throws {
        let d = try mixture.denoise(points, sigma: Array(repeating: sigma, count: 3))
        for r in 0..<3 {
            for j in 0..<3 {
                let h = 1e-3 * max(sigma, 0.1)
                var plus = points.rows(r..<(r + 1)), minus = plus
                plus.scalars[j] += Float(h); minus.scalars[j] -= Float(h)
                let step = Double(plus.scalars[j]) - Double(minus.scalars[j])
                let gradient = (mixture.logDensity(plus, sigma: sigma)[0] - mixture.logDensity(minus, sigma: sigma)[0]) / step
                let expected = Double(points.scalars[3 * r + j]) + sigma * sigma * gradient
                #expect(abs(Double(d.scalars[3 * r + j]) - expected) < 2e-3 * max(1, abs(expected)), "row \(r) dim \(j)")
            }
        }
    }

    @Test("log-density of a single Gaussian matches the closed form")
    func singleGaussian() throws {
        let g = try GaussianMixture(weights: [1], means: [[1, 2]], stds: [[0.5, 2]])
        let x = Tensor(rows: [[0, 0]])
        let sigma = 0.7
        let v = [0.25 + 0.49, 4 + 0.49]
        let expected = -0.5 * (1 / v[0] + 4 / v[1]) - 0.5 * (log(2 * .pi * v[0]) + log(2 * .pi * v[1]))
        #expect(abs(g.logDensity(x, sigma: sigma)[0] - expected) < 1e-12)
    }

    @Test("exact samples have the mixture's weights, means and variances")
    func sampling() {
        let n = 40_000
        let x = mixture.sample(count: n, seed: 3)
        let components = mixture.component(of: x)
        let w0 = Double(components.filter { $0 == 0 }.count) / Double(n)
        #expect(abs(w0 - 0.3) < 5 * (0.21 / Double(n)).squareRoot())
        for j in 0..<3 {
            let column = (0..<n).map { Double(x.scalars[3 * $0 + j]) }
            let mean = column.reduce(0, +) / Double(n)
            let expectedMean = 0.3 * mixture.means[0][j] + 0.7 * mixture.means[1][j]
            let variance = 0.3 * (pow(mixture.stds[0][j], 2) + pow(mixture.means[0][j], 2))
                + 0.7 * (pow(mixture.stds[1][j], 2) + pow(mixture.means[1][j], 2)) - expectedMean * expectedMean
            #expect(abs(mean - expectedMean) < 5 * (variance / Double(n)).squareRoot())
        }
        // Sample i depends only on (seed, i).
        #expect(mixture.sample(count: 5, seed: 3, firstIndex: 10) == x.rows(10..<15))
    }

    /// Above the data's own scale (component stds 0.5–1.5) one 64-D sample pins down its noise
    /// level to within ±5% of the grid; far below it, the extra variance is lost in the data's.
    @Test("the noise-level posterior is normalised and, in 64-D, finds the true level")
    func noiseLevelPosterior() throws {
        let gmm64 = BuiltinModels.gmm64
        let grid = NoiseLevelGrid(sigmaMin: 0.01, sigmaMax: 80, count: 200)
        let estimator = gmm64.noiseLevelPosterior(grid: grid)
        for k in [20, 50, 80] {     // σ = 32, 8.5, 2.2
            let sigma = grid.sigma(k)
            let x0 = gmm64.sample(count: 8, seed: 1)
            let n = try PhiloxNoise(seed: 2, sampleIndices: Array(0..<8)).normal(rows: nil, shape: [64])
            let logp = try estimator.logProbabilities(Tensor.combination([(1.0, x0), (.all(sigma), n)]))
            for r in 0..<8 {
                let row = logp.row(r).map(Double.init)
                #expect(abs(row.map(exp).reduce(0, +) - 1) < 1e-4)
                let best = row.indices.max { row[$0] < row[$1] }!
                #expect(abs(best - k) <= 10, "level \(k): posterior mode at \(best)")
            }
        }
    }

    @Test("JSON round-trip and clear errors for malformed files")
    func json() throws {
        let back = try GaussianMixture(json: mixture.jsonData())
        #expect(back == mixture)
        let cases: [(String, String)] = [
            ("{", "invalid Gaussian mixture: not valid JSON: expected a key in quotes at byte 1"),
            (#"{"kind":"gaussian-mixture","weights":[1],"means":[[0]]}"#, "invalid Gaussian mixture: missing key 'stds' (need kind, weights, means, stds)"),
            (#"{"kind":"gmm","weights":[1],"means":[[0]],"stds":[[1]]}"#, "invalid Gaussian mixture: kind is 'gmm'; expected 'gaussian-mixture'"),
            (#"{"kind":"gaussian-mixture","weights":[1,1],"means":[[0]],"stds":[[1]]}"#, "invalid Gaussian mixture: 2 weights but 1 means and 1 stds"),
            (#"{"kind":"gaussian-mixture","weights":[1],"means":[[0,1]],"stds":[[1]]}"#, "invalid Gaussian mixture: every mean and std must have the same dimension (2)"),
            (#"{"kind":"gaussian-mixture","weights":[1],"means":[[0]],"stds":[[0]]}"#, "invalid Gaussian mixture: stds[0][0] = 0.0 is outside 1e-12 … 1000000.0"),
            (#"{"kind":"gaussian-mixture","weights":[1],"means":[["a"]],"stds":[[1]]}"#, "invalid Gaussian mixture: wrong type at 'means.0.0': expected a number, found a string"),
        ]
        for (text, message) in cases {
            #expect { try GaussianMixture(json: Data(text.utf8)) } throws: { String(describing: $0) == message }
        }
    }

    @Test("built-in models load; unknown names list the built-ins")
    func builtins() throws {
        #expect(BuiltinModels.names == ["gmm2d", "ring8", "gmm64"] + BuiltinModels.trainedNames)
        let gmm64 = try ModelLoader.load("gmm64")
        #expect(gmm64.denoiser.dimension == 64 && gmm64.mixture?.componentCount == 16)
        #expect(BuiltinModels.gmm2d.mean == [3, 3])
        #expect { try ModelLoader.load("nope") } throws: {
            String(describing: $0) == "unknown model 'nope': not a built-in model (gmm2d, ring8, gmm64, moons, swissroll, checkerboard, scurve, circles, digits, digits-cond) and no such file"
        }
    }
}
