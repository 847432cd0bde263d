import Foundation
import ScoreKitCore
import Testing
@testable import ScoreKitModels

/// Whole networks against central differences: every parameter's gradient (a spread-out
/// subset of a few hundred) and the input gradient, on small configurations.
@Suite("Network gradients")
struct NetworkGradientTests {
    let check = GradientCheck()

    static let mlp = NetworkConfig(architecture: "mlp-denoiser", sampleShape: [2], hidden: 8, depth: 3,
                                   embeddingFeatures: 4, embeddingMaxFrequency: 8)
    static let unet = NetworkConfig(architecture: "unet", sampleShape: [1, 4, 4], channels: [4, 6], groups: 2,
                                    embeddingFeatures: 4, embeddingMaxFrequency: 8, embeddingWidth: 6)
    static let mlpClassifier = NetworkConfig(architecture: "mlp-classifier", sampleShape: [2], hidden: 8, depth: 2,
                                             classes: 5, scaleInput: true)
    static let cnnClassifier = NetworkConfig(architecture: "cnn-classifier", sampleShape: [1, 4, 4], hidden: 6,
                                             channels: [3, 4], classes: 5, scaleInput: true)

    @Test(arguments: [mlp, unet]) func denoiser(config: NetworkConfig) throws {
        try checkDenoiser(config.denoiserNetwork(), config: config)
    }

    func checkDenoiser<Network: DenoiserNetwork>(_ net: Network, config: NetworkConfig) {
        // Random weights everywhere (the zero-initialised output layers would hide gradients).
        let w = TestData.normal([net.layout.count], seed: 1, scale: 0.4).scalars
        let x = TestData.normal([3] + config.sampleShape, seed: 2)
        let labels: [Float] = [-0.8, 0.1, 0.7]
        let (y, tape) = net.forward(x, labels: labels, w)
        #expect(y.shape == x.shape)
        let r = TestData.normal(y.shape, seed: 3)
        var g = [Float](repeating: 0, count: w.count)
        let dx = net.backward(r, tape, w, &g)
        let parameterError = check.relativeError(values: w, analytic: g) { v in
            GradientCheck.weightedSum(net(x, labels: labels, v), r)
        }
        let inputError = check.relativeError(values: x.scalars, analytic: dx.scalars) { v in
            GradientCheck.weightedSum(net(Tensor(shape: x.shape, scalars: v), labels: labels, w), r)
        }
        #expect(parameterError < check.tolerance, "parameter gradient error \(parameterError)")
        #expect(inputError < check.tolerance, "input gradient error \(inputError)")
    }

    @Test(arguments: [mlpClassifier, cnnClassifier]) func classifier(config: NetworkConfig) throws {
        try checkClassifier(config.classifierNetwork(), config: config)
    }

    func checkClassifier<Network: ClassifierNetwork>(_ net: Network, config: NetworkConfig) {
        let w = TestData.normal([net.layout.count], seed: 4, scale: 0.5).scalars
        let x = TestData.normal([4] + config.sampleShape, seed: 5, scale: 3)
        let labels = [0, 4, 2, 1]
        let (logits, _, tape) = net.forward(x, w)
        #expect(logits.shape == [4, 5])
        let (_, dLogits) = SoftmaxCrossEntropy.lossAndGradient(logits, labels: labels)
        var g = [Float](repeating: 0, count: w.count)
        net.backward(dLogits, tape, w, &g)
        // ReLU kinks: a smaller step keeps perturbations from crossing them.
        var fine = check
        fine.step = 2e-3
        let error = fine.relativeError(values: w, analytic: g) { v in
            SoftmaxCrossEntropy.lossAndGradient(net.forward(x, v).logits, labels: labels).loss
        }
        #expect(error < check.tolerance, "parameter gradient error \(error)")
    }

    @Test func configErrorsNameTheField() {
        var config = Self.unet
        config.groups = nil
        #expect(throws: NetworkConfigError.missing(architecture: "unet", field: "groups")) { try config.denoiserNetwork() }
        config.architecture = "transformer"
        #expect(throws: NetworkConfigError.unknownArchitecture("transformer", valid: NetworkConfig.denoiserArchitectures)) {
            try config.denoiserNetwork()
        }
    }

    @Test func denoiserChunkingDoesNotChangeResults() throws {
        let net = try Self.mlp.denoiserNetwork()
        let w = TestData.normal([net.layout.count], seed: 6, scale: 0.4).scalars
        let d = TrainedDenoiser(network: net, weights: w, preconditioning: EDMPreconditioning(sigmaData: 1), sigmaRange: 0.002...80)
        let x = TestData.normal([5000, 2], seed: 7)
        let sigma = (0..<5000).map { 0.01 * Double($0 % 97 + 1) }
        let all = try d.denoise(x, sigma: sigma)
        let tail = try d.denoise(x.rows(4500..<5000), sigma: Array(sigma[4500...]))
        #expect(all.rows(4500..<5000) == tail)
    }
}
