import Foundation
import Testing
@testable import ScoreKitModels
import ScoreKitCore

/// A Gaussian mixture as a `ConditionalDenoiser`: a label keeps its class's components, and
/// the exact noisy classifier's log-probabilities and gradients are those of the closed form.
@Suite("exact mixtures are class-conditional")
struct MixtureConditioningTests {
    /// Three components in 2-D, classes [0, 1, 0]: class 0 is a group of two.
    static let grouped = try! GaussianMixture(weights: [0.5, 0.3, 0.2], means: [[2, 1], [-3, 0.5], [0.5, -2]],
                                             stds: [[1, 0.6], [0.8, 0.8], [0.4, 1.5]], classes: [0, 1, 0])
    static let points = Tensor(rows: [[0.3, -0.2], [1.5, 2.5], [-2, 1], [4, -3]])
    static let sigmas = [0.3, 1.0, 2.5, 7.0]

    @Test("a label's estimate is the closed-form posterior mean of its group's sub-mixture")
    func conditionalIsSubMixture() throws {
        let m = Self.grouped
        let class0 = try GaussianMixture(weights: [0.5, 0.2], means: [[2, 1], [0.5, -2]], stds: [[1, 0.6], [0.4, 1.5]])
        let class1 = try GaussianMixture(weights: [1], means: [[-3, 0.5]], stds: [[0.8, 0.8]])
        let labels: [Int?] = [0, 1, nil, 0]
        let out = try m.denoise(Self.points, sigma: Self.sigmas, labels: labels)
        let expected0 = try class0.denoise(Self.points, sigma: Self.sigmas)
        let expected1 = try class1.denoise(Self.points, sigma: Self.sigmas)
        let unconditional = try m.denoise(Self.points, sigma: Self.sigmas)
        for r in 0..<4 {
            let want = labels[r] == 0 ? expected0.row(r) : labels[r] == 1 ? expected1.row(r) : unconditional.row(r)
            for (a, b) in zip(out.row(r), want) { #expect(abs(a - b) <= 1e-6 * max(1, abs(b)), "row \(r)") }
        }
        // One component: μ + s²/(s² + σ²)(x − μ), by hand.
        let x = Self.points.row(1).map(Double.init), s2 = [0.64, 0.64], mu = [-3.0, 0.5], t = 1.0
        for j in 0..<2 {
            let want = mu[j] + s2[j] / (s2[j] + t) * (x[j] - mu[j])
            #expect(abs(Double(out.row(1)[out.row(1).startIndex + j]) - want) < 1e-6)
        }
    }

    @Test("by default each component is its own class")
    func defaultClasses() throws {
        let m = try GaussianMixture(weights: [0.8, 0.2], means: [[5, 5], [-5, -5]], stds: [[1, 1], [1, 1]])
        #expect(m.labelCount == 2 && m.classes == [0, 1])
        let out = try m.denoise(Tensor(rows: [[0, 0], [0, 0]]), sigma: [2, 2], labels: [0, 1])
        // (5 + 0.2·(0 − 5)) = 4 in each coordinate for class 0, −4 for class 1 (s² = 1, σ² = 4).
        #expect(out.scalars.map { ($0 * 1e5).rounded() / 1e5 } == [4, 4, -4, -4])
    }

    @Test("the classifier's probabilities sum to one and match Bayes' rule")
    func classifierProbabilities() throws {
        let m = Self.grouped, classifier = m.exactClassifier
        let p0 = try classifier.logProbability(of: [0, 0, 0, 0], at: Self.points, sigma: Self.sigmas).values
        let p1 = try classifier.logProbability(of: [1, 1, 1, 1], at: Self.points, sigma: Self.sigmas).values
        for r in 0..<4 {
            #expect(abs(exp(p0[r]) + exp(p1[r]) - 1) < 1e-12, "row \(r)")
            // p(1 | x) = w_1 N_1 / p(x), from logDensity of the one-component mixture and of m.
            let row = Tensor(rows: [Array(Self.points.row(r))])
            let c1 = try GaussianMixture(weights: [1], means: [[-3, 0.5]], stds: [[0.8, 0.8]])
            let want = log(0.3) + c1.logDensity(row, sigma: Self.sigmas[r])[0] - m.logDensity(row, sigma: Self.sigmas[r])[0]
            #expect(abs(p1[r] - want) < 1e-9, "row \(r): \(p1[r]) vs \(want)")
        }
    }

    @Test("the classifier's gradient matches central differences of its log-probability")
    func classifierGradient() throws {
        let classifier = Self.grouped.exactClassifier
        let labels = [0, 1, 0, 1]
        let (_, gradient) = try classifier.logProbability(of: labels, at: Self.points, sigma: Self.sigmas)
        let h = 1e-3
        for r in 0..<4 {
            for j in 0..<2 {
                var plus = Array(Self.points.row(r)).map(Double.init), minus = plus
                plus[j] += h
                minus[j] -= h
                let f = { (v: [Double]) in
                    try classifier.logProbability(of: [labels[r]], at: Tensor(rows: [v.map(Float.init)]), sigma: [Self.sigmas[r]]).values[0]
                }
                let numeric = (try f(plus) - f(minus)) / (2 * h)
                let analytic = Double(gradient.scalars[r * 2 + j])
                #expect(abs(numeric - analytic) <= 2e-3 * max(1, abs(analytic)), "row \(r) dim \(j): \(numeric) vs \(analytic)")
            }
        }
    }

    @Test("classes round-trip through the JSON form; bad classes are refused with a reason")
    func jsonClasses() throws {
        let back = try GaussianMixture(json: try Self.grouped.jsonData())
        #expect(back == Self.grouped && back.labelCount == 2)
        let plain = try GaussianMixture(weights: [1, 1], means: [[0], [1]], stds: [[1], [1]])
        #expect(!String(decoding: try plain.jsonData(), as: UTF8.self).contains("classes"))
        let cases: [([Int], String)] = [([0], "1 classes for 2 components"), ([0, -1], "classes[1] = -1"),
                                        ([0, 2], "class 1 has no component")]
        for (classes, message) in cases {
            #expect {
                _ = try GaussianMixture(weights: [1, 1], means: [[0], [1]], stds: [[1], [1]], classes: classes)
            } throws: { String(describing: $0).contains(message) }
        }
    }

    @Test("an out-of-range label is an error naming the valid range")
    func outOfRange() throws {
        #expect {
            _ = try Self.grouped.denoise(Self.points, sigma: Self.sigmas, labels: [0, 2, nil, 0])
        } throws: { String(describing: $0) == "label 2 is out of range: the model's labels are 0..<2 (0…1)" }
    }
}
