import Foundation
import Testing
import ScoreKit

// BEGIN library.md example
import ScoreKit

/// The exact denoiser of N(μ, I): D(x; σ) = (x + σ²·μ)/(1 + σ²).
struct ShiftedGaussian: Denoiser {
    let mu: [Float] = [2, -1]
    var sampleShape: [Int] { [2] }
    var sigmaRange: ClosedRange<Double> { 0...Double.infinity }

    func denoise(_ x: Tensor, sigma: [Double]) throws -> Tensor {
        var out = x
        for r in 0..<x.rows {
            let s2 = Float(sigma[r] * sigma[r])
            for j in 0..<2 { out.scalars[2 * r + j] = (x.scalars[2 * r + j] + s2 * mu[j]) / (1 + s2) }
        }
        return out
    }
}

func drawSamples() throws -> Tensor {
    let sampler = try SamplerCatalog.standard.sampler("ddim:eta=0").fitted(toNFE: 25)
    let job = SamplingJob(sampler: sampler, model: ShiftedGaussian(), count: 1000, seed: 42, budget: 25)
    let result = try job.run()
    print("spec:", sampler.spec, "NFE per sample:", result.nfe[0])
    return result.samples                      // shape [1000, 2]
}
// END library.md example

// BEGIN library.md typed example
/// Typed samplers, your own σ's, and your own loop.
func typedSamplers() throws -> Tensor {
    let model = ShiftedGaussian()
    let heun = EDMSampler.heun(steps: 18, schedule: .karras(sigmaMin: 0.002, sigmaMax: 80, rho: 7))
    let mine = EDMSampler.heun(schedule: .custom([80, 20, 5, 1, 0.2, 0.02]))
    let dlgSpec = DLG(integrator: DPMSolverPlusPlus(steps: 10), chains: 256).spec   // "dlg:integrator=dpm-solver++,…"
    print(heun.spec, mine.plannedNFE ?? 0, dlgSpec)

    // Own the loop: start a run, step it, look at (and change) x between steps.
    let rows = Array(0..<100)
    let z = try PhiloxNoise(seed: 7, stream: RandomStreamID.initialNoise, sampleIndices: rows).normal(rows: nil, shape: [2])
    let context = SamplingContext(samplerName: heun.name, sampleIndices: rows)
    var run = try heun.start(model, from: z, noise: PhiloxNoise(seed: 7, sampleIndices: rows), context: context)
    while !run.isFinished {
        let step = try run.step()                  // step.sigma, step.sigmaNext, step.denoised
        var x = run.x                              // VE coordinates: x = x0 + σ·n
        for r in rows { x.scalars[2 * r] = 2 + Float(run.sigma[r]) * z.scalars[2 * r] }   // keep x[0] = 2
        run.x = x
        _ = step
    }
    return run.x                                   // x[0] = 2; x[1] drawn given it
}
// END library.md typed example

@Suite("docs/library.md")
struct LibraryExampleTests {
    @Test("the example in the docs is this file's example, word for word")
    func docMatchesCode() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let doc = try String(contentsOf: root.appendingPathComponent("docs/library.md"), encoding: .utf8)
        let source = try String(contentsOf: URL(fileURLWithPath: #filePath), encoding: .utf8)
        let example = source.components(separatedBy: "// BEGIN library.md example\n")[1]
            .components(separatedBy: "// END library.md example")[0]
        let block = try #require(doc.components(separatedBy: "```swift\n").dropFirst().first { $0.hasPrefix("import ScoreKit\n\n///") })
            .components(separatedBy: "```")[0]
        #expect(block == example)
        #expect(example.split(separator: "\n").count < 30)
    }

    @Test("the typed example in the docs is this file's, word for word, and runs")
    func typedExample() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let doc = try String(contentsOf: root.appendingPathComponent("docs/library.md"), encoding: .utf8)
        let source = try String(contentsOf: URL(fileURLWithPath: #filePath), encoding: .utf8)
        let example = source.components(separatedBy: "// BEGIN library.md typed example\n")[1]
            .components(separatedBy: "// END library.md typed example")[0]
        #expect(doc.contains("```swift\n" + example + "```"))
        let x = try typedSamplers()
        #expect((0..<100).allSatisfy { x.scalars[2 * $0] == 2 })
        let mean = (0..<100).reduce(0.0) { $0 + Double(x.scalars[2 * $1 + 1]) } / 100
        #expect(abs(mean + 1) < 5 / 10.0)          // x[1] ~ N(−1, 1), independent of x[0]: five SE
    }

    @Test("the example runs and samples N(μ, I)")
    func exampleRuns() throws {
        let x = try drawSamples()
        #expect(x.shape == [1000, 2])
        // Mean within five standard errors (σ = 1, n = 1000) of μ.
        for j in 0..<2 {
            let mean = (0..<1000).reduce(0.0) { $0 + Double(x.scalars[2 * $1 + j]) } / 1000
            #expect(abs(mean - [2.0, -1.0][j]) < 5 / 1000.0.squareRoot())
        }
    }
}
