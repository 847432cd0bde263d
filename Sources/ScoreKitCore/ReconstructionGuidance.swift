/// Reconstruction guidance for inpainting (Ho et al., "Video Diffusion Models", 2022, §3.1;
/// the weight's σ-dependence is ΠGDM's: Song et al., "Pseudoinverse-Guided Diffusion Models
/// for Inverse Problems", ICLR 2023).
///
/// Replacement alone (`KnownValues`) tells the unknown part about the known data only through
/// what the network infers from the noised known part, so completions are often plausible but
/// not the data's (a digit's lower half that belongs to another digit). Reconstruction guidance
/// steers the estimate so that its known part matches the data: with J = ∂D/∂x, mask m, data y,
/// data standard deviation s and weight w,
///
///     D̃(x; σ) = D(x; σ) + w·(σ² + s²)/s² · Jᵀ·(m ⊙ (y − D(x; σ)))
///
/// which is `D + w·σ²·∇_x log p(y | x)` for the Gaussian approximation
/// `x₀ | x ~ N(D, r²)` with `r² = σ²s²/(σ² + s²)` (ΠGDM). For data `N(μ, s²·I)` and w = 1 it is
/// the exact posterior mean E[x₀ | x, y]: the known part is y and the rest is D.
/// Used with replacement (the sampler keeps the known part itself); one call costs the
/// network's forward pass and one backward pass.
public struct ReconstructionGuidance: SampleAwareDenoiser, DenoiserWrapper {
    /// The model whose estimate is steered.
    public let base: any DifferentiableDenoiser
    /// The known values of the job's samples: row p is sample `firstIndex + p`'s.
    public let known: KnownValues
    /// The sample index of `known`'s first row.
    public let firstIndex: Int
    /// The weight w ≥ 0 (0: the base's estimate).
    public let weight: Double
    /// s: the data's standard deviation (the base's, or 1 when it does not say).
    public let dataSigma: Double

    /// Guidance of weight `weight` (finite, ≥ 0) towards `known` (row p for sample
    /// `firstIndex + p`). Throws `GuidanceError.badWeight` or `SamplingError.invalidInput` for
    /// data of another shape than the model's samples.
    public init(base: any DifferentiableDenoiser, known: KnownValues, firstIndex: Int = 0, weight: Double) throws {
        try GuidanceError.checkWeight(weight, what: "reconstruction guidance")
        guard known.data.rowShape == base.sampleShape else {
            throw SamplingError.invalidInput("reconstruction guidance: the known data's rows have shape \(known.data.rowShape), the model's samples \(base.sampleShape)")
        }
        self.base = base
        self.known = known
        self.firstIndex = firstIndex
        self.weight = weight
        self.dataSigma = base.dataStandardDeviation ?? 1
    }

    /// `base`, whose samples these are.
    public var wrapped: any Denoiser { base }

    /// The base's estimate: a call that does not say which samples its rows make is not guided.
    public func denoise(_ x: Tensor, sigma: [Double]) throws -> Tensor { try base.denoise(x, sigma: sigma) }

    /// D̃ for rows making `samples` (sample indices, `firstIndex` … `firstIndex + known.data.rows − 1`).
    public func denoise(_ x: Tensor, sigma: [Double], samples: [Int]) throws -> Tensor {
        guard weight != 0 else { return try base.denoise(x, sigma: sigma) }
        let rows = try samples.map { s in
            guard (0..<known.data.rows).contains(s - firstIndex) else {
                throw SamplingError.invalidInput("reconstruction guidance: no known values for sample \(s)")
            }
            return s - firstIndex
        }
        let size = x.rowSize
        let (d, pulled) = try base.denoise(x, sigma: sigma, pullingBackRowwise: { r, d in
            var v = Tensor(zeros: d.shape)
            let k = rows[r]
            for i in 0..<size where known.isKnown(row: k, i) {
                v.scalars[i] = known.data.scalars[k * size + i] - d.scalars[i]
            }
            return [v]
        })
        let s2 = dataSigma * dataSigma
        return Tensor.combination([(1, d), (.perRow(sigma.map { weight * ($0 * $0 + s2) / s2 }), pulled[0])])
    }
}

/// A denoiser whose estimate for a row depends on which sample the row is making (its sample
/// index), such as guidance towards per-sample data. `SamplingContext.denoise` passes the
/// rows' sample indices; a call that cannot say (shared work) uses `denoise(_:sigma:)`.
public protocol SampleAwareDenoiser: Denoiser {
    /// `D(x; σ)` for rows that make the samples `samples` (one index per row).
    func denoise(_ x: Tensor, sigma: [Double], samples: [Int]) throws -> Tensor
}
