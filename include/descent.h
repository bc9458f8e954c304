/*
 * descent.h — train feed-forward neural networks with backpropagation and
 * gradient descent, then use them.  This header is the manual.
 *
 * Vocabulary (from the course notes descent implements):
 *
 *   layer l:   z = a_prev W^T + b        (one row per sample; W is [out, in])
 *              a = f(z)
 *   loss:      E(theta), averaged over the N samples of a batch
 *   backward:  delta_L = dE/dz_L                         (output layer)
 *              delta   = (delta_next W_next) ⊙ f'(z)      (hidden layers)
 *              dW = delta^T a_prev,  db = Σ_rows delta
 *   update:    theta -= eta * g
 *
 * The notes write one sample as a column, z = W a + b.  descent stores a
 * mini-batch as rows (row-major, samples × features), so the same product
 * reads Z = A W^T + 1 b^T.  W keeps PyTorch's [out, in] layout, which is
 * also how it is saved (see docs/model-format.md).
 *
 * Conventions
 *   - Every public name starts with dn_ / DN_.
 *   - Every call that can fail returns a dn_status and, when `err` is not
 *     NULL, leaves a message in it that says what went wrong, where (file,
 *     line, column, field) and what to do.  The library never prints and
 *     never exits.
 *   - Ownership follows names: x_new / x_free, x_load / x_save, x_read.
 *   - Parameters and activations are float32; long sums use double.
 *   - Determinism: one seeded generator per use (no global state); the same
 *     seed, data and options give the same bits, whatever the thread count.
 *   - Thread safety: distinct objects may be used from distinct threads.
 *     A dn_model may be read (forward, predict, evaluate) by several
 *     threads at once as long as each uses its own dn_ws and none trains it.
 */
#ifndef DESCENT_H
#define DESCENT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DN_VERSION "0.1.0"
#define DN_MAX_LAYERS 64 /* dense layers in one network */

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

typedef enum {
    DN_OK = 0,
    DN_EARG,     /* a caller's argument or option is invalid or inconsistent */
    DN_EIO,      /* a file could not be opened, read or written */
    DN_EFORMAT,  /* a file's content is malformed, inconsistent or absurd */
    DN_ENOMEM,   /* an allocation failed */
    DN_ENUMERIC  /* a loss or gradient became NaN or infinite */
} dn_status;

typedef struct {
    dn_status code;
    char msg[1024]; /* "what, where; what to do", one line, no trailing newline */
} dn_error;

/* A short name for a status ("format error", ...). */
const char *dn_status_name(dn_status s);

/* ------------------------------------------------------------------ */
/* Random numbers                                                      */
/* ------------------------------------------------------------------ */

/* xoshiro256** seeded through splitmix64: small, fast, and the same
 * sequence on every platform.  Copy the struct to fork a stream. */
typedef struct { uint64_t s[4]; } dn_rng;

void     dn_rng_seed(dn_rng *r, uint64_t seed);
uint64_t dn_rng_u64(dn_rng *r);
double   dn_rng_uniform(dn_rng *r);              /* in [0, 1) */
uint64_t dn_rng_below(dn_rng *r, uint64_t n);    /* in [0, n), unbiased */
double   dn_rng_normal(dn_rng *r);               /* N(0, 1), Box–Muller */
void     dn_rng_shuffle(dn_rng *r, int32_t *idx, int n); /* Fisher–Yates */

/* ------------------------------------------------------------------ */
/* Activations, losses, tasks, initialization                          */
/* ------------------------------------------------------------------ */

/* Each activation with its formula, range and derivative.
 *   IDENTITY    f(z) = z                      (-inf, inf)  f' = 1
 *   SIGMOID     f(z) = 1 / (1 + e^-z)         (0, 1)       f' = a (1 - a)
 *   TANH        f(z) = tanh z                 (-1, 1)      f' = 1 - a^2
 *   RELU        f(z) = max(0, z)              [0, inf)     f' = [z > 0]
 *   LEAKY_RELU  f(z) = z > 0 ? z : alpha z    (-inf, inf)  f' = z > 0 ? 1 : alpha
 *               alpha fixed (default 0.01, PyTorch's negative_slope)
 *   PRELU       f(z) = z > 0 ? z : alpha_j z  (-inf, inf)  f' = z > 0 ? 1 : alpha_j
 *               one learned slope alpha_j per unit j, a model parameter
 *               (default start 0.25, as PyTorch's nn.PReLU);
 *               dE/dalpha_j = Σ_rows dE/da_j · min(z_j, 0)
 *   SOFTMAX     a_k = e^{z_k} / Σ_j e^{z_j}   (0, 1), Σ a = 1
 *               output layer only, always with categorical cross-entropy
 * At z = 0 the ReLU family uses the left derivative (f' = 0 or alpha),
 * as PyTorch does. */
