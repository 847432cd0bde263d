import Foundation
import ScoreKitCore
import Testing
@testable import ScoreKitModels

/// A row's output depends only on that row: the same bits alone, in a small batch, or in a
/// batch that spans several chunks of the network's preferred size — for every shipped and
/// fixture network, denoisers and classifiers alike. This is what makes a sample's bits
/// independent of `--batch` and `--threads`.
@Suite("Batch-invariant networks")
struct BatchInvarianceTests {
    /// Every network ScoreKit ships or tests against PyTorch.
    static func models() throws -> [(String, TrainedModel)] {
        let shipped = try ["moons", "digits", "digits-cond"].map { ($0, try BuiltinModels.trainedModel($0)) }
        let fixtures = try ["mlp", "conv", "cond"].map { ("torch-\($0)", try TorchParityTests.load($0).0) }
        return shipped + fixtures
    }

    /// `rows` inputs of `shape`, varied per row (seeded), and a σ per row from 0.002 to 80.
    static func inputs(rows: Int, shape: [Int]) throws -> (Tensor, [Double]) {
        let x = try PhiloxNoise(seed: 11, stream: 0, sampleIndices: Array(0..<rows)).normal(rows: nil, shape: shape)
        let sigma = (0..<rows).map { 0.002 * pow(40_000, Double($0 % 17) / 16) }
        return (x, sigma)
    }

    @Test("denoisers: a row's bits do not depend on its batch")
    func denoisers() throws {
        for (name, model) in try Self.models() {
            guard let d = model.denoiser else { continue }
            let big = 3 * d.network.preferredBatch + 5
            let (x, sigma) = try Self.inputs(rows: big, shape: d.sampleShape)
            let all = try d.denoise(x, sigma: sigma)
            for rows in [[0], [1, 2, 3, 4, 5, 6, 7], Array(big - 9..<big)] {
                let part = try d.denoise(x.gatherRows(rows), sigma: rows.map { sigma[$0] })
                #expect(part == all.gatherRows(rows), "\(name) denoiser, rows \(rows.first!)…\(rows.last!)")
            }
        }
    }

    @Test("classifiers: a row's logits do not depend on its batch")
    func classifiers() throws {
        for (name, model) in try Self.models() {
            for c in [model.noiseLevelEstimator?.classifier, model.labelClassifier].compactMap({ $0 }) {
                let big = 2 * c.network.preferredBatch + 3
                let (x, _) = try Self.inputs(rows: big, shape: c.sampleShape)
                let all = c.logits(x)
                for rows in [[0], Array(1..<8), Array(big - 5..<big)] {
                    #expect(c.logits(x.gatherRows(rows)) == all.gatherRows(rows), "\(name) classifier")
                }
            }
        }
    }

    @Test("the inference pass agrees with the training forward pass")
    func inferenceMatchesForward() throws {
        for (name, model) in try Self.models() {
            if let d = model.denoiser {
                let (x, sigma) = try Self.inputs(rows: 40, shape: d.sampleShape)
                let p = d.preconditioning
                let f = d.network(x.scalingRows(by: sigma.map(p.cIn)), labels: sigma.map { Float(p.cNoise($0)) }, d.weights)
                let expected = Tensor.combination([(.perRow(sigma.map(p.cSkip)), x), (.perRow(sigma.map(p.cOut)), f)])
                #expect(TorchParityTests.maxError(try d.denoise(x, sigma: sigma), expected) < 1e-5, "\(name)")
            }
            if let c = model.noiseLevelEstimator?.classifier {
                let (x, _) = try Self.inputs(rows: 40, shape: c.sampleShape)
                #expect(TorchParityTests.maxError(c.logits(x), c.evaluate(x).logits) < 1e-4, "\(name) classifier")
            }
        }
    }

    @Test("a workspace stops growing after the first pass")
    func workspaceSteadyState() throws {
        let workspace = Workspace()
        for _ in 0..<3 {
            workspace.reset()
            _ = workspace.floats(100_000)
            _ = workspace.floats(70_000)
        }
        let settled = workspace.capacity
        workspace.reset()
        _ = workspace.floats(100_000)
        _ = workspace.floats(70_000)
        #expect(settled >= 170_000 && workspace.capacity == settled)
    }
}
