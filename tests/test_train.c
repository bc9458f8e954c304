/* test_train.c — the training loop's rules: L2 on weights only, dropout,
 * gradient clipping, early stopping with restored weights, convergence,
 * a NaN stopping training with the last good weights, schedules feeding
 * the rate, the three forms of gradient descent, determinism. */
#include "check.h"
#include "descent.h"
#include "train/train.h" /* dn_l2_add, dn_gradient_train, the workspace */
#include <stdlib.h>
#include <string.h>

/* n rows of x in [-1, 1] (d columns), y = slope · Σx (+ noise). */
static dn_data *line(int n, int d, float slope, float noise, uint64_t seed)
{
    dn_data *D = calloc(1, sizeof *D);
    D->n = n; D->d = d; D->k = 1;
    D->X = malloc(sizeof(float) * n * d);
    D->Y = malloc(sizeof(float) * n);
    dn_rng r;
    dn_rng_seed(&r, seed);
    for (int i = 0; i < n; i++) {
        float s = 0;
        for (int j = 0; j < d; j++) {
            float x = (float)(2 * dn_rng_uniform(&r) - 1);
            D->X[i * d + j] = x;
            s += x;
        }
        D->Y[i] = slope * s + noise * (float)dn_rng_normal(&r);
    }
    return D;
}

static void data_free(dn_data *D) { free(D->X); free(D->Y); free(D); }

static dn_model *net(int n_in, int hidden, dn_act act, uint64_t seed)
{
    dn_arch A;
    memset(&A, 0, sizeof A);
    A.n_in = n_in;
    if (hidden) A.layer[A.n_layers++] = (dn_layer){ .units = hidden,
        .act = act };
    dn_arch_set_task(&A, DN_TASK_REGRESSION, 1, NULL);
    dn_model *m;
    dn_model_new(&A, &m, NULL);
    dn_model_init(m, DN_INIT_DEFAULT, 0, seed);
    return m;
}

/* L2: the penalty's gradient against finite differences of
 * J = E + λ/2 ΣW², and biases untouched by decay alone. */
static void test_l2(void)
{
    dn_model *m = net(3, 4, DN_ACT_TANH, 5);
    dn_data *D = line(8, 3, 1.5f, 0.1f, 9);
    dn_ws *ws;
    dn_ws_new(m, 8, 1, &ws, NULL);
    const float lambda = 0.3f;
    size_t P = dn_model_n_params(m);
    float *theta = dn_model_params(m), *g = malloc(P * sizeof *g);
    double J = dn_gradient(m, ws, D->X, D->Y, 8);
    J += dn_l2_add(m, dn_ws_grad(ws), lambda);
    memcpy(g, dn_ws_grad(ws), P * sizeof *g);
    double worst = 0, gmax = 0;
    for (size_t i = 0; i < P; i++) {
        float t = theta[i], h = 1e-3f;
        double Jp, Jm;
        theta[i] = t + h;
        Jp = dn_gradient(m, ws, D->X, D->Y, 8) + dn_l2_add(m, dn_ws_grad(ws), lambda);
        theta[i] = t - h;
        Jm = dn_gradient(m, ws, D->X, D->Y, 8) + dn_l2_add(m, dn_ws_grad(ws), lambda);
        theta[i] = t;
        worst = fmax(worst, fabs((Jp - Jm) / ((double)(t + h) - (t - h)) - g[i]));
        gmax = fmax(gmax, fabs(g[i]));
    }
    CHECK(worst <= 2e-3 * gmax + 1e-4, "L2 gradient vs finite differences: "
          "worst %.3g (max |g| %.3g)", worst, gmax);
    CHECK(J > 0, "J = %g", J);

    /* Decay alone (zero data gradient): W shrinks by exactly (1 − eta λ),
     * biases stay. */
    memset(dn_ws_grad(ws), 0, P * sizeof(float));
    float *b = dn_model_b(m, 0);
    for (int j = 0; j < 4; j++) b[j] = 0.5f;
    float w0 = dn_model_W(m, 0)[0];
    dn_l2_add(m, dn_ws_grad(ws), lambda);
    dn_sgd_step(theta, dn_ws_grad(ws), P, 0.1f);
    CHECK_NEAR(dn_model_W(m, 0)[0], w0 - 0.1f * lambda * w0, 1e-7);
    CHECK(b[0] == 0.5f && b[3] == 0.5f, "a bias moved under decay: %g", b[0]);
    free(g);
    dn_ws_free(ws);
    data_free(D);
    dn_model_free(m);
}

