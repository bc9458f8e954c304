/* batch.c — a training step's mini-batch straight from the data set,
 * and how the step is cut over the threads: rows gathered (and
 * standardized) into the workspace while the next batch's are asked for
 * early; a narrow layer 0 computed by units, one slice of W_0 per
 * thread; the gradient's norm summed in the order that cut fixes; the
 * parameter ranges of a parallel optimizer step.  The math it runs is
 * nn.c's: this file decides only who does which part. */
#include "nn/nn.h"
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

int dn_ws_by_units(const dn_model *m, int T)
{
    return narrow0(m) && m->arch.layer[0].units >= T;
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
        prefetch_bytes(dn_data_x8(d) + i * dx, dx);
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
        dn_load_row(g->m, d, (size_t)g->idx[r], x + (size_t)r * dx);
        if (!lead) continue;
        const float *y = d->Y + (size_t)g->idx[r] * dy;
        for (size_t j = 0; j < dy; j++) g->Y[(size_t)r * dy + j] = y[j];
        if (d->w) g->ws->wb[r] = d->w[g->idx[r]];
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
    if (u1 > u0) dn_layer_units(m, ws, NULL, 0, x, g->n, u0, u1);
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
    dn_col_sums(j->delta + u0, n, u1 - u0, U, db + u0);
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
    if (!dn_ws_fits(m, ws, n)) return NAN;
    const int threads = dn_pool_threads(ws->pool);
    batch g = { m, ws, d, idx, n, ahead, n, Y };
    if (ws->xt && ws->pool) {
        /* Layer 0 by units, each thread on its own copy of the batch;
         * the layers above on this thread; then layer 0's gradient by
         * units again. */
        dn_pool_run(ws->pool, threads, unit_forward, &g);
        dn_forward_layers(m, ws, ws->xt[0], n, 1, rate, rng);
        ws->w = d->w ? ws->wb : NULL;
        unit_grad_job j = { m, ws, NULL };
        double E = dn_loss_backward(m, ws, Y, n, rate, 1, &j.delta);
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
    dn_forward_layers(m, ws, ws->x, n, 0, rate, rng);
    ws->w = d->w ? ws->wb : NULL;
    return dn_loss_backward(m, ws, Y, n, rate, 0, NULL);
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
