/* quantize.c — a float model as an int8 one (dn_quantize), run by the
 * same runtime the C export ships (qrt.h), so that its accuracy can be
 * measured before a file is written.
 *
 * Calibration runs the float model over the calibration rows and records
 * the range of every tensor that becomes int8: each column of the
 * standardized input, each hidden layer's a (identity and the ReLU
 * family) or z (sigmoid and tanh, whose a has a fixed range and goes
 * through a table).  The range is min/max, or for the hidden layers a
 * percentile range that clips rare outliers (two passes: min/max, then a
 * histogram of 4096 bins between them); an input column, whose scale is
 * its own, keeps its min/max.  A range always
 * holds 0, so that 0 — a ReLU's floor, a zero input — is exactly
 * representable, as TFLite requires.
 */
#include "formats/quant.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CAL_BATCH 256
#define BINS      4096

/* An activation's range over the calibration rows. */
typedef struct {
    double lo, hi;
    long long n;
    uint32_t *hist;   /* BINS counts over [lo, hi], percentile pass only */
} range;

static int is_lut(dn_act a) { return a == DN_ACT_SIGMOID || a == DN_ACT_TANH; }

/* Hidden layer l's tracked tensor, z or a, in the last forward pass. */
static const float *tensor(const dn_model *m, const dn_ws *ws, int l)
{
    return is_lut(m->arch.layer[l].act) ? ws->z[l] : ws->a[l];
}

static void observe(range *r, const float *v, size_t n, int pass)
{
    for (size_t i = 0; i < n; i++) {
        double x = v[i];
        if (!isfinite(x)) continue;
        if (pass == 0) {
            if (x < r->lo) r->lo = x;
            if (x > r->hi) r->hi = x;
            r->n++;
        } else if (r->hi > r->lo) {
            long b = (long)((x - r->lo) / (r->hi - r->lo) * BINS);
            r->hist[b < 0 ? 0 : b >= BINS ? BINS - 1 : b]++;
        }
    }
}

/* The edge of the bin where the running count passes frac of the values
 * (upper: counting from the top). */
static double quantile(const range *r, double frac, int upper)
{
    double want = frac * (double)r->n, seen = 0;
    double w = (r->hi - r->lo) / BINS;
    for (int i = 0; i < BINS; i++) {
        int b = upper ? BINS - 1 - i : i;
        seen += r->hist[b];
        if (seen > want) return upper ? r->lo + (b + 1) * w : r->lo + b * w;
    }
    return upper ? r->lo : r->hi;
}

/* Fills R[0..n_in) with the input columns' ranges, R[n_in + l] with
 * hidden layer l's. */
static dn_status calibrate(const dn_model *m, const dn_data *d, double pct,
                           range *R, dn_error *err)
{
    const int n_in = m->arch.n_in, n_t = n_in + m->arch.n_layers - 1;
    dn_ws *ws;
    dn_status st = dn_ws_new(m, d->n < CAL_BATCH ? d->n : CAL_BATCH, 0, &ws,
                             err);
    if (st) return st;
    for (int t = 0; t < n_t; t++) {
        R[t].lo = INFINITY;
        R[t].hi = -INFINITY;
    }
    const int passes = pct > 0 && pct < 100 ? 2 : 1;
    for (int pass = 0; pass < passes && !st; pass++) {
        for (int t = n_in; pass == 1 && t < n_t; t++)
            if (!(R[t].hist = calloc(BINS, sizeof *R[t].hist)))
                st = dn_fail(err, DN_ENOMEM, "out of memory for the "
                             "calibration histograms");
        for (int r0 = 0; r0 < d->n && !st; r0 += CAL_BATCH) {
            int n = d->n - r0 < CAL_BATCH ? d->n - r0 : CAL_BATCH;
            dn_forward_data(m, ws, d, r0, n);
            for (int r = 0; pass == 0 && r < n; r++)
                for (int i = 0; i < n_in; i++)
                    observe(&R[i], ws->a0 + (size_t)r * n_in + i, 1, 0);
            for (int t = n_in; t < n_t; t++)
                observe(&R[t], tensor(m, ws, t - n_in),
                        (size_t)n * m->arch.layer[t - n_in].units, pass);
        }
    }
    for (int t = 0; t < n_t && !st; t++) {
        if (R[t].n == 0) R[t].lo = R[t].hi = 0;
        if (passes == 2 && t >= n_in && R[t].hi > R[t].lo) {
            double lo = quantile(&R[t], 1 - pct / 100, 0);
            double hi = quantile(&R[t], 1 - pct / 100, 1);
            R[t].lo = lo;
            R[t].hi = hi;
        }
    }
    for (int t = 0; t < n_t; t++) free(R[t].hist);
    dn_ws_free(ws);
    return st;
}

