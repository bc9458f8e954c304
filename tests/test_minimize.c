/* test_minimize.c — the full-batch minimizer (dn_minimize) through the
 * general API, on functions of a few unknowns whose minima are known:
 * L-BFGS, CG, LM, Newton and HF on Rosenbrock, a quadratic bowl and an
 * exponential fit, the strong Wolfe conditions at every accepted step,
 * the stopping rules and budgets, and Cholesky of a shifted matrix.
 * (The solvers on networks: test_solvers.c.) */
#include "check.h"
#include "descent.h"
#include "optim/optim.h"   /* Cholesky */
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Plain functions                                                     */
/* ------------------------------------------------------------------ */

/* Rosenbrock's valley, minimum 0 at (1, 1). */
static double rosen(const double *x, double *g, void *u)
{
    (void)u;
    double a = 1 - x[0], b = x[1] - x[0] * x[0];
    if (g) {
        g[0] = -2 * a - 400 * x[0] * b;
        g[1] = 200 * b;
    }
    return a * a + 100 * b * b;
}

static int rosen_hess(const double *x, double *H, void *u)
{
    (void)u;
    H[0] = 2 - 400 * (x[1] - 3 * x[0] * x[0]);
    H[1] = H[2] = -400 * x[0];
    H[3] = 200;
    return 0;
}

/* A bowl ½ Σ (i+1) x_i²: eigenvalues 1..10, minimum 0 at the origin. */
#define NB 10
static double bowl(const double *x, double *g, void *u)
{
    (void)u;
    double f = 0;
    for (int i = 0; i < NB; i++) {
        f += 0.5 * (i + 1) * x[i] * x[i];
        if (g) g[i] = (i + 1) * x[i];
    }
    return f;
}

static double bowl1000(const double *x, double *g, void *u)
{
    double f = 1000 * bowl(x, g, u);
    for (int i = 0; g && i < NB; i++) g[i] *= 1000;
    return f;
}

static int bowl_hess(const double *x, double *H, void *u)
{
    (void)x; (void)u;
    memset(H, 0, sizeof(double) * NB * NB);
    for (int i = 0; i < NB; i++) H[i * NB + i] = i + 1;
    return 0;
}

/* Σ (x_i − ln x_i): undefined (NaN) for x_i ≤ 0, minimum n at x = 1. */
static double logbarrier(const double *x, double *g, void *u)
{
    (void)u;
    double f = 0;
    for (int i = 0; i < 3; i++) {
        if (!(x[i] > 0)) return NAN;
        f += x[i] - log(x[i]);
        if (g) g[i] = 1 - 1 / x[i];
    }
    return f;
}

/* x⁴/4 − x²/2 + y²/2: a saddle at the origin, minima −1/4 at (±1, 0). */
static double saddle(const double *x, double *g, void *u)
{
    (void)u;
    if (g) {
        g[0] = x[0] * x[0] * x[0] - x[0];
        g[1] = x[1];
    }
    return 0.25 * pow(x[0], 4) - 0.5 * x[0] * x[0] + 0.5 * x[1] * x[1];
}

static int saddle_hess(const double *x, double *H, void *u)
{
    (void)u;
    H[0] = 3 * x[0] * x[0] - 1;
    H[1] = H[2] = 0;
    H[3] = 1;
    return 0;
}

/* A quadratic computed in float32, like a network's loss: near its
 * minimum the rounding of f hides every further decrease. */
static long f32_calls;
static double bowl_f32(const double *x, double *g, void *u)
{
    (void)u;
    f32_calls++;
    float f = 0;
    for (int i = 0; i < 5; i++) {
        float e = (float)x[i] - 0.3f, gi = (float)(i + 1) * e;
        f += 0.5f * gi * e + 0.2f;
        if (g) g[i] = gi;
    }
    return f;
}

/* Every accepted step checked against the strong Wolfe conditions with
 * s = x_k − x_{k−1} (the direction times alpha):
 *   f_k ≤ f_{k−1} + c1 g_{k−1}ᵀs   and   |g_kᵀs| ≤ c2 |g_{k−1}ᵀs|. */
typedef struct {
    size_t n;
    double c1, c2;
    double x[NB], g[NB], f;
    int steps, wolfe_flags, broken, stop_at;
} watch;

static void watch_start(watch *w, size_t n, const dn_solver_conf *c,
                        const double *x, dn_fg_fn fg)
{
    memset(w, 0, sizeof *w);
    w->n = n;
    w->c1 = c->c1;
    w->c2 = c->c2;
    memcpy(w->x, x, n * sizeof *x);
    w->f = fg(w->x, w->g, NULL);
}

static int on_step(const dn_min_iter *it, void *user)
{
    watch *w = user;
    double gs0 = 0, gs1 = 0;
    for (size_t i = 0; i < w->n; i++) {
        double s = it->x[i] - w->x[i];
        gs0 += w->g[i] * s;
        gs1 += it->g[i] * s;
    }
    double slack = 1e-12 * (fabs(w->f) + fabs(gs0));
    int armijo = it->f <= w->f + w->c1 * gs0 + slack;
    int curv = fabs(gs1) <= w->c2 * fabs(gs0) + slack;
    w->steps++;
    w->wolfe_flags += it->wolfe;
    /* A step the solver calls Wolfe must be one; and on these smooth
     * float64 problems every step must be one. */
    if (!(armijo && curv)) w->broken++;
    memcpy(w->x, it->x, w->n * sizeof *w->x);
    memcpy(w->g, it->g, w->n * sizeof *w->g);
    w->f = it->f;
    return w->stop_at && it->iter >= w->stop_at;
}