typedef enum {
    DN_ACT_IDENTITY = 0,
    DN_ACT_SIGMOID,
    DN_ACT_TANH,
    DN_ACT_RELU,
    DN_ACT_LEAKY_RELU,
    DN_ACT_PRELU,
    DN_ACT_SOFTMAX,
    DN_ACT_COUNT
} dn_act;

/* Losses, each averaged over the N samples of a batch:
 *   MSE  E = (1/N) Σ_n ½ ‖h(x_n) − y_n‖²   — the notes' sum-of-squares form.
 *        Note: for one output this is HALF of PyTorch's nn.MSELoss.
 *   BCE  E = −(1/N) Σ_n Σ_k [y ln σ(z) + (1 − y) ln(1 − σ(z))]
 *        on a sigmoid output, computed from the logit z as
 *        max(z,0) − z y + log1p(e^{−|z|}), never inf or NaN.
 *   CE   E = −(1/N) Σ_n ln softmax(z_n)[y_n]
 *        on a softmax output, computed from the logits with log-sum-exp.
 * With these pairings delta_L = (a − y) / N at the output (y one-hot for CE). */
typedef enum {
    DN_LOSS_MSE = 0,
    DN_LOSS_BCE,
    DN_LOSS_CE,
    DN_LOSS_COUNT
} dn_loss;

/* The task decides the output layer and the loss:
 *   REGRESSION  identity output (one unit per target)  + MSE
 *   BINARY      one sigmoid unit, P(class 1)            + BCE
 *   MULTICLASS  softmax over K units                    + CE
 * (MSE may also sit on a sigmoid/tanh/ReLU-family output: bounded
 * regression.  BCE needs sigmoid, CE needs softmax, softmax needs CE.) */
typedef enum {
    DN_TASK_REGRESSION = 0,
    DN_TASK_BINARY,
    DN_TASK_MULTICLASS
} dn_task;

/* Initialization of the weights; biases always start at zero.
 *   NORMAL          W ~ N(0, eps²)               (the notes' ε, default 0.01)
 *   GLOROT_UNIFORM  W ~ U(−r, r), r = sqrt(6 / (in + out))
 *   GLOROT_NORMAL   W ~ N(0, 2 / (in + out))
 *   HE_UNIFORM      W ~ U(−r, r), r = sqrt(6 / in)
 *   HE_NORMAL       W ~ N(0, 2 / in)
 *   DEFAULT         per layer: He (uniform) for the ReLU family, Glorot
 *                   (uniform) for identity, sigmoid, tanh and softmax. */
typedef enum {
    DN_INIT_DEFAULT = 0,
    DN_INIT_NORMAL,
    DN_INIT_GLOROT_UNIFORM,
    DN_INIT_GLOROT_NORMAL,
    DN_INIT_HE_UNIFORM,
    DN_INIT_HE_NORMAL,
    DN_INIT_COUNT
} dn_init;

/* Names as the command line spells them ("relu", "leaky_relu", "mse",
 * "ce", "multiclass", "he_uniform", ...), and back.  Parsing accepts a few
 * common aliases ("linear" for identity, "xavier" for glorot, ...). */
const char *dn_act_name(dn_act a);
const char *dn_loss_name(dn_loss l);
const char *dn_task_name(dn_task t);
const char *dn_init_name(dn_init i);
dn_status dn_act_parse(const char *s, dn_act *out, dn_error *err);
dn_status dn_loss_parse(const char *s, dn_loss *out, dn_error *err);
dn_status dn_task_parse(const char *s, dn_task *out, dn_error *err);
dn_status dn_init_parse(const char *s, dn_init *out, dn_error *err);

/* ------------------------------------------------------------------ */
/* Architecture                                                        */
/* ------------------------------------------------------------------ */

typedef struct {
    int    units;  /* width of the layer's output */
    dn_act act;
    float  alpha;  /* LEAKY_RELU slope / PRELU initial slope; 0 = default */
} dn_layer;

typedef struct {
    int      n_in;                  /* input width (after one-hot encoding) */
    int      n_layers;              /* dense layers, hidden + output */
    dn_layer layer[DN_MAX_LAYERS];  /* layer[n_layers-1] is the output */
    dn_loss  loss;
} dn_arch;

/* Checks an architecture: widths ≥ 1, softmax only on the output layer
 * and only with CE, BCE only on sigmoid, CE only on softmax.  The message
 * names the offending layer and the pairing to use instead. */
dn_status dn_arch_check(const dn_arch *arch, dn_error *err);

/* Fills the output layer and loss for a task: regression → n_out identity
 * units + MSE; binary → 1 sigmoid unit + BCE; multiclass → n_out softmax
 * units + CE.  Hidden layers already in arch are kept. */
