/* export_c.c — a trained model as one dependency-free C file, float32 or
 * int8 (dn_model_export_c).  See docs/export.md.
 *
 * The file has four parts: a comment block for the person deploying it
 * (network, inputs in order, outputs, sizes); a small runtime, the same
 * for every model (for int8 the text of qrt.h, which the library itself
 * runs; for float the one below); the model as static const arrays and
 * layer descriptors; and the entry points, which put the scratch buffers
 * on the stack and call the runtime.  Every name starts with the
 * export's prefix, so that two models can live in one program, even in
 * one translation unit.  The runtimes are written with the prefix dnq_
 * (and DNQ_), renamed as the text is copied.
 *
 * Why a runtime driven by descriptors rather than one unrolled function
 * per model: the code is then the same few hundred bytes whatever the
 * depth, it is the code that was tested, and only data changes between
 * models.
 */
#define DN_QRT_TYPES_ONLY   /* the runtime's code is text here */
#include "formats/quant.h"
#include "formats/json.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The int8 runtime: qrt.h between its markers, as one string literal
 * (made by the Makefile). */
static const char qrt_text[] =
#include "formats/qrt_text.h"
    ;

/* The float runtime, the steps of dn_predict in plain C: (x − mean) /
 * std as descent computes it (times 1/std), z = a Wᵀ + b summed in the
 * order of descent's matrix products (gemm.c: blocks of KC = 256, fused
 * multiply-adds), the activations by descent's formulas (activation.c),
 * softmax shifted by its maximum with its sum in double, then the
 * target's scaling.  Float sums in another order differ from descent's
 * by up to 2e-6 on Fashion-MNIST's 784 inputs; in this order they agree
 * to the bit with descent's AVX2 kernels, and within 1e-6 of its AVX-512
 * ones (whose narrow layers sum across vector lanes). */
