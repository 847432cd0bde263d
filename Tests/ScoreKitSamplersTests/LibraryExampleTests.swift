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
