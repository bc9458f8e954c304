/* test_solvers.c — the full-batch solvers training networks
 * (dn_train_full): linear and logistic regression against optima
 * computed here in float64, two outputs, LM against Adam, the exact
 * Hessian against finite differences, the Gauss-Newton product against
 * J^T H J, Hessian-free training and its resume, early stopping,
 * budgets, the interrupt and the refusals.  (The minimizer on plain functions:
 * test_minimize.c.) */
#include "check.h"
#include "descent.h"
#include "train/train.h" /* the workspace, for the Hessian check */
#include "nn/hessian.h"
#include <float.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Networks                                                            */
/* ------------------------------------------------------------------ */

static dn_data *dataset(int n, int d, int k)
{
    dn_data *D = calloc(1, sizeof *D);
    D->n = n;
    D->d = d;
    D->k = k;
    D->X = malloc(sizeof(float) * n * d);
    D->Y = malloc(sizeof(float) * n * k);
    return D;
}

static void data_free(dn_data *D)
{
    if (!D) return;
    free(D->X);
    free(D->Y);
    free(D);
}

static dn_model *net(int n_in, int hidden, dn_act act, dn_task task,
                     uint64_t seed)
{
    dn_arch A;
    memset(&A, 0, sizeof A);
    A.n_in = n_in;
    if (hidden) A.layer[A.n_layers++] = (dn_layer){ .units = hidden,
        .act = act };
    dn_arch_set_task(&A, task, task == DN_TASK_MULTICLASS ? 3 : 1, NULL);
    dn_model *m;
    dn_model_new(&A, &m, NULL);
    dn_model_init(m, DN_INIT_DEFAULT, 0, seed);
    return m;
}

/* Solves the k × k system G w = h in place by Gaussian elimination with
 * partial pivoting (float64; the tests' own reference, independent of
 * the library's Cholesky). */
static void gauss(double *G, double *h, int k)
{
    for (int c = 0; c < k; c++) {
        int p = c;
        for (int i = c + 1; i < k; i++)
            if (fabs(G[i * k + c]) > fabs(G[p * k + c])) p = i;
        for (int j = 0; j < k; j++) {
            double t = G[c * k + j];
            G[c * k + j] = G[p * k + j];
            G[p * k + j] = t;
        }
        double t = h[c]; h[c] = h[p]; h[p] = t;
        for (int i = c + 1; i < k; i++) {
            double f = G[i * k + c] / G[c * k + c];
            for (int j = c; j < k; j++) G[i * k + j] -= f * G[c * k + j];
            h[i] -= f * h[c];
        }
    }
    for (int c = k - 1; c >= 0; c--) {
        for (int j = c + 1; j < k; j++) h[c] -= G[c * k + j] * h[j];
        h[c] /= G[c * k + c];
    }
}

/* The network's objective at its weights: data loss + λ/2 ΣW². */
static double objective(const dn_model *m, const dn_data *D, double lambda)
{
    dn_metrics mt;
    dn_evaluate(m, D, &mt, NULL);
    const float *W = dn_model_W((dn_model *)m, 0);
    double s = 0;
    for (int j = 0; j < D->d; j++) s += (double)W[j] * W[j];
    return mt.loss + 0.5 * lambda * s;
}

/* Records the first epoch whose training loss is within 1e-6 of E*. */
typedef struct { double E_star; int first; } near;

static int note_near(const dn_epoch *e, void *user)
{
    near *q = user;
    if (!q->first && e->train_loss <= q->E_star * (1 + 1e-6))
        q->first = e->epoch;
    return 0;
}

/* dn_train_full for at most `epochs` iterations with L2 lambda; *first
 * = the first iteration within 1e-6 of E_star (0: none). */
static dn_status train_near(dn_model *m, const dn_data *D,
                            const dn_solver_conf *c, int epochs,
                            double lambda, double E_star, int *first,
                            dn_result *res, dn_error *err)
{
    dn_train_opts o;
    dn_train_defaults(&o);
    o.epochs = epochs;
    o.l2 = lambda;
    near q = { E_star, 0 };
    o.on_epoch = note_near;
    o.user = &q;
    dn_status st = dn_train_full(m, D, NULL, c, &o, res, err);
    *first = q.first;
    return st;
}

/* 200 rows of y = 0.7 + w_true · x + noise, 4 inputs uniform in
 * [−unit, unit] (the weights scaled by 1 / unit, so y is the same). */
static dn_data *linear_data(double unit)
{
    const int n = 200, d = 4;
    dn_data *D = dataset(n, d, 1);
    dn_rng r;
    dn_rng_seed(&r, 5);
    const double w_true[4] = { 1.5, -2, 0.5, 3 };
    for (int i = 0; i < n; i++) {
        double y = 0.7;
        for (int j = 0; j < d; j++) {
            D->X[i * d + j] = (float)(unit * (2 * dn_rng_uniform(&r) - 1));
            y += w_true[j] / unit * D->X[i * d + j];
        }
        D->Y[i] = (float)(y + 0.3 * dn_rng_normal(&r));
    }
    return D;
}

/* The least-squares optimum of a 4-input linear model with L2 lambda on
 * the weights: h = (weights, bias), and the objective there. */
static double linear_optimum(const dn_data *D, double lambda, double h[5])
{
    const int n = D->n, d = 4;
    /* (AᵀA/N + λ D) θ = Aᵀy/N with A = [X 1], D on the weights. */
    double G[25] = { 0 };
    for (int j = 0; j <= d; j++) h[j] = 0;
    for (int i = 0; i < n; i++) {
        double a[5];
        for (int j = 0; j < d; j++) a[j] = D->X[i * d + j];
        a[d] = 1;
        for (int j = 0; j <= d; j++) {
            h[j] += a[j] * D->Y[i] / n;
            for (int k = 0; k <= d; k++) G[j * 5 + k] += a[j] * a[k] / n;
        }
    }
    for (int j = 0; j < d; j++) G[j * 5 + j] += lambda;
    gauss(G, h, 5);
    double E_star = 0, wsq = 0;
    for (int i = 0; i < n; i++) {
        double e = h[d] - D->Y[i];
        for (int j = 0; j < d; j++) e += h[j] * D->X[i * d + j];
        E_star += 0.5 * e * e / n;
    }
    for (int j = 0; j < d; j++) wsq += h[j] * h[j];
    return E_star + 0.5 * lambda * wsq;
}

#define HF_LINEAR_ITERS 2   /* measured: 2, with and without L2 */

/* Linear regression (no hidden layer, MSE) with and without L2: every
 * solver reaches the normal equations' optimum to 1e-6 relative. */
