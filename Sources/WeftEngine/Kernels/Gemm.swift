import COpenBLAS

/// Single-precision matrix multiply on OpenBLAS: the only place in Weft that calls BLAS.
public enum Gemm {
    /// `C = alpha * op(A) * op(B) + beta * C` on row-major matrices, where `op(A)` is `[m, k]`,
    /// `op(B)` is `[k, n]` and `C` is `[m, n]`; `op` transposes when asked. `lda`, `ldb`, `ldc`
    /// are the row strides of the stored (untransposed) matrices. Matches `cblas_sgemm`.
    @inline(__always)
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
            for row in 0..<m { for column in 0..<n { c[row * ldc + column] = beta == 0 ? 0 : c[row * ldc + column] * beta } }
            return
        }
        cblas_sgemm(CblasRowMajor,
                    transposeA ? CblasTrans : CblasNoTrans,
                    transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha,
                    a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Runs `body` with OpenBLAS on the calling thread only, for loops that already give each
    /// engine thread its own independent sgemm calls; restores the engine's thread count after.
    static func singleThreaded<Result>(_ body: () -> Result) -> Result {
        guard Parallel.threadCount > 1 else { return body() }
        openblas_set_num_threads(1)
        defer { openblas_set_num_threads(Int32(Parallel.threadCount)) }
        return body()
    }

    /// Sets the number of threads OpenBLAS uses.
    static func setThreadCount(_ count: Int) {
        openblas_set_num_threads(Int32(count))
    }
}
