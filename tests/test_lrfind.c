/* test_lrfind.c — the learning-rate range test (dn_lr_find): the rates
 * are the exponential sweep, the smoothed loss the bias-corrected moving
 * average of the recorded losses, the suggestion the steepest fall
 * before the lowest point, divergence found where the loss blows up,
 * the model left exactly as it was, and every bad setting refused by
 * name.  The picture is an SVG with the series and marks named. */
#include "check.h"
#include "descent.h"
#include "nn/nn.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* y = 2 x1 − x2 + 0.5, 256 rows: a regression a linear model can fit. */
static dn_data *plane(void)
{
    dn_data *D = calloc(1, sizeof *D);
    D->n = 256; D->d = 2; D->k = 1;
    D->X = malloc(sizeof(float) * 512);
    D->Y = malloc(sizeof(float) * 256);
    dn_rng r;
    dn_rng_seed(&r, 7);
    for (int i = 0; i < 256; i++) {
        float a = (float)(2 * dn_rng_uniform(&r) - 1);
        float b = (float)(2 * dn_rng_uniform(&r) - 1);
        D->X[2 * i] = a;
        D->X[2 * i + 1] = b;
        D->Y[i] = 2 * a - b + 0.5f;
    }
    return D;
}

static dn_model *net(void)
{
    dn_arch A;
    memset(&A, 0, sizeof A);
    A.n_in = 2;
    A.n_layers = 2;
    A.layer[0] = (dn_layer){ .units = 8, .act = DN_ACT_TANH };
    A.layer[1] = (dn_layer){ .units = 1, .act = DN_ACT_IDENTITY };
    A.loss = DN_LOSS_MSE;
    dn_model *m = NULL;
    dn_error err;
    if (dn_model_new(&A, &m, &err)) return NULL;
    dn_model_init(m, DN_INIT_DEFAULT, 0, 3);
    return m;
}

