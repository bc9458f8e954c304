/* vec.c — the AVX-512 and AVX2 paths of the hot loops of src/nn:
 * softmax rows (AVX-512 only), the ReLU blocks of the products'
 * epilogues, the bias gradient's column sums and the gradient's sum of
 * squares.
 * Each does what the plain loop beside its caller does, to the bit (the
 * tests compare the two paths: test_wide, test_grad), and says so by
 * returning 1; it returns 0 where this CPU, or DESCENT_GEMM, gives no
 * wide path, and the caller runs its plain loop. */
#include "kernels/vec.h"
#include "kernels/gemm.h"
#include "kernels/target.h"
#include <math.h>

/* Products and sums rounded one by one, never fused, as in the plain
 * loops. */
DN_UNFUSED

#ifdef DN_X86
#include "kernels/simd.h"

/* e^t for t ≤ 0, sixteen at a time: t = m ln 2 + r with |r| ≤ ln 2 / 2
 * (ln 2 in two parts, so that r is exact), e^r by the minimax polynomial
 * of the Cephes library's expf, then scaled by 2^m.  Within 2 ulp of
 * expf (tests/test_wide.c measures the softmax it serves).  Below
 * −87, where e^t is subnormal, it gives e^−87 ≈ 1.6e−38: next to the
 * row's largest term, 1, that is nothing.  NaN stays NaN (max keeps its
 * second operand when either is NaN). */
__attribute__((target("avx512f")))
static inline __m512 exp_neg(__m512 t)
{
    t = _mm512_max_ps(_mm512_set1_ps(-87.0f), t);
    __m512 m = _mm512_roundscale_ps(
        _mm512_mul_ps(t, _mm512_set1_ps(1.44269504088896341f)),
        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(m, _mm512_set1_ps(0.693359375f), t);
    r = _mm512_fnmadd_ps(m, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r);
    p = _mm512_add_ps(p, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, m);
}

/* softmax_row sixteen columns at a time: the same steps (maximum, e^{z −
 * max} with its sum in double, one reciprocal, log of the sum), with the
 * sum's terms added in a tree instead of in column order. */
__attribute__((target("avx512f")))
static double softmax_row_wide(const float *z, float *a, int k)
{
    const __m512 lo = _mm512_set1_ps(-INFINITY);
    __m512 vm = lo;
    for (int j = 0; j < k; j += 16) {
        __mmask16 m = dn_lanes(k - j);
        vm = _mm512_max_ps(vm, _mm512_mask_loadu_ps(lo, m, z + j));
    }
    const float mx = _mm512_reduce_max_ps(vm);
    const __m512 vmx = _mm512_set1_ps(mx);
    __m512d s = _mm512_setzero_pd();
    for (int j = 0; j < k; j += 16) {
        __mmask16 m = dn_lanes(k - j);
        __m512 e = exp_neg(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, z + j), vmx));
        e = _mm512_maskz_mov_ps(m, e);
        _mm512_mask_storeu_ps(a + j, m, e);
        s = _mm512_add_pd(s, _mm512_cvtps_pd(_mm512_castps512_ps256(e)));
        s = _mm512_add_pd(s, _mm512_cvtps_pd(_mm256_castpd_ps(
                _mm512_extractf64x4_pd(_mm512_castps_pd(e), 1))));
    }
    const double sum = _mm512_reduce_add_pd(s);
    const __m512 inv = _mm512_set1_ps((float)(1.0 / sum));
    for (int j = 0; j < k; j += 16) {
        __mmask16 m = dn_lanes(k - j);
        _mm512_mask_storeu_ps(a + j, m,
                              _mm512_mul_ps(_mm512_maskz_loadu_ps(m, a + j), inv));
    }
    return log(sum) + mx;
}

/* The ReLU blocks sixteen columns at a time: z += b, a = z > 0 ? z : 0
 * forward; d ⊙= mask, d = z > 0 ? d : 0 backward — the plain loops'
 * operations one for one (NaN and −0 give 0 as there), so the same bits.
 * The plain loops, which may not assume that a and z differ, ran at SSE
 * width: 2.5% of a W2 step. */

