/// Guidance: conditional denoisers wrapped around a model so every sampler can use them.
///
/// **Classifier-free guidance** (Ho & Salimans, "Classifier-Free Diffusion Guidance", 2022):
///
///     D_w(x; σ | c) = D(x; σ | c) + w·(D(x; σ | c) − D(x; σ | ∅))
///
/// w = 0 is the conditional model alone. This is the paper's convention; the other common one,
/// `D(x|∅) + s·(D(x|c) − D(x|∅))` (diffusers' `guidance_scale`), is the same with s = 1 + w.
/// Both branches go to the model in one batched call (the conditional rows, then the ∅ rows);
/// a row whose label is ∅, whose w is 0, or whose σ lies outside the guidance interval needs
/// one branch and gets one. NFE counts calls; `networkRows(sigma:label:)` is 2 where both
/// branches run.
///
/// **Classifier guidance** (Dhariwal & Nichol, "Diffusion Models Beat GANs on Image
/// Synthesis", 2021; Song et al., score SDE, 2021): the score gains `w·∇_x log p(c | x, σ)`,
/// which for a denoiser (score = (D − x)/σ²) is
///
///     D̃(x; σ | c) = D(x; σ) + w·σ²·∇_x log p(c | x, σ)
///
/// With the exact noisy classifier and w = 1 this is exactly `D(x; σ | c)` (Bayes' rule on
/// the scores).

/// Classifier-free guidance around a conditional denoiser: `D(x|c) + w·(D(x|c) − D(x|∅))`,
/// with w applied only for σ in `interval` (when set; elsewhere w = 0: conditional only).
public struct ClassifierFreeGuidance: ConditionalDenoiser, DenoiserWrapper {
    /// The conditional model (it gives both D(x|c) and D(x|∅)).
    public let base: any ConditionalDenoiser
    /// The guidance weight w ≥ 0 (0: the conditional model alone).
    public let weight: Double
    /// The σ's where w applies, `[σ_lo, σ_hi]`; nil: every σ.
    public let interval: ClosedRange<Double>?

    /// Guidance of weight `weight` (finite, ≥ 0) on `base`, applied for σ in `interval` (nil:
    /// everywhere). Throws `GuidanceError` for a negative or non-finite weight or a bad interval.
    public init(base: any ConditionalDenoiser, weight: Double, interval: ClosedRange<Double>? = nil) throws {
        try GuidanceError.checkWeight(weight, what: "classifier-free guidance")
        if let interval, !(interval.lowerBound >= 0 && interval.upperBound.isFinite) {
            throw GuidanceError.badInterval(interval.lowerBound, interval.upperBound)
        }
        self.base = base
        self.weight = weight
        self.interval = interval
    }

    /// `base`, whose samples these are.
    public var wrapped: any Denoiser { base }
    public var labelCount: Int { base.labelCount }

    /// Whether a row at `sigma` with `label` runs both branches.
    public func guides(sigma: Double, label: Int?) -> Bool {
        label != nil && weight != 0 && (interval?.contains(sigma) ?? true)
    }

    public func networkRows(sigma: Double, label: Int?) -> Int {
        guides(sigma: sigma, label: label) ? 2 * base.networkRows(sigma: sigma, label: label)
            : base.networkRows(sigma: sigma, label: label)
    }

    /// The unconditional estimate: the base's D(x|∅), one branch.
    public func denoise(_ x: Tensor, sigma: [Double]) throws -> Tensor { try base.denoise(x, sigma: sigma) }

