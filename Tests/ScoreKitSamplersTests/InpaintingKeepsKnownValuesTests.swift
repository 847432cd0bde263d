import Foundation
import ScoreKit
import ScoreKitTestSupport
import Testing

/// Inpainting over the stepping interface: every sampler of the catalog keeps the known values
/// bit for bit, a sample depends only on (seed, index), RePaint's redone steps are counted, and
/// the known coordinate steers the generated one to the right conditional law.
@Suite("Inpainting keeps known values")
struct InpaintingKeepsKnownValuesTests {
    static let names = SamplerCatalog.standard.names

    /// A job inpainting `known` with `spec` (fitted to `nfe`).
    static func inpaint(_ spec: String, model: any Denoiser, known: KnownValues, nfe: Int?, seed: UInt64 = 3,
                        resampling: Resampling = .none, batch: Int = 10_000, threads: Int = 1,
                        estimator: (any NoiseLevelEstimator)? = nil, guidance: Double = 0) throws -> SamplingResult {
        var sampler = try SamplerCatalog.standard.sampler(spec)
        if let nfe { sampler = try sampler.fitted(toNFE: nfe) }
        sampler = sampler.resolved(for: model)
        var job = SamplingJob(sampler: sampler, model: model, count: known.data.rows, seed: seed, batchSize: batch,
                              noiseLevelEstimator: estimator ?? (model as? GaussianMixture)?.noiseLevelPosterior(),
                              threads: threads)
        job.edit = .inpaint(known, resampling, guidance: guidance)
        return try job.run()
    }

    /// gmm2d with x₀ known (values spread over both modes), x₁ generated.
    static func gmm2dKnown(rows: Int) throws -> KnownValues {
        let data = Tensor(rows: (0..<rows).map { r in [Float(r % 3 == 0 ? -5 : 5) + Float(r) * 0.013, 1e9] })
        return try KnownValues(data: data, mask: Tensor(rows: [[1, 0]]))
    }

    static func keepsKnown(_ x: Tensor, _ known: KnownValues) -> Bool {
        x.scalars.indices.allSatisfy { i in
            let m = known.mask.scalars[known.mask.rows == 1 ? i % x.rowSize : i]
            return m == 0 ? x.scalars[i].isFinite : x.scalars[i].bitPattern == known.data.scalars[i].bitPattern
        }
    }

    @Test("every sampler keeps a known gmm2d coordinate to the bit, with and without reconstruction guidance", arguments: names)
    func gmm2dKnownCoordinate(name: String) throws {
        let known = try Self.gmm2dKnown(rows: 12)
        let result = try Self.inpaint(name, model: BuiltinModels.gmm2d, known: known, nfe: 40)
        #expect(Self.keepsKnown(result.samples, known), "\(name)")
        let guided = try Self.inpaint(name, model: BuiltinModels.gmm2d, known: known, nfe: 40, guidance: 1)
        #expect(Self.keepsKnown(guided.samples, known), "\(name), guided")
        // A guided call is one call: a run of planned length costs the same (adaptive ones
        // choose their steps by what they see).
        if try SamplerCatalog.standard.sampler(name).fitted(toNFE: 40).plannedNFE != nil {
            #expect(guided.nfe == result.nfe, "\(name), guided")
        }
    }

    @Test("every sampler keeps the lower half of a digit to the bit", arguments: names)
    func digitsLowerHalf(name: String) throws {
        let trained = try BuiltinModels.trainedModel("digits")
        let images = try DigitsData.load().heldOut.images.rows(0..<3)
        var mask = Tensor(zeros: [1, 1, 8, 8])
        for i in 32..<64 { mask.scalars[i] = 1 }
        let known = try KnownValues(data: images, mask: mask)
        let result = try Self.inpaint(name, model: trained.denoiser!, known: known, nfe: 12,
                                      estimator: trained.noiseLevelEstimator)
        #expect(Self.keepsKnown(result.samples, known), "\(name)")
    }

    @Test("a sample depends on (seed, index) only, whatever the batches and threads",
          arguments: ["euler-maruyama", "ddpm", "heun-churn", "langevin"])
    func batchInvariance(name: String) throws {
        let known = try Self.gmm2dKnown(rows: 17)
        let repaint = Resampling(resample: 2, jump: 3)
        let one = try Self.inpaint(name, model: BuiltinModels.gmm2d, known: known, nfe: 30, resampling: repaint)
        let split = try Self.inpaint(name, model: BuiltinModels.gmm2d, known: known, nfe: 30, resampling: repaint,
                                     batch: 5, threads: 2)
        #expect(one.samples == split.samples)
    }

