/* test_health.c — the health checks (dn_health): each trouble provoked
 * on purpose and reported once, with the epoch and the layer that an
 * independent count in the test finds (z and gradients read back through
 * the public API after every epoch, the loss curves from the epoch
 * reports); a healthy run reports nothing; the checks leave the run's
 * numbers bit for bit as they are without them; bad settings are
 * refused by name. */
#include "check.h"
#include "descent.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* n rows of x uniform in [-1, 1]^2 and y = 2 x1 − x2 + 0.5 + noise·N(0,1). */
static dn_data *plane(int n, double noise, uint64_t seed)
{
    dn_data *D = NULL;
    dn_error err;
    if (dn_data_new(n, 2, 1, &D, &err)) return NULL;
    dn_rng r;
    dn_rng_seed(&r, seed);
    for (int i = 0; i < n; i++) {
        float a = (float)(2 * dn_rng_uniform(&r) - 1);
        float b = (float)(2 * dn_rng_uniform(&r) - 1);
        D->X[2 * i] = a;
        D->X[2 * i + 1] = b;
        D->Y[i] = (float)(2 * a - b + 0.5 + noise * dn_rng_normal(&r));
    }
    return D;
}

/* 2 inputs -> hidden layers -> 1 identity output, MSE. */
static dn_model *net(int n_hidden, const int *units, const dn_act *act,
                     uint64_t seed)
{
    dn_arch A;
    memset(&A, 0, sizeof A);
    A.n_in = 2;
    A.n_layers = n_hidden + 1;
    for (int l = 0; l < n_hidden; l++)
        A.layer[l] = (dn_layer){ .units = units[l], .act = act[l] };
    A.layer[n_hidden] = (dn_layer){ .units = 1, .act = DN_ACT_IDENTITY };
    A.loss = DN_LOSS_MSE;
    dn_model *m = NULL;
    dn_error err;
    if (dn_model_new(&A, &m, &err)) return NULL;
    dn_model_init(m, DN_INIT_DEFAULT, 0, seed);
    return m;
}

/* What the callback keeps: the health checker's answers and, for the
 * test's own count, every epoch's report and per-layer gradient norm
 * over all the rows (n ≤ 256, so the checker's sample is every row). */
enum { MAX_E = 400 };
typedef struct {
    dn_health  *h;
    dn_model   *m;
    const dn_data *D;
    dn_ws      *ws;
    dn_epoch    e[MAX_E + 1];
    double      gnorm[MAX_E + 1][DN_MAX_LAYERS];
    int         dead[MAX_E + 1][DN_MAX_LAYERS];  /* ReLU layers */
    int         sat[MAX_E + 1][DN_MAX_LAYERS];   /* sigmoid layers */
    int         fresh[MAX_E + 1];   /* new warnings per epoch */
    int         n;
} watch;

static double layer_norm(const dn_model *m, const float *g, int l)
{
    const dn_arch *A = dn_model_arch(m);
    size_t in = (size_t)(l ? A->layer[l - 1].units : A->n_in);
    size_t u = (size_t)A->layer[l].units;
    double s = 0;
    const float *W = g + dn_model_offset_W(m, l), *b = g + dn_model_offset_b(m, l);
    for (size_t i = 0; i < u * in; i++) s += (double)W[i] * W[i];
    for (size_t i = 0; i < u; i++) s += (double)b[i] * b[i];
    return sqrt(s);
}

/* The test's own counts from z of all the rows: units of a ReLU layer
 * never active; units of a sigmoid layer with 4σ(1 − σ) < 0.05 (5% of
 * f'(0)) on more than 90% of the rows, and of a tanh layer with
 * 1 − tanh² < 0.05. */
