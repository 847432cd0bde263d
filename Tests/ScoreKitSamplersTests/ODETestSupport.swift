import Foundation
import ScoreKit

/// Shared by the ODE sampler tests: running a sampler, exact answers for a single Gaussian.
enum ODE {
    /// The sampler a spec names.
    static func sampler(_ spec: String) throws -> any Sampler {
        try SamplerCatalog.standard.sampler(spec)
    }

    /// The sampler a spec names, as an integrator.
    static func integrator(_ spec: String) throws -> any Integrator {
        guard let integrator = try sampler(spec) as? any Integrator else {
            throw SamplingError.invalidInput("\(spec) is not an Integrator")
        }
        return integrator
    }

    /// `sampler.sample` on rows `first…` of a run with `seed`; returns the samples and the context.
    static func run(_ sampler: any Sampler, _ model: any Denoiser, z: Tensor, budget: Int? = nil,
                    noise: (any NoiseSource)? = nil, seed: UInt64 = 0, firstIndex: Int = 0) throws -> (Tensor, SamplingContext) {
        let indices = Array(firstIndex..<(firstIndex + z.rows))
        let context = SamplingContext(samplerName: sampler.name, sampleIndices: indices, budget: budget)
        let source = noise ?? PhiloxNoise(seed: seed, sampleIndices: indices)
        return (try sampler.sample(model, from: z, noise: source, context: context), context)
    }

    /// `integrator.integrate` with sample indices `first…`.
    static func integrate(_ integrator: any Integrator, _ model: any Denoiser, x: Tensor, sigma: [Double],
                          to sigmaEnd: Double, budget: Int? = nil, seed: UInt64 = 0,
                          firstIndex: Int = 0) throws -> (Tensor, SamplingContext) {
        let indices = Array(firstIndex..<(firstIndex + x.rows))
        let context = SamplingContext(samplerName: integrator.name, sampleIndices: indices, budget: budget)
        let noise = PhiloxNoise(seed: seed, sampleIndices: indices)
        return (try integrator.integrate(model, from: x, sigma: sigma, to: sigmaEnd, noise: noise, context: context), context)
    }

    /// Standard-normal rows from the initial-noise stream.
    static func normals(rows: Int, dimension: Int, seed: UInt64 = 1) throws -> Tensor {
        try PhiloxNoise(seed: seed, stream: RandomStreamID.initialNoise, sampleIndices: Array(0..<rows))
            .normal(rows: nil, shape: [dimension])
    }

    /// ‖a − b‖_∞.
    static func maxError(_ a: Tensor, _ b: Tensor) -> Double {
        maxAbs(zip(a.scalars, b.scalars).map { Double($0) - Double($1) })
    }

    static func maxAbs(_ v: [Double]) -> Double { v.map(abs).max() ?? 0 }
}

/// N(μ, diag(s²)): its probability-flow ODE has a closed-form solution,
/// `x(σ) = μ + (x(σ_a) − μ)·√((s² + σ²)/(s² + σ_a²))` per dimension.
struct SingleGaussian {
    let mean: [Double], std: [Double]

    static let standard = SingleGaussian(mean: [1.5, -2, 0.5, 3], std: [1, 0.5, 2, 0.8])

    var model: GaussianMixture { try! GaussianMixture(weights: [1], means: [mean], stds: [std]) }

    /// The ODE solution at σ of each row, from the row at its own `sigmaStart`.
    func flow(_ x: Tensor, from sigmaStart: [Double], to sigma: Double) -> Tensor {
        let d = mean.count
        var out = x
        for r in 0..<x.rows {
            for j in 0..<d {
                let v0 = std[j] * std[j]
                let factor = ((v0 + sigma * sigma) / (v0 + sigmaStart[r] * sigmaStart[r])).squareRoot()
                out.scalars[r * d + j] = Float(mean[j] + (Double(x.scalars[r * d + j]) - mean[j]) * factor)
            }
        }
        return out
    }
}

extension ODE {
    /// The σ's a σ-stepping sampler visits before its final step, for a model without a σ
    /// range of its own (so the schedule's defaults apply); nil for other samplers.
    static func sigmas(of sampler: any Sampler) -> [Double]? {
        let model = SingleGaussian.standard.model
        return (sampler as? EDMSampler)?.sigmas(for: model) ?? (sampler as? DPMSolverPlusPlus)?.sigmas(for: model)
    }
}

extension Sampler {
    /// The value `key` has in this sampler's spec, if the spec shows it.
    func specValue(_ key: String) -> String? {
        (try? SamplerSpec(parsing: spec))?.pairs.first { $0.key == key }?.value
    }
}
