/* workspace.c — the buffers of a forward and backward pass (dn_ws):
 * sized once for a model and a batch, so that a training step allocates
 * nothing; dropout's masks; the thread pool the products run on. */
#include "nn/nn.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>


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
        ws->wb = malloc(B * sizeof(float));
        ok &= ws->grad && ws->y && ws->wb;
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
    if (T > 1 && dn_ws_by_units(m, T)) {
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
    DN_FREE_ALL(ws->delta[0], ws->delta[1], ws->grad, ws->y, ws->wb, ws->lse);
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

void dn_ws_solo(dn_ws *ws, int solo) { ws->pool = solo ? NULL : ws->all; }

int dn_ws_max_batch(const dn_ws *ws) { return ws->max_batch; }
float *dn_ws_grad(dn_ws *ws) { return ws->grad; }

const float *dn_ws_z(const dn_ws *ws, int l)
{
    return ws && ws->n > 0 && l >= 0 && l < ws->n_layers ? ws->z[l] : NULL;
}

const float *dn_ws_a(const dn_ws *ws, int l)
{
    if (!ws || ws->n < 1 || l < -1 || l >= ws->n_layers) return NULL;
    return l < 0 ? ws->a0 : ws->a[l];
}

