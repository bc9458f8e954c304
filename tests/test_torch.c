/* test_torch.c — forward pass, loss and gradient against PyTorch.
 *
 * tests/golden.h holds small networks built by tests/gen_golden.py as
 * torch.nn.Sequential(Linear, act, ...) in float32: their parameters in
 * descent's flat layout, inputs, targets, and what PyTorch computed —
 * output activations, loss and the full gradient.  Each case is loaded
 * into a dn_model (dn_model_new + memcpy into dn_model_params) and run
 * through dn_forward, dn_loss_value and dn_gradient, single-threaded and
 * with a thread pool (results must not depend on it), and dn_predict.
 * Input scaling and target scaling are applied by the model in the cases
 * that have them, by the script explicitly on the PyTorch side.
 *
 * Tolerance: every value must agree to 1e-5 relative, i.e.
 * CHECK_REL(x, ref, 1e-5, floor): |x − ref| ≤ 1e-5 · max(|x|, |ref|,
 * floor).  The floor only matters for values near zero, whose relative
 * error means nothing.  An output or gradient element is a float32 sum
 * of products, so its absolute rounding error scales with the size of
 * its terms, not with the size of the (possibly cancelling) sum: the gen
 * script measures PyTorch's own float32 error against float64 at
 * ≤ 2e-7 · max|ref| for every array of every case, while some gradient
 * elements near zero are off by 75e-6 relative (in descent as in
 * PyTorch).  So the floor is 0.1 · max|ref| of the array being compared:
 * an absolute allowance of 1e-6 · max|ref|, ≥ 5× that noise, and still
 * 10× tighter than a 1e-5 error on the largest element.  The loss is one
 * positive number and is compared purely relatively.
 *
 * tests/golden_weighted.h (tests/gen_golden_weighted.py) adds cases with
 * one weight per row, the loss being the weighted mean Σ w l / Σ w
 * (CrossEntropyLoss(weight=) for class weights, reduction='none' times
 * the weights for the others): dn_gradient_weighted's loss and gradient
 * and dn_evaluate's loss on a data set with those weights are held to
 * the same tolerance. */
#include "check.h"
#include "descent.h"
#include "golden.h"
#include "golden_weighted.h"
#include <stdlib.h>
#include <string.h>

#define TOL   1e-5
#define FLOOR 0.1   /* times max |ref| of the array */

/* Compares n values with their reference, naming the first few that
 * differ by index; returns the largest relative error (floored). */
static double check_array(const char *name, const char *what,
                          const float *got, const double *ref, int n)
{
    double mx = 0, worst = 0;
    int bad = 0;
    for (int i = 0; i < n; i++) mx = fmax(mx, fabs(ref[i]));
    const double floor = FLOOR * mx;
    for (int i = 0; i < n; i++) {
        double s = fmax(fmax(fabs(got[i]), fabs(ref[i])), floor);
        double r = fabs(got[i] - ref[i]) / s;
        if (r > worst) worst = r;
        if (r > TOL && bad++ < 5)
            fprintf(stderr, "  %s: %s[%d] = %.9g, PyTorch %.9g\n", name,
                    what, i, got[i], ref[i]);
        CHECK_REL(got[i], ref[i], TOL, floor);
    }
    return worst;
}

static double *widen(const float *x, int n)
{
    double *d = malloc((size_t)n * sizeof *d);
    for (int i = 0; d && i < n; i++) d[i] = x[i];
    return d;
}

/* The case's network in a dn_model, or NULL (after a failed CHECK). */
static dn_model *load_model(const golden_case *c)
{
    dn_arch A;
    memset(&A, 0, sizeof A);
    A.n_in = c->n_in;
    A.n_layers = c->n_layers;
    for (int l = 0; l < c->n_layers; l++)
        A.layer[l] = (dn_layer){ .units = c->units[l], .act = c->act[l],
                                 .alpha = c->alpha[l] };
    A.loss = c->loss;
    dn_error err;
    dn_model *m = NULL;
    if (dn_model_new(&A, &m, &err)) {
        CHECK(0, "%s: dn_model_new: %s", c->name, err.msg);
        return NULL;
    }
    int ok = dn_model_n_params(m) == (size_t)c->n_params;
    CHECK(ok, "%s: descent has %zu parameters, PyTorch %d", c->name,
          dn_model_n_params(m), c->n_params);
    if (ok) {
        memcpy(dn_model_params(m), c->theta,
               (size_t)c->n_params * sizeof(float));
        if (c->mean && dn_model_set_scaling(m, c->mean, c->std, &err)) {
            CHECK(0, "%s: dn_model_set_scaling: %s", c->name, err.msg);
            ok = 0;
        }
    }
    if (ok && c->t_mean &&
        dn_model_set_target_scaling(m, c->t_mean, c->t_std, &err)) {
        CHECK(0, "%s: dn_model_set_target_scaling: %s", c->name, err.msg);
        ok = 0;
    }
    if (!ok) {
        dn_model_free(m);
        m = NULL;
    }
    return m;
}

