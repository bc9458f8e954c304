/* optim.h — the first-order steps run in parallel, and what the full-batch solvers share: one run's state with its
 * counted evaluations and stopping rules (minimize.c), the strong Wolfe
 * line search (linesearch.c), Cholesky of a shifted symmetric matrix
 * (cholesky.c), and each solver's entry point. */
#ifndef DN_OPTIM_H
#define DN_OPTIM_H

#include "kernels/gemm.h"
#include "kernels/vec.h"

/* One run of dn_minimize.  x and g are the current point (the caller's
 * x) and its gradient; f and gnorm go with them. */
typedef struct {
    const dn_problem     *p;
    const dn_solver_conf *c;  /* checked; restart and max_params resolved */
    size_t  n;
    double *x, *g;
    double  f, gnorm;
    double  mu;               /* LM, HF: the damping now */
    int     iter;             /* iterations completed */
    long    evals;
    int     spent;            /* 1 once an evaluation was refused by the
                                 budget */
    dn_stop reason;
    dn_min_fn on_iter;
    void   *user;
    dn_error *err;
    /* The line search's points on the line, 2 × (x, g), sized once. */
    double *ls_x[2], *ls_g[2];
    /* Everything the run carries from one iteration to the next, in one
     * flat array (layout below), so that a checkpoint can copy it and a
     * resumed run continue bit for bit.  g is a view into it. */
    double *state;
    int     resumed;          /* the run continues from state */
} dn_solve;

/* The state array: scalars, then x, g (n each), then the solver's own
 * arrays (L-BFGS: S, Y, m × n each, and rho, m; CG: d and g_prev; HF: the last
 * CG solution, and in DN_ST_S0 the curvature mu was scaled by).
 * Each solver keeps its scalars in DN_ST_S0.. before every
 * dn_solve_step_done; the common ones are written there. */
enum {
    DN_ST_F, DN_ST_GNORM, DN_ST_ITER, DN_ST_EVALS, DN_ST_MU, DN_ST_FPREV,
    DN_ST_S0, DN_ST_HEAD = DN_ST_S0 + 8
};
#define DN_ST_X(s)     ((s)->state + DN_ST_HEAD)
#define DN_ST_ARRAYS(s) ((s)->state + DN_ST_HEAD + 2 * (s)->n)

/* f (and g unless NULL) at x, counted.  Once the budget is spent it
 * returns NaN without calling the objective and sets s->spent. */
double dn_solve_eval(dn_solve *s, const double *x, double *g);

/* After an accepted step (s->x, s->g, s->f already at the new point):
 * counts the iteration, reports it, and applies the stopping rules in
 * the order callback, gradient, ftol, iteration budget, evaluation
 * budget.  Returns 1 to stop, with s->reason set. */
int dn_solve_step_done(dn_solve *s, double f_prev, double step, double mu,
                       int wolfe);
/* The stopping rules of dn_solve_step_done after the callback: 1 with
 * s->reason set when one holds.  A resumed run applies them first, as
 * the interrupted one did right after its checkpoint. */
int dn_solve_stop_rules(dn_solve *s, double f_prev);

/* Σ a_i b_i and ‖a‖₂ over n doubles. */
double dn_dot(const double *a, const double *b, size_t n);
double dn_norm(const double *a, size_t n);

/* ---- line search (linesearch.c) ---- */

typedef enum {
    DN_LS_WOLFE = 0,  /* a step met the strong Wolfe conditions */
    DN_LS_ARMIJO,     /* the fallback's step: sufficient decrease only */
    DN_LS_FAIL,       /* no step lowered f enough (or d is not downhill);
                         x unchanged */
    DN_LS_BUDGET      /* the evaluation budget ran out first; x unchanged
                         (a sufficient-decrease point found before that is
                         taken and reported as DN_LS_ARMIJO) */
} dn_ls_result;

/* Searches along d from (s->x, s->f, s->g) starting with the trial step
 * alpha0, with c1, c2 and ls_max from s->c.  On WOLFE or ARMIJO, s->x,
 * s->f and s->g hold the accepted point and *alpha its step. */
dn_ls_result dn_linesearch(dn_solve *s, const double *d, double alpha0,
                           double *alpha);

/* Whether a search's result r ends the run (1, s->reason set), as the
 * solvers that search decide it: a spent budget always does
 * (DN_STOP_EVALS); a failure does when d already was steepest descent,
 * −g (DN_STOP_LINESEARCH), and otherwise the solver retries along −g. */
int dn_ls_stops(dn_solve *s, dn_ls_result r, int steepest);

/* ---- Cholesky of A + diag(add) + mu I, A kept intact (cholesky.c) ---- */

/* A symmetric n × n matrix A is held as its strict lower triangle in M
 * (row-major) and its diagonal in diag.  Factors A + diag(add) + mu I =
 * Rᵀ R (add may be NULL) with R upper triangular, written over the upper
 * triangle of M (diagonal included): A survives, so a retry with another
 * shift needs no copy and the matrix costs n² doubles, not 2n².  Returns
 * 0, or 1 + the index of the first pivot that is not safely positive
 * (the shifted matrix is not positive definite to working precision). */
int dn_chol_shifted(double *M, const double *diag, const double *add,
                    double mu, size_t n);

/* Solves Rᵀ R x = b in place (b becomes x), R from dn_chol_shifted. */
void dn_chol_solve(const double *M, size_t n, double *b);
/* Its first half: Rᵀ y = b in place (Moré's lambda update needs y). */
void dn_chol_forward(const double *M, size_t n, double *b);

/* ---- the solvers; each allocates what it needs before iterating ---- */

dn_status dn_lbfgs_run(dn_solve *s);
dn_status dn_cg_run(dn_solve *s);
dn_status dn_lm_run(dn_solve *s);
dn_status dn_newton_run(dn_solve *s);
dn_status dn_hf_run(dn_solve *s);

/* ---- the full-batch solvers' state (minimize.c) ---- */

/* Doubles a run of the solver c on n unknowns carries between iterations
 * (the counters, x, g and the solver's own memory). */
size_t dn_solver_state_size(const dn_solver_conf *c, size_t n);
/* dn_minimize with the state array in the caller's hands (NULL: its
 * own), filled after every iteration before on_iter runs, so on_iter can
 * checkpoint it.  resume = 1 continues from a state so filled (x is set
 * from it): the run goes on exactly as the one that wrote it. */
dn_status dn_minimize_run(const dn_problem *p, const dn_solver_conf *c,
                          double *x, dn_min_fn on_iter, void *user,
                          dn_min_result *res, double *state, int resume,
                          dn_error *err);

/* ---- optimization (optim.c) ---- */
int  dn_all_finite(const float *g, size_t n);
/* dn_opt_step with the parameters cut into ranges [cut[i], cut[i+1]),
 * i < parts (cut[0] = 0, cut[parts] = n), updated on the pool's threads
 * at once: every update is elementwise, so the result is dn_opt_step's
 * to the bit.  One range per thread that owns a slice of the weights
 * keeps them in that thread's cache (see dn_ws_cuts). */
void dn_opt_step_parts(dn_opt *o, dn_pool *pool, float *theta,
                       const float *g, double eta, const size_t *cut,
                       int parts);

#endif
