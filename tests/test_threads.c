/* test_threads.c — the header's thread-safety promise, checked with real
 * numbers (and, under `make tsan`, by ThreadSanitizer):
 *   - one model predicts from several threads at once, each with its own
 *     output: every thread gets the single-threaded prediction, bit for bit;
 *   - two models train in two threads at once: each ends with the weights
 *     it gets when trained alone, bit for bit;
 *   - the thread pool under load: a model trains with threads = 2 while
 *     another thread keeps predicting from a second model; both results
 *     equal the ones computed with nothing else running. */
#include "check.h"
#include "descent.h"
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#define READERS 4

static dn_data *digits;   /* data/digits.csv: 64 inputs, 10 classes */

/* A 64-h-10 softmax network, seeded, standardized on the digits. */
static dn_model *net(int hidden, uint64_t seed)
{
    dn_arch A;
    memset(&A, 0, sizeof A);
    A.n_in = digits->d;
    A.layer[A.n_layers++] = (dn_layer){ .units = hidden, .act = DN_ACT_RELU };
    dn_arch_set_task(&A, DN_TASK_MULTICLASS, 10, NULL);
    dn_model *m = NULL;
    if (dn_model_new(&A, &m, NULL)) return NULL;
    dn_model_init(m, DN_INIT_DEFAULT, 0, seed);
    dn_model_fit_scaling(m, digits, NULL);
    return m;
}

static size_t out_len(const dn_model *m)
{
    return (size_t)digits->n * dn_model_n_out(m);
}

/* ---- several readers of one model */

typedef struct {
    const dn_model *m;
    int     rounds;
    int     stop_when_set;   /* for the load test: loop until *stop */
    atomic_int *stop;
    const float *want;       /* the single-threaded prediction */
    int     same;            /* rounds whose output equalled want */
    int     done;            /* rounds run */
    dn_status st;
} reader;

static void *read_model(void *v)
{
    reader *r = v;
    size_t n = out_len(r->m);
    float *out = malloc(n * sizeof *out);
    if (!out) { r->st = DN_ENOMEM; return NULL; }
    while (r->done < r->rounds || (r->stop_when_set && !atomic_load(r->stop))) {
        memset(out, 0xFF, n * sizeof *out);   /* NaN: nothing left over */
        r->st = dn_predict(r->m, digits->X, digits->n, out, NULL);
        if (r->st) break;
        r->done++;
        r->same += memcmp(out, r->want, n * sizeof *out) == 0;
    }
    free(out);
    return NULL;
}

static float *predict_alone(const dn_model *m)
{
    float *out = malloc(out_len(m) * sizeof *out);
    if (out && dn_predict(m, digits->X, digits->n, out, NULL)) {
        free(out);
        out = NULL;
    }
    return out;
}

static void test_readers(void)
{
    dn_model *m = net(32, 3);
    float *want = predict_alone(m);
    CHECK(want != NULL, "the single-threaded prediction failed");
    if (!want) { dn_model_free(m); return; }
    /* The prediction is a probability distribution per row: a check that
     * the reference itself is a real output, not zeros. */
    double s = 0;
    for (int j = 0; j < 10; j++) s += want[j];
    CHECK_NEAR(s, 1.0, 1e-5);

    reader r[READERS];
    pthread_t t[READERS];
    int started = 0;
    for (int i = 0; i < READERS; i++) {
        r[i] = (reader){ .m = m, .rounds = 3, .want = want };
        started += pthread_create(&t[i], NULL, read_model, &r[i]) == 0;
    }
    CHECK(started == READERS, "only %d of %d threads started", started, READERS);
    for (int i = 0; i < started; i++) {
        pthread_join(t[i], NULL);
        CHECK(r[i].st == DN_OK, "reader %d: status %d", i, r[i].st);
        CHECK(r[i].same == 3, "reader %d: %d of 3 predictions equal the "
              "single-threaded one", i, r[i].same);
    }
    free(want);
    dn_model_free(m);
}

/* ---- two trainings at once */

typedef struct {
    dn_model     *m;
    dn_train_opts o;
    dn_result     res;
    dn_status     st;
} trainer;

static void *train_model(void *v)
{
    trainer *t = v;
    t->st = dn_train(t->m, digits, NULL, &t->o, &t->res, NULL);
    return NULL;
}