/* The int8 encoding of [lo, hi] (widened to hold 0): 255 steps. */
static dn_qscale scale_of(double lo, double hi)
{
    dn_qscale q = { 1.0, 0 };
    if (lo > 0) lo = 0;
    if (hi < 0) hi = 0;
    if (!(hi - lo > 1e-30)) return q;
    q.s = (hi - lo) / 255;
    double zp = round(-128 - lo / q.s);
    q.zp = (int32_t)(zp < -128 ? -128 : zp > 127 ? 127 : zp);
    return q;
}

/* M as m 2^-e, m an int32 with |m| in [2^30, 2^31), 1 ≤ e ≤ 62. */
static int multiplier(double M, int32_t *m, int8_t *e)
{
    *m = 0;
    *e = 1;
    if (M == 0) return 0;
    int x;
    double f = frexp(fabs(M), &x);          /* |M| = f 2^x, f in [0.5, 1) */
    long long q = llround(f * 2147483648.0);
    if (q == 2147483648LL) { q /= 2; x++; }
    int sh = 31 - x;
    if (sh < 1) return -1;                  /* M ≥ 2^30: no int32 result */
    if (sh > 62) {                          /* tiny: fewer bits, or none */
        q = sh - 62 > 31 ? 0 : llround(q / ldexp(1, sh - 62));
        sh = 62;
    }
    *m = (int32_t)(M < 0 ? -q : q);
    *e = (int8_t)sh;
    return 0;
}

/* The exponent S of the output's fixed point y 2^S = a p + c: the largest
 * with |p| < 2^31 for every slope and |c| < 2^61, so that a p + c stays in
 * int64 (|a| < 2^31) and keeps 30 bits of the slope. */
static int out_shift(double p_pos, double p_neg, double c)
{
    double big = fmax(fabs(p_pos), fabs(p_neg));
    int S = 100;
    while (S > -100 && (big * ldexp(1, S) >= 2147483647.0 ||
                        fabs(c) * ldexp(1, S) >= ldexp(1, 61)))
        S--;
    return S;
}

static double slope_of(const dn_model *m, int l, int j)
{
    const dn_layer *L = &m->arch.layer[l];
    switch (L->act) {
    case DN_ACT_IDENTITY:   return 1;
    case DN_ACT_LEAKY_RELU: return L->alpha;
    case DN_ACT_PRELU:      return m->theta[m->off_slope[l] + j];
    default:                return 0;   /* relu */
    }
}

/* Carves every array of the int8 model from one block: with base NULL
 * it only counts the bytes. */
static size_t carve(dn_qmodel *q, char *base)
{
    const dn_model *m = q->m;
    size_t at = 0;
#define TAKE(ptr, n) do {                                      \
        size_t b_ = ((n) * sizeof *(ptr) + 7) & ~(size_t)7;       \
        if (base) { (ptr) = (void *)(base + at); }                \
        at += b_;                                                 \
    } while (0)
    float *mean = NULL, *k = NULL;
    int8_t *zp = NULL;
    dn_qscale *in = NULL;
    if (m->mean) TAKE(mean, (size_t)m->arch.n_in);
    TAKE(k, (size_t)m->arch.n_in);
    TAKE(zp, (size_t)m->arch.n_in);
    TAKE(in, (size_t)m->arch.n_in);
    q->net.mean = mean;
    q->net.k = k;
    q->net.zp_in = zp;
    q->in = in;
    for (int l = 0; l < m->arch.n_layers; l++) {
        dnq_layer *L = &q->layer[l];
        int8_t *W = NULL, *ep = NULL, *en = NULL, *lut = NULL;
        int32_t *b = NULL, *mp = NULL, *mn = NULL;
        int64_t *pp = NULL, *pn = NULL, *c = NULL;
        float *pw = NULL;
        size_t o = (size_t)m->arch.layer[l].units;
        TAKE(W, o * (size_t)(l ? m->arch.layer[l - 1].units : m->arch.n_in));
        TAKE(b, o);
        TAKE(mp, o);
        TAKE(ep, o);
        if (l + 1 < m->arch.n_layers) {
            TAKE(mn, o);
            TAKE(en, o);
            if (is_lut(m->arch.layer[l].act)) TAKE(lut, 256);
        } else {
            TAKE(pp, o);
            TAKE(pn, o);
            TAKE(c, o);
            TAKE(pw, o);
        }
        L->W = W; L->b = b; L->m_pos = mp; L->e_pos = ep; L->m_neg = mn;
        L->e_neg = en; L->lut = lut; L->p_pos = pp; L->p_neg = pn; L->c = c;
        L->pow2 = pw;
    }