static void test_linear_regression(void)
{
    const int d = 4;
    dn_data *D = linear_data(1);
    for (int with_l2 = 0; with_l2 < 2; with_l2++) {
        const double lambda = with_l2 ? 0.05 : 0;
        double h[5];
        const double E_star = linear_optimum(D, lambda, h);

        for (int k = 0; k < DN_SOLVER_COUNT; k++) {
            dn_model *m = net(d, 0, DN_ACT_RELU, DN_TASK_REGRESSION, 3);
            dn_solver_conf c;
            dn_solver_defaults(&c, (dn_solver_kind)k);
            c.gtol = 1e-9;
            c.ftol = 1e-12;
            dn_result res;
            dn_error err;
            int first;
            dn_status st = train_near(m, D, &c, 200, lambda, E_star, &first,
                                      &res, &err);
            double E = objective(m, D, lambda), werr = 0;
            const float *W = dn_model_W(m, 0), *b = dn_model_b(m, 0);
            for (int j = 0; j < d; j++) werr = fmax(werr, fabs(W[j] - h[j]));
            werr = fmax(werr, fabs(b[0] - h[d]));
            CHECK(st == DN_OK, "%s: %s", dn_solver_name(k), err.msg);
            CHECK(fabs(E - E_star) <= 1e-6 * E_star, "linear regression%s, "
                  "%s: E = %.12g, optimum %.12g (rel %.2g) after %d "
                  "iterations (%s)", with_l2 ? " + L2" : "", dn_solver_name(k),
                  E, E_star, fabs(E - E_star) / E_star, res.epochs,
                  dn_stop_name(res.reason));
            /* The loss is flat at its minimum: 1e-6 of E allows parameter
             * errors near sqrt(2e-6 E / lambda_min) ~ 1e-3, and near the
             * minimum float32 rounding of E (~1e-8 here) hides the last
             * decreases from every line search. */
            CHECK(werr < 1e-3, "%s: parameters off by %.3g (%s after %d, "
                  "evals %ld, |g| %.3g)", dn_solver_name(k), werr,
                  dn_stop_name(res.reason), res.epochs, res.last.evals,
                  res.last.grad_norm);
            /* The loss is quadratic: the exact Hessian (Newton) and the
             * exact Gauss-Newton matrix (LM: the residuals are linear)
             * reach the optimum in one step (LM's sweep takes mu down to
             * Gauss-Newton on the first Jacobian). */
            if (k == DN_SOLVER_NEWTON || k == DN_SOLVER_LM)
                CHECK(first == 1, "%s on a quadratic: within 1e-6 of the "
                      "optimum at iteration %d", dn_solver_name(k), first);
            /* HF: G is the exact Hessian here, and CG on 5 unknowns is
             * exact in 5 products; only the damping (mu, 1e-2 of the
             * curvature at first, then × 2/3 per step the model
             * predicted well) keeps the first step short of the optimum:
             * the error shrinks by about mu / (curvature + mu) a step. */
            if (k == DN_SOLVER_HF)
                CHECK(first >= 1 && first <= HF_LINEAR_ITERS, "hf on a "
                      "quadratic: within 1e-6 of the optimum at iteration "
                      "%d (want at most %d)", first, HF_LINEAR_ITERS);
            /* The reported loss is the objective at the kept weights. */
            CHECK_REL(res.last.train_loss, E, 1e-6, 1e-12);
            dn_model_free(m);
        }
    }
    data_free(D);
}

/* Two outputs, so two residuals and two Jacobian rows per sample: LM
 * (and Newton) against the normal equations of each output. */
static void test_two_outputs(void)
{
    const int n = 120, d = 3;
    dn_data *D = dataset(n, d, 2);
    dn_rng r;
    dn_rng_seed(&r, 29);
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < d; j++)
            D->X[i * d + j] = (float)(2 * dn_rng_uniform(&r) - 1);
        const float *x = D->X + i * d;
        D->Y[2 * i] = (float)(x[0] - 2 * x[2] + 0.2 * dn_rng_normal(&r));
        D->Y[2 * i + 1] = (float)(3 * x[1] + 1 + 0.2 * dn_rng_normal(&r));
    }
    double E_star = 0;
    for (int k = 0; k < 2; k++) {
        double G[16] = { 0 }, h[4] = { 0 };
        for (int i = 0; i < n; i++) {
            double a[4] = { D->X[i * d], D->X[i * d + 1], D->X[i * d + 2], 1 };
            for (int j = 0; j < 4; j++) {
                h[j] += a[j] * D->Y[2 * i + k];
                for (int l = 0; l < 4; l++) G[j * 4 + l] += a[j] * a[l];
            }
        }
        gauss(G, h, 4);
        for (int i = 0; i < n; i++) {
            double e = h[3] - D->Y[2 * i + k];
            for (int j = 0; j < d; j++) e += h[j] * D->X[i * d + j];
            E_star += 0.5 * e * e / n;
        }
    }
    const dn_solver_kind kinds[2] = { DN_SOLVER_LM, DN_SOLVER_NEWTON };
    for (int k = 0; k < 2; k++) {
        dn_arch A;
        memset(&A, 0, sizeof A);
        A.n_in = d;
        dn_arch_set_task(&A, DN_TASK_REGRESSION, 2, NULL);
        dn_model *m;
        dn_model_new(&A, &m, NULL);
        dn_model_init(m, DN_INIT_DEFAULT, 0, 4);
        dn_solver_conf c;
        dn_solver_defaults(&c, kinds[k]);
        dn_train_opts o;
        dn_train_defaults(&o);
        o.epochs = 50;
        dn_result res;
        dn_error err;
        dn_status st = dn_train_full(m, D, NULL, &c, &o, &res, &err);
        dn_metrics mt;
        dn_evaluate(m, D, &mt, NULL);
        CHECK(st == DN_OK && fabs(mt.loss - E_star) <= 1e-6 * E_star,
              "two outputs, %s: E = %.12g, optimum %.12g (%s)",
              dn_solver_name(kinds[k]), mt.loss, E_star,
              st ? err.msg : dn_stop_name(res.reason));
        dn_model_free(m);
    }
    data_free(D);
}

/* Logistic regression (no hidden layer, BCE): the optimum by Newton's
 * method in float64 here (IRLS), then every solver that takes BCE. */
static void test_logistic_regression(void)
{
    const int n = 300, d = 3;
    dn_data *D = dataset(n, d, 1);
    dn_rng r;
    dn_rng_seed(&r, 17);
    for (int i = 0; i < n; i++) {
        double z = -0.4;
        for (int j = 0; j < d; j++) {
            D->X[i * d + j] = (float)dn_rng_normal(&r);
            z += (j + 1) * 0.8 * D->X[i * d + j];
        }
        /* Labels drawn from the model: overlapping classes, a finite
         * optimum. */
        D->Y[i] = dn_rng_uniform(&r) < 1 / (1 + exp(-z));
    }
    double th[4] = { 0, 0, 0, 0 };  /* w0 w1 w2 b */
    for (int it = 0; it < 40; it++) {
        double G[16] = { 0 }, h[4] = { 0 };
        for (int i = 0; i < n; i++) {
            double a[4] = { D->X[i * d], D->X[i * d + 1], D->X[i * d + 2], 1 };
            double z = th[0] * a[0] + th[1] * a[1] + th[2] * a[2] + th[3];
            double p = 1 / (1 + exp(-z)), w = p * (1 - p);
            for (int j = 0; j < 4; j++) {
                h[j] -= (p - D->Y[i]) * a[j] / n;
                for (int k = 0; k < 4; k++) G[j * 4 + k] += w * a[j] * a[k] / n;
            }
        }
        gauss(G, h, 4);
        for (int j = 0; j < 4; j++) th[j] += h[j];
    }
    double E_star = 0;
    for (int i = 0; i < n; i++) {
        double z = th[3];
        for (int j = 0; j < d; j++) z += th[j] * D->X[i * d + j];
        E_star += (fmax(z, 0) - z * D->Y[i] + log1p(exp(-fabs(z)))) / n;
    }
    const dn_solver_kind kinds[3] = { DN_SOLVER_LBFGS, DN_SOLVER_CG,
                                      DN_SOLVER_NEWTON };
    for (int k = 0; k < 3; k++) {
        dn_model *m = net(d, 0, DN_ACT_RELU, DN_TASK_BINARY, 3);
        dn_solver_conf c;
        dn_solver_defaults(&c, kinds[k]);
        c.gtol = 1e-9;
        c.ftol = 1e-12;
        dn_train_opts o;
        dn_train_defaults(&o);
        o.epochs = 300;
        dn_result res;
        dn_error err;
        dn_status st = dn_train_full(m, D, NULL, &c, &o, &res, &err);
        double E = objective(m, D, 0);
        CHECK(st == DN_OK, "%s: %s", dn_solver_name(kinds[k]), err.msg);
        CHECK(fabs(E - E_star) <= 1e-6 * E_star, "logistic regression, %s: "
              "E = %.12g, optimum %.12g (rel %.2g) after %d iterations (%s)",
              dn_solver_name(kinds[k]), E, E_star, fabs(E - E_star) / E_star,
              res.epochs, dn_stop_name(res.reason));
        const float *W = dn_model_W(m, 0);
        CHECK(fabs(W[2] - th[2]) < 1e-3 && fabs(dn_model_b(m, 0)[0] - th[3])
              < 1e-3, "%s: w2 %g vs %g", dn_solver_name(kinds[k]), W[2], th[2]);
        dn_model_free(m);
    }
    /* LM refuses a classification loss and points to L-BFGS. */
    dn_model *m = net(d, 0, DN_ACT_RELU, DN_TASK_BINARY, 3);
    dn_solver_conf c;
    dn_solver_defaults(&c, DN_SOLVER_LM);
    dn_error err;
    dn_status st = dn_train_full(m, D, NULL, &c, NULL, NULL, &err);
    CHECK(st == DN_EARG && strstr(err.msg, "binary cross-entropy") &&
          strstr(err.msg, "lbfgs"), "LM on BCE: %s", err.msg);
    dn_model_free(m);
    data_free(D);
}

