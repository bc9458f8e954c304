/* train_full.c — training a network full-batch with a solver: the
 * network becomes a problem for dn_minimize, a function of its flat
 * parameter vector theta, and every solver iteration is reported like an
 * epoch of dn_train, with validation, early stopping and the stop reason.
 *
 * The objective is exactly what dn_train reports as its training loss:
 *   E(theta) = (1/N) Σ_n loss_n + λ/2 Σ W²
 * over all N training rows.  The solver works in float64 (see dn_problem
 * for why); each evaluation rounds x to the float32 theta once, then runs
 * forward and backward passes over chunks of CHUNK rows, so the workspace
 * stays small whatever N is, and sums the chunks' gradients in float64,
 * weighted by their share of the rows.
 *
 * What each solver gets besides fg:
 *   LM      residuals e = h(x_n) − y_n (target-scaled units) with
 *           Jacobian rows from one-row backward passes started at a unit
 *           vector (dn_backward), so E = (1/N) ½ Σ ‖e‖² + λ/2 Σ W² is
 *           LM's f with scale 1/N and ridge N λ on the weights (with
 *           row weights: e_n × √w_n, scale 1/Σw, ridge Σw λ);
 *   NEWTON  the exact Hessian, column j = H e_j by the R-operator
 *           (hessian.c), plus λ on the weights' diagonal;
 *   HF      Gauss-Newton products G v (hessian.c's dn_gn_vec) over the
 *           curvature rows, plus λ v on the weights. */
#include "train/train.h"
#include "kernels/fpmode.h"
#include "nn/hessian.h"
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK 1024  /* rows per pass; fixed, so the sums' order is too */
/* HF: at most this much memory keeps the curvature rows' forward pass
 * between the G products of a solve (Fashion-MNIST's 784-16-16-10 on all
 * 60,000 rows needs 206 MB). */
#define HF_CACHE_BYTES ((size_t)256 << 20)

typedef struct {
    dn_model      *m;
    const dn_data *train, *val;
    dn_train_opts  o;
    dn_result     *res;
    size_t  P;
    float   lambda;
    dn_ws  *ws;       /* CHUNK rows: values, gradients, Hessians, metrics */
    dn_ws  *ws1;      /* LM: one row, for Jacobian rows */
    dn_rws *rws;      /* NEWTON, HF: the R-operator's buffers */
    float  *gf;       /* P floats: the L2 gradient; Newton's direction e_j;
                         HF's v */
    float  *hv;       /* NEWTON, HF: P floats, H e_j or G v */
    long    hf_rows;  /* HF: the curvature rows per iteration (≤ N) */
    /* HF: the curvature rows' forward pass at hf_x, kept for every G v
     * of one CG solve (they all share x and the rows): the scaled
     * inputs, then z and a of each layer (a is z for identity layers),
     * chunk after chunk as net_gn walks them; hf_kept of its rows fit
     * the budget (HF_CACHE_BYTES), the rest are computed again. */
    float  *hf_cache;
    long    hf_kept;
    int     hf_iter;  /* the iteration hf_x and the cache are of (-1: none) */
    double *hf_x;
    double *ridge;    /* LM: Σw λ (N λ without row weights) on the weights,
                         0 elsewhere (NULL: λ = 0) */
    unsigned char *wmask;  /* the weights W (L2 touches only these) */
    double *last_x;   /* where fg last evaluated, and the rows' tally */
    dn_tally tally;   /* there (for the training accuracy) */
    int     have_tally;
    float  *best;     /* early stopping: the best iteration's theta */
    int     why;
    double  t0;
    /* The loop's state around the solver's (S.solver): the stopping
     * rules' bookkeeping (stop.c), and what checkpoints hold. */
    dn_train_state S;
    int      hist_cap;
    dn_status ckpt_st;   /* a checkpoint that could not be written */
    dn_error *err;
} net;

