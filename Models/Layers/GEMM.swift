import CScoreKitKernels
import ScoreKitCore

/// A linear or convolution layer's weights in the panel layout of ScoreKit's network kernel
/// (`scorekit_gemm`): panels of 16 outputs, each `[tap][channel][16]`.
///
/// Packed once per set of weights (at load time for sampling; per step in training, where the
/// weights change), so the kernel streams them contiguously.
public struct PackedWeights: Sendable {
    /// The packed values.
    public let values: [Float]
    /// Outputs (columns of the product), taps (1 or 9) and input channels per tap.
    public let outputs: Int, taps: Int, channels: Int

    /// Packs the `[outputs, channels, taps]` block of `w` that starts at `slot.offset`.
    public init(_ w: UnsafeBufferPointer<Float>, slot: ParameterSlot) {
        outputs = slot.shape[0]
        channels = slot.shape[1]
        taps = slot.shape.dropFirst(2).reduce(1, *)
        let (n, t, c) = (outputs, taps, channels)
        values = uninitializedFloats(scorekit_gemm_packed_count(n, t * c)) { p in
            scorekit_gemm_pack(w.baseAddress! + slot.offset, n, t, c, p.baseAddress!)
        }
    }
}

extension PackedWeights {
    /// Packs a row-major `[outputs, inputs]` matrix (a linear layer's weight, PyTorch's layout).
    public init(matrix w: [Float], outputs: Int, inputs: Int) {
        precondition(w.count == outputs * inputs, "PackedWeights: \(w.count) values for [\(outputs), \(inputs)]")
        self = w.withUnsafeBufferPointer {
            PackedWeights($0, slot: ParameterSlot(name: "matrix", shape: [outputs, inputs], offset: 0, initializer: .zeros))
        }
    }
}

/// What `NetworkGEMM` adds after the product, in this order: the bias, a per-group bias (the
/// noise embedding of each sample, shared by its pixels), an activation, and the old output
/// (residuals).
struct GEMMEpilogue {
    /// The activation applied after the biases (the kernel's codes).
    enum Activation: Int32 { case none = 0, silu = 1, relu = 2 }
    var bias: UnsafePointer<Float>? = nil
    var rowBias: UnsafePointer<Float>? = nil
    var rowBiasGroup = 1
    var activation = Activation.none
    var accumulate = false
}

/// ScoreKit's batch-invariant matrix products for network layers.
///
/// Every output value is one fixed chain of fused multiply-adds over the layer's inputs, so a
/// row's result depends only on that row — not on the batch, the tile or the thread. That is
/// what makes a sample's bits independent of `--batch` and `--threads` for trained models
/// (OpenBLAS picks code paths and blockings by matrix size, so its rows change with the batch).
public enum NetworkGEMM {
    /// The instruction set and tile the network kernel uses on this CPU (e.g. `avx2+fma 6x16`).
    /// Results are the same on every CPU that runs the same variant; different variants round
    /// differently (fused or separate multiply-adds).
    public static var kernelName: String { String(cString: scorekit_gemm_kernel()) }

    /// `y = x · Wᵀ` for `rows` contiguous rows of `x` (`[rows, w.channels]`) into `y`
    /// (`[rows, w.outputs]`): the product every linear layer runs, for benchmarks and tests.
    public static func multiply(rows: Int, _ x: UnsafePointer<Float>, _ w: PackedWeights, into y: UnsafeMutablePointer<Float>) {
        dense(rows: rows, x, lda: w.channels, w, y, ldy: w.outputs, GEMMEpilogue())
    }

    /// `y[i] = epilogue(x[i] · Wᵀ)` for `rows` rows of `x` (row stride `lda`), `y` row stride `ldy`.
    static func dense(rows: Int, _ x: UnsafePointer<Float>, lda: Int, _ w: PackedWeights,
                      _ y: UnsafeMutablePointer<Float>, ldy: Int, _ e: GEMMEpilogue) {
        precondition(w.taps == 1, "NetworkGEMM.dense: weights with \(w.taps) taps")
        run(rows: rows, x, lda: lda, height: 0, width: 0, zeros: nil, w, y, ldy: ldy, e)
    }

    /// A 3×3 "same" convolution of the channels-last map `x` (`images × height × width` pixels of
    /// `w.channels`) into `y` (one row of `w.outputs` per pixel).
    static func conv3x3(images: Int, height: Int, width: Int, _ x: UnsafePointer<Float>, _ w: PackedWeights,
                        _ y: UnsafeMutablePointer<Float>, _ e: GEMMEpilogue) {
        precondition(w.taps == 9, "NetworkGEMM.conv3x3: weights with \(w.taps) taps")
        withUnsafeTemporaryAllocation(of: Float.self, capacity: w.channels) { zeros in
            zeros.initialize(repeating: 0)
            run(rows: images * height * width, x, lda: w.channels, height: height, width: width,
                zeros: UnsafePointer(zeros.baseAddress), w, y, ldy: w.outputs, e)
        }
    }

    private static func run(rows: Int, _ x: UnsafePointer<Float>, lda: Int, height: Int, width: Int,
                            zeros: UnsafePointer<Float>?, _ w: PackedWeights, _ y: UnsafeMutablePointer<Float>,
                            ldy: Int, _ e: GEMMEpilogue) {
        guard rows > 0 else { return }
        w.values.withUnsafeBufferPointer { pw in
            var args = scorekit_gemm_args(
                m: rows, n: w.outputs, taps: w.taps, channels: w.channels, a: x, lda: lda, height: height, width: width,
                zeros: zeros, packed: pw.baseAddress, bias: e.bias, row_bias: e.rowBias, row_bias_group: e.rowBiasGroup,
                y: y, ldy: ldy, activation: e.activation.rawValue, accumulate: e.accumulate ? 1 : 0)
            scorekit_gemm(&args)
        }
    }
}