/* Checks one case with a workspace of `threads` threads, its rows
 * weighted by w (NULL: not); copies the gradient into bits (n_params
 * floats) for the thread-count comparison and returns the largest
 * relative error seen. */
static double check_case(const golden_case *c, const float *w, int threads,
                         float *bits)
{
    const int n = c->rows, k = c->units[c->n_layers - 1];
    double worst = 0;
    dn_error err;
    dn_ws *ws = NULL;
    dn_model *m = load_model(c);
    double *ref = widen(c->out, n * k), *gref = widen(c->grad, c->n_params);
    float *pred = malloc((size_t)n * k * sizeof *pred);
    if (!ref || !gref || !pred) CHECK(0, "out of memory");
    if (!m || !ref || !gref || !pred) goto done;
    if (dn_ws_new(m, n, threads, &ws, &err)) {
        CHECK(0, "%s: dn_ws_new: %s", c->name, err.msg);
        goto done;
    }

    /* Output activations and the loss of a forward pass. */
    const float *out = dn_forward(m, ws, c->X, n);
    CHECK(out != NULL, "%s: dn_forward returned NULL", c->name);
    if (!out) goto done;
    worst = fmax(worst, check_array(c->name, "out", out, ref, n * k));
    double E = dn_loss_value(m, ws, c->Y, n);
    if (w) {
        /* the weighted loss as dn_evaluate computes it */
        dn_data v = dn_data_view(n, c->n_in, c->loss == DN_LOSS_CE ? 1 : k,
                                 (float *)c->X, (float *)c->Y);
        v.w = (float *)w;
        dn_metrics mt;
        E = dn_evaluate(m, &v, &mt, &err) ? NAN : mt.loss;
        CHECK(isfinite(E), "%s: dn_evaluate: %s", c->name, err.msg);
    }
    CHECK_REL(E, c->loss_value, TOL, 0);
    worst = fmax(worst, fabs(E - c->loss_value) / c->loss_value);

    /* The gradient, and the loss dn_gradient returns with it. */
    double E2 = w ? dn_gradient_weighted(m, ws, c->X, c->Y, w, n)
                  : dn_gradient(m, ws, c->X, c->Y, n);
    CHECK_REL(E2, c->loss_value, TOL, 0);
    const float *g = dn_ws_grad(ws);
    worst = fmax(worst, check_array(c->name, "grad", g, gref, c->n_params));
    memcpy(bits, g, (size_t)c->n_params * sizeof *g);

    /* dn_predict gives the same outputs, mapped back to the targets'
     * units (y = mean + std · y') when the model has target scaling. */
    if (dn_predict(m, c->X, n, pred, &err)) {
        CHECK(0, "%s: dn_predict: %s", c->name, err.msg);
    } else {
        for (int i = 0; c->t_mean && i < n * k; i++)
            ref[i] = c->t_mean[i % k] + (double)c->t_std[i % k] * ref[i];
        worst = fmax(worst, check_array(c->name, "predict", pred, ref, n * k));
    }
done:
    free(ref);
    free(gref);
    free(pred);
    dn_ws_free(ws);
    dn_model_free(m);
    return worst;
}

/* The golden arrays must describe the networks they claim to: a typo in
 * the generator would otherwise test nothing. */
static void check_table(const golden_case *c)
{
    long p = 0;
    int in = c->n_in;
    for (int l = 0; l < c->n_layers; l++) {
        p += (long)c->units[l] * in + c->units[l];
        if (c->act[l] == DN_ACT_PRELU) p += c->units[l];
        in = c->units[l];
    }
    CHECK(p == c->n_params, "%s: architecture has %ld parameters, the "
          "table %d", c->name, p, c->n_params);
}

int main(void)
{
    CHECK(GOLDEN_N_CASES >= 4, "only %d golden cases", GOLDEN_N_CASES);
    for (int i = 0; i < GOLDEN_N_CASES + WGOLDEN_N_CASES; i++) {
        const int weighted = i >= GOLDEN_N_CASES;
        const golden_case *c = weighted ? &wgolden_cases[i - GOLDEN_N_CASES].c
                                        : &golden_cases[i];
        const float *w = weighted ? wgolden_cases[i - GOLDEN_N_CASES].w : NULL;
        size_t P = (size_t)c->n_params;
        float *g1 = calloc(P, sizeof *g1), *g2 = calloc(P, sizeof *g2);
        if (!g1 || !g2) {
            CHECK(0, "out of memory");
            free(g1);
            free(g2);
            break;
        }
        check_table(c);
        double worst = fmax(check_case(c, w, 1, g1), check_case(c, w, 2, g2));
        /* descent.h: the same bits whatever the thread count. */
        CHECK(memcmp(g1, g2, P * sizeof *g1) == 0, "%s: the gradient with "
              "2 threads differs from 1 thread", c->name);
        printf("%-30s %4zu parameters, %2d rows: max relative error %.2g\n",
               c->name, P, c->rows, worst);
        free(g1);
        free(g2);
    }
    return check_done("test_torch");
}
