/* lbfgs.c — limited-memory BFGS: Newton-like steps d = −H g from an
 * inverse-Hessian estimate H that is never formed.
 *
 * BFGS updates H so that H y = s for the newest step s = x_{k+1} − x_k
 * and gradient change y = g_{k+1} − g_k (the secant condition: H acts
 * like the inverse Hessian along the path taken).  L-BFGS keeps only the
 * last m pairs and applies the m updates to a vector on demand with the
 * two-loop recursion (Nocedal & Wright, Algorithm 7.4), in 4mn flops and
 * 2mn doubles of memory instead of n².  The recursion starts from
 * H0 = gamma I with gamma = sᵀy / yᵀy of the newest pair, the curvature
 * along the last step, which makes the unit step alpha = 1 the right
 * first guess for the line search from the second iteration on.
 *
 * A pair enters the memory only with sᵀy > 0 (positive curvature along
 * s), which the strong Wolfe conditions guarantee in exact arithmetic;
 * without it H would stop being positive definite and d could point
 * uphill. */
#include "internal.h"
#include "solve.h"
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int     m, count, newest;  /* capacity, pairs held, ring index */
    double *S, *Y;             /* m × n each: pair i is row i */
    double *rho, *a;           /* 1 / sᵀy per pair; the first loop's alphas */
    double  gamma;             /* H0 = gamma I */
} memory;

/* d = −H g by the two-loop recursion. */
static void direction(const memory *M, const double *g, double *d, size_t n)
{
    for (size_t i = 0; i < n; i++) d[i] = -g[i];
    /* Newest to oldest: a_i = rho_i s_iᵀq, q −= a_i y_i. */
    for (int k = 0, i = M->newest; k < M->count; k++) {
        const double *s = M->S + (size_t)i * n, *y = M->Y + (size_t)i * n;
        double a = M->rho[i] * dn_dot(s, d, n);
        M->a[i] = a;
        for (size_t j = 0; j < n; j++) d[j] -= a * y[j];
        i = i ? i - 1 : M->m - 1;
    }
    for (size_t j = 0; j < n; j++) d[j] *= M->gamma;
    /* Oldest to newest: b = rho_i y_iᵀr, r += (a_i − b) s_i. */
    int i = M->newest - M->count + 1;
    if (i < 0) i += M->m;
    for (int k = 0; k < M->count; k++) {
        const double *s = M->S + (size_t)i * n, *y = M->Y + (size_t)i * n;
        double b = M->rho[i] * dn_dot(y, d, n);
        for (size_t j = 0; j < n; j++) d[j] += (M->a[i] - b) * s[j];
        i = i + 1 == M->m ? 0 : i + 1;
    }
}

/* Adds the pair (x − xp, g − gp) when its curvature is positive. */
static void remember(memory *M, const double *x, const double *xp,
                     const double *g, const double *gp, size_t n)
{
    int i = (M->newest + 1) % M->m;
    double *s = M->S + (size_t)i * n, *y = M->Y + (size_t)i * n;
    for (size_t j = 0; j < n; j++) {
        s[j] = x[j] - xp[j];
        y[j] = g[j] - gp[j];
    }
    double sy = dn_dot(s, y, n), yy = dn_dot(y, y, n);
    if (!(sy > DBL_EPSILON * yy) || !isfinite(sy)) return;
    M->rho[i] = 1 / sy;
    M->gamma = sy / yy;
    M->newest = i;
    if (M->count < M->m) M->count++;
}

dn_status dn_lbfgs_run(dn_solve *s)
{
    const size_t n = s->n;
    memory M = { .m = s->c->history, .newest = -1 + s->c->history,
                 .gamma = 1 };
    M.S = malloc((size_t)M.m * n * sizeof *M.S);
    M.Y = malloc((size_t)M.m * n * sizeof *M.Y);
    M.rho = malloc((size_t)M.m * sizeof *M.rho);
    M.a = malloc((size_t)M.m * sizeof *M.a);
    double *d = malloc(n * sizeof *d), *xp = malloc(n * sizeof *xp),
           *gp = malloc(n * sizeof *gp);
    dn_status st = DN_OK;
    if (!M.S || !M.Y || !M.rho || !M.a || !d || !xp || !gp) {
        st = dn_fail(s->err, DN_ENOMEM, "solver lbfgs: out of memory for "
                     "%d pairs of %zu doubles; use a smaller history", M.m,
                     n);
        goto done;
    }
    /* The first step has no curvature to go by: steepest descent with a
     * trial step alpha0 = min(1, 1/‖g‖), which moves x by min(‖g‖, 1). */
    for (size_t i = 0; i < n; i++) d[i] = -s->g[i];
    double alpha0 = fmin(1, 1 / s->gnorm);
    int steepest = 1;
    for (;;) {
        double f_prev = s->f, alpha;
        memcpy(xp, s->x, n * sizeof *xp);
        memcpy(gp, s->g, n * sizeof *gp);
        dn_ls_result r = dn_linesearch(s, d, alpha0, &alpha);
        if (r == DN_LS_BUDGET) {
            s->reason = DN_STOP_EVALS;
            break;
        }
        if (r == DN_LS_FAIL) {
            if (steepest) {
                s->reason = DN_STOP_LINESEARCH;
                break;
            }
            /* The memory led nowhere: forget it and try along −g. */
            M.count = 0;
            M.gamma = 1;
            for (size_t i = 0; i < n; i++) d[i] = -s->g[i];
            alpha0 = fmin(1, 1 / s->gnorm);
            steepest = 1;
            continue;
        }
        remember(&M, s->x, xp, s->g, gp, n);
        if (dn_solve_step_done(s, f_prev, alpha, 0, r == DN_LS_WOLFE)) break;
        direction(&M, s->g, d, n);
        steepest = M.count == 0;
        alpha0 = steepest ? fmin(1, 1 / s->gnorm) : 1;
        if (!(dn_dot(s->g, d, n) < 0)) {
            /* Rounding can leave H indefinite along g: start over. */
            M.count = 0;
            M.gamma = 1;
            for (size_t i = 0; i < n; i++) d[i] = -s->g[i];
            alpha0 = fmin(1, 1 / s->gnorm);
            steepest = 1;
        }
    }
done:
    free(M.S);
    free(M.Y);
    free(M.rho);
    free(M.a);
    free(d);
    free(xp);
    free(gp);
    return st;
}