static const char float_text[] =
"/* Activations, numbered as in descent.h's dn_act. */\n"
"enum { DNQ_IDENTITY = 0, DNQ_SIGMOID, DNQ_TANH, DNQ_RELU, DNQ_LEAKY_RELU,\n"
"       DNQ_PRELU, DNQ_SOFTMAX };\n"
"\n"
"typedef struct {\n"
"    int32_t act, n_in, n_out;\n"
"    const float *W;      /* n_out x n_in, row-major */\n"
"    const float *b;      /* n_out */\n"
"    const float *slope;  /* prelu: n_out slopes, else 0 */\n"
"    float alpha;         /* leaky_relu's slope */\n"
"} dnq_layer;\n"
"\n"
"typedef struct {\n"
"    int32_t n_in, n_layers;\n"
"    int32_t task;                   /* 0 regression, 1 binary, 2 multiclass */\n"
"    const float *mean, *inv_std;    /* input standardization, or 0 */\n"
"    const float *t_mean, *t_std;    /* regression target's, or 0 */\n"
"    const dnq_layer *layer;\n"
"} dnq_net;\n"
"\n"
"/* Four units' sums over n inputs (W rows ld apart), into z[0..3], added\n"
" * to what z holds when add: each in the order of a plain loop. */\n"
"static void dnq_dot4(const float *a, const float *w, int32_t n, int32_t ld,\n"
"                     float *z, int add)\n"
"{\n"
"    const float *w1 = w + ld, *w2 = w1 + ld, *w3 = w2 + ld;\n"
"    float t0 = 0.0f, t1 = 0.0f, t2 = 0.0f, t3 = 0.0f;\n"
"    for (int32_t i = 0; i < n; i++) {\n"
"        const float x = a[i];\n"
"        t0 = fmaf(x, w[i], t0);\n"
"        t1 = fmaf(x, w1[i], t1);\n"
"        t2 = fmaf(x, w2[i], t2);\n"
"        t3 = fmaf(x, w3[i], t3);\n"
"    }\n"
"    z[0] = add ? z[0] + t0 : t0;\n"
"    z[1] = add ? z[1] + t1 : t1;\n"
"    z[2] = add ? z[2] + t2 : t2;\n"
"    z[3] = add ? z[3] + t3 : t3;\n"
"}\n"
"\n"
"/* One row: a0 and a1 hold the activations (a0: the standardized input\n"
" * and the odd hidden layers, a1 the even ones); the last layer writes\n"
" * out.  Returns the arg-max class (binary: out >= 0.5; regression: 0). */\n"
"static int dnq_run(const dnq_net *net, const float *x, float *out,\n"
"                   float *a0, float *a1)\n"
"{\n"
"    for (int32_t i = 0; i < net->n_in; i++)\n"
"        a0[i] = net->mean ? (x[i] - net->mean[i]) * net->inv_std[i] : x[i];\n"
"    const float *a = a0;\n"
"    float *next = a1;\n"
"    const dnq_layer *L = net->layer;\n"
"    for (int32_t l = 0; l < net->n_layers; l++, L++) {\n"
"        float *z = l + 1 == net->n_layers ? out : next;\n"
"        /* descent's order: blocks of 256 inputs, each summed from 0 by\n"
"         * fused multiply-adds, the blocks then added in turn; four units\n"
"         * at once, so that four sums (not one) are in flight */\n"
"        for (int32_t i0 = 0; i0 < L->n_in; i0 += 256) {\n"
"            const int32_t n = L->n_in - i0 < 256 ? L->n_in - i0 : 256;\n"
"            int32_t j = 0;\n"
"            for (; j + 4 <= L->n_out; j += 4)\n"
"                dnq_dot4(a + i0, L->W + (int64_t)j * L->n_in + i0, n, L->n_in,\n"
"                         z + j, i0 > 0);\n"
"            for (; j < L->n_out; j++) {\n"
"                const float *w = L->W + (int64_t)j * L->n_in + i0;\n"
"                float t = 0.0f;\n"
"                for (int32_t i = 0; i < n; i++) t = fmaf(a[i0 + i], w[i], t);\n"
"                z[j] = i0 ? z[j] + t : t;\n"
"            }\n"
"        }\n"
"        for (int32_t j = 0; j < L->n_out; j++) {\n"
"            float s = z[j] + L->b[j], e;\n"
"            switch (L->act) {\n"
"            case DNQ_SIGMOID:     /* never e^-z for large -z */\n"
"                if (s >= 0) { s = 1.0f / (1.0f + expf(-s)); break; }\n"
"                e = expf(s);\n"
"                s = e / (1.0f + e);\n"
"                break;\n"
"            case DNQ_TANH:       s = tanhf(s); break;\n"
"            case DNQ_RELU:       s = s > 0 ? s : 0.0f; break;\n"
"            case DNQ_LEAKY_RELU: s = s > 0 ? s : L->alpha * s; break;\n"
"            case DNQ_PRELU:      s = s > 0 ? s : L->slope[j] * s; break;\n"
"            default:             break;   /* identity; softmax below */\n"
"            }\n"
"            z[j] = s;\n"
"        }\n"
"        if (L->act == DNQ_SOFTMAX) {   /* e^(z - max): the largest is 1;\n"
"                                          the sum in double, as descent */\n"
"            float mx = z[0];\n"
"            double sum = 0.0;\n"
"            for (int32_t j = 1; j < L->n_out; j++) if (z[j] > mx) mx = z[j];\n"
"            for (int32_t j = 0; j < L->n_out; j++) {\n"
"                z[j] = expf(z[j] - mx);\n"
"                sum += z[j];\n"
"            }\n"
"            for (int32_t j = 0; j < L->n_out; j++) z[j] *= (float)(1.0 / sum);\n"
"        }\n"
"        a = z;\n"
"        next = a == a0 ? a1 : a0;\n"
"    }\n"
"    const int32_t K = net->layer[net->n_layers - 1].n_out;\n"
"    for (int32_t k = 0; net->t_mean && k < K; k++)\n"
"        out[k] = net->t_mean[k] + net->t_std[k] * out[k];\n"
"    int best = 0;\n"
"    if (net->task == 1) return out[0] >= 0.5f;\n"
"    for (int32_t k = 1; net->task == 2 && k < K; k++)\n"
"        if (out[k] > out[best]) best = (int)k;\n"
"    return best;\n"
"}\n";