dn_status dn_arch_set_task(dn_arch *arch, dn_task task, int n_out, dn_error *err);

/* ------------------------------------------------------------------ */
/* Feature schema: how raw columns become the network's input           */
/* ------------------------------------------------------------------ */

/* A raw input column.  Numeric columns feed one input; a text column
 * with K categories is one-hot encoded into K inputs, in the order of
 * `cats` (sorted).  The network's inputs follow the columns in order: a
 * numeric column takes one position, a text column its K consecutive
 * positions.  Stored with the model so that prediction encodes new rows
 * the same way. */
typedef struct {
    char  *name;
    int    n_cats;  /* 0 for a numeric column */
    char **cats;
} dn_column;

typedef struct {
    int        n_cols;     /* raw feature columns (target excluded) */
    dn_column *col;
    int        n_in;       /* encoded width: numeric + Σ n_cats */
    int        img_rows, img_cols; /* > 0 when read from IDX images */
    char      *target;     /* target column name, NULL if unknown */
    dn_task    task;
    int        n_classes;  /* classification: K ≥ 2; regression: 0 */
    char     **classes;    /* class names, index = class number */
} dn_schema;

/* Deep copy; copying NULL gives NULL and DN_OK. */
dn_status dn_schema_copy(const dn_schema *src, dn_schema **out, dn_error *err);
void      dn_schema_free(dn_schema *s);

/* ------------------------------------------------------------------ */
/* Data sets                                                           */
/* ------------------------------------------------------------------ */

/* A data set in memory: raw encoded inputs (one-hot done, standardization
 * NOT applied — the model does that as its first step) and targets.
 * Targets: regression, n × k real values; binary, n × 1 in {0, 1};
 * multiclass, n × 1 class index 0..K−1 stored as float. */
typedef struct {
    int        n, d, k;
    float     *X;       /* n × d, row-major */
    float     *Y;       /* n × k, NULL when the file had no target */
    dn_schema *schema;  /* owned */
} dn_data;

typedef struct {
    const char *target;  /* target column by name, or by 1-based index as
                            in messages: "3" the third column, "-1" the
                            last; a header name wins over a number;
                            NULL = last */
    int  task_set;       /* 0: infer the task from the target column */
    dn_task task;        /* used when task_set */
    int  max_classes;    /* integer targets with ≤ this many distinct
                            values are classes (0 = default 20) */
} dn_csv_opts;

/* Reads a CSV with a header row and infers the schema:
 *   - numeric columns are features; text columns are one-hot encoded;
 *   - the target: text → classes; integers with few distinct values
 *     (≤ max_classes) → classes; otherwise real numbers → regression;
 *     two classes → binary, more → multiclass (override with task);
 *   - empty, NaN, infinite or malformed cells, ragged rows and columns
 *     that mix numbers and text are errors naming file, line, column
 *     and the value.
 * `why`, if not NULL, receives a sentence explaining the inferred task. */
dn_status dn_csv_read(const char *path, const dn_csv_opts *opts,
                      dn_data **out, char *why, size_t why_len,
                      dn_error *err);

/* Reads a CSV encoded with an existing schema (a validation file, or new
 * rows for a trained model).  Columns are matched by name, in any order;
 * extra columns are ignored.  need_target: 1 requires the target column,
 * 0 reads it if present and complete (Y = NULL otherwise). */
dn_status dn_csv_read_with(const char *path, const dn_schema *schema,
                           int need_target, dn_data **out, dn_error *err);

/* Reads MNIST-style IDX files (plain or gzip, recognized by content):
 * images (magic 0x00000803, uint8, scaled to [0, 1]) and, if labels_path
 * is not NULL, labels (0x00000801, uint8).  Sizes are checked against the
 * file before anything is allocated. */
dn_status dn_idx_read(const char *images_path, const char *labels_path,
                      dn_data **out, dn_error *err);

/* 1 if the file starts like an IDX file (after gunzip if gzipped). */
int dn_idx_detect(const char *path);

/* Splits rows into a training and a validation part: a seeded shuffle,
 * then round(frac · n) rows go to validation.  Classification splits are
 * stratified: each class holds out round(frac · its count), so the total
 * may differ from round(frac · n) by a row or two.  Both parts keep the
 * file's row order and get a copy of the schema. */
dn_status dn_data_split(const dn_data *all, double val_frac, uint64_t seed,
                        dn_data **train, dn_data **val, dn_error *err);

void dn_data_free(dn_data *d);

/* ------------------------------------------------------------------ */
/* The model                                                           */
/* ------------------------------------------------------------------ */

typedef struct dn_model dn_model;

/* Creates a model for a checked architecture; parameters start at zero
 * (PReLU slopes at their initial value) until dn_model_init. */
