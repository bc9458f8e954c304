/* lm.c — Levenberg–Marquardt for sums of squares: MATLAB trainlm's
 * scalar rule for the damping mu, swept further on each Jacobian
 * (--lm-rule sweep) or as trainlm has it (--lm-rule trainlm), Moré's
 * scaled trust region (MINPACK lmder's rule, --lm-rule more), the sweep
 * with NL2SOL's estimate of the second-order term (--lm-rule hybrid), or
 * that estimate only where the fit is poor (--lm-rule gated, the
 * default).
 *
 * For f = scale (½ Σ_i ‖e_i‖² + ½ Σ_j r_j x_j²), the Gauss–Newton model
 * replaces the Hessian by JᵀJ + diag(r) — exact for the ridge, and for
 * the residuals it drops only the terms that carry e_i ∇²e_i, small when
 * the fit is good.  The step solves
 *   (JᵀJ + diag(r) + mu I) delta = −(Jᵀe + r ⊙ x).
 * mu → 0 gives the Gauss–Newton step, large mu a short step along −g;
 * trainlm moves between them by trial: a step that lowers f is taken and
 * mu shrinks (× mu_dec), one that does not is undone and mu grows
 * (× mu_inc) until one does or mu passes mu_max.  mu is in the units of
 * JᵀJ (sums over samples, not means), as in trainlm.
 *
 * What Moré's rule (the option, as MINPACK's lmder) changes: mu I damps
 * every weight alike, so a weight whose column of J is large (a bias feeding many samples) and one whose column is tiny
 * get the same brake, and the step is too short along the one and too
 * long along the other; D² = diag(JᵀJ) damps each in its own units.  And
 * trainlm's ×10 / ×0.1 ignores how well the quadratic model predicted
 * the step: rho = actual / predicted reduction says whether to trust a
 * longer step next time, so fewer Jacobians go to rejected or timid
 * steps.  Bounding ‖D delta‖ by Delta and solving for lambda (a few
 * Cholesky factorizations, no extra passes over the data) makes the
 * bound, not a guess of lambda, the thing that adapts.  On make
 * bench-solvers' networks it nevertheless loses to trainlm's rule at 50
 * Jacobians (bench/solvers/NOTES.md): ×0.1 per good step reaches the
 * Gauss–Newton step within a few iterations, where Delta grows by ×2.
 *
 * The sweep rule (the default) keeps trainlm's trial loop and changes
 * what happens around it.  A Jacobian pass costs a backward pass per
 * sample and output, a trial only a batched forward pass and an n³/3
 * Cholesky, so once a step has lowered f, smaller mu (a longer step,
 * nearer Gauss–Newton) is tried again on the same JᵀJ while it keeps
 * lowering f: trainlm would find the same mu only one ×mu_dec per
 * Jacobian.  And mu starts at mu · max_j (JᵀJ)_jj (Madsen, Nielsen and
 * Tingleff's choice): an absolute 1e-3 is a large damping for data whose
 * JᵀJ entries are small and none at all for data whose entries are big.
 * On make bench-solvers it brings the rows at or below MINPACK at 50
 * Jacobians from 14 of 24 (trainlm's rule) to 19 (bench/solvers/NOTES.md).
 *
 * The hybrid rule (--lm-rule hybrid) is the sweep with NL2SOL's second
 * model (Dennis, Gay and Welsch 1981).  JᵀJ leaves out Σ e_i ∇²e_i, which
 * is small only when the residuals are: where the fit stays poor (fair's
 * heavy-tailed target under a ReLU network, loss 0.3 of 0.5) the
 * Gauss–Newton model overrates every long step, mu settles where the
 * step is a short gradient step, and LM crawls.  S estimates the missing
 * term from the gradients already computed: after a step s the gradient
 * changed by y, of which JᵀJ s is what Gauss–Newton explains, so S
 * should map s to y − JᵀJ s; a symmetric rank-two update (DGW's, scaled
 * in the metric of y, after sizing S down by |sᵀ(y − JᵀJ s)| / |sᵀ S s|
 * when that is below 1) makes it so.  Each step then asks which model,
 * JᵀJ or JᵀJ + S, predicted the reduction actually obtained the better,
 * and the next step uses that one.  It costs n² doubles more (in the
 * run's state, so checkpoints hold S) and O(n²) per iteration.
 *
 * The gated rule (the default) is the hybrid with S kept out where
 * Gauss–Newton needs no help: S is used for the next step only while f
 * is above GATE_SHARE of the starting f (the residuals still large) and
 * the last step gained less than GATE_RHO of what Gauss–Newton
 * predicted (the model overrated it).  Near-interpolating fits
 * (stackloss: 21 rows, 21 weights) then take the sweep's steps, where an
 * S learnt from a few steps only perturbs a model that is nearly right;
 * large-residual ones (fair under a ReLU network) get the secant term
 * (bench/solvers/NOTES.md, Round 5: 20 of 24 rows within 5% of Adam
 * against 18 for the sweep; 64 of 80 on seeds 4–13, as the sweep).
 *
 * JᵀJ and Jᵀe are sums over samples, accumulated one sample's Jacobian
 * rows at a time in float64: memory n² + k n doubles whatever the number
 * of samples, and the full Jacobian is never stored.  Only JᵀJ's lower
 * triangle is summed; zero entries of a Jacobian row (inactive ReLU
 * units, say) skip their whole row of the update.
 *
 * One evaluation = one pass over the samples: a Jacobian pass, or the
 * value of a trial point (fg with g = NULL when the problem has it —
 * for a network, batched forward passes — else the residuals alone). */