/* Code and stack of the runtimes, measured with arm-none-eabi-gcc 12
 * -Os -mcpu=cortex-m4 -mfloat-abi=hard (tests/deploy.sh checks them
 * against the real figures of every model it builds): the runtime and
 * the entry points (float: not newlib's expf, tanhf and fmaf, which a
 * firmware links once), and the stack beyond the scratch buffers. */
#define CODE_FLOAT  850
#define CODE_INT8   1300
#define STACK_FLOAT 96
#define STACK_INT8  152

/* Descriptor sizes on a 32-bit target: int32s and pointers. */
#define DESC_FLOAT_LAYER (4 * 3 + 4 * 3 + 4)
#define DESC_FLOAT_NET   (4 * 3 + 4 * 5)
#define DESC_INT8_LAYER  (4 * 3 + 4 * 11 + 4)
#define DESC_INT8_NET    (4 * 3 + 4 * 3 + 4 + 64)   /* + e^x's table */

typedef struct {
    dn_jbuf b;
    const char *p;        /* the prefix */
    size_t bytes;         /* static const arrays so far */
} out_t;

static void put(out_t *o, const char *s) { dn_jb_puts(&o->b, s); }

#define putf(o, ...) dn_jb_printf(&(o)->b, __VA_ARGS__)

/* The prefix in capitals, for macros (up: 64 bytes; names are ≤ 60). */
static const char *upper(const out_t *o, char *up)
{
    size_t i = 0;
    for (; o->p[i]; i++)
        up[i] = o->p[i] >= 'a' && o->p[i] <= 'z' ? (char)(o->p[i] - 32) : o->p[i];
    up[i] = 0;
    return up;
}

/* A runtime's text with dnq_ and DNQ_ renamed to the prefix. */
static void put_runtime(out_t *o, const char *text)
{
    char up[64];
    upper(o, up);
    for (const char *s = text; *s; ) {
        const char *lo = strstr(s, "dnq_"), *hi = strstr(s, "DNQ_");
        const char *at = !lo ? hi : !hi ? lo : lo < hi ? lo : hi;
        if (!at) { put(o, s); break; }
        dn_jb_raw(&o->b, s, (size_t)(at - s));
        put(o, *at == 'd' ? o->p : up);
        put(o, "_");
        s = at + 4;
    }
}

/* Bytes from the model (names, categories) inside a comment: printable
 * ASCII and valid UTF-8 as they are, anything else as '?', and no
 * sequence that could end the comment or splice lines. */
static void put_comment_text(out_t *o, const char *s)
{
    int utf8 = dn_utf8_valid(s, strlen(s));
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char ch = c < 0x20 || c == 0x7f || c == '\\' || (c >= 0x80 && !utf8)
                ? '?' : (char)c;
        if (ch == '*' && s[1] == '/') ch = '+';
        dn_jb_raw(&o->b, &ch, 1);
    }
}

/* A C string literal: escapes for quotes, backslashes, question marks
 * (no trigraphs) and every byte outside printable ASCII, in octal. */
static void put_c_string(out_t *o, const char *s)
{
    put(o, "\"");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\' || c == '?') {
            char t[3] = { '\\', (char)c, 0 };
            put(o, t);
        } else if (c < 0x20 || c >= 0x7f) {
            putf(o, "\\%03o", c);
        } else {
            dn_jb_raw(&o->b, (const char *)&c, 1);
        }
    }
    put(o, "\"");
}

/* ---- arrays ---- */

typedef enum { T_F32, T_I8, T_I32, T_I64 } elem_t;

