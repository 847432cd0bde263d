import Foundation
import ScoreKitCore
import Testing
@testable import ScoreKitModels

/// Every layer's backward pass against central differences, for its input and its parameters.
@Suite("Layer gradients")
struct LayerGradientTests {
    let check = GradientCheck()

    /// Checks the gradients of `forward` (input → output) at `x` with parameters `w`:
    /// `backward(r)` must return dX and fill dW for the loss `Σ r·y`.
    func expectGradients(x: Tensor, w: [Float], outputShape: [Int], seed: UInt64 = 7,
                         forward: (Tensor, [Float]) -> Tensor,
                         backward: (Tensor, inout [Float]) -> Tensor,
                         sourceLocation: SourceLocation = #_sourceLocation) {
        let r = TestData.normal(outputShape, seed: seed)
        var g = [Float](repeating: 0, count: w.count)
        let dx = backward(r, &g)
        #expect(dx.shape == x.shape, sourceLocation: sourceLocation)
        let inputError = check.relativeError(values: x.scalars, analytic: dx.scalars) { v in
            GradientCheck.weightedSum(forward(Tensor(shape: x.shape, scalars: v), w), r)
        }
        #expect(inputError < check.tolerance, "input gradient error \(inputError)", sourceLocation: sourceLocation)
        if !w.isEmpty {
            let parameterError = check.relativeError(values: w, analytic: g) { v in
                GradientCheck.weightedSum(forward(x, v), r)
            }
            #expect(parameterError < check.tolerance, "parameter gradient error \(parameterError)", sourceLocation: sourceLocation)
        }
    }

    /// Random parameters (not the initial ones: GroupNorm's γ = 1, β = 0 would hide errors).
    func randomParameters(_ layout: ParameterLayout, seed: UInt64) -> [Float] {
        TestData.normal([layout.count], seed: seed, scale: 0.5).scalars
    }

    @Test func linear() {
        var layout = ParameterLayout()
        let layer = Linear("fc", inputs: 5, outputs: 4, layout: &layout)
        let x = TestData.normal([3, 5], seed: 1), w = randomParameters(layout, seed: 2)
        expectGradients(x: x, w: w, outputShape: [3, 4], forward: { layer.forward($0, $1) },
                        backward: { layer.backward($0, input: x, w, &$1) })
    }

    @Test func linearOnPixels() {
        var layout = ParameterLayout()
        let layer = Linear("fc", inputs: 3, outputs: 2, layout: &layout)
        let x = TestData.normal([2, 2, 2, 3], seed: 3), w = randomParameters(layout, seed: 4)
        expectGradients(x: x, w: w, outputShape: [2, 2, 2, 2], forward: { layer.forward($0, $1) },
                        backward: { layer.backward($0, input: x, w, &$1) })
    }

    @Test func silu() {
        let x = TestData.normal([4, 6], seed: 5, scale: 2)
        expectGradients(x: x, w: [], outputShape: [4, 6], forward: { x, _ in SiLU.forward(x) },
                        backward: { dy, _ in SiLU.backward(dy, input: x) })
    }

    @Test func relu() {
        let x = TestData.normal([4, 6], seed: 6, scale: 2)
        expectGradients(x: x, w: [], outputShape: [4, 6], forward: { x, _ in ReLU.forward(x) },
                        backward: { dy, _ in ReLU.backward(dy, input: x) })
    }

    @Test func groupNorm() {
        var layout = ParameterLayout()
        let layer = GroupNorm("gn", channels: 6, groups: 3, layout: &layout)
        let x = TestData.normal([2, 3, 3, 6], seed: 8, scale: 1.5), w = randomParameters(layout, seed: 9)
        let (_, cache) = layer.forward(x, w)
        expectGradients(x: x, w: w, outputShape: x.shape, forward: { layer.forward($0, $1).0 },
                        backward: { layer.backward($0, cache, w, &$1) })
    }

    @Test(arguments: [3, 1]) func conv2d(kernel: Int) {
        var layout = ParameterLayout()
        let layer = Conv2d("conv", inChannels: 3, outChannels: 4, kernel: kernel, layout: &layout)
        let x = TestData.normal([2, 4, 4, 3], seed: 10), w = randomParameters(layout, seed: 11)
        let (_, cache) = layer.forward(x, w)
        expectGradients(x: x, w: w, outputShape: [2, 4, 4, 4], forward: { layer.forward($0, $1).0 },
                        backward: { layer.backward($0, cache, w, &$1) })
    }

