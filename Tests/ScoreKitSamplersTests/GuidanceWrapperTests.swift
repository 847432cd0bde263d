import Foundation
import Testing
import ScoreKit

/// The two guidance wrappers against the exact mixture's closed forms, and what they cost:
/// classifier-free guidance makes one batched call to its base, with both branches only where
/// it guides.
@Suite("guidance wrappers: exact answers and one batched call")
struct GuidanceWrapperTests {
    static let mixture = BuiltinModels.gmm2d
    static let x = Tensor(rows: [[0.3, -0.2], [4, 6], [-5, -3], [1, 1], [-0.5, 2]])
    static let sigma = [0.5, 2, 8, 1.2, 30]
    static let labels: [Int?] = [0, 1, nil, 1, 0]

    @Test("classifier-free guidance is D(x|c) + w·(D(x|c) − D(x|∅)), row by row", arguments: [0.0, 0.5, 3.0])
    func closedForm(_ w: Double) throws {
        let guided = try ClassifierFreeGuidance(base: Self.mixture, weight: w)
        let out = try guided.denoise(Self.x, sigma: Self.sigma, labels: Self.labels)
        let cond = try Self.mixture.denoise(Self.x, sigma: Self.sigma, labels: Self.labels)
        let uncond = try Self.mixture.denoise(Self.x, sigma: Self.sigma)
        for i in 0..<Self.x.count {
            let want = Double(cond.scalars[i]) + w * (Double(cond.scalars[i]) - Double(uncond.scalars[i]))
            #expect(abs(Double(out.scalars[i]) - want) <= 1e-5 * max(1, abs(want)), "value \(i): w = \(w)")
        }
        // Rows without a label are the unconditional estimate, bit for bit.
        #expect(Array(out.row(2)) == Array(uncond.row(2)))
    }

    @Test("the guidance interval: w only for σ in [lo, hi], the conditional estimate elsewhere")
    func interval() throws {
        let guided = try ClassifierFreeGuidance(base: Self.mixture, weight: 2, interval: 1...10)
        let out = try guided.denoise(Self.x, sigma: Self.sigma, labels: Self.labels)
        let everywhere = try ClassifierFreeGuidance(base: Self.mixture, weight: 2).denoise(Self.x, sigma: Self.sigma, labels: Self.labels)
        let cond = try Self.mixture.denoise(Self.x, sigma: Self.sigma, labels: Self.labels)
        for r in 0..<5 {
            let want = (1...10).contains(Self.sigma[r]) ? everywhere.row(r) : cond.row(r)
            #expect(Array(out.row(r)) == Array(want), "row \(r) at σ = \(Self.sigma[r])")
        }
        #expect(guided.networkRows(sigma: 5, label: 1) == 2 && guided.networkRows(sigma: 20, label: 1) == 1)
        #expect(guided.networkRows(sigma: 5, label: nil) == 1)
    }

    @Test("both branches go to the base in one call: the conditional rows, then the guided rows with ∅")
    func oneBatchedCall() throws {
        let spy = CallLog(base: Self.mixture)
        let guided = try ClassifierFreeGuidance(base: spy, weight: 1.5, interval: 0.1...10)
        _ = try guided.denoise(Self.x, sigma: Self.sigma, labels: Self.labels)
        let calls = spy.calls
        #expect(calls.count == 1)
        // Guided: rows 0, 1, 3 (row 2 has no label, row 4's σ = 30 is outside the interval).
        #expect(calls.first?.labels == [0, 1, nil, 1, 0, nil, nil, nil])
        #expect(calls.first?.sigma == Self.sigma + [0.5, 2, 1.2])
    }

    @Test("classifier guidance at w = 1 with the exact classifier is the conditional denoiser")
    func classifierGuidanceIsExact() throws {
        let guided = try ClassifierGuidance(base: Self.mixture, classifier: Self.mixture.exactClassifier, weight: 1)
        let out = try guided.denoise(Self.x, sigma: Self.sigma, labels: Self.labels)
        let cond = try Self.mixture.denoise(Self.x, sigma: Self.sigma, labels: Self.labels)
        for i in 0..<Self.x.count {
            let want = Double(cond.scalars[i])
            #expect(abs(Double(out.scalars[i]) - want) <= 4e-6 * max(1, abs(want)), "value \(i)")
        }
        // w = 0 is the unconditional denoiser.
        let none = try ClassifierGuidance(base: Self.mixture, classifier: Self.mixture.exactClassifier, weight: 0)
        #expect(try none.denoise(Self.x, sigma: Self.sigma, labels: Self.labels) == (try Self.mixture.denoise(Self.x, sigma: Self.sigma)))
    }

    @Test("classifier guidance on a grouped mixture: w = 1 gives the group's posterior mean")
    func classifierGuidanceGrouped() throws {
        let m = try GaussianMixture(weights: [0.4, 0.35, 0.25], means: [[3, 0], [0, 3], [-3, -3]],
                                    stds: [[0.7, 0.7], [1.2, 0.5], [0.9, 0.9]], classes: [0, 0, 1])
        let guided = try ClassifierGuidance(base: m, classifier: m.exactClassifier, weight: 1)
        let out = try guided.denoise(Self.x, sigma: Self.sigma, labels: [0, 0, 1, 1, 0])
        let want = try m.denoise(Self.x, sigma: Self.sigma, labels: [0, 0, 1, 1, 0])
        for i in 0..<Self.x.count {
            #expect(abs(Double(out.scalars[i]) - Double(want.scalars[i])) <= 4e-6 * max(1, abs(Double(want.scalars[i]))))
        }
    }

    @Test("bad weights and intervals are refused with one-line reasons")
    func badSettings() throws {
        for w in [-1.0, .nan, .infinity] {
            #expect { _ = try ClassifierFreeGuidance(base: Self.mixture, weight: w) } throws: {
                String(describing: $0).hasPrefix("classifier-free guidance weight must be a finite number ≥ 0")
            }
            #expect { _ = try ClassifierGuidance(base: Self.mixture, classifier: Self.mixture.exactClassifier, weight: w) } throws: {
                String(describing: $0).hasPrefix("classifier guidance weight must be a finite number ≥ 0")
            }
        }
        #expect { _ = try ClassifierFreeGuidance(base: Self.mixture, weight: 1, interval: -1...2) } throws: {
            String(describing: $0) == "guidance interval -1.0:2.0 must have 0 ≤ lo ≤ hi < ∞"
        }
        #expect { _ = try ClassifierGuidance(base: BuiltinModels.ring8, classifier: BuiltinModels.gmm64.exactClassifier, weight: 1) }
            throws: { String(describing: $0).contains("the classifier reads samples of shape [64], the model's are [2]") }
    }
}

/// A conditional denoiser that records the labels and σ's of every call to its base.
final class CallLog: ConditionalDenoiser, @unchecked Sendable {
    let base: GaussianMixture
    private let lock = NSLock()
    private var log: [(labels: [Int?], sigma: [Double])] = []

    init(base: GaussianMixture) { self.base = base }

    var calls: [(labels: [Int?], sigma: [Double])] { lock.withLock { log } }
    var sampleShape: [Int] { base.sampleShape }
    var sigmaRange: ClosedRange<Double> { base.sigmaRange }
    var labelCount: Int { base.labelCount }

    func denoise(_ x: Tensor, sigma: [Double], labels: [Int?]) throws -> Tensor {
        lock.withLock { log.append((labels, sigma)) }
        return try base.denoise(x, sigma: sigma, labels: labels)
    }
}