/* theta = x, rounded to float32 once. */
static void load(net *q, const double *x)
{
    float *theta = q->m->theta;
    for (size_t i = 0; i < q->P; i++) theta[i] = (float)x[i];
}

/* E at x and, unless g is NULL, its gradient. */
static double net_fg(const double *x, double *g, void *user)
{
    net *q = user;
    const dn_data *d = q->train;
    const int N = d->n;
    load(q, x);
    if (g) memset(g, 0, q->P * sizeof *g);
    memset(&q->tally, 0, sizeof q->tally);
    /* Each chunk's mean counts by its share of the rows, or with row
     * weights by its share of the weight: the weighted mean overall. */
    double E = 0, W = dn_weight_sum(d->w, N);
    for (int r = 0; r < N; r += CHUNK) {
        const int nc = N - r < CHUNK ? N - r : CHUNK;
        const float *X = d->X + (size_t)r * d->d, *Y = d->Y + (size_t)r * d->k;
        const float *wr = d->w ? d->w + r : NULL;
        const double Wc = d->w ? dn_weight_sum(wr, nc) : nc;
        double Ec;
        if (g) {
            Ec = dn_gradient_weighted(q->m, q->ws, X, Y, wr, nc);
            const float *gc = dn_ws_grad(q->ws);
            const double w = Wc / W;
            for (size_t i = 0; i < q->P; i++) g[i] += w * gc[i];
        } else {
            dn_forward(q->m, q->ws, X, nc);
            q->ws->w = wr;
            Ec = dn_loss_value(q->m, q->ws, Y, nc);
        }
        dn_tally_add(q->m, dn_ws_out(q->ws), Y, wr, nc, Ec, &q->tally);
        E += Ec * Wc;
    }
    E /= W;
    if (q->lambda > 0) {
        memset(q->gf, 0, q->P * sizeof *q->gf);
        E += dn_l2_add(q->m, q->gf, q->lambda);
        for (size_t i = 0; g && i < q->P; i++) g[i] += q->gf[i];
    }
    memcpy(q->last_x, x, q->P * sizeof *x);
    q->have_tally = 1;
    return E;
}

/* LM: row i's residuals and their Jacobian rows.  LM asks for the rows
 * of one x in order, so x is loaded at row 0 only. */
static int net_resid(const double *x, int i, double *e, double *J,
                     void *user)
{
    net *q = user;
    const dn_data *d = q->train;
    const int k = d->k;
    if (i == 0) load(q, x);
    const float *a = dn_forward(q->m, q->ws1, d->X + (size_t)i * d->d, 1);
    const float *y = dn_ws_target(q->m, q->ws1, d->Y + (size_t)i * k, 1);
    if (!a) return 1;
    /* Row weights: E = (1/Σw) ½ Σ w_i ‖e_i‖², so row i's residuals and
     * Jacobian rows carry √w_i (and the problem's scale is 1/Σw). */
    const double sw = d->w ? sqrt((double)d->w[i]) : 1;
    for (int j = 0; j < k; j++) e[j] = sw * ((double)a[j] - y[j]);
    if (!J) return 0;
    const float *gr = dn_ws_grad(q->ws1);
    for (int j = 0; j < k; j++) {
        /* da_j/dtheta: backpropagate dE/da = the unit vector u_j. */
        float *d0 = q->ws1->delta[0];
        memset(d0, 0, (size_t)k * sizeof *d0);
        d0[j] = 1;
        dn_backward(q->m, q->ws1, NULL);
        double *Jj = J + (size_t)j * q->P;
        for (size_t p = 0; p < q->P; p++) Jj[p] = sw * gr[p];
    }
    return 0;
}

/* NEWTON: H row by row (= column by column, H is symmetric), each from
 * one R-operator sweep per chunk along the unit vector e_j. */
