import Foundation
import ScoreKitCore
@testable import ScoreKitModels

/// Test helpers: seeded random tensors and a finite-difference gradient check.
enum TestData {
    /// Standard normal values (times `scale`) of the given shape from Philox under `seed`.
    static func normal(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
        var t = PhiloxNoiseTensor.draw(shape, seed: seed)
        if scale != 1 { t = Double(scale) * t }
        return t
    }
}

enum PhiloxNoiseTensor {
    static func draw(_ shape: [Int], seed: UInt64) -> Tensor {
        let n = shape.reduce(1, *)
        var values = [Float](repeating: 0, count: n)
        values.withUnsafeMutableBufferPointer {
            RandomStreams(seed: seed).fillNormals($0, stream: 99, sample: 0, firstBlock: 0)
        }
        return Tensor(shape: shape, scalars: values)
    }
}

/// Central differences against an analytic gradient.
///
/// The loss is `Σ r·y` for a fixed random `r` (accumulated in Float64), so the analytic
/// gradient is the layer's backward pass applied to `r`. Finite differences in Float32 carry
/// rounding error of order ε_f·|loss|/h ≈ 1e-7·|loss|/h and truncation error of order h², so
/// with h = 1e-2 the relative error of the whole gradient vector must be below 1e-2; a wrong
/// backward pass (a missing term, a transposed index) is off by order one.
struct GradientCheck {
    var step: Float = 1e-2
    var tolerance = 1e-2
    /// How many coordinates to perturb at most (a spread-out subset when there are more).
    var maxCoordinates = 300

    /// The relative error `‖analytic − numeric‖/‖numeric‖` over the checked coordinates of
    /// `values`, where `loss` evaluates the scalar loss at perturbed values.
    func relativeError(values: [Float], analytic: [Float], loss: ([Float]) -> Double) -> Double {
        precondition(values.count == analytic.count)
        let stride = max(1, values.count / maxCoordinates)
        var diff = 0.0, norm = 0.0
        var v = values
        for i in Swift.stride(from: 0, to: values.count, by: stride) {
            let original = v[i]
            v[i] = original + step
            let up = loss(v)
            v[i] = original - step
            let down = loss(v)
            v[i] = original
            let numeric = (up - down) / Double(2 * step)
            diff += (numeric - Double(analytic[i])) * (numeric - Double(analytic[i]))
            norm += numeric * numeric
        }
        return norm == 0 ? (diff == 0 ? 0 : .infinity) : (diff / norm).squareRoot()
    }

    /// `Σ r·y` in Float64.
    static func weightedSum(_ y: Tensor, _ r: Tensor) -> Double {
        precondition(y.count == r.count, "weightedSum: \(y.count) vs \(r.count)")
        var s = 0.0
        for i in 0..<y.count { s += Double(y.scalars[i]) * Double(r.scalars[i]) }
        return s
    }
}
