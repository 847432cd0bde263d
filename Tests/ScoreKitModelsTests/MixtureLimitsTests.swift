import Foundation
import Testing
import ScoreKitCore
@testable import ScoreKitModels

/// Mixture specs whose meaning is wrong (shapes, sizes, ranges) are refused with one line
/// naming the field; large valid ones load and evaluate in time linear in their size.
@Suite("Mixture limits")
struct MixtureLimitsTests {
    static func spec(_ fields: String) -> Data {
        Data(#"{"kind":"gaussian-mixture","weights":[1,1],"means":[[0,0],[1,1]],"stds":[[1,1],[1,1]]\#(fields)}"#.utf8)
    }

    static let refused: [(String, Data, String)] = [
        ("negative shape", spec(#","shape":[-1,-2]"#),
         "shape [-1, -2] is invalid: entry 0 is -1 (a negative dimension); every dimension must be at least 1"),
        ("overflowing shape", spec(#","shape":[4611686018427387904,4,2]"#),
         "shape [4611686018427387904, 4, 2] is invalid: its number of values overflows 64-bit arithmetic (the limit is 16777216)"),
        ("shape of the wrong size", spec(#","shape":[3]"#), "shape [3] does not hold 2 values"),
        ("fractional shape", spec(#","shape":[1.5]"#), "wrong type at 'shape.0': expected an integer, found 1.5"),
        ("unknown key", spec(#","sigma_max":3"#), "unknown key 'sigma_max' (expected kind, weights, means, stds, shape, classes)"),
        ("duplicate key", spec(#","weights":[1,2]"#), "not valid JSON: duplicate key 'weights' at byte 86"),
        ("number out of range", Data(#"{"kind":"gaussian-mixture","weights":[1e309],"means":[[0]],"stds":[[1]]}"#.utf8),
         "not valid JSON: number 1e309 is out of range (beyond ±1.8e308) at byte 38"),
        ("nested too deeply", Data((String(repeating: "[", count: 600) + String(repeating: "]", count: 600)).utf8),
         "not valid JSON: nested too deeply (more than 512 levels of arrays and objects) at byte 512"),
        ("zero weight", Data(#"{"kind":"gaussian-mixture","weights":[0,1],"means":[[0],[1]],"stds":[[1],[1]]}"#.utf8),
         "weights[0] = 0.0; weights must be finite and positive"),
        ("negligible weight", Data(#"{"kind":"gaussian-mixture","weights":[1e-200,1],"means":[[0],[1]],"stds":[[1],[1]]}"#.utf8),
         "weights[0] = 1e-200 is below 1e-100 of the largest weight (1.0)"),
        ("huge std", Data(#"{"kind":"gaussian-mixture","weights":[1],"means":[[0]],"stds":[[1e10]]}"#.utf8),
         "stds[0][0] = 10000000000.0 is outside 1e-12 … 1000000.0"),
        ("tiny std", Data(#"{"kind":"gaussian-mixture","weights":[1],"means":[[0]],"stds":[[1e-300]]}"#.utf8),
         "stds[0][0] = 1e-300 is outside 1e-12 … 1000000.0"),
        ("far mean", Data(#"{"kind":"gaussian-mixture","weights":[1],"means":[[-2e6]],"stds":[[1]]}"#.utf8),
         "means[0][0] = -2000000.0 is outside ±1000000.0"),
        ("no components", Data(#"{"kind":"gaussian-mixture","weights":[],"means":[],"stds":[]}"#.utf8),
         "a mixture needs at least one component"),
        ("not an object", Data("[1]".utf8), "expected a JSON object, found an array"),
    ]

    @Test("specs with a wrong meaning are refused with one line", arguments: refused.indices)
    func refusals(_ index: Int) {
        let (what, data, reason) = Self.refused[index]
        #expect(throws: GaussianMixtureError.invalid(reason), "\(what)") { try GaussianMixture(json: data) }
    }

    @Test("too many values for the limit are refused before any table is built")
    func sizeLimit() {
        let k = GaussianMixture.Limits.maxValues / 4 + 1
        let weights = [Double](repeating: 1, count: k), row = [Double](repeating: 0, count: 4)
        #expect(throws: GaussianMixtureError.invalid("\(k) components × 4 dimensions exceed the limit of 16777216 values")) {
            try GaussianMixture(weights: weights, means: Array(repeating: row, count: k), stds: Array(repeating: row, count: k))
        }
    }

    @Test("a mixture wider than σ_max gets a warning naming sigma_max; one that fits gets none")
    func scaleWarning() throws {
        let wide = try GaussianMixture(weights: [1, 1], means: [[0, 0], [300, 400]], stds: [[1, 1], [2, 2]])
        #expect(wide.scale == 500)
        let warning = try #require(wide.scaleWarning())
        #expect(warning.contains("reaches 500 from the origin") && warning.contains("σ_max = 80"))
        #expect(warning.contains("--sampler 'heun:sigma_max=2000'"))
        #expect(wide.scaleWarning(sigmaMax: 600) == nil)
        #expect(BuiltinModels.gmm2d.scaleWarning() == nil && BuiltinModels.gmm64.scaleWarning() == nil)
        let model = LoadedModel(name: "wide", mixture: wide)
        #expect(model.warnings(forSpec: "heun") == [warning] && model.warnings(forSpec: "ddim:eta=0.5") == [warning])
        #expect(model.warnings(forSpec: "heun:steps=9,sigma_max=1000").isEmpty)
        #expect(model.warnings(forSpec: "heun:sigma_max=100") == [try #require(wide.scaleWarning(sigmaMax: 100))])
        let std = try GaussianMixture(weights: [1], means: [[0]], stds: [[1e5]])
        #expect(std.scaleWarning()?.contains("sigma_max=300000") == true)
    }

    /// 200,000 components in 2-D: the JSON parses, and a denoiser call and a posterior call
    /// on 8 rows finish, in time linear in the components (a quadratic step would not).
    @Test("large mixtures load and evaluate in linear time")
    func largeMixture() throws {
        let k = 200_000
        var text = #"{"kind":"gaussian-mixture","weights":["#
        text += (0..<k).map { "\(1 + $0 % 3)" }.joined(separator: ",")
        text += #"],"means":["# + (0..<k).map { "[\(Double($0 % 1000) / 50),\(Double($0 / 1000) / 20)]" }.joined(separator: ",")
        text += #"],"stds":["# + Array(repeating: "[0.5,0.5]", count: k).joined(separator: ",") + "]}"
        let start = Date()
        let m = try GaussianMixture(json: Data(text.utf8))
        #expect(m.componentCount == k)
        let x = Tensor(shape: [8, 2], scalars: (0..<16).map { Float($0) - 4 })
        let d = try m.denoise(x, sigma: Array(repeating: 0.5, count: 8))
        let p = try m.noiseLevelPosterior().logProbabilities(x)
        #expect(d.isFinite && p.isFinite)
        #expect(Date().timeIntervalSince(start) < 30)
    }
}