static void count_units(watch *w, int e)
{
    const dn_arch *A = dn_model_arch(w->m);
    const int n = w->D->n;
    for (int l = 0; l < A->n_layers - 1; l++) {
        const int u = A->layer[l].units;
        const float *z = dn_ws_z(w->ws, l);
        for (int j = 0; j < u; j++) {
            int on = 0, flat = 0;
            for (int r = 0; r < n; r++) {
                const double zz = z[(size_t)r * u + j];
                const double s = 1 / (1 + exp(-zz)), t = tanh(zz);
                on |= zz > 0;
                flat += A->layer[l].act == DN_ACT_TANH ? 1 - t * t < 0.05
                                                       : 4 * s * (1 - s) < 0.05;
            }
            if (A->layer[l].act == DN_ACT_RELU) w->dead[e][l] += !on;
            if (A->layer[l].act == DN_ACT_SIGMOID || A->layer[l].act == DN_ACT_TANH)
                w->sat[e][l] += flat > 0.9 * n;
        }
    }
}

static int on_epoch(const dn_epoch *e, void *user)
{
    watch *w = user;
    if (e->epoch > MAX_E) return 1;
    w->e[e->epoch] = *e;
    w->n = e->epoch;
    if (w->ws) {
        dn_gradient(w->m, w->ws, w->D->X, w->D->Y, w->D->n);
        for (int l = 0; l < dn_model_arch(w->m)->n_layers; l++)
            w->gnorm[e->epoch][l] = layer_norm(w->m, dn_ws_grad(w->ws), l);
        count_units(w, e->epoch);
    }
    if (w->h) w->fresh[e->epoch] = dn_health_epoch(w->h, w->m, e);
    return 0;
}

/* The checker's settings for run (NULL: the defaults). */
static const dn_health_conf *run_conf;

/* Trains m on D (val may be NULL) with the checker watching; returns
 * the status. */
static dn_status run(watch *w, dn_model *m, const dn_data *D,
                     const dn_data *val, dn_train_opts *o)
{
    dn_error err;
    memset(w, 0, sizeof *w);
    w->m = m;
    w->D = D;
    CHECK(dn_health_new(m, D, run_conf, &w->h, &err) == DN_OK, "%s", err.msg);
    CHECK(dn_ws_new(m, D->n, 1, &w->ws, &err) == DN_OK, "%s", err.msg);
    o->on_epoch = on_epoch;
    o->user = w;
    dn_result res;
    return dn_train(m, D, val, o, &res, &err);
}

static void done(watch *w)
{
    dn_health_free(w->h);
    dn_ws_free(w->ws);
}

/* The warnings of one kind. */
static int of_kind(const dn_health *h, dn_health_kind k,
                   const dn_health_warning **first)
{
    int n, c = 0;
    const dn_health_warning *w = dn_health_list(h, &n);
    for (int i = 0; i < n; i++)
        if (w[i].kind == k) {
            if (!c && first) *first = &w[i];
            c++;
        }
    return c;
}

/* The units of hidden layer l whose z is ≤ 0 on every row (the test's
 * own count, from a forward pass over all rows). */
static int count_dead(const dn_model *m, const dn_data *D, int l)
{
    dn_ws *ws;
    dn_error err;
    if (dn_ws_new(m, D->n, 1, &ws, &err)) return -1;
    dn_forward(m, ws, D->X, D->n);
    const float *z = dn_ws_z(ws, l);
    int u = dn_model_arch(m)->layer[l].units, dead = 0;
    for (int j = 0; j < u; j++) {
        int on = 0;
        for (int r = 0; r < D->n; r++) on |= z[(size_t)r * u + j] > 0;
        dead += !on;
    }
    dn_ws_free(ws);
    return dead;
}

static void sgd(dn_train_opts *o, double eta, int epochs, int batch)
{
    dn_train_defaults(o);
    o->opt.kind = DN_OPT_SGD;
    o->eta = eta;
    o->epochs = epochs;
    o->batch = batch;
    o->threads = 1;
}

/* Large negative biases on half of layer 1's units: those 4 of 8 never
 * fire, from the first epoch on; layer 0 stays alive. */
