/* test_onnx.c — the protobuf writer byte by byte (varints at every
 * length boundary, negative int64, floats, doubles, packed floats, nested
 * messages whose length needs one more byte), then dn_model_export_onnx
 * read back by a minimal protobuf reader written here: header fields,
 * node order, attributes, initializer bytes, metadata; and its error
 * paths (bad arguments, unwritable directory, non-UTF-8 strings), none
 * of which may leave a file behind.  tests/test_onnx.sh checks the same
 * files with the onnx package itself and runs them. */
#include "check.h"
#include "descent.h"
#include "formats/protobuf.h"
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- the writer ---- */

/* b holds exactly the n bytes of want. */
static int same(const dn_pb *b, const unsigned char *want, size_t n)
{
    return !b->failed && b->len == n && memcmp(b->p, want, n) == 0;
}

static void test_varints(void)
{
    static const struct { uint64_t v; int n; } sizes[] = {
        { 0, 1 }, { 1, 1 }, { 127, 1 }, { 128, 2 }, { 16383, 2 },
        { 16384, 3 }, { (1ULL << 35) - 1, 5 }, { 1ULL << 35, 6 },
        { (1ULL << 63) - 1, 9 }, { 1ULL << 63, 10 }, { UINT64_MAX, 10 },
    };
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        dn_pb b = { 0 };
        dn_pb_varint(&b, sizes[i].v);
        CHECK(dn_pb_varint_size(sizes[i].v) == sizes[i].n &&
              (int)b.len == sizes[i].n, "varint of %llu: size %d, wrote "
              "%zu, want %d", (unsigned long long)sizes[i].v,
              dn_pb_varint_size(sizes[i].v), b.len, sizes[i].n);
        /* Decoding gives the value back: 7 bits a byte, low group first,
         * continuation bit on all but the last byte. */
        uint64_t back = 0;
        int cont_ok = 1;
        for (size_t k = 0; k < b.len; k++) {
            back |= (uint64_t)(b.p[k] & 0x7F) << (7 * k);
            cont_ok &= (b.p[k] >> 7) == (k + 1 < b.len);
        }
        CHECK(back == sizes[i].v && cont_ok, "varint of %llu decodes to "
              "%llu", (unsigned long long)sizes[i].v,
              (unsigned long long)back);
        dn_pb_free(&b);
    }
    dn_pb b = { 0 };
    dn_pb_varint(&b, 300);   /* the protobuf documentation's example */
    CHECK(same(&b, (const unsigned char[]){ 0xAC, 0x02 }, 2),
          "300 -> %02x %02x", b.p[0], b.p[1]);
    b.len = 0;
    dn_pb_varint(&b, UINT64_MAX);
    CHECK(same(&b, (const unsigned char[]){ 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                            0xFF, 0xFF, 0xFF, 0xFF, 0x01 },
               10), "UINT64_MAX: %zu bytes", b.len);
    dn_pb_free(&b);
}

static void test_fields(void)
{
    dn_pb b = { 0 };
    dn_pb_int64(&b, 3, -1);  /* two's complement: ten bytes, not zigzag */
    CHECK(same(&b, (const unsigned char[]){ 0x18, 0xFF, 0xFF, 0xFF, 0xFF,
                                            0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                            0x01 }, 11),
          "int64 -1 in field 3: %zu bytes", b.len);
    b.len = 0;
    dn_pb_uint(&b, 20, 2);   /* field 20 makes a two-byte key */
    CHECK(same(&b, (const unsigned char[]){ 0xA0, 0x01, 0x02 }, 3),
          "field 20 = 2: %zu bytes, %02x %02x", b.len, b.p[0], b.p[1]);
    b.len = 0;
    dn_pb_float(&b, 2, 1.0f);
    CHECK(same(&b, (const unsigned char[]){ 0x15, 0x00, 0x00, 0x80, 0x3F },
               5), "float 1 in field 2: %zu bytes", b.len);
    b.len = 0;
    dn_pb_double(&b, 1, -2.0);   /* fixed64: 0xC000000000000000 */
    CHECK(same(&b, (const unsigned char[]){ 0x09, 0x00, 0x00, 0x00, 0x00,
                                            0x00, 0x00, 0x00, 0xC0 }, 9),
          "double -2 in field 1: %zu bytes", b.len);
    b.len = 0;
    dn_pb_string(&b, 1, "hi");
    dn_pb_string(&b, 2, "");
    CHECK(same(&b, (const unsigned char[]){ 0x0A, 0x02, 'h', 'i', 0x12,
                                            0x00 }, 6),
          "strings \"hi\" and \"\": %zu bytes", b.len);
    b.len = 0;
    const float v[] = { 1.0f, -2.0f };
    dn_pb_floats(&b, 4, v, 2);
    CHECK(same(&b, (const unsigned char[]){ 0x22, 0x08, 0x00, 0x00, 0x80,
                                            0x3F, 0x00, 0x00, 0x00, 0xC0 },
               10), "packed {1, -2} in field 4: %zu bytes", b.len);
    dn_pb_free(&b);
}

