/* regularize.c — what keeps training in check: the L2 penalty on the
 * weights (not biases, not PReLU slopes, as the notes prescribe) and the
 * gradient's norm for clipping. */
#include "nn/nn.h"
#include "kernels/gemm.h"
#include "kernels/target.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Products and sums rounded one by one, never fused, on every path. */
DN_UNFUSED

unsigned char *dn_weight_mask(const dn_model *m)
{
    unsigned char *mask = calloc(m->n_params, 1);
    if (!mask) return NULL;
    int in = m->arch.n_in;
    for (int l = 0; l < m->arch.n_layers; l++) {
        memset(mask + m->off_W[l], 1, (size_t)m->arch.layer[l].units * in);
        in = m->arch.layer[l].units;
    }
    return mask;
}

/* gW += λ W, every product and sum rounded as written.  The pointers are
 * restrict-qualified for the vectorizer: without that, gcc's cheap cost
 * model would not version the loop for the possible overlap of g and
 * theta, and it ran one float at a time (6.4% of a 10-128-64-11 step). */
static inline void decay_loop(float *restrict gW, const float *restrict W,
                              size_t n, float lambda)
{
    for (size_t i = 0; i < n; i++) gW[i] += lambda * W[i];
}

#ifdef DN_X86
DN_COPIES(decay, (float *restrict gW, const float *restrict W, size_t n,
                  float lambda), decay_loop(gW, W, n, lambda))
#endif

double dn_l2_add(const dn_model *m, float *g, float lambda)
{
    double sum = 0;
    int in = m->arch.n_in;
    for (int l = 0; l < m->arch.n_layers; l++) {
        size_t nw = (size_t)m->arch.layer[l].units * in;
        const float *W = m->theta + m->off_W[l];
        float *gW = g + m->off_W[l];
#ifdef DN_X86
        if (dn_simd_wide()) decay_wide(gW, W, nw, lambda);
        else if (dn_simd_avx2()) decay_avx2(gW, W, nw, lambda);
        else
#endif
            decay_loop(gW, W, nw, lambda);
        /* ΣW² in the gradient norm's lanes: one float sum in a chain
         * waited on each addition's latency (measured: 9% of a 128,64
         * network's step on a 100-row table) */
        sum += dn_norm2_sq(W, nw);
        in = m->arch.layer[l].units;
    }
    return 0.5 * lambda * sum;
}

/* LANES running sums, not one: a single chain of dependent additions
 * waits on each one's latency (measured: 18% of a small network's
 * training step).  Sum j takes the terms i ≡ j (mod LANES) in order, the
 * last few included (as if the array went on in zeros to a multiple of
 * LANES: adding 0 changes no sum), and the sums are combined pairwise at
 * the end, so the bits are fixed by n alone and the same on every path: the loop over j is plain C that
 * compilers vectorize, 2 SSE registers wide by default, 8 AVX-512 ones
 * (dn_simd_wide).  32 sums keep 4 AVX-512 additions in flight; with 8
 * (one register) the loop ran at the adder's latency, 1.6 µs of a 16 µs
 * W1 step. */
enum { LANES = DN_SUM_SQ_LANES };


static inline double norm2_loop(const float *g, size_t n)
{
    double s[LANES] = { 0 };
    size_t i = 0;
    for (; i + LANES <= n; i += LANES)
        for (int j = 0; j < LANES; j++) s[j] += (double)g[i + j] * g[i + j];
    for (int j = 0; i + j < n; j++) s[j] += (double)g[i + j] * g[i + j];
    for (int w = LANES / 2; w > 0; w /= 2)
        for (int j = 0; j < w; j++) s[j] += s[j + w];
    return s[0];
}


double dn_norm2_sq(const float *g, size_t n)
{
    double s;
    if (dn_vec_sum_sq(g, n, &s)) return s;   /* the fast path, same bits */
    return norm2_loop(g, n);
}

double dn_norm2(const float *g, size_t n) { return sqrt(dn_norm2_sq(g, n)); }

void dn_scale(float *g, size_t n, float s)
{
    for (size_t i = 0; i < n; i++) g[i] *= s;
}
