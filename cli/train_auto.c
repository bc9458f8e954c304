/* train_auto.c — the default policy for a small table.
 *
 * On a large table, holding out a fifth of the rows to stop training at
 * the right epoch costs little.  On a small one it costs a fifth of what
 * there is to learn from, and the one held-out fifth is too few rows to
 * say reliably when to stop or how much to regularize.  So when the user
 * leaves those choices to descent — none of --val, --val-data, --epochs,
 * --patience, --l2 given, no resume or warm start — and the table has at
 * most AUTO_ROWS rows, every row is used twice over:
 *
 *   1. 3-fold cross-validation (stratified for classes), raced: on the
 *      first two folds a model for each L2 strength lambda of a small
 *      grid trains with early stopping, watched on the fold left out
 *      from its 100th step on (watch_fold);
 *   2. the lambda with the lowest mean validation loss on those two
 *      wins, and trains on the third fold alone (the others would not
 *      change the choice, only cost time); the epoch count is the mean
 *      of its three folds' best epochs;
 *   3. the model trains on all rows with that lambda for that many
 *      epochs.
 *
 * Measured on 28 public tables (bench/DEFAULTS.md, make bench-defaults;
 * bench/defaults/NOTES.md has the variants tried).  The folds' models
 * are the run's own network, optimizer and seed, so the choice is
 * reproducible by seed like everything else. */
#include "train.h"
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    AUTO_ROWS = 1000,        /* at most this many rows: cross-validate */
    /* Three folds, raced: every lambda on the first AUTO_RACE folds,
     * then their winner alone on the rest, for its epochs.  On the 23
     * tables of at most 1000 rows of bench/DEFAULTS.md (3 seeds each)
     * this chose as well as five folds up to 300 rows and three above,
     * every lambda on every fold (within 0.01 of sklearn on 20 tables
     * against 18, the worst −0.027 both), with 7 fold models instead of
     * 9-15: 8.9 s of CPU against 10.7 s.  A race after one fold chose
     * worse (16 of 23, pima −0.037). */
    AUTO_FOLDS = 3,
    AUTO_RACE = 2,
    AUTO_PATIENCE = 20,      /* early stopping inside the folds */
    AUTO_MIN_STEPS = 100,    /* ... counted from this many steps on */
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

/* The fold's own early stopping (on_epoch): the best validation loss
 * from epoch `from` on, and a stop `patience` epochs after it.  Before
 * `from` the curve is the initialization's: on a fold of a few dozen
 * rows an epoch is a step or two, and the validation loss of 5-20 rows
 * dips by luck in the first steps (stackloss' 10 rows: 0.011 at epoch 3,
 * not reached again until epoch 250), so an early dip chose 6-11 epochs
 * for tables of 16-72 rows, and the refit barely left its random start
 * (stackloss R² 0.00; 0.73 after 200 epochs). */
typedef struct {
    int from, patience;
    double best, best_all;
    int epoch, epoch_all;
    atomic_int *cancel;          /* non-zero: stop now (a guess gone wrong) */
} fold_watch;

static int watch_fold(const dn_epoch *e, void *user)
{
    fold_watch *w = user;
    if (w->cancel && atomic_load(w->cancel)) return 1;
    const double v = e->val_loss;
    if (!(v >= w->best_all)) w->best_all = v, w->epoch_all = e->epoch;
    if (e->epoch < w->from) return 0;
    if (!(v >= w->best)) w->best = v, w->epoch = e->epoch;
    return e->epoch - w->epoch >= w->patience;
}

/* One fold's model with lambda: its best validation loss and epoch.
 * 0, or an exit code after a message. */
static int fold_run(train_cfg *c, const dn_data *tr, const dn_data *te,
                    double lambda, atomic_int *cancel, double *best,
                    int *epoch)
{
    dn_model *m = NULL;
    int rc = train_build(c, tr, &m);
    if (rc) return rc;
    dn_error err;
    dn_status st = train_scale(c, m, tr, &err);
    dn_train_opts o = c->t;
    o.l2 = lambda;
    o.epochs = AUTO_MAX_EPOCHS;
    o.patience = 0;              /* watch_fold's instead */
    o.restore_best = 0;          /* only the best epoch is wanted */
    const int B = o.batch <= 0 || o.batch >= tr->n ? tr->n : o.batch;
    const int per = c->solver_set ? 1 : (tr->n + B - 1) / B;
    fold_watch w = { .from = (AUTO_MIN_STEPS + per - 1) / per,
                     .patience = AUTO_PATIENCE, .best = INFINITY,
                     .best_all = INFINITY, .cancel = cancel };
    o.on_epoch = watch_fold;
    o.user = &w;
    o.on_batch = NULL;
    o.checkpoint = NULL;
    o.keep = NULL;               /* (its user would be &w now) */
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
        /* (a run that ended before `from`, converged: its best overall) */
        const int late = w.epoch > 0;
        *best = late ? w.best : w.best_all;
        *epoch = late ? w.epoch : w.epoch_all > 0 ? w.epoch_all : res.epochs;
    }
    dn_model_free(m);
    return st ? cli_error("train", &err) : 0;
}

