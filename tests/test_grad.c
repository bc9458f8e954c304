/* test_grad.c — backpropagation against finite differences, for every
 * activation in hidden layers, with every loss and output it pairs with,
 * PReLU slopes included.
 *
 * Central differences g ≈ (E(θ + h) − E(θ − h)) / (θ₊ − θ₋) with
 * h = 1e-3 (the divisor is the step float actually took).  With float32
 * forward passes the rounding error of the difference is about
 * 1e-7 / 1e-3 = 1e-4 of E, and the truncation error h²·E''' is ~1e-6,
 * so we require |g_backprop − g_fd| ≤ 2e-3 · max(|g|) + 1e-4.
 * The ReLU family has a kink at z = 0 where no difference quotient means
 * anything: a parameter whose ±h moves any z across 0 is not compared
 * (and at most a quarter of a network's parameters may be skipped).
 * Row weights (dn_gradient_weighted, E = Σ w l / Σ w) are checked the
 * same way, a zero weight among them. */
#include "check.h"
#include "descent.h"
#include "train/train.h" /* to read the workspace's z for kink detection */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define H 1e-3f

typedef struct { dn_act act; dn_loss loss; int units; } output;

/* Loss at the current theta; signs receives which z of the ReLU-family
 * layers are positive, so that kink crossings can be seen. */
static double loss_at(dn_model *m, dn_ws *ws, const float *X, const float *Y,
                      const float *w, int n, unsigned char *signs)
{
    dn_forward(m, ws, X, n);
    ws->w = w;   /* the loss of this pass weighted (NULL: not) */
    size_t c = 0;
    for (int l = 0; l < ws->n_layers; l++) {
        dn_act a = dn_model_arch(m)->layer[l].act;
        int kinked = a == DN_ACT_RELU || a == DN_ACT_LEAKY_RELU ||
                     a == DN_ACT_PRELU;
        for (int i = 0; i < n * dn_model_arch(m)->layer[l].units; i++)
            signs[c++] = kinked && ws->z[l][i] > 0;
    }
    return dn_loss_value(m, ws, Y, n);
}

/* Returns the largest error seen, and counts one check per network. */
static void check_net(dn_act hidden1, dn_act hidden2, output out,
                      int scaled, const float *w, uint64_t seed)
{
    dn_arch A;
    memset(&A, 0, sizeof A);
    A.n_in = 3;
    A.n_layers = 3;
    A.layer[0] = (dn_layer){ .units = 4, .act = hidden1 };
    A.layer[1] = (dn_layer){ .units = 5, .act = hidden2 };
    A.layer[2] = (dn_layer){ .units = out.units, .act = out.act };
    A.loss = out.loss;
    dn_model *m;
    dn_error err;
    if (dn_model_new(&A, &m, &err)) {
        CHECK(0, "dn_model_new: %s", err.msg);
        return;
    }
    dn_model_init(m, DN_INIT_GLOROT_NORMAL, 0, seed);
    /* Give biases and PReLU slopes values off their defaults so their
     * gradients are exercised away from a special point. */
    dn_rng r;
    dn_rng_seed(&r, seed + 99);
    for (int l = 0; l < 3; l++) {
        float *b = dn_model_b(m, l), *s = dn_model_slope(m, l);
        for (int j = 0; j < A.layer[l].units; j++) {
            b[j] = (float)(0.3 * dn_rng_normal(&r));
            if (s) s[j] = (float)(0.1 + 0.4 * dn_rng_uniform(&r));
        }
    }
    const int n = 6;
    float X[6 * 3], Y[6 * 3];
    for (int i = 0; i < n * 3; i++) X[i] = (float)(2 * dn_rng_normal(&r) + 1);
    for (int i = 0; i < n; i++)
        for (int k = 0; k < 3; k++) {
            float *y = &Y[i * 3 + k];
            if (out.loss == DN_LOSS_CE) { if (k == 0) *y = (float)dn_rng_below(&r, out.units); }
            else if (out.loss == DN_LOSS_BCE) *y = (float)dn_rng_uniform(&r) < 0.5f;
            else *y = (float)dn_rng_normal(&r);
        }
    if (out.loss != DN_LOSS_CE) /* pack Y as n × units */
        for (int i = 0; i < n; i++)
            for (int k = 0; k < out.units; k++) Y[i * out.units + k] = Y[i * 3 + k];
    if (scaled) {
        float mu[3] = { 1, -0.5f, 2 }, sd[3] = { 2, 0.5f, 3 };
        dn_model_set_scaling(m, mu, sd, NULL);
    }
    dn_ws *ws;
    if (dn_ws_new(m, n, 1, &ws, &err)) { CHECK(0, "%s", err.msg); return; }
    double E = w ? dn_gradient_weighted(m, ws, X, Y, w, n)
                 : dn_gradient(m, ws, X, Y, n);
    size_t P = dn_model_n_params(m);
    float *g = malloc(P * sizeof *g);
    memcpy(g, dn_ws_grad(ws), P * sizeof *g);
    float *theta = dn_model_params(m);
    double gmax = 0, worst = 0;
    size_t worst_i = 0, skipped = 0;
    /* sign fingerprints of every z (at most 4 + 5 + 3 units × 6 rows) */
    unsigned char s0[64 * 6] = { 0 }, sp[64 * 6] = { 0 }, sm[64 * 6] = { 0 };
    loss_at(m, ws, X, Y, w, n, s0);
    for (size_t i = 0; i < P; i++) gmax = fmax(gmax, fabs(g[i]));
    for (size_t i = 0; i < P; i++) {
        float t = theta[i];
        float tp = t + H, tm = t - H;
        theta[i] = tp; double Ep = loss_at(m, ws, X, Y, w, n, sp);
        theta[i] = tm; double Em = loss_at(m, ws, X, Y, w, n, sm);
        theta[i] = t;
        if (memcmp(s0, sp, sizeof s0) || memcmp(s0, sm, sizeof s0)) {
            skipped++;
            continue;
        }
        double fd = (Ep - Em) / ((double)tp - tm);
        double e = fabs(fd - g[i]);
        if (e > worst) { worst = e; worst_i = i; }
    }
    double tol = 2e-3 * gmax + 1e-4;
    CHECK(isfinite(E) && worst <= tol,
          "%s,%s -> %s/%s%s%s: worst |g - fd| = %.3g at theta[%zu] (tol %.3g)",
          dn_act_name(hidden1), dn_act_name(hidden2), dn_act_name(out.act),
          dn_loss_name(out.loss), scaled ? " scaled" : "",
          w ? " weighted" : "", worst, worst_i, tol);
    CHECK(skipped * 4 <= P, "%zu of %zu parameters sat on a kink", skipped, P);
    free(g);
    dn_ws_free(ws);
    dn_model_free(m);
}

