import Foundation
import Testing
@testable import ScoreKitMetrics
import ScoreKitCore

/// A toy feature extractor and classifier: features are the rows themselves; the class of a
/// point is the sign of its first coordinate, with confidence set by a logistic of it.
private struct ToyClassifier: SampleClassifier {
    var featureSpace: String { "toy" }
    func features(_ x: Tensor) throws -> Tensor { x.reshaped([x.rows, x.rowSize]) }
    func classLogProbabilities(_ x: Tensor) throws -> Tensor {
        var out: [Float] = []
        for r in 0..<x.rows {
            let a = Double(x.scalars[r * x.rowSize])
            let p = 1 / (1 + exp(-a))
            out += [Float(log(p)), Float(log(1 - p))]
        }
        return Tensor(shape: [x.rows, 2], scalars: out)
    }
}

@Suite("Quality metrics bound to a reference")
struct QualityMetricTests {
    @Test("The SW metric equals the distance it wraps, and is 0 on its own reference")
    func slicedWassersteinMetric() throws {
        let reference = MetricTestSupport.gaussian(count: 400, mean: [0, 0], std: 1, seed: 1)
        let samples = MetricTestSupport.gaussian(count: 300, mean: [1, 0], std: 1, seed: 2)
        let metric = SlicedWassersteinMetric(reference: reference, projections: 256, seed: 4)
        let direct = SlicedWasserstein(dimension: 2, projections: 256, seed: 4).distance(samples, reference)
        #expect(try metric.measure(samples) == direct)
        #expect(try metric.measure(reference) == 0)
        #expect(metric.name == "sw" && metric.goal == .lower)
    }

    @Test("The MMD metric takes the median-heuristic bandwidth of its reference")
    func mmdMetric() throws {
        let reference = MetricTestSupport.gaussian(count: 300, mean: [0, 0], std: 2, seed: 1)
        let metric = MMDMetric(reference: reference)
        #expect(metric.bandwidth == MMD.medianBandwidth(reference))
        // For N(0, s²I₂) the distance between two points is s·√2·Rayleigh: median s·√(2·2 ln 2) ≈ 3.33.
        #expect(abs(metric.bandwidth - 2 * (4 * log(2.0)).squareRoot()) < 0.15)
        let samples = MetricTestSupport.gaussian(count: 300, mean: [0, 0], std: 2, seed: 9)
        #expect(try metric.measure(samples) == MMD.squared(samples, reference, bandwidth: metric.bandwidth))
    }

    @Test("Mode TV metric counts the assignments it is given")
    func modeTVMetric() throws {
        let metric = ModeWeightTVMetric(weights: [0.8, 0.2]) { x in (0..<x.rows).map { x.scalars[$0 * x.rowSize] > 0 ? 0 : 1 } }
        let x = Tensor(shape: [4, 2], scalars: [1, 0, 1, 0, -1, 0, -1, 0])   // two on each side
        #expect(abs(try metric.measure(x) - 0.3) < 1e-12)
    }

    @Test("Fréchet feature metric: 0 on its reference, the closed form on a shifted copy")
    func frechetFeatureMetric() throws {
        let reference = MetricTestSupport.gaussian(count: 500, mean: [0, 0], std: 1, seed: 3)
        let metric = try FrechetFeatureMetric(extractor: ToyClassifier(), reference: reference)
        #expect(metric.name == "fd_toy")
        #expect(abs(try metric.measure(reference)) < 1e-9)
        // A shift by (1, 2) moves the mean and nothing else: FD = 5.
        let shift = Tensor(shape: reference.shape, scalars: (0..<reference.count).map { $0 % 2 == 0 ? 1 : 2 })
        #expect(abs(try metric.measure(reference + shift) - 5) < 1e-5)
    }

    @Test("Classifier confidence is the mean of the largest class probability")
    func confidence() throws {
        let metric = ClassifierConfidenceMetric(classifier: ToyClassifier())
        let x = Tensor(shape: [2, 1], scalars: [0, Float(log(3.0))])        // p = ½ and p = ¾
        #expect(abs(try metric.measure(x) - 0.625) < 1e-6)
        #expect(metric.goal == .higher && metric.name == "confidence_toy")
    }

    @Test("Metric goals rank values the right way")
    func goals() {
        #expect(MetricGoal.lower.prefers(1, over: 2))
        #expect(MetricGoal.higher.prefers(2, over: 1))
        #expect(MetricGoal.nearZero.prefers(-0.1, over: 0.2))
        #expect(!MetricGoal.nearZero.prefers(0.3, over: -0.2))
    }

    @Test("Finite reference data: bootstrap draws from the set, depending only on (seed, index)")
    func finiteReferenceData() throws {
        let data = Tensor(shape: [10, 1, 2], scalars: (0..<20).map(Float.init))
        let reference = FiniteReferenceData(data)
        let a = try reference.draw(count: 50, seed: 1, firstIndex: 0)
        #expect(a.shape == [50, 1, 2])
        for r in 0..<50 { #expect(a.scalars[2 * r].truncatingRemainder(dividingBy: 2) == 0 && a.scalars[2 * r + 1] == a.scalars[2 * r] + 1) }
        let tail = try reference.draw(count: 20, seed: 1, firstIndex: 30)
        #expect(tail == a.rows(30..<50))
        #expect(try reference.draw(count: 50, seed: 2, firstIndex: 0) != a)
    }
}