static int net_hess(const double *x, double *H, void *user)
{
    net *q = user;
    const dn_data *d = q->train;
    const int N = d->n;
    const size_t P = q->P;
    load(q, x);
    memset(H, 0, P * P * sizeof *H);
    memset(q->gf, 0, P * sizeof *q->gf);
    const double W = dn_weight_sum(d->w, N);
    for (int r = 0; r < N; r += CHUNK) {
        const int nc = N - r < CHUNK ? N - r : CHUNK;
        dn_forward(q->m, q->ws, d->X + (size_t)r * d->d, nc);
        const float *Yt = dn_ws_target(q->m, q->ws, d->Y + (size_t)r * d->k,
                                       nc);
        /* Each chunk's (weighted) mean by its share, as net_fg's. */
        q->ws->w = d->w ? d->w + r : NULL;
        const double w = dn_weight_sum(q->ws->w, nc) / W;
        for (size_t j = 0; j < P; j++) {
            q->gf[j] = 1;
            dn_hess_vec(q->m, q->ws, q->rws, Yt, q->gf, q->hv);
            q->gf[j] = 0;
            double *Hj = H + j * P;
            for (size_t i = 0; i < P; i++) Hj[i] += w * q->hv[i];
        }
    }
    for (size_t j = 0; q->lambda > 0 && j < P; j++)
        if (q->wmask[j]) H[j * P + j] += q->lambda;
    return 0;
}

/* HF: floats of the cache per row (see net). */
static size_t hf_row_floats(const dn_model *m)
{
    size_t f = (size_t)m->arch.n_in;
    for (int l = 0; l < m->arch.n_layers; l++)
        f += (size_t)m->arch.layer[l].units *
             (m->arch.layer[l].act == DN_ACT_IDENTITY ? 1 : 2);
    return f;
}

/* A workspace view of cached rows [r0, r0 + nc) of the current solve's
 * curvature rows: q->ws with its inputs, z and a pointed into the cache
 * (dn_gn_vec reads nothing else of the forward pass). */
static dn_ws hf_view(const net *q, long r0, int nc)
{
    const dn_arch *A = &q->m->arch;
    dn_ws v = *q->ws;
    float *c = q->hf_cache + (size_t)r0 * hf_row_floats(q->m);
    v.a0 = c;
    c += (size_t)nc * A->n_in;
    for (int l = 0; l < A->n_layers; l++) {
        const size_t k = (size_t)nc * A->layer[l].units;
        v.z[l] = c;
        c += k;
        v.a[l] = A->layer[l].act == DN_ACT_IDENTITY ? v.z[l] : c;
        if (A->layer[l].act != DN_ACT_IDENTITY) c += k;
    }
    v.n = nc;
    return v;
}

/* Copies the forward pass q->ws holds (nc rows) into the cache at r0. */
static void hf_keep(net *q, long r0, int nc)
{
    const dn_arch *A = &q->m->arch;
    dn_ws v = hf_view(q, r0, nc);
    memcpy((float *)v.a0, q->ws->a0, (size_t)nc * A->n_in * sizeof(float));
    for (int l = 0; l < A->n_layers; l++) {
        const size_t k = (size_t)nc * A->layer[l].units * sizeof(float);
        memcpy(v.z[l], q->ws->z[l], k);
        if (v.a[l] != v.z[l]) memcpy(v.a[l], q->ws->a[l], k);
    }
}

/* HF: gv = G v + λ v (on the weights) at x over the curvature rows of
 * iteration iter: hf_rows consecutive rows from (iter · hf_rows) mod N,
 * wrapping, so every row takes its turn and a resumed run (which knows
 * iter) uses the same rows.  x is loaded every time: the solver's trial
 * points load theta in between.  The rows' forward pass depends on x and
 * iter alone, so the first product of a solve keeps it (hf_cache) and
 * the others read it back: the same numbers, a forward pass less each. */