/* The cross-validation's jobs: job i trains fold fold[i] with lambda
 * lambdas[lam[i]]; its results land at the pair's place
 * f * N_LAMBDA + lambda of best, epoch and rc, and done[] counts it.
 *
 * The race's tail.  The race's jobs differ in length (vowel's six ran
 * 36 to 335 epochs), so one thread is often left waiting for the last
 * while the other has nothing queued, and then the winner's remaining
 * folds ran on one thread.  So a thread that finds the queue empty
 * while the race still runs starts the remaining folds of the lambda
 * that leads on the jobs done (`guess`); if the race then crowns
 * another, the guess's models stop at their next epoch (`cancel`) and
 * the winner's folds run as before.  Each job's result depends on its
 * fold and lambda alone, so the choice and the epochs are the same as
 * without the guess, on any number of threads. */
typedef struct {
    train_cfg *c;
    int n, next, K, R;
    int race_done;               /* of the n queued jobs */
    int fold[AUTO_FOLDS * N_LAMBDA], lam[AUTO_FOLDS * N_LAMBDA];
    int done[AUTO_FOLDS * N_LAMBDA];
    int guess, guess_next;       /* the guessed lambda (-1: none yet), and
                                    its next fold */
    atomic_int cancel;
    pthread_mutex_t mu;
    dn_data *tr[AUTO_FOLDS], *te[AUTO_FOLDS];
    double best[AUTO_FOLDS * N_LAMBDA];
    int epoch[AUTO_FOLDS * N_LAMBDA], rc[AUTO_FOLDS * N_LAMBDA];
} jobs;

/* The lambda with the lowest mean best loss over the race's folds done
 * for it (under J->mu); -1 when none is done. */
static int leader(const jobs *J)
{
    int w = -1;
    double lead = INFINITY;
    for (int j = 0; j < N_LAMBDA; j++) {
        double s = 0;
        int k = 0;
        for (int f = 0; f < J->R; f++)
            if (J->done[f * N_LAMBDA + j] && !J->rc[f * N_LAMBDA + j])
                s += J->best[f * N_LAMBDA + j], k++;
        if (k && (w < 0 || s / k < lead)) lead = s / k, w = j;
    }
    return w;
}

static void *worker(void *arg)
{
    jobs *J = arg;
    for (;;) {
        pthread_mutex_lock(&J->mu);
        int i = J->next++, f = -1, j = -1;
        atomic_int *cancel = NULL;
        if (i < J->n) {
            f = J->fold[i];
            j = J->lam[i];
        } else if (J->guess_next < J->K) {
            /* The queue is empty: a fold past the race, for the leader. */
            if (J->guess < 0) J->guess = leader(J);
            if (J->guess >= 0) {
                f = J->guess_next++;
                j = J->guess;
                cancel = &J->cancel;
            }
        }
        pthread_mutex_unlock(&J->mu);
        if (f < 0) return NULL;
        const int at = f * N_LAMBDA + j;
        const int rc = J->c->t.interrupt && *J->c->t.interrupt
                     ? EXIT_INTERRUPTED
                     : fold_run(J->c, J->tr[f], J->te[f], lambdas[j], cancel,
                                &J->best[at], &J->epoch[at]);
        pthread_mutex_lock(&J->mu);
        J->rc[at] = rc;
        J->done[at] = !(cancel && atomic_load(cancel));
        if (i < J->n && ++J->race_done == J->n && J->guess >= 0 &&
            J->guess != leader(J))
            atomic_store(&J->cancel, 1);
        pthread_mutex_unlock(&J->mu);
    }
}

/* Runs the n jobs queued in J, and the guess's folds if J->guess_next
 * < J->K, over at most T threads (this one among them), and returns the
 * first queued job's exit code that is not 0, in job order. */
