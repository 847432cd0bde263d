/// A denoiser that can also pull vectors back through its Jacobian: for each cotangent `v`,
/// the vector–Jacobian product `vᵀ·∂D(x; σ)/∂x`, row by row.
///
/// The likelihood of data under the probability-flow ODE needs the divergence of the ODE's
/// slope, `div_x((x − D)/σ) = (d − tr J)/σ` with `J = ∂D/∂x` — traced exactly from d products
/// with the unit vectors, or estimated from products with random probes (Hutchinson). The exact
/// Gaussian mixtures give the products in closed form; trained networks by their backward pass,
/// through the σ-preconditioning around the network. Reconstruction guidance pulls back a
/// cotangent made from the row's own estimate, `m ⊙ (y − D)`, after the same forward pass.
public protocol DifferentiableDenoiser: Denoiser {
    /// `D(x; σ)` as `denoise` returns it and, for each row r, the products `vᵀ·∂D(x[r]; σ[r])/∂x[r]`
    /// of the cotangents `v` that `cotangents(r, D(x[r]))` returns (each `[1] + sampleShape`; the
    /// same number for every row). `pullbacks[c]` holds cotangent c's products, one row per row
    /// of `x`. One evaluation of `D` serves every cotangent of a row.
    func denoise(_ x: Tensor, sigma: [Double],
                 pullingBackRowwise cotangents: (_ row: Int, _ denoised: Tensor) throws -> [Tensor]) throws -> (denoised: Tensor, pullbacks: [Tensor])

    /// The standard deviation of the data the model describes (a network's `σ_data`, a
    /// mixture's overall spread), when it is known.
    var dataStandardDeviation: Double? { get }
}

extension DifferentiableDenoiser {
    public var dataStandardDeviation: Double? { nil }

    /// `D(x; σ)` and, for each tensor `v` of `cotangents` (each shaped like `x`), the tensor
    /// whose row r is `v[r]ᵀ·∂D(x[r]; σ[r])/∂x[r]`.
    public func denoise(_ x: Tensor, sigma: [Double], pullingBack cotangents: [Tensor]) throws -> (denoised: Tensor, pullbacks: [Tensor]) {
        precondition(cotangents.allSatisfy { $0.shape == x.shape }, "denoise: cotangents must be shaped like x \(x.shape)")
        let (d, pulled) = try denoise(x, sigma: sigma, pullingBackRowwise: { r, _ in cotangents.map { $0.rows(r..<(r + 1)) } })
        return (d, pulled.isEmpty ? cotangents : pulled)
    }

    /// The vector–Jacobian product `vᵀ·∂D/∂x` of each row alone.
    public func vjp(_ x: Tensor, sigma: [Double], _ v: Tensor) throws -> Tensor {
        try denoise(x, sigma: sigma, pullingBack: [v]).pullbacks[0]
    }
}
