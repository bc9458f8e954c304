/* nn.c — forward and backward passes over a mini-batch in matrix form.
 *
 *   forward   Z_l = A_{l−1} W_lᵀ + 1 b_lᵀ,   A_l = f_l(Z_l)
 *   output    delta_L = dE/dZ_L  (= (A_L − Y)/N for the paired losses)
 *   backward  dW_l = delta_lᵀ A_{l−1},  db_l = Σ_rows delta_l
 *             delta_{l−1} = (delta_l W_l) ⊙ f'_{l−1}(Z_{l−1})
 *
 * Rows are samples.  Every buffer lives in the workspace, sized once, so
 * a training step allocates nothing. */
#include "internal.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Layer 0 is cut by units over T threads when it is narrow (a 16-unit
 * layer over 784 inputs: nearly all of the step's flops, in products too
 * small to split any other way without moving the batch, W_0 and its
 * gradient between the cores every step) and there is a layer above it
 * to take its output. */
enum { SPLIT_WIDTH = 32 };

static int narrow0(const dn_model *m)
{
    const dn_arch *A = &m->arch;
    return A->n_layers >= 2 && A->layer[0].units <= SPLIT_WIDTH &&
           A->n_in >= 64;
}

static int unit_split(const dn_model *m, int T)
{
    return narrow0(m) && m->arch.layer[0].units >= T;
}

dn_status dn_ws_new(const dn_model *m, int max_batch, int threads,
                    dn_ws **out, dn_error *err)
{
    DN_NEED(m);
    DN_NEED(out);
    *out = NULL;
    if (max_batch < 1 || max_batch > DN_MAX_ROWS)
        return dn_fail(err, DN_EARG, "batch size %d is out of range (1..%ld)",
                       max_batch, DN_MAX_ROWS);
    dn_ws *ws = calloc(1, sizeof *ws);
    if (!ws) return dn_fail(err, DN_ENOMEM, "out of memory for a workspace");
    const dn_arch *A = &m->arch;
    ws->max_batch = max_batch;
    ws->n_layers = A->n_layers;
    int w = A->n_in;
    for (int l = 0; l < A->n_layers; l++)
        if (A->layer[l].units > w) w = A->layer[l].units;
    ws->max_width = w;
    size_t B = (size_t)max_batch;
    int ok = 1;
    ws->x = malloc(B * A->n_in * sizeof(float));
    ok &= ws->x != NULL;
    for (int l = 0; ok && l < A->n_layers; l++) {
        size_t sz = B * A->layer[l].units * sizeof(float);
        ws->z[l] = malloc(sz);
        ws->a[l] = A->layer[l].act == DN_ACT_IDENTITY ? ws->z[l] : malloc(sz);
        ok &= ws->z[l] && ws->a[l];
    }
    for (int i = 0; ok && i < 2; i++) {
        ws->delta[i] = malloc(B * w * sizeof(float));
        ok &= ws->delta[i] != NULL;
    }
    if (ok) {
        ws->grad = dn_big_calloc(m->n_params, sizeof(float));
        ws->y = malloc(B * A->layer[A->n_layers - 1].units * sizeof(float));
        ok &= ws->grad && ws->y;
        if (ok && A->layer[A->n_layers - 1].act == DN_ACT_SOFTMAX)
            ok &= (ws->lse = malloc(B * sizeof(double))) != NULL;
    }
    if (!ok) {
        dn_ws_free(ws);
        return dn_fail(err, DN_ENOMEM, "out of memory for a workspace of "
                       "batch %d (widest layer %d); use a smaller --batch",
                       max_batch, w);
    }
    if (threads != 1) {
        ws->pool = ws->all = dn_pool_new(threads);
        /* No pool is not an error: the products then run on the caller. */
    }
    const int T = dn_pool_threads(ws->pool);
    if (T > 1 && unit_split(m, T)) {
        ws->n_xt = T;
        ws->xt = calloc((size_t)T, sizeof *ws->xt);
        ws->n2row = malloc((size_t)A->layer[0].units * sizeof *ws->n2row);
        for (int t = 0; ws->xt && t < T; t++)
            if (!(ws->xt[t] = malloc(B * A->n_in * sizeof(float)))) {
                dn_ws_free(ws);
                return dn_fail(err, DN_ENOMEM, "out of memory for a "
                               "workspace of batch %d", max_batch);
            }
        if (!ws->xt || !ws->n2row) {
            dn_ws_free(ws);
            return dn_fail(err, DN_ENOMEM, "out of memory for a workspace");
        }
    }
    *out = ws;
    return DN_OK;
}