/* Stops when the training loss reaches a target; remembers the epoch. */
typedef struct { double target; int reached; double mu_min; long evals; } goal;

static int reach(const dn_epoch *e, void *user)
{
    goal *g = user;
    if (e->mu < g->mu_min) g->mu_min = e->mu;
    if (e->evals < g->evals) g->evals = -1;  /* must only grow */
    else g->evals = e->evals;
    if (e->train_loss <= g->target) {
        g->reached = e->epoch;
        return 1;
    }
    return 0;
}

/* LM reaches a target MSE on a small nonlinear regression in far fewer
 * epochs than Adam from the same start. */
/* What make bench-solvers taught about LM's damping: trainlm's absolute
 * mu = 1e-3 means a different damping for the same problem in other
 * units, and it falls one ×0.1 per Jacobian.  Inputs in units of 1e-4
 * make the weights' JᵀJ entries ~ 200 · 1e-8 / 3, far below 1e-3: trainlm
 * crawls (several Jacobians before its steps reach the optimum), where
 * the sweep rule (mu relative to JᵀJ, then lowered on the same JᵀJ while
 * that helps) is at the optimum after one or two in either unit.
 * Checked by iteration counts and the loss at the optimum. */
static void test_lm_sweep(void)
{
    for (int u = 0; u < 2; u++) {
        const double unit = u ? 1e-4 : 1;
        dn_data *D = linear_data(unit);
        double h[5];
        const double E_star = linear_optimum(D, 0, h);
        int first[3] = { 0 };
        for (int rule = DN_LM_TRAINLM; rule <= DN_LM_SWEEP;
             rule += DN_LM_SWEEP - DN_LM_TRAINLM) {
            dn_model *m = net(4, 0, DN_ACT_RELU, DN_TASK_REGRESSION, 3);
            dn_solver_conf c;
            dn_solver_defaults(&c, DN_SOLVER_LM);
            c.lm_rule = (dn_lm_rule)rule;
            c.gtol = 0;
            c.ftol = 0;
            dn_result res;
            dn_error err;
            dn_status st = train_near(m, D, &c, 30, 0, E_star, &first[rule],
                                      &res, &err);
            CHECK(st == DN_OK && fabs(objective(m, D, 0) - E_star) <=
                  1e-6 * E_star, "lm %s, inputs in units of %g: %s, E = "
                  "%.10g, optimum %.10g", dn_lm_rule_name(c.lm_rule), unit,
                  st ? err.msg : dn_stop_name(res.reason),
                  objective(m, D, 0), E_star);
            dn_model_free(m);
        }
        /* Measured: 1 and 1 in units of 1, 2 (sweep) and 7 (trainlm) in
         * units of 1e-4 (the sweep's 8 tenths from mu = 1e-3 · N leave
         * the weights a little damped on the first Jacobian). */
        CHECK(first[DN_LM_SWEEP] >= 1 && first[DN_LM_SWEEP] <= 2, "sweep, "
              "units %g: within 1e-6 of the optimum at iteration %d", unit,
              first[DN_LM_SWEEP]);
        if (u)
            CHECK(first[DN_LM_TRAINLM] >= 5, "trainlm, units %g: within "
                  "1e-6 at iteration %d (the crawl the sweep removes)",
                  unit, first[DN_LM_TRAINLM]);
        else
            CHECK(first[DN_LM_TRAINLM] == 1, "trainlm, units 1: within "
                  "1e-6 at iteration %d", first[DN_LM_TRAINLM]);
        data_free(D);
    }
}

/* A saturated softmax: output weights so large that the wrong class's
 * probability is subnormal.  With dn_ws.flush (what dn_train_full sets)
 * the backward pass has no subnormal gradient entries and differs from
 * the plain one by less than n FLT_MIN anywhere (each of the n rows
 * loses less than FLT_MIN times an activation ≤ 1); without it some entries
 * are subnormal (the premise: each product with one costs x86 a
 * microcode assist, 3-5x the time of a converged classifier's pass). */
static int subnormals(const float *g, size_t n)
{
    int k = 0;
    for (size_t i = 0; i < n; i++)
        k += g[i] != 0 && fabsf(g[i]) < FLT_MIN;
    return k;
}

static void test_flush(void)
{
    const int n = 8;
    dn_model *m = net(2, 4, DN_ACT_TANH, DN_TASK_MULTICLASS, 3);
    float X[16], Y[8];
    for (int i = 0; i < n; i++) {
        X[2 * i] = (float)(i % 2 ? 1 : -1);
        X[2 * i + 1] = 0.25f * (float)i;
        Y[i] = 0;
    }
    /* Every hidden unit at tanh(3) ≈ 0.995; class 0 gets +12 from each,
     * the others −12, so z_0 − z_j ≈ 95.5 and p_j ≈ 3e-42 < FLT_MIN. */
    float *W = dn_model_W(m, 1), *W0 = dn_model_W(m, 0), *b0 = dn_model_b(m, 0);
    for (int u = 0; u < 4; u++) {
        W0[2 * u] = 0;
        W0[2 * u + 1] = 0;
        b0[u] = 3;
        for (int k = 0; k < 3; k++) W[k * 4 + u] = k == 0 ? 12 : -12;
    }
    const size_t P = dn_model_n_params(m);
    dn_ws *ws;
    dn_ws_new(m, n, 1, &ws, NULL);
    dn_gradient(m, ws, X, Y, n);
    float *plain = malloc(P * sizeof *plain);
    memcpy(plain, dn_ws_grad(ws), P * sizeof *plain);
    ws->flush = 1;
    dn_gradient(m, ws, X, Y, n);
    const float *flushed = dn_ws_grad(ws);
    double diff = 0;
    for (size_t i = 0; i < P; i++)
        diff = fmax(diff, fabs((double)plain[i] - flushed[i]));
    CHECK(subnormals(plain, P) > 0, "the premise: %d subnormal gradient "
          "entries without flush", subnormals(plain, P));
    CHECK(subnormals(flushed, P) == 0 && diff < n * FLT_MIN, "flush: %d "
          "subnormal entries, largest change %g", subnormals(flushed, P),
          diff);
    free(plain);
    dn_ws_free(ws);
    dn_model_free(m);
}

