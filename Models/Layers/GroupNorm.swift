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
        var sums = [Float](repeating: 0, count: c), mean = sums, inv = sums
        // Per-channel sums (inner loops along contiguous channels), reduced per group.
        func groupValues(_ sums: [Float], _ f: (Float) -> Float, into out: inout [Float]) -> [Float] {
            var perGroupValue = [Float](repeating: 0, count: groups)
            for g in 0..<groups {
                var t: Float = 0
                for j in (g * perGroup)..<((g + 1) * perGroup) { t += sums[j] }
                perGroupValue[g] = f(t)
                for j in (g * perGroup)..<((g + 1) * perGroup) { out[j] = perGroupValue[g] }
            }
            return perGroupValue
        }
        xhat.scalars.withUnsafeMutableBufferPointer { ph in
            for s in 0..<n {
                let sample = ph.baseAddress! + s * pixels * c
                sums.withUnsafeMutableBufferPointer { ps in
                    for j in 0..<c { ps[j] = 0 }
                    for p in 0..<pixels { let row = sample + p * c; for j in 0..<c { ps[j] += row[j] } }
                }
                _ = groupValues(sums, { $0 / size }, into: &mean)
                sums.withUnsafeMutableBufferPointer { ps in
                    mean.withUnsafeBufferPointer { pm in
                        for j in 0..<c { ps[j] = 0 }
                        for p in 0..<pixels {
                            let row = sample + p * c
                            for j in 0..<c { let d = row[j] - pm[j]; row[j] = d; ps[j] += d * d }
                        }
                    }
                }
                let r = groupValues(sums, { 1 / ($0 / size + epsilon).squareRoot() }, into: &inv)
                for g in 0..<groups { inverseStd[s * groups + g] = r[g] }
                inv.withUnsafeBufferPointer { pi in
                    for p in 0..<pixels { let row = sample + p * c; for j in 0..<c { row[j] *= pi[j] } }
                }
            }
        }
        xhat.scalars.withUnsafeBufferPointer { ph in
            w.withUnsafeBufferPointer { pw in
                y.scalars.withUnsafeMutableBufferPointer { py in
                    let gamma = pw.baseAddress! + scale.offset, beta = pw.baseAddress! + shift.offset
                    for q in 0..<(n * pixels) {
                        let src = ph.baseAddress! + q * c, dst = py.baseAddress! + q * c
                        for j in 0..<c { dst[j] = src[j] * gamma[j] + beta[j] }
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
        var sumD = [Float](repeating: 0, count: c), sumDX = sumD, meanD = sumD, meanDX = sumD, inv = sumD
        dx.scalars.withUnsafeMutableBufferPointer { pd in
            xhat.scalars.withUnsafeBufferPointer { ph in
                w.withUnsafeBufferPointer { pw in
                    g.withUnsafeMutableBufferPointer { pg in
                        let gamma = pw.baseAddress! + scale.offset
                        let dGamma = pg.baseAddress! + scale.offset, dBeta = pg.baseAddress! + shift.offset
                        for s in 0..<n {
                            let base = s * pixels * c
                            sumD.withUnsafeMutableBufferPointer { a in
                                sumDX.withUnsafeMutableBufferPointer { b in
                                    for j in 0..<c { a[j] = 0; b[j] = 0 }
                                    for p in 0..<pixels {
                                        let d = pd.baseAddress! + base + p * c, h = ph.baseAddress! + base + p * c
                                        for j in 0..<c {
                                            dGamma[j] += d[j] * h[j]
                                            dBeta[j] += d[j]
                                            let dh = d[j] * gamma[j]
                                            d[j] = dh
                                            a[j] += dh
                                            b[j] += dh * h[j]
                                        }
                                    }
                                }
                            }
                            for grp in 0..<groups {
                                var a: Float = 0, b: Float = 0
                                for j in (grp * perGroup)..<((grp + 1) * perGroup) { a += sumD[j]; b += sumDX[j] }
                                for j in (grp * perGroup)..<((grp + 1) * perGroup) {
                                    meanD[j] = a / size
                                    meanDX[j] = b / size
                                    inv[j] = cache.inverseStd[s * groups + grp]
                                }
                            }
                            meanD.withUnsafeBufferPointer { md in
                                meanDX.withUnsafeBufferPointer { mdx in
                                    inv.withUnsafeBufferPointer { pi in
                                        for p in 0..<pixels {
                                            let d = pd.baseAddress! + base + p * c, h = ph.baseAddress! + base + p * c
                                            for j in 0..<c { d[j] = pi[j] * (d[j] - md[j] - h[j] * mdx[j]) }
                                        }
                                    }
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