void dn_ws_free(dn_ws *ws)
{
    if (!ws) return;
    free(ws->x);
    for (int l = 0; l < ws->n_layers; l++) {
        if (ws->a[l] != ws->z[l]) free(ws->a[l]);
        free(ws->z[l]);
    }
    free(ws->delta[0]);
    free(ws->delta[1]);
    free(ws->grad);
    free(ws->y);
    free(ws->lse);
    for (int l = 0; l < ws->n_layers; l++) {
        free(ws->mask[l]);
        free(ws->ad[l]);
    }
    for (int t = 0; ws->xt && t < ws->n_xt; t++)
        free(ws->xt[t]);
    free(ws->xt);
    free(ws->n2row);
    dn_pool_free(ws->all);
    free(ws);
}

dn_status dn_ws_enable_dropout(dn_ws *ws, const dn_model *m,
                               const float *rate, dn_error *err)
{
    for (int l = 0; l + 1 < m->arch.n_layers; l++) {
        if (!(rate[l] > 0) || ws->mask[l]) continue;
        if (!(rate[l] < 1))  /* cov: dn_train_check_opts refuses it first */
            return dn_fail(err, DN_EARG, "layer %d: dropout rate %g must be "  /* cov: refused before */
                           "below 1 (it is the share of units dropped)", l + 1,
                           rate[l]);
        size_t sz = (size_t)ws->max_batch * m->arch.layer[l].units
                  * sizeof(float);
        ws->mask[l] = malloc(sz);
        ws->ad[l] = malloc(sz);
        if (!ws->mask[l] || !ws->ad[l])
            return dn_fail(err, DN_ENOMEM, "out of memory for dropout masks");
    }
    return DN_OK;
}

/* Draws layer l's inverted-dropout mask and the dropped activations:
 * each unit survives with probability 1 − p and is scaled by 1/(1 − p),
 * so the expected input of the next layer equals the undropped one and
 * inference needs no rescaling. */
static const float *drop(dn_ws *ws, int l, int n, int units, float p,
                         dn_rng *rng)
{
    const float keep = 1.0f / (1.0f - p);
    float *mask = ws->mask[l], *ad = ws->ad[l];
    const float *a = ws->a[l];
    for (size_t i = 0; i < (size_t)n * units; i++) {
        mask[i] = dn_rng_uniform(rng) < p ? 0.0f : keep;
        ad[i] = a[i] * mask[i];
    }
    return ad;
}

void dn_ws_solo(dn_ws *ws, int solo) { ws->pool = solo ? NULL : ws->all; }

int dn_ws_max_batch(const dn_ws *ws) { return ws->max_batch; }
float *dn_ws_grad(dn_ws *ws) { return ws->grad; }

/* One input row of d (X or X8) into o, standardized when the model has
 * input scaling. */
static void load_row(const dn_model *m, const dn_data *d, size_t i, float *o)
{
    const size_t dx = (size_t)d->d;
    if (d->X)
        dn_row_f32(d->X + i * dx, m->mean, m->inv_std, o, d->d);
    else
        dn_row_u8(d->X8 + i * dx, m->mean, m->inv_std, o, d->d);
}

/* Input rows for layer 0: the model's standardization x' = (x − μ) / σ
 * is applied into the workspace, or the caller's rows are used as they
 * are when the model has none. */
static const float *scaled_input(const dn_model *m, dn_ws *ws,
                                 const float *X, int n)
{
    if (!m->mean) return X;
    const int d = m->arch.n_in;
    for (int r = 0; r < n; r++)
        dn_row_f32(X + (size_t)r * d, m->mean, m->inv_std, ws->x + (size_t)r * d,
                   d);
    return ws->x;
}