/* Dropout: same seed → same mask; E[kept · 1/(1−p)] = 1; inference and
 * dn_gradient untouched. */
static void test_dropout(void)
{
    dn_model *m = net(2, 200, DN_ACT_RELU, 3);
    dn_ws *ws;
    dn_ws_new(m, 50, 1, &ws, NULL);
    float rate[DN_MAX_LAYERS] = { 0.4f };
    CHECK(dn_ws_enable_dropout(ws, m, rate, NULL) == DN_OK, "enable dropout");
    float X[100];
    for (int i = 0; i < 100; i++) X[i] = 0.5f;
    float Y[50] = { 0 };
    dn_rng r1, r2;
    dn_rng_seed(&r1, 11);
    dn_rng_seed(&r2, 11);
    dn_gradient_train(m, ws, X, Y, 50, rate, &r1);
    size_t n = 50 * 200;
    float *mask1 = malloc(n * sizeof *mask1);
    memcpy(mask1, ws->mask[0], n * sizeof *mask1);
    dn_gradient_train(m, ws, X, Y, 50, rate, &r2);
    CHECK(memcmp(mask1, ws->mask[0], n * sizeof *mask1) == 0,
          "same seed gave another mask");
    double kept = 0, mean = 0;
    for (size_t i = 0; i < n; i++) { kept += mask1[i] != 0; mean += mask1[i]; }
    /* 10,000 Bernoulli(0.6) draws: sd of the share is 0.0049. */
    CHECK_NEAR(kept / n, 0.6, 0.025);
    CHECK_NEAR(mean / n, 1.0, 0.04);
    CHECK(mask1[0] == 0 || fabsf(mask1[0] - 1 / 0.6f) < 1e-6f, "mask value %g",
          mask1[0]);
    /* Inference: no mask, whatever was drawn before. */
    float out1 = dn_forward(m, ws, X, 1)[0];
    dn_ws *plain;
    dn_ws_new(m, 1, 1, &plain, NULL);
    CHECK(out1 == dn_forward(m, plain, X, 1)[0], "dropout leaked into inference");
    free(mask1);
    dn_ws_free(plain);
    dn_ws_free(ws);
    dn_model_free(m);
}

/* Keeps every epoch's weights and validation loss; can plant a NaN in
 * the training data after a given epoch. */
typedef struct {
    dn_model *m;
    int epochs, nan_at;
    float *theta[64];
    double val[64];
    size_t P;
    dn_data *D;
} recorder;

static int record_theta(const dn_epoch *e, void *user)
{
    recorder *r = user;
    r->val[e->epoch] = e->val_loss;
    r->epochs = e->epoch;
    memcpy(r->theta[e->epoch], dn_model_params(r->m), r->P * sizeof(float));
    if (r->nan_at && e->epoch == r->nan_at) r->D->X[0] = NAN;
    return 0;
}

/* Early stopping: train y = x, validate on y = x/2; w climbs from 0 to 1
 * so the validation loss falls until w passes 1/2, then rises.  The
 * final weights must be, bit for bit, those of the best epoch. */
