/// Conditioning: a denoiser that can be told what to generate.
///
/// A condition is a class label per row, `0..<labelCount`, or `nil` for "no condition" (∅).
/// Unconditional samplers and models are untouched: a `ConditionalDenoiser` is also a plain
/// `Denoiser` (whose `denoise(_:sigma:)` is the unconditional estimate), and the labels of a
/// run travel in its `SamplingContext`, which passes each row's label to the model at every
/// call. So every sampler samples conditionally without knowing it.

/// A denoiser that takes a class label per row: `D(x; σ | c)`, with `nil` meaning ∅ (the
/// unconditional estimate `D(x; σ)`).
///
/// Implementations: the class-conditional digits network (trained with label dropout, so one
/// network gives both estimates), the exact Gaussian mixtures (a label picks a group of
/// components), and the guidance wrappers, which are conditional denoisers around one.
public protocol ConditionalDenoiser: Denoiser {
    /// The number of classes; a label is in `0..<labelCount`.
    var labelCount: Int { get }
    /// The denoised estimate for each row of `x` at its noise level `sigma[r]` given its
    /// label `labels[r]` (nil: unconditional).
    func denoise(_ x: Tensor, sigma: [Double], labels: [Int?]) throws -> Tensor
    /// How many rows the underlying network evaluates to answer one call for one row at
    /// noise level `sigma` with `label`: 1 for a plain network; 2 where classifier-free
    /// guidance evaluates the conditional and the unconditional branch. The context adds
    /// them up as the run's "network rows", beside its calls (NFE).
    func networkRows(sigma: Double, label: Int?) -> Int
}

extension ConditionalDenoiser {
    /// The unconditional estimate: every label ∅.
    public func denoise(_ x: Tensor, sigma: [Double]) throws -> Tensor {
        try denoise(x, sigma: sigma, labels: Array(repeating: nil, count: x.rows))
    }

    /// One network row per call, by default.
    public func networkRows(sigma: Double, label: Int?) -> Int { 1 }
}

/// A noise-aware classifier: `log p(c | x, σ)` for noisy samples `x` at noise level `σ`
/// (VE coordinates), with its gradient in `x` — what classifier guidance adds to the score.
public protocol NoisyClassifier: Sendable {
    /// The number of classes.
    var labelCount: Int { get }
    /// The shape of one sample it reads.
    var sampleShape: [Int] { get }
    /// For each row r: `log p(labels[r] | x_r, sigma[r])` and its gradient with respect to
    /// `x_r` (shaped like `x`).
    func logProbability(of labels: [Int], at x: Tensor, sigma: [Double]) throws -> (values: [Double], gradient: Tensor)
}
