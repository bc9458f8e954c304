/* test_optim.c — the first-order optimizers against PyTorch, and their
 * contract: defaults, validation, checkpoints, the decay mask.
 *
 * tests/optim_golden.h holds traces made by tests/gen_optim_golden.py
 * with torch.optim (1.13): two small networks (4-5(tanh)-3 softmax with
 * CE, 4-6(PReLU)-2 identity with descent's halved MSE), 12 fixed rows,
 * and for every optimizer and option the flat parameter vector after each
 * of 5 steps, full-batch and in mini-batches of 4 (rows 0-3, 4-7, 8-11,
 * 0-3, 4-7).  Here the same network is built with dn_model_new, loaded
 * with the initial parameters, and trained by dn_gradient → dn_opt_step;
 * theta after every step must match PyTorch's.
 *
 * Tolerance: CHECK_REL(theta, ref, 1e-5, floor) with floor = 0.1 ·
 * max|ref| of that step's vector, as in test_torch.c: the floor only
 * keeps parameters that pass near zero from demanding a relative
 * precision no float32 computation has.  What the trace can carry: the
 * gen script runs every case again in float64 from the same start, and
 * PyTorch's own float32 trace is ≤ 2.8e-6 from it in this measure
 * (RMSProp, whose first steps divide g by sqrt((1 − alpha) g²), is the
 * most sensitive; most cases are ≤ 1e-6).  descent's float32 differs
 * from PyTorch's in the gradient's summation order (the AVX2 kernel) and
 * in the FMAs ATen uses inside its vectorized add; its largest error here
 * is 2.1e-6 (rmsprop_momentum).  So 1e-5 leaves a margin of 3.5× over
 * either.  And it is tight enough to mean something: every case also
 * runs with eta 0.1% too large, which must fail the same comparison (the
 * eta error printed per case is the smallest the comparison would
 * catch), because the rates are chosen so that the parameters travel
 * 20-150% of their largest size in 5 steps (7% for the AdaGrad defaults,
 * 1% for the Adam/AdamW defaults, whose rate is 0.001).
 */
#include "check.h"
#include "train/train.h"
#include "descent.h"
#include "optim_golden.h"
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TOL   1e-5
#define FLOOR 0.1   /* times max |ref| of the vector */

/* ------------------------------------------------------------------ */
/* Golden traces                                                       */
/* ------------------------------------------------------------------ */

static dn_model *load_net(const og_net *net)
{
    dn_arch A;
    memset(&A, 0, sizeof A);
    A.n_in = net->n_in;
    A.n_layers = net->n_layers;
    for (int l = 0; l < net->n_layers; l++)
        A.layer[l] = (dn_layer){ .units = net->units[l], .act = net->act[l] };
    A.loss = net->loss;
    dn_error err;
    dn_model *m = NULL;
    if (dn_model_new(&A, &m, &err)) {
        CHECK(0, "%s: dn_model_new: %s", net->name, err.msg);
        return NULL;
    }
    if (dn_model_n_params(m) != (size_t)net->n_params) {
        CHECK(0, "%s: descent has %zu parameters, PyTorch %d", net->name,
              dn_model_n_params(m), net->n_params);
        dn_model_free(m);
        return NULL;
    }
    memcpy(dn_model_params(m), net->theta,
           (size_t)net->n_params * sizeof(float));
    return m;
}

/* 1 on every entry of a weight matrix W: what AdamW decays.  Biases and
 * PReLU slopes stay 0. */
static unsigned char *weight_mask(const dn_model *m)
{
    const dn_arch *A = dn_model_arch(m);
    unsigned char *mask = calloc(dn_model_n_params(m), 1);
    int in = A->n_in;
    for (int l = 0; mask && l < A->n_layers; l++) {
        size_t off = dn_model_offset_W(m, l);
        memset(mask + off, 1, (size_t)A->layer[l].units * in);
        in = A->layer[l].units;
    }
    return mask;
}