dn_status dn_model_new(const dn_arch *arch, dn_model **out, dn_error *err);
void      dn_model_free(dn_model *m);
dn_status dn_model_clone(const dn_model *m, dn_model **out, dn_error *err);

/* Initializes the weights (see dn_init), zeroes biases, resets PReLU
 * slopes; eps is the standard deviation for DN_INIT_NORMAL (≤ 0: 0.01).
 * The same seed gives the same weights. */
void dn_model_init(dn_model *m, dn_init init, float eps, uint64_t seed);

const dn_arch *dn_model_arch(const dn_model *m);
int    dn_model_n_in(const dn_model *m);
int    dn_model_n_out(const dn_model *m);

/* All parameters, one flat float buffer theta, laid out layer by layer
 * as W (out × in, row-major), b (out), then the PReLU slopes (out) when
 * the layer has them.  Optimizers and solvers see the network as a
 * function of this one vector. */
size_t dn_model_n_params(const dn_model *m);
float *dn_model_params(dn_model *m);
const float *dn_model_params_const(const dn_model *m);

/* Views of layer l's tensors inside theta (slope: NULL unless PReLU). */
float *dn_model_W(dn_model *m, int l);
float *dn_model_b(dn_model *m, int l);
float *dn_model_slope(dn_model *m, int l);
/* Offset of layer l's W, b, slope inside theta (slope: -1 if none). */
size_t dn_model_offset_W(const dn_model *m, int l);
size_t dn_model_offset_b(const dn_model *m, int l);
long   dn_model_offset_slope(const dn_model *m, int l);

/* Input standardization, the model's first step: x' = (x − mean) / std.
 * Pass NULL to remove it.  std entries ≤ 0 are stored as 1. */
dn_status dn_model_set_scaling(dn_model *m, const float *mean,
                               const float *std, dn_error *err);
const float *dn_model_mean(const dn_model *m); /* NULL if none */
const float *dn_model_std(const dn_model *m);  /* NULL if none */

/* Fits the scaling on a data set: per-input mean and standard deviation
 * (population form; constant inputs get std 1). */
dn_status dn_model_fit_scaling(dn_model *m, const dn_data *train,
                               dn_error *err);

/* Target scaling for regression: the network learns y' = (y − mean) / std
 * and its raw output is mapped back, y = mean + std · y', by dn_predict
 * and by the metrics of dn_evaluate.  Losses (training, validation,
 * dn_evaluate's loss) are then in these standardized units, where 0.5
 * means "no better than predicting the mean".  Why: with raw targets in
 * the hundreds, the MSE gradient is hundreds of times larger and no
 * single learning rate suits every data set.  One entry per output;
 * NULL removes it.  Only for the MSE loss. */
dn_status dn_model_set_target_scaling(dn_model *m, const float *mean,
                                      const float *std, dn_error *err);
const float *dn_model_target_mean(const dn_model *m); /* NULL if none */
const float *dn_model_target_std(const dn_model *m);
dn_status dn_model_fit_target_scaling(dn_model *m, const dn_data *train,
                                      dn_error *err);

/* The schema the model was trained with (copied in; NULL if none). */
dn_status dn_model_set_schema(dn_model *m, const dn_schema *s, dn_error *err);
const dn_schema *dn_model_schema(const dn_model *m);

/* Free-form string metadata saved with the model ("descent.*" keys are
 * reserved).  set copies both strings; get returns NULL if absent. */
dn_status   dn_model_meta_set(dn_model *m, const char *key, const char *value,
                              dn_error *err);
const char *dn_model_meta_get(const dn_model *m, const char *key);
int         dn_model_meta_count(const dn_model *m);
const char *dn_model_meta_key(const dn_model *m, int i);

/* ------------------------------------------------------------------ */
/* Forward and backward passes                                         */
/* ------------------------------------------------------------------ */

/* A workspace: every buffer a forward/backward pass over up to max_batch
 * rows needs (z and a of every layer, deltas, the flat gradient), sized
 * once so that training steps allocate nothing.  threads: worker threads
 * for the matrix products (≤ 0: one per core); results do not depend on
 * it, because every output element is summed by one thread in a fixed
 * order. */
typedef struct dn_ws dn_ws;

dn_status dn_ws_new(const dn_model *m, int max_batch, int threads,
                    dn_ws **out, dn_error *err);
void      dn_ws_free(dn_ws *ws);
int       dn_ws_max_batch(const dn_ws *ws);

/* The flat gradient g = dE/dtheta, laid out like dn_model_params. */
float *dn_ws_grad(dn_ws *ws);

