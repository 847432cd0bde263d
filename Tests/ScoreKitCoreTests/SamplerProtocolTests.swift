import Foundation
import Testing
@testable import ScoreKitCore

/// A minimal sampler for testing the protocol machinery: `steps` Euler steps of the
/// probability-flow ODE on a geometric σ grid, NFE = steps.
struct ProbeSampler: Sampler, Equatable {
    enum Mode: String, CaseIterable, Sendable { case a, b }
    var steps: Int?
    var sigmaMax = 10.0
    var mode = Mode.a
    var flag = false

    static let declaration = SamplerDeclaration<ProbeSampler>(
        name: "probe", summary: "test sampler", reference: "none", nfeRule: "NFE = steps", base: ProbeSampler(),
        options: [.integer("steps", \.steps, in: 1...1000, auto: "10", help: "steps"),
                  .real("sigma-max", \.sigmaMax, in: 0.1...100, help: "σ_max"),
                  .choice("mode", \.mode, help: "mode"),
                  .flag("flag", \.flag, help: "flag")])

    func validated() throws -> ProbeSampler {
        if steps == 13 { throw SamplerSpecError.invalidCombination(sampler: "probe", reason: "13 is unlucky") }
        return self
    }
    var plannedNFE: Int? { steps ?? 10 }
    func fitted(toNFE nfe: Int) throws -> ProbeSampler {
        try fittedSteps(steps, in: 1...1000, toNFE: nfe, nfe: { $0 }) { n in var s = self; s.steps = n; return s }
    }
    func makeRun(_ model: any Denoiser, from z: Tensor, noise: any NoiseSource, context: SamplingContext) throws -> Run {
        let n = steps ?? 10
        return Run(sigmas: (0...n).map { sigmaMax * pow(0.01, Double($0) / Double(n)) }, model: model, x: sigmaMax * z,
                   context: context)
    }

    struct Run: SamplingRun {
        let sigmas: [Double]
        let model: any Denoiser
        var x: Tensor
        let context: SamplingContext
        var stepsTaken = 0
        var sigma: [Double] { Array(repeating: sigmas[stepsTaken], count: x.rows) }
        var plannedSteps: Int? { sigmas.count - 1 }
        var isFinished: Bool { stepsTaken == sigmas.count - 1 }
        mutating func step() throws -> SamplingStep {
            let i = stepsTaken
            try context.beginStep(i, of: sigmas.count - 1, sigma: sigmas[i])
            let denoised = try context.denoise(model, x, sigma: sigmas[i])
            x = Tensor.combination([(.all(sigmas[i + 1] / sigmas[i]), x), (.all(1 - sigmas[i + 1] / sigmas[i]), denoised)])
            try context.endStep(x, sigma: sigmas[i + 1])
            stepsTaken += 1
            return SamplingStep(index: i, sigma: [sigmas[i]], sigmaNext: [sigmas[i + 1]], denoised: denoised)
        }
    }
}

/// D(x; σ) = x·c/(c + σ²): the exact denoiser of N(0, c·I), with an optional NaN at some σ.
struct ScalarGaussian: Denoiser {
    var variance = 1.0
    var nanBelow: Double? = nil
    var sampleShape: [Int] { [2] }
    var sigmaRange: ClosedRange<Double> { 0...Double.infinity }
    func denoise(_ x: Tensor, sigma: [Double]) throws -> Tensor {
        var out = x.scalingRows(by: sigma.map { variance / (variance + $0 * $0) })
        if let nanBelow, sigma.contains(where: { $0 < nanBelow }) { out.scalars[0] = .nan }
        return out
    }
}

let catalog = SamplerCatalog([ProbeSampler.self])

@Suite("Sampler specs")
struct SamplerSpecTests {
    @Test("parse → sampler → spec → parse round-trips, defaults filled in")
    func roundTrip() throws {
        let sampler = try catalog.sampler(" probe : steps = 20 ,mode=b")
        #expect(sampler.spec == "probe:steps=20,sigma-max=10,mode=b,flag=false")
        let again = try catalog.sampler(sampler.spec)
        #expect(again.spec == sampler.spec)
        #expect(again as? ProbeSampler == ProbeSampler(steps: 20, mode: .b))
        #expect(try catalog.sampler("probe").spec == "probe:steps=auto,sigma-max=10,mode=a,flag=false")
        #expect(try catalog.sampler("probe:steps=auto") as? ProbeSampler == ProbeSampler())
        #expect(try catalog.sampler("probe:sigma-max=2.50,flag=yes").spec == "probe:steps=auto,sigma-max=2.5,mode=a,flag=true")
    }

    @Test("errors name the problem and the valid choices", arguments: [
        ("nope", "unknown sampler 'nope'; valid samplers: probe"),
        ("probe:step=3", "sampler 'probe' has no key 'step'; valid keys: steps, sigma-max, mode, flag"),
        ("probe:steps=0", "sampler 'probe': steps=0 is invalid; expected an integer in 1…1000 or auto"),
        ("probe:mode=c", "sampler 'probe': mode=c is invalid; expected a|b"),
        ("probe:sigma-max=x", "sampler 'probe': sigma-max=x is invalid; expected a number in 0.1…100"),
        ("probe:steps=2,steps=3", "sampler 'probe': key 'steps' given twice"),
        ("probe:steps", "malformed sampler spec 'probe:steps': 'steps' is not key=value (expected name or name:key=value,…)"),
        (":steps=1", "malformed sampler spec ':steps=1': no sampler name (expected name or name:key=value,…)"),
        ("probe:steps=13", "sampler 'probe': 13 is unlucky"),
    ])
    func errors(spec: String, message: String) {
        #expect { try catalog.sampler(spec) } throws: { String(describing: $0) == message }
    }

