/* model.c — the network as one flat parameter vector theta, with views
 * of each layer's W, b and PReLU slopes, plus what travels with it:
 * input scaling, the feature schema and string metadata. */
#include "nn/nn.h"
#include "data/stream.h"
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_LEAKY_ALPHA 0.01f  /* PyTorch's LeakyReLU negative_slope */
#define DEFAULT_PRELU_ALPHA 0.25f  /* PyTorch's PReLU init */

static int has_slope(dn_act a) { return a == DN_ACT_PRELU; }

dn_status dn_arch_check(const dn_arch *arch, dn_error *err)
{
    if (!arch) return dn_fail(err, DN_EARG, "no architecture given");
    if (arch->n_in < 1 || arch->n_in > DN_MAX_WIDTH)
        return dn_fail(err, DN_EARG, "input width %d is out of range "
                       "(1..%ld)", arch->n_in, DN_MAX_WIDTH);
    if (arch->n_layers < 1 || arch->n_layers > DN_MAX_LAYERS)
        return dn_fail(err, DN_EARG, "%d layers: a network needs 1 to %d "
                       "dense layers (the last is the output)",
                       arch->n_layers, DN_MAX_LAYERS);
    if ((unsigned)arch->loss >= DN_LOSS_COUNT)
        return dn_fail(err, DN_EARG, "unknown loss %d", (int)arch->loss);
    double total = 0;
    int in = arch->n_in;
    for (int l = 0; l < arch->n_layers; l++) {
        const dn_layer *L = &arch->layer[l];
        int out_layer = l == arch->n_layers - 1;
        if (L->units < 1 || L->units > DN_MAX_WIDTH)
            return dn_fail(err, DN_EARG, "layer %d: width %d is out of "
                           "range (1..%ld)", l + 1, L->units, DN_MAX_WIDTH);
        if ((unsigned)L->act >= DN_ACT_COUNT)
            return dn_fail(err, DN_EARG, "layer %d: unknown activation %d",
                           l + 1, (int)L->act);
        if (!isfinite(L->alpha))
            return dn_fail(err, DN_EARG, "layer %d: slope alpha is not a "
                           "finite number", l + 1);
        if (L->act == DN_ACT_SOFTMAX && !out_layer)
            return dn_fail(err, DN_EARG, "layer %d: softmax belongs on the "
                           "output layer only (it turns scores into class "
                           "probabilities); use relu or tanh for hidden "
                           "layers", l + 1);
        total += (double)L->units * in + L->units
               + (has_slope(L->act) ? L->units : 0);
        in = L->units;
    }
    if (total > (double)DN_MAX_ELEMENTS)
        return dn_fail(err, DN_EARG, "%.0f parameters exceed the limit of "
                       "%ld; use fewer or narrower layers", total,
                       DN_MAX_ELEMENTS);

    const dn_layer *out = &arch->layer[arch->n_layers - 1];
    switch (arch->loss) {
    case DN_LOSS_MSE:
        if (out->act == DN_ACT_SOFTMAX)
            return dn_fail(err, DN_EARG, "loss mse on a softmax output does "
                           "not make sense: softmax outputs are class "
                           "probabilities, trained with --loss ce "
                           "(multiclass); for regression use an identity "
                           "output");
        break;
    case DN_LOSS_BCE:
        if (out->act != DN_ACT_SIGMOID)
            return dn_fail(err, DN_EARG, "loss bce needs a sigmoid output "
                           "(it reads the output as P(class 1)), not %s; use "
                           "--task binary, or --loss mse for regression",
                           dn_act_name(out->act));
        break;
    case DN_LOSS_CE:
        if (out->act != DN_ACT_SOFTMAX)
            return dn_fail(err, DN_EARG, "loss ce needs a softmax output "
                           "(class probabilities), not %s; use --task "
                           "multiclass", dn_act_name(out->act));
        if (out->units < 2)
            return dn_fail(err, DN_EARG, "softmax over one unit is always 1; "
                           "use a sigmoid output with bce for two classes");
        break;
    default:
        break;
    }
    return DN_OK;
}

