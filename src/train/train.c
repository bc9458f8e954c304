/* train.c — the training loop: epochs of shuffled mini-batches, one
 * optimizer step per batch, then validation, a report, the schedule and
 * the stopping rules after every epoch. */
#include "train/train.h"
#include "kernels/fpmode.h"
#include "train/pace.h"
#include "data/stream.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define VAL_BATCH 256

void dn_train_defaults(dn_train_opts *o)
{
    memset(o, 0, sizeof *o);
    o->epochs = 20;
    o->batch = 32;
    o->eta = 0.01;
    dn_opt_defaults(&o->opt, DN_OPT_SGD);
    dn_sched_defaults(&o->sched, DN_SCHED_CONSTANT);
    o->tol_epochs = 3;
    o->restore_best = 1;
    o->monitor = DN_MONITOR_VAL_LOSS;
    o->shuffle = 1;
    o->seed = 1;
    o->threads = 0;
}

dn_status dn_train_check_opts(const dn_model *m, const dn_train_opts *o,
                              dn_error *err)
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
    if (!isfinite(o->l2) || o->l2 < 0)
        return dn_fail(err, DN_EARG, "L2 strength lambda must be ≥ 0, got %g",
                       o->l2);
    if (!isfinite(o->clip) || o->clip < 0)
        return dn_fail(err, DN_EARG, "gradient clip norm must be ≥ 0 (0 = "
                       "off), got %g", o->clip);
    if (!isfinite(o->tol) || o->tol < 0 || o->tol_epochs < 1)
        return dn_fail(err, DN_EARG, "convergence needs tol ≥ 0 and "
                       "tol_epochs ≥ 1, got %g and %d", o->tol, o->tol_epochs);
    if (o->patience < 0 || !isfinite(o->min_delta) || o->min_delta < 0)
        return dn_fail(err, DN_EARG, "early stopping needs patience ≥ 0 and "
                       "min_delta ≥ 0, got %d and %g", o->patience,
                       o->min_delta);
    if ((unsigned)o->monitor > DN_MONITOR_TRAIN_LOSS)
        return dn_fail(err, DN_EARG, "unknown monitor %d", (int)o->monitor);
    if (o->monitor == DN_MONITOR_VAL_ACC && m->arch.loss == DN_LOSS_MSE)
        return dn_fail(err, DN_EARG, "accuracy cannot be monitored for "
                       "regression; monitor the validation loss");
    for (int l = 0; l < DN_MAX_LAYERS; l++) {
        float p = o->dropout[l];
        if (p == 0) continue;
        if (!(p > 0 && p < 1))
            return dn_fail(err, DN_EARG, "layer %d: dropout rate %g must be "
                           "in [0, 1)", l + 1, p);
        if (l >= m->arch.n_layers - 1)
            return dn_fail(err, DN_EARG, "layer %d: dropout applies to hidden "
                           "layers only (the network has %d)", l + 1,
                           m->arch.n_layers - 1);
    }
    return DN_OK;
}

/* Whether to stop now.  With several ranks they must all agree, or one
 * would wait forever in the next sum: any rank's signal stops them all. */
static int interrupted(const dn_train_opts *o, int K)
{
    int flag = o->interrupt && *o->interrupt;
    return K > 1 ? dn_dist_any(flag) : flag;
}

/* Sums a tally over the ranks. */
static void reduce_tally(dn_tally *t, int K)
{
    if (K < 2) return;
    double v[8] = { (double)t->n, t->loss_sum, t->correct, t->sse, t->sae,  /* cov: MPI only */
                    t->sum_y, t->sum_y2, t->wsum };  /* cov: MPI only */
    dn_dist_sum(v, 8);  /* cov: MPI only */
    t->n = (long)v[0]; t->loss_sum = v[1]; t->correct = v[2]; t->sse = v[3];  /* cov: MPI only */
    t->sae = v[4]; t->sum_y = v[5]; t->sum_y2 = v[6]; t->wsum = v[7];  /* cov: MPI only */
}