/* The fields a kind reads: the only ones the golden conf fills. */
static int same_used_fields(const dn_opt_conf *a, const dn_opt_conf *b)
{
    switch (a->kind) {
    case DN_OPT_SGD:
        return 1;
    case DN_OPT_MOMENTUM:
    case DN_OPT_NESTEROV:
        return a->momentum == b->momentum && a->dampening == b->dampening;
    case DN_OPT_ADAGRAD:
        return a->eps == b->eps && a->lr_decay == b->lr_decay &&
               a->initial_accumulator == b->initial_accumulator;
    case DN_OPT_RMSPROP:
        return a->momentum == b->momentum && a->alpha == b->alpha &&
               a->eps == b->eps && a->centered == b->centered;
    case DN_OPT_ADAM:
        return a->beta1 == b->beta1 && a->beta2 == b->beta2 &&
               a->eps == b->eps && a->amsgrad == b->amsgrad;
    case DN_OPT_ADAMW:
        return a->beta1 == b->beta1 && a->beta2 == b->beta2 &&
               a->eps == b->eps && a->weight_decay == b->weight_decay &&
               a->amsgrad == b->amsgrad;
    default:
        return 0;
    }
}

/* Runs one case (mini: the mini-batch trace) at eta · eta_scale and
 * returns the largest floored relative error against PyTorch over all
 * steps; with `check`, every element is a CHECK. */
static double trace_error(const og_case *c, int mini, double eta_scale,
                          int check)
{
    const og_net *net = &og_nets[c->net];
    const int P = net->n_params, k = net->loss == DN_LOSS_CE ? 1
                                     : net->units[net->n_layers - 1];
    const char *mode = mini ? "mini" : "full";
    double worst = 0;
    dn_error err;
    dn_ws *ws = NULL;
    dn_opt *opt = NULL;
    unsigned char *mask = NULL;
    dn_model *m = load_net(net);
    if (!m) return INFINITY;
    mask = weight_mask(m);
    if (!mask || dn_ws_new(m, net->rows, 1, &ws, &err)) {
        CHECK(0, "%s: no workspace: %s", c->name, mask ? err.msg : "oom");
        worst = INFINITY;
        goto done;
    }
    dn_opt_conf conf = c->conf;
    double eta = c->eta;
    if (c->defaults) {  /* descent's own defaults must be torch's */
        dn_opt_defaults(&conf, c->conf.kind);
        eta = dn_opt_default_eta(c->conf.kind);
        if (check) {
            CHECK(same_used_fields(&conf, &c->conf), "%s: dn_opt_defaults "
                  "differs from torch.optim's defaults", c->name);
            CHECK(eta == c->eta, "%s: dn_opt_default_eta = %g, torch's "
                  "default lr %g", c->name, eta, c->eta);
        }
    }
    if (dn_opt_new(&conf, (size_t)P, mask, &opt, &err)) {
        CHECK(0, "%s: dn_opt_new: %s", c->name, err.msg);
        worst = INFINITY;
        goto done;
    }
    float *theta = dn_model_params(m);
    const float *g = dn_ws_grad(ws);
    for (int t = 0; t < OG_STEPS; t++) {
        int lo = mini ? og_batches[t][0] : 0;
        int hi = mini ? og_batches[t][1] : net->rows;
        double E = dn_gradient(m, ws, net->X + (size_t)lo * net->n_in,
                               net->Y + (size_t)lo * k, hi - lo);
        if (check)
            CHECK(isfinite(E), "%s %s step %d: loss %g", c->name, mode,
                  t + 1, E);
        dn_opt_step(opt, theta, g, eta * eta_scale);
        const float *ref = (mini ? c->mini : c->full) + (size_t)t * P;
        double mx = 0;
        for (int i = 0; i < P; i++) mx = fmax(mx, fabs(ref[i]));
        const double flo = FLOOR * mx;
        int bad = 0;
        for (int i = 0; i < P; i++) {
            double s = fmax(fmax(fabs(theta[i]), fabs(ref[i])), flo);
            double r = fabs(theta[i] - ref[i]) / s;
            if (!(r <= worst)) worst = r;  /* NaN sticks */
            if (!check) continue;
            if (!(r <= TOL) && bad++ < 3)
                fprintf(stderr, "  %s %s step %d: theta[%d] = %.9g, "
                        "PyTorch %.9g\n", c->name, mode, t + 1, i,
                        theta[i], ref[i]);
            CHECK_REL(theta[i], ref[i], TOL, flo);
        }
    }
    if (check)
        CHECK(dn_opt_steps(opt) == OG_STEPS, "%s: %ld steps counted",
              c->name, dn_opt_steps(opt));
done:
    dn_opt_free(opt);
    free(mask);
    dn_ws_free(ws);
    dn_model_free(m);
    return worst;
}