static void test_dead_relu(void)
{
    dn_data *D = plane(256, 0.1, 1);
    const int u[2] = { 8, 8 };
    const dn_act a[2] = { DN_ACT_RELU, DN_ACT_RELU };
    dn_model *m = net(2, u, a, 5);
    float *b1 = dn_model_b(m, 1);
    for (int j = 0; j < 4; j++) b1[2 * j] = -50;
    dn_train_opts o;
    sgd(&o, 0.01, 10, 32);
    watch w;
    CHECK(run(&w, m, D, NULL, &o) == DN_OK, "trained");
    const dn_health_warning *x = NULL;
    CHECK(of_kind(w.h, DN_HEALTH_DEAD_RELU, &x) == 1, "one dead-ReLU "
          "warning, got %d", of_kind(w.h, DN_HEALTH_DEAD_RELU, NULL));
    CHECK(w.dead[1][1] == 4 && w.dead[1][0] == 0,
          "the test's own count at epoch 1: %d dead in layer 1, %d in "
          "layer 0", w.dead[1][1], w.dead[1][0]);
    CHECK(count_dead(m, D, 1) >= 4, "alive again: %d", count_dead(m, D, 1));
    if (x) {
        CHECK(x->epoch == 1 && x->since == 1 && x->layer == 1, "epoch %d, "
              "layer %d", x->epoch, x->layer);
        CHECK(x->count == 4 && x->of == 8 && x->value == 0.5,
              "%d of %d dead (%g)", x->count, x->of, x->value);
    }
    CHECK(w.fresh[1] == 1, "new at epoch 1: %d", w.fresh[1]);
    for (int e = 2; e <= 10; e++)
        CHECK(w.fresh[e] == 0, "epoch %d: %d new", e, w.fresh[e]);
    int n;
    dn_health_list(w.h, &n);
    CHECK(n == 1, "%d warnings in all", n);
    CHECK(!strcmp(dn_health_name(DN_HEALTH_DEAD_RELU), "dead_relu"), "name");
    done(&w);
    /* One dead unit of 16 is under the tenth: no warning. */
    const int u16[1] = { 16 };
    dn_model *m2 = net(1, u16, a, 5);
    dn_model_b(m2, 0)[3] = -50;
    CHECK(run(&w, m2, D, NULL, &o) == DN_OK, "trained");
    for (int e = 1; e <= 10; e++)
        CHECK(w.dead[e][0] == 1, "epoch %d: %d dead", e, w.dead[e][0]);
    CHECK(of_kind(w.h, DN_HEALTH_DEAD_RELU, NULL) == 0, "warned for 1 of 16");
    done(&w);
    /* Two of 16 are: warned, 2 of 16, layer 0. */
    dn_model_b(m2, 0)[9] = -50;
    CHECK(run(&w, m2, D, NULL, &o) == DN_OK, "trained");
    x = NULL;
    CHECK(of_kind(w.h, DN_HEALTH_DEAD_RELU, &x) == 1, "warned once");
    CHECK(w.dead[1][0] == 2, "the test counts %d", w.dead[1][0]);
    if (x) CHECK(x->count == 2 && x->of == 16 && x->layer == 0 && x->epoch == 1,
                 "%d of %d, layer %d, epoch %d", x->count, x->of, x->layer,
                 x->epoch);
    done(&w);
    dn_model_free(m);
    dn_model_free(m2);
    dn_data_free(D);
}

/* Units dead from the start by their weights' direction: layer 1's
 * inputs are ReLU outputs (≥ 0), so a unit whose weights are all ≤ 0 and
 * whose bias is 0 has z ≤ 0 on every row, the learning rate innocent.
 * Four of 8 such: not counted (the one-input tables' case); the same
 * four held down by a bias of −50 instead are (test_dead_relu). */