/* Validation metrics: each rank evaluates its slice of the rows. */
static void validate(const dn_model *m, dn_ws *vws, const dn_data *val,
                     int K, dn_metrics *out)
{
    dn_tally t;
    memset(&t, 0, sizeof t);
    int r0 = 0, r1 = val->n;
    if (K > 1) dn_dist_slice(val->n, &r0, &r1);
    if (r1 > r0) {
        dn_data part = *val;
        part.n = r1 - r0;
        if (part.X) part.X += (size_t)r0 * val->d;
        if (part.bytes) part.bytes = (struct dn_data_bytes *)
            ((uint8_t *)part.bytes + (size_t)r0 * val->d);
        part.Y += (size_t)r0 * val->k;
        if (part.w) part.w += r0;
        dn_eval_tally(m, vws, &part, &t);
    }
    reduce_tally(&t, K);
    dn_tally_finish(m, &t, out);
}

/* The rank of this process among the K that train the model together
 * (0 for a run alone, MPI or not). */
static int my_rank(int K) { return K > 1 ? dn_dist_rank() : 0; }

/* Checkpoints are written by rank 0 alone; the state is the same on all. */
static dn_status save_state(const char *path, dn_train_state *S, dn_opt *opt,
                            int K, dn_error *err)
{
    S->opt_steps = dn_opt_steps(opt);
    return my_rank(K) == 0 ? dn_ckpt_save(path, S, err) : DN_OK;
}

/* The last weights known to be finite: theta at the start of training
 * and after every epoch whose end found them finite.  An update that
 * overflows is seen at the next check (the next step's loss, the epoch's
 * end, a checkpoint), and the weights go back here. */
typedef struct {
    float *theta;
    int    epoch;     /* epochs completed when they were taken */
    long   steps;
} dn_safe;

static void keep_safe(dn_safe *k, const float *theta, size_t P, int epoch,
                      long steps)
{
    memcpy(k->theta, theta, P * sizeof *theta);
    k->epoch = epoch;
    k->steps = steps;
}

/* A numeric stop at (epoch, step): theta becomes finite weights from
 * before the failure (the best epoch's when early stopping holds them,
 * else theta itself when the failed update was not applied, else the
 * safe copy), the optimizer state is cleared (a stopped run never steps
 * again, and its moments may hold the overflow), and err says what
 * happened and which weights were kept.  `what` names the value that
 * was not finite. */
static dn_status numeric_stop(dn_train_state *S, const dn_safe *k,
                              dn_result *res, int epoch, long step,
                              const char *what, double eta, dn_error *err)
{
    const size_t P = S->n_params;
    char kept[160];
    if (S->best_theta && S->best_epoch) {
        memcpy(S->theta, S->best_theta, P * sizeof *S->theta);
        snprintf(kept, sizeof kept, "the best epoch's weights (epoch %d) "
                 "were kept", S->best_epoch);
        res->restored = 1;
    } else if (dn_all_finite(S->theta, P)) {
        snprintf(kept, sizeof kept, "the weights from before this step were "
                 "kept");
    } else {
        memcpy(S->theta, k->theta, P * sizeof *S->theta);
        if (k->epoch)
            snprintf(kept, sizeof kept, "the weights at the end of epoch %d "
                     "(step %ld), the last known finite, were kept", k->epoch,
                     k->steps);
        else
            snprintf(kept, sizeof kept, "the starting weights, the last known "
                     "finite, were kept");
    }
    memset(S->opt_state, 0, S->n_opt * sizeof *S->opt_state);
    res->reason = DN_STOP_NONFINITE;
    S->stopped = 1 + DN_STOP_NONFINITE;
    return dn_fail(err, DN_ENUMERIC, "epoch %d, step %ld: the %s became NaN "
                   "or infinite; %s. Lower the learning rate (now %g), clip "
                   "the gradient (--clip), or check the data for extreme "
                   "values", epoch, step, what, kept, eta);
}

/* ---- the loop in stages ---- */

/* One run of dn_train: what its stages share. */
typedef struct {
    dn_model      *m;
    const dn_data *train, *val;
    dn_train_opts  o;
    dn_result     *res;
    dn_error      *err;
    dn_status      st;
    int     n, B, K;          /* rows, batch size, ranks */
    size_t  P;
    float   lambda;
    dn_ws  *ws, *vws;         /* training batches; validation chunks */
    dn_opt *opt;
    dn_train_state S;         /* everything a checkpoint holds */
    int     hist_cap;
    float  *Yb;               /* the batch's targets, for its metrics */
    unsigned char *mask;      /* the weights W: what L2 touches */
    dn_safe safe;
    char   *why_loaded;       /* a resumed numeric stop's message */
    /* The update in parts on the threads (each its own slice of W_0 when
     * layer 0 is cut by units): the same bits as one dn_opt_step. */
    size_t  cut[DN_MAX_CUTS + 1];
    int     parts;
    dn_pace pace;
    double  t0;               /* the epoch's start */
    /* A streamed run (dn_train_stream): the rows come through windows
     * of the file, the batch's positions in them into local (2 batches:
     * the rows asked for ahead too); NULL in memory. */
    dn_window *win;
    int32_t   *local;
} run;