static void test_golden(void)
{
    CHECK(OG_N_CASES >= 14, "only %d golden cases", OG_N_CASES);
    int seen[DN_OPT_COUNT] = { 0 };
    for (int i = 0; i < OG_N_CASES; i++) {
        const og_case *c = &og_cases[i];
        seen[c->conf.kind]++;
        double e = fmax(trace_error(c, 0, 1, 1), trace_error(c, 1, 1, 1));
        /* The same comparison with a step 0.1% too long must fail. */
        double e1 = fmin(trace_error(c, 0, 1.001, 0),
                         trace_error(c, 1, 1.001, 0));
        CHECK(e1 > TOL, "%s: eta 0.1%% off gives error %.2g only: the "
              "comparison cannot see the optimizer", c->name, e1);
        printf("%-26s max relative error %.2g (fails at an eta error of "
               "%.1g)\n", c->name, e, 0.001 * TOL / e1);
    }
    for (int k = 0; k < DN_OPT_COUNT; k++)
        CHECK(seen[k] > 0, "no golden case for %s", dn_opt_name(k));
}

/* ------------------------------------------------------------------ */
/* Defaults                                                            */
/* ------------------------------------------------------------------ */

static void test_defaults(void)
{
    /* torch.optim 1.13's defaults, written out (the golden "defaults"
     * cases check them against torch itself); momentum 0.9 for the
     * momentum kinds is descent's choice (torch's SGD has momentum 0). */
    static const struct {
        dn_opt_kind kind;
        double eta, momentum, eps, weight_decay;
    } want[DN_OPT_COUNT] = {
        { DN_OPT_SGD,      0.01,  0.0, 1e-8,  0.0 },
        { DN_OPT_MOMENTUM, 0.01,  0.9, 1e-8,  0.0 },
        { DN_OPT_NESTEROV, 0.01,  0.9, 1e-8,  0.0 },
        { DN_OPT_ADAGRAD,  0.01,  0.0, 1e-10, 0.0 },
        { DN_OPT_RMSPROP,  0.01,  0.0, 1e-8,  0.0 },
        { DN_OPT_ADAM,     0.001, 0.0, 1e-8,  0.0 },
        { DN_OPT_ADAMW,    0.001, 0.0, 1e-8,  0.01 },
    };
    for (int i = 0; i < DN_OPT_COUNT; i++) {
        dn_opt_conf c;
        memset(&c, 0x55, sizeof c);  /* every field must be written */
        dn_opt_defaults(&c, want[i].kind);
        const char *nm = dn_opt_name(want[i].kind);
        CHECK(c.kind == want[i].kind, "%s: kind %d", nm, (int)c.kind);
        CHECK(dn_opt_default_eta(want[i].kind) == want[i].eta,
              "%s: default eta %g, want %g", nm,
              dn_opt_default_eta(want[i].kind), want[i].eta);
        CHECK(c.momentum == want[i].momentum, "%s: momentum %g", nm,
              c.momentum);
        CHECK(c.eps == want[i].eps, "%s: eps %g", nm, c.eps);
        CHECK(c.weight_decay == want[i].weight_decay, "%s: weight_decay "
              "%g", nm, c.weight_decay);
        CHECK(c.dampening == 0 && c.lr_decay == 0 &&
              c.initial_accumulator == 0 && c.centered == 0 &&
              c.amsgrad == 0, "%s: dampening %g, lr_decay %g, "
              "initial_accumulator %g, centered %d, amsgrad %d", nm,
              c.dampening, c.lr_decay, c.initial_accumulator, c.centered,
              c.amsgrad);
        CHECK(c.alpha == 0.99 && c.beta1 == 0.9 && c.beta2 == 0.999,
              "%s: alpha %g, beta1 %g, beta2 %g", nm, c.alpha, c.beta1,
              c.beta2);
        /* The defaults are valid. */
        dn_opt *o = NULL;
        dn_error err;
        CHECK(dn_opt_new(&c, 10, NULL, &o, &err) == DN_OK, "%s defaults "
              "rejected: %s", nm, err.msg);
        dn_opt_free(o);
    }
}

/* ------------------------------------------------------------------ */
/* Validation                                                          */
/* ------------------------------------------------------------------ */

typedef struct {
    dn_opt_kind kind;
    const char *field;  /* which dn_opt_conf field to set, by name */
    double value;
    const char *want;   /* must appear in the message */
} bad_conf;

