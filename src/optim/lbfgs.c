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
#include "optim/optim.h"
#include "optim/optim.h"
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

/* Forgets the memory and heads along −g with alpha0 = min(1, 1/‖g‖),
 * which moves x by min(‖g‖, 1): the first step, or a fresh start. */
static void restart(memory *M, const dn_solve *s, double *d, double *alpha0)
{
    M->count = 0;
    M->gamma = 1;
    for (size_t i = 0; i < s->n; i++) d[i] = -s->g[i];
    *alpha0 = fmin(1, 1 / s->gnorm);
}

/* After an accepted step: the next direction from the memory and its
 * first trial step; 1 when it is steepest descent. */
static int next(memory *M, const dn_solve *s, double *d, double *alpha0)
{
    direction(M, s->g, d, s->n);
    int steepest = M->count == 0;
    *alpha0 = steepest ? fmin(1, 1 / s->gnorm) : 1;
    if (!(dn_dot(s->g, d, s->n) < 0)) {
        /* Rounding can leave H indefinite along g: start over. */
        restart(M, s, d, alpha0);
        steepest = 1;
    }
    return steepest;
}

dn_status dn_lbfgs_run(dn_solve *s)
{
    const size_t n = s->n;
    /* The pairs live in the run's state, so a checkpoint holds them. */
    double *own = DN_ST_ARRAYS(s), *sc = s->state + DN_ST_S0;
    memory M = { .m = s->c->history, .newest = -1 + s->c->history,
                 .gamma = 1 };
    M.S = own;
    M.Y = own + (size_t)M.m * n;
    M.rho = own + 2 * (size_t)M.m * n;
    M.a = malloc((size_t)M.m * sizeof *M.a);
    double *d = malloc(n * sizeof *d), *xp = malloc(n * sizeof *xp),
           *gp = malloc(n * sizeof *gp);
    dn_status st = DN_OK;
    if (!M.a || !d || !xp || !gp) {
        st = dn_fail(s->err, DN_ENOMEM, "solver lbfgs: out of memory for "
                     "%d pairs of %zu doubles; use a smaller history", M.m,
                     n);
        goto done;
    }
    double alpha0;
    int steepest = 1;
    if (s->resumed) {
        M.count = (int)sc[0];
        M.newest = (int)sc[1];
        M.gamma = sc[2];
        steepest = next(&M, s, d, &alpha0);
    } else {
        /* The first step has no curvature to go by. */
        restart(&M, s, d, &alpha0);
    }
    for (;;) {
        double f_prev = s->f, alpha;
        memcpy(xp, s->x, n * sizeof *xp);
        memcpy(gp, s->g, n * sizeof *gp);
        dn_ls_result r = dn_linesearch(s, d, alpha0, &alpha);
        if (dn_ls_stops(s, r, steepest)) break;
        if (r == DN_LS_FAIL) {
            /* The memory led nowhere: forget it and try along −g. */
            restart(&M, s, d, &alpha0);
            steepest = 1;
            continue;
        }
        remember(&M, s->x, xp, s->g, gp, n);
        sc[0] = M.count;
        sc[1] = M.newest;
        sc[2] = M.gamma;
        if (dn_solve_step_done(s, f_prev, alpha, 0, r == DN_LS_WOLFE)) break;
        steepest = next(&M, s, d, &alpha0);
    }
done:
    DN_FREE_ALL(M.a, d, xp, gp);
    return st;
}
