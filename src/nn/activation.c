/* activation.c — a = f(z) and its derivative, for every activation.
 * Matrices are n rows × L->units columns, row-major; the _block forms
 * work on any block of them, so that the matrix products can apply them
 * to each tile of their result while it is in cache (see nn.c). */
#include "nn/nn.h"
#include <math.h>

/* σ(z) without overflow: for z < 0 use e^z / (1 + e^z), which never
 * evaluates e^{−z} for large −z. */
static inline float sigmoid(float z)
{
    if (z >= 0) return 1.0f / (1.0f + expf(-z));
    float e = expf(z);
    return e / (1.0f + e);
}

/* Softmax of one row, shifted by its maximum so that e^{z−max} ≤ 1;
 * returns log Σ e^z.  The largest term is exactly 1, so the sum (and its
 * log, the loss of a confident row) keeps its relative precision. */
static double softmax_row(const float *z, float *a, int k)
{
    float mx = z[0];
    for (int j = 1; j < k; j++) if (z[j] > mx) mx = z[j];
    double sum = 0;
    for (int j = 0; j < k; j++) { a[j] = expf(z[j] - mx); sum += a[j]; }
    float inv = (float)(1.0 / sum);
    for (int j = 0; j < k; j++) a[j] *= inv;
    return log(sum) + mx;
}

#if (defined(__x86_64__) || defined(__i386__)) && \
    (defined(__GNUC__) || defined(__clang__))
#include "kernels/simd.h"
#define WIDE 1

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
#endif

void dn_softmax_rows(const float *z, float *a, double *lse, int n, int k)
{
#ifdef WIDE
    if (dn_simd_wide()) {
        for (int r = 0; r < n; r++) {
            double l = softmax_row_wide(z + (long)r * k, a + (long)r * k, k);
            if (lse) lse[r] = l;
        }
        return;
    }
#endif
    for (int r = 0; r < n; r++) {
        double l = softmax_row(z + (long)r * k, a + (long)r * k, k);
        if (lse) lse[r] = l;
    }
}

#ifdef WIDE
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
#endif

/* f over one block of rows × cols at row stride ld, z (+)= b first.
 * Plain loops with no call inside, so that compilers vectorize them. */
void dn_act_forward_block(const dn_layer *L, const float *slope,
                          const float *b, float *z, float *a, ptrdiff_t ld,
                          int rows, int cols)
{
#ifdef WIDE
    if (L->act == DN_ACT_RELU && dn_simd_wide()) {
        relu_forward_wide(b, z, a, ld, rows, cols);
        return;
    }
#endif
    const float alpha = L->alpha;
    for (int r = 0; r < rows; r++, z += ld, a += ld) {
        if (b)
            for (int j = 0; j < cols; j++) z[j] += b[j];
        switch (L->act) {
        case DN_ACT_IDENTITY:
            if (a != z) for (int j = 0; j < cols; j++) a[j] = z[j];
            break;
        case DN_ACT_SIGMOID:
            for (int j = 0; j < cols; j++) a[j] = sigmoid(z[j]);
            break;
        case DN_ACT_TANH:
            for (int j = 0; j < cols; j++) a[j] = tanhf(z[j]);
            break;
        case DN_ACT_RELU:
            for (int j = 0; j < cols; j++) a[j] = z[j] > 0 ? z[j] : 0.0f;
            break;
        case DN_ACT_LEAKY_RELU:
            for (int j = 0; j < cols; j++)
                a[j] = z[j] > 0 ? z[j] : alpha * z[j];
            break;
        case DN_ACT_PRELU:
            for (int j = 0; j < cols; j++)
                a[j] = z[j] > 0 ? z[j] : slope[j] * z[j];
            break;
        default:   /* softmax needs whole rows: dn_act_forward */
            break;
        }
    }
}

void dn_act_forward(const dn_layer *L, const float *slope, const float *z,
                    float *a, int n)
{
    const int k = L->units;
    if (L->act == DN_ACT_SOFTMAX) {
        dn_softmax_rows(z, a, NULL, n, k);
        return;
    }
    /* No bias, so z is only read. */
    dn_act_forward_block(L, slope, NULL, (float *)z, a, k, n, k);
}

int dn_act_blockwise(dn_act act)
{
    return act != DN_ACT_PRELU && act != DN_ACT_SOFTMAX;
}

void dn_act_backward_block(const dn_layer *L, const float *z, const float *a,
                           const float *mask, float *d, ptrdiff_t ld,
                           int rows, int cols)
{
#ifdef WIDE
    if (L->act == DN_ACT_RELU && dn_simd_wide()) {
        relu_backward_wide(z, mask, d, ld, rows, cols);
        return;
    }
#endif
    const float alpha = L->alpha;
    for (int r = 0; r < rows; r++, z += ld, a += ld, d += ld) {
        if (mask) {
            for (int j = 0; j < cols; j++) d[j] *= mask[j];
            mask += ld;
        }
        switch (L->act) {
        case DN_ACT_SIGMOID:
            for (int j = 0; j < cols; j++) d[j] *= a[j] * (1.0f - a[j]);
            break;
        case DN_ACT_TANH:
            for (int j = 0; j < cols; j++) d[j] *= 1.0f - a[j] * a[j];
            break;
        case DN_ACT_RELU:
            for (int j = 0; j < cols; j++) d[j] = z[j] > 0 ? d[j] : 0.0f;
            break;
        case DN_ACT_LEAKY_RELU:
            for (int j = 0; j < cols; j++)
                d[j] = z[j] > 0 ? d[j] : alpha * d[j];
            break;
        default:   /* identity: f' = 1; PReLU, softmax: dn_act_backward */
            break;
        }
    }
}

void dn_act_backward(const dn_layer *L, const float *slope, const float *z,
                     const float *a, float *d, float *dslope, int n)
{
    const int k = L->units;
    switch (L->act) {
    case DN_ACT_PRELU:
        for (int j = 0; j < k; j++) dslope[j] = 0;
        for (int r = 0; r < n; r++) {
            const float *zr = z + (long)r * k;
            float *dr = d + (long)r * k;
            for (int j = 0; j < k; j++) {
                if (zr[j] > 0) continue;
                dslope[j] += dr[j] * zr[j];   /* ∂a/∂alpha = z where z ≤ 0 */
                dr[j] *= slope[j];
            }
        }
        break;
    case DN_ACT_SOFTMAX:
        /* Full Jacobian product: dz = a ⊙ (da − Σ_j da_j a_j).  Training
         * never takes this path (softmax always pairs with CE, whose
         * output delta skips it), but it keeps the function total. */
        for (int r = 0; r < n; r++) {
            const float *ar = a + (long)r * k;
            float *dr = d + (long)r * k;
            double dot = 0;
            for (int j = 0; j < k; j++) dot += (double)dr[j] * ar[j];
            for (int j = 0; j < k; j++) dr[j] = ar[j] * (dr[j] - (float)dot);
        }
        break;
    default:
        dn_act_backward_block(L, z, a, NULL, d, k, n, k);
        break;
    }
}