/* db = Σ_rows delta: each column summed over the rows in order (row
 * stride ld), sixteen columns at a time when the AVX-512 paths are on —
 * the same additions in the same order, so the same bits. */
static void col_sums_plain(const float *restrict d, int n, int cols,
                           int ld, float *restrict out)
{
    for (int j = 0; j < cols; j++) out[j] = 0;
    for (int r = 0; r < n; r++)
        for (int j = 0; j < cols; j++) out[j] += d[(size_t)r * ld + j];
}

#if (defined(__x86_64__) || defined(__i386__)) && \
    (defined(__GNUC__) || defined(__clang__))
#include "simd.h"

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
#define COL_SUMS_WIDE 1
#endif

static void col_sums(const float *d, int n, int cols, int ld, float *out)
{
#ifdef COL_SUMS_WIDE
    if (dn_simd_wide()) {
        col_sums_wide(d, n, cols, ld, out);
        return;
    }
#endif
    col_sums_plain(d, n, cols, ld, out);
}

/* Layer l's output as the next layer sees it: dropped or not. */
static const float *layer_out(const dn_ws *ws, int l, int dropped)
{
    return dropped ? ws->ad[l] : ws->a[l];
}

static int dropped(const dn_ws *ws, const float *rate, int l)
{
    return rate && ws->mask[l] && rate[l] > 0;
}

/* The epilogue of layer l's forward product Z = A Wᵀ: on each tile of Z
 * as it is finished, z += b and a = f(z) (see dn_act_forward_block). */
typedef struct {
    const dn_layer *L;
    const float *b, *slope;
    float *a;
    int ld;
} fwd_tile;

static void fwd_epi(const void *arg, float *z, ptrdiff_t ldz, int i0, int j0,
                    int rows, int cols)
{
    const fwd_tile *t = arg;
    dn_act_forward_block(t->L, t->slope ? t->slope + j0 : NULL, t->b + j0, z,
                         t->a + (ptrdiff_t)i0 * t->ld + j0, ldz, rows, cols);
}

/* z = a_in Wᵀ + b and a = f(z) for units [u0, u1) of layer l over n rows,
 * the bias and f applied to each tile of the product while it is hot.  A
 * unit's column has the same bits whether computed alone or with the
 * others (the products sum each element over k in an order fixed by K
 * alone), so a layer may be done in parts. */
static void layer_units(const dn_model *m, dn_ws *ws, dn_pool *pool, int l,
                        const float *a_in, int n, int u0, int u1)
{
    const dn_layer *L = &m->arch.layer[l];
    const int out = L->units, in = l ? m->arch.layer[l - 1].units
                                     : m->arch.n_in;
    const float *slope = m->off_slope[l] >= 0
                       ? m->theta + m->off_slope[l] + u0 : NULL;
    fwd_tile t = { L, m->theta + m->off_b[l] + u0, slope, ws->a[l] + u0, out };
    dn_epilogue epi = { fwd_epi, &t };
    dn_gemm_nt_epi(pool, n, u1 - u0, in, a_in, in,
                   m->theta + m->off_W[l] + (size_t)u0 * in, in, ws->z[l] + u0,
                   out, 0, &epi);
    if (L->act == DN_ACT_SOFTMAX)   /* whole rows (never cut), after the bias */
        dn_softmax_rows(ws->z[l], ws->a[l], ws->lse, n, out);
}

/* Every layer from input a over n rows (layer 0 skipped when done0: its
 * output is already in ws), with dropout in training. */
static const float *forward_layers(const dn_model *m, dn_ws *ws,
                                   const float *a, int n, int done0,
                                   const float *rate, dn_rng *rng)
{
    ws->a0 = a;
    ws->n = n;
    ws->n2_ok = 0;   /* a new gradient: no row sums yet */
    for (int l = 0; l < m->arch.n_layers; l++) {
        if (l > 0 || !done0)
            layer_units(m, ws, ws->pool, l, a, n, 0, m->arch.layer[l].units);
        a = dropped(ws, rate, l)
          ? drop(ws, l, n, m->arch.layer[l].units, rate[l], rng) : ws->a[l];
    }
    return ws->a[m->arch.n_layers - 1];
}