    public func denoise(_ x: Tensor, sigma: [Double], labels: [Int?]) throws -> Tensor {
        let guided = x.rows == 0 ? [] : (0..<x.rows).filter { guides(sigma: sigma[$0], label: labels[$0]) }
        guard !guided.isEmpty else { return try base.denoise(x, sigma: sigma, labels: labels) }
        // One call: every row with its own label, then the guided rows again with ∅.
        let all = Tensor.concatenatingRows([x, x.gatherRows(guided)])
        let out = try base.denoise(all, sigma: sigma + guided.map { sigma[$0] },
                                   labels: labels + Array(repeating: nil, count: guided.count))
        var result = out.rows(0..<x.rows)
        let conditional = result.gatherRows(guided), unconditional = out.rows(x.rows..<out.rows)
        let mixed = Tensor.combination([(.all(1 + weight), conditional), (.all(-weight), unconditional)])
        result.scatterRows(guided, from: mixed)
        return result
    }
}

/// Classifier guidance: `D(x) + w·σ²·∇_x log p(c | x, σ)` from an unconditional denoiser and a
/// noise-aware classifier. A row with label ∅ (or w = 0) gets `D(x)` alone. One denoiser call
/// per call (`networkRows` 1); the classifier's evaluation is not a denoiser row.
public struct ClassifierGuidance: ConditionalDenoiser, DenoiserWrapper {
    /// The denoiser whose unconditional estimate D(x) is guided.
    public let base: any Denoiser
    /// The noisy classifier whose gradient steers it.
    public let classifier: any NoisyClassifier
    /// The guidance weight w ≥ 0.
    public let weight: Double

    /// Guidance of weight `weight` (finite, ≥ 0) on `base` by `classifier`. Throws
    /// `GuidanceError` for a bad weight or a classifier that reads another sample shape.
    public init(base: any Denoiser, classifier: any NoisyClassifier, weight: Double) throws {
        try GuidanceError.checkWeight(weight, what: "classifier guidance")
        guard classifier.sampleShape == base.sampleShape else {
            throw GuidanceError.shapeMismatch(classifier: classifier.sampleShape, model: base.sampleShape)
        }
        self.base = base
        self.classifier = classifier
        self.weight = weight
    }

    /// `base`, whose samples these are.
    public var wrapped: any Denoiser { base }
    public var labelCount: Int { classifier.labelCount }

    /// The unconditional estimate D(x).
    public func denoise(_ x: Tensor, sigma: [Double]) throws -> Tensor { try base.denoise(x, sigma: sigma) }

    public func denoise(_ x: Tensor, sigma: [Double], labels: [Int?]) throws -> Tensor {
        var out = try base.denoise(x, sigma: sigma)
        let guided = weight == 0 ? [] : labels.indices.filter { labels[$0] != nil }
        guard !guided.isEmpty else { return out }
        let gradient = try classifier.logProbability(of: guided.map { labels[$0]! }, at: x.gatherRows(guided),
                                                     sigma: guided.map { sigma[$0] }).gradient
        let steered = Tensor.combination([(1.0, out.gatherRows(guided)),
                                          (.perRow(guided.map { weight * sigma[$0] * sigma[$0] }), gradient)])
        out.scatterRows(guided, from: steered)
        return out
    }
}

/// Guidance settings that cannot work.
public enum GuidanceError: Error, Equatable, CustomStringConvertible {
    /// A weight that is negative or not finite.
    case badWeight(Double, what: String)
    /// A guidance interval with lo > hi, a negative lo or an infinite hi.
    case badInterval(Double, Double)
    /// A classifier that reads samples of another shape than the model's.
    case shapeMismatch(classifier: [Int], model: [Int])

    public var description: String {
        switch self {
        case let .badWeight(w, what): "\(what) weight must be a finite number ≥ 0, got \(w)"
        case let .badInterval(lo, hi): "guidance interval \(lo):\(hi) must have 0 ≤ lo ≤ hi < ∞"
        case let .shapeMismatch(c, m): "the classifier reads samples of shape \(c), the model's are \(m)"
        }
    }

    static func checkWeight(_ w: Double, what: String) throws {
        guard w.isFinite, w >= 0 else { throw GuidanceError.badWeight(w, what: what) }
    }
}