static void test_sweep(void)
{
    dn_data *D = plane();
    dn_model *m = net();
    dn_train_opts o;
    dn_train_defaults(&o);
    o.batch = 16;
    o.opt.kind = DN_OPT_SGD;
    dn_lr_find_conf c;
    dn_lr_find_defaults(&c);
    CHECK(c.eta_min == 1e-7 && c.eta_max == 10 && c.steps == 200 &&
          c.beta == 0.98 && c.diverge == 4, "defaults");
    const size_t P = dn_model_n_params(m);
    float *before = malloc(P * sizeof *before);
    memcpy(before, dn_model_params(m), P * sizeof *before);
    dn_lr_find_result r;
    dn_error err;
    CHECK(dn_lr_find(m, D, &o, &c, &r, &err) == DN_OK, "%s", err.msg);
    CHECK(memcmp(before, dn_model_params(m), P * sizeof *before) == 0,
          "the range test changed the model");
    CHECK(r.n >= 3 && r.n <= c.steps, "steps %d", r.n);
    /* SGD on a squared loss diverges well before eta 10 */
    CHECK(isfinite(r.diverged) && r.n < c.steps, "no divergence (%d steps)",
          r.n);
    double avg = 0;
    for (int k = 0; k < r.n; k++) {
        double want = 1e-7 * pow(1e8, k / 199.0);
        CHECK_REL(r.eta[k], want, 1e-12, 0);
        avg = 0.98 * avg + 0.02 * r.loss[k];
        CHECK_REL(r.smooth[k], avg / (1 - pow(0.98, k + 1)), 1e-12, 0);
    }
    CHECK(r.diverged == r.eta[r.n - 1], "diverged at %g, the last step %g",
          r.diverged, r.eta[r.n - 1]);
    CHECK(r.smooth[r.n - 1] > 4 * r.smooth[r.i_lowest] ||
          !isfinite(r.smooth[r.n - 1]), "stopped before 4x the lowest");
    for (int k = 0; k < r.n; k++)
        CHECK(r.smooth[k] >= r.smooth[r.i_lowest], "step %d below the "
              "lowest", k);
    /* the suggestion: the steepest slope before the lowest point */
    CHECK(r.suggest == r.eta[r.i_suggest] && r.suggest < r.diverged,
          "suggestion at step %d, lowest %d", r.i_suggest, r.i_lowest);
    /* the centred averages, w = 200 / 20 = 10, and their slopes */
    double cavg[200], steep = INFINITY;
    int at = -1, clo = 0;
    for (int k = 0; k < r.n; k++) {
        int a = k > 10 ? k - 10 : 0, b = k + 10 < r.n - 1 ? k + 10 : r.n - 1;
        double s = 0;
        for (int j = a; j <= b; j++) s += r.loss[j];
        cavg[k] = s / (b - a + 1);
        if (cavg[k] < cavg[clo]) clo = k;
    }
    for (int k = 10; k <= clo; k++) {
        int a = k - 10, b = k + 10 < clo ? k + 10 : clo;
        double s = (cavg[b] - cavg[a]) / log10(r.eta[b] / r.eta[a]);
        if (s < steep) { steep = s; at = k; }
    }
    CHECK(at == r.i_suggest, "steepest at %d, suggested %d", at, r.i_suggest);
    CHECK(steep < 0, "the loss did not fall (slope %g)", steep);
    CHECK(strstr(r.how, "steepest") != NULL, "how: %s", r.how);
    /* training at the suggestion lowers the loss */
    o.eta = r.suggest;
    o.epochs = 5;
    dn_result res;
    CHECK(dn_train(m, D, NULL, &o, &res, &err) == DN_OK, "%s", err.msg);
    CHECK(res.last.train_loss < 0.5 * r.smooth[0], "trained at %g: loss %g, "
          "at the start %g", r.suggest, res.last.train_loss, r.smooth[0]);
    /* the picture */
    CHECK(dn_plot_lr_find(&r, "plane", "test_lrfind.svg", &err) == DN_OK,
          "%s", err.msg);
    FILE *f = fopen("test_lrfind.svg", "r");
    char buf[1 << 16];
    size_t len = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    buf[len] = 0;
    if (f) fclose(f);
    remove("test_lrfind.svg");
    CHECK(strstr(buf, "id=\"smooth\"") && strstr(buf, "id=\"loss\"") &&
          strstr(buf, "id=\"suggest\"") && strstr(buf, "id=\"diverged\"") &&
          strstr(buf, "</svg>"), "the SVG lacks a part");
    dn_lr_find_free(&r);
    CHECK(r.eta == NULL && r.n == 0, "freed");
    dn_lr_find_free(NULL);
    CHECK(dn_plot_lr_find(&r, NULL, "x.svg", &err) == DN_EARG, "empty plot");
    /* rates so large that the loss only rises: nothing falls to measure,
     * so a tenth of the rate at the lowest point (the first) */
    c.eta_min = 100;
    c.eta_max = 1e4;
    c.steps = 20;
    CHECK(dn_lr_find(m, D, &o, &c, &r, &err) == DN_OK, "%s", err.msg);
    CHECK(r.i_lowest == 0 && isfinite(r.diverged), "lowest at %d",
          r.i_lowest);
    CHECK(r.suggest == 10 && strstr(r.how, "tenth"), "fallback: %g, %s",
          r.suggest, r.how);
    dn_lr_find_free(&r);
    free(before);
    dn_model_free(m);
    dn_data_free(D);
}

static void test_refused(void)
{
    dn_data *D = plane();
    dn_model *m = net();
    dn_train_opts o;
    dn_train_defaults(&o);
    struct { const char *what; double a, b; int steps; double beta, div; }
    bad[] = {
        { "start rate", 0, 10, 200, 0.98, 4 },
        { "end rate", 1e-3, 1e-4, 200, 0.98, 4 },
        { "end rate", 1e-3, INFINITY, 200, 0.98, 4 },
        { "steps", 1e-7, 10, 2, 0.98, 4 },
        { "beta", 1e-7, 10, 200, 1, 4 },
        { "beta", 1e-7, 10, 200, NAN, 4 },
        { "diverge", 1e-7, 10, 200, 0.98, 1 },
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        dn_lr_find_conf c = { .eta_min = bad[i].a, .eta_max = bad[i].b,
                              .steps = bad[i].steps, .beta = bad[i].beta,
                              .diverge = bad[i].div };
        dn_lr_find_result r;
        dn_error err;
        CHECK(dn_lr_find(m, D, &o, &c, &r, &err) == DN_EARG &&
              strstr(err.msg, bad[i].what) && strstr(err.msg, "range"),
              "%s: %s", bad[i].what, err.msg);
    }
    dn_lr_find_conf c;
    dn_lr_find_defaults(&c);
    dn_lr_find_result r;
    dn_error err;
    CHECK(dn_lr_find(NULL, D, &o, &c, &r, &err) == DN_EARG, "NULL model");
    D->d = 3;   /* does not fit the model */
    CHECK(dn_lr_find(m, D, &o, &c, &r, &err) == DN_EARG, "width: %s", err.msg);
    D->d = 2;
    dn_model_free(m);
    dn_data_free(D);
}

