import Foundation
import ScoreKitCore

/// Group normalisation (Wu & He, 2018) over a channels-last feature map `[N, H, W, C]`: the
/// channels fall into `groups` equal groups; each (sample, group) is normalised by its own mean
/// and variance over pixels and channels, then each channel is scaled and shifted:
/// `y = γ_c·(x − μ)/√(σ² + ε) + β_c` (PyTorch's `nn.GroupNorm`, ε = 1e-5).
public struct GroupNorm: Sendable {
    /// Channels and groups.
    public let channels: Int, groups: Int
    /// The stabiliser ε.
    public let epsilon: Float
    /// `γ` and `β`, `[channels]` each (`name.weight`, `name.bias`).
    public let scale: ParameterSlot, shift: ParameterSlot

    /// What the backward pass needs: the normalised input and each group's 1/σ.
    public struct Cache: Sendable {
        let normalised: Tensor
        let inverseStd: [Float]
    }

    /// Registers `name.weight` (ones) and `name.bias` (zeros).
    public init(_ name: String, channels: Int, groups: Int, epsilon: Float = 1e-5, layout: inout ParameterLayout) {
        precondition(channels % groups == 0, "GroupNorm: \(channels) channels do not split into \(groups) groups")
        self.channels = channels
        self.groups = groups
        self.epsilon = epsilon
        scale = layout.add("\(name).weight", shape: [channels], initializer: .ones)
        shift = layout.add("\(name).bias", shape: [channels], initializer: .zeros)
    }

    /// Normalises `x` (`[N, …, C]`, channels last).
    public func forward(_ x: Tensor, _ w: [Float]) -> (Tensor, Cache) {
        let c = channels, n = x.rows, pixels = x.rowSize / c, perGroup = c / groups
        let size = Float(pixels * perGroup)
        var xhat = x, y = x
        var inverseStd = [Float](repeating: 0, count: n * groups)
        var sums = [Float](repeating: 0, count: c)
        xhat.scalars.withUnsafeMutableBufferPointer { ph in
            for s in 0..<n {
                let base = s * pixels * c
                // Means per group from per-channel sums (the inner loops run along contiguous channels).
                for j in 0..<c { sums[j] = 0 }
                for p in 0..<pixels { for j in 0..<c { sums[j] += ph[base + p * c + j] } }
                var mean = [Float](repeating: 0, count: c)
                for g in 0..<groups {
                    var t: Float = 0
                    for j in (g * perGroup)..<((g + 1) * perGroup) { t += sums[j] }
                    for j in (g * perGroup)..<((g + 1) * perGroup) { mean[j] = t / size }
                }
                for j in 0..<c { sums[j] = 0 }
                for p in 0..<pixels {
                    for j in 0..<c {
                        let d = ph[base + p * c + j] - mean[j]
                        ph[base + p * c + j] = d
                        sums[j] += d * d
                    }
                }
                var inv = [Float](repeating: 0, count: c)
                for g in 0..<groups {
                    var t: Float = 0
                    for j in (g * perGroup)..<((g + 1) * perGroup) { t += sums[j] }
                    let r = 1 / (t / size + epsilon).squareRoot()
                    inverseStd[s * groups + g] = r
                    for j in (g * perGroup)..<((g + 1) * perGroup) { inv[j] = r }
                }
                for p in 0..<pixels { for j in 0..<c { ph[base + p * c + j] *= inv[j] } }
            }
        }
        xhat.scalars.withUnsafeBufferPointer { ph in
            w.withUnsafeBufferPointer { pw in
                y.scalars.withUnsafeMutableBufferPointer { py in
                    let gamma = pw.baseAddress! + scale.offset, beta = pw.baseAddress! + shift.offset
                    for q in 0..<(n * pixels) {
                        for j in 0..<c { py[q * c + j] = ph[q * c + j] * gamma[j] + beta[j] }
                    }
                }
            }
        }
        return (y, Cache(normalised: xhat, inverseStd: inverseStd))
    }

    /// Accumulates `dγ`, `dβ` and returns `dX`:
    /// `dX = (1/σ)·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂))` per group, with `dx̂ = γ·dY`.
    public func backward(_ dy: Tensor, _ cache: Cache, _ w: [Float], _ g: inout [Float]) -> Tensor {
        let c = channels, n = dy.rows, pixels = dy.rowSize / c, perGroup = c / groups
        let size = Float(pixels * perGroup)
        var dx = dy
        let xhat = cache.normalised
        var sumD = [Float](repeating: 0, count: c), sumDX = [Float](repeating: 0, count: c)
        dx.scalars.withUnsafeMutableBufferPointer { pd in
            xhat.scalars.withUnsafeBufferPointer { ph in
                w.withUnsafeBufferPointer { pw in
                    g.withUnsafeMutableBufferPointer { pg in
                        let gamma = pw.baseAddress! + scale.offset
                        let dGamma = pg.baseAddress! + scale.offset, dBeta = pg.baseAddress! + shift.offset
                        for s in 0..<n {
                            let base = s * pixels * c
                            for j in 0..<c { sumD[j] = 0; sumDX[j] = 0 }
                            for p in 0..<pixels {
                                for j in 0..<c {
                                    let i = base + p * c + j, d = pd[i], h = ph[i]
                                    dGamma[j] += d * h
                                    dBeta[j] += d
                                    let dh = d * gamma[j]
                                    pd[i] = dh
                                    sumD[j] += dh
                                    sumDX[j] += dh * h
                                }
                            }
                            var meanD = [Float](repeating: 0, count: c), meanDX = meanD, inv = meanD
                            for grp in 0..<groups {
                                var a: Float = 0, b: Float = 0
                                for j in (grp * perGroup)..<((grp + 1) * perGroup) { a += sumD[j]; b += sumDX[j] }
                                for j in (grp * perGroup)..<((grp + 1) * perGroup) {
                                    meanD[j] = a / size
                                    meanDX[j] = b / size
                                    inv[j] = cache.inverseStd[s * groups + grp]
                                }
                            }
                            for p in 0..<pixels {
                                for j in 0..<c {
                                    let i = base + p * c + j
                                    pd[i] = inv[j] * (pd[i] - meanD[j] - ph[i] * meanDX[j])
                                }
                            }
                        }
                    }
                }
            }
        }
        return dx
    }
}