static void put_array(out_t *o, elem_t t, const char *name, const void *v,
                      size_t n)
{
    static const char *ctype[] = { "float", "int8_t", "int32_t", "int64_t" };
    static const size_t size[] = { 4, 1, 4, 8 };
    const int per_line = t == T_F32 ? 6 : t == T_I8 ? 16 : 6;
    putf(o, "static const %s %s_%s[%zu] = {", ctype[t], o->p, name, n);
    for (size_t i = 0; i < n; i++) {
        put(o, i % per_line ? " " : "\n    ");
        char num[40];
        if (t == T_F32) {
            float f = ((const float *)v)[i];
            dn_snprintf(num, sizeof num, "%.9g", f);
            if (!strpbrk(num, ".e")) strcat(num, ".0");
            strcat(num, "f");
        } else if (t == T_I8) {
            dn_snprintf(num, sizeof num, "%d", ((const int8_t *)v)[i]);
        } else if (t == T_I32) {
            dn_snprintf(num, sizeof num, "%ld", (long)((const int32_t *)v)[i]);
        } else {
            dn_snprintf(num, sizeof num, "%lldLL",
                        (long long)((const int64_t *)v)[i]);
        }
        put(o, num);
        if (i + 1 < n) put(o, ",");
    }
    put(o, "\n};\n");
    o->bytes += n * size[t];
}

/* Layer l's array of a field: "W0", "m_pos2", "pow2_1" (a '_' before
 * the layer when the field ends in a digit). */
static void array_name(char *buf, size_t n, const char *field, int l)
{
    size_t k = strlen(field);
    snprintf(buf, n, "%s%s%d", field,
             k && field[k - 1] >= '0' && field[k - 1] <= '9' ? "_" : "", l);
}

/* A descriptor field: the array's name, or 0 when there is none. */
static void put_ref(out_t *o, const void *v, const char *name, int l)
{
    char nm[32];
    array_name(nm, sizeof nm, name, l);
    if (v) putf(o, "%s_%s, ", o->p, nm);
    else put(o, "0, ");
}

/* ---- the comment block ---- */

static const char *act_of(const dn_layer *L) { return dn_act_name(L->act); }

static void put_network(out_t *o, const dn_model *m)
{
    const dn_arch *A = &m->arch;
    putf(o, " * Network: %d inputs", A->n_in);
    for (int l = 0; l < A->n_layers; l++)
        putf(o, " -> %d %s", A->layer[l].units, act_of(&A->layer[l]));
    putf(o, " (loss %s), %zu parameters.\n", dn_loss_name(A->loss), m->n_params);
}

static void put_inputs(out_t *o, const dn_model *m)
{
    const dn_schema *s = m->schema;
    const int n = m->arch.n_in;
    putf(o, " * Inputs: x[0..%d], %d floats, raw values%s", n - 1, n,
         m->mean ? " (standardized inside)" : "");
    if (s && s->img_rows > 0) {
        putf(o, ":\n *   the pixels of %d x %d images, row by row, each "
             "byte / 255 (in [0, 1]).\n", s->img_rows, s->img_cols);
        return;
    }
    if (!s || s->n_cols == 0) {
        put(o, ": the encoded inputs the model was\n *   trained on "
            "(it holds no column names).\n");
        return;
    }
    put(o, ", in this order:\n");
    int at = 0;
    for (int c = 0; c < s->n_cols; c++) {
        const dn_column *col = &s->col[c];
        const char *name = col->name ? col->name : "(unnamed)";
        if (col->n_cats == 0) {
            putf(o, " *   x[%d]  ", at++);
            put_comment_text(o, name);
            put(o, "\n");
        }
        for (int k = 0; k < col->n_cats; k++) {
            putf(o, " *   x[%d]  ", at++);
            put_comment_text(o, name);
            put(o, " = ");
            put_comment_text(o, col->cats[k]);
            put(o, "  (1 when the column has this value, else 0)\n");
        }
        /* Missing values (dn_column's recipe): the caller puts in the
         * training rows' median and sets the indicator; the generated
         * code does not test for NaN. */
        if (col->indicator) {
            putf(o, " *   x[%d]  ", at++);
            put_comment_text(o, name);
            put(o, " was missing: 1 when it was");
            if (col->n_cats == 0 && col->has_fill)
                putf(o, " (then give the column %.9g, its training median)",
                     col->fill);
            put(o, ", else 0\n");
        }
    }
}