static void set_field(dn_opt_conf *c, const char *f, double v)
{
    if (!strcmp(f, "momentum")) c->momentum = v;
    else if (!strcmp(f, "dampening")) c->dampening = v;
    else if (!strcmp(f, "alpha")) c->alpha = v;
    else if (!strcmp(f, "beta1")) c->beta1 = v;
    else if (!strcmp(f, "beta2")) c->beta2 = v;
    else if (!strcmp(f, "eps")) c->eps = v;
    else if (!strcmp(f, "lr_decay")) c->lr_decay = v;
    else if (!strcmp(f, "initial_accumulator")) c->initial_accumulator = v;
    else if (!strcmp(f, "weight_decay")) c->weight_decay = v;
    else if (!strcmp(f, "kind")) c->kind = (dn_opt_kind)(int)v;
    else CHECK(0, "test bug: no field %s", f);
}

static void test_validation(void)
{
    static const bad_conf bad[] = {
        { DN_OPT_MOMENTUM, "momentum", -0.1, "momentum = -0.1" },
        { DN_OPT_MOMENTUM, "momentum", INFINITY, "momentum = inf" },
        { DN_OPT_MOMENTUM, "dampening", 1.5, "dampening = 1.5" },
        { DN_OPT_MOMENTUM, "dampening", NAN, "dampening = nan" },
        { DN_OPT_NESTEROV, "momentum", 0, "momentum > 0" },
        { DN_OPT_NESTEROV, "dampening", 0.1, "dampening = 0.1" },
        { DN_OPT_ADAGRAD, "eps", 0, "eps = 0" },
        { DN_OPT_ADAGRAD, "lr_decay", -1, "lr_decay = -1" },
        { DN_OPT_ADAGRAD, "initial_accumulator", -0.5,
          "initial_accumulator = -0.5" },
        { DN_OPT_RMSPROP, "alpha", 1, "alpha = 1" },
        { DN_OPT_RMSPROP, "alpha", -0.2, "0 <= alpha < 1" },
        { DN_OPT_RMSPROP, "momentum", -1, "momentum = -1" },
        { DN_OPT_RMSPROP, "eps", -1e-8, "eps = -1e-08" },
        { DN_OPT_ADAM, "beta1", 1, "beta1 = 1" },
        { DN_OPT_ADAM, "beta2", 1.5, "0 <= beta2 < 1" },
        { DN_OPT_ADAM, "beta2", -0.001, "beta2 = -0.001" },
        { DN_OPT_ADAM, "eps", NAN, "eps = nan" },
        { DN_OPT_ADAMW, "weight_decay", -0.01, "weight_decay = -0.01" },
        { DN_OPT_ADAMW, "beta1", INFINITY, "beta1 = inf" },
        { DN_OPT_ADAM, "kind", DN_OPT_COUNT, "unknown" },
    };
    /* A failed call leaves *out NULL: start from a live optimizer. */
    dn_opt_conf ok;
    dn_opt *live = NULL;
    dn_error err;
    dn_opt_defaults(&ok, DN_OPT_SGD);
    CHECK(dn_opt_new(&ok, 5, NULL, &live, &err) == DN_OK, "%s", err.msg);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        dn_opt_conf c;
        dn_opt_defaults(&c, bad[i].kind);
        set_field(&c, bad[i].field, bad[i].value);
        memset(&err, 0, sizeof err);
        dn_opt *o = live;
        dn_status st = dn_opt_new(&c, 5, NULL, &o, &err);
        CHECK(st == DN_EARG && err.code == DN_EARG && o == NULL,
              "%s %s = %g accepted (status %d)", dn_opt_name(bad[i].kind),
              bad[i].field, bad[i].value, (int)st);
        CHECK(strstr(err.msg, bad[i].want) != NULL, "message \"%s\" lacks "
              "\"%s\"", err.msg, bad[i].want);
        /* The message names the optimizer, and the default for a field. */
        if (strcmp(bad[i].field, "kind"))
            CHECK(strstr(err.msg, dn_opt_name(bad[i].kind)) &&
                  strstr(err.msg, "default"), "message \"%s\" names "
                  "neither the optimizer nor the default", err.msg);
    }
    /* Edges that are valid, as in PyTorch: no momentum, full dampening,
     * zero betas; fields the kind does not read are ignored. */
    static const bad_conf good[] = {
        { DN_OPT_MOMENTUM, "momentum", 0, "" },
        { DN_OPT_MOMENTUM, "dampening", 1, "" },
        { DN_OPT_ADAM, "beta1", 0, "" },
        { DN_OPT_ADAM, "beta2", 0, "" },
        { DN_OPT_RMSPROP, "alpha", 0, "" },
        { DN_OPT_SGD, "beta1", 7, "" },
        { DN_OPT_ADAM, "weight_decay", -3, "" },
        { DN_OPT_ADAMW, "momentum", NAN, "" },
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        dn_opt_conf c;
        dn_opt_defaults(&c, good[i].kind);
        set_field(&c, good[i].field, good[i].value);
        dn_opt *o = NULL;
        CHECK(dn_opt_new(&c, 5, NULL, &o, &err) == DN_OK && o, "%s %s = %g "
              "rejected: %s", dn_opt_name(good[i].kind), good[i].field,
              good[i].value, err.msg);
        dn_opt_free(o);
    }
    /* No momentum is plain SGD, as PyTorch keeps no velocity then: the
     * same bits step after step, theta -= eta g. */
    {
        dn_opt_conf cm, cs;
        dn_opt_defaults(&cm, DN_OPT_MOMENTUM);
        dn_opt_defaults(&cs, DN_OPT_SGD);
        cm.momentum = 0;
        dn_opt *om = NULL, *os = NULL;
        float tm[5] = { 1, -2, 3, 0.5f, 0 }, ts[5], g[5];
        memcpy(ts, tm, sizeof ts);
        CHECK(!dn_opt_new(&cm, 5, NULL, &om, &err) &&
              !dn_opt_new(&cs, 5, NULL, &os, &err), "%s", err.msg);
        for (int t = 0; om && os && t < 3; t++) {
            for (int i = 0; i < 5; i++) g[i] = tm[i] * 0.5f + (float)(i - t);
            float want0 = tm[0] - 0.1f * g[0];
            dn_opt_step(om, tm, g, 0.1);
            dn_opt_step(os, ts, g, 0.1);
            CHECK(!memcmp(tm, ts, sizeof tm) && tm[0] == want0,
                  "step %d: momentum 0 gives %g, SGD %g, want %g", t, tm[0],
                  ts[0], want0);
        }
        dn_opt_free(om);
        dn_opt_free(os);
    }
    dn_opt_free(live);
    dn_opt *o = NULL;
    CHECK(dn_opt_new(NULL, 5, NULL, &o, &err) == DN_EARG && !o,
          "a NULL conf accepted");
    /* A zero-length vector is a valid (empty) problem. */
    dn_opt_conf c;
    dn_opt_defaults(&c, DN_OPT_ADAMW);
    CHECK(dn_opt_new(&c, 0, NULL, &o, &err) == DN_OK && o, "n = 0: %s",
          err.msg);
    if (o) {
        float x = 1;
        dn_opt_step(o, &x, &x, 0.1);
        CHECK(x == 1 && dn_opt_steps(o) == 1, "n = 0 touched memory");
    }
    dn_opt_free(o);
}

