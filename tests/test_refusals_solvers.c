/* test_refusals_solvers.c — the full-batch solvers: their settings and
 * problems refused, each with its exact message, and their rarer stops
 * (evaluation budgets, non-finite values, starts at a minimum). */
#include "refusals.h"

/* ---- the solvers' settings and problems ---- */

static double quad(const double *x, double *g, void *u)
{
    (void)u;
    if (g) { g[0] = 2 * (x[0] - 1); g[1] = 8 * (x[1] + 2); }
    return (x[0] - 1) * (x[0] - 1) + 4 * (x[1] + 2) * (x[1] + 2);
}

static int quad_resid(const double *x, int i, double *e, double *J, void *u)
{
    (void)u;
    e[0] = i ? 2 * (x[1] + 2) : x[0] - 1;
    if (J) { J[0] = i ? 0 : 1; J[1] = i ? 2 : 0; }
    return 0;
}

static void solver_refusals(void)
{
    const dn_problem p = { .n = 2, .fg = quad, .resid = quad_resid,
                           .n_samples = 2, .n_resid = 1 };
    double x[2] = { 4, 4 };
    struct { dn_solver_kind k; int field; double v; const char *want; } cases[] = {
        { DN_SOLVER_LBFGS, 0, -1, "solver lbfgs: max_iter = -1 is out of range; use 0 or more" },
        { DN_SOLVER_LBFGS, 1, -1, "max_evals = -1 is out of range; use 0 (no budget)" },
        { DN_SOLVER_CG, 2, NAN, "solver cg: gtol = nan is out of range" },
        { DN_SOLVER_LBFGS, 3, 1, "ftol = 1 is out of range; use 0 <= ftol < 1" },
        { DN_SOLVER_NEWTON, 4, 0, "solver newton: c1 = 0 is out of range; use 0 < c1 < c2 < 1" },
        { DN_SOLVER_LBFGS, 5, 1, "c2 = 1 is out of range" },
        { DN_SOLVER_LBFGS, 6, 1, "ls_max = 1 is out of range; use 2 to 1000" },
        { DN_SOLVER_LBFGS, 7, 0, "history = 0 is out of range; use 1 to 1000 pairs" },
        { DN_SOLVER_CG, 8, 5, "cg_beta = 5 is out of range; use pr+ or fr" },
        { DN_SOLVER_CG, 9, -1, "restart = -1 is out of range" },
        { DN_SOLVER_LM, 10, 0, "solver lm: mu = 0 is out of range; use a finite mu > 0" },
        { DN_SOLVER_LM, 11, 1, "mu_dec = 1 is out of range" },
        { DN_SOLVER_LM, 12, 1, "mu_inc = 1 is out of range" },
        { DN_SOLVER_LM, 13, 1e-9, "mu_max = 1e-09 is out of range; use a finite mu_max >= mu" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dn_solver_conf c;
        dn_solver_defaults(&c, cases[i].k);
        double v = cases[i].v;
        switch (cases[i].field) {
        case 0: c.max_iter = (int)v; break;
        case 1: c.max_evals = (long)v; break;
        case 2: c.gtol = v; break;
        case 3: c.ftol = v; break;
        case 4: c.c1 = v; break;
        case 5: c.c2 = v; break;
        case 6: c.ls_max = (int)v; break;
        case 7: c.history = (int)v; break;
        case 8: c.cg_beta = (dn_cg_beta)(int)v; break;
        case 9: c.restart = (int)v; break;
        case 10: c.mu = v; break;
        case 11: c.mu_dec = v; break;
        case 12: c.mu_inc = v; break;
        case 13: c.mu_max = v; break;
        }
        REFUSE(dn_minimize(&p, &c, x, NULL, NULL, NULL, &err), DN_EARG, cases[i].want);
    }
    dn_solver_conf c;
    dn_solver_defaults(&c, DN_SOLVER_LBFGS);
    c.kind = (dn_solver_kind)7;
    REFUSE(dn_minimize(&p, &c, x, NULL, NULL, NULL, &err), DN_EARG,
           "solver kind 7 is unknown");
    dn_solver_defaults(&c, DN_SOLVER_LBFGS);
    dn_problem q = p;
    q.n = 0;
    REFUSE(dn_minimize(&q, &c, x, NULL, NULL, NULL, &err), DN_EARG,
           "solver lbfgs: the problem has no unknowns (n = 0)");
    q = p; q.precision = 1;
    REFUSE(dn_minimize(&q, &c, x, NULL, NULL, NULL, &err), DN_EARG,
           "problem.precision = 1 must be in [0, 1)");
    dn_solver_defaults(&c, DN_SOLVER_LM);
    q = p; q.scale = -1;
    REFUSE(dn_minimize(&q, &c, x, NULL, NULL, NULL, &err), DN_EARG,
           "solver lm: problem.scale = -1 must be finite and ≥ 0");
    const double ridge[2] = { 0, -0.5 };
    q = p; q.ridge = ridge;
    REFUSE(dn_minimize(&q, &c, x, NULL, NULL, NULL, &err), DN_EARG,
           "solver lm: problem.ridge[1] = -0.5 must be finite and ≥ 0");
    q = p; q.n = ((size_t)1 << 30) + 1;
    REFUSE(dn_minimize(&q, &c, x, NULL, NULL, NULL, &err), DN_EARG,
           "solver lm: 1073741825 unknowns would need an n × n matrix of");
    CHECK(x[0] == 4 && x[1] == 4, "a refused problem moved x to (%g, %g)",
          x[0], x[1]);

    /* an optimizer whose state could not be addressed */
    dn_opt_conf ac;
    dn_opt_defaults(&ac, DN_OPT_ADAM);
    dn_opt *op = (dn_opt *)1;
    REFUSE(dn_opt_new(&ac, SIZE_MAX / 4, NULL, &op, &err), DN_EARG,
           "optimizer adam: 4611686018427387903 parameters is more than "
           "memory can address");
    CHECK(op == NULL, "a refused optimizer left *out set");

    /* landscapes: a step count out of range, for both kinds of path */
    float path[8];
    int n = -1;
    dn_opt_conf oc;
    dn_opt_defaults(&oc, DN_OPT_SGD);
    const double s0[2] = { 0, 0 };
    REFUSE(dn_land_descend(DN_LAND_BOWL, &oc, 0.1, s0, -1, path, &n, &err),
           DN_EARG, "steps must be from 0 to 10000000, got -1");
    dn_solver_defaults(&c, DN_SOLVER_LBFGS);
    REFUSE(dn_land_solve(DN_LAND_BOWL, &c, s0, 10000001, path, &n, NULL, &err),
           DN_EARG, "steps must be from 0 to 10000000, got 10000001");
    CHECK(n == 0, "a refused path has %d points", n);
}

/* ---- the solvers' rarer stops ---- */

static int nan_resid(const double *x, int i, double *e, double *J, void *u)
{
    (void)x; (void)i; (void)u;
    e[0] = NAN;
    if (J) J[0] = J[1] = 0;
    return 0;
}

static double nan_fg(const double *x, double *g, void *u)
{
    (void)x; (void)u;
    if (g) g[0] = g[1] = 0;
    return NAN;
}

static double rosen(const double *x, double *g, void *u)
{
    (void)u;
    double a = 1 - x[0], b = x[1] - x[0] * x[0];
    if (g) { g[0] = -2 * a - 400 * x[0] * b; g[1] = 200 * b; }
    return a * a + 100 * b * b;
}

static void solver_stops(void)
{
    const dn_problem lm_only = { .n = 2, .resid = quad_resid, .n_samples = 2,
                                 .n_resid = 1 };
    dn_solver_conf c;
    dn_min_result r;
    dn_solver_defaults(&c, DN_SOLVER_LM);
    double x[2] = { 1, -2 };   /* the minimum */
    CHECK(dn_minimize(&lm_only, &c, x, NULL, NULL, &r, &err) == DN_OK &&
          r.reason == DN_STOP_GRADIENT && r.iters == 0 && x[0] == 1,
          "lm at the minimum: %s after %d", dn_stop_name(r.reason), r.iters);
    x[0] = 4; x[1] = 4;
    c.max_iter = 0;
    CHECK(dn_minimize(&lm_only, &c, x, NULL, NULL, &r, &err) == DN_OK &&
          r.reason == DN_STOP_EPOCHS && r.iters == 0 && x[0] == 4,
          "lm, max_iter 0: %s after %d", dn_stop_name(r.reason), r.iters);
    dn_solver_defaults(&c, DN_SOLVER_LM);
    c.max_evals = 1;
    CHECK(dn_minimize(&lm_only, &c, x, NULL, NULL, &r, &err) == DN_OK &&
          r.reason == DN_STOP_EVALS && x[0] == 4 && x[1] == 4,
          "lm, max_evals 1: %s after %d, %ld evals", dn_stop_name(r.reason),
          r.iters, r.evals);
    dn_solver_defaults(&c, DN_SOLVER_LM);
    dn_problem q = lm_only;
    q.resid = nan_resid;
    REFUSE(dn_minimize(&q, &c, x, NULL, NULL, &r, &err), DN_ENUMERIC,
           "solver lm: the residuals or their Jacobian are not finite (or "
           "the callback failed) at iteration 0 (f = nan); start where the "
           "residuals are finite");
    q = lm_only;
    q.fg = nan_fg;
    REFUSE(dn_minimize(&q, &c, x, NULL, NULL, &r, &err), DN_ENUMERIC,
           "solver lm: the objective fg is not finite at the starting point "
           "(f = nan) where the residuals are");
    CHECK(x[0] == 4 && x[1] == 4, "x moved to (%g, %g)", x[0], x[1]);

    /* CG on Rosenbrock with an evaluation budget: stops on it, at a
     * point better than the start */
    const dn_problem ro = { .n = 2, .fg = rosen };
    dn_solver_defaults(&c, DN_SOLVER_CG);
    c.max_evals = 30;
    double y[2] = { -1.2, 1 };
    CHECK(dn_minimize(&ro, &c, y, NULL, NULL, &r, &err) == DN_OK &&
          r.reason == DN_STOP_EVALS && r.evals <= 30 &&
          rosen(y, NULL, NULL) < rosen((double[]){ -1.2, 1 }, NULL, NULL),
          "cg, max_evals 30: %s, %ld evals, f %g", dn_stop_name(r.reason),
          r.evals, rosen(y, NULL, NULL));
    /* L-BFGS with two evaluations per line search still converges: the
     * backtracking fallback takes over when the Wolfe search runs out */
    dn_solver_defaults(&c, DN_SOLVER_LBFGS);
    c.ls_max = 2;
    c.max_iter = 5000;
    y[0] = -1.2; y[1] = 1;
    CHECK(dn_minimize(&ro, &c, y, NULL, NULL, &r, &err) == DN_OK &&
          fabs(y[0] - 1) < 1e-3 && fabs(y[1] - 1) < 1e-3,
          "lbfgs, ls_max 2: %s at (%g, %g)", dn_stop_name(r.reason), y[0], y[1]);
}

CHECK_MAIN("test_refusals_solvers", dir,
           CHECK_CASE(solver_refusals), CHECK_CASE(solver_stops))
