/* test_modelfile_save.c — safetensors model files saved and loaded:
 * round trips of every activation with and without scaling, schema and
 * metadata (bitwise-equal parameters, equal predictions); the header
 * read back as JSON; saves that are atomic. */
#include "modelfile.h"
#include "formats/json.h"
#include <dirent.h>
#include <errno.h>

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
/* Round trips                                                         */
/* ------------------------------------------------------------------ */


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

CHECK_MAIN("test_modelfile_save", dir,
           CHECK_CASE(test_round_trips), CHECK_CASE(test_extras),
           CHECK_CASE(test_header), CHECK_CASE(test_atomic))