static int n_ok(const dn_model *m, const dn_ws *ws, int n)
{
    return n >= 1 && n <= ws->max_batch && ws->n_layers == m->arch.n_layers;
}

const float *dn_forward(const dn_model *m, dn_ws *ws, const float *X, int n)
{
    if (!n_ok(m, ws, n)) return NULL;
    return forward_layers(m, ws, scaled_input(m, ws, X, n), n, 0, NULL, NULL);
}

const float *dn_forward_data(const dn_model *m, dn_ws *ws, const dn_data *d,
                             int r0, int n)
{
    if (d->X) return dn_forward(m, ws, d->X + (size_t)r0 * d->d, n);
    if (!n_ok(m, ws, n)) return NULL;
    for (int r = 0; r < n; r++)
        load_row(m, d, (size_t)r0 + r, ws->x + (size_t)r * d->d);
    return forward_layers(m, ws, ws->x, n, 0, NULL, NULL);
}

/* Targets as the network sees them: y' = (y − mean) / std when the
 * model has target scaling, else Y itself. */
static const float *scaled_target(const dn_model *m, dn_ws *ws,
                                  const float *Y, int n)
{
    if (!m->t_mean) return Y;
    const int k = dn_model_n_out(m);
    for (int r = 0; r < n; r++)
        for (int j = 0; j < k; j++)
            ws->y[(size_t)r * k + j] =
                (Y[(size_t)r * k + j] - m->t_mean[j]) / m->t_std[j];
    return ws->y;
}

/* The loss of the last forward pass; cross-entropy reuses the softmax's
 * log-sum-exp instead of exponentiating every logit again. */
static double output_loss(const dn_model *m, const dn_ws *ws, const float *Y,
                          int n)
{
    const int L = m->arch.n_layers - 1, k = m->arch.layer[L].units;
    if (m->arch.loss == DN_LOSS_CE && ws->lse)
        return dn_loss_ce_lse(ws->z[L], ws->lse, Y, n, k);
    return dn_loss_eval(m->arch.loss, ws->z[L], ws->a[L], Y, n, k);
}

double dn_loss_value(const dn_model *m, dn_ws *ws, const float *Y, int n)
{
    if (n < 1 || n != ws->n) return NAN;
    return output_loss(m, ws, scaled_target(m, ws, Y, n), n);
}

double dn_gradient(const dn_model *m, dn_ws *ws, const float *X,
                   const float *Y, int n)
{
    return dn_gradient_train(m, ws, X, Y, n, NULL, NULL);
}

static float *backward_layers(const dn_model *m, dn_ws *ws, const float *rate,
                              int lowest);

/* After a forward pass over n rows: the loss, then dE/dtheta of layers
 * lowest and up; *delta (when not NULL) gets delta of layer lowest − 1. */
static double loss_and_backward(const dn_model *m, dn_ws *ws, const float *Y,
                                int n, const float *rate, int lowest,
                                float **delta)
{
    const dn_arch *A = &m->arch;
    const int last = A->n_layers - 1;
    Y = scaled_target(m, ws, Y, n);
    double E = output_loss(m, ws, Y, n);
    dn_loss_output_grad(A->loss, ws->a[last], Y, n, A->layer[last].units,
                        ws->delta[0]);
    float *d = backward_layers(m, ws, rate, lowest);
    if (delta) *delta = d;
    return E;
}

double dn_gradient_train(const dn_model *m, dn_ws *ws, const float *X,
                         const float *Y, int n, const float *rate,
                         dn_rng *rng)
{
    if (!n_ok(m, ws, n)) return NAN;
    forward_layers(m, ws, scaled_input(m, ws, X, n), n, 0, rate, rng);
    return loss_and_backward(m, ws, Y, n, rate, 0, NULL);
}

/* --- a mini-batch straight from the data set */

/* Asks the memory for one row of the next batch, a step before it is
 * needed: the rows are scattered over a data set far larger than the
 * caches, and a row's cache lines, requested early, arrive while the
 * current step computes.  Spread over the gather (one row of the next
 * batch per row of this one) rather than issued at once, the requests
 * do not stall on a full queue: measured on 784-float rows, batch 32,
 * an epoch's gathers took 18 ms with, 32 ms without. */
