/* activation.c — a = f(z) and its derivative, for every activation.
 * Matrices are n rows × L->units columns, row-major; the _block forms
 * work on any block of them, so that the matrix products can apply them
 * to each tile of their result while it is in cache (see nn.c). */
#include "nn/nn.h"
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The notes' activations a = f(z), one unit at a time. */

/* tanh(z) with no call in it, so that a row's loop vectorizes: glibc's
 * tanhf, one call per unit, was 78% of a small L-BFGS run on a tanh
 * network (bench/solvers/NOTES.md).  The method of Cephes' tanhf: below
 * |z| = 0.625 the odd polynomial |z| + |z|³ P(z²); above it
 * 1 − 2 / (e^{2|z|} + 1), with e^t = 2^m e^r (m the integer nearest
 * t / ln 2, found by adding and taking away 1.5 · 2^23; r = t − m ln 2,
 * ln 2 in two parts so that r is exact; e^r by expf's polynomial); the
 * sign of z put back.  From |z| = 9.01 tanh rounds to 1, so t stops at
 * 19 (|z| = 9.5) and 2^m stays normal.  Both arms are computed and one
 * is chosen: no branch, and every operation rounded on its own (gcc
 * fuses nothing under -std=c11), so the bits are the same at every
 * vector width and on every path.  Within 1.5 ulp of tanh (1.33 over
 * every float; tests/test_tanh.c); ±0 and ±∞ as tanh, NaN stays NaN.
 * gcc computes the far arm only where it is chosen, and under its
 * default -ftrapping-math will not run that division for every lane;
 * nothing here reads the floating-point flags, so this file lets it
 * (clang assumes so by default). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif
static inline float tanh_f(float z)
{
    const float x = fabsf(z), s = x * x;
    uint32_t ix;   /* x's bits: its comparisons as integers, never trapping */
    memcpy(&ix, &x, sizeof ix);
    float p = -5.70498872745e-3f;
    p = p * s + 2.06390887954e-2f;
    p = p * s - 5.37397155531e-2f;
    p = p * s + 1.33314422036e-1f;
    p = p * s - 3.33332819422e-1f;
    const float near0 = p * s * x + x;
    const float t = 2.0f * (ix < 0x41180000u ? x : 9.5f);   /* NaN: 19 */
    const float m = (t * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
    float r = t - m * 0.693359375f;
    r = r + m * 2.12194440e-4f;
    float q = 1.9875691500e-4f;
    q = q * r + 1.3981999507e-3f;
    q = q * r + 8.3334519073e-3f;
    q = q * r + 4.1665795894e-2f;
    q = q * r + 1.6666665459e-1f;
    q = q * r + 5.0000001201e-1f;
    q = q * (r * r) + r + 1.0f;
    const int32_t bits = ((int32_t)m + 127) * (1 << 23);
    float two_m;
    memcpy(&two_m, &bits, sizeof two_m);
    const float far0 = 1.0f - 2.0f / (q * two_m + 1.0f);
    const float y = copysignf(ix < 0x3F200000u ? near0 : far0, z); /* 0.625 */
    return ix > 0x7F800000u ? z : y;   /* a NaN as it came */
}

/* σ(z) without overflow: for z < 0 use e^z / (1 + e^z), which never
 * evaluates e^{−z} for large −z. */
static inline float sigmoid(float z)
{
    if (z >= 0) return 1.0f / (1.0f + expf(-z));
    float e = expf(z);
    return e / (1.0f + e);
}

static inline float relu(float z) { return z > 0 ? z : 0.0f; }

/* PReLU is this with a learned alpha per unit. */
static inline float leaky_relu(float z, float alpha)
{
    return z > 0 ? z : alpha * z;
}

/* delta ⊙ f'(z), one unit.  σ' and tanh' come from a = f(z):
 * σ'(z) = a (1 − a), tanh'(z) = 1 − a².  The ReLUs choose rather than
 * multiply: delta where z > 0, else 0 (a plain +0, whatever delta's sign)
 * or alpha delta. */
static inline float sigmoid_delta(float delta, float a)
{
    return delta * (a * (1.0f - a));
}

static inline float tanh_delta(float delta, float a)
{
    return delta * (1.0f - a * a);
}

static inline float relu_delta(float delta, float z)
{
    return z > 0 ? delta : 0.0f;
}

