/* test_modelfile.c — safetensors model files and the JSON reader behind
 * them: round trips of every activation with and without scaling, schema
 * and metadata (bitwise-equal parameters, equal predictions); the header
 * read back as JSON; atomic saves; and malformed files, each of which
 * must fail with a message naming the problem — including every prefix
 * of a valid file and a corruption of every byte. */
#include "check.h"
#include "descent.h"
#include "train/train.h"
#include "formats/json.h"
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];   /* a fresh temporary directory for every file */

static const char *tmp_path(const char *name)
{
    static char p[2][256];
    static int k;
    k ^= 1;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

static void write_bytes(const char *path, const void *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) { perror(path); exit(2); }
    if (n && fwrite(b, 1, n, f) != n) { perror(path); exit(2); }
    fclose(f);
}

static unsigned char *read_bytes(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)len + 1);
    *n = fread(b, 1, (size_t)len, f);
    fclose(f);
    return b;
}

static int file_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

static uint64_t le64(const unsigned char *s)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)s[i] << (8 * i);
    return v;
}

static float lef32(const unsigned char *s)
{
    uint32_t u = 0;
    for (int i = 0; i < 4; i++) u |= (uint32_t)s[i] << (8 * i);
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* ------------------------------------------------------------------ */
/* The JSON reader                                                     */
/* ------------------------------------------------------------------ */

static const dn_json_limits LIM = { 8, 1000, 1 << 20 };

static int parses(const char *s)
{
    dn_json j;
    char msg[256];
    int rc = dn_json_parse(s, strlen(s), &LIM, &j, msg, sizeof msg);
    dn_json_free(&j);
    return rc == 0;
}

static void test_json_reject(void)
{
    static const char *bad[] = {
        "", " ", "{", "}", "[1,]", "{\"a\":1,}", "[1 2]", "{\"a\" 1}",
        "{1:2}", "01", "1.", ".5", "-", "+1", "1e", "1e+", "0x10", "NaN",
        "Infinity", "tru", "nul", "[1]x", "{} {}", "\"abc", "\"a\\qb\"",
        "\"\\u12\"", "\"\\uD800\"", "\"\\uDC00\"", "\"\\uD800\\u0041\"",
        "\"\\u0000\"", "\"a\tb\"", "\"\xC0\x80\"", "\"\xED\xA0\x80\"",
        "\"\xF4\x90\x80\x80\"", "\"\xE2\x82\"", "\"\xFF\"",
        "{\"a\":1,\"a\":2}", "{\"k\":1,\"b\":2,\"k\":3}",
        "{\"a\":1,\"\\u0061\":2}", "9223372036854775808",
        "-9223372036854775809", "1e999", "-1e400", "[[[[[[[[[1]]]]]]]]]",
        "[1,2,3", "'a'", "[1,,2]", "\xEF\xBB\xBF{}", "/**/1",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK(!parses(bad[i]), "accepted invalid JSON: %s", bad[i]);
    /* A message says what and where. */
    dn_json j;
    char msg[256] = "";
    dn_json_parse("{\"a\":[1,2}", 10, &LIM, &j, msg, sizeof msg);
    CHECK(strstr(msg, "expected ',' or ']'") && strstr(msg, "byte 9"),
          "message: %s", msg);
    dn_json_parse("{\"a\":1,\"a\":2}", 13, &LIM, &j, msg, sizeof msg);
    CHECK(strstr(msg, "duplicate key \"a\""), "message: %s", msg);
    /* Limits: node count and length. */
    dn_json_limits few = { 8, 3, 100 };
    CHECK(dn_json_parse("[1,2,3]", 7, &few, &j, msg, sizeof msg) != 0 &&
          strstr(msg, "more than 3 values"), "message: %s", msg);
    dn_json_limits shortl = { 8, 100, 4 };
    CHECK(dn_json_parse("[1,2]", 5, &shortl, &j, msg, sizeof msg) != 0,
          "text longer than max_len accepted");
    dn_json_limits none = { 0, 100, 100 };
    CHECK(dn_json_parse("[1]", 3, &none, &j, msg, sizeof msg) != 0 &&
          strstr(msg, "invalid limits"), "message: %s", msg);
    CHECK(dn_json_parse("\"ab\\", 4, &LIM, &j, msg, sizeof msg) != 0 &&
          strstr(msg, "unterminated escape"), "message: %s", msg);
    /* A \u escape of three UTF-8 bytes reads as them. */
    CHECK(dn_json_parse("\"\\u20ac\"", 8, &LIM, &j, msg, sizeof msg) == 0 &&
          j.node[0].type == DN_JSON_STRING &&
          !strcmp(j.node[0].str, "\xE2\x82\xAC"), "message: %s", msg);
    dn_json_free(&j);
    /* A deep hostile nesting fails at the bound, not on the C stack. */
    size_t deep = 200000;
    char *s = malloc(deep * 2);
    memset(s, '[', deep);
    memset(s + deep, ']', deep);
    dn_json_limits big = { 64, 1 << 20, 1 << 20 };
    CHECK(dn_json_parse(s, deep * 2, &big, &j, msg, sizeof msg) != 0 &&
          strstr(msg, "deeper than 64"), "message: %s", msg);
    free(s);
}

/* The message of a rejected text of n bytes ("" when it is accepted). */
static const char *reject_msg(const char *s, size_t n)
{
    static char msg[256];
    dn_json j;
    msg[0] = 0;
    if (dn_json_parse(s, n, &LIM, &j, msg, sizeof msg) == 0) {
        dn_json_free(&j);
        msg[0] = 0;
    }
    return msg;
}
#define REJECTS(lit, what) do { \
    const char *m_ = reject_msg(lit, sizeof lit - 1); \
    CHECK(strstr(m_, what) != NULL, "%s: message '%s', want '%s'", #lit, \
          m_, what); \
} while (0)

/* The decoded string of a one-string text, or NULL if it is rejected. */
static int decodes_to(const char *s, const char *want)
{
    dn_json j;
    char msg[256];
    if (dn_json_parse(s, strlen(s), &LIM, &j, msg, sizeof msg) != 0)
        return 0;
    int ok = j.node[0].type == DN_JSON_STRING && !strcmp(j.node[0].str, want);
    dn_json_free(&j);
    return ok;
}

/* Each rule of the reader at its edges: which byte ends which token, each
 * UTF-8 lead byte's range, surrogates, escapes, and where each message
 * points. */
static void test_json_edges(void)
{
    /* UTF-8: the second byte's range after E0 and F0 (no overlongs),
     * continuation bytes, a sequence cut by the end of the text */
    CHECK(decodes_to("\"\xE0\xA0\x80\"", "\xE0\xA0\x80"), "U+0800 read");
    CHECK(decodes_to("\"\xF0\x90\x80\x80\"", "\xF0\x90\x80\x80"),
          "U+10000 read");
    REJECTS("\"\xE0\x80\x80\"", "invalid UTF-8 in a string at byte 1");
    REJECTS("\"\xF0\x80\x80\x80\"", "invalid UTF-8 in a string at byte 1");
    REJECTS("\"\xE2\x82\x41\"", "invalid UTF-8 in a string at byte 1");
    REJECTS("\"a\xE2\x82", "invalid UTF-8 in a string at byte 2");
    REJECTS("\"\xC1\xBF\"", "invalid UTF-8");
    /* \u: upper-case hex, a code point above the surrogates, bad digits,
     * a high surrogate followed by something else */
    CHECK(decodes_to("\"\\u00E9\\uE000\"", "\xC3\xA9\xEE\x80\x80"),
          "\\u00E9\\uE000 read as U+00E9 U+E000");
    REJECTS("\"\\u00G0\"", "\\u must be followed by 4 hex digits at byte 1");
    REJECTS("\"\\uD800\\n\"", "high surrogate \\uD800 without a low");
    REJECTS("\"\\uD800x\"", "high surrogate \\uD800 without a low");
    REJECTS("\"\\uD800", "high surrogate \\uD800 without a low");
    REJECTS("\"\\uD800\\uE000\"", "must be followed by a low surrogate");
    REJECTS("\"\\uDFFF\"", "lone low surrogate \\uDFFF");
    REJECTS("\"\\x\"", "invalid escape '\\x' in a string at byte 1");
    REJECTS("\"\\\x01\"", "invalid escape in a string at byte 1");
    REJECTS("\"\\\0\"", "invalid escape in a string at byte 1");
    /* numbers */
    REJECTS("-a", "a number needs digits after '-' at byte 0");
    REJECTS("[1.e5]", "a number needs digits after '.' at byte 1");
    REJECTS("[1.5e+x]", "a number needs digits in its exponent at byte 1");
    REJECTS("[-01]", "leading zeros at byte 1");
    CHECK(parses("0") && parses("[0,-0.5E-2,1e+2]") && parses("-0"),
          "0, -0.5E-2, 1e+2 and -0 read");
    /* literals, keys, the end of the text inside a container */
    REJECTS("[trux]", "unknown word (only true, false and null are JSON "
            "literals) at byte 1");
    REJECTS("[fals", "unknown word");
    REJECTS("{\"a\"", "expected ':' after an object key at byte 4");
    REJECTS("{\"a\"}", "expected ':' after an object key at byte 4");
    REJECTS("{\"a\":1,", "expected a string key in an object at byte 7");
    REJECTS("{\"a\":1 ", "unexpected end of text inside an object at byte 7");
    REJECTS("[\x01]", "unexpected byte 0x01 where a value was expected");
    /* every kind of white space, between and around values */
    CHECK(parses("\t\r\n [ 1 ,\r\n\t2 ] \r\n\t"), "white space around values");
    REJECTS("[1\f]", "expected ',' or ']' at byte 2");
    /* a duplicate key too long to show whole ends in "..." */
    char dup[200];
    snprintf(dup, sizeof dup, "{\"%070d\":1,\"%070d\":2}", 0, 0);
    const char *m = reject_msg(dup, strlen(dup));
    CHECK(strstr(m, "duplicate key \"0000") && strstr(m, "0\"...") &&
          strstr(m, "at byte 149"), "message: %s", m);
    /* limits: no nodes at all is invalid, as is no depth */
    dn_json j;
    char msg[64];
    dn_json_limits none = { 8, 0, 100 };
    CHECK(dn_json_parse("1", 1, &none, &j, msg, sizeof msg) == -1 &&
          strstr(msg, "invalid limits"), "message: %s", msg);
    /* lookups outside the document or in a non-object find nothing; every
     * type has a name */
    CHECK(dn_json_parse("[{\"a\":1}]", 9, &LIM, &j, msg, sizeof msg) == 0,
          "[{\"a\":1}]: %s", msg);
    CHECK(dn_json_get(&j, 1, "a") == 2 && dn_json_get(&j, 0, "a") == -1 &&
          dn_json_get(&j, -1, "a") == -1 && dn_json_get(&j, 3, "a") == -1,
          "lookups: %d %d", dn_json_get(&j, 1, "a"), dn_json_get(&j, 0, "a"));
    dn_json_free(&j);
    dn_json_free(NULL);
    CHECK(!strcmp(dn_json_type_name(DN_JSON_FALSE), "a boolean") &&
          !strcmp(dn_json_type_name((dn_json_type)99), "?"),
          "type names: %s", dn_json_type_name((dn_json_type)99));
}

static void test_json_accept(void)
{
    const char *t = " {\"a\": [1, -2, 3.5e2, true, false, null, \"x\\n\\u00e9"
                    "\\uD83D\\uDE00\\/\"], \"b\": {}, \"c\": [], \"\": -0,"
                    " \"big\": 9223372036854775807, \"neg\": "
                    "-9223372036854775808, \"f\": 0.1} ";
    dn_json j;
    char msg[256];
    int rc = dn_json_parse(t, strlen(t), &LIM, &j, msg, sizeof msg);
    CHECK(rc == 0, "valid JSON rejected: %s", msg);
    if (rc) return;
    CHECK(j.node[0].type == DN_JSON_OBJECT && j.node[0].n == 7,
          "root has %d members", j.node[0].n);
    int a = dn_json_get(&j, 0, "a");
    CHECK(a >= 0 && j.node[a].type == DN_JSON_ARRAY && j.node[a].n == 7,
          "a has %d items", a >= 0 ? j.node[a].n : -1);
    if (a >= 0) {
        const dn_json_node *e = &j.node[a + 1];
        CHECK(e[0].is_int && e[0].i == 1, "a[0]");
        CHECK(e[1].is_int && e[1].i == -2, "a[1]");
        CHECK(!e[2].is_int && e[2].num == 350.0, "a[2] = %g", e[2].num);
        CHECK(e[3].type == DN_JSON_TRUE && e[4].type == DN_JSON_FALSE &&
              e[5].type == DN_JSON_NULL, "literals");
        CHECK(e[6].type == DN_JSON_STRING &&
              strcmp(e[6].str, "x\n\xC3\xA9\xF0\x9F\x98\x80/") == 0 &&
              e[6].len == 9, "decoded string '%s'", e[6].str);
        CHECK(j.node[a].next == a + 8, "next skips the array");
    }
    int b = dn_json_get(&j, 0, "big"), n = dn_json_get(&j, 0, "neg");
    CHECK(b >= 0 && j.node[b].i == INT64_MAX, "int64 max");
    CHECK(n >= 0 && j.node[n].i == INT64_MIN, "int64 min");
    int f = dn_json_get(&j, 0, "f");
    CHECK(f >= 0 && j.node[f].num == 0.1, "0.1");
    CHECK(dn_json_get(&j, 0, "") >= 0 && dn_json_get(&j, 0, "zz") < 0,
          "lookup");
    dn_json_free(&j);
}

/* Writer output reads back as the same string, and floats as the same
 * bits. */
static void test_json_write(void)
{
    const char *s = "q\"b\\s/\n\t\x01\x1f caf\xC3\xA9 \xF0\x9F\x98\x80";
    dn_jbuf b = { 0 };
    dn_jb_puts(&b, "[");
    dn_jb_str(&b, s);
    dn_rng r;
    dn_rng_seed(&r, 7);
    float v[200];
    for (int i = 0; i < 200; i++) {
        double x = (dn_rng_uniform(&r) - 0.5) * pow(10, (int)(dn_rng_below(&r,
                    60)) - 30);
        v[i] = i == 0 ? 3.4028235e38f : i == 1 ? 1.4e-45f : i == 2
             ? -0.0f : (float)x;
        dn_jb_puts(&b, ",");
        dn_jb_float(&b, v[i]);
    }
    dn_jb_puts(&b, "]");
    dn_json j;
    char msg[256];
    int rc = dn_json_parse(b.p, b.len, &LIM, &j, msg, sizeof msg);
    CHECK(rc == 0, "writer output rejected: %s", msg);
    if (!rc) {
        CHECK(strcmp(j.node[1].str, s) == 0, "string round trip");
        int same = 1;
        for (int i = 0; i < 200; i++) {
            float g = (float)j.node[2 + i].num;
            same &= memcmp(&g, &v[i], 4) == 0;
        }
        CHECK(same, "floats round trip bitwise through %%.9g");
        dn_json_free(&j);
    }
    /* non-finite floats and a NULL string are null; \r and the other
     * control characters are escapes; a printf longer than its 512-byte
     * buffer is cut at 511 bytes, an empty one adds nothing */
    dn_jbuf e = { 0 };
    dn_jb_float(&e, NAN);
    dn_jb_puts(&e, ",");
    dn_jb_float(&e, -INFINITY);
    dn_jb_puts(&e, ",");
    dn_jb_str(&e, NULL);
    dn_jb_puts(&e, ",");
    dn_jb_str(&e, "a\rb\bc\f");
    CHECK(!e.failed && !strcmp(e.p, "null,null,null,\"a\\rb\\u0008c\\u000c\""),
          "wrote %s", e.p);
    size_t before = e.len;
    dn_jb_printf(&e, "%s", "");
    dn_jb_printf(&e, "%0600d", 7);
    CHECK(e.len == before + 511 && e.p[e.len - 1] == '0',
          "printf of 600 bytes added %zu", e.len - before);
    dn_jb_free(&e);
    dn_jbuf bad = { 0 };
    dn_jb_str(&bad, "x\xFFy");
    CHECK(bad.failed == 2, "invalid UTF-8 not flagged");
    dn_jb_free(&bad);
    dn_jb_free(&b);
}

/* ------------------------------------------------------------------ */
/* Round trips                                                         */
/* ------------------------------------------------------------------ */

static dn_model *make_model(int n_in, const dn_layer *layers, int n_layers,
                            dn_loss loss, uint64_t seed)
{
    dn_arch A;
    memset(&A, 0, sizeof A);
    A.n_in = n_in;
    A.n_layers = n_layers;
    for (int l = 0; l < n_layers; l++) A.layer[l] = layers[l];
    A.loss = loss;
    dn_model *m;
    dn_error err;
    if (dn_model_new(&A, &m, &err)) {
        CHECK(0, "dn_model_new: %s", err.msg);
        return NULL;
    }
    dn_model_init(m, DN_INIT_GLOROT_NORMAL, 0, seed);
    /* Biases and slopes off their defaults, so a mix-up would show. */
    dn_rng r;
    dn_rng_seed(&r, seed + 1);
    for (int l = 0; l < n_layers; l++) {
        float *b = dn_model_b(m, l), *s = dn_model_slope(m, l);
        for (int j = 0; j < layers[l].units; j++) {
            b[j] = (float)dn_rng_normal(&r);
            if (s) s[j] = (float)(0.5 * dn_rng_uniform(&r));
        }
    }
    return m;
}

static int same_strs(char **a, char **b, int n)
{
    for (int i = 0; i < n; i++)
        if ((!a[i]) != (!b[i]) || (a[i] && strcmp(a[i], b[i]))) return 0;
    return 1;
}

static int same_schema(const dn_schema *a, const dn_schema *b)
{
    if (!a || !b) return a == b;
    if (a->n_cols != b->n_cols || a->n_in != b->n_in ||
        a->img_rows != b->img_rows || a->img_cols != b->img_cols ||
        a->task != b->task || a->n_classes != b->n_classes ||
        (!a->target) != (!b->target) ||
        (a->target && strcmp(a->target, b->target)))
        return 0;
    for (int i = 0; i < a->n_cols; i++) {
        const dn_column *x = &a->col[i], *y = &b->col[i];
        if (x->n_cats != y->n_cats || (!x->name) != (!y->name) ||
            (x->name && strcmp(x->name, y->name)) ||
            !same_strs(x->cats, y->cats, x->n_cats))
            return 0;
    }
    return same_strs(a->classes, b->classes, a->n_classes);
}

/* Loads what was saved and compares everything, predictions included. */
static void check_round_trip(const dn_model *m, const char *what)
{
    const char *path = tmp_path("rt.safetensors");
    dn_error err;
    dn_status st = dn_model_save(m, path, &err);
    CHECK(st == DN_OK, "%s: save: %s", what, err.msg);
    dn_model *l = NULL;
    st = dn_model_load(path, &l, &err);
    CHECK(st == DN_OK && l, "%s: load: %s", what, err.msg);
    if (!l) return;
    const dn_arch *a = dn_model_arch(m), *b = dn_model_arch(l);
    int same_arch = a->n_in == b->n_in && a->n_layers == b->n_layers &&
                    a->loss == b->loss;
    for (int i = 0; same_arch && i < a->n_layers; i++)
        same_arch = a->layer[i].units == b->layer[i].units &&
                    a->layer[i].act == b->layer[i].act &&
                    memcmp(&a->layer[i].alpha, &b->layer[i].alpha, 4) == 0;
    CHECK(same_arch, "%s: architecture differs", what);
    CHECK(dn_model_n_params(m) == dn_model_n_params(l) &&
          memcmp(dn_model_params_const(m), dn_model_params_const(l),
                 dn_model_n_params(m) * sizeof(float)) == 0,
          "%s: parameters differ", what);
    size_t d = (size_t)a->n_in;
    int scal = (!dn_model_mean(m)) == (!dn_model_mean(l));
    if (scal && dn_model_mean(m))
        scal = !memcmp(dn_model_mean(m), dn_model_mean(l), d * 4) &&
               !memcmp(dn_model_std(m), dn_model_std(l), d * 4);
    CHECK(scal, "%s: scaling differs", what);
    size_t k0 = (size_t)dn_model_n_out(m);
    int tscal = (!dn_model_target_mean(m)) == (!dn_model_target_mean(l));
    if (tscal && dn_model_target_mean(m))
        tscal = !memcmp(dn_model_target_mean(m), dn_model_target_mean(l),
                        k0 * 4) &&
                !memcmp(dn_model_target_std(m), dn_model_target_std(l),
                        k0 * 4);
    CHECK(tscal, "%s: target scaling differs", what);
    CHECK(same_schema(dn_model_schema(m), dn_model_schema(l)),
          "%s: schema differs", what);
    int meta = dn_model_meta_count(m) == dn_model_meta_count(l);
    for (int i = 0; meta && i < dn_model_meta_count(m); i++) {
        const char *k = dn_model_meta_key(m, i);
        const char *v = dn_model_meta_get(l, k);
        meta = v && strcmp(v, dn_model_meta_get(m, k)) == 0;
    }
    CHECK(meta, "%s: metadata differs", what);
    /* Same predictions, to the bit. */
    enum { N = 7 };
    int k = dn_model_n_out(m);
    float *X = malloc(N * d * sizeof *X), *p = malloc(N * k * sizeof *p),
          *q = malloc(N * k * sizeof *q);
    dn_rng r;
    dn_rng_seed(&r, 99);
    for (size_t i = 0; i < N * d; i++) X[i] = (float)(3 * dn_rng_normal(&r));
    CHECK(dn_predict(m, X, N, p, &err) == DN_OK &&
          dn_predict(l, X, N, q, &err) == DN_OK &&
          memcmp(p, q, N * k * sizeof *p) == 0, "%s: predictions differ",
          what);
    free(X); free(p); free(q);
    dn_model_free(l);
}

static void test_round_trips(void)
{
    static const dn_act hidden[] = { DN_ACT_IDENTITY, DN_ACT_SIGMOID,
        DN_ACT_TANH, DN_ACT_RELU, DN_ACT_LEAKY_RELU, DN_ACT_PRELU };
    static const struct { dn_act act; dn_loss loss; int units; } outs[] = {
        { DN_ACT_IDENTITY, DN_LOSS_MSE, 2 },
        { DN_ACT_SIGMOID, DN_LOSS_BCE, 1 },
        { DN_ACT_SOFTMAX, DN_LOSS_CE, 3 }, { DN_ACT_PRELU, DN_LOSS_MSE, 2 },
        { DN_ACT_LEAKY_RELU, DN_LOSS_MSE, 1 }, { DN_ACT_TANH, DN_LOSS_MSE, 1 },
    };
    int nh = sizeof hidden / sizeof *hidden, no = sizeof outs / sizeof *outs;
    for (int h = 0; h < nh; h++)
        for (int o = 0; o < no; o++) {
            /* leaky alpha: default in one layer, custom in the other */
            dn_layer L[3] = {
                { .units = 5, .act = hidden[h], .alpha = 0.2f },
                { .units = 4, .act = hidden[(h + o) % nh] },
                { .units = outs[o].units, .act = outs[o].act } };
            dn_model *m = make_model(3, L, 3, outs[o].loss, 10 + h * 7 + o);
            if (!m) continue;
            char what[64];
            snprintf(what, sizeof what, "%s/%s -> %s",
                     dn_act_name(hidden[h]), dn_act_name(L[1].act),
                     dn_act_name(outs[o].act));
            check_round_trip(m, what);
            dn_model_free(m);
        }
}

static char *cats[] = { "blue", "red" };
static char *classes[] = { "cat", "dog", "", "f\xC3\xBCnf \"q\"" };

/* x1 numeric, color one-hot (2), x2 numeric: 4 inputs. */
static dn_schema *make_schema(dn_task task, int n_classes)
{
    static dn_column col[3];
    static dn_schema s;
    col[0] = (dn_column){ .name = "x1" };
    col[1] = (dn_column){ .name = "color", .n_cats = 2, .cats = cats };
    col[2] = (dn_column){ .name = "x\\2,\n" };
    s = (dn_schema){ .n_cols = 3, .col = col, .n_in = 4, .target = "label",
                     .task = task, .n_classes = n_classes,
                     .classes = n_classes ? classes : NULL };
    return &s;
}

static void test_extras(void)
{
    dn_layer L[2] = { { .units = 6, .act = DN_ACT_PRELU, .alpha = 0.1f },
                        { .units = 4, .act = DN_ACT_SOFTMAX } };
    dn_model *m = make_model(4, L, 2, DN_LOSS_CE, 5);
    if (!m) return;
    dn_error err;
    float mean[4] = { 1.5f, 0.1f, -3e-7f, 12345.678f };
    float sd[4] = { 0.25f, 1.0f / 3, 7e20f, 1e-30f };
    CHECK(dn_model_set_scaling(m, mean, sd, &err) == DN_OK, "%s", err.msg);
    check_round_trip(m, "scaling");
    CHECK(dn_model_set_schema(m, make_schema(DN_TASK_MULTICLASS, 4), &err)
          == DN_OK, "%s", err.msg);
    check_round_trip(m, "scaling+schema");
    dn_model_meta_set(m, "author", "Ada \xE2\x9C\x93 \"quoted\"\n", &err);
    dn_model_meta_set(m, "descent.future_key", "kept", &err);
    dn_model_meta_set(m, "empty", "", &err);
    check_round_trip(m, "scaling+schema+metadata");
    dn_model_set_scaling(m, NULL, NULL, &err);
    check_round_trip(m, "schema+metadata");

    /* Target scaling, on a regression model. */
    dn_layer R[2] = { { .units = 3, .act = DN_ACT_TANH }, { .units = 2,
                        .act = DN_ACT_IDENTITY } };
    dn_model *reg = make_model(4, R, 2, DN_LOSS_MSE, 9);
    float tm[2] = { 250.5f, -1e-3f }, ts[2] = { 80.25f, 3e-5f };
    CHECK(dn_model_set_target_scaling(reg, tm, ts, &err) == DN_OK, "%s",
          err.msg);
    check_round_trip(reg, "target scaling");
    CHECK(dn_model_set_scaling(reg, mean, sd, &err) == DN_OK, "%s", err.msg);
    check_round_trip(reg, "input and target scaling");
    dn_model_free(reg);

    /* A schema with images and null names; binary task. */
    dn_layer B[2] = { { .units = 3, .act = DN_ACT_RELU }, { .units = 1,
                        .act = DN_ACT_SIGMOID } };
    dn_model *b = make_model(6, B, 2, DN_LOSS_BCE, 8);
    dn_schema img = { .n_cols = 0, .n_in = 6, .img_rows = 2, .img_cols = 3,
                      .task = DN_TASK_BINARY, .n_classes = 2,
                      .classes = classes };
    CHECK(dn_model_set_schema(b, &img, &err) == DN_OK, "%s", err.msg);
    check_round_trip(b, "image schema");
    dn_model_free(b);

    /* A schema that does not fit the network is refused when it is set
     * (before: only at save time), by the loader's own check, and the
     * model keeps the schema it had. */
    const char *path = tmp_path("bad.safetensors");
    dn_model *w = make_model(6, B, 2, DN_LOSS_BCE, 8);
    CHECK(dn_model_set_schema(w, &img, &err) == DN_OK, "%s", err.msg);
    dn_schema two = { .n_cols = 0, .n_in = 6, .task = DN_TASK_MULTICLASS,
                      .n_classes = 2, .classes = classes };
    CHECK(dn_model_set_schema(w, &two, &err) == DN_EARG &&
          strstr(err.msg, "does not fit the network") &&
          strstr(err.msg, "one output unit per class"), "got: %s", err.msg);
    CHECK(dn_model_schema(w) && dn_model_schema(w)->task == DN_TASK_BINARY,
          "a refused schema replaced the model's");
    dn_schema wide = { .n_cols = 0, .n_in = 7, .task = DN_TASK_BINARY,
                       .n_classes = 2, .classes = classes };
    CHECK(dn_model_set_schema(w, &wide, &err) == DN_EARG &&
          strstr(err.msg, "encodes 7 inputs but the architecture has 6"),
          "got: %s", err.msg);
    CHECK(dn_model_set_schema(NULL, &img, &err) == DN_EARG &&
          strstr(err.msg, "NULL"), "NULL model: %s", err.msg);
    CHECK(dn_model_save(w, tmp_path("kept.safetensors"), &err) == DN_OK,
          "%s", err.msg);
    dn_model_free(w);
    /* A multiclass schema on a network of 3 identity outputs with MSE */
    dn_layer R3[1] = { { .units = 3, .act = DN_ACT_IDENTITY } };
    dn_model *r3 = make_model(6, R3, 1, DN_LOSS_MSE, 8);
    dn_schema three = { .n_cols = 0, .n_in = 6, .task = DN_TASK_MULTICLASS,
                        .n_classes = 3, .classes = classes };
    CHECK(dn_model_set_schema(r3, &three, &err) == DN_EARG &&
          strstr(err.msg, "needs a softmax output with the ce loss, the "
                 "network's output is identity with the mse loss"),
          "got: %s", err.msg);
    CHECK(dn_model_schema(r3) == NULL, "the refused schema was kept");
    dn_model_free(r3);

    /* Reserved keys and non-UTF-8 text cannot be saved. */
    dn_model_meta_set(m, "descent.arch", "x", &err);
    CHECK(dn_model_save(m, path, &err) == DN_EARG &&
          strstr(err.msg, "'descent.arch' is reserved"), "got: %s", err.msg);
    dn_model_free(m);
    m = make_model(4, L, 2, DN_LOSS_CE, 5);
    dn_model_meta_set(m, "note", "caf\xE9", &err);
    CHECK(dn_model_save(m, path, &err) == DN_EARG &&
          strstr(err.msg, "not valid UTF-8"), "got: %s", err.msg);
    CHECK(!file_exists(path), "a failed save left a file");
    dn_model_free(m);
}

/* ------------------------------------------------------------------ */
/* The header, read as JSON                                            */
/* ------------------------------------------------------------------ */

static void test_header(void)
{
    dn_layer L[3] = { { .units = 5, .act = DN_ACT_TANH }, { .units = 4,
                        .act = DN_ACT_PRELU },
                      { .units = 2, .act = DN_ACT_IDENTITY } };
    dn_model *m = make_model(3, L, 3, DN_LOSS_MSE, 3);
    if (!m) return;
    dn_error err;
    float mean[3] = { 1, 2, 3 }, sd[3] = { 4, 5, 6 };
    dn_model_set_scaling(m, mean, sd, &err);
    dn_model_meta_set(m, "note", "hi", &err);
    const char *path = tmp_path("h.safetensors");
    CHECK(dn_model_save(m, path, &err) == DN_OK, "%s", err.msg);
    size_t n;
    unsigned char *f = read_bytes(path, &n);
    if (!f || n < 8) {
        CHECK(0, "no file");
        free(f);
        dn_model_free(m);
        return;
    }
    uint64_t hl = le64(f);
    CHECK(hl % 8 == 0, "header length %llu is not a multiple of 8",
          (unsigned long long)hl);
    CHECK(n == 8 + hl + 4 * dn_model_n_params(m), "file size %zu", n);
    dn_json j;
    char msg[256];
    dn_json_limits lim = { 16, 100000, 1 << 24 };
    if (dn_json_parse((char *)f + 8, hl, &lim, &j, msg, sizeof msg)) {
        CHECK(0, "header is not JSON: %s", msg);
        free(f); dn_model_free(m);
        return;
    }
    int md = dn_json_get(&j, 0, "__metadata__");
    CHECK(md >= 0 && j.node[md].type == DN_JSON_OBJECT, "__metadata__");
    int all_str = md >= 0;
    for (int i = md + 1; md >= 0 && i < j.node[md].next; i = j.node[i].next)
        all_str &= j.node[i].type == DN_JSON_STRING;
    CHECK(all_str, "metadata values are all strings");
    int k = dn_json_get(&j, md, "format"), v = dn_json_get(&j, md,
            "descent.version"), a = dn_json_get(&j, md, "descent.arch"),
        nt = dn_json_get(&j, md, "note"), sc = dn_json_get(&j, md,
            "descent.scaling");
    CHECK(k >= 0 && !strcmp(j.node[k].str, "descent"), "format");
    CHECK(v >= 0 && !strcmp(j.node[v].str, "1"), "version");
    CHECK(nt >= 0 && !strcmp(j.node[nt].str, "hi"), "user metadata");
    CHECK(dn_json_get(&j, md, "descent.schema") < 0, "no schema key");
    CHECK(a >= 0 && !strcmp(j.node[a].str, "{\"n_in\":3,\"layers\":["
          "{\"units\":5,\"act\":\"tanh\"},{\"units\":4,\"act\":\"prelu\","
          "\"alpha\":0.25},{\"units\":2,\"act\":\"identity\"}],\"loss\":"
          "\"mse\"}"), "arch: %s", a >= 0 ? j.node[a].str : "");
    CHECK(sc >= 0 && !strcmp(j.node[sc].str, "{\"mean\":[1,2,3],\"std\":"
          "[4,5,6]}"), "scaling: %s", sc >= 0 ? j.node[sc].str : "");
    /* Names, shapes and offsets as PyTorch's nn.Sequential(Linear, Tanh,
     * Linear, PReLU(4), Linear, Identity) state dict. */
    static const struct { const char *name; int r, c; int l, kind; } want[] = {
        { "0.weight", 5, 3, 0, 0 }, { "0.bias", 5, 0, 0, 1 },
        { "2.weight", 4, 5, 1, 0 }, { "2.bias", 4, 0, 1, 1 },
        { "3.weight", 4, 0, 1, 2 }, { "4.weight", 2, 4, 2, 0 },
        { "4.bias", 2, 0, 2, 1 },
    };
    CHECK(j.node[0].n == 8, "header has %d entries, want 8", j.node[0].n);
    for (size_t w = 0; w < sizeof want / sizeof *want; w++) {
        int t = dn_json_get(&j, 0, want[w].name);
        if (t < 0) { CHECK(0, "no tensor %s", want[w].name); continue; }
        int dt = dn_json_get(&j, t, "dtype"), sh = dn_json_get(&j, t, "shape"),
            of = dn_json_get(&j, t, "data_offsets");
        CHECK(dt >= 0 && !strcmp(j.node[dt].str, "F32"), "%s dtype",
              want[w].name);
        int rank = want[w].c ? 2 : 1;
        CHECK(sh >= 0 && j.node[sh].n == rank && j.node[sh + 1].i ==
              want[w].r && (rank == 1 || j.node[sh + 2].i == want[w].c),
              "%s shape", want[w].name);
        float *theta = dn_model_params(m);
        float *src = want[w].kind == 0 ? dn_model_W(m, want[w].l)
                   : want[w].kind == 1 ? dn_model_b(m, want[w].l)
                   : dn_model_slope(m, want[w].l);
        int64_t b = (int64_t)(src - theta) * 4;
        int64_t cnt = (int64_t)want[w].r * (want[w].c ? want[w].c : 1);
        CHECK(of >= 0 && j.node[of + 1].i == b && j.node[of + 2].i ==
              b + 4 * cnt, "%s offsets", want[w].name);
        /* The bytes are little-endian float32, whatever the host. */
        int same = 1;
        for (int64_t e = 0; e < cnt; e++)
            same &= lef32(f + 8 + hl + b + 4 * e) == src[e];
        CHECK(same, "%s data", want[w].name);
    }
    dn_json_free(&j);
    free(f);
    dn_model_free(m);
}

/* ------------------------------------------------------------------ */
/* Atomic saves                                                        */
/* ------------------------------------------------------------------ */

static int leftover_tmp(const char *d)
{
    DIR *dp = opendir(d);
    if (!dp) return 0;
    int found = 0;
    struct dirent *e;
    while ((e = readdir(dp)))
        if (strstr(e->d_name, ".tmp.")) found = 1;
    closedir(dp);
    return found;
}

static void test_atomic(void)
{
    dn_layer L[2] = { { .units = 3, .act = DN_ACT_RELU }, { .units = 1,
                        .act = DN_ACT_IDENTITY } };
    dn_model *a = make_model(2, L, 2, DN_LOSS_MSE, 1);
    dn_model *b = make_model(2, L, 2, DN_LOSS_MSE, 2);
    if (!a || !b) return;
    dn_error err;
    const char *nodir = tmp_path("no/such/dir/m.safetensors");
    CHECK(dn_model_save(a, nodir, &err) == DN_EIO &&
          strstr(err.msg, nodir) && strstr(err.msg, "No such file"),
          "got: %s", err.msg);
    CHECK(!file_exists(tmp_path("no")), "a failed save created something");

    /* Saving over a file replaces it. */
    const char *p = tmp_path("over.safetensors");
    dn_model_save(a, p, &err);
    CHECK(dn_model_save(b, p, &err) == DN_OK, "%s", err.msg);
    dn_model *l = NULL;
    CHECK(dn_model_load(p, &l, &err) == DN_OK && l &&
          !memcmp(dn_model_params_const(l), dn_model_params_const(b),
                  dn_model_n_params(b) * 4), "the second save did not win");
    dn_model_free(l);

    /* A file already at the temporary name is neither written through
     * nor removed. */
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", p, (long)getpid());
    write_bytes(tmp, "mine", 4);
    size_t n = 0;
    CHECK(dn_model_save(a, p, &err) == DN_EIO &&
          strstr(err.msg, "already exists"), "got: %s", err.msg);
    unsigned char *t = read_bytes(tmp, &n);
    CHECK(t && n == 4 && !memcmp(t, "mine", 4), "the stranger was touched");
    free(t);
    remove(tmp);

    /* A rename that fails (the target is a directory) leaves neither a
     * temporary file nor a change. */
    const char *dpath = tmp_path("adir");
    mkdir(dpath, 0755);
    CHECK(dn_model_save(a, dpath, &err) == DN_EIO && strstr(err.msg, dpath),
          "got: %s", err.msg);
    CHECK(!leftover_tmp(dir), "a temporary file was left behind");
    rmdir(dpath);
    dn_model_free(a);
    dn_model_free(b);
}

/* ------------------------------------------------------------------ */
/* Malformed files                                                     */
/* ------------------------------------------------------------------ */

static void expect_fail_at(int line, const char *path, dn_status code,
                           const char *needle)
{
    dn_model *m = (dn_model *)1;
    dn_error err;
    err.msg[0] = 0;
    dn_status st = dn_model_load(path, &m, &err);
    if (st == code && m == NULL && strstr(err.msg, needle) &&
        strstr(err.msg, path))
        check_passed++;
    else {
        check_failed++;
        fprintf(stderr, "FAIL line %d: want %s with \"%s\", got %s: %s\n",
                line, dn_status_name(code), needle, dn_status_name(st),
                err.msg);
    }
    if (st == DN_OK && m && m != (dn_model *)1) dn_model_free(m);
}
#define EXPECT_FAIL(p, c, s) expect_fail_at(__LINE__, p, c, s)

/* Writes a safetensors file: length, header, data. */
static const char *st_file(const char *header, const void *data, size_t n)
{
    const char *path = tmp_path("bad.safetensors");
    size_t h = strlen(header);
    unsigned char *b = malloc(8 + h + n + 1);
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)((uint64_t)h >> (8 * i));
    memcpy(b + 8, header, h);
    if (n) memcpy(b + 8 + h, data, n);
    write_bytes(path, b, 8 + h + n);
    free(b);
    return path;
}

