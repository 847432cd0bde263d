import ScoreKitCore

/// A fully connected layer `y = x·Wᵀ + b`, with `W` of shape `[outputs, inputs]` (PyTorch's
/// `nn.Linear` layout).
///
/// It acts on the last dimension of `x`: a `[N, inputs]` batch of vectors, or the pixels of a
/// channels-last feature map `[N, H, W, inputs]` (where it is a 1×1 convolution). Both passes
/// are one sgemm each: forward `Y = X·Wᵀ`, backward `dX = dY·W`, `dW += dYᵀ·X`, `db += Σ dY`.
public struct Linear: Sendable {
    /// Input and output features.
    public let inputs: Int, outputs: Int
    /// `[outputs, inputs]`.
    public let weight: ParameterSlot
    /// `[outputs]`, if the layer has a bias.
    public let bias: ParameterSlot?

    /// Registers `name.weight` (and `name.bias`) in `layout`. `zeroInit` starts the weights at
    /// zero (an output layer that starts silent); otherwise PyTorch's uniform ±1/√inputs.
    public init(_ name: String, inputs: Int, outputs: Int, bias: Bool = true, zeroInit: Bool = false,
                layout: inout ParameterLayout) {
        self.inputs = inputs
        self.outputs = outputs
        let bound = 1 / Double(inputs).squareRoot()
        weight = layout.add("\(name).weight", shape: [outputs, inputs],
                            initializer: zeroInit ? .zeros : .uniform(bound: bound))
        self.bias = bias ? layout.add("\(name).bias", shape: [outputs], initializer: zeroInit ? .zeros : .uniform(bound: bound)) : nil
    }

    /// `x·Wᵀ + b` over the last dimension of `x` (the batch-invariant kernel; weights packed per call).
    public func forward(_ x: Tensor, _ w: [Float]) -> Tensor {
        w.withUnsafeBufferPointer { forward(x, PackedWeights($0, slot: weight), $0) }
    }

    /// `x·Wᵀ + b` with weights already packed (`w` still supplies the bias).
    public func forward(_ x: Tensor, _ packed: PackedWeights, _ w: UnsafeBufferPointer<Float>) -> Tensor {
        precondition(x.shape.last == inputs, "Linear: input has \(x.shape.last ?? 0) features, expected \(inputs)")
        let m = x.count / inputs
        let y = uninitializedFloats(m * outputs) { py in
            x.scalars.withUnsafeBufferPointer { px in
                apply(rows: m, px.baseAddress!, packed, w, into: py.baseAddress!)
            }
        }
        return Tensor(shape: Array(x.shape.dropLast()) + [outputs], scalars: y)
    }

    /// `y = epilogue(x·Wᵀ + b)` for `rows` contiguous rows of `x`, written to `y` (`[rows, outputs]`).
    func apply(rows: Int, _ x: UnsafePointer<Float>, _ packed: PackedWeights, _ w: UnsafeBufferPointer<Float>,
               into y: UnsafeMutablePointer<Float>, _ activation: GEMMEpilogue.Activation = .none) {
        let b = bias.map { UnsafePointer(w.baseAddress! + $0.offset) }
        NetworkGEMM.dense(rows: rows, x, lda: inputs, packed, y, ldy: outputs, GEMMEpilogue(bias: b, activation: activation))
    }

    /// Accumulates `dW`, `db` into `g` (unless `g` is empty: the input gradient alone) and
    /// returns `dX`, given the forward input `x`.
    public func backward(_ dy: Tensor, input x: Tensor, _ w: [Float], _ g: inout [Float]) -> Tensor {
        let m = x.count / inputs
        precondition(dy.count == m * outputs, "Linear.backward: gradient has \(dy.count) values, expected \(m * outputs)")
        var dx = [Float](repeating: 0, count: x.count)
        dy.scalars.withUnsafeBufferPointer { pdy in
            w.withUnsafeBufferPointer { pw in
                dx.withUnsafeMutableBufferPointer { pdx in
                    BLAS.gemm(m: m, n: inputs, k: outputs, pdy.baseAddress!, pw.baseAddress! + weight.offset, pdx.baseAddress!)
                }
            }
            guard !g.isEmpty else { return }
            x.scalars.withUnsafeBufferPointer { px in
                g.withUnsafeMutableBufferPointer { pg in
                    BLAS.gemm(m: outputs, n: inputs, k: m, pdy.baseAddress!, transposeA: true, px.baseAddress!,
                              pg.baseAddress! + weight.offset, beta: 1)
                    if let bias { columnSums(pdy, rows: m, columns: outputs, into: pg.baseAddress! + bias.offset) }
                }
            }
        }
        return Tensor(shape: x.shape, scalars: dx)
    }
}

/// `out[c] += Σ_r m[r, c]` for a row-major `[rows, columns]` matrix (vectorises along rows).
@inline(__always)
func columnSums(_ m: UnsafeBufferPointer<Float>, rows: Int, columns: Int, into out: UnsafeMutablePointer<Float>) {
    for r in 0..<rows {
        let row = m.baseAddress! + r * columns
        for c in 0..<columns { out[c] += row[c] }
    }
}