/* Two different trainings (seed, optimizer, batch), threads as given. */
static void setup(trainer *t, uint64_t seed, int threads)
{
    memset(t, 0, sizeof *t);
    t->m = net(48, seed);
    dn_train_defaults(&t->o);
    t->o.epochs = 2;
    t->o.threads = threads;
    t->o.seed = seed;
    if (seed % 2) {
        dn_opt_defaults(&t->o.opt, DN_OPT_ADAM);
        t->o.eta = 0.01;
        t->o.batch = 256;   /* wide enough for the pool to split it */
    } else {
        t->o.batch = 32;
        t->o.eta = 0.05;
    }
}

static int same_params(const dn_model *a, const dn_model *b)
{
    size_t n = dn_model_n_params(a);
    return n == dn_model_n_params(b) &&
           memcmp(dn_model_params_const(a), dn_model_params_const(b),
                  n * sizeof(float)) == 0;
}

static void test_two_trainings(void)
{
    trainer alone[2], both[2];
    for (int i = 0; i < 2; i++) {
        setup(&alone[i], 5 + i, 1);
        setup(&both[i], 5 + i, 1);
        train_model(&alone[i]);
        CHECK(alone[i].st == DN_OK && alone[i].res.epochs == 2,
              "training %d alone: status %d after %d epochs", i,
              alone[i].st, alone[i].res.epochs);
    }
    pthread_t t[2];
    int ok0 = pthread_create(&t[0], NULL, train_model, &both[0]) == 0;
    int ok1 = pthread_create(&t[1], NULL, train_model, &both[1]) == 0;
    CHECK(ok0 && ok1, "threads did not start");
    if (ok0) pthread_join(t[0], NULL);
    if (ok1) pthread_join(t[1], NULL);
    for (int i = 0; i < 2; i++) {
        CHECK(both[i].st == DN_OK, "training %d beside the other: status %d",
              i, both[i].st);
        CHECK(same_params(alone[i].m, both[i].m), "training %d beside the "
              "other gave other weights than alone", i);
        CHECK(both[i].res.steps == alone[i].res.steps, "training %d: %ld "
              "steps, %ld alone", i, both[i].res.steps, alone[i].res.steps);
        /* The trainings moved the weights: equality is not of two copies
         * of the initial weights. */
        dn_model *init = net(48, 5 + i);
        CHECK(!same_params(init, both[i].m), "training %d left the initial "
              "weights", i);
        CHECK(both[i].res.last.train_loss < 2.2, "training %d: loss %g, no "
              "better than chance (ln 10 = 2.30)", i, both[i].res.last.train_loss);
        dn_model_free(init);
        dn_model_free(alone[i].m);
        dn_model_free(both[i].m);
    }
}

/* ---- the pool under load: training on 2 threads, a reader beside it */

static void test_pool_under_load(void)
{
    trainer alone, busy;
    setup(&alone, 7, 2);
    setup(&busy, 7, 2);
    train_model(&alone);
    CHECK(alone.st == DN_OK, "training alone: status %d", alone.st);

    dn_model *other = net(32, 11);
    float *want = predict_alone(other);
    atomic_int stop = 0;
    reader r = { .m = other, .rounds = 1, .stop_when_set = 1, .stop = &stop,
                 .want = want };
    pthread_t t;
    int started = want && pthread_create(&t, NULL, read_model, &r) == 0;
    CHECK(started, "the reader did not start");
    train_model(&busy);
    atomic_store(&stop, 1);
    if (started) pthread_join(t, NULL);
    CHECK(busy.st == DN_OK, "training beside a reader: status %d", busy.st);
    CHECK(same_params(alone.m, busy.m), "training on 2 threads beside a "
          "reader gave other weights than alone");
    CHECK(r.st == DN_OK && r.done >= 1 && r.same == r.done, "the reader: "
          "%d of %d predictions equal the one made alone (status %d)",
          r.same, r.done, r.st);
    free(want);
    dn_model_free(other);
    dn_model_free(alone.m);
    dn_model_free(busy.m);
}

int main(void)
{
    dn_error e = { 0 };
    if (dn_csv_read("data/digits.csv", NULL, &digits, NULL, 0, &e)) {
        fprintf(stderr, "data/digits.csv: %s\n", e.msg);
        return 1;
    }
    RUN(test_readers);
    RUN(test_two_trainings);
    RUN(test_pool_under_load);
    dn_data_free(digits);
    return check_done("test_threads");
}
