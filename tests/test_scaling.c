/* test_scaling.c — standardization decides "constant" relative to a
 * column's magnitude: a feature or target measured in units of 1e-13
 * trains like the same one in units of 1, while a truly constant column
 * (0, 5, or 1e6 with float rounding noise) still gets std 1. */
#include "check.h"
#include "descent.h"
#include <float.h>
#include <stdlib.h>
#include <string.h>

/* n rows of 2 inputs in [-1, 1] times `unit`; binary: y = [x1 + x2/2 > 0],
 * regression: y = (x1 + x2/2) times `yunit`. */
static dn_data *make(int n, double unit, int binary, double yunit)
{
    dn_data *D = calloc(1, sizeof *D);
    D->n = n; D->d = 2; D->k = 1;
    D->X = malloc(sizeof(float) * n * 2);
    D->Y = malloc(sizeof(float) * n);
    dn_rng r;
    dn_rng_seed(&r, 11);
    for (int i = 0; i < n; i++) {
        double a = 2 * dn_rng_uniform(&r) - 1, b = 2 * dn_rng_uniform(&r) - 1;
        D->X[2 * i] = (float)(a * unit);
        D->X[2 * i + 1] = (float)(b * unit);
        D->Y[i] = binary ? (float)(a + b / 2 > 0) : (float)((a + b / 2) * yunit);
    }
    return D;
}

static void data_free(dn_data *D) { free(D->X); free(D->Y); free(D); }

/* Trains a 2-8-1 network with fitted scaling; returns the training
 * accuracy (binary) or R² (regression). */
static double fit(const dn_data *D, int binary)
{
    dn_arch A;
    memset(&A, 0, sizeof A);
    A.n_in = 2;
    A.layer[A.n_layers++] = (dn_layer){ .units = 8, .act = DN_ACT_TANH };
    dn_arch_set_task(&A, binary ? DN_TASK_BINARY : DN_TASK_REGRESSION, 1,
                     NULL);
    dn_model *m;
    dn_error err;
    if (dn_model_new(&A, &m, &err)) return -1;
    dn_model_init(m, DN_INIT_DEFAULT, 0, 3);
    dn_status st = dn_model_fit_scaling(m, D, &err);
    if (!st && !binary) st = dn_model_fit_target_scaling(m, D, &err);
    dn_train_opts o;
    dn_train_defaults(&o);
    o.epochs = 30;
    o.eta = 0.01;
    o.threads = 1;
    dn_opt_defaults(&o.opt, DN_OPT_ADAM);
    if (!st) st = dn_train(m, D, NULL, &o, NULL, &err);
    dn_metrics mt;
    if (!st) st = dn_evaluate(m, D, &mt, &err);
    CHECK(st == DN_OK, "%s", err.msg);
    dn_model_free(m);
    return st ? -1 : binary ? mt.accuracy : mt.r2;
}

static void test_small_units_train(void)
{
    dn_data *one = make(1000, 1, 1, 0), *tiny = make(1000, 1e-13, 1, 0);
    double a1 = fit(one, 1), a13 = fit(tiny, 1);
    /* before: std 5.8e-14 ≤ 1e-12 counted as constant, 55% accuracy */
    CHECK(a1 > 0.97 && a13 > 0.97 && a13 >= a1 - 0.005,
          "accuracy %g in units of 1, %g in units of 1e-13", a1, a13);
    data_free(one);
    data_free(tiny);
    /* a target on the scale of 1e-13 (before: R² about -5e18) */
    dn_data *reg = make(1000, 1, 0, 1), *rtiny = make(1000, 1, 0, 1e-13);
    double r1 = fit(reg, 0), r13 = fit(rtiny, 0);
    CHECK(r1 > 0.98 && r13 > 0.98 && r13 >= r1 - 0.005,
          "R² %g for a target in units of 1, %g in units of 1e-13", r1, r13);
    data_free(reg);
    data_free(rtiny);
}

/* The fitted std of each column of a 6-column data set. */
static void test_constant_columns(void)
{
    enum { N = 100, D = 6 };
    dn_data *X = calloc(1, sizeof *X);
    X->n = N; X->d = D; X->k = 1;
    X->X = malloc(sizeof(float) * N * D);
    X->Y = malloc(sizeof(float) * N);
    float up = nextafterf(1e6f, 2e6f); /* 1e6 + 0.0625, one ulp above */
    for (int i = 0; i < N; i++) {
        float *x = X->X + i * D;
        x[0] = (float)(i % 2);                    /* std 0.5 */
        x[1] = (float)(i % 2) * 1e-13f;           /* std 5e-14: a feature */
        x[2] = 0;                                 /* constant */
        x[3] = 5;                                 /* constant */
        x[4] = i % 3 ? 1e6f : up;                 /* 1e6 and rounding noise */
        x[5] = i % 2 ? 1e-30f : 3e-30f;           /* std 1e-30: a feature */
        X->Y[i] = i % 3 ? 1e6f : up;              /* a constant target */
    }
    dn_arch A;
    memset(&A, 0, sizeof A);
    A.n_in = D;
    dn_arch_set_task(&A, DN_TASK_REGRESSION, 1, NULL);
    dn_model *m;
    dn_error err;
    dn_status st = dn_model_new(&A, &m, &err);
    if (!st) st = dn_model_fit_scaling(m, X, &err);
    if (!st) st = dn_model_fit_target_scaling(m, X, &err);
    CHECK(st == DN_OK, "%s", err.msg);
    if (!st) {
        const float *s = dn_model_std(m), *mu = dn_model_mean(m);
        CHECK_REL(s[0], 0.5, 1e-6, 0);
        CHECK_REL(s[1], 5e-14, 1e-5, 0);
        CHECK(s[2] == 1 && s[3] == 1 && s[4] == 1,
              "constant columns get std 1: %g %g %g", s[2], s[3], s[4]);
        CHECK_REL(mu[4], 1e6, 1e-7, 0);
        CHECK_REL(s[5], 1e-30, 1e-5, 0);
        CHECK(dn_model_target_std(m)[0] == 1,
              "a constant target gets std 1: %g", dn_model_target_std(m)[0]);
        /* a constant input standardizes to 0, never to noise / 0.03 */
        float row[D] = { 1, 1e-13f, 0, 5, up, 3e-30f }, out;
        CHECK(dn_predict(m, row, 1, &out, &err) == DN_OK && isfinite(out),
              "predict: %s", err.msg);
    }
    dn_model_free(m);
    data_free(X);
}

int main(void)
{
    RUN(test_small_units_train);
    RUN(test_constant_columns);
    return check_done("test_scaling");
}