__attribute__((target("avx512f")))
static void relu_forward_wide(const float *b, float *z, float *a,
                              ptrdiff_t ld, int rows, int cols)
{
    const __m512 zero = _mm512_setzero_ps();
    for (int r = 0; r < rows; r++, z += ld, a += ld)
        for (int j = 0; j < cols; j += 16) {
            __mmask16 m = dn_lanes(cols - j);
            __m512 v = _mm512_maskz_loadu_ps(m, z + j);
            if (b) {
                v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, b + j));
                _mm512_mask_storeu_ps(z + j, m, v);
            }
            __mmask16 pos = _mm512_cmp_ps_mask(v, zero, _CMP_GT_OQ);
            _mm512_mask_storeu_ps(a + j, m, _mm512_maskz_mov_ps(pos, v));
        }
}

__attribute__((target("avx512f")))
static void relu_backward_wide(const float *z, const float *mask, float *d,
                               ptrdiff_t ld, int rows, int cols)
{
    const __m512 zero = _mm512_setzero_ps();
    for (int r = 0; r < rows; r++, z += ld, d += ld) {
        for (int j = 0; j < cols; j += 16) {
            __mmask16 m = dn_lanes(cols - j);
            __m512 v = _mm512_maskz_loadu_ps(m, d + j);
            if (mask)
                v = _mm512_mul_ps(v, _mm512_maskz_loadu_ps(m, mask + j));
            __mmask16 pos = _mm512_cmp_ps_mask(_mm512_maskz_loadu_ps(m, z + j),
                                               zero, _CMP_GT_OQ);
            _mm512_mask_storeu_ps(d + j, m, _mm512_maskz_mov_ps(pos, v));
        }
        if (mask) mask += ld;
    }
}

__attribute__((target("avx512f")))
static void col_sums_wide(const float *d, int n, int cols, int ld,
                          float *out)
{
    for (int j = 0; j < cols; j += 16) {
        __mmask16 m = dn_lanes(cols - j);
        __m512 s = _mm512_setzero_ps();
        for (int r = 0; r < n; r++)
            s = _mm512_add_ps(s, _mm512_maskz_loadu_ps(m, d + (size_t)r * ld
                                                          + j));
        _mm512_mask_storeu_ps(out + j, m, s);
    }
}

/* The same three on AVX2, eight columns at a time (a CPU without
 * AVX-512: AMD's Zen 3, Intel's client cores), the last few columns one
 * by one: AMD's masked stores (vmaskmovps) are microcoded and made the
 * ReLU blocks slower than the plain loops.  The comparison keeps the
 * positive lanes of v and clears the rest, NaN included, as the plain
 * z > 0 ? z : 0 does. */
__attribute__((target("avx2")))
static void relu_forward_avx2(const float *b, float *z, float *a,
                              ptrdiff_t ld, int rows, int cols)
{
    const __m256 zero = _mm256_setzero_ps();
    for (int r = 0; r < rows; r++, z += ld, a += ld) {
        int j = 0;
        for (; j + 8 <= cols; j += 8) {
            __m256 v = _mm256_loadu_ps(z + j);
            if (b) {
                v = _mm256_add_ps(v, _mm256_loadu_ps(b + j));
                _mm256_storeu_ps(z + j, v);
            }
            _mm256_storeu_ps(a + j, _mm256_and_ps(
                v, _mm256_cmp_ps(v, zero, _CMP_GT_OQ)));
        }
        for (; j < cols; j++) {
            if (b) z[j] += b[j];
            a[j] = z[j] > 0 ? z[j] : 0;
        }
    }
}

