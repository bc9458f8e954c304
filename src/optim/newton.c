/* newton.c — damped Newton: the step that minimizes the local quadratic
 * model f + gᵀd + ½ dᵀH d, made safe far from a minimum.
 *
 * Two dampings.  Away from a minimum H may be indefinite and the pure
 * Newton step −H⁻¹g may point uphill, so the solve uses H + tau I with
 * the smallest tau of a doubling sequence for which Cholesky succeeds
 * (Nocedal & Wright, Algorithm 3.3); a positive definite H gets tau = 0
 * and the exact Newton step.  Then a line search from alpha = 1 shortens
 * the step when the quadratic model overshoots.  Near a minimum both
 * switch off by themselves and the convergence is quadratic.
 *
 * The Hessian comes from problem.hess (a network's is exact, by the
 * R-operator: see hessian.c) or, for plain functions without one, from
 * central differences of the gradient, column by column,
 *   H e_j ≈ (g(x + h e_j) − g(x − h e_j)) / 2h,  h = eps^(1/3) max(1, |x_j|),
 * which balances truncation (h²) against rounding (eps / h) at about
 * 1e-10 relative in double.  Either way H is symmetrized, ½(H + Hᵀ). */
#include "optim/optim.h"
#include "optim/optim.h"
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Central differences of fg's gradient into M (row j = column j, by
 * symmetry).  0, or 1 when the evaluation budget ran out. */
static int fd_hessian(dn_solve *s, double *M)
{
    const size_t n = s->n;
    double *x = s->ls_x[0], *gp = s->ls_g[0], *gm = s->ls_g[1];
    memcpy(x, s->x, n * sizeof *x);
    for (size_t j = 0; j < n; j++) {
        const double xj = s->x[j], h = cbrt(DBL_EPSILON) * fmax(1, fabs(xj));
        x[j] = xj + h;
        const double up = x[j];
        dn_solve_eval(s, x, gp);
        x[j] = xj - h;
        const double down = x[j];
        dn_solve_eval(s, x, gm);
        x[j] = xj;
        if (s->spent) return 1;
        /* The divisor is the step the representable x actually took. */
        const double inv = 1 / (up - down);
        for (size_t i = 0; i < n; i++) M[j * n + i] = (gp[i] - gm[i]) * inv;
    }
    return 0;
}

/* M's lower triangle becomes ½(H + Hᵀ) and diag H's diagonal; 0 when
 * every entry is finite. */
static int symmetrize(double *M, double *diag, size_t n)
{
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        diag[i] = M[i * n + i];
        bad |= !isfinite(diag[i]);
        for (size_t j = 0; j < i; j++) {
            double v = 0.5 * (M[i * n + j] + M[j * n + i]);
            M[i * n + j] = v;
            bad |= !isfinite(v);
        }
    }
    return bad;
}

/* Factors H + tau I with Algorithm 3.3's tau: 0 if H's diagonal is
 * positive and Cholesky succeeds, else from −min H_ii + beta upward,
 * doubling, with beta = 1e-3 max |H_ii| so the shift scales with H.
 * 0 on success. */
static int factor(double *M, const double *diag, size_t n)
{
    double dmin = INFINITY, dmax = 0;
    for (size_t i = 0; i < n; i++) {
        dmin = fmin(dmin, diag[i]);
        dmax = fmax(dmax, fabs(diag[i]));
    }
    const double beta = dmax > 0 ? 1e-3 * dmax : 1e-3;
    double tau = dmin > 0 ? 0 : beta - dmin;
    for (int k = 0; k < 2100; k++) {
        if (!dn_chol_shifted(M, diag, NULL, tau, n)) return 0;
        tau = fmax(2 * tau, beta);
        if (!isfinite(tau)) break;
    }
    return 1;
}

dn_status dn_newton_run(dn_solve *s)
{
    const size_t n = s->n;
    const dn_problem *p = s->p;
    double *M = malloc(n * n * sizeof *M), *diag = malloc(n * sizeof *diag),
           *d = malloc(n * sizeof *d);
    dn_status st = DN_OK;
    if (!M || !diag || !d) {
        st = dn_fail(s->err, DN_ENOMEM, "solver newton: out of memory for "
                     "the %zu × %zu Hessian (%.0f MiB)", n, n,
                     (double)n * n * 8 / 1048576);
        goto done;
    }
    for (;;) {
        if (p->hess ? p->hess(s->x, M, p->user) != 0 : fd_hessian(s, M)) {
            if (s->spent) {
                s->reason = DN_STOP_EVALS;
                break;
            }
            st = dn_fail(s->err, DN_ENUMERIC, "solver newton: the Hessian "
                         "callback failed at iteration %d", s->iter + 1);
            break;
        }
        if (symmetrize(M, diag, n) || factor(M, diag, n)) {
            st = dn_fail(s->err, DN_ENUMERIC, "solver newton: the Hessian "
                         "has NaN or infinite entries at iteration %d (f = "
                         "%g); start closer to a minimum, or use lbfgs",
                         s->iter + 1, s->f);
            break;
        }
        for (size_t i = 0; i < n; i++) d[i] = -s->g[i];
        dn_chol_solve(M, n, d);

        const double f_prev = s->f;
        double alpha;
        dn_ls_result r = dn_linesearch(s, d, 1, &alpha);
        if (r == DN_LS_FAIL) {
            /* Rounding can spoil a Newton step near the minimum; one try
             * along −g before giving up. */
            for (size_t i = 0; i < n; i++) d[i] = -s->g[i];
            r = dn_linesearch(s, d, fmin(1, 1 / s->gnorm), &alpha);
        }
        if (dn_ls_stops(s, r, 1)) break;
        if (dn_solve_step_done(s, f_prev, alpha, 0, r == DN_LS_WOLFE)) break;
    }
done:
    DN_FREE_ALL(M, diag, d);
    return st;
}