/* Runs one solver on Rosenbrock from (−1.2, 1) and checks the result,
 * the iteration count against [lo, hi] and every step's Wolfe
 * conditions. */
static void rosenbrock(dn_solver_kind kind, int exact_hessian, int lo, int hi)
{
    dn_solver_conf c;
    dn_solver_defaults(&c, kind);
    c.gtol = 1e-8;
    dn_problem p = { .n = 2, .fg = rosen,
                     .hess = exact_hessian ? rosen_hess : NULL };
    double x[2] = { -1.2, 1 };
    watch w;
    watch_start(&w, 2, &c, x, rosen);
    dn_min_result r;
    dn_error err;
    dn_status st = dn_minimize(&p, &c, x, on_step, &w, &r, &err);
    const char *name = dn_solver_name(kind);
    CHECK(st == DN_OK, "%s: %s", name, err.msg);
    CHECK(r.reason == DN_STOP_GRADIENT, "%s stopped: %s", name,
          dn_stop_name(r.reason));
    CHECK(fabs(x[0] - 1) < 1e-7 && fabs(x[1] - 1) < 1e-7,
          "%s: x = (%.12g, %.12g)", name, x[0], x[1]);
    CHECK(r.iters >= lo && r.iters <= hi, "%s%s on Rosenbrock: %d iterations, "
          "expected %d..%d", name, exact_hessian ? " (exact H)" : "", r.iters,
          lo, hi);
    CHECK(w.steps == r.iters && w.broken == 0 && w.wolfe_flags == w.steps,
          "%s: %d steps, %d break the strong Wolfe conditions, %d flagged",
          name, w.steps, w.broken, w.wolfe_flags);
}

static void bowl_run(dn_solver_kind kind, int exact_hessian, int max_iters)
{
    dn_solver_conf c;
    dn_solver_defaults(&c, kind);
    c.gtol = 1e-10;
    dn_problem p = { .n = NB, .fg = bowl,
                     .hess = exact_hessian ? bowl_hess : NULL };
    double x[NB];
    for (int i = 0; i < NB; i++) x[i] = 1;
    watch w;
    watch_start(&w, NB, &c, x, bowl);
    dn_min_result r;
    dn_error err;
    dn_status st = dn_minimize(&p, &c, x, on_step, &w, &r, &err);
    double worst = 0;
    for (int i = 0; i < NB; i++) worst = fmax(worst, fabs(x[i]));
    CHECK(st == DN_OK && r.reason == DN_STOP_GRADIENT && worst < 1e-9,
          "%s on the bowl: %s, |x|max %.3g", dn_solver_name(kind),
          dn_stop_name(r.reason), worst);
    CHECK(r.iters <= max_iters, "%s%s on the %d-dim bowl: %d iterations, "
          "at most %d expected", dn_solver_name(kind),
          exact_hessian ? " (exact H)" : "", NB, r.iters, max_iters);
    CHECK(w.broken == 0 && w.wolfe_flags == w.steps, "%s bowl: %d of %d "
          "steps break strong Wolfe", dn_solver_name(kind), w.broken, w.steps);
}

