/* test_landscape.c — the notes' test functions and the optimizers' paths
 * on them.  The gradients are checked against central differences, the
 * minima against their known values, and every optimizer's path from
 * dn_land_descend against the test's own loop of dn_opt_new/dn_opt_step
 * — bit for bit, since both must be the same float32 updates.  Then the
 * SVG: one polyline per path with one point per step, and the legend's
 * step counts and final values. */
#include "check.h"
#include "descent.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

static char tmp[64];

static void test_gradients(void)
{
    static const double pts[][2] = {
        { -1.5, 2 }, { 0.3, -0.7 }, { 2.5, 0.4 }, { -0.2, 1.1 }, { 1, 1 }
    };
    for (int f = 0; f < DN_LAND_COUNT; f++) {
        const dn_land_info *in = dn_land_get((dn_land)f);
        double worst = 0;
        for (size_t k = 0; k < sizeof pts / sizeof *pts; k++) {
            double p[2] = { pts[k][0], pts[k][1] }, g[2] = { 0, 0 };
            dn_land_eval((dn_land)f, p, g);
            for (int d = 0; d < in->dim; d++) {
                double h = 1e-6 * fmax(1, fabs(p[d])), q[2] = { p[0], p[1] };
                q[d] = p[d] + h;
                double fp = dn_land_eval((dn_land)f, q, NULL);
                q[d] = p[d] - h;
                double fm = dn_land_eval((dn_land)f, q, NULL);
                double fd = (fp - fm) / (2 * h);
                worst = fmax(worst, fabs(fd - g[d]) / fmax(1, fabs(fd)));
            }
        }
        CHECK(worst < 1e-6, "%s: gradient differs from central differences "
              "by %g", in->name, worst);
        /* The stated minimum: the value, and a zero gradient there. */
        double g[2] = { 1, 1 };
        double v = dn_land_eval((dn_land)f, in->argmin, g);
        CHECK(fabs(v - in->fmin) < 1e-12 && fabs(g[0]) < 1e-12 &&
              (in->dim == 1 || fabs(g[1]) < 1e-12), "%s: f(argmin) = %g "
              "(want %g), gradient (%g, %g)", in->name, v, in->fmin, g[0],
              in->dim == 2 ? g[1] : 0);
        dn_land parsed;
        dn_error err;
        CHECK(dn_land_parse(in->name, &parsed, &err) == DN_OK && (int)parsed == f,
              "parse '%s'", in->name);
    }
    /* Spot values, from the formulas by hand. */
    double p[2] = { 0, 0 };
    CHECK_NEAR(dn_land_eval(DN_LAND_PARABOLA, p, NULL), 9, 0);
    p[0] = -1.5; p[1] = 2;   /* (2.5)² + 100 (2 − 2.25)² = 6.25 + 6.25 */
    CHECK_NEAR(dn_land_eval(DN_LAND_ROSENBROCK, p, NULL), 12.5, 1e-12);
    p[0] = 1; p[1] = 1;      /* 1.5² + 2.25² + 2.625² */
    CHECK_NEAR(dn_land_eval(DN_LAND_BEALE, p, NULL), 14.203125, 1e-12);
    p[0] = 0; p[1] = 0;
    CHECK_NEAR(dn_land_eval(DN_LAND_SADDLE, p, NULL), 0, 0);
    dn_land bad;
    dn_error err;
    CHECK(dn_land_parse("himmelblau", &bad, &err) == DN_EARG &&
          strstr(err.msg, "rosenbrock"), "unknown function: %s", err.msg);
}

/* The path the optimizer itself takes, stepped here by hand. */
static int own_path(dn_land f, dn_opt_kind kind, double eta, int steps,
                    float *out)
{
    const dn_land_info *in = dn_land_get(f);
    dn_opt_conf c;
    dn_opt_defaults(&c, kind);
    dn_opt *o;
    dn_error err;
    if (dn_opt_new(&c, (size_t)in->dim, NULL, &o, &err)) return -1;
    float theta[2] = { (float)in->start[0], (float)in->start[1] };
    int n = 0;
    for (int k = 0; k <= steps; k++) {
        double p[2] = { theta[0], in->dim == 2 ? theta[1] : 0 }, g[2] = { 0, 0 };
        dn_land_eval(f, p, g);
        memcpy(out + n * in->dim, theta, sizeof(float) * (size_t)in->dim);
        n++;
        if (k == steps) break;
        float gf[2] = { (float)g[0], (float)g[1] };
        dn_opt_step(o, theta, gf, eta);
    }
    dn_opt_free(o);
    return n;
}