static void test_dead_from_start(void)
{
    dn_data *D = plane(256, 0.1, 1);
    const int u[2] = { 8, 8 };
    const dn_act a[2] = { DN_ACT_RELU, DN_ACT_RELU };
    dn_model *m = net(2, u, a, 5);
    float *W1 = dn_model_W(m, 1), *b1 = dn_model_b(m, 1);
    for (int j = 0; j < 4; j++) {
        for (int i = 0; i < 8; i++) W1[2 * j * 8 + i] = -fabsf(W1[2 * j * 8 + i]);
        b1[2 * j] = 0;
    }
    dn_train_opts o;
    sgd(&o, 0.01, 10, 32);
    watch w;
    CHECK(run(&w, m, D, NULL, &o) == DN_OK, "trained");
    CHECK(w.dead[1][1] == 4, "the test's own count at epoch 1: %d dead in "
          "layer 1", w.dead[1][1]);
    /* (before, epoch 1 warned: 4 of 8) */
    CHECK(w.fresh[1] == 0, "%d new warnings at epoch 1", w.fresh[1]);
    const dn_health_warning *x = NULL;
    const int n_dead = of_kind(w.h, DN_HEALTH_DEAD_RELU, &x);
    /* A warning later is for units that died in training (one does, at
     * epoch 6), and tells the four beside them. */
    CHECK(n_dead == 0 || (x && x->count == w.dead[x->epoch][1] - 4 &&
                          x->from == 4),
          "%d dead-ReLU warnings, count %d, from %g", n_dead,
          x ? x->count : -1, x ? x->from : NAN);
    done(&w);
    dn_model_free(m);
    dn_data_free(D);
}

/* Sigmoid units with weights 1000 times their start: |z| > 4.36 on
 * nearly every row.  Layer 1 has 3 such units of 6 (layer 0, tanh, is
 * left as it is and stays in its linear range). */
static void test_saturated(void)
{
    dn_data *D = plane(256, 0.1, 2);
    const int u[2] = { 4, 6 };
    const dn_act a[2] = { DN_ACT_TANH, DN_ACT_SIGMOID };
    dn_model *m = net(2, u, a, 9);
    float *W1 = dn_model_W(m, 1);
    for (int j = 0; j < 3; j++)
        for (int i = 0; i < 4; i++) W1[j * 4 + i] *= 1000;
    dn_train_opts o;
    sgd(&o, 0.01, 8, 32);
    watch w;
    CHECK(run(&w, m, D, NULL, &o) == DN_OK, "trained");
    const dn_health_warning *x = NULL;
    CHECK(of_kind(w.h, DN_HEALTH_SATURATED, &x) == 1, "one saturation "
          "warning, got %d", of_kind(w.h, DN_HEALTH_SATURATED, NULL));
    CHECK(w.sat[1][1] == 3, "the test counts %d saturated at epoch 1",
          w.sat[1][1]);
    if (x) {
        CHECK(x->epoch == 1 && x->layer == 1 && x->count == 3 && x->of == 6,
              "epoch %d, layer %d, %d of %d", x->epoch, x->layer, x->count,
              x->of);
        CHECK(x->value > 0.45 && x->value <= 0.5, "share of pairs %g",
              x->value);
    }
    CHECK(of_kind(w.h, DN_HEALTH_DEAD_RELU, NULL) == 0, "no ReLU here");
    done(&w);
    dn_model_free(m);
    /* tanh: 2 of 5 units with huge weights, one layer */
    const int u5[1] = { 5 };
    m = net(1, u5, a, 9);
    float *W0 = dn_model_W(m, 0);
    for (int i = 0; i < 4; i++) W0[i] *= 1000;   /* units 0 and 1 */
    CHECK(run(&w, m, D, NULL, &o) == DN_OK, "trained");
    x = NULL;
    CHECK(of_kind(w.h, DN_HEALTH_SATURATED, &x) == 1, "one tanh warning");
    CHECK(w.sat[1][0] == 2, "the test counts %d", w.sat[1][0]);
    if (x) CHECK(x->epoch == 1 && x->layer == 0 && x->count == 2 && x->of == 5,
                 "epoch %d, layer %d, %d of %d", x->epoch, x->layer, x->count,
                 x->of);
    done(&w);
    dn_model_free(m);
    dn_data_free(D);
}