dn_status dn_arch_set_task(dn_arch *arch, dn_task task, int n_out,
                           dn_error *err)
{
    DN_NEED(arch);
    if (arch->n_layers >= DN_MAX_LAYERS)
        return dn_fail(err, DN_EARG, "no room for the output layer: at most "
                       "%d layers", DN_MAX_LAYERS);
    dn_layer *out = &arch->layer[arch->n_layers];
    memset(out, 0, sizeof *out);
    switch (task) {
    case DN_TASK_REGRESSION:
        if (n_out < 1) return dn_fail(err, DN_EARG, "regression needs at "
                                      "least one target");
        out->units = n_out; out->act = DN_ACT_IDENTITY;
        arch->loss = DN_LOSS_MSE;
        break;
    case DN_TASK_BINARY:
        out->units = 1; out->act = DN_ACT_SIGMOID;
        arch->loss = DN_LOSS_BCE;
        break;
    case DN_TASK_MULTICLASS:
        if (n_out < 2) return dn_fail(err, DN_EARG, "multiclass needs at "
                                      "least two classes, got %d", n_out);
        out->units = n_out; out->act = DN_ACT_SOFTMAX;
        arch->loss = DN_LOSS_CE;
        break;
    default:
        return dn_fail(err, DN_EARG, "unknown task %d", (int)task);
    }
    arch->n_layers++;
    return DN_OK;
}

/* Resets the PReLU slopes to their starting value. */
static void reset_slopes(dn_model *m)
{
    for (int l = 0; l < m->arch.n_layers; l++) {
        float *s = dn_model_slope(m, l);
        if (!s) continue;
        for (int j = 0; j < m->arch.layer[l].units; j++)
            s[j] = m->arch.layer[l].alpha;
    }
}

dn_status dn_model_new(const dn_arch *arch, dn_model **out, dn_error *err)
{
    DN_NEED(out);
    *out = NULL;
    dn_status st = dn_arch_check(arch, err);
    if (st) return st;
    dn_model *m = calloc(1, sizeof *m);
    if (!m) return dn_fail(err, DN_ENOMEM, "out of memory for the model");
    m->arch = *arch;
    DN_CLEAR_RESERVED(&m->arch);
    size_t off = 0;
    int in = arch->n_in;
    for (int l = 0; l < arch->n_layers; l++) {
        dn_layer *L = &m->arch.layer[l];
        DN_CLEAR_RESERVED(L);
        if (L->alpha == 0 && L->act == DN_ACT_LEAKY_RELU)
            L->alpha = DEFAULT_LEAKY_ALPHA;
        if (L->alpha == 0 && L->act == DN_ACT_PRELU)
            L->alpha = DEFAULT_PRELU_ALPHA;
        m->off_W[l] = off; off += (size_t)L->units * in;
        m->off_b[l] = off; off += L->units;
        m->off_slope[l] = -1;
        if (has_slope(L->act)) { m->off_slope[l] = (long)off; off += L->units; }
        in = L->units;
    }
    m->n_params = off;
    m->theta = dn_big_calloc(off, sizeof *m->theta);
    if (!m->theta) {
        free(m);
        return dn_fail(err, DN_ENOMEM, "out of memory for %zu parameters "
                       "(%.3g GB of float32 weights); use fewer or narrower "
                       "layers, or a machine with more memory", off,
                       (double)off * sizeof *m->theta / 1e9);
    }
    reset_slopes(m);
    *out = m;
    return DN_OK;
}

static void free_meta(dn_model *m)
{
    for (int i = 0; i < m->n_meta; i++) {
        free(m->meta_key[i]);
        free(m->meta_val[i]);
    }
    free(m->meta_key);
    free(m->meta_val);
    m->meta_key = m->meta_val = NULL;
    m->n_meta = 0;
}

void dn_model_free(dn_model *m)
{
    if (!m) return;
    DN_FREE_ALL(m->theta, m->mean, m->std, m->inv_std, m->t_mean, m->t_std);
    dn_schema_free(m->schema);
    free_meta(m);
    free(m);
}

dn_status dn_model_clone(const dn_model *m, dn_model **out, dn_error *err)
{
    DN_NEED(m);
    DN_NEED(out);
    dn_model *c;
    dn_status st = dn_model_new(&m->arch, &c, err);
    if (st) return st;
    memcpy(c->theta, m->theta, m->n_params * sizeof *m->theta);
    if (!st && m->mean) st = dn_model_set_scaling(c, m->mean, m->std, err);
    if (!st && m->t_mean)
        st = dn_model_set_target_scaling(c, m->t_mean, m->t_std, err);
    if (!st && m->schema) st = dn_model_set_schema(c, m->schema, err);
    for (int i = 0; !st && i < m->n_meta; i++)
        st = dn_model_meta_set(c, m->meta_key[i], m->meta_val[i], err);
    if (st) { dn_model_free(c); c = NULL; }
    *out = c;
    return st;
}