/* Forward pass over n ≤ max_batch rows of raw X (n × n_in): applies the
 * model's scaling, then every layer.  Returns the output activations
 * (n × n_out: probabilities for sigmoid/softmax; for a regression model
 * with target scaling, the standardized y'), valid until the next call
 * on ws.  Returns NULL if n is out of range. */
const float *dn_forward(const dn_model *m, dn_ws *ws, const float *X, int n);

/* The loss of the last forward pass against raw targets Y (see dn_data
 * for Y's layout; standardized here when the model has target scaling),
 * computed from the output logits. */
double dn_loss_value(const dn_model *m, dn_ws *ws, const float *Y, int n);

/* Forward, loss and backward over n rows: writes dE/dtheta into
 * dn_ws_grad(ws) and returns E (the mean loss).  Returns NaN if n is
 * out of range. */
double dn_gradient(const dn_model *m, dn_ws *ws, const float *X,
                   const float *Y, int n);

/* ------------------------------------------------------------------ */
/* Optimizers: functions of flat arrays                                */
/* ------------------------------------------------------------------ */

/* theta −= eta · g over n floats: plain gradient descent, the update
 * every other optimizer refines.  Works on any vector, not only a
 * network's parameters (see examples/one_param.c). */
void dn_sgd_step(float *theta, const float *g, size_t n, float eta);

/* The first-order family.  Each update is written as the code computes
 * it, per element i, with g the gradient, t the step count (from 1) and
 * eta the current learning rate (a schedule may change it every epoch).
 * Defaults are PyTorch's (torch.optim, 1.13), except two choices of
 * descent's own: eta 0.01 for sgd/momentum/nesterov (PyTorch's SGD has no
 * default rate) and momentum 0.9 for momentum/nesterov (PyTorch's SGD
 * defaults to 0).
 *
 *   SGD       theta −= eta g
 *   MOMENTUM  v = mu v + (1 − dampening) g   (v = g on the first step)
 *             theta −= eta v                  mu = momentum (0.9)
 *             (momentum 0 is plain SGD: no velocity, no dampening)
 *   NESTEROV  v as MOMENTUM;  theta −= eta (g + mu v)
 *   ADAGRAD   eta_t = eta / (1 + (t − 1) lr_decay)
 *             s += g²;  theta −= eta_t g / (sqrt(s) + eps)   eps 1e-10
 *             (s starts at initial_accumulator)
 *   RMSPROP   s = alpha s + (1 − alpha) g²                    alpha 0.99
 *             centered: m = alpha m + (1 − alpha) g, s̃ = s − m²; else s̃ = s
 *             momentum > 0: b = momentum b + g / (sqrt(s̃) + eps),
 *                           theta −= eta b
 *             else          theta −= eta g / (sqrt(s̃) + eps)  eps 1e-8
 *   ADAM      m = beta1 m + (1 − beta1) g;  v = beta2 v + (1 − beta2) g²
 *             amsgrad: vmax = max(vmax, v), use vmax for v
 *             theta −= (eta / (1 − beta1^t)) m / (sqrt(v) / sqrt(1 − beta2^t) + eps)
 *             beta1 0.9, beta2 0.999, eps 1e-8
 *   ADAMW     theta −= eta lambda theta on the entries decay_mask marks
 *             (the weights; decoupled decay, lambda = weight_decay 0.01),
 *             then the ADAM update.
 * Coupled L2 (λ/2 ΣW² in the loss) is not an optimizer setting: it is
 * added to the gradient by the training loop (dn_train_opts.l2), so every
 * optimizer sees the same regularized loss. */
typedef enum {
    DN_OPT_SGD = 0,
    DN_OPT_MOMENTUM,
    DN_OPT_NESTEROV,
    DN_OPT_ADAGRAD,
    DN_OPT_RMSPROP,
    DN_OPT_ADAM,
    DN_OPT_ADAMW,
    DN_OPT_COUNT
} dn_opt_kind;

/* Fields a kind does not read are ignored. */
typedef struct {
    dn_opt_kind kind;
    double momentum;      /* MOMENTUM, NESTEROV (0.9); RMSPROP (0) */
    double dampening;     /* MOMENTUM (0); NESTEROV requires 0 */
    double alpha;         /* RMSPROP smoothing constant (0.99) */
    double beta1, beta2;  /* ADAM, ADAMW (0.9, 0.999) */
    double eps;           /* ADAGRAD 1e-10; RMSPROP, ADAM, ADAMW 1e-8 */
    double lr_decay;      /* ADAGRAD (0) */
    double initial_accumulator; /* ADAGRAD (0) */
    double weight_decay;  /* ADAMW's decoupled lambda (0.01) */
    int    centered;      /* RMSPROP (0) */
    int    amsgrad;       /* ADAM, ADAMW (0) */
} dn_opt_conf;