__attribute__((target("avx2")))
static void relu_backward_avx2(const float *z, const float *mask, float *d,
                               ptrdiff_t ld, int rows, int cols)
{
    const __m256 zero = _mm256_setzero_ps();
    for (int r = 0; r < rows; r++, z += ld, d += ld) {
        int j = 0;
        for (; j + 8 <= cols; j += 8) {
            __m256 v = _mm256_loadu_ps(d + j);
            if (mask) v = _mm256_mul_ps(v, _mm256_loadu_ps(mask + j));
            const __m256 pos = _mm256_cmp_ps(_mm256_loadu_ps(z + j), zero,
                                             _CMP_GT_OQ);
            _mm256_storeu_ps(d + j, _mm256_and_ps(v, pos));
        }
        for (; j < cols; j++) {
            const float v = mask ? d[j] * mask[j] : d[j];
            d[j] = z[j] > 0 ? v : 0;
        }
        if (mask) mask += ld;
    }
}

__attribute__((target("avx2")))
static void col_sums_avx2(const float *d, int n, int cols, int ld,
                          float *out)
{
    int j = 0;
    for (; j + 8 <= cols; j += 8) {
        __m256 s = _mm256_setzero_ps();
        for (int r = 0; r < n; r++)
            s = _mm256_add_ps(s, _mm256_loadu_ps(d + (size_t)r * ld + j));
        _mm256_storeu_ps(out + j, s);
    }
    for (; j < cols; j++) {
        float s = 0;
        for (int r = 0; r < n; r++) s += d[(size_t)r * ld + j];
        out[j] = s;
    }
}

/* norm2_loop in four registers of eight sums: register q, lane j holds
 * sum 8q + j (written out: gcc kept the plain loop's 32 sums in memory). */
__attribute__((target("avx512f")))
static double norm2_wide(const float *g, size_t n)
{
    __m512d s0 = _mm512_setzero_pd(), s1 = s0, s2 = s0, s3 = s0;
    size_t i = 0;
#define SQ(k) _mm512_mul_pd(_mm512_cvtps_pd(_mm256_loadu_ps(g + i + (k))), \
                            _mm512_cvtps_pd(_mm256_loadu_ps(g + i + (k))))
    for (; i + DN_SUM_SQ_LANES <= n; i += DN_SUM_SQ_LANES) {
        s0 = _mm512_add_pd(s0, SQ(0));
        s1 = _mm512_add_pd(s1, SQ(8));
        s2 = _mm512_add_pd(s2, SQ(16));
        s3 = _mm512_add_pd(s3, SQ(24));
    }
#undef SQ
    if (i < n) {   /* the tail into the same lanes; masked ones add 0 */
        const int r = (int)(n - i);
        const __mmask16 m0 = dn_lanes(r), m1 = dn_lanes(r - 16);
        const __m512 x0 = _mm512_maskz_loadu_ps(m0, g + i),
                     x1 = _mm512_maskz_loadu_ps(m1, g + i + 16);
#define LO(x) _mm512_cvtps_pd(_mm512_castps512_ps256(x))
#define HI(x) _mm512_cvtps_pd(_mm256_castpd_ps(                         \
                  _mm512_extractf64x4_pd(_mm512_castps_pd(x), 1)))
        __m512d y;
        y = LO(x0); s0 = _mm512_add_pd(s0, _mm512_mul_pd(y, y));
        y = HI(x0); s1 = _mm512_add_pd(s1, _mm512_mul_pd(y, y));
        y = LO(x1); s2 = _mm512_add_pd(s2, _mm512_mul_pd(y, y));
        y = HI(x1); s3 = _mm512_add_pd(s3, _mm512_mul_pd(y, y));
#undef LO
#undef HI
    }
    double s[DN_SUM_SQ_LANES];
    _mm512_storeu_pd(s, s0);
    _mm512_storeu_pd(s + 8, s1);
    _mm512_storeu_pd(s + 16, s2);
    _mm512_storeu_pd(s + 24, s3);
    for (int w = DN_SUM_SQ_LANES / 2; w > 0; w /= 2)
        for (int j = 0; j < w; j++) s[j] += s[j + w];
    return s[0];
}

