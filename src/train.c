/* train.c — the training loop: epochs of shuffled mini-batches, one
 * optimizer step per batch, then validation, a report, the schedule and
 * the stopping rules after every epoch. */
#include "internal.h"
#include "pace.h"
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
    dn_opt_defaults(&o->opt, DN_OPT_SGD);
    dn_sched_defaults(&o->sched, DN_SCHED_CONSTANT);
    o->tol_epochs = 3;
    o->restore_best = 1;
    o->monitor = DN_MONITOR_VAL_LOSS;
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

/* The monitored value, oriented so that lower is better. */
double dn_monitored(const dn_train_opts *o, const dn_epoch *e, int has_val)
{
    if (!has_val || o->monitor == DN_MONITOR_TRAIN_LOSS) return e->train_loss;
    return o->monitor == DN_MONITOR_VAL_ACC ? -e->val_acc : e->val_loss;
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
    double v[7] = { (double)t->n, t->loss_sum, t->correct, t->sse, t->sae,  /* cov: MPI only (make test-mpi) */
                    t->sum_y, t->sum_y2 };  /* cov: MPI only (make test-mpi) */
    dn_dist_sum_d(v, 7);  /* cov: MPI only (make test-mpi) */
    t->n = (long)v[0]; t->loss_sum = v[1]; t->correct = v[2]; t->sse = v[3];  /* cov: MPI only (make test-mpi) */
    t->sae = v[4]; t->sum_y = v[5]; t->sum_y2 = v[6];  /* cov: MPI only (make test-mpi) */
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
        if (part.X8) part.X8 += (size_t)r0 * val->d;
        part.Y += (size_t)r0 * val->k;
        dn_eval_tally(m, vws, &part, &t);
    }
    reduce_tally(&t, K);
    dn_tally_finish(m, &t, out);
}