/* The defaults for a kind, as above. */
void dn_opt_defaults(dn_opt_conf *c, dn_opt_kind kind);
/* PyTorch's default learning rate for a kind: 0.01 for the SGD family,
 * AdaGrad and RMSProp, 0.001 for Adam and AdamW. */
double dn_opt_default_eta(dn_opt_kind kind);
const char *dn_opt_name(dn_opt_kind k);  /* "sgd", "momentum", ... */
dn_status dn_opt_parse(const char *s, dn_opt_kind *out, dn_error *err);

/* An optimizer's state for n parameters: its moment buffers and step
 * count.  decay_mask (n bytes, copied; NULL = every entry) marks the
 * entries ADAMW decays. */
typedef struct dn_opt dn_opt;
dn_status dn_opt_new(const dn_opt_conf *c, size_t n,
                     const unsigned char *decay_mask, dn_opt **out,
                     dn_error *err);
void dn_opt_free(dn_opt *o);
/* One update of theta[0..n) from g at learning rate eta. */
void dn_opt_step(dn_opt *o, float *theta, const float *g, double eta);
/* The state as one flat float array (for checkpoints) and the step
 * count; restoring both resumes the optimizer exactly.  Layout:
 * momentum/nesterov v; adagrad s; rmsprop s, then m if centered, then b
 * if momentum > 0; adam/adamw m, v, then vmax with amsgrad.  It depends
 * on the conf, so restore into an optimizer made with the same conf and
 * n.  set_steps(0) makes the next step a first step (the velocity
 * restarts from g); a negative t is taken as 0. */
float *dn_opt_state(dn_opt *o, size_t *n_floats);
long   dn_opt_steps(const dn_opt *o);
void   dn_opt_set_steps(dn_opt *o, long t);

/* ------------------------------------------------------------------ */
/* Learning-rate schedules (per epoch)                                 */
/* ------------------------------------------------------------------ */

/* eta_e is the rate used during epoch e (e = 0, 1, ...), from the base
 * rate eta_0 as torch.optim.lr_scheduler computes it:
 *   CONSTANT  eta_e = eta_0
 *   STEP      eta_e = eta_0 gamma^floor(e / step_size)     (gamma 0.1)
 *   EXP       eta_e = eta_0 gamma^e                         (gamma 0.95)
 *   COSINE    eta_e = eta_min + (eta_0 − eta_min)(1 + cos(pi e / t_max)) / 2
 *             (t_max 0 = the epochs after warmup, at least 1; eta_min 0).
 *             Past t_max the rate climbs back up (period 2·t_max), as
 *             torch's does.
 *   PLATEAU   multiply by factor (0.1) when the monitored loss has not
 *             improved for more than `patience` (10) epochs; improved
 *             means below best·(1 − threshold) (relative, threshold
 *             1e-4) or best − threshold (absolute); after a cut wait
 *             `cooldown` (0) epochs; never below min_eta (0).  A cut
 *             smaller than 1e-8 is skipped (torch's eps).  A NaN or
 *             infinite loss counts as an epoch without improvement.  A
 *             relative threshold must be in [0, 1).
 * warmup N > 0 chains a linear ramp before any of them: during epochs
 * 0..N−1 the rate is eta_0 (e + 1) / N; the schedule proper then starts
 * at its own epoch 0 (and plateau starts watching). */
typedef enum {
    DN_SCHED_CONSTANT = 0,
    DN_SCHED_STEP,
    DN_SCHED_EXP,
    DN_SCHED_COSINE,
    DN_SCHED_PLATEAU,
    DN_SCHED_COUNT
} dn_sched_kind;

typedef struct {
    dn_sched_kind kind;
    int    step_size;     /* STEP (10) */
    double gamma;         /* STEP (0.1), EXP (0.95) */
    int    t_max;         /* COSINE; 0 = the epochs after warmup */
    double eta_min;       /* COSINE (0) */
    double factor;        /* PLATEAU (0.1) */
    int    patience;      /* PLATEAU (10) */
    double threshold;     /* PLATEAU (1e-4) */
    int    threshold_abs; /* PLATEAU: 0 relative, 1 absolute */
    int    cooldown;      /* PLATEAU (0) */
    double min_eta;       /* PLATEAU (0) */
    int    warmup;        /* epochs of linear warmup first (0) */
} dn_sched_conf;

void dn_sched_defaults(dn_sched_conf *c, dn_sched_kind kind);
const char *dn_sched_name(dn_sched_kind k);  /* "constant", "step", ... */
dn_status dn_sched_parse(const char *s, dn_sched_kind *out, dn_error *err);

/* A schedule's running state: a plain struct, so a checkpoint can store
 * it whole. */