static void put_outputs(out_t *o, const dn_model *m)
{
    const dn_schema *s = m->schema;
    const dn_arch *A = &m->arch;
    const int K = dn_model_n_out(m);
    const int named = s && s->n_classes > 0 && s->classes;
    if (A->loss == DN_LOSS_CE) {
        putf(o, " * Outputs: out[0..%d], the probability of each class "
             "(they sum to 1):\n", K - 1);
        for (int k = 0; k < K; k++) {
            putf(o, " *   out[%d]  ", k);
            if (named && s->classes[k]) put_comment_text(o, s->classes[k]);
            else putf(o, "class %d", k);
            put(o, "\n");
        }
        put(o, " * Returns: the class with the largest probability.\n");
    } else if (A->loss == DN_LOSS_BCE) {
        put(o, " * Output: out[0], the probability of class 1");
        if (named && s->n_classes == 2 && s->classes[1]) {
            put(o, " (");
            put_comment_text(o, s->classes[1]);
            put(o, "; class 0 is ");
            put_comment_text(o, s->classes[0] ? s->classes[0] : "?");
            put(o, ")");
        }
        put(o, ".\n * Returns: 1 when out[0] >= 0.5, else 0.\n");
    } else {
        if (K > 1) putf(o, " * Outputs: out[0..%d], the predicted ", K - 1);
        else put(o, " * Output: out[0], the predicted ");
        if (s && s->target) {
            put(o, "'");
            put_comment_text(o, s->target);
            put(o, "'");
        } else {
            put(o, K > 1 ? "values" : "value");
        }
        put(o, " in the target's own units.\n * Returns: 0.\n");
    }
}

static void put_comment(out_t *o, const dn_model *m, const dn_c_opts *c,
                        const dn_c_sizes *z)
{
    const dn_qmodel *q = c->q;
    putf(o, "/* %s — a model trained by descent " DN_VERSION ", as C99 (and "
         "C++) source.\n", o->p);
    if (c->command) {
        put(o, " * Made by: ");
        put_comment_text(o, c->command);
        put(o, "\n");
    }
    put(o, " *\n");
    put_network(o, m);
    if (!q) {
        put(o, " * Arithmetic: float32, as descent's own predict (each "
            "output within 1e-6).\n");
    } else {
        putf(o, " * Arithmetic: int8 weights (one scale per unit) and "
             "activations (scales from\n *   %d calibration rows, %s), int32 "
             "sums, fixed-point requantization;\n *   no float in the loops, "
             "the same bits on any IEEE-754 machine.\n", q->calib_rows,
             q->percentile > 0 ? "percentile range" : "min/max");
        if (q->percentile > 0)
            putf(o, " *   Ranges: the %g-th percentile.\n", q->percentile);
    }
    put(o, " *\n");
    put_inputs(o, m);
    put_outputs(o, m);
    putf(o, " *\n * Memory (computed by the exporter):\n"
         " *   flash: %zu bytes of static const data (%zu of arrays, %zu of "
         "layer\n *          descriptors and names on a 32-bit target) + "
         "about %zu bytes of code\n *          (Cortex-M4, -Os%s)\n"
         " *   RAM:   %zu bytes of scratch on the stack, about %zu bytes of "
         "stack in all;\n *          no heap, no writable globals\n",
         z->weight_bytes + z->table_bytes, z->weight_bytes, z->table_bytes,
         z->code_bytes, q ? "" : "; and libm's expf, tanhf, fmaf",
         z->scratch_bytes, z->stack_bytes);
    putf(o, " *\n * Use: #include this file in one .c (or .cpp) file; "
         "other files declare\n *   int %s_predict(const float *x, float "
         "*out);\n", o->p);
    putf(o, " * Build: any C99 or C++11 compiler%s.  Do not use -ffast-math"
         "%s.\n */\n", q ? "" : " (link -lm)",
         q ? ", which would change the\n *   bits of the input's rounding"
           : "");
}

