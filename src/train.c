/* train.c — the training loop: epochs of shuffled mini-batches, one
 * gradient step per batch, validation and a report after every epoch. */
#include "internal.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define VAL_BATCH 256

void dn_train_defaults(dn_train_opts *o)
{
    memset(o, 0, sizeof *o);
    o->epochs = 20;
    o->batch = 32;
    o->eta = 0.01;
    o->shuffle = 1;
    o->seed = 1;
    o->threads = 0;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Copies rows idx[0..b) of d into contiguous X and Y buffers: the data
 * set is never reordered or copied whole, only one batch at a time. */
static void gather(const dn_data *d, const int32_t *idx, int b, float *X,
                   float *Y)
{
    const size_t dx = (size_t)d->d, dy = (size_t)d->k;
    for (int r = 0; r < b; r++) {
        memcpy(X + r * dx, d->X + (size_t)idx[r] * dx, dx * sizeof(float));
        memcpy(Y + r * dy, d->Y + (size_t)idx[r] * dy, dy * sizeof(float));
    }
}

static dn_status check_opts(const dn_train_opts *o, dn_error *err)
{
    if (o->epochs < 0)
        return dn_fail(err, DN_EARG, "epochs must be 0 or more, got %d",
                       o->epochs);
    if (o->batch < 0)
        return dn_fail(err, DN_EARG, "batch size must be 1 or more (0 for "
                       "the whole set), got %d", o->batch);
    if (!isfinite(o->eta) || o->eta < 0)
        return dn_fail(err, DN_EARG, "learning rate must be a finite number "
                       "≥ 0, got %g", o->eta);
    return DN_OK;
}

dn_status dn_train(dn_model *m, const dn_data *train, const dn_data *val,
                   const dn_train_opts *opts, dn_result *res, dn_error *err)
{
    dn_train_opts o;
    if (opts) o = *opts; else dn_train_defaults(&o);
    dn_result local;
    if (!res) res = &local;
    memset(res, 0, sizeof *res);
    res->last.val_loss = res->last.val_acc = res->last.train_acc = NAN;
    res->last.train_loss = NAN;

    dn_status st = check_opts(&o, err);
    if (!st) st = dn_data_check(m, train, "training", 1, err);
    if (!st && val) st = dn_data_check(m, val, "validation", 1, err);
    if (st) return st;

    const int n = train->n;
    const int B = o.batch <= 0 || o.batch >= n ? n : o.batch;
    dn_ws *ws = NULL, *vws = NULL;
    int32_t *idx = malloc((size_t)n * sizeof *idx);
    float *Xb = malloc((size_t)B * train->d * sizeof *Xb);
    float *Yb = malloc((size_t)B * train->k * sizeof *Yb);
    if (!idx || !Xb || !Yb) {
        st = dn_fail(err, DN_ENOMEM, "out of memory for a batch of %d rows", B);
        goto done;
    }
    st = dn_ws_new(m, B, o.threads, &ws, err);
    if (!st && val)
        st = dn_ws_new(m, val->n < VAL_BATCH ? val->n : VAL_BATCH, o.threads,
                       &vws, err);
    if (st) goto done;

    for (int i = 0; i < n; i++) idx[i] = i;
    dn_rng rng;
    dn_rng_seed(&rng, o.seed);
    const float eta = (float)o.eta;
    float *theta = m->theta, *g = dn_ws_grad(ws);
    const size_t P = m->n_params;

    res->reason = DN_STOP_EPOCHS;
    for (int epoch = 1; epoch <= o.epochs; epoch++) {
        double t0 = now();
        if (o.shuffle) dn_rng_shuffle(&rng, idx, n);
        dn_tally tally;
        memset(&tally, 0, sizeof tally);
        for (int start = 0; start < n; start += B) {
            int b = n - start < B ? n - start : B;
            gather(train, idx + start, b, Xb, Yb);
            double E = dn_gradient(m, ws, Xb, Yb, b);
            if (!isfinite(E) || !dn_all_finite(g, P)) {
                /* The update was not applied: theta still holds the last
                 * good weights. */
                res->reason = DN_STOP_NONFINITE;
                st = dn_fail(err, DN_ENUMERIC, "epoch %d, step %ld: the %s "
                             "became %s; the weights from before this step "
                             "were kept. Lower the learning rate (now %g) or "
                             "check the data for extreme values", epoch,
                             res->steps + 1, isfinite(E) ? "gradient" : "loss",
                             isfinite(E) ? "non-finite" : "NaN or infinite",
                             o.eta);
                goto done;
            }
            dn_tally_add(m, dn_ws_out(ws), Yb, b, E, &tally);
            dn_sgd_step(theta, g, P, eta);
            res->steps++;
        }
        dn_metrics tm, vm;
        dn_tally_finish(m, &tally, &tm);
        dn_epoch *e = &res->last;
        e->epoch = epoch;
        e->steps = res->steps;
        e->train_loss = tm.loss;
        e->train_acc = tm.accuracy;
        e->val_loss = e->val_acc = NAN;
        if (vws) {
            dn_eval_ws(m, vws, val, &vm);
            e->val_loss = vm.loss;
            e->val_acc = vm.accuracy;
        }
        e->eta = o.eta;
        e->seconds = now() - t0;
        res->epochs = epoch;
        if (o.on_epoch && o.on_epoch(e, o.user)) {
            res->reason = DN_STOP_CALLBACK;
            break;
        }
    }
done:
    dn_ws_free(ws);
    dn_ws_free(vws);
    free(idx);
    free(Xb);
    free(Yb);
    return st;
}
