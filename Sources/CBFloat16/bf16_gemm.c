#include "CBFloat16.h"

#if defined(__x86_64__)

#include <immintrin.h>
#include <string.h>

#define BF16_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))

int weft_bf16_supported(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bf16");
}

static int pairs(int k) { return (k + 1) / 2; }

int64_t weft_bf16_packed_a_count(int m, int k) {
    int64_t blocks = (m + WEFT_BF16_ROWS - 1) / WEFT_BF16_ROWS;
    return blocks * pairs(k) * WEFT_BF16_ROWS;
}

int weft_bf16_packed_b_stride(int n) {
    return (n + WEFT_BF16_COLUMNS - 1) / WEFT_BF16_COLUMNS * WEFT_BF16_COLUMNS;
}

/// float32 → bfloat16 bits, rounding to nearest even (NaN stays a NaN), as `vcvtneps2bf16` does
/// for normal numbers (it flushes subnormals to zero; `vdpbf16ps` treats them as zero either way).
static uint32_t to_bf16(float value) {
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return (bits >> 16) | 0x40u;
    return (bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16;
}

void weft_bf16_pack_a(const float *a, int m, int k, int lda, uint32_t *packed) {
    int kp = pairs(k), blocks = (m + WEFT_BF16_ROWS - 1) / WEFT_BF16_ROWS;
    for (int block = 0; block < blocks; block++) {
        for (int p = 0; p < kp; p++) {
            uint32_t *target = packed + ((int64_t)block * kp + p) * WEFT_BF16_ROWS;
            for (int r = 0; r < WEFT_BF16_ROWS; r++) {
                int row = block * WEFT_BF16_ROWS + r;
                if (row >= m) { target[r] = 0; continue; }
                const float *source = a + (int64_t)row * lda + 2 * p;
                uint32_t low = to_bf16(source[0]), high = 2 * p + 1 < k ? to_bf16(source[1]) : 0;
                target[r] = low | high << 16;
            }
        }
    }
}

/// The 32 words of `both` (row 2p's 16 bfloat16 values, then row 2p + 1's) as 16 pairs
/// (row 2p's value low, row 2p + 1's high), one per column.
BF16_TARGET
static __m512i interleaved(__m512i both) {
    __m512i order = _mm512_set_epi16(
        31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8,
        23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    return _mm512_permutexvar_epi16(order, both);
}

BF16_TARGET
void weft_bf16_pack_b(const float *b, int k, int n, int ldb, uint32_t *packed) {
    int kp = pairs(k), stride = weft_bf16_packed_b_stride(n);
    for (int p = 0; p < kp; p++) {
        const float *even = b + (int64_t)(2 * p) * ldb;
        const float *odd = 2 * p + 1 < k ? even + ldb : NULL;
        uint32_t *target = packed + (int64_t)p * stride;
        for (int j = 0; j < stride; j += 16) {
            __mmask16 valid = j + 16 <= n ? 0xffff : j < n ? (__mmask16)((1u << (n - j)) - 1) : 0;
            __m512 low = _mm512_maskz_loadu_ps(valid, even + j);
            __m512 high = odd ? _mm512_maskz_loadu_ps(valid, odd + j) : _mm512_setzero_ps();
            // One instruction rounds both rows: the low 16 words from `low`, the high from `high`.
            __m512i both = (__m512i)_mm512_cvtne2ps_pbh(high, low);
            _mm512_storeu_si512(target + j, interleaved(both));
        }
    }
}

/// One block of 8 rows and 16·VECTORS columns of C from 8 packed rows of A and the packed
/// columns of B; `rows` (1…8) and `columns` (1…16·VECTORS) of it are stored.
#define DEFINE_BLOCK(VECTORS)                                                                        \
    BF16_TARGET                                                                                      \
    static void block_8x##VECTORS(int kp, const uint32_t *a, const uint32_t *b, int stride, float *c, \
                                  int ldc, int rows, int columns, int accumulate) {                  \
        __m512 acc[WEFT_BF16_ROWS][VECTORS];                                                         \
        for (int r = 0; r < WEFT_BF16_ROWS; r++)                                                     \
            for (int v = 0; v < VECTORS; v++) acc[r][v] = _mm512_setzero_ps();                       \
        for (int p = 0; p < kp; p++) {                                                               \
            const uint32_t *row = b + (int64_t)p * stride;                                           \
            __m512bh columns_of_b[VECTORS];                                                          \
            for (int v = 0; v < VECTORS; v++) columns_of_b[v] = (__m512bh)_mm512_loadu_si512(row + 16 * v); \
            const uint32_t *pair = a + (int64_t)p * WEFT_BF16_ROWS;                                  \
            _Pragma("clang loop unroll(full)")                                                       \
            for (int r = 0; r < WEFT_BF16_ROWS; r++) {                                               \
                __m512bh broadcast = (__m512bh)_mm512_set1_epi32((int)pair[r]);                      \
                for (int v = 0; v < VECTORS; v++)                                                    \
                    acc[r][v] = _mm512_dpbf16_ps(acc[r][v], broadcast, columns_of_b[v]);             \
            }                                                                                        \
        }                                                                                            \
        for (int r = 0; r < rows; r++) {                                                             \
            float *target = c + (int64_t)r * ldc;                                                    \
            for (int v = 0; v < VECTORS; v++) {                                                      \
                int first = 16 * v;                                                                  \
                if (first >= columns) break;                                                         \
                __mmask16 mask = first + 16 <= columns ? 0xffff : (__mmask16)((1u << (columns - first)) - 1); \
                __m512 value = acc[r][v];                                                            \
                if (accumulate) value = _mm512_add_ps(value, _mm512_maskz_loadu_ps(mask, target + first)); \
                _mm512_mask_storeu_ps(target + first, mask, value);                                  \
            }                                                                                        \
        }                                                                                            \
    }

DEFINE_BLOCK(1)
DEFINE_BLOCK(2)
DEFINE_BLOCK(3)

void weft_bf16_gemm(int m, int n, int k, const uint32_t *packed_a, const uint32_t *packed_b,
                    float *c, int ldc, int accumulate) {
    int kp = pairs(k), stride = weft_bf16_packed_b_stride(n);
    for (int j = 0; j < n; j += WEFT_BF16_COLUMNS) {
        // The last block of columns takes only the vectors it needs.
        int columns = n - j < WEFT_BF16_COLUMNS ? n - j : WEFT_BF16_COLUMNS, vectors = (columns + 15) / 16;
        for (int i = 0; i < m; i += WEFT_BF16_ROWS) {
            int rows = m - i < WEFT_BF16_ROWS ? m - i : WEFT_BF16_ROWS;
            const uint32_t *a = packed_a + (int64_t)(i / WEFT_BF16_ROWS) * kp * WEFT_BF16_ROWS;
            float *target = c + (int64_t)i * ldc + j;
            if (vectors == 3) block_8x3(kp, a, packed_b + j, stride, target, ldc, rows, columns, accumulate);
            else if (vectors == 2) block_8x2(kp, a, packed_b + j, stride, target, ldc, rows, columns, accumulate);
            else block_8x1(kp, a, packed_b + j, stride, target, ldc, rows, columns, accumulate);
        }
    }
}

#else  // No AVX-512 BF16 off x86-64: `weft_bf16_supported` says so and nothing else may be called.

int weft_bf16_supported(void) { return 0; }
int64_t weft_bf16_packed_a_count(int m, int k) { return (int64_t)((m + 7) / 8) * ((k + 1) / 2) * 8; }
int weft_bf16_packed_b_stride(int n) { return (n + 47) / 48 * 48; }
void weft_bf16_pack_a(const float *a, int m, int k, int lda, uint32_t *packed) { __builtin_trap(); }
void weft_bf16_pack_b(const float *b, int k, int n, int ldb, uint32_t *packed) { __builtin_trap(); }
void weft_bf16_gemm(int m, int n, int k, const uint32_t *packed_a, const uint32_t *packed_b,
                    float *c, int ldc, int accumulate) { __builtin_trap(); }

#endif
