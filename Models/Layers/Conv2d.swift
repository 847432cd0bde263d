import ScoreKitCore

/// A 2-D convolution with stride 1 and "same" zero padding, kernel 3×3 or 1×1, over
/// channels-last feature maps `[N, H, W, C]`. Weights are stored in PyTorch's layout
/// `[out, in, k, k]`.
///
/// 3×3 runs as im2col + one sgemm for the whole batch: each output pixel gets a row of its nine
/// input neighbourhoods (`[N·H·W, 9·in]`, taps outer, channels inner so every copy is a
/// contiguous run of `in` values), and `Y = cols·W'ᵀ` with `W'` the weights permuted to
/// `[out, 9, in]`. Backward: `dW' = dYᵀ·cols`, `dcols = dY·W'`, scattered back (col2im).
/// 1×1 is a plain matrix product over pixels.
public struct Conv2d: Sendable {
    /// Input and output channels, and the kernel size (1 or 3).
    public let inChannels: Int, outChannels: Int, kernel: Int
    /// `[out, in, k, k]` and `[out]`.
    public let weight: ParameterSlot, bias: ParameterSlot

    /// What the backward pass needs: the im2col matrix (or the input, for 1×1) and the input shape.
    public struct Cache: Sendable {
        let columns: [Float]
        let inputShape: [Int]
    }

    /// Registers `name.weight` and `name.bias` (PyTorch's uniform ±1/√(in·k²), or zeros).
    public init(_ name: String, inChannels: Int, outChannels: Int, kernel: Int, zeroInit: Bool = false,
                layout: inout ParameterLayout) {
        precondition(kernel == 1 || kernel == 3, "Conv2d: kernel must be 1 or 3, got \(kernel)")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernel = kernel
        let bound = 1 / Double(inChannels * kernel * kernel).squareRoot()
        let initializer: ParameterInit = zeroInit ? .zeros : .uniform(bound: bound)
        weight = layout.add("\(name).weight", shape: [outChannels, inChannels, kernel, kernel], initializer: initializer)
        bias = layout.add("\(name).bias", shape: [outChannels], initializer: initializer)
    }

    private var taps: Int { kernel * kernel }

    /// The weights as `[out, taps, in]` (im2col's column order).
    private func permutedWeights(_ w: UnsafeBufferPointer<Float>) -> [Float] {
        var out = [Float](repeating: 0, count: weight.count)
        for o in 0..<outChannels {
            for i in 0..<inChannels {
                for t in 0..<taps {
                    out[(o * taps + t) * inChannels + i] = w[weight.offset + (o * inChannels + i) * taps + t]
                }
            }
        }
        return out
    }