void dn_model_init(dn_model *m, dn_init init, float eps, uint64_t seed)
{
    dn_rng r;
    dn_rng_seed(&r, seed);
    if (!(eps > 0)) eps = 0.01f;
    int in = m->arch.n_in;
    for (int l = 0; l < m->arch.n_layers; l++) {
        const dn_layer *L = &m->arch.layer[l];
        int out = L->units;
        dn_init how = init;
        if (how == DN_INIT_DEFAULT) {
            int relu_family = L->act == DN_ACT_RELU ||
                L->act == DN_ACT_LEAKY_RELU || L->act == DN_ACT_PRELU;
            how = relu_family ? DN_INIT_HE_UNIFORM : DN_INIT_GLOROT_UNIFORM;
        }
        /* Glorot keeps the variance of activations and of gradients equal
         * across a layer (2 / (in + out)); He doubles it for the ReLU
         * family, which zeroes half its inputs (2 / in). */
        double glorot = 2.0 / (in + out), he = 2.0 / in;
        double var = how == DN_INIT_NORMAL ? (double)eps * eps
                   : (how == DN_INIT_GLOROT_UNIFORM || how == DN_INIT_GLOROT_NORMAL)
                   ? glorot : he;
        int uniform = how == DN_INIT_GLOROT_UNIFORM || how == DN_INIT_HE_UNIFORM;
        float *W = dn_model_W(m, l);
        size_t nw = (size_t)out * in;
        /* U(−r, r) has variance r²/3, so r = sqrt(3 var). */
        double r3 = sqrt(3.0 * var), sd = sqrt(var);
        for (size_t i = 0; i < nw; i++)
            W[i] = uniform ? (float)((2.0 * dn_rng_uniform(&r) - 1.0) * r3)
                           : (float)(dn_rng_normal(&r) * sd);
        memset(dn_model_b(m, l), 0, (size_t)out * sizeof(float));
        in = out;
    }
    reset_slopes(m);
}

const dn_arch *dn_model_arch(const dn_model *m) { return &m->arch; }
int dn_model_n_in(const dn_model *m) { return m->arch.n_in; }
int dn_model_n_out(const dn_model *m)
{ return m->arch.layer[m->arch.n_layers - 1].units; }
size_t dn_model_n_params(const dn_model *m) { return m->n_params; }
float *dn_model_params(dn_model *m) { return m->theta; }
const float *dn_model_params_const(const dn_model *m) { return m->theta; }

static int layer_ok(const dn_model *m, int l)
{ return l >= 0 && l < m->arch.n_layers; }

float *dn_model_W(dn_model *m, int l)
{ return layer_ok(m, l) ? m->theta + m->off_W[l] : NULL; }
float *dn_model_b(dn_model *m, int l)
{ return layer_ok(m, l) ? m->theta + m->off_b[l] : NULL; }
float *dn_model_slope(dn_model *m, int l)
{
    return layer_ok(m, l) && m->off_slope[l] >= 0
        ? m->theta + m->off_slope[l] : NULL;
}
size_t dn_model_offset_W(const dn_model *m, int l) { return m->off_W[l]; }
size_t dn_model_offset_b(const dn_model *m, int l) { return m->off_b[l]; }
long dn_model_offset_slope(const dn_model *m, int l) { return m->off_slope[l]; }

/* A scaling, (mean, std) per column of n, copied into arrays the model
 * owns: std ≤ 0 (a constant column) becomes 1, and inv, when asked for,
 * gets 1 / std.  On a failure nothing is kept.  `what` ("input scaling")
 * and `col` ("input") name it in messages. */
static dn_status scaling_copy(size_t n, const float *mean, const float *std,
                              float **pm, float **ps, float **pinv,
                              const char *what, const char *col,
                              dn_error *err)
{
    float *M = malloc(n * sizeof *M), *S = malloc(n * sizeof *S);
    float *I = pinv ? malloc(n * sizeof *I) : NULL;
    dn_status st = DN_OK;
    if (!M || !S || (pinv && !I))
        st = dn_fail(err, DN_ENOMEM, "out of memory for the %s", what);
    for (size_t j = 0; !st && j < n; j++) {
        if (!isfinite(mean[j]) || !isfinite(std[j])) {
            st = dn_fail(err, DN_EARG, "%s %zu: %s mean or std is not finite",
                         col, j + 1, col[0] == 'i' ? "scaling" : "target");
            break;
        }
        M[j] = mean[j];
        S[j] = std[j] > 0 ? std[j] : 1.0f;
        if (I) I[j] = 1.0f / S[j];
    }
    if (st) {
        free(M); free(S); free(I);
        return st;
    }
    *pm = M;
    *ps = S;
    if (pinv) *pinv = I;
    return DN_OK;
}