/* ---- the model's data ---- */

static void put_float_model(out_t *o, const dn_model *m)
{
    const dn_arch *A = &m->arch;
    char nm[32];
    if (m->mean) {
        put_array(o, T_F32, "mean", m->mean, (size_t)A->n_in);
        put_array(o, T_F32, "inv_std", m->inv_std, (size_t)A->n_in);
    }
    if (m->t_mean) {
        put_array(o, T_F32, "t_mean", m->t_mean, (size_t)dn_model_n_out(m));
        put_array(o, T_F32, "t_std", m->t_std, (size_t)dn_model_n_out(m));
    }
    int in = A->n_in;
    for (int l = 0; l < A->n_layers; l++) {
        const size_t out = (size_t)A->layer[l].units;
        snprintf(nm, sizeof nm, "W%d", l);
        put_array(o, T_F32, nm, m->theta + m->off_W[l], out * in);
        snprintf(nm, sizeof nm, "b%d", l);
        put_array(o, T_F32, nm, m->theta + m->off_b[l], out);
        if (m->off_slope[l] >= 0) {
            snprintf(nm, sizeof nm, "slope%d", l);
            put_array(o, T_F32, nm, m->theta + m->off_slope[l], out);
        }
        in = (int)out;
    }
    putf(o, "\nstatic const %s_layer %s_layers[%d] = {\n", o->p, o->p,
         A->n_layers);
    in = A->n_in;
    for (int l = 0; l < A->n_layers; l++) {
        const dn_layer *L = &A->layer[l];
        char alpha[32];
        dn_snprintf(alpha, sizeof alpha, "%.9g", L->alpha);
        if (!strpbrk(alpha, ".e")) strcat(alpha, ".0");
        putf(o, "    { %d, %d, %d, %s_W%d, %s_b%d, ", (int)L->act, in,
             L->units, o->p, l, o->p, l);
        put_ref(o, m->off_slope[l] >= 0 ? "" : NULL, "slope", l);
        putf(o, "%sf },  /* %s */\n", alpha, act_of(L));
        in = L->units;
    }
    put(o, "};\n\n");
    putf(o, "static const %s_net %s_network = { %d, %d, %d, ", o->p, o->p,
         A->n_in, A->n_layers,
         A->loss == DN_LOSS_CE ? 2 : A->loss == DN_LOSS_BCE);
    if (m->mean) putf(o, "%s_mean, %s_inv_std, ", o->p, o->p);
    else put(o, "0, 0, ");
    if (m->t_mean) putf(o, "%s_t_mean, %s_t_std, ", o->p, o->p);
    else put(o, "0, 0, ");
    putf(o, "%s_layers };\n", o->p);
}