static void test_plain_functions(void)
{
    /* Measured 37, 36, 22, 22; the ranges leave room for harmless
     * changes and catch a broken direction or line search. */
    rosenbrock(DN_SOLVER_LBFGS, 0, 30, 45);
    rosenbrock(DN_SOLVER_CG, 0, 25, 50);
    rosenbrock(DN_SOLVER_NEWTON, 1, 18, 26);
    rosenbrock(DN_SOLVER_NEWTON, 0, 18, 26);  /* differenced Hessian */
    /* CG's steps are exact on a quadratic (the cubic interpolation is),
     * so it ends in at most n iterations; Newton in one. */
    bowl_run(DN_SOLVER_CG, 0, NB);
    bowl_run(DN_SOLVER_NEWTON, 1, 1);
    bowl_run(DN_SOLVER_NEWTON, 0, 1);
    bowl_run(DN_SOLVER_LBFGS, 0, 25);  /* measured 20 */

    /* H0 = (sᵀy / yᵀy) I makes L-BFGS blind to the scale of f: 1000 f
     * takes the same iterations and evaluations (with H0 = I it does
     * not: the unit step is then 1000 times too long). */
    dn_solver_conf c;
    dn_min_result r1, r2;
    dn_error err;
    dn_solver_defaults(&c, DN_SOLVER_LBFGS);
    c.gtol = 1e-8;
    double x1[NB], x2[NB];
    for (int i = 0; i < NB; i++) x1[i] = x2[i] = 1;
    dn_problem p1 = { .n = NB, .fg = bowl }, p2 = { .n = NB, .fg = bowl1000 };
    dn_minimize(&p1, &c, x1, NULL, NULL, &r1, &err);
    c.gtol *= 1000;
    dn_minimize(&p2, &c, x2, NULL, NULL, &r2, &err);
    CHECK(r1.iters == r2.iters && r1.evals == r2.evals && r1.iters > 5,
          "L-BFGS on f and 1000 f: %d and %d iterations, %ld and %ld "
          "evaluations", r1.iters, r2.iters, r1.evals, r2.evals);

    /* Near the saddle H is indefinite and the pure Newton step heads for
     * the saddle; the shifted H + tau I turns it downhill, to a minimum. */
    dn_solver_defaults(&c, DN_SOLVER_NEWTON);
    c.gtol = 1e-10;
    dn_problem ps = { .n = 2, .fg = saddle, .hess = saddle_hess };
    double xs[2] = { 0.05, 1 };
    dn_status sst = dn_minimize(&ps, &c, xs, NULL, NULL, &r1, &err);
    CHECK(sst == DN_OK && r1.reason == DN_STOP_GRADIENT &&
          fabs(fabs(xs[0]) - 1) < 1e-8 && fabs(r1.f + 0.25) < 1e-12 &&
          r1.iters <= 12, "Newton from near a saddle: %s after %d at "
          "(%g, %g), f %g", dn_stop_name(r1.reason), r1.iters, xs[0], xs[1],
          r1.f);

    /* FR instead of PR+: still to the minimum. */
    dn_solver_defaults(&c, DN_SOLVER_CG);
    c.cg_beta = DN_CG_FR;
    c.gtol = 1e-8;
    c.max_iter = 500;
    dn_problem p = { .n = 2, .fg = rosen };
    double x[2] = { -1.2, 1 };
    dn_min_result r;
    dn_status st = dn_minimize(&p, &c, x, NULL, NULL, &r, &err);
    CHECK(st == DN_OK && r.reason == DN_STOP_GRADIENT &&
          fabs(x[0] - 1) < 1e-6, "FR on Rosenbrock: %s after %d, x0 %.9g",
          dn_stop_name(r.reason), r.iters, x[0]);

    /* A NaN region (x ≤ 0): L-BFGS's long steps land there and the line
     * search steps back. */
    dn_solver_defaults(&c, DN_SOLVER_LBFGS);
    c.ftol = 0;
    dn_problem q = { .n = 3, .fg = logbarrier };
    double y[3] = { 40, 60, 90 };
    st = dn_minimize(&q, &c, y, NULL, NULL, &r, &err);
    CHECK(st == DN_OK && r.reason == DN_STOP_GRADIENT &&
          fabs(y[0] - 1) < 1e-5 && fabs(y[2] - 1) < 1e-5,
          "log barrier: %s, y = %g %g %g", dn_stop_name(r.reason), y[0], y[1],
          y[2]);
}

/* y = 2 e^{−1.3 t}, fitted by a e^{−b t}: LM through the general API. */
static int expfit(const double *x, int i, double *e, double *J, void *u)
{
    (void)u;
    double t = 0.1 * i, m = exp(-x[1] * t);
    e[0] = x[0] * m - 2 * exp(-1.3 * t);
    if (J) {
        J[0] = m;
        J[1] = -x[0] * t * m;
    }
    return 0;
}

static int count_mu(const dn_min_iter *it, void *user)
{
    double *mu = user;
    if (!(it->mu > 0)) mu[0] = -1;
    mu[1] = it->mu;
    return 0;
}

static void test_lm_general(void)
{
    dn_solver_conf c;
    dn_solver_defaults(&c, DN_SOLVER_LM);
    c.gtol = 1e-12;
    dn_problem p = { .n = 2, .resid = expfit, .n_samples = 30, .n_resid = 1 };
    double x[2] = { 1, 0.5 }, mu[2] = { 0, 0 };
    dn_min_result r;
    dn_error err;
    dn_status st = dn_minimize(&p, &c, x, count_mu, mu, &r, &err);
    CHECK(st == DN_OK, "%s", err.msg);
    CHECK(fabs(x[0] - 2) < 1e-8 && fabs(x[1] - 1.3) < 1e-8,
          "LM exp fit: x = (%.12g, %.12g)", x[0], x[1]);
    CHECK(r.iters <= 12, "LM exp fit took %d iterations", r.iters);
    /* mu shrinks by mu_dec after every accepted step from 1e-3. */
    CHECK(mu[0] == 0 && mu[1] < 1e-3, "LM mu reported %g, last %g", mu[0],
          mu[1]);

    /* A ridge: f = ½ Σ e² + ½ r x², whose minimum has ∇ = Jᵀe + r x = 0
     * (checked by central differences of f at the result). */
    double ridge[2] = { 0.5, 2 };
    p.ridge = ridge;
    /* Non-zero residuals at this minimum: Gauss-Newton converges only
     * linearly here, so no ftol stop on the way. */
    c.ftol = 0;
    c.gtol = 1e-7;
    x[0] = 1;
    x[1] = 0.5;
    st = dn_minimize(&p, &c, x, NULL, NULL, &r, &err);
    double gmax = 0;
    for (int j = 0; j < 2; j++) {
        double f[2];
        for (int s = 0; s < 2; s++) {
            double y[2] = { x[0], x[1] }, e, sse = 0;
            y[j] += s ? -1e-6 : 1e-6;
            for (int i = 0; i < 30; i++) {
                expfit(y, i, &e, NULL, NULL);
                sse += e * e;
            }
            f[s] = 0.5 * sse + 0.5 * (ridge[0] * y[0] * y[0] +
                                      ridge[1] * y[1] * y[1]);
        }
        gmax = fmax(gmax, fabs((f[0] - f[1]) / 2e-6));
    }
    CHECK(st == DN_OK && r.reason == DN_STOP_GRADIENT && gmax < 2e-7,
          "LM with ridge: %s after %d, |∇f| %.3g at (%g, %g)",
          dn_stop_name(r.reason), r.iters, gmax, x[0], x[1]);
}

