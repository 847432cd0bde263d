import Foundation
import ScoreKit
import Testing

@Suite("restart: Heun with restart intervals")
struct RestartTests {
    static let mixture = try! GaussianMixture(weights: [0.6, 0.4], means: [[2, -1, 0.5], [-2, 1, 1]],
                                              stds: [[0.5, 1, 0.7], [0.8, 0.4, 1.1]])

    /// With no restart passes the path is EDM's Heun path, computed the same way: same bits.
    @Test("no restarts (none, or K = 0) is heun, bit for bit", arguments: ["none", "0.5:3:0:2", "0.1:2:0:1/1:4:0:3"])
    func equalsHeun(_ restarts: String) throws {
        let z = try TestKit.normals(rows: 9, dimension: 3)
        let restart = try TestKit.sampler("restart:steps=12,sigma_min=0.002,sigma_max=80,restarts=\(restarts)")
        let heun = try TestKit.sampler("heun:steps=12,sigma_min=0.002,sigma_max=80")
        let (a, ca) = try TestKit.run(restart, Self.mixture, z: z)
        let (b, cb) = try TestKit.run(heun, Self.mixture, z: z)
        #expect(a.scalars == b.scalars)
        #expect(ca.nfe == cb.nfe && restart.plannedNFE == heun.plannedNFE)
    }

    /// plannedNFE is what the context counts, for one and several intervals, and `--nfe` fits
    /// the main steps around the restarts' cost.
    @Test("planned NFE equals the calls counted", arguments: [
        "restart", "restart:steps=5,restarts=0.3:4:3:1.5", "restart:steps=7,restarts=0.05:2:1:0.5/0.5:3:2:4/2:1:1:10",
        "restart:schedule=ve,steps=9,restarts=1:2:2:3",
    ])
    func plannedNFE(_ spec: String) throws {
        let sampler = try TestKit.sampler(spec)
        let (_, context) = try TestKit.run(sampler, Self.mixture, z: try TestKit.normals(rows: 4, dimension: 3))
        let planned = try #require(sampler.plannedNFE)
        #expect(context.nfe == Array(repeating: planned, count: 4))
        var auto = try #require(sampler as? Restart)
        auto.steps = nil
        let fitted = try auto.fitted(toNFE: 40)
        let (_, fittedContext) = try TestKit.run(fitted, Self.mixture, z: try TestKit.normals(rows: 2, dimension: 3), budget: 40)
        #expect(fitted.plannedNFE == 39 && fittedContext.nfe == [39, 39])    // restarts cost an even number
    }

    @Test("restarts round-trip through the spec, and bad entries name what is expected")
    func restartsKey() throws {
        let sampler = try #require(try TestKit.sampler("restart:restarts=0.1:3:2:1.5/2:1:1:5") as? Restart)
        #expect(sampler.restarts == [Restart.Interval(tMin: 0.1, steps: 3, repeats: 2, tMax: 1.5),
                                     Restart.Interval(tMin: 2, steps: 1, repeats: 1, tMax: 5)])
        #expect(sampler.specValue("restarts") == "0.1:3:2:1.5/2:1:1:5")
        #expect(try TestKit.sampler(sampler.spec).spec == sampler.spec)
        #expect(try TestKit.sampler("restart").specValue("restarts") == "0.06:2:2:0.3")
        for bad in ["1:3:2:0.5", "0.1:0:2:1", "0.1:3:2", "a:3:2:1", "0.1:3:-1:1", "0.1:3:2:1/"] {
            #expect(throws: (any Error).self, "\(bad)") { try TestKit.sampler("restart:restarts=\(bad)") }
        }
    }

    /// Same seed, same row: the same sample whatever else is in the batch (restart noise per row).
    @Test("a sample does not depend on its batch-mates")
    func batchInvariance() throws {
        let sampler = try TestKit.sampler("restart:steps=6,restarts=0.5:2:2:3")
        let z = try TestKit.normals(rows: 6, dimension: 3)
        let (all, _) = try TestKit.run(sampler, Self.mixture, z: z, seed: 4)
        let (part, _) = try TestKit.run(sampler, Self.mixture, z: z.gatherRows([3, 4, 5]), seed: 4, firstIndex: 3)
        #expect(all.gatherRows([3, 4, 5]).scalars == part.scalars)
    }

    /// A budget that leaves one main level is refused when fitting (the default restarts cost 8).
    @Test("fitting needs two main levels besides the restarts")
    func fittingFloor() throws {
        #expect(throws: SamplerSpecError.self) { try TestKit.sampler("restart").fitted(toNFE: 10) }
        #expect(try TestKit.sampler("restart").fitted(toNFE: 11).plannedNFE == 11)
        #expect(try TestKit.sampler("restart:restarts=none").fitted(toNFE: 1).plannedNFE == 1)
    }

    /// A restart interval entirely below σ_min has nothing to restart: an error, not a wrong count.
    @Test("an interval that cannot restart is refused when the run starts")
    func idleInterval() throws {
        let sampler = try TestKit.sampler("restart:sigma_min=0.5,sigma_max=80,restarts=0.1:2:1:0.3")
        #expect(throws: SamplingError.self) { try TestKit.run(sampler, Self.mixture, z: try TestKit.normals(rows: 2, dimension: 3)) }
    }

    /// As an integrator: without restarts it is heun's integration, bit for bit; with them each
    /// row makes the planned calls, except where it starts below an interval's t_min.
    @Test("integrate: heun's without restarts; calls as planned with them")
    func integrate() throws {
        let gaussian = SingleGaussian.standard
        let x = try TestKit.normals(rows: 3, dimension: 4)
        let start = [5.0, 2.0, 0.05]
        let (y, cy) = try TestKit.integrate(try TestKit.integrator("restart:steps=40,restarts=none"), gaussian.model, x: x, sigma: start, to: 0.01)
        let (h, ch) = try TestKit.integrate(try TestKit.integrator("heun:steps=40"), gaussian.model, x: x, sigma: start, to: 0.01)
        #expect(y.scalars == h.scalars && cy.nfe == ch.nfe)
        #expect(TestKit.maxError(y, gaussian.flow(x, from: start, to: 0.01)) < 2e-3)
        let restarting = try TestKit.integrator("restart:steps=10,restarts=0.5:3:2:1")
        let (_, context) = try TestKit.integrate(restarting, gaussian.model, x: x, sigma: start, to: 0.01)
        let planned = try #require(restarting.plannedIntegrationNFE)
        #expect(context.nfe[0] == planned && context.nfe[1] == planned)
        #expect(context.nfe[2] == planned - 12)      // starts below t_min: no restart passes
    }
}