/* 64 points of sin(1.5 x) + x / 2 on [−2, 2]: the small nonlinear
 * regression the LM tests fit with a 1-10-1 tanh network. */
static dn_data *sine_data(void)
{
    const int n = 64;
    dn_data *D = dataset(n, 1, 1);
    for (int i = 0; i < n; i++) {
        double x = -2 + 4.0 * i / (n - 1);
        D->X[i] = (float)x;
        D->Y[i] = (float)(sin(1.5 * x) + 0.5 * x);
    }
    return D;
}

static void test_lm_vs_adam(void)
{
    dn_data *D = sine_data();
    const double target = 1e-3;  /* ½ mean squared error */
    dn_model *lm = net(1, 10, DN_ACT_TANH, DN_TASK_REGRESSION, 8);
    dn_model *adam;
    dn_model_clone(lm, &adam, NULL);
    dn_solver_conf c;
    dn_solver_defaults(&c, DN_SOLVER_LM);
    dn_train_opts o;
    dn_train_defaults(&o);
    o.epochs = 200;
    goal g = { target, 0, INFINITY, 0 };
    o.on_epoch = reach;
    o.user = &g;
    dn_result res;
    dn_error err;
    dn_status st = dn_train_full(lm, D, NULL, &c, &o, &res, &err);
    const int lm_epochs = g.reached;
    CHECK(st == DN_OK && res.reason == DN_STOP_CALLBACK, "LM: %s",
          st ? err.msg : dn_stop_name(res.reason));
    CHECK(lm_epochs >= 1 && lm_epochs <= 15, "LM reached loss %g in %d "
          "epochs", target, lm_epochs);  /* measured 8 */
    CHECK(g.mu_min > 0 && g.evals > lm_epochs, "LM reports mu (min %g) and "
          "growing evaluations (%ld)", g.mu_min, g.evals);

    goal a = { target, 0, INFINITY, 0 };
    dn_train_defaults(&o);
    o.epochs = 3000;
    o.batch = 0;  /* full batch, as LM */
    o.eta = 0.01;
    dn_opt_defaults(&o.opt, DN_OPT_ADAM);
    o.on_epoch = reach;
    o.user = &a;
    st = dn_train(adam, D, NULL, &o, &res, &err);
    const int adam_epochs = a.reached ? a.reached : o.epochs + 1;
    CHECK(st == DN_OK, "Adam: %s", err.msg);
    CHECK(adam_epochs >= 20 * lm_epochs, "Adam needed %d epochs, LM %d",
          adam_epochs, lm_epochs);  /* measured about 1000 */
    CHECK(a.mu_min == 0 && a.evals == 0, "dn_train reports mu %g, evals %ld",
          a.mu_min, a.evals);
    dn_model_free(lm);
    dn_model_free(adam);
    data_free(D);
}

/* Moré's rule (--lm-rule more): the same regression to the same target
 * within a bound on the iterations; then an over-parameterized fit (31
 * weights, 8 samples: JᵀJ singular, so lambda = 0 cannot be factored)
 * run to its end, where the bound Delta must shrink to nothing and stop
 * the run instead of spinning. */
/* The hybrid rule on a network (--lm-rule hybrid): the sine fit of
 * test_lm_more, with and without L2 (the ridge enters JᵀJ's products and
 * S's secant alike), reaches the loss targets the default rule does.
 * This fit ends with small residuals, where S buys nothing: measured 8
 * (sweep) and 11 (hybrid) iterations to 1e-3, 5 and 5 to 2e-3 with L2.
 * Checked by iteration counts. */
static void test_lm_hybrid_net(void)
{
    dn_data *D = sine_data();
    int got[2][2];
    for (int l2 = 0; l2 < 2; l2++)
        for (int h = 0; h < 2; h++) {
            dn_model *m = net(1, 10, DN_ACT_TANH, DN_TASK_REGRESSION, 8);
            dn_solver_conf c;
            dn_solver_defaults(&c, DN_SOLVER_LM);
            c.lm_rule = h ? DN_LM_HYBRID : DN_LM_SWEEP;
            dn_train_opts o;
            dn_train_defaults(&o);
            o.epochs = 200;
            o.l2 = l2 ? 1e-4 : 0;
            goal g = { l2 ? 2e-3 : 1e-3, 0, INFINITY, 0 };
            o.on_epoch = reach;
            o.user = &g;
            dn_result res;
            dn_error err;
            dn_status st = dn_train_full(m, D, NULL, &c, &o, &res, &err);
            CHECK(st == DN_OK && res.reason == DN_STOP_CALLBACK, "LM %s, l2 "
                  "%g: %s", dn_lm_rule_name(c.lm_rule), o.l2,
                  st ? err.msg : dn_stop_name(res.reason));
            got[l2][h] = g.reached;
            dn_model_free(m);
        }
    CHECK(got[0][0] >= 1 && got[0][0] <= 10 && got[0][1] >= 1 &&
          got[0][1] <= 14, "loss 1e-3 after %d (sweep) and %d (hybrid) "
          "iterations", got[0][0], got[0][1]);
    CHECK(got[1][0] >= 1 && got[1][0] <= 8 && got[1][1] >= 1 &&
          got[1][1] <= 8, "with L2, loss 2e-3 after %d (sweep) and %d "
          "(hybrid) iterations", got[1][0], got[1][1]);
    data_free(D);
}

static void test_lm_more(void)
{
    dn_data *D = sine_data();
    dn_model *m = net(1, 10, DN_ACT_TANH, DN_TASK_REGRESSION, 8);
    dn_solver_conf c;
    dn_solver_defaults(&c, DN_SOLVER_LM);
    CHECK(c.lm_rule == DN_LM_GATED, "default rule %s",
          dn_lm_rule_name(c.lm_rule));
    c.lm_rule = DN_LM_MORE;
    dn_train_opts o;
    dn_train_defaults(&o);
    o.epochs = 200;
    goal g = { 1e-3, 0, INFINITY, 0 };
    o.on_epoch = reach;
    o.user = &g;
    dn_result res;
    dn_error err;
    dn_status st = dn_train_full(m, D, NULL, &c, &o, &res, &err);
    CHECK(st == DN_OK && res.reason == DN_STOP_CALLBACK, "LM more: %s",
          st ? err.msg : dn_stop_name(res.reason));
    CHECK(g.reached >= 1 && g.reached <= 25, "LM more reached 1e-3 in %d "
          "iterations", g.reached);
    dn_model_free(m);
    data_free(D);

    D = dataset(8, 1, 1);
    for (int i = 0; i < 8; i++) {
        D->X[i] = (float)(i - 3.5);
        D->Y[i] = (float)cos(i);
    }
    m = net(1, 10, DN_ACT_TANH, DN_TASK_REGRESSION, 3);
    c.gtol = 0;
    c.ftol = 0;
    dn_train_defaults(&o);
    o.epochs = 2000;
    st = dn_train_full(m, D, NULL, &c, &o, &res, &err);
    CHECK(st == DN_OK && res.reason == DN_STOP_LINESEARCH &&
          res.epochs < 2000 && res.last.train_loss < 1e-6,
          "LM more on 8 samples: %s, %s after %d iterations, loss %g",
          st ? err.msg : "ok", dn_stop_name(res.reason), res.epochs,
          res.last.train_loss);
    CHECK(dn_lm_rule_parse("minpack", &c.lm_rule, &err) == DN_OK &&
          c.lm_rule == DN_LM_MORE && !strcmp(dn_lm_rule_name(c.lm_rule),
          "more") && dn_lm_rule_parse("gated", &c.lm_rule, &err) == DN_OK &&
          c.lm_rule == DN_LM_GATED && !strcmp(dn_lm_rule_name(DN_LM_GATED),
          "gated"), "lm rule names");
    c.lm_rule = (dn_lm_rule)7;
    st = dn_train_full(m, D, NULL, &c, &o, &res, &err);
    CHECK(st == DN_EARG && strstr(err.msg, "lm_rule"), "bad rule: %s",
          err.msg);
    /* Row weights (LM, Newton and HF against repeated rows:
     * test_weighted_second_order): L-BFGS takes them, and they change
     * where it goes. */
    float w[8] = { 1, 2, 1, 2, 1, 2, 1, 2 };
    D->w = w;
    dn_solver_defaults(&c, DN_SOLVER_LBFGS);
    o.epochs = 5;
    dn_model *mw = net(1, 10, DN_ACT_TANH, DN_TASK_REGRESSION, 4),
             *mu = net(1, 10, DN_ACT_TANH, DN_TASK_REGRESSION, 4);
    st = dn_train_full(mw, D, NULL, &c, &o, &res, &err);
    D->w = NULL;
    dn_status st2 = dn_train_full(mu, D, NULL, &c, &o, &res, &err);
    CHECK(st == DN_OK && st2 == DN_OK &&
          memcmp(dn_model_params(mw), dn_model_params(mu),
                 dn_model_n_params(mw) * sizeof(float)) != 0,
          "lbfgs with weights: %s, %s, the same parameters as without",
          dn_status_name(st), dn_status_name(st2));
    dn_model_free(mw);
    dn_model_free(mu);
    dn_model_free(m);
    data_free(D);
}