/* The picture of a range test built by hand: one rate only (the axis
 * widens around it), no finite smoothed loss (the axis falls back to
 * [0, 1]), no divergence (no mark), no title (no 30 pixels for it), and 5000 steps (the legend
 * samples them); a result without rates is refused. */
static void test_plot_edges(void)
{
    enum { N = 5000 };
    static double eta[N], loss[N], sm[N];
    dn_lr_find_result r = { 0 };
    r.eta = eta, r.loss = loss, r.smooth = sm;
    r.n = 3;
    for (int i = 0; i < 3; i++) eta[i] = 0.01, loss[i] = sm[i] = NAN;
    r.suggest = 0.01;
    r.diverged = NAN;
    dn_error err;
    const char *path = "test_lrfind_edges.svg";
    CHECK(dn_plot_lr_find(&r, NULL, path, &err) == DN_OK, "%s", err.msg);
    char *svg = check_slurp(path, NULL);
    CHECK(svg && strstr(svg, "id=\"suggest\"") && !strstr(svg, "diverged") &&
          strstr(svg, "height=\"420\"") && strstr(svg, "</svg>"),
          "one rate, no finite loss: %s", svg ? svg : "(none)");
    free(svg);
    for (int i = 0; i < N; i++) {
        eta[i] = 1e-5 * pow(1e6, (double)i / (N - 1));
        loss[i] = sm[i] = 2 - (double)i / N;
    }
    r.n = N;
    r.suggest = 1e-3;
    r.diverged = 0.5;
    CHECK(dn_plot_lr_find(&r, "long", path, &err) == DN_OK, "%s", err.msg);
    svg = check_slurp(path, NULL);
    CHECK(svg && strstr(svg, "id=\"diverged\"") && strstr(svg, "diverged 0.5") &&
          strstr(svg, "height=\"450\"") &&
          strstr(svg, "font-weight=\"bold\">long<") &&
          strstr(svg, "suggested 0.001"), "5000 steps: %.300s", svg ? svg : "(none)");
    free(svg);
    remove(path);
    r.eta = NULL;
    CHECK(dn_plot_lr_find(&r, NULL, path, &err) == DN_EARG &&
          strstr(err.msg, "cannot plot 'test_lrfind_edges.svg': the range "
                 "test has no steps"), "%s", err.msg);
    CHECK(dn_plot_lr_find(NULL, NULL, NULL, &err) == DN_EARG &&
          strstr(err.msg, "cannot plot '': the range"), "%s", err.msg);
}

/* The steps run in training's floating-point mode (kernels/fpmode.h),
 * as dn_train's do: with the output layer's weights subnormal and its
 * bias 0, the flush reads them as 0, so every output is 0 and so is the
 * loss on targets of 0 (outside the mode the outputs are subnormal, and
 * their squares, taken in double, are not 0).  The caller's mode is
 * back afterwards. */
static void test_flush_mode(void)
{
    dn_data *D = plane();
    dn_model *m = net();
    for (int i = 0; i < D->n; i++) D->Y[i] = 0;
    float *W = m->theta + m->off_W[1], *b = m->theta + m->off_b[1];
    for (int j = 0; j < 8; j++) W[j] = 1e-40f;
    b[0] = 0;
    dn_train_opts o;
    dn_train_defaults(&o);
    o.batch = 16;
    o.opt.kind = DN_OPT_SGD;
    dn_lr_find_conf c;
    dn_lr_find_defaults(&c);
    c.steps = 5;
    dn_lr_find_result r;
    dn_error err;
    const float before = 1e-40f * 3;   /* a subnormal product, outside */
    CHECK(before != 0, "subnormals are not flushed outside the mode");
    CHECK(dn_lr_find(m, D, &o, &c, &r, &err) == DN_OK, "%s", err.msg);
    CHECK(r.n == 5, "%d steps", r.n);
#if defined(__x86_64__)   /* (the mode flushes on x86 only) */
    for (int k = 0; k < r.n; k++)
        CHECK(r.loss[k] == 0, "step %d: loss %g, not 0: the step ran "
              "without the flush", k, r.loss[k]);
#endif
    volatile float s = 1e-40f;
    CHECK(s * 3 != 0, "the caller's mode (no flush) is not back");
    dn_lr_find_free(&r);
    dn_model_free(m);
    dn_data_free(D);
}

int main(void)
{
    RUN(test_sweep);
    RUN(test_refused);
    RUN(test_plot_edges);
    RUN(test_flush_mode);
    return check_done("test_lrfind");
}