/* What a stage tells the loop: go on; the run has ended (a stopping
 * rule, or the epochs are done); interrupted; a numeric stop; an error
 * (r->st). */
typedef enum { GO_ON, END, HALT, NUMERIC, FAIL } next;

/* Buffers, workspaces, the optimizer, the schedule and the state's
 * views, sized once: no step allocates. */
static dn_status begin(run *r)
{
    const dn_train_opts *o = &r->o;
    dn_train_state *S = &r->S;
    const int early = o->patience > 0;
    S->idx = malloc((size_t)r->n * sizeof *S->idx);
    r->Yb = malloc((size_t)r->B * r->train->k * sizeof *r->Yb);
    S->best_theta = early && o->restore_best ? malloc(r->P * sizeof(float))
                                             : NULL;
    if (r->win && !(r->local = malloc(2 * (size_t)r->B * sizeof *r->local)))
        return dn_fail(r->err, DN_ENOMEM, "out of memory for a batch of %d "
                       "rows", r->B);
    r->safe.theta = malloc(r->P * sizeof(float));
    r->mask = dn_weight_mask(r->m);
    if (!S->idx || !r->Yb || !r->mask || !r->safe.theta ||
        (early && o->restore_best && !S->best_theta))
        return dn_fail(r->err, DN_ENOMEM, "out of memory for a batch of %d "
                       "rows", r->B);
    dn_status st = dn_ws_new(r->m, r->B, o->threads, &r->ws, r->err);
    if (!st) st = dn_ws_enable_dropout(r->ws, r->m, o->dropout, r->err);
    if (!st && r->val)
        st = dn_ws_new(r->m, r->val->n < VAL_BATCH ? r->val->n : VAL_BATCH,
                       o->threads, &r->vws, r->err);
    if (!st) st = dn_opt_new(&o->opt, r->P, r->mask, &r->opt, r->err);
    if (!st) st = dn_sched_init(&S->sched, &o->sched, o->eta, o->epochs, r->err);
    if (st) return st;

    for (int i = 0; i < r->n; i++) S->idx[i] = i;
    dn_rng_seed(&S->rng, o->seed);
    /* Dropout draws from its own stream so that the shuffles stay the
     * same on every rank; rank r's stream is its own (as in PyTorch's
     * data-parallel training), rank 0's is the single-process one. */
    dn_rng_seed(&S->drop_rng, o->seed ^ 0xd1b54a32d192ed03ULL);
    for (int k = my_rank(r->K); k > 0; k--) dn_rng_u64(&S->drop_rng);
    dn_rng_seed(&S->drop_rng, dn_rng_u64(&S->drop_rng) ^ (uint64_t)my_rank(r->K));
    S->n = r->n;
    S->theta = r->m->theta;
    S->n_params = r->P;
    S->opt_state = dn_opt_state(r->opt, &S->n_opt);
    S->prev_loss = NAN;
    S->best = NAN;
    S->note = o->note;
    S->keep = o->keep;
    S->keep_user = o->user;
    r->parts = dn_ws_cuts(r->m, r->ws, r->cut);
    return DN_OK;
}

/* A checkpoint's state in place of the fresh one; the finished epochs
 * shown to the callback again. */
static dn_status resume(run *r)
{
    dn_train_state *S = &r->S;
    dn_status st = dn_ckpt_load(r->o.resume, S, r->o.epochs, r->err);
    if (st) return st;
    r->hist_cap = S->n_hist > r->o.epochs ? S->n_hist : r->o.epochs;
    dn_opt_set_steps(r->opt, S->opt_steps);
    dn_stop_replay(S, &r->o, r->res);
    r->why_loaded = (char *)S->why;
    return DN_OK;
}