    @Test("an NFE budget sets the steps, respects explicit steps, and refuses what cannot fit")
    func budgets() throws {
        #expect(try catalog.sampler("probe").fitted(toNFE: 37).plannedNFE == 37)
        #expect(try catalog.sampler("probe:steps=5").fitted(toNFE: 37).plannedNFE == 5)
        #expect { try catalog.sampler("probe:steps=50").fitted(toNFE: 37) } throws: {
            String(describing: $0) == "sampler 'probe': steps=50 needs 50 NFE per sample, more than the budget of 37"
        }
        #expect(try catalog.sampler("probe").fitted(toNFE: 5000).plannedNFE == 1000)
    }
}

@Suite("Sampling context")
struct SamplingContextTests {
    let z = Tensor(rows: [[1, -1], [0.5, 2], [3, 0]])

    @Test("counts every denoiser call per sample, exactly")
    func nfe() throws {
        let result = try SamplingJob(sampler: try catalog.sampler("probe:steps=7"), model: ScalarGaussian(), count: 10,
                                     batchSize: 3).run()
        #expect(result.nfe == Array(repeating: 7, count: 10))
        #expect(result.classifierCalls == Array(repeating: 0, count: 10))
    }

    @Test("a subset call counts only its rows; parts are tallied")
    func subsetCounting() throws {
        let context = SamplingContext(samplerName: "t", sampleIndices: [0, 1, 2])
        context.part = "chain"
        _ = try context.denoise(ScalarGaussian(), z.gatherRows([2]), sigma: [1], rows: [2])
        context.part = nil
        _ = try context.denoise(ScalarGaussian(), z, sigma: 0.5)
        _ = try context.denoiseShared(ScalarGaussian(), z, sigma: [1, 1, 1], label: "burn-in")
        #expect(context.nfe == [1, 1, 2])
        #expect(context.nfeByPart["chain"] == [0, 0, 1])
        #expect(context.sharedNFE["burn-in"] == 3)
    }

    @Test("the budget is enforced")
    func budget() throws {
        let sampler = try catalog.sampler("probe:steps=5")
        #expect(throws: SamplingError.budgetExceeded(sampler: "probe", budget: 4)) {
            try sampler.sample(ScalarGaussian(), from: z, noise: PhiloxNoise(seed: 0, sampleIndices: [0, 1, 2]),
                               context: SamplingContext(samplerName: "probe", sampleIndices: [0, 1, 2], budget: 4))
        }
    }

    @Test("a NaN from the denoiser stops the run, naming sampler, step and σ")
    func nonFinite() throws {
        let sampler = try catalog.sampler("probe:steps=4,sigma-max=10")
        let context = SamplingContext(samplerName: "probe", sampleIndices: [0, 1, 2])
        // σ_i = 10·0.01^{i/4}: 10, 3.16, 1, 0.316 — the first below 2 is step 2 at σ = 1.
        #expect { try sampler.sample(ScalarGaussian(nanBelow: 2), from: z, noise: PhiloxNoise(seed: 0, sampleIndices: [0, 1, 2]), context: context) }
            throws: { error in
                guard case let .nonFinite(name, step, sigma, _) = error as? SamplingError else { return false }
                return name == "probe" && step == 2 && abs(sigma - 1) < 1e-12
                    && String(describing: error).contains("probe: non-finite denoiser output at step 2, σ = 1")
            }
    }

    @Test("cancellation stops the run within one step")
    func cancellation() async throws {
        let sampler = try catalog.sampler("probe:steps=1000")
        let z = self.z
        let task = Task { () throws -> Int in
            let context = SamplingContext(samplerName: "probe", sampleIndices: [0, 1, 2])
            let me = withUnsafeCurrentTask { $0 }
            context.onProgress = { p in if p.step == 5 { me?.cancel() } }
            do {
                _ = try sampler.sample(ScalarGaussian(), from: z, noise: PhiloxNoise(seed: 0, sampleIndices: [0, 1, 2]), context: context)
            } catch is CancellationError {
                return context.nfe[0]
            }
            return -1
        }
        // Cancelled during step 5's progress report: step 5 runs, step 6 does not start.
        #expect(try await task.value == 6)
    }

    @Test("progress reports every step; the recorder keeps the trajectory")
    func progressAndRecording() throws {
        let sampler = try catalog.sampler("probe:steps=6")
        let context = SamplingContext(samplerName: "probe", sampleIndices: [0, 1, 2])
        var steps: [Int] = []
        context.onProgress = { steps.append($0.step) }
        context.recorder = TrajectoryRecorder(every: 2)
        let x = try sampler.sample(ScalarGaussian(), from: z, noise: PhiloxNoise(seed: 0, sampleIndices: [0, 1, 2]), context: context)
        #expect(steps == [0, 1, 2, 3, 4, 5])
        #expect(context.recorder!.frames.map(\.step) == [0, 2, 4])
        #expect(context.recorder!.frames.allSatisfy { $0.x.shape == x.shape })
    }

    @Test("job output does not depend on the batch size")
    func batchIndependence() throws {
        let job = { (batch: Int) in
            try SamplingJob(sampler: try catalog.sampler("probe:steps=3"), model: ScalarGaussian(), count: 50, seed: 4,
                            batchSize: batch).run().samples
        }
        #expect(try job(50) == job(7))
    }

    @Test("bad job input is refused")
    func badInput() throws {
        let sampler = try catalog.sampler("probe")
        #expect(throws: SamplingError.self) { try SamplingJob(sampler: sampler, model: ScalarGaussian(), count: 0).run() }
        #expect(throws: SamplingError.self) {
            try SamplingJob(sampler: sampler, model: ScalarGaussian(), count: 3, initialNoise: Tensor(zeros: [3, 5])).run()
        }
    }
}
