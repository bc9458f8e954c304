/* hf.c — Hessian-free Gauss-Newton (Martens 2010): Newton's quadratic
 * model with the Gauss-Newton matrix G in place of the Hessian, solved
 * by linear conjugate gradient from products G v alone, so no n × n
 * matrix is ever formed and the size limit of LM and Newton goes away.
 *
 * One iteration at x with gradient g:
 *   1. CG on (G + mu I) p = −g from p0 = hf_decay × the last solve's p
 *      (or 0 when p0 is not downhill: q(p0) ≥ 0).  The warm start is what
 *      makes a capped CG useful: the low-curvature directions CG reaches
 *      last keep improving over iterations.
 *   2. The step: the last CG iterate, or the saved earlier one with the
 *      lowest f (walking back while f falls: late iterates fit the
 *      quadratic model of the curvature rows best but may overshoot f),
 *      then backtracking along it to sufficient decrease.  A step that
 *      does not lower f is not taken: mu grows and CG runs again.
 *   3. mu follows rho = actual / predicted reduction, the prediction by
 *      the model without mu (the curvature the problem has, not the one
 *      we added).
 *
 * The CG's quadratic phi(p) = ½ pᵀA p + gᵀp (A = G + mu I) is known at
 * every iterate without another product: with r = −g − A p,
 * phi(p) = −½ pᵀ(r − g). */
#include "optim/optim.h"
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PROGRESS_EPS 5e-4  /* Martens' relative-progress tolerance */

typedef struct {
    dn_solve *s;
    size_t n;
    double *r, *d, *Ad, *p, *xt;
    double *saved;   /* n_slots × n: iterates 1, 2, 3, 4, 6, 8, ... */
    double *gp, *pGp;/* gᵀp and pᵀGp (without mu) of each saved one */
    double *phi;     /* phi of every CG iterate, for the progress test */
    int n_slots;
} hf;

/* Slots for iterates i = 1, 2, 3, 4, 6, 8, 11, ... (i ← max(i + 1,
 * ⌈1.3 i⌉)) up to cg_max, plus the last iterate. */
static int next_saved(int i) { int j = (int)ceil(1.3 * i); return j > i + 1 ? j : i + 1; }

static int slots(int cg_max)
{
    int k = 1;
    for (int i = 1; i <= cg_max; i = next_saved(i)) k++;
    return k;
}

/* out = G v (without mu), counted as one evaluation; without a gn
 * callback, H v by central differences of the gradient (two).  0, 1 on
 * a callback failure, 2 when the budget is spent. */
static int gprod(hf *h, const double *v, double *out)
{
    dn_solve *s = h->s;
    const dn_problem *p = s->p;
    const size_t n = h->n;
    if (p->gn) {
        if (s->c->max_evals > 0 && s->evals >= s->c->max_evals) {
            s->spent = 1;
            return 2;
        }
        s->evals++;
        return p->gn(s->x, v, out, s->iter, p->user) ? 1 : 0;
    }
    /* The step balances truncation against rounding as in newton.c. */
    const double vn = dn_norm(v, n);
    if (vn == 0) { memset(out, 0, n * sizeof *out); return 0; }
    const double e = cbrt(DBL_EPSILON) * fmax(1, dn_norm(s->x, n)) / vn;
    double *x = s->ls_x[1], *gm = s->ls_g[1];
    for (size_t i = 0; i < n; i++) x[i] = s->x[i] + e * v[i];
    dn_solve_eval(s, x, out);
    for (size_t i = 0; i < n; i++) x[i] = s->x[i] - e * v[i];
    dn_solve_eval(s, x, gm);
    if (s->spent) return 2;
    for (size_t i = 0; i < n; i++) out[i] = (out[i] - gm[i]) / (2 * e);
    return 0;
}

/* Keeps iterate p in slot k with its model terms; A p = −g − r. */
static void save(hf *h, int k, double mu)
{
    const size_t n = h->n;
    const double *g = h->s->g;
    memcpy(h->saved + (size_t)k * n, h->p, n * sizeof *h->p);
    double gp = 0, pAp = 0, pp = 0;
    for (size_t i = 0; i < n; i++) {
        gp += g[i] * h->p[i];
        pAp += h->p[i] * (-g[i] - h->r[i]);
        pp += h->p[i] * h->p[i];
    }
    h->gp[k] = gp;
    h->pGp[k] = pAp - mu * pp;
}

