import Foundation
import ScoreKitCore
import Testing
@testable import ScoreKitModels

/// The class-conditional U-Net (`label_classes`) and the noise-aware label classifier: label
/// table gradients and input gradients against central differences, the fused inference pass
/// against the training pass, batch invariance with mixed labels, ∅ as the unconditional
/// estimate, and labels out of range.
@Suite("Conditional networks")
struct ConditionalNetworkTests {
    let check = GradientCheck()

    static let unet: NetworkConfig = {
        var config = NetworkGradientTests.unet
        config.labelClasses = 3
        return config
    }()

    /// A conditional denoiser with random weights everywhere (the table included).
    static func denoiser(sampleShape: [Int] = [1, 4, 4]) throws -> TrainedDenoiser {
        var config = unet
        config.sampleShape = sampleShape
        let net = try config.denoiserNetwork()
        let w = TestData.normal([net.layout.count], seed: 21, scale: 0.4).scalars
        return TrainedDenoiser(network: net, weights: w, preconditioning: EDMPreconditioning(sigmaData: 0.8), sigmaRange: 0.002...80)
    }

    @Test func labelTableGradientMatchesFiniteDifferences() throws {
        let net = try Self.unet.denoiserNetwork() as! UNetNetwork
        let w = TestData.normal([net.layout.count], seed: 1, scale: 0.4).scalars
        let x = TestData.normal([4, 1, 4, 4], seed: 2)
        let labels: [Float] = [-0.8, 0.1, 0.7, 0.2], classes: [Int?] = [2, nil, 0, 2]
        let (y, tape) = net.forward(x, labels: labels, classes: classes, w)
        let r = TestData.normal(y.shape, seed: 3)
        var g = [Float](repeating: 0, count: w.count)
        let dx = net.backward(r, tape, w, &g)
        let table = net.labelEmbed!.weight
        #expect(table.shape == [4, 6])
        // Every entry of the table (row 1 is unused: its gradient must be exactly zero).
        var full = check
        full.maxCoordinates = table.count
        let tableError = full.relativeError(values: Array(w[table.range]), analytic: Array(g[table.range])) { v in
            var perturbed = w
            perturbed.replaceSubrange(table.range, with: v)
            return GradientCheck.weightedSum(net.forward(x, labels: labels, classes: classes, perturbed).0, r)
        }
        #expect(tableError < check.tolerance, "label table gradient error \(tableError)")
        #expect(g[(table.offset + 6)..<(table.offset + 12)].allSatisfy { $0 == 0 })
        let parameterError = check.relativeError(values: w, analytic: g) { v in
            GradientCheck.weightedSum(net.forward(x, labels: labels, classes: classes, v).0, r)
        }
        let inputError = check.relativeError(values: x.scalars, analytic: dx.scalars) { v in
            GradientCheck.weightedSum(net.forward(Tensor(shape: x.shape, scalars: v), labels: labels, classes: classes, w).0, r)
        }
        #expect(parameterError < check.tolerance, "parameter gradient error \(parameterError)")
        #expect(inputError < check.tolerance, "input gradient error \(inputError)")
    }

    @Test func inferencePassMatchesTrainingPassForEveryLabel() throws {
        let d = try Self.denoiser()
        let x = TestData.normal([8, 1, 4, 4], seed: 4)
        let sigma = (0..<8).map { 0.01 * pow(2000, Double($0) / 7) }
        let classes: [Int?] = [0, 1, 2, nil, 2, nil, 1, 0]
        let p = d.preconditioning
        let f = d.network.forward(x.scalingRows(by: sigma.map(p.cIn)), labels: sigma.map { Float(p.cNoise($0)) },
                                  classes: classes, d.weights).0
        let expected = Tensor.combination([(.perRow(sigma.map(p.cSkip)), x), (.perRow(sigma.map(p.cOut)), f)])
        #expect(TorchParityTests.maxError(try d.denoise(x, sigma: sigma, classes: classes), expected) < 1e-5)
    }

    @Test func rowsWithMixedLabelsAreBatchInvariant() throws {
        let d = try Self.denoiser(sampleShape: [1, 8, 8])
        let big = 2 * d.network.preferredBatch + 7
        let (x, sigma) = try BatchInvarianceTests.inputs(rows: big, shape: d.sampleShape)
        let classes: [Int?] = (0..<big).map { $0 % 4 == 3 ? nil : $0 % 3 }
        let all = try d.denoise(x, sigma: sigma, classes: classes)
        for rows in [[0], Array(1..<8), Array(big - 9..<big)] {
            let part = try d.denoise(x.gatherRows(rows), sigma: rows.map { sigma[$0] }, classes: rows.map { classes[$0] })
            #expect(part == all.gatherRows(rows), "rows \(rows.first!)…\(rows.last!)")
        }
    }

