/* onnx.c — a trained model as an ONNX file, for deployment runtimes
 * (onnxruntime, TensorRT, OpenVINO, ...).  See docs/export.md.
 *
 * The file is one protobuf ModelProto (onnx.proto), IR version 7 with
 * the default-domain operator set 13.  Why 13 and not the newest: every
 * operator used here has had its present float32 semantics since opset
 * 13 (later versions only add element types, e.g. bfloat16 for Relu 14
 * and PRelu 16), and an older opset is accepted by more runtimes
 * (onnxruntime since 1.6, 2020).
 *
 * The graph is the model's forward pass, one node per step, with values
 * named like the notes:
 *
 *   input [N, n_in]
 *   IsNaN(input) -> Where(., input_fill, input)   only with a schema that
 *                     says how missing values are filled (dn_column): a
 *                     missing value is NaN in every input of its column,
 *                     and input_fill holds, per input, what descent
 *                     encodes for it (the median, 1 for an indicator, 0
 *                     for a one-hot position)
 *   Sub(., input_mean) -> Div(., input_std)       only with input scaling
 *   Gemm(a, "2l.weight", "2l.bias", transB=1) -> z_l    per dense layer
 *   Relu | LeakyRelu(alpha) | PRelu("2l+1.weight") | Sigmoid | Tanh |
 *   Softmax(axis=1) -> a_l                 (identity: no node, a_l = z_l)
 *   Mul(., target_std) -> Add(., target_mean)      only with target scaling
 *   -> output [N, n_out]
 *
 * Gemm with transB=1 takes W in the [out, in] layout descent keeps, so
 * the initializers are the model's tensors unchanged, under their
 * safetensors (PyTorch state dict) names.  The standardization stays two
 * nodes rather than being folded into the first layer's W and b: the
 * exported weights then equal the saved ones bit for bit, a reader sees
 * the same steps as docs/model-format.md, and folding would divide W by
 * std, amplifying rounding for inputs with a tiny spread.  Two
 * element-wise nodes cost nothing next to the first Gemm.  (descent
 * itself multiplies by 1/std; Div differs from that by at most an ulp.)
 *
 * The whole file is built in memory, then written atomically (atomic.c).
 * Protobuf cannot encode a message over 2 GiB, which bounds the models
 * this can export (about 500 million parameters).
 */
#include "nn/nn.h"
#include "formats/json.h"
#include "formats/protobuf.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IR_VERSION 7
#define OPSET      13
#define MAX_PROTO  2147483647UL  /* protobuf's limit on a message's size */

/* Field numbers and enum values from onnx.proto. */
enum {
    MODEL_IR_VERSION = 1, MODEL_PRODUCER_NAME = 2, MODEL_PRODUCER_VERSION = 3,
    MODEL_DOC_STRING = 6, MODEL_GRAPH = 7, MODEL_OPSET_IMPORT = 8,
    MODEL_METADATA_PROPS = 14,
    OPSET_DOMAIN = 1, OPSET_VERSION = 2,
    ENTRY_KEY = 1, ENTRY_VALUE = 2,
    GRAPH_NODE = 1, GRAPH_NAME = 2, GRAPH_INITIALIZER = 5, GRAPH_INPUT = 11,
    GRAPH_OUTPUT = 12,
    NODE_INPUT = 1, NODE_OUTPUT = 2, NODE_NAME = 3, NODE_OP_TYPE = 4,
    NODE_ATTRIBUTE = 5,
    ATTR_NAME = 1, ATTR_F = 2, ATTR_I = 3, ATTR_TYPE = 20,
    ATTR_TYPE_FLOAT = 1, ATTR_TYPE_INT = 2,
    TENSOR_DIMS = 1, TENSOR_DATA_TYPE = 2, TENSOR_FLOAT_DATA = 4,
    TENSOR_NAME = 8,
    DTYPE_FLOAT = 1,
    VALUE_NAME = 1, VALUE_TYPE = 2,
    TYPE_TENSOR = 1, TENSOR_TYPE_ELEM = 1, TENSOR_TYPE_SHAPE = 2,
    SHAPE_DIM = 1, DIM_VALUE = 1, DIM_PARAM = 2
};

/* ---- the graph's nodes, planned before anything is written ---- */

#define NAME 48  /* "dense_64_leaky_relu", "127.weight": short */