/* ------------------------------------------------------------------ */
/* Checkpoints: state + step count resume an optimizer exactly          */
/* ------------------------------------------------------------------ */

#define SN 37  /* odd: vectorized loops have a tail */

/* A gradient that depends on theta (g = theta − target + a ripple), so
 * that the trajectory depends on the optimizer's state. */
static void toy_grad(const float *theta, float *g, int t)
{
    for (int i = 0; i < SN; i++)
        g[i] = theta[i] - 0.01f * (float)(i % 7) +
               0.3f * (float)((i * 13 + t * 5) % 11 - 5) / 5.0f;
}

static void run_steps(dn_opt *o, float *theta, int from, int n, double eta)
{
    float g[SN];
    for (int t = from; t < from + n; t++) {
        toy_grad(theta, g, t);
        dn_opt_step(o, theta, g, eta);
    }
}

static void test_checkpoint(void)
{
    dn_opt_conf confs[16];
    int nc = 0;
    for (int k = 0; k < DN_OPT_COUNT; k++) dn_opt_defaults(&confs[nc++], k);
    dn_opt_defaults(&confs[nc], DN_OPT_MOMENTUM);
    confs[nc++].dampening = 0.25;
    dn_opt_defaults(&confs[nc], DN_OPT_ADAGRAD);
    confs[nc].lr_decay = 0.2;
    confs[nc++].initial_accumulator = 0.1;
    dn_opt_defaults(&confs[nc], DN_OPT_RMSPROP);
    confs[nc++].centered = 1;
    dn_opt_defaults(&confs[nc], DN_OPT_RMSPROP);
    confs[nc].centered = 1;
    confs[nc++].momentum = 0.5;
    dn_opt_defaults(&confs[nc], DN_OPT_ADAM);
    confs[nc++].amsgrad = 1;
    dn_opt_defaults(&confs[nc], DN_OPT_ADAMW);
    confs[nc++].amsgrad = 1;
    /* The state's length per kind, in floats per parameter. */
    static const int arrays[16] = { 0, 1, 1, 1, 1, 2, 2, 1, 1, 2, 3, 3, 3 };
    unsigned char mask[SN];
    for (int i = 0; i < SN; i++) mask[i] = i % 5 != 0;

    for (int j = 0; j < nc; j++) {
        const dn_opt_conf *c = &confs[j];
        const char *nm = dn_opt_name(c->kind);
        dn_opt *a = NULL, *b = NULL, *fresh = NULL, *nostep = NULL;
        dn_error err;
        if (dn_opt_new(c, SN, mask, &a, &err) ||
            dn_opt_new(c, SN, mask, &b, &err) ||
            dn_opt_new(c, SN, mask, &fresh, &err) ||
            dn_opt_new(c, SN, mask, &nostep, &err)) {
            CHECK(0, "%s: %s", nm, err.msg);
            dn_opt_free(a);
            dn_opt_free(b);
            dn_opt_free(fresh);
            continue;
        }
        size_t na, nb;
        float *sa = dn_opt_state(a, &na), *sb = dn_opt_state(b, &nb);
        CHECK(na == (size_t)arrays[j] * SN && nb == na, "%s (conf %d): "
              "state of %zu floats, want %d", nm, j, na, arrays[j] * SN);
        CHECK(sa != NULL && sb != NULL, "%s: NULL state", nm);
        if (c->kind == DN_OPT_ADAGRAD)  /* starts at initial_accumulator */
            for (size_t i = 0; i < na; i++)
                CHECK(sa[i] == (float)c->initial_accumulator, "%s: s[%zu] "
                      "= %g", nm, i, sa[i]);

        float ta[SN], tb[SN], tf[SN], tn[SN];
        for (int i = 0; i < SN; i++)
            ta[i] = 0.5f * (float)((i * 7) % 13 - 6) / 6.0f;
        run_steps(a, ta, 0, 3, 0.05);
        CHECK(dn_opt_steps(a) == 3, "%s: %ld steps", nm, dn_opt_steps(a));
        /* The checkpoint: theta, the state and the step count. */
        memcpy(tb, ta, sizeof ta);
        memcpy(tf, ta, sizeof ta);
        memcpy(tn, ta, sizeof ta);
        if (na == nb) memcpy(sb, sa, na * sizeof *sa);
        dn_opt_set_steps(b, dn_opt_steps(a));
        size_t nn;
        float *sn = dn_opt_state(nostep, &nn);
        if (nn == na) memcpy(sn, sa, na * sizeof *sa);  /* steps left 0 */
        run_steps(a, ta, 3, 2, 0.05);
        run_steps(b, tb, 3, 2, 0.05);
        run_steps(fresh, tf, 3, 2, 0.05);
        run_steps(nostep, tn, 3, 2, 0.05);
        CHECK(memcmp(ta, tb, sizeof ta) == 0, "%s (conf %d): resumed "
              "optimizer differs", nm, j);
        CHECK(na != nb || memcmp(sa, sb, na * sizeof *sa) == 0, "%s (conf "
              "%d): resumed state differs", nm, j);
        CHECK(dn_opt_steps(b) == 5, "%s: %ld steps after resuming", nm,
              dn_opt_steps(b));
        /* The state matters: a fresh optimizer from the same theta goes
         * elsewhere (except plain SGD, which has none). */
        if (c->kind != DN_OPT_SGD)
            CHECK(memcmp(ta, tf, sizeof ta) != 0, "%s (conf %d): the state "
                  "changes nothing; the resume test tests nothing", nm, j);
        /* So does the step count, for Adam's bias corrections. */
        if (c->kind == DN_OPT_ADAM || c->kind == DN_OPT_ADAMW)
            CHECK(memcmp(ta, tn, sizeof ta) != 0, "%s (conf %d): the step "
                  "count changes nothing", nm, j);
        dn_opt_free(nostep);
        dn_opt_free(a);
        dn_opt_free(b);
        dn_opt_free(fresh);
    }
}