/* The gradient of rows [start, start + b) of this epoch's order into
 * dn_ws_grad: this rank's share, gathered straight into the workspace
 * (standardized on the way, the next batch's rows asked for early),
 * then, with several ranks, the global mean Σ_k (b_k / b) · (rank k's
 * mean), with row weights Σ_k (W_k / W) · (rank k's weighted mean), W_k
 * the weight of rank k's rows.  Returns the batch's loss; *local gets
 * this rank's, *br its row count. */
static double batch_gradient(run *r, int start, int b, double *local,
                             int *br)
{
    int r0 = 0, r1 = b;
    if (r->K > 1) dn_dist_slice(b, &r0, &r1);
    *br = r1 - r0;
    double E = 0;
    *local = 0;
    if (*br > 0) {  /* cov: br is 0 on an MPI rank only */
        /* (alone only: another rank's rows follow ours) */
        const int rest = r->n - start - b;
        int ahead = r->K > 1 ? 0 : rest < r->B ? rest : r->B;
        const dn_data *D = r->train;
        const int32_t *ix = r->S.idx + start + r0;
        if (r->win) {
            /* (a streamed run is alone: r0 is 0) */
            if ((r->st = dn_window_rows(r->win, r->S.idx, start, b, ahead, &D,
                                        r->local, &ahead, r->err)))
                return NAN;
            ix = r->local;
        }
        *local = E = dn_gradient_rows(r->m, r->ws, D, ix, *br, ahead, r->Yb,
                                      r->o.dropout, &r->S.drop_rng);
    } else {
        memset(dn_ws_grad(r->ws), 0, r->P * sizeof(float));  /* cov: MPI only */
    }
    if (r->K > 1) {  /* cov: MPI only (make test-mpi) */
        float *g = dn_ws_grad(r->ws);  /* cov: MPI only */
        double w = (double)*br / b;  /* cov: MPI only */
        if (r->train->w) {  /* cov: MPI only */
            double W[2] = { *br > 0 ? dn_weight_sum(r->ws->wb, *br) : 0, 0 };  /* cov: MPI only */
            W[1] = W[0];  /* cov: MPI only */
            dn_dist_sum(W + 1, 1);  /* cov: MPI only */
            w = W[1] > 0 ? W[0] / W[1] : 0;  /* cov: MPI only */
        }
        dn_scale(g, r->P, (float)w);  /* cov: MPI only */
        E = *br > 0 ? w * E : 0;  /* cov: MPI only */
        dn_dist_sum_f(g, r->P);  /* cov: MPI only */
        dn_dist_sum(&E, 1);  /* cov: MPI only */
    }
    return E;
}

/* One step on rows [start, start + b): g = ∇E (+ λ W), clipped to the
 * norm's limit, then θ ← θ − η·update; then the step's report and a
 * mid-epoch checkpoint or interrupt.  An update that is not finite is
 * not applied. */
static next step(run *r, int epoch, int start)
{
    dn_train_state *S = &r->S;
    const dn_train_opts *o = &r->o;
    float *theta = r->m->theta, *g = dn_ws_grad(r->ws);
    const int b = r->n - start < r->B ? r->n - start : r->B;
    int br;
    double E_local, E = batch_gradient(r, start, b, &E_local, &br);
    if (r->st) return FAIL;   /* a streamed window could not be read */
    const double pen = r->lambda > 0 ? dn_l2_add(r->m, g, r->lambda) : 0;
    E += pen;
    const double gn = dn_grad_norm(r->m, r->ws, r->K == 1 && r->lambda == 0);
    if (!isfinite(E) || !isfinite(gn)) {
        r->st = numeric_stop(S, &r->safe, r->res, epoch, S->steps + 1,
                             isfinite(E) ? "gradient" : "loss", S->sched.eta,
                             r->err);
        return NUMERIC;
    }
    if (o->clip > 0 && gn > o->clip) dn_scale(g, r->P, (float)(o->clip / gn));
    S->gsum += gn;
    if (br > 0)  /* cov: br is 0 on an MPI rank only */
        dn_tally_add(r->m, dn_ws_out(r->ws), r->Yb, r->ws->w, br, E_local + pen,
                     &S->tally);
    dn_opt_step_parts(r->opt, r->ws->pool, theta, g, S->sched.eta, r->cut,
                      r->parts);
    /* With the thread count left to descent, the loop checks now and
     * then whether the other cores help, and works alone while they do
     * not (pace.c): the same bits either way. */
    dn_pace_step(&r->pace, r->ws, b);
    S->steps++;
    r->res->steps = S->steps;
    S->pos = start + b;
    if (o->on_batch) {
        dn_batch bt = { .epoch = epoch, .batch = start / r->B + 1,
                        .n_batches = (r->n + r->B - 1) / r->B,
                        .rows = S->pos, .steps = S->steps, .loss = E };
        o->on_batch(&bt, o->user);
    }
    /* Mid-epoch checkpoints; the one after an epoch's last step waits
     * for the epoch's end. */
    if (S->pos >= r->n) return GO_ON;
    const int halt = interrupted(o, r->K);
    const int due = o->checkpoint_steps > 0 && S->steps % o->checkpoint_steps == 0;
    if (o->checkpoint && (due || halt)) {
        if (!dn_all_finite(theta, r->P)) {
            r->st = numeric_stop(S, &r->safe, r->res, epoch, S->steps,
                                 "weights", S->sched.eta, r->err);
            return NUMERIC;
        }
        if ((r->st = save_state(o->checkpoint, S, r->opt, r->K, r->err))) return FAIL;
    }
    if (halt) {
        r->res->reason = DN_STOP_INTERRUPTED;
        return HALT;
    }
    return GO_ON;
}

