/* linesearch.c — a step length along a descent direction d that meets
 * the strong Wolfe conditions, shared by L-BFGS, CG and Newton.
 *
 * On the line, phi(a) = f(x + a d) and phi'(a) = g(x + a d)ᵀd, with
 * phi'(0) < 0.  A step is accepted when
 *   phi(a) ≤ phi(0) + c1 a phi'(0)     sufficient decrease (Armijo)
 *   |phi'(a)| ≤ c2 |phi'(0)|           curvature: the slope has flattened
 * The search (Nocedal & Wright, Algorithms 3.5 and 3.6) first walks out
 * from the trial step until it brackets such a step — a point that fails
 * sufficient decrease or rises above the last one, or where the slope has
 * turned positive — extrapolating by cubic interpolation; then it zooms
 * into the bracket, each trial at the minimizer of the cubic that matches
 * phi and phi' at the bracket's ends, kept inside it, with bisection when
 * the bracket stops shrinking.  On a quadratic the cubic is exact, so CG
 * and Newton get their exact minimizing steps.
 *
 * Within the zoom, `lo` is always the lowest point found that meets
 * sufficient decrease.  Its x and g stay in one of two buffer pairs while
 * the next trial fills the other, so whichever point is accepted, its x
 * and g are at hand (one copy into the run's own) and nothing is
 * allocated.
 *
 * The fallback: if no Wolfe step turns up within ls_max evaluations (a
 * noisy objective, such as a float32 network near its minimum, makes
 * slopes unreliable), take `lo` if there is one; otherwise backtrack from
 * the shortest step tried, shrinking by quadratic interpolation (between
 * a tenth and a half each time), until sufficient decrease holds.
 *
 * Every phase stops as soon as the steps left to try are below the
 * precision of the objective's arithmetic (problem.precision): too short
 * to move x, or with a first-order decrease a |phi'(0)| below the
 * rounding of f.  A float32 network reaches that limit at the end of
 * every converged run, and each further trial would be a wasted pass
 * over the data. */
#include "optim/optim.h"
#include "optim/optim.h"
#include <float.h>
#include <math.h>
#include <string.h>

/* A point on the line: step a, phi(a), phi'(a). */
typedef struct { double a, f, d; } pt;

typedef struct {
    dn_solve     *s;
    const double *dir;
    double f0, d0;      /* phi(0), phi'(0) */
    double dmax, xmax;  /* max |d_i|, max |x_i|: the resolution of a */
    double eps;         /* the precision of the arithmetic behind f */
    int    lo;          /* the buffer pair holding the point `best` */
    int    have;        /* 1 once some trial met sufficient decrease */
    int    cur;         /* the buffer pair of the last trial */
    int    used;        /* evaluations so far */
    double amin;        /* the shortest step tried */
    pt     best;
} line;

/* The minimizer of the cubic that matches phi and phi' at p and q
 * (Nocedal & Wright, eq. 3.59); NaN when the cubic has none. */
static double cubic_min(pt p, pt q)
{
    double d1 = p.d + q.d - 3 * (p.f - q.f) / (p.a - q.a);
    double r = d1 * d1 - p.d * q.d;
    if (!(r >= 0)) return NAN;
    double d2 = copysign(sqrt(r), q.a - p.a);
    double den = q.d - p.d + 2 * d2;
    if (den == 0) return NAN;
    return q.a - (q.a - p.a) * (q.d + d2 - d1) / den;
}

/* 1 when steps a and a + w put x at points the objective's arithmetic
 * cannot tell apart. */
static int unresolved(const line *L, double w)
{
    return fabs(w) * L->dmax <= L->eps * fmax(L->xmax, DBL_MIN);
}

/* 1 when even the first-order decrease a |phi'(0)| of a step a is below
 * the rounding of f itself: no comparison of values could confirm it. */
static int invisible(const line *L, double a)
{
    return a * -L->d0 <= L->eps * fabs(L->f0);
}

/* Evaluates phi and phi' at a, into the buffer pair `best` does not use. */
static pt probe(line *L, double a)
{
    dn_solve *s = L->s;
    const int k = L->have ? 1 - L->lo : 0;
    double *x = s->ls_x[k], *g = s->ls_g[k];
    for (size_t i = 0; i < s->n; i++) x[i] = s->x[i] + a * L->dir[i];
    pt p = { a, dn_solve_eval(s, x, g), NAN };
    if (isfinite(p.f)) p.d = dn_dot(g, L->dir, s->n);
    if (!isfinite(p.d)) p.f = INFINITY;  /* a NaN slope: "too far" */
    L->cur = k;
    L->used++;
    L->amin = fmin(L->amin, a);
    return p;
}

/* The last trial becomes the lowest sufficient-decrease point. */
static void keep(line *L, pt p)
{
    L->lo = L->cur;
    L->have = 1;
    L->best = p;
}

static int armijo(const line *L, pt p)
{
    return p.f <= L->f0 + L->s->c->c1 * p.a * L->d0;
}

static int flat(const line *L, pt p)
{
    return fabs(p.d) <= -L->s->c->c2 * L->d0;
}