/* A nested message of n content bytes: key, varint(n), content. */
static void test_nested(void)
{
    static const size_t sizes[] = { 0, 1, 127, 128, 300, 16383, 16384 };
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        size_t n = sizes[i];
        dn_pb b = { 0 };
        dn_pb_uint(&b, 1, 5);               /* something before */
        size_t s = dn_pb_begin(&b, 7);
        for (size_t k = 0; k < n; k++) dn_pb_varint(&b, k % 100);
        dn_pb_end(&b, s);
        dn_pb_uint(&b, 1, 6);               /* and after */
        int k = dn_pb_varint_size(n);
        int ok = !b.failed && b.len == 2 + 1 + (size_t)k + n + 2 &&
                 b.p[0] == 0x08 && b.p[1] == 5 && b.p[2] == 0x3A;
        uint64_t len = 0;
        for (int j = 0; ok && j < k; j++)
            len |= (uint64_t)(b.p[3 + j] & 0x7F) << (7 * j);
        for (size_t j = 0; ok && j < n; j++)
            ok = b.p[3 + k + j] == j % 100;
        ok = ok && len == n && b.p[b.len - 2] == 0x08 && b.p[b.len - 1] == 6;
        CHECK(ok, "nested message of %zu bytes: wrote %zu bytes, length "
              "%llu", n, b.len, (unsigned long long)len);
        dn_pb_free(&b);
    }
    /* Two levels, where the inner length's byte pushes the outer length
     * from one byte to two: 126 content bytes + key + 1 length byte. */
    dn_pb b = { 0 };
    size_t o = dn_pb_begin(&b, 1);
    size_t in = dn_pb_begin(&b, 2);
    for (int k = 0; k < 125; k++) dn_pb_varint(&b, 1);
    dn_pb_end(&b, in);
    CHECK(b.len == 1 + 1 + 1 + 125, "inner message: %zu bytes", b.len);
    dn_pb_varint(&b, 1);   /* 128th byte of the outer content */
    dn_pb_end(&b, o);
    CHECK(b.len == 1 + 2 + 128 && b.p[0] == 0x0A && b.p[1] == 0x80 &&
          b.p[2] == 0x01 && b.p[3] == 0x12 && b.p[4] == 125 &&
          b.p[130] == 1, "two levels: %zu bytes, %02x %02x %02x %02x %02x",
          b.len, b.p[0], b.p[1], b.p[2], b.p[3], b.p[4]);
    dn_pb_free(&b);
}

/* ---- a minimal reader, to take exported files apart ---- */

typedef struct { const unsigned char *p; size_t n; } span;

typedef struct {
    int      field, wire;
    uint64_t v;      /* varint, or fixed32 bits */
    span     s;      /* length-delimited content */
} pfield;

static int read_varint(span *r, uint64_t *v)
{
    *v = 0;
    for (int k = 0; k < 10; k++) {
        if (!r->n) return 0;
        unsigned char c = *r->p++;
        r->n--;
        *v |= (uint64_t)(c & 0x7F) << (7 * k);
        if (!(c & 0x80)) return 1;
    }
    return 0;
}