#include "optim/optim.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    double *M, *diag;  /* JᵀJ: strict lower triangle, diagonal */
    double *je;        /* Jᵀe */
    double *rhs;       /* Jᵀe + r ⊙ x: the gradient without its scale */
    double *e, *J;     /* one sample's residuals and Jacobian rows */
    double *delta;
    double *add, *q;   /* Moré: ridge + lambda D², and R⁻ᵀ D² delta */
    double  scale;
    /* The hybrid and gated rules: S (n × n, full) and where the last
     * Jacobian was taken (x, Jᵀe + r ⊙ x), in the run's state; flags[0]
     * = 1 once there is a last point, flags[1] = 1 while the model is
     * JᵀJ + S, flags[2] = the starting f (the gate's reference). */
    double *S, *xo, *go, *flags;
    int gated;
    double *v, *w, *z; /* its work vectors */
} lm;

/* ½ Σ r_j x_j². */
static double ridge_term(const dn_problem *p, const double *x)
{
    double s = 0;
    for (size_t j = 0; p->ridge && j < p->n; j++)
        s += p->ridge[j] * x[j] * x[j];
    return 0.5 * s;
}

/* Accumulates JᵀJ and Jᵀe at s->x, sets s->g = scale (Jᵀe + r ⊙ x), and
 * returns f by the residuals (NaN on failure). */
static double jacobian(dn_solve *s, lm *L)
{
    const dn_problem *p = s->p;
    const size_t n = s->n;
    const int k = p->n_resid;
    memset(L->M, 0, n * n * sizeof *L->M);
    memset(L->diag, 0, n * sizeof *L->diag);
    memset(L->je, 0, n * sizeof *L->je);
    double sse = 0;
    s->evals++;
    for (int i = 0; i < p->n_samples; i++) {
        if (p->resid(s->x, i, L->e, L->J, p->user)) return NAN;
        for (int r = 0; r < k; r++) {
            const double *Jr = L->J + (size_t)r * n, e = L->e[r];
            sse += e * e;
            for (size_t a = 0; a < n; a++) {
                const double v = Jr[a];
                if (v == 0) continue;
                L->je[a] += v * e;
                L->diag[a] += v * v;
                double *Ma = L->M + a * n;
                for (size_t b = 0; b < a; b++) Ma[b] += v * Jr[b];
            }
        }
    }
    for (size_t j = 0; j < n; j++) {
        L->rhs[j] = L->je[j] + (p->ridge ? p->ridge[j] * s->x[j] : 0);
        s->g[j] = L->scale * L->rhs[j];
    }
    return L->scale * (0.5 * sse + ridge_term(p, s->x));
}

