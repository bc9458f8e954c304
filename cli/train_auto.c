/* train_auto.c — the default policy for a small table.
 *
 * On a large table, holding out a fifth of the rows to stop training at
 * the right epoch costs little.  On a small one it costs a fifth of what
 * there is to learn from, and the one held-out fifth is too few rows to
 * say reliably when to stop or how much to regularize.  So when the user
 * leaves those choices to descent — none of --val, --val-data, --epochs,
 * --patience, --l2 given, no solver, resume or warm start — and the
 * table has at most AUTO_ROWS rows, every row is used twice over:
 *
 *   1. K-fold cross-validation (K = 5, stratified for classes): for each
 *      L2 strength lambda of a small grid, K models train with early
 *      stopping on K − 1 folds, watched on the one left out;
 *   2. the lambda with the lowest mean validation loss wins, and the
 *      epoch count is the mean of its folds' best epochs;
 *   3. the model trains on all rows with that lambda for that many
 *      epochs.
 *
 * Measured on 28 public tables (bench/DEFAULTS.md, make bench-defaults):
 * this policy against the held-out fifth with early stopping that came
 * before it.  The folds' models are the run's own network, optimizer and
 * seed, so the choice is reproducible by seed like everything else. */
#include "train.h"
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    AUTO_ROWS = 1000,        /* at most this many rows: cross-validate */
    AUTO_FOLDS = 5,
    AUTO_ROWS_5 = 300,       /* five folds up to here, then three */
    AUTO_PATIENCE = 20,      /* early stopping inside the folds */
    AUTO_MAX_EPOCHS = 400
};
/* lambda: three decades of the notes' weight decay λ/2 Σ W².  No 0:
 * 1e-3 is nearly none where little is wanted, and without 0 the folds
 * train a quarter fewer models.  Measured on the 23 tables of
 * bench/DEFAULTS.md small enough for this policy, 3 seeds each: lambda
 * 0 had won 8 of the 69 runs (zoo, wine, salaries twice each, prestige,
 * wdbc); with another lambda chosen there the medians of 21 tables are
 * unchanged, prestige's R² went 0.806 -> 0.812 and salaries' 0.469 ->
 * 0.460 (sklearn's 0.823, 0.455). */
static const double lambdas[] = { 1e-3, 1e-2, 1e-1 };
enum { N_LAMBDA = sizeof lambdas / sizeof *lambdas };

int train_auto_applies(const train_cfg *c, const dn_data *all)
{
    static const char *const owns[] = { "val", "epochs", "patience", "l2" };
    for (size_t i = 0; i < sizeof owns / sizeof *owns; i++)
        if (train_given(c, owns[i])) return 0;
    /* (class weights are computed on the training rows of a split; the
     * folds would each need their own: not done, so the held-out fifth
     * keeps them) */
    return !c->val_data && !c->class_weight && !c->resume && !c->warm &&
           !c->t.resume && (c->t.alone || dn_dist_size() == 1) &&
           all->n <= AUTO_ROWS;
}

/* One fold's model with lambda: its best validation loss and epoch.
 * 0, or an exit code after a message. */
static int fold_run(train_cfg *c, const dn_data *tr, const dn_data *te,
                    double lambda, double *best, int *epoch)
{
    dn_model *m = NULL;
    int rc = train_build(c, tr, &m);
    if (rc) return rc;
    dn_error err;
    dn_status st = train_scale(c, m, tr, &err);
    dn_train_opts o = c->t;
    o.l2 = lambda;
    o.epochs = AUTO_MAX_EPOCHS;
    o.patience = AUTO_PATIENCE;
    o.restore_best = 0;          /* only the best epoch is wanted */
    o.on_epoch = NULL;
    o.on_batch = NULL;
    o.checkpoint = NULL;
    o.checkpoint_every = 0;
    o.checkpoint_steps = 0;
    o.resume = NULL;
    o.threads = 1;               /* the folds run side by side instead */
    dn_result res;
    if (!st && c->solver_set) {
        dn_train_opts d;
        dn_train_defaults(&d);
        o.batch = d.batch; o.eta = d.eta; o.opt = d.opt; o.sched = d.sched;
        st = dn_train_full(m, tr, te, &c->solver, &o, &res, &err);
    } else if (!st) {
        st = dn_train(m, tr, te, &o, &res, &err);
    }
    if (!st) {
        *best = res.best;
        *epoch = res.best_epoch ? res.best_epoch : res.epochs;
    }
    dn_model_free(m);
    return st ? cli_error("train", &err) : 0;
}

/* The cross-validation's jobs: job i is fold i / N_LAMBDA with lambda
 * i % N_LAMBDA. */