/* CG on (G + mu I) p = −g; fills the saved slots and returns how many
 * (0 with *fail set on a product's failure or a spent budget). */
static int cg(hf *h, double *prev, int *fail)
{
    dn_solve *s = h->s;
    const dn_solver_conf *c = s->c;
    const size_t n = h->n;
    const double *g = s->g;
    double *r = h->r, *d = h->d, *Ad = h->Ad, *p = h->p;
    *fail = 0;
    /* The warm start, kept only when it is downhill on the model. */
    for (size_t i = 0; i < n; i++) p[i] = c->hf_decay * prev[i];
    int warm = c->hf_decay > 0 && dn_norm(p, n) > 0;
    if (warm) {
        if ((*fail = gprod(h, p, Ad))) return 0;
        for (size_t i = 0; i < n; i++) r[i] = -g[i] - Ad[i] - s->mu * p[i];
        double phi0 = 0;
        for (size_t i = 0; i < n; i++) phi0 -= 0.5 * p[i] * (r[i] - g[i]);
        warm = phi0 < 0;
    }
    if (!warm) {
        memset(p, 0, n * sizeof *p);
        for (size_t i = 0; i < n; i++) r[i] = -g[i];
    }
    memcpy(d, r, n * sizeof *d);
    double rr = dn_dot(r, r, n);
    const double stop_r = c->hf_cg_tol * s->gnorm;
    int k = 0, next = 1, last_saved = 0;
    h->phi[0] = 0;
    for (size_t i = 0; warm && i < n; i++) h->phi[0] -= 0.5 * p[i] * (r[i] - g[i]);
    int i = 0;
    while (i < c->hf_cg_max && sqrt(rr) > stop_r) {
        if ((*fail = gprod(h, d, Ad))) return 0;
        const double dd = dn_dot(d, d, n), dGd = dn_dot(d, Ad, n);
        if (s->iter == 0 && !s->state[DN_ST_S0] && dGd > 0 && dd > 0) {
            /* mu in units of the curvature the problem shows first. */
            s->state[DN_ST_S0] = dGd / dd;
            s->mu = c->mu * dGd / dd;
        }
        const double dAd = dGd + s->mu * dd;
        if (!(dAd > 0)) break;   /* non-positive curvature: stop here */
        const double alpha = rr / dAd;
        for (size_t j = 0; j < n; j++) {
            p[j] += alpha * d[j];
            r[j] -= alpha * (Ad[j] + s->mu * d[j]);
        }
        const double rr_new = dn_dot(r, r, n);
        i++;
        double phi = 0;
        for (size_t j = 0; j < n; j++) phi -= 0.5 * p[j] * (r[j] - g[j]);
        h->phi[i] = phi;
        if (i == next && k < h->n_slots - 1) {
            save(h, k++, s->mu);
            last_saved = i;
            next = next_saved(next);
        }
        /* Martens' test: little progress on the model over the last
         * kk iterations, relative to its value. */
        const int kk = i / 10 > 10 ? i / 10 : 10;
        if (i > kk && phi < 0 && (phi - h->phi[i - kk]) / phi < kk * PROGRESS_EPS)
            break;
        const double beta = rr_new / rr;
        rr = rr_new;
        for (size_t j = 0; j < n; j++) d[j] = r[j] + beta * d[j];
    }
    /* The last iterate, unless it was just saved (the warm start itself
     * when CG had nothing to add). */
    if (i > last_saved || (i == 0 && warm)) save(h, k++, s->mu);
    memcpy(prev, p, n * sizeof *p);
    return k;
}

/* f at x + alpha × saved iterate k, value only. */
static double trial(hf *h, int k, double alpha)
{
    const size_t n = h->n;
    const double *pk = h->saved + (size_t)k * n;
    for (size_t i = 0; i < n; i++) h->xt[i] = h->s->x[i] + alpha * pk[i];
    return dn_solve_eval(h->s, h->xt, NULL);
}