/* Full-batch SGD at eta 1.5 on a two-layer linear network: past the
 * stable rate each step overshoots further, and as the weights grow so
 * does the curvature, so the gradient grows faster than geometrically
 * (about 3x, 4x, 40x, 10^5x an epoch) until the loss overflows in
 * epoch 7.  The warnings come at the epoch the norm passes 1000 times
 * its first value, before that.  The loss rises with it (three rises in
 * a row: the rise warning). */
static void test_exploding_every(int every)
{
    dn_data *D = plane(200, 0.1, 3);
    const int u[1] = { 3 };
    const dn_act a[1] = { DN_ACT_IDENTITY };
    dn_model *m = net(1, u, a, 4);
    dn_train_opts o;
    sgd(&o, 1.5, 30, 0);
    o.shuffle = 0;
    watch w;
    dn_status st = run(&w, m, D, NULL, &o);
    CHECK(st == DN_OK || st == DN_ENUMERIC, "trained: %d", st);
    CHECK(st == DN_ENUMERIC && w.n >= 5, "%d epochs", w.n);
    for (int l = 0; l < 2; l++) {
        /* the test's own: the first epoch checked (1, 1 + every, ...)
         * whose norm is 1000x the first */
        int want = 0, past = 0;
        for (int e = 2; e <= w.n && !want; e++) {
            if (!past && !(w.gnorm[e][l] < 1000 * w.gnorm[1][l])) past = e;
            if (past && (e - 1) % every == 0) want = e;
        }
        /* (a cadence that could not be told from every epoch's) */
        if (every > 1)
            CHECK(past > 0 && past < want, "layer %d: past 1000x at %d, "
                  "checked at %d", l, past, want);
        int n, c = 0;
        const dn_health_warning *x = dn_health_list(w.h, &n);
        for (int i = 0; i < n; i++) {
            if (x[i].kind != DN_HEALTH_EXPLODING || x[i].layer != l) continue;
            c++;
            CHECK(x[i].epoch == want, "layer %d: warned at %d, the test "
                  "finds %d", l, x[i].epoch, want);
            CHECK_REL(x[i].from, w.gnorm[1][l], 1e-5, 0);
            CHECK_REL(x[i].to, w.gnorm[want][l], 1e-5, 0);
            CHECK(x[i].value >= 1000, "ratio %g", x[i].value);
        }
        CHECK(want > 2 && c == 1, "layer %d: %d warnings (growth from "
              "epoch %d)", l, c, want);
    }
    /* the loss: the first epoch closing three rises in a row totalling 10% */
    int want = 0, since = 0;
    for (int e = 4; e <= w.n && !want; e++) {
        int up = 1;
        for (int k = e - 2; k <= e; k++) up &= w.e[k].train_loss > w.e[k - 1].train_loss;
        if (up && w.e[e].train_loss >= 1.1 * w.e[e - 3].train_loss) {
            want = e;
            since = e - 2;
            while (since > 2 && w.e[since - 1].train_loss > w.e[since - 2].train_loss)
                since--;
        }
    }
    const dn_health_warning *x = NULL;
    CHECK(of_kind(w.h, DN_HEALTH_LOSS_RISING, &x) == 1, "one rise warning");
    if (x) CHECK(x->epoch == want && x->since == since && x->layer == -1,
                 "rise warned at %d since %d, the test finds %d since %d",
                 x->epoch, x->since, want, since);
    done(&w);
    dn_model_free(m);
    dn_data_free(D);
}

static void test_exploding(void) { test_exploding_every(1); }

/* The model checks every 2nd epoch (dn_health_conf.every): the
 * exploding warning at the first of epochs 1, 3, 5, ... past 1000x, one
 * later than every epoch's (the norm passes it at epoch 4); the rise
 * warning, read from the reports, where it was. */
static void test_every(void)
{
    dn_health_conf c;
    dn_health_defaults(&c);
    c.every = 2;
    run_conf = &c;
    test_exploding_every(2);
    run_conf = NULL;
}

