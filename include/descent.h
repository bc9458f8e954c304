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
 *     never exits.  A NULL where such a call needs a pointer is DN_EARG
 *     (the pointers documented as optional excepted); closing or freeing
 *     NULL does nothing.
 *   - The calls that do not return a dn_status, by design, and how they
 *     say "no": the passes of the training step, which run thousands of
 *     times a second on sizes the caller chose (dn_forward: NULL,
 *     dn_gradient and dn_loss_value: NaN, when n is out of range);
 *     lookups and accessors (the dn_*_name functions: "?" for a value out
 *     of range; dn_model_W, _b, _slope, dn_model_meta_get, _meta_key,
 *     dn_land_get: NULL for a layer, key or index that is not there);
 *     predicates and counts (dn_idx_detect: 0 or 1, dn_parse_double: 1,
 *     0 or -1, dn_predict_class: a class).  Nothing else fails silently.
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
#include <stdio.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The shared library is built with hidden visibility: it exports what
 * this header declares (the declarations between this push and its pop
 * carry default visibility) and nothing else. */
#if defined(__GNUC__) || defined(__clang__)
#pragma GCC visibility push(default)
#endif

/* The version compiled against: MAJOR changes with anything that breaks
 * a program built against an older header (a public struct's layout, an
 * enum's values, a function's signature; docs/abi.md), and names the
 * shared library (SONAME libdescent.so.MAJOR); MINOR with additions;
 * PATCH with fixes.  dn_version() gives the library's own at run time. */
#define DN_VERSION_MAJOR 1
#define DN_VERSION_MINOR 2
#define DN_VERSION_PATCH 0
#define DN_STRINGIFY_(x) #x
#define DN_STRINGIFY(x) DN_STRINGIFY_(x)
#define DN_VERSION DN_STRINGIFY(DN_VERSION_MAJOR) "." \
    DN_STRINGIFY(DN_VERSION_MINOR) "." DN_STRINGIFY(DN_VERSION_PATCH)
/* The reserved tail that ends every public struct that may grow (all
 * but dn_error and dn_rng), so that it can grow within a major version
 * (docs/abi.md): whole 64-bit words, so that any later field fits and
 * the alignment is the same on 32- and 64-bit targets.  A new field
 * takes the place of words at the front of the tail, which shrinks by
 * as many, and the struct keeps its size and every old field its
 * offset.  The words are zero: the dn_*_defaults() functions and every
 * struct the library fills leave them so, and a program never writes
 * them (fill a struct with its defaults function, or with = {0}, and
 * then set fields by name).  A zero in a new field means what the
 * library did before the field existed, so a program built against an
 * older header of the same major version runs unchanged on a newer
 * library.  The library ignores the words it has not yet named. */
#define DN_RESERVED(words) uint64_t reserved[words]
#define DN_MAX_LAYERS 64 /* dense layers in one network */
#define DN_MAX_THREADS 256 /* worker threads of one workspace: a larger
                              count (dn_ws_new, dn_train_opts.threads) is
                              taken as this many, with the same results */

/* The library's version, "MAJOR.MINOR.PATCH": the one linked at run
 * time, which may be newer than DN_VERSION (the header's) within the
 * same major version. */
const char *dn_version(void);

/* The kernels this CPU runs, chosen at run time: "avx512", "avx2" or
 * "portable" (the environment variable DESCENT_GEMM=avx2|portable asks
 * for a lesser set, for comparison); and the threads a workspace uses
 * when asked for 0: one per online core, at most DN_MAX_THREADS. */
const char *dn_isa(void);
int dn_threads_default(void);

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
/* Numbers as text                                                     */
/* ------------------------------------------------------------------ */

/* Every number descent writes (history CSV, SVG plots, model and
 * checkpoint JSON, messages) or reads (CSV cells, JSON, histories) is in
 * the C locale's syntax, whatever setlocale() the host program called:
 * "0.5", never "0,5".  These are the writers and the reader it uses,
 * public so that programs writing next to descent's files can do the
 * same.  Thread-safe: the C locale holds for the one call, on the
 * calling thread only.
 *
 * dn_snprintf and dn_fprintf are snprintf and fprintf in the C locale,
 * the same bytes; -1 if no C locale object can be made (newlocale out of
 * memory; never with glibc or musl, whose "C" locale is static). */
int dn_snprintf(char *buf, size_t len, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
int dn_fprintf(FILE *f, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Reads s[0..n) as one decimal number: an optional sign, digits with an
 * optional '.' and fraction (at least one digit in all), an optional
 * exponent (e or E, optional sign, digits) — nothing else: no spaces,
 * no hex, no "nan" or "inf", no locale's decimal comma.  Correctly
 * rounded, like strtod in the C locale; out of range it gives ±inf or 0
 * (callers check the range they accept).  1 and *out set if it is a
 * number, 0 if not, -1 out of memory (only numbers of 128 bytes and
 * more need an allocation). */
int dn_parse_double(const char *s, size_t n, double *out);

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

/* Losses, each averaged over the N samples of a batch (with row weights
 * w_n, dn_data.w, the weighted mean Σ w_n l_n / Σ w_n in place of
 * (1/N) Σ l_n, and delta_L = w_n (a − y) / Σ w: what PyTorch's
 * CrossEntropyLoss(weight=class weights) computes, and, for per-row
 * weights, (loss(reduction='none') · w).sum() / w.sum(); note that
 * PyTorch's BCELoss(weight=) divides by N instead):
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
    DN_RESERVED(2);
} dn_layer;

typedef struct {
    int      n_in;                  /* input width (after one-hot encoding) */
    int      n_layers;              /* dense layers, hidden + output */
    dn_layer layer[DN_MAX_LAYERS];  /* layer[n_layers-1] is the output */
    dn_loss  loss;
    DN_RESERVED(4);
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
 * positions, and a column with `indicator` set one position more right
 * after them.  Stored with the model so that prediction encodes new rows
 * the same way.
 *
 * How a raw value becomes the column's inputs (what dn_csv_read_with
 * does, and what any other consumer of a model — an exporter, a program
 * feeding dn_predict — must do):
 *   numeric, value present    [v]            then [0] if indicator
 *   numeric, value missing    [fill]         then [1] if indicator
 *                             (has_fill 0: no value known; refused)
 *   text, category cats[k]    one-hot: 1 at k, 0 elsewhere, then [0]
 *                             if indicator
 *   text, value missing       all 0,         then [1] if indicator
 *                             (no indicator: all 0, as unseen)
 *   text, a category not in cats   all 0, then [0] if indicator
 * fill is the training rows' median (the mean of the two middle values
 * for an even count), stored as float32; indicator is set when any
 * training value of the column was missing.  Missing means an empty cell
 * or one of dn_csv_opts.na's tokens.  The model's standardization, if
 * any, then applies to every input, but dn_model_fit_scaling gives the
 * one-hot positions and indicators mean 0 and std 1: they stay 0/1. */
typedef struct {
    char  *name;
    int    n_cats;    /* 0 for a numeric column */
    char **cats;
    int    has_fill;  /* numeric: 1 if `fill` replaces a missing value */
    float  fill;      /* the training rows' median */
    int    indicator; /* 1: one more input, 1 when the value was missing */
    DN_RESERVED(4);
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
    DN_RESERVED(4);
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
    float     *X;       /* n × d, row-major; NULL while the library holds
                           the inputs as bytes (see bytes) */
    float     *Y;       /* n × k, NULL when the file had no target */
    dn_schema *schema;  /* owned */
    /* The library's own, opaque: inputs held as bytes when X is NULL
     * (dn_idx_read_u8: 8-bit pixels, a quarter of the memory of X).
     * dn_train, dn_train_full, dn_evaluate, dn_data_split and
     * dn_model_fit_scaling read either form, with bit-identical results;
     * for dn_predict or direct access call dn_data_floats first.  NULL in
     * a data set the caller builds. */
    struct dn_data_bytes *bytes;
    /* Per-row weights (n, finite, ≥ 0, not all 0), or NULL: every row
     * weighs 1.  Owned in a data set the library made (set it with
     * dn_data_set_weights, or a CSV's dn_csv_opts.weight column);
     * borrowed in a dn_data_view.  With weights the losses are weighted
     * means, E = Σ_n w_n l_n / Σ_n w_n over each batch (see dn_loss),
     * in dn_train, dn_train_full (L-BFGS, CG) and dn_evaluate's loss;
     * accuracy, MSE, MAE and R² stay unweighted counts over rows.
     * Without weights every result is bit for bit what it was before
     * weights existed. */
    float *w;
    DN_RESERVED(4);
} dn_data;

typedef struct {
    const char *target;  /* target column by name, or by 1-based index as
                            in messages: "3" the third column, "-1" the
                            last; a header name wins over a number;
                            NULL = last */
    int  task_set;       /* 0: infer the task from the target column */
    dn_task task;        /* used when task_set */
    int  max_classes;    /* integer targets with ≤ this many distinct
                            values are classes (0 = default 20), unless
                            5 or more and over half of them on one row
                            only */
    /* Reading the table (every reader; the fields below are optional,
     * zero is the default): */
    char sep;            /* field delimiter; 0: detected from the file,
                            one of ',' ';' '\t' '|' (the one that splits
                            the header and the first 50 records into the
                            same number of fields, the most fields winning)
                            */
    const char *na;      /* comma-separated tokens that mean "missing",
                            matched without regard to case, besides the
                            empty cell; NULL: "NA,N/A,NaN,null,?" */
    int  missing_error;  /* 1: a missing feature or target cell is an
                            error, as before missing values were read */
    const char *weight;  /* a column of per-row weights (numbers ≥ 0) for
                            dn_data.w, not a feature; NULL: none */
    /* Inferring a schema (dn_csv_read only): */
    const char *drop;    /* comma-separated columns to leave out */
    const char *categorical; /* comma-separated numeric columns to read as
                            categories (integer codes), one-hot encoded */
    struct dn_csv_info *info; /* if not NULL, filled with what was read */
    DN_RESERVED(8);
} dn_csv_opts;

/* What a CSV reader found and did, for the caller to show. */
typedef struct dn_csv_info {
    char sep;            /* the delimiter used */
    int  sep_detected;   /* 1: detected, 0: given by dn_csv_opts.sep */
    int  decimal_comma;  /* columns read with a decimal comma */
    int  rows_dropped;   /* rows left out because the target was missing */
    int  missing;        /* feature cells missing (filled or encoded) */
    int  unseen;         /* cells whose category the schema does not
                            know: encoded as all zeros */
    int  dropped_cols;   /* columns left out (--drop, ID-like, empty) */
    char note[1024];     /* all of it in words, "; "-separated, e.g.
                            "delimiter ';' (detected); decimal comma in
                            'price'; column 'id' dropped: ID-like (...)";
                            empty when there is nothing to say */
    DN_RESERVED(4);
} dn_csv_info;

/* Reads a CSV with a header row and infers the schema:
 *   - the delimiter is detected (or given), fields may be quoted as RFC
 *     4180 has it ("a;b" with the delimiter inside, "" for a quote,
 *     line breaks inside quotes); with ';' a column whose cells are all
 *     numbers once a decimal comma is read as a point ("3,5") is numeric;
 *   - missing cells (empty, or a dn_csv_opts.na token): a numeric
 *     column's are filled with the median of the column's values, and
 *     the column gets a was-missing indicator input; a text column's get
 *     an indicator position ("missing" as one more category); see
 *     dn_column.  A row whose target is missing is left out (counted in
 *     the info).  missing_error restores the refusal;
 *   - columns left out: dn_csv_opts.drop's and weight's, a column with
 *     no values, and ID-like ones (a note says which and why): a text
 *     column whose values are all distinct (20 rows or more), or that
 *     has more than 100 distinct values and more than half as many as
 *     there are rows; an integer column named like an ID ("id", "ID",
 *     "*_id", "customerID", "index", "Unnamed: 0") with a distinct value
 *     in every row (20 rows or more);
 *   - numeric columns are features; text columns (and those named in
 *     categorical) are one-hot encoded;
 *   - the target: text → classes; integers with few distinct values
 *     (≤ max_classes) → classes, unless there are 5 or more and most
 *     are on one row only (measurements: 16 rows of 16 distinct totals
 *     are no 16 classes); otherwise numbers → regression;
 *     two classes → binary, more → multiclass (override with task);
 *   - infinite or malformed cells, ragged rows (the message names the
 *     delimiter and --sep), columns that mix numbers and text, a weight
 *     that is not a number ≥ 0 are errors naming file, line, column and
 *     the value;
 *   - one-hot encoding is bounded before anything is allocated: an
 *     encoding whose dense inputs (rows × inputs × 4 bytes) would pass
 *     2 GiB, or 1,000,000 inputs, is refused (DN_EFORMAT, naming the
 *     widest text column).
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

/* dn_csv_read_with on fd (as dn_csv_read_with_fd) with reading options:
 * the delimiter is detected again for this file (or opts->sep), the
 * decimal comma too; opts->na, missing_error, weight and info apply
 * (target, task, max_classes, drop and categorical do not: the schema
 * decides).  Missing cells are encoded as dn_column says; a category
 * the schema does not know becomes all zeros, counted in info->unseen,
 * not an error; with need_target, rows whose target is missing are left
 * out (info->rows_dropped).  opts NULL: the defaults. */
dn_status dn_csv_read_with_opts(int fd, const char *path,
                                const dn_schema *schema, int need_target,
                                const dn_csv_opts *opts, dn_data **out,
                                dn_error *err);

/* Reads MNIST-style IDX files (plain or gzip, recognized by content):
 * images (magic 0x00000803, uint8, scaled to [0, 1]) and, if labels_path
 * is not NULL, labels (0x00000801, uint8).  Sizes are checked against the
 * file before anything is allocated. */