/* f at x, counted: fg's value when the problem has fg, else the sum of
 * squared residuals.  NaN once the budget is spent or on failure. */
static double value(dn_solve *s, lm *L, const double *x)
{
    const dn_problem *p = s->p;
    if (p->fg) return dn_solve_eval(s, x, NULL);
    if (s->c->max_evals > 0 && s->evals >= s->c->max_evals) {
        s->spent = 1;
        return NAN;
    }
    s->evals++;
    double sse = 0;
    for (int i = 0; i < p->n_samples; i++) {
        if (p->resid(x, i, L->e, NULL, p->user)) return NAN;
        for (int r = 0; r < p->n_resid; r++) sse += L->e[r] * L->e[r];
    }
    return L->scale * (0.5 * sse + ridge_term(p, x));
}

/* The Jacobian pass at the current point; f there comes from the same
 * source as the trial values, so that accepting compares like with
 * like. */
static dn_status at_point(dn_solve *s, lm *L, double f_known)
{
    const double f = jacobian(s, L);
    s->gnorm = dn_norm(s->g, s->n);
    if (!isfinite(f) || !isfinite(s->gnorm))
        return dn_fail(s->err, DN_ENUMERIC, "solver lm: the residuals or "
                       "their Jacobian are not finite (or the callback "
                       "failed) at iteration %d (f = %g)%s", s->iter, f,
                       s->iter ? "" : "; start where the residuals are "
                       "finite");
    s->f = isfinite(f_known) ? f_known
         : s->p->fg ? dn_solve_eval(s, s->x, NULL) : f;
    if (!isfinite(s->f) && !s->spent)
        return dn_fail(s->err, DN_ENUMERIC, "solver lm: the objective fg is "
                       "not finite at the starting point (f = %g) where the "
                       "residuals are", s->f);
    return DN_OK;
}

/* The step for the bound Delta (Moré 1978, with Nocedal & Wright's
 * Algorithm 4.3 in D-scaled variables): lambda = 0 (Gauss–Newton) if that
 * factors and ‖D delta‖ ≤ 1.1 Delta, else the lambda with ‖D delta‖
 * within 10% of Delta, found by Newton's method on 1/‖D delta‖ − 1/Delta
 * (the derivative from one forward solve), safeguarded in [lo, hi].
 * Writes delta into L->delta and returns ‖D delta‖; *lambda in/out. */
static double more_step(dn_solve *s, lm *L, const double *D, double Delta,
                        double *lambda)
{
    const size_t n = s->n;
    const double *ridge = s->p->ridge;
    double *add = L->add, *q = L->q;
    double lo = 0, hi = 0;
    for (size_t j = 0; j < n; j++) hi += pow(L->rhs[j] / D[j], 2);
    hi = sqrt(hi) / Delta;   /* ‖D⁻¹ g‖ / Delta: lambda above it is short */
    double lam = 0, pnorm = 0;
    for (int it = 0; it < 30; it++) {
        for (size_t j = 0; j < n; j++)
            add[j] = (ridge ? ridge[j] : 0) + lam * D[j] * D[j];
        if (dn_chol_shifted(L->M, L->diag, add, 0, n)) {
            /* Not positive definite (lambda 0 with JᵀJ singular). */
            lo = lam;
            lam = fmax(fmax(1e-3 * hi, sqrt(lo * hi)),
                       lam > 0 ? 2 * lam : 1e-12);
            continue;
        }
        for (size_t j = 0; j < n; j++) L->delta[j] = -L->rhs[j];
        dn_chol_solve(L->M, n, L->delta);
        pnorm = 0;
        for (size_t j = 0; j < n; j++) pnorm += pow(D[j] * L->delta[j], 2);
        pnorm = sqrt(pnorm);
        if (lam == 0 ? pnorm <= 1.1 * Delta
                     : fabs(pnorm - Delta) <= 0.1 * Delta || it == 29)
            break;
        if (pnorm > Delta) lo = fmax(lo, lam);
        else hi = fmin(hi, lam);
        /* q = R⁻ᵀ D² delta: ‖q‖² / ‖D delta‖ is −d‖D delta‖/dlambda. */
        for (size_t j = 0; j < n; j++) q[j] = D[j] * D[j] * L->delta[j];
        dn_chol_forward(L->M, n, q);
        const double qn = dn_norm(q, n);
        double next = lam + (pnorm / qn) * (pnorm / qn)
                          * (pnorm - Delta) / Delta;
        if (!(next > lo && next < hi))
            next = fmax(sqrt(lo * hi), 1e-3 * hi);
        if (next == lam) break;   /* cov: the bracket cannot shrink more */
        lam = next;
    }
    *lambda = lam;
    return pnorm;
}