/* A model of 2 inputs and one identity unit: 0.weight [1,2], 0.bias [1]. */
#define ARCH(n_in, layers, loss) \
    "\"descent.arch\":\"{\\\"n_in\\\":" #n_in ",\\\"layers\\\":[" layers \
    "],\\\"loss\\\":\\\"" loss "\\\"}\""
#define LAYER(u, act) "{\\\"units\\\":" #u ",\\\"act\\\":\\\"" act "\\\"}"
#define META_V(v, arch) "\"__metadata__\":{\"format\":\"descent\"," \
    "\"descent.version\":\"" v "\"," arch
#define META(arch) META_V("1", arch)
#define SMALL ARCH(2, LAYER(1, "identity"), "mse")
#define T(name, shape, b, e) ",\"" name "\":{\"dtype\":\"F32\",\"shape\":" \
    shape ",\"data_offsets\":[" #b "," #e "]}"
#define W_B T("0.weight", "[1,2]", 0, 8) T("0.bias", "[1]", 8, 12)

/* Enough floats for every file below; the first three are the small
 * model's. */
static const float DATA[16] = { 0.5f, -2.0f, 0.25f };

static void test_malformed(void)
{
    EXPECT_FAIL(tmp_path("missing.safetensors"), DN_EIO, "No such file");
    EXPECT_FAIL(dir, DN_EIO, "not a regular file");
    const char *p = tmp_path("bad.safetensors");
    write_bytes(p, "", 0);
    EXPECT_FAIL(p, DN_EFORMAT, "only 0 bytes");
    write_bytes(p, "\x10\0\0\0\0\0\0", 7);
    EXPECT_FAIL(p, DN_EFORMAT, "only 7 bytes");
    write_bytes(p, "\x64\0\0\0\0\0\0\0{}", 10);
    EXPECT_FAIL(p, DN_EFORMAT, "header length 100 is larger than the 2");
    write_bytes(p, "\0\0\0\0\0\0\0\x80{}", 10);
    EXPECT_FAIL(p, DN_EFORMAT, "header length 9223372036854775808");
    write_bytes(p, "\xff\xff\xff\xff\xff\xff\xff\xff", 8);
    EXPECT_FAIL(p, DN_EFORMAT, "is larger than");

    /* The reference file loads, so each failure below is its own. */
    dn_model *m = NULL;
    dn_error err;
    p = st_file("{" META(SMALL) "}" W_B "}", DATA, 12);
    CHECK(dn_model_load(p, &m, &err) == DN_OK && m &&
          dn_model_W(m, 0)[1] == -2.0f && dn_model_b(m, 0)[0] == 0.25f,
          "reference file: %s", err.msg);
    dn_model_free(m);

    /* Any tensor order (PyTorch's safetensors sorts by name), a newer
     * minor version, and user metadata load. */
    p = st_file("{" META_V("1.3", SMALL) ",\"who\":\"me\"}"
                T("0.bias", "[1]", 0, 4) T("0.weight", "[1,2]", 4, 12) "}",
                DATA, 12);
    m = NULL;
    CHECK(dn_model_load(p, &m, &err) == DN_OK && m &&
          dn_model_b(m, 0)[0] == 0.5f && dn_model_W(m, 0)[0] == -2.0f &&
          dn_model_W(m, 0)[1] == 0.25f && dn_model_meta_count(m) == 1 &&
          !strcmp(dn_model_meta_get(m, "who"), "me"),
          "reordered file: %s", err.msg);
    dn_model_free(m);

    EXPECT_FAIL(st_file("{not json}", NULL, 0), DN_EFORMAT,
                "header is not valid JSON");
    EXPECT_FAIL(st_file("", NULL, 0), DN_EFORMAT, "not valid JSON");
    EXPECT_FAIL(st_file("[1,2]", NULL, 0), DN_EFORMAT,
                "header is an array, not a JSON object");
    EXPECT_FAIL(st_file("{" META(SMALL) "}" W_B "}}", DATA, 12), DN_EFORMAT,
                "unexpected text after the JSON value");
    EXPECT_FAIL(st_file("{\"x\":1" W_B "}", DATA, 12), DN_EFORMAT,
                "safetensors file, but not a descent model");
    EXPECT_FAIL(st_file("{\"x\":1}", NULL, 0), DN_EFORMAT,
                "not a descent model file");
    EXPECT_FAIL(st_file("{\"__metadata__\":{\"format\":\"pt\"}" W_B "}",
                        DATA, 12), DN_EFORMAT, "\"format\": \"pt\"");
    EXPECT_FAIL(st_file("{\"__metadata__\":{\"format\":\"descent\"}}", NULL,
                        0), DN_EFORMAT, "no \"descent.version\"");
    EXPECT_FAIL(st_file("{" META_V("2", SMALL) "}" W_B "}", DATA, 12),
                DN_EFORMAT, "newer descent");
    EXPECT_FAIL(st_file("{" META_V("x1", SMALL) "}" W_B "}", DATA, 12),
                DN_EFORMAT, "'x1' is not a format version");
    EXPECT_FAIL(st_file("{\"__metadata__\":{\"format\":\"descent\","
                        "\"n\":3}}", NULL, 0), DN_EFORMAT,
                "entry 'n' is a number");
    EXPECT_FAIL(st_file("{\"__metadata__\":{\"format\":\"descent\","
                        "\"descent.version\":\"1\"}" W_B "}", DATA, 12),
                DN_EFORMAT, "no \"descent.arch\"");
    EXPECT_FAIL(st_file("{" META(SMALL) "}" T("0.weight", "[1,2]", 0, 4)
                        T("0.bias", "[1]", 4, 8) "}", DATA, 8), DN_EFORMAT,
                "tensor '0.weight' has 2 elements, which take 8 bytes");
    /* dtype F16: 2 bytes per element */
    EXPECT_FAIL(st_file("{" META(SMALL) "},\"0.weight\":{\"dtype\":\"F16\","
                        "\"shape\":[1,2],\"data_offsets\":[0,4]}"
                        T("0.bias", "[1]", 4, 8) "}", DATA, 8), DN_EFORMAT,
                "tensor '0.weight' has dtype F16");
    EXPECT_FAIL(st_file("{" META(SMALL) "}" T("0.weight",
                        "[4294967296,4294967296]", 0, 8)
                        T("0.bias", "[1]", 8, 12) "}", DATA, 12), DN_EFORMAT,
                "shape [4294967296, 4294967296], more than the limit");
    EXPECT_FAIL(st_file("{" META(SMALL) "}" T("0.weight", "[1,-2]", 0, 8)
                        T("0.bias", "[1]", 8, 12) "}", DATA, 12), DN_EFORMAT,
                "shape entries must be non-negative");
    EXPECT_FAIL(st_file("{" META(SMALL) "}" T("0.weight", "[1,2]", 0, 8)
                        T("0.bias", "[1]", 8, 12) "}", DATA, 11), DN_EFORMAT,
                "tensor '0.bias' has data_offsets [8, 12] outside the 11");
    EXPECT_FAIL(st_file("{" META(SMALL) "}" T("0.weight", "[1,2]", 0, 8)
                        T("0.bias", "[1]", 8, 99999999999999999999) "}",
                        DATA, 12), DN_EFORMAT, "integer out of range");
    EXPECT_FAIL(st_file("{" META(SMALL) "}" T("0.weight", "[1,2]", 0, 8)
                        T("0.bias", "[1]", 4, 8) "}", DATA, 8), DN_EFORMAT,
                "tensors '0.weight' and '0.bias' overlap");
    EXPECT_FAIL(st_file("{" META(SMALL) "}" T("0.weight", "[1,2]", 0, 8)
                        T("0.bias", "[1]", 12, 16) "}", DATA, 16), DN_EFORMAT,
                "bytes 8 to 12 of the data belong to no tensor");
    EXPECT_FAIL(st_file("{" META(SMALL) "}" W_B "}", DATA, 16), DN_EFORMAT,
                "the last 4 bytes of the file belong to no tensor");
    EXPECT_FAIL(st_file("{" META(ARCH(3, LAYER(1, "identity"), "mse")) "}"
                        W_B "}", DATA, 12), DN_EFORMAT,
                "tensor '0.weight' has shape [1, 2] but the architecture "
                "needs [1, 3]");
    EXPECT_FAIL(st_file("{" META(SMALL) "}" T("0.weight", "[1,2]", 0, 8) "}",
                        DATA, 8), DN_EFORMAT, "tensor '0.bias' is missing");
    EXPECT_FAIL(st_file("{" META(SMALL) "}" W_B T("1.weight", "[1]", 12, 16)
                        "}", DATA, 16), DN_EFORMAT,
                "unexpected tensor '1.weight'");
    EXPECT_FAIL(st_file("{" META(SMALL) "}" W_B T("00.bias", "[0]", 12, 12)
                        "}", DATA, 12), DN_EFORMAT,
                "unexpected tensor '00.bias'");
    EXPECT_FAIL(st_file("{" META(SMALL) "}" W_B ",\"0.bias2\":[]}", DATA, 12),
                DN_EFORMAT, "tensor '0.bias2' is an array");
    EXPECT_FAIL(st_file("{" META(SMALL) "}" T("0.weight", "[1,2]", 0, 8)
                        ",\"0.bias\":{\"dtype\":\"F32\",\"shape\":[1],"
                        "\"data_offsets\":[8,12],\"x\":1}}", DATA, 12),
                DN_EFORMAT, "tensor '0.bias' has an unknown field 'x'");
    EXPECT_FAIL(st_file("{" META(ARCH(2, LAYER(2, "softmax") ","
                        LAYER(2, "softmax"), "ce")) "}"
                        T("0.weight", "[2,2]", 0, 16)
                        T("0.bias", "[2]", 16, 24)
                        T("2.weight", "[2,2]", 24, 40)
                        T("2.bias", "[2]", 40, 48) "}", DATA, 48), DN_EFORMAT,
                "softmax belongs on the output layer only");
    EXPECT_FAIL(st_file("{" META(ARCH(2, LAYER(1, "swish"), "mse")) "}"
                        W_B "}", DATA, 12), DN_EFORMAT,
                "unknown activation 'swish'");
    EXPECT_FAIL(st_file("{" META(ARCH(2, LAYER(1, "sigmoid"), "ce")) "}"
                        W_B "}", DATA, 12), DN_EFORMAT,
                "loss ce needs a softmax output");
    EXPECT_FAIL(st_file("{" META(ARCH(2, LAYER(0, "identity"), "mse")) "}"
                        W_B "}", DATA, 12), DN_EFORMAT,
                "'units' in layer 1 must be an integer from 1");
    EXPECT_FAIL(st_file("{" META(ARCH(2, LAYER(1, "identity"), "mse\\\","
                        "\\\"dropout\\\":\\\"0.5")) "}" W_B "}", DATA, 12),
                DN_EFORMAT, "unknown field 'dropout'");
    EXPECT_FAIL(st_file("{" META("\"descent.arch\":\"[1]\"") "}" W_B "}",
                        DATA, 12), DN_EFORMAT,
                "descent.arch: is an array, not a JSON object");

    /* Each field of the architecture missing, of the wrong type, null or
     * out of range. */
#define ARCHED(a) st_file("{" META("\"descent.arch\":\"{" a "}\"") "}" W_B \
                          "}", DATA, 12)