/* Budgets, the callback, conf and problem refusals. */
/* Dennis and Schnabel's large-residual example (Numerical Methods for
 * Unconstrained Optimization, example 10.2.5): e^{x t_i} fitted to y =
 * (2, 4, Y3) at t = (1, 2, 3).  Y3 = 8 fits exactly (x = ln 2); with Y3 =
 * −1 the residuals stay large at the minimum and the term Σ e_i ∇²e_i
 * that Gauss–Newton leaves out is a large part of the curvature there,
 * so Gauss–Newton (and the sweep rule, whose mu falls to nothing)
 * converges only linearly.  The hybrid rule's secant estimate of that
 * term restores the fast end.  Checked by iteration counts. */
static double ds_y3;

static int ds_exp(const double *x, int i, double *e, double *J, void *u)
{
    (void)u;
    const double t = i + 1, y[3] = { 2, 4, ds_y3 }, m = exp(x[0] * t);
    e[0] = m - y[i];
    if (J) J[0] = t * m;
    return 0;
}

/* The x of each iteration, for counting the iterations to a tolerance. */
static int ds_path(const dn_min_iter *it, void *user)
{
    double *path = user;
    if (it->iter < 200) path[it->iter] = it->x[0];
    return 0;
}

/* A run of rule on the Y3 = −1 fit from x = 1 stopped after stop
 * iterations and resumed to total ends at the bits of a straight run of
 * total (checked here); *at_stop is the state's scalar slot `slot` at
 * the stop. */
static void ds_resume(dn_lm_rule rule, int stop, int total, int slot,
                      double *at_stop)
{
    ds_y3 = -1;
    dn_solver_conf c;
    dn_solver_defaults(&c, DN_SOLVER_LM);
    c.lm_rule = rule;
    c.ftol = c.gtol = 0;
    dn_problem p = { .n = 1, .resid = ds_exp, .n_samples = 3, .n_resid = 1 };
    const size_t ns = dn_solver_state_size(&c, 1);
    double *state = calloc(ns, sizeof *state), x1[1] = { 1 }, x2[1] = { 1 };
    dn_min_result r;
    dn_error err;
    c.max_iter = total;
    dn_status st = dn_minimize(&p, &c, x1, NULL, NULL, &r, &err);
    c.max_iter = stop;
    if (!st) st = dn_minimize_run(&p, &c, x2, NULL, NULL, &r, state, 0, &err);
    *at_stop = state[DN_ST_S0 + slot];
    c.max_iter = total;
    if (!st) st = dn_minimize_run(&p, &c, x2, NULL, NULL, &r, state, 1, &err);
    CHECK(st == DN_OK && r.iters == total && x1[0] == x2[0], "%s resumed "
          "after %d: %s, %d iterations, x %.17g against %.17g",
          dn_lm_rule_name(rule), stop, st ? err.msg : "ok", r.iters, x2[0],
          x1[0]);
    free(state);
}