/* ------------------------------------------------------------------ */
/* AdamW's decay mask                                                   */
/* ------------------------------------------------------------------ */

static void test_decay_mask(void)
{
    /* With a zero gradient Adam's moments stay 0 and its step is
     * 0 / (0 + eps) = 0: only the decay moves theta, by exactly the
     * float factor 1 − eta lambda, and only where the mask says. */
    const double eta = 0.1, lambda = 0.3;
    const float keep = (float)(1 - eta * lambda);
    unsigned char mask[SN];
    float theta[SN], t0[SN], g[SN];
    for (int i = 0; i < SN; i++) {
        mask[i] = (i / 4) % 2 == 0 || i == SN - 1;  /* runs, incl. the ends */
        t0[i] = (float)(i - 18) / 7.0f;
        g[i] = 0;
    }
    for (int variant = 0; variant < 3; variant++) {
        /* 0: the mask; 1: NULL = every entry; 2: ADAM, which never
         * decays */
        dn_opt_conf c;
        dn_opt_defaults(&c, variant == 2 ? DN_OPT_ADAM : DN_OPT_ADAMW);
        c.weight_decay = lambda;
        c.amsgrad = variant == 1;
        dn_opt *o = NULL;
        dn_error err;
        if (dn_opt_new(&c, SN, variant == 1 ? NULL : mask, &o, &err)) {
            CHECK(0, "%s", err.msg);
            continue;
        }
        memcpy(theta, t0, sizeof t0);
        float want[SN];
        memcpy(want, t0, sizeof t0);
        for (int step = 0; step < 2; step++) {
            dn_opt_step(o, theta, g, eta);
            for (int i = 0; i < SN; i++)
                if (variant == 1 || (variant == 0 && mask[i]))
                    want[i] *= keep;
            for (int i = 0; i < SN; i++)
                CHECK(theta[i] == want[i], "variant %d step %d: theta[%d] "
                      "= %.9g, want %.9g (mask %d)", variant, step + 1, i,
                      theta[i], want[i], mask[i]);
        }
        dn_opt_free(o);
    }
    /* The mask is copied: changing the caller's array afterwards does
     * not move the decay. */
    dn_opt_conf c;
    dn_opt_defaults(&c, DN_OPT_ADAMW);
    unsigned char m2[SN];
    memset(m2, 0, sizeof m2);
    m2[3] = 1;
    dn_opt *o = NULL;
    dn_error err;
    if (dn_opt_new(&c, SN, m2, &o, &err) == DN_OK) {
        memset(m2, 1, sizeof m2);
        memcpy(theta, t0, sizeof t0);
        dn_opt_step(o, theta, g, eta);
        int moved = 0;
        for (int i = 0; i < SN; i++) moved += theta[i] != t0[i];
        CHECK(moved == 1 && theta[3] != t0[3], "%d entries decayed, want "
              "only entry 3", moved);
    } else {
        CHECK(0, "%s", err.msg);
    }
    dn_opt_free(o);
}