/* 12 training rows, a wide net, 300 Adam steps: the training loss goes
 * to nothing while the validation loss (200 rows) turns up.  The warning
 * names the epoch after the best validation loss. */
static void test_overfitting(void)
{
    dn_data *D = plane(12, 0.5, 11), *V = plane(200, 0.5, 12);
    const int u[2] = { 64, 64 };
    const dn_act a[2] = { DN_ACT_TANH, DN_ACT_TANH };
    dn_model *m = net(2, u, a, 13);
    dn_train_opts o;
    dn_train_defaults(&o);
    o.opt.kind = DN_OPT_ADAM;
    dn_opt_defaults(&o.opt, DN_OPT_ADAM);
    o.eta = 0.01;
    o.epochs = 300;
    o.batch = 0;
    o.threads = 1;
    watch w;
    CHECK(run(&w, m, D, V, &o) == DN_OK, "trained");
    /* the test's own: the best validation loss so far, and the first
     * epoch 5 or more after it that is 5% above it, with every training
     * loss since below its value then */
    int best = 1, want = 0, since = 0;
    for (int e = 2; e <= w.n && !want; e++) {
        if (w.e[e].val_loss < w.e[best].val_loss) { best = e; continue; }
        int below = 1;
        for (int k = best + 1; k <= e; k++)
            below &= w.e[k].train_loss < w.e[best].train_loss;
        if (e - best >= 5 && w.e[e].val_loss >= 1.05 * w.e[best].val_loss &&
            below) {
            want = e;
            since = best + 1;
        }
    }
    CHECK(want > 0 && w.e[w.n].train_loss < 0.1 * w.e[1].train_loss,
          "no overfitting to find (train %g -> %g)", w.e[1].train_loss,
          w.e[w.n].train_loss);
    const dn_health_warning *x = NULL;
    CHECK(of_kind(w.h, DN_HEALTH_OVERFITTING, &x) == 1, "one warning");
    if (x) {
        CHECK(x->epoch == want && x->since == since && x->layer == -1,
              "warned at %d since %d; the test finds %d since %d", x->epoch,
              x->since, want, since);
        CHECK(x->from == w.e[since - 1].val_loss && x->to == w.e[want].val_loss,
              "from %g to %g", x->from, x->to);
    }
    done(&w);
    dn_model_free(m);
    dn_data_free(D);
    dn_data_free(V);
}

/* Reports of a classifier past its best epoch (10): the training loss
 * falling, the validation loss 1% higher each epoch, so 5% above its
 * best from epoch 15 on.  The accuracy (when acc_drop > 0) is the best
 * epoch's until epoch acc_drop, one row in a hundred lower from there;
 * otherwise it stays the best epoch's 0.9 or above (0.91 every other
 * epoch).  acc_nan: a regression's reports, no accuracy at all.
 * Returns the epoch the overfitting warning came at, 0 for none. */
static int overfit_at(int acc_drop, int acc_nan)
{
    dn_data *D = plane(10, 0, 51);
    const int u[1] = { 4 };
    const dn_act a[1] = { DN_ACT_TANH };
    dn_model *m = net(1, u, a, 52);
    dn_health *h = NULL;
    dn_error err;
    CHECK(dn_health_new(m, D, NULL, &h, &err) == DN_OK, "%s", err.msg);
    int at = 0;
    for (int e = 1; e <= 40 && h; e++) {
        dn_epoch r;
        memset(&r, 0, sizeof r);
        r.epoch = e;
        r.train_loss = 1.0 / e;
        r.val_loss = e <= 10 ? 0.2 + 0.01 * (10 - e) : 0.2 * (1 + 0.01 * (e - 10));
        r.val_acc = e <= 10 ? 0.8 + 0.01 * e : e % 2 ? 0.9 : 0.91;
        if (acc_drop > 0 && e >= acc_drop) r.val_acc = 0.89;
        if (acc_nan) r.val_acc = NAN;
        if (dn_health_epoch(h, NULL, &r) && !at) at = e;
    }
    const dn_health_warning *x = NULL;
    int n = of_kind(h, DN_HEALTH_OVERFITTING, &x);
    CHECK(n == (at > 0), "%d overfitting warnings, a fresh one at %d", n, at);
    if (x)
        CHECK(x->epoch == at && x->since == 11 && x->count == at - 10 &&
              x->from == 0.2, "epoch %d since %d count %d from %g", x->epoch,
              x->since, x->count, x->from);
    dn_health_free(h);
    dn_model_free(m);
    dn_data_free(D);
    return at;
}

