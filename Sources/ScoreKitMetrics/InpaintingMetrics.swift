import Foundation
import ScoreKitCore

/// The largest change an inpainting made to a value it was told to keep: `max |x − y|` over
/// the entries the mask marks known (1). Inpainting keeps known values to the bit, so anything
/// but 0 is a bug.
public struct KnownValueErrorMetric: QualityMetric {
    /// The originals, row i the data sample i completes.
    public let originals: Tensor
    /// The mask: one row for all samples or one per sample; 1 marks a known value.
    public let mask: Tensor

    /// The error on `mask`'s known entries against `originals`.
    public init(originals: Tensor, mask: Tensor) {
        self.originals = originals
        self.mask = mask
    }

    public var name: String { "known_error" }
    public var title: String { "largest change to a known value (must be 0)" }
    public var goal: MetricGoal { .lower }
    public func measure(_ samples: Tensor) throws -> Double {
        guard samples.shape == originals.shape else { throw MetricError.shapeMismatch(expected: originals.shape, samples: samples.shape) }
        let size = samples.rowSize
        var worst = 0.0
        for r in 0..<samples.rows {
            let maskBase = mask.rows == 1 ? 0 : r * size
            for i in 0..<size where mask.scalars[maskBase + i] == 1 {
                let change = abs(Double(samples.scalars[r * size + i]) - Double(originals.scalars[r * size + i]))
                worst = max(worst, change.isNaN ? .infinity : change)
            }
        }
        return worst
    }
}