static void test_lm_hybrid(void)
{
    for (int k = 0; k < 2; k++) {
        ds_y3 = k ? -1 : 8;
        double path[2][200], end[2];
        int iters[2];
        for (int h = 0; h < 2; h++) {
            dn_solver_conf c;
            dn_solver_defaults(&c, DN_SOLVER_LM);
            c.lm_rule = h ? DN_LM_HYBRID : DN_LM_SWEEP;
            c.ftol = 0;
            c.gtol = 0;
            c.max_iter = 100;
            dn_problem p = { .n = 1, .resid = ds_exp, .n_samples = 3,
                             .n_resid = 1 };
            double x[1] = { 1 };
            dn_min_result r;
            dn_error err;
            dn_status st = dn_minimize(&p, &c, x, ds_path, path[h], &r,
                                       &err);
            /* Each ends where no step lowers f any more in float64. */
            CHECK(st == DN_OK, "lm %s, y3 = %g: %s", dn_lm_rule_name(c.lm_rule),
                  ds_y3, err.msg);
            end[h] = x[0];
            iters[h] = r.iters;
        }
        CHECK(fabs(end[1] - end[0]) < 1e-7, "y3 %g: the rules end at x = "
              "%.15g and %.15g", ds_y3, end[0], end[1]);
        /* Iterations until x is within 1e-6 of where the run ends. */
        int first[2];
        for (int h = 0; h < 2; h++) {
            first[h] = iters[h];
            for (int i = iters[h]; i >= 1; i--)
                if (fabs(path[h][i] - end[h]) <= 1e-6) first[h] = i;
                else break;
        }
        /* Measured: 4 and 4 (zero residual), 17 and 8 (Y3 = −1). */
        if (k)
            CHECK(first[0] >= 14 && first[1] <= 9, "y3 %g: within 1e-6 "
                  "after %d (sweep) and %d (hybrid) iterations", ds_y3,
                  first[0], first[1]);
        else
            CHECK(first[0] <= 5 && first[1] <= 5, "y3 %g (a zero "
                  "residual): within 1e-6 after %d (sweep) and %d (hybrid) "
                  "iterations", ds_y3, first[0], first[1]);
    }
    /* S lives in the run's state: 5 iterations (the model JᵀJ + S from
     * the fifth on, measured), then a resumed run to 8,
     * end at the bits of 8 in one go. */
    double aug;
    ds_resume(DN_LM_HYBRID, 5, 8, 1, &aug);
    CHECK(aug == 1, "hybrid: the model at the checkpoint is %s",
          aug ? "JᵀJ + S" : "JᵀJ");
}

/* x of a run of rule from x0 (the Dennis–Schnabel fit above, Y3 set by
 * the caller), its path, and the iterations until x stays within 1e-6
 * of where the run ends. */
static int ds_run(dn_lm_rule rule, double x0, double *path, int *iters)
{
    dn_solver_conf c;
    dn_solver_defaults(&c, DN_SOLVER_LM);
    c.lm_rule = rule;
    c.ftol = c.gtol = 0;
    c.max_iter = 100;
    dn_problem p = { .n = 1, .resid = ds_exp, .n_samples = 3, .n_resid = 1 };
    double x[1] = { x0 };
    dn_min_result r;
    dn_error err;
    dn_status st = dn_minimize(&p, &c, x, ds_path, path, &r, &err);
    CHECK(st == DN_OK, "lm %s from %g: %s", dn_lm_rule_name(rule), x0,
          err.msg);
    *iters = r.iters;
    int first = r.iters;
    for (int i = r.iters; i >= 1; i--)
        if (fabs(path[i] - x[0]) <= 1e-6) first = i;
        else break;
    return first;
}

/* The gated rule (the default): the hybrid's secant term only while f
 * stays above a tenth of the starting f and Gauss–Newton overrates the
 * steps.  On the large-residual fit (Y3 = −1) from x0 = 0.5, where f
 * stays above 0.44 of f0, it converges as fast as the hybrid (7
 * iterations to 1e-6, measured) where the sweep crawls (16); from x0 =
 * 1 f ends at 3% of f0 and the gate closes: the sweep's path, step for
 * step, as on the zero-residual fit (Y3 = 8).  And the starting f (the
 * gate's reference) lives in the run's state: a run stopped at 3
 * iterations and resumed to 10 ends at the bits of a run of 10. */
static void test_lm_gated(void)
{
    double path[3][200];
    int it[3], first[3];
    const dn_lm_rule rules[3] = { DN_LM_SWEEP, DN_LM_HYBRID, DN_LM_GATED };
    ds_y3 = -1;
    for (int h = 0; h < 3; h++)
        first[h] = ds_run(rules[h], 0.5, path[h], &it[h]);
    CHECK(first[0] >= 14 && first[1] <= 8 && first[2] == first[1],
          "y3 -1 from 0.5: within 1e-6 after %d (sweep), %d (hybrid), %d "
          "(gated) iterations", first[0], first[1], first[2]);
    for (int k = 0; k < 2; k++) {
        ds_y3 = k ? 8 : -1;
        first[0] = ds_run(DN_LM_SWEEP, 1, path[0], &it[0]);
        first[1] = ds_run(DN_LM_HYBRID, 1, path[1], &it[1]);
        first[2] = ds_run(DN_LM_GATED, 1, path[2], &it[2]);
        int same = it[2] == it[0];
        for (int i = 1; same && i <= it[0]; i++) same = path[2][i] == path[0][i];
        CHECK(same && (k || first[1] < first[0] - 5), "y3 %g from 1: gated "
              "%d iterations, the sweep's path %s (hybrid %d to 1e-6, sweep "
              "%d)", ds_y3, it[2], same ? "kept" : "left", first[1],
              first[0]);
    }
    dn_solver_conf c;
    dn_solver_defaults(&c, DN_SOLVER_LM);
    CHECK(c.lm_rule == DN_LM_GATED, "the default rule is %s",
          dn_lm_rule_name(c.lm_rule));
    double f0;
    ds_resume(DN_LM_GATED, 3, 10, 2, &f0);
    CHECK(fabs(f0 - 228.300748682952) < 1e-9, "gated: f0 in the state "
          "%.15g", f0);
}