static void test_paths(void)
{
    enum { STEPS = 60 };
    float mine[(STEPS + 1) * 2], lib[(STEPS + 1) * 2];
    for (int f = 0; f < DN_LAND_COUNT; f++) {
        const dn_land_info *in = dn_land_get((dn_land)f);
        for (int k = 0; k < DN_OPT_COUNT; k++) {
            dn_opt_conf c;
            dn_opt_defaults(&c, (dn_opt_kind)k);
            double eta = k <= DN_OPT_NESTEROV ? in->eta_sgd : in->eta_adaptive;
            int n = -1;
            dn_error err;
            CHECK(dn_land_descend((dn_land)f, &c, eta, in->start, STEPS, lib,
                                  &n, &err) == DN_OK, "%s", err.msg);
            int m = own_path((dn_land)f, (dn_opt_kind)k, eta, STEPS, mine);
            CHECK(n == STEPS + 1 && m == n, "%s/%s: %d points, own loop %d",
                  in->name, dn_opt_name((dn_opt_kind)k), n, m);
            if (n == m && n > 0)
                CHECK(!memcmp(mine, lib, sizeof(float) * (size_t)(n * in->dim)),
                      "%s/%s: path differs from dn_opt_step's", in->name,
                      dn_opt_name((dn_opt_kind)k));
            /* And it descends: a lower value at the end. */
            double p0[2] = { lib[0], in->dim == 2 ? lib[1] : 0 };
            double p1[2] = { lib[(n - 1) * in->dim],
                             in->dim == 2 ? lib[(n - 1) * 2 + 1] : 0 };
            CHECK(dn_land_eval((dn_land)f, p1, NULL) <
                  dn_land_eval((dn_land)f, p0, NULL), "%s/%s does not descend",
                  in->name, dn_opt_name((dn_opt_kind)k));
        }
    }
    /* A rate far too large: the path stops at its last finite point. */
    float big[1001 * 2];
    dn_opt_conf c;
    dn_opt_defaults(&c, DN_OPT_SGD);
    int n = -1;
    dn_error err;
    CHECK(dn_land_descend(DN_LAND_ROSENBROCK, &c, 0.1, dn_land_get(
          DN_LAND_ROSENBROCK)->start, 1000, big, &n, &err) == DN_OK, "%s",
          err.msg);
    int finite = n > 0;
    for (int i = 0; i < 2 * n; i++) finite &= isfinite(big[i]) && fabs(big[i]) <= 1e6;
    CHECK(n > 1 && n < 20 && finite, "diverging path kept %d points (finite %d)",
          n, finite);
    const double origin[2] = { 0, 0 };
    CHECK(dn_land_descend(DN_LAND_BOWL, &c, -1, origin, 10, big, &n, &err) == DN_EARG,
          "a negative rate was accepted");
}

/* The solvers' paths: the test's own dn_minimize run, its iterates
 * recorded by its own callback, must give the same points. */
typedef struct { float xy[2 * 201]; int n, dim; } trace;

static int record(const dn_min_iter *it, void *user)
{
    trace *t = user;
    if (t->n < 201)
        for (int d = 0; d < t->dim; d++) t->xy[t->n * t->dim + d] = (float)it->x[d];
    t->n++;
    return 0;
}

static double fg_rosen(const double *x, double *g, void *user)
{
    (void)user;
    double a = 1 - x[0], b = x[1] - x[0] * x[0];
    if (g) { g[0] = -2 * a - 400 * x[0] * b; g[1] = 200 * b; }
    return a * a + 100 * b * b;
}

