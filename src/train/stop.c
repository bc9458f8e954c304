/* stop.c — when training ends.  Both loops, the first-order one
 * (train.c) and the full-batch one (train_full.c), apply these rules
 * after every epoch or solver iteration, and leave the same things
 * behind: the best weights, the reason, the best value. */
#include "train/train.h"
#include <math.h>
#include <string.h>

dn_status dn_stop_open(const dn_model *m, const dn_train_opts *opts,
                       dn_train_opts *o, dn_result *res, dn_error *err)
{
    if (opts) *o = *opts; else dn_train_defaults(o);
    memset(res, 0, sizeof *res);
    res->last.val_loss = res->last.val_acc = res->last.train_acc = NAN;
    res->last.train_loss = res->best = NAN;
    return dn_train_check_opts(m, o, err);
}

/* The monitored value, oriented so that lower is better. */
double dn_monitored(const dn_train_opts *o, const dn_epoch *e, int has_val)
{
    if (!has_val || o->monitor == DN_MONITOR_TRAIN_LOSS) return e->train_loss;
    return o->monitor == DN_MONITOR_VAL_ACC ? -e->val_acc : e->val_loss;
}

int dn_stop_record(dn_train_state *S, const dn_train_opts *o,
                   const dn_epoch *e, int has_val)
{
    int best = 0;
    const double v = dn_monitored(o, e, has_val);
    /* Better by more than min_delta than the best so far (the first
     * finite value is always the best). */
    if (isfinite(v) && (S->best_epoch == 0 || v < S->best - o->min_delta)) {
        S->best = v;
        S->best_epoch = e->epoch;
        S->stale = 0;
        best = 1;
    } else {
        S->stale++;
    }
    /* Converging: the training loss moved less than tol. */
    S->calm = fabs(e->train_loss - S->prev_loss) < o->tol ? S->calm + 1 : 0;
    S->prev_loss = e->train_loss;
    return best;
}

int dn_stop_rules(const dn_train_state *S, const dn_train_opts *o,
                  dn_epoch *e, dn_stop *why)
{
    if (o->on_epoch && o->on_epoch(e, o->user)) *why = DN_STOP_CALLBACK;
    else if (o->tol > 0 && S->calm >= o->tol_epochs) *why = DN_STOP_CONVERGED;
    else if (o->patience > 0 && S->stale >= o->patience) *why = DN_STOP_EARLY;
    else return 0;
    return 1;
}

void dn_stop_replay(const dn_train_state *S, const dn_train_opts *o,
                    dn_result *res)
{
    for (int e = 0; e < S->n_hist && o->on_epoch; e++) {
        dn_epoch r = S->hist[e];
        r.replay = 1;
        o->on_epoch(&r, o->user);
    }
    if (S->n_hist) res->last = S->hist[S->n_hist - 1];
}

void dn_stop_restore(const dn_train_state *S, float *theta, dn_result *res)
{
    if (S->best_theta && S->best_epoch && S->best_epoch != res->epochs) {
        memcpy(theta, S->best_theta, S->n_params * sizeof *theta);
        res->restored = 1;
    }
}

void dn_stop_report(const dn_train_state *S, const dn_train_opts *o,
                    int has_val, dn_result *res)
{
    res->best_epoch = S->best_epoch;
    res->best = S->best;
    if (S->best_epoch && o->monitor == DN_MONITOR_VAL_ACC && has_val)
        res->best = -res->best;
}