/* The epoch's report: training metrics summed over the ranks,
 * validation, the rate, the mean gradient norm, the time. */
static void report(run *r, int epoch, dn_epoch *e)
{
    dn_train_state *S = &r->S;
    dn_metrics tm, vm;
    dn_tally t = S->tally;
    reduce_tally(&t, r->K);
    dn_tally_finish(r->m, &t, &tm);
    memset(e, 0, sizeof *e);
    e->epoch = epoch;
    e->steps = S->steps;
    e->train_loss = tm.loss;
    e->train_acc = tm.accuracy;
    e->train_mae = tm.mae;
    e->val_loss = e->val_acc = e->val_mae = NAN;
    if (r->vws) {
        validate(r->m, r->vws, r->val, r->K, &vm);
        e->val_loss = vm.loss;
        e->val_acc = vm.accuracy;
        e->val_mae = vm.mae;
    }
    e->eta = S->sched.eta;
    e->grad_norm = S->gsum / ((r->n + r->B - 1) / r->B);
    const double t1 = dn_now();
    e->seconds = t1 - r->t0;
    r->t0 = t1;
}

/* After an epoch's last step: the weights checked and kept as the safe
 * copy, the report, the stopping rules (stop.c), the schedule, the
 * checkpoint. */
static next end_epoch(run *r, int epoch)
{
    dn_train_state *S = &r->S;
    const dn_train_opts *o = &r->o;
    const float *theta = r->m->theta;
    S->pos = 0;
    if (!dn_all_finite(theta, r->P)) {
        /* The epoch's last update overflowed. */
        r->st = numeric_stop(S, &r->safe, r->res, epoch, S->steps, "weights",
                             S->sched.eta, r->err);
        return NUMERIC;
    }
    keep_safe(&r->safe, theta, r->P, epoch, S->steps);
    dn_epoch *e = &r->res->last;
    report(r, epoch, e);
    r->res->epochs = epoch;
    S->epoch = epoch;
    if (!dn_state_remember(S, &r->hist_cap, e)) {
        r->st = dn_fail(r->err, DN_ENOMEM, "out of memory for the history");
        return FAIL;
    }
    if (dn_stop_record(S, o, e, r->vws != NULL) && S->best_theta)
        memcpy(S->best_theta, theta, r->P * sizeof *theta);
    dn_stop why;
    const int stop = dn_stop_rules(S, o, e, &why);
    if (stop) r->res->reason = why;
    /* A final stop is part of the state: resuming a finished run must
     * not train on.  (A callback's stop is the caller's to repeat.) */
    if (stop && why != DN_STOP_CALLBACK) S->stopped = 1 + why;
    if (!stop) dn_sched_step(&S->sched, r->vws ? e->val_loss : e->train_loss);
    const int halt = interrupted(o, r->K);
    int due = o->checkpoint_every > 0 && epoch % o->checkpoint_every == 0;
    due |= o->checkpoint_steps > 0 && S->steps % o->checkpoint_steps == 0;
    /* With periodic checkpoints the last state is always kept; with
     * none, only an interrupt writes one. */
    const int periodic = o->checkpoint_every > 0 || o->checkpoint_steps > 0;
    if (o->checkpoint && (due || halt || (periodic && (stop || epoch == o->epochs))))
        if ((r->st = save_state(o->checkpoint, S, r->opt, r->K, r->err))) return FAIL;
    if (stop) return END;
    if (halt && epoch < o->epochs) {
        r->res->reason = DN_STOP_INTERRUPTED;
        return HALT;
    }
    return GO_ON;
}

