/* regularize.c — what keeps training in check: the L2 penalty on the
 * weights (not biases, not PReLU slopes, as the notes prescribe) and the
 * gradient's norm for clipping. */
#include "nn/nn.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

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

double dn_l2_add(const dn_model *m, float *g, float lambda)
{
    double sum = 0;
    int in = m->arch.n_in;
    for (int l = 0; l < m->arch.n_layers; l++) {
        size_t nw = (size_t)m->arch.layer[l].units * in;
        const float *W = m->theta + m->off_W[l];
        float *gW = g + m->off_W[l];
        float s = 0;
        for (size_t i = 0; i < nw; i++) {
            gW[i] += lambda * W[i];
            s += W[i] * W[i];
        }
        sum += s;
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
enum { LANES = 32 };

/* Products and sums rounded one by one, never fused, on every path. */
#ifdef __clang__
#pragma clang fp contract(off)
#endif

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

#if (defined(__x86_64__) || defined(__i386__)) && \
    (defined(__GNUC__) || defined(__clang__))
#include "kernels/simd.h"

/* norm2_loop in four registers of eight sums: register q, lane j holds
 * sum 8q + j (written out: gcc kept the plain loop's 32 sums in memory). */
__attribute__((target("avx512f")))
static double norm2_wide(const float *g, size_t n)
{
    __m512d s0 = _mm512_setzero_pd(), s1 = s0, s2 = s0, s3 = s0;
    size_t i = 0;
#define SQ(k) _mm512_mul_pd(_mm512_cvtps_pd(_mm256_loadu_ps(g + i + (k))), \
                            _mm512_cvtps_pd(_mm256_loadu_ps(g + i + (k))))
    for (; i + LANES <= n; i += LANES) {
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
    double s[LANES];
    _mm512_storeu_pd(s, s0);
    _mm512_storeu_pd(s + 8, s1);
    _mm512_storeu_pd(s + 16, s2);
    _mm512_storeu_pd(s + 24, s3);
    for (int w = LANES / 2; w > 0; w /= 2)
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
    for (; i + LANES <= n; i += LANES)
        for (int q = 0; q < 8; q++) {
            __m256d x = _mm256_cvtps_pd(_mm_loadu_ps(g + i + 4 * q));
            s[q] = _mm256_add_pd(s[q], _mm256_mul_pd(x, x));
        }
    double t[LANES];
    for (int q = 0; q < 8; q++) _mm256_storeu_pd(t + 4 * q, s[q]);
    for (int j = 0; i + j < n; j++) t[j] += (double)g[i + j] * g[i + j];
    for (int w = LANES / 2; w > 0; w /= 2)
        for (int j = 0; j < w; j++) t[j] += t[j + w];
    return t[0];
}
#define WIDE 1
#endif

double dn_norm2_sq(const float *g, size_t n)
{
#ifdef WIDE
    if (dn_simd_wide()) return norm2_wide(g, n);
    if (!strcmp(dn_gemm_isa(), "avx2")) return norm2_avx2(g, n);
#endif
    return norm2_loop(g, n);
}

double dn_norm2(const float *g, size_t n) { return sqrt(dn_norm2_sq(g, n)); }

void dn_scale(float *g, size_t n, float s)
{
    for (size_t i = 0; i < n; i++) g[i] *= s;
}