    /// The im2col matrix `[N·H·W, 9·in]` of a `[N, H, W, in]` map (taps outside the map are 0).
    private func columns(_ x: Tensor) -> [Float] {
        let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let k = taps * c
        return uninitializedFloats(n * h * w * k) { pc in
            x.scalars.withUnsafeBufferPointer { px in
                for s in 0..<n {
                    for y in 0..<h {
                        for xx in 0..<w {
                            let row = ((s * h + y) * w + xx) * k
                            for ky in 0..<3 {
                                let sy = y + ky - 1
                                for kx in 0..<3 {
                                    let sx = xx + kx - 1, dst = row + (ky * 3 + kx) * c
                                    if sy >= 0 && sy < h && sx >= 0 && sx < w {
                                        let src = ((s * h + sy) * w + sx) * c
                                        for j in 0..<c { pc[dst + j] = px[src + j] }
                                    } else {
                                        for j in 0..<c { pc[dst + j] = 0 }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Convolves `x` (`[N, H, W, in]`) to `[N, H, W, out]`.
    public func forward(_ x: Tensor, _ w: [Float]) -> (Tensor, Cache) {
        precondition(x.shape.count == 4 && x.shape[3] == inChannels,
                     "Conv2d: input shape \(x.shape), expected [N, H, W, \(inChannels)]")
        let pixels = x.count / inChannels, k = taps * inChannels
        let cols = kernel == 1 ? x.scalars : columns(x)
        let y = w.withUnsafeBufferPointer { pw in
            let wp = kernel == 1 ? Array(pw[weight.range]) : permutedWeights(pw)
            return uninitializedFloats(pixels * outChannels) { py in
                for p in 0..<pixels { for o in 0..<outChannels { py[p * outChannels + o] = pw[bias.offset + o] } }
                cols.withUnsafeBufferPointer { pc in
                    wp.withUnsafeBufferPointer { pwp in
                        BLAS.gemm(m: pixels, n: outChannels, k: k, pc.baseAddress!, pwp.baseAddress!, transposeB: true,
                                  py.baseAddress!, beta: 1)
                    }
                }
            }
        }
        return (Tensor(shape: Array(x.shape.dropLast()) + [outChannels], scalars: y),
                Cache(columns: cols, inputShape: x.shape))
    }

    /// Accumulates `dW`, `db` into `g` and returns `dX`.
    public func backward(_ dy: Tensor, _ cache: Cache, _ w: [Float], _ g: inout [Float]) -> Tensor {
        let pixels = dy.count / outChannels, k = taps * inChannels
        var dWp = [Float](repeating: 0, count: weight.count)
        var dcols = uninitializedFloats(pixels * k) { _ in }   // overwritten by the gemm (β = 0)
        dy.scalars.withUnsafeBufferPointer { pdy in
            cache.columns.withUnsafeBufferPointer { pc in
                dWp.withUnsafeMutableBufferPointer { pdw in
                    BLAS.gemm(m: outChannels, n: k, k: pixels, pdy.baseAddress!, transposeA: true, pc.baseAddress!,
                              pdw.baseAddress!)
                }
            }
            w.withUnsafeBufferPointer { pw in
                let wp = kernel == 1 ? Array(pw[weight.range]) : permutedWeights(pw)
                wp.withUnsafeBufferPointer { pwp in
                    dcols.withUnsafeMutableBufferPointer { pdc in
                        BLAS.gemm(m: pixels, n: k, k: outChannels, pdy.baseAddress!, pwp.baseAddress!, pdc.baseAddress!)
                    }
                }
            }
            g.withUnsafeMutableBufferPointer { pg in
                columnSums(pdy, rows: pixels, columns: outChannels, into: pg.baseAddress! + bias.offset)
                for o in 0..<outChannels {
                    for i in 0..<inChannels {
                        for t in 0..<taps {
                            pg[weight.offset + (o * inChannels + i) * taps + t] += dWp[(o * taps + t) * inChannels + i]
                        }
                    }
                }
            }
        }
        guard kernel == 3 else { return Tensor(shape: cache.inputShape, scalars: dcols) }
        return Tensor(shape: cache.inputShape, scalars: columnsToImage(dcols, shape: cache.inputShape))
    }

    /// col2im as a gather: each input pixel sums the column blocks of the output pixels whose
    /// neighbourhoods held it (written once, no separate zeroing pass).
    private func columnsToImage(_ dcols: [Float], shape: [Int]) -> [Float] {
        let (n, h, w, c) = (shape[0], shape[1], shape[2], shape[3])
        let k = taps * c
        return uninitializedFloats(n * h * w * c) { pdx in
            dcols.withUnsafeBufferPointer { pc in
                for s in 0..<n {
                    for y in 0..<h {
                        for xx in 0..<w {
                            let dst = ((s * h + y) * w + xx) * c
                            for j in 0..<c { pdx[dst + j] = 0 }
                            for ky in 0..<3 {
                                let oy = y - ky + 1
                                guard oy >= 0 && oy < h else { continue }
                                for kx in 0..<3 {
                                    let ox = xx - kx + 1
                                    guard ox >= 0 && ox < w else { continue }
                                    let src = ((s * h + oy) * w + ox) * k + (ky * 3 + kx) * c
                                    for j in 0..<c { pdx[dst + j] += pc[src + j] }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// An array of `count` floats whose every element `body` writes (no zeroing pass first).
@inline(__always)
func uninitializedFloats(_ count: Int, _ body: (UnsafeMutableBufferPointer<Float>) -> Void) -> [Float] {
    [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
        body(buffer)
        initialized = count
    }
}