/* Early stopping on validation loss restores the best weights; the
 * callback, the evaluation budget and determinism. */
static void test_network_rules(void)
{
    const int n = 16, nv = 64;
    dn_data *T = dataset(n, 1, 1), *V = dataset(nv, 1, 1);
    dn_rng r;
    dn_rng_seed(&r, 23);
    for (int i = 0; i < n + nv; i++) {
        double x = 4 * dn_rng_uniform(&r) - 2;
        double y = sin(x) + 0.3 * dn_rng_normal(&r);
        dn_data *D = i < n ? T : V;
        int k = i < n ? i : i - n;
        D->X[k] = (float)x;
        D->Y[k] = (float)y;
    }
    dn_model *m = net(1, 24, DN_ACT_TANH, DN_TASK_REGRESSION, 2);
    dn_model *m2;
    dn_model_clone(m, &m2, NULL);
    dn_solver_conf c;
    dn_solver_defaults(&c, DN_SOLVER_LBFGS);
    dn_train_opts o;
    dn_train_defaults(&o);
    o.epochs = 500;
    o.patience = 5;
    dn_result res;
    dn_error err;
    dn_status st = dn_train_full(m, T, V, &c, &o, &res, &err);
    dn_metrics mv;
    dn_evaluate(m, V, &mv, NULL);
    CHECK(st == DN_OK && res.reason == DN_STOP_EARLY && res.restored == 1 &&
          res.best_epoch == res.epochs - 5, "early stop: %s, restored %d, "
          "best %d of %d", dn_stop_name(res.reason), res.restored,
          res.best_epoch, res.epochs);
    CHECK_REL(mv.loss, res.best, 1e-6, 1e-12);
    CHECK(res.last.val_loss > res.best, "the last val loss %g is worse than "
          "the best %g", res.last.val_loss, res.best);

    /* Same start, same options: the same bits. */
    dn_result res2;
    dn_train_full(m2, T, V, &c, &o, &res2, &err);
    CHECK(!memcmp(dn_model_params(m), dn_model_params(m2),
                  dn_model_n_params(m) * sizeof(float)) &&
          res2.epochs == res.epochs, "deterministic");

    /* The interrupt flag (the CLI's Ctrl-C) stops after the iteration. */
    dn_model_init(m, DN_INIT_DEFAULT, 0, 2);
    volatile sig_atomic_t stop_now = 1;
    o.interrupt = &stop_now;
    o.patience = 0;
    st = dn_train_full(m, T, NULL, &c, &o, &res, &err);
    CHECK(st == DN_OK && res.reason == DN_STOP_INTERRUPTED && res.epochs == 1,
          "interrupted: %s after %d", dn_stop_name(res.reason), res.epochs);
    o.interrupt = NULL;

    /* The evaluation budget. */
    dn_model_init(m, DN_INIT_DEFAULT, 0, 2);
    c.max_evals = 10;
    o.patience = 0;
    st = dn_train_full(m, T, NULL, &c, &o, &res, &err);
    CHECK(st == DN_OK && res.reason == DN_STOP_EVALS && res.last.evals <= 10 &&
          res.last.evals >= 8, "budget: %s at %ld evaluations",
          dn_stop_name(res.reason), res.last.evals);

    /* Refusals: dropout, clip; Newton above its limit with the notes'
     * point. */
    o.dropout[0] = 0.2f;
    st = dn_train_full(m, T, NULL, &c, &o, &res, &err);
    CHECK(st == DN_EARG && strstr(err.msg, "dropout"), "%s", err.msg);
    o.dropout[0] = 0;
    o.clip = 1;
    st = dn_train_full(m, T, NULL, &c, &o, &res, &err);
    CHECK(st == DN_EARG && strstr(err.msg, "clip"), "%s", err.msg);
    o.clip = 0;
    /* The mini-batch loop's settings are refused by name, not ignored. */
    static const char *const field[] = { "batch", "eta", "opt", "sched",
                                         "shuffle", "checkpoint_steps" };
    for (int f = 0; f < 6; f++) {
        dn_train_opts b = o;
        switch (f) {
        case 0: b.batch = 8; break;
        case 1: b.eta = 0.1; break;
        case 2: b.opt.kind = DN_OPT_ADAM; break;
        case 3: b.sched.warmup = 2; break;
        case 4: b.shuffle = 0; break;
        default: b.checkpoint_steps = 5; break;
        }
        char want[64];
        snprintf(want, sizeof want, "dn_train_opts.%s is for the", field[f]);
        st = dn_train_full(m, T, NULL, &c, &b, &res, &err);
        CHECK(st == DN_EARG && strstr(err.msg, want), "%s: %s", field[f],
              err.msg);
    }
    dn_model *big = net(64, 40, DN_ACT_TANH, DN_TASK_REGRESSION, 1);
    dn_data *B = dataset(3, 64, 1);
    memset(B->X, 0, sizeof(float) * 3 * 64);
    memset(B->Y, 0, sizeof(float) * 3);
    dn_solver_defaults(&c, DN_SOLVER_NEWTON);
    st = dn_train_full(big, B, NULL, &c, NULL, &res, &err);
    CHECK(st == DN_EARG && strstr(err.msg, "2641 unknowns") &&
          strstr(err.msg, "impractical for large networks") &&
          strstr(err.msg, "53 MiB"), "Newton on 2641 parameters: %s",
          err.msg);
    dn_solver_defaults(&c, DN_SOLVER_LBFGS);
    st = dn_train_full(big, B, NULL, &c, NULL, &res, &err);
    CHECK(st == DN_OK, "L-BFGS takes the same network: %s", err.msg);
    dn_model_free(big);
    data_free(B);
    dn_model_free(m);
    dn_model_free(m2);
    data_free(T);
    data_free(V);
}

/* Newton's Hessian: the R-operator against central differences of
 * float32 gradients (good to ~1e-4 of max |H| at h = 1e-2), for every
 * activation, loss and PReLU slopes, with input and target scaling.
 * Across a ReLU kink no difference quotient means anything: a parameter
 * whose ±h moves any z of the ReLU family across 0 is not compared (at
 * most a quarter of them may be skipped), as in test_grad.c. */

