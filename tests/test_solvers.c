/* test_solvers.c — the full-batch solvers: L-BFGS, CG, LM and Newton
 * through the general API (Rosenbrock, a quadratic bowl, an exponential
 * fit) and on networks (linear and logistic regression against optima
 * computed here in float64, LM against Adam), the strong Wolfe conditions
 * at every accepted step, the exact Hessian against finite differences,
 * Cholesky, budgets, early stopping and the refusals. */
#include "check.h"
#include "descent.h"
#include "train/train.h" /* the workspace, for the Hessian check */
#include "nn/hessian.h"
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
    if (hidden) A.layer[A.n_layers++] = (dn_layer){ hidden, act, 0 };
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

/* Linear regression (no hidden layer, MSE) with and without L2: every
 * solver reaches the normal equations' optimum to 1e-6 relative. */
static void test_linear_regression(void)
{
    const int n = 200, d = 4;
    dn_data *D = dataset(n, d, 1);
    dn_rng r;
    dn_rng_seed(&r, 5);
    const double w_true[4] = { 1.5, -2, 0.5, 3 };
    for (int i = 0; i < n; i++) {
        double y = 0.7;
        for (int j = 0; j < d; j++) {
            D->X[i * d + j] = (float)(2 * dn_rng_uniform(&r) - 1);
            y += w_true[j] * D->X[i * d + j];
        }
        D->Y[i] = (float)(y + 0.3 * dn_rng_normal(&r));
    }
    for (int with_l2 = 0; with_l2 < 2; with_l2++) {
        const double lambda = with_l2 ? 0.05 : 0;
        /* (AᵀA/N + λ D) θ = Aᵀy/N with A = [X 1], D on the weights. */
        double G[25] = { 0 }, h[5] = { 0 };
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
        E_star += 0.5 * lambda * wsq;

        for (int k = 0; k < DN_SOLVER_COUNT; k++) {
            dn_model *m = net(d, 0, DN_ACT_RELU, DN_TASK_REGRESSION, 3);
            dn_solver_conf c;
            dn_solver_defaults(&c, (dn_solver_kind)k);
            c.gtol = 1e-9;
            c.ftol = 1e-12;
            dn_train_opts o;
            dn_train_defaults(&o);
            o.epochs = 200;
            o.l2 = lambda;
            near q = { E_star, 0 };
            o.on_epoch = note_near;
            o.user = &q;
            dn_result res;
            dn_error err;
            dn_status st = dn_train_full(m, D, NULL, &c, &o, &res, &err);
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
             * reach the optimum in one step (LM's mu = 1e-3 is tiny
             * beside JᵀJ ~ N/3). */
            if (k == DN_SOLVER_NEWTON || k == DN_SOLVER_LM)
                CHECK(q.first == 1, "%s on a quadratic: within 1e-6 of the "
                      "optimum at iteration %d", dn_solver_name(k), q.first);
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
static void test_lm_vs_adam(void)
{
    const int n = 64;
    dn_data *D = dataset(n, 1, 1);
    for (int i = 0; i < n; i++) {
        double x = -2 + 4.0 * i / (n - 1);
        D->X[i] = (float)x;
        D->Y[i] = (float)(sin(1.5 * x) + 0.5 * x);
    }
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

static void hessian_net(dn_act h1, dn_act h2, dn_act out, dn_loss loss,
                        int units)
{
    dn_arch A;
    memset(&A, 0, sizeof A);
    A.n_in = 3;
    A.n_layers = 3;
    A.layer[0] = (dn_layer){ 4, h1, 0 };
    A.layer[1] = (dn_layer){ 3, h2, 0 };
    A.layer[2] = (dn_layer){ units, out, 0 };
    A.loss = loss;
    dn_model *m;
    dn_error err;
    if (dn_model_new(&A, &m, &err)) {
        CHECK(0, "%s", err.msg);
        return;
    }
    dn_model_init(m, DN_INIT_GLOROT_NORMAL, 0, 7);
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

int main(void)
{
    RUN(test_plain_functions);
    RUN(test_lm_general);
    RUN(test_rules);
    RUN(test_cholesky);
    RUN(test_hessian);
    RUN(test_linear_regression);
    RUN(test_two_outputs);
    RUN(test_logistic_regression);
    RUN(test_lm_vs_adam);
    RUN(test_network_rules);
    return check_done("test_solvers");
}
