import Foundation
import ScoreKit
import Testing

/// A denoiser that turns NaN for every row below a noise level (a network blowing up late).
struct NaNBelow: Denoiser {
    let base: GaussianMixture, cut: Double
    var sampleShape: [Int] { base.sampleShape }
    var sigmaRange: ClosedRange<Double> { base.sigmaRange }
    func denoise(_ x: Tensor, sigma: [Double]) throws -> Tensor {
        var out = try base.denoise(x, sigma: sigma)
        for r in 0..<x.rows where sigma[r] < cut {
            for j in 0..<x.rowSize { out.scalars[r * x.rowSize + j] = .nan }
        }
        return out
    }
}

/// The contract every ODE sampler keeps: exact NFE, the budget, cancellation, the non-finite
/// guard, specs that round-trip.
@Suite("ODE samplers: NFE, budget, cancellation, errors, specs")
struct ODEContractTests {
    static let names = ["euler", "heun", "heun-churn", "dpm-solver++", "rk45"]
    static let model = SingleGaussian.standard.model

    @Test("planned NFE is the NFE counted, per sample", arguments: [
        ("euler:steps=7", 7), ("heun:steps=7", 13), ("heun-churn:steps=7", 13), ("dpm-solver++:steps=7", 7),
        ("euler:steps=1", 1), ("heun:steps=1", 1), ("dpm-solver++:steps=1", 1),
        ("euler:steps=9,schedule=discrete,spacing=quad", 9), ("heun:steps=6,schedule=vp", 11),
    ])
    func plannedNFE(_ spec: String, _ nfe: Int) throws {
        let sampler = try TestKit.sampler(spec)
        #expect(sampler.plannedNFE == nfe)
        let z = try TestKit.normals(rows: 5, dimension: 4)
        #expect(try TestKit.run(sampler, Self.model, z: z).1.nfe == Array(repeating: nfe, count: 5))
        #expect(try TestKit.run(sampler, Self.model, z: z, budget: nfe).1.nfe == Array(repeating: nfe, count: 5))
        #expect(throws: SamplingError.budgetExceeded(sampler: sampler.name, budget: nfe - 1)) {
            try TestKit.run(sampler, Self.model, z: z, budget: nfe - 1)
        }
    }

    @Test("--nfe sets the most steps that fit", arguments: [
        ("euler", 1, 1), ("euler", 17, 17), ("dpm-solver++", 17, 17),
        ("heun", 1, 1), ("heun", 2, 1), ("heun", 17, 17), ("heun", 20, 19), ("heun-churn", 35, 35),
    ])
    func fittedToBudget(_ name: String, _ budget: Int, _ nfe: Int) throws {
        let fitted = try TestKit.sampler(name).fitted(toNFE: budget)
        #expect(fitted.plannedNFE == nfe)
        let z = try TestKit.normals(rows: 3, dimension: 4)
        #expect(try TestKit.run(fitted, Self.model, z: z, budget: budget).1.nfe == [nfe, nfe, nfe])
    }

    @Test("an explicit step count over the budget is an error", arguments: ["euler:steps=30", "heun:steps=16", "dpm-solver++:steps=30"])
    func explicitStepsOverBudget(_ spec: String) throws {
        #expect(throws: SamplerSpecError.self) { try TestKit.sampler(spec).fitted(toNFE: 29) }
    }

    /// RK45 counts what it makes: 1 start + 1 probe + 6 per attempt; under a budget each sample
    /// stops when its next attempt would not fit and returns `D` where it stopped.
    @Test("rk45: NFE counted, and the budget stops samples early")
    func rk45Budget() throws {
        let sampler = try TestKit.sampler("rk45")
        #expect(sampler.plannedNFE == nil)
        #expect(try sampler.fitted(toNFE: 5).spec == sampler.spec)
        let z = try TestKit.normals(rows: 6, dimension: 4)
        let (free, context) = try TestKit.run(sampler, Self.model, z: z)
        #expect(context.nfe.allSatisfy { $0 > 8 && ($0 - 2) % 6 == 0 })
        #expect(try TestKit.run(sampler, Self.model, z: z, budget: 10_000).0 == free)
        for budget in [1, 7] {            // no room for a probe and one attempt: D at σ_max
            let (x, c) = try TestKit.run(sampler, Self.model, z: z, budget: budget)
            #expect(c.nfe == Array(repeating: 1, count: 6))
            #expect(x == (try Self.model.denoise(80 * z, sigma: Array(repeating: 80, count: 6))))
        }
        #expect(try TestKit.run(sampler, Self.model, z: z, budget: 8).1.nfe == Array(repeating: 8, count: 6))
        let (x, c) = try TestKit.run(sampler, Self.model, z: z, budget: 40)
        #expect(c.nfe.allSatisfy { $0 <= 40 && $0 > 40 - 6 && ($0 - 2) % 6 == 0 })
        #expect(x.isFinite)
    }

    @Test("cancellation stops within one step", arguments: names)
    func cancellation(_ name: String) async throws {
        let sampler = try TestKit.sampler(name)
        let z = try TestKit.normals(rows: 4, dimension: 4)
        let cancelAt = 3
        let outcome = await Task { () -> (steps: [Int], error: (any Error)?) in
            let context = SamplingContext(samplerName: sampler.name, sampleIndices: Array(0..<4))
            var steps: [Int] = []
            context.onProgress = { progress in
                steps.append(progress.step)
                if progress.step == cancelAt { withUnsafeCurrentTask { $0?.cancel() } }
            }
            do {
                _ = try sampler.sample(Self.model, from: z, noise: PhiloxNoise(seed: 0, sampleIndices: Array(0..<4)), context: context)
                return (steps, nil)
            } catch {
                return (steps, error)
            }
        }.value
        #expect(outcome.error is CancellationError)
        #expect(outcome.steps == Array(0...cancelAt))
    }

    /// The first call below σ = 2 is at step i and σ_i for Euler and DPM-Solver++; Heun meets it
    /// in step i−1's correction, evaluated at σ_i.
    @Test("a NaN from the denoiser stops the run naming sampler, step and σ", arguments: names)
    func nonFinite(_ name: String) throws {
        let sampler = try TestKit.sampler("\(name)")
        let model = NaNBelow(base: Self.model, cut: 2)
        let z = try TestKit.normals(rows: 3, dimension: 4)
        let error = try #require(throws: SamplingError.self) { try TestKit.run(sampler, model, z: z) }
        guard case let .nonFinite(samplerName, step, sigma, what) = error else {
            Issue.record("expected nonFinite, got \(error)")
            return
        }
        #expect(samplerName == name && what == "denoiser output")
        #expect(sigma < 2)
        guard let sigmas = TestKit.sigmas(of: sampler) else {
            #expect(step >= 1 && sigma > 0.002)           // rk45: some attempt's stage below 2
            return
        }
        let first = try #require(sigmas.firstIndex { $0 < 2 })
        #expect(sigma == sigmas[first])
        #expect(step == (name.hasPrefix("heun") ? first - 1 : first))
    }

    @Test("specs round-trip with every default filled in", arguments: names)
    func specRoundTrip(_ name: String) throws {
        let sampler = try TestKit.sampler(name)
        let again = try TestKit.sampler(sampler.spec)
        #expect(again.spec == sampler.spec)
        #expect(try SamplerSpec(parsing: again.spec).pairs == (try SamplerSpec(parsing: sampler.spec).pairs))
    }

    @Test("given keys show in the spec", arguments: [
        "euler:steps=7,schedule=vp", "heun:schedule=discrete,spacing=trailing,T=500", "heun-churn:s_churn=40",
        "dpm-solver++:rho=3,sigma_max=20", "rk45:rtol=0.001,sigma_min=0.01",
    ])
    func givenKeys(_ spec: String) throws {
        let sampler = try TestKit.sampler(spec)
        for pair in spec.split(separator: ":")[1].split(separator: ",") {
            #expect(sampler.spec.contains(String(pair)), "\(sampler.spec) lacks \(pair)")
        }
        #expect(try TestKit.sampler(sampler.spec).spec == sampler.spec)
    }

    @Test("bad specs are errors that name the problem", arguments: [
        ("heun:sigma_min=90", "sigma_min=90 must be below sigma_max=80"),
        ("rk45:sigma_min=80", "sigma_min=80 must be below sigma_max=80"),
        ("euler:schedule=discrete,steps=2000", "steps=2000 exceeds T=1000"),
        ("dpm-solver++:schedule=cosine", "expected karras|ve|vp|discrete"),
        ("heun:churn=1", "valid keys: steps, schedule"),
    ])
    func badSpecs(_ spec: String, _ message: String) throws {
        let error = try #require(throws: SamplerSpecError.self) { try TestKit.sampler(spec) }
        #expect(error.description.contains(message), "\(error.description)")
    }

    /// Sample i depends only on (seed, i): a batch gives each row what it gets alone.
    @Test("a sample does not depend on its batch", arguments: ["heun-churn:steps=12", "euler:steps=10,s_churn=30", "rk45", "dpm-solver++"])
    func batchIndependence(_ spec: String) throws {
        let sampler = try TestKit.sampler(spec)
        let z = try TestKit.normals(rows: 6, dimension: 4)
        let (batch, batchContext) = try TestKit.run(sampler, Self.model, z: z, seed: 3)
        for r in 0..<6 {
            let (alone, context) = try TestKit.run(sampler, Self.model, z: z.rows(r..<(r + 1)), seed: 3, firstIndex: r)
            #expect(alone == batch.rows(r..<(r + 1)))
            #expect(context.nfe == [batchContext.nfe[r]])
        }
    }
}