#define NIN "\\\"n_in\\\":2,"
#define MSE ",\\\"loss\\\":\\\"mse\\\""
    EXPECT_FAIL(ARCHED(NIN "\\\"layers\\\":[{\\\"act\\\":\\\"identity\\\"}]"
                       MSE), DN_EFORMAT, "layer 1 has no 'units'");
    EXPECT_FAIL(ARCHED(NIN "\\\"layers\\\":[{\\\"units\\\":1.5,\\\"act\\\":"
                       "\\\"identity\\\"}]" MSE), DN_EFORMAT,
                "'units' in layer 1 must be an integer from 1");
    EXPECT_FAIL(ARCHED(NIN "\\\"layers\\\":[{\\\"units\\\":\\\"1\\\","
                       "\\\"act\\\":\\\"identity\\\"}]" MSE), DN_EFORMAT,
                "'units' in layer 1 must be an integer from 1");
    EXPECT_FAIL(ARCHED(NIN "\\\"layers\\\":[{\\\"units\\\":1}]" MSE),
                DN_EFORMAT, "layer 1 has no 'act'");
    EXPECT_FAIL(ARCHED(NIN "\\\"layers\\\":[{\\\"units\\\":1,\\\"act\\\":"
                       "null}]" MSE), DN_EFORMAT, "layer 1: 'act' is null");
    EXPECT_FAIL(ARCHED(NIN "\\\"layers\\\":[{\\\"units\\\":1,\\\"act\\\":3}]"
                       MSE), DN_EFORMAT,
                "'act' in layer 1 is a number, not a string");
    EXPECT_FAIL(ARCHED(NIN "\\\"layers\\\":[{\\\"units\\\":1,\\\"act\\\":"
                       "\\\"identity\\\",\\\"alpha\\\":1e300}]" MSE),
                DN_EFORMAT, "layer 1: alpha is out of float32 range");
    EXPECT_FAIL(ARCHED(NIN "\\\"layers\\\":[1]" MSE), DN_EFORMAT,
                "layer 1 is a number, not an object");
    EXPECT_FAIL(ARCHED(NIN "\\\"layers\\\":[]" MSE), DN_EFORMAT,
                "0 layers; a network has 1 to");
    EXPECT_FAIL(ARCHED(NIN "\\\"layers\\\":{}" MSE), DN_EFORMAT,
                "'layers' in the architecture is an object, not an array");
    EXPECT_FAIL(ARCHED(NIN "\\\"layers\\\":[" LAYER(1, "identity") "],"
                       "\\\"loss\\\":null"), DN_EFORMAT, "'loss' is null");
    EXPECT_FAIL(ARCHED(NIN "\\\"layers\\\":[" LAYER(1, "identity") "]"),
                DN_EFORMAT, "the architecture has no 'loss'");
    EXPECT_FAIL(ARCHED("\\\"layers\\\":[" LAYER(1, "identity") "]" MSE),
                DN_EFORMAT, "the architecture has no 'n_in'");
    EXPECT_FAIL(ARCHED("\\\"n_in\\\":0,\\\"layers\\\":[" LAYER(1, "identity")
                       "]" MSE), DN_EFORMAT,
                "'n_in' in the architecture must be an integer from 1");
    /* Tensor entries: each field missing or mistyped, a rank-3 shape. */
    EXPECT_FAIL(st_file("{" META(SMALL) "},\"0.weight\":{\"shape\":[1,2],"
                        "\"data_offsets\":[0,8]}" T("0.bias", "[1]", 8, 12)
                        "}", DATA, 12), DN_EFORMAT,
                "tensor '0.weight' has no \"dtype\" string");
    EXPECT_FAIL(st_file("{" META(SMALL) "},\"0.weight\":{\"dtype\":\"F32\","
                        "\"data_offsets\":[0,8]}" T("0.bias", "[1]", 8, 12)
                        "}", DATA, 12), DN_EFORMAT,
                "tensor '0.weight' has no \"shape\" list");
    EXPECT_FAIL(st_file("{" META(SMALL) "},\"0.weight\":{\"dtype\":\"F32\","
                        "\"shape\":[1,2]}" T("0.bias", "[1]", 8, 12)
                        "}", DATA, 12), DN_EFORMAT,
                "tensor '0.weight' needs \"data_offsets\": [begin, end]");
    EXPECT_FAIL(st_file("{" META(SMALL) "}" T("0.weight", "[1,2]", 0, 8)
                        ",\"0.bias\":{\"dtype\":\"F32\",\"shape\":[1],"
                        "\"data_offsets\":[8,-12]}}", DATA, 12), DN_EFORMAT,
                "tensor '0.bias' needs \"data_offsets\": [begin, end]");
    EXPECT_FAIL(st_file("{" META(SMALL) "}" T("0.weight", "[1,2,1]", 0, 8)
                        T("0.bias", "[1]", 8, 12) "}", DATA, 12), DN_EFORMAT,
                "tensor '0.weight' has shape [1, 2, 1] but the architecture "
                "needs [1, 2]");
    EXPECT_FAIL(st_file("{" META(SMALL) "}" T("0.weight", "[2]", 0, 8)
                        T("0.bias", "[1]", 8, 12) "}", DATA, 12), DN_EFORMAT,
                "tensor '0.weight' has shape [2] but the architecture needs "
                "[1, 2]");
    /* names that are no tensor of a one-layer identity network: a slope
     * of a layer that is not PReLU, a misspelt kind, no number, no dot */
    static const char *const odd[] = { "1.weight", "1.bias", "0.weights",
                                       "x.bias", "0bias" };
    for (size_t i = 0; i < sizeof odd / sizeof *odd; i++) {
        char h[1024], want[64];
        snprintf(h, sizeof h, "{" META(SMALL) "}" W_B T("%s", "[0]", 12, 12)
                 "}", odd[i]);
        snprintf(want, sizeof want, "unexpected tensor '%s'", odd[i]);
        EXPECT_FAIL(st_file(h, DATA, 12), DN_EFORMAT, want);
    }
    /* a PReLU layer's slope is tensor 1.weight, never 1.bias */
