import Foundation
import Testing
import ScoreKit

// BEGIN likelihood.md example
/// gmm64's NLL by the probability-flow ODE, beside its closed form.
func gmm64Likelihood() throws -> (ode: LikelihoodResult, exact: [Double]) {
    let mixture = BuiltinModels.gmm64
    let data = mixture.sample(count: 200, seed: 1)
    let result = try Likelihood().logLikelihood(of: data, under: mixture, seed: 0)   // every core
    print("NLL", result.nllMean, "±", result.nllStandardError, "nats; bits/dim", result.bitsPerDimension)
    return (result, mixture.logDensity(data))       // the closed form, for comparison
}
// END likelihood.md example

@Suite("docs/likelihood.md")
struct LikelihoodExampleTests {
    @Test("the library example in the docs is this file's, word for word, and agrees with the closed form")
    func example() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let doc = try String(contentsOf: root.appendingPathComponent("docs/likelihood.md"), encoding: .utf8)
        let source = try String(contentsOf: URL(fileURLWithPath: #filePath), encoding: .utf8)
        let example = source.components(separatedBy: "// BEGIN likelihood.md example\n")[1]
            .components(separatedBy: "// END likelihood.md example")[0]
        #expect(doc.contains("```swift\nimport ScoreKit\n\n" + example + "```"))
        let (ode, exact) = try gmm64Likelihood()
        let gap = (exact.reduce(0, +) / 200 + ode.nllMean) / 64
        #expect(abs(gap) < 0.01, "gap \(gap) nats/dim")
    }
}
