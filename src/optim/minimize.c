/* minimize.c — the general minimizer: the solvers' settings and their
 * checks, counted evaluations, the stopping rules every solver shares,
 * and the dispatch to L-BFGS, CG, LM, Newton or HF.
 *
 * A run is one dn_solve: the current point x, its f and gradient g, and
 * the counters.  Each solver moves x from accepted point to accepted
 * point and calls dn_solve_step_done after every move, so reporting and
 * stopping are written once. */
#include "optim/optim.h"
#include "optim/optim.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LM_MAX_PARAMS     4096  /* JᵀJ: 4096² doubles = 128 MiB */
#define NEWTON_MAX_PARAMS 2048  /* H: 32 MiB, and 2048 Hessian-vector
                                   products per iteration */

void dn_solver_defaults(dn_solver_conf *c, dn_solver_kind kind)
{
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->max_iter = 1000;
    c->max_evals = 0;
    c->gtol = 1e-6;
    c->ftol = 1e-9;
    c->c1 = 1e-4;
    c->c2 = kind == DN_SOLVER_CG ? 0.1 : 0.9;
    c->ls_max = 25;
    c->history = 10;
    c->cg_beta = DN_CG_PR_PLUS;
    c->restart = 0;
    /* MATLAB trainlm's defaults. */
    c->mu = 1e-3;
    c->mu_dec = 0.1;
    c->mu_inc = 10;
    c->mu_max = 1e10;
    c->lm_rule = DN_LM_GATED;   /* what bench/SOLVERS.md measured best */
    if (kind == DN_SOLVER_HF) {
        /* Martens' factors (see dn_solver_kind); mu relative to the
         * first curvature seen, and mu_max relative to it too. */
        c->mu = 1e-2;
        c->mu_dec = 2.0 / 3;
        c->mu_inc = 1.5;
        c->mu_max = 1e10;
    }
    c->hf_cg_max = 250;
    c->hf_decay = 0.95;
    c->hf_cg_tol = 1e-6;
    c->hf_rows = 0;
    c->max_params = kind == DN_SOLVER_LM ? LM_MAX_PARAMS
                  : kind == DN_SOLVER_NEWTON ? NEWTON_MAX_PARAMS : 0;
}