dn_status dn_hf_run(dn_solve *s)
{
    const dn_solver_conf *c = s->c;
    const size_t n = s->n;
    double *prev = DN_ST_ARRAYS(s);
    hf h = { .s = s, .n = n, .n_slots = slots(c->hf_cg_max) };
    const size_t ns = (size_t)h.n_slots;
    h.r = malloc(n * sizeof *h.r);
    h.d = malloc(n * sizeof *h.d);
    h.Ad = malloc(n * sizeof *h.Ad);
    h.p = malloc(n * sizeof *h.p);
    h.xt = malloc(n * sizeof *h.xt);
    h.saved = malloc(ns * n * sizeof *h.saved);
    h.gp = malloc(ns * sizeof *h.gp);
    h.pGp = malloc(ns * sizeof *h.pGp);
    h.phi = malloc(((size_t)c->hf_cg_max + 1) * sizeof *h.phi);
    dn_status st = DN_OK;
    if (!h.r || !h.d || !h.Ad || !h.p || !h.xt || !h.saved || !h.gp ||
        !h.pGp || !h.phi) {
        st = dn_fail(s->err, DN_ENOMEM, "solver hf: out of memory for %d "
                     "vectors of %zu doubles (lower hf_cg_max to save fewer "
                     "CG iterates)", h.n_slots + 5, n);
        goto done;
    }
    if (!s->resumed) {
        s->mu = c->mu;
        memset(prev, 0, n * sizeof *prev);
    }
    const double prec = fmax(s->p->precision, DBL_EPSILON);
    for (;;) {
        const double f0 = s->f;
        int fail, k = cg(&h, prev, &fail);
        if (fail) {
            if (fail == 2) s->reason = DN_STOP_EVALS;
            else st = dn_fail(s->err, DN_ENUMERIC, "solver hf: the "
                              "Gauss-Newton product callback failed at "
                              "iteration %d", s->iter + 1);
            break;
        }
        /* Walk back over the saved iterates while f keeps falling. */
        int best = k - 1;
        double fb = best >= 0 ? trial(&h, best, 1) : NAN;
        while (best > 0 && isfinite(fb)) {
            const double fj = trial(&h, best - 1, 1);
            if (!(fj < fb)) break;
            best--;
            fb = fj;
        }
        /* Then sufficient decrease along it, halving. */
        double alpha = 1;
        int ok = best >= 0 && fb < f0 && fb <= f0 + c->c1 * h.gp[best];
        for (int t = 0; best >= 0 && !ok && !s->spent && t < c->ls_max; t++) {
            alpha *= 0.5;
            fb = trial(&h, best, alpha);
            ok = fb < f0 && fb <= f0 + c->c1 * alpha * h.gp[best];
        }
        if (s->spent) { s->reason = DN_STOP_EVALS; break; }
        const double *pb = best >= 0 ? h.saved + (size_t)best * n : NULL;
        const double moved = pb ? alpha * dn_norm(pb, n) : 0;
        if (!ok) {
            /* No step lowered f: a smaller trust in the model, again,
             * unless the steps are already below the arithmetic's
             * resolution. */
            if (pb && moved <= prec * fmax(1, dn_norm(s->x, n))) {
                s->reason = DN_STOP_LINESEARCH;
                break;
            }
            s->mu *= c->mu_inc * c->mu_inc;
            if (s->mu > c->mu_max * fmax(s->state[DN_ST_S0], DBL_MIN)) {
                s->reason = DN_STOP_MU_MAX;
                break;
            }
            continue;
        }
        const double pred = alpha * h.gp[best] +
                            0.5 * alpha * alpha * h.pGp[best];
        const double rho = pred < 0 ? (fb - f0) / pred : 0;
        if (rho < 0.25) s->mu *= c->mu_inc;
        else if (rho > 0.75) s->mu = fmax(s->mu * c->mu_dec, 1e-20);
        for (size_t i = 0; i < n; i++) s->x[i] += alpha * pb[i];
        s->f = dn_solve_eval(s, s->x, s->g);
        if (s->spent) {
            /* The point is accepted but its gradient was not paid for:
             * go back, so x always has its g. */
            for (size_t i = 0; i < n; i++) s->x[i] -= alpha * pb[i];
            s->f = f0;
            s->reason = DN_STOP_EVALS;
            break;
        }
        if (!isfinite(s->f) || !isfinite(dn_norm(s->g, n))) {
            for (size_t i = 0; i < n; i++) s->x[i] -= alpha * pb[i];
            st = dn_fail(s->err, DN_ENUMERIC, "solver hf: the gradient is "
                         "not finite at iteration %d (f = %g)", s->iter + 1,
                         s->f);
            break;
        }
        if (dn_solve_step_done(s, f0, alpha, s->mu, 0)) break;
    }
done:
    DN_FREE_ALL(h.r, h.d, h.Ad, h.p, h.xt, h.saved, h.gp, h.pGp, h.phi);
    return st;
}