/* The next field of r; 0 at the end or on malformed input. */
static int next(span *r, pfield *f)
{
    uint64_t key;
    if (!r->n || !read_varint(r, &key)) return 0;
    f->field = (int)(key >> 3);
    f->wire = (int)(key & 7);
    if (f->wire == DN_PB_VARINT) return read_varint(r, &f->v);
    if (f->wire == DN_PB_FIXED32) {
        if (r->n < 4) return 0;
        f->v = r->p[0] | r->p[1] << 8 | r->p[2] << 16 |
               (uint64_t)r->p[3] << 24;
        r->p += 4;
        r->n -= 4;
        return 1;
    }
    if (f->wire != DN_PB_LEN || !read_varint(r, &f->v) || f->v > r->n)
        return 0;
    f->s = (span){ r->p, (size_t)f->v };
    r->p += f->v;
    r->n -= f->v;
    return 1;
}

/* 1 if every field of m parses and they end exactly at its end. */
static int well_formed(span m)
{
    pfield f;
    while (next(&m, &f)) {}
    return m.n == 0;
}

/* The k-th (from 0) occurrence of field in m; 0 if there is none. */
static int get(span m, int field, int k, pfield *out)
{
    pfield f;
    while (next(&m, &f))
        if (f.field == field && k-- == 0) { *out = f; return 1; }
    return 0;
}

static int count(span m, int field)
{
    pfield f;
    int n = 0;
    while (next(&m, &f)) n += f.field == field;
    return n;
}

/* Field `field` of m as a C string in buf ("" if absent). */
static const char *str(span m, int field, int k, char *buf, size_t len)
{
    pfield f;
    buf[0] = 0;
    if (get(m, field, k, &f) && f.wire == DN_PB_LEN && f.s.n < len) {
        memcpy(buf, f.s.p, f.s.n);
        buf[f.s.n] = 0;
    }
    return buf;
}

static int64_t num(span m, int field, int k)
{
    pfield f;
    return get(m, field, k, &f) && f.wire == DN_PB_VARINT
           ? (int64_t)f.v : INT64_MIN;
}

static span load(const char *path)
{
    span s = { NULL, 0 };
    FILE *f = fopen(path, "rb");
    if (!f) return s;
    unsigned char *p = malloc(1 << 20);
    s.n = p ? fread(p, 1, 1 << 20, f) : 0;
    s.p = p;
    fclose(f);
    return s;
}

/* ---- exported models ---- */

static char dir[64];

static const char *path_in(const char *name)
{
    static char p[2][512];
    static int k;
    k ^= 1;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

/* Files in the test directory whose name contains s. */
static int files_with(const char *s)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += strstr(e->d_name, s) != NULL;
    if (d) closedir(d);
    return n;
}

static dn_model *make(int n_layers, const dn_layer *layer, dn_loss loss)
{
    dn_arch a = { .n_in = 3, .n_layers = n_layers, .loss = loss };
    memcpy(a.layer, layer, (size_t)n_layers * sizeof *layer);
    dn_model *m = NULL;
    dn_error err;
    if (dn_model_new(&a, &m, &err)) {
        fprintf(stderr, "dn_model_new: %s\n", err.msg);
        exit(1);
    }
    float *theta = dn_model_params(m);
    for (size_t i = 0; i < dn_model_n_params(m); i++)
        theta[i] = 0.5f * sinf((float)i + 1);
    return m;
}

/* Op types of the graph's nodes, joined by ','. */
static const char *ops(span graph, char *buf, size_t len)
{
    char op[64];
    pfield nd;
    buf[0] = 0;
    for (int k = 0; get(graph, 1, k, &nd); k++) {
        if (k) strncat(buf, ",", len - strlen(buf) - 1);
        strncat(buf, str(nd.s, 4, 0, op, sizeof op), len - strlen(buf) - 1);
    }
    return buf;
}

/* The initializer named `name` in graph, or an empty span. */
static span initializer(span graph, const char *name)
{
    char b[64];
    pfield t;
    for (int k = 0; get(graph, 5, k, &t); k++)
        if (!strcmp(str(t.s, 8, 0, b, sizeof b), name)) return t.s;
    return (span){ NULL, 0 };
}

/* Its float_data equals v[0..n) bit for bit, little-endian. */
static int floats_equal(span t, const float *v, size_t n)
{
    pfield f;
    if (!get(t, 4, 0, &f) || f.wire != DN_PB_LEN || f.s.n != 4 * n) return 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &v[i], 4);
        for (int j = 0; j < 4; j++)
            if (f.s.p[4 * i + j] != (unsigned char)(u >> (8 * j))) return 0;
    }
    return 1;
}

