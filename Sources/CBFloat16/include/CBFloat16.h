#ifndef WEFT_CBFLOAT16_H
#define WEFT_CBFLOAT16_H

#include <stdint.h>

/// bfloat16 matrix products with float32 accumulation on CPUs with AVX-512 BF16 (`vdpbf16ps`),
/// for the products of Winograd's convolution. Operands are rounded to bfloat16 (round to nearest
/// even) as they are packed; products of two bfloat16 values are exact in float32 and are summed
/// in float32, two per lane and instruction.

/// Whether this CPU runs the kernels below (AVX-512 F, BW, VL and BF16). Calling them
/// elsewhere is undefined.
int weft_bf16_supported(void);

/// Rows of A per block of the packed layout and of the kernel; columns of B per block.
enum { WEFT_BF16_ROWS = 8, WEFT_BF16_COLUMNS = 48 };

/// 32-bit words `weft_bf16_pack_a` writes for an m×k matrix:
/// ceil(m/8) blocks of ceil(k/2) pairs of 8 rows.
int64_t weft_bf16_packed_a_count(int m, int k);

/// Packs row-major A (m×k, row stride lda) as bfloat16 pairs: word [block][p][r] holds
/// A[8·block + r, 2p] in its low half and A[8·block + r, 2p + 1] in its high half; rows past m
/// and the column past an odd k are zero.
void weft_bf16_pack_a(const float *a, int m, int k, int lda, uint32_t *packed);

/// Words of one row of packed B for n columns: n rounded up to a multiple of 48.
int weft_bf16_packed_b_stride(int n);

/// Packs row-major B (k×n, row stride ldb) as bfloat16 pairs of rows: word [p][j] holds
/// B[2p, j] low and B[2p + 1, j] high, rows of `weft_bf16_packed_b_stride(n)` words whose
/// columns past n are zero; the row past an odd k is zero.
void weft_bf16_pack_b(const float *b, int k, int n, int ldb, uint32_t *packed);

/// C (m×n, row-major, row stride ldc) = A · B from `weft_bf16_pack_a` and `weft_bf16_pack_b`
/// of the same k: overwritten, or added onto when `accumulate` is non-zero.
void weft_bf16_gemm(int m, int n, int k, const uint32_t *packed_a, const uint32_t *packed_b,
                    float *c, int ldc, int accumulate);

#endif