/* Checkpoints are written by rank 0 alone; the state is the same on all. */
static dn_status save_state(const char *path, dn_train_state *S, dn_opt *opt,
                            dn_error *err)
{
    S->opt_steps = dn_opt_steps(opt);
    return dn_dist_rank() == 0 ? dn_ckpt_save(path, S, err) : DN_OK;
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

dn_status dn_train(dn_model *m, const dn_data *train, const dn_data *val,
                   const dn_train_opts *opts, dn_result *res, dn_error *err)
{
    DN_NEED(m);
    dn_train_opts o;
    if (opts) o = *opts; else dn_train_defaults(&o);
    dn_result local;
    if (!res) res = &local;
    memset(res, 0, sizeof *res);
    res->last.val_loss = res->last.val_acc = res->last.train_acc = NAN;
    res->last.train_loss = res->best = NAN;

    dn_status st = dn_train_check_opts(m, &o, err);
    if (!st) st = dn_data_check(m, train, "training", 1, err);
    if (!st && val) st = dn_data_check(m, val, "validation", 1, err);
    if (!st && (o.checkpoint_every < 0 || o.checkpoint_steps < 0))
        st = dn_fail(err, DN_EARG, "checkpoint intervals must be ≥ 0");
    if (st) return st;

    const int n = train->n;
    const int B = o.batch <= 0 || o.batch >= n ? n : o.batch;
    const size_t P = m->n_params;
    const int early = o.patience > 0;
    const int K = dn_dist_size();
    dn_ws *ws = NULL, *vws = NULL;
    dn_opt *opt = NULL;
    dn_train_state S;
    memset(&S, 0, sizeof S);
    int hist_cap = 0;
    S.idx = malloc((size_t)n * sizeof *S.idx);
    float *Yb = malloc((size_t)B * train->k * sizeof *Yb);
    S.best_theta = early && o.restore_best ? malloc(P * sizeof(float)) : NULL;
    dn_safe safe = { malloc(P * sizeof(float)), 0, 0 };
    char *why_loaded = NULL;
    unsigned char *mask = dn_weight_mask(m);
    if (!S.idx || !Yb || !mask || !safe.theta ||
        (early && o.restore_best && !S.best_theta)) {
        st = dn_fail(err, DN_ENOMEM, "out of memory for a batch of %d rows", B);
        goto done;
    }
    st = dn_ws_new(m, B, o.threads, &ws, err);
    if (!st) st = dn_ws_enable_dropout(ws, m, o.dropout, err);
    if (!st && val)
        st = dn_ws_new(m, val->n < VAL_BATCH ? val->n : VAL_BATCH, o.threads,
                       &vws, err);
    if (!st) st = dn_opt_new(&o.opt, P, mask, &opt, err);
    if (!st) st = dn_sched_init(&S.sched, &o.sched, o.eta, o.epochs, err);
    if (st) goto done;

    /* The whole state in one place, so a checkpoint can hold all of it. */
    for (int i = 0; i < n; i++) S.idx[i] = i;
    dn_rng_seed(&S.rng, o.seed);
    /* Dropout draws from its own stream so that the shuffles stay the
     * same on every rank; rank r's stream is its own (as in PyTorch's
     * data-parallel training), rank 0's is the single-process one. */
    dn_rng_seed(&S.drop_rng, o.seed ^ 0xd1b54a32d192ed03ULL);
    for (int r = dn_dist_rank(); r > 0; r--) dn_rng_u64(&S.drop_rng);
    dn_rng_seed(&S.drop_rng, dn_rng_u64(&S.drop_rng) ^ (uint64_t)dn_dist_rank());
    S.n = n;
    S.theta = m->theta;
    S.n_params = P;
    S.opt_state = dn_opt_state(opt, &S.n_opt);
    S.prev_loss = NAN;
    S.best = NAN;
    S.note = o.note;
    if (o.resume) {
        st = dn_ckpt_load(o.resume, &S, o.epochs, err);
        if (st) goto done;
        hist_cap = S.n_hist > o.epochs ? S.n_hist : o.epochs;
        dn_opt_set_steps(opt, S.opt_steps);
        /* The callback sees the finished epochs again (history files,
         * plots), marked as replayed. */
        for (int e = 0; e < S.n_hist && o.on_epoch; e++) {
            dn_epoch r = S.hist[e];
            r.replay = 1;
            o.on_epoch(&r, o.user);
        }
        if (S.n_hist) res->last = S.hist[S.n_hist - 1];
        why_loaded = (char *)S.why;
    }
    res->reason = DN_STOP_EPOCHS;
    res->steps = S.steps;
    res->epochs = S.epoch;
    if (S.stopped) {
        /* The run had ended: the same result again, without training. */
        res->reason = (dn_stop)(S.stopped - 1);
        if (res->reason == DN_STOP_NONFINITE) {
            res->restored = S.best_theta && S.best_epoch;
            st = dn_fail(err, DN_ENUMERIC, "%s", why_loaded ? why_loaded
                         : "the run had stopped on a non-finite loss");
            goto done;
        }
        goto finish;
    }
    keep_safe(&safe, m->theta, P, S.epoch, S.steps);
    float *theta = m->theta, *g = dn_ws_grad(ws);
    /* The update in parts on the threads (each its own slice of W_0 when
     * layer 0 is cut by units): the same bits as one dn_opt_step. */
    size_t cut[DN_MAX_CUTS + 1];
    const int parts = dn_ws_cuts(m, ws, cut);
    const float lambda = (float)o.l2;
    double t0 = now();
    /* With the thread count left to descent, the loop checks now and
     * then whether the other cores help, and works alone while they do
     * not (pace.c): the same bits either way. */
    dn_pace pace;
    dn_pace_init(&pace, ws, o.threads == 0);

    for (int epoch = S.epoch + 1; epoch <= o.epochs; epoch++) {
        if (S.pos == 0) {
            if (o.shuffle) dn_rng_shuffle(&S.rng, S.idx, n);
            memset(&S.tally, 0, sizeof S.tally);
            S.gsum = 0;
        }
        for (int start = S.pos; start < n; start += B) {
            int b = n - start < B ? n - start : B;
            /* This rank's share of the global batch (all of it alone). */
            int r0, r1;
            dn_dist_slice(b, &r0, &r1);
            const int br = r1 - r0;
            double E = 0, E_local = 0;
            if (br > 0) {  /* cov: br is 0 on an MPI rank only */
                /* Gathered straight into the workspace, standardized on
                 * the way; the next batch's rows are asked for early
                 * (alone only: another rank's rows follow ours). */
                int ahead = K > 1 ? 0 : n - start - b < B ? n - start - b : B;
                E_local = E = dn_gradient_rows(m, ws, train, S.idx + start + r0,
                                               br, ahead, Yb, o.dropout,
                                               &S.drop_rng);
            } else {
                memset(g, 0, P * sizeof *g);  /* cov: MPI only (make test-mpi) */
            }
            if (K > 1) {  /* cov: MPI only (make test-mpi) */
                /* The global mean is Σ_r (b_r / b) · (rank r's mean). */
                const double w = (double)br / b;  /* cov: MPI only (make test-mpi) */
                dn_scale(g, P, (float)w);  /* cov: MPI only (make test-mpi) */
                E = br > 0 ? w * E : 0;  /* cov: MPI only (make test-mpi) */
                dn_dist_sum_f(g, P);  /* cov: MPI only (make test-mpi) */
                dn_dist_sum_d(&E, 1);  /* cov: MPI only (make test-mpi) */
            }
            const double pen = lambda > 0 ? dn_l2_add(m, g, lambda) : 0;
            E += pen;
            double gn = dn_grad_norm(m, ws, K == 1 && lambda == 0);
            if (!isfinite(E) || !isfinite(gn)) {
                /* This update is not applied. */
                st = numeric_stop(&S, &safe, res, epoch, S.steps + 1,
                                  isfinite(E) ? "gradient" : "loss",
                                  S.sched.eta, err);
                goto numeric;
            }
            if (o.clip > 0 && gn > o.clip) dn_scale(g, P, (float)(o.clip / gn));
            S.gsum += gn;
            if (br > 0)  /* cov: br is 0 on an MPI rank only */
                dn_tally_add(m, dn_ws_out(ws), Yb, br, E_local + pen, &S.tally);
            dn_opt_step_parts(opt, ws->pool, theta, g, S.sched.eta, cut, parts);
            dn_pace_step(&pace, ws, b);
            S.steps++;
            res->steps = S.steps;
            S.pos = start + b;
            if (o.on_batch) {
                dn_batch bt = { epoch, start / B + 1, (n + B - 1) / B,
                                S.pos, S.steps, E };
                o.on_batch(&bt, o.user);
            }
            /* Mid-epoch checkpoints; the one after an epoch's last step
             * waits for the epoch's end below. */
            const int halt = interrupted(&o, K);
            int due = o.checkpoint_steps > 0 && S.steps % o.checkpoint_steps == 0;
            if (S.pos < n && o.checkpoint && (due || halt) &&
                !dn_all_finite(theta, P)) {
                st = numeric_stop(&S, &safe, res, epoch, S.steps, "weights",
                                  S.sched.eta, err);
                goto numeric;
            }
            if (S.pos < n && o.checkpoint && (due || halt)) {
                st = save_state(o.checkpoint, &S, opt, err);
                if (st) goto done;
            }
            if (S.pos < n && halt) {
                res->reason = DN_STOP_INTERRUPTED;
                goto done;
            }
        }
        S.pos = 0;
        if (!dn_all_finite(theta, P)) {
            /* The epoch's last update overflowed. */
            st = numeric_stop(&S, &safe, res, epoch, S.steps, "weights",
                              S.sched.eta, err);
            goto numeric;
        }
        keep_safe(&safe, theta, P, epoch, S.steps);
        dn_metrics tm, vm;
        dn_tally epoch_tally = S.tally;
        reduce_tally(&epoch_tally, K);
        dn_tally_finish(m, &epoch_tally, &tm);
        dn_epoch *e = &res->last;
        memset(e, 0, sizeof *e);
        e->epoch = epoch;
        e->steps = S.steps;
        e->train_loss = tm.loss;
        e->train_acc = tm.accuracy;
        e->train_mae = tm.mae;
        e->val_loss = e->val_acc = e->val_mae = NAN;
        if (vws) {
            validate(m, vws, val, K, &vm);
            e->val_loss = vm.loss;
            e->val_acc = vm.accuracy;
            e->val_mae = vm.mae;
        }
        e->eta = S.sched.eta;
        e->grad_norm = S.gsum / ((n + B - 1) / B);
        double t1 = now();
        e->seconds = t1 - t0;
        t0 = t1;
        res->epochs = epoch;
        S.epoch = epoch;
        if (!dn_state_remember(&S, &hist_cap, e)) {
            st = dn_fail(err, DN_ENOMEM, "out of memory for the history");
            goto done;
        }

        /* Early stopping bookkeeping happens before the callback so that
         * a callback that stops still leaves the best weights behind. */
        double v = dn_monitored(&o, e, vws != NULL);
        if (isfinite(v) && (S.best_epoch == 0 || v < S.best - o.min_delta)) {
            S.best = v;
            S.best_epoch = epoch;
            S.stale = 0;
            if (S.best_theta) memcpy(S.best_theta, theta, P * sizeof *theta);
        } else {
            S.stale++;
        }
        S.calm = fabs(e->train_loss - S.prev_loss) < o.tol ? S.calm + 1 : 0;
        S.prev_loss = e->train_loss;

        int stop = 0;
        if (o.on_epoch && o.on_epoch(e, o.user)) {
            res->reason = DN_STOP_CALLBACK;
            stop = 1;
        } else if (o.tol > 0 && S.calm >= o.tol_epochs) {
            res->reason = DN_STOP_CONVERGED;
            stop = 1;
        } else if (early && S.stale >= o.patience) {
            res->reason = DN_STOP_EARLY;
            stop = 1;
        }
        /* A final stop is part of the state: resuming a finished run must
         * not train on.  (A callback's stop is the caller's to repeat.) */
        if (stop && res->reason != DN_STOP_CALLBACK) S.stopped = 1 + res->reason;
        if (!stop) dn_sched_step(&S.sched, vws ? e->val_loss : e->train_loss);
        const int halt = interrupted(&o, K);
        int due = o.checkpoint_every > 0 && epoch % o.checkpoint_every == 0;
        due |= o.checkpoint_steps > 0 && S.steps % o.checkpoint_steps == 0;
        /* With periodic checkpoints the last state is always kept; with
         * none, only an interrupt writes one. */
        const int periodic = o.checkpoint_every > 0 || o.checkpoint_steps > 0;
        if (o.checkpoint && (due || halt || (periodic && (stop || epoch == o.epochs)))) {
            st = save_state(o.checkpoint, &S, opt, err);
            if (st) goto done;
        }
        if (stop) break;
        if (halt && epoch < o.epochs) {
            res->reason = DN_STOP_INTERRUPTED;
            goto done;
        }
    }
finish:
    if (S.best_theta && S.best_epoch && S.best_epoch != res->epochs) {
        memcpy(m->theta, S.best_theta, P * sizeof *m->theta);
        res->restored = 1;
    }
    goto done;
numeric:
    /* The kept weights and the stop go into the checkpoint when the run
     * keeps one, so that a resume repeats this outcome. */
    if (o.checkpoint && (o.checkpoint_every > 0 || o.checkpoint_steps > 0)) {
        dn_error cerr;
        S.why = err ? err->msg : NULL;
        if (save_state(o.checkpoint, &S, opt, &cerr) && err)
            snprintf(err->msg + strlen(err->msg), sizeof err->msg -
                     strlen(err->msg), " (and the checkpoint could not be "
                     "written: %s)", cerr.msg);
    }
done:
    res->best_epoch = S.best_epoch;
    res->best = S.best;
    /* Report the monitored value in its own orientation. */
    if (o.monitor == DN_MONITOR_VAL_ACC && vws) res->best = -res->best;
    dn_opt_free(opt);
    dn_ws_free(ws);
    dn_ws_free(vws);
    free(S.idx);
    free(S.hist);
    free(S.best_theta);
    free(safe.theta);
    free(why_loaded);
    free(Yb);
    free(mask);
    return st;
}