/* The validation loss of a classifier that only grows surer of its
 * predictions rises with the accuracy steady: no warning (the loss alone
 * would have warned at epoch 15, as it does for a regression's reports);
 * once the accuracy falls below the best epoch's, the warning comes that
 * epoch, or at epoch 15 if it fell before. */
static void test_overfitting_accuracy(void)
{
    int at = overfit_at(0, 0);
    CHECK(at == 0, "warned at epoch %d with the accuracy steady", at);
    at = overfit_at(0, 1);
    CHECK(at == 15, "regression: warned at %d, not 15", at);
    at = overfit_at(23, 0);
    CHECK(at == 23, "accuracy down from 23: warned at %d", at);
    at = overfit_at(12, 0);
    CHECK(at == 15, "accuracy down from 12: warned at %d, not 15", at);
}

/* A sound run — tanh and ReLU layers, a rate that converges, validation
 * data — warns of nothing. */
static void test_healthy(void)
{
    dn_data *D = plane(256, 0.1, 21), *V = plane(100, 0.1, 22);
    const int u[2] = { 16, 16 };
    const dn_act a[2] = { DN_ACT_RELU, DN_ACT_TANH };
    dn_model *m = net(2, u, a, 23);
    dn_train_opts o;
    sgd(&o, 0.05, 40, 16);
    watch w;
    CHECK(run(&w, m, D, V, &o) == DN_OK, "trained");
    int n;
    const dn_health_warning *x = dn_health_list(w.h, &n);
    CHECK(n == 0, "%d warnings, the first %s at epoch %d layer %d", n,
          n ? dn_health_name(x[0].kind) : "-", n ? x[0].epoch : 0,
          n ? x[0].layer : 0);
    CHECK(w.e[40].train_loss < 0.2 * w.e[1].train_loss, "it learned: %g -> %g",
          w.e[1].train_loss, w.e[40].train_loss);
    CHECK(dn_health_grad(w.h) != NULL, "a gradient to show");
    done(&w);
    dn_model_free(m);
    dn_data_free(D);
    dn_data_free(V);
}

/* With the checks or without, on 2 threads: the same weights, bits and
 * all. */
static void test_same_bits(void)
{
    dn_data *D = plane(256, 0.1, 31), *V = plane(64, 0.1, 32);
    const int u[2] = { 16, 8 };
    const dn_act a[2] = { DN_ACT_RELU, DN_ACT_SIGMOID };
    dn_model *m1 = net(2, u, a, 33), *m2 = net(2, u, a, 33);
    dn_train_opts o;
    dn_train_defaults(&o);
    o.epochs = 6;
    o.batch = 8;
    o.threads = 2;
    o.opt.kind = DN_OPT_ADAM;
    dn_opt_defaults(&o.opt, DN_OPT_ADAM);
    o.dropout[0] = 0.2f;
    dn_result r1, r2;
    dn_error err;
    CHECK(dn_train(m1, D, V, &o, &r1, &err) == DN_OK, "%s", err.msg);
    watch w;
    CHECK(run(&w, m2, D, V, &o) == DN_OK, "trained with the checks");
    CHECK(memcmp(dn_model_params(m1), dn_model_params(m2),
                 dn_model_n_params(m1) * sizeof(float)) == 0,
          "the checks changed the weights");
    CHECK(w.n == 6 && w.e[6].train_loss == r1.last.train_loss &&
          w.e[6].val_loss == r1.last.val_loss, "losses %g %g", w.e[6].train_loss,
          r1.last.train_loss);
    (void)r2;
    done(&w);
    dn_model_free(m1);
    dn_model_free(m2);
    dn_data_free(D);
    dn_data_free(V);
}