#define PRELU_ARCH ARCH(2, LAYER(1, "prelu"), "mse")
    EXPECT_FAIL(st_file("{" META(PRELU_ARCH) "}" W_B T("1.bias", "[1]", 12,
                        16) "}", DATA, 16), DN_EFORMAT,
                "unexpected tensor '1.bias'");
    EXPECT_FAIL(st_file("{" META(PRELU_ARCH) "}" W_B "}", DATA, 12),
                DN_EFORMAT, "tensor '1.weight' is missing (the architecture's "
                "layer 1 needs it)");
    /* Version strings: empty and a bare major of 0. */
    EXPECT_FAIL(st_file("{" META_V("", SMALL) "}" W_B "}", DATA, 12),
                DN_EFORMAT, "'' is not a format version");
    EXPECT_FAIL(st_file("{" META_V("0.9", SMALL) "}" W_B "}", DATA, 12),
                DN_EFORMAT, "'0.9' is not a format version");
    EXPECT_FAIL(st_file("{" META_V("1x", SMALL) "}" W_B "}", DATA, 12),
                DN_EFORMAT, "'1x' is not a format version");

    /* Scaling: NaN is not JSON; huge values are not float32; the length
     * must be n_in; std must be positive. */
#define SCALED(s) st_file("{" META(SMALL) ",\"descent.scaling\":\"" s "\"}" \
                          W_B "}", DATA, 12)
    EXPECT_FAIL(SCALED("{\\\"mean\\\":[NaN,0],\\\"std\\\":[1,1]}"), DN_EFORMAT,
                "descent.scaling: not valid JSON: unexpected character 'N'");
    EXPECT_FAIL(SCALED("{\\\"mean\\\":[1e999,0],\\\"std\\\":[1,1]}"),
                DN_EFORMAT, "number out of range");
    EXPECT_FAIL(SCALED("{\\\"mean\\\":[1e300,0],\\\"std\\\":[1,1]}"),
                DN_EFORMAT, "mean[0] is not a finite float32");
    EXPECT_FAIL(SCALED("{\\\"mean\\\":[0],\\\"std\\\":[1,1]}"), DN_EFORMAT,
                "'mean' has 1 entries; the architecture has 2");
    EXPECT_FAIL(SCALED("{\\\"mean\\\":[0,0],\\\"std\\\":[1,0]}"), DN_EFORMAT,
                "std[1] is 0");
    EXPECT_FAIL(SCALED("{\\\"mean\\\":[0,\\\"a\\\"],\\\"std\\\":[1,1]}"),
                DN_EFORMAT, "mean[1] is not a finite");
    EXPECT_FAIL(st_file("{" META(SMALL) ",\"descent.target_scaling\":"
                        "\"{\\\"mean\\\":[0,0],\\\"std\\\":[1,1]}\"}" W_B "}",
                        DATA, 12), DN_EFORMAT,
                "'mean' has 2 entries; the architecture has 1 outputs");
    EXPECT_FAIL(st_file("{" META(ARCH(2, LAYER(1, "sigmoid"), "bce"))
                        ",\"descent.target_scaling\":\"{\\\"mean\\\":[0],"
                        "\\\"std\\\":[1]}\"}" W_B "}", DATA, 12), DN_EFORMAT,
                "target scaling belongs to regression (mse) models; this "
                "model's loss is bce");
    p = SCALED("{\\\"mean\\\":[0.5,-1],\\\"std\\\":[2,4]}");
    m = NULL;
    CHECK(dn_model_load(p, &m, &err) == DN_OK && m && dn_model_std(m)[1] == 4,
          "scaled reference: %s", err.msg);
    dn_model_free(m);

    /* Schema consistency against the architecture. */
