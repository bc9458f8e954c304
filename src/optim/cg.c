/* cg.c — nonlinear conjugate gradient: each direction is the steepest
 * descent direction plus a share of the last one,
 *   d = −g + beta d_prev,
 * so successive directions stay (nearly) conjugate and the method keeps
 * its memory of the valley in one vector.  On a quadratic with exact line
 * searches it finds the minimum of n unknowns in at most n iterations.
 *
 *   Fletcher–Reeves  beta = gᵀg / g_prevᵀg_prev
 *   Polak–Ribière+   beta = max(0, gᵀ(g − g_prev) / g_prevᵀg_prev)
 * PR+ restarts by itself when progress stalls (g ≈ g_prev gives beta ≈ 0)
 * where FR can crawl along tiny steps; the max(0, ·) keeps PR's
 * convergence guarantee (Nocedal & Wright, section 5.2).
 *
 * Restarts to d = −g: every `restart` iterations (n by default); for FR
 * also when two successive gradients are far from orthogonal,
 * |gᵀg_prev| ≥ 0.1 gᵀg (Powell's test: conjugacy has been lost); after a
 * line search that needed its fallback; and whenever d would not point
 * downhill.  PR+ does without Powell's test: its beta already falls to
 * about 0 when g ≈ g_prev, and on make bench-solvers' networks the test
 * threw away useful directions — with it PR+ was at or below SciPy's CG
 * (which has no such test) at 50 evaluations in 11 of 42 rows (median
 * ratio 1.044), without it in 29 (0.972; bench/solvers/NOTES.md). */
#include "optim/optim.h"
#include "optim/optim.h"
#include <math.h>
#include <string.h>

static void steepest(const dn_solve *s, double *d)
{
    for (size_t i = 0; i < s->n; i++) d[i] = -s->g[i];
}

/* After an accepted step along d (slope_prev = g_prevᵀd before it, alpha
 * its length, wolfe whether it met the strong Wolfe conditions): the next
 * direction in d and its first trial step. */
static double next(const dn_solve *s, double *d, const double *gp,
                   double gg_prev, double slope_prev, double alpha,
                   int wolfe, int *since)
{
    const size_t n = s->n;
    const dn_solver_conf *c = s->c;
    const double gg = s->gnorm * s->gnorm, g_gp = dn_dot(s->g, gp, n);
    double beta = c->cg_beta == DN_CG_FR ? gg / gg_prev
                                         : fmax(0, (gg - g_gp) / gg_prev);
    const int powell = c->cg_beta == DN_CG_FR && fabs(g_gp) >= 0.1 * gg;
    if (++*since >= c->restart || !wolfe || powell || !isfinite(beta))
        beta = 0;
    for (size_t i = 0; i < n; i++) d[i] = -s->g[i] + beta * d[i];
    double slope = dn_dot(s->g, d, n);
    if (!(slope < 0)) {
        steepest(s, d);
        slope = -gg;
        beta = 0;
    }
    if (beta == 0) *since = 0;
    /* The first trial step expects the same first-order decrease as the
     * last step achieved (Nocedal & Wright, eq. 3.60). */
    double alpha0 = alpha * slope_prev / slope;
    return isfinite(alpha0) && alpha0 > 0 ? alpha0 : fmin(1, 1 / s->gnorm);
}

dn_status dn_cg_run(dn_solve *s)
{
    const size_t n = s->n;
    /* d and g_prev live in the run's state, with the scalars in sc, so a
     * checkpoint holds them. */
    double *d = DN_ST_ARRAYS(s), *gp = d + n, *sc = s->state + DN_ST_S0;
    double alpha0;
    int since = 0;  /* iterations since the last restart */
    if (s->resumed) {
        since = (int)sc[4];
        alpha0 = next(s, d, gp, sc[0], sc[1], sc[2], (int)sc[3], &since);
    } else {
        steepest(s, d);
        alpha0 = fmin(1, 1 / s->gnorm);
    }
    for (;;) {
        const double f_prev = s->f, gg_prev = s->gnorm * s->gnorm;
        const double slope_prev = dn_dot(s->g, d, n);
        double alpha;
        memcpy(gp, s->g, n * sizeof *gp);
        dn_ls_result r = dn_linesearch(s, d, alpha0, &alpha);
        if (dn_ls_stops(s, r, since == 0)) break;
        if (r == DN_LS_FAIL) {
            steepest(s, d);
            alpha0 = fmin(1, 1 / s->gnorm);
            since = 0;
            continue;
        }
        sc[0] = gg_prev;
        sc[1] = slope_prev;
        sc[2] = alpha;
        sc[3] = r == DN_LS_WOLFE;
        sc[4] = since;
        if (dn_solve_step_done(s, f_prev, alpha, 0, r == DN_LS_WOLFE)) break;
        alpha0 = next(s, d, gp, gg_prev, slope_prev, alpha, r == DN_LS_WOLFE,
                      &since);
    }
    return DN_OK;
}
