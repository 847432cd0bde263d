import Foundation
import ScoreKit
import ScoreKitTestSupport
import Testing

/// `euler-ancestral` and `dpm-2s-ancestral` sample the data distribution: on exact 1-D and 2-D
/// Gaussian mixtures with mean 0 (so the N(0, σ_max²) prior misses nothing but the variance, a
/// relative 1e-3 at σ_max = 80, which an ancestral step forgets), the sample mean and variance per
/// dimension and the mode weights lie within 4 standard errors of the exact values.
/// The mode weight is the share assigned to the component by `component(of:)`, which misassigns
/// a little of the overlap; its exact value is that share over 200,000 exact draws.
/// Both samplers are first order in distribution: on N(0, s²) the variance recursion of
/// `euler-ancestral` (η = 1, Karras σ's) gives 0.89·s² at 100 steps, 0.94 at 200, 0.97 at 400,
/// and a Float64 NumPy transcription of k-diffusion's loop puts this 1-D mixture's variance at
/// 5.54 (100 steps), 5.73 (400) against 5.773, and `dpm-2s-ancestral` at 5.63 (25 steps), 5.75
/// (100). So the steps here (1000 and 200) keep the bias well inside the standard errors.
@Suite("Ancestral samplers: distributions on exact mixtures", .tags(.statistical), .statistical)
struct AncestralDistributionTests {
    static let oneD = try! GaussianMixture(weights: [0.3, 0.7], means: [[-3.5], [1.5]], stds: [[0.5], [0.8]])
    static let twoD = try! GaussianMixture(weights: [0.25, 0.75], means: [[-3, 1], [1, -1.0 / 3]], stds: [[0.6, 0.4], [0.7, 1]])

    struct Case: Sendable, CustomTestStringConvertible {
        let spec: String, twoDimensional: Bool
        var testDescription: String { "\(spec) on \(twoDimensional ? "2-D" : "1-D")" }
    }

    @Test("moments and mode weights", arguments: [
        Case(spec: "euler-ancestral:steps=1000", twoDimensional: false),
        Case(spec: "euler-ancestral:steps=1000,eta=0.5", twoDimensional: true),
        Case(spec: "dpm-2s-ancestral:steps=200", twoDimensional: true),
        Case(spec: "dpm-2s-ancestral:steps=200,eta=0.5", twoDimensional: false),
    ])
    func distribution(_ c: Case) throws {
        let mixture = c.twoDimensional ? Self.twoD : Self.oneD, d = c.twoDimensional ? 2 : 1
        let n = 20_000
        let z = try TestKit.normals(rows: n, dimension: d, seed: 21)
        let (x, _) = try TestKit.run(try TestKit.sampler(c.spec), mixture, z: z, seed: 22)
        for j in 0..<d {
            let m = Moments((0..<n).map { Double(x.scalars[$0 * d + j]) })
            let (mean, variance) = Self.exactMoments(mixture, dimension: j)
            #expect(abs(m.mean - mean) < 4 * (variance / Double(n)).squareRoot(), "\(c): dim \(j) mean \(m.mean), exact \(mean)")
            #expect(abs(m.variance - variance) < 4 * m.varianceError(count: n), "\(c): dim \(j) variance \(m.variance), exact \(variance)")
        }
        let reference = 200_000
        let exact = Self.firstModeShare(mixture, mixture.sample(count: reference, seed: 23))
        let share = Self.firstModeShare(mixture, x)
        let error = (exact * (1 - exact) * (1 / Double(n) + 1 / Double(reference))).squareRoot()
        #expect(abs(share - exact) < 4 * error, "\(c): first mode \(share), exact \(exact)")
    }

    /// The mixture's mean and variance along dimension j.
    static func exactMoments(_ g: GaussianMixture, dimension j: Int) -> (mean: Double, variance: Double) {
        let w = g.weights, mu = g.means.map { $0[j] }, s = g.stds.map { $0[j] }
        let mean = zip(w, mu).map(*).reduce(0, +)
        let second = w.indices.map { w[$0] * (s[$0] * s[$0] + mu[$0] * mu[$0]) }.reduce(0, +)
        return (mean, second - mean * mean)
    }

    static func firstModeShare(_ g: GaussianMixture, _ x: Tensor) -> Double {
        Double(g.component(of: x).filter { $0 == 0 }.count) / Double(x.rows)
    }
}