/* D_j grows to the largest column norm of J (with the ridge) seen so far
 * (MINPACK's mode 1: a scale that only grows keeps the bound's meaning
 * from one iteration to the next); 1 for a weight nothing depends on. */
static void grow_scale(dn_solve *s, const lm *L, double *D)
{
    for (size_t j = 0; j < s->n; j++) {
        double d = sqrt(L->diag[j] + (s->p->ridge ? s->p->ridge[j] : 0));
        D[j] = fmax(D[j], d > 0 ? d : 1);
    }
}

/* The sweep: x + delta(mu) at *mu lowered f to *f_new (xt holds it);
 * while mu · mu_dec lowers f further on the same JᵀJ, take it (at most
 * SWEEP_MAX times).  xt, *f_new and *mu end at the lowest point (or
 * s->spent is set: the evaluation budget ran out). */
#define SWEEP_MAX 8
static void sweep(dn_solve *s, lm *L, double *xt, double *f_new, double *mu)
{
    const size_t n = s->n;
    const dn_solver_conf *c = s->c;
    double *x2 = s->ls_x[1];
    for (int t = 0; t < SWEEP_MAX; t++) {
        const double mu2 = *mu * c->mu_dec;
        if (mu2 < 1e-20 ||
            dn_chol_shifted(L->M, L->diag, s->p->ridge, mu2, n))
            break;
        for (size_t j = 0; j < n; j++) L->delta[j] = -L->rhs[j];
        dn_chol_solve(L->M, n, L->delta);
        for (size_t j = 0; j < n; j++) x2[j] = s->x[j] + L->delta[j];
        const double f2 = value(s, L, x2);
        if (s->spent || !(f2 < *f_new)) return;
        *f_new = f2;
        *mu = mu2;
        memcpy(xt, x2, n * sizeof *xt);
    }
}

/* u = (JᵀJ + diag(ridge)) d, JᵀJ as jacobian left it (strict lower
 * triangle and diagonal). */
static void gn_times(const dn_solve *s, const lm *L, const double *d,
                     double *u)
{
    const size_t n = s->n;
    const double *ridge = s->p->ridge;
    for (size_t a = 0; a < n; a++)
        u[a] = (L->diag[a] + (ridge ? ridge[a] : 0)) * d[a];
    for (size_t a = 0; a < n; a++) {
        const double *Ma = L->M + a * n;
        double t = 0;
        for (size_t b = 0; b < a; b++) {
            t += Ma[b] * d[b];
            u[b] += Ma[b] * d[a];
        }
        u[a] += t;
    }
}

/* u = S d. */
static void s_times(const double *S, const double *d, double *u, size_t n)
{
    for (size_t a = 0; a < n; a++) u[a] = dn_dot(S + a * n, d, n);
}

/* JᵀJ + S in place of JᵀJ, for the steps from this Jacobian. */
static void augment(const dn_solve *s, lm *L)
{
    const size_t n = s->n;
    for (size_t a = 0; a < n; a++) {
        const double *Sa = L->S + a * n;
        double *Ma = L->M + a * n;
        L->diag[a] += Sa[a];
        for (size_t b = 0; b < a; b++) Ma[b] += Sa[b];
    }
}