/* Losses stay finite where naive formulas give inf/NaN. */
static void check_saturation(void)
{
    dn_arch A;
    memset(&A, 0, sizeof A);
    A.n_in = 1;
    A.n_layers = 1;
    dn_error err;
    dn_model *m;
    float X[2] = { 1, -1 };

    A.layer[0] = (dn_layer){ .units = 1, .act = DN_ACT_SIGMOID };
    A.loss = DN_LOSS_BCE;
    dn_model_new(&A, &m, &err);
    dn_model_W(m, 0)[0] = 200;      /* σ(±200) is exactly 1 or 0 in float */
    float Yb[2] = { 0, 1 };         /* both wrong: −ln(0) naively */
    dn_ws *ws;
    dn_ws_new(m, 2, 1, &ws, &err);
    double E = dn_gradient(m, ws, X, Yb, 2);
    CHECK_REL(E, 200.0, 1e-6, 1);   /* exact loss: z − 0 = 200 per row */
    CHECK_NEAR(dn_ws_grad(ws)[0], 1.0, 1e-6);  /* ((1−0)·1 + (0−1)·(−1))/2 */
    dn_ws_free(ws);
    dn_model_free(m);

    A.layer[0] = (dn_layer){ .units = 3, .act = DN_ACT_SOFTMAX };
    A.loss = DN_LOSS_CE;
    dn_model_new(&A, &m, &err);
    float *W = dn_model_W(m, 0);
    W[0] = 1000; W[1] = -1000; W[2] = 0;
    float Yc[2] = { 1, 1 };
    dn_ws_new(m, 2, 1, &ws, &err);
    E = dn_gradient(m, ws, X, Yc, 2);
    /* row 1: z = (1000, −1000, 0), −ln p₁ = 2000; row 2: z = (−1000,
     * 1000, 0), −ln p₁ = 0 (to float precision). */
    CHECK_REL(E, 1000.0, 1e-6, 1);
    CHECK(dn_ws_grad(ws)[0] == dn_ws_grad(ws)[0], "gradient is NaN");
    dn_ws_free(ws);
    dn_model_free(m);
}

/* What descent trace reads back: dn_ws_z and dn_ws_a are the forward
 * pass's own arrays; one row's delta of layer l is its ∂C/∂b_l, and
 * dn_ws_fprime gives the factor the backward pass used: (W_{l+1}ᵀ
 * delta_{l+1}) ⊙ f'(z_l) must equal delta_l for every hidden activation.
 * A softmax layer, a layer out of range and a workspace without a pass
 * are refused. */
