import Foundation
import ScoreKitCore
import Testing
@testable import ScoreKitModels

/// `vᵀ·∂D/∂x` of every kind of model against central differences of `Σ v·D(x; σ)`: the exact
/// mixtures (isotropic with one and two variances, per-dimension stds), the shipped MLP and
/// U-Net checkpoints, and small networks with random weights inside EDM's preconditioning
/// (σ_data ≠ 1, so c_in, c_skip and c_out all matter).
@Suite("Vector–Jacobian products")
struct VectorJacobianTests {
    let check = GradientCheck()

    /// The relative error of the pullback of a random cotangent at `x`, one σ per row.
    func pullbackError(_ model: any DifferentiableDenoiser, _ x: Tensor, sigma: [Double], seed: UInt64 = 7) throws -> Double {
        let v = TestData.normal(x.shape, seed: seed)
        let product = try model.vjp(x, sigma: sigma, v)
        #expect(product.shape == x.shape)
        return check.relativeError(values: x.scalars, analytic: product.scalars) { values in
            GradientCheck.weightedSum(try! model.denoise(Tensor(shape: x.shape, scalars: values), sigma: sigma), v)
        }
    }

    static let twoVariances = try! GaussianMixture(weights: [1, 2, 1], means: [[0, 0, 1], [2, -1, 0], [-2, 1, 1]],
                                                   stds: [[1, 1, 1], [0.5, 0.5, 0.5], [1, 1, 1]])

    @Test func mixtures() throws {
        let cases: [(String, GaussianMixture, Float)] = [
            ("gmm2d", BuiltinModels.gmm2d, 4), ("ring8", BuiltinModels.ring8, 4),
            ("gmm64", BuiltinModels.gmm64, 5), ("two variances", Self.twoVariances, 1.5),
        ]
        for (name, mixture, scale) in cases {
            let x = TestData.normal([4] + mixture.sampleShape, seed: 3, scale: scale)
            // σ's where the responsibilities are mixed (the Jacobian's rank-one terms matter) and small.
            let error = try pullbackError(mixture, x, sigma: [0.3, 1, 3, 8])
            #expect(error < check.tolerance, "\(name): VJP error \(error)")
        }
    }

    @Test func mixtureDenoisedMatchesDenoise() throws {
        let mixture = BuiltinModels.gmm64
        let x = TestData.normal([3, 64], seed: 4, scale: 5), sigma = [0.5, 2, 20]
        let (d, products) = try mixture.denoise(x, sigma: sigma, pullingBack: [])
        #expect(products.isEmpty)
        let reference = try mixture.denoise(x, sigma: sigma)
        #expect(zip(d.scalars, reference.scalars).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) })
    }

    @Test func severalCotangentsAtOnceEqualOneByOne() throws {
        let mixture = BuiltinModels.gmm2d
        let x = TestData.normal([5, 2], seed: 5, scale: 3), sigma = [0.5, 1, 2, 4, 8]
        let vs = [TestData.normal([5, 2], seed: 6), TestData.normal([5, 2], seed: 7)]
        let together = try mixture.denoise(x, sigma: sigma, pullingBack: vs).pullbacks
        for (v, product) in zip(vs, together) { #expect(try mixture.vjp(x, sigma: sigma, v) == product) }
    }

    @Test(arguments: ["moons", "digits"]) func shippedNetworks(name: String) throws {
        let denoiser = try #require(try BuiltinModels.trainedModel(name).denoiser)
        let x = TestData.normal([3] + denoiser.sampleShape, seed: 8)
        let sigma = [0.05, 0.5, 5.0]
        let error = try pullbackError(denoiser, x, sigma: sigma)
        #expect(error < check.tolerance, "\(name): VJP error \(error)")
        // The training forward pass gives the inference pass's D.
        let (d, _) = try denoiser.denoise(x, sigma: sigma, pullingBack: [])
        let reference = try denoiser.denoise(x, sigma: sigma)
        #expect(zip(d.scalars, reference.scalars).allSatisfy { abs($0 - $1) <= 1e-4 * max(1, abs($1)) })
    }

    /// A row's D and pullback have the same bits alone and in a batch of 37 (so a likelihood
    /// does not depend on `--batch` or `--threads`).
    @Test(arguments: ["moons", "digits"]) func shippedNetworksPullBackEachRowAsIfAlone(name: String) throws {
        let denoiser = try #require(try BuiltinModels.trainedModel(name).denoiser)
        let x = TestData.normal([37] + denoiser.sampleShape, seed: 9)
        let sigma = (0..<37).map { 0.01 * pow(8000, Double($0) / 36) }
        let v = TestData.normal(x.shape, seed: 10)
        let (d, pulled) = try denoiser.denoise(x, sigma: sigma, pullingBack: [v])
        for r in [0, 5, 36] {
            let (dAlone, pulledAlone) = try denoiser.denoise(x.rows(r..<(r + 1)), sigma: [sigma[r]], pullingBack: [v.rows(r..<(r + 1))])
            #expect(dAlone.scalars == Array(d.row(r)) && pulledAlone[0].scalars == Array(pulled[0].row(r)), "\(name): row \(r)")
        }
    }

    static let mlp = NetworkConfig(architecture: "mlp-denoiser", sampleShape: [2], hidden: 8, depth: 3,
                                   embeddingFeatures: 4, embeddingMaxFrequency: 8)
    static let unet = NetworkConfig(architecture: "unet", sampleShape: [1, 4, 4], channels: [4, 6], groups: 2,
                                    embeddingFeatures: 4, embeddingMaxFrequency: 8, embeddingWidth: 6)

    @Test(arguments: [mlp, unet]) func randomNetworksInsidePreconditioning(config: NetworkConfig) throws {
        let network = try config.denoiserNetwork()
        // Random weights everywhere (the zero-initialised output layers would hide F's Jacobian).
        let weights = TestData.normal([network.layout.count], seed: 9, scale: 0.4).scalars
        let denoiser = TrainedDenoiser(network: network, weights: weights, preconditioning: EDMPreconditioning(sigmaData: 0.6),
                                       sigmaRange: 0.002...80)
        let x = TestData.normal([3] + config.sampleShape, seed: 10)
        let error = try pullbackError(denoiser, x, sigma: [0.2, 0.6, 2])
        #expect(error < check.tolerance, "\(config.architecture): VJP error \(error)")
    }
}
