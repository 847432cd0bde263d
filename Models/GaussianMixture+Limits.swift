import Foundation
import ScoreKitCore

extension GaussianMixture {
    /// The sizes and ranges a mixture's parameters must lie in.
    public enum Limits {
        /// At most 2²⁴ components, and at most 2²⁴ values (components × dimension) in all.
        public static let maxComponents = 1 << 24, maxValues = 1 << 24
        /// Standard deviations lie in 10⁻¹² … 10⁶ (the samplers' `sigma_max` reaches 10⁶).
        public static let std: ClosedRange<Double> = 1e-12...1e6
        /// Means lie within ±10⁶.
        public static let meanMagnitude = 1e6
        /// Weights are finite, positive, and none is below 10⁻¹⁰⁰ of the largest.
        public static let smallestWeightRatio = 1e-100
    }

    /// Checks the parts fit together and lie in `Limits`; returns the sample shape.
    static func validate(weights: [Double], means: [[Double]], stds: [[Double]], sampleShape: [Int]?) throws -> [Int] {
        func invalid(_ reason: String) -> GaussianMixtureError { .invalid(reason) }
        let k = weights.count
        guard k >= 1 else { throw invalid("a mixture needs at least one component") }
        guard k <= Limits.maxComponents else { throw invalid("\(k) components; at most \(Limits.maxComponents)") }
        guard means.count == k, stds.count == k else {
            throw invalid("\(k) weights but \(means.count) means and \(stds.count) stds")
        }
        let d = means[0].count
        guard d >= 1, means.allSatisfy({ $0.count == d }), stds.allSatisfy({ $0.count == d }) else {
            throw invalid("every mean and std must have the same dimension (\(d))")
        }
        guard let values = ShapeCheck.product([k, d]), values <= Limits.maxValues else {
            throw invalid("\(k) components × \(d) dimensions exceed the limit of \(Limits.maxValues) values")
        }
        if let bad = weights.firstIndex(where: { !($0.isFinite && $0 > 0) }) {
            throw invalid("weights[\(bad)] = \(weights[bad]); weights must be finite and positive")
        }
        let largest = weights.max()!
        if let bad = weights.firstIndex(where: { $0 < largest * Limits.smallestWeightRatio }) {
            throw invalid("weights[\(bad)] = \(weights[bad]) is below 1e-100 of the largest weight (\(largest))")
        }
        if let (c, j) = firstIndex(stds, where: { !Limits.std.contains($0) }) {
            throw invalid("stds[\(c)][\(j)] = \(stds[c][j]) is outside \(Limits.std.lowerBound) … \(Limits.std.upperBound)")
        }
        if let (c, j) = firstIndex(means, where: { !(abs($0) <= Limits.meanMagnitude) }) {
            throw invalid("means[\(c)][\(j)] = \(means[c][j]) is outside ±\(Limits.meanMagnitude)")
        }
        let shape = sampleShape ?? [d]
        do {
            guard try ShapeCheck.count(shape, limit: Limits.maxValues) == d else {
                throw invalid("shape \(shape) does not hold \(d) values")
            }
        } catch let problem as ShapeProblem {
            throw invalid("\(problem)")
        }
        return shape
    }

    private static func firstIndex(_ rows: [[Double]], where bad: (Double) -> Bool) -> (Int, Int)? {
        for (c, row) in rows.enumerated() {
            if let j = row.firstIndex(where: bad) { return (c, j) }
        }
        return nil
    }

    /// How far the mixture reaches: the larger of its largest standard deviation and the
    /// distance of its farthest mean from the origin.
    public var scale: Double { Self.reach(means: means, stds: stds) }

    /// See `scale`.
    static func reach(means: [[Double]], stds: [[Double]]) -> Double {
        let std = stds.lazy.map { $0.max()! }.max()!
        let distance = means.lazy.map { $0.reduce(0) { $0 + $1 * $1 }.squareRoot() }.max()!
        return max(std, distance)
    }

    /// A warning when the mixture reaches beyond `sigmaMax`, the largest noise level the
    /// sampler starts from (80 by default): its prior then covers only part of the data, and
    /// far components are never sampled. Names the fix, the sampler key `sigma_max`. Nil when
    /// the mixture fits.
    public func scaleWarning(sigmaMax: Double = 80) -> String? {
        let scale = scale
        guard scale > sigmaMax else { return nil }
        let suggestion = min(1e6, Self.roundUp(3 * scale))
        return "the mixture reaches \(canonicalNumber(scale)) from the origin (largest std or farthest mean), beyond "
            + "σ_max = \(canonicalNumber(sigmaMax)) where sampling starts, so its far parts are rarely or never sampled; "
            + "raise the sampler's sigma_max key, e.g. --sampler 'heun:sigma_max=\(canonicalNumber(suggestion))' "
            + "(samplers without the key, such as ddpm and ddim, keep their fixed range)"
    }

    /// `x` rounded up to one significant digit (2345 → 3000).
    static func roundUp(_ x: Double) -> Double {
        let unit = pow(10, floor(log10(x)))
        return ceil(x / unit) * unit
    }

    /// An estimate of the floating-point operations of one denoiser call per row (squared
    /// distances, one exponential and the posterior mean per component; logarithms per
    /// distinct σ are not counted).
    public var denoiserFlopsPerRow: Double { Double(componentCount) * (6 * Double(dimension) + 20) }
}

extension LoadedModel {
    /// Warnings about sampling this model with the sampler spec `spec` (`name:key=value,…`): a
    /// mixture that reaches beyond the spec's `sigma_max` (or a nested `KEY.sigma_max`), or
    /// beyond σ_max 80 when it has none (the fixed VP tables of ddpm and ddim). Pass the
    /// resolved spec: samplers that take their σ range from the mixture then show it, and
    /// that range covers the mixture.
    public func warnings(forSpec spec: String) -> [String] {
        guard let mixture else { return [] }
        let keys = spec.split(separator: ":", maxSplits: 1).dropFirst().first?.split(separator: ",") ?? []
        let explicit = keys.lazy.compactMap { pair -> Double? in
            let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            return parts.count == 2 && (parts[0] == "sigma_max" || parts[0].hasSuffix(".sigma_max")) ? Double(parts[1]) : nil
        }.first
        return mixture.scaleWarning(sigmaMax: explicit ?? 80).map { [$0] } ?? []
    }
}
