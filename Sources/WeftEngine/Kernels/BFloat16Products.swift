import CBFloat16

/// Matrix products with bfloat16 operands and float32 sums on CPUs with AVX-512 BF16
/// (`vdpbf16ps`: 32 multiply-adds per instruction where float32's `vfmadd` does 16), for the
/// per-position products of `Winograd.convolve` under `training.precision` `"bf16"`. Both operands
/// are rounded to bfloat16 (8 significant bits, round to nearest even) as they are packed; each
/// product of two bfloat16 values is exact in float32 and the sums are float32, so each term of a
/// sum is off by at most 2⁻⁷ of its size, from its operands' rounding (`BFloat16ProductsTests`
/// bounds it against float64 products).
///
/// The kernels are in C (`CBFloat16`): Swift exposes no BF16 instructions.
public enum BFloat16Products {
    /// Whether this CPU has AVX-512 BF16 (with F, BW and VL); nothing here may run where it has not.
    public static let isSupported: Bool = weft_bf16_supported() != 0

    /// 32-bit words of `packA`'s output for an `m × k` matrix.
    public static func packedCount(rows m: Int, depth k: Int) -> Int {
        Int(weft_bf16_packed_a_count(Int32(m), Int32(k)))
    }

    /// 32-bit words of `packB`'s output for a `k × n` matrix.
    public static func packedCount(depth k: Int, columns n: Int) -> Int {
        (k + 1) / 2 * Int(weft_bf16_packed_b_stride(Int32(n)))
    }

    /// Packs row-major `a` `[m, k]` (row stride `lda`) as bfloat16 pairs for `multiply`.
    /// `packed` holds `packedCount(rows: m, depth: k)` words.
    public static func packA(
        _ a: UnsafePointer<Float>, rows m: Int, depth k: Int, lda: Int, into packed: UnsafeMutableRawPointer
    ) {
        precondition(isSupported, "BFloat16Products: this CPU has no AVX-512 BF16")
        weft_bf16_pack_a(a, Int32(m), Int32(k), Int32(lda), packed.assumingMemoryBound(to: UInt32.self))
    }

    /// Packs row-major `b` `[k, n]` (row stride `ldb`) as bfloat16 pairs of rows for `multiply`.
    /// `packed` holds `packedCount(depth: k, columns: n)` words.
    public static func packB(
        _ b: UnsafePointer<Float>, depth k: Int, columns n: Int, ldb: Int, into packed: UnsafeMutableRawPointer
    ) {
        precondition(isSupported, "BFloat16Products: this CPU has no AVX-512 BF16")
        weft_bf16_pack_b(b, Int32(k), Int32(n), Int32(ldb), packed.assumingMemoryBound(to: UInt32.self))
    }

    /// `c` `[m, n]` (row stride `ldc`) = `a · b` from `packA` (`[m, k]`) and `packB` (`[k, n]`),
    /// or `c += a · b` when `accumulate`. Single-threaded: callers split the work.
    public static func multiply(
        rows m: Int, columns n: Int, depth k: Int, a: UnsafeRawPointer, b: UnsafeRawPointer,
        c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool = false
    ) {
        precondition(isSupported, "BFloat16Products: this CPU has no AVX-512 BF16")
        weft_bf16_gemm(
            Int32(m), Int32(n), Int32(k), a.assumingMemoryBound(to: UInt32.self),
            b.assumingMemoryBound(to: UInt32.self), c, Int32(ldc), accumulate ? 1 : 0)
    }
}