dn_status dn_idx_read(const char *images_path, const char *labels_path,
                      dn_data **out, dn_error *err);

/* The same, with the pixels kept as bytes: X8 is filled and X is NULL
 * (a quarter of the memory; see dn_data). */
dn_status dn_idx_read_u8(const char *images_path, const char *labels_path,
                         dn_data **out, dn_error *err);

/* 1 if the file starts like an IDX file (after gunzip if gzipped). */
int dn_idx_detect(const char *path);

/* The readers above on a file already open, so that a pipe or FIFO is
 * read once (sniffing it, then opening it again, would lose what the
 * sniff read).  fd must be seekable (a regular file, or a pipe's bytes
 * copied into one); it is read from its start and left open; path names
 * it in messages.  An fd of -1 opens path, like the readers above. */
dn_status dn_csv_read_fd(int fd, const char *path, const dn_csv_opts *opts,
                         dn_data **out, char *why, size_t why_len,
                         dn_error *err);
dn_status dn_csv_read_with_fd(int fd, const char *path,
                              const dn_schema *schema, int need_target,
                              dn_data **out, dn_error *err);
dn_status dn_idx_read_u8_fd(int images_fd, const char *images_path,
                            int labels_fd, const char *labels_path,
                            dn_data **out, dn_error *err);
int dn_idx_detect_fd(int fd, const char *path);

/* ---- Data larger than memory: row caches and streaming ---- */

/* Writes d as a descent row cache: its encoded rows (inputs as bytes
 * when d holds bytes, as IDX pixels are; else float32), its targets and
 * its schema (what dn_csv_read inferred: the columns' encoding, fills,
 * categories, classes), so that the rows are never parsed again and a
 * set larger than memory can be streamed (dn_train_stream), and a model
 * trained on it encodes new rows as the cache's rows were.  The layout
 * (docs/data-streaming.md): a 64-byte header (magic 89 'D' 'N' 'R' 0D
 * 0A 1A 0A, version 1, element type, rows, inputs, targets, block rows,
 * schema size, section offsets, a checksum over the header, schema and
 * block table), the schema, one checksum per block of about 1 MiB of
 * rows, then the inputs (row-major) and the targets, all little-endian.
 * Written atomically (dn_atomic_write).  DN_EARG for a data set without
 * rows or with row weights (a cache holds none). */
dn_status dn_rowcache_write(const dn_data *d, const char *path,
                            dn_error *err);

/* 1 if the open file fd starts with a row cache's magic (read at
 * offset 0 with pread: fd's position is left alone), else 0. */
int dn_rowcache_detect_fd(int fd);

/* A row file opened for streaming: a row cache, or an uncompressed IDX
 * images file (with labels_path, its IDX labels; NULL for none).  Only
 * the header is read (and an IDX file's labels, one byte a row); rows
 * are read when asked for, every cache block checked against its
 * checksum as it is read.  Refused, with the file and the offset: a
 * file that is neither, a gzipped IDX file (gunzip it), a truncated
 * file or one with trailing bytes, a damaged header (its checksum), a
 * pipe (rows are read where they are).  Close with dn_stream_close. */
typedef struct dn_stream dn_stream;
dn_status dn_stream_open(const char *path, const char *labels_path,
                         dn_stream **out, dn_error *err);
void      dn_stream_close(dn_stream *s);
/* Its rows, inputs per row (the encoded width), targets per row (0
 * without), the bytes its rows take in memory (inputs as stored, targets
 * as float32), and its schema (owned by s; as dn_idx_read gives an IDX
 * file's).  0 / NULL for NULL. */
long      dn_stream_rows(const dn_stream *s);
int       dn_stream_inputs(const dn_stream *s);
int       dn_stream_targets(const dn_stream *s);
uint64_t  dn_stream_bytes(const dn_stream *s);
const dn_schema *dn_stream_schema(const dn_stream *s);
/* Rows r0 .. r0 + n − 1 (0-based) as a data set in memory, with a copy
 * of the schema: the same bytes or floats dn_idx_read_u8 or
 * dn_csv_read gave when the file was made.  DN_EARG for rows outside
 * the file; a block that fails its checksum, or whose values descent
 * convert could not have written (a float input not finite, a target
 * not finite or not a class number of the schema), is DN_EFORMAT naming
 * the block and its rows. */
dn_status dn_stream_read(const dn_stream *s, long r0, int n, dn_data **out,
                         dn_error *err);
/* n rows spread over the whole file (all of them, in order, when it has
 * n or fewer): the rows cut into n equal spans in file order and one row
 * drawn from each by a generator seeded with seed.  A file sorted by
 * class gives each class its share of the n to within a row, and the
 * same seed gives the same rows.  Each block is read at most once, in
 * file order: min(n, blocks) blocks.  (descent train's health checks
 * sample a streamed file's rows this way, seeded with the run's seed.)
 * DN_EARG for n < 1; a block's faults as dn_stream_read. */
dn_status dn_stream_sample(const dn_stream *s, int n, uint64_t seed,
                           dn_data **out, dn_error *err);

/* A memory size as written on a command line: a positive number with
 * an optional unit K, M, G or T (1024-based; "KB", "KiB" and lower case
 * too): "2G" is 2147483648.  DN_EARG naming the text otherwise. */
dn_status dn_parse_size(const char *s, uint64_t *out, dn_error *err);

/* Reads the targets of a classification data set (classes 0..K−1, as
 * dn_idx_read gives them) as another task:
 *   REGRESSION  each row's class name as a number (IDX labels are named
 *               "0".."K−1": the label value), or the class number for a
 *               class without a name; a name that is not a number is
 *               DN_EFORMAT;
 *   BINARY      needs exactly 2 classes (else DN_EFORMAT);
 *   MULTICLASS  2 or more classes (2 become two softmax units).
 * The schema follows (a regression one has no classes).  Numbers read
 * for regression do not become classes here: dn_csv_opts.task decides
 * that when a CSV is read.  The same task again changes nothing. */
dn_status dn_data_set_task(dn_data *d, dn_task task, dn_error *err);

/* Splits rows into a training and a validation part: n_val =
 * ceil(frac · n) rows (computed in double, as scikit-learn's
 * train_test_split counts them) go to validation, chosen by a seeded
 * shuffle.  Classification splits are stratified, with the same total:
 * each class holds out floor(frac · its count), and the rows still to
 * place go one each to the classes with the largest remainders (ties in
 * a seeded order), never a class's last row — every class keeps a
 * training row, and a class of one row stays in training.  As in
 * scikit-learn, a stratified split is refused (DN_EARG, with the fraction
 * to use) when n_val is below the number of classes or leaves fewer
 * training rows than classes.  Both parts keep the file's row order and
 * get a copy of the schema. */
dn_status dn_data_split(const dn_data *all, double val_frac, uint64_t seed,
                        dn_data **train, dn_data **val, dn_error *err);

/* K-fold cross-validation: assigns each of the n rows of d to one of k
 * folds, fold[i] in 0..k−1 (the caller's array of n).  Classification
 * data (as dn_data_split stratifies it) is stratified: each class's rows,
 * in a seeded shuffle, are dealt to the folds in turn, continuing from
 * fold to fold across the classes, so that every class's count differs
 * by at most 1 between folds, and so do the folds' sizes.  Other data
 * (regression) is shuffled and dealt alike.  The same seed and repeat
 * give the same folds; another repeat (repeated cross-validation: 0, 1,
 * ...) another assignment.  Refused (DN_EARG): k < 2, k > n, and for
 * stratified data a class present with fewer rows than k (the message
 * names the class, its count and the largest k that works). */
dn_status dn_data_folds(const dn_data *d, int k, uint64_t seed, int repeat,
                        int32_t *fold, dn_error *err);

/* Fold f of an assignment: its rows as *test, the others as *train, both
 * in file order with a copy of the schema. */
dn_status dn_data_fold_split(const dn_data *d, const int32_t *fold, int f,
                             dn_data **train, dn_data **test, dn_error *err);

/* A data set of n rows with zeroed inputs X (n × d) and, when k > 0,
 * targets Y (n × k), no schema: for rows the caller fills in.  Owned:
 * free with dn_data_free. */
dn_status dn_data_new(int n, int d, int k, dn_data **out, dn_error *err);

/* A borrowed view of the caller's arrays, X (n × d, row-major) and Y
 * (n × k, or NULL for inputs without targets): nothing is copied, the
 * view owns nothing, and the arrays must outlive it.  The library only
 * reads a data set it is given.  Never pass a view to dn_data_free. */
dn_data dn_data_view(int n, int d, int k, float *X, float *Y);

/* Frees a data set the library made (a reader's, dn_data_new's,
 * dn_data_split's), its arrays and its schema. */
void dn_data_free(dn_data *d);

/* Converts byte inputs (X8) to floats in X, as the IDX reader would have
 * stored them, and frees X8; a no-op when X is already set. */
dn_status dn_data_floats(dn_data *d, dn_error *err);

/* Copies n = d->n row weights into d->w (NULL: removes them), after
 * checking them: finite, ≥ 0, not all 0 (DN_EARG naming the row).  For
 * a data set the library made, not a view. */
dn_status dn_data_set_weights(dn_data *d, const float *w, dn_error *err);

/* Class weights for a classification data set (targets 0..K−1):
 * "balanced" as scikit-learn defines it, cw[c] = n / (K · n_c), with n
 * the rows, n_c those of class c and K the classes that have rows (a
 * class without rows gets 0).  cw holds schema->n_classes doubles. */
dn_status dn_class_weights_balanced(const dn_data *d, double *cw,
                                    dn_error *err);

/* Multiplies each row's weight (1 when d->w is NULL) by cw[its class]:
 * class weights and sample weights combine as a product, as in
 * scikit-learn and Keras. */
dn_status dn_data_weight_classes(dn_data *d, const double *cw,
                                 dn_error *err);

/* The TensorFlow Playground's classic two-input problems, generated:
 * rows with inputs x1, x2 and a class label, to train on and to watch
 * the decision regions form (descent boundary).  Row i belongs to class
 * i mod C (the classes differ in size by at most 1); each row's clean
 * point is drawn as its set says, then Gaussian noise of standard
 * deviation `noise` is added to each coordinate, and both are rounded to
 * 4 decimals (so that a CSV holds exactly the generated values).
 *   CIRCLES    C concentric classes around the origin, angle uniform:
 *              class 0 a disk of radius r in [0, 0.7/C), class k >= 1 a
 *              ring with r in [(k + 0.15)/C, (k + 0.85)/C)
 *              (C = 2: a disk of radius 0.35 inside the ring 0.575..0.925)
 *   XOR        x1, x2 uniform in [-1, 1], each pushed 0.1 away from 0;
 *              label 1 where x1 x2 > 0 (first and third quadrants), else
 *              0, decided on the clean point.  Two classes only
 *   GAUSSIANS  C blobs: class k is its centre (cos phi_k, sin phi_k),
 *              phi_k = pi/4 + 2 pi k / C, plus the noise, which is the
 *              blobs' spread
 *   SPIRAL     C interleaved arms: t uniform in [0, 1), radius t, angle
 *              3.5 pi t + 2 pi k / C (1.75 turns from the centre)
 * The same kind, conf and seed give the same rows on every platform (one
 * dn_rng, a fixed order of draws). */
typedef enum {
    DN_SYNTH_CIRCLES = 0,
    DN_SYNTH_XOR,
    DN_SYNTH_GAUSSIANS,
    DN_SYNTH_SPIRAL,
    DN_SYNTH_COUNT
} dn_synth;

typedef struct {
    int      n;        /* rows, classes..10^7 (default 400) */
    double   noise;    /* standard deviation added to x1 and x2, 0..10
                          (defaults: circles 0.05, xor 0.05, gaussians
                          0.35, spiral 0.03) */
    uint64_t seed;     /* default 1 */
    int      classes;  /* 2..10 (default 2); XOR has 2 */
    DN_RESERVED(4);
} dn_synth_conf;

const char *dn_synth_name(dn_synth s);   /* "circles", "xor", "gaussians",
                                            "spiral"; "?" out of range */
/* The name (or "circle", "gaussian", "spirals") into *out; DN_EARG
 * listing the names otherwise. */
dn_status dn_synth_parse(const char *s, dn_synth *out, dn_error *err);
/* The defaults above for kind s. */
void      dn_synth_defaults(dn_synth s, dn_synth_conf *c);
/* n rows of set s: inputs x1, x2, target "label" with classes named "0",
 * "1", ... (binary for two, multiclass for more), as dn_csv_read would
 * read them back from dn_data_save_csv's file.  DN_EARG for a setting
 * out of range (named, with its range). */
dn_status dn_synth_make(dn_synth s, const dn_synth_conf *c, dn_data **out,
                        dn_error *err);

/* Writes a data set as a CSV that dn_csv_read reads back to the same
 * floats: a header (the schema's column and target names; x1..xd and y
 * without a schema, y1..yk for k targets), then one line per row, each
 * number in the fewest digits that give the same float32, a class as its
 * name (or number).  Names holding a comma, quote or line break are
 * quoted.  Written atomically (dn_atomic_write).  DN_EARG for a data set
 * whose schema one-hot encodes a column or adds an indicator (its inputs
 * are not the columns) or that has no targets. */
dn_status dn_data_save_csv(const dn_data *d, const char *path, dn_error *err);
/* Writes s to f as one CSV field, as dn_data_save_csv writes names:
 * quoted, its quotes doubled, when it holds a comma, quote or line break;
 * as it is otherwise. */
