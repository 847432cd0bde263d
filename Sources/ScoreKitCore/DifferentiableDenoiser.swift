/// A denoiser that can also pull vectors back through its Jacobian: for each cotangent `v`,
/// the vector–Jacobian product `vᵀ·∂D(x; σ)/∂x`, row by row.
///
/// The likelihood of data under the probability-flow ODE needs the divergence of the ODE's
/// slope, `div_x((x − D)/σ) = (d − tr J)/σ` with `J = ∂D/∂x` — traced exactly from d products
/// with the unit vectors, or estimated from products with random probes (Hutchinson). The exact
/// Gaussian mixtures give the products in closed form; trained networks by their backward pass,
/// through the σ-preconditioning around the network.
public protocol DifferentiableDenoiser: Denoiser {
    /// `D(x; σ)` as `denoise` returns it, and for each tensor `v` of `cotangents` (each shaped
    /// like `x`) the tensor whose row r is `v[r]ᵀ·∂D(x[r]; σ[r])/∂x[r]`. One evaluation of `D`
    /// serves every cotangent.
    func denoise(_ x: Tensor, sigma: [Double], pullingBack cotangents: [Tensor]) throws -> (denoised: Tensor, pullbacks: [Tensor])
}

extension DifferentiableDenoiser {
    /// The vector–Jacobian product `vᵀ·∂D/∂x` of each row alone.
    public func vjp(_ x: Tensor, sigma: [Double], _ v: Tensor) throws -> Tensor {
        try denoise(x, sigma: sigma, pullingBack: [v]).pullbacks[0]
    }
}