typedef struct {
    const char *op;
    char  name[NAME];
    char  in[3][NAME];
    int   n_in;
    char  out[NAME];
    const char *attr;   /* its one attribute's name, or NULL */
    int   attr_is_float;
    long  attr_i;
    float attr_f;
} node;

/* Room for the missing values, the standardization, two nodes per layer
 * and the target scaling. */
#define MAX_NODES (2 * DN_MAX_LAYERS + 6)

/* 1 if the schema says how missing values are encoded: the graph then
 * fills NaN inputs. */
static int fills(const dn_model *m)
{
    const dn_schema *s = m->schema;
    for (int j = 0; s && j < s->n_cols; j++)
        if (s->col[j].has_fill || s->col[j].indicator) return 1;
    return 0;
}

/* What a missing value's inputs are, input by input (see dn_column):
 * the fill value (NaN when there is none), 1 for an indicator, 0 for a
 * one-hot position.  NULL if out of memory. */
static float *fill_vector(const dn_model *m)
{
    const dn_schema *s = m->schema;
    float *v = calloc((size_t)m->arch.n_in + 1, sizeof *v), *x = v;
    for (int j = 0; v && j < s->n_cols; j++) {
        const dn_column *c = &s->col[j];
        if (!c->n_cats) *x = c->has_fill ? c->fill : NAN;
        x += c->n_cats ? c->n_cats : 1;
        if (c->indicator) *x++ = 1;
    }
    return v;
}

static node *add(node *nd, int *n, const char *op, const char *name,
                 const char *in0, const char *in1, const char *in2)
{
    node *d = &nd[(*n)++];
    memset(d, 0, sizeof *d);
    d->op = op;
    snprintf(d->name, NAME, "%s", name);
    const char *in[3] = { in0, in1, in2 };
    for (int i = 0; i < 3 && in[i]; i++)
        snprintf(d->in[d->n_in++], NAME, "%s", in[i]);
    return d;
}

static const char *act_op(dn_act a)
{
    switch (a) {
    case DN_ACT_SIGMOID:    return "Sigmoid";
    case DN_ACT_TANH:       return "Tanh";
    case DN_ACT_RELU:       return "Relu";
    case DN_ACT_LEAKY_RELU: return "LeakyRelu";
    case DN_ACT_PRELU:      return "PRelu";
    case DN_ACT_SOFTMAX:    return "Softmax";
    default:                return NULL;  /* identity: no node */
    }
}

/* The forward pass as nodes; returns their number.  The last node's
 * output is renamed "output", which is why identity layers, having no
 * node, need no special case at the end. */
static int plan(const dn_model *m, node *nd)
{
    int n = 0;
    char a[NAME] = "input", name[NAME], w[NAME], b[NAME];
    if (fills(m)) {
        add(nd, &n, "IsNaN", "missing", "input", NULL, NULL);
        snprintf(nd[n - 1].out, NAME, "input_missing");
        add(nd, &n, "Where", "fill_missing", "input_missing", "input_fill",
            "input");
        snprintf(nd[n - 1].out, NAME, "input_filled");
        snprintf(a, NAME, "input_filled");
    }
    if (m->mean) {
        add(nd, &n, "Sub", "standardize_sub", a, "input_mean", NULL);
        snprintf(nd[n - 1].out, NAME, "input_centered");
        add(nd, &n, "Div", "standardize_div", "input_centered", "input_std",
            NULL);
        snprintf(nd[n - 1].out, NAME, "input_standardized");
        snprintf(a, NAME, "input_standardized");
    }
    for (int l = 0; l < m->arch.n_layers; l++) {
        const dn_layer *L = &m->arch.layer[l];
        snprintf(name, NAME, "dense_%d", l + 1);
        snprintf(w, NAME, "%d.weight", 2 * l);
        snprintf(b, NAME, "%d.bias", 2 * l);
        node *g = add(nd, &n, "Gemm", name, a, w, b);
        g->attr = "transB";      /* A W^T + b: W stays [out, in] */
        g->attr_i = 1;
        snprintf(g->out, NAME, "z%d", l + 1);
        snprintf(a, NAME, "z%d", l + 1);
        const char *op = act_op(L->act);
        if (!op) continue;
        snprintf(name, NAME, "dense_%d_%s", l + 1, dn_act_name(L->act));
        snprintf(w, NAME, "%d.weight", 2 * l + 1);
        node *f = add(nd, &n, op, name, a,
                      L->act == DN_ACT_PRELU ? w : NULL, NULL);
        if (L->act == DN_ACT_LEAKY_RELU) {
            f->attr = "alpha";
            f->attr_is_float = 1;
            f->attr_f = L->alpha != 0 ? L->alpha : 0.01f;
        } else if (L->act == DN_ACT_SOFTMAX) {
            f->attr = "axis";    /* over the units of each row */
            f->attr_i = 1;
        }
        snprintf(f->out, NAME, "a%d", l + 1);
        snprintf(a, NAME, "a%d", l + 1);
    }
    if (m->t_mean) {
        add(nd, &n, "Mul", "unstandardize_mul", a, "target_std", NULL);
        snprintf(nd[n - 1].out, NAME, "output_scaled");
        add(nd, &n, "Add", "unstandardize_add", "output_scaled",
            "target_mean", NULL);
    }
    snprintf(nd[n - 1].out, NAME, "output");
    return n;
}