static void test_regression_model(void)
{
    const dn_layer L[] = { { .units = 4, .act = DN_ACT_LEAKY_RELU,
                             .alpha = 0.2f },
                           { .units = 3, .act = DN_ACT_PRELU },
                           { .units = 2, .act = DN_ACT_IDENTITY } };
    dn_model *m = make(3, L, DN_LOSS_MSE);
    dn_error err;
    const float mean[] = { 1, 2, 3 }, sd[] = { 0.5f, 2, 4 };
    const float tm[] = { 100, -1 }, ts[] = { 10, 0.25f };
    float *slope = dn_model_slope(m, 1);
    for (int j = 0; j < 3; j++) slope[j] = 0.1f * (float)(j + 1);
    CHECK(!dn_model_set_scaling(m, mean, sd, &err) &&
          !dn_model_set_target_scaling(m, tm, ts, &err) &&
          !dn_model_meta_set(m, "note", "hello", &err), "%s", err.msg);
    dn_status st = dn_model_export_onnx(m, path_in("r.onnx"), &err);
    CHECK(st == DN_OK, "export: %s", err.msg);
    span file = load(path_in("r.onnx"));
    char b[256], c[1024];
    CHECK(file.n > 200 && well_formed(file), "the file (%zu bytes) does not "
          "parse as one protobuf message", file.n);
    CHECK(num(file, 1, 0) == 7, "ir_version %lld",
          (long long)num(file, 1, 0));
    CHECK(!strcmp(str(file, 2, 0, b, sizeof b), "descent"),
          "producer_name '%s'", b);
    CHECK(strstr(str(file, 6, 0, c, sizeof c), "regression model") != NULL,
          "doc_string '%s'", c);
    pfield opset = { 0 }, graph = { 0 }, f = { 0 };
    CHECK(count(file, 8) == 1 && get(file, 8, 0, &opset) &&
          num(opset.s, 2, 0) == 13 && get(opset.s, 1, 0, &f) && f.s.n == 0,
          "opset_import: %d, version %lld", count(file, 8),
          (long long)num(opset.s, 2, 0));
    CHECK(get(file, 7, 0, &graph) && well_formed(graph.s), "no graph");
    CHECK(!strcmp(ops(graph.s, b, sizeof b),
                  "Sub,Div,Gemm,LeakyRelu,Gemm,PRelu,Gemm,Mul,Add"),
          "ops %s", b);
    pfield nd = { 0 }, at = { 0 };
    /* input -> ... -> output, and the LeakyRelu's alpha is 0.2 */
    CHECK(get(graph.s, 1, 0, &nd) && !strcmp(str(nd.s, 1, 0, b, sizeof b),
                                             "input"), "first input '%s'", b);
    CHECK(get(graph.s, 1, 8, &nd) && !strcmp(str(nd.s, 2, 0, b, sizeof b),
                                             "output"), "last output '%s'", b);
    CHECK(get(graph.s, 1, 3, &nd) && get(nd.s, 5, 0, &at) &&
          !strcmp(str(at.s, 1, 0, b, sizeof b), "alpha") &&
          num(at.s, 20, 0) == 1 && get(at.s, 2, 0, &f) &&
          f.wire == DN_PB_FIXED32 && f.v == 0x3E4CCCCD,
          "LeakyRelu attribute '%s' type %lld bits %08llx", b,
          (long long)num(at.s, 20, 0), (unsigned long long)f.v);
    CHECK(get(graph.s, 1, 2, &nd) && get(nd.s, 5, 0, &at) &&
          !strcmp(str(at.s, 1, 0, b, sizeof b), "transB") &&
          num(at.s, 3, 0) == 1 && num(at.s, 20, 0) == 2,
          "Gemm attribute '%s' = %lld", b, (long long)num(at.s, 3, 0));
    /* initializers: shapes and the model's bytes */
    span w = initializer(graph.s, "0.weight");
    CHECK(num(w, 1, 0) == 4 && num(w, 1, 1) == 3 && count(w, 1) == 2 &&
          num(w, 2, 0) == 1 && floats_equal(w, dn_model_W(m, 0), 12),
          "0.weight: dims %lld x %lld, type %lld", (long long)num(w, 1, 0),
          (long long)num(w, 1, 1), (long long)num(w, 2, 0));
    span s = initializer(graph.s, "3.weight");
    CHECK(count(s, 1) == 1 && num(s, 1, 0) == 3 && floats_equal(s, slope, 3),
          "PReLU slopes 3.weight: %d dims", count(s, 1));
    CHECK(floats_equal(initializer(graph.s, "input_std"), sd, 3) &&
          floats_equal(initializer(graph.s, "target_mean"), tm, 2) &&
          floats_equal(initializer(graph.s, "4.bias"), dn_model_b(m, 2), 2),
          "scaling or bias initializers differ");
    CHECK(count(graph.s, 5) == 11, "%d initializers, want 3 layers' W and b, "
          "1 slope, 4 scaling", count(graph.s, 5));
    /* input: float [N, 3] */
    pfield vi = { 0 }, ty = { 0 }, tt = { 0 }, sh = { 0 }, d0 = { 0 },
           d1 = { 0 };
    CHECK(get(graph.s, 11, 0, &vi) && get(vi.s, 2, 0, &ty) &&
          get(ty.s, 1, 0, &tt) && num(tt.s, 1, 0) == 1 &&
          get(tt.s, 2, 0, &sh) && count(sh.s, 1) == 2 &&
          get(sh.s, 1, 0, &d0) && get(sh.s, 1, 1, &d1) &&
          !strcmp(str(d0.s, 2, 0, b, sizeof b), "N") && num(d1.s, 1, 0) == 3,
          "input type: dim 0 '%s', dim 1 %lld", b, (long long)num(d1.s, 1, 0));
    /* metadata_props */
    pfield e = { 0 };
    int task = 0, note = 0;
    for (int k = 0; get(file, 14, k, &e); k++) {
        str(e.s, 1, 0, b, sizeof b);
        str(e.s, 2, 0, c, sizeof c);
        task += !strcmp(b, "descent.task") && !strcmp(c, "regression");
        note += !strcmp(b, "note") && !strcmp(c, "hello");
    }
    CHECK(task == 1 && note == 1 && count(file, 14) == 2,
          "metadata: task %d, note %d, %d entries", task, note,
          count(file, 14));
    /* The same model gives the same bytes, and replaces the old file. */
    FILE *g = fopen(path_in("r2.onnx"), "w");
    if (g) { fputs("not a model", g); fclose(g); }
    CHECK(!dn_model_export_onnx(m, path_in("r2.onnx"), &err), "%s", err.msg);
    span again = load(path_in("r2.onnx"));
    CHECK(again.n == file.n && !memcmp(again.p, file.p, file.n),
          "a second export differs: %zu vs %zu bytes", again.n, file.n);
    free((void *)again.p);
    free((void *)file.p);
    dn_model_free(m);
}

