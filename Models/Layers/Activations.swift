import CScoreKitKernels
import Foundation
import ScoreKitCore

// Element-wise activations. Their loops are plain arithmetic over contiguous buffers, and the
// exponential is a polynomial with bit tricks (no libm call), so that they vectorise on the
// baseline x86-64 target (SSE2).

/// `eˣ` to about 1e-7 relative error for |x| ≤ 87, written so a loop over it vectorises:
/// `eˣ = 2ᵏ·e^g` with `k = round(x/ln 2)`, `g = x − k·ln 2 ∈ [−0.35, 0.35]`, `e^g` by a degree-7
/// Taylor polynomial and `2ᵏ` assembled in the exponent bits.
@inline(__always)
func vectorExp(_ x: Float) -> Float {
    let clamped = x < -87 ? -87 : (x > 87 ? 87 : x)
    let magic: Float = 12_582_912            // 1.5·2²³: adding it rounds to an integer
    let shifted = clamped * 1.442_695_04 + magic
    let k = shifted - magic
    let g = (clamped - k * 0.693_145_75) - k * 1.428_606_8e-6
    var p: Float = 1.0 / 5040
    p = p * g + 1.0 / 720
    p = p * g + 1.0 / 120
    p = p * g + 1.0 / 24
    p = p * g + 1.0 / 6
    p = p * g + 0.5
    p = p * g + 1
    p = p * g + 1
    let exponent = (Int32(bitPattern: shifted.bitPattern) &- 0x4B40_0000 &+ 127) &<< 23
    return p * Float(bitPattern: UInt32(bitPattern: exponent))
}

/// The logistic function `1/(1 + e^{−x})`.
@inline(__always)
func vectorSigmoid(_ x: Float) -> Float { 1 / (1 + vectorExp(-x)) }

/// SiLU (swish): `y = x·sigmoid(x)`; `dy/dx = s·(1 + x·(1 − s))` with `s = sigmoid(x)`.
public enum SiLU {
    /// `x·sigmoid(x)` element-wise (the C kernel picks AVX-512, AVX2 or SSE2 at load time).
    public static func forward(_ x: Tensor) -> Tensor {
        let y = uninitializedFloats(x.count) { py in
            x.scalars.withUnsafeBufferPointer { px in scorekit_silu_forward(px.baseAddress!, py.baseAddress!, x.count) }
        }
        return Tensor(shape: x.shape, scalars: y)
    }

    /// `dX` given the forward input `x`.
    public static func backward(_ dy: Tensor, input x: Tensor) -> Tensor {
        precondition(dy.count == x.count, "SiLU.backward: \(dy.count) gradients for \(x.count) inputs")
        let dx = uninitializedFloats(x.count) { pdx in
            x.scalars.withUnsafeBufferPointer { px in
                dy.scalars.withUnsafeBufferPointer { pdy in
                    scorekit_silu_backward(px.baseAddress!, pdy.baseAddress!, pdx.baseAddress!, x.count)
                }
            }
        }
        return Tensor(shape: dy.shape, scalars: dx)
    }
}

/// ReLU: `y = max(x, 0)`; its gradient passes where the input was positive.
public enum ReLU {
    /// `max(x, 0)` element-wise.
    public static func forward(_ x: Tensor) -> Tensor {
        var y = x
        y.scalars.withUnsafeMutableBufferPointer { p in
            for i in 0..<p.count { p[i] = p[i] > 0 ? p[i] : 0 }
        }
        return y
    }

    /// `dX` given the forward input `x`.
    public static func backward(_ dy: Tensor, input x: Tensor) -> Tensor {
        var dx = dy
        dx.scalars.withUnsafeMutableBufferPointer { pd in
            x.scalars.withUnsafeBufferPointer { px in
                for i in 0..<pd.count { pd[i] = px[i] > 0 ? pd[i] : 0 }
            }
        }
        return dx
    }
}

/// Softmax cross-entropy over the last dimension: the loss of classifier training.
public enum SoftmaxCrossEntropy {
    /// `log softmax(logits)` row by row, computed stably (max subtracted).
    public static func logSoftmax(_ logits: Tensor) -> Tensor {
        let k = logits.shape.last!, rows = logits.count / k
        var out = logits
        out.scalars.withUnsafeMutableBufferPointer { p in
            for r in 0..<rows {
                let row = UnsafeMutableBufferPointer(rebasing: p[(r * k)..<((r + 1) * k)])
                let m = row.max()!
                var sum: Double = 0
                for j in 0..<k { sum += Double(vectorExp(row[j] - m)) }
                let l = m + Float(Foundation.log(sum))
                for j in 0..<k { row[j] -= l }
            }
        }
        return out
    }

    /// The mean loss `−(1/N)·Σ log p(label)` and its gradient with respect to the logits,
    /// `(softmax − onehot)/N`.
    public static func lossAndGradient(_ logits: Tensor, labels: [Int]) -> (loss: Double, gradient: Tensor) {
        let k = logits.shape.last!, rows = logits.count / k
        precondition(labels.count == rows, "SoftmaxCrossEntropy: \(labels.count) labels for \(rows) rows")
        var gradient = logSoftmax(logits)
        var loss = 0.0
        gradient.scalars.withUnsafeMutableBufferPointer { p in
            for r in 0..<rows {
                loss -= Double(p[r * k + labels[r]])
                for j in 0..<k { p[r * k + j] = vectorExp(p[r * k + j]) / Float(rows) }
                p[r * k + labels[r]] -= 1 / Float(rows)
            }
        }
        return (loss / Double(rows), gradient)
    }
}
