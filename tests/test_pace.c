/* test_pace.c — the training loop's switching between its pool and one
 * thread (src/pace.c).
 *
 * dn_pace moves a workspace between its pool and the calling thread
 * alone, on measured speed.  What must hold whatever it measures: it
 * does switch (a probe alone follows a probe on the pool, so a run of
 * some tens of milliseconds is seen both ways), and every step's loss
 * and gradient are the same bits in either mode — checked here step by
 * step against a one-thread workspace, on a network whose first layer is
 * cut by units over the threads (the path whose data layout differs
 * most), and so is the gradient's norm, which the threads sum row by
 * row there.  And dn_train with the default thread count (which paces),
 * every step clipped by that norm, trains to the same bits as with one
 * thread.
 */
#include "check.h"
#include "train/train.h"
#include "train/pace.h"
#include "data/data.h"

#include <string.h>
#include <time.h>

enum { N = 600, D = 100, B = 32 };

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static dn_data *make_data(void)
{
    dn_data *d;
    if (dn_data_alloc_u8(N, D, 1, &d, NULL)) return NULL;
    uint64_t s = 5;
    for (size_t i = 0; i < (size_t)N * D; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        dn_data_x8(d)[i] = (uint8_t)(s >> 56);
    }
    for (int i = 0; i < N; i++) d->Y[i] = (float)(dn_data_x8(d)[(size_t)i * D] % 4);
    return d;
}

static dn_model *make_model(const dn_data *d)
{
    dn_arch a;
    memset(&a, 0, sizeof a);
    a.n_in = D;
    a.n_layers = 2;
    a.layer[0] = (dn_layer){ .units = 16, .act = DN_ACT_RELU };
    a.layer[1] = (dn_layer){ .units = 8, .act = DN_ACT_TANH };
    dn_model *m = NULL;
    dn_error err;
    if (dn_arch_set_task(&a, DN_TASK_MULTICLASS, 4, &err) ||
        dn_model_new(&a, &m, &err) || dn_model_fit_scaling(m, d, &err)) {
        CHECK(0, "model: %s", err.msg);
        dn_model_free(m);
        return NULL;
    }
    dn_model_init(m, DN_INIT_DEFAULT, 0, 9);
    return m;
}

static void test_steps(const dn_data *d, const dn_model *m)
{
    dn_ws *one = NULL, *two = NULL;
    dn_error err;
    if (dn_ws_new(m, B, 1, &one, &err) || dn_ws_new(m, B, 2, &two, &err)) {
        CHECK(0, "workspace: %s", err.msg);
        dn_ws_free(one);
        return;
    }
    CHECK(two->xt != NULL, "the test network's layer 0 is not cut by units");
    const size_t P = dn_model_n_params(m);
    int32_t idx[N];
    for (int i = 0; i < N; i++) idx[i] = (int32_t)((i * 7) % N);
    float Y1[B], Y2[B];
    long bad_norm = 0;
    dn_pace p;
    dn_pace_init(&p, two, 1);
    CHECK(p.on, "pacing is off on a workspace with a pool of 2");
    long steps = 0, solo = 0, pool = 0, bad = 0;
    const double t0 = now();
    while (now() - t0 < 0.15 || !solo || !pool) {
        const int at = (int)(steps % (N / B)) * B;
        double e1 = dn_gradient_rows(m, one, d, idx + at, B, 0, Y1, NULL,
                                     NULL);
        double e2 = dn_gradient_rows(m, two, d, idx + at, B, 0, Y2, NULL,
                                     NULL);
        bad += memcmp(&e1, &e2, sizeof e1) != 0 ||
               memcmp(dn_ws_grad(one), dn_ws_grad(two), P * sizeof(float));
        /* The norm from the threads' row sums (or, alone, from g). */
        double n1 = dn_grad_norm(m, one, 1), n2 = dn_grad_norm(m, two, 1);
        bad_norm += memcmp(&n1, &n2, sizeof n1) != 0 ||
                    !(fabs(n1 - dn_norm2(dn_ws_grad(one), P)) <= 1e-12 * n1);
        solo += two->pool == NULL;
        pool += two->pool != NULL;
        dn_pace_step(&p, two, B);
        /* On a loaded machine a probe's steps can pass STEP_LONG and the
         * pacing gives up, leaving the pool on for good: switch by hand
         * then, so that both ways are still compared bit for bit. */
        if (!p.on) dn_ws_solo(two, (int)(steps & 1));
        if (++steps > 2000000 || now() - t0 > 5.0) break;
    }
    CHECK(solo > 0 && pool > 0, "in %ld steps: %ld alone, %ld on the pool",
          steps, solo, pool);
    CHECK(bad == 0, "%ld of %ld steps gave other bits than one thread's",
          bad, steps);
    CHECK(bad_norm == 0, "%ld of %ld steps: the gradient's norm differs "
          "from one thread's, or from the plain sum by more than 1e-12",
          bad_norm, steps);
    dn_ws_free(one);
    dn_ws_free(two);
}

static void test_train(const dn_data *d)
{
    dn_model *a = make_model(d), *b = make_model(d);
    if (!a || !b) goto out;
    dn_train_opts o;
    dn_train_defaults(&o);
    o.epochs = 60;
    o.batch = B;
    o.clip = 0.05;   /* every step clipped: the norm's bits matter */
    dn_opt_defaults(&o.opt, DN_OPT_ADAM);
    o.threads = 1;
    dn_error err;
    CHECK(dn_train(a, d, NULL, &o, NULL, &err) == DN_OK, "%s", err.msg);
    o.threads = 0;
    CHECK(dn_train(b, d, NULL, &o, NULL, &err) == DN_OK, "%s", err.msg);
    CHECK(memcmp(dn_model_params(a), dn_model_params(b),
                 dn_model_n_params(a) * sizeof(float)) == 0,
          "the default (paced) threads trained other weights than 1 thread");
out:
    dn_model_free(a);
    dn_model_free(b);
}

int main(void)
{
    dn_data *d = make_data();
    dn_model *m = d ? make_model(d) : NULL;
    if (m) {
        test_steps(d, m);
        test_train(d);
    }
    dn_model_free(m);
    dn_data_free(d);
    return check_done("test_pace");
}
