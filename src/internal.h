/* internal.h — what the library's files share and users never see. */
#ifndef DN_INTERNAL_H
#define DN_INTERNAL_H

#include "descent.h"
#include <stdarg.h>

/* The model: one flat parameter vector theta and where each tensor sits. */
struct dn_model {
    dn_arch    arch;
    size_t     n_params;
    float     *theta;
    size_t     off_W[DN_MAX_LAYERS];
    size_t     off_b[DN_MAX_LAYERS];
    long       off_slope[DN_MAX_LAYERS];  /* -1 when the layer has none */
    float     *mean, *std;                /* input scaling, NULL if none */
    float     *inv_std;                   /* 1 / std, so forward multiplies */
    float     *t_mean, *t_std;            /* target scaling, NULL if none */
    dn_schema *schema;                    /* NULL if none */
    int        n_meta;
    char     **meta_key, **meta_val;
};

/* Fills err (if not NULL) with a printf-style message and returns code. */
dn_status dn_fail(dn_error *err, dn_status code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* dn_snprintf with a va_list (numtext.c): every message and number the
 * library formats from a va_list, in the C locale. */
int dn_vsnprintf(char *buf, size_t len, const char *fmt, va_list ap);
/* A NULL where a public function (fn) needs a pointer (arg): DN_EARG,
 * "fn: arg is NULL; ...".  DN_NEED(p) returns it from the calling
 * function, whose error argument must be named err. */
dn_status dn_null(dn_error *err, const char *fn, const char *arg);
#define DN_NEED(p) do { if (!(p)) return dn_null(err, __func__, #p); } while (0)

/* calloc for arrays of many megabytes (bigmem.c): on 2 MiB pages where
 * the system gives them; freed with free(). */
void *dn_big_calloc(size_t n, size_t size);

/* s as it may appear in a one-line message (show.c): control bytes
 * (ESC, BEL, newlines, DEL) escaped as \xNN, cut after DN_SHOW_MAX bytes
 * at a UTF-8 character boundary, "..." marking a cut.  buf holds
 * DN_SHOW_BUF bytes; returns buf.  Every byte a message takes from a file
 * goes through it. */
#define DN_SHOW_MAX 40
#define DN_SHOW_BUF (DN_SHOW_MAX * 4 + 8) /* \xNN escapes and "..." */
const char *dn_show(const char *s, char *buf);

/* 1, with the reason in why (n bytes), if schema s does not fit
 * architecture A: its encoded inputs are not A's, or its task is not what
 * A's output computes (schema_fit.c).  dn_model_set_schema and the model
 * loader both refuse such a schema. */
int dn_schema_mismatch(const dn_arch *A, const dn_schema *s, char *why,
                       size_t n);

/* strdup that the C11 standard library lacks; NULL stays NULL. */
char *dn_strdup(const char *s);

/* Largest sizes any loader will accept before allocating: guards against
 * absurd numbers in files (a 2^62-row header must not become malloc). */
#define DN_MAX_ROWS      100000000L   /* 1e8 samples */
#define DN_MAX_WIDTH     1000000L     /* 1e6 inputs or units */
#define DN_MAX_ELEMENTS  (1L << 31)   /* 2^31 floats = 8 GiB in one tensor */

/* ---- network math shared by nn.c, train.c and eval.c ---- */

#include "gemm.h"

/* The workspace behind dn_ws: every buffer of a forward/backward pass. */
struct dn_ws {
    int      max_batch, n_layers, max_width;
    float   *x;                      /* scaled input, max_batch × n_in */
    float   *z[DN_MAX_LAYERS];       /* pre-activations, max_batch × units */
    float   *a[DN_MAX_LAYERS];       /* activations (== z for identity) */
    float   *delta[2];               /* ping-pong, max_batch × max_width */
    float   *grad;                   /* flat dE/dtheta */
    float   *y;                      /* standardized targets, max_batch × k */
    double  *lse;                    /* softmax output: log Σ_j e^{z_j} per
                                        row, for the loss (NULL otherwise) */
    float   *mask[DN_MAX_LAYERS];    /* dropout: 0 or 1/(1−p), NULL if off */
    float   *ad[DN_MAX_LAYERS];      /* dropout: a ⊙ mask, the next input */
    const float *a0;                 /* input rows of the last forward */
    int      n;                      /* rows of the last forward */
    dn_pool *pool;
    /* Layer 0 cut by units over the pool's threads (dn_gradient_rows):
     * NULL unless it pays; else one copy of the batch's inputs per
     * thread, so each thread's slice of W and of the products stays in
     * its own cache. */
    float  **xt;
    int      n_xt;
    double  *n2row;   /* layer 0 cut by units: Σ g² of each row of dW_0, */
    int      n2_ok;   /* summed by its thread (valid after such a step) */
    dn_pool *all;     /* the pool; pool is it, or NULL while solo */
};

/* Runs ws's work on the calling thread alone (solo = 1) or on its pool
 * again (solo = 0).  The results are the same bits either way (every
 * product's sums are ordered by its shape alone), so a training loop may
 * switch at any step; dn_pace does, when the other cores are busy. */
void dn_ws_solo(dn_ws *ws, int solo);

/* a = f(z) over n rows of `units` columns; slope: PReLU's per-unit alpha. */
void dn_act_forward(const dn_layer *L, const float *slope, const float *z,
                    float *a, int n);

/* In place: d holds dE/da on entry and dE/dz = dE/da ⊙ f'(z) on exit.
 * For PReLU, dslope[j] receives Σ_rows dE/da_j · min(z_j, 0). */
void dn_act_backward(const dn_layer *L, const float *slope, const float *z,
                     const float *a, float *d, float *dslope, int n);

/* The same on one block (rows × cols at row stride ld; the pointers at
 * its first element, slope and b at its first column), for the matrix
 * products' epilogues.  Forward: z += b (b may be NULL), then a = f(z)
 * for every activation but softmax (whose rows need dn_act_forward).
 * Backward: d ⊙= mask (dropout; may be NULL), then d ⊙= f'(z), for the
 * activations dn_act_blockwise accepts (not PReLU, whose slope gradient
 * sums whole columns, nor softmax). */
void dn_act_forward_block(const dn_layer *L, const float *slope,
                          const float *b, float *z, float *a, ptrdiff_t ld,
                          int rows, int cols);
void dn_act_backward_block(const dn_layer *L, const float *z, const float *a,
                           const float *mask, float *d, ptrdiff_t ld,
                           int rows, int cols);
int  dn_act_blockwise(dn_act act);

/* Softmax over n rows of k: a = e^{z − max} / Σ, and, when lse is not
 * NULL, lse[r] = log Σ_j e^{z_j}, which the cross-entropy then reuses. */
void dn_softmax_rows(const float *z, float *a, double *lse, int n, int k);

/* CE from the rows' log-sum-exp (dn_softmax_rows): mean of lse − z_y. */
double dn_loss_ce_lse(const float *z, const double *lse, const float *Y,
                      int n, int k);

/* The mean loss of n rows, from the output layer's logits z and
 * activations a. */
double dn_loss_eval(dn_loss loss, const float *z, const float *a,
                    const float *Y, int n, int units);

/* dE/da (MSE) or dE/dz (BCE on sigmoid, CE on softmax) at the output:
 * (a − y) / N in every case, y one-hot for CE. */
void dn_loss_output_grad(dn_loss loss, const float *a, const float *Y,
                         int n, int units, float *d);

/* Row-wise metrics accumulated over a data set in chunks. */
typedef struct {
    long   n;
    double loss_sum, correct, sse, sae, sum_y, sum_y2;
} dn_tally;

void dn_tally_add(const dn_model *m, const float *out, const float *Y, int n,
                  double batch_loss, dn_tally *t);
void dn_tally_finish(const dn_model *m, const dn_tally *t, dn_metrics *out);

/* Adds every row of d to t, through a caller's workspace. */
void dn_eval_tally(const dn_model *m, dn_ws *ws, const dn_data *d,
                   dn_tally *t);

/* Evaluation through a caller's workspace (no allocation). */
void dn_eval_ws(const dn_model *m, dn_ws *ws, const dn_data *d,
                dn_metrics *out);

/* Output activations of the last forward pass. */
static inline const float *dn_ws_out(const dn_ws *ws)
{
    return ws->a[ws->n_layers - 1];
}

/* Backpropagation from ws->delta[0], which holds dE/da_L for MSE (it
 * goes through the output's f' here) or dE/dz_L for BCE and CE, over the
 * ws->n rows of the last forward pass; writes dn_ws_grad(ws).  With a
 * unit vector in delta[0] it gives one row of the output's Jacobian (the
 * full-batch LM solver's use). */
void dn_backward(const dn_model *m, dn_ws *ws, const float *rate);

/* The targets as the network sees them: (Y − t_mean) / t_std into the
 * workspace when the model has target scaling, else Y itself. */
const float *dn_ws_target(const dn_model *m, dn_ws *ws, const float *Y,
                          int n);

/* Allocates dropout buffers for the hidden layers with rate[l] > 0. */
dn_status dn_ws_enable_dropout(dn_ws *ws, const dn_model *m,
                               const float *rate, dn_error *err);

/* dn_gradient in training mode: hidden layer l's output is dropped with
 * probability rate[l] (masks drawn from rng) when ws has its buffers;
 * rate NULL is dn_gradient. */
double dn_gradient_train(const dn_model *m, dn_ws *ws, const float *X,
                         const float *Y, int n, const float *rate,
                         dn_rng *rng);

/* dn_gradient_train on rows idx[0..n) of d, gathered straight into the
 * workspace: standardized on the way when the model has input scaling
 * (one pass where a copy and a scaling took two), split over the pool's
 * threads with layer 0's product when that pays, and their targets
 * copied into Y (n × d->k, for the caller's metrics).  Also asks the
 * memory early for rows idx[n..n+ahead), the next batch (0: none). */
double dn_gradient_rows(const dn_model *m, dn_ws *ws, const dn_data *d,
                        const int32_t *idx, int n, int ahead, float *Y,
                        const float *rate, dn_rng *rng);

/* How the training loop should cut the parameters for a parallel
 * optimizer step (dn_opt_step_parts): when layer 0 is cut by units, one
 * range per thread over its rows of W_0 and a last one for the rest;
 * else even ranges over large models, or one.  Fills cut[0..parts]
 * (room for DN_MAX_CUTS + 1) and returns parts. */
enum { DN_MAX_CUTS = 64 };
int dn_ws_cuts(const dn_model *m, const dn_ws *ws, size_t *cut);

/* ‖g‖ of the last gradient (dn_ws_grad).  For a network whose layer 0
 * can be cut by units (narrow, see nn.c) the squares are summed row by
 * row of dW_0, then the rest, the rows' sums added in order: each thread
 * sums its own rows right after computing them, and the bits do not
 * depend on the thread count.  fresh: g is as the gradient left it (not
 * reduced over ranks, no L2 added), so those sums may be used. */
double dn_grad_norm(const dn_model *m, dn_ws *ws, int fresh);

/* An input byte as a float: the expression the IDX reader has always
 * used, so byte and float data sets give bit-identical results (a
 * product by 1/255.0f differs for 126 of the 256 bytes).  The division
 * costs nothing measurable in the batch gathers, which wait on memory. */
static inline float dn_u8_float(uint8_t b) { return b / 255.0f; }

/* One input row of d values into o (rows.c): bytes converted as
 * dn_u8_float does, floats as they are, then standardized as
 * (x − mean) · inv when mean is not NULL.  Vectorized; the same bits on
 * every path. */
void dn_row_u8(const uint8_t *x, const float *mean, const float *inv,
               float *o, int d);
void dn_row_f32(const float *x, const float *mean, const float *inv,
                float *o, int d);

/* dn_forward on rows [r0, r0 + n) of d: X as it is, or X8 converted (and
 * standardized) straight into the workspace. */
const float *dn_forward_data(const dn_model *m, dn_ws *ws, const dn_data *d,
                             int r0, int n);

/* Checks that a data set fits the model (width, targets, class range). */
dn_status dn_data_check(const dn_model *m, const dn_data *d, const char *what,
                        int need_target, dn_error *err);

/* ---- checkpoints (checkpoint.c) ---- */

/* Everything dn_train needs to continue exactly where it stopped.  The
 * arrays are views of the loop's own buffers. */
typedef struct {
    int      epoch;       /* epochs completed */
    int      pos;         /* rows of the next epoch already stepped */
    long     steps;
    int      best_epoch, stale, calm;
    double   best, prev_loss, gsum;
    dn_tally tally;       /* the running sums of the current epoch */
    dn_rng   rng;         /* shuffles: the same stream on every rank */
    dn_rng   drop_rng;    /* dropout masks: one stream per rank */
    dn_sched sched;
    long     opt_steps;
    float   *theta;       size_t n_params;
    float   *opt_state;   size_t n_opt;
    float   *best_theta;  /* NULL when early stopping keeps none */
    int32_t *idx;         int n;
    dn_epoch *hist;       int n_hist;
    const char *note;
    /* How the run ended, once it has: 1 + the dn_stop reason of a final
     * stop (early stopping, convergence, a solver's own rule, a numeric
     * stop), 0 while it can go on.  A resumed finished run does not train
     * again: it reproduces the same result.  why: the numeric stop's
     * message, repeated on resume (NULL or "" otherwise). */
    int      stopped;
    const char *why;
    /* The full-batch solvers' own state (dn_solver_state), in float64;
     * empty for the first-order loop. */
    double  *solver;      size_t n_solver;
} dn_train_state;

dn_status dn_ckpt_save(const char *path, const dn_train_state *s,
                       dn_error *err);
/* Appends an epoch's report to s->hist, kept for checkpoints; the array
 * doubles when full (once per epoch at most, never in a step).  0 if out
 * of memory. */
int dn_state_remember(dn_train_state *s, int *cap, const dn_epoch *e);
/* Loads into s, whose array views (solver included) are already sized by
 * the caller: every size in the file must equal them.  Allocates s->hist
 * with room for at least hist_cap entries and s->why (NULL when empty);
 * the caller frees both. */
dn_status dn_ckpt_load(const char *path, dn_train_state *s, int hist_cap,
                       dn_error *err);

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

/* ---- what the training loops share (train.c; train_full.c uses them) ---- */

/* Checks the options every loop reads (epochs, l2, tol, early stopping,
 * monitor, dropout rates, ...); each message names the field. */
dn_status dn_train_check_opts(const dn_model *m, const dn_train_opts *o,
                              dn_error *err);
/* The monitored value of an epoch, oriented so that lower is better. */
double dn_monitored(const dn_train_opts *o, const dn_epoch *e, int has_val);

/* ---- several processes (dist.c) ---- */

void dn_dist_sum_f(float *x, size_t n);   /* allreduce sum, in place */
void dn_dist_sum_d(double *x, int n);
int  dn_dist_any(int flag);                /* 1 if any rank's flag is set */
/* This rank's rows [r0, r1) of n: contiguous, as even as possible. */
void dn_dist_slice(int n, int *r0, int *r1);

/* ---- regularization (regularize.c) ---- */

/* n_params bytes, 1 on the weights W of every layer: what L2 and AdamW's
 * decay touch.  NULL if out of memory. */
unsigned char *dn_weight_mask(const dn_model *m);
/* g_W += λ W over every layer's weights; returns the penalty λ/2 Σ W². */
double dn_l2_add(const dn_model *m, float *g, float lambda);
/* ‖g‖₂, summed in double: a long float sum of squares loses digits. */
double dn_norm2(const float *g, size_t n);
/* Its square, before the root. */
double dn_norm2_sq(const float *g, size_t n);
void   dn_scale(float *g, size_t n, float s);

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
