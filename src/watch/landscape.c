/* landscape.c — the course notes' pictures of gradient descent: small
 * functions of one or two parameters with known minima, and the path an
 * optimizer takes on them.  The path comes from dn_opt_step, the very
 * update that trains networks, on a parameter vector of length 1 or 2. */
#include "nn/nn.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Learning rates chosen so that each family shows its character on each
 * function without diverging: the SGD family (sgd, momentum, nesterov)
 * is bounded by the largest curvature, the adaptive ones (adagrad,
 * rmsprop, adam, adamw) move about eta per step whatever the scale.
 * Each entry ends with the reserved tail, zero. */
static const dn_land_info INFO[DN_LAND_COUNT] = {
    [DN_LAND_PARABOLA] = {
        "parabola", "C(w) = (w - 3)^2", 1,
        { 0, 0 }, { -1, 7, 0, 0 }, { 3, 0 }, 0, 0, 10, 0.1, 0.5, { 0 } },
    [DN_LAND_BOWL] = {
        "bowl", "f(x, y) = x^2 + 10 y^2", 2,
        { -4, 1.5 }, { -5, 5, -2.5, 2.5 }, { 0, 0 }, 0, 0, 100, 0.04, 0.2, { 0 } },
    [DN_LAND_ROSENBROCK] = {
        "rosenbrock", "f(x, y) = (1 - x)^2 + 100 (y - x^2)^2", 2,
        { -1.5, 2 }, { -2, 2, -1, 3 }, { 1, 1 }, 0, 1, 1000, 0.0005, 0.02, { 0 } },
    [DN_LAND_BEALE] = {
        "beale", "f(x, y) = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + "
                 "(2.625 - x + xy^3)^2", 2,
        { 1, 1.5 }, { -4.5, 4.5, -4.5, 4.5 }, { 3, 0.5 }, 0, 1, 1000,
        0.001, 0.02, { 0 } },
    [DN_LAND_SADDLE] = {
        "saddle", "f(x, y) = x^2 - y^2/2 + y^4/4", 2,
        { -1.5, 0.01 }, { -2, 2, -2, 2 }, { 0, 1 }, -0.25, 0, 200,
        0.05, 0.05, { 0 } },
};

const dn_land_info *dn_land_get(dn_land f)
{
    return (unsigned)f < DN_LAND_COUNT ? &INFO[f] : NULL;
}

dn_status dn_land_parse(const char *s, dn_land *out, dn_error *err)
{
    DN_NEED(out);
    for (int f = 0; f < DN_LAND_COUNT; f++)
        if (s && !strcmp(s, INFO[f].name)) { *out = (dn_land)f; return DN_OK; }
    return dn_fail(err, DN_EARG, "unknown function '%s'; use parabola, bowl, "
                   "rosenbrock, beale or saddle", s ? s : "(null)");
}

double dn_land_eval(dn_land f, const double *p, double *g)
{
    double x = p[0], y = dn_land_get(f) && INFO[f].dim == 2 ? p[1] : 0;
    double gx = 0, gy = 0, v = NAN;
    switch (f) {
    case DN_LAND_PARABOLA:
        v = (x - 3) * (x - 3);
        gx = 2 * (x - 3);
        break;
    case DN_LAND_BOWL:
        v = x * x + 10 * y * y;
        gx = 2 * x;
        gy = 20 * y;
        break;
    case DN_LAND_ROSENBROCK: {
        double a = 1 - x, b = y - x * x;
        v = a * a + 100 * b * b;
        gx = -2 * a - 400 * x * b;
        gy = 200 * b;
        break;
    }
    case DN_LAND_BEALE: {
        /* Three residuals r_i = c_i - x + x y^i, f = Σ r_i². */
        static const double c[3] = { 1.5, 2.25, 2.625 };
        double yi = 1;
        v = 0;
        for (int i = 1; i <= 3; i++) {
            double dy = i * yi;        /* d(y^i)/dy = i y^(i-1) */
            yi *= y;
            double r = c[i - 1] - x + x * yi;
            v += r * r;
            gx += 2 * r * (yi - 1);
            gy += 2 * r * x * dy;
        }
        break;
    }
    case DN_LAND_SADDLE:
        v = x * x - y * y / 2 + y * y * y * y / 4;
        gx = 2 * x;
        gy = -y + y * y * y;
        break;
    default:
        break;
    }
    if (g) {
        g[0] = gx;
        if (dn_land_get(f) && INFO[f].dim == 2) g[1] = gy;
    }
    return v;
}

/* The arguments dn_land_descend and dn_land_solve (fn, for messages)
 * check alike: a start, room for the path, a known function (*in) and a
 * step count in range.  *n_points starts at 0. */
static dn_status path_args(const char *fn, dn_land f, const double *start,
                           int steps, const float *path, int *n_points,
                           const dn_land_info **in, dn_error *err)
{
    if (!start) return dn_null(err, fn, "start");
    if (!path) return dn_null(err, fn, "path");
    if (!n_points) return dn_null(err, fn, "n_points");
    *n_points = 0;
    *in = dn_land_get(f);
    if (!*in) return dn_fail(err, DN_EARG, "unknown function %d", (int)f);
    if (steps < 0 || steps > 10000000)
        return dn_fail(err, DN_EARG, "steps must be from 0 to 10000000, got "
                       "%d", steps);
    return DN_OK;
}