#define SCHEMA(s) st_file("{" META(SMALL) ",\"descent.schema\":\"" s "\"}" \
                          W_B "}", DATA, 12)
#define COLS "\\\"columns\\\":[{\\\"name\\\":\\\"a\\\"},{\\\"name\\\":" \
             "\\\"b\\\"}]"
    p = SCHEMA("{\\\"n_in\\\":2," COLS ",\\\"task\\\":\\\"regression\\\"}");
    m = NULL;
    CHECK(dn_model_load(p, &m, &err) == DN_OK && m && dn_model_schema(m) &&
          !strcmp(dn_model_schema(m)->col[1].name, "b"),
          "schema reference: %s", err.msg);
    dn_model_free(m);
    EXPECT_FAIL(SCHEMA("{\\\"n_in\\\":3," COLS ",\\\"task\\\":"
                       "\\\"regression\\\"}"), DN_EFORMAT,
                "the schema encodes 3 inputs but the architecture has 2");
    EXPECT_FAIL(SCHEMA("{\\\"n_in\\\":2,\\\"columns\\\":[{\\\"name\\\":"
                       "\\\"c\\\",\\\"categories\\\":[\\\"x\\\",\\\"y\\\","
                       "\\\"z\\\"]}],\\\"task\\\":\\\"regression\\\"}"),
                DN_EFORMAT, "the columns encode 3 inputs");
    EXPECT_FAIL(SCHEMA("{\\\"n_in\\\":2," COLS ",\\\"task\\\":\\\"binary\\\","
                       "\\\"classes\\\":[\\\"a\\\"]}"), DN_EFORMAT,
                "a binary task needs 2 classes");
    EXPECT_FAIL(SCHEMA("{\\\"n_in\\\":2," COLS ",\\\"task\\\":\\\"multi"
                       "class\\\",\\\"classes\\\":[\\\"a\\\",\\\"b\\\"]}"),
                DN_EFORMAT, "one output unit per class");
    /* tampered: a binary schema on an identity output with MSE, a
     * multiclass one on 3 of them (before: loaded, and predict printed
     * class names over regression values) */
    EXPECT_FAIL(SCHEMA("{\\\"n_in\\\":2," COLS ",\\\"task\\\":\\\"binary\\\","
                       "\\\"classes\\\":[\\\"a\\\",\\\"b\\\"]}"), DN_EFORMAT,
                "a binary task needs a sigmoid output unit, the network's "
                "output is identity with the mse loss");