static void put_int8_model(out_t *o, const dn_qmodel *q)
{
    const dnq_net *N = &q->net;
    char nm[32];
    if (N->mean) put_array(o, T_F32, "mean", N->mean, (size_t)N->n_in);
    put_array(o, T_F32, "k", N->k, (size_t)N->n_in);
    put_array(o, T_I8, "zp_in", N->zp_in, (size_t)N->n_in);
    for (int l = 0; l < N->n_layers; l++) {
        const dnq_layer *L = &N->layer[l];
        const size_t n = (size_t)L->n_out;
#define ARR(t, field, len) do { if (L->field) {                 \
            array_name(nm, sizeof nm, #field, l);              \
            put_array(o, t, nm, L->field, len); } } while (0)
        ARR(T_I8, W, n * L->n_in);
        ARR(T_I32, b, n);
        ARR(T_I32, m_pos, n);
        ARR(T_I8, e_pos, n);
        ARR(T_I32, m_neg, n);
        ARR(T_I8, e_neg, n);
        ARR(T_I8, lut, 256);
        ARR(T_I64, p_pos, n);
        ARR(T_I64, p_neg, n);
        ARR(T_I64, c, n);
        ARR(T_F32, pow2, n);
#undef ARR
    }
    putf(o, "\nstatic const %s_layer %s_layers[%d] = {\n", o->p, o->p,
         N->n_layers);
    for (int l = 0; l < N->n_layers; l++) {
        const dnq_layer *L = &N->layer[l];
        putf(o, "    { %d, %d, %d, ", (int)L->kind, (int)L->n_in,
             (int)L->n_out);
        put_ref(o, L->W, "W", l);
        put_ref(o, L->b, "b", l);
        put_ref(o, L->m_pos, "m_pos", l);
        put_ref(o, L->e_pos, "e_pos", l);
        put_ref(o, L->m_neg, "m_neg", l);
        put_ref(o, L->e_neg, "e_neg", l);
        putf(o, "%d, ", (int)L->zp);
        put_ref(o, L->lut, "lut", l);
        put_ref(o, L->p_pos, "p_pos", l);
        put_ref(o, L->p_neg, "p_neg", l);
        put_ref(o, L->c, "c", l);
        if (L->pow2) putf(o, "%s_pow2_%d }", o->p, l);
        else put(o, "0 }");
        putf(o, "%s  /* %s */\n", l + 1 < N->n_layers ? "," : "",
             act_of(&q->m->arch.layer[l]));
    }
    put(o, "};\n\n");
    putf(o, "static const %s_net %s_network = { %d, %d, %d, ", o->p, o->p,
         (int)N->n_in, (int)N->n_layers, (int)N->task);
    if (N->mean) putf(o, "%s_mean, ", o->p);
    else put(o, "0, ");
    putf(o, "%s_k, %s_zp_in, %s_layers };\n", o->p, o->p, o->p);
}

/* ---- sizes and the whole file ---- */

static void sizes_of(const dn_model *m, const dn_qmodel *q, dn_c_sizes *z)
{
    const dn_arch *A = &m->arch;
    memset(z, 0, sizeof *z);
    int w0, w1;
    dn_scratch_widths(A, &w0, &w1);
    const size_t n0 = (size_t)w0, n1 = (size_t)w1;
    /* class names: a pointer and the string each */
    const dn_schema *s = m->schema;
    size_t names = 0;
    for (int k = 0; s && s->classes && m->arch.loss != DN_LOSS_MSE &&
                    k < s->n_classes; k++)
        names += 4 + (s->classes[k] ? strlen(s->classes[k]) : 0) + 1;
    if (q) {
        z->scratch_bytes = n0 + n1 + 4 * (size_t)dn_model_n_out(m);
        z->table_bytes = DESC_INT8_NET + DESC_INT8_LAYER * (size_t)A->n_layers;
        z->code_bytes = CODE_INT8;
        z->stack_bytes = z->scratch_bytes + STACK_INT8;
    } else {
        z->scratch_bytes = 4 * (n0 + n1);
        z->table_bytes = DESC_FLOAT_NET + DESC_FLOAT_LAYER * (size_t)A->n_layers;
        z->code_bytes = CODE_FLOAT;
        z->stack_bytes = z->scratch_bytes + STACK_FLOAT;
    }
    z->table_bytes += names;
}

