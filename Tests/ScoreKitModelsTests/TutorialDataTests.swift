import Foundation
import ScoreKitCore
import Testing
@testable import ScoreKitModels

/// The tutorial 2-D sets ship as scikit-learn's draws (`scripts/extract_toy2d.py`): 10,000
/// training and 10,000 held-out points each, in the tutorials' own (unstandardised)
/// coordinates; `scorekit train --data scurve|circles` trains on them with the 2-D recipe.
@Suite("Tutorial 2-D data")
struct TutorialDataTests {
    @Test("the shipped tables hold 10,000 training and 10,000 held-out points", arguments: Tutorial2D.allCases)
    func shippedTables(kind: Tutorial2D) throws {
        let data = try kind.load()
        #expect(data.training.shape == [10_000, 2])
        #expect(data.heldOut.shape == [10_000, 2])
        #expect(data.training.scalars.allSatisfy(\.isFinite) && data.heldOut.scalars.allSatisfy(\.isFinite))
    }

    /// The S of `make_s_curve` seen side on and divided by 10: x = sin(t)/10, y = sign(t)(cos t − 1)/10
    /// plus noise 0.01, so it fills [−0.1, 0.1]×[−0.2, 0.2] up to the noise; the rings of
    /// `make_circles` have radii 1 and 0.5 in equal shares.
    @Test("scurve keeps the tutorials' scale; circles has its two radii")
    func shapes() throws {
        let s: [Double] = try Tutorial2D.scurve.load().training.scalars.map(Double.init)
        let xs: [Double] = stride(from: 0, to: s.count, by: 2).map { s[$0] }
        let ys: [Double] = stride(from: 1, to: s.count, by: 2).map { s[$0] }
        let (xMin, xMax, yMin, yMax) = (xs.min()!, xs.max()!, ys.min()!, ys.max()!)
        #expect(xMax < 0.15 && xMin > -0.15 && yMax < 0.25 && yMin > -0.25)
        #expect(xMax > 0.09 && yMax > 0.18 && yMin < -0.18)

        let c: [Double] = try Tutorial2D.circles.load().training.scalars.map(Double.init)
        var radii: [Double] = []
        for i in stride(from: 0, to: c.count, by: 2) { radii.append(hypot(c[i], c[i + 1])) }
        let outer: [Double] = radii.filter { $0 > 0.75 }
        let inner: [Double] = radii.filter { $0 <= 0.75 }
        let outerShare = Double(outer.count) / Double(radii.count)
        let outerMean = outer.reduce(0, +) / Double(outer.count)
        let innerMean = inner.reduce(0, +) / Double(inner.count)
        #expect(abs(outerShare - 0.5) < 0.03)
        #expect(abs(outerMean - 1) < 0.03)
        #expect(abs(innerMean - 0.5) < 0.03)
    }

    @Test("σ_data is the training points' root mean square: 0.11 and 0.57")
    func sigmaData() throws {
        #expect(try TrainingData.named("scurve").sigmaData == 0.11)
        #expect(try TrainingData.named("circles").sigmaData == 0.57)
    }

    /// The 2-D recipe's training σ's are log-normal about σ_data·e^{−1.2}: unchanged (−1.2) for
    /// the standardised sets, shifted by ln σ_data for the tutorial ones.
    @Test("the 2-D recipe places its training σ's relative to σ_data")
    func recipeScale() throws {
        #expect(try TrainingRecipe.named("moons").settings.pMean == -1.2)
        let scurve = try TrainingRecipe.named("scurve")
        #expect(scurve.dataset == "scurve" && scurve.denoiser.sigmaData == 0.11)
        #expect(abs(scurve.settings.pMean - (-1.2 + log(0.11))) < 1e-15)
        #expect(scurve.denoiser.network.architecture == "mlp-denoiser" && scurve.settings.steps == 20_000)
    }

    @Test("minibatches draw training points, reproducibly for a seed")
    func batches() throws {
        let data = try TrainingData.named("circles")
        let a = data.batch(size: 64, step: 3, seed: 5, stream: 1).x, b = data.batch(size: 64, step: 3, seed: 5, stream: 1).x
        #expect(a == b && a.shape == [64, 2])
        #expect(a != data.batch(size: 64, step: 4, seed: 5, stream: 1).x)
        let training = try Tutorial2D.circles.load().training
        let rows = Set((0..<training.rows).map { [training.scalars[2 * $0], training.scalars[2 * $0 + 1]] })
        #expect((0..<64).allSatisfy { rows.contains([a.scalars[2 * $0], a.scalars[2 * $0 + 1]]) })
    }

    @Test("a damaged table is a one-line error naming the set and the line", arguments: [
        ("x,y,heldout\n0.1,0.2,0\n0.3,0.4\n", "circles data: line 3 is not two finite numbers and a 0/1 held-out flag"),
        ("# c\nx,y,heldout\n0.1,nan,1\n", "circles data: line 3 is not two finite numbers and a 0/1 held-out flag"),
        ("x,y,heldout\n0.1,0.2,2\n", "circles data: line 2 is not two finite numbers and a 0/1 held-out flag"),
        ("x,y,heldout\n0.1,0.2,0\n", "circles data: no training or no held-out points"),
    ])
    func damaged(_ text: String, _ message: String) {
        #expect(throws: (any Error).self) { try Tutorial2DData(csv: Data(text.utf8), name: "circles") }
        do { _ = try Tutorial2DData(csv: Data(text.utf8), name: "circles") } catch { #expect("\(error)" == message) }
    }

    @Test("a checkpoint whose dataset is a tutorial set must read 2-D samples")
    func datasetShape() {
        #expect(ModelLimits.datasetShape("scurve") == [2] && ModelLimits.datasetShape("circles") == [2])
    }
}
