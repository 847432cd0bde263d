import Foundation
import ScoreKitCore

/// DPM-Solver++(2M): the second-order multistep exponential integrator of the
/// probability-flow ODE in data prediction (Lu, Zhou, Bao, Chen, Li & Zhu, "DPM-Solver++: Fast
/// Solver for Guided Sampling of Diffusion Probabilistic Models", 2022, Algorithm 2;
/// k-diffusion's `sample_dpmpp_2m`).
///
/// From `x = σ_0·z`, along σ_0 > … > σ_{N−1} > σ_N = 0, with `λ = −log σ`, `D_i = D(x_i; σ_i)`:
///
///     h = λ_{i+1} − λ_i,   r = h_{i−1}/h
///     D' = (1 + 1/(2r))·D_i − (1/(2r))·D_{i−1}
///     x_{i+1} = (σ_{i+1}/σ_i)·x_i + (1 − e^{−h})·D'
///
/// (VE form). The first step and the last, to σ = 0 (`x ← D_{N−1}`), use `D' = D_i`. NFE = steps.
public struct DPMSolverPlusPlus: Integrator {
    public static let descriptor = SamplerDescriptor(
        name: "dpm-solver++",
        summary: "DPM-Solver++(2M): second-order multistep exponential integrator of the probability-flow ODE",
        reference: "Lu, Zhou, Bao, Chen, Li & Zhu, DPM-Solver++: Fast Solver for Guided Sampling of Diffusion Probabilistic Models, 2022",
        keys: [SamplerKey("steps", .integer(1...100_000), default: "20", help: "σ levels before the final step to σ = 0")]
            + ScheduleKeys.all,
        nfeRule: "NFE = steps; --nfe N sets steps = N")

    public let options: SamplerOptions
    let levels: NoiseLevels

    public init(options: SamplerOptions) throws {
        self.options = options
        levels = try NoiseLevels(options, steps: options.int("steps"), sampler: Self.descriptor.name)
    }

    /// The σ's `sample` visits before its final step to 0.
    public var sigmas: [Double] { levels.sampleSigmas }
    public var plannedNFE: Int? { sigmas.count }
    public var plannedIntegrationNFE: Int? { max(sigmas.count - 1, 1) }

    public func fitted(toNFE nfe: Int) throws -> DPMSolverPlusPlus {
        try fittedSteps(toNFE: nfe) { $0 }
    }

    public func sample(_ model: any Denoiser, from z: Tensor, noise: any NoiseSource,
                       context: SamplingContext) throws -> Tensor {
        let x = try run(model, sigmas[0] * z, along: .shared(sigmas, rows: z.rows), context: context,
                        totalSteps: sigmas.count)
        let sigma = sigmas[sigmas.count - 1]
        try context.beginStep(sigmas.count - 1, of: sigmas.count, sigma: sigma)
        let denoised = try context.denoise(model, x, sigma: sigma)       // the step to σ = 0
        try context.endStep(denoised, sigma: 0)
        return denoised
    }

    public func integrate(_ model: any Denoiser, from x: Tensor, sigma: [Double], to sigmaEnd: Double,
                          noise: any NoiseSource, context: SamplingContext) throws -> Tensor {
        let points = max(sigmas.count, 2)
        return try integrateRows(x, from: sigma, to: sigmaEnd, schedule: { levels.sigmas(count: points, from: $0, to: $1) }) {
            try run(model, $0, along: $1, context: context, totalSteps: points - 1)
        }
    }

    /// The steps between consecutive points of each row's schedule.
    private func run(_ model: any Denoiser, _ start: Tensor, along schedules: RowSchedules,
                     context: SamplingContext, totalSteps: Int) throws -> Tensor {
        var x = start
        var previous: (denoised: Tensor, h: [Double])?
        for i in 0..<(schedules.points - 1) {
            let sigma = schedules.column(i), sigmaNext = schedules.column(i + 1)
            try context.beginStep(i, of: totalSteps, sigma: sigma[0])
            let denoised = try context.denoise(model, x, sigma: sigma, rows: schedules.rows)
            let h = zip(sigma, sigmaNext).map { log($0 / $1) }
            var d = denoised
            if let previous {
                let c = zip(h, previous.h).map { h, hPrevious in h / (2 * hPrevious) }      // 1/(2r)
                d = Tensor.combination([(.perRow(c.map { 1 + $0 }), denoised), (.perRow(c.map { -$0 }), previous.denoised)])
            }
            x = Tensor.combination([(.perRow(zip(sigmaNext, sigma).map { $0 / $1 }), x), (.perRow(h.map { -expm1(-$0) }), d)])
            previous = (denoised, h)
            try context.endStep(x, sigma: sigmaNext)
        }
        return x
    }
}