static void put_file(out_t *o, const dn_model *m, const dn_c_opts *c,
                     dn_c_sizes *z)
{
    const dn_qmodel *q = c->q;
    const dn_schema *s = m->schema;
    const int K = dn_model_n_out(m);
    char up[64];
    upper(o, up);
    put_comment(o, m, c, z);
    putf(o, "#ifndef %s_H\n#define %s_H\n\n#include <stdint.h>\n", up, up);
    if (!q) put(o, "#include <math.h>\n");
    putf(o, "\n#define %s_N_INPUTS %d\n#define %s_N_OUTPUTS %d\n\n", up,
         m->arch.n_in, up, K);
    putf(o, "#ifdef __cplusplus\nextern \"C\" {\n#endif\n"
         "int %s_predict(const float *x, float *out);\n"
         "const char *%s_class_name(int k);\n"
         "#ifdef __cplusplus\n}\n#endif\n\n", o->p, o->p);
    put(o, "/* ---- the runtime (the same for every model) ---- */\n\n");
    put_runtime(o, q ? qrt_text : float_text);
    put(o, "\n/* ---- the model ---- */\n\n");
    if (q) put_int8_model(o, q);
    else put_float_model(o, m);
    int n0, n1;
    dn_scratch_widths(&m->arch, &n0, &n1);
    putf(o, "\nint %s_predict(const float *x, float *out)\n{\n", o->p);
    if (q)
        putf(o, "    int8_t q0[%d], q1[%d];\n    int32_t v[%d];\n"
             "    return %s_run(&%s_network, x, out, q0, q1, v);\n}\n",
             n0, n1, K, o->p, o->p);
    else
        putf(o, "    float a0[%d], a1[%d];\n"
             "    return %s_run(&%s_network, x, out, a0, a1);\n}\n",
             n0, n1, o->p, o->p);
    putf(o, "\nconst char *%s_class_name(int k)\n{\n", o->p);
    if (s && s->n_classes > 0 && s->classes && m->arch.loss != DN_LOSS_MSE) {
        putf(o, "    static const char *const names[%d] = {", s->n_classes);
        for (int k = 0; k < s->n_classes; k++) {
            put(o, k % 4 ? " " : "\n        ");
            put_c_string(o, s->classes[k] ? s->classes[k] : "");
            if (k + 1 < s->n_classes) put(o, ",");
        }
        putf(o, "\n    };\n    return k >= 0 && k < %d ? names[k] : 0;\n}\n",
             s->n_classes);
    } else {
        put(o, "    (void)k;\n    return 0;\n}\n");
    }
    putf(o, "\n#endif /* %s_H */\n", up);
    z->weight_bytes = o->bytes;
}

static int write_text(FILE *f, void *arg)
{
    const dn_jbuf *b = arg;
    return fwrite(b->p, 1, b->len, f) != b->len;
}

static int identifier(const char *s)
{
    if (!s || !*s || strlen(s) > 60 || (*s >= '0' && *s <= '9')) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    return 1;
}

dn_status dn_model_export_c(const dn_model *m, const dn_c_opts *c,
                            const char *path, dn_c_sizes *sizes,
                            dn_error *err)
{
    DN_NEED(m);
    DN_NEED(path);
    dn_c_opts dflt = { 0 };
    if (!c) c = &dflt;
    const char *name = c->name ? c->name : "descent_model";
    if (!identifier(name)) {
        char shown[DN_SHOW_BUF];
        return dn_fail(err, DN_EARG, "the name '%s' cannot prefix C names: "
                       "use letters, digits and '_' (not first a digit), at "
                       "most 60, e.g. 'digits_model'", dn_show(name, shown));
    }
    if (c->q && c->q->m != m)
        return dn_fail(err, DN_EARG, "dn_model_export_c: the int8 model was "
                       "quantized from another model");
    if (!dn_all_finite(m->theta, m->n_params))
        return dn_fail(err, DN_EARG, "cannot export '%s': the model has "
                       "non-finite parameters, which C cannot write as "
                       "constants", path);
    out_t o;
    memset(&o, 0, sizeof o);
    o.p = name;
    dn_c_sizes z;
    sizes_of(m, c->q, &z);
    /* The arrays' bytes go in the comment before the arrays are written:
     * count them with a first pass into a buffer that is then dropped. */
    put_file(&o, m, c, &z);
    z.weight_bytes = o.bytes;
    dn_jb_free(&o.b);
    memset(&o, 0, sizeof o);
    o.p = name;
    put_file(&o, m, c, &z);
    dn_status st = DN_OK;
    if (o.b.failed)
        st = dn_fail(err, DN_ENOMEM, "out of memory writing '%s'", path);
    else
        st = dn_atomic_write(path, "C source", write_text, &o.b, err);
    dn_jb_free(&o.b);
    if (!st && sizes) *sizes = z;
    return st;
}
