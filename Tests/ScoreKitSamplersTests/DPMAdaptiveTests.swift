import Foundation
import ScoreKit
import Testing

@Suite("dpm-adaptive: adaptive DPM-Solver-12/23")
struct DPMAdaptiveTests {
    /// Against the exact probability-flow solution of a Gaussian (then the same final denoise),
    /// the error falls as the tolerances tighten, for both orders.
    @Test("the error decreases with rtol", arguments: [2, 3])
    func errorFallsWithTolerance(_ order: Int) throws {
        let gaussian = SingleGaussian.standard
        let z = try TestKit.normals(rows: 16, dimension: 4)
        let (lo, hi) = (0.002, 80.0)
        let exact = try gaussian.model.denoise(gaussian.flow(hi * z, from: Array(repeating: hi, count: 16), to: lo),
                                              sigma: Array(repeating: lo, count: 16))
        var errors: [Double] = [], calls: [Double] = []
        for rtol in [0.05, 0.005, 0.0005] {
            let sampler = try TestKit.sampler("dpm-adaptive:order=\(order),rtol=\(rtol),atol=\(rtol / 10),sigma_min=\(lo),sigma_max=\(hi)")
            let (x, context) = try TestKit.run(sampler, gaussian.model, z: z)
            errors.append(TestKit.maxError(x, exact))
            calls.append(Double(context.nfe.reduce(0, +)) / 16)
        }
        #expect(errors[1] < errors[0] && errors[2] < errors[1], "errors \(errors)")
        #expect(errors[2] < errors[0] / 10, "errors \(errors)")
        #expect(calls[1] > calls[0] && calls[2] > calls[1], "NFE \(calls)")
    }

    /// Each sample has its own step sizes: same row, same bits, whatever the batch.
    @Test("a sample does not depend on its batch-mates")
    func batchInvariance() throws {
        let sampler = try TestKit.sampler("dpm-adaptive")
        let model = RestartTests.mixture
        let z = try TestKit.normals(rows: 8, dimension: 3)
        let (all, ca) = try TestKit.run(sampler, model, z: z)
        let (part, cp) = try TestKit.run(sampler, model, z: z.gatherRows([5, 6, 7]), firstIndex: 5)
        #expect(all.gatherRows([5, 6, 7]).scalars == part.scalars)
        #expect(Array(ca.nfe[5...]) == cp.nfe)
        #expect(Set(ca.nfe).count > 1)                  // the rows really adapt separately
    }

    /// Under a budget every row stops in time for its final call, and the rows that stopped
    /// short are reported with the σ they stopped at.
    @Test("a budget that truncates is reported per row")
    func budget() throws {
        let sampler = try TestKit.sampler("dpm-adaptive:rtol=0.001,atol=0.0001")
        let z = try TestKit.normals(rows: 6, dimension: 3)
        let (_, free) = try TestKit.run(sampler, RestartTests.mixture, z: z)
        let budget = free.nfe.min()! - 6
        let (x, context) = try TestKit.run(sampler, RestartTests.mixture, z: z, budget: budget)
        #expect(context.nfe.allSatisfy { $0 <= budget })
        #expect(context.stoppedAt.allSatisfy { $0 != nil && $0! > 0.002 })
        #expect(x.firstNonFiniteRow == nil)
    }

    /// As an integrator each row lands on σ_end near the exact solution.
    @Test("integrate carries each row from its own σ to σ_end")
    func integrate() throws {
        let gaussian = SingleGaussian.standard
        let x = try TestKit.normals(rows: 3, dimension: 4)
        let start = [20.0, 3.0, 0.5]
        let integrator = try TestKit.integrator("dpm-adaptive:rtol=0.0001,atol=0.00001")
        let (y, context) = try TestKit.integrate(integrator, gaussian.model, x: x, sigma: start, to: 0.05)
        #expect(TestKit.maxError(y, gaussian.flow(x, from: start, to: 0.05)) < 1e-3)
        #expect(context.nfe.allSatisfy { $0 % 3 == 0 && $0 > 0 })      // order 3 per attempt, no final call
    }
}
