#if canImport(Accelerate)
import Accelerate
#else
import COpenBLAS
#endif

/// Matrix products through CBLAS: OpenBLAS on Linux (`COpenBLAS`), Accelerate on Apple platforms.
///
/// The first product applies ScoreKit's BLAS defaults (kernel and threads; see
/// `ScoreKitRuntime.configure()`).
public enum BLAS {
    /// `C = alpha · op(A) · op(B) + beta · C` for row-major matrices, where `op` transposes when asked.
    ///
    /// - Parameters:
    ///   - a: `[M, K]` (or `[K, M]` with `transposeA`), as a pointer to contiguous Float32 values.
    ///   - b: `[K, N]` (or `[N, K]` with `transposeB`).
    ///   - c: `[M, N]`, overwritten (or accumulated into when `beta ≠ 0`).
    public static func gemm(
        m: Int, n: Int, k: Int,
        _ a: UnsafePointer<Float>, transposeA: Bool = false,
        _ b: UnsafePointer<Float>, transposeB: Bool = false,
        _ c: UnsafeMutablePointer<Float>,
        alpha: Float = 1, beta: Float = 0
    ) {
        guard m > 0, n > 0 else { return }
        guard k > 0 else {
            if beta == 0 { c.update(repeating: 0, count: m * n) }
            return
        }
        BLASRuntime.ensureConfigured()
        let lda = transposeA ? m : k
        let ldb = transposeB ? k : n
        cblas_sgemm(CblasRowMajor,
                    transposeA ? CblasTrans : CblasNoTrans,
                    transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(n))
    }
}

extension BLAS {
    /// `C = op(A) · op(B)` in Float64 for row-major matrices (exact models compute in Float64).
    public static func gemm(
        m: Int, n: Int, k: Int,
        _ a: UnsafePointer<Double>, transposeA: Bool = false,
        _ b: UnsafePointer<Double>, transposeB: Bool = false,
        _ c: UnsafeMutablePointer<Double>,
        alpha: Double = 1, beta: Double = 0
    ) {
        guard m > 0, n > 0, k > 0 else { return }
        BLASRuntime.ensureConfigured()
        cblas_dgemm(CblasRowMajor,
                    transposeA ? CblasTrans : CblasNoTrans,
                    transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(transposeA ? m : k),
                    b, Int32(transposeB ? k : n), beta, c, Int32(n))
    }
}

extension Tensor {
    /// The matrix product `self · other` of `[M, K]` and `[K, N]` tensors (optionally transposed).
    public func matmul(_ other: Tensor, transposeSelf: Bool = false, transposeOther: Bool = false) -> Tensor {
        precondition(shape.count == 2 && other.shape.count == 2, "matmul: both operands must be 2-D")
        let (m, k) = transposeSelf ? (shape[1], shape[0]) : (shape[0], shape[1])
        let (k2, n) = transposeOther ? (other.shape[1], other.shape[0]) : (other.shape[0], other.shape[1])
        precondition(k == k2, "matmul: inner dimensions differ: \(shape) · \(other.shape)")
        guard m > 0, n > 0, k > 0 else { return Tensor(zeros: [m, n]) }
        var out = [Float](repeating: 0, count: m * n)
        scalars.withUnsafeBufferPointer { pa in
            other.scalars.withUnsafeBufferPointer { pb in
                out.withUnsafeMutableBufferPointer { pc in
                    BLAS.gemm(m: m, n: n, k: k, pa.baseAddress!, transposeA: transposeSelf,
                              pb.baseAddress!, transposeB: transposeOther, pc.baseAddress!)
                }
            }
        }
        return Tensor(shape: [m, n], scalars: out)
    }
}
