import ScoreKitCore

/// Vector–Jacobian products of a trained denoiser, by the network's backward pass (the one
/// training uses) through EDM's preconditioning: with `D(x; σ) = c_skip·x + c_out·F(c_in·x, c_noise)`,
///
///     vᵀ·∂D/∂x = c_skip·v + c_in·(∂F/∂x_in)ᵀ(c_out·v)
///
/// One forward pass with its tape per row serves every cotangent; each cotangent costs one
/// backward pass (which also forms the parameter gradients, unused here). Rows go through
/// one at a time because the training passes use BLAS, whose bits depend on the number of rows
/// in a product: alone, a row's products do not depend on its batch-mates (a likelihood is the
/// same whatever `--batch` or `--threads`). `D` comes from the training forward pass, not the
/// inference kernels, so it can differ from `denoise` in the last bits.
extension TrainedDenoiser: DifferentiableDenoiser {
    public func denoise(_ x: Tensor, sigma: [Double], pullingBack cotangents: [Tensor]) throws -> (denoised: Tensor, pullbacks: [Tensor]) {
        precondition(x.rowShape == sampleShape && sigma.count == x.rows, "denoise: shape \(x.shape) / \(sigma.count) σ's")
        precondition(cotangents.allSatisfy { $0.shape == x.shape }, "denoise: cotangents must be shaped like x \(x.shape)")
        var denoised: [Tensor] = [], pulled: [[Tensor]] = cotangents.map { _ in [] }
        for start in 0..<x.rows {
            let rows = start..<(start + 1)
            let (d, products) = pullChunk(network, x.rows(rows), sigma: Array(sigma[rows]), cotangents: cotangents.map { $0.rows(rows) })
            denoised.append(d)
            for c in cotangents.indices { pulled[c].append(products[c]) }
        }
        guard !denoised.isEmpty else { return (x, cotangents) }
        return (Tensor.concatenatingRows(denoised), pulled.map(Tensor.concatenatingRows))
    }

    /// `D` and the products for one chunk, with the network's concrete type opened.
    private func pullChunk<Network: DenoiserNetwork>(_ net: Network, _ x: Tensor, sigma: [Double],
                                                     cotangents: [Tensor]) -> (Tensor, [Tensor]) {
        let p = preconditioning
        let cIn = sigma.map(p.cIn), cOut = sigma.map(p.cOut), cSkip = sigma.map(p.cSkip)
        let (f, tape) = net.forward(x.scalingRows(by: cIn), labels: sigma.map { Float(p.cNoise($0)) }, weights)
        let d = Tensor.combination([(.perRow(cSkip), x), (.perRow(cOut), f)])
        var unused = [Float](repeating: 0, count: weights.count)
        let products = cotangents.map { v in
            let dInput = net.backward(v.scalingRows(by: cOut), tape, weights, &unused)
            return Tensor.combination([(.perRow(cSkip), v), (.perRow(cIn), dInput)])
        }
        return (d, products)
    }
}
