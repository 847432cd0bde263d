import ScoreKitCore

/// Vector–Jacobian products of a trained denoiser, by the network's backward pass (the one
/// training uses) through EDM's preconditioning: with `D(x; σ) = c_skip·x + c_out·F(c_in·x, c_noise)`,
///
///     vᵀ·∂D/∂x = c_skip·v + c_in·(∂F/∂x_in)ᵀ(c_out·v)
///
/// One forward pass with its tape per row serves every cotangent; each cotangent costs one
/// backward pass that forms the input gradient alone (no parameter gradients). Rows go through
/// one at a time because the training passes use BLAS, whose bits depend on the number of rows
/// in a product: alone, a row's products do not depend on its batch-mates (a likelihood is the
/// same whatever `--batch` or `--threads`). `D` comes from the training forward pass, not the
/// inference kernels, so it can differ from `denoise` in the last bits.
extension TrainedDenoiser: DifferentiableDenoiser {
    public func denoise(_ x: Tensor, sigma: [Double],
                        pullingBackRowwise cotangents: (Int, Tensor) throws -> [Tensor]) throws -> (denoised: Tensor, pullbacks: [Tensor]) {
        precondition(x.rowShape == sampleShape && sigma.count == x.rows, "denoise: shape \(x.shape) / \(sigma.count) σ's")
        var denoised: [Tensor] = [], pulled: [[Tensor]] = []
        for r in 0..<x.rows {
            let (d, products) = try pullRow(network, x.rows(r..<(r + 1)), sigma: sigma[r]) { try cotangents(r, $0) }
            if r == 0 { pulled = products.map { _ in [] } }
            precondition(products.count == pulled.count, "denoise: each row needs the same number of cotangents")
            denoised.append(d)
            for c in products.indices { pulled[c].append(products[c]) }
        }
        guard !denoised.isEmpty else { return (x, []) }
        return (Tensor.concatenatingRows(denoised), pulled.map(Tensor.concatenatingRows))
    }

    public var dataStandardDeviation: Double? { preconditioning.sigmaData }

    /// `D` and the products for one row, with the network's concrete type opened.
    private func pullRow<Network: DenoiserNetwork>(_ net: Network, _ x: Tensor, sigma: Double,
                                                   cotangents: (Tensor) throws -> [Tensor]) throws -> (Tensor, [Tensor]) {
        let p = preconditioning
        let cIn = p.cIn(sigma), cOut = p.cOut(sigma), cSkip = p.cSkip(sigma)
        let (f, tape) = net.forward(x.scalingRows(by: [cIn]), labels: [Float(p.cNoise(sigma))], weights)
        let d = Tensor.combination([(.all(cSkip), x), (.all(cOut), f)])
        var inputOnly: [Float] = []          // an empty gradient buffer: no parameter gradients
        let products = try cotangents(d).map { v in
            precondition(v.shape == x.shape, "denoise: a cotangent must be shaped like one row \(x.shape)")
            let dInput = net.backward(v.scalingRows(by: [cOut]), tape, weights, &inputOnly)
            return Tensor.combination([(.all(cSkip), v), (.all(cIn), dInput)])
        }
        return (d, products)
    }
}