static void test_rules(void)
{
    dn_solver_conf c;
    dn_solver_defaults(&c, DN_SOLVER_LBFGS);
    dn_problem p = { .n = 2, .fg = rosen };
    double x[2] = { -1.2, 1 };
    dn_min_result r;
    dn_error err;
    c.max_iter = 5;
    dn_status st = dn_minimize(&p, &c, x, NULL, NULL, &r, &err);
    CHECK(st == DN_OK && r.reason == DN_STOP_EPOCHS && r.iters == 5,
          "max_iter 5: %s after %d", dn_stop_name(r.reason), r.iters);
    c.max_iter = 1000;
    c.max_evals = 12;
    x[0] = -1.2; x[1] = 1;
    st = dn_minimize(&p, &c, x, NULL, NULL, &r, &err);
    CHECK(st == DN_OK && r.reason == DN_STOP_EVALS && r.evals <= 12 &&
          r.evals >= 11, "max_evals 12: %s after %ld", dn_stop_name(r.reason),
          r.evals);
    CHECK(isfinite(rosen(x, NULL, NULL)) && rosen(x, NULL, NULL) == r.f,
          "the returned x is the returned f's point");
    c.max_evals = 0;
    c.ftol = 0.3;
    x[0] = -1.2; x[1] = 1;
    st = dn_minimize(&p, &c, x, NULL, NULL, &r, &err);
    CHECK(st == DN_OK && r.reason == DN_STOP_FTOL && r.iters > 1 &&
          r.iters < 30, "ftol 0.3: %s after %d", dn_stop_name(r.reason),
          r.iters);
    dn_solver_defaults(&c, DN_SOLVER_CG);
    watch w;
    x[0] = -1.2; x[1] = 1;
    watch_start(&w, 2, &c, x, rosen);
    w.stop_at = 3;
    st = dn_minimize(&p, &c, x, on_step, &w, &r, &err);
    CHECK(st == DN_OK && r.reason == DN_STOP_CALLBACK && r.iters == 3,
          "callback stop: %s after %d", dn_stop_name(r.reason), r.iters);

    /* At the limit of float32: with the precision declared, the line
     * search gives up after a trial or two instead of spending its 2 ×
     * 25 evaluations (and L-BFGS as many again along −g) on noise. */
    for (int declared = 0; declared < 2; declared++) {
        dn_solver_defaults(&c, DN_SOLVER_LBFGS);
        c.gtol = 1e-12;
        c.ftol = 0;
        dn_problem pf = { .n = 5, .fg = bowl_f32,
                          .precision = declared ? 1.2e-7 : 0 };
        double xf[5] = { 1, 2, 3, 4, 5 };
        f32_calls = 0;
        st = dn_minimize(&pf, &c, xf, NULL, NULL, &r, &err);
        CHECK(st == DN_OK && r.reason == DN_STOP_LINESEARCH &&
              fabs(xf[4] - 0.3) < 1e-3 && r.evals == f32_calls &&
              (declared ? r.evals <= r.iters + 3 : r.evals > r.iters + 10),
              "float32 bowl, precision %s: %s after %d iterations, %ld "
              "evaluations", declared ? "declared" : "float64's",
              dn_stop_name(r.reason), r.iters, r.evals);
    }

    /* Starting at the minimum: no iteration. */
    x[0] = x[1] = 1;
    st = dn_minimize(&p, &c, x, NULL, NULL, &r, &err);
    CHECK(st == DN_OK && r.iters == 0 && r.reason == DN_STOP_GRADIENT,
          "at the minimum: %d iterations, %s", r.iters,
          dn_stop_name(r.reason));

    /* Refusals, each naming the field. */
    dn_solver_defaults(&c, DN_SOLVER_LBFGS);
    c.c2 = 1e-5;
    st = dn_minimize(&p, &c, x, NULL, NULL, &r, &err);
    CHECK(st == DN_EARG && strstr(err.msg, "c2"), "c2 < c1: %s", err.msg);
    dn_solver_defaults(&c, DN_SOLVER_LM);
    c.mu_dec = 2;
    dn_problem q = { .n = 2, .resid = expfit, .n_samples = 30, .n_resid = 1 };
    st = dn_minimize(&q, &c, x, NULL, NULL, &r, &err);
    CHECK(st == DN_EARG && strstr(err.msg, "mu_dec"), "mu_dec 2: %s",
          err.msg);
    dn_solver_defaults(&c, DN_SOLVER_LM);
    st = dn_minimize(&p, &c, x, NULL, NULL, &r, &err);
    CHECK(st == DN_EARG && strstr(err.msg, "resid"), "LM without residuals: "
          "%s", err.msg);
    dn_solver_defaults(&c, DN_SOLVER_NEWTON);
    dn_problem none = { .n = 2 };
    st = dn_minimize(&none, &c, x, NULL, NULL, &r, &err);
    CHECK(st == DN_EARG && strstr(err.msg, "fg"), "no objective: %s",
          err.msg);
    /* Above the size limits: refused before anything is allocated,
     * with the memory it would take. */
    dn_problem big = { .n = 5000, .fg = rosen, .resid = expfit,
                       .n_samples = 1, .n_resid = 1 };
    st = dn_minimize(&big, &c, x, NULL, NULL, &r, &err);
    CHECK(st == DN_EARG && strstr(err.msg, "impractical for large networks")
          && strstr(err.msg, "191 MiB") && strstr(err.msg, "2048"),
          "Newton, n = 5000: %s", err.msg);
    dn_solver_defaults(&c, DN_SOLVER_LM);
    st = dn_minimize(&big, &c, x, NULL, NULL, &r, &err);
    CHECK(st == DN_EARG && strstr(err.msg, "191 MiB") &&
          strstr(err.msg, "4096"), "LM, n = 5000: %s", err.msg);
    /* A non-finite start. */
    dn_solver_defaults(&c, DN_SOLVER_LBFGS);
    double bad[3] = { -1, 1, 1 };
    dn_problem lb = { .n = 3, .fg = logbarrier };
    st = dn_minimize(&lb, &c, bad, NULL, NULL, &r, &err);
    CHECK(st == DN_ENUMERIC && strstr(err.msg, "starting point"),
          "NaN start: %d %s", st, err.msg);

    dn_solver_kind k;
    CHECK(dn_solver_parse("newton", &k, NULL) == DN_OK &&
          k == DN_SOLVER_NEWTON && dn_solver_parse("trainlm", &k, NULL) ==
          DN_OK && k == DN_SOLVER_LM, "solver names");
    CHECK(dn_solver_parse("bfgs", &k, &err) == DN_EARG &&
          strstr(err.msg, "lbfgs, cg, lm, newton"), "%s", err.msg);
}


