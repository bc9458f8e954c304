/* test_newton.c — damped Newton (src/newton.c) where the easy problems of
 * test_solvers do not take it: an indefinite Hessian that needs the
 * shift tau doubled several times, one no shift can make positive
 * definite, a Hessian callback that fails or returns NaN, and budgets
 * spent inside the differenced Hessian and inside the line search. */
#include "check.h"
#include "descent.h"

#include <string.h>

/* f = x² + y² + 3xy + x⁴ + y⁴: H = [[2, 3], [3, 2]] + diag(12x², 12y²)
 * is indefinite near 0 (eigenvalue −1) with a positive diagonal, so
 * Cholesky fails with tau = 0 and with the first shifts.  On x = −y,
 * f = −x² + 2x⁴: the minima are (±½, ∓½) with f = −1/8. */
static double saddle(const double *x, double *g, void *u)
{
    (void)u;
    if (g) {
        g[0] = 2 * x[0] + 3 * x[1] + 4 * x[0] * x[0] * x[0];
        g[1] = 2 * x[1] + 3 * x[0] + 4 * x[1] * x[1] * x[1];
    }
    return x[0] * x[0] + x[1] * x[1] + 3 * x[0] * x[1] +
           x[0] * x[0] * x[0] * x[0] + x[1] * x[1] * x[1] * x[1];
}

static int saddle_hess(const double *x, double *H, void *u)
{
    (void)u;
    H[0] = 2 + 12 * x[0] * x[0];
    H[1] = H[2] = 3;
    H[3] = 2 + 12 * x[1] * x[1];
    return 0;
}

/* What the Hessian callback returns, per test. */
typedef enum { H_FAIL, H_NAN, H_HUGE } hess_kind;

static int bad_hess(const double *x, double *H, void *u)
{
    (void)x;
    switch (*(hess_kind *)u) {
    case H_FAIL: return 1;
    case H_NAN:  H[0] = H[3] = 1; H[1] = H[2] = NAN; return 0;
    case H_HUGE:
        /* Finite, but indefinite beyond any finite shift: the diagonal
         * −1.7e308 starts tau at 1.7e308, where off-diagonals of the same
         * size still break Cholesky, and doubling tau overflows. */
        H[0] = H[3] = -1.7e308; H[1] = H[2] = 1.7e308; return 0;
    }
    return 1;
}

static void test_indefinite(void)
{
    dn_solver_conf c;
    dn_solver_defaults(&c, DN_SOLVER_NEWTON);
    for (int exact = 0; exact < 2; exact++) {
        dn_problem p = { .n = 2, .fg = saddle,
                         .hess = exact ? saddle_hess : NULL };
        double x[2] = { 0.3, 0.1 };
        dn_min_result r;
        dn_error e = { 0 };
        dn_status st = dn_minimize(&p, &c, x, NULL, NULL, &r, &e);
        CHECK(st == DN_OK && r.reason == DN_STOP_GRADIENT, "%s Hessian: "
              "status %d (%s), %s", exact ? "exact" : "differenced", st,
              e.msg, dn_stop_name(r.reason));
        CHECK_NEAR(r.f, -0.125, 1e-12);
        CHECK_NEAR(fabs(x[0]), 0.5, 1e-6);
        CHECK_NEAR(x[0] + x[1], 0, 1e-6);
    }
}

static void test_bad_hessian(void)
{
    static const struct { hess_kind k; const char *msg; } t[] = {
        { H_FAIL, "the Hessian callback failed at iteration 1" },
        { H_NAN,  "NaN or infinite entries at iteration 1" },
        { H_HUGE, "NaN or infinite entries at iteration 1" },
    };
    dn_solver_conf c;
    dn_solver_defaults(&c, DN_SOLVER_NEWTON);
    for (int i = 0; i < 3; i++) {
        hess_kind k = t[i].k;
        dn_problem p = { .n = 2, .fg = saddle, .hess = bad_hess, .user = &k };
        double x[2] = { 0.3, 0.1 };
        dn_min_result r;
        dn_error e = { 0 };
        dn_status st = dn_minimize(&p, &c, x, NULL, NULL, &r, &e);
        CHECK(st == DN_ENUMERIC && strstr(e.msg, t[i].msg), "Hessian kind "
              "%d: status %d, '%s'", (int)k, st, e.msg);
        /* x stays the last accepted point: the start. */
        CHECK(x[0] == 0.3 && x[1] == 0.1, "x moved to (%g, %g)", x[0], x[1]);
    }
}

/* Budgets: with the differenced Hessian, 2n = 4 evaluations after the
 * start's one; a budget of 3 runs out inside the differences.  With the
 * exact Hessian (not an evaluation), a budget of 1 leaves nothing for
 * the line search.  Both stop with DN_STOP_EVALS at the start. */
static void test_budgets(void)
{
    for (int exact = 0; exact < 2; exact++) {
        dn_solver_conf c;
        dn_solver_defaults(&c, DN_SOLVER_NEWTON);
        c.max_evals = exact ? 1 : 3;
        dn_problem p = { .n = 2, .fg = saddle,
                         .hess = exact ? saddle_hess : NULL };
        double x[2] = { 0.3, 0.1 };
        dn_min_result r;
        dn_error e = { 0 };
        dn_status st = dn_minimize(&p, &c, x, NULL, NULL, &r, &e);
        CHECK(st == DN_OK && r.reason == DN_STOP_EVALS && r.iters == 0,
              "budget %ld: status %d (%s), %s after %d iterations",
              c.max_evals, st, e.msg, dn_stop_name(r.reason), r.iters);
        CHECK(r.evals <= c.max_evals, "%ld evaluations, budget %ld",
              r.evals, c.max_evals);
        CHECK_NEAR(r.f, saddle(x, NULL, NULL), 0);
        CHECK(x[0] == 0.3 && x[1] == 0.1, "x moved to (%g, %g)", x[0], x[1]);
    }
}

int main(void)
{
    RUN(test_indefinite);
    RUN(test_bad_hessian);
    RUN(test_budgets);
    return check_done("test_newton");
}