static void test_solvers(void)
{
    const dn_land_info *in = dn_land_get(DN_LAND_ROSENBROCK);
    for (int k = 0; k < DN_SOLVER_COUNT; k++) {
        if (k == DN_SOLVER_LM) continue;   /* needs residuals: below */
        dn_solver_conf c;
        dn_solver_defaults(&c, (dn_solver_kind)k);
        float lib[2 * 201];
        int n = -1;
        dn_min_result res;
        dn_error err;
        CHECK(dn_land_solve(DN_LAND_ROSENBROCK, &c, in->start, 200, lib, &n,
                            &res, &err) == DN_OK, "%s", err.msg);
        trace t = { { 0 }, 1, 2 };
        t.xy[0] = (float)in->start[0];
        t.xy[1] = (float)in->start[1];
        dn_problem p;
        memset(&p, 0, sizeof p);
        p.n = 2;
        p.fg = fg_rosen;
        c.max_iter = 200;
        double x[2] = { in->start[0], in->start[1] };
        dn_min_result own;
        CHECK(dn_minimize(&p, &c, x, record, &t, &own, &err) == DN_OK, "%s",
              err.msg);
        CHECK(n == t.n && n == res.iters + 1, "%s: %d points, own run %d, "
              "%d iterations", dn_solver_name((dn_solver_kind)k), n, t.n,
              res.iters);
        if (n == t.n)
            CHECK(!memcmp(lib, t.xy, sizeof(float) * 2 * (size_t)n), "%s: path "
                  "differs from dn_minimize's own iterates",
                  dn_solver_name((dn_solver_kind)k));
        CHECK(fabs(lib[2 * (n - 1)] - 1) < 1e-4 && fabs(lib[2 * (n - 1) + 1] - 1)
              < 1e-4 && n < 150, "%s ends at (%g, %g) after %d iterations",
              dn_solver_name((dn_solver_kind)k), lib[2 * (n - 1)],
              lib[2 * (n - 1) + 1], n - 1);
    }
    /* LM on the sums of squares; the saddle is none. */
    dn_solver_conf c;
    dn_solver_defaults(&c, DN_SOLVER_LM);
    float lib[2 * 101];
    int n = -1;
    dn_error err;
    CHECK(dn_land_solve(DN_LAND_ROSENBROCK, &c, in->start, 100, lib, &n, NULL,
                        &err) == DN_OK, "%s", err.msg);
    CHECK(n > 1 && n < 40 && fabs(lib[2 * (n - 1)] - 1) < 1e-4,
          "lm on rosenbrock: %d points, ends at x = %g", n, lib[2 * (n - 1)]);
    CHECK(dn_land_solve(DN_LAND_SADDLE, &c, in->start, 100, lib, &n, NULL,
                        &err) == DN_EARG && strstr(err.msg, "sum of squares"),
          "lm on the saddle: %s", err.msg);
    /* The parabola in one Newton step: C is its own quadratic model. */
    dn_solver_defaults(&c, DN_SOLVER_NEWTON);
    double w0 = 0;
    CHECK(dn_land_solve(DN_LAND_PARABOLA, &c, &w0, 10, lib, &n, NULL, &err)
          == DN_OK && n == 2 && fabs(lib[1] - 3) < 1e-6, "newton on the "
          "parabola: %d points, w1 = %g", n, n > 1 ? lib[1] : -1);
}

/* Points in the polyline with id="pathK". */
static int polyline_points(const char *svg, int k)
{
    char key[32];
    snprintf(key, sizeof key, "<polyline id=\"path%d\"", k);
    const char *p = svg ? strstr(svg, key) : NULL;
    if (!p || !(p = strstr(p, "points=\""))) return -1;
    int n = 0;
    for (p += 8; *p && *p != '"'; p++) n += *p == ',';
    return n;
}

