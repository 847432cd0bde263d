import Foundation
import ScoreKit
import Testing

/// Convergence order on a single Gaussian N(μ, s²) per dimension, whose probability-flow ODE
/// has the closed-form solution `x(σ) = μ + (x(σ_a) − μ)·√((s² + σ²)/(s² + σ_a²))`.
/// The error is the largest absolute difference over 64 samples × 4 dimensions. In the
/// asymptotic range a first-order method's error halves per doubling of the steps and a
/// second-order method's falls fourfold; we require 1.9–2.1 and ≥ 3.5.
@Suite("ODE samplers: convergence order on a single Gaussian")
struct ODEConvergenceTests {
    static let gaussian = SingleGaussian.standard
    static let steps = [32, 64, 128, 256]

    /// The error ratios between consecutive step counts of `sample` on the Karras schedule,
    /// against the exact endpoint x(0) from σ_max·z.
    func sampleRatios(_ name: String) throws -> [Double] {
        let z = try TestKit.normals(rows: 64, dimension: 4)
        let exact = Self.gaussian.flow(80 * z, from: Array(repeating: 80, count: 64), to: 0)
        let errors = try Self.steps.map { steps in
            TestKit.maxError(try TestKit.run(try TestKit.sampler("\(name):steps=\(steps)"), Self.gaussian.model, z: z).0, exact)
        }
        return zip(errors, errors.dropFirst()).map { $0 / $1 }
    }

    @Test("euler is first order")
    func eulerFirstOrder() throws {
        for ratio in try sampleRatios("euler") { #expect(ratio > 1.9 && ratio < 2.1, "ratio \(ratio)") }
    }

    @Test("heun and dpm-solver++ are second order", arguments: ["heun", "dpm-solver++"])
    func secondOrder(_ name: String) throws {
        for ratio in try sampleRatios(name) { #expect(ratio >= 3.5, "\(name): ratio \(ratio)") }
    }

    /// The same from per-row starting σ's (0.5 … 50) to σ_end = 0.02 through `integrate`, on every
    /// schedule kind (the end point is exact, no final step).
    @Test("integrate converges at the same order on every schedule",
          arguments: ["karras", "ve", "vp", "discrete"], [("euler", 1), ("heun", 2), ("dpm-solver++", 2)])
    func integrateOrder(_ schedule: String, _ sampler: (name: String, order: Int)) throws {
        let z = try TestKit.normals(rows: 64, dimension: 4)
        let start = (0..<64).map { 0.5 * pow(100.0, Double($0 % 8) / 7) }
        let x = z.scalingRows(by: start)
        let exact = Self.gaussian.flow(x, from: start, to: 0.02)
        let errors = try [64, 128, 256].map { steps in
            let integrator = try TestKit.integrator("\(sampler.name):steps=\(steps),schedule=\(schedule)")
            return TestKit.maxError(try TestKit.integrate(integrator, Self.gaussian.model, x: x, sigma: start, to: 0.02).0, exact)
        }
        for ratio in zip(errors, errors.dropFirst()).map({ $0 / $1 }) {
            if sampler.order == 1 {
                #expect(ratio > 1.9 && ratio < 2.1, "\(sampler.name) \(schedule): ratio \(ratio)")
            } else {
                #expect(ratio >= 3.5, "\(sampler.name) \(schedule): ratio \(ratio)")
            }
        }
    }

    /// RK45 controls the local error per step; over this contracting ODE the global error stays
    /// within a few times the requested scale `atol + rtol·|x|` (measured: 2.5×, 1.6×, 1.0× at
    /// 1e-3, 1e-4, 1e-5; we require 3×), falls with the tolerance, and costs more calls.
    @Test("rk45 meets its tolerance")
    func rk45Tolerance() throws {
        let z = try TestKit.normals(rows: 64, dimension: 4)
        let exact = Self.gaussian.flow(80 * z, from: Array(repeating: 80, count: 64), to: 0)
        var previous: (error: Double, nfe: Double)?
        for tolerance in [1e-3, 1e-4, 1e-5] {
            let (x, context) = try TestKit.run(try TestKit.sampler("rk45:rtol=\(tolerance),atol=\(tolerance)"), Self.gaussian.model, z: z)
            let scaled = zip(x.scalars, exact.scalars).map { a, b in
                abs(Double(a) - Double(b)) / (tolerance + tolerance * abs(Double(b)))
            }
            #expect(TestKit.maxAbs(scaled) <= 3, "tolerance \(tolerance): error \(TestKit.maxAbs(scaled))× the tolerance")
            let error = TestKit.maxError(x, exact), nfe = Double(context.nfe.reduce(0, +)) / 64
            if let previous {
                #expect(error < previous.error / 5, "error \(error) after \(previous.error)")
                #expect(nfe > previous.nfe)
            }
            previous = (error, nfe)
        }
    }
}
