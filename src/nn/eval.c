/* eval.c — loss and metrics over a data set, inference on new rows, and
 * the check that a data set fits a model. */
#include "nn/nn.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define EVAL_BATCH 256 /* rows per forward pass when evaluating */

dn_status dn_data_check(const dn_model *m, const dn_data *d, const char *what,
                        int need_target, dn_error *err)
{
    const dn_arch *A = &m->arch;
    const int units = A->layer[A->n_layers - 1].units;
    if (!d || d->n < 1)
        return dn_fail(err, DN_EARG, "the %s data has no rows", what);
    if (!d->X && !d->bytes)
        return dn_fail(err, DN_EARG, "the %s data has no inputs (X is NULL); "
                       "fill X, or build the set with dn_data_new or "
                       "dn_data_view", what);
    if (d->d != A->n_in)
        return dn_fail(err, DN_EARG, "the %s data has %d inputs but the "
                       "network takes %d; use data with the same columns as "
                       "the training data", what, d->d, A->n_in);
    for (int i = 0; d->w && i < d->n; i++)
        if (!(d->w[i] >= 0) || !isfinite(d->w[i]))
            return dn_fail(err, DN_EARG, "the %s data: row %d has weight %g; "
                           "weights must be finite numbers >= 0", what, i + 1,
                           (double)d->w[i]);
    if (d->w && !(dn_weight_sum(d->w, d->n) > 0))
        return dn_fail(err, DN_EARG, "the %s data: every row has weight 0",
                       what);
    if (!need_target) return DN_OK;
    if (!d->Y)
        return dn_fail(err, DN_EARG, "the %s data has no target column", what);
    int want_k = A->loss == DN_LOSS_CE ? 1 : units;
    if (d->k != want_k)
        return dn_fail(err, DN_EARG, "the %s data has %d target columns but "
                       "the %s output needs %d", what, d->k,
                       dn_loss_name(A->loss), want_k);
    for (size_t i = 0; i < (size_t)d->n * d->k; i++) {
        float y = d->Y[i];
        int row = (int)(i / d->k) + 1;
        if (!isfinite(y))
            return dn_fail(err, DN_EARG, "the %s data: row %d has a "
                           "non-finite target", what, row);
        if (A->loss == DN_LOSS_CE && (y != floorf(y) || y < 0 || y >= units))
            return dn_fail(err, DN_EARG, "the %s data: row %d has class %g "
                           "but the output has %d classes (0..%d)", what, row,
                           y, units, units - 1);
        if (A->loss == DN_LOSS_BCE && (y < 0 || y > 1))
            return dn_fail(err, DN_EARG, "the %s data: row %d has target %g; "
                           "binary cross-entropy needs targets in [0, 1]",
                           what, row, y);
    }
    return DN_OK;
}

int dn_predict_class(const dn_model *m, const float *out_row)
{
    int k = dn_model_n_out(m);
    if (k == 1) return out_row[0] >= 0.5f;
    int best = 0;
    for (int j = 1; j < k; j++) if (out_row[j] > out_row[best]) best = j;
    return best;
}

/* out: the network's raw outputs (standardized for target-scaled
 * regression; mapped back here so the metrics are in the data's units). */
void dn_tally_add(const dn_model *m, const float *out, const float *Y,
                  const float *w, int n, double batch_loss, dn_tally *t)
{
    const int k = dn_model_n_out(m);
    const double W = dn_weight_sum(w, n);
    t->n += n;
    t->wsum += W;
    t->loss_sum += batch_loss * W;
    if (m->arch.loss == DN_LOSS_CE || m->arch.loss == DN_LOSS_BCE) {
        for (int r = 0; r < n; r++) {
            int c = dn_predict_class(m, out + (size_t)r * k);
            int y = m->arch.loss == DN_LOSS_CE ? (int)Y[r] : Y[r] >= 0.5f;
            t->correct += c == y;
        }
        return;
    }
    for (size_t i = 0; i < (size_t)n * k; i++) {
        double y_hat = out[i];
        if (m->t_mean) y_hat = m->t_mean[i % k] + (double)m->t_std[i % k] * y_hat;
        double e = y_hat - Y[i];
        t->sse += e * e;
        t->sae += fabs(e);
        t->sum_y += Y[i];
        t->sum_y2 += (double)Y[i] * Y[i];
    }
}