/* Bit i: the sign of the i-th z of the ReLU-family layers. */
static size_t signs(const dn_model *m, const dn_ws *ws, int n,
                    unsigned char *out)
{
    size_t c = 0;
    for (int l = 0; l < ws->n_layers; l++) {
        dn_act a = dn_model_arch(m)->layer[l].act;
        if (a != DN_ACT_RELU && a != DN_ACT_LEAKY_RELU && a != DN_ACT_PRELU)
            continue;
        for (int i = 0; i < n * dn_model_arch(m)->layer[l].units; i++)
            out[c++] = ws->z[l][i] > 0;
    }
    return c;
}

/* A 3-input network of the given layers and loss, Glorot-normal weights
 * from seed; NULL (and a failed check) if the model is refused. */
static dn_model *tiny_net(int layers, const int *width, const dn_act *act,
                          dn_loss loss, uint64_t seed)
{
    dn_arch A;
    memset(&A, 0, sizeof A);
    A.n_in = 3;
    A.n_layers = layers;
    for (int l = 0; l < layers; l++)
        A.layer[l] = (dn_layer){ .units = width[l], .act = act[l] };
    A.loss = loss;
    dn_model *m;
    dn_error err;
    if (dn_model_new(&A, &m, &err)) {
        CHECK(0, "%s", err.msg);
        return NULL;
    }
    dn_model_init(m, DN_INIT_GLOROT_NORMAL, 0, seed);
    return m;
}

static void hessian_net(dn_act h1, dn_act h2, dn_act out, dn_loss loss,
                        int units)
{
    const int width[3] = { 4, 3, units };
    const dn_act act[3] = { h1, h2, out };
    dn_model *m = tiny_net(3, width, act, loss, 7);
    if (!m) return;
    dn_arch A = *dn_model_arch(m);
    dn_rng r;
    dn_rng_seed(&r, 3);
    for (int l = 0; l < 3; l++) {
        float *b = dn_model_b(m, l), *s = dn_model_slope(m, l);
        for (int j = 0; j < A.layer[l].units; j++) {
            b[j] = 0.3f * (float)dn_rng_normal(&r);
            if (s) s[j] = 0.1f + 0.4f * (float)dn_rng_uniform(&r);
        }
    }
    const int n = 5;
    float X[15], Y[15];
    for (int i = 0; i < 15; i++) X[i] = (float)dn_rng_normal(&r);
    for (int i = 0; i < n; i++)
        for (int k = 0; k < units; k++) {
            if (loss == DN_LOSS_CE) Y[i] = (float)dn_rng_below(&r, units);
            else if (loss == DN_LOSS_BCE)
                Y[i * units + k] = dn_rng_uniform(&r) < 0.5;
            else Y[i * units + k] = (float)dn_rng_normal(&r);
        }
    const float im[3] = { 0.1f, 0.2f, -0.3f }, is[3] = { 1.5f, 0.7f, 1.1f };
    dn_model_set_scaling(m, im, is, NULL);
    if (loss == DN_LOSS_MSE) {
        const float tm[2] = { 0.5f, -1 }, ts[2] = { 2, 0.5f };
        dn_model_set_target_scaling(m, tm, ts, NULL);
    }
    const size_t P = dn_model_n_params(m);
    dn_ws *ws;
    dn_rws *rw;
    dn_ws_new(m, n, 1, &ws, NULL);
    dn_rws_new(m, n, &rw, NULL);
    float *v = calloc(P, sizeof *v), *hv = malloc(P * sizeof *hv);
    float *gp = malloc(P * sizeof *gp), *gm = malloc(P * sizeof *gm);
    double *H = malloc(P * P * sizeof *H);
    float *theta = dn_model_params(m);
    unsigned char sp[64], sm[64];
    double worst = 0, hmax = 0, asym = 0;
    size_t skipped = 0;
    for (size_t j = 0; j < P; j++) {
        dn_forward(m, ws, X, n);
        v[j] = 1;
        dn_hess_vec(m, ws, rw, dn_ws_target(m, ws, Y, n), v, hv);
        v[j] = 0;
        const float t = theta[j], h = 1e-2f;
        theta[j] = t + h;
        dn_gradient(m, ws, X, Y, n);
        memcpy(gp, dn_ws_grad(ws), P * sizeof *gp);
        size_t ns = signs(m, ws, n, sp);
        theta[j] = t - h;
        dn_gradient(m, ws, X, Y, n);
        memcpy(gm, dn_ws_grad(ws), P * sizeof *gm);
        signs(m, ws, n, sm);
        const double step = (double)(t + h) - (double)(t - h);
        theta[j] = t;
        const int kinked = memcmp(sp, sm, ns) != 0;
        skipped += kinked;
        for (size_t i = 0; i < P; i++) {
            H[j * P + i] = hv[i];
            const double fd = ((double)gp[i] - gm[i]) / step;
            if (!kinked) worst = fmax(worst, fabs(fd - hv[i]));
            hmax = fmax(hmax, fabs(hv[i]));
        }
    }
    for (size_t i = 0; i < P; i++)
        for (size_t j = 0; j < i; j++)
            asym = fmax(asym, fabs(H[i * P + j] - H[j * P + i]));
    CHECK(hmax > 0.1 && worst <= 1e-3 * hmax, "Hessian %s-%s-%s %s: worst "
          "%.3g of max %.3g", dn_act_name(h1), dn_act_name(h2),
          dn_act_name(out), dn_loss_name(loss), worst, hmax);
    CHECK(asym <= 1e-6 * hmax, "Hessian symmetric: %.3g", asym);
    CHECK(skipped <= P / 4, "%zu of %zu columns across a kink", skipped, P);
    free(v); free(hv); free(gp); free(gm); free(H);
    dn_ws_free(ws);
    dn_rws_free(rw);
    dn_model_free(m);
}

static void test_hessian(void)
{
    hessian_net(DN_ACT_TANH, DN_ACT_SIGMOID, DN_ACT_IDENTITY, DN_LOSS_MSE, 2);
    hessian_net(DN_ACT_SIGMOID, DN_ACT_TANH, DN_ACT_SIGMOID, DN_LOSS_MSE, 2);
    hessian_net(DN_ACT_PRELU, DN_ACT_TANH, DN_ACT_PRELU, DN_LOSS_MSE, 2);
    hessian_net(DN_ACT_TANH, DN_ACT_PRELU, DN_ACT_SIGMOID, DN_LOSS_BCE, 1);
    hessian_net(DN_ACT_LEAKY_RELU, DN_ACT_RELU, DN_ACT_SOFTMAX, DN_LOSS_CE, 3);
    hessian_net(DN_ACT_IDENTITY, DN_ACT_SIGMOID, DN_ACT_SOFTMAX, DN_LOSS_CE, 3);
}

/* G v from dn_gn_vec against G = (1/n) Σ_rows Jᵀ H_L J built here in
 * float64, J the Jacobian of the output's z (CE, BCE; H_L = diag(a) −
 * aaᵀ, diag(a(1 − a))) or a (MSE; H_L = I) by central differences of
 * float32 forward passes (h = 1e-2: ~1e-4 of max |G|; smooth
 * activations, or PReLU away from its kink).  G does not depend on the
 * targets, and is symmetric and positive semi-definite; for a sigmoid
 * output with MSE it differs from the Hessian (the dropped G f''
 * terms), which is checked too, so the test would see a product that
 * kept them. */