/* ---- protobuf messages of onnx.proto ---- */

static void put_node(dn_pb *p, const node *d)
{
    size_t s = dn_pb_begin(p, GRAPH_NODE);
    for (int i = 0; i < d->n_in; i++) dn_pb_string(p, NODE_INPUT, d->in[i]);
    dn_pb_string(p, NODE_OUTPUT, d->out);
    dn_pb_string(p, NODE_NAME, d->name);
    dn_pb_string(p, NODE_OP_TYPE, d->op);
    if (d->attr) {
        size_t a = dn_pb_begin(p, NODE_ATTRIBUTE);
        dn_pb_string(p, ATTR_NAME, d->attr);
        if (d->attr_is_float) dn_pb_float(p, ATTR_F, d->attr_f);
        else dn_pb_int64(p, ATTR_I, d->attr_i);
        dn_pb_uint(p, ATTR_TYPE,
                   d->attr_is_float ? ATTR_TYPE_FLOAT : ATTR_TYPE_INT);
        dn_pb_end(p, a);
    }
    dn_pb_end(p, s);
}

/* A float32 initializer of shape [rows] (cols 0) or [rows, cols]. */
static void put_tensor(dn_pb *p, const char *name, int rows, int cols,
                       const float *v)
{
    size_t s = dn_pb_begin(p, GRAPH_INITIALIZER);
    dn_pb_int64(p, TENSOR_DIMS, rows);
    if (cols) dn_pb_int64(p, TENSOR_DIMS, cols);
    dn_pb_uint(p, TENSOR_DATA_TYPE, DTYPE_FLOAT);
    dn_pb_floats(p, TENSOR_FLOAT_DATA, v, (size_t)rows * (cols ? cols : 1));
    dn_pb_string(p, TENSOR_NAME, name);
    dn_pb_end(p, s);
}

/* A graph input or output: float32 [N, width], N symbolic so that any
 * batch size runs. */
static void put_value(dn_pb *p, int field, const char *name, int width)
{
    size_t s = dn_pb_begin(p, field);
    dn_pb_string(p, VALUE_NAME, name);
    size_t t = dn_pb_begin(p, VALUE_TYPE);
    size_t tt = dn_pb_begin(p, TYPE_TENSOR);
    dn_pb_uint(p, TENSOR_TYPE_ELEM, DTYPE_FLOAT);
    size_t sh = dn_pb_begin(p, TENSOR_TYPE_SHAPE);
    size_t d = dn_pb_begin(p, SHAPE_DIM);
    dn_pb_string(p, DIM_PARAM, "N");
    dn_pb_end(p, d);
    d = dn_pb_begin(p, SHAPE_DIM);
    dn_pb_int64(p, DIM_VALUE, width);
    dn_pb_end(p, d);
    dn_pb_end(p, sh);
    dn_pb_end(p, tt);
    dn_pb_end(p, t);
    dn_pb_end(p, s);
}

static void put_entry(dn_pb *p, const char *key, const char *value)
{
    size_t s = dn_pb_begin(p, MODEL_METADATA_PROPS);
    dn_pb_string(p, ENTRY_KEY, key);
    dn_pb_string(p, ENTRY_VALUE, value);
    dn_pb_end(p, s);
}