typedef struct {
    train_cfg *c;
    int K, next;
    pthread_mutex_t mu;
    dn_data *tr[AUTO_FOLDS], *te[AUTO_FOLDS];
    double best[AUTO_FOLDS * N_LAMBDA];
    int epoch[AUTO_FOLDS * N_LAMBDA], rc[AUTO_FOLDS * N_LAMBDA];
} jobs;

static void *worker(void *arg)
{
    jobs *J = arg;
    for (;;) {
        pthread_mutex_lock(&J->mu);
        int i = J->next++;
        pthread_mutex_unlock(&J->mu);
        if (i >= J->K * N_LAMBDA) return NULL;
        const int f = i / N_LAMBDA;
        J->rc[i] = J->c->t.interrupt && *J->c->t.interrupt ? EXIT_INTERRUPTED
                 : fold_run(J->c, J->tr[f], J->te[f], lambdas[i % N_LAMBDA],
                            &J->best[i], &J->epoch[i]);
    }
}

int train_auto(train_cfg *c, const dn_data *all, char *why, size_t len)
{
    why[0] = 0;
    dn_error err;
    int32_t *fold = malloc((size_t)all->n * sizeof *fold);
    if (!fold) {
        fprintf(stderr, "descent train: out of memory for the folds\n");
        return EXIT_DATA;
    }
    /* Five folds, or as many as the smallest class allows (at least 2);
     * a class of one row leaves the held-out fifth in charge. */
    /* (three above AUTO_ROWS_5 rows: each fold's training is longer,
     * and its validation part large enough) */
    int K = all->n <= AUTO_ROWS_5 ? AUTO_FOLDS : 3;
    while (K >= 2 && dn_data_folds(all, K, c->t.seed, 0, fold, &err)) K--;
    if (K < 2) {
        free(fold);
        return 0;
    }
    /* Every (fold, lambda) pair is a job of its own, the jobs spread
     * over one thread per core; the sums below run in job order, so the
     * choice does not depend on the thread count. */
    jobs J = { .c = c, .K = K };
    int rc = 0;
    for (int f = 0; f < K && !rc; f++)
        if (dn_data_fold_split(all, fold, f, &J.tr[f], &J.te[f], &err))
            rc = cli_error("train", &err);
    free(fold);
    if (!rc) {
        pthread_mutex_init(&J.mu, NULL);
        /* (--threads N caps them too: a user who asks for one core
         * gets one) */
        int T = c->t.threads > 0 ? c->t.threads : dn_threads_default();
        if (T > K * N_LAMBDA) T = K * N_LAMBDA;
        pthread_t tid[AUTO_FOLDS * N_LAMBDA];
        int started = 0;
        for (; started < T - 1; started++)
            if (pthread_create(&tid[started], NULL, worker, &J)) break;
        worker(&J);
        for (int t = 0; t < started; t++) pthread_join(tid[t], NULL);
        pthread_mutex_destroy(&J.mu);
    }
    double loss[N_LAMBDA] = { 0 }, epochs[N_LAMBDA] = { 0 };
    for (int i = 0; i < K * N_LAMBDA && !rc; i++) {
        rc = J.rc[i];
        loss[i % N_LAMBDA] += J.best[i] / K;
        epochs[i % N_LAMBDA] += (double)J.epoch[i] / K;
    }
    for (int f = 0; f < K; f++) {
        dn_data_free(J.tr[f]);
        dn_data_free(J.te[f]);
    }
    if (!rc && c->t.interrupt && *c->t.interrupt) rc = EXIT_INTERRUPTED;
    if (rc) return rc;
    int w = 0;
    for (int j = 1; j < N_LAMBDA; j++)
        if (loss[j] < loss[w]) w = j;
    c->t.l2 = lambdas[w];
    c->t.epochs = (int)lround(epochs[w]) > 0 ? (int)lround(epochs[w]) : 1;
    c->t.patience = 0;
    c->val = 0;
    int at = dn_snprintf(why, len, "%d rows, too few to hold a fifth out: "
                         "%d-fold cross-validation chose L2 lambda %g and %d "
                         "epochs (mean validation loss", all->n, K,
                         c->t.l2, c->t.epochs);
    for (int j = 0; j < N_LAMBDA && at > 0 && (size_t)at < len; j++)
        at += dn_snprintf(why + at, len - at, "%s %.4g for lambda %g",
                          j ? "," : "", loss[j], lambdas[j]);
    if (at > 0 && (size_t)at < len)
        dn_snprintf(why + at, len - at, "; the epochs: early stopping in the "
                    "folds), then trains on all %d rows", all->n);
    return 0;
}
