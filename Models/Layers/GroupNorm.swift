import CScoreKitKernels
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
        let n = x.rows, pixels = x.rowSize / channels
        var xhat = x, y = x
        var inverseStd = [Float](repeating: 0, count: n * groups)
        x.scalars.withUnsafeBufferPointer { px in
            xhat.scalars.withUnsafeMutableBufferPointer { ph in
                inverseStd.withUnsafeMutableBufferPointer { pi in
                    for s in 0..<n {
                        let offset = s * pixels * channels
                        normalise(px.baseAddress! + offset, pixels: pixels, into: ph.baseAddress! + offset,
                                  inverseStd: pi.baseAddress! + s * groups)
                    }
                }
            }
        }
        xhat.scalars.withUnsafeBufferPointer { ph in
            w.withUnsafeBufferPointer { pw in
                y.scalars.withUnsafeMutableBufferPointer { py in
                    scaleAndShift(ph.baseAddress!, values: x.count, pw, into: py.baseAddress!)
                }
            }
        }
        return (y, Cache(normalised: xhat, inverseStd: inverseStd))
    }

    /// `SiLU(GroupNorm(x))` for `images` maps of `pixels` pixels from `x` into `y` (inference:
    /// the same arithmetic as `forward` followed by `SiLU.forward`, without the cache).
    func applyWithSiLU(images: Int, pixels: Int, _ x: UnsafePointer<Float>, _ w: UnsafeBufferPointer<Float>,
                       into y: UnsafeMutablePointer<Float>) {
        let gamma = w.baseAddress! + scale.offset, beta = w.baseAddress! + shift.offset
        withUnsafeTemporaryAllocation(of: Float.self, capacity: channels) { inverseStd in
            for s in 0..<images {
                let offset = s * pixels * channels
                centre(x + offset, pixels: pixels, into: y + offset, inverseStd: inverseStd.baseAddress!)
                scorekit_normalise_affine_silu(y + offset, inverseStd.baseAddress!, gamma, beta, pixels, channels)
            }
        }
    }

    /// One map's `x̂ = (x − μ_g)/√(σ²_g + ε)` into `xhat`, and each group's `1/√(σ²_g + ε)`.
    private func normalise(_ x: UnsafePointer<Float>, pixels: Int, into xhat: UnsafeMutablePointer<Float>,
                           inverseStd: UnsafeMutablePointer<Float>) {
        let c = channels, perGroup = c / groups
        withUnsafeTemporaryAllocation(of: Float.self, capacity: c) { perChannel in
            let inv = perChannel.baseAddress!
            centre(x, pixels: pixels, into: xhat, inverseStd: inv)
            for g in 0..<groups { inverseStd[g] = inv[g * perGroup] }
            for p in 0..<pixels { let row = xhat + p * c; for j in 0..<c { row[j] *= inv[j] } }
        }
    }

    /// One map's `x − μ_g` into `out`, and `1/√(σ²_g + ε)` for each channel (its group's value).
    /// Per-channel sums run along contiguous channels, then reduce per group.
    private func centre(_ x: UnsafePointer<Float>, pixels: Int, into out: UnsafeMutablePointer<Float>,
                        inverseStd perChannel: UnsafeMutablePointer<Float>) {
        let c = channels, perGroup = c / groups, size = Float(pixels * perGroup)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: c) { scratch in
            let sums = scratch.baseAddress!
            // Each group's value f(Σ of its channel sums), spread over its channels.
            func reduce(_ f: (Float) -> Float) {
                for g in 0..<groups {
                    var t: Float = 0
                    for j in (g * perGroup)..<((g + 1) * perGroup) { t += sums[j] }
                    let v = f(t)
                    for j in (g * perGroup)..<((g + 1) * perGroup) { perChannel[j] = v }
                }
            }
            sums.update(repeating: 0, count: c)
            for p in 0..<pixels { let row = x + p * c; for j in 0..<c { sums[j] += row[j] } }
            reduce { $0 / size }
            sums.update(repeating: 0, count: c)
            for p in 0..<pixels {
                let row = x + p * c, dst = out + p * c
                for j in 0..<c { let d = row[j] - perChannel[j]; dst[j] = d; sums[j] += d * d }
            }
            reduce { 1 / ($0 / size + epsilon).squareRoot() }
        }
    }

    /// `y = γ_c·x̂ + β_c` over `values` channels-last values (may be in place).
    private func scaleAndShift(_ xhat: UnsafePointer<Float>, values: Int, _ w: UnsafeBufferPointer<Float>,
                               into y: UnsafeMutablePointer<Float>) {
        let c = channels, gamma = w.baseAddress! + scale.offset, beta = w.baseAddress! + shift.offset
        for q in 0..<(values / c) {
            let src = xhat + q * c, dst = y + q * c
            for j in 0..<c { dst[j] = src[j] * gamma[j] + beta[j] }
        }
    }

    /// Accumulates `dγ`, `dβ` (unless `g` is empty: the input gradient alone) and returns `dX`:
    /// `dX = (1/σ)·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂))` per group, with `dx̂ = γ·dY`.
    public func backward(_ dy: Tensor, _ cache: Cache, _ w: [Float], _ g: inout [Float]) -> Tensor {
        guard g.isEmpty else { return backward(dy, cache, w, &g, dGammaAt: scale.offset, dBetaAt: shift.offset) }
        var unused = [Float](repeating: 0, count: 2 * channels)
        return backward(dy, cache, w, &unused, dGammaAt: 0, dBetaAt: channels)
    }

    /// The backward pass with `dγ` accumulated at `g[dGammaAt...]`, `dβ` at `g[dBetaAt...]`.
    private func backward(_ dy: Tensor, _ cache: Cache, _ w: [Float], _ g: inout [Float], dGammaAt: Int, dBetaAt: Int) -> Tensor {
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
                        let dGamma = pg.baseAddress! + dGammaAt, dBeta = pg.baseAddress! + dBetaAt
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