dn_status dn_land_descend(dn_land f, const dn_opt_conf *c, double eta,
                          const double *start, int steps, float *path,
                          int *n_points, dn_error *err)
{
    const dn_land_info *in;
    dn_status st = path_args(__func__, f, start, steps, path, n_points, &in,
                             err);
    if (st) return st;
    if (!isfinite(eta) || eta < 0)
        return dn_fail(err, DN_EARG, "learning rate must be a finite number "
                       "≥ 0, got %g", eta);
    const int d = in->dim;
    dn_opt *o;
    st = dn_opt_new(c, (size_t)d, NULL, &o, err);
    if (st) return st;
    /* theta is float32 as a network's parameters are, so the path is
     * the one training would take; f and g are evaluated in double at
     * that float point. */
    float theta[2] = { (float)start[0], d == 2 ? (float)start[1] : 0 };
    float g[2];
    int n = 0;
    for (int k = 0;; k++) {
        double p[2] = { theta[0], theta[1] }, gd[2] = { 0, 0 };
        double v = dn_land_eval(f, p, gd);
        /* A diverging path ends at its last finite point. */
        if (!isfinite(v) || fabs(p[0]) > 1e6 || fabs(p[1]) > 1e6) break;
        memcpy(path + (size_t)n * d, theta, (size_t)d * sizeof *theta);
        n++;
        if (k == steps) break;
        g[0] = (float)gd[0];
        g[1] = (float)gd[1];
        dn_opt_step(o, theta, g, eta);
    }
    dn_opt_free(o);
    *n_points = n;
    return DN_OK;
}

/* ---- full-batch solvers ---- */

/* Every function but the saddle is a sum of squares, f = Σ r_k², which
 * is what Levenberg–Marquardt needs: r and its Jacobian.  Returns the
 * number of residuals (0: not a sum of squares). */
static int residuals(dn_land f, const double *p, double *e, double *J)
{
    const int d = INFO[f].dim;
    double x = p[0], y = d == 2 ? p[1] : 0;
    switch (f) {
    case DN_LAND_PARABOLA:
        e[0] = x - 3;
        if (J) J[0] = 1;
        return 1;
    case DN_LAND_BOWL:
        e[0] = x;
        e[1] = sqrt(10.0) * y;
        if (J) { J[0] = 1; J[1] = 0; J[2] = 0; J[3] = sqrt(10.0); }
        return 2;
    case DN_LAND_ROSENBROCK:
        e[0] = 1 - x;
        e[1] = 10 * (y - x * x);
        if (J) { J[0] = -1; J[1] = 0; J[2] = -20 * x; J[3] = 10; }
        return 2;
    case DN_LAND_BEALE: {
        static const double c[3] = { 1.5, 2.25, 2.625 };
        double yi = 1;
        for (int i = 1; i <= 3; i++) {
            double dy = i * yi;
            yi *= y;
            e[i - 1] = c[i - 1] - x + x * yi;
            if (J) { J[2 * (i - 1)] = yi - 1; J[2 * (i - 1) + 1] = x * dy; }
        }
        return 3;
    }
    default:
        return 0;
    }
}

typedef struct {
    dn_land f;
    float  *path;
    int     n, max, dim;
} solve_run;

static double land_fg(const double *x, double *g, void *user)
{
    return dn_land_eval(((const solve_run *)user)->f, x, g);
}

static int land_resid(const double *x, int i, double *e, double *J, void *user)
{
    (void)i;
    return residuals(((const solve_run *)user)->f, x, e, J) ? 0 : 1;
}

/* Each accepted iterate joins the path. */
static int land_iter(const dn_min_iter *it, void *user)
{
    solve_run *r = user;
    if (r->n < r->max)
        for (int d = 0; d < r->dim; d++)
            r->path[(size_t)r->n * r->dim + d] = (float)it->x[d];
    r->n++;
    return 0;
}

dn_status dn_land_solve(dn_land f, const dn_solver_conf *c,
                        const double *start, int steps, float *path,
                        int *n_points, dn_min_result *res, dn_error *err)
{
    const dn_land_info *in;
    dn_status st = path_args(__func__, f, start, steps, path, n_points, &in,
                             err);
    if (st) return st;
    double e[3];
    if (c->kind == DN_SOLVER_LM && !residuals(f, start, e, NULL))
        return dn_fail(err, DN_EARG, "lm needs a sum of squares; %s is not "
                       "one (%s): use lbfgs, cg or newton", in->name,
                       in->formula);
    solve_run r = { f, path, 0, steps + 1, in->dim };
    dn_problem p;
    memset(&p, 0, sizeof p);
    p.n = (size_t)in->dim;
    p.fg = land_fg;
    p.user = &r;
    if (c->kind == DN_SOLVER_LM) {
        /* f = Σ r² = 2 · ½ Σ r²: LM's scale 2 makes its f this f. */
        p.resid = land_resid;
        p.n_samples = 1;
        p.n_resid = residuals(f, start, e, NULL);
        p.scale = 2;
    }
    dn_solver_conf conf = *c;
    conf.max_iter = steps;
    double x[2] = { start[0], in->dim == 2 ? start[1] : 0 };
    for (int d = 0; d < in->dim; d++) path[d] = (float)start[d];
    r.n = 1;
    dn_min_result local;
    if (steps > 0)
        st = dn_minimize(&p, &conf, x, land_iter, &r, res ? res : &local, err);
    *n_points = r.n < r.max ? r.n : r.max;
    return st;
}