/* dn_opt_step_parts: the same update cut into ranges (cut through the
 * decay mask's runs too) and run on 2 threads must give dn_opt_step's
 * bits, in theta and in every state array, for every optimizer and
 * variant, over steps that include the first (momentum's velocity
 * starts as the gradient there). */
static void test_parts(void)
{
    static const struct { dn_opt_kind k; int centered, amsgrad;
                          double momentum; } v[] = {
        { DN_OPT_SGD, 0, 0, 0 },      { DN_OPT_MOMENTUM, 0, 0, 0.9 },
        { DN_OPT_NESTEROV, 0, 0, 0.9 }, { DN_OPT_ADAGRAD, 0, 0, 0 },
        { DN_OPT_RMSPROP, 0, 0, 0 },  { DN_OPT_RMSPROP, 1, 0, 0.5 },
        { DN_OPT_ADAM, 0, 0, 0 },     { DN_OPT_ADAM, 0, 1, 0 },
        { DN_OPT_ADAMW, 0, 0, 0 },    { DN_OPT_ADAMW, 0, 1, 0 },
    };
    unsigned char mask[SN];
    for (int i = 0; i < SN; i++) mask[i] = (i / 4) % 2 == 0;
    const size_t cut[] = { 0, 6, 17, 30, SN };   /* through runs */
    dn_pool *pool = dn_pool_new(2);
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        dn_opt_conf c;
        dn_opt_defaults(&c, v[i].k);
        c.centered = v[i].centered;
        c.amsgrad = v[i].amsgrad;
        if (v[i].momentum > 0) c.momentum = v[i].momentum;
        if (v[i].k == DN_OPT_ADAMW) c.weight_decay = 0.1;
        dn_opt *a = NULL, *b = NULL;
        dn_error err;
        if (dn_opt_new(&c, SN, mask, &a, &err) ||
            dn_opt_new(&c, SN, mask, &b, &err)) {
            CHECK(0, "%s", err.msg);
            dn_opt_free(a);
            continue;
        }
        float ta[SN], tb[SN], g[SN];
        for (int j = 0; j < SN; j++) ta[j] = tb[j] = (float)(j - 11) / 9.0f;
        for (int t = 0; t < 4; t++) {
            toy_grad(ta, g, t);
            dn_opt_step(a, ta, g, 0.05);
            dn_opt_step_parts(b, pool, tb, g, 0.05, cut, 4);
        }
        size_t na, nb;
        const float *sa = dn_opt_state(a, &na), *sb = dn_opt_state(b, &nb);
        CHECK(memcmp(ta, tb, sizeof ta) == 0, "%s (variant %zu): theta "
              "differs when updated in parts", dn_opt_name(v[i].k), i);
        CHECK(na == nb && memcmp(sa, sb, na * sizeof *sa) == 0, "%s (variant "
              "%zu): the state differs when updated in parts",
              dn_opt_name(v[i].k), i);
        CHECK(dn_opt_steps(b) == 4, "steps counted %ld", dn_opt_steps(b));
        dn_opt_free(a);
        dn_opt_free(b);
    }
    dn_pool_free(pool);
}

