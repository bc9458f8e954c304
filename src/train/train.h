/* train.h — what the training loops (train.c, train_full.c) share:
 * options checks, checkpoints, several processes. */
#ifndef DN_TRAIN_H
#define DN_TRAIN_H

#include "nn/nn.h"
#include "optim/optim.h"

/* ---- checkpoints (checkpoint.c) ---- */

/* Everything dn_train needs to continue exactly where it stopped.  The
 * arrays are views of the loop's own buffers. */
typedef struct {
    int      epoch;       /* epochs completed */
    int      pos;         /* rows of the next epoch already stepped */
    long     steps;
    int      best_epoch, stale, calm;
    double   best, prev_loss, gsum;
    dn_tally tally;       /* the running sums of the current epoch */
    dn_rng   rng;         /* shuffles: the same stream on every rank */
    dn_rng   drop_rng;    /* dropout masks: one stream per rank */
    dn_sched sched;
    long     opt_steps;
    float   *theta;       size_t n_params;
    float   *opt_state;   size_t n_opt;
    float   *best_theta;  /* NULL when early stopping keeps none */
    int32_t *idx;         int n;
    dn_epoch *hist;       int n_hist;
    const char *note;
    /* How the run ended, once it has: 1 + the dn_stop reason of a final
     * stop (early stopping, convergence, a solver's own rule, a numeric
     * stop), 0 while it can go on.  A resumed finished run does not train
     * again: it reproduces the same result.  why: the numeric stop's
     * message, repeated on resume (NULL or "" otherwise). */
    int      stopped;
    const char *why;
    /* The full-batch solvers' own state (dn_solver_state), in float64;
     * empty for the first-order loop. */
    double  *solver;      size_t n_solver;
    /* The caller's bytes for each checkpoint (dn_train_opts.keep and
     * .user), asked for as it is written; NULL: none. */
    dn_keep_fn keep;
    void    *keep_user;
} dn_train_state;

dn_status dn_ckpt_save(const char *path, const dn_train_state *s,
                       dn_error *err);
/* Appends an epoch's report to s->hist, kept for checkpoints; the array
 * doubles when full (once per epoch at most, never in a step).  0 if out
 * of memory. */
int dn_state_remember(dn_train_state *s, int *cap, const dn_epoch *e);
/* Loads into s, whose array views (solver included) are already sized by
 * the caller: every size in the file must equal them.  Allocates s->hist
 * with room for at least hist_cap entries and s->why (NULL when empty);
 * the caller frees both. */
dn_status dn_ckpt_load(const char *path, dn_train_state *s, int hist_cap,
                       dn_error *err);

/* ---- what the training loops share (train.c; train_full.c uses them) ---- */

/* Checks the options every loop reads (epochs, l2, tol, early stopping,
 * monitor, dropout rates, ...); each message names the field. */
dn_status dn_train_check_opts(const dn_model *m, const dn_train_opts *o,
                              dn_error *err);
/* ---- when training ends (stop.c), the same rules for both loops ---- */

/* How both loops start: *o the caller's options (or, for NULL, the
 * defaults), *res cleared to "nothing measured yet" (zero counts, NaN
 * losses, accuracies and best), and the options checked
 * (dn_train_check_opts). */
dn_status dn_stop_open(const dn_model *m, const dn_train_opts *opts,
                       dn_train_opts *o, dn_result *res, dn_error *err);

/* The monitored value of an epoch, oriented so that lower is better. */
double dn_monitored(const dn_train_opts *o, const dn_epoch *e, int has_val);
/* Epoch (or iteration) e's bookkeeping in S: the best monitored value
 * and its epoch, stale (epochs since), calm (epochs in a row whose
 * training loss moved less than tol) and prev_loss.  1 when e is the new
 * best: the caller then keeps its weights, before the callback runs, so
 * that a callback that stops still leaves them behind. */
int  dn_stop_record(dn_train_state *S, const dn_train_opts *o,
                    const dn_epoch *e, int has_val);
/* The rules after e, in order: the caller's callback (non-zero stops),
 * convergence (calm ≥ tol_epochs), early stopping (stale ≥ patience).
 * 1 with the reason in why, or 0 to go on.  An interrupt is the loops'
 * own: it is not an end (a resumed run goes on). */
int  dn_stop_rules(const dn_train_state *S, const dn_train_opts *o,
                   dn_epoch *e, dn_stop *why);
/* A resumed run's finished epochs shown to the callback again (marked
 * replay), the last one as res->last. */
void dn_stop_replay(const dn_train_state *S, const dn_train_opts *o,
                    dn_result *res);
/* At the end: the best epoch's weights back in theta when early stopping
 * kept them and the run went past it (res->restored). */
void dn_stop_restore(const dn_train_state *S, float *theta, dn_result *res);
/* res->best_epoch and res->best, the latter in the monitored value's own
 * orientation (an accuracy is higher-is-better again). */
void dn_stop_report(const dn_train_state *S, const dn_train_opts *o,
                    int has_val, dn_result *res);

/* ---- several processes (dist.c) ---- */

void dn_dist_sum_f(float *x, size_t n);   /* allreduce sum, in place */
int  dn_dist_any(int flag);                /* 1 if any rank's flag is set */
/* This rank's rows [r0, r1) of n: contiguous, as even as possible. */
void dn_dist_slice(int n, int *r0, int *r1);

#endif
