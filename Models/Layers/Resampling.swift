import ScoreKitCore

/// The parameter-free layers of a U-Net on channels-last maps `[N, H, W, C]`: 2×2 average
/// pooling, 2× nearest-neighbour up-sampling, channel concatenation, adding a per-sample
/// vector to every pixel, and the NCHW ↔ NHWC transposes at a network's boundary.
public enum FeatureMaps {
    /// 2×2 average pooling: `[N, H, W, C]` → `[N, H/2, W/2, C]`.
    public static func averagePool(_ x: Tensor) -> Tensor {
        let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        precondition(h % 2 == 0 && w % 2 == 0, "averagePool: odd size \(h)×\(w)")
        var y = [Float](repeating: 0, count: x.count / 4)
        y.withUnsafeMutableBufferPointer { py in
            x.scalars.withUnsafeBufferPointer { px in
                for s in 0..<n {
                    for i in 0..<(h / 2) {
                        for j in 0..<(w / 2) {
                            let dst = py.baseAddress! + ((s * h / 2 + i) * w / 2 + j) * c
                            let a = px.baseAddress! + ((s * h + 2 * i) * w + 2 * j) * c, b = a + w * c
                            for k in 0..<c { dst[k] = 0.25 * ((a[k] + a[c + k]) + (b[k] + b[c + k])) }
                        }
                    }
                }
            }
        }
        return Tensor(shape: [n, h / 2, w / 2, c], scalars: y)
    }

    /// The gradient of `averagePool`: each input pixel receives ¼ of its output's gradient,
    /// which is ¼ of the up-sampled gradient.
    public static func averagePoolBackward(_ dy: Tensor) -> Tensor { 0.25 * upsample(dy) }

    /// 2× nearest-neighbour up-sampling: `[N, H, W, C]` → `[N, 2H, 2W, C]`.
    public static func upsample(_ x: Tensor) -> Tensor {
        let (n, h, w, c) = (x.shape[0], x.shape[1] * 2, x.shape[2] * 2, x.shape[3])
        var y = [Float](repeating: 0, count: x.count * 4)
        y.withUnsafeMutableBufferPointer { py in
            x.scalars.withUnsafeBufferPointer { px in
                for s in 0..<n {
                    for i in 0..<h {
                        for j in 0..<w {
                            (py.baseAddress! + ((s * h + i) * w + j) * c)
                                .update(from: px.baseAddress! + ((s * h / 2 + i / 2) * w / 2 + j / 2) * c, count: c)
                        }
                    }
                }
            }
        }
        return Tensor(shape: [n, h, w, c], scalars: y)
    }

    /// The gradient of `upsample`: each input pixel sums the gradients of its four copies,
    /// 4 × their average.
    public static func upsampleBackward(_ dy: Tensor) -> Tensor { 4 * averagePool(dy) }

    /// `[a, b]` along the last (channel) dimension; all other dimensions must agree.
    public static func concatenate(_ a: Tensor, _ b: Tensor) -> Tensor {
        let ca = a.shape.last!, cb = b.shape.last!, pixels = a.count / ca
        precondition(b.count / cb == pixels && a.shape.dropLast() == b.shape.dropLast(),
                     "concatenate: shapes \(a.shape) and \(b.shape) differ outside the channels")
        var y = [Float](repeating: 0, count: a.count + b.count)
        y.withUnsafeMutableBufferPointer { py in
            a.scalars.withUnsafeBufferPointer { pa in
                b.scalars.withUnsafeBufferPointer { pb in
                    for p in 0..<pixels {
                        let dst = py.baseAddress! + p * (ca + cb)
                        dst.update(from: pa.baseAddress! + p * ca, count: ca)
                        (dst + ca).update(from: pb.baseAddress! + p * cb, count: cb)
                    }
                }
            }
        }
        return Tensor(shape: Array(a.shape.dropLast()) + [ca + cb], scalars: y)
    }

    /// The gradient of `concatenate`: the channel blocks of `dy`, split at `first` channels.
    public static func split(_ dy: Tensor, first ca: Int) -> (Tensor, Tensor) {
        let c = dy.shape.last!, cb = c - ca, pixels = dy.count / c
        let da = uninitializedFloats(pixels * ca) { pa in
            dy.scalars.withUnsafeBufferPointer { p in
                for q in 0..<pixels { (pa.baseAddress! + q * ca).update(from: p.baseAddress! + q * c, count: ca) }
            }
        }
        let db = uninitializedFloats(pixels * cb) { pb in
            dy.scalars.withUnsafeBufferPointer { p in
                for q in 0..<pixels { (pb.baseAddress! + q * cb).update(from: p.baseAddress! + q * c + ca, count: cb) }
            }
        }
        let outer = Array(dy.shape.dropLast())
        return (Tensor(shape: outer + [ca], scalars: da), Tensor(shape: outer + [cb], scalars: db))
    }

    /// `x[n, …, c] + v[n, c]`: a per-sample vector (the noise embedding) added to every pixel.
    public static func addingPerSample(_ x: Tensor, _ v: Tensor) -> Tensor {
        let c = x.shape.last!, n = x.rows, pixels = x.rowSize / c
        precondition(v.shape == [n, c], "addingPerSample: vector shape \(v.shape), expected [\(n), \(c)]")
        var y = x
        y.scalars.withUnsafeMutableBufferPointer { py in
            v.scalars.withUnsafeBufferPointer { pv in
                for s in 0..<n {
                    for p in 0..<pixels {
                        let row = py.baseAddress! + (s * pixels + p) * c, v = pv.baseAddress! + s * c
                        for k in 0..<c { row[k] += v[k] }
                    }
                }
            }
        }
        return y
    }

    /// The gradient of `addingPerSample` with respect to the vector: `dv[n, c] = Σ_pixels dy`.
    public static func sumOverPixels(_ dy: Tensor) -> Tensor {
        let c = dy.shape.last!, n = dy.rows, pixels = dy.rowSize / c
        var dv = [Float](repeating: 0, count: n * c)
        dv.withUnsafeMutableBufferPointer { pv in
            dy.scalars.withUnsafeBufferPointer { pd in
                for s in 0..<n {
                    for p in 0..<pixels {
                        let row = pd.baseAddress! + (s * pixels + p) * c, v = pv.baseAddress! + s * c
                        for k in 0..<c { v[k] += row[k] }
                    }
                }
            }
        }
        return Tensor(shape: [n, c], scalars: dv)
    }

    /// `[N, C, H, W]` → `[N, H, W, C]`.
    public static func channelsLast(_ x: Tensor) -> Tensor {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        var y = [Float](repeating: 0, count: x.count)
        for s in 0..<n { for k in 0..<c { for p in 0..<(h * w) { y[(s * h * w + p) * c + k] = x.scalars[(s * c + k) * h * w + p] } } }
        return Tensor(shape: [n, h, w, c], scalars: y)
    }

    /// `[N, H, W, C]` → `[N, C, H, W]`.
    public static func channelsFirst(_ x: Tensor) -> Tensor {
        let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        var y = [Float](repeating: 0, count: x.count)
        for s in 0..<n { for k in 0..<c { for p in 0..<(h * w) { y[(s * c + k) * h * w + p] = x.scalars[(s * h * w + p) * c + k] } } }
        return Tensor(shape: [n, c, h, w], scalars: y)
    }
}