static int run_jobs(jobs *J, int T)
{
    J->next = 0;
    J->race_done = 0;
    const int most = J->n + J->K - J->guess_next;
    if (T > most) T = most;
    pthread_t tid[AUTO_FOLDS * N_LAMBDA];
    int started = 0;
    for (; started < T - 1; started++)
        if (pthread_create(&tid[started], NULL, worker, J)) break;
    worker(J);
    for (int t = 0; t < started; t++) pthread_join(tid[t], NULL);
    for (int i = 0; i < J->n; i++) {
        const int rc = J->rc[J->fold[i] * N_LAMBDA + J->lam[i]];
        if (rc) return rc;
    }
    return 0;
}

/* Queues fold f with lambda j. */
static void queue(jobs *J, int f, int j)
{
    J->fold[J->n] = f;
    J->lam[J->n++] = j;
}

/* The mean over folds 0..nf-1 of lambda j's best validation losses, or
 * (epoch) of its best epochs. */
static double fold_mean(const jobs *J, int j, int nf, int epoch)
{
    double s = 0;
    for (int f = 0; f < nf; f++)
        s += epoch ? J->epoch[f * N_LAMBDA + j] : J->best[f * N_LAMBDA + j];
    return s / nf;
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
    /* Three folds, or two if the smallest class has only two rows; a
     * class of one row leaves the held-out fifth in charge. */
    int K = AUTO_FOLDS;
    while (K >= 2 && dn_data_folds(all, K, c->t.seed, 0, fold, &err)) K--;
    if (K < 2) {
        free(fold);
        return 0;
    }
    const int R = AUTO_RACE;     /* (K is at least 2) */
    jobs J = { .c = c, .K = K, .R = R, .guess = -1, .guess_next = R };
    int rc = 0;
    for (int f = 0; f < K && !rc; f++)
        if (dn_data_fold_split(all, fold, f, &J.tr[f], &J.te[f], &err))
            rc = cli_error("train", &err);
    free(fold);
    /* Every (fold, lambda) pair is a job of its own, the jobs spread
     * over one thread per core (--threads N caps them too: a user who
     * asks for one core gets one); the sums below run in fold order, so
     * the choice does not depend on the thread count. */
    const int T = c->t.threads > 0 ? c->t.threads : dn_threads_default();
    double race[N_LAMBDA];
    int w = 0;
    if (!rc) {
        pthread_mutex_init(&J.mu, NULL);
        for (int f = 0; f < R; f++)
            for (int j = 0; j < N_LAMBDA; j++) queue(&J, f, j);
        rc = run_jobs(&J, T);
        for (int j = 0; j < N_LAMBDA && !rc; j++) {
            race[j] = fold_mean(&J, j, R, 0);
            if (race[j] < race[w]) w = j;
        }
        /* The folds past the race: the guess's results where it was the
         * winner, else the winner's own runs now. */
        J.n = 0;
        J.guess_next = K;
        for (int f = R; f < K && !rc; f++) {
            const int at = f * N_LAMBDA + w;
            if (J.guess != w || !J.done[at]) queue(&J, f, w);
            else rc = J.rc[at];
        }
        J.guess = -1;            /* (nothing to guess or cancel now) */
        if (!rc && J.n) rc = run_jobs(&J, T);
        pthread_mutex_destroy(&J.mu);
    }
    double epochs = rc ? 0 : fold_mean(&J, w, K, 1);
    for (int f = 0; f < K; f++) {
        dn_data_free(J.tr[f]);
        dn_data_free(J.te[f]);
    }
    if (!rc && c->t.interrupt && *c->t.interrupt) rc = EXIT_INTERRUPTED;
    if (rc) return rc;
    c->t.l2 = lambdas[w];
    c->t.epochs = (int)lround(epochs) > 0 ? (int)lround(epochs) : 1;
    c->t.patience = 0;
    c->val = 0;
    int at = dn_snprintf(why, len, "%d rows, too few to hold a fifth out: "
                         "%d-fold cross-validation chose L2 lambda %g and %d "
                         "epochs (mean validation loss on the first %d "
                         "folds:", all->n, K, c->t.l2, c->t.epochs, R);
    for (int j = 0; j < N_LAMBDA && at > 0 && (size_t)at < len; j++)
        at += dn_snprintf(why + at, len - at, "%s %.4g for lambda %g",
                          j ? "," : "", race[j], lambdas[j]);
    if (at > 0 && (size_t)at < len && R < K)
        at += dn_snprintf(why + at, len - at, "; lambda %g alone on the "
                          "other fold%s", c->t.l2, K - R > 1 ? "s" : "");
    if (at > 0 && (size_t)at < len)
        dn_snprintf(why + at, len - at, "; the epochs: the mean of its %d "
                    "folds' early-stopping best), then trains on all %d "
                    "rows", K, all->n);
    return 0;
}
