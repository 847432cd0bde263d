import Foundation
import ScoreKit
import Testing

/// `ipndm` against exact solutions: the probability-flow ODE of a single Gaussian N(μ, s²) per
/// dimension (`SingleGaussian`, `x(σ) = μ + (x(σ_a) − μ)·√((s² + σ²)/(s² + σ_a²))`) and an ODE
/// whose slope depends on σ alone (`FlatStartSlope`). k-diffusion 0.1.1 has no iPNDM, and
/// diffusers none either, so there is no peer run to replay; the update rule is checked by its
/// convergence order, its first-order special case (Euler) and its accuracy on the Gaussian.
@Suite("iPNDM")
struct IPNDMTests {
    static let gaussian = SingleGaussian.standard

    /// Order 1 is Euler: the same σ's and the same steps, to Float32 rounding.
    @Test("order 1 is Euler")
    func orderOneIsEuler() throws {
        let z = try TestKit.normals(rows: 16, dimension: 4)
        let (ipndm, context) = try TestKit.run(try TestKit.sampler("ipndm:order=1,steps=12"), Self.gaussian.model, z: z)
        let (euler, _) = try TestKit.run(try TestKit.sampler("euler:steps=12"), Self.gaussian.model, z: z)
        #expect(TestKit.relativeError(ipndm, euler) < 1e-5)
        #expect(context.nfe.allSatisfy { $0 == 12 })
    }

    /// The order of the Adams–Bashforth part, on equal steps in σ (`karras` with ρ = 1), with a
    /// slope that depends on σ alone: `dx/dσ = f(σ) = u⁴`, u = σ_a − σ (a denoiser
    /// `D = x − σ·f(σ)`), whose solution is `x_a − u⁵/5`. f vanishes to fourth order at the start,
    /// so the warm-up's lower-order steps are exact to O(h⁵); its fourth derivative is constant, so
    /// order 4's error is exactly (251/720)·24·h⁴ per unit of σ, and the lower orders' errors keep
    /// one sign. Integrated from σ_a = 2 to 0.5 over 10, 20 and 40 intervals; the error ratio per
    /// doubling must reach 0.85·2ᵏ (order 1: 1.9–2.1). Measured: 1.93, 1.97; 3.64, 3.82;
    /// 7.13, 7.56; 15.3, 15.5.
    @Test("order k converges as steps⁻ᵏ on equal steps", arguments: [1, 2, 3, 4])
    func convergenceOrder(_ order: Int) throws {
        let model = FlatStartSlope(sigmaStart: 2)
        let start = Array(repeating: 2.0, count: 4), end = 0.5
        let x = Tensor(rows: [[0], [1], [-1], [0.5]])
        let errors = try [11, 21, 41].map { steps in
            let ipndm = try TestKit.integrator("ipndm:order=\(order),steps=\(steps),schedule=karras,rho=1")
            return TestKit.maxError(try TestKit.integrate(ipndm, model, x: x, sigma: start, to: end).0, model.solution(x, at: end))
        }
        let target = pow(2, Double(order))
        for ratio in zip(errors, errors.dropFirst()).map({ $0 / $1 }) {
            if order == 1 {
                #expect(ratio > 1.9 && ratio < 2.1, "order 1: ratio \(ratio), errors \(errors)")
            } else {
                #expect(ratio >= 0.85 * target, "order \(order): ratio \(ratio), errors \(errors)")
            }
        }
    }

