/* nn.h — the network's math shared by the files of src/nn and the layers
 * above: the model's layout, the workspace, activations, losses,
 * forward and backward passes, metrics, regularization. */
#ifndef DN_NN_H
#define DN_NN_H

#include "data/data.h"
#include "kernels/gemm.h"

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

/* 1, with the reason in why (n bytes), if schema s does not fit
 * architecture A: its encoded inputs are not A's, or its task is not what
 * A's output computes (schema_fit.c).  dn_model_set_schema and the model
 * loader both refuse such a schema. */
int dn_schema_mismatch(const dn_arch *A, const dn_schema *s, char *why,
                       size_t n);


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
    const float *w;                  /* the rows' weights for the loss of
                                        the last forward pass, or NULL (all
                                        1): every forward pass resets it,
                                        a weighted caller sets it after */
    float   *wb;                     /* max_batch: a batch's weights */
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
    int      flush;   /* 1: backward passes set deltas below FLT_MIN to 0
                         before their products (the full-batch solvers;
                         0, as PyTorch, elsewhere) */
};

/* Runs ws's work on the calling thread alone (solo = 1) or on its pool
 * again (solo = 0).  The results are the same bits either way (every
 * product's sums are ordered by its shape alone), so a training loop may
 * switch at any step; dn_pace does, when the other cores are busy. */
void dn_ws_solo(dn_ws *ws, int solo);

/* In place: d holds dE/da on entry and dE/dz = dE/da ⊙ f'(z) on exit.
 * For PReLU, dslope[j] receives Σ_rows dE/da_j · min(z_j, 0). */
void dn_act_backward(const dn_layer *L, const float *slope, const float *z,
                     const float *a, float *d, float *dslope, int n);

/* The same on one block (rows × cols at row stride ld; the pointers at
 * its first element, slope and b at its first column), for the matrix
 * products' epilogues.  Forward: z += b (b may be NULL), then a = f(z)
 * for every activation but softmax (whose rows need dn_softmax_rows).
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

/* CE from the rows' log-sum-exp (dn_softmax_rows): mean of lse − z_y,
 * weighted by w (NULL: all 1) as dn_loss says. */
double dn_loss_ce_lse(const float *z, const double *lse, const float *Y,
                      const float *w, int n, int k);

/* The mean loss of n rows, from the output layer's logits z and
 * activations a. */
double dn_loss_eval(dn_loss loss, const float *z, const float *a,
                    const float *Y, int n, int units);
/* The same weighted by w (NULL: dn_loss_eval): Σ w_r l_r / Σ w_r. */
double dn_loss_eval_w(dn_loss loss, const float *z, const float *a,
                      const float *Y, const float *w, int n, int units);

/* dE/da (MSE) or dE/dz (BCE on sigmoid, CE on softmax) at the output:
 * (a − y) / N in every case, y one-hot for CE; with weights w (NULL: all
 * 1), w_r (a − y) / Σ w. */
void dn_loss_output_grad(dn_loss loss, const float *a, const float *Y,
                         const float *w, int n, int units, float *d);

/* Σ w[0..n), or n when w is NULL. */
double dn_weight_sum(const float *w, int n);

/* Row-wise metrics accumulated over a data set in chunks: the loss
 * weighted (wsum is the rows' total weight, n when unweighted), the rest
 * counted over rows. */
typedef struct {
    long   n;
    double loss_sum, correct, sse, sae, sum_y, sum_y2, wsum;
} dn_tally;

/* Adds n rows with their batch's mean loss; w: the rows' weights (NULL:
 * all 1), which weigh the loss. */
void dn_tally_add(const dn_model *m, const float *out, const float *Y,
                  const float *w, int n, double batch_loss, dn_tally *t);
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

/* dn_forward on rows [r0, r0 + n) of d: X as it is, or X8 converted (and
 * standardized) straight into the workspace. */
const float *dn_forward_data(const dn_model *m, dn_ws *ws, const dn_data *d,
                             int r0, int n);

/* Checks that a data set fits the model (width, targets, class range). */
dn_status dn_data_check(const dn_model *m, const dn_data *d, const char *what,
                        int need_target, dn_error *err);

/* ---- regularization (regularize.c) ---- */

/* dn_weight_mask and dn_l2_add are public (descent.h). */
/* ‖g‖₂, summed in double: a long float sum of squares loses digits. */
double dn_norm2(const float *g, size_t n);
/* Its square, before the root. */
double dn_norm2_sq(const float *g, size_t n);
void   dn_scale(float *g, size_t n, float s);

/* ---- the pieces of nn.c that batch.c's thread plan runs ---- */

/* One input row of d (X or bytes) into o, standardized when the model has
 * input scaling. */
void dn_load_row(const dn_model *m, const dn_data *d, size_t i, float *o);
/* db = Σ_rows delta: out[j] = Σ_r d[r·ld + j], rows in order. */
void dn_col_sums(const float *d, int n, int cols, int ld, float *out);
/* z = a_in Wᵀ + b and a = f(z) for units [u0, u1) of layer l over n rows
 * (a unit's column has the same bits whether computed alone or with the
 * others, so a layer may be done in parts). */
void dn_layer_units(const dn_model *m, dn_ws *ws, dn_pool *pool, int l,
                    const float *a_in, int n, int u0, int u1);
/* Every layer from input a over n rows (layer 0 skipped when done0: its
 * output is already in ws), with dropout in training. */
const float *dn_forward_layers(const dn_model *m, dn_ws *ws, const float *a,
                               int n, int done0, const float *rate,
                               dn_rng *rng);
/* After a forward pass over n rows: the loss, then dE/dtheta of layers
 * lowest and up; *delta (when not NULL) gets delta of layer lowest − 1. */
double dn_loss_backward(const dn_model *m, dn_ws *ws, const float *Y, int n,
                        const float *rate, int lowest, float **delta);
/* 1 when n rows fit ws and ws was made for m's layers. */
int dn_ws_fits(const dn_model *m, const dn_ws *ws, int n);
/* 1 when layer 0 is cut by units over T threads (batch.c): a narrow
 * layer 0 with a layer above it; dn_ws_new then gives each thread its
 * own copy of the batch. */
int dn_ws_by_units(const dn_model *m, int T);

#endif
