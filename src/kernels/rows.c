/* rows.c — input rows as the network takes them: IDX bytes made floats
 * (b / 255, as the IDX reader has always converted them) and the model's
 * standardization x' = (x − μ) · (1/σ), in one pass over the row.
 *
 * Every mini-batch gathers its rows through here, so this is a hot loop
 * (a W1 step of the benchmarks converts 32 × 784 values).  The division
 * b / 255.0f is what makes the plain loop slow: a vector division issues
 * every few cycles.  The wide path computes the same correctly rounded
 * quotient with two fused multiply-adds instead (AVX-512 and AVX2 alike): q = b · (1/255) is
 * within an ulp, e = b − 255 q is exact (an FMA residual), and q + e ·
 * (1/255) rounds to b / 255 — for all 256 bytes, which the tests check
 * one by one (test_data).  The subtraction and the product stay separate
 * operations, as in the plain loop, so both paths give the same bits. */
#include "kernels/vec.h"
#include "kernels/gemm.h"
#include "kernels/target.h"

#include <string.h>

DN_UNFUSED

static void u8_plain(const uint8_t *restrict x, const float *restrict mean,
                     const float *restrict inv, float *restrict o, int d)
{
    if (mean)
        for (int j = 0; j < d; j++) o[j] = (dn_u8_float(x[j]) - mean[j]) * inv[j];
    else
        for (int j = 0; j < d; j++) o[j] = dn_u8_float(x[j]);
}

static void f32_plain(const float *restrict x, const float *restrict mean,
                      const float *restrict inv, float *restrict o, int d)
{
    for (int j = 0; j < d; j++) o[j] = (x[j] - mean[j]) * inv[j];
}

#ifdef DN_X86
#include <immintrin.h>
#define WIDE 1

__attribute__((target("avx512f")))
static void u8_wide(const uint8_t *restrict x, const float *restrict mean,
                    const float *restrict inv, float *restrict o, int d)
{
    const __m512 r = _mm512_set1_ps(1.0f / 255.0f), c = _mm512_set1_ps(255.0f);
    int j = 0;
    for (; j + 16 <= d; j += 16) {
        __m128i b = _mm_loadu_si128((const __m128i *)(x + j));
        __m512 v = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(b));
        __m512 q = _mm512_mul_ps(v, r);
        q = _mm512_fmadd_ps(_mm512_fnmadd_ps(q, c, v), r, q);   /* = v / 255 */
        if (mean)
            q = _mm512_mul_ps(_mm512_sub_ps(q, _mm512_loadu_ps(mean + j)),
                              _mm512_loadu_ps(inv + j));
        _mm512_storeu_ps(o + j, q);
    }
    /* The tail here, not by a call to the plain loop: gcc then leaves
     * out the vzeroupper of the return (a tail call), and the caller's
     * SSE code ran at half speed with the upper halves dirty. */
    for (; j < d; j++)
        o[j] = mean ? (dn_u8_float(x[j]) - mean[j]) * inv[j]
                    : dn_u8_float(x[j]);
}

/* The same two on AVX2 with FMA, eight values at a time (a CPU without
 * AVX-512): the same operations, so the same bits.  Written out, not the
 * plain loops compiled for AVX2: on a Zen 3, a 784-value row took 159 ns
 * (bytes) and 92 ns (floats) so, against 249 and 292 ns for the plain
 * loops and 162 ns for the float loop compiled for AVX2. */
__attribute__((target("avx2,fma")))
static void u8_avx2(const uint8_t *restrict x, const float *restrict mean,
                    const float *restrict inv, float *restrict o, int d)
{
    const __m256 r = _mm256_set1_ps(1.0f / 255.0f), c = _mm256_set1_ps(255.0f);
    int j = 0;
    for (; j + 8 <= d; j += 8) {
        __m128i b = _mm_loadl_epi64((const __m128i *)(x + j));
        __m256 v = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(b));
        __m256 q = _mm256_mul_ps(v, r);
        q = _mm256_fmadd_ps(_mm256_fnmadd_ps(q, c, v), r, q);   /* = v / 255 */
        if (mean)
            q = _mm256_mul_ps(_mm256_sub_ps(q, _mm256_loadu_ps(mean + j)),
                              _mm256_loadu_ps(inv + j));
        _mm256_storeu_ps(o + j, q);
    }
    for (; j < d; j++)   /* the tail here, as in u8_wide */
        o[j] = mean ? (dn_u8_float(x[j]) - mean[j]) * inv[j]
                    : dn_u8_float(x[j]);
}

__attribute__((target("avx2")))
static void f32_avx2(const float *restrict x, const float *restrict mean,
                     const float *restrict inv, float *restrict o, int d)
{
    int j = 0;
    for (; j + 8 <= d; j += 8)
        _mm256_storeu_ps(o + j, _mm256_mul_ps(
            _mm256_sub_ps(_mm256_loadu_ps(x + j), _mm256_loadu_ps(mean + j)),
            _mm256_loadu_ps(inv + j)));
    for (; j < d; j++) o[j] = (x[j] - mean[j]) * inv[j];
}

__attribute__((target("avx512f")))
static void f32_wide(const float *restrict x, const float *restrict mean,
                     const float *restrict inv, float *restrict o, int d)
{
    int j = 0;
    for (; j + 16 <= d; j += 16)
        _mm512_storeu_ps(o + j, _mm512_mul_ps(
            _mm512_sub_ps(_mm512_loadu_ps(x + j), _mm512_loadu_ps(mean + j)),
            _mm512_loadu_ps(inv + j)));
    for (; j < d; j++) o[j] = (x[j] - mean[j]) * inv[j];
}
#endif

void dn_row_u8(const uint8_t *x, const float *mean, const float *inv,
               float *o, int d)
{
#ifdef WIDE
#ifndef NOWIDE
    if (dn_simd_wide()) {   /* isa: avx512f */
        u8_wide(x, mean, inv, o, d);
        return;
    }
    if (dn_simd_avx2()) {
        u8_avx2(x, mean, inv, o, d);
        return;
    }
#endif
#endif
    u8_plain(x, mean, inv, o, d);
}

void dn_row_f32(const float *x, const float *mean, const float *inv,
                float *o, int d)
{
    if (!mean) {
        if (o != x) memcpy(o, x, (size_t)d * sizeof *o);
        return;
    }
#ifdef WIDE
    if (dn_simd_wide()) {   /* isa: avx512f */
        f32_wide(x, mean, inv, o, d);
        return;
    }
    if (dn_simd_avx2()) {
        f32_avx2(x, mean, inv, o, d);
        return;
    }
#endif
    f32_plain(x, mean, inv, o, d);
}
