/* qrt.h — the int8 inference runtime, in one copy for two uses: the
 * library compiles it (quantize.c) to measure an int8 model before it is
 * written, and `descent export --quantize int8` copies the text between
 * the runtime markers below into the generated C file (the Makefile
 * turns it into a string, $(B)/gen/qrt_text.h), renaming dnq_ / DNQ_ to
 * the export's prefix.  So the code that is measured is the code that is
 * shipped, and --check proves it bit for bit.
 *
 * The text must stay C99 and C++ at once, warning-free under -Wall
 * -Wextra -Wpedantic, with nothing but <stdint.h>: no malloc, no stdio,
 * no float in the loops.  Every step is integer arithmetic, except three
 * float operations whose result IEEE 754 fixes to the bit: the input's
 * standardization and quantization ((x − mean) · k, compared with
 * integers), the conversion of each output's 64-bit fixed-point value to
 * float, and its product by a power of two.  None is a multiply followed
 * by an add, so no compiler may fuse them into an FMA, and a host and a
 * microcontroller compute the same bits (as long as neither is built
 * with -ffast-math).
 *
 * The scheme is TFLite-Micro's / CMSIS-NN's: weights int8 with one scale
 * per output unit (symmetric, zero point 0), activations int8 with a
 * scale and zero point per layer from calibration, sums in int32, and
 * requantization by a fixed-point multiplier m · 2^−e with m in
 * [2^30, 2^31).  One difference: each input column has a scale and zero
 * point of its own (its own range), folded into the first layer's
 * weights (W_ji s_i), since the inputs of a model — pixels at the border
 * of an image that are nearly always 0, one-hot flags, a column in the
 * thousands — have ranges too unlike for one scale (Fashion-MNIST lost
 * 1.1 points of accuracy with one, 0.09 with one per column).  The zero
 * points are folded into the bias (b − Σ_i zp_i W_ji), so the inner loop
 * is a plain int8 dot product.
 */
#ifndef DN_QRT_H
#define DN_QRT_H

#include <stdint.h>

/* ---- runtime begin ---- */
/* Layer kinds: hidden layers write int8 activations, the output layer
 * floats. */
enum {
    DNQ_PWL = 0,      /* identity, relu, leaky_relu, prelu: piecewise linear,
                         q = zp + M acc, M for acc > 0 or for acc <= 0 */
    DNQ_LUT,          /* sigmoid, tanh: z requantized to int8, a = table[z] */
    DNQ_OUT_PWL,      /* output, piecewise linear: y = acc p + c, to float */
    DNQ_OUT_SIGMOID,  /* output sigmoid: logit z in Q16, a = 1 / (1 + e^-z) */
    DNQ_OUT_TANH,
    DNQ_OUT_SOFTMAX
};

typedef struct {
    int32_t kind, n_in, n_out;
    const int8_t  *W;      /* n_out x n_in, row-major: W s_in = s_w[j] Wq */
    const int32_t *b;      /* n_out: b / s_w[j] - sum_i zp_i Wq[j][i] */
    const int32_t *m_pos;  /* requantization multiplier (acc > 0 for PWL) */
    const int8_t  *e_pos;  /* ... and its shift */
    const int32_t *m_neg;  /* PWL: for acc <= 0 (relu: 0) */
    const int8_t  *e_neg;
    int32_t zp;            /* hidden: zero point of a (PWL) or of z (LUT) */
    const int8_t  *lut;    /* LUT: a's int8 for z's int8 + 128 */
    const int64_t *p_pos;  /* output: y 2^S = a p + c, a = acc (OUT_PWL) */
    const int64_t *p_neg;  /*   or the activation in Q30 (the others) */
    const int64_t *c;
    const float   *pow2;   /*   2^-S, so out = (float)(a p + c) * pow2 */
} dnq_layer;

typedef struct {
    int32_t n_in, n_layers;
    int32_t task;           /* 0 regression, 1 binary, 2 multiclass */
    const float *mean;      /* n_in, or 0 without standardization */
    const float *k;         /* n_in: 1 / (std s_i), s_i input i's scale */
    const int8_t *zp_in;    /* n_in: input i's zero point */
    const dnq_layer *layer;
} dnq_net;
/* ---- runtime end ---- */