dn_status dn_model_set_scaling(dn_model *m, const float *mean,
                               const float *std, dn_error *err)
{
    DN_NEED(m);
    free(m->mean); free(m->std); free(m->inv_std);
    m->mean = m->std = m->inv_std = NULL;
    if (!mean || !std) return DN_OK;
    return scaling_copy((size_t)m->arch.n_in, mean, std, &m->mean, &m->std,
                        &m->inv_std, "input scaling", "input", err);
}

const float *dn_model_mean(const dn_model *m) { return m->mean; }
const float *dn_model_std(const dn_model *m) { return m->std; }

/* Where column_stats reads its rows: an n × d matrix in memory (X, or
 * the bytes X8 when X is NULL), or a streamed file's inputs (or, with
 * targets, its targets), block by block in file order. */
typedef struct {
    const float   *X;
    const uint8_t *X8;
    int            d;
    const dn_stream *s;
    int            targets;
    unsigned char *bx;     /* the stream's current block */
    float         *by;
    long           block;  /* which (-1: none yet) */
    dn_error      *err;
} stats_src;

/* Row i as floats (bytes converted into buf), or NULL when a block
 * could not be read (src->err says why). */
static const float *stats_row(stats_src *src, long i, float *buf)
{
    const int d = src->d;
    if (src->s) {
        const dn_stream *s = src->s;
        if (i / s->R != src->block) {
            long rows;
            src->block = i / s->R;
            if (dn_stream_block(s, src->block, src->bx, src->by, &rows, src->err))
                return NULL;
        }
        i %= s->R;
        if (src->targets) return src->by + (size_t)i * d;
        if (s->es == 4) return (const float *)src->bx + (size_t)i * d;
        dn_row_u8(src->bx + (size_t)i * d, NULL, NULL, buf, d);
        return buf;
    }
    if (src->X) return src->X + (size_t)i * d;
    dn_row_u8(src->X8 + (size_t)i * d, NULL, NULL, buf, d);
    return buf;
}

/* Per-column mean and standard deviation (population form) of an n × d
 * matrix (X, or the bytes X8 when X is NULL), into mean[d] and std[d].
 * Two passes in double: the one-pass Σx² − n·mean² loses every digit on
 * columns with a large offset.  A constant column gets std 1, leaving it
 * at 0 instead of dividing by 0.
 *
 * Constant is relative to the column's own magnitude, as scikit-learn's
 * StandardScaler decides it: float32 values carry a rounding error of up
 * to FLT_EPSILON/2 of their magnitude, so a spread below 10 · FLT_EPSILON ·
 * max |x| (a column of 1e6 with rounding noise) is that noise, not a
 * feature, while a column measured in units of 1e-13 is a feature like
 * any other.  A spread below FLT_MIN is constant too: 1/std would not be
 * a finite float. */
static dn_status column_stats(stats_src *src, long n, float *mean,
                              float *std, dn_error *err)
{
    const int d = src->d;
    double *sum = calloc((size_t)d * 3, sizeof(double));
    /* A row of bytes as floats. */
    float *buf = malloc(((size_t)d + 1) * sizeof *buf);
    if (!sum || !buf) {
        free(sum);
        free(buf);
        return dn_fail(err, DN_ENOMEM, "out of memory fitting a scaling");
    }
    double *sq = sum + d, *amax = sum + 2 * (size_t)d;
    dn_status st = DN_OK;
    for (long i = 0; i < n; i++) {
        const float *x = stats_row(src, i, buf);
        if (!x) { st = src->err->code; goto out; }
        for (int j = 0; j < d; j++) {
            sum[j] += x[j];
            amax[j] = fmax(amax[j], fabs((double)x[j]));
        }
    }
    for (int j = 0; j < d; j++) mean[j] = (float)(sum[j] / n);
    for (long i = 0; i < n; i++) {
        const float *x = stats_row(src, i, buf);
        if (!x) { st = src->err->code; goto out; }
        for (int j = 0; j < d; j++) {
            double e = x[j] - (double)mean[j];
            sq[j] += e * e;
        }
    }
    for (int j = 0; j < d; j++) {
        double s = sqrt(sq[j] / n);
        int constant = s <= 10.0 * FLT_EPSILON * amax[j] || s < FLT_MIN;
        std[j] = constant ? 1.0f : (float)s;
    }
out:
    free(buf);
    free(sum);
    return st;
}