static void check_trace_views(dn_act act, uint64_t seed)
{
    dn_arch A;
    memset(&A, 0, sizeof A);
    A.n_in = 3;
    A.n_layers = 3;
    A.layer[0] = (dn_layer){ .units = 4, .act = act };
    A.layer[1] = (dn_layer){ .units = 5, .act = act };
    A.layer[2] = (dn_layer){ .units = 3, .act = DN_ACT_SOFTMAX };
    A.loss = DN_LOSS_CE;
    dn_model *m = NULL;
    dn_ws *ws = NULL;
    dn_error err;
    CHECK(dn_model_new(&A, &m, &err) == DN_OK, "%s", err.msg);
    if (!m) return;
    dn_model_init(m, DN_INIT_DEFAULT, 0, seed);
    float *slope = dn_model_slope(m, 0);
    if (slope) slope[1] = 0.3f;   /* slopes differing per unit */
    const float mean[3] = { 0.5f, -1, 2 }, sd[3] = { 2, 1, 0.5f };
    dn_model_set_scaling(m, mean, sd, &err);
    CHECK(dn_ws_new(m, 1, 1, &ws, &err) == DN_OK, "%s", err.msg);
    float out[5];
    CHECK(dn_ws_z(ws, 0) == NULL && dn_ws_a(ws, -1) == NULL,
          "views before any pass");
    CHECK(dn_ws_fprime(m, ws, 0, out, &err) == DN_EARG,
          "fprime before any pass");
    const float X[3] = { 1.5f, -0.25f, 2.5f }, Y[1] = { 2 };
    dn_gradient(m, ws, X, Y, 1);
    const float *a0 = dn_ws_a(ws, -1);
    for (int i = 0; i < 3; i++)
        CHECK_NEAR(a0[i], (X[i] - mean[i]) / sd[i], 1e-6);
    CHECK(dn_ws_z(ws, -1) == NULL && dn_ws_z(ws, 3) == NULL &&
          dn_ws_a(ws, 3) == NULL && dn_ws_a(ws, -2) == NULL,
          "views out of range");
    CHECK(dn_ws_fprime(m, ws, 2, out, &err) == DN_EARG &&
          strstr(err.msg, "softmax"), "softmax fprime: %s", err.msg);
    CHECK(dn_ws_fprime(m, ws, 3, out, &err) == DN_EARG, "layer 3 of 3");
    const float *g = dn_ws_grad(ws);
    for (int l = 0; l < 2; l++) {
        const int in = A.layer[l].units, nx = A.layer[l + 1].units;
        CHECK(dn_ws_fprime(m, ws, l, out, &err) == DN_OK, "%s", err.msg);
        const float *W = dn_model_W(m, l + 1);
        const float *dn = g + dn_model_offset_b(m, l + 1);
        const float *d = g + dn_model_offset_b(m, l);
        for (int i = 0; i < in; i++) {
            double wd = 0;
            for (int j = 0; j < nx; j++) wd += (double)W[j * in + i] * dn[j];
            CHECK_NEAR(d[i], wd * out[i], 1e-6);
        }
        /* a = f(z): the activation of the values read back */
        const float *z = dn_ws_z(ws, l), *a = dn_ws_a(ws, l);
        if (act == DN_ACT_SIGMOID)
            for (int i = 0; i < in; i++)
                CHECK_NEAR(a[i], 1 / (1 + exp(-(double)z[i])), 1e-6);
    }
    dn_ws_free(ws);
    dn_model_free(m);
}

int main(void)
{
    const dn_act views[] = { DN_ACT_IDENTITY, DN_ACT_SIGMOID, DN_ACT_TANH,
                             DN_ACT_RELU, DN_ACT_LEAKY_RELU, DN_ACT_PRELU };
    for (int i = 0; i < 6; i++) check_trace_views(views[i], 40 + i);

    const dn_act acts[] = { DN_ACT_IDENTITY, DN_ACT_SIGMOID, DN_ACT_TANH,
                            DN_ACT_RELU, DN_ACT_LEAKY_RELU, DN_ACT_PRELU };
    const output outs[] = {
        { DN_ACT_IDENTITY, DN_LOSS_MSE, 2 }, { DN_ACT_SIGMOID, DN_LOSS_MSE, 2 },
        { DN_ACT_TANH, DN_LOSS_MSE, 2 },     { DN_ACT_RELU, DN_LOSS_MSE, 2 },
        { DN_ACT_LEAKY_RELU, DN_LOSS_MSE, 2 }, { DN_ACT_PRELU, DN_LOSS_MSE, 2 },
        { DN_ACT_SIGMOID, DN_LOSS_BCE, 1 },  { DN_ACT_SIGMOID, DN_LOSS_BCE, 3 },
        { DN_ACT_SOFTMAX, DN_LOSS_CE, 3 },
    };
    const int na = sizeof acts / sizeof *acts, no = sizeof outs / sizeof *outs;
    uint64_t seed = 1;
    for (int i = 0; i < na; i++)
        for (int j = 0; j < na; j++)
            for (int o = 0; o < no; o++)
                check_net(acts[i], acts[j], outs[o], (i + j + o) % 2, NULL,
                          seed++);
    /* weighted rows, one of them 0: every output and loss */
    const float w[6] = { 0.5f, 2, 0, 1, 3.5f, 0.25f };
    for (int o = 0; o < no; o++) {
        check_net(DN_ACT_TANH, DN_ACT_SIGMOID, outs[o], o % 2, w, seed++);
        check_net(DN_ACT_PRELU, DN_ACT_LEAKY_RELU, outs[o], 1, w, seed++);
    }
    check_saturation();
    return check_done("test_grad");
}