/* export_c.c needs the types alone (it writes the tables). */
#ifndef DN_QRT_TYPES_ONLY
/* ---- runtime begin ---- */

/* round(acc m / 2^e), halves away from zero; |acc m| < 2^62. */
static int64_t dnq_rq(int32_t acc, int32_t m, int32_t e)
{
    int64_t x = (int64_t)acc * m, h = (int64_t)1 << (e - 1);
    return x >= 0 ? (x + h) >> e : -((-x + h) >> e);
}

static int64_t dnq_clamp(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* The sums of units j and j + 1 (two = 0: j alone) over n inputs, from
 * their biases b[0], b[1]: two units per pass, so that each activation
 * is loaded (and widened) once for both.  On Cortex-M4, M7 and M33 (the
 * DSP extension) four int8 products per step: an unaligned 32-bit load
 * (allowed on these cores), SXTB16 widens bytes 0 and 2 (then, rotated,
 * 1 and 3) to two int16, and SMLAD adds both products to the sum at
 * once.  Integer sums in another order give the same bits as the plain
 * loop (they cannot overflow: see the bias). */
#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__)
static uint32_t dnq_ld4(const int8_t *p)
{
    uint32_t v;
    __asm__("ldr %0, [%1]" : "=r"(v) : "r"(p) : "memory");
    return v;
}

static uint32_t dnq_lo(uint32_t x)   /* bytes 0 and 2 as int16 */
{
    uint32_t r;
    __asm__("sxtb16 %0, %1" : "=r"(r) : "r"(x));
    return r;
}

static uint32_t dnq_hi(uint32_t x)   /* bytes 1 and 3 */
{
    uint32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}

static int32_t dnq_mac2(uint32_t x, uint32_t y, int32_t s)
{
    __asm__("smlad %0, %1, %2, %0" : "+r"(s) : "r"(x), "r"(y));
    return s;
}
#endif

static void dnq_dot2(const int8_t *a, const int8_t *w, int32_t n, int two,
                     const int32_t *b, int32_t *s)
{
    const int8_t *w1 = two ? w + n : w;
    int32_t s0 = b[0], s1 = two ? b[1] : 0, i = 0;
#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__)
    for (; i + 4 <= n; i += 4) {
        uint32_t x = dnq_ld4(a + i), xl = dnq_lo(x), xh = dnq_hi(x);
        uint32_t y = dnq_ld4(w + i), z = dnq_ld4(w1 + i);
        s0 = dnq_mac2(xh, dnq_hi(y), dnq_mac2(xl, dnq_lo(y), s0));
        s1 = dnq_mac2(xh, dnq_hi(z), dnq_mac2(xl, dnq_lo(z), s1));
    }
#endif
    for (; i < n; i++) {
        s0 += (int32_t)a[i] * w[i];
        s1 += (int32_t)a[i] * w1[i];
    }
    s[0] = s0;
    s[1] = s1;
}

/* e^(-u / 2^16) in Q30 for u >= 0: t = u log2(e) in Q16, then 2^-t as
 * 2^-(integer part), a shift, times the product of 2^-(2^-(16-b)) over
 * the fraction's set bits b (a 16-entry table: no polynomial).  Within
 * 6e-6 relative: the rounding of t to Q16, as large as the logit's own. */
static int64_t dnq_exp_neg(int64_t u)
{
    static const int32_t pow2_bit[16] = {
        1073730468, 1073719111, 1073696399, 1073650976, 1073560135,
        1073378477, 1073015252, 1072289173, 1070838486, 1067942999,
        1062175491, 1050733751, 1028218693, 984625594, 902905651,
        759250125 };
    int64_t t = (u * 1549082005 + ((int64_t)1 << 29)) >> 30;
    if (t >= (int64_t)31 << 16) return 0;
    int64_t p = (int64_t)1 << 30;
    for (int b = 0; b < 16; b++)
        if (t >> b & 1) p = (p * pow2_bit[b] + ((int64_t)1 << 29)) >> 30;
    int32_t i = (int32_t)(t >> 16);
    return i ? (p + ((int64_t)1 << (i - 1))) >> i : p;
}

/* One row: x (n_in raw inputs) to out (the last layer's n_out values);
 * q0, q1 hold the int8 activations (q0: the input and the odd hidden
 * layers, q1 the even ones), v the output's Q16 logits.  Returns the
 * arg-max class (binary: out >= 0.5; regression: 0). */
static int dnq_run(const dnq_net *net, const float *x, float *out,
                   int8_t *q0, int8_t *q1, int32_t *v)
{
    const int64_t one = (int64_t)1 << 30;
    for (int32_t i = 0; i < net->n_in; i++) {
        float y = (net->mean ? x[i] - net->mean[i] : x[i]) * net->k[i];
        if (!(y > -300.0f)) y = -300.0f;   /* NaN too */
        if (y > 300.0f) y = 300.0f;
        int32_t r = (int32_t)y;            /* toward zero, then to nearest */
        if (y >= 0 ? y >= (float)r + 0.5f : y <= (float)r - 0.5f)
            r += y >= 0 ? 1 : -1;
        q0[i] = (int8_t)dnq_clamp((int64_t)r + net->zp_in[i], -128, 127);
    }
    const int8_t *a = q0;
    int8_t *next = q1;
    const dnq_layer *L = net->layer;
    int32_t s2[2];
    for (int32_t l = 0; l + 1 < net->n_layers; l++, L++) {
        for (int32_t j = 0; j < L->n_out; j++) {
            if (j % 2 == 0)
                dnq_dot2(a, L->W + (int64_t)j * L->n_in, L->n_in,
                         L->n_out - j > 1, L->b + j, s2);
            const int32_t s = s2[j % 2];
            int64_t q;
            if (L->kind == DNQ_LUT) {
                q = dnq_clamp(L->zp + dnq_rq(s, L->m_pos[j], L->e_pos[j]),
                              -128, 127);
                q = L->lut[q + 128];
            } else {
                q = s > 0 ? dnq_rq(s, L->m_pos[j], L->e_pos[j])
                          : dnq_rq(s, L->m_neg[j], L->e_neg[j]);
                q = dnq_clamp(L->zp + q, -128, 127);
            }
            next[j] = (int8_t)q;
        }
        a = next;
        next = a == q0 ? q1 : q0;
    }
    const int32_t K = L->n_out;
    int64_t vmax = -one, sum = 0;   /* softmax: max z, sum e^(z - max) */
    for (int32_t k = 0; k < K; k++) {
        if (k % 2 == 0)
            dnq_dot2(a, L->W + (int64_t)k * L->n_in, L->n_in, K - k > 1,
                     L->b + k, s2);
        const int32_t s = s2[k % 2];
        if (L->kind == DNQ_OUT_PWL) {
            int64_t y = (int64_t)s * (s > 0 ? L->p_pos[k] : L->p_neg[k]);
            out[k] = (float)(y + L->c[k]) * L->pow2[k];
            continue;
        }
        /* |z| < 2^14 in Q16: beyond, every probability is 0 or 1 anyway */
        v[k] = (int32_t)dnq_clamp(dnq_rq(s, L->m_pos[k], L->e_pos[k]),
                                  -one, one);
        if (v[k] > vmax) vmax = v[k];
    }
    for (int32_t k = 0; k < K && L->kind == DNQ_OUT_SOFTMAX; k++)
        sum += dnq_exp_neg(vmax - v[k]);
    for (int32_t k = 0; k < K && L->kind != DNQ_OUT_PWL; k++) {
        int64_t u = v[k] < 0 ? -(int64_t)v[k] : v[k], q;
        if (L->kind == DNQ_OUT_SIGMOID) {
            int64_t e = dnq_exp_neg(u);               /* e^-|z| */
            q = ((v[k] >= 0 ? one : e) << 30) / (one + e);
        } else if (L->kind == DNQ_OUT_TANH) {
            int64_t e = dnq_exp_neg(2 * u);           /* e^-2|z| */
            q = ((one - e) << 30) / (one + e);
            if (v[k] < 0) q = -q;
        } else {
            q = (dnq_exp_neg(vmax - v[k]) << 30) / sum;
        }
        out[k] = (float)(q * L->p_pos[k] + L->c[k]) * L->pow2[k];
    }
    int best = 0;
    if (net->task == 1) return out[0] >= 0.5f;
    for (int32_t k = 1; net->task == 2 && k < K; k++)
        if (out[k] > out[best]) best = (int)k;
    return best;
}
/* ---- runtime end ---- */
#endif

#endif