static int net_gn(const double *x, const double *v, double *gv, int iter,
                  void *user)
{
    net *q = user;
    const dn_data *d = q->train;
    const long N = d->n, R = q->hf_rows;
    const size_t P = q->P;
    load(q, x);
    const int hit = q->hf_iter == iter && q->hf_x &&
                    !memcmp(q->hf_x, x, P * sizeof *x);
    if (!hit && q->hf_x) {
        memcpy(q->hf_x, x, P * sizeof *x);
        q->hf_iter = iter;
    }
    for (size_t i = 0; i < P; i++) q->gf[i] = (float)v[i];
    memset(gv, 0, P * sizeof *gv);
    const long r0 = (long)(((unsigned long)iter * (unsigned long)R) %
                           (unsigned long)N);
    /* With row weights, each chunk counts by its share of the curvature
     * rows' weight (a weighted mean, as net_fg's). */
    const long head = R < N - r0 ? R : N - r0;   /* before the wrap */
    double W = dn_weight_sum(d->w ? d->w + r0 : NULL, (int)head) +
               dn_weight_sum(d->w, (int)(R - head));
    if (!(W > 0)) W = 1;   /* a slice of weight 0: no curvature from it */
    long r = r0;
    for (long done = 0; done < R;) {
        long nc = R - done < CHUNK ? R - done : CHUNK;
        if (nc > N - r) nc = N - r;   /* the wrap */
        const int cached = done + nc <= q->hf_kept;
        const float *wr = d->w ? d->w + r : NULL;
        if (cached && hit) {
            dn_ws view = hf_view(q, done, (int)nc);
            view.w = wr;
            dn_gn_vec(q->m, &view, q->rws, q->gf, q->hv);
        } else {
            dn_forward(q->m, q->ws, d->X + (size_t)r * d->d, (int)nc);
            if (cached) hf_keep(q, done, (int)nc);
            q->ws->w = wr;
            dn_gn_vec(q->m, q->ws, q->rws, q->gf, q->hv);
        }
        const double w = dn_weight_sum(wr, (int)nc) / W;
        for (size_t i = 0; i < P; i++) gv[i] += w * q->hv[i];
        done += nc;
        r = (r + nc) % N;
    }
    for (size_t j = 0; q->lambda > 0 && j < P; j++)
        if (q->wmask[j]) gv[j] += q->lambda * v[j];
    for (size_t j = 0; j < P; j++)
        if (!isfinite(gv[j])) return 1;
    return 0;
}

/* Writes the checkpoint: the loop's counters, theta as it is, the best
 * weights, the history and the solver's state. */
static dn_status save(net *q, dn_error *err)
{
    dn_train_state *S = &q->S;
    S->epoch = S->n_hist;
    S->steps = S->n_hist;
    return dn_ckpt_save(q->o.checkpoint, S, err);
}

/* After every iteration: the epoch report, validation, early stopping,
 * the tol rule and the caller's callback.  Non-zero stops the solver;
 * q->why then says why. */
