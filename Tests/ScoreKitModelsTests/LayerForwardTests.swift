import Foundation
import ScoreKitCore
import Testing
@testable import ScoreKitModels

/// The forward passes against direct definitions.
@Suite("Layer forward passes")
struct LayerForwardTests {
    @Test func vectorExpMatchesLibm() {
        var worst: Float = 0
        for i in -8700...8700 {
            let x = Float(i) / 100
            worst = max(worst, abs(vectorExp(x) - Foundation.exp(x)) / Foundation.exp(x))
        }
        #expect(worst < 5e-7)
    }

    @Test func convolutionMatchesDirectSum() {
        var layout = ParameterLayout()
        let conv = Conv2d("c", inChannels: 2, outChannels: 3, kernel: 3, layout: &layout)
        let w = TestData.normal([layout.count], seed: 1).scalars
        let x = TestData.normal([2, 3, 4, 2], seed: 2)
        let y = conv.forward(x, w).0
        for s in 0..<2 { for i in 0..<3 { for j in 0..<4 { for o in 0..<3 {
            var expected = Double(w[conv.bias.offset + o])
            for c in 0..<2 { for ky in 0..<3 { for kx in 0..<3 {
                let si = i + ky - 1, sj = j + kx - 1
                guard (0..<3).contains(si), (0..<4).contains(sj) else { continue }
                expected += Double(w[conv.weight.offset + ((o * 2 + c) * 3 + ky) * 3 + kx]) * Double(x.scalars[((s * 3 + si) * 4 + sj) * 2 + c])
            } } }
            #expect(abs(Double(y.scalars[((s * 3 + i) * 4 + j) * 3 + o]) - expected) < 1e-5)
        } } } }
    }

    @Test func groupNormStandardisesEachGroup() {
        var layout = ParameterLayout()
        let norm = GroupNorm("n", channels: 4, groups: 2, layout: &layout)
        let w = layout.initialValues(seed: 0)    // γ = 1, β = 0
        let x = TestData.normal([2, 3, 3, 4], seed: 3, scale: 3) + 5
        let y = norm.forward(x, w).0
        for s in 0..<2 {
            for g in 0..<2 {
                var values: [Double] = []
                for p in 0..<9 { for c in (2 * g)..<(2 * g + 2) { values.append(Double(y.scalars[(s * 9 + p) * 4 + c])) } }
                let mean = values.reduce(0, +) / 18
                let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 18
                #expect(abs(mean) < 1e-5)
                #expect(abs(variance - 1) < 1e-3)
            }
        }
    }

    @Test func poolingAndUpsamplingInvert() {
        let x = TestData.normal([2, 2, 2, 3], seed: 4)
        #expect(FeatureMaps.averagePool(FeatureMaps.upsample(x)) == x)
        let t = TestData.normal([1, 2, 3, 4], seed: 5)
        #expect(FeatureMaps.channelsFirst(FeatureMaps.channelsLast(t)) == t)
    }

    @Test func initialisationIsSeededAndBounded() {
        var layout = ParameterLayout()
        let fc = Linear("fc", inputs: 16, outputs: 8, layout: &layout)
        let a = layout.initialValues(seed: 1), b = layout.initialValues(seed: 1), c = layout.initialValues(seed: 2)
        #expect(a == b)
        #expect(a != c)
        #expect(a[fc.weight.range].allSatisfy { abs($0) <= 0.25 })
        #expect(Set(a[fc.weight.range]).count == fc.weight.count)
    }
}
