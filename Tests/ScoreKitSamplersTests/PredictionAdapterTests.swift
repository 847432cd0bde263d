import Foundation
import Testing
import ScoreKit

/// A "network" that returns the exact prediction of a mixture in the given parametrisation and
/// input coordinates, conditioned on a value it must invert back to σ.
struct OracleNetwork: NoiseConditionedNetwork {
    let mixture: GaussianMixture
    let prediction: PredictionDenoiser<OracleNetwork>.Prediction
    let inputSpace: PredictionDenoiser<OracleNetwork>.InputSpace
    let sigmaOf: @Sendable (Double) -> Double
    var sampleShape: [Int] { mixture.sampleShape }

    func predict(_ input: Tensor, conditioning: [Double]) throws -> Tensor {
        let sigma = conditioning.map(sigmaOf)
        let alpha = sigma.map(NoiseConversion.vpScale(sigma:))
        let x = inputSpace == .variancePreserving ? input.scalingRows(by: alpha.map { 1 / $0 }) : input
        let d = try mixture.denoise(x, sigma: sigma)
        let eps = NoiseConversion.epsilon(x: x, denoised: d, sigma: sigma)
        switch prediction {
        case .x0: return d
        case .epsilon: return eps
        case .score:
            let ve = NoiseConversion.score(x: x, denoised: d, sigma: sigma)
            return inputSpace == .variancePreserving ? ve.scalingRows(by: alpha.map { 1 / $0 }) : ve
        case .v:   // v = α·ε − s·x0 with s = σ·α
            return Tensor.combination([(.perRow(alpha), eps), (.perRow(zip(sigma, alpha).map { -$0 * $1 }), d)])
        }
    }
}

@Suite("Prediction adapters")
struct PredictionAdapterTests {
    static let table = DiscreteVPSchedule().sigmas
    static let conditionings: [(String, NoiseConditioning, @Sendable (Double) -> Double)] = [
        ("sigma", .sigma, { $0 }),
        ("edm", .edmLogSigma, { exp(4 * $0) }),
        ("vp-time", .continuousTime(VariancePreservingProcess()), { VariancePreservingProcess().sigma(at: $0) }),
        ("ve-time", .continuousVETime(VarianceExplodingProcess(sigmaMin: 0.01, sigmaMax: 100)),
         { VarianceExplodingProcess(sigmaMin: 0.01, sigmaMax: 100).sigma(at: $0) }),
        ("timestep", .discreteTimestep(sigmas: table), { t in
            let lo = Int(t.rounded(.down)), hi = min(lo + 1, table.count - 1), f = t - Double(lo)
            return exp((1 - f) * log(table[lo]) + f * log(table[hi]))
        }),
    ]

    @Test("every prediction type and input space recovers the exact denoiser",
          arguments: PredictionDenoiser<OracleNetwork>.Prediction.allCases, PredictionDenoiser<OracleNetwork>.InputSpace.allCases)
    func recovers(_ prediction: PredictionDenoiser<OracleNetwork>.Prediction,
                  _ space: PredictionDenoiser<OracleNetwork>.InputSpace) throws {
        let mixture = BuiltinModels.ring8
        let x = Tensor(rows: [[4, 1], [-3, 3], [0.5, -6], [10, 10]])
        let sigma = [0.05, 0.8, 3.0, 30.0]
        let exact = try mixture.denoise(x, sigma: sigma)
        for (name, conditioning, inverse) in Self.conditionings {
            let network = OracleNetwork(mixture: mixture, prediction: prediction, inputSpace: space, sigmaOf: inverse)
            let adapter = PredictionDenoiser(network, prediction: prediction, inputSpace: space,
                                             conditioning: conditioning, sigmaRange: 0.002...80)
            let d = try adapter.denoise(x, sigma: sigma)
            #expect(TestKit.relativeError(d, exact) < 1e-4, "\(prediction), \(space), conditioned on \(name)")
        }
    }
}
