import Foundation
import ScoreKit
import Testing

/// `euler-ancestral` and `dpm-2s-ancestral`: what η does, per-row noise, integration, and the
/// distribution they sample on exact Gaussian mixtures.
@Suite("Ancestral samplers")
struct AncestralSamplerTests {
    static let gaussian = SingleGaussian.standard

    /// η = 0 renews no noise: Euler ancestral is Euler (the same σ's, no draw made — replayed
    /// noise with nothing in it would throw).
    @Test("η = 0 is the deterministic solver and draws nothing")
    func etaZero() throws {
        let z = try TestKit.normals(rows: 8, dimension: 4)
        let (ancestral, _) = try TestKit.run(try TestKit.sampler("euler-ancestral:steps=12,eta=0"), Self.gaussian.model, z: z, noise: ReplayNoise([]))
        let (euler, _) = try TestKit.run(try TestKit.sampler("euler:steps=12"), Self.gaussian.model, z: z)
        #expect(TestKit.relativeError(ancestral, euler) < 1e-6)
        #expect(throws: Never.self) {
            try TestKit.run(try TestKit.sampler("dpm-2s-ancestral:steps=12,eta=0"), Self.gaussian.model, z: z, noise: ReplayNoise([]))
        }
    }

    /// With η > 0 the state at each σ_{i+1} carries fresh noise, so runs with different seeds differ;
    /// s_noise = 0 keeps the smaller step σ_down but adds nothing (and draws nothing).
    @Test("η > 0 renews noise; s_noise = 0 draws nothing", arguments: ["euler-ancestral", "dpm-2s-ancestral"])
    func noiseIsRenewed(_ name: String) throws {
        let z = try TestKit.normals(rows: 8, dimension: 4)
        let sampler = try TestKit.sampler("\(name):steps=8")
        let (a, _) = try TestKit.run(sampler, Self.gaussian.model, z: z, seed: 1)
        let (b, _) = try TestKit.run(sampler, Self.gaussian.model, z: z, seed: 2)
        #expect(TestKit.maxError(a, b) > 0.05)
        #expect(throws: Never.self) {
            try TestKit.run(try TestKit.sampler("\(name):steps=8,s_noise=0"), Self.gaussian.model, z: z, noise: ReplayNoise([]))
        }
    }

    /// Sample i depends only on (seed, i), for `sample` and for `integrate` from per-row σ's.
    @Test("a sample does not depend on its batch", arguments: ["euler-ancestral:steps=10", "dpm-2s-ancestral:steps=6,eta=0.5"])
    func batchIndependence(_ spec: String) throws {
        let integrator = try TestKit.integrator(spec)
        let z = try TestKit.normals(rows: 6, dimension: 4)
        let start = [0.3, 2.5, 7, 80, 0.05, 20]
        let (batch, batchContext) = try TestKit.run(integrator, Self.gaussian.model, z: z, seed: 3)
        let x = z.scalingRows(by: start)
        let (integrated, integrateContext) = try TestKit.integrate(integrator, Self.gaussian.model, x: x, sigma: start, to: 0.1, seed: 3)
        for r in 0..<6 {
            let (alone, context) = try TestKit.run(integrator, Self.gaussian.model, z: z.rows(r..<(r + 1)), seed: 3, firstIndex: r)
            #expect(alone == batch.rows(r..<(r + 1)) && context.nfe == [batchContext.nfe[r]])
            let (one, oneContext) = try TestKit.integrate(integrator, Self.gaussian.model, x: x.rows(r..<(r + 1)), sigma: [start[r]],
                                                      to: 0.1, seed: 3, firstIndex: r)
            #expect(one == integrated.rows(r..<(r + 1)) && oneContext.nfe == [integrateContext.nfe[r]])
            #expect(integrateContext.nfe[r] == (start[r] > 0.1 ? integrator.plannedIntegrationNFE : 0))
        }
    }

    /// An integration to σ_end > 0 ends with its noise at σ_end: on N(μ, s²) per dimension, from
    /// x_σa = μ + √(s² + σa²)·z the result is distributed as N(μ, s² + σ_end²) (the ancestral
    /// steps keep the marginals of the noisy data). 20,000 rows, mean and variance within 4
    /// standard errors per dimension.
    @Test("integrate keeps the noisy marginal", arguments: ["euler-ancestral:steps=200", "dpm-2s-ancestral:steps=60,eta=0.5"])
    func integrationMarginal(_ spec: String) throws {
        let n = 20_000, sigmaA = 5.0, sigmaEnd = 0.5
        let g = Self.gaussian, d = g.mean.count
        let z = try TestKit.normals(rows: n, dimension: d, seed: 9)
        var x = z
        for r in 0..<n {
            for j in 0..<d {
                x.scalars[r * d + j] = Float(g.mean[j] + (g.std[j] * g.std[j] + sigmaA * sigmaA).squareRoot() * Double(z.scalars[r * d + j]))
            }
        }
        let (out, _) = try TestKit.integrate(try TestKit.integrator(spec), g.model, x: x, sigma: Array(repeating: sigmaA, count: n), to: sigmaEnd, seed: 10)
        for j in 0..<d {
            let column = (0..<n).map { Double(out.scalars[$0 * d + j]) }
            let variance = g.std[j] * g.std[j] + sigmaEnd * sigmaEnd
            let moments = Moments(column)
            #expect(abs(moments.mean - g.mean[j]) < 4 * (variance / Double(n)).squareRoot(), "\(spec) dim \(j): mean \(moments.mean)")
            #expect(abs(moments.variance - variance) < 4 * variance * (2 / Double(n)).squareRoot(),
                    "\(spec) dim \(j): variance \(moments.variance), expected \(variance)")
        }
    }
}

/// Mean, variance and fourth central moment of a sample.
struct Moments {
    let mean: Double, variance: Double, fourth: Double

    init(_ v: [Double]) {
        let n = Double(v.count), m = v.reduce(0, +) / n
        mean = m
        variance = v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / (n - 1)
        fourth = v.reduce(0) { $0 + pow($1 - m, 4) } / n
    }

    /// The standard error of the sample variance, `√((μ₄ − σ⁴)/n)`.
    func varianceError(count n: Int) -> Double { ((fourth - variance * variance) / Double(n)).squareRoot() }
}