static void gn_net(dn_act h1, dn_act out, dn_loss loss, int units)
{
    const int width[2] = { 4, units };
    const dn_act act[2] = { h1, out };
    dn_model *m = tiny_net(2, width, act, loss, 11);
    if (!m) return;
    dn_rng r;
    dn_rng_seed(&r, 4);
    float *b0 = dn_model_b(m, 0);
    for (int j = 0; j < 4; j++) b0[j] = 0.3f * (float)dn_rng_normal(&r);
    enum { n = 6 };
    float X[3 * n], Y[3 * n];
    for (int i = 0; i < 3 * n; i++) {
        X[i] = (float)dn_rng_normal(&r);
        Y[i] = loss == DN_LOSS_CE ? (float)dn_rng_below(&r, units)
                                  : (float)dn_rng_uniform(&r);
    }
    const size_t P = dn_model_n_params(m);
    const int K = units;
    dn_ws *ws;
    dn_rws *rw;
    dn_ws_new(m, n, 1, &ws, NULL);
    dn_rws_new(m, n, &rw, NULL);
    double *J = calloc((size_t)n * K * P, sizeof *J);   /* J[(i K + k) P + j] */
    double *G = calloc(P * P, sizeof *G);
    float *v = malloc(P * sizeof *v), *gv = malloc(P * sizeof *gv),
          *hv = malloc(P * sizeof *hv);
    float *theta = dn_model_params(m);
    /* The output quantity J differentiates: z of the last layer, or a. */
    const int last = 1;
    for (size_t j = 0; j < P; j++) {
        const float t = theta[j], h = 1e-2f;
        double up[3 * n], down[3 * n];
        for (int side = 0; side < 2; side++) {
            theta[j] = side ? t - h : t + h;
            const float *a = dn_forward(m, ws, X, n);
            const float *q = loss == DN_LOSS_MSE ? a : ws->z[last];
            for (int i = 0; i < n * K; i++) (side ? down : up)[i] = q[i];
        }
        const double step = (double)(t + h) - (double)(t - h);
        theta[j] = t;
        for (int i = 0; i < n * K; i++)
            J[(size_t)i * P + j] = (up[i] - down[i]) / step;
    }
    const float *a = dn_forward(m, ws, X, n);
    for (int i = 0; i < n; i++) {
        const float *ai = a + (size_t)i * K;
        for (int k = 0; k < K; k++)
            for (int l = 0; l < K; l++) {
                double H = loss == DN_LOSS_MSE ? (k == l)
                         : loss == DN_LOSS_BCE ? (k == l) * ai[k] * (1 - ai[k])
                         : (k == l) * ai[k] - (double)ai[k] * ai[l];
                if (H == 0) continue;
                const double *Jk = J + ((size_t)i * K + k) * P,
                             *Jl = J + ((size_t)i * K + l) * P;
                for (size_t p = 0; p < P; p++)
                    for (size_t q = 0; q < P; q++)
                        G[p * P + q] += H * Jk[p] * Jl[q] / n;
            }
    }
    double worst = 0, gmax = 0, hdiff = 0, minq = INFINITY;
    for (int trial = 0; trial < 4; trial++) {
        for (size_t j = 0; j < P; j++) v[j] = (float)dn_rng_normal(&r);
        /* G does not read the targets: a forward pass is all it needs. */
        dn_forward(m, ws, X, n);
        dn_gn_vec(m, ws, rw, v, gv);
        dn_hess_vec(m, ws, rw, dn_ws_target(m, ws, Y, n), v, hv);
        double vgv = 0;
        for (size_t p = 0; p < P; p++) {
            double e = 0;
            for (size_t q = 0; q < P; q++) e += G[p * P + q] * v[q];
            worst = fmax(worst, fabs(e - gv[p]));
            gmax = fmax(gmax, fabs(e));
            hdiff = fmax(hdiff, fabs((double)hv[p] - gv[p]));
            vgv += (double)v[p] * gv[p];
        }
        minq = fmin(minq, vgv);
    }
    CHECK(gmax > 0.05 && worst <= 1e-3 * gmax, "G v %s-%s %s: worst %.3g of "
          "max %.3g", dn_act_name(h1), dn_act_name(out), dn_loss_name(loss),
          worst, gmax);
    CHECK(minq >= 0, "vᵀG v = %.3g < 0: G is not positive semi-definite",
          minq);
    CHECK(hdiff >= 1e-3 * gmax, "G v equals H v (%.3g apart): the "
          "second-order terms were not dropped", hdiff);
    free(J); free(G); free(v); free(gv); free(hv);
    dn_ws_free(ws);
    dn_rws_free(rw);
    dn_model_free(m);
}

static void test_gn_vec(void)
{
    gn_net(DN_ACT_TANH, DN_ACT_SIGMOID, DN_LOSS_MSE, 2);
    gn_net(DN_ACT_SIGMOID, DN_ACT_IDENTITY, DN_LOSS_MSE, 2);
    gn_net(DN_ACT_TANH, DN_ACT_SIGMOID, DN_LOSS_BCE, 1);
    gn_net(DN_ACT_TANH, DN_ACT_SOFTMAX, DN_LOSS_CE, 3);
    /* PReLU: its slopes are parameters too (J's columns min(z, 0));
     * these rows' z are far enough from the kink for the differences
     * (one across it would miss by far more than the tolerance).  A
     * product that dropped the slopes' part fails both (measured: 0.14
     * of 0.885, 0.248 of 2.84). */
    gn_net(DN_ACT_PRELU, DN_ACT_SOFTMAX, DN_LOSS_CE, 3);
    gn_net(DN_ACT_PRELU, DN_ACT_IDENTITY, DN_LOSS_MSE, 2);
}

/* Three classes in the plane, 90 rows: blobs around the corners of a
 * triangle. */
static dn_data *blobs(void)
{
    const int n = 90;
    dn_data *D = dataset(n, 2, 1);
    dn_rng r;
    dn_rng_seed(&r, 8);
    const double cx[3] = { 0, 2, 1 }, cy[3] = { 0, 0, 1.7 };
    for (int i = 0; i < n; i++) {
        const int k = i % 3;
        D->X[2 * i] = (float)(cx[k] + 0.6 * dn_rng_normal(&r));
        D->X[2 * i + 1] = (float)(cy[k] + 0.6 * dn_rng_normal(&r));
        D->Y[i] = (float)k;
    }
    return D;
}

/* Row weights in Newton, HF and LM: weight 2 on every fifth row is the
 * same objective, gradient, Hessian, G and JᵀJ as those rows written twice, so one
 * iteration from the same start differs by rounding only (measured:
 * weights 7.5e-8 apart for Newton, 2.7e-6 for HF, 0 for LM; with the
 * curvature left unweighted, 1.3e-3 and 0.1, and with LM's Jacobian
 * rows without their √w, 0.054).  One iteration, because the
 * solvers converge to the same minimum with a wrong curvature too; HF's
 * CG held to 5 iterations, because its progress test is a threshold
 * that rounding can move by an iteration. */