/* At a new Jacobian (JᵀJ not yet augmented): S learns from the step
 * since the last one, the new point becomes the last, and the model of
 * the next steps gets S if the last step said so. */
static void secant(dn_solve *s, lm *L)
{
    const size_t n = s->n;
    double *sv = L->v, *yS = L->w, *Ss = L->z, *y = L->go, *S = L->S;
    if (L->flags[0] > 0) {
        for (size_t j = 0; j < n; j++) {
            sv[j] = s->x[j] - L->xo[j];
            y[j] = L->rhs[j] - y[j];
        }
        gn_times(s, L, sv, yS);
        for (size_t j = 0; j < n; j++) yS[j] = y[j] - yS[j];
        const double ys = dn_dot(y, sv, n);
        if (ys > 0 && isfinite(ys)) {
            s_times(S, sv, Ss, n);
            const double sSs = dn_dot(sv, Ss, n), syS = dn_dot(sv, yS, n);
            const double tau = sSs != 0 ? fmin(1, fabs(syS / sSs)) : 1;
            /* z = yS − tau S s: what the sized S still gets wrong. */
            for (size_t j = 0; j < n; j++) Ss[j] = yS[j] - tau * Ss[j];
            const double zs = dn_dot(Ss, sv, n);
            for (size_t a = 0; a < n; a++) {
                double *Sa = S + a * n;
                const double za = Ss[a] / ys, ya = y[a] / ys,
                             yy = zs * ya / ys;
                for (size_t b = 0; b < n; b++)
                    Sa[b] = tau * Sa[b] + za * y[b] + ya * Ss[b] - yy * y[b];
            }
        }
    }
    L->flags[0] = 1;
    memcpy(L->xo, s->x, n * sizeof *L->xo);
    memcpy(L->go, L->rhs, n * sizeof *L->go);
    if (L->flags[1] > 0) augment(s, L);
}

/* The gated rule's thresholds (bench/solvers/NOTES.md, Round 5: shares
 * 0.05 to 0.15 and ratios 0.75 to 0.9 gave 20 or 21 of the 24 rows
 * within 5% of Adam). */
#define GATE_SHARE 0.1
#define GATE_RHO   0.9

/* The accepted step x → xt lowered f to f_new: which model predicted
 * that reduction the better, Gauss–Newton's −gᵀd − ½ dᵀJᵀJ d or the
 * augmented one's (the model of the steps to come, NL2SOL's test); the
 * gated rule keeps Gauss–Newton's while the fit is good or Gauss–Newton
 * predicted the step well. */
static void choose(dn_solve *s, lm *L, const double *xt, double f_new)
{
    const size_t n = s->n;
    double *d = L->v, *u = L->w;
    for (size_t j = 0; j < n; j++) d[j] = xt[j] - s->x[j];
    gn_times(s, L, d, u);             /* JᵀJ (+ S when augmented) */
    const double qm = dn_dot(d, u, n);
    s_times(L->S, d, u, n);
    const double qs = dn_dot(d, u, n), gd = dn_dot(L->rhs, d, n);
    const double gn = -gd - 0.5 * (qm - (L->flags[1] > 0 ? qs : 0));
    const double aug = gn - 0.5 * qs, actual = (s->f - f_new) / L->scale;
    L->flags[1] = fabs(aug - actual) < fabs(gn - actual) &&
                  !(L->gated && (f_new < GATE_SHARE * L->flags[2] ||
                                 actual > GATE_RHO * gn));
}

/* mu · max_j (JᵀJ + ridge)_jj, or mu itself when JᵀJ is all zero. */
static double relative_mu(const dn_solve *s, const lm *L, double mu)
{
    double m = 0;
    for (size_t j = 0; j < s->n; j++)
        m = fmax(m, L->diag[j] + (s->p->ridge ? s->p->ridge[j] : 0));
    return m > 0 ? mu * m : mu;
}