static void prefetch_bytes(const void *x, size_t len)
{
#if defined(__GNUC__) || defined(__clang__)
    /* Every line the row touches: from the line of its first byte to
     * that of its last (a row seldom starts on a line). */
    const uintptr_t first = (uintptr_t)x & ~(uintptr_t)63,
                    end = (uintptr_t)x + len;
    for (uintptr_t p = first; p < end; p += 64)
        __builtin_prefetch((const void *)p, 0, 2);
#else
    (void)x; (void)len;
#endif
}

/* Row i of d (floats or bytes). */
static void prefetch_row(const dn_data *d, size_t i)
{
    const size_t dx = (size_t)d->d;
    if (d->X)
        prefetch_bytes(d->X + i * dx, dx * sizeof *d->X);
    else
        prefetch_bytes(d->X8 + i * dx, dx);
}

typedef struct {
    const dn_model *m;
    dn_ws *ws;
    const dn_data *d;
    const int32_t *idx;
    int n, ahead, chunk;
    float *Y;
} batch;

/* Rows [r0, r1) of the batch into x (standardized on the way: one pass,
 * where a copy and then the forward pass's scaling took two), asking for
 * the matching rows of the next batch (into this core's cache: each
 * thread that gathers a whole batch asks for all of the next).  The lead
 * copy also takes their targets into Y. */
static void gather_rows(const batch *g, int r0, int r1, float *x, int lead)
{
    const dn_data *d = g->d;
    const size_t dx = (size_t)d->d, dy = (size_t)d->k;
    for (int r = r0; r < r1; r++) {
        if (r < g->ahead) prefetch_row(d, (size_t)g->idx[g->n + r]);
        load_row(g->m, d, (size_t)g->idx[r], x + (size_t)r * dx);
        if (!lead) continue;
        const float *y = d->Y + (size_t)g->idx[r] * dy;
        for (size_t j = 0; j < dy; j++) g->Y[(size_t)r * dy + j] = y[j];
    }
    for (int r = g->n; r1 == g->n && r < g->ahead; r++)
        prefetch_row(d, (size_t)g->idx[g->n + r]);
}

static void gather_task(int t, void *arg)
{
    const batch *g = arg;
    int r0 = t * g->chunk, r1 = g->n - r0 < g->chunk ? g->n : r0 + g->chunk;
    gather_rows(g, r0, r1, g->ws->x, 1);
}

/* Thread t's units of layer 0: [u0, u1) of U, as even as can be. */
static void units_of(int U, int T, int t, int *u0, int *u1)
{
    *u0 = (int)((long)U * t / T);
    *u1 = (int)((long)U * (t + 1) / T);
}

/* Layer 0 cut by units: task t gathers the whole batch into its own
 * buffer and computes z = x Wᵀ + b, a = f(z) for its units, every row.
 * A unit's column has the bits it has when the layer is done whole: the
 * products sum each element over k in an order fixed by K alone. */
static void unit_forward(int t, void *arg)
{
    const batch *g = arg;
    const dn_model *m = g->m;
    dn_ws *ws = g->ws;
    int u0, u1;
    units_of(m->arch.layer[0].units, dn_pool_threads(ws->pool), t, &u0, &u1);
    float *x = ws->xt[t];
    gather_rows(g, 0, g->n, x, t == 0);
    if (u1 > u0) layer_units(m, ws, NULL, 0, x, g->n, u0, u1);
}

/* And its gradient: dW_0 for task t's units from its own copy of the
 * batch, and their biases' (the column sums, in dn_backward's order). */
typedef struct {
    const dn_model *m;
    dn_ws *ws;
    float *delta;
} unit_grad_job;

static void unit_grad(int t, void *arg)
{
    const unit_grad_job *j = arg;
    const dn_model *m = j->m;
    dn_ws *ws = j->ws;
    const int U = m->arch.layer[0].units, in = m->arch.n_in, n = ws->n;
    int u0, u1;
    units_of(U, dn_pool_threads(ws->pool), t, &u0, &u1);
    if (u1 == u0) return;
    float *dW = ws->grad + m->off_W[0], *db = ws->grad + m->off_b[0];
    dn_gemm_tn(NULL, u1 - u0, in, n, j->delta + u0, U, ws->xt[t], in,
               dW + (size_t)u0 * in, in, 0);
    col_sums(j->delta + u0, n, u1 - u0, U, db + u0);
    /* Its rows' share of ‖g‖², while they are in this core's cache. */
    for (int u = u0; u < u1; u++)
        ws->n2row[u] = dn_norm2_sq(dW + (size_t)u * in, (size_t)in);
}