static inline float leaky_relu_delta(float delta, float z, float alpha)
{
    return z > 0 ? delta : alpha * delta;
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


void dn_softmax_rows(const float *z, float *a, double *lse, int n, int k)
{
    if (dn_vec_softmax_rows(z, a, lse, n, k)) return;   /* the fast path */
    for (int r = 0; r < n; r++) {
        double l = softmax_row(z + (long)r * k, a + (long)r * k, k);
        if (lse) lse[r] = l;
    }
}


/* f over one block of rows × cols at row stride ld, z (+)= b first.
 * Plain loops with no call inside, so that compilers vectorize them. */
void dn_act_forward_block(const dn_layer *L, const float *slope,
                          const float *b, float *z, float *a, ptrdiff_t ld,
                          int rows, int cols)
{
    if (L->act == DN_ACT_RELU && dn_vec_relu_forward(b, z, a, ld, rows, cols))
        return;   /* the fast path */
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
            for (int j = 0; j < cols; j++) a[j] = tanh_f(z[j]);
            break;
        case DN_ACT_RELU:
            for (int j = 0; j < cols; j++) a[j] = relu(z[j]);
            break;
        case DN_ACT_LEAKY_RELU:
            for (int j = 0; j < cols; j++) a[j] = leaky_relu(z[j], alpha);
            break;
        case DN_ACT_PRELU:
            for (int j = 0; j < cols; j++) a[j] = leaky_relu(z[j], slope[j]);
            break;
        default:   /* softmax needs whole rows: dn_softmax_rows */
            break;
        }
    }
}

int dn_act_blockwise(dn_act act)
{
    return act != DN_ACT_PRELU && act != DN_ACT_SOFTMAX;
}

void dn_act_backward_block(const dn_layer *L, const float *z, const float *a,
                           const float *mask, float *d, ptrdiff_t ld,
                           int rows, int cols)
{
    if (L->act == DN_ACT_RELU && dn_vec_relu_backward(z, mask, d, ld, rows, cols))
        return;   /* the fast path */
    const float alpha = L->alpha;
    for (int r = 0; r < rows; r++, z += ld, a += ld, d += ld) {
        if (mask) {
            for (int j = 0; j < cols; j++) d[j] *= mask[j];
            mask += ld;
        }
        switch (L->act) {
        case DN_ACT_SIGMOID:
            for (int j = 0; j < cols; j++) d[j] = sigmoid_delta(d[j], a[j]);
            break;
        case DN_ACT_TANH:
            for (int j = 0; j < cols; j++) d[j] = tanh_delta(d[j], a[j]);
            break;
        case DN_ACT_RELU:
            for (int j = 0; j < cols; j++) d[j] = relu_delta(d[j], z[j]);
            break;
        case DN_ACT_LEAKY_RELU:
            for (int j = 0; j < cols; j++)
                d[j] = leaky_relu_delta(d[j], z[j], alpha);
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

/* f'(z) as the backward pass finds it: its own code run on a delta of
 * ones, so what a tool shows is what training multiplies by. */
dn_status dn_ws_fprime(const dn_model *m, const dn_ws *ws, int l, float *out,
                       dn_error *err)
{
    if (!m || !ws || !out || l < 0 || l >= m->arch.n_layers || ws->n < 1 ||
        ws->n_layers != m->arch.n_layers)
        return dn_fail(err, DN_EARG, "dn_ws_fprime: layer %d of a network "
                       "of %d, after a forward pass", l, m ? m->arch.n_layers
                                                           : 0);
    const dn_layer *L = &m->arch.layer[l];
    if (L->act == DN_ACT_SOFTMAX)
        return dn_fail(err, DN_EARG, "dn_ws_fprime: layer %d is softmax, "
                       "whose derivative is a Jacobian, not a factor per "
                       "unit", l);
    const size_t k = (size_t)L->units, n = (size_t)ws->n;
    for (size_t i = 0; i < n * k; i++) out[i] = 1.0f;
    float *dslope = NULL;
    if (L->act == DN_ACT_PRELU && !(dslope = malloc(k * sizeof *dslope)))
        return dn_fail(err, DN_ENOMEM, "dn_ws_fprime: out of memory");
    const float *slope = m->off_slope[l] >= 0 ? m->theta + m->off_slope[l]
                                              : NULL;
    dn_act_backward(L, slope, ws->z[l], ws->a[l], out, dslope, ws->n);
    free(dslope);
    return DN_OK;
}