void dn_csv_put_field(FILE *f, const char *s);

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
 * (population form, in double).  When train has a schema, its one-hot
 * positions and was-missing indicators get mean 0 and std 1 instead (a
 * rare category standardized would be an extreme input).  Constant
 * inputs get std 1; constant is
 * relative to the column's magnitude, as in scikit-learn's
 * StandardScaler: std ≤ 10 · FLT_EPSILON · max |x| (float rounding noise,
 * e.g. a column of 1e6 one ulp apart) or std < FLT_MIN.  A column in units
 * of 1e-13 is scaled like any other.  dn_model_fit_target_scaling uses
 * the same rule. */
dn_status dn_model_fit_scaling(dn_model *m, const dn_data *train,
                               dn_error *err);

/* dn_model_fit_scaling and dn_model_fit_target_scaling on a streamed
 * file's rows, read block by block twice (the two passes), in memory a
 * block at a time: the same bits as on the rows read into memory. */
dn_status dn_model_fit_scaling_stream(dn_model *m, const dn_stream *s,
                                      dn_error *err);
dn_status dn_model_fit_target_scaling_stream(dn_model *m, const dn_stream *s,
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

/* The schema the model was trained with (copied in; NULL removes it).
 * A schema that does not fit the network is refused with DN_EARG, by the
 * same check dn_model_load applies to a file: its encoded width must be
 * n_in; regression needs the MSE loss and no classes; binary 2 classes
 * and one sigmoid output unit; multiclass one softmax unit per class. */
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
 * order.  At most DN_MAX_THREADS threads are made, whatever is asked. */
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

/* The last forward pass's values, for tools that show a step (descent
 * trace): layer l's pre-activations z and activations a, n × units row
 * by row (n the rows of that pass; for softmax a holds the
 * probabilities).  l = −1 gives, as a, the input rows as layer 0 saw
 * them (after the model's scaling); z has no layer −1.  NULL when l is
 * out of range or no pass has run.  Valid until the next pass on ws.
 * The backward pass keeps only the delta it is working on; the delta of
 * one row is ∂C/∂b of that row alone (dn_gradient on it): what descent
 * trace shows. */
const float *dn_ws_z(const dn_ws *ws, int l);
const float *dn_ws_a(const dn_ws *ws, int l);
/* f'(z) of layer l for every row of the last forward pass into out
 * (n × units): the factor the backward pass multiplies (W^T delta_next)
 * by, from the same code.  DN_EARG for a softmax layer (its Jacobian is
 * no elementwise factor: with CE its delta comes from the loss) or l out
 * of range; DN_ENOMEM for a PReLU layer without memory. */
dn_status dn_ws_fprime(const dn_model *m, const dn_ws *ws, int l, float *out,
                       dn_error *err);

/* The loss of the last forward pass against raw targets Y (see dn_data
 * for Y's layout; standardized here when the model has target scaling),
 * computed from the output logits. */
double dn_loss_value(const dn_model *m, dn_ws *ws, const float *Y, int n);

/* Forward, loss and backward over n rows: writes dE/dtheta into
 * dn_ws_grad(ws) and returns E (the mean loss).  Returns NaN if n is
 * out of range. */
double dn_gradient(const dn_model *m, dn_ws *ws, const float *X,
                   const float *Y, int n);

/* dn_gradient with row weights w (n values ≥ 0 with a positive sum; NULL
 * is dn_gradient): E = Σ w_n l_n / Σ w_n and its gradient. */
double dn_gradient_weighted(const dn_model *m, dn_ws *ws, const float *X,
                            const float *Y, const float *w, int n);

/* Coupled L2, as the training loops apply it: g_W += λ W over every
 * layer's weights (not biases, not PReLU slopes); returns the penalty
 * λ/2 Σ W² that joins the loss. */
double dn_l2_add(const dn_model *m, float *g, float lambda);
/* n_params bytes (malloc'd; free them), 1 on the weights W of every
 * layer: what L2 and AdamW's decay touch, the decay_mask dn_opt_new
 * takes.  NULL if out of memory. */
unsigned char *dn_weight_mask(const dn_model *m);

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
    DN_RESERVED(4);
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
/* One update of theta[0..n) from g at learning rate eta (nothing, not
 * even the step count, when o, theta or g is NULL). */
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
 *             `cooldown` (0) epochs; never below eta_min (0).  A cut
 *             smaller than 1e-8 is skipped (torch's eps).  A NaN or
 *             infinite loss counts as an epoch without improvement.  A
 *             relative threshold must be in [0, 1).
 *   ONECYCLE  torch's OneCycleLR (anneal_strategy 'cos', three_phase
 *             False) with eta_0 as its max_lr and t_max (0 = the epochs
 *             after warmup) as its total_steps: a cosine from
 *             eta_0 / div_factor (25) up to eta_0 at step
 *             pct_start·t_max − 1 (pct_start 0.3), then a cosine down to
 *             eta_0 / div_factor / final_div_factor (1e4) at step
 *             t_max − 1, where it stays.  One step is one epoch, like
 *             every schedule here (torch users often step it per batch:
 *             give --epochs what they give total_steps).  Only the rate
 *             cycles: torch's cycle_momentum (on by default) would also
 *             move momentum or beta1 between 0.85 and 0.95, but descent's
 *             optimizer keeps the momentum it was made with, so this is
 *             OneCycleLR with cycle_momentum=False.
 * warmup N > 0 chains a linear ramp before any of them: during epochs
 * 0..N−1 the rate is eta_0 (e + 1) / N; the schedule proper then starts
 * at its own epoch 0 (and plateau starts watching). */
typedef enum {
    DN_SCHED_CONSTANT = 0,
    DN_SCHED_STEP,
    DN_SCHED_EXP,
    DN_SCHED_COSINE,
    DN_SCHED_PLATEAU,
    DN_SCHED_ONECYCLE,
    DN_SCHED_COUNT
} dn_sched_kind;

typedef struct {
    dn_sched_kind kind;
    int    step_size;     /* STEP (10) */
    double gamma;         /* STEP (0.1), EXP (0.95) */
    int    t_max;         /* COSINE, ONECYCLE; 0 = the epochs after
                             warmup */
    double eta_min;       /* the floor (0): COSINE anneals to it, no
                             PLATEAU cut goes below it */
    double factor;        /* PLATEAU (0.1) */
    int    patience;      /* PLATEAU (10) */
    double threshold;     /* PLATEAU (1e-4) */
    int    threshold_abs; /* PLATEAU: 0 relative, 1 absolute */
    int    cooldown;      /* PLATEAU (0) */
    int    warmup;        /* epochs of linear warmup first (0) */
    double pct_start;     /* ONECYCLE: the rising part, in (0, 1) (0.3) */
    double div_factor;    /* ONECYCLE: start = eta_0 / this (25) */
    double final_div_factor; /* ONECYCLE: end = start / this (1e4) */
    DN_RESERVED(4);
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
    DN_RESERVED(4);
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
    double train_mae;   /* regression only, else NaN: mean absolute error
                           in the target's own units (running, like
                           train_loss) */
    double val_mae;     /* regression with validation data, else NaN */
    double eta;         /* learning rate used in this epoch */
    double grad_norm;   /* mean over the epoch's steps of ‖g‖₂ (before
                           clipping) */
    double seconds;     /* wall time of the epoch */
    int    replay;      /* 1 when a resumed run reports an epoch from its
                           checkpoint's history (already done, not rerun) */
    double mu;          /* full-batch LM (dn_train_full): the damping mu
                           after this iteration; 0 otherwise */
    long   evals;       /* full-batch solvers: objective evaluations so far
                           (each a pass over the training set); 0 for
                           dn_train, whose steps count its gradients */
    DN_RESERVED(8);
} dn_epoch;

/* Return non-zero from the callback to stop training after this epoch. */
typedef int (*dn_epoch_fn)(const dn_epoch *e, void *user);
/* The caller's bytes for the checkpoint being written: *bytes and *len
 * (NULL and 0: none), which must stay valid until the call after or the
 * end of training.  A status other than DN_OK (with err filled) fails the
 * checkpoint's write, and the training with it. */
typedef dn_status (*dn_keep_fn)(void *user, const void **bytes, size_t *len,
                                dn_error *err);

/* What the training loop reports after every step, for progress
 * displays.  Called with dn_train_opts.user; it cannot stop training
 * (that is on_epoch's and the interrupt flag's job). */
typedef struct {
    int    epoch;      /* 1-based */
    int    batch;      /* 1-based, within the epoch */
    int    n_batches;  /* steps in this epoch */
    long   rows;       /* training rows used so far in this epoch */
    long   steps;      /* updates so far */
    double loss;       /* this step's mini-batch loss (with the L2 penalty) */
    DN_RESERVED(4);
} dn_batch;
typedef void (*dn_batch_fn)(const dn_batch *b, void *user);

typedef enum {
    DN_STOP_EPOCHS = 0,   /* ran the requested number of epochs */
    DN_STOP_CALLBACK,     /* the callback asked to stop */
    DN_STOP_NONFINITE,    /* loss or gradient became NaN/inf; the last good
                             weights were kept */
    DN_STOP_CONVERGED,    /* the training loss changed by less than tol for
                             tol_epochs epochs in a row */
    DN_STOP_EARLY,        /* the monitored value did not improve by
                             min_delta for patience epochs */
    DN_STOP_INTERRUPTED,  /* *interrupt became non-zero: stopped after the
                             current step, checkpoint written */
    /* The full-batch solvers' own reasons (dn_minimize, dn_train_full);
     * for them DN_STOP_EPOCHS means the iteration budget. */
    DN_STOP_GRADIENT,     /* ‖g‖₂ fell to gtol: a stationary point */
    DN_STOP_FTOL,         /* an iteration lowered the loss by less than
                             ftol relative */
    DN_STOP_EVALS,        /* the evaluation budget max_evals was spent */
    DN_STOP_LINESEARCH,   /* no step along the search direction (nor along
                             −g) lowered the loss: the limit of the
                             arithmetic's precision, usually */
    DN_STOP_MU_MAX        /* LM: mu passed mu_max without a step that
                             lowered the loss (trainlm's "maximum mu") */
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
    int     threads;   /* see dn_ws_new; 0 (the default): every core,
                          except while the training loop measures that
                          the other cores are too busy to help (a short
                          window on them, one alone, now and then) and
                          works alone — the same results either way */
    int     alone;     /* under MPI: 1 trains this model in this process
                          by itself, as without MPI (descent cv gives each
                          rank folds of its own); 0 (the default): every
                          rank of the job trains it together */
    dn_epoch_fn on_epoch;
    dn_batch_fn on_batch;  /* after every step (NULL: none); the cost of a
                          call is nothing next to a step, and displays
                          throttle themselves */
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
    dn_keep_fn keep;             /* the caller's own state, asked for as each
                                    checkpoint is written and stored in it
                                    (NULL: none); dn_checkpoint_read_info
                                    gives it back.  descent train keeps its
                                    --boundary frames there */
    DN_RESERVED(15);
} dn_train_opts;

typedef struct {
    int     epochs;      /* epochs completed */
    long    steps;
    dn_stop reason;
    int     best_epoch;  /* epoch of the best monitored value (0 if none) */
    double  best;        /* that value */
    int     restored;    /* 1 if the weights were rolled back to best_epoch */
    dn_epoch last;       /* the last epoch's report */
    DN_RESERVED(4);
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
 * input width (and target width).  A non-finite loss, gradient or weight
 * returns DN_ENUMERIC naming the epoch and step, with finite weights kept
 * in m (the best epoch's under early stopping, else those from before
 * the failed step, else the last copy known finite, as the message says)
 * and res filled in.  A run that ends for good (early stopping,
 * convergence, a numeric stop) says so in its last checkpoint: resuming
 * it returns the same result without training.
 * The loop runs with subnormal floats flushed to zero (on x86, MXCSR's
 * FTZ and DAZ bits, on the calling thread and the library's workers),
 * and the caller's mode is back when it returns; on_epoch and on_batch
 * run in the training's mode.  Without it, weights that L2 decays
 * towards 0 pass through the subnormals, where each product that reads
 * one costs about a hundred cycles (1000 epochs of a 4-128-64-3 network
 * on 112 rows: 2.4 s before, 0.37 s after).  dn_train_stream and
 * dn_train_full run the same way. */
dn_status dn_train(dn_model *m, const dn_data *train, const dn_data *val,
                   const dn_train_opts *opts, dn_result *res, dn_error *err);

/* dn_train on the rows of a streamed file, keeping its row buffers
 * within `memory` bytes (the row order, 4 bytes a row, the model, the
 * workspaces and val come on top).  When the whole set fits
 * (dn_stream_bytes(s) ≤ memory) it is read once and the run is
 * dn_train's on the same rows, bit for bit: the same shuffle.  Else the
 * rows are cut into blocks of about 1 MiB (the cache's checksum
 * blocks; an IDX file's are cut the same way), and a window is as many
 * whole blocks as two windows' buffers hold within memory: one is
 * trained on while a thread reads the next into the other (pread).
 * Each epoch's order, from the run's seeded generator (the one the
 * in-memory shuffle draws from):
 *   1. the full blocks in a random order (Fisher–Yates, dn_rng_shuffle),
 *      the short last block, if any, after them;
 *   2. the rows listed in that block order, each block's rows in file
 *      order, and cut into windows of W blocks (the last may be shorter);
 *   3. the rows of each window shuffled within it (dn_rng_shuffle), the
 *      windows in turn.
 * The same seed, file and memory give the same order and the same bits;
 * another memory another window size, so another order.  Without
 * shuffle the file order.  Batches run across window boundaries as in
 * memory (a batch must fit in a window: DN_EARG otherwise, with the
 * memory needed).  Checkpoints hold the epoch's row order (so the block
 * order and the windows) and the position in it: a run resumed from
 * one, with the same file and memory, goes on bit for bit, mid-epoch
 * too.  Not under MPI (unless alone).  A read error or a block that
 * fails its checksum stops the run with that message (DN_EIO or
 * DN_EFORMAT), the weights those of the last step. */
/* The smallest `memory` dn_train_stream takes for s with batches of
 * `batch` rows: two windows of the fewest whole blocks that hold a
 * batch, or the whole set if that is less. */
uint64_t dn_stream_min_memory(const dn_stream *s, int batch);
dn_status dn_train_stream(dn_model *m, dn_stream *s, uint64_t memory,
                          const dn_data *val, const dn_train_opts *opts,
                          dn_result *res, dn_error *err);

/* The learning-rate range test (Smith 2015; fastai's lr_find): steps
 * mini-batch updates with a rate rising exponentially from eta_min to
 * eta_max, step k at eta_min (eta_max / eta_min)^(k / (steps − 1)),
 * each batch's loss (with L2) recorded and smoothed by a bias-corrected
 * moving average, smooth_k = avg_k / (1 − beta^(k+1)), avg_k =
 * beta avg_{k−1} + (1 − beta) loss_k.  The sweep stops once the smoothed
 * loss passes diverge × its lowest value (or a loss is not finite): that
 * rate is where training diverges.  The suggestion is the rate where the
 * loss falls fastest against log eta, before its lowest point: with c_k
 * the mean of the losses of steps k − w .. k + w (a centred window, w =
 * steps / 20, at least 1; cut at the ends), the most negative slope
 * (c_{k+w} − c_{k−w}) / (log eta_{k+w} − log eta_{k−w}) for k from w to
 * the lowest c (k + w clipped to it).  Not on the moving average, which
 * lags by beta / (1 − beta) steps.  With no fall to measure (the lowest
 * c before step 2w) it is a tenth of the rate at the lowest smoothed
 * loss, and `how` says so.  Uses opts' batch,
 * optimizer, l2, seed, shuffle and threads (not epochs, schedules,
 * dropout or clipping); the batches cycle through train, reshuffled
 * after each pass.  The model's parameters are left as they were.
 * Defaults (dn_lr_find_defaults): eta 1e-7 to 10, 200 steps, beta 0.98,
 * diverge 4 (fastai's). */
typedef struct {
    double eta_min, eta_max;
    int    steps;
    double beta;         /* smoothing of the loss, in [0, 1) */
    double diverge;      /* > 1 */
    DN_RESERVED(4);
} dn_lr_find_conf;

typedef struct {
    int     n;           /* steps taken (≤ conf.steps) */
    double *eta, *loss, *smooth;   /* n each */
    double  suggest;     /* the suggested rate */
    int     i_suggest;   /* its step */
    double  eta_lowest;  /* the rate at the lowest smoothed loss */
    int     i_lowest;
    double  diverged;    /* the rate where it diverged, NaN if it did not */
    const char *how;     /* how the suggestion was found (static text) */
    DN_RESERVED(4);
} dn_lr_find_result;

void dn_lr_find_defaults(dn_lr_find_conf *c);
/* Fills res (free its arrays with dn_lr_find_free).  DN_EARG for a bad
 * setting (named, with its range) or data that do not fit the model. */
dn_status dn_lr_find(dn_model *m, const dn_data *train,
                     const dn_train_opts *opts, const dn_lr_find_conf *c,
                     dn_lr_find_result *res, dn_error *err);
void dn_lr_find_free(dn_lr_find_result *res);

/* Several processes (MPI, built with `make MPI=1`).  Started with
 * `mpirun -np K`, every rank loads the data and calls dn_train with the
 * same options: all ranks draw the same shuffles from the shared seed,
 * each computes the gradient of its contiguous slice of every global
 * mini-batch (batch = the global size), the slices are summed with
 * MPI_Allreduce (weighted by their share of rows), and every rank takes
 * the same step.  Validation rows are split across ranks and their sums
 * reduced.  The result equals the single-process run up to the order of
 * float additions (see docs/distributed.md for the measured difference).
 * Only rank 0 should write files and print.  Without MPI these report a
 * world of one process.  dn_train_opts.alone runs one training in one
 * rank by itself: then that rank writes its files. */
int  dn_dist_init(int *argc, char ***argv);  /* MPI_Init unless done; 0 ok */
void dn_dist_finalize(void);
int  dn_dist_rank(void);
int  dn_dist_size(void);
/* Ends every rank of the job (MPI_Abort) when there is more than one:
 * a rank that hits an error must not leave the others waiting. */
void dn_dist_abort(int code);
/* x[0..n−1] summed over every rank, in place, the same on all (each rank
 * must call it); nothing to do in a world of one. */
void dn_dist_sum(double *x, int n);

/* Writes a file the way descent writes all of its own (models,
 * checkpoints, histories, plots, exports): fill() writes the content into
 * "path.tmp.<pid>" beside the target (returning 0, or non-zero with errno
 * set; the name is cut short to fit the longest name the directory
 * takes), which is flushed, fsynced and renamed over path, then the
 * directory is synced.  A crash leaves the old file or the new one, never
 * a torn one; on any failure the temporary file is removed, the old file
 * is untouched, and DN_EIO names the path, the reason and what to do.
 * A replaced file keeps its mode (and, as root, its owner).  A symbolic
 * link is followed: the regular file it names is replaced and the link
 * stays.  What is not a regular file — a terminal, a pipe, /dev/null,
 * /dev/stdout — is opened and written into, never replaced.  Refused:
 * a directory, a block device, a socket, a dangling link, and a file
 * with no write permission bit at all (even as root).  `what` names the
 * file's role in messages ("model"). */
typedef int (*dn_write_fn)(FILE *f, void *arg);
dn_status dn_atomic_write(const char *path, const char *what,
                          dn_write_fn fill, void *arg, dn_error *err);

/* What dn_atomic_write would refuse, checked without writing: the
 * refusals above, and that the directory exists, is writable and takes
 * the name.  For checking every output before a long computation. */
dn_status dn_atomic_check(const char *path, const char *what, dn_error *err);

/* Removes the temporary file of a dn_atomic_write in progress, if any.
 * Async-signal-safe: for a signal handler that ends the process (it
 * calls nothing but unlink). */
void dn_atomic_abandon(void);

/* What a checkpoint holds, in brief. */
typedef struct {
    int    epoch;      /* epochs completed */
    int    position;   /* rows of the next epoch already trained on */
    long   steps;
    size_t n_params;
    int    rows;       /* training rows */
    char  *note;       /* the caller's note (dn_train_opts.note), owned */
    int    stopped;    /* 1 if the run had ended for good (early stopping,
                          convergence, a solver's rule, a numeric stop):
                          resuming it reproduces that result without
                          training; 0 if it can go on */
    dn_stop reason;    /* why it ended, when stopped */
    int    solver;     /* 1 if written by dn_train_full */
    void  *keep;       /* the caller's bytes (dn_train_opts.keep), owned; */
    size_t keep_len;   /* NULL and 0 for none (and for files before 1.2) */
    DN_RESERVED(2);
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
    DN_RESERVED(8);
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
/* Everything dn_model_save checks before it writes — the header (names
 * and metadata in UTF-8, its size) and the path (dn_atomic_check) —
 * without writing: to fail before training rather than after it. */
dn_status dn_model_check_save(const dn_model *m, const char *path,
                              dn_error *err);

/* Loads a model saved by dn_model_save, checking every offset, shape and
 * size against the file before trusting it. */
dn_status dn_model_load(const char *path, dn_model **out, dn_error *err);

/* ------------------------------------------------------------------ */
/* ONNX export                                                         */
/* ------------------------------------------------------------------ */

/* Writes the model as an ONNX file (IR version 7, opset 13) that
 * deployment runtimes (onnxruntime, TensorRT, OpenVINO, ...) run without
 * descent.  The graph computes what dn_predict does, from raw encoded
 * inputs (one-hot encoding done, standardization not):
 *   input "input"   float32 [N, n_in], N any batch size
 *   IsNaN, Where(., input_fill, input)     (if the schema has fill values:
 *                   a missing value is NaN in every input of its column,
 *                   replaced by what dn_column says descent encodes)
 *   Sub/Div by the input mean and std     (if the model has scaling)
 *   per layer: Gemm(a, W, b, transB=1), then Relu, LeakyRelu(alpha),
 *   PRelu (slopes [units]), Sigmoid, Tanh or Softmax(axis=1); an
 *   identity layer adds no node
 *   Mul/Add by the target std and mean    (if target scaling)
 *   output "output" float32 [N, n_out]: probabilities (softmax: one per
 *   class; sigmoid: P(class 1)) or regression values in target units.
 * Initializers keep the safetensors names ("0.weight", "0.bias",
 * "1.weight" for PReLU slopes, "input_fill", "input_mean", "input_std",
 * "target_mean",
 * "target_std") and the exact float32 values.  producer_name is
 * "descent"; doc_string says the task, the classes and the input order;
 * metadata_props hold "descent.task", "descent.classes" (JSON array) and
 * "descent.schema" (JSON, as in docs/model-format.md) when the model has
 * a schema, and the model's own metadata.  Written to a temporary file
 * in the same directory, then renamed: never a half-written file.
 * DN_EARG if a schema or metadata string is not UTF-8 or the file would
 * exceed protobuf's 2 GiB limit (about 500 million parameters); DN_EIO
 * if it cannot be written.  See docs/export.md. */
dn_status dn_model_export_onnx(const dn_model *m, const char *path,
                               dn_error *err);

/* ------------------------------------------------------------------ */
/* C source export and int8 quantization (docs/export.md)               */
/* ------------------------------------------------------------------ */

/* An int8 version of a model, for dn_model_export_c: weights int8 with
 * one scale per output unit (symmetric), activations int8 with a scale
 * and zero point per layer measured on calibration rows, sums in int32,
 * requantization by fixed-point multiplier and shift (TFLite-Micro's and
 * CMSIS-NN's scheme); the output layer ends in 64-bit fixed point and
 * one conversion to float.  Sigmoid and tanh hidden layers go through a
 * 256-entry table, sigmoid/tanh/softmax outputs through a fixed-point
 * e^x.  It runs here with the very code the export writes, so its
 * outputs are the generated file's, bit for bit, on any IEEE-754 machine.
 * It refers to m, which must outlive it and stay unchanged. */
typedef struct dn_qmodel dn_qmodel;

typedef struct {
    double percentile;  /* activation ranges: 0 (or 100) = min/max over
                           the calibration rows; P in [50, 100) = from the
                           (100 − P)-th to the P-th percentile of each
                           layer's values (e.g. 99.99), clipping outliers */
    DN_RESERVED(4);
} dn_quant_opts;

/* Calibrates on calib (rows encoded like the training data; targets not
 * needed) and quantizes.  o may be NULL (min/max).  DN_EARG: no
 * calibration data, data of the wrong width, a layer wider than 49,000
 * inputs (its int32 sums could overflow), non-finite parameters, or a
 * scale ratio no int32 multiplier can hold. */
dn_status dn_quantize(const dn_model *m, const dn_data *calib,
                      const dn_quant_opts *o, dn_qmodel **out,
                      dn_error *err);
void      dn_qmodel_free(dn_qmodel *q);
/* As dn_predict, through the int8 code: n × n_out values. */
dn_status dn_qmodel_predict(const dn_qmodel *q, const float *X, int n,
                            float *out, dn_error *err);
/* As dn_evaluate (accuracy, or MSE/MAE/R² in target units); the loss is
 * NaN (the int8 code computes no logits' loss). */
dn_status dn_qmodel_evaluate(const dn_qmodel *q, const dn_data *d,
                             dn_metrics *out, dn_error *err);
/* The metrics of outputs computed elsewhere (d->n × n_out, as dn_predict
 * gives them: probabilities, or values in the target's units) against
 * d's targets — the figures dn_evaluate would give for them; loss NaN. */
dn_status dn_evaluate_outputs(const dn_model *m, const float *out,
                              const dn_data *d, dn_metrics *res,
                              dn_error *err);

/* What a generated C file needs, computed by the exporter (also written
 * in its comment block). */
typedef struct {
    size_t weight_bytes;   /* flash: the static const arrays (weights,
                              biases, scales, tables), exactly */
    size_t table_bytes;    /* flash: the layer descriptors and class
                              names, on a 32-bit target */
    size_t code_bytes;     /* flash: the code, an estimate (measured on a
                              Cortex-M4 at -Os; make test-deploy checks
                              it); float: without libm's expf, tanhf and
                              fmaf */
    size_t scratch_bytes;  /* RAM: the activation buffers, on the stack */
    size_t stack_bytes;    /* RAM: the whole stack of one call, scratch
                              included, an estimate as code_bytes */
    DN_RESERVED(4);
} dn_c_sizes;

typedef struct {
    const char *name;      /* prefix of every name in the file, a C
                              identifier (NULL: "descent_model") */
    const dn_qmodel *q;    /* NULL: float32; else the int8 model of m */
    const char *command;   /* NULL, or the command line that made it,
                              quoted in the comment */
    DN_RESERVED(4);
} dn_c_opts;

/* Writes m as one C99 file (also valid C++) with no dependency beyond
 * <stdint.h> and, for float, <math.h>: no malloc, no stdio, no writable
 * globals.  The weights are static const arrays; the input's
 * standardization (and a regression target's) is inside.  Its entry
 * point, PREFIX_predict(const float *x, float *out), takes the encoded
 * inputs in the model's order (numbers as in the CSV, a text column as
 * one 0/1 input per category, pixels scaled to [0, 1]), writes the class
 * probabilities (binary: P(second class)) or the predicted values in the
 * target's units, and returns the arg-max class (0 for regression).
 * PREFIX_class_name(k) gives class k's name (NULL for regression or out
 * of range); PREFIX_N_INPUTS and PREFIX_N_OUTPUTS are macros.  The
 * comment block says the network, the inputs in order with their names,
 * the outputs, and the sizes (sizes receives them; may be NULL).  Float:
 * each output within 1e-6 of dn_predict (relative above 1).  Written
 * atomically.  DN_EARG: a name that is not an identifier, q made from
 * another model, non-finite parameters. */
dn_status dn_model_export_c(const dn_model *m, const dn_c_opts *o,
                            const char *path, dn_c_sizes *sizes,
                            dn_error *err);

/* ------------------------------------------------------------------ */
/* Full-batch solvers: L-BFGS, conjugate gradient, Levenberg–Marquardt,  */
/* Newton                                                              */
/* ------------------------------------------------------------------ */

/* The quasi-second-order family (L-BFGS, nonlinear CG, Levenberg–
 * Marquardt) and second-order Newton.  They see the problem as a smooth
 * function f(x) of one flat vector and use the whole training set for
 * every value and gradient: no mini-batches, no learning rate — each
 * iteration chooses its own step.  One iteration is reported like one
 * epoch of dn_train.
 *
 *   LBFGS   d = −H g, H the inverse-Hessian estimate built by the
 *           two-loop recursion from the last `history` pairs
 *           s = x_{k+1} − x_k, y = g_{k+1} − g_k, started from the scaled
 *           identity H0 = (sᵀy / yᵀy) I of the newest pair; then a line
 *           search.  Pairs with sᵀy ≤ 0 (no positive curvature seen) are
 *           skipped.
 *   CG      d = −g + beta d_prev with
 *             PR+ (default)  beta = max(0, gᵀ(g − g_prev) / g_prevᵀg_prev)
 *             FR             beta = gᵀg / g_prevᵀg_prev
 *           restarting from d = −g every `restart` iterations, for FR
 *           when two gradients are far from orthogonal (|gᵀg_prev| ≥
 *           0.1 gᵀg, Powell's test; PR+'s beta restarts by itself), or
 *           when d is not a descent direction; then a
 *           line search.  The first trial step is
 *           alpha_prev · g_prevᵀd_prev / gᵀd.
 *   LM      for f = scale · (½ Σ_i ‖e_i‖² + ½ Σ_j ridge_j x_j²), sums of
 *           squared residuals e_i of the samples i: solve
 *             (JᵀJ + diag(ridge) + mu I) delta = −(Jᵀe + ridge ⊙ x)
 *           by Cholesky, JᵀJ and Jᵀe accumulated one sample at a time in
 *           float64 (the full Jacobian is never stored; JᵀJ takes n² × 8
 *           bytes).  The damping follows lm_rule (see dn_lm_rule):
 *           the gated rule by default (the sweep rule with a secant
 *           estimate of the second-order term while the fit is poor),
 *           the sweep rule alone, MATLAB trainlm's, or Moré's scaled
 *           trust region (MINPACK's).  trainlm: a step that
 *           lowers f is taken and mu *= mu_dec (never below 1e-20);
 *           otherwise mu *= mu_inc and the solve is repeated, until mu
 *           passes mu_max.  Small mu is Gauss–Newton, large mu a short
 *           gradient step.  mu is in the units of JᵀJ (sums over
 *           samples), as in trainlm; the sweep rule starts it relative
 *           to JᵀJ's largest diagonal entry instead.
 *   NEWTON  d = −(H + tau I)⁻¹ g with the exact Hessian H: tau = 0 if
 *           Cholesky of H succeeds; else tau starts at beta − min H_ii
 *           (at least beta = 1e-3 · max |H_ii|) and doubles until it
 *           does (Nocedal & Wright, Algorithm 3.3), so d always points
 *           downhill; then a line search from alpha = 1.  Quadratic
 *           convergence near a minimum, but every iteration builds and
 *           factors an n × n matrix: fast on small or convex problems,
 *           impractical for large networks.
 *   HF      Hessian-free (truncated) Gauss-Newton, matrix-free, as
 *           Martens (2010): solve (G + ridge + mu I) p = −g by linear
 *           CG on products G v (problem.gn: a network's Gauss-Newton
 *           matrix J^T H_L J, positive semi-definite; without gn, Hessian
 *           products by central differences of fg's gradient, and CG
 *           stops at the first direction of non-positive curvature).
 *           CG starts from hf_decay × the previous solution (or 0 when
 *           that is not downhill), stops after hf_cg_max iterations,
 *           when ‖r‖ ≤ hf_cg_tol ‖g‖, or on Martens' progress test:
 *           after i > k = max(10, i/10) iterations, when the quadratic
 *           model q gained less than k · 5e-4 of its value over the last
 *           k.  The step: the last CG iterate, or an earlier saved one
 *           (iterates 1, 2, 3, 4, 6, 8, ... kept) while that lowers f
 *           more (value passes only), then backtracking alpha ×= ½ with
 *           the sufficient-decrease test (c1, at most ls_max values); a
 *           step that does not lower f is not taken: mu ×= mu_inc² and
 *           CG runs again.  mu follows rho = actual / predicted (by q
 *           without mu) reduction: × mu_inc when rho < ¼, × mu_dec when
 *           rho > ¾ (3/2 and 2/3, Martens': CG's warm start carries
 *           the last solve's scale over, so mu need not jump; LM's 10×
 *           oscillates here); mu starts at mu × the curvature dᵀGd/dᵀd
 *           of the first CG direction (so mu means the same in any
 *           units), and the run ends with DN_STOP_MU_MAX above mu_max.
 *           Cost per iteration: one gradient, at most hf_cg_max G
 *           products (each about two gradients' work on the curvature
 *           rows: the R-sweeps; dn_train_full keeps the rows' forward
 *           pass for all products of an iteration, up to 256 MiB), and
 *           a few values;
 *           memory 9 vectors of n doubles plus the saved iterates.
 *           evals (dn_min_iter, dn_min_result) counts fg calls, and a
 *           G product as one evaluation (each is a pass over rows).
 *
 * The line search (L-BFGS, CG, Newton) looks for a step alpha along d
 * that meets the strong Wolfe conditions
 *   f(x + alpha d) ≤ f(x) + c1 alpha gᵀd      (sufficient decrease)
 *   |g(x + alpha d)ᵀd| ≤ c2 |gᵀd|             (curvature)
 * by bracketing and zooming with safeguarded cubic interpolation
 * (Nocedal & Wright, Algorithms 3.5 and 3.6); on a quadratic the cubic is
 * exact, so CG and Newton take exact minimizing steps there.  If no such
 * step turns up within ls_max evaluations (a float32 network near its
 * minimum makes f too noisy to compare), it falls back to the lowest
 * point found that meets sufficient decrease, or backtracks (alpha
 * shrinking by quadratic interpolation, 2 to 10 times per trial) until
 * one does; a non-finite f counts as "too far".  After such a step CG
 * restarts.  When no step lowers f at all, the solver tries once along
 * −g and then stops with DN_STOP_LINESEARCH: usually the limit of the
 * arithmetic, with the loss as low as it can be told apart. */
typedef enum {
    DN_SOLVER_LBFGS = 0,
    DN_SOLVER_CG,
    DN_SOLVER_LM,
    DN_SOLVER_NEWTON,
    DN_SOLVER_HF,
    DN_SOLVER_COUNT
} dn_solver_kind;

/* LM's rule for the damping (dn_solver_conf.lm_rule).
 *   GATED    (default) HYBRID below with the secant term kept out
 *            where Gauss–Newton needs no help: JᵀJ + S is the model of
 *            the next step only when it predicted the last one better,
 *            f is still above 0.1 of the starting f (the residuals stay
 *            large), and the last step gained less than 0.9 of what
 *            Gauss–Newton predicted (its model overrated the step).
 *            Near-interpolating fits take the sweep's steps; fits whose
 *            loss stays a large share of where it began (a ReLU network
 *            on a noisy target) get the second-order estimate.  The
 *            starting f is in the run's state with S (checkpoints).
 *            bench/solvers/NOTES.md (Round 5): 20 of 24 regression rows
 *            within 5% of Adam's loss with 10× the evaluations, against
 *            18 for SWEEP; at or below MINPACK in 19 of 24 (the same).
 *   SWEEP    trainlm's rule with two changes that use each
 *            Jacobian further: mu starts at mu · max_j (JᵀJ + ridge)_jj
 *            (so mu = 1e-3 means the same for data in any units), and
 *            after a step that lowered f, mu keeps shrinking by mu_dec
 *            (a new Cholesky and one value pass each, no Jacobian) while
 *            that lowers f further, up to 8 times; the lowest point is
 *            taken.  See bench/solvers/NOTES.md for how it compares.
 *   TRAINLM  MATLAB trainlm's scalar rule (mu, mu_dec, mu_inc, mu_max,
 *            the identity as the damping matrix, mu absolute).
 *   MORE     Moré's trust region, as MINPACK's lmder: the step
 *            solves (JᵀJ + diag(ridge) + lambda D²) delta = −(Jᵀe +
 *            ridge ⊙ x) with D_j = the largest sqrt((JᵀJ)_jj) seen so far
 *            (the scaling that makes the method blind to the units of
 *            each weight), and lambda the smallest ≥ 0 that keeps
 *            ‖D delta‖ within the bound Delta (to 10%).  Delta follows
 *            rho = actual / predicted reduction: × 0.1..0.5 when rho <
 *            ¼ (the quadratic fit along the step says how much), 2 ‖D
 *            delta‖ when rho > ¾ or the Gauss–Newton step fitted; a
 *            step with rho > 1e-4 is taken.  Starts at Delta = 100 ‖D
 *            x0‖; mu, mu_dec, mu_inc, mu_max are not read.  Ends with
 *            DN_STOP_LINESEARCH when Delta has shrunk below what the
 *            arithmetic can move x by.
 *   HYBRID   the sweep rule with NL2SOL's second model (Dennis, Gay and
 *            Welsch): S, an estimate of the term Σ e_i ∇²e_i that JᵀJ
 *            leaves out, learnt from the change of the gradient along
 *            each step (a symmetric rank-two secant update, sized
 *            first); after each step the model, JᵀJ or JᵀJ + S, whose
 *            predicted reduction was nearer the actual one is used for
 *            the next.  For fits whose residuals stay large (where
 *            Gauss–Newton's model overrates long steps and LM crawls);
 *            costs n² more doubles, in the run's state (checkpoints). */
typedef enum {
    DN_LM_TRAINLM = 0,
    DN_LM_MORE,
    DN_LM_SWEEP,
    DN_LM_HYBRID,
    DN_LM_GATED
} dn_lm_rule;

typedef enum {
    DN_CG_PR_PLUS = 0,   /* Polak–Ribière+ */
    DN_CG_FR             /* Fletcher–Reeves */
} dn_cg_beta;

/* A solver's settings.  Fields a kind does not read are ignored;
 * dn_solver_defaults fills every field. */
typedef struct {
    dn_solver_kind kind;
    int    max_iter;  /* iteration budget for dn_minimize (1000);
                         dn_train_full takes dn_train_opts.epochs instead */
    long   max_evals; /* evaluation budget: calls of the objective (value,
                         with gradient or Jacobian); 0 = none (0).  LM
                         may end one Jacobian pass past it, the one that
                         gives the last accepted point its gradient */
    double gtol;      /* stop when ‖g‖₂ ≤ gtol (1e-6) */
    double ftol;      /* stop when an iteration lowers f by at most
                         ftol · max(|f_prev|, |f|) (1e-9; 0 = off) */
    double c1, c2;    /* strong Wolfe constants, 0 < c1 < c2 < 1: c1 1e-4;
                         c2 0.9 for LBFGS and NEWTON, 0.1 for CG — CG
                         needs a nearly exact search to stay conjugate,
                         and FR needs c2 < ½ to be sure of descent */
    int    ls_max;    /* evaluations per line search (25) */
    int    history;   /* LBFGS: pairs kept, m (10) */
    dn_cg_beta cg_beta; /* CG: PR+ (default) or FR */
    int    restart;   /* CG: restart every this many iterations (0 = n,
                         the number of unknowns) */
    double mu;        /* LM: initial damping (1e-3; for SWEEP, HYBRID and
                         GATED relative to the largest diagonal entry of
                         JᵀJ) */
    double mu_dec;    /* LM: factor after a step that lowered f (0.1) */
    double mu_inc;    /* LM: factor after one that did not (10) */
    double mu_max;    /* LM: give up beyond this (1e10) */
    size_t max_params;/* LM and NEWTON refuse more unknowns than this
                         (0 = the kind's default): LM 4096 (JᵀJ in
                         128 MiB), NEWTON 2048 (the Hessian in 32 MiB,
                         built from 2048 products per iteration) */
    dn_lm_rule lm_rule; /* LM: the damping rule (DN_LM_GATED) */
    int    hf_cg_max; /* HF: CG iterations per solve, 1 to 100000 (250) */
    double hf_decay;  /* HF: CG starts from hf_decay × the last solution,
                         0 ≤ hf_decay < 1 (0.95; 0 = from zero) */
    double hf_cg_tol; /* HF: CG stops at ‖r‖ ≤ hf_cg_tol ‖g‖ (1e-6) */
    long   hf_rows;   /* HF with a network (dn_train_full): the G
                         products use this many rows, a slice of the
                         training rows that rotates with the iteration
                         (rows [i·hf_rows, (i+1)·hf_rows) mod N at
                         iteration i, so a resumed run uses the same);
                         0 = every row (0).  f and g always use all */
    DN_RESERVED(5);
} dn_solver_conf;

/* The defaults for a kind, as above. */
void dn_solver_defaults(dn_solver_conf *c, dn_solver_kind kind);
/* "lbfgs", "cg", "lm", "newton", "hf"; parsing also takes "l-bfgs",
 * "trainlm", "levenberg-marquardt", "conjugate-gradient",
 * "hessian-free". */
const char *dn_solver_name(dn_solver_kind k);
dn_status dn_solver_parse(const char *s, dn_solver_kind *out, dn_error *err);
const char *dn_cg_beta_name(dn_cg_beta b);  /* "pr+", "fr" ("pr" too) */
const char *dn_lm_rule_name(dn_lm_rule r);  /* "trainlm", "more", "sweep",
                                               "hybrid", "gated" */
dn_status dn_lm_rule_parse(const char *s, dn_lm_rule *out, dn_error *err);
dn_status dn_cg_beta_parse(const char *s, dn_cg_beta *out, dn_error *err);

/* The objective: returns f(x) and, when g is not NULL, writes the
 * gradient g = ∇f(x) (n doubles).  Return NaN or ±inf for a point where
 * f is undefined: line searches then step back, and LM raises mu. */
typedef double (*dn_fg_fn)(const double *x, double *g, void *user);

/* NEWTON: the Hessian at x, n × n row-major (both triangles); non-zero
 * return = failure (the solver stops with DN_ENUMERIC). */
typedef int (*dn_hess_fn)(const double *x, double *H, void *user);

/* LM: sample i's residuals e (n_resid doubles) and, when J is not NULL,
 * their Jacobian rows J = ∂e/∂x (n_resid × n, row-major).  Non-zero
 * return = failure (DN_ENUMERIC). */
typedef int (*dn_resid_fn)(const double *x, int i, double *e, double *J,
                           void *user);

/* HF: gv = G v at x (n doubles each), G positive semi-definite (a
 * Gauss-Newton matrix); iter is the solver's iteration (0-based), the
 * same for every product of one solve, so a callback may choose its
 * rows by it.  Non-zero return = failure (DN_ENUMERIC). */
typedef int (*dn_gn_fn)(const double *x, const double *v, double *gv,
                        int iter, void *user);

/* A problem: the objective and what each solver needs besides.
 * Why float64: the solvers' inner products (sᵀy, gᵀd, JᵀJ), the
 * interpolated steps and 1e-6-relative stopping rules lose their digits
 * in float32, and plain functions are written in double; for a network,
 * dn_train_full rounds x to the float32 weights once per evaluation,
 * which costs n conversions against a forward and backward pass over
 * every sample. */
typedef struct {
    size_t      n;         /* unknowns */
    dn_fg_fn    fg;        /* LBFGS, CG, NEWTON: required.  LM: optional;
                              if given it must return the LM f below and
                              is called with g = NULL for the value of
                              trial points (faster for a network than
                              n_samples residual calls) */
    dn_hess_fn  hess;      /* NEWTON: optional; NULL = central differences
                              of fg's gradient, column by column (2n
                              evaluations, error about 1e-10 relative) */
    dn_resid_fn resid;     /* LM: required */
    int         n_samples; /* LM: samples i = 0 .. n_samples − 1 */
    int         n_resid;   /* LM: residuals per sample */
    double      scale;     /* LM: f's factor (0 = 1); a network's mean loss
                              has 1/N */
    const double *ridge;   /* LM: ridge_j ≥ 0 per unknown (NULL = none): an
                              L2 penalty with a known Hessian */
    double      precision; /* relative precision of the arithmetic behind
                              f (0 = float64's, 2.2e-16; dn_train_full
                              sets float32's, 1.2e-7): line searches stop
                              trying steps that would change x, or lower
                              f, by less than this relative to them, and
                              end with DN_STOP_LINESEARCH instead of
                              spending evaluations on rounding noise */
    void       *user;      /* passed to every callback */
    dn_gn_fn    gn;        /* HF: optional; NULL = Hessian products by
                              central differences of fg's gradient */
    DN_RESERVED(3);
} dn_problem;

/* What dn_minimize reports after every iteration. */
typedef struct {
    int    iter;       /* 1-based */
    long   evals;      /* objective evaluations so far */
    double f;          /* at the new point */
    double grad_norm;  /* ‖g‖₂ at the new point */
    double step;       /* the line search's alpha (LM: 1) */
    double mu;         /* LM, HF: mu after the iteration (as trainlm's
                          record shows it); 0 for the others */
    int    wolfe;      /* 1: the step met the strong Wolfe conditions;
                          0: the backtracking fallback's step, or LM */
    const double *x, *g; /* the new point and its gradient (n each) */
    DN_RESERVED(4);
} dn_min_iter;

/* Return non-zero to stop after this iteration (DN_STOP_CALLBACK). */
typedef int (*dn_min_fn)(const dn_min_iter *it, void *user);

typedef struct {
    int     iters;     /* iterations completed */
    long    evals;
    dn_stop reason;    /* DN_STOP_GRADIENT, _FTOL, _EPOCHS (iteration
                          budget), _EVALS, _LINESEARCH, _MU_MAX, _CALLBACK */
    double  f, grad_norm;
    double  mu;        /* LM's final mu; 0 for the others */
    DN_RESERVED(4);
} dn_min_result;

/* Minimizes f from x (n doubles, overwritten with the result: always the
 * last accepted point, never an untried one).  All memory is allocated
 * before the first iteration: besides x, L-BFGS holds 2m + 8 vectors of
 * n doubles, CG 7, Newton and LM an n × n matrix and 8 vectors (LM also
 * one sample's n_resid Jacobian rows).  Deterministic: the same problem
 * and start give the same bits.  Refusals (DN_EARG): a callback the kind
 * needs is missing; out-of-range settings (the message names the field,
 * its value and range); LM or NEWTON with n above max_params (the
 * message gives the memory it would need).  A non-finite f or gradient
 * at the start is DN_ENUMERIC.  c NULL = L-BFGS defaults; on_iter and
 * res may be NULL. */
dn_status dn_minimize(const dn_problem *p, const dn_solver_conf *c, double *x,
                      dn_min_fn on_iter, void *user, dn_min_result *res,
                      dn_error *err);

/* Trains m full-batch with a solver: the objective is the training loss
 * over every row of `train` plus the L2 penalty opts->l2 / 2 · Σ W²
 * (weights only), exactly the loss dn_train reports, evaluated in chunks
 * of 1024 rows (so memory stays small whatever the rows) with the
 * chunks' gradients summed in float64.  solver NULL = L-BFGS defaults;
 * its max_iter is ignored.  From opts it takes
 *   epochs        the iteration budget (each iteration is reported as one
 *                 epoch; try 100 to 1000: an iteration is worth many
 *                 epochs of SGD)
 *   l2, patience, min_delta, restore_best, monitor, tol, tol_epochs,
 *   threads, on_epoch, user   — as for dn_train: early stopping watches
 *                 the monitored value after every iteration and restores
 *                 the best iteration's weights
 * the checkpoint fields (checkpoint, checkpoint_every counted in
 * iterations, resume, note: the checkpoint holds the solver's own state —
 * L-BFGS's pairs, CG's direction, LM's mu — so a resumed run continues
 * bit for bit, and a finished one is not iterated again), and interrupt
 * (stop after the current iteration, DN_STOP_INTERRUPTED, checkpoint
 * written), and ignores batch, eta, opt, sched, shuffle, seed and
 * checkpoint_steps.  It refuses dropout (a random loss defeats line searches and
 * LM's accept/reject test), clip (the solver chooses the step length) and
 * several MPI processes (the solvers are not data-parallel: run them with
 * one).  LM takes the MSE loss only, whose residuals e = h(x) − y (in
 * target-scaled units, one per output) make the loss ½ Σ ‖e‖² / N, with
 * Jacobian rows from one-sample backward passes; the classification
 * losses (BCE, CE) are refused with a pointer to LBFGS.  Above
 * max_params LM and NEWTON are refused with the memory they would need.
 * NEWTON's Hessian is exact: column j is H e_j, a Hessian-vector product
 * by Pearlmutter's R-operator (forward-mode differentiation of the
 * forward and backward passes), each about as costly as two gradients;
 * finite differences of float32 gradients would leave errors of 1e-4 to
 * 1e-3 and cost Newton its fast convergence.
 * Every iteration reports through opts->on_epoch a dn_epoch with
 * train_loss (with the penalty), train_acc, val_loss, val_acc, grad_norm
 * (‖g‖₂ at the new point), eta (the line search's alpha; LM: 1), mu (LM)
 * and evals.  res->reason is one of DN_STOP_EPOCHS (the budget),
 * _GRADIENT, _FTOL, _EVALS, _LINESEARCH, _MU_MAX, _CONVERGED (tol),
 * _EARLY, _CALLBACK, _INTERRUPTED; res->steps counts iterations.  A loss
 * that is not finite at the start is DN_ENUMERIC (weights untouched); a
 * Hessian that turns non-finite later is DN_ENUMERIC with reason
 * DN_STOP_NONFINITE and the last accepted weights kept. */
dn_status dn_train_full(dn_model *m, const dn_data *train, const dn_data *val,
                        const dn_solver_conf *solver,
                        const dn_train_opts *opts, dn_result *res,
                        dn_error *err);

/* ------------------------------------------------------------------ */
/* Watching training: history, TensorBoard, plots, landscapes          */
/* ------------------------------------------------------------------ */

/* One row of a training history: what an epoch (or a full-batch
 * solver's iteration) reported.  NaN marks a value that does not exist:
 * the validation columns without validation data, a metric that was not
 * measured; mu and evals are 0 when they do not exist, as in dn_epoch. */
typedef struct {
    int    epoch;          /* 1-based epoch or iteration */
    long   step;           /* parameter updates so far */
    double train_loss;     /* as dn_epoch.train_loss */
    double val_loss;
    double train_metric;   /* the history's metric on the training rows,
                              running over the epoch like train_loss */
    double val_metric;
    double learning_rate;
    double grad_norm;      /* mean ‖g‖₂ over the epoch's steps */
    double seconds;        /* wall time of this epoch */
    double mu;             /* LM's damping after the iteration, else 0 */
    long   evals;          /* full-batch solvers: objective evaluations so
                              far, else 0 */
    DN_RESERVED(4);
} dn_hist_row;

/* A history in memory: the rows in epoch order, and the name of the
 * metric in the metric columns.  A plain struct: read it directly. */
typedef struct {
    char         metric[24];  /* "accuracy", "mae", ... ("metric" if none) */
    int          n, cap;
    dn_hist_row *row;
    DN_RESERVED(4);
} dn_history;

/* The metric descent reports for a model: "accuracy" (fraction of rows
 * classified right, 0..1) for classification, "mae" (mean absolute
 * error in the target's own units) for regression. */
const char *dn_history_metric(const dn_model *m);

/* An empty history for a metric (NULL or "": "metric"). */
void      dn_history_init(dn_history *h, const char *metric);
/* Frees the rows; h is then empty, with its metric. */
void      dn_history_free(dn_history *h);
/* Appends a row.  A row whose epoch is not after the last row's replaces
 * the rows from that epoch on: a run resumed from a checkpoint repeats
 * epochs, and the history keeps one row per epoch. */
dn_status dn_history_add(dn_history *h, const dn_hist_row *r, dn_error *err);
/* Appends an epoch report (use it from dn_train_opts.on_epoch); the
 * metric columns take train_acc/val_acc when the metric is "accuracy". */
dn_status dn_history_add_epoch(dn_history *h, const dn_epoch *e,
                               dn_error *err);

/* The history as CSV, written atomically (temporary file, fsync, rename),
 * with this header, one row per epoch, an empty cell for NaN (and for a
 * mu or evals of 0):
 *   epoch,step,train_loss,val_loss,train_M,val_M,learning_rate,grad_norm,seconds,mu,evals
 * where M is the metric ("train_accuracy", "train_mae").  The names are
 * stable; see docs/monitoring.md. */
dn_status dn_history_save(const dn_history *h, const char *path,
                          dn_error *err);
/* Reads a history CSV: columns found by name in any order (others are
 * ignored; mu and evals may be missing, as in files from before they
 * were written), epochs increasing; errors name the file, line and
 * column.  h is initialized here; free it with dn_history_free. */
dn_status dn_history_load(const char *path, dn_history *h, dn_error *err);

/* TensorBoard event files, written directly (no TensorFlow needed):
 * TFRecord framing (length, masked CRC32C of the length, an Event
 * protobuf, masked CRC32C of the data), the first Event holding
 * file_version "brain.Event:2", each later one a Summary with one scalar
 * (tag, simple_value, the step, the wall time).  The file is named
 * events.out.tfevents.<seconds>.<host>.<pid> as TensorFlow names it.
 * Unlike descent's other files it is appended to, because TensorBoard
 * reads it while it grows; records are whole and checksummed, and a
 * failed write cuts the file back to its last complete record. */
typedef struct dn_events dn_events;

/* Creates DIR (and missing parents) and a new event file in it. */
dn_status   dn_events_open(const char *dir, dn_events **out, dn_error *err);
const char *dn_events_path(const dn_events *ev);
/* Appends one scalar (tag: 1 to 256 bytes; value stored as float32). */
dn_status   dn_events_scalar(dn_events *ev, const char *tag, int64_t step,
                             double value, dn_error *err);
/* Appends one histogram of the n values v, as TensorBoard's
 * HistogramProto inside the Summary value (field histo): min, max, num,
 * sum and sum_squares of the values, and 30 buckets of equal width from
 * min to max — bucket_limit[i] = min + (i + 1)(max − min)/30 (the last
 * exactly max), bucket[i] the count of values in (bucket_limit[i−1],
 * bucket_limit[i]], the first counting all up to bucket_limit[0]; one
 * bucket (limit max) when every value is the same.  Non-finite values
 * are left out of every figure; with none finite nothing is written. */
dn_status   dn_events_histogram(dn_events *ev, const char *tag, int64_t step,
                                const float *v, size_t n, dn_error *err);
/* Hands the records written so far to the operating system, so that a
 * running TensorBoard sees them. */
dn_status   dn_events_flush(dn_events *ev, dn_error *err);
/* Flushes, fsyncs and closes; frees ev even when it fails. */
dn_status   dn_events_close(dn_events *ev, dn_error *err);

/* A training run as TensorBoard shows it: LOGDIR/train and
 * LOGDIR/validation, with the same tags ("loss" and the metric's name)
 * so that each chart overlays training and validation; the training run
 * also has "learning_rate" and "grad_norm".  The step is the epoch.
 * LOGDIR/validation is created with the first validation value. */
typedef struct dn_tboard dn_tboard;
dn_status dn_tboard_open(const char *logdir, dn_tboard **out, dn_error *err);
/* Writes a row's finite values under the metric's name and flushes. */
dn_status dn_tboard_add(dn_tboard *tb, const dn_hist_row *r,
                        const char *metric, dn_error *err);
/* The network at the end of epoch `step`, into the training run: per
 * layer L (numbered from 1, as descent summary does) the histograms
 * "weights/layerL" (W), "biases/layerL" (b) and, when grad is given
 * (dn_model_n_params floats laid out like dn_model_params, e.g.
 * dn_health_grad), "gradients/layerL" (∂C/∂W); and from the second call
 * on the scalar "update_ratio/layerL" = ‖W − W′‖₂ / ‖W′‖₂, W′ the
 * weights at the previous call: how far an epoch moved the layer
 * relative to its size (1e-3 per step is the usual rule of thumb, so
 * per epoch about 1e-3 times the steps, less where steps cancel; far
 * above, the rate is too high; near 0, the layer does not learn).
 * Flushes. */
dn_status dn_tboard_layers(dn_tboard *tb, const dn_model *m,
                           const float *grad, int64_t step, dn_error *err);
dn_status dn_tboard_close(dn_tboard *tb, dn_error *err);

/* The health of a run: the troubles the notes warn of, spotted while a
 * mini-batch run trains, each reported once (per layer where it has
 * one) with the epoch it was seen in.  Call dn_health_epoch from
 * dn_train_opts.on_epoch with the model being trained: at each epoch's
 * end it runs one forward and backward pass, in its own single-thread
 * workspace, over a fixed sample of the training rows (conf.rows of
 * them, evenly spaced through the file, taken at dn_health_new), and
 * reads the epoch's losses.  It never writes the model, the training
 * workspace or the generator, so the run's numbers are the same bits
 * with it or without it; its cost is one batch of conf.rows rows per
 * epoch (under 1% of an epoch's work from 25,600 training rows on).
 * It allocates only in dn_health_new and never prints: the caller
 * words the warnings (descent train writes them to stderr).
 *
 *   DEAD_RELU    a hidden ReLU layer in which at least dead_share of the
 *                units (and at least one) have z ≤ 0 on every sampled
 *                row: a = 0 and f'(z) = 0 there, so no gradient reaches
 *                their weights and they never come back.  Leaky ReLU and
 *                PReLU keep a slope below zero and are not checked.
 *                Not counted: units already dead with the weights given
 *                to dn_health_new by their direction alone (W a ≤ 0 on
 *                every sampled row before the bias), which no learning
 *                rate killed: after a first ReLU layer a table of one or
 *                two columns leaves about a quarter of the next layer's
 *                units so at initialization.  count = dead units
 *                counted, of = the layer's units, value = count / of,
 *                from = the units dead that way from the start.
 *   SATURATED    a hidden sigmoid or tanh layer in which at least
 *                sat_share of the units (and at least one) are
 *                saturated: f'(z) below sat_ratio of its peak (f'(0):
 *                1/4 for sigmoid, 1 for tanh) on more than sat_rows of
 *                the sampled rows.  With sat_ratio 0.05 that is |z| >
 *                4.36 for sigmoid, |z| > 2.18 for tanh; the backward pass
 *                multiplies the unit's delta by f'(z), so its gradient is
 *                20 times smaller than at z = 0, the notes' vanishing
 *                gradient.  count = saturated units, of = units,
 *                value = the share of (unit, row) pairs saturated.
 *   EXPLODING    a layer whose gradient norm ‖(∂C/∂W_l, ∂C/∂b_l)‖₂ on
 *                the sample has grown to explode times its value at the
 *                first epoch checked, or is not finite.  value = that
 *                ratio (inf when not finite), from / to = the first and
 *                the current norm.
 *   LOSS_RISING  the training loss rose in each of rise_epochs epochs in
 *                a row and ended at least rise_min (relative) above
 *                where it started: the rate is too high for the
 *                surface.  since = the first epoch of the rise,
 *                count = epochs rising, from / to = the losses before
 *                and after.
 *   OVERFITTING  the validation loss has stayed above its best for
 *                overfit_epochs epochs, is now overfit_min (relative)
 *                above it, and the training loss has stayed below what
 *                it was at the best epoch: the two curves part.  For a
 *                classifier (val_acc reported) the validation accuracy
 *                must also be below its value at the best epoch: a
 *                cross-entropy that climbs with the accuracy steady is
 *                the outputs growing surer of the same predictions (the
 *                logits grow as the training rows are fitted ever
 *                closer, and the few wrong rows cost more each epoch),
 *                not the network learning its rows' noise.  since = the
 *                epoch after the best one (where the parting began),
 *                count = epochs since the best, from / to = the best
 *                and the current validation loss.
 *
 * Why these numbers (dn_health_defaults):
 *   rows 256        a unit active on a fraction p of the rows escapes a
 *                   sample of 256 with chance (1 − p)^256: under 8% for
 *                   p = 1%, so "dead on the sample" is dead in practice;
 *                   and 256 rows cost less than an epoch of most sets.
 *   dead_share 0.1  a few dead units of a wide layer cost little
 *                   capacity and happen in healthy runs; a tenth is a
 *                   loss worth acting on (and a layer of up to 10 units
 *                   warns from its first dead unit).
 *   sat_ratio 0.05, sat_rows 0.9, sat_share 0.1  a gradient cut 20-fold
 *                   on nine rows in ten is the notes' flat tail of the
 *                   sigmoid; a unit in its linear range on some rows
 *                   still learns from those.
 *   explode 1000    three orders of magnitude: a healthy run's gradient
 *                   shrinks as it converges or moves within one order;
 *                   a growth of 10^3 is the geometric blow-up of the
 *                   notes' exploding gradients, caught before the
 *                   overflow stops the run.
 *   rise_epochs 3, rise_min 0.1  an epoch's loss is the mean over all
 *                   its batches, so two rises can be noise; three in a
 *                   row adding up to 10% is a trend.
 *   overfit_epochs 5, overfit_min 0.05  half of descent train's default
 *                   early-stopping patience (10), so the warning comes
 *                   before early stopping ends the run; 5% is above the
 *                   epoch-to-epoch wobble of a validation loss on a few
 *                   dozen rows.
 * Replayed epochs (dn_epoch.replay, a resumed run) feed the two loss
 * checks only: the model holds later weights than theirs. */
typedef enum {
    DN_HEALTH_DEAD_RELU = 0,
    DN_HEALTH_SATURATED,
    DN_HEALTH_EXPLODING,
    DN_HEALTH_LOSS_RISING,
    DN_HEALTH_OVERFITTING,
    DN_HEALTH_COUNT
} dn_health_kind;

/* "dead_relu", "saturated", "exploding", "loss_rising", "overfitting". */
const char *dn_health_name(dn_health_kind k);

typedef struct {
    dn_health_kind kind;
    int    epoch;   /* the epoch (1-based) it was seen at */
    int    since;   /* the epoch it began (see above; else = epoch) */
    int    layer;   /* 0-based layer (as dn_model_W), −1 for the run */
    int    count;   /* as above, per kind */
    int    of;      /* the layer's units (DEAD_RELU, SATURATED), else 0 */
    double value;   /* as above, per kind (NaN where none) */
    double from, to;
    DN_RESERVED(4);
} dn_health_warning;

typedef struct {
    int    rows;            /* sampled training rows (256; all if fewer) */
    double dead_share;      /* 0.1 */
    double sat_ratio;       /* 0.05 */
    double sat_rows;        /* 0.9 */
    double sat_share;       /* 0.1 */
    double explode;         /* 1000 */
    int    rise_epochs;     /* 3 */
    double rise_min;        /* 0.1 */
    int    overfit_epochs;  /* 5 */
    double overfit_min;     /* 0.05 */
    int    every;           /* the checks that need the model (dead,
                               saturated, exploding: one gradient over the
                               sample) at epoch 1 and every `every`-th
                               epoch after it, 1 + k·every; 0 or 1: every
                               epoch.  On a set of few rows the sample is
                               the whole set and its pass as dear as the
                               epoch's training: a cadence bounds what
                               watching costs, the warnings coming at
                               most every − 1 epochs later.  The loss
                               checks read every epoch's report. */
    DN_RESERVED(3);
} dn_health_conf;

typedef struct dn_health dn_health;

void dn_health_defaults(dn_health_conf *c);
/* Samples the rows of train (which must fit m) and sizes everything.
 * c NULL: the defaults.  DN_EARG names a setting out of range (rows ≥ 1,
 * shares in (0, 1], explode > 1, epochs ≥ 1, minimums ≥ 0). */
dn_status dn_health_new(const dn_model *m, const dn_data *train,
                        const dn_health_conf *c, dn_health **out,
                        dn_error *err);
void      dn_health_free(dn_health *h);
/* Checks epoch e of a run training m (the model given to dn_health_new,
 * or one of the same architecture) and returns how many warnings are
 * new: they are the last ones of dn_health_list.  Each kind warns once
 * per layer (LOSS_RISING and OVERFITTING once per run). */
int dn_health_epoch(dn_health *h, const dn_model *m, const dn_epoch *e);
/* Every warning so far, in the order found (*n of them). */
const dn_health_warning *dn_health_list(const dn_health *h, int *n);
/* The sample's gradient at the last epoch checked (dn_model_n_params
 * floats, laid out like dn_model_params), NULL before the first: what
 * TensorBoard's gradient histograms show. */
const float *dn_health_grad(const dn_health *h);

/* SVG plots, written atomically; they open in any browser. */
typedef struct {
    int         log_scale;  /* history: loss and learning-rate axes in
                               log10; landscape: contour levels spaced
                               geometrically */
    const char *title;      /* NULL: none (history), the formula (landscape) */
    DN_RESERVED(4);
} dn_plot_opts;

/* Training curves: one panel with train and validation loss, one with
 * the metric (if any was measured), one with the learning rate, all
 * against the epoch, with titled axes, ticks and legends; the best
 * validation loss is marked.  Each series is a <path> whose id is its
 * column name ("train_loss", "val_accuracy", "learning_rate"). */
dn_status dn_plot_history(const dn_history *h, const dn_plot_opts *o,
                          const char *path, dn_error *err);

/* The range test's picture: the loss and its smoothed curve against
 * log10 of the rate, with the suggested rate and the divergence marked
 * (paths with ids "loss" and "smooth"; lines "suggest", "diverged").
 * The y axis spans the smoothed curve, so an exploding last loss does
 * not flatten the rest; raw losses above it are left out. */
dn_status dn_plot_lr_find(const dn_lr_find_result *r, const char *title,
                          const char *path, dn_error *err);

/* Decision regions of a two-input model (the TensorFlow Playground's
 * picture): the input plane — the bounding box of the data's points,
 * widened by `margin` of its span on each side — cut into grid × grid
 * cells, each coloured by the model's output at its centre, with the
 * data's points on top coloured by their true target.
 *   classification: one colour per class (dn_svg's ten, in class
 *     order), lighter where the model is less sure: the confidence
 *     c = (p_max − 1/K) / (1 − 1/K) (|2p − 1| for one sigmoid unit) in
 *     five steps of 0.2, shade s = 0.18 + 0.12 · step of the way from
 *     white to the class's colour;
 *   regression: output 1 on a purple–green–yellow ramp (viridis's) of
 *     16 steps between the lowest and highest value over the grid (every
 *     frame's) and the points' targets, a colour bar giving the values.
 * The axes are titled with the schema's column names (else "x1", "x2")
 * and ticked in the data's units; a legend names the classes.  Cells of
 * one colour next to each other in a row are drawn as one <rect> inside
 * <g id="regions">, whose attributes data-x0, data-x1, data-y0, data-y1
 * (the box, in full: cell i's centre is x0 + (i + 0.5) (x1 − x0) / grid
 * as drawn), data-grid, and data-px, data-py, data-pw, data-ph (the plot
 * area in pixels: x0 at its left edge, y0 at its bottom) let a reader map
 * cells back to inputs; the points are <circle>s in <g id="points">, in
 * the data's row order (every k-th row past 5000 rows).
 *
 * A dn_boundary records the regions of one model over time (a frame per
 * call of dn_boundary_frame, e.g. after each epoch) on one fixed box and
 * grid, for a single picture or an animated one.  The model and data
 * given to dn_boundary_new fix the box, the points and the task; each
 * frame takes the weights of the model it is given then, which must have
 * the same network.  Refused (DN_EARG): a model whose input is not 2-D
 * (the message says how many inputs and what to do), a schema whose
 * columns are not two numeric ones, data of another width, a grid
 * outside 2..500, a margin outside 0..10. */
typedef struct {
    int         grid;    /* cells per side (default 100) */
    double      margin;  /* fraction of the span added each side (0.1) */
    const char *title;   /* NULL: none */
    DN_RESERVED(4);
} dn_boundary_opts;

typedef struct dn_boundary dn_boundary;

void dn_boundary_defaults(dn_boundary_opts *o);
/* DN_OK if m's regions can be drawn (its input is a plane of two numeric
 * columns), else DN_EARG saying why and what to do: to refuse a model
 * before its data are read or it is trained. */
dn_status dn_boundary_check(const dn_model *m, dn_error *err);
dn_status dn_boundary_new(const dn_model *m, const dn_data *d,
                          const dn_boundary_opts *o, dn_boundary **out,
                          dn_error *err);
/* Computes the regions of m's current weights and keeps them as frame
 * `label` (e.g. the epoch: shown as "epoch N" when ≥ 0; −1: no label). */
dn_status dn_boundary_frame(dn_boundary *b, const dn_model *m, int label,
                            dn_error *err);
int       dn_boundary_frames(const dn_boundary *b);
/* The class drawn in cell (i, j) of frame f — i along x1 from the left,
 * j along x2 from the bottom — (−1 for regression or out of range), and
 * the cell's centre in input units (NULL pointers allowed). */
int       dn_boundary_cell(const dn_boundary *b, int f, int i, int j,
                           double *x1, double *x2);
/* The frames so far as bytes (*bytes, *len: owned by b, valid until its
 * next frame, call of dn_boundary_pack or dn_boundary_unpack, or
 * dn_boundary_free), to keep them where a resumed run finds them:
 * regions drawn from weights a run no longer has cannot be drawn again.
 * descent train keeps them in its checkpoints (dn_train_opts.keep), so
 * that a run stopped and resumed plays the frames of a run never
 * stopped.  DN_ENOMEM when the bytes do not fit in memory. */
dn_status dn_boundary_pack(dn_boundary *b, const void **bytes, size_t *len,
                           dn_error *err);
/* Appends the frames of bytes made by dn_boundary_pack, of regions with
 * the same grid, box and model shape as b's (a dn_boundary_new of the
 * same network over the same data).  DN_EFORMAT, b unchanged, for bytes
 * that are not such frames (damaged, or of another grid, box, output
 * count or loss: the message says which), with a class outside the task
 * or a confidence outside [0, 1]. */
dn_status dn_boundary_unpack(dn_boundary *b, const void *bytes, size_t len,
                             dn_error *err);
/* The last frame as an SVG file (written atomically). */
dn_status dn_boundary_save(const dn_boundary *b, const char *path,
                           dn_error *err);
/* Every frame in one SVG that plays them in order, `seconds` each (SMIL
 * <set> elements: any browser, no script), and stays on the last; each
 * frame is a <g class="frame"> with its label.  Written atomically. */
dn_status dn_boundary_save_animation(const dn_boundary *b, double seconds,
                                     const char *path, dn_error *err);
void      dn_boundary_free(dn_boundary *b);

/* One picture of m's regions over d: dn_boundary_new, one frame (no
 * label), dn_boundary_save. */
dn_status dn_plot_boundary(const dn_model *m, const dn_data *d,
                           const dn_boundary_opts *o, const char *path,
                           dn_error *err);

/* The notes' pictures of gradient descent: functions of one or two
 * parameters, with known minima, to watch optimizers on.
 *   PARABOLA    C(w) = (w − 3)²                    min w = 3
 *   BOWL        x² + 10 y²  (an elongated bowl)    min (0, 0)
 *   ROSENBROCK  (1 − x)² + 100 (y − x²)²           min (1, 1): a curved
 *               valley, easy to find, slow to follow
 *   BEALE       (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²
 *                                                  min (3, 0.5)
 *   SADDLE      x² − y²/2 + y⁴/4: a saddle at the origin between the
 *               minima (0, ±1); a start near y = 0 shows who escapes */
typedef enum {
    DN_LAND_PARABOLA = 0,
    DN_LAND_BOWL,
    DN_LAND_ROSENBROCK,
    DN_LAND_BEALE,
    DN_LAND_SADDLE,
    DN_LAND_COUNT
} dn_land;

typedef struct {
    const char *name;      /* "rosenbrock", as the command line spells it */
    const char *formula;   /* ASCII, "f(x, y) = ..." */
    int    dim;            /* parameters: 1 or 2 */
    double start[2];       /* a start point that shows the function */
    double box[4];         /* the view: x (w) from box[0] to box[1], y from
                              box[2] to box[3] (2-D only) */
    double argmin[2];      /* a minimum */
    double fmin;           /* its value */
    int    log_levels;     /* values span decades: geometric contours */
    int    steps;          /* a step count that shows the paths */
    double eta_sgd;        /* a rate for sgd, momentum, nesterov */
    double eta_adaptive;   /* a rate for adagrad, rmsprop, adam, adamw */
    DN_RESERVED(4);
} dn_land_info;

const dn_land_info *dn_land_get(dn_land f);  /* NULL if out of range */
dn_status dn_land_parse(const char *s, dn_land *out, dn_error *err);
/* f(p) and, if g is not NULL, its gradient (dim values). */
double    dn_land_eval(dn_land f, const double *p, double *g);
/* The path of an optimizer from start: dn_opt_new(c) on a float32
 * parameter vector of dim entries, then `steps` times g = ∇f(theta),
 * dn_opt_step(theta, g, eta) — the update that trains networks.
 * path receives (steps + 1) × dim floats, the start first; a path that
 * diverges (f not finite, or |theta| > 1e6) ends at its last finite
 * point, and *n_points says how many points were written. */
dn_status dn_land_descend(dn_land f, const dn_opt_conf *c, double eta,
                          const double *start, int steps, float *path,
                          int *n_points, dn_error *err);

/* The path of a full-batch solver (dn_minimize with conf c, in double,
 * at most `steps` iterations; c->max_iter is ignored): the start, then
 * the point after each iteration, as floats.  It ends early when the
 * solver stops (converged: ‖g‖ ≤ c->gtol, ...), and res (may be NULL)
 * says why.  LM sees f as the sum of squares it is (every function but
 * the saddle, which it refuses with DN_EARG). */
dn_status dn_land_solve(dn_land f, const dn_solver_conf *c,
                        const double *start, int steps, float *path,
                        int *n_points, dn_min_result *res, dn_error *err);

/* One optimizer's path for dn_plot_landscape. */
typedef struct {
    const char  *label;    /* e.g. "adam (lr 0.02)" */
    const float *xy;       /* n points of dim floats */
    int          n;
    DN_RESERVED(4);
} dn_land_path;

/* Two parameters: the contour map of f with every path from its start,
 * the minimum marked, and a legend giving each path's steps and final
 * value.  One parameter: the curve C(w) with every step (w_k, C(w_k))
 * marked and numbered.  Each path is a <polyline> with id "path1",
 * "path2", ... in order. */
dn_status dn_plot_landscape(dn_land f, const dn_land_path *paths,
                            int n_paths, const dn_plot_opts *o,
                            const char *path, dn_error *err);

/* ------------------------------------------------------------------ */
/* Evaluation reports: where a trained model fails                     */
/* ------------------------------------------------------------------ */

/* Every figure of a report is computed from predictions and targets
 * alone, in double, with scikit-learn's definitions (sklearn.metrics,
 * 1.2), so that the same predictions give the same numbers there:
 *
 * Classification (K classes; the predicted class is dn_predict_class's:
 * P(class 1) ≥ 0.5 for one sigmoid unit, the first largest probability
 * for softmax):
 *   confusion[t·K + p]  rows of true class t predicted as p
 *   precision_c = TP / (TP + FP), recall_c = TP / (TP + FN),
 *   F1_c = 2 TP / (2 TP + FP + FN); 0 where the ratio is 0/0 (sklearn's
 *   zero_division default).  The averages run over the classes that
 *   appear in the targets or the predictions (sklearn's labels=None):
 *   macro = their plain mean, weighted = weighted by support.
 *   log_loss = −(1/N) Σ ln p̂(y_n), each probability clipped to
 *   [ε, 1 − ε] (ε = DBL_EPSILON) and each row renormalized to sum 1, as
 *   sklearn's log_loss does (one sigmoid unit: the row is (1 − p, p)).
 *   auc[c]: ROC AUC of class c against the rest on score p̂(c), the
 *   Mann–Whitney statistic with half credit for ties (the trapezoids
 *   between distinct thresholds: roc_auc_score); NaN when the targets
 *   hold no row of c or only rows of c.  auc_macro: the mean of the
 *   finite auc[c] (roc_auc_score multi_class="ovr", average="macro").
 * Two classes (binary), on the score s = P(class 1):
 *   roc_auc = auc[1]; the ROC curve (fpr, tpr, threshold) as roc_curve
 *   with drop_intermediate: (0, 0) at threshold +inf first, then one
 *   point per distinct score, descending, less the points in the middle
 *   of straight runs.
 *   average_precision = Σ_i (R_i − R_{i−1}) P_i over the distinct
 *   thresholds, descending (the step-wise sum, not interpolated:
 *   average_precision_score); the PR curve starts at (recall 0,
 *   precision 1) and has one point per distinct score.
 * Calibration (every classification task): n_bins equal-width bins of
 *   [0, 1], bin b = (b/B, (b+1)/B] (bin 0 also takes 0), as
 *   sklearn.calibration.calibration_curve(strategy="uniform") assigns
 *   them; the confidence is P(class 1) for two classes (acc_b is then
 *   the fraction of rows of class 1) and the largest probability for
 *   more (acc_b the fraction predicted right).  conf_b and acc_b are the
 *   bin's means (NaN when empty);
 *   ece = Σ_b n_b / N · |acc_b − conf_b|.
 * Regression (k outputs, each averaged alike, sklearn's
 *   "uniform_average"): mse, mae, rmse (the mean of each output's
 *   sqrt(MSE): root_mean_squared_error), r2 = 1 − SS_res / SS_tot (an
 *   output with SS_tot = 0 counts 1 when predicted exactly, else 0:
 *   r2_score's force_finite). */
typedef struct {
    dn_task task;
    int     n;         /* rows */
    int     k;         /* classes (≥ 2), or outputs for regression */
    /* classification */
    double  accuracy, log_loss;
    long   *confusion;               /* k × k, row = true class */
    long   *support;                 /* k: rows of each true class */
    double *precision, *recall, *f1; /* k */
    int     n_present;               /* classes averaged (see above) */
    double  macro_precision, macro_recall, macro_f1;
    double  weighted_precision, weighted_recall, weighted_f1;
    double *auc;                     /* k: one against the rest */
    double  auc_macro;
    /* two classes */
    double  roc_auc, average_precision;
    int     roc_n;
    double *roc_fpr, *roc_tpr, *roc_threshold;
    int     pr_n;
    double *pr_recall, *pr_precision, *pr_threshold; /* [0]: NaN */
    /* calibration */
    int     n_bins;
    long   *bin_count;
    double *bin_conf, *bin_acc;
    double  ece;
    /* regression */
    double  mse, rmse, mae, r2;
    double *y_true, *y_pred;         /* n: output 1's rows, for plots */
    DN_RESERVED(8);
} dn_report;

/* A report from n rows of outputs `out` (as dn_predict gives them:
 * probabilities, n × 1 for one sigmoid unit, n × k for softmax; or
 * n × k regression values) against targets Y (as in dn_data: class
 * numbers, or n × k values).  task BINARY takes one column of P(class 1)
 * and k = 2; MULTICLASS k ≥ 2 columns (two of them give the binary
 * figures too).  n_bins: calibration bins, 1..1000 (0 = 10).  DN_EARG
 * for sizes out of range, a class number outside 0..k−1, a probability
 * outside [0, 1] or any non-finite value, naming the row. */
dn_status dn_report_new(dn_task task, int n, int k, const float *out,
                        const float *Y, int n_bins, dn_report **rep,
                        dn_error *err);

/* The report of model m on the labelled data d (dn_predict, then
 * dn_report_new with the model's task).  A data set that does not fit
 * the model is refused as dn_evaluate refuses it. */
dn_status dn_report_model(const dn_model *m, const dn_data *d, int n_bins,
                          dn_report **rep, dn_error *err);
void      dn_report_free(dn_report *rep);

/* The figures of a report, each one SVG element (the <svg> with no XML
 * declaration: for a file, or inlined in HTML):
 *   CONFUSION    the confusion matrix as a heat map, counts in the cells
 *   ROC          the ROC curve with the chance diagonal (two classes)
 *   PR           the precision–recall curve, as steps (two classes)
 *   CALIBRATION  the reliability diagram: acc_b against conf_b per
 *                non-empty bin, the diagonal, and the bins' counts
 *   RESIDUALS    residual y − ŷ against ŷ (regression, output 1)
 *   PREDICTED    ŷ against y with the line ŷ = y (regression, output 1) */
typedef enum {
    DN_FIG_CONFUSION = 0,
    DN_FIG_ROC,
    DN_FIG_PR,
    DN_FIG_CALIBRATION,
    DN_FIG_RESIDUALS,
    DN_FIG_PREDICTED,
    DN_FIG_COUNT
} dn_fig;

/* 1 if the figure exists for the report's task (ROC and PR: two
 * classes; calibration and confusion: classification; residuals and
 * predicted: regression), else 0. */
int       dn_report_has_fig(const dn_report *rep, dn_fig fig);
/* Writes the figure to f; class_names (k, may be NULL or hold NULLs)
 * label the confusion matrix.  DN_EARG if the figure does not exist for
 * the task, DN_EIO if the stream fails. */
dn_status dn_report_svg(const dn_report *rep, dn_fig fig,
                        const char *const *class_names, FILE *f,
                        dn_error *err);

#if defined(__GNUC__) || defined(__clang__)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif
#endif /* DESCENT_H */