/* Gathering is split over the threads when the batch is big enough for
 * the hand-off to pay (32 rows of 784 floats: 100 KB from all over
 * memory). */
enum { GATHER_MIN = 1 << 14 };

double dn_gradient_rows(const dn_model *m, dn_ws *ws, const dn_data *d,
                        const int32_t *idx, int n, int ahead, float *Y,
                        const float *rate, dn_rng *rng)
{
    if (!n_ok(m, ws, n)) return NAN;
    const int threads = dn_pool_threads(ws->pool);
    batch g = { m, ws, d, idx, n, ahead, n, Y };
    if (ws->xt && ws->pool) {
        /* Layer 0 by units, each thread on its own copy of the batch;
         * the layers above on this thread; then layer 0's gradient by
         * units again. */
        dn_pool_run(ws->pool, threads, unit_forward, &g);
        forward_layers(m, ws, ws->xt[0], n, 1, rate, rng);
        unit_grad_job j = { m, ws, NULL };
        double E = loss_and_backward(m, ws, Y, n, rate, 1, &j.delta);
        dn_pool_run(ws->pool, threads, unit_grad, &j);
        ws->n2_ok = 1;
        return E;
    }
    if (threads > 1 && n >= 2 * threads && (long)n * d->d >= GATHER_MIN) {
        g.chunk = (n + threads - 1) / threads;
        dn_pool_run(ws->pool, (n + g.chunk - 1) / g.chunk, gather_task, &g);
    } else {
        gather_rows(&g, 0, n, ws->x, 1);
    }
    forward_layers(m, ws, ws->x, n, 0, rate, rng);
    return loss_and_backward(m, ws, Y, n, rate, 0, NULL);
}

double dn_grad_norm(const dn_model *m, dn_ws *ws, int fresh)
{
    const float *g = ws->grad;
    if (!narrow0(m)) return dn_norm2(g, m->n_params);
    /* W_0 is first in theta, its rows one after another. */
    const int U = m->arch.layer[0].units, in = m->arch.n_in;
    const int sums = fresh && ws->n2_ok;
    double s = 0;
    for (int u = 0; u < U; u++)
        s += sums ? ws->n2row[u] : dn_norm2_sq(g + (size_t)u * in, (size_t)in);
    const size_t rest = (size_t)U * in;
    s += dn_norm2_sq(g + rest, m->n_params - rest);
    ws->n2_ok = 0;
    return sqrt(s);
}

int dn_ws_cuts(const dn_model *m, const dn_ws *ws, size_t *cut)
{
    const int T = dn_pool_threads(ws->pool);
    const size_t P = m->n_params;
    cut[0] = 0;
    if (ws->xt && ws->pool) {
        /* W_0 is first in theta; each thread updates its own rows. */
        const int in = m->arch.n_in;
        for (int t = 1; t <= T; t++) {
            int u0, u1;
            units_of(m->arch.layer[0].units, T, t - 1, &u0, &u1);
            cut[t] = m->off_W[0] + (size_t)u1 * in;
        }
        cut[T + 1] = P;
        return T + 1;
    }
    /* Below some 65 thousand parameters a hand-off costs more than the
     * update; above, two cores stream the arrays faster than one
     * (measured: W3's 235 thousand, Adam, 8% off the whole run; W2's
     * 1.9 million, Adam's step 1.05 -> 0.4 ms). */
    if (T < 2 || P < (1u << 16)) {
        cut[1] = P;
        return 1;
    }
    int parts = 2 * T < DN_MAX_CUTS ? 2 * T : DN_MAX_CUTS;
    for (int i = 1; i < parts; i++)
        cut[i] = P / parts * i / 16 * 16;   /* whole cache lines */
    cut[parts] = P;
    return parts;
}