typedef struct {
    dn_sched_conf conf;
    double eta0;       /* base rate */
    double eta;        /* the rate for the current epoch */
    int    epoch;      /* epochs completed */
    double best;       /* PLATEAU: best loss so far (+inf before the
                          first watched epoch) */
    int    bad;        /* PLATEAU: epochs without improvement */
    int    cool;       /* PLATEAU: cooldown epochs left */
} dn_sched;

/* Checks eta0 (finite, ≥ 0), warmup, epochs and the fields the kind
 * uses; each error names the field, its value and the valid range.
 * Stores COSINE's resolved t_max in s->conf.t_max, so the struct alone
 * resumes the schedule. */
dn_status dn_sched_init(dn_sched *s, const dn_sched_conf *c, double eta0,
                        int epochs, dn_error *err);
/* Ends an epoch: `loss` is the monitored value (validation loss, or the
 * training loss without validation data); s->eta becomes the next
 * epoch's rate. */
void dn_sched_step(dn_sched *s, double loss);

/* ------------------------------------------------------------------ */
/* Training                                                            */
/* ------------------------------------------------------------------ */

/* What the training loop reports after every epoch. */
typedef struct {
    int    epoch;       /* 1-based */
    long   steps;       /* parameter updates so far */
    double train_loss;  /* mean of the epoch's mini-batch losses, with the
                           L2 penalty λ/2 ΣW² when l2 > 0: the objective
                           being minimized */
    double val_loss;    /* data loss on the validation set (no penalty);
                           NaN without validation data */
    double train_acc;   /* classification only, else NaN (running, like
                           train_loss) */
    double val_acc;     /* NaN without validation data or for regression */
    double eta;         /* learning rate used in this epoch */
    double grad_norm;   /* mean over the epoch's steps of ‖g‖₂ (before
                           clipping) */
    double seconds;     /* wall time of the epoch */
    int    replay;      /* 1 when a resumed run reports an epoch from its
                           checkpoint's history (already done, not rerun) */
} dn_epoch;

/* Return non-zero from the callback to stop training after this epoch. */
typedef int (*dn_epoch_fn)(const dn_epoch *e, void *user);

typedef enum {
    DN_STOP_EPOCHS = 0,   /* ran the requested number of epochs */
    DN_STOP_CALLBACK,     /* the callback asked to stop */
    DN_STOP_NONFINITE,    /* loss or gradient became NaN/inf; the last good
                             weights were kept */
    DN_STOP_CONVERGED,    /* the training loss changed by less than tol for
                             tol_epochs epochs in a row */
    DN_STOP_EARLY,        /* the monitored value did not improve by
                             min_delta for patience epochs */
    DN_STOP_INTERRUPTED   /* *interrupt became non-zero: stopped after the
                             current step, checkpoint written */
} dn_stop;

const char *dn_stop_name(dn_stop s);

/* What early stopping and reduce-on-plateau watch.  Without validation
 * data the validation choices fall back to the training loss. */
typedef enum {
    DN_MONITOR_VAL_LOSS = 0,  /* lower is better (default) */
    DN_MONITOR_VAL_ACC,       /* higher is better (classification) */
    DN_MONITOR_TRAIN_LOSS
} dn_monitor;

typedef struct {
    int     epochs;    /* passes over the training data (0: no update) */
    int     batch;     /* rows per step: 1 = stochastic, m = mini-batch,
                          0 or ≥ n = batch (the whole set per step) */
    double  eta;       /* base learning rate */
    dn_opt_conf   opt;    /* the optimizer (default SGD) */
    dn_sched_conf sched;  /* the learning-rate schedule (default constant) */
    double  l2;        /* λ: adds λ/2 Σ W² over the weights — not biases,
                          not PReLU slopes — to the loss and λW to their
                          gradient (coupled L2, the notes' weight decay) */
    float   dropout[DN_MAX_LAYERS]; /* rate p for hidden layer l's output:
                          inverted dropout, kept units scaled by 1/(1−p)
                          while training, identity at inference */
    double  clip;      /* rescale g when ‖g‖₂ exceeds it (0: off) */
    double  tol;       /* converged when |ΔE_train| < tol ... (0: off) */
    int     tol_epochs;/* ... for this many epochs in a row (default 3) */
    int     patience;  /* early stopping: epochs without improvement
                          before stopping (0: off) */
    double  min_delta; /* smallest change that counts as improvement */
    int     restore_best; /* with patience > 0: end with the weights of
                          the best monitored epoch (default 1) */
    dn_monitor monitor;
    int     shuffle;   /* reshuffle the rows every epoch (default 1) */
    uint64_t seed;     /* for the shuffles and dropout masks */
    int     threads;   /* see dn_ws_new */
    dn_epoch_fn on_epoch;
    void   *user;
    /* Checkpoints: the complete training state — weights, optimizer
     * state, schedule, generator, the epoch's row order and position,
     * early-stopping best weights, history — written atomically. */
    const char *checkpoint;      /* where (NULL: never) */
    int     checkpoint_every;    /* every N epochs (0: only when interrupted) */
    long    checkpoint_steps;    /* or every N steps, if > 0 */
    const char *resume;          /* continue from this checkpoint: the
                                    model, data and options must be the ones
                                    it was written with (sizes are checked);
                                    the result is bit-identical to a run that
                                    was never interrupted */
    const char *note;            /* the caller's text stored in checkpoints
                                    (the CLI keeps its arguments there) */
    const volatile sig_atomic_t *interrupt; /* when *interrupt != 0 (set by a
                                    signal handler), stop after the current
                                    step and write the checkpoint */
} dn_train_opts;