static int on_iter(const dn_min_iter *it, void *user)
{
    net *q = user;
    const dn_train_opts *o = &q->o;
    dn_result *res = q->res;
    load(q, it->x);
    dn_epoch *e = &res->last;
    memset(e, 0, sizeof *e);
    e->epoch = it->iter;
    e->steps = it->iter;
    e->train_loss = it->f;
    /* The accuracy of the rows at x: fg's tally if fg last ran at x (the
     * usual case: the accepted point is the last one tried), else one
     * more forward pass. */
    dn_metrics tm, vm;
    if (!q->have_tally || memcmp(q->last_x, it->x, q->P * sizeof *it->x)) {
        memset(&q->tally, 0, sizeof q->tally);
        dn_eval_tally(q->m, q->ws, q->train, &q->tally);
    }
    dn_tally_finish(q->m, &q->tally, &tm);
    e->train_acc = tm.accuracy;
    e->train_mae = tm.mae;
    e->val_loss = e->val_acc = e->val_mae = NAN;
    if (q->val) {
        dn_eval_ws(q->m, q->ws, q->val, &vm);
        e->val_loss = vm.loss;
        e->val_acc = vm.accuracy;
        e->val_mae = vm.mae;
    }
    e->eta = it->step;
    e->grad_norm = it->grad_norm;
    e->mu = it->mu;
    e->evals = it->evals;
    const double t = dn_now();
    e->seconds = t - q->t0;
    q->t0 = t;
    res->epochs = it->iter;
    res->steps = it->iter;

    /* The stopping rules' bookkeeping, as dn_train's (stop.c). */
    if (dn_stop_record(&q->S, o, e, q->val != NULL) && q->best)
        memcpy(q->best, q->m->theta, q->P * sizeof *q->best);

    if (!dn_state_remember(&q->S, &q->hist_cap, e)) {
        q->ckpt_st = dn_fail(q->err, DN_ENOMEM, "out of memory for the "
                             "history");
        q->why = DN_STOP_CALLBACK;
        return 1;
    }
    dn_stop why = DN_STOP_EPOCHS;
    int stop = dn_stop_rules(&q->S, o, e, &why);
    /* An interrupt is not an end: the checkpoint lets the run go on. */
    if (!stop && o->interrupt && *o->interrupt) {
        why = DN_STOP_INTERRUPTED;
        stop = 1;
    }
    q->why = why;
    /* The checkpoint of this iteration: the solver's state was written
     * just before this call. */
    const int due = o->checkpoint_every > 0 && it->iter % o->checkpoint_every == 0;
    if (o->checkpoint && (due || (stop && q->why == DN_STOP_INTERRUPTED))) {
        if (stop && q->why != DN_STOP_INTERRUPTED && q->why != DN_STOP_CALLBACK)
            q->S.stopped = 1 + q->why;
        if ((q->ckpt_st = save(q, q->err))) {
            q->why = DN_STOP_CALLBACK;
            return 1;
        }
    }
    return stop;
}

/* What the solvers cannot take: each message says why and what to use. */
static dn_status refuse(const dn_model *m, const dn_solver_conf *c,
                        const dn_train_opts *o, dn_error *err)
{
    const char *name = dn_solver_name(c->kind);
    for (int l = 0; l < DN_MAX_LAYERS; l++)
        if (o->dropout[l] > 0)
            return dn_fail(err, DN_EARG, "solver %s: dropout (layer %d, rate "
                           "%g) makes the loss random, which line searches "
                           "and LM's accept-or-reject test cannot work with; "
                           "turn dropout off, and regularize with l2 or "
                           "early stopping instead", name, l + 1,
                           o->dropout[l]);
    if (o->clip > 0)
        return dn_fail(err, DN_EARG, "solver %s: gradient clipping (clip = "
                       "%g) does not apply: the solver chooses its own step "
                       "length; set clip to 0", name, o->clip);
    /* The mini-batch loop's own settings: a solver would ignore them in
     * silence, so one set away from dn_train_defaults is refused. */
    dn_train_opts d;
    dn_train_defaults(&d);
    const char *field = o->batch != d.batch ? "batch"
                      : o->eta != d.eta ? "eta"
                      : o->opt.kind != d.opt.kind ? "opt"
                      : o->sched.kind != d.sched.kind || o->sched.warmup
                        ? "sched"
                      : o->shuffle != d.shuffle ? "shuffle"
                      : o->checkpoint_steps ? "checkpoint_steps"
                      : o->on_batch ? "on_batch" : NULL;
    if (field)
        return dn_fail(err, DN_EARG, "solver %s: dn_train_opts.%s is for the "
                       "mini-batch loop (dn_train), which a full-batch solver "
                       "does not run; leave it as dn_train_defaults sets it "
                       "(an iteration is one step on all the rows, its length "
                       "chosen by the solver; checkpoints follow "
                       "checkpoint_every)", name, field);
    if (c->kind == DN_SOLVER_LM && m->arch.loss != DN_LOSS_MSE)
        return dn_fail(err, DN_EARG, "solver lm: Levenberg-Marquardt "
                       "minimizes a sum of squared residuals, and this "
                       "network's loss is %s (classification), which is not "
                       "one; use lbfgs (or cg), which minimize any smooth "
                       "loss", m->arch.loss == DN_LOSS_CE
                       ? "cross-entropy" : "binary cross-entropy");
    if (dn_dist_size() > 1 && !o->alone)
        return dn_fail(err, DN_EARG, "solver %s: the full-batch solvers run "  /* cov: MPI only (make test-mpi) */
                       "in one process and are not data-parallel; run "
                       "without mpirun, or with -np 1 (or train alone: "
                       "dn_train_opts.alone)", name);
    return DN_OK;
}