const float *dn_ws_target(const dn_model *m, dn_ws *ws, const float *Y, int n)
{
    return scaled_target(m, ws, Y, n);
}

/* The epilogue of the backward product delta W: on each tile, the
 * dropout mask and f'(z) of the layer below (dn_act_backward_block). */
typedef struct {
    const dn_layer *L;
    const float *z, *a, *mask;
    int ld;
} bwd_tile;

static void bwd_epi(const void *arg, float *d, ptrdiff_t ldd, int i0, int j0,
                    int rows, int cols)
{
    const bwd_tile *t = arg;
    ptrdiff_t o = (ptrdiff_t)i0 * t->ld + j0;
    dn_act_backward_block(t->L, t->z + o, t->a + o, t->mask ? t->mask + o : NULL,
                          d, ldd, rows, cols);
}

/* Backpropagation through layers last .. lowest (their dW and db), then
 * returns delta of layer lowest − 1 (NULL when lowest is 0). */
static float *backward_layers(const dn_model *m, dn_ws *ws, const float *rate,
                              int lowest)
{
    const dn_arch *A = &m->arch;
    const int last = A->n_layers - 1, n = ws->n;
    /* delta_L: the paired losses give (a − y)/N directly at z; MSE gives
     * dE/da, which still goes through the output activation's f'. */
    float *delta = ws->delta[0];
    if (A->loss == DN_LOSS_MSE) {
        float *ds = m->off_slope[last] >= 0 ? ws->grad + m->off_slope[last]
                                            : NULL;
        const float *slope = m->off_slope[last] >= 0
                           ? m->theta + m->off_slope[last] : NULL;
        dn_act_backward(&A->layer[last], slope, ws->z[last], ws->a[last],
                        delta, ds, n);
    }

    for (int l = last; l >= 0; l--) {
        const int out = A->layer[l].units;
        const int in = l ? A->layer[l - 1].units : A->n_in;
        const float *a_prev = l ? layer_out(ws, l - 1, dropped(ws, rate, l - 1))
                                : ws->a0;
        float *dW = ws->grad + m->off_W[l];
        float *db = ws->grad + m->off_b[l];

        /* dW = deltaᵀ A_prev (out × in), db = column sums of delta. */
        dn_gemm_tn(ws->pool, out, in, n, delta, out, a_prev, in, dW, in, 0);
        col_sums(delta, n, out, out, db);
        if (l == 0) return NULL;

        /* delta_prev = (delta W) ⊙ f'(z_prev), f' applied to each tile
         * of the product while it is hot, when f' is elementwise. */
        float *next = ws->delta[delta == ws->delta[0]];
        const float *W = m->theta + m->off_W[l];
        const int p = l - 1;
        if (dn_act_blockwise(A->layer[p].act)) {
            bwd_tile t = { &A->layer[p], ws->z[p], ws->a[p],
                           dropped(ws, rate, p) ? ws->mask[p] : NULL, in };
            dn_epilogue epi = { bwd_epi, &t };
            dn_gemm_nn_epi(ws->pool, n, in, out, delta, out, W, in, next, in,
                           0, &epi);
            delta = next;
            if (l == lowest) return delta;
            continue;
        }
        dn_gemm_nn(ws->pool, n, in, out, delta, out, W, in, next, in, 0);
        if (dropped(ws, rate, p)) {
            /* The dropped units passed nothing on: their gradient is 0,
             * the kept ones carry the same 1/(1−p) scale as forward. */
            const float *mask = ws->mask[p];
            for (size_t i = 0; i < (size_t)n * in; i++) next[i] *= mask[i];
        }
        float *ds = m->off_slope[p] >= 0 ? ws->grad + m->off_slope[p] : NULL;
        const float *slope = m->off_slope[p] >= 0
                           ? m->theta + m->off_slope[p] : NULL;
        dn_act_backward(&A->layer[p], slope, ws->z[p], ws->a[p], next, ds, n);
        delta = next;
        if (l == lowest) return delta;
    }
    return NULL;
}

void dn_backward(const dn_model *m, dn_ws *ws, const float *rate)
{
    backward_layers(m, ws, rate, 0);
}