    /// On the Gaussian's flow with equal steps from σ = 80 (the warm-up where the path is nearly
    /// straight) to 2, order 4 beats order 3 beats order 2 at every step count.
    @Test("higher orders are more accurate on the Gaussian's flow")
    func ordersRank() throws {
        let z = try TestKit.normals(rows: 64, dimension: 4)
        let start = Array(repeating: 80.0, count: 64), x = 80 * z
        let exact = Self.gaussian.flow(x, from: start, to: 2)
        for steps in [200, 400] {
            let errors = try (2...4).map { order in
                let ipndm = try TestKit.integrator("ipndm:order=\(order),steps=\(steps),schedule=karras,rho=1")
                return TestKit.maxError(try TestKit.integrate(ipndm, Self.gaussian.model, x: x, sigma: start, to: 2).0, exact)
            }
            #expect(errors[0] > errors[1] && errors[1] > errors[2], "steps \(steps): errors \(errors)")
        }
    }

    /// On the Karras schedule (unequal steps) the fixed coefficients are no longer exact for
    /// polynomials of degree k − 1, but the method stays at least second order.
    @Test("at least second order on the Karras schedule", arguments: [2, 3, 4])
    func karrasOrder(_ order: Int) throws {
        let z = try TestKit.normals(rows: 64, dimension: 4)
        let exact = Self.gaussian.flow(80 * z, from: Array(repeating: 80, count: 64), to: 0)
        let errors = try [32, 64, 128].map { steps in
            TestKit.maxError(try TestKit.run(try TestKit.sampler("ipndm:order=\(order),steps=\(steps)"), Self.gaussian.model, z: z).0, exact)
        }
        for ratio in zip(errors, errors.dropFirst()).map({ $0 / $1 }) {
            #expect(ratio >= 3.5, "order \(order): ratio \(ratio), errors \(errors)")
        }
    }

    /// `integrate` from per-row σ's (0.3 … 80) to 0.002 reaches the closed-form solution, one call
    /// per step, and a row gives alone what it gives in the batch.
    @Test("integrate from per-row σ's")
    func integrate() throws {
        let start = [0.3, 1, 2.5, 7, 20, 55, 80, 0.05]
        let x = try TestKit.normals(rows: start.count, dimension: 4).scalingRows(by: start)
        let ipndm = try TestKit.integrator("ipndm:steps=100")
        let (out, context) = try TestKit.integrate(ipndm, Self.gaussian.model, x: x, sigma: start, to: 0.002)
        let exact = Self.gaussian.flow(x, from: start, to: 0.002)
        #expect(TestKit.maxError(out, exact) < 1e-3, "error \(TestKit.maxError(out, exact))")
        #expect(context.nfe == start.map { $0 > 0.002 ? 99 : 0 })
        for r in start.indices {
            let (alone, _) = try TestKit.integrate(ipndm, Self.gaussian.model, x: x.rows(r..<(r + 1)), sigma: [start[r]], to: 0.002, firstIndex: r)
            #expect(alone == out.rows(r..<(r + 1)))
        }
    }

    @Test("order outside 1…4 is an error", arguments: ["ipndm:order=0", "ipndm:order=5"])
    func badOrder(_ spec: String) {
        #expect { try SamplerCatalog.standard.sampler(spec) } throws: { String(describing: $0).contains("order") }
    }
}

/// A denoiser whose probability-flow slope depends on σ alone: `dx/dσ = f(σ) = u⁴` with
/// u = σ_a − σ, i.e. `D(x; σ) = x − σ·u⁴`.
struct FlatStartSlope: Denoiser {
    let sigmaStart: Double
    var sampleShape: [Int] { [1] }
    var sigmaRange: ClosedRange<Double> { 0...Double.infinity }

    func denoise(_ x: Tensor, sigma: [Double]) throws -> Tensor {
        Tensor(shape: x.shape, scalars: (0..<x.rows).map { r in Float(Double(x.scalars[r]) - sigma[r] * pow(sigmaStart - sigma[r], 4)) })
    }

    /// The exact solution at σ from `x` at σ_a: `x − u⁵/5`.
    func solution(_ x: Tensor, at sigma: Double) -> Tensor {
        let shift = pow(sigmaStart - sigma, 5) / 5
        return Tensor(shape: x.shape, scalars: x.scalars.map { Float(Double($0) - shift) })
    }
}