#undef TAKE
    return at;
}

/* The fixed encoding of a sigmoid's or tanh's output, (0, 1) or (−1, 1). */
static dn_qscale lut_out(dn_act a)
{
    dn_qscale q = { a == DN_ACT_SIGMOID ? 1.0 / 256 : 1.0 / 128,
                    a == DN_ACT_SIGMOID ? -128 : 0 };
    return q;
}

static int8_t sat8(double v)
{
    return (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
}

/* Layer l's int8 weights, bias and requantization, from its inputs'
 * encoding (in[i] for input i of layer 0, in[0] for all of a later one)
 * to its output encoding (hidden) or to floats (the output layer).  The
 * input scales go into the weights, W_ji s_i, which are then quantized
 * per unit j, so acc_j counts units of s_w[j]. */
static dn_status quantize_layer(dn_qmodel *q, int l, const dn_qscale *in,
                                dn_error *err)
{
    const dn_model *m = q->m;
    const dn_layer *A = &m->arch.layer[l];
    dnq_layer *L = &q->layer[l];
    const int n_in = l ? m->arch.layer[l - 1].units : m->arch.n_in;
    const int last = l + 1 == m->arch.n_layers;
    const float *W = m->theta + m->off_W[l], *b = m->theta + m->off_b[l];
    int8_t *Wq = (int8_t *)L->W, *ep = (int8_t *)L->e_pos,
           *en = (int8_t *)L->e_neg;
    int32_t *bq = (int32_t *)L->b, *mp = (int32_t *)L->m_pos,
            *mn = (int32_t *)L->m_neg;
    L->n_in = n_in;
    L->n_out = A->units;
    dn_qscale out = last ? in[0] : is_lut(A->act) ? q->z[l] : q->act[l];
    L->zp = last ? 0 : out.zp;
    L->kind = !last ? (is_lut(A->act) ? DNQ_LUT : DNQ_PWL)
            : A->act == DN_ACT_SIGMOID ? DNQ_OUT_SIGMOID
            : A->act == DN_ACT_TANH ? DNQ_OUT_TANH
            : A->act == DN_ACT_SOFTMAX ? DNQ_OUT_SOFTMAX : DNQ_OUT_PWL;
    for (int j = 0; j < A->units; j++) {
        const float *w = W + (size_t)j * n_in;
        double amax = 0;
        for (int i = 0; i < n_in; i++)
            amax = fmax(amax, fabs(w[i] * in[l ? 0 : i].s));
        double s = amax > 0 ? amax / 127 : 1;   /* s_w[j] */
        /* The bias counts units of s too, within ±2^29 (below): for
         * weights tiny beside the bias (a unit whose inputs hardly
         * matter) a coarser s keeps the bias whole, where clamping it
         * would move every output; the weights lose levels they hardly
         * weigh. */
        if (fabs(b[j]) / s > 536870912.0) s = fabs(b[j]) / 536870912.0;
        double zsum = 0;
        for (int i = 0; i < n_in; i++) {
            const dn_qscale *x = &in[l ? 0 : i];
            int8_t v = sat8(round(w[i] * x->s / s));
            Wq[(size_t)j * n_in + i] = v;
            zsum += (double)x->zp * v;
        }
        /* ±2^29 keeps b − Σ zp W plus the products in int32 (n_in is
         * bounded by the caller). */
        double bb = fmin(fmax(round(b[j] / s), -536870912.0), 536870912.0);
        bq[j] = (int32_t)(bb - zsum);
        double slope = slope_of(m, l, j);
        int bad = 0;
        if (!last) {
            bad |= multiplier(s / out.s, &mp[j], &ep[j]);
            if (L->kind == DNQ_PWL)
                bad |= multiplier(s / out.s * slope, &mn[j], &en[j]);
        } else if (L->kind == DNQ_OUT_PWL) {
            double T = m->t_std ? m->t_std[j] : 1, C = m->t_mean ? m->t_mean[j] : 0;
            int S = out_shift(T * s, T * s * slope, C);
            ((int64_t *)L->p_pos)[j] = llround(ldexp(T * s, S));
            ((int64_t *)L->p_neg)[j] = llround(ldexp(T * s * slope, S));
            ((int64_t *)L->c)[j] = llround(ldexp(C, S));
            ((float *)L->pow2)[j] = (float)ldexp(1, -S);
            mp[j] = 0;
            ep[j] = 1;
        } else {
            /* the logit in Q16, then the activation a in Q30 */
            bad |= multiplier(s * 65536, &mp[j], &ep[j]);
            double T = m->t_std ? m->t_std[j] : 1, C = m->t_mean ? m->t_mean[j] : 0;
            int S = out_shift(T / 1073741824.0, 0, C);
            ((int64_t *)L->p_pos)[j] = llround(ldexp(T / 1073741824.0, S));
            ((int64_t *)L->p_neg)[j] = 0;
            ((int64_t *)L->c)[j] = llround(ldexp(C, S));
            ((float *)L->pow2)[j] = (float)ldexp(1, -S);
        }
        if (bad)
            return dn_fail(err, DN_EARG, "cannot quantize layer %d, unit %d: "
                           "the ratio of its scales (%g) is beyond what an "
                           "int32 multiplier holds; the weights or the "
                           "calibration ranges are extreme (check the "
                           "calibration data)", l + 1, j + 1,
                           s / (last ? 1 : out.s));
    }
    if (L->kind == DNQ_LUT) {
        dn_qscale a = lut_out(A->act);
        int8_t *lut = (int8_t *)L->lut;
        for (int i = 0; i < 256; i++) {
            double z = out.s * (i - 128 - out.zp);
            double f = A->act == DN_ACT_SIGMOID ? 1 / (1 + exp(-z)) : tanh(z);
            lut[i] = sat8(round(f / a.s) + a.zp);
        }
    }
    return DN_OK;
}

void dn_scratch_widths(const dn_arch *A, int *n0, int *n1)
{
    *n0 = A->n_in;
    *n1 = 1;
    for (int l = 0; l + 1 < A->n_layers; l++) {
        int *n = l % 2 ? n0 : n1;
        if (A->layer[l].units > *n) *n = A->layer[l].units;
    }
}

/* Sums of int8 products stay in int32: see quantize_layer. */
#define MAX_QUANT_INPUTS 49000

dn_status dn_quantize(const dn_model *m, const dn_data *calib,
                      const dn_quant_opts *o, dn_qmodel **out,
                      dn_error *err)
{
    DN_NEED(m);
    DN_NEED(out);
    *out = NULL;
    double pct = o ? o->percentile : 0;
    if (!(pct >= 0 && pct <= 100) || (pct > 0 && pct < 50))
        return dn_fail(err, DN_EARG, "the calibration percentile %g is out "
                       "of range; give 0 or 100 for min/max, or a percentile "
                       "from 50 to 100 such as 99.99", pct);
    if (!calib)
        return dn_fail(err, DN_EARG, "int8 quantization needs calibration "
                       "data: rows like the training data, whose activation "
                       "ranges set the int8 scales");
    dn_status st = dn_data_check(m, calib, "calibration", 0, err);
    if (st) return st;
    const dn_arch *A = &m->arch;
    for (int l = 0; l < A->n_layers; l++) {
        int n_in = l ? A->layer[l - 1].units : A->n_in;
        if (n_in > MAX_QUANT_INPUTS)
            return dn_fail(err, DN_EARG, "cannot quantize layer %d: its %d "
                           "inputs could overflow the int32 sums of int8 "
                           "products (at most %d)", l + 1, n_in,
                           MAX_QUANT_INPUTS);
    }
    if (!dn_all_finite(m->theta, m->n_params))
        return dn_fail(err, DN_EARG, "cannot quantize: the model has "
                       "non-finite parameters");
    dn_qmodel *q = calloc(1, sizeof *q);
    if (!q) return dn_fail(err, DN_ENOMEM, "out of memory quantizing");
    q->m = m;
    q->percentile = pct > 0 && pct < 100 ? pct : 0;
    q->calib_rows = calib->n;
    if (!(q->block = calloc(1, carve(q, NULL)))) {
        free(q);
        return dn_fail(err, DN_ENOMEM, "out of memory quantizing");
    }
    carve(q, q->block);
    range *R = calloc((size_t)A->n_in + A->n_layers, sizeof *R);
    st = R ? calibrate(m, calib, q->percentile, R, err)
           : dn_fail(err, DN_ENOMEM, "out of memory calibrating");
    if (!st) {
        float *mean = (float *)q->net.mean, *k = (float *)q->net.k;
        int8_t *zp = (int8_t *)q->net.zp_in;
        for (int i = 0; i < A->n_in; i++) {
            q->in[i] = scale_of(R[i].lo, R[i].hi);
            if (mean) mean[i] = m->mean[i];
            k[i] = (float)((m->mean ? m->inv_std[i] : 1.0f) / q->in[i].s);
            zp[i] = (int8_t)q->in[i].zp;
        }
        for (int l = 0; l + 1 < A->n_layers; l++) {
            const range *r = &R[A->n_in + l];
            q->z[l] = scale_of(r->lo, r->hi);
            q->act[l] = is_lut(A->layer[l].act) ? lut_out(A->layer[l].act)
                                                : q->z[l];
        }
        q->net.n_in = A->n_in;
        q->net.n_layers = A->n_layers;
        q->net.task = A->loss == DN_LOSS_CE ? 2 : A->loss == DN_LOSS_BCE;
        q->net.layer = q->layer;
    }
    free(R);
    for (int l = 0; !st && l < A->n_layers; l++)
        st = quantize_layer(q, l, l ? &q->act[l - 1] : q->in, err);
    dn_scratch_widths(A, &q->n_q0, &q->n_q1);
    if (st) dn_qmodel_free(q);
    else *out = q;
    return st;
}

void dn_qmodel_free(dn_qmodel *q)
{
    if (!q) return;
    free(q->block);
    free(q);
}

/* Runs n rows of X (n × n_in) through the runtime into out (n × n_out). */
static dn_status run_rows(const dn_qmodel *q, const float *X, int n,
                          float *out, dn_error *err)
{
    const dn_model *m = q->m;
    const int k = dn_model_n_out(m), n_in = m->arch.n_in;
    int8_t *q0 = malloc((size_t)q->n_q0 + q->n_q1);
    int32_t *v = malloc(sizeof *v * k);
    if (!q0 || !v) {
        free(q0);
        free(v);
        return dn_fail(err, DN_ENOMEM, "out of memory running the int8 model");
    }
    for (int r = 0; r < n; r++)
        dnq_run(&q->net, X + (size_t)r * n_in, out + (size_t)r * k, q0,
                q0 + q->n_q0, v);
    free(q0);
    free(v);
    return DN_OK;
}

dn_status dn_qmodel_predict(const dn_qmodel *q, const float *X, int n,
                            float *out, dn_error *err)
{
    DN_NEED(q);
    DN_NEED(X);
    DN_NEED(out);
    if (n < 1) return dn_fail(err, DN_EARG, "nothing to predict: no rows");
    return run_rows(q, X, n, out, err);
}

dn_status dn_evaluate_outputs(const dn_model *m, const float *out,
                              const dn_data *d, dn_metrics *res,
                              dn_error *err)
{
    DN_NEED(m);
    DN_NEED(out);
    DN_NEED(res);
    dn_status st = dn_data_check(m, d, "evaluation", 1, err);
    if (st) return st;
    /* The outputs are already in the target's units: the tally must not
     * map them back again. */
    dn_model plain = *m;
    plain.t_mean = plain.t_std = NULL;
    dn_tally t;
    memset(&t, 0, sizeof t);
    dn_tally_add(&plain, out, d->Y, NULL, d->n, NAN, &t);
    dn_tally_finish(&plain, &t, res);
    return DN_OK;
}

dn_status dn_qmodel_evaluate(const dn_qmodel *q, const dn_data *d,
                             dn_metrics *res, dn_error *err)
{
    DN_NEED(q);
    DN_NEED(res);
    dn_status st = dn_data_check(q->m, d, "evaluation", 1, err);
    if (st) return st;
    const int k = dn_model_n_out(q->m), n_in = q->m->arch.n_in;
    float *out = malloc(sizeof *out * ((size_t)d->n * k + n_in));
    if (!out) return dn_fail(err, DN_ENOMEM, "out of memory evaluating");
    float *row = out + (size_t)d->n * k;
    for (int r = 0; r < d->n && !st; r++) {
        const float *x = row;
        if (d->X)
            x = d->X + (size_t)r * n_in;
        else           /* bytes, converted as the readers would have */
            dn_row_u8(dn_data_x8(d) + (size_t)r * n_in, NULL, NULL, row, n_in);
        st = run_rows(q, x, 1, out + (size_t)r * k, err);
    }
    if (!st) st = dn_evaluate_outputs(q->m, out, d, res, err);
    free(out);
    return st;
}