static void test_classifiers(void)
{
    char b[1024];
    dn_error err;
    pfield graph = { 0 }, nd = { 0 }, at = { 0 };
    const dn_layer soft[] = { { .units = 4, .act = DN_ACT_SOFTMAX } };
    dn_model *m = make(1, soft, DN_LOSS_CE);
    CHECK(!dn_model_export_onnx(m, path_in("c.onnx"), &err), "%s", err.msg);
    span f = load(path_in("c.onnx"));
    CHECK(get(f, 7, 0, &graph) && !strcmp(ops(graph.s, b, sizeof b),
                                          "Gemm,Softmax"), "ops %s", b);
    CHECK(get(graph.s, 1, 1, &nd) && get(nd.s, 5, 0, &at) &&
          !strcmp(str(at.s, 1, 0, b, sizeof b), "axis") &&
          num(at.s, 3, 0) == 1, "Softmax attribute '%s' = %lld", b,
          (long long)num(at.s, 3, 0));
    CHECK(count(graph.s, 5) == 2, "%d initializers without scaling, want 2",
          count(graph.s, 5));
    CHECK(strstr(str(f, 6, 0, b, sizeof b), "multiclass classifier") != NULL,
          "doc_string '%s'", b);
    free((void *)f.p);
    dn_model_free(m);

    const dn_layer bin[] = { { .units = 5, .act = DN_ACT_TANH },
                             { .units = 1, .act = DN_ACT_SIGMOID } };
    m = make(2, bin, DN_LOSS_BCE);
    CHECK(!dn_model_export_onnx(m, path_in("b.onnx"), &err), "%s", err.msg);
    f = load(path_in("b.onnx"));
    CHECK(get(f, 7, 0, &graph) && !strcmp(ops(graph.s, b, sizeof b),
                                          "Gemm,Tanh,Gemm,Sigmoid"),
          "ops %s", b);
    CHECK(strstr(str(f, 6, 0, b, sizeof b), "P(class 1)") != NULL,
          "doc_string '%s'", b);
    free((void *)f.p);
    dn_model_free(m);
}

