import ScoreKitCore

/// DDIM from a per-row starting σ (for Denoising MCMC).
///
/// Row r starts at the fractional timestep `t_r` of its σ_r on DDIM's own table (log σ
/// interpolated linearly between timesteps, extended past the ends), and DDIM's spacing
/// pattern of `steps` timesteps is stretched over `[t(σ_end), t_r]`; a timestep's ᾱ is
/// `1/(1 + σ(t)²)`. Each step is DDIM's update between consecutive levels, written in VE
/// coordinates (`x_VE = x_VP/√ᾱ`): with `ε̂ = (x − D)/σ_t` and c1, c2 as in `DDIM`,
///
///     x_n = D + (c2/√a_n)·ε̂ + (c1/√a_n)·z
///
/// — for η = 0 that is `D + (σ_n/σ_t)(x − D)`, the Euler step. The result is the VE state at
/// σ_end; `steps − 1` steps (at least one), so NFE = steps − 1 per row that starts above σ_end.
/// Laid over `[σ(t_last), σ(t_first)]` it visits exactly `sample`'s timesteps.
extension DDIM: Integrator {
    public var plannedIntegrationNFE: Int? { max(timesteps.count - 1, 1) }

    public func integrate(_ model: any Denoiser, from x: Tensor, sigma: [Double], to sigmaEnd: Double,
                          noise: any NoiseSource, context: SamplingContext) throws -> Tensor {
        let levels = NoiseLevels(rule: DiscreteRule(table: DiscreteSigmaTable(schedule), timesteps: timesteps))
        let points = max(timesteps.count, 2)
        return try integrateRows(x, from: sigma, to: sigmaEnd, schedule: { levels.sigmas(count: points, from: $0, to: $1) }) {
            start, schedules in
            var x = start
            for i in 0..<(points - 1) {
                let sigma = schedules.column(i), sigmaNext = schedules.column(i + 1)
                try context.beginStep(i, of: points - 1, sigma: sigma[0])
                let denoised = try context.denoise(model, x, sigma: sigma, rows: schedules.rows)
                let c = zip(sigma, sigmaNext).map(coefficients)
                var terms: [(RowCoefficients, Tensor)] = [(.perRow(c.map(\.x)), x), (.perRow(c.map { 1 - $0.x }), denoised)]
                if eta > 0 { terms.append((.perRow(c.map(\.noise)), try noise.normal(rows: schedules.rows, shape: x.rowShape))) }
                x = Tensor.combination(terms)
                try context.endStep(x, sigma: sigmaNext)
            }
            return x
        }
    }

    /// For a step from σ to σ_n in VE coordinates: the noise scale `c1/√a_n` and the weight of x,
    /// `c2/(√a_n·σ)` (D gets one minus it).
    private func coefficients(_ sigma: Double, _ sigmaNext: Double) -> (noise: Double, x: Double) {
        let alphaBar = NoiseConversion.alphaBar(sigma: sigma), alphaBarNext = NoiseConversion.alphaBar(sigma: sigmaNext)
        let c1 = eta * ((1 - alphaBar / alphaBarNext) * (1 - alphaBarNext) / (1 - alphaBar)).squareRoot()
        let c2 = max(1 - alphaBarNext - c1 * c1, 0).squareRoot()
        let root = alphaBarNext.squareRoot()
        return (c1 / root, c2 / (root * sigma))
    }
}