/* 0 if out of memory. */
static int put_graph(dn_pb *p, const dn_model *m)
{
    node nd[MAX_NODES];
    int n = plan(m, nd);
    const dn_arch *A = &m->arch;
    int n_out = A->layer[A->n_layers - 1].units;
    size_t g = dn_pb_begin(p, MODEL_GRAPH);
    for (int i = 0; i < n; i++) put_node(p, &nd[i]);
    dn_pb_string(p, GRAPH_NAME, "descent");
    if (fills(m)) {
        float *fv = fill_vector(m);
        if (!fv) return 0;
        put_tensor(p, "input_fill", A->n_in, 0, fv);
        free(fv);
    }
    if (m->mean) {
        put_tensor(p, "input_mean", A->n_in, 0, m->mean);
        put_tensor(p, "input_std", A->n_in, 0, m->std);
    }
    char name[NAME];
    int in = A->n_in;
    for (int l = 0; l < A->n_layers; l++) {
        int out = A->layer[l].units;
        snprintf(name, NAME, "%d.weight", 2 * l);
        put_tensor(p, name, out, in, m->theta + m->off_W[l]);
        snprintf(name, NAME, "%d.bias", 2 * l);
        put_tensor(p, name, out, 0, m->theta + m->off_b[l]);
        if (m->off_slope[l] >= 0) {
            /* [out] broadcasts over the rows of [N, out]: one slope per
             * unit, as PyTorch's PReLU(num_parameters=out). */
            snprintf(name, NAME, "%d.weight", 2 * l + 1);
            put_tensor(p, name, out, 0, m->theta + m->off_slope[l]);
        }
        in = out;
    }
    if (m->t_mean) {
        put_tensor(p, "target_std", n_out, 0, m->t_std);
        put_tensor(p, "target_mean", n_out, 0, m->t_mean);
    }
    put_value(p, GRAPH_INPUT, "input", A->n_in);
    put_value(p, GRAPH_OUTPUT, "output", n_out);
    dn_pb_end(p, g);
    return 1;
}

/* ---- what the model means: doc_string and metadata ---- */

static dn_task model_task(const dn_model *m)
{
    if (m->schema) return m->schema->task;
    return m->arch.loss == DN_LOSS_CE ? DN_TASK_MULTICLASS
         : m->arch.loss == DN_LOSS_BCE ? DN_TASK_BINARY : DN_TASK_REGRESSION;
}

static int utf8_bad(const char *s)
{
    return s && !dn_utf8_valid(s, strlen(s));
}

/* Strings from the model that go into the file must be UTF-8 (protobuf
 * strings and JSON both require it): the first that is not, or NULL. */
static const char *bad_utf8(const dn_model *m)
{
    const dn_schema *c = m->schema;
    for (int i = 0; c && i < c->n_cols; i++) {
        if (utf8_bad(c->col[i].name)) return c->col[i].name;
        for (int k = 0; k < c->col[i].n_cats; k++)
            if (utf8_bad(c->col[i].cats[k])) return c->col[i].cats[k];
    }
    for (int k = 0; c && k < c->n_classes; k++)
        if (utf8_bad(c->classes[k])) return c->classes[k];
    if (c && utf8_bad(c->target)) return c->target;
    for (int i = 0; i < m->n_meta; i++) {
        if (utf8_bad(m->meta_key[i])) return m->meta_key[i];
        if (utf8_bad(m->meta_val[i])) return m->meta_val[i];
    }
    return NULL;
}


/* Column i's name, or "column i+1" when it has none. */
static void col_name(dn_jbuf *b, const dn_schema *s, int i)
{
    char k[32];
    if (s->col[i].name) {
        dn_jb_puts(b, s->col[i].name);
    } else {
        snprintf(k, sizeof k, "column %d", i + 1);
        dn_jb_puts(b, k);
    }
}

#define DOC_NAMES 40  /* inputs or classes listed by name in the doc */

/* The inputs in order, for a person deploying the file: which raw
 * value goes in which column. */