/* The exported text of path (ONNX: its doc_string; C: the whole file). */
static char *onnx_doc(const char *path)
{
    static char b[8192];
    span f = load(path);
    str(f, 6, 0, b, sizeof b);
    free((void *)f.p);
    return b;
}

/* Schemas at their odd corners, in both exports: an unnamed numeric
 * column with a fill and a was-missing input, a text column whose name
 * and categories hold comment closers, quotes, question marks, control
 * and non-ASCII bytes, a missing class name; and more columns and
 * classes than the ONNX doc lists by name. */
static void test_odd_schemas(void)
{
    dn_error err;
    char *cats[] = { "a?", "b\"*/" };
    dn_column col[2] = { { .name = NULL, .has_fill = 1, .fill = 2.5f,
                           .indicator = 1 },
                         { .name = "c*/x\x01\\", .n_cats = 2, .cats = cats } };
    char *classes[] = { NULL, "y\"es?\\\x01\xC3\xA9" };
    dn_schema sc = { .n_cols = 2, .col = col, .n_in = 4,
                     .task = DN_TASK_BINARY, .n_classes = 2,
                     .classes = classes };
    dn_arch a = { .n_in = 4, .n_layers = 1, .loss = DN_LOSS_BCE };
    a.layer[0] = (dn_layer){ .units = 1, .act = DN_ACT_SIGMOID };
    dn_model *m = NULL;
    CHECK(!dn_model_new(&a, &m, &err) && !dn_model_set_schema(m, &sc, &err),
          "%s", err.msg);
    if (!m) return;
    CHECK(!dn_model_export_onnx(m, path_in("odd.onnx"), &err), "%s", err.msg);
    const char *d = onnx_doc(path_in("odd.onnx"));
    CHECK(strstr(d, "with 2 classes: (null), y\"es?\\\x01\xC3\xA9.") &&
          strstr(d, "in this order: column 1, column 1 was missing (0 or 1), "
                 "c*/x\x01\\=a?, c*/x\x01\\=b\"*/.") &&
          strstr(d, "A missing value is NaN") &&
          strstr(d, "P(class 1); P(class 0) is 1 - output"),
          "doc_string: %s", d);
    dn_c_opts o = { .name = "Odd_2", .command = "descent export */ \\ \x01" };
    CHECK(!dn_model_export_c(m, &o, path_in("odd.h"), NULL, &err), "%s",
          err.msg);
    char *c = check_slurp(path_in("odd.h"), NULL);
    CHECK(c && strstr(c, " *   x[0]  (unnamed)\n") &&
          strstr(c, " *   x[1]  (unnamed) was missing: 1 when it was (then "
                 "give the column 2.5, its training median), else 0\n") &&
          strstr(c, " *   x[3]  c+/x?? = b\"+/  (1 when") &&
          strstr(c, "the probability of class 1 (y\"es???\xC3\xA9; class 0 "
                 "is ?)") &&
          strstr(c, " * Made by: descent export +/ ? ?\n") &&
          strstr(c, "\"\", \"y\\\"es\\?\\\\\\001\\303\\251\"") &&
          strstr(c, "#define ODD_2_N_INPUTS 4"),
          "C export:\n%s", c ? c : "(none)");
    free(c);
    /* a parameter that is not finite cannot be a C constant */
    dn_model_params(m)[0] = NAN;
    dn_status st = dn_model_export_c(m, &o, path_in("nan.h"), NULL, &err);
    CHECK(st == DN_EARG && strstr(err.msg, "non-finite parameters") &&
          access(path_in("nan.h"), F_OK) != 0, "%s: %s",
          dn_status_name(st), err.msg);
    /* names that cannot prefix C identifiers: empty, a digit first, a
     * dash, 61 characters */
    char long_name[62];
    memset(long_name, 'a', 61);
    long_name[61] = 0;
    const char *bad[] = { "", "2x", "a-b", long_name };
    for (int i = 0; i < 4; i++) {
        o.name = bad[i];
        CHECK(dn_model_export_c(m, &o, path_in("bad.h"), NULL, &err) ==
              DN_EARG && strstr(err.msg, "cannot prefix C names"),
              "name '%s': %s", bad[i], err.msg);
    }
    dn_model_free(m);

    /* 45 columns and 45 classes: the doc names 40 of each */
    enum { K = 45 };
    static dn_column many[K];
    static char names[K][8], cls[K][8];
    static char *cl[K];
    for (int i = 0; i < K; i++) {
        snprintf(names[i], sizeof names[i], "f%d", i);
        snprintf(cls[i], sizeof cls[i], "k%d", i);
        many[i] = (dn_column){ .name = names[i] };
        cl[i] = cls[i];
    }
    dn_schema ms = { .n_cols = K, .col = many, .n_in = K, .target = "kind",
                     .task = DN_TASK_MULTICLASS, .n_classes = K,
                     .classes = cl };
    dn_arch b = { .n_in = K, .n_layers = 1, .loss = DN_LOSS_CE };
    b.layer[0] = (dn_layer){ .units = K, .act = DN_ACT_SOFTMAX };
    m = NULL;
    CHECK(!dn_model_new(&b, &m, &err) && !dn_model_set_schema(m, &ms, &err),
          "%s", err.msg);
    if (!m) return;
    CHECK(!dn_model_export_onnx(m, path_in("many.onnx"), &err), "%s",
          err.msg);
    d = onnx_doc(path_in("many.onnx"));
    CHECK(strstr(d, "a multiclass classifier of 'kind' with 45 classes: k0, "
                 "k1,") && strstr(d, "k39, ... (see descent.classes).") &&
          !strstr(d, "k40") && strstr(d, "f39, ... (see descent.schema).") &&
          !strstr(d, "f40") && strstr(d, "in the order of the classes above"),
          "doc_string: %s", d);
    dn_model_free(m);
}

