/* nn.c — forward and backward passes over a mini-batch in matrix form.
 *
 *   forward   Z_l = A_{l−1} W_lᵀ + 1 b_lᵀ,   A_l = f_l(Z_l)
 *   output    delta_L = dE/dZ_L  (= (A_L − Y)/N for the paired losses)
 *   backward  dW_l = delta_lᵀ A_{l−1},  db_l = Σ_rows delta_l
 *             delta_{l−1} = (delta_l W_l) ⊙ f'_{l−1}(Z_{l−1})
 *
 * Rows are samples.  Every buffer lives in the workspace, sized once, so
 * a training step allocates nothing. */
#include "nn/nn.h"
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

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

/* One input row of d (X or X8) into o, standardized when the model has
 * input scaling. */
void dn_load_row(const dn_model *m, const dn_data *d, size_t i, float *o)
{
    const size_t dx = (size_t)d->d;
    if (d->X)
        dn_row_f32(d->X + i * dx, m->mean, m->inv_std, o, d->d);
    else
        dn_row_u8(dn_data_x8(d) + i * dx, m->mean, m->inv_std, o, d->d);
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


void dn_col_sums(const float *d, int n, int cols, int ld, float *out)
{
    if (dn_vec_col_sums(d, n, cols, ld, out)) return;   /* the fast path */
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
void dn_layer_units(const dn_model *m, dn_ws *ws, dn_pool *pool, int l,
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
const float *dn_forward_layers(const dn_model *m, dn_ws *ws,
                                   const float *a, int n, int done0,
                                   const float *rate, dn_rng *rng)
{
    ws->a0 = a;
    ws->n = n;
    ws->w = NULL;    /* unweighted unless the caller says otherwise */
    ws->n2_ok = 0;   /* a new gradient: no row sums yet */
    for (int l = 0; l < m->arch.n_layers; l++) {
        if (l > 0 || !done0)
            dn_layer_units(m, ws, ws->pool, l, a, n, 0, m->arch.layer[l].units);
        a = dropped(ws, rate, l)
          ? drop(ws, l, n, m->arch.layer[l].units, rate[l], rng) : ws->a[l];
    }
    return ws->a[m->arch.n_layers - 1];
}

int dn_ws_fits(const dn_model *m, const dn_ws *ws, int n)
{
    return n >= 1 && n <= ws->max_batch && ws->n_layers == m->arch.n_layers;
}

const float *dn_forward(const dn_model *m, dn_ws *ws, const float *X, int n)
{
    if (!dn_ws_fits(m, ws, n)) return NULL;
    return dn_forward_layers(m, ws, scaled_input(m, ws, X, n), n, 0, NULL, NULL);
}

const float *dn_forward_data(const dn_model *m, dn_ws *ws, const dn_data *d,
                             int r0, int n)
{
    if (d->X) return dn_forward(m, ws, d->X + (size_t)r0 * d->d, n);
    if (!dn_ws_fits(m, ws, n)) return NULL;
    for (int r = 0; r < n; r++)
        dn_load_row(m, d, (size_t)r0 + r, ws->x + (size_t)r * d->d);
    return dn_forward_layers(m, ws, ws->x, n, 0, NULL, NULL);
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
        return dn_loss_ce_lse(ws->z[L], ws->lse, Y, ws->w, n, k);
    return dn_loss_eval_w(m->arch.loss, ws->z[L], ws->a[L], Y, ws->w, n, k);
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

/* Backpropagation through layers last .. lowest (their dW and db), then
 * returns delta of layer lowest − 1 (NULL when lowest is 0). */
static float *backward_layers(const dn_model *m, dn_ws *ws, const float *rate,
                              int lowest);

/* After a forward pass over n rows: the loss, then dE/dtheta of layers
 * lowest and up; *delta (when not NULL) gets delta of layer lowest − 1. */
double dn_loss_backward(const dn_model *m, dn_ws *ws, const float *Y,
                                int n, const float *rate, int lowest,
                                float **delta)
{
    const dn_arch *A = &m->arch;
    const int last = A->n_layers - 1;
    Y = scaled_target(m, ws, Y, n);
    double E = output_loss(m, ws, Y, n);
    dn_loss_output_grad(A->loss, ws->a[last], Y, ws->w, n,
                        A->layer[last].units, ws->delta[0]);
    float *d = backward_layers(m, ws, rate, lowest);
    if (delta) *delta = d;
    return E;
}

/* Forward, loss (weighted by w, NULL: all 1) and backward. */
static double gradient_pass(const dn_model *m, dn_ws *ws, const float *X,
                            const float *Y, const float *w, int n,
                            const float *rate, dn_rng *rng)
{
    if (!dn_ws_fits(m, ws, n)) return NAN;
    dn_forward_layers(m, ws, scaled_input(m, ws, X, n), n, 0, rate, rng);
    ws->w = w;
    return dn_loss_backward(m, ws, Y, n, rate, 0, NULL);
}

double dn_gradient_train(const dn_model *m, dn_ws *ws, const float *X,
                         const float *Y, int n, const float *rate,
                         dn_rng *rng)
{
    return gradient_pass(m, ws, X, Y, NULL, n, rate, rng);
}

double dn_gradient_weighted(const dn_model *m, dn_ws *ws, const float *X,
                            const float *Y, const float *w, int n)
{
    return gradient_pass(m, ws, X, Y, w, n, NULL, NULL);
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

/* Subnormal deltas (a classifier whose softmax has saturated: p below
 * FLT_MIN · N) become 0.  Each product with a subnormal operand costs
 * x86 a microcode assist; on make bench-solvers' breast cancer rows,
 * where L-BFGS drives the loss to 1e-10, they made every pass 3 to 5
 * times slower.  What they carry is below float32's resolution of any
 * gradient sum they join.  Elementwise, before the products: the same
 * result for any number of threads. */
static void flush_tiny(float *d, size_t n)
{
    /* A select, not a branch, so that the loop vectorizes. */
    for (size_t i = 0; i < n; i++) d[i] = fabsf(d[i]) < FLT_MIN ? 0 : d[i];
}

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
        if (ws->flush) flush_tiny(delta, (size_t)n * out);

        /* dW = deltaᵀ A_prev (out × in), db = column sums of delta. */
        dn_gemm_tn(ws->pool, out, in, n, delta, out, a_prev, in, dW, in, 0);
        dn_col_sums(delta, n, out, out, db);
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