static dn_status setup(net *q, const dn_solver_conf *c, dn_error *err)
{
    const int N = q->train->n;
    const size_t P = q->P;
    dn_status st = dn_ws_new(q->m, N < CHUNK ? N : CHUNK, q->o.threads,
                             &q->ws, err);
    if (st) return st;
    q->ws->flush = 1;   /* converged classifiers: no subnormal products */
    q->gf = malloc(P * sizeof *q->gf);
    q->last_x = malloc(P * sizeof *q->last_x);
    q->wmask = dn_weight_mask(q->m);
    int ok = q->gf && q->last_x && q->wmask;
    if (q->o.patience > 0 && q->o.restore_best) {
        q->best = malloc(P * sizeof *q->best);
        ok &= q->best != NULL;
    }
    if (ok && c->kind == DN_SOLVER_LM && q->lambda > 0) {
        q->ridge = malloc(P * sizeof *q->ridge);
        ok &= q->ridge != NULL;
        const double W = dn_weight_sum(q->train->w, N);
        for (size_t j = 0; q->ridge && j < P; j++)
            q->ridge[j] = q->wmask[j] ? W * q->lambda : 0;
    }
    if (ok && (c->kind == DN_SOLVER_NEWTON || c->kind == DN_SOLVER_HF)) {
        q->hv = malloc(P * sizeof *q->hv);
        ok &= q->hv != NULL;
    }
    if (!ok)
        return dn_fail(err, DN_ENOMEM, "solver %s: out of memory for %zu "
                       "parameters", dn_solver_name(c->kind), P);
    if (c->kind == DN_SOLVER_LM) st = dn_ws_new(q->m, 1, 1, &q->ws1, err);
    q->hf_rows = c->hf_rows > 0 && c->hf_rows < N ? c->hf_rows : N;
    if (!st && (c->kind == DN_SOLVER_NEWTON || c->kind == DN_SOLVER_HF))
        st = dn_rws_new(q->m, N < CHUNK ? N : CHUNK, &q->rws, err);
    q->hf_iter = -1;
    if (!st && c->kind == DN_SOLVER_HF) {
        /* The cache: as many of the curvature rows as the budget holds
         * (a chunk is kept when it fits whole); without the memory, none
         * (the products are the same, only slower). */
        const size_t row = hf_row_floats(q->m) * sizeof(float);
        long kept = (long)(HF_CACHE_BYTES / row);
        if (kept > q->hf_rows) kept = q->hf_rows;
        if (kept > 0) {
            q->hf_cache = malloc((size_t)kept * row);
            q->hf_x = malloc(P * sizeof *q->hf_x);
            if (q->hf_cache && q->hf_x) q->hf_kept = kept;
            else {
                DN_FREE_ALL(q->hf_cache, q->hf_x);
                q->hf_cache = NULL;
                q->hf_x = NULL;
            }
        }
    }
    return st;
}