#define SCHEMA3(s) st_file("{" META(ARCH(2, LAYER(3, "identity"), "mse")) \
    ",\"descent.schema\":\"" s "\"}" T("0.weight", "[3,2]", 0, 24) \
    T("0.bias", "[3]", 24, 36) "}", DATA, 36)
    p = SCHEMA3("{\\\"n_in\\\":2," COLS ",\\\"task\\\":\\\"regression\\\"}");
    m = NULL;
    CHECK(dn_model_load(p, &m, &err) == DN_OK && m, "3 outputs: %s", err.msg);
    dn_model_free(m);
    EXPECT_FAIL(SCHEMA3("{\\\"n_in\\\":2," COLS ",\\\"task\\\":\\\"multi"
                        "class\\\",\\\"classes\\\":[\\\"a\\\",\\\"b\\\",\\\"c\\\"]}"),
                DN_EFORMAT, "a multiclass task needs a softmax output with "
                "the ce loss, the network's output is identity with the mse "
                "loss");
    EXPECT_FAIL(SCHEMA("{\\\"n_in\\\":2," COLS "}"), DN_EFORMAT,
                "the schema has no 'task'");
    EXPECT_FAIL(SCHEMA("{\\\"n_in\\\":2," COLS ",\\\"task\\\":\\\"regression"
                       "\\\",\\\"img_rows\\\":3,\\\"img_cols\\\":3}"),
                DN_EFORMAT, "images of 3 x 3 pixels do not make 2 inputs");

    /* Schema fields and columns: each wrong type, null or out of range. */
    EXPECT_FAIL(SCHEMA("{\\\"n_in\\\":2,\\\"columns\\\":[{\\\"name\\\":"
                       "\\\"a\\\",\\\"indicator\\\":1},{\\\"name\\\":"
                       "\\\"b\\\"}],\\\"task\\\":\\\"regression\\\"}"),
                DN_EFORMAT, "'indicator' in column 1 is a number, not true "
                "or false");
    EXPECT_FAIL(SCHEMA("{\\\"n_in\\\":2,\\\"columns\\\":[{\\\"name\\\":"
                       "\\\"a\\\",\\\"fill\\\":1e300},{\\\"name\\\":"
                       "\\\"b\\\"}],\\\"task\\\":\\\"regression\\\"}"),
                DN_EFORMAT, "column 1: fill is out of float32 range");
    EXPECT_FAIL(SCHEMA("{\\\"n_in\\\":2,\\\"columns\\\":[{\\\"name\\\":"
                       "\\\"a\\\",\\\"fill\\\":\\\"x\\\"},{\\\"name\\\":"
                       "\\\"b\\\"}],\\\"task\\\":\\\"regression\\\"}"),
                DN_EFORMAT, "'fill' in column 1 is a string, not a number");
    EXPECT_FAIL(SCHEMA("{\\\"n_in\\\":2,\\\"columns\\\":[3,{\\\"name\\\":"
                       "\\\"b\\\"}],\\\"task\\\":\\\"regression\\\"}"),
                DN_EFORMAT, "column 1 is a number, not an object");
    EXPECT_FAIL(SCHEMA("{\\\"n_in\\\":2," COLS ",\\\"task\\\":null}"),
                DN_EFORMAT, "'task' is null");
    EXPECT_FAIL(SCHEMA("{\\\"n_in\\\":2," COLS ",\\\"task\\\":\\\"ranking"
                       "\\\"}"), DN_EFORMAT, "ranking");
    EXPECT_FAIL(SCHEMA("{\\\"n_in\\\":2," COLS ",\\\"task\\\":\\\"binary\\\","
                       "\\\"classes\\\":[\\\"a\\\",7]}"), DN_EFORMAT,
                "classes[1] is a number, not a string");
    EXPECT_FAIL(SCHEMA("{\\\"n_in\\\":2," COLS ",\\\"task\\\":\\\"regression"
                       "\\\",\\\"img_rows\\\":0}"), DN_EFORMAT,
                "'img_rows' in the schema must be an integer from 1");
    /* a schema with a null target and null class names loads, the
     * names missing */
    p = SCHEMA("{\\\"n_in\\\":2," COLS ",\\\"task\\\":\\\"regression\\\","
               "\\\"target\\\":null}");
    m = NULL;
    CHECK(dn_model_load(p, &m, &err) == DN_OK && m && dn_model_schema(m) &&
          dn_model_schema(m)->target == NULL, "null target: %s", err.msg);
    dn_model_free(m);

    /* Parameters must be finite. */
    float nan_data[3] = { 1, NAN, 0 };
    EXPECT_FAIL(st_file("{" META(SMALL) "}" W_B "}", nan_data, 12),
                DN_EFORMAT, "tensor '0.weight' holds a non-finite value");
}