    @Test func averagePool() {
        let x = TestData.normal([2, 4, 4, 3], seed: 12)
        expectGradients(x: x, w: [], outputShape: [2, 2, 2, 3], forward: { x, _ in FeatureMaps.averagePool(x) },
                        backward: { dy, _ in FeatureMaps.averagePoolBackward(dy) })
    }

    @Test func upsample() {
        let x = TestData.normal([2, 2, 2, 3], seed: 13)
        expectGradients(x: x, w: [], outputShape: [2, 4, 4, 3], forward: { x, _ in FeatureMaps.upsample(x) },
                        backward: { dy, _ in FeatureMaps.upsampleBackward(dy) })
    }

    @Test func concatenationSkip() {
        let a = TestData.normal([2, 2, 2, 3], seed: 14), b = TestData.normal([2, 2, 2, 2], seed: 15)
        // The concatenation as a function of a (b fixed) and of b (a fixed).
        expectGradients(x: a, w: [], outputShape: [2, 2, 2, 5], forward: { a, _ in FeatureMaps.concatenate(a, b) },
                        backward: { dy, _ in FeatureMaps.split(dy, first: 3).0 })
        expectGradients(x: b, w: [], outputShape: [2, 2, 2, 5], forward: { b, _ in FeatureMaps.concatenate(a, b) },
                        backward: { dy, _ in FeatureMaps.split(dy, first: 3).1 })
    }

    @Test func perSampleBias() {
        let x = TestData.normal([2, 2, 2, 3], seed: 16), v = TestData.normal([2, 3], seed: 17)
        expectGradients(x: v, w: [], outputShape: [2, 2, 2, 3], forward: { v, _ in FeatureMaps.addingPerSample(x, v) },
                        backward: { dy, _ in FeatureMaps.sumOverPixels(dy) })
    }

    @Test func fourierEmbedding() {
        let embedding = FourierEmbedding(features: 8, maxFrequency: 8)
        let labels = Tensor(shape: [3], scalars: [-0.7, 0.1, 0.9])
        expectGradients(x: labels, w: [], outputShape: [3, 8],
                        forward: { c, _ in embedding.forward(c.scalars) },
                        backward: { dy, _ in Tensor(shape: [3], scalars: embedding.backward(dy, labels: labels.scalars)) })
    }

    @Test func noiseEmbeddingMLP() {
        var layout = ParameterLayout()
        let mlp = NoiseEmbeddingMLP("emb", features: 6, maxFrequency: 4, width: 5, layout: &layout)
        let labels = Tensor(shape: [3], scalars: [-0.5, 0.2, 0.6]), w = randomParameters(layout, seed: 18)
        let (_, cache) = mlp.forward(labels.scalars, w)
        expectGradients(x: labels, w: w, outputShape: [3, 5], forward: { c, w in mlp.forward(c.scalars, w).0 },
                        backward: { dy, g in Tensor(shape: [3], scalars: mlp.backward(dy, cache, w, &g)) })
    }

    @Test(arguments: [(4, 4), (4, 6)]) func residualBlock(channels: (Int, Int)) {
        var layout = ParameterLayout()
        let block = ResidualBlock("block", inChannels: channels.0, outChannels: channels.1, embeddingWidth: 3,
                                  groups: 2, layout: &layout)
        let x = TestData.normal([2, 4, 4, channels.0], seed: 19), e = TestData.normal([2, 3], seed: 20)
        let w = randomParameters(layout, seed: 21)
        let (_, cache) = block.forward(x, e, w)
        let outputShape = [2, 4, 4, channels.1]
        expectGradients(x: x, w: w, outputShape: outputShape, forward: { block.forward($0, e, $1).0 },
                        backward: { block.backward($0, cache, w, &$1).0 })
        expectGradients(x: e, w: [], outputShape: outputShape, forward: { e, _ in block.forward(x, e, w).0 },
                        backward: { dy, _ in var g = w; return block.backward(dy, cache, w, &g).1 })
    }

    @Test func softmaxCrossEntropy() {
        let logits = TestData.normal([4, 5], seed: 22, scale: 2), labels = [0, 3, 4, 1]
        let (_, gradient) = SoftmaxCrossEntropy.lossAndGradient(logits, labels: labels)
        let error = check.relativeError(values: logits.scalars, analytic: gradient.scalars) { v in
            SoftmaxCrossEntropy.lossAndGradient(Tensor(shape: [4, 5], scalars: v), labels: labels).loss
        }
        #expect(error < check.tolerance)
    }
}