/* The epochs: shuffle, steps over the batches, the epoch's end.  A run
 * resumed mid-epoch goes on from the row it had reached. */
static next epochs(run *r)
{
    dn_train_state *S = &r->S;
    keep_safe(&r->safe, r->m->theta, r->P, S->epoch, S->steps);
    dn_pace_init(&r->pace, r->ws, r->o.threads == 0);
    r->t0 = dn_now();
    for (int epoch = S->epoch + 1; epoch <= r->o.epochs; epoch++) {
        if (S->pos == 0) {
            if (r->o.shuffle && r->win) dn_window_order(r->win, &S->rng, S->idx);
            else if (r->o.shuffle) dn_rng_shuffle(&S->rng, S->idx, r->n);
            memset(&S->tally, 0, sizeof S->tally);
            S->gsum = 0;
        }
        next k;
        for (int start = S->pos; start < r->n; start += r->B)
            if ((k = step(r, epoch, start)) != GO_ON) return k;
        if ((k = end_epoch(r, epoch)) != GO_ON) return k;
    }
    return END;
}

/* A numeric stop's kept weights and message go into the checkpoint when
 * the run keeps one, so that a resume repeats this outcome. */
static void numeric_checkpoint(run *r)
{
    const dn_train_opts *o = &r->o;
    if (!o->checkpoint || (o->checkpoint_every <= 0 && o->checkpoint_steps <= 0))
        return;
    dn_error cerr;
    dn_error *err = r->err;
    r->S.why = err ? err->msg : NULL;
    if (save_state(o->checkpoint, &r->S, r->opt, r->K, &cerr) && err)
        snprintf(err->msg + strlen(err->msg), sizeof err->msg -
                 strlen(err->msg), " (and the checkpoint could not be "
                 "written: %s)", cerr.msg);
}

static void run_free(run *r)
{
    dn_opt_free(r->opt);
    dn_ws_free(r->ws);
    dn_ws_free(r->vws);
    DN_FREE_ALL(r->S.idx, r->S.hist, r->S.best_theta, r->safe.theta,
                r->why_loaded, r->Yb, r->mask, r->local);
}

/* dn_train on train's rows, or on n rows streamed through r_->win
 * (train NULL); r_ holds the options train_open checked. */
static dn_status train_loop(run *r_, dn_model *m, const dn_data *train,
                            const dn_data *val, int n, dn_result *res,
                            dn_error *err)
{
    run r = *r_;
    r.m = m; r.val = val; r.res = res; r.err = err;
    r.train = train ? train : dn_window_data(r.win);
    r.n = n;
    r.B = r.o.batch <= 0 || r.o.batch >= r.n ? r.n : r.o.batch;
    r.P = m->n_params;
    r.K = r.o.alone ? 1 : dn_dist_size();
    r.lambda = (float)r.o.l2;
    r.S.best = NAN;
    next k = FAIL;
    if (!(r.st = begin(&r)) && !(r.o.resume && (r.st = resume(&r)))) {
        res->reason = DN_STOP_EPOCHS;
        res->steps = r.S.steps;
        res->epochs = r.S.epoch;
        if (!r.S.stopped) {
            k = epochs(&r);
        } else {
            /* The run had ended: the same result again, without training. */
            res->reason = (dn_stop)(r.S.stopped - 1);
            k = END;
            if (res->reason == DN_STOP_NONFINITE) {
                res->restored = r.S.best_theta && r.S.best_epoch;
                r.st = dn_fail(err, DN_ENUMERIC, "%s", r.why_loaded ? r.why_loaded
                               : "the run had stopped on a non-finite loss");
                k = FAIL;
            }
        }
    }
    if (k == END) dn_stop_restore(&r.S, m->theta, res);
    if (k == NUMERIC) numeric_checkpoint(&r);
    dn_stop_report(&r.S, &r.o, r.vws != NULL, res);
    run_free(&r);
    return r.st;
}

/* The loop in training's floating-point mode (kernels/fpmode.h), the
 * caller's put back on return. */