static void test_errors(void)
{
    const dn_layer L[] = { { .units = 2, .act = DN_ACT_IDENTITY } };
    dn_model *m = make(1, L, DN_LOSS_MSE);
    dn_error err;
    CHECK(dn_model_export_onnx(NULL, path_in("x.onnx"), &err) == DN_EARG &&
          dn_model_export_onnx(m, NULL, &err) == DN_EARG &&
          dn_model_export_onnx(m, "", &err) == DN_EARG,
          "NULL or empty arguments are not DN_EARG");
    dn_status st = dn_model_export_onnx(m, path_in("no/such/x.onnx"), &err);
    CHECK(st == DN_EIO && strstr(err.msg, "no/such/x.onnx") != NULL,
          "unwritable path: %s: %s", dn_status_name(st), err.msg);
    CHECK(!dn_model_meta_set(m, "bad", "caf\xe9", &err), "%s", err.msg);
    st = dn_model_export_onnx(m, path_in("u.onnx"), &err);
    CHECK(st == DN_EARG && strstr(err.msg, "UTF-8") != NULL,
          "non-UTF-8 metadata: %s: %s", dn_status_name(st), err.msg);
    CHECK(access(path_in("u.onnx"), F_OK) != 0 && files_with(".tmp.") == 0,
          "a failed export left u.onnx or %d temporary files",
          files_with(".tmp."));
    dn_model_free(m);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/test_onnx.XXXXXX");
    if (!mkdtemp(dir)) { perror("mkdtemp"); return 1; }
    RUN(test_varints);
    RUN(test_fields);
    RUN(test_nested);
    RUN(test_regression_model);
    RUN(test_classifiers);
    RUN(test_odd_schemas);
    RUN(test_errors);
    CHECK(files_with(".tmp.") == 0, "%d temporary files left",
          files_with(".tmp."));
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));)
        if (e->d_name[0] != '.') remove(path_in(e->d_name));
    if (d) closedir(d);
    rmdir(dir);
    return check_done("test_onnx");
}