static void test_refusals(void)
{
    dn_data *D = plane(10, 0, 41);
    const int u[1] = { 4 };
    const dn_act a[1] = { DN_ACT_RELU };
    dn_model *m = net(1, u, a, 1);
    dn_health *h = (dn_health *)1;
    dn_error err;
    dn_health_conf c;
    dn_health_defaults(&c);
    CHECK(c.rows == 256 && c.dead_share == 0.1 && c.sat_ratio == 0.05 &&
          c.sat_rows == 0.9 && c.sat_share == 0.1 && c.explode == 1000 &&
          c.rise_epochs == 3 && c.rise_min == 0.1 && c.overfit_epochs == 5 &&
          c.overfit_min == 0.05 && c.every == 0, "defaults");
    c.sat_rows = 1.5;
    CHECK(dn_health_new(m, D, &c, &h, &err) == DN_EARG && h == NULL &&
          strstr(err.msg, "sat_rows") && strstr(err.msg, "1.5"), "%s", err.msg);
    dn_health_defaults(&c);
    c.explode = 1;
    CHECK(dn_health_new(m, D, &c, &h, &err) == DN_EARG &&
          strstr(err.msg, "explode"), "%s", err.msg);
    dn_health_defaults(&c);
    c.rows = 0;
    CHECK(dn_health_new(m, D, &c, &h, &err) == DN_EARG &&
          strstr(err.msg, "rows"), "%s", err.msg);
    dn_health_defaults(&c);
    c.overfit_epochs = 0;
    CHECK(dn_health_new(m, D, &c, &h, &err) == DN_EARG &&
          strstr(err.msg, "overfit_epochs"), "%s", err.msg);
    dn_health_defaults(&c);
    c.rise_min = NAN;
    CHECK(dn_health_new(m, D, &c, &h, &err) == DN_EARG &&
          strstr(err.msg, "rise_min"), "%s", err.msg);
    dn_health_defaults(&c);
    c.every = -1;
    CHECK(dn_health_new(m, D, &c, &h, &err) == DN_EARG &&
          strstr(err.msg, "every is -1"), "%s", err.msg);
    /* data that does not fit the model */
    dn_data *W = NULL;
    CHECK(dn_data_new(5, 3, 1, &W, &err) == DN_OK, "data");
    CHECK(dn_health_new(m, W, NULL, &h, &err) == DN_EARG, "width: %s", err.msg);
    CHECK(dn_health_new(m, D, NULL, NULL, &err) == DN_EARG, "NULL out");
    /* fewer rows than the sample: all of them; no gradient before a check */
    CHECK(dn_health_new(m, D, NULL, &h, &err) == DN_OK, "%s", err.msg);
    CHECK(dn_health_grad(h) == NULL, "a gradient before any epoch");
    int n = -1;
    CHECK(dn_health_list(h, &n) != NULL && n == 0, "empty list");
    CHECK(dn_health_epoch(h, NULL, NULL) == 0, "NULL epoch");
    dn_health_free(h);
    dn_health_free(NULL);
    CHECK(!strcmp(dn_health_name(DN_HEALTH_COUNT), "unknown"), "name");
    dn_data_free(W);
    dn_model_free(m);
    dn_data_free(D);
}

int main(void)
{
    RUN(test_dead_relu);
    RUN(test_dead_from_start);
    RUN(test_saturated);
    RUN(test_exploding);
    RUN(test_every);
    RUN(test_overfitting);
    RUN(test_overfitting_accuracy);
    RUN(test_healthy);
    RUN(test_same_bits);
    RUN(test_refusals);
    return check_done("test_health");
}