static void doc_inputs(dn_jbuf *b, const dn_model *m)
{
    const dn_schema *s = m->schema;
    char k[160];
    snprintf(k, sizeof k, "input: [N, %d] float32", m->arch.n_in);
    dn_jb_puts(b, k);
    dn_jb_puts(b, m->mean ? ", raw values (standardizing them is the "
               "graph's first step)" : ", raw values");
    if (s && s->img_rows > 0) {
        snprintf(k, sizeof k, ": the pixels of %d x %d images row by row, "
                 "scaled to [0, 1]", s->img_rows, s->img_cols);
        dn_jb_puts(b, k);
    } else if (s && s->n_cols > 0) {
        dn_jb_puts(b, ", in this order: ");
        int shown = 0, text = 0;
        for (int i = 0; i < s->n_cols && shown < DOC_NAMES; i++) {
            if (s->col[i].n_cats == 0) {
                dn_jb_puts(b, shown++ ? ", " : "");
                col_name(b, s, i);
            }
            text |= s->col[i].n_cats > 0;
            for (int c = 0; c < s->col[i].n_cats && shown < DOC_NAMES; c++) {
                dn_jb_puts(b, shown++ ? ", " : "");
                col_name(b, s, i);
                dn_jb_puts(b, "=");
                dn_jb_puts(b, s->col[i].cats[c]);
            }
            if (s->col[i].indicator && shown < DOC_NAMES) {
                dn_jb_puts(b, shown++ ? ", " : "");
                col_name(b, s, i);
                dn_jb_puts(b, " was missing (0 or 1)");
            }
        }
        if (shown < s->n_in) dn_jb_puts(b, ", ... (see descent.schema)");
        if (text)
            dn_jb_puts(b, ".\nA text column is one-hot encoded: the input "
                       "'column=category' is 1 when the row's value is that "
                       "category, else 0");
        if (fills(m))
            dn_jb_puts(b, ".\nA missing value is NaN in every input of its "
                       "column: the graph puts in what descent encodes (the "
                       "training median; 1 in the column's was-missing "
                       "input, where it has one; 0 in its one-hot inputs)");
    }
    dn_jb_puts(b, ".\n");
}

/* A name from the model between two pieces of the doc string. */
static void puts3(dn_jbuf *b, const char *pre, const char *s,
                  const char *post)
{
    dn_jb_puts(b, pre);
    dn_jb_puts(b, s);
    dn_jb_puts(b, post);
}

static void doc_output(dn_jbuf *b, const dn_model *m, dn_task task)
{
    const dn_schema *s = m->schema;
    const int n_out = m->arch.layer[m->arch.n_layers - 1].units;
    const int named = s && s->n_classes > 0 && s->classes;
    char k[160];
    snprintf(k, sizeof k, "output: [N, %d] float32, ", n_out);
    dn_jb_puts(b, k);
    if (task == DN_TASK_MULTICLASS) {
        dn_jb_puts(b, "the probability of each class, summing to 1");
        if (named) dn_jb_puts(b, ", in the order of the classes above");
    } else if (task == DN_TASK_BINARY) {
        if (named && s->classes[0] && s->classes[1]) {
            puts3(b, "P(", s->classes[1], "); P(");
            puts3(b, "", s->classes[0], ") is 1 - output");
        } else {
            dn_jb_puts(b, "P(class 1); P(class 0) is 1 - output");
        }
    } else {
        dn_jb_puts(b, "the predicted ");
        if (s && s->target) {
            puts3(b, "'", s->target, "'");
        } else {
            dn_jb_puts(b, n_out > 1 ? "values" : "value");
        }
        if (m->t_mean)
            dn_jb_puts(b, " in the target's own units (the graph undoes "
                       "the target's standardization)");
    }
    dn_jb_puts(b, ".");
}

static void doc_string(dn_jbuf *b, const dn_model *m, dn_task task)
{
    const dn_schema *s = m->schema;
    dn_jb_puts(b, "descent " DN_VERSION ": ");
    if (task == DN_TASK_REGRESSION) {
        dn_jb_puts(b, "a regression model");
        if (s && s->target) puts3(b, " of '", s->target, "'");
    } else {
        dn_jb_puts(b, task == DN_TASK_BINARY ? "a binary classifier"
                                             : "a multiclass classifier");
        if (s && s->target) puts3(b, " of '", s->target, "'");
        if (s && s->n_classes > 0) {
            char k[40];
            snprintf(k, sizeof k, " with %d classes: ", s->n_classes);
            dn_jb_puts(b, k);
            for (int c = 0; c < s->n_classes && c < DOC_NAMES; c++) {
                if (c) dn_jb_puts(b, ", ");
                dn_jb_puts(b, s->classes[c] ? s->classes[c] : "(null)");
            }
            if (s->n_classes > DOC_NAMES)
                dn_jb_puts(b, ", ... (see descent.classes)");
        }
    }
    dn_jb_puts(b, ".\n");
    doc_inputs(b, m);
    doc_output(b, m, task);
}