/* Moves the run to `best`. */
static void take(line *L, double *alpha)
{
    dn_solve *s = L->s;
    memcpy(s->x, s->ls_x[L->lo], s->n * sizeof *s->x);
    memcpy(s->g, s->ls_g[L->lo], s->n * sizeof *s->g);
    s->f = L->best.f;
    *alpha = L->best.a;
}

/* Algorithm 3.6: lo meets sufficient decrease and is the lowest such
 * point; the step we want lies between lo and hi.  1 = a Wolfe step is
 * in `best`.  The cubic's point is kept 1% of the width inside the
 * bracket; if two trials have not halved the width, the next one
 * bisects, so the bracket shrinks at least geometrically. */
static int zoom(line *L, pt lo, pt hi)
{
    double w_old = INFINITY, w_older = INFINITY;
    while (L->used < L->s->c->ls_max) {
        double left = fmin(lo.a, hi.a), w = fabs(hi.a - lo.a);
        if (unresolved(L, w) || invisible(L, fmax(lo.a, hi.a))) return 0;
        double a = isfinite(hi.f) && w <= 0.5 * w_older
                 ? cubic_min(lo, hi) : NAN;
        if (!isfinite(a)) a = 0.5 * (lo.a + hi.a);
        a = fmin(fmax(a, left + 0.01 * w), left + 0.99 * w);
        w_older = w_old;
        w_old = w;
        pt p = probe(L, a);
        if (L->s->spent) return 0;
        if (!armijo(L, p) || p.f >= lo.f) {
            hi = p;
            continue;
        }
        keep(L, p);
        if (flat(L, p)) return 1;
        if (p.d * (hi.a - lo.a) >= 0) hi = lo;
        lo = p;
    }
    return 0;
}

/* Algorithm 3.5: walks out from alpha0 until a Wolfe step is found (1)
 * or bracketed and zoomed into. */
static int wolfe(line *L, double alpha0)
{
    pt prev = { 0, L->f0, L->d0 };
    double a = alpha0;
    for (int i = 1; L->used < L->s->c->ls_max; i++) {
        pt p = probe(L, a);
        if (L->s->spent) return 0;
        if (!armijo(L, p) || (i > 1 && p.f >= prev.f))
            return zoom(L, prev, p);
        keep(L, p);
        if (flat(L, p)) return 1;
        if (p.d >= 0) return zoom(L, p, prev);
        /* Still going down steeply: extrapolate to the cubic's
         * minimizer, at least 1% further and at most 10 times as far;
         * 2a when the cubic gives nothing beyond where we are. */
        double next = cubic_min(prev, p);
        if (!isfinite(next) || next <= a) next = 2 * a;
        next = fmin(fmax(next, 1.01 * a), 10 * a);
        if (next * L->dmax > 1e150) return 0;
        prev = p;
        a = next;
    }
    return 0;
}

/* Backtracking from the shortest step tried (every trial so far failed
 * sufficient decrease): the minimizer of the quadratic through phi(0),
 * phi'(0) and phi(a), kept within [a/10, a/2].  1 = success. */
static int backtrack(line *L, double a)
{
    for (int k = 0; k < L->s->c->ls_max; k++) {
        if (unresolved(L, a) || invisible(L, a)) return 0;
        pt p = probe(L, a);
        if (L->s->spent) return 0;
        if (armijo(L, p)) {
            keep(L, p);
            return 1;
        }
        double q = isfinite(p.f)
                 ? -L->d0 * a * a / (2 * (p.f - L->f0 - L->d0 * a)) : NAN;
        a = isfinite(q) ? fmin(fmax(q, 0.1 * a), 0.5 * a) : 0.5 * a;
    }
    return 0;
}

dn_ls_result dn_linesearch(dn_solve *s, const double *d, double alpha0,
                           double *alpha)
{
    line L;
    memset(&L, 0, sizeof L);
    L.s = s;
    L.dir = d;
    L.f0 = s->f;
    L.d0 = dn_dot(s->g, d, s->n);
    L.eps = s->p->precision > 0 ? s->p->precision : DBL_EPSILON;
    if (!(L.d0 < 0) || !(alpha0 > 0) || !isfinite(alpha0)) return DN_LS_FAIL;
    for (size_t i = 0; i < s->n; i++) {
        L.dmax = fmax(L.dmax, fabs(d[i]));
        L.xmax = fmax(L.xmax, fabs(s->x[i]));
    }
    L.amin = alpha0;
    /* Already at the limit: a step of 10 alpha0 would not show. */
    if (invisible(&L, 10 * alpha0) || unresolved(&L, 10 * alpha0))
        return DN_LS_FAIL;
    if (wolfe(&L, alpha0)) {
        take(&L, alpha);
        return DN_LS_WOLFE;
    }
    /* Every trial failed sufficient decrease: go on below the shortest. */
    if (!L.have && !s->spent) backtrack(&L, 0.5 * L.amin);
    if (L.have) {
        take(&L, alpha);
        return DN_LS_ARMIJO;
    }
    return s->spent ? DN_LS_BUDGET : DN_LS_FAIL;
}

int dn_ls_stops(dn_solve *s, dn_ls_result r, int steepest)
{
    if (r == DN_LS_BUDGET) s->reason = DN_STOP_EVALS;
    else if (r == DN_LS_FAIL && steepest) s->reason = DN_STOP_LINESEARCH;
    else return 0;
    return 1;
}