void dn_tally_finish(const dn_model *m, const dn_tally *t, dn_metrics *o)
{
    memset(o, 0, sizeof *o);
    o->n = (int)t->n;
    o->loss = t->n ? t->loss_sum / t->wsum : NAN;
    o->accuracy = o->mse = o->mae = o->r2 = NAN;
    if (!t->n) return;
    if (m->arch.loss != DN_LOSS_MSE) {
        o->accuracy = t->correct / t->n;
        return;
    }
    double cnt = (double)t->n * dn_model_n_out(m);
    o->mse = t->sse / cnt;
    o->mae = t->sae / cnt;
    /* R² = 1 − SSE / SST, SST about the targets' own mean. */
    double sst = t->sum_y2 - t->sum_y * t->sum_y / cnt;
    o->r2 = sst > 0 ? 1.0 - t->sse / sst : NAN;
}

void dn_eval_tally(const dn_model *m, dn_ws *ws, const dn_data *d,
                   dn_tally *t)
{
    for (int r = 0; r < d->n; r += ws->max_batch) {
        int n = d->n - r < ws->max_batch ? d->n - r : ws->max_batch;
        const float *Y = d->Y + (size_t)r * d->k;
        const float *o = dn_forward_data(m, ws, d, r, n);
        const float *w = d->w ? d->w + r : NULL;
        ws->w = w;
        dn_tally_add(m, o, Y, w, n, dn_loss_value(m, ws, Y, n), t);
    }
}

void dn_eval_ws(const dn_model *m, dn_ws *ws, const dn_data *d,
                dn_metrics *out)
{
    dn_tally t;
    memset(&t, 0, sizeof t);
    dn_eval_tally(m, ws, d, &t);
    dn_tally_finish(m, &t, out);
}

dn_status dn_evaluate(const dn_model *m, const dn_data *d, dn_metrics *out,
                      dn_error *err)
{
    DN_NEED(m);
    DN_NEED(out);
    dn_status st = dn_data_check(m, d, "evaluation", 1, err);
    if (st) return st;
    dn_ws *ws;
    st = dn_ws_new(m, d->n < EVAL_BATCH ? d->n : EVAL_BATCH, 0, &ws, err);
    if (st) return st;
    dn_eval_ws(m, ws, d, out);
    dn_ws_free(ws);
    return DN_OK;
}

dn_status dn_predict(const dn_model *m, const float *X, int n, float *out,
                     dn_error *err)
{
    DN_NEED(m);
    DN_NEED(X);
    DN_NEED(out);
    if (n < 1) return dn_fail(err, DN_EARG, "nothing to predict: no rows");
    dn_ws *ws;
    dn_status st = dn_ws_new(m, n < EVAL_BATCH ? n : EVAL_BATCH, 0, &ws, err);
    if (st) return st;
    const int d = m->arch.n_in, k = dn_model_n_out(m);
    for (int r = 0; r < n; r += EVAL_BATCH) {
        int b = n - r < EVAL_BATCH ? n - r : EVAL_BATCH;
        const float *o = dn_forward(m, ws, X + (size_t)r * d, b);
        float *dst = out + (size_t)r * k;
        for (size_t i = 0; i < (size_t)b * k; i++)
            dst[i] = m->t_mean ? m->t_mean[i % k] + m->t_std[i % k] * o[i]
                               : o[i];
    }
    dn_ws_free(ws);
    return DN_OK;
}