    @Test func emptyLabelIsTheUnconditionalEstimateAndLabelsMatter() throws {
        let d = try Self.denoiser()
        let conditional = try #require(TrainedConditionalDenoiser(d))
        #expect(conditional.labelCount == 3)
        let x = TestData.normal([3, 1, 4, 4], seed: 5)
        let sigma = [0.5, 0.5, 0.5]
        let unconditional = try conditional.denoise(x, sigma: sigma)
        #expect(try conditional.denoise(x, sigma: sigma, labels: [nil, nil, nil]) == unconditional)
        #expect(try d.denoise(x, sigma: sigma) == unconditional)
        for label in 0..<3 {
            #expect(try conditional.denoise(x, sigma: sigma, labels: [label, label, label]) != unconditional)
        }
        #expect(throws: ConditioningError.labelOutOfRange(3, labelCount: 3)) {
            try conditional.denoise(x, sigma: sigma, labels: [0, 3, nil])
        }
        #expect(throws: ConditioningError.labelOutOfRange(-1, labelCount: 3)) {
            try conditional.denoise(x, sigma: sigma, labels: [-1, 0, nil])
        }
    }

    @Test func unconditionalNetworksAreNotConditionalDenoisers() throws {
        let net = try NetworkGradientTests.unet.denoiserNetwork()
        #expect(net.labelClasses == nil)
        #expect(!net.layout.shapes.contains { $0.name.hasPrefix("label_embed") })
        let d = TrainedDenoiser(network: net, weights: net.layout.initialValues(seed: 1),
                                preconditioning: EDMPreconditioning(sigmaData: 1), sigmaRange: 0.002...80)
        #expect(TrainedConditionalDenoiser(d) == nil)
    }

    /// A noise-aware classifier with random weights.
    static func noisyClassifier() throws -> TrainedNoisyClassifier {
        let net = try NetworkGradientTests.cnnClassifier.classifierNetwork() as! CNNClassifierNetwork
        let w = TestData.normal([net.layout.count], seed: 6, scale: 0.5).scalars
        return TrainedNoisyClassifier(network: net, weights: w, sigmaRange: 0.002...80)
    }

    @Test func noisyClassifierGradientMatchesFiniteDifferences() throws {
        let c = try Self.noisyClassifier()
        let x = TestData.normal([3, 1, 4, 4], seed: 7, scale: 2)
        let labels = [4, 0, 2], sigma = [0.1, 1, 10]
        let (values, gradient) = try c.logProbability(of: labels, at: x, sigma: sigma)
        let logP = c.logProbabilities(x)
        for r in 0..<3 { #expect(abs(values[r] - Double(logP.scalars[r * 5 + labels[r]])) < 1e-5) }
        var fine = check
        fine.step = 2e-3     // ReLU kinks
        let error = fine.relativeError(values: x.scalars, analytic: gradient.scalars) { v in
            try! c.logProbability(of: labels, at: Tensor(shape: x.shape, scalars: v), sigma: sigma).values.reduce(0, +)
        }
        #expect(error < check.tolerance, "input gradient error \(error)")
        #expect(throws: ConditioningError.labelOutOfRange(5, labelCount: 5)) {
            try c.logProbability(of: [5, 0, 0], at: x, sigma: sigma)
        }
    }

    @Test func inputScalingBackwardMatchesFiniteDifferences() {
        let x = TestData.normal([2, 6], seed: 8, scale: 3)
        let r = TestData.normal([2, 6], seed: 9), rLog = [Float(0.7), -1.3]
        func loss(_ v: [Float]) -> Double {
            let (scaled, logs) = InputScaling.apply(Tensor(shape: [2, 6], scalars: v))
            return GradientCheck.weightedSum(scaled, r) + Double(logs[0] * rLog[0] + logs[1] * rLog[1])
        }
        let analytic = InputScaling.backward(r, dLogScale: rLog, input: x)
        let error = check.relativeError(values: x.scalars, analytic: analytic.scalars, loss: loss)
        #expect(error < check.tolerance, "input scaling gradient error \(error)")
    }
}

extension TrainedNoisyClassifier {
    /// `log p(class | x)` for every class, `[N, classes]` (the training forward pass).
    func logProbabilities(_ x: Tensor) -> Tensor { SoftmaxCrossEntropy.logSoftmax(network.forward(x, weights).logits) }
}
