/* test_fpmode.c — training in the floating-point mode of
 * src/kernels/fpmode.h: subnormals flushed, the caller's mode back on
 * return, the same bits on any number of threads.
 *
 * The run: iris (data/iris.csv, all 150 rows), a 4-128-64-3 ReLU
 * network, Adam with L2 0.01 for 600 epochs, one thread.  L2 decays
 * the weights of the units that stop firing towards 0; without the mode
 * 670 of the 9,091 weights ended subnormal (`descent train data/iris.csv
 * --layers 128,64 --val 0 --epochs 600 --l2 0.01 --seed 1 --threads 1`
 * before this mode), and every product that reads one pays about a
 * hundred cycles. */
#include "check.h"
#include "train/train.h"
#include "kernels/fpmode.h"
#include "nn/nn.h"

#include <float.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

static int on_epochs, mode_in_epoch;

static int see_mode(const dn_epoch *e, void *user)
{
    (void)e; (void)user;
    on_epochs++;
    mode_in_epoch = (int)dn_fpmode_get();
    return 0;
}

/* The run of the header on `threads` threads; its weights into theta
 * (P floats), 0 if it failed. */
static int train_once(const dn_data *d, int threads, float *theta, size_t P)
{
    dn_arch a;
    memset(&a, 0, sizeof a);
    a.n_in = d->d;
    a.n_layers = 2;   /* hidden; dn_arch_set_task adds the output */
    a.layer[0] = (dn_layer){ .units = 128, .act = DN_ACT_RELU };
    a.layer[1] = (dn_layer){ .units = 64, .act = DN_ACT_RELU };
    dn_model *m = NULL;
    dn_error err;
    if (dn_arch_set_task(&a, DN_TASK_MULTICLASS, 3, &err) ||
        dn_model_new(&a, &m, &err) || dn_model_fit_scaling(m, d, &err)) {
        CHECK(0, "model: %s", err.msg);
        dn_model_free(m);
        return 0;
    }
    dn_model_init(m, DN_INIT_DEFAULT, 0, 1);
    dn_train_opts o;
    dn_train_defaults(&o);
    o.epochs = 600;
    o.l2 = 0.01;
    o.seed = 1;
    o.threads = threads;
    o.on_epoch = see_mode;
    dn_result res;
    const dn_status st = dn_train(m, d, NULL, &o, &res, &err);
    CHECK(st == DN_OK, "train: %s", err.msg);
    CHECK(dn_model_n_params(m) == P, "%zu parameters", dn_model_n_params(m));
    if (!st && dn_model_n_params(m) == P) memcpy(theta, m->theta, P * sizeof *theta);
    dn_model_free(m);
    return st == DN_OK;
}

static void test_flushed(void)
{
    dn_csv_opts co = { .target = "target" };
    dn_data *d = NULL;
    dn_error err;
    CHECK(dn_csv_read("data/iris.csv", &co, &d, NULL, 0, &err) == DN_OK,
          "%s", err.msg);
    if (!d) return;
    enum { P = 4 * 128 + 128 + 128 * 64 + 64 + 64 * 3 + 3 };
    static float one[P], two[P];
    const unsigned before = dn_fpmode_get();
    on_epochs = 0;
    const int ok = train_once(d, 1, one, P);
    /* The caller's mode is back, and the loop ran in the other. */
    CHECK(dn_fpmode_get() == before, "mode %#x after training, %#x before",
          dn_fpmode_get(), before);
    CHECK(on_epochs == 600, "%d epochs seen", on_epochs);
#if defined(__x86_64__)
    CHECK((mode_in_epoch & 0x8040) == 0x8040 && (before & 0x8040) == 0,
          "MXCSR %#x in training, %#x outside: FTZ and DAZ (0x8040) must be "
          "set in training only", mode_in_epoch, before);
#endif
    long sub = 0;
    for (int i = 0; i < P; i++) sub += one[i] != 0 && fabsf(one[i]) < FLT_MIN;
#if defined(__x86_64__)
    /* (670 of them before the mode, the same run through the CLI.) */
    CHECK(ok && sub == 0, "%ld subnormal weights", sub);
#endif
    /* Two threads: the pool's worker computes in the poster's mode. */
    if (ok && train_once(d, 2, two, P))
        CHECK(!memcmp(one, two, sizeof one), "1 and 2 threads differ");
    dn_data_free(d);
}

/* The pool's workers take the mode of the thread that posts the job:
 * every task sees it, those a worker ran included. */
enum { TASKS = 64 };
typedef struct {
    pthread_t poster;
    unsigned mode[TASKS];
    int elsewhere[TASKS];
} pool_seen;

static void task(int t, void *arg)
{
    pool_seen *q = arg;
    q->mode[t] = dn_fpmode_get();
    q->elsewhere[t] = !pthread_equal(pthread_self(), q->poster);
    /* Long enough (about 50 µs) for the worker to join in. */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do clock_gettime(CLOCK_MONOTONIC, &t1);
    while ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec) < 5e4);
}

static void test_pool_mode(void)
{
    dn_pool *p = dn_pool_new(2);
    CHECK(p != NULL, "pool");
    if (!p) return;
    const unsigned before = dn_fpmode_get();
    int joined = 0, wrong = 0;
    for (int round = 0; round < 3 || (!joined && round < 50); round++) {
        /* Alternate the poster's mode, so that a worker keeping the last
         * job's mode would be caught too. */
        const unsigned mode = round % 2 ? before : dn_fpmode_enter();
        pool_seen q;
        memset(&q, 0, sizeof q);
        q.poster = pthread_self();
        dn_pool_run(p, TASKS, task, &q);
        for (int t = 0; t < TASKS; t++) {
            joined += q.elsewhere[t];
            wrong += q.mode[t] != dn_fpmode_get();
        }
        dn_fpmode_leave(mode);
    }
    CHECK(joined > 0, "the worker ran none of the tasks");
    CHECK(wrong == 0, "%d tasks ran in another mode than their poster's",
          wrong);
    CHECK(dn_fpmode_get() == before, "mode %#x, %#x before", dn_fpmode_get(),
          before);
    dn_pool_free(p);
}

int main(void)
{
    RUN(test_flushed);
    RUN(test_pool_mode);
    return check_done("test_fpmode");
}
