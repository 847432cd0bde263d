import Foundation
import Testing
import ScoreKitCore
@testable import ScoreKitMetrics

/// A classifier of 2-D points by the sign of their first coordinate (class 1 when > 0), whose
/// features are the points themselves.
private struct SignClassifier: SampleClassifier {
    var featureSpace: String { "sign" }
    func features(_ x: Tensor) throws -> Tensor { x }
    func classLogProbabilities(_ x: Tensor) throws -> Tensor {
        let rows = (0..<x.rows).flatMap { r -> [Float] in x.row(r).first! > 0 ? [log(0.1), log(0.9)] : [log(0.9), log(0.1)] }
        return Tensor(shape: [x.rows, 2], scalars: rows)
    }
}

@Suite("Class-aware metrics: agreement with requested labels, per-class Fréchet distance")
struct ClassMetricsTests {
    @Test("Agreement counts the rows whose predicted class is their label")
    func agreement() throws {
        let x = Tensor(shape: [4, 2], scalars: [1, 0, -1, 0, 2, 0, -3, 0])   // classes 1, 0, 1, 0
        let metric = LabelAgreementMetric(classifier: SignClassifier(), labels: [1, 1, 1, 0])
        #expect(try metric.measure(x) == 0.75)
        #expect(try ClassMetrics.predictedLabels(SignClassifier(), x) == [1, 0, 1, 0])
        #expect(throws: MetricError.labelCount(4, 3)) { try metric.measure(x.rows(0..<3)) }
    }

    @Test("The known-value error is the largest change on the mask's known entries, and refuses other shapes")
    func knownValueError() throws {
        let originals = Tensor(shape: [2, 2], scalars: [1, 5, -2, 7])
        let metric = KnownValueErrorMetric(originals: originals, mask: Tensor(shape: [1, 2], scalars: [1, 0]))
        #expect(try metric.measure(Tensor(shape: [2, 2], scalars: [1, 0, -2, 100])) == 0)      // only unknowns changed
        #expect(try metric.measure(Tensor(shape: [2, 2], scalars: [1.5, 5, -2, 7])) == 0.5)
        #expect(throws: MetricError.shapeMismatch(expected: [2, 2], samples: [1, 2])) { try metric.measure(originals.rows(0..<1)) }
    }

    @Test("Per-class FD is near 0 for draws of the right class and large when classes swap")
    func perClassFrechet() throws {
        let a = MetricTestSupport.gaussian(count: 2000, mean: [3, 0], std: 1, seed: 1)
        let b = MetricTestSupport.gaussian(count: 2000, mean: [-3, 0], std: 1, seed: 2)
        let reference = Tensor.concatenatingRows([a, b])
        let referenceLabels = Array(repeating: 0, count: 2000) + Array(repeating: 1, count: 2000)
        let sampleA = MetricTestSupport.gaussian(count: 2000, mean: [3, 0], std: 1, seed: 3)
        let sampleB = MetricTestSupport.gaussian(count: 2000, mean: [-3, 0], std: 1, seed: 4)
        let samples = Tensor.concatenatingRows([sampleA, sampleB])
        let right = try ClassFrechetMetric(extractor: SignClassifier(), reference: reference, referenceLabels: referenceLabels,
                                           labels: referenceLabels)
        let swapped = try ClassFrechetMetric(extractor: SignClassifier(), reference: reference, referenceLabels: referenceLabels,
                                             labels: referenceLabels.map { 1 - $0 })
        #expect(try right.measure(samples) < 0.02)
        // Swapped classes: the means differ by 6, so the FD is about 36 for each class.
        #expect(abs(try swapped.measure(samples) - 36) < 1)
        // The pooled FD cannot tell the two apart.
        let pooled = try FrechetFeatureMetric(extractor: SignClassifier(), reference: reference)
        #expect(try pooled.measure(samples) < 0.02)
    }
}
