import COpenBLAS
import Dispatch

/// Single-precision matrix multiply on OpenBLAS: the only place in Weft that calls BLAS.
///
/// OpenBLAS always runs on the calling thread; the engine splits a large product across its own
/// threads (row or column blocks of `C`, a fixed partition). One pool of threads for everything
/// means no OpenBLAS worker spins on a core while the engine's per-image loops want it.
public enum Gemm {
    /// `C = alpha * op(A) * op(B) + beta * C` on row-major matrices, where `op(A)` is `[m, k]`,
    /// `op(B)` is `[k, n]` and `C` is `[m, n]`; `op` transposes when asked. `lda`, `ldb`, `ldc`
    /// are the row strides of the stored (untransposed) matrices. Matches `cblas_sgemm`.
    ///
    /// With more than one engine thread, outside a parallel loop, and at least
    /// `splitThreshold` multiply-adds, the rows of `C` (or its columns, when there are more of
    /// them) are split into one block per thread.
    public static func multiply(
        transposeA: Bool = false, transposeB: Bool = false,
        m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        if k == 0 {
            // BLAS leaves C untouched when k is 0 only for beta 1; make the empty sum explicit.
            for row in 0..<m {
                for column in 0..<n { c[row * ldc + column] = beta == 0 ? 0 : c[row * ldc + column] * beta }
            }
            return
        }
        let threads = Parallel.threadCount
        guard threads > 1, !insideParallelLoop, m * n * k >= splitThreshold else {
            return sgemm(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
        }
        let splitsRows = m >= n
        let chunks = min(threads, (splitsRows ? m : n) / 8)
        guard chunks > 1 else { return sgemm(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) }
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            if splitsRows {
                let first = chunk * m / chunks, end = (chunk + 1) * m / chunks
                sgemm(
                    transposeA, transposeB, end - first, n, k, alpha, transposeA ? a + first : a + first * lda, lda,
                    b, ldb, beta, c + first * ldc, ldc)
            } else {
                let first = chunk * n / chunks, end = (chunk + 1) * n / chunks
                sgemm(
                    transposeA, transposeB, m, end - first, k, alpha, a, lda,
                    transposeB ? b + first * ldb : b + first, ldb, beta, c + first, ldc)
            }
        }
    }

    /// Products smaller than this many multiply-adds stay on the calling thread.
    static let splitThreshold = 1 << 20

    /// Set while the engine's threads each run their own products (`Parallel.forChunksWithOwnGemms`).
    nonisolated(unsafe) static var insideParallelLoop = false

    @inline(__always)
    private static func sgemm(
        _ transposeA: Bool, _ transposeB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
        _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
        _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int
    ) {
        cblas_sgemm(
            CblasRowMajor,
            transposeA ? CblasTrans : CblasNoTrans,
            transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha,
            a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Keeps OpenBLAS on the calling thread (done once, when the engine's thread count is set).
    static func useCallingThreadOnly() {
        openblas_set_num_threads(1)
    }
}