/* One-hot positions and was-missing indicators keep their 0/1 (mean 0,
 * std 1): standardized, a category seen in 1 row of 76 would become an
 * input of 8.6 for that row, an extreme value the network then fits to
 * one example (and a missing text cell at prediction time, all zeros
 * but an indicator of 8.6, would swing the output).  Numeric inputs are
 * standardized as usual. */
static void keep_01_inputs(const dn_schema *s, int d, float *mean, float *std)
{
    if (!s || s->n_in != d) return;
    int j = 0;
    for (int c = 0; c < s->n_cols; c++) {
        const dn_column *col = &s->col[c];
        int w = col->n_cats ? col->n_cats : 1;
        int first01 = col->n_cats ? j : j + w;   /* numeric: its indicator */
        j += w + (col->indicator != 0);
        for (int i = first01; i < j; i++) {
            mean[i] = 0.0f;
            std[i] = 1.0f;
        }
    }
}

dn_status dn_model_fit_scaling(dn_model *m, const dn_data *train,
                               dn_error *err)
{
    DN_NEED(m);
    int d = m->arch.n_in;
    if (!train || train->d != d || train->n < 1 || (!train->X && !train->bytes))
        return dn_fail(err, DN_EARG, "cannot fit the input scaling: the data "
                       "has %d inputs and %d rows, the model expects %d inputs",
                       train ? train->d : 0, train ? train->n : 0, d);
    float *mean = malloc((size_t)d * 2 * sizeof(float));
    if (!mean) return dn_fail(err, DN_ENOMEM, "out of memory fitting the scaling");
    stats_src src = { .X = train->X, .X8 = dn_data_x8(train), .d = d };
    dn_status st = column_stats(&src, train->n, mean, mean + d, err);
    if (!st) keep_01_inputs(train->schema, d, mean, mean + d);
    if (!st) st = dn_model_set_scaling(m, mean, mean + d, err);
    free(mean);
    return st;
}

dn_status dn_model_fit_target_scaling(dn_model *m, const dn_data *train,
                                      dn_error *err)
{
    DN_NEED(m);
    int k = dn_model_n_out(m);
    if (m->arch.loss != DN_LOSS_MSE)
        return dn_fail(err, DN_EARG, "target scaling is for regression (MSE) "
                       "only");
    if (!train || !train->Y || train->k != k || train->n < 1)
        return dn_fail(err, DN_EARG, "cannot fit the target scaling: the data "
                       "has %d targets, the model has %d outputs",
                       train && train->Y ? train->k : 0, k);
    float *mean = malloc((size_t)k * 2 * sizeof(float));
    if (!mean) return dn_fail(err, DN_ENOMEM, "out of memory fitting the scaling");
    stats_src src = { .X = train->Y, .d = k };
    dn_status st = column_stats(&src, train->n, mean, mean + k, err);
    if (!st) st = dn_model_set_target_scaling(m, mean, mean + k, err);
    free(mean);
    return st;
}

/* The scalings fitted on a streamed file's rows: its blocks read in
 * order through one block's buffers, twice (the two passes). */
static dn_status fit_stream(dn_model *m, const dn_stream *s, int targets,
                            dn_error *err)
{
    DN_NEED(m);
    DN_NEED(s);
    const int d = targets ? dn_model_n_out(m) : m->arch.n_in;
    if (targets && m->arch.loss != DN_LOSS_MSE)
        return dn_fail(err, DN_EARG, "target scaling is for regression (MSE) "
                       "only");
    if ((targets ? s->k : s->d) != d)
        return dn_fail(err, DN_EARG, "cannot fit the %s scaling: %s has %d "
                       "%s per row, the model %d", targets ? "target" : "input",
                       s->path, targets ? s->k : s->d,
                       targets ? "targets" : "inputs", d);
    dn_error local;
    stats_src src = { .d = d, .s = s, .targets = targets, .block = -1,
                      .err = err ? err : &local };
    src.bx = malloc((size_t)s->R * s->d * s->es + 1);
    src.by = malloc((size_t)s->R * s->k * sizeof *src.by + 1);
    float *mean = malloc((size_t)d * 2 * sizeof(float));
    dn_status st = !src.bx || !src.by || !mean
        ? dn_fail(err, DN_ENOMEM, "out of memory fitting the scaling")
        : column_stats(&src, s->n, mean, mean + d, src.err);
    if (!st && !targets) keep_01_inputs(s->schema, d, mean, mean + d);
    if (!st) st = targets ? dn_model_set_target_scaling(m, mean, mean + d, err)
                          : dn_model_set_scaling(m, mean, mean + d, err);
    DN_FREE_ALL(src.bx, src.by, mean);
    return st;
}