/* metadata_props: "descent.task", with a schema also "descent.classes"
 * (a JSON array) and "descent.schema" (JSON), then the model's own
 * metadata.  Runtimes hand these to the application (onnxruntime:
 * session.get_modelmeta().custom_metadata_map). */
static void put_metadata(dn_pb *p, const dn_model *m, dn_jbuf *t)
{
    const dn_schema *s = m->schema;
    put_entry(p, "descent.task", dn_task_name(model_task(m)));
    if (s && s->n_classes > 0) {
        t->len = 0;
        dn_strs_json(t, s->classes, s->n_classes, NULL);
        if (!t->failed) put_entry(p, "descent.classes", t->p);
    }
    if (s) {
        t->len = 0;
        dn_schema_json(t, s, NULL);
        if (!t->failed) put_entry(p, "descent.schema", t->p);
    }
    for (int i = 0; i < m->n_meta; i++) {
        const char *k = m->meta_key[i];
        /* metadata_props keys must be unique; ours win. */
        if (!strcmp(k, "descent.task") || !strcmp(k, "descent.classes") ||
            !strcmp(k, "descent.schema"))
            continue;
        put_entry(p, k, m->meta_val[i]);
    }
}

/* The ModelProto, fields in the order of their numbers. */
static int build(const dn_model *m, dn_pb *p)
{
    dn_jbuf t = { 0 };
    dn_pb_int64(p, MODEL_IR_VERSION, IR_VERSION);
    dn_pb_string(p, MODEL_PRODUCER_NAME, "descent");
    dn_pb_string(p, MODEL_PRODUCER_VERSION, DN_VERSION);
    doc_string(&t, m, model_task(m));
    if (!t.failed) dn_pb_string(p, MODEL_DOC_STRING, t.p);
    int graph = put_graph(p, m);
    size_t o = dn_pb_begin(p, MODEL_OPSET_IMPORT);
    dn_pb_string(p, OPSET_DOMAIN, "");   /* "": the default ONNX domain */
    dn_pb_int64(p, OPSET_VERSION, OPSET);
    dn_pb_end(p, o);
    put_metadata(p, m, &t);
    int failed = t.failed || !graph;
    dn_jb_free(&t);
    return failed || p->failed;
}

/* ---- the file ---- */

static int write_all(FILE *f, void *arg)
{
    const dn_pb *p = arg;
    return fwrite(p->p, 1, p->len, f) != p->len;
}

static dn_status too_big(const char *path, double bytes, dn_error *err)  /* cov: needs 2 GiB of weights */
{
    return dn_fail(err, DN_EARG, "cannot export '%s': the ONNX file would "  /* cov: as above */
                   "take %.2f GiB, and protobuf (which ONNX files are) "
                   "cannot hold more than 2 GiB; export a smaller network, "
                   "or use the safetensors model file", path,
                   bytes / (1 << 30));
}

dn_status dn_model_export_onnx(const dn_model *m, const char *path,
                               dn_error *err)
{
    if (!m || !path || !*path)
        return dn_fail(err, DN_EARG, "dn_model_export_onnx needs a model and "
                       "a file name");
    /* The weights alone decide it; refuse before building gigabytes. */
    if ((double)m->n_params * 4 > (double)MAX_PROTO)
        return too_big(path, (double)m->n_params * 4, err);  /* cov: 2^29 parameters, 2 GiB */
    const char *bad = bad_utf8(m);
    if (bad) {
        char shown[64];
        size_t k = 0;
        for (; bad[k] && k + 4 < sizeof shown; k++)
            shown[k] = (unsigned char)bad[k] < 0x20 ||
                       (unsigned char)bad[k] >= 0x7F ? '?' : bad[k];
        shown[k] = 0;
        return dn_fail(err, DN_EARG, "cannot export '%s': the name or "
                       "metadata string '%s' is not valid UTF-8, which "
                       "ONNX strings must be; re-encode the data file or "
                       "the metadata as UTF-8", path, shown);
    }
    dn_pb p = { 0 };
    dn_status st = DN_OK;
    if (build(m, &p))
        st = dn_fail(err, DN_ENOMEM, "out of memory building the ONNX model "
                     "for '%s'", path);
    else if (p.len > MAX_PROTO)
        st = too_big(path, (double)p.len, err);  /* cov: weights near 2 GiB */
    if (!st) st = dn_atomic_write(path, "ONNX model", write_all, &p, err);
    dn_pb_free(&p);
    return st;
}