/* ------------------------------------------------------------------ */
/* Every prefix, every byte                                            */
/* ------------------------------------------------------------------ */

static unsigned char *small_valid(size_t *n)
{
    dn_layer L[2] = { { .units = 2, .act = DN_ACT_PRELU }, { .units = 2,
                        .act = DN_ACT_SOFTMAX } };
    dn_model *m = make_model(2, L, 2, DN_LOSS_CE, 4);
    dn_error err;
    float mean[2] = { 1, 2 }, sd[2] = { 3, 4 };
    static dn_column col[2] = { { .name = "x" }, { .name = "y" } };
    static char *cls[2] = { "no", "yes" };
    dn_schema s = { .n_cols = 2, .col = col, .n_in = 2, .target = "t",
                    .task = DN_TASK_MULTICLASS, .n_classes = 2,
                    .classes = cls };
    dn_model_set_scaling(m, mean, sd, &err);
    dn_model_set_schema(m, &s, &err);
    dn_model_meta_set(m, "k", "v", &err);
    const char *p = tmp_path("small.safetensors");
    CHECK(dn_model_save(m, p, &err) == DN_OK, "%s", err.msg);
    dn_model_free(m);
    return read_bytes(p, n);
}

static void test_prefixes_and_bytes(void)
{
    size_t n;
    unsigned char *f = small_valid(&n);
    if (!f) { CHECK(0, "no small file"); return; }
    const char *p = tmp_path("cut.safetensors");
    int wrong = 0;
    for (size_t k = 0; k < n; k++) {
        write_bytes(p, f, k);
        dn_model *m = NULL;
        dn_error err;
        err.msg[0] = 0;
        dn_status st = dn_model_load(p, &m, &err);
        if (st != DN_EFORMAT || m || !strstr(err.msg, p)) {
            if (!wrong++)
                fprintf(stderr, "prefix %zu: %s: %s\n", k,
                        dn_status_name(st), err.msg);
            dn_model_free(m);
        }
    }
    CHECK(wrong == 0, "%d of %zu prefixes were not a clean format error",
          wrong, n);

    /* Three corruptions of every byte: flip the low bit, set all bits,
     * and a quote (which breaks JSON structure most).  Each must load or
     * fail cleanly; ASan/valgrind runs see the rest. */
    static const unsigned char how[3] = { 0x01, 0xFF, '"' };
    int loaded = 0, failed = 0, odd = 0;
    unsigned char *g = malloc(n);
    for (size_t k = 0; k < n; k++)
        for (int h = 0; h < 3; h++) {
            memcpy(g, f, n);
            g[k] = h == 0 ? g[k] ^ 1 : how[h];
            if (g[k] == f[k]) continue;
            write_bytes(p, g, n);
            dn_model *m = NULL;
            dn_error err;
            err.msg[0] = 0;
            dn_status st = dn_model_load(p, &m, &err);
            if (st == DN_OK && m) loaded++;
            else if (st == DN_EFORMAT && !m && err.msg[0]) failed++;
            else if (!odd++)
                fprintf(stderr, "corrupt byte %zu (%d): %s: %s\n", k, h,
                        dn_status_name(st), err.msg);
            dn_model_free(m);
        }
    CHECK(odd == 0, "%d corruptions gave neither a model nor a format error",
          odd);
    CHECK(failed > 0 && loaded > 0, "loaded %d, failed %d", loaded, failed);
    free(g);
    free(f);
}