static void test_early_stopping(void)
{
    dn_model *m = net(1, 0, DN_ACT_IDENTITY, 1);
    memset(dn_model_params(m), 0, 2 * sizeof(float));
    dn_data *tr = line(64, 1, 1.0f, 0, 1), *va = line(64, 1, 0.5f, 0, 2);
    recorder r;
    memset(&r, 0, sizeof r);
    r.P = dn_model_n_params(m);
    for (int i = 0; i < 64; i++) r.theta[i] = calloc(r.P, sizeof(float));
    r.m = m;
    dn_train_opts o;
    dn_train_defaults(&o);
    o.epochs = 60; o.batch = 0; o.eta = 0.5; o.patience = 5; o.shuffle = 0;
    o.on_epoch = record_theta; o.user = &r;
    dn_result res;
    dn_status st = dn_train(m, tr, va, &o, &res, NULL);
    int best = 1;
    for (int e = 2; e <= r.epochs; e++) if (r.val[e] < r.val[best]) best = e;
    CHECK(st == DN_OK && res.reason == DN_STOP_EARLY, "status %d reason %d", st,
          res.reason);
    CHECK(best > 1 && best < r.epochs, "validation loss did not turn: best %d of %d",
          best, r.epochs);
    CHECK(res.best_epoch == best, "best epoch %d, recorded %d", res.best_epoch, best);
    CHECK(res.epochs == best + 5, "stopped after %d epochs, best %d, patience 5",
          res.epochs, best);
    CHECK(res.restored && memcmp(dn_model_params(m), r.theta[best],
                                 r.P * sizeof(float)) == 0,
          "weights are not epoch %d's", best);

    /* --no-restore-best keeps the last epoch's weights. */
    memset(dn_model_params(m), 0, r.P * sizeof(float));
    o.restore_best = 0;
    dn_train(m, tr, va, &o, &res, NULL);
    CHECK(!res.restored && memcmp(dn_model_params(m), r.theta[res.epochs],
                                  r.P * sizeof(float)) == 0, "not the last weights");

    /* A NaN in the data at epoch 4 (full batch): epoch 5's first step
     * fails, and the weights stay those after epoch 4. */
    memset(dn_model_params(m), 0, r.P * sizeof(float));
    o.patience = 0; o.restore_best = 1;
    r.nan_at = 4; r.D = tr;
    dn_error err;
    st = dn_train(m, tr, va, &o, &res, &err);
    CHECK(st == DN_ENUMERIC && res.reason == DN_STOP_NONFINITE, "status %d", st);
    CHECK(strstr(err.msg, "epoch 5, step 5") != NULL, "message: %s", err.msg);
    CHECK(memcmp(dn_model_params(m), r.theta[4], r.P * sizeof(float)) == 0,
          "not the last good weights");
    for (int i = 0; i < 64; i++) free(r.theta[i]);
    data_free(tr);
    data_free(va);
    dn_model_free(m);
}

/* Clipping: one SGD step of rate 1 moves theta by exactly the clip norm. */
static void test_clip_and_tol(void)
{
    dn_model *m = net(2, 3, DN_ACT_TANH, 2);
    dn_data *D = line(16, 2, 30.0f, 0, 4);
    size_t P = dn_model_n_params(m);
    float *before = malloc(P * sizeof *before);
    memcpy(before, dn_model_params(m), P * sizeof *before);
    dn_train_opts o;
    dn_train_defaults(&o);
    o.epochs = 1; o.batch = 0; o.eta = 1.0; o.clip = 0.25; o.threads = 1;
    dn_result res;
    dn_train(m, D, NULL, &o, &res, NULL);
    double d2 = 0;
    for (size_t i = 0; i < P; i++) {
        double d = dn_model_params(m)[i] - before[i];
        d2 += d * d;
    }
    CHECK(res.last.grad_norm > 0.25, "gradient norm %g was not above the clip",
          res.last.grad_norm);
    CHECK_REL(sqrt(d2), 0.25, 1e-5, 0);

    /* Convergence: a tolerance no change can miss stops after tol_epochs
     * + 1 epochs (the first has no previous loss). */
    o.epochs = 50; o.clip = 0; o.eta = 0.01; o.tol = 1e9; o.tol_epochs = 3;
    dn_train(m, D, NULL, &o, &res, NULL);
    CHECK(res.reason == DN_STOP_CONVERGED && res.epochs == 4,
          "reason %d after %d epochs", res.reason, res.epochs);
    free(before);
    data_free(D);
    dn_model_free(m);
}