static dn_status train_rows(run *r, dn_model *m, const dn_data *train,
                            const dn_data *val, int n, dn_result *res,
                            dn_error *err)
{
    const unsigned mode = dn_fpmode_enter();
    dn_status st = train_loop(r, m, train, val, n, res, err);
    dn_fpmode_leave(mode);
    return st;
}

/* The checks both entry points make: options, validation rows,
 * checkpoint intervals; r->o filled. */
static dn_status train_open(run *r, const dn_model *m, const dn_data *val,
                            const dn_train_opts *opts, dn_result *res,
                            dn_error *err)
{
    memset(r, 0, sizeof *r);
    dn_status st = dn_stop_open(m, opts, &r->o, res, err);
    if (!st && val) st = dn_data_check(m, val, "validation", 1, err);
    if (!st && (r->o.checkpoint_every < 0 || r->o.checkpoint_steps < 0))
        st = dn_fail(err, DN_EARG, "checkpoint intervals must be ≥ 0");
    return st;
}

dn_status dn_train(dn_model *m, const dn_data *train, const dn_data *val,
                   const dn_train_opts *opts, dn_result *res, dn_error *err)
{
    DN_NEED(m);
    run r;
    dn_result local;
    if (!res) res = &local;
    dn_status st = train_open(&r, m, val, opts, res, err);
    if (!st) st = dn_data_check(m, train, "training", 1, err);
    if (st) return st;
    return train_rows(&r, m, train, val, train->n, res, err);
}

/* The streamed rows against the model: all of them when they are in
 * memory, as dn_train checks them; else the widths, and the classes the
 * file's schema says its targets hold.  Each block read is then checked
 * against that schema (dn_stream_block: finite values, class numbers
 * below n_classes), so a classifier's targets stay within its output
 * only when the schema bounds them: a file without a classifier's schema
 * cannot be streamed into one. */
static dn_status stream_check(const dn_model *m, const dn_stream *s,
                              const dn_window *w, dn_error *err)
{
    const dn_data *all = dn_window_data(w);
    if (dn_window_whole(w)) return dn_data_check(m, all, "training", 1, err);
    dn_data one = *all;
    one.n = 1;
    one.Y = calloc((size_t)one.k + 1, sizeof *one.Y);  /* class 0, value 0 */
    if (!one.Y) return dn_fail(err, DN_ENOMEM, "out of memory");
    dn_status st = dn_data_check(m, &one, "training", 1, err);
    free(one.Y);
    const dn_schema *sc = dn_stream_schema(s);
    const int units = m->arch.layer[m->arch.n_layers - 1].units;
    const int classes = m->arch.loss == DN_LOSS_CE ? units
                      : m->arch.loss == DN_LOSS_BCE ? 2 : 0;
    if (!st && classes && (!sc || sc->task == DN_TASK_REGRESSION))
        st = dn_fail(err, DN_EARG, "the streamed rows' file has no schema "
                     "with classes, so their targets cannot be checked "
                     "against the network's %d classes as they stream; "
                     "write the file with descent convert (its schema), or "
                     "give a memory budget that holds it", classes);
    if (!st && sc && classes && sc->n_classes > classes)
        st = dn_fail(err, DN_EARG, "the training data has %d classes but the "
                     "network's output has %d", sc->n_classes, classes);
    return st;
}

dn_status dn_train_stream(dn_model *m, dn_stream *s, uint64_t memory,
                          const dn_data *val, const dn_train_opts *opts,
                          dn_result *res, dn_error *err)
{
    DN_NEED(m);
    DN_NEED(s);
    run r;
    dn_result local;
    if (!res) res = &local;
    dn_status st = train_open(&r, m, val, opts, res, err);
    if (st) return st;
    if (!r.o.alone && dn_dist_size() > 1)
        return dn_fail(err, DN_EARG, "a streamed run trains in one process: "
                       "run it without MPI, or alone (dn_train_opts.alone)");
    const int n = (int)dn_stream_rows(s);
    const int B = r.o.batch <= 0 || r.o.batch >= n ? n : r.o.batch;
    if ((st = dn_window_open(s, memory, B, &r.win, err))) return st;
    st = stream_check(m, s, r.win, err);
    if (!st) st = train_rows(&r, m, NULL, val, n, res, err);
    dn_window_close(r.win);
    return st;
}