/* Moré's loop: a Jacobian per accepted step, a value per trial. */
static dn_status more_run(dn_solve *s, lm *L)
{
    const size_t n = s->n;
    double *D = DN_ST_ARRAYS(s), *xt = s->ls_x[0];
    double *Delta = &s->state[DN_ST_S0];
    dn_status st = DN_OK;
    if (!s->resumed) {
        for (size_t j = 0; j < n; j++) D[j] = 0;
        grow_scale(s, L, D);
        double xn = 0;
        for (size_t j = 0; j < n; j++) xn += pow(D[j] * s->x[j], 2);
        *Delta = xn > 0 ? 100 * sqrt(xn) : 100;   /* MINPACK's factor */
        s->mu = 0;
    }
    const double tiny = s->p->precision > 0 ? s->p->precision : 2.2e-16;
    for (;;) {
        const double f_prev = s->f;
        double f_new = NAN;
        for (;;) {
            double lam = s->mu;
            const double pnorm = more_step(s, L, D, *Delta, &lam);
            for (size_t j = 0; j < n; j++) xt[j] = s->x[j] + L->delta[j];
            f_new = value(s, L, xt);
            if (s->spent) break;
            /* Predicted reduction of the model ½‖e + J delta‖² (+ ridge):
             * ½ (−gᵀdelta + lambda ‖D delta‖²), from the normal
             * equations; gᵀdelta < 0 is the slope along the step. */
            const double gd = L->scale * dn_dot(L->rhs, L->delta, n);
            const double pred = 0.5 * (-gd + L->scale * lam * pnorm * pnorm);
            const double actual = s->f - f_new;
            const double rho = isfinite(f_new) && pred > 0 ? actual / pred
                                                           : -1;
            s->mu = lam;
            if (rho < 0.25) {
                /* The minimizer of the parabola through f, its slope gd
                 * and f_new along the step, kept within [0.1, 0.5]. */
                double t = 0.5;
                if (isfinite(f_new) && actual < 0)
                    t = 0.5 * gd / (gd - 0.5 * actual);
                else if (!isfinite(f_new))
                    t = 0.1;
                t = fmin(0.5, fmax(0.1, t));
                *Delta = t * fmin(*Delta, 10 * pnorm);
            } else if (rho >= 0.75 || lam == 0) {
                *Delta = 2 * pnorm;
            }
            if (rho > 1e-4) break;
            double xn = 0;
            for (size_t j = 0; j < n; j++) xn += pow(D[j] * s->x[j], 2);
            if (*Delta <= tiny * fmax(sqrt(xn), 1)) {
                f_new = NAN;
                break;
            }
        }
        if (s->spent || !isfinite(f_new)) {
            s->reason = s->spent ? DN_STOP_EVALS : DN_STOP_LINESEARCH;
            break;
        }
        memcpy(s->x, xt, n * sizeof *s->x);
        if ((st = at_point(s, L, f_new))) break;
        grow_scale(s, L, D);
        if (dn_solve_step_done(s, f_prev, 1, s->mu, 0)) break;
    }
    return st;
}