typedef struct { double eta[32]; } rates;
static int record_eta(const dn_epoch *e, void *user)
{
    ((rates *)user)->eta[e->epoch] = e->eta;
    return 0;
}

/* The schedule drives the rate each epoch (warmup 2, then step decay). */
static void test_schedule_feeds_rate(void)
{
    dn_model *m = net(2, 3, DN_ACT_TANH, 2);
    dn_data *D = line(16, 2, 1.0f, 0, 4);
    dn_train_opts o;
    dn_train_defaults(&o);
    o.epochs = 6; o.eta = 0.1;
    dn_sched_defaults(&o.sched, DN_SCHED_STEP);
    o.sched.step_size = 2; o.sched.gamma = 0.5; o.sched.warmup = 2;
    rates r;
    o.on_epoch = record_eta; o.user = &r;
    dn_train(m, D, NULL, &o, NULL, NULL);
    const double want[7] = { 0, 0.05, 0.1, 0.1, 0.1, 0.05, 0.05 };
    for (int e = 1; e <= 6; e++) CHECK_REL(r.eta[e], want[e], 1e-12, 0);
    data_free(D);
    dn_model_free(m);
}

/* Batch, stochastic and mini-batch all learn the line; the same seed
 * gives the same bits with 1 or 2 threads. */
static void test_forms_and_determinism(void)
{
    dn_data *D = line(200, 3, 0.7f, 0.01f, 8);
    const int batches[3] = { 0, 1, 16 };
    const double etas[3] = { 0.5, 0.02, 0.1 };
    for (int i = 0; i < 3; i++) {
        dn_model *m = net(3, 8, DN_ACT_TANH, 3);
        dn_train_opts o;
        dn_train_defaults(&o);
        o.epochs = 40; o.batch = batches[i]; o.eta = etas[i];
        dn_result res;
        dn_train(m, D, NULL, &o, &res, NULL);
        dn_metrics mt;
        dn_evaluate(m, D, &mt, NULL);
        long steps_per_epoch = batches[i] == 0 ? 1 : (200 + batches[i] - 1) / batches[i];
        CHECK(res.steps == 40 * steps_per_epoch, "batch %d: %ld steps",
              batches[i], res.steps);
        CHECK(mt.r2 > 0.98, "batch %d: R² %g", batches[i], mt.r2);
        dn_model_free(m);
    }
    dn_model *a = net(3, 64, DN_ACT_RELU, 3), *b = net(3, 64, DN_ACT_RELU, 3);
    dn_train_opts o;
    dn_train_defaults(&o);
    o.epochs = 5;
    dn_opt_defaults(&o.opt, DN_OPT_ADAM);
    o.dropout[0] = 0.2f;
    o.threads = 1;
    dn_train(a, D, NULL, &o, NULL, NULL);
    o.threads = 2;
    dn_train(b, D, NULL, &o, NULL, NULL);
    CHECK(memcmp(dn_model_params(a), dn_model_params(b),
                 dn_model_n_params(a) * sizeof(float)) == 0,
          "1 and 2 threads gave different weights");
    dn_model_free(a);
    dn_model_free(b);
    data_free(D);
}

int main(void)
{
    RUN(test_l2);
    RUN(test_dropout);
    RUN(test_early_stopping);
    RUN(test_clip_and_tol);
    RUN(test_schedule_feeds_rate);
    RUN(test_forms_and_determinism);
    return check_done("test_train");
}
