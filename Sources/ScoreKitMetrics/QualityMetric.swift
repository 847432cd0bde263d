import Foundation
import ScoreKitCore

/// A measure of sample quality against a reference fixed when the metric is made (exact data,
/// held-out data, a reference solution). Comparisons call `measure` on every sampler's output,
/// and on an independent draw of the reference data to state the noise floor.
public protocol QualityMetric: Sendable {
    /// The column name in results: lower-case, no spaces (`sw`, `mmd2`, `ll_gap`, …).
    var name: String { get }
    /// What it is, in a few words, for reports and plots.
    var title: String { get }
    /// Which values are better.
    var goal: MetricGoal { get }
    /// The metric of `samples` (`[N] + sampleShape`) against the metric's reference.
    func measure(_ samples: Tensor) throws -> Double
}

/// Which way a metric improves.
public enum MetricGoal: String, Sendable, Codable, Hashable {
    /// Smaller is better (distances).
    case lower
    /// Larger is better (confidence).
    case higher
    /// Closer to zero is better (signed gaps).
    case nearZero

    /// Whether `a` is better than `b`.
    public func prefers(_ a: Double, over b: Double) -> Bool {
        switch self {
        case .lower: a < b
        case .higher: a > b
        case .nearZero: abs(a) < abs(b)
        }
    }

    /// A short phrase for reports.
    public var phrase: String {
        switch self {
        case .lower: "lower is better"
        case .higher: "higher is better"
        case .nearZero: "closer to 0 is better"
        }
    }
}