static void test_plot(void)
{
    char path[128];
    dn_error err;
    for (int f = 0; f < DN_LAND_COUNT; f++) {
        const dn_land_info *in = dn_land_get((dn_land)f);
        enum { N = 3 };
        static const dn_opt_kind kinds[N] = { DN_OPT_SGD, DN_OPT_MOMENTUM,
                                              DN_OPT_ADAM };
        const int steps[N] = { 5, 40, 100 };
        float *xy[N];
        dn_land_path paths[N];
        double final[N];
        for (int k = 0; k < N; k++) {
            dn_opt_conf c;
            dn_opt_defaults(&c, kinds[k]);
            xy[k] = malloc(sizeof(float) * 2 * (steps[k] + 1));
            int n = 0;
            dn_land_descend((dn_land)f, &c, k < 2 ? in->eta_sgd
                            : in->eta_adaptive, in->start, steps[k], xy[k], &n,
                            &err);
            paths[k] = (dn_land_path){ .label = dn_opt_name(kinds[k]),
                                       .xy = xy[k], .n = n };
            double q[2] = { xy[k][(n - 1) * in->dim],
                            in->dim == 2 ? xy[k][(n - 1) * 2 + 1] : 0 };
            final[k] = dn_land_eval((dn_land)f, q, NULL);
        }
        snprintf(path, sizeof path, "%s/%s.svg", tmp, in->name);
        CHECK(dn_plot_landscape((dn_land)f, paths, N, NULL, path, &err) == DN_OK,
              "%s", err.msg);
        char *svg = check_slurp(path, NULL);
        for (int k = 0; k < N; k++) {
            CHECK(polyline_points(svg, k + 1) == steps[k] + 1, "%s path%d: %d "
                  "points, want %d", in->name, k + 1, polyline_points(svg, k + 1),
                  steps[k] + 1);
            char legend[96];
            snprintf(legend, sizeof legend, ">%d steps, f = %.4g</text>",
                     steps[k], final[k]);
            CHECK(svg && strstr(svg, legend), "%s: legend '%s' missing",
                  in->name, legend);
            free(xy[k]);
        }
        CHECK(polyline_points(svg, N + 1) == -1, "%s: an extra path", in->name);
        CHECK(svg && strstr(svg, "id=\"minimum\""), "%s: no minimum mark",
              in->name);
        if (in->dim == 1)
            CHECK(svg && strstr(svg, ">w0</text>") && strstr(svg, ">w5</text>")
                  && polyline_points(svg, 0) == -1 &&
                  strstr(svg, "<polyline id=\"curve\""),
                  "parabola: the curve or the step numbers are missing");
        else
            CHECK(svg && strstr(svg, "class=\"contours\"") &&
                  strstr(svg, "id=\"start\""), "%s: no contours or start",
                  in->name);
        free(svg);
    }
    CHECK(dn_plot_landscape(DN_LAND_COUNT, NULL, 0, NULL, path, &err) == DN_EARG,
          "an unknown function was drawn");
}

/* Levenberg-Marquardt on every sum of squares: the residuals and
 * Jacobians of the parabola, the bowl and Beale's function take it to
 * the known minimum (Beale's from (2, 0.2): from its classic start LM
 * follows the flat valley y = 1 out to x = -820). */
static void test_lm_everywhere(void)
{
    const dn_land fs[] = { DN_LAND_PARABOLA, DN_LAND_BOWL, DN_LAND_BEALE };
    for (int i = 0; i < 3; i++) {
        const dn_land_info *in = dn_land_get(fs[i]);
        dn_solver_conf c;
        dn_solver_defaults(&c, DN_SOLVER_LM);
        float path[2 * 201];
        int n = 0;
        dn_min_result r;
        dn_error err;
        const double beale[2] = { 2, 0.2 };
        dn_status st = dn_land_solve(fs[i], &c, fs[i] == DN_LAND_BEALE ? beale
                                     : in->start, 200, path, &n, &r, &err);
        const float *e = path + (size_t)(n - 1) * in->dim;
        double d = fabs(e[0] - in->argmin[0]) +
                   (in->dim == 2 ? fabs(e[1] - in->argmin[1]) : 0);
        CHECK(st == DN_OK && n > 1 && d < 1e-3, "lm on %s: %s, %d points, "
              "end (%g, %g), |end - argmin| %g", in->name,
              st ? err.msg : dn_stop_name(r.reason), n, e[0],
              in->dim == 2 ? e[1] : 0, d);
    }
}

int main(void)
{
    if (check_tmpdir(tmp)) return 1;
    RUN(test_gradients);
    RUN(test_paths);
    RUN(test_solvers);
    RUN(test_lm_everywhere);
    RUN(test_plot);
    check_rmdir(tmp);
    return check_done("test_landscape");
}