/* A large optimizer (its state on 2 MiB pages, src/bigmem.c) starts from
 * zeros like a small one and steps like one. */
static void test_large(void)
{
    const size_t n = (size_t)3 << 20;   /* 12 MB of parameters, 24 of state */
    dn_opt_conf c;
    dn_opt_defaults(&c, DN_OPT_ADAM);
    dn_opt *o = NULL;
    dn_error err;
    float *theta = calloc(n, sizeof *theta), *g = malloc(n * sizeof *g);
    if (!theta || !g || dn_opt_new(&c, n, NULL, &o, &err)) {
        CHECK(0, "a large Adam: %s", o ? "out of memory" : err.msg);
        free(theta); free(g);
        return;
    }
    size_t ns;
    const float *s = dn_opt_state(o, &ns);
    size_t nonzero = 0;
    for (size_t i = 0; i < ns; i++) nonzero += s[i] != 0;
    CHECK(ns == 2 * n && nonzero == 0, "%zu of %zu state floats are not 0",
          nonzero, ns);
    for (size_t i = 0; i < n; i++) g[i] = (float)(i % 5) - 2.0f;
    dn_opt_step(o, theta, g, 0.01);
    /* Adam's first step moves every entry by eta·sign(g) (g = 0: none). */
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        float want = g[i] > 0 ? -0.01f : g[i] < 0 ? 0.01f : 0.0f;
        bad += fabsf(theta[i] - want) > 1e-6f;
    }
    CHECK(bad == 0, "%zu of %zu entries off after a first Adam step", bad, n);
    dn_opt_free(o);
    free(theta);
    free(g);
}

/* dn_all_finite: one NaN or infinity anywhere — in the vectorized lanes
 * or in the tail past their last multiple — is found; the largest finite
 * values and -0 are not mistaken for one. */
static void test_all_finite(void)
{
    float g[53];
    for (size_t n = 1; n <= sizeof g / sizeof *g; n++) {
        for (size_t i = 0; i < n; i++)
            g[i] = i % 3 ? FLT_MAX : i % 2 ? -0.0f : -FLT_MAX;
        CHECK(dn_all_finite(g, n), "n %zu: finite values called non-finite", n);
        for (size_t p = 0; p < n; p++) {
            const float bad[] = { NAN, INFINITY, -INFINITY };
            for (int b = 0; b < 3; b++) {
                const float keep = g[p];
                g[p] = bad[b];
                CHECK(!dn_all_finite(g, n), "n %zu: %g at %zu not found", n,
                      (double)bad[b], p);
                g[p] = keep;
            }
        }
    }
}

int main(void)
{
    RUN(test_all_finite);
    RUN(test_parts);
    RUN(test_large);
    RUN(test_defaults);
    RUN(test_validation);
    RUN(test_checkpoint);
    RUN(test_decay_mask);
    RUN(test_golden);
    return check_done("test_optim");
}