double dn_dot(const double *a, const double *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

double dn_norm(const double *a, size_t n) { return sqrt(dn_dot(a, a, n)); }

/* ------------------------------------------------------------------ */
/* Checks                                                              */
/* ------------------------------------------------------------------ */

static dn_status bad(const dn_solver_conf *c, const char *field, double v,
                     const char *range, dn_error *err)
{
    return dn_fail(err, DN_EARG, "solver %s: %s = %.10g is out of range; "
                   "use %s", dn_solver_name(c->kind), field, v, range);
}

/* A count from lo to hi; unit says what it counts, and its default. */
static dn_status count_in(const dn_solver_conf *c, const char *field, long v,
                          long lo, long hi, const char *unit, dn_error *err)
{
    if (v >= lo && v <= hi) return DN_OK;
    char range[128];
    dn_snprintf(range, sizeof range, "%ld to %ld %s", lo, hi, unit);
    return bad(c, field, (double)v, range, err);
}

static int line_searched(dn_solver_kind k) { return k != DN_SOLVER_LM; }

static dn_status check_conf(const dn_solver_conf *c, dn_error *err)
{
    if ((unsigned)c->kind >= DN_SOLVER_COUNT)
        return dn_fail(err, DN_EARG, "solver kind %d is unknown; use one of "
                       "lbfgs, cg, lm, newton, hf", (int)c->kind);
    if (c->max_iter < 0)
        return bad(c, "max_iter", c->max_iter, "0 or more (default 1000)",
                   err);
    if (c->max_evals < 0)
        return bad(c, "max_evals", (double)c->max_evals,
                   "0 (no budget) or more", err);
    if (!(isfinite(c->gtol) && c->gtol >= 0))
        return bad(c, "gtol", c->gtol, "a finite gtol >= 0 (default 1e-6)",
                   err);
    if (!(isfinite(c->ftol) && c->ftol >= 0 && c->ftol < 1))
        return bad(c, "ftol", c->ftol, "0 <= ftol < 1 (default 1e-9; 0 "
                   "turns it off)", err);
    if (line_searched(c->kind)) {
        if (!(c->c1 > 0 && c->c1 < 1))
            return bad(c, "c1", c->c1, "0 < c1 < c2 < 1 (default 1e-4)", err);
        if (!(c->c2 > c->c1 && c->c2 < 1))
            return bad(c, "c2", c->c2, "c1 < c2 < 1 (default 0.9; 0.1 for "
                       "cg)", err);
        dn_status st = count_in(c, "ls_max", c->ls_max, 2, 1000, "evaluations "
                                "per line search (default 25)", err);
        if (st) return st;
    }
    switch (c->kind) {
    case DN_SOLVER_LBFGS:
        return count_in(c, "history", c->history, 1, 1000, "pairs (default "
                        "10)", err);
    case DN_SOLVER_CG:
        if ((unsigned)c->cg_beta > DN_CG_FR)
            return bad(c, "cg_beta", c->cg_beta, "pr+ or fr", err);
        if (c->restart < 0)
            return bad(c, "restart", c->restart, "0 (every n iterations) or "
                       "more", err);
        break;
    case DN_SOLVER_HF: {
        dn_status st = count_in(c, "hf_cg_max", c->hf_cg_max, 1, 100000,
                                "CG iterations per solve (default 250)", err);
        if (st) return st;
        if (!(c->hf_decay >= 0 && c->hf_decay < 1))
            return bad(c, "hf_decay", c->hf_decay, "0 <= hf_decay < 1 "
                       "(default 0.95; 0 starts CG from zero)", err);
        if (!(c->hf_cg_tol >= 0 && c->hf_cg_tol < 1))
            return bad(c, "hf_cg_tol", c->hf_cg_tol, "0 <= hf_cg_tol < 1 "
                       "(default 1e-6)", err);
        if (c->hf_rows < 0)
            return bad(c, "hf_rows", (double)c->hf_rows, "0 (every row) or "
                       "more", err);
        __attribute__((fallthrough));  /* the damping's, as LM's */
    }
    case DN_SOLVER_LM:
        if (c->kind == DN_SOLVER_LM && (unsigned)c->lm_rule > DN_LM_GATED)
            return bad(c, "lm_rule", c->lm_rule, "gated, sweep, trainlm, "
                       "more or hybrid", err);
        if (!(isfinite(c->mu) && c->mu > 0))
            return bad(c, "mu", c->mu, c->kind == DN_SOLVER_HF ? "a finite "
                       "mu > 0 (default 1e-2)" : "a finite mu > 0 (default "
                       "1e-3)", err);
        if (!(c->mu_dec > 0 && c->mu_dec < 1))
            return bad(c, "mu_dec", c->mu_dec, c->kind == DN_SOLVER_HF ?
                       "0 < mu_dec < 1 (default 2/3)" : "0 < mu_dec < 1 "
                       "(default 0.1)", err);
        if (!(isfinite(c->mu_inc) && c->mu_inc > 1))
            return bad(c, "mu_inc", c->mu_inc, c->kind == DN_SOLVER_HF ?
                       "a finite mu_inc > 1 (default 1.5)" : "a finite "
                       "mu_inc > 1 (default 10)", err);
        if (!(isfinite(c->mu_max) && c->mu_max >= c->mu))
            return bad(c, "mu_max", c->mu_max, "a finite mu_max >= mu "
                       "(default 1e10)", err);
        break;
    default:
        break;
    }
    return DN_OK;
}

/* LM and Newton hold an n × n matrix of doubles: refused above the limit
 * with what it would cost, so that nobody waits for an allocation that
 * swaps or a factorization that takes hours. */
static dn_status check_size(const dn_solver_conf *c, size_t n, dn_error *err)
{
    double mib = (double)n * (double)n * 8 / (1024.0 * 1024.0);
    if ((c->kind == DN_SOLVER_LM || c->kind == DN_SOLVER_NEWTON) &&
        n > ((size_t)1 << 30))
        return dn_fail(err, DN_EARG, "solver %s: %zu unknowns would need an "
                       "n × n matrix of %.3g GiB, more than memory can "
                       "address; use lbfgs", dn_solver_name(c->kind), n,
                       mib / 1024);
    /* The two solvers that hold an n × n matrix, in the words of the
     * message that refuses a size above max_params. */
    static const struct {
        const char *name, *matrix, *cost, *lbfgs, *raise;
    } BIG[2] = {
        { "Levenberg-Marquardt", "the matrix JᵀJ alone",
          "every step an n³/3 Cholesky factorization", "needs O(m·n) memory",
          " if the memory is there" },
        { "Newton's method", "the exact Hessian",
          "n Hessian-vector products every iteration. Newton uses the "
          "curvature directly and converges fast on small or convex "
          "problems, but it is impractical for large networks (the notes' "
          "784-16-16-10 network has 13,002 parameters: a 1.3 GB Hessian)",
          "learns curvature from gradients in O(m·n) memory", "" },
    };
    if ((c->kind == DN_SOLVER_LM || c->kind == DN_SOLVER_NEWTON) &&
        n > c->max_params) {
        const int k = c->kind == DN_SOLVER_NEWTON;
        return dn_fail(err, DN_EARG, "%s: %zu unknowns (network parameters) "
                       "is above its limit of %zu (max_params): %s would "
                       "need %.0f MiB (n² doubles) and %s; use lbfgs, which "
                       "%s, or raise max_params%s", BIG[k].name, n,
                       c->max_params, BIG[k].matrix, mib, BIG[k].cost,
                       BIG[k].lbfgs, BIG[k].raise);
    }
    return DN_OK;
}

static dn_status check_problem(const dn_problem *p, const dn_solver_conf *c,
                               dn_error *err)
{
    const char *name = dn_solver_name(c->kind);
    if (!p || p->n < 1)
        return dn_fail(err, DN_EARG, "solver %s: the problem has no unknowns "
                       "(n = 0)", name);
    if (!(isfinite(p->precision) && p->precision >= 0 && p->precision < 1))
        return dn_fail(err, DN_EARG, "solver %s: problem.precision = %g must "
                       "be in [0, 1) (0 means float64's)", name,
                       p->precision);
    if (c->kind != DN_SOLVER_LM && !p->fg)
        return dn_fail(err, DN_EARG, "solver %s needs the objective: set "
                       "problem.fg to a function returning f(x) and its "
                       "gradient", name);
    if (c->kind == DN_SOLVER_LM) {
        if (!p->resid || p->n_samples < 1 || p->n_resid < 1)
            return dn_fail(err, DN_EARG, "solver lm needs residuals: set "
                           "problem.resid, n_samples ≥ 1 and n_resid ≥ 1 "
                           "(got %d and %d)", p->n_samples, p->n_resid);
        if (!(isfinite(p->scale) && p->scale >= 0))
            return dn_fail(err, DN_EARG, "solver lm: problem.scale = %g must "
                           "be finite and ≥ 0 (0 means 1)", p->scale);
        for (size_t j = 0; p->ridge && j < p->n; j++)
            if (!(isfinite(p->ridge[j]) && p->ridge[j] >= 0))
                return dn_fail(err, DN_EARG, "solver lm: problem.ridge[%zu] "
                               "= %g must be finite and ≥ 0", j, p->ridge[j]);
    }
    return check_size(c, p->n, err);
}

/* ------------------------------------------------------------------ */
/* Evaluations and the stopping rules                                  */
/* ------------------------------------------------------------------ */

double dn_solve_eval(dn_solve *s, const double *x, double *g)
{
    if (s->c->max_evals > 0 && s->evals >= s->c->max_evals) {
        s->spent = 1;
        return NAN;
    }
    s->evals++;
    return s->p->fg(x, g, s->p->user);
}

int dn_solve_step_done(dn_solve *s, double f_prev, double step, double mu,
                       int wolfe)
{
    s->iter++;
    s->gnorm = dn_norm(s->g, s->n);
    double *h = s->state;
    h[DN_ST_F] = s->f;
    h[DN_ST_GNORM] = s->gnorm;
    h[DN_ST_ITER] = s->iter;
    h[DN_ST_EVALS] = (double)s->evals;
    h[DN_ST_MU] = s->mu;
    h[DN_ST_FPREV] = f_prev;
    memcpy(DN_ST_X(s), s->x, s->n * sizeof *s->x);
    if (s->on_iter) {
        dn_min_iter it = {
            .iter = s->iter, .evals = s->evals, .f = s->f,
            .grad_norm = s->gnorm, .step = step, .mu = mu, .wolfe = wolfe,
            .x = s->x, .g = s->g
        };
        if (s->on_iter(&it, s->user)) {
            s->reason = DN_STOP_CALLBACK;
            return 1;
        }
    }
    return dn_solve_stop_rules(s, f_prev);
}

int dn_solve_stop_rules(dn_solve *s, double f_prev)
{
    const dn_solver_conf *c = s->c;
    if (s->gnorm <= c->gtol)
        s->reason = DN_STOP_GRADIENT;
    else if (c->ftol > 0 &&
             f_prev - s->f <= c->ftol * fmax(fabs(f_prev), fabs(s->f)))
        s->reason = DN_STOP_FTOL;
    else if (s->iter >= c->max_iter)
        s->reason = DN_STOP_EPOCHS;
    else if (c->max_evals > 0 && s->evals >= c->max_evals)
        s->reason = DN_STOP_EVALS;
    else
        return 0;
    return 1;
}

/* The first evaluation of the line-searched solvers, and the rules that
 * may end a run before its first iteration.  1 = do not iterate. */
static int start(dn_solve *s, dn_status *st)
{
    s->f = dn_solve_eval(s, s->x, s->g);
    s->gnorm = dn_norm(s->g, s->n);
    if (!isfinite(s->f) || !isfinite(s->gnorm)) {
        *st = dn_fail(s->err, DN_ENUMERIC, "solver %s: the objective is not "
                      "finite at the starting point (f = %g, ‖g‖ = %g); "
                      "start where f and its gradient are finite",
                      dn_solver_name(s->c->kind), s->f, s->gnorm);
        return 1;
    }
    if (s->gnorm <= s->c->gtol) s->reason = DN_STOP_GRADIENT;
    else if (s->c->max_iter == 0) s->reason = DN_STOP_EPOCHS;
    else return 0;
    return 1;
}

size_t dn_solver_state_size(const dn_solver_conf *c, size_t n)
{
    size_t own = c->kind == DN_SOLVER_LBFGS ? (size_t)c->history * (2 * n + 1)
               : c->kind == DN_SOLVER_CG ? 2 * n
               : c->kind == DN_SOLVER_LM && c->lm_rule == DN_LM_MORE ? n
               : c->kind == DN_SOLVER_LM && (c->lm_rule == DN_LM_HYBRID ||
                                             c->lm_rule == DN_LM_GATED)
               ? n * n + 2 * n : c->kind == DN_SOLVER_HF ? n : 0;
    return DN_ST_HEAD + 2 * n + own;
}

dn_status dn_minimize(const dn_problem *p, const dn_solver_conf *conf,
                      double *x, dn_min_fn on_iter, void *user,
                      dn_min_result *res, dn_error *err)
{
    return dn_minimize_run(p, conf, x, on_iter, user, res, NULL, 0, err);
}

dn_status dn_minimize_run(const dn_problem *p, const dn_solver_conf *conf,
                          double *x, dn_min_fn on_iter, void *user,
                          dn_min_result *res, double *state, int resume,
                          dn_error *err)
{
    dn_min_result local;
    if (!res) res = &local;
    memset(res, 0, sizeof *res);
    res->f = res->grad_norm = NAN;
    dn_solver_conf c;
    if (conf) c = *conf; else dn_solver_defaults(&c, DN_SOLVER_LBFGS);
    dn_status st = check_conf(&c, err);
    if (st) return st;
    if (c.max_params == 0)
        c.max_params = c.kind == DN_SOLVER_LM ? LM_MAX_PARAMS
                                              : NEWTON_MAX_PARAMS;
    if ((st = check_problem(p, &c, err))) return st;
    if (!x) return dn_fail(err, DN_EARG, "dn_minimize: x is NULL; pass the "
                           "starting point");
    const size_t n = p->n;
    if (c.restart == 0) c.restart = n > 1000000 ? 1000000 : (int)n;

    dn_solve s;
    memset(&s, 0, sizeof s);
    s.p = p;
    s.c = &c;
    s.n = n;
    s.x = x;
    s.on_iter = on_iter;
    s.user = user;
    s.err = err;
    s.reason = DN_STOP_EPOCHS;
    double *own = state ? NULL
                : calloc(dn_solver_state_size(&c, n), sizeof *own);
    s.state = state ? state : own;
    for (int i = 0; i < 2; i++) {
        s.ls_x[i] = malloc(n * sizeof(double));
        s.ls_g[i] = malloc(n * sizeof(double));
    }
    if (!s.state || !s.ls_x[0] || !s.ls_x[1] || !s.ls_g[0] || !s.ls_g[1]) {
        st = dn_fail(err, DN_ENOMEM, "solver %s: out of memory for its state "
                     "of %zu doubles", dn_solver_name(c.kind),
                     dn_solver_state_size(&c, n));
        goto done;
    }
    s.g = DN_ST_X(&s) + n;
    if (resume) {
        /* Where the checkpoint was taken: right after an iteration's
         * report, before the rules that might have ended it there. */
        const double *h = s.state;
        s.f = h[DN_ST_F];
        s.gnorm = h[DN_ST_GNORM];
        s.iter = (int)h[DN_ST_ITER];
        s.evals = (long)h[DN_ST_EVALS];
        s.mu = h[DN_ST_MU];
        memcpy(x, DN_ST_X(&s), n * sizeof *x);
        s.resumed = 1;
        if (dn_solve_stop_rules(&s, h[DN_ST_FPREV])) goto report;
    }
    if (c.kind == DN_SOLVER_LM) {
        st = dn_lm_run(&s);
    } else if (resume || !start(&s, &st)) {
        switch (c.kind) {
        case DN_SOLVER_LBFGS:  st = dn_lbfgs_run(&s); break;
        case DN_SOLVER_CG:     st = dn_cg_run(&s); break;
        case DN_SOLVER_NEWTON: st = dn_newton_run(&s); break;
        case DN_SOLVER_HF:     st = dn_hf_run(&s); break;
        default: break;
        }
    }
report:
    res->iters = s.iter;
    res->evals = s.evals;
    res->reason = s.reason;
    res->f = s.f;
    res->grad_norm = s.gnorm;
    res->mu = s.mu;
done:
    free(own);
    for (int i = 0; i < 2; i++) {
        free(s.ls_x[i]);
        free(s.ls_g[i]);
    }
    return st;
}
