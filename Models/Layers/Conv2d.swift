import ScoreKitCore

/// A 2-D convolution with stride 1 and "same" zero padding, kernel 3×3 or 1×1, over
/// channels-last feature maps `[N, H, W, C]`. Weights are stored in PyTorch's layout
/// `[out, in, k, k]`.
///
/// 3×3 runs as im2col + sgemm, in chunks of output pixels so the column matrix stays in
/// cache: each output pixel gets a row of its nine input neighbourhoods (`[pixels, 9·in]`, taps
/// outer, channels inner, so every copy is a contiguous run of `in` values), and
/// `Y = cols·W'ᵀ` with `W'` the weights permuted to `[out, 9, in]`. Backward rebuilds each
/// chunk's columns for `dW' += dYᵀ·cols` (skipped for the input gradient alone), and forms
/// `dcols = dY·W` in the stored order (channels outer, taps inner), scattered back onto the
/// input (col2im).
/// 1×1 is one matrix product over all pixels.
public struct Conv2d: Sendable {
    /// Input and output channels, and the kernel size (1 or 3).
    public let inChannels: Int, outChannels: Int, kernel: Int
    /// `[out, in, k, k]` and `[out]`.
    public let weight: ParameterSlot, bias: ParameterSlot

    /// What the backward pass needs: the input.
    public struct Cache: Sendable {
        let input: Tensor
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
    /// Columns per output pixel.
    private var width: Int { taps * inChannels }
    /// Output pixels per chunk: about 64 K floats of columns (256 KB).
    private var chunk: Int { max(32, 65_536 / width) }

    /// The im2col rows of output pixels `first ..< first + rows` of the map `x` (`[N, H, W, in]`
    /// with `shape`); taps outside the map are 0.
    private func columns(_ px: UnsafeBufferPointer<Float>, shape: [Int], first: Int, rows: Int,
                         into pc: UnsafeMutablePointer<Float>) {
        let (h, w, c) = (shape[1], shape[2], shape[3])
        let k = width
        for r in 0..<rows {
            let p = first + r, s = p / (h * w), y = (p / w) % h, xx = p % w
            for ky in 0..<3 {
                let sy = y + ky - 1
                for kx in 0..<3 {
                    let sx = xx + kx - 1, dst = pc + (r * k + (ky * 3 + kx) * c)
                    if sy >= 0 && sy < h && sx >= 0 && sx < w {
                        dst.update(from: px.baseAddress! + ((s * h + sy) * w + sx) * c, count: c)
                    } else {
                        dst.update(repeating: 0, count: c)
                    }
                }
            }
        }
    }

    /// col2im for a chunk: adds each tap's gradients onto the input pixel it reads (columns in
    /// the weights' stored order: channel outer, tap inner).
    private func addColumns(_ pc: UnsafePointer<Float>, shape: [Int], first: Int, rows: Int,
                            into pdx: UnsafeMutableBufferPointer<Float>) {
        let (h, w, c) = (shape[1], shape[2], shape[3])
        let k = width
        for r in 0..<rows {
            let p = first + r, s = p / (h * w), y = (p / w) % h, xx = p % w
            for ky in 0..<3 {
                let sy = y + ky - 1
                guard sy >= 0 && sy < h else { continue }
                for kx in 0..<3 {
                    let sx = xx + kx - 1
                    guard sx >= 0 && sx < w else { continue }
                    let dst = pdx.baseAddress! + ((s * h + sy) * w + sx) * c, src = pc + (r * k + ky * 3 + kx)
                    for j in 0..<c { dst[j] += src[j * 9] }
                }
            }
        }
    }

    /// Convolves `x` (`[N, H, W, in]`) to `[N, H, W, out]` (the batch-invariant kernel; weights
    /// packed per call).
    public func forward(_ x: Tensor, _ w: [Float]) -> (Tensor, Cache) {
        let y = w.withUnsafeBufferPointer { forward(x, PackedWeights($0, slot: weight), $0) }
        return (y, Cache(input: x))
    }

