import Foundation
import ScoreKitCore

/// A Gaussian mixture is class-conditional: a label c selects the group of components of class
/// c (by default each component is its own class), so `p(x0 | c) ∝ Σ_{k∈c} w_k·N(x0; μ_k, s_k²)`
/// and, as noise keeps it a mixture,
///
///     D(x; σ | c) = Σ_{k∈c} r_k^c(x)·(μ_k + s_k²/(s_k² + σ²)·(x − μ_k)),  r^c = softmax over k ∈ c
///
/// — the closed-form posterior mean within the group. `D(x; σ | ∅)` is the ordinary denoiser.
/// The exact noisy classifier is `log p(c | x, σ) = log Σ_{k∈c} w_k·N_σ,k(x) − log p_σ(x)`, and by
/// Tweedie's formula on both terms its gradient is `(D(x; σ | c) − D(x; σ))/σ²`. These are the
/// exact answers the guidance wrappers are tested against.
extension GaussianMixture: ConditionalDenoiser {
    /// The number of classes: the largest class label + 1.
    public var labelCount: Int { (classes.max() ?? 0) + 1 }

    public func denoise(_ x: Tensor, sigma: [Double], labels: [Int?]) throws -> Tensor {
        precondition(labels.count == x.rows, "denoise: \(labels.count) labels for \(x.rows) rows")
        if let bad = labels.compactMap({ $0 }).first(where: { !(0..<labelCount).contains($0) }) {
            throw LabelError.outOfRange(bad, labelCount: labelCount)
        }
        return posteriorMeans(x, sigma: sigma, labels: labels)
    }

    /// The exact noise-aware classifier of this mixture's classes.
    public var exactClassifier: ExactMixtureClassifier { ExactMixtureClassifier(mixture: self) }

    /// Sets the terms of components outside class `label` to −∞ (they drop out of the softmax).
    func keepClass(_ label: Int, in terms: inout [Double]) {
        for k in terms.indices where classes[k] != label { terms[k] = -.infinity }
    }

    /// The classes checked: one per component, each in `0..<L` with every class present; nil
    /// gives component k class k.
    static func validate(classes: [Int]?, componentCount k: Int) throws -> [Int] {
        guard let classes else { return Array(0..<k) }
        guard classes.count == k else {
            throw GaussianMixtureError.invalid("\(classes.count) classes for \(k) components; give one class per component")
        }
        if let bad = classes.firstIndex(where: { $0 < 0 }) {
            throw GaussianMixtureError.invalid("classes[\(bad)] = \(classes[bad]); classes are labels 0, 1, 2, …")
        }
        let present = Set(classes), count = classes.max()! + 1
        if let missing = (0..<count).first(where: { !present.contains($0) }) {
            throw GaussianMixtureError.invalid("class \(missing) has no component; classes must be 0..<\(count) with each used")
        }
        return classes
    }
}

/// The exact noisy classifier of a Gaussian mixture's classes: `log p(c | x, σ)` from the
/// component posterior at noise level σ, with its closed-form gradient
/// `(D(x; σ | c) − D(x; σ))/σ²`. Computed in Float64, one row at a time.
public struct ExactMixtureClassifier: NoisyClassifier {
    /// The mixture whose classes it tells apart.
    public let mixture: GaussianMixture

    /// The classifier of `mixture`'s classes.
    public init(mixture: GaussianMixture) { self.mixture = mixture }

    public var labelCount: Int { mixture.labelCount }
    public var sampleShape: [Int] { mixture.sampleShape }

    public func logProbability(of labels: [Int], at x: Tensor,
                               sigma: [Double]) throws -> (values: [Double], gradient: Tensor) {
        guard labels.count == x.rows, sigma.count == x.rows, x.rowSize == mixture.dimension else {
            throw SamplingError.invalidInput("exact classifier: \(labels.count) labels and \(sigma.count) σ's for x of shape \(x.shape)")
        }
        if let bad = labels.first(where: { !(0..<labelCount).contains($0) }) {
            throw LabelError.outOfRange(bad, labelCount: labelCount)
        }
        let tables = mixture.tables, d = mixture.dimension
        var values = [Double](repeating: 0, count: x.rows), gradient = [Float](repeating: 0, count: x.count)
        var terms = [Double](repeating: 0, count: tables.count), row = [Double](repeating: 0, count: d)
        var scratch = terms, all = row, within = row
        for r in 0..<x.rows {
            let level = tables.level(sigma: sigma[r]), variance = sigma[r] * sigma[r]
            for j in 0..<d { row[j] = Double(x.scalars[r * d + j]) }
            tables.terms(row, level, into: &terms)
            let total = logSumExp(terms)
            tables.posteriorMean(row, terms, level, scratch: &scratch, into: &all)
            mixture.keepClass(labels[r], in: &terms)
            values[r] = logSumExp(terms) - total
            tables.posteriorMean(row, terms, level, scratch: &scratch, into: &within)
            for j in 0..<d { gradient[r * d + j] = Float((within[j] - all[j]) / variance) }
        }
        return (values, Tensor(shape: x.shape, scalars: gradient))
    }
}