    @Test("RePaint redoes every step U times: NFE = (U + 1) × the sampler's", arguments: [
        ("heun", 1, 1), ("heun", 3, 1), ("ddim", 2, 4), ("dpm-solver++", 1, 5), ("pc", 2, 2), ("langevin", 1, 7),
    ])
    func resamplingCountsEveryCall(name: String, resample: Int, jump: Int) throws {
        let known = try Self.gmm2dKnown(rows: 4)
        let sampler = try SamplerCatalog.standard.sampler(name).fitted(toNFE: 24).resolved(for: BuiltinModels.gmm2d)
        let planned = try #require(sampler.plannedNFE)
        let result = try Self.inpaint(sampler.spec, model: BuiltinModels.gmm2d, known: known, nfe: nil,
                                      resampling: Resampling(resample: resample, jump: jump))
        #expect(result.nfe == Array(repeating: (resample + 1) * planned, count: 4))
        #expect(Self.keepsKnown(result.samples, known))
    }

    @Test func resamplingRefusesARunThatCannotRedoAStep() throws {
        let known = try Self.gmm2dKnown(rows: 2)
        #expect(throws: SamplingError.self) {
            _ = try Self.inpaint("dlg", model: BuiltinModels.gmm2d, known: known, nfe: 60, resampling: Resampling(resample: 1))
        }
        #expect(throws: Never.self) { _ = try Self.inpaint("dlg", model: BuiltinModels.gmm2d, known: known, nfe: 60) }
    }

    /// Given x₀ = ±5 the other coordinate of gmm2d is N(±5, 1) (the far component's weight is
    /// e⁻⁵⁰). Replacement is an approximation (the known part is noised independently of the
    /// generated part), worst for the minority mode x₀ = −5 (prior weight 0.2): measured at
    /// N = 1000, NFE 200, U = 1, heun (deterministic) gives mean −3.82 and variance 6.0 there,
    /// so the test takes the stochastic samplers with RePaint (U = 3), which mix: the
    /// generated coordinate must land in the known one's mode (≥ 97 %) and its mean within
    /// 4 standard errors + 0.05 of ±5, its variance within
    /// 4 standard errors + 0.05 of 1.
    @Test("the generated coordinate follows the known one's mode", .tags(.statistical), .statistical,
          arguments: ["euler-maruyama", "ddpm", "pc"])
    func conditionalLaw(name: String) throws {
        let n = TestSettings.count(default: 500)
        for value in [Float(5), -5] {
            let known = try KnownValues(data: Tensor(rows: Array(repeating: [value, 0], count: n)), mask: Tensor(rows: [[1, 0]]))
            let x = try Self.inpaint(name, model: BuiltinModels.gmm2d, known: known, nfe: 100, resampling: Resampling(resample: 3)).samples
            let other = (0..<n).map { Double(x.scalars[2 * $0 + 1]) }
            let (mean, error) = TestKit.meanAndError(other)
            let variance = other.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n - 1)
            let sameMode = Double(other.filter { ($0 > 0) == (value > 0) }.count) / Double(n)
            print("inpaint \(name) U=3 given x₀ = \(value): mean \(mean) ± \(error), variance \(variance), same mode \(sameMode)")
            #expect(sameMode >= 0.97)
            #expect(abs(mean - Double(value)) < 4 * error + 0.05)
            #expect(abs(variance - 1) < 4 * (2 / Double(n)).squareRoot() + 0.05)
        }
    }

    @Test func knownValuesRejectBadMasks() {
        let data = Tensor(rows: [[1, 2], [3, 4]])
        #expect(throws: SamplingError.self) { _ = try KnownValues(data: data, mask: Tensor(rows: [[1, 0.5]])) }
        #expect(throws: SamplingError.self) { _ = try KnownValues(data: data, mask: Tensor(rows: [[1, 0, 1]])) }
        #expect(throws: SamplingError.self) { _ = try KnownValues(data: data, mask: Tensor(rows: [[1, 0], [1, 0], [0, 1]])) }
        #expect(throws: SamplingError.self) { _ = try KnownValues(data: Tensor(rows: [[.nan, 2]]), mask: Tensor(rows: [[1, 0]])) }
        #expect(throws: Never.self) { _ = try KnownValues(data: Tensor(rows: [[1, .nan]]), mask: Tensor(rows: [[1, 0]])) }
    }
}