/* ------------------------------------------------------------------ */


/* More hostile headers: each field of the wrong JSON type, every kind of
 * value named in the message, and the limits of the format. */
static void test_hostile_headers(void)
{
#define ARCH_RAW(a) "\"descent.arch\":\"" a "\""
    EXPECT_FAIL(st_file("{\"__metadata__\":\"descent\"" W_B "}", DATA, 12),
                DN_EFORMAT, "__metadata__ is a string, not an object of strings");
    EXPECT_FAIL(st_file("{\"__metadata__\":null" W_B "}", DATA, 12),
                DN_EFORMAT, "__metadata__ is null, not an object");
    EXPECT_FAIL(st_file("{\"__metadata__\":true" W_B "}", DATA, 12),
                DN_EFORMAT, "__metadata__ is a boolean, not an object");
    EXPECT_FAIL(st_file("{\"__metadata__\":[]" W_B "}", DATA, 12),
                DN_EFORMAT, "__metadata__ is an array, not an object");
    EXPECT_FAIL(st_file("{" META(SMALL) ",\"\":\"v\"}" W_B "}", DATA, 12),
                DN_EFORMAT, "__metadata__ has an empty key");
    EXPECT_FAIL(st_file("{" META(ARCH_RAW("{\\\"n_in\\\":2,\\\"layers\\\":["
                        LAYER(1, "identity") "]}")) "}" W_B "}", DATA, 12),
                DN_EFORMAT, "the architecture has no 'loss'");
    EXPECT_FAIL(st_file("{" META(ARCH_RAW("{\\\"n_in\\\":2,\\\"layers\\\":{},"
                        "\\\"loss\\\":\\\"mse\\\"}")) "}" W_B "}", DATA, 12),
                DN_EFORMAT, "'layers' in the architecture is an object, not an array");
    EXPECT_FAIL(st_file("{" META(ARCH(2, "", "mse")) "}" W_B "}", DATA, 12),
                DN_EFORMAT, "0 layers; a network has 1 to 64");
    EXPECT_FAIL(st_file("{" META(ARCH(2, "7", "mse")) "}" W_B "}", DATA, 12),
                DN_EFORMAT, "layer 1 is a number, not an object");
    EXPECT_FAIL(st_file("{" META(ARCH(2, "{\\\"units\\\":1,\\\"act\\\":"
                        "\\\"prelu\\\",\\\"alpha\\\":1e39}", "mse")) "}" W_B "}",
                        DATA, 12),
                DN_EFORMAT, "layer 1: alpha is out of float32 range");
    /* tensors */
    EXPECT_FAIL(st_file("{" META(SMALL) "}" ",\"0.weight\":{\"dtype\":\"F32\","
                        "\"data_offsets\":[0,8]}" T("0.bias", "[1]", 8, 12) "}",
                        DATA, 12),
                DN_EFORMAT, "tensor '0.weight' has no \"shape\" list");
    EXPECT_FAIL(st_file("{" META(SMALL) "}" T("0.weight", "[1,2,1,1,1,1,1,1,1]",
                        0, 8) T("0.bias", "[1]", 8, 12) "}", DATA, 12),
                DN_EFORMAT, "tensor '0.weight' has 9 dimensions");
    EXPECT_FAIL(st_file("{" META(SMALL) "}" ",\"0.weight\":{\"dtype\":\"F32\","
                        "\"shape\":[1,2]}" T("0.bias", "[1]", 8, 12) "}",
                        DATA, 12),
                DN_EFORMAT, "tensor '0.weight' needs \"data_offsets\"");
    EXPECT_FAIL(st_file("{" META(SMALL) "}" ",\"0.weight\":{\"dtype\":7,"
                        "\"shape\":[1,2],\"data_offsets\":[0,8]}"
                        T("0.bias", "[1]", 8, 12) "}", DATA, 12),
                DN_EFORMAT, "tensor '0.weight' has no \"dtype\" string");
    /* the schema's columns and classes */
    EXPECT_FAIL(SCHEMA("{\\\"n_in\\\":2,\\\"columns\\\":[1,2],\\\"task\\\":"
                       "\\\"regression\\\"}"), DN_EFORMAT,
                "column 1 is a number, not an object");
    EXPECT_FAIL(SCHEMA3("{\\\"n_in\\\":2," COLS ",\\\"task\\\":\\\"multi"
                        "class\\\",\\\"classes\\\":[\\\"a\\\",{},\\\"c\\\"]}"),
                DN_EFORMAT, "classes[1] is an object, not a string");
    /* a header length past the format's 100 MB, in a (sparse) file
     * long enough to hold it */
    const char *p = tmp_path("huge.safetensors");
    FILE *f = fopen(p, "wb");
    unsigned char len8[8] = { 0x01, 0xe1, 0xf5, 0x05 };   /* 100,000,001 */
    CHECK(f && fwrite(len8, 1, 8, f) == 8 && fseek(f, 100000100L, SEEK_SET) == 0 &&
          fputc(0, f) == 0 && fclose(f) == 0, "cannot write %s", p);
    EXPECT_FAIL(p, DN_EFORMAT, "the header length 100000001 exceeds the "
                "safetensors limit of");
    remove(p);
    /* the calls themselves */
    dn_model *m = (dn_model *)1;
    dn_error err;
    CHECK(dn_model_load(NULL, &m, &err) == DN_EARG &&
          strstr(err.msg, "dn_model_load needs a file name"), "%s", err.msg);
    CHECK(dn_model_save(NULL, p, &err) == DN_EARG &&
          strstr(err.msg, "dn_model_save needs a model and a"), "%s", err.msg);
    CHECK(dn_model_check_save(NULL, p, &err) == DN_EARG &&
          strstr(err.msg, "dn_model_check_save needs a model and"), "%s", err.msg);
}

static void cleanup(void)
{
    DIR *dp = opendir(dir);
    if (!dp) return;
    struct dirent *e;
    char p[512];
    while ((e = readdir(dp))) {
        if (e->d_name[0] == '.') continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        remove(p);
    }
    closedir(dp);
    rmdir(dir);
}

int main(void)
{
    const char *t = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/dn_mf_XXXXXX", t && strlen(t) < 40 ? t
             : "/tmp");
    if (!mkdtemp(dir)) { perror("mkdtemp"); return 2; }
    RUN(test_json_reject);
    RUN(test_json_accept);
    RUN(test_json_edges);
    RUN(test_json_write);
    RUN(test_round_trips);
    RUN(test_extras);
    RUN(test_header);
    RUN(test_atomic);
    RUN(test_malformed);
    RUN(test_hostile_headers);
    RUN(test_prefixes_and_bytes);
    cleanup();
    return check_done("test_modelfile");
}