/* The same sums in eight AVX2 registers of four (register q, lane j:
 * sum 4q + j), for the machines without AVX-512. */
__attribute__((target("avx2")))
static double norm2_avx2(const float *g, size_t n)
{
    __m256d s[8];
    for (int q = 0; q < 8; q++) s[q] = _mm256_setzero_pd();
    size_t i = 0;
    for (; i + DN_SUM_SQ_LANES <= n; i += DN_SUM_SQ_LANES)
        for (int q = 0; q < 8; q++) {
            __m256d x = _mm256_cvtps_pd(_mm_loadu_ps(g + i + 4 * q));
            s[q] = _mm256_add_pd(s[q], _mm256_mul_pd(x, x));
        }
    double t[DN_SUM_SQ_LANES];
    for (int q = 0; q < 8; q++) _mm256_storeu_pd(t + 4 * q, s[q]);
    for (int j = 0; i + j < n; j++) t[j] += (double)g[i + j] * g[i + j];
    for (int w = DN_SUM_SQ_LANES / 2; w > 0; w /= 2)
        for (int j = 0; j < w; j++) t[j] += t[j + w];
    return t[0];
}

/* Where this CPU (or DESCENT_GEMM) allows it, the wide form does the
 * work. */
int dn_vec_softmax_rows(const float *z, float *a, double *lse, int n, int k)
{
    if (!dn_simd_wide()) return 0;
    for (int r = 0; r < n; r++) {   /* isa: avx512f */
        double l = softmax_row_wide(z + (long)r * k, a + (long)r * k, k);
        if (lse) lse[r] = l;
    }
    return 1;   /* isa: avx512f */
}

int dn_vec_relu_forward(const float *b, float *z, float *a, ptrdiff_t ld,
                        int rows, int cols)
{
    if (dn_simd_wide()) relu_forward_wide(b, z, a, ld, rows, cols);
    else if (dn_simd_avx2()) relu_forward_avx2(b, z, a, ld, rows, cols);
    else return 0;
    return 1;
}

int dn_vec_relu_backward(const float *z, const float *mask, float *d,
                         ptrdiff_t ld, int rows, int cols)
{
    if (dn_simd_wide()) relu_backward_wide(z, mask, d, ld, rows, cols);
    else if (dn_simd_avx2()) relu_backward_avx2(z, mask, d, ld, rows, cols);
    else return 0;
    return 1;
}

int dn_vec_col_sums(const float *d, int n, int cols, int ld, float *out)
{
    if (dn_simd_wide()) col_sums_wide(d, n, cols, ld, out);
    else if (dn_simd_avx2()) col_sums_avx2(d, n, cols, ld, out);
    else return 0;
    return 1;
}

int dn_vec_sum_sq(const float *g, size_t n, double *s)
{
    if (dn_simd_wide()) *s = norm2_wide(g, n);
    else if (dn_simd_avx2()) *s = norm2_avx2(g, n);
    else return 0;
    return 1;
}

#else
/* No wide paths off x86: every caller runs its plain loop. */
int dn_vec_softmax_rows(const float *z, float *a, double *lse, int n, int k)
{
    (void)z; (void)a; (void)lse; (void)n; (void)k;
    return 0;
}

int dn_vec_relu_forward(const float *b, float *z, float *a, ptrdiff_t ld,
                        int rows, int cols)
{
    (void)b; (void)z; (void)a; (void)ld; (void)rows; (void)cols;
    return 0;
}

int dn_vec_relu_backward(const float *z, const float *mask, float *d,
                         ptrdiff_t ld, int rows, int cols)
{
    (void)z; (void)mask; (void)d; (void)ld; (void)rows; (void)cols;
    return 0;
}

int dn_vec_col_sums(const float *d, int n, int cols, int ld, float *out)
{
    (void)d; (void)n; (void)cols; (void)ld; (void)out;
    return 0;
}

int dn_vec_sum_sq(const float *g, size_t n, double *s)
{
    (void)g; (void)n; (void)s;
    return 0;
}
#endif
