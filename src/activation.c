/* activation.c — a = f(z) and its derivative, for every activation.
 * Matrices are n rows × L->units columns, row-major. */
#include "internal.h"
#include <math.h>

/* σ(z) without overflow: for z < 0 use e^z / (1 + e^z), which never
 * evaluates e^{−z} for large −z. */
static inline float sigmoid(float z)
{
    if (z >= 0) return 1.0f / (1.0f + expf(-z));
    float e = expf(z);
    return e / (1.0f + e);
}

/* Softmax of one row, shifted by its maximum so that e^{z−max} ≤ 1. */
static void softmax_row(const float *z, float *a, int k)
{
    float mx = z[0];
    for (int j = 1; j < k; j++) if (z[j] > mx) mx = z[j];
    double sum = 0;
    for (int j = 0; j < k; j++) { a[j] = expf(z[j] - mx); sum += a[j]; }
    float inv = (float)(1.0 / sum);
    for (int j = 0; j < k; j++) a[j] *= inv;
}

void dn_act_forward(const dn_layer *L, const float *slope, const float *z,
                    float *a, int n)
{
    const int k = L->units;
    const long nk = (long)n * k;
    switch (L->act) {
    case DN_ACT_IDENTITY:
        if (a != z) for (long i = 0; i < nk; i++) a[i] = z[i];
        break;
    case DN_ACT_SIGMOID:
        for (long i = 0; i < nk; i++) a[i] = sigmoid(z[i]);
        break;
    case DN_ACT_TANH:
        for (long i = 0; i < nk; i++) a[i] = tanhf(z[i]);
        break;
    case DN_ACT_RELU:
        for (long i = 0; i < nk; i++) a[i] = z[i] > 0 ? z[i] : 0.0f;
        break;
    case DN_ACT_LEAKY_RELU: {
        const float alpha = L->alpha;
        for (long i = 0; i < nk; i++) a[i] = z[i] > 0 ? z[i] : alpha * z[i];
        break;
    }
    case DN_ACT_PRELU:
        for (int r = 0; r < n; r++) {
            const float *zr = z + (long)r * k;
            float *ar = a + (long)r * k;
            for (int j = 0; j < k; j++)
                ar[j] = zr[j] > 0 ? zr[j] : slope[j] * zr[j];
        }
        break;
    case DN_ACT_SOFTMAX:
        for (int r = 0; r < n; r++)
            softmax_row(z + (long)r * k, a + (long)r * k, k);
        break;
    default:
        break;
    }
}

void dn_act_backward(const dn_layer *L, const float *slope, const float *z,
                     const float *a, float *d, float *dslope, int n)
{
    const int k = L->units;
    const long nk = (long)n * k;
    switch (L->act) {
    case DN_ACT_IDENTITY:
        break;
    case DN_ACT_SIGMOID:
        for (long i = 0; i < nk; i++) d[i] *= a[i] * (1.0f - a[i]);
        break;
    case DN_ACT_TANH:
        for (long i = 0; i < nk; i++) d[i] *= 1.0f - a[i] * a[i];
        break;
    case DN_ACT_RELU:
        for (long i = 0; i < nk; i++) d[i] = z[i] > 0 ? d[i] : 0.0f;
        break;
    case DN_ACT_LEAKY_RELU: {
        const float alpha = L->alpha;
        for (long i = 0; i < nk; i++) d[i] = z[i] > 0 ? d[i] : alpha * d[i];
        break;
    }
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
        break;
    }
}