typedef struct {
    int     epochs;      /* epochs completed */
    long    steps;
    dn_stop reason;
    int     best_epoch;  /* epoch of the best monitored value (0 if none) */
    double  best;        /* that value */
    int     restored;    /* 1 if the weights were rolled back to best_epoch */
    dn_epoch last;       /* the last epoch's report */
} dn_result;

/* Defaults: 20 epochs, batch 32, eta 0.01, SGD, constant rate, no
 * regularization, no early stopping (restore_best 1 for when it is
 * turned on), tol_epochs 3, shuffle on, seed 1, all cores. */
void dn_train_defaults(dn_train_opts *o);

/* Trains m: every epoch reshuffles the rows, gathers each mini-batch
 * through the shuffled index into a reused buffer, computes the gradient
 * (with dropout and L2 when asked), clips it, and takes one optimizer
 * step at the schedule's rate; then evaluates val (may be NULL), reports
 * through on_epoch, advances the schedule and checks the stopping rules.
 * Nothing is allocated inside the loop.  The data must match the model's
 * input width (and target width).  A non-finite loss or gradient returns
 * DN_ENUMERIC naming the epoch and step, with the last good weights kept
 * in m and res filled in. */
dn_status dn_train(dn_model *m, const dn_data *train, const dn_data *val,
                   const dn_train_opts *opts, dn_result *res, dn_error *err);

/* What a checkpoint holds, in brief. */
typedef struct {
    int    epoch;      /* epochs completed */
    int    position;   /* rows of the next epoch already trained on */
    long   steps;
    size_t n_params;
    int    rows;       /* training rows */
    char  *note;       /* the caller's note (dn_train_opts.note), owned */
} dn_checkpoint_info;

/* Reads and fully validates a checkpoint (magic, version, CRC-32, every
 * section's bounds), returning its summary.  Free with
 * dn_checkpoint_info_free. */
dn_status dn_checkpoint_read_info(const char *path, dn_checkpoint_info *out,
                                  dn_error *err);
void dn_checkpoint_info_free(dn_checkpoint_info *info);

/* ------------------------------------------------------------------ */
/* Evaluation and inference                                            */
/* ------------------------------------------------------------------ */

typedef struct {
    int    n;
    double loss;
    double accuracy;          /* classification; NaN for regression */
    double mse, mae, r2;      /* regression (ordinary MSE, mean over all
                                 outputs, not the halved loss); NaN else */
} dn_metrics;

/* Evaluates on a data set with targets. */
dn_status dn_evaluate(const dn_model *m, const dn_data *d, dn_metrics *out,
                      dn_error *err);

/* Outputs for n rows of raw X: n × n_out values (regression) or
 * probabilities (sigmoid: P(class 1); softmax: one per class). */
dn_status dn_predict(const dn_model *m, const float *X, int n, float *out,
                     dn_error *err);

/* Predicted class from one row of outputs: argmax for softmax,
 * [p ≥ 0.5] for a single sigmoid unit. */
int dn_predict_class(const dn_model *m, const float *out_row);

/* ------------------------------------------------------------------ */
/* Model files (safetensors)                                           */
/* ------------------------------------------------------------------ */

/* Saves as safetensors: tensors named like the state dict of the
 * equivalent PyTorch nn.Sequential (Linear, activation, Linear, ...):
 * "0.weight" [out, in], "0.bias" [out], a PReLU's slopes "1.weight"
 * [out]; the architecture, schema, scaling and metadata go in
 * __metadata__ (see docs/model-format.md).  Written to a temporary file
 * in the same directory, then renamed: never a half-written file. */
dn_status dn_model_save(const dn_model *m, const char *path, dn_error *err);

/* Loads a model saved by dn_model_save, checking every offset, shape and
 * size against the file before trusting it. */
dn_status dn_model_load(const char *path, dn_model **out, dn_error *err);

#ifdef __cplusplus
}
#endif
#endif /* DESCENT_H */