/* ------------------------------------------------------------------ */
/* Hessian-free through the general API                                */
/* ------------------------------------------------------------------ */

/* The bowl's Gauss-Newton matrix is its Hessian, diag(1..NB). */
static int bowl_gn(const double *x, const double *v, double *gv, int iter,
                   void *u)
{
    (void)x; (void)iter; (void)u;
    for (int i = 0; i < NB; i++) gv[i] = (i + 1) * v[i];
    return 0;
}

/* A G that claims a millionth of the curvature: every CG solution
 * overshoots by about 10⁶, so steps are refused and mu must grow. */
static int bowl_gn_flat(const double *x, const double *v, double *gv,
                        int iter, void *u)
{
    (void)x; (void)iter; (void)u;
    for (int i = 0; i < NB; i++) gv[i] = 1e-6 * (i + 1) * v[i];
    return 0;
}

static int gn_fails(const double *x, const double *v, double *gv, int iter,
                    void *u)
{
    (void)x; (void)v; (void)gv; (void)iter; (void)u;
    return 1;
}

/* ½ (x − 2)², whose gradient is NaN past x = 1: the first step (toward
 * 2) lands where f is finite and g is not. */
static double nan_past_one(const double *x, double *g, void *u)
{
    (void)u;
    if (g) g[0] = x[0] > 1 ? NAN : x[0] - 2;
    return 0.5 * (x[0] - 2) * (x[0] - 2);
}

static int one_gn(const double *x, const double *v, double *gv, int iter,
                  void *u)
{
    (void)x; (void)iter; (void)u;
    gv[0] = v[0];
    return 0;
}