    /// The convolution with weights already packed (`w` still supplies the bias).
    public func forward(_ x: Tensor, _ packed: PackedWeights, _ w: UnsafeBufferPointer<Float>) -> Tensor {
        precondition(x.shape.count == 4 && x.shape[3] == inChannels,
                     "Conv2d: input shape \(x.shape), expected [N, H, W, \(inChannels)]")
        let y = uninitializedFloats(x.count / inChannels * outChannels) { py in
            x.scalars.withUnsafeBufferPointer { px in
                apply(images: x.shape[0], height: x.shape[1], width: x.shape[2], px.baseAddress!, packed, w,
                      into: py.baseAddress!, GEMMEpilogue())
            }
        }
        return Tensor(shape: Array(x.shape.dropLast()) + [outChannels], scalars: y)
    }

    /// `y = epilogue(conv(x) + b)` over channels-last maps; the epilogue's bias is this layer's.
    func apply(images: Int, height: Int, width: Int, _ x: UnsafePointer<Float>, _ packed: PackedWeights,
               _ w: UnsafeBufferPointer<Float>, into y: UnsafeMutablePointer<Float>, _ epilogue: GEMMEpilogue) {
        var e = epilogue
        e.bias = UnsafePointer(w.baseAddress! + bias.offset)
        if kernel == 1 {
            NetworkGEMM.dense(rows: images * height * width, x, lda: inChannels, packed, y, ldy: outChannels, e)
        } else {
            NetworkGEMM.conv3x3(images: images, height: height, width: width, x, packed, y, e)
        }
    }

    /// Accumulates `dW`, `db` into `g` (unless `g` is empty: the input gradient alone) and
    /// returns `dX`.
    public func backward(_ dy: Tensor, _ cache: Cache, _ w: [Float], _ g: inout [Float]) -> Tensor {
        let x = cache.input
        let pixels = dy.count / outChannels, k = width, step = chunk
        let weightGradients = !g.isEmpty
        var dWp = [Float](repeating: 0, count: weightGradients ? weight.count : 0)
        var dx = [Float](repeating: 0, count: x.count)
        dy.scalars.withUnsafeBufferPointer { pdy in
            x.scalars.withUnsafeBufferPointer { px in
                w.withUnsafeBufferPointer { pw in
                    let weights = pw.baseAddress! + weight.offset        // [out, in·taps]: dX's columns in that order
                    dWp.withUnsafeMutableBufferPointer { pdw in
                        dx.withUnsafeMutableBufferPointer { pdx in
                            guard kernel == 3 else {
                                if weightGradients {
                                    BLAS.gemm(m: outChannels, n: k, k: pixels, pdy.baseAddress!, transposeA: true, px.baseAddress!,
                                              pdw.baseAddress!)
                                }
                                BLAS.gemm(m: pixels, n: k, k: outChannels, pdy.baseAddress!, weights, pdx.baseAddress!)
                                return
                            }
                            var cols = [Float](repeating: 0, count: step * k), dcols = cols
                            cols.withUnsafeMutableBufferPointer { pc in
                                dcols.withUnsafeMutableBufferPointer { pdc in
                                    for first in stride(from: 0, to: pixels, by: step) {
                                        let rows = min(step, pixels - first)
                                        let dyChunk = pdy.baseAddress! + first * outChannels
                                        if weightGradients {
                                            columns(px, shape: x.shape, first: first, rows: rows, into: pc.baseAddress!)
                                            BLAS.gemm(m: outChannels, n: k, k: rows, dyChunk, transposeA: true, pc.baseAddress!,
                                                      pdw.baseAddress!, beta: 1)
                                        }
                                        BLAS.gemm(m: rows, n: k, k: outChannels, dyChunk, weights, pdc.baseAddress!)
                                        addColumns(pdc.baseAddress!, shape: x.shape, first: first, rows: rows, into: pdx)
                                    }
                                }
                            }
                        }
                    }
                }
            }
            guard weightGradients else { return }
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
        return Tensor(shape: x.shape, scalars: dx)
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