dn_status dn_lm_run(dn_solve *s)
{
    const dn_problem *p = s->p;
    const dn_solver_conf *c = s->c;
    const size_t n = s->n;
    lm L;
    memset(&L, 0, sizeof L);
    L.scale = p->scale > 0 ? p->scale : 1;
    L.M = malloc(n * n * sizeof *L.M);
    L.diag = malloc(n * sizeof *L.diag);
    L.je = malloc(n * sizeof *L.je);
    L.rhs = malloc(n * sizeof *L.rhs);
    L.delta = malloc(n * sizeof *L.delta);
    L.e = malloc((size_t)p->n_resid * sizeof *L.e);
    L.J = malloc((size_t)p->n_resid * n * sizeof *L.J);
    L.add = malloc(n * sizeof *L.add);
    L.q = malloc(n * sizeof *L.q);
    const int hybrid = c->lm_rule == DN_LM_HYBRID ||
                       c->lm_rule == DN_LM_GATED;
    L.gated = c->lm_rule == DN_LM_GATED;
    if (hybrid) {
        L.S = DN_ST_ARRAYS(s);
        L.xo = L.S + n * n;
        L.go = L.xo + n;
        L.flags = s->state + DN_ST_S0;
        L.v = malloc(n * sizeof *L.v);
        L.w = malloc(n * sizeof *L.w);
        L.z = malloc(n * sizeof *L.z);
    }
    dn_status st = DN_OK;
    if (!L.M || !L.diag || !L.je || !L.rhs || !L.delta || !L.e || !L.J ||
        !L.add || !L.q || (hybrid && (!L.v || !L.w || !L.z))) {
        st = dn_fail(s->err, DN_ENOMEM, "solver lm: out of memory for JᵀJ "
                     "of %zu unknowns (%.0f MiB)", n,
                     (double)n * n * 8 / 1048576);
        goto done;
    }
    if (s->resumed) {
        /* JᵀJ at the checkpoint's point again: the same bits, and not
         * counted twice (the interrupted run counted it). */
        const long evals = s->evals;
        if ((st = at_point(s, &L, s->f))) goto done;
        s->evals = evals;
        /* S and the last point were saved after this Jacobian's update. */
        if (hybrid && L.flags[1] > 0) augment(s, &L);
    } else {
        s->mu = c->mu;
        if ((st = at_point(s, &L, NAN))) goto done;
        if (c->lm_rule == DN_LM_SWEEP || hybrid)
            s->mu = relative_mu(s, &L, c->mu);
        if (hybrid) {
            L.flags[2] = s->f;
            secant(s, &L);
        }
        if (s->spent) {
            s->reason = DN_STOP_EVALS;
            goto done;
        }
        if (s->gnorm <= c->gtol) {
            s->reason = DN_STOP_GRADIENT;
            goto done;
        }
        if (c->max_iter == 0) {
            s->reason = DN_STOP_EPOCHS;
            goto done;
        }
    }
    if (c->lm_rule == DN_LM_MORE) {
        st = more_run(s, &L);
        goto done;
    }
    double *xt = s->ls_x[0];
    for (;;) {
        const double f_prev = s->f;
        double f_new = NAN;
        while (s->mu <= c->mu_max) {
            if (dn_chol_shifted(L.M, L.diag, p->ridge, s->mu, n)) {
                /* Not positive definite at this mu (JᵀJ singular and mu
                 * lost in rounding): damp harder. */
                s->mu *= c->mu_inc;
                continue;
            }
            for (size_t j = 0; j < n; j++) L.delta[j] = -L.rhs[j];
            dn_chol_solve(L.M, n, L.delta);
            for (size_t j = 0; j < n; j++) xt[j] = s->x[j] + L.delta[j];
            f_new = value(s, &L, xt);
            if (s->spent) break;
            if (f_new < s->f) break;
            s->mu *= c->mu_inc;
        }
        if (!s->spent && f_new < s->f &&
            (c->lm_rule == DN_LM_SWEEP || hybrid))
            sweep(s, &L, xt, &f_new, &s->mu);
        if (s->spent || !(f_new < s->f)) {
            s->reason = s->spent ? DN_STOP_EVALS : DN_STOP_MU_MAX;
            break;
        }
        if (hybrid) choose(s, &L, xt, f_new);
        memcpy(s->x, xt, n * sizeof *s->x);
        s->mu = fmax(s->mu * c->mu_dec, 1e-20);
        if ((st = at_point(s, &L, f_new))) break;
        if (hybrid) secant(s, &L);
        if (dn_solve_step_done(s, f_prev, 1, s->mu, 0)) break;
    }
done:
    DN_FREE_ALL(L.M, L.diag, L.je, L.rhs, L.delta, L.e, L.J, L.add, L.q,
                L.v, L.w, L.z);
    return st;
}