static void test_weighted_second_order(void)
{
    dn_data *D = blobs();
    const int n = D->n, extra = (n + 4) / 5;
    dn_data *T = dataset(n + extra, 2, 1);
    float *w = malloc((size_t)n * sizeof *w);
    for (int i = 0, t = n; i < n; i++) {
        w[i] = i % 5 == 0 ? 2.0f : 1.0f;
        memcpy(T->X + 2 * i, D->X + 2 * i, 2 * sizeof(float));
        T->Y[i] = D->Y[i];
        if (i % 5 == 0) {
            memcpy(T->X + 2 * t, D->X + 2 * i, 2 * sizeof(float));
            T->Y[t++] = D->Y[i];
        }
    }
    D->w = w;
    /* LM fits a regression target on the same inputs. */
    float *yc = malloc((size_t)(n + extra) * sizeof *yc);
    memcpy(yc, T->Y, (size_t)(n + extra) * sizeof *yc);
    const dn_solver_kind kinds[3] = { DN_SOLVER_NEWTON, DN_SOLVER_HF,
                                      DN_SOLVER_LM };
    for (int k = 0; k < 3; k++) {
        const int lm = kinds[k] == DN_SOLVER_LM;
        for (int i = 0; i < n + extra; i++) {
            const float *x = T->X + 2 * i;
            T->Y[i] = lm ? sinf(x[0]) + 0.5f * x[1] : yc[i];
            if (i < n) D->Y[i] = T->Y[i];
        }
        dn_solver_conf c;
        dn_solver_defaults(&c, kinds[k]);
        c.ftol = 0;
        c.hf_cg_max = 5;
        dn_train_opts o;
        dn_train_defaults(&o);
        o.epochs = 1;
        dn_result rw, rd;
        dn_error err;
        dn_model *mw = net(2, 6, DN_ACT_TANH, lm ? DN_TASK_REGRESSION
                                                 : DN_TASK_MULTICLASS, 9);
        dn_model *md;
        dn_model_clone(mw, &md, NULL);
        const double f0 = objective(mw, T, 0);
        dn_status sw = dn_train_full(mw, D, NULL, &c, &o, &rw, &err);
        CHECK(sw == DN_OK, "%s with row weights: %s", dn_solver_name(kinds[k]),
              err.msg);
        dn_status sd = dn_train_full(md, T, NULL, &c, &o, &rd, &err);
        const float *a = dn_model_params(mw), *b = dn_model_params(md);
        double worst = 0;
        for (size_t j = 0; j < dn_model_n_params(mw); j++)
            worst = fmax(worst, fabs((double)a[j] - b[j]));
        CHECK(sd == DN_OK && rw.last.train_loss < 0.8 * f0 &&
              fabs(rw.last.train_loss - rd.last.train_loss) <=
              1e-5 * rd.last.train_loss && worst < 1e-5,
              "%s: weighted %.9g, rows repeated %.9g (from %.4g), weights "
              "apart by %.3g", dn_solver_name(kinds[k]), rw.last.train_loss,
              rd.last.train_loss, f0, worst);
        dn_model_free(mw);
        dn_model_free(md);
    }
    D->w = NULL;
    free(w);
    free(yc);
    data_free(D);
    data_free(T);
}

/* HF trains a 2-8-3 tanh classifier: below a loss bound within k
 * iterations (all rows, and a rotating curvature slice of 30 rows);
 * checkpointed at 4 and resumed to 10, it ends on the bits of a straight
 * run of 10; bad settings are refused with the field and its range. */
static void test_hf_net(void)
{
    dn_data *D = blobs();
    dn_solver_conf c;
    dn_solver_defaults(&c, DN_SOLVER_HF);
    c.ftol = 0;
    dn_train_opts o;
    dn_train_defaults(&o);
    o.epochs = 15;
    dn_result res;
    dn_error err;
    /* L-BFGS's loss after 15 iterations from the same start is the bar
     * for HF on all rows (measured: lbfgs 0.105, hf 0.0545; hf with the
     * 30-row slice 0.103, held to 0.12). */
    dn_model *m = net(2, 8, DN_ACT_TANH, DN_TASK_MULTICLASS, 5);
    dn_solver_conf lb;
    dn_solver_defaults(&lb, DN_SOLVER_LBFGS);
    lb.ftol = 0;
    dn_status st = dn_train_full(m, D, NULL, &lb, &o, &res, &err);
    const double lbfgs15 = res.last.train_loss;
    for (int slice = 0; slice < 2; slice++) {
        dn_model_init(m, DN_INIT_DEFAULT, 0, 5);
        c.hf_rows = slice ? 30 : 0;
        st = dn_train_full(m, D, NULL, &c, &o, &res, &err);
        CHECK(st == DN_OK && res.epochs == 15 && res.last.train_loss < 0.12 &&
              (slice || res.last.train_loss <= lbfgs15) && res.last.mu > 0,
              "hf%s: "
              "loss %.4g after %d iterations (%s; L-BFGS %.4g), mu %g",
              slice ? " (30 curvature rows)" : "", res.last.train_loss,
              res.epochs, st ? err.msg : dn_stop_name(res.reason), lbfgs15,
              res.last.mu);
    }

    /* Resume: 4 iterations with a checkpoint, then on to 10. */
    char dir[64];
    if (check_tmpdir(dir)) {
        CHECK(0, "no temporary directory");
    } else {
        c.hf_rows = 30;
        dn_model *m2;
        dn_model_init(m, DN_INIT_DEFAULT, 0, 5);
        dn_model_clone(m, &m2, NULL);
        o.epochs = 10;
        st = dn_train_full(m2, D, NULL, &c, &o, &res, &err);
        const double f10 = res.last.train_loss;
        o.epochs = 4;
        o.checkpoint = check_path(dir, "hf.ckpt");
        o.checkpoint_every = 1;
        st = dn_train_full(m, D, NULL, &c, &o, &res, &err);
        CHECK(st == DN_OK, "%s", err.msg);
        o.epochs = 10;
        o.resume = o.checkpoint;
        dn_result res2;
        st = dn_train_full(m, D, NULL, &c, &o, &res2, &err);
        CHECK(st == DN_OK && res2.epochs == 10 &&
              !memcmp(dn_model_params(m), dn_model_params(m2),
                      dn_model_n_params(m) * sizeof(float)) &&
              res2.last.train_loss == f10, "hf resumed at 4 to 10: %s, loss "
              "%.9g against %.9g straight", st ? err.msg : "ok",
              res2.last.train_loss, f10);
        check_rmdir(dir);
        dn_model_free(m2);
        o.checkpoint = o.resume = NULL;
        o.checkpoint_every = 0;
    }

    /* Refusals: each names the field and the range. */
    static const struct { int field; double v; const char *want; } bad[] = {
        { 0, 0, "hf_cg_max = 0 is out of range; use 1 to 100000" },
        { 1, 1, "hf_decay = 1 is out of range; use 0 <= hf_decay < 1" },
        { 2, -1, "hf_cg_tol = -1 is out of range" },
        { 3, -5, "hf_rows = -5 is out of range; use 0 (every row)" },
        { 4, 0, "solver hf: mu = 0 is out of range; use a finite mu > 0 "
                "(default 1e-2)" },
        { 5, 1, "solver hf: mu_inc = 1 is out of range" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        dn_solver_conf b;
        dn_solver_defaults(&b, DN_SOLVER_HF);
        switch (bad[i].field) {
        case 0: b.hf_cg_max = (int)bad[i].v; break;
        case 1: b.hf_decay = bad[i].v; break;
        case 2: b.hf_cg_tol = bad[i].v; break;
        case 3: b.hf_rows = (long)bad[i].v; break;
        case 4: b.mu = bad[i].v; break;
        default: b.mu_inc = bad[i].v; break;
        }
        st = dn_train_full(m, D, NULL, &b, &o, &res, &err);
        CHECK(st == DN_EARG && strstr(err.msg, bad[i].want), "refusal %zu: "
              "%s", i, err.msg);
    }
    dn_model_free(m);
    data_free(D);
}

int main(void)
{
    RUN(test_gn_vec);
    RUN(test_hf_net);
    RUN(test_weighted_second_order);
    RUN(test_hessian);
    RUN(test_linear_regression);
    RUN(test_two_outputs);
    RUN(test_logistic_regression);
    RUN(test_lm_sweep);
    RUN(test_flush);
    RUN(test_lm_vs_adam);
    RUN(test_lm_more);
    RUN(test_lm_hybrid_net);
    RUN(test_network_rules);
    return check_done("test_solvers");
}