static dn_status train_full(dn_model *m, const dn_data *train,
                            const dn_data *val, const dn_solver_conf *solver,
                            const dn_train_opts *opts, dn_result *res,
                            dn_error *err)
{
    DN_NEED(m);
    net q;
    memset(&q, 0, sizeof q);
    dn_train_state *S = &q.S;   /* what checkpoints hold (zeroed: freed at
                                   done whatever happened) */
    S->best = S->prev_loss = NAN;
    char *why_loaded = NULL;    /* a resumed numeric stop's message */
    dn_solver_conf c;
    if (solver) c = *solver; else dn_solver_defaults(&c, DN_SOLVER_LBFGS);
    dn_result local;
    if (!res) res = &local;
    dn_status st = dn_stop_open(m, opts, &q.o, res, err);
    if (!st && (unsigned)c.kind >= DN_SOLVER_COUNT)
        st = dn_fail(err, DN_EARG, "solver kind %d is unknown; use one of "
                     "lbfgs, cg, lm, newton, hf", (int)c.kind);
    if (!st) st = refuse(m, &c, &q.o, err);
    if (!st) st = dn_data_check(m, train, "training", 1, err);
    if (!st && val) st = dn_data_check(m, val, "validation", 1, err);
    if (st) return st;

    /* The solvers read rows of floats: byte inputs are converted once (the
     * full-batch solvers are for small data sets). */
    dn_data tf;
    float *tX = NULL;
    if (!train->X) {
        tf = *train;
        size_t nx = (size_t)train->n * train->d;
        tX = malloc((nx + 1) * sizeof *tX);
        if (!tX)
            return dn_fail(err, DN_ENOMEM, "out of memory for %d rows of %d "
                           "inputs", train->n, train->d);
        for (size_t i = 0; i < (size_t)train->n; i++)
            dn_row_u8(dn_data_x8(train) + i * train->d, NULL, NULL,
                      tX + i * train->d, train->d);
        tf.X = tX;
        tf.bytes = NULL;
        train = &tf;
    }
    q.m = m;
    q.train = train;
    q.val = val;
    q.res = res;
    q.P = m->n_params;
    q.lambda = (float)q.o.l2;
    c.max_iter = q.o.epochs;
    double *x = malloc(q.P * sizeof *x);
    if (!x) st = dn_fail(err, DN_ENOMEM, "out of memory for %zu parameters",
                         q.P);
    if (!st) st = setup(&q, &c, err);
    if (st) goto done;

    /* The checkpointed state: theta, the best weights, the history and
     * the solver's array (which holds x once an iteration is done). */
    q.err = err;
    S->theta = m->theta;
    S->n_params = q.P;
    S->best_theta = q.best;
    S->n = train->n;
    S->idx = malloc((size_t)train->n * sizeof *S->idx);
    S->n_solver = dn_solver_state_size(&c, q.P);
    S->solver = calloc(S->n_solver, sizeof *S->solver);
    S->note = q.o.note;
    S->keep = q.o.keep;
    S->keep_user = q.o.user;
    S->prev_loss = S->best = NAN;
    if (!S->idx || !S->solver) {
        st = dn_fail(err, DN_ENOMEM, "out of memory for the solver's state "
                     "(%zu doubles)", S->n_solver);
        goto done;
    }
    for (int i = 0; i < train->n; i++) S->idx[i] = i;
    int resumed = 0;
    if (q.o.resume) {
        if ((st = dn_ckpt_load(q.o.resume, S, q.o.epochs, err))) goto done;
        why_loaded = (char *)S->why;
        q.hist_cap = S->n_hist > q.o.epochs ? S->n_hist : q.o.epochs;
        dn_stop_replay(S, &q.o, res);
        res->epochs = res->steps = S->n_hist;
        if (S->stopped) {
            /* The run had ended: its result again, without iterating. */
            res->reason = (dn_stop)(S->stopped - 1);
            if (res->reason == DN_STOP_NONFINITE)
                st = dn_fail(err, DN_ENUMERIC, "%s", S->why ? S->why
                             : "the run had stopped on a non-finite value");
            goto finish;
        }
        resumed = S->n_hist > 0;
    }
    for (size_t i = 0; i < q.P; i++) x[i] = m->theta[i];
    /* The loss is float32 arithmetic: steps below its precision are
     * rounding noise (see dn_problem.precision). */
    dn_problem p = { .n = q.P, .fg = net_fg, .precision = FLT_EPSILON,
                     .user = &q };
    if (c.kind == DN_SOLVER_LM) {
        p.resid = net_resid;
        p.n_samples = train->n;
        p.n_resid = train->k;
        p.scale = 1.0 / dn_weight_sum(train->w, train->n);
        p.ridge = q.ridge;
    }
    if (c.kind == DN_SOLVER_NEWTON) p.hess = net_hess;
    if (c.kind == DN_SOLVER_HF) p.gn = net_gn;
    dn_min_result mr;
    q.t0 = dn_now();
    st = dn_minimize_run(&p, &c, x, on_iter, &q, &mr, S->solver, resumed, err);
    /* x is always an accepted point (or the start): the weights to keep. */
    load(&q, x);
    res->reason = mr.reason == DN_STOP_CALLBACK ? (dn_stop)q.why : mr.reason;
    if (q.ckpt_st) { st = q.ckpt_st; goto done; }
    if (st == DN_ENUMERIC) {
        res->reason = DN_STOP_NONFINITE;
        if (mr.iters == 0 && err) {
            char why[sizeof err->msg];
            memcpy(why, err->msg, sizeof why);
            dn_fail(err, DN_ENUMERIC, "%s; for a network: re-initialize the "
                    "weights, or check the data for extreme values", why);
        }
    }
    /* The end of the run goes into the checkpoint (a resume then writes
     * the same result without iterating); an interrupt's is written. */
    if (q.o.checkpoint && q.o.checkpoint_every > 0 &&
        res->reason != DN_STOP_INTERRUPTED && res->reason != DN_STOP_CALLBACK &&
        (!st || st == DN_ENUMERIC)) {
        dn_error cerr;
        /* (The iteration budget is not an end: --epochs may be raised.) */
        S->stopped = res->reason == DN_STOP_EPOCHS ? 0 : 1 + res->reason;
        S->why = st && err ? err->msg : NULL;
        /* A stopped run is not iterated again, so its solver state is not
         * used; a start that was not finite leaves f = inf in it, which
         * the reader refuses (the resume would call the file damaged). */
        for (size_t i = 0; S->stopped && i < S->n_solver; i++)
            if (!isfinite(S->solver[i])) S->solver[i] = 0;
        if (save(&q, &cerr)) {
            if (!st) st = dn_fail(err, cerr.code, "%s", cerr.msg);
        }
    }
finish:
    dn_stop_restore(S, m->theta, res);
done:
    dn_stop_report(S, &q.o, val != NULL, res);
    DN_FREE_ALL(S->idx, S->solver, S->hist, why_loaded, x, tX);
    dn_ws_free(q.ws);
    dn_ws_free(q.ws1);
    dn_rws_free(q.rws);
    DN_FREE_ALL(q.gf, q.hv, q.ridge, q.wmask, q.last_x, q.best, q.hf_cache,
                q.hf_x);
    return st;
}

/* In training's floating-point mode (kernels/fpmode.h), the caller's put
 * back on return. */
dn_status dn_train_full(dn_model *m, const dn_data *train, const dn_data *val,
                        const dn_solver_conf *solver,
                        const dn_train_opts *opts, dn_result *res,
                        dn_error *err)
{
    const unsigned mode = dn_fpmode_enter();
    dn_status st = train_full(m, train, val, solver, opts, res, err);
    dn_fpmode_leave(mode);
    return st;
}