static void test_hf_general(void)
{
    dn_solver_conf c;
    dn_min_result r;
    dn_error err;
    double x[NB];

    /* With the exact G: CG solves the damped system, and as mu falls the
     * steps become Newton's (measured: 7 iterations). */
    dn_solver_defaults(&c, DN_SOLVER_HF);
    c.gtol = 1e-10;
    dn_problem p = { .n = NB, .fg = bowl, .gn = bowl_gn };
    for (int i = 0; i < NB; i++) x[i] = 1;
    dn_status st = dn_minimize(&p, &c, x, NULL, NULL, &r, &err);
    double worst = 0;
    for (int i = 0; i < NB; i++) worst = fmax(worst, fabs(x[i]));
    CHECK(st == DN_OK && r.reason == DN_STOP_GRADIENT && worst < 1e-9 &&
          r.iters <= 10 && r.mu > 0,
          "hf on the bowl: %s after %d iterations, |x|max %.3g, mu %g",
          st ? err.msg : dn_stop_name(r.reason), r.iters, worst, r.mu);

    /* Without gn: Hessian products by differences of the gradient, and
     * CG stops at Rosenbrock's negative curvature (measured: 23
     * iterations). */
    dn_solver_defaults(&c, DN_SOLVER_HF);
    c.gtol = 1e-8;
    dn_problem pr = { .n = 2, .fg = rosen };
    double xr[2] = { -1.2, 1 };
    st = dn_minimize(&pr, &c, xr, NULL, NULL, &r, &err);
    CHECK(st == DN_OK && fabs(xr[0] - 1) < 1e-6 && fabs(xr[1] - 1) < 1e-6 &&
          r.iters <= 40,
          "hf on Rosenbrock by differences: %s, x = (%.9g, %.9g) after %d",
          st ? err.msg : dn_stop_name(r.reason), xr[0], xr[1], r.iters);

    /* The evaluation budget, spent inside CG's products. */
    dn_solver_defaults(&c, DN_SOLVER_HF);
    c.max_evals = 4;
    for (int i = 0; i < NB; i++) x[i] = 1;
    st = dn_minimize(&p, &c, x, NULL, NULL, &r, &err);
    CHECK(st == DN_OK && r.reason == DN_STOP_EVALS && r.evals <= 4 &&
          r.iters == 0,
          "hf with 4 evaluations: %s, %ld evaluations, %d iterations",
          st ? err.msg : dn_stop_name(r.reason), r.evals, r.iters);

    /* A G that is a millionth of the truth: the first solutions lower
     * nothing, mu grows by mu_inc² per refusal until a step holds, and
     * the run still ends at the minimum; with a low mu_max it ends
     * there instead. */
    dn_solver_defaults(&c, DN_SOLVER_HF);
    c.gtol = 1e-8;
    c.ls_max = 2;
    dn_problem pf = { .n = NB, .fg = bowl, .gn = bowl_gn_flat };
    for (int i = 0; i < NB; i++) x[i] = 1;
    st = dn_minimize(&pf, &c, x, NULL, NULL, &r, &err);
    worst = 0;
    for (int i = 0; i < NB; i++) worst = fmax(worst, fabs(x[i]));
    CHECK(st == DN_OK && r.reason == DN_STOP_GRADIENT && worst < 1e-7,
          "hf with a flat G: %s after %d iterations, |x|max %.3g",
          st ? err.msg : dn_stop_name(r.reason), r.iters, worst);
    c.mu_max = 10;
    for (int i = 0; i < NB; i++) x[i] = 1;
    st = dn_minimize(&pf, &c, x, NULL, NULL, &r, &err);
    CHECK(st == DN_OK && r.reason == DN_STOP_MU_MAX && r.iters == 0 &&
          x[0] == 1,
          "hf with a flat G and mu_max 10: %s after %d iterations, x0 %g",
          st ? err.msg : dn_stop_name(r.reason), r.iters, x[0]);

    /* A failing product callback, and a gradient that turns NaN: errors
     * that name the iteration, and x where it was. */
    dn_solver_defaults(&c, DN_SOLVER_HF);
    dn_problem pe = { .n = NB, .fg = bowl, .gn = gn_fails };
    for (int i = 0; i < NB; i++) x[i] = 1;
    st = dn_minimize(&pe, &c, x, NULL, NULL, &r, &err);
    CHECK(st == DN_ENUMERIC && x[0] == 1 &&
          strstr(err.msg, "solver hf: the Gauss-Newton product callback "
                 "failed at iteration 1"), "failing gn: %s", err.msg);
    dn_problem pn = { .n = 1, .fg = nan_past_one, .gn = one_gn };
    double x1 = 0;
    st = dn_minimize(&pn, &c, &x1, NULL, NULL, &r, &err);
    CHECK(st == DN_ENUMERIC && x1 == 0 &&
          strstr(err.msg, "solver hf: the gradient is not finite at "
                 "iteration 1"), "NaN gradient: %s (x %g)", err.msg, x1);
}

/* Cholesky of a shifted matrix that survives. */
static void test_cholesky(void)
{
    enum { N = 6 };
    double B[N * N], A[N * N], M[N * N], diag[N], add[N], b[N], x[N];
    dn_rng r;
    dn_rng_seed(&r, 11);
    for (int i = 0; i < N * N; i++) B[i] = dn_rng_normal(&r);
    /* A = BᵀB − 1.5 I: indefinite (B has a small singular value or two),
     * made definite by the shift add + mu. */
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            double s = 0;
            for (int k = 0; k < N; k++) s += B[k * N + i] * B[k * N + j];
            A[i * N + j] = s - (i == j ? 1.5 : 0);
        }
    for (int i = 0; i < N; i++) {
        diag[i] = A[i * N + i];
        add[i] = 0.5 * i;
        b[i] = dn_rng_normal(&r);
        for (int j = 0; j < N; j++) M[i * N + j] = i > j ? A[i * N + j] : NAN;
    }
    double mu = 4;
    CHECK(dn_chol_shifted(M, diag, add, mu, N) == 0, "A + shift is SPD");
    memcpy(x, b, sizeof x);
    dn_chol_solve(M, N, x);
    double worst = 0;
    for (int i = 0; i < N; i++) {
        double s = (add[i] + mu) * x[i];
        for (int j = 0; j < N; j++) s += A[i * N + j] * x[j];
        worst = fmax(worst, fabs(s - b[i]));
    }
    CHECK(worst < 1e-12, "(A + shift) x = b: residual %.3g", worst);
    int kept = 1;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < i; j++) kept &= M[i * N + j] == A[i * N + j];
    CHECK(kept, "A's lower triangle survives the factorization");
    /* Without the shift A is indefinite: refused at some pivot. */
    int at = dn_chol_shifted(M, diag, NULL, -3, N);
    CHECK(at >= 1 && at <= N, "indefinite: pivot %d", at);
}

int main(void)
{
    RUN(test_plain_functions);
    RUN(test_lm_general);
    RUN(test_rules);
    RUN(test_lm_hybrid);
    RUN(test_lm_gated);
    RUN(test_hf_general);
    RUN(test_cholesky);
    return check_done("test_minimize");
}