dn_status dn_model_fit_scaling_stream(dn_model *m, const dn_stream *s,
                                      dn_error *err)
{
    return fit_stream(m, s, 0, err);
}

dn_status dn_model_fit_target_scaling_stream(dn_model *m, const dn_stream *s,
                                             dn_error *err)
{
    return fit_stream(m, s, 1, err);
}

dn_status dn_model_set_target_scaling(dn_model *m, const float *mean,
                                      const float *std, dn_error *err)
{
    DN_NEED(m);
    free(m->t_mean); free(m->t_std);
    m->t_mean = m->t_std = NULL;
    if (!mean || !std) return DN_OK;
    if (m->arch.loss != DN_LOSS_MSE)
        return dn_fail(err, DN_EARG, "target scaling is for regression (MSE) "
                       "only; class targets are not scaled");
    return scaling_copy((size_t)dn_model_n_out(m), mean, std, &m->t_mean,
                        &m->t_std, NULL, "target scaling", "output", err);
}

const float *dn_model_target_mean(const dn_model *m) { return m->t_mean; }
const float *dn_model_target_std(const dn_model *m) { return m->t_std; }

dn_status dn_model_set_schema(dn_model *m, const dn_schema *s, dn_error *err)
{
    if (!m) return dn_fail(err, DN_EARG, "dn_model_set_schema: the model is "
                           "NULL; create one with dn_model_new first");
    dn_schema *copy = NULL;
    if (s) {
        /* The copy is checked: it is known to be consistent. */
        dn_status st = dn_schema_copy(s, &copy, err);
        if (st) return st;
        char why[200];
        if (dn_schema_mismatch(&m->arch, copy, why, sizeof why)) {
            dn_schema_free(copy);
            return dn_fail(err, DN_EARG, "the schema does not fit the "
                           "network: %s; set a schema that matches (or "
                           "none)", why);
        }
    }
    dn_schema_free(m->schema);
    m->schema = copy;
    return DN_OK;
}

const dn_schema *dn_model_schema(const dn_model *m) { return m->schema; }

dn_status dn_model_meta_set(dn_model *m, const char *key, const char *value,
                            dn_error *err)
{
    DN_NEED(m);
    if (!key || !*key || !value)
        return dn_fail(err, DN_EARG, "metadata needs a non-empty key and a "
                       "value");
    for (int i = 0; i < m->n_meta; i++)
        if (strcmp(m->meta_key[i], key) == 0) {
            char *v = dn_strdup(value);
            if (!v) return dn_fail(err, DN_ENOMEM, "out of memory");
            free(m->meta_val[i]);
            m->meta_val[i] = v;
            return DN_OK;
        }
    char **k2 = realloc(m->meta_key, (m->n_meta + 1) * sizeof *k2);
    if (!k2) return dn_fail(err, DN_ENOMEM, "out of memory");
    m->meta_key = k2;
    char **v2 = realloc(m->meta_val, (m->n_meta + 1) * sizeof *v2);
    if (!v2) return dn_fail(err, DN_ENOMEM, "out of memory");
    m->meta_val = v2;
    char *k = dn_strdup(key), *v = dn_strdup(value);
    if (!k || !v) {
        free(k); free(v);
        return dn_fail(err, DN_ENOMEM, "out of memory");
    }
    m->meta_key[m->n_meta] = k;
    m->meta_val[m->n_meta] = v;
    m->n_meta++;
    return DN_OK;
}

const char *dn_model_meta_get(const dn_model *m, const char *key)
{
    for (int i = 0; i < m->n_meta; i++)
        if (strcmp(m->meta_key[i], key) == 0) return m->meta_val[i];
    return NULL;
}

int dn_model_meta_count(const dn_model *m) { return m->n_meta; }
const char *dn_model_meta_key(const dn_model *m, int i)
{ return i >= 0 && i < m->n_meta ? m->meta_key[i] : NULL; }
