import Foundation
import ScoreKitCore

/// Adam (Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015) over a flat
/// parameter vector: `m ← β₁m + (1−β₁)g`, `v ← β₂v + (1−β₂)g²`,
/// `w ← w − lr·m̂/(√v̂ + ε)` with the bias corrections `m̂ = m/(1−β₁ᵗ)`, `v̂ = v/(1−β₂ᵗ)`.
public struct Adam: Sendable {
    /// β₁, β₂ and ε (PyTorch's defaults).
    public var beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8
    /// First and second moment estimates.
    public var m: [Float], v: [Float]
    /// Updates taken so far.
    public var steps: Int

    /// Fresh state for `count` parameters.
    public init(count: Int) {
        m = [Float](repeating: 0, count: count)
        v = m
        steps = 0
    }

    /// Restored state.
    public init(m: [Float], v: [Float], steps: Int) {
        self.m = m
        self.v = v
        self.steps = steps
    }

    /// One update of `w` with gradient `g` and learning rate `lr`.
    public mutating func update(_ w: inout [Float], gradient g: [Float], lr: Double) {
        steps += 1
        let c1 = Float(1 - pow(Double(beta1), Double(steps))), c2 = Float(1 - pow(Double(beta2), Double(steps)))
        let step = Float(lr) / c1, b1 = beta1, b2 = beta2, eps = epsilon
        let rootC2 = c2.squareRoot()
        m.withUnsafeMutableBufferPointer { pm in
            v.withUnsafeMutableBufferPointer { pv in
                w.withUnsafeMutableBufferPointer { pw in
                    g.withUnsafeBufferPointer { pg in
                        for i in 0..<pw.count {
                            let gi = pg[i]
                            pm[i] = b1 * pm[i] + (1 - b1) * gi
                            pv[i] = b2 * pv[i] + (1 - b2) * gi * gi
                            pw[i] -= step * pm[i] / (pv[i].squareRoot() / rootC2 + eps)
                        }
                    }
                }
            }
        }
    }
}

/// The learning rate at each step: a linear warm-up to `peak`, then a cosine decay to
/// `final·peak` at the last step.
public struct LearningRateSchedule: Sendable, Hashable, Codable {
    /// The rate after warm-up.
    public var peak: Double
    /// Warm-up steps.
    public var warmup: Int
    /// All steps.
    public var total: Int
    /// The last rate, as a fraction of `peak`.
    public var final: Double

    /// A schedule; see the properties.
    public init(peak: Double, warmup: Int, total: Int, final: Double = 0.1) {
        self.peak = peak
        self.warmup = warmup
        self.total = total
        self.final = final
    }

    /// The rate for step `t` (0-based).
    public func rate(at t: Int) -> Double {
        if t < warmup { return peak * Double(t + 1) / Double(warmup) }
        let progress = min(1, Double(t - warmup) / Double(max(total - warmup, 1)))
        return peak * (final + (1 - final) * 0.5 * (1 + cos(.pi * progress)))
    }
}

/// Training helpers on flat vectors.
public enum FlatVector {
    /// Scales `g` so its Euclidean norm is at most `maxNorm`; returns the norm before clipping.
    @discardableResult
    public static func clipNorm(_ g: inout [Float], maxNorm: Double) -> Double {
        var s = 0.0
        g.withUnsafeBufferPointer { p in
            var acc: Float = 0
            for i in 0..<p.count { acc += p[i] * p[i] }
            s = Double(acc)
        }
        let norm = s.squareRoot()
        if norm > maxNorm {
            let f = Float(maxNorm / norm)
            g.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] *= f } }
        }
        return norm
    }

    /// The exponential moving average `ema ← β·ema + (1−β)·w`, with the warm-up
    /// `β_t = min(β, (1 + t)/(10 + t))` so early weights do not linger.
    public static func updateEMA(_ ema: inout [Float], _ w: [Float], decay: Double, step t: Int) {
        let beta = Float(min(decay, Double(1 + t) / Double(10 + t)))
        ema.withUnsafeMutableBufferPointer { pe in
            w.withUnsafeBufferPointer { pw in
                for i in 0..<pe.count { pe[i] = beta * pe[i] + (1 - beta) * pw[i] }
            }
        }
    }
}
