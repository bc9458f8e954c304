/* test_idx.c — the IDX reader (MNIST's format): plain and gzipped files,
 * images as bytes or floats training to the same bits, every lying
 * header and a gzip stream that lies about its length.  Fixtures are
 * written into a fresh temporary directory. */
#include "descent.h"
#include "check.h"
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

static char dir[64];

static const char *at(const char *name) { return check_path(dir, name); }
static const char *put_bytes(const char *name, const void *data, size_t n)
{
    return check_write(dir, name, data, n);
}
static const char *put(const char *name, const char *text)
{
    return check_write(dir, name, text, strlen(text));
}

static const char *put_gz(const char *name, const void *data, size_t n)
{
    const char *path = at(name);
    gzFile g = gzopen(path, "wb");
    if (!g || gzwrite(g, data, (unsigned)n) != (int)n) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(2);
    }
    gzclose(g);
    return path;
}

/* An IDX header: magic then big-endian dimensions. */
static size_t idx_head(unsigned char *b, uint32_t magic, const uint32_t *dim,
                       int nd)
{
    uint32_t v[4] = {magic, dim[0], nd > 1 ? dim[1] : 0, nd > 2 ? dim[2] : 0};
    for (int i = 0; i <= nd; i++)
        for (int j = 0; j < 4; j++) b[4 * i + j] = (unsigned char)(v[i] >> (24 - 8 * j));
    return 4 + 4 * (size_t)nd;
}

static void test_idx_good(void)
{
    unsigned char img[64], lab[16];
    uint32_t dim[3] = {3, 2, 2};
    size_t h = idx_head(img, 0x803, dim, 3);
    for (int i = 0; i < 12; i++) img[h + i] = (unsigned char)(i * 20 + 15);
    size_t hl = idx_head(lab, 0x801, dim, 1);
    lab[hl] = 2, lab[hl + 1] = 0, lab[hl + 2] = 4;
    char paths[2][2][256];
    strcpy(paths[0][0], put_bytes("img.idx", img, h + 12));
    strcpy(paths[0][1], put_bytes("lab.idx", lab, hl + 3));
    strcpy(paths[1][0], put_gz("img.idx.gz", img, h + 12));
    strcpy(paths[1][1], put_gz("lab.idx.gz", lab, hl + 3));
    for (int z = 0; z < 2; z++) {
        dn_data *d;
        dn_error e;
        dn_status st = dn_idx_read(paths[z][0], paths[z][1], &d, &e);
        CHECK(st == DN_OK, "%s", e.msg);
        if (st) continue;
        CHECK(d->n == 3 && d->d == 4 && d->k == 1, "shape %d %d", d->n, d->d);
        CHECK(d->X[0] == 15 / 255.0f && d->X[11] == 235 / 255.0f, "pixels");
        CHECK(d->Y[0] == 2 && d->Y[1] == 0 && d->Y[2] == 4, "labels");
        const dn_schema *s = d->schema;
        CHECK(s->img_rows == 2 && s->img_cols == 2 && s->n_cols == 4 &&
              s->n_in == 4 && !strcmp(s->col[3].name, "px3"), "schema");
        CHECK(s->n_classes == 5 && !strcmp(s->classes[4], "4") &&
              s->task == DN_TASK_MULTICLASS && !strcmp(s->target, "label"),
              "classes");
        CHECK(dn_idx_detect(paths[z][0]) == 1 && dn_idx_detect(paths[z][1]) == 1,
              "detect");
        dn_data_free(d);
    }
    dn_data *d, *c;
    dn_error e;
    dn_status st = dn_idx_read(paths[1][0], NULL, &d, &e);
    CHECK(st == DN_OK && d->Y == NULL && d->k == 0 && d->n == 3, "%s", e.msg);
    if (!st) dn_data_free(d);
    /* an IDX schema reads a CSV of the same pixels by column name */
    st = dn_idx_read(paths[0][0], paths[0][1], &d, &e);
    if (!st) {
        st = dn_csv_read_with(put("px.csv", "label,px3,px2,px1,px0\n"
                                            "3,1,0.5,0.25,0\n"),
                              d->schema, 1, &c, &e);
        CHECK(st == DN_OK && c->n == 1 && c->d == 4 && c->X[0] == 0 &&
              c->X[1] == 0.25f && c->X[3] == 1 && c->Y[0] == 3 &&
              c->schema->img_rows == 2, "%s", e.msg);
        if (!st) dn_data_free(c);
        dn_data_free(d);
    }
    /* labels 0/1: binary */
    lab[hl] = 1, lab[hl + 2] = 1;
    st = dn_idx_read(paths[0][0], put_bytes("lab01.idx", lab, hl + 3), &d, &e);
    CHECK(st == DN_OK && d->schema->task == DN_TASK_BINARY &&
          d->schema->n_classes == 2, "%s", e.msg);
    if (!st) dn_data_free(d);
    CHECK(dn_idx_detect("data/iris.csv") == 0, "a CSV is not IDX");
    CHECK(dn_idx_detect(at("nothing.idx")) == 0, "no file");
}

/* Runs dn_idx_read on an images file (and labels) that must fail. */
/* One model trained on a data set read as floats (dn_idx_read) and as
 * bytes (dn_idx_read_u8): the weights and metrics must match bit for bit,
 * through the split, the scaling, mini-batch training (one thread, and
 * gathers split over threads with layer 0 fused), evaluation and a
 * full-batch solver. */
static void train_both(const dn_data *tf, const dn_data *vf, const dn_data *t8,
                       const dn_data *v8, int batch, int threads, int full)
{
    dn_error e;
    dn_model *m[2] = { NULL, NULL };
    dn_metrics mt[2];
    const dn_data *tr[2] = { tf, t8 }, *va[2] = { vf, v8 };
    for (int z = 0; z < 2; z++) {
        dn_arch a = { .n_in = tf->d, .n_layers = 1,
                      .layer = { { .units = 16, .act = DN_ACT_RELU } } };
        dn_status st = dn_arch_set_task(&a, DN_TASK_MULTICLASS, 4, &e);
        if (!st) st = dn_model_new(&a, &m[z], &e);
        if (!st) {
            dn_model_init(m[z], DN_INIT_DEFAULT, 0, 7);
            st = dn_model_fit_scaling(m[z], tr[z], &e);
        }
        dn_train_opts o;
        dn_train_defaults(&o);
        o.epochs = 3;
        o.threads = threads;
        if (!full) {   /* (a solver refuses the mini-batch settings) */
            o.batch = batch;
            o.eta = 0.05;
        }
        if (!st && full) {
            dn_solver_conf c;
            dn_solver_defaults(&c, DN_SOLVER_LBFGS);
            st = dn_train_full(m[z], tr[z], va[z], &c, &o, NULL, &e);
        } else if (!st) {
            st = dn_train(m[z], tr[z], va[z], &o, NULL, &e);
        }
        if (!st) st = dn_evaluate(m[z], va[z], &mt[z], &e);
        CHECK(st == DN_OK, "%s", e.msg);
        if (st) goto out;
    }
    CHECK(!memcmp(dn_model_params(m[0]), dn_model_params(m[1]),
                  dn_model_n_params(m[0]) * sizeof(float)) &&
          !memcmp(dn_model_mean(m[0]), dn_model_mean(m[1]),
                  (size_t)tf->d * sizeof(float)) &&
          !memcmp(dn_model_std(m[0]), dn_model_std(m[1]),
                  (size_t)tf->d * sizeof(float)),
          "bytes train like floats (batch %d, %d threads, full %d)", batch,
          threads, full);
    CHECK(mt[0].loss == mt[1].loss && mt[0].accuracy == mt[1].accuracy,
          "bytes evaluate like floats: loss %.9g %.9g", mt[0].loss,
          mt[1].loss);
out:
    dn_model_free(m[0]);
    dn_model_free(m[1]);
}

static void test_idx_bytes(void)
{
    enum { N = 600, S = 8 };
    static unsigned char img[16 + N * S * S], lab[8 + N];
    uint32_t dim[3] = {N, S, S};
    size_t h = idx_head(img, 0x803, dim, 3), hl = idx_head(lab, 0x801, dim, 1);
    uint32_t r = 12345;
    for (int i = 0; i < N; i++) {
        int c = i % 4;
        lab[hl + i] = (unsigned char)c;
        for (int j = 0; j < S * S; j++) {
            r = r * 1103515245u + 12345u;
            int v = (int)(r >> 24) / 2 + (j % 4 == c ? 120 : 0);
            img[h + (size_t)i * S * S + j] = (unsigned char)v;
        }
    }
    /* Every byte value once, for dn_data_floats against dn_idx_read. */
    for (int v = 0; v < 256; v++) img[h + v] = (unsigned char)v;
    char ip[256];
    strcpy(ip, put_gz("bytes.idx.gz", img, h + (size_t)N * S * S));
    const char *lp = put_bytes("bytes-labels.idx", lab, hl + N);
    dn_data *f = NULL, *b = NULL, *tf = NULL, *vf = NULL, *t8 = NULL,
            *v8 = NULL;
    dn_error e;
    dn_status st = dn_idx_read(ip, lp, &f, &e);
    if (!st) st = dn_idx_read_u8(ip, lp, &b, &e);
    CHECK(st == DN_OK, "%s", e.msg);
    if (st) goto out;
    CHECK(f->X && !f->bytes && b->bytes && !b->X && b->n == N && b->d == S * S &&
          b->k == 1 && b->schema && b->schema->n_classes == 4 &&
          !memcmp(b->bytes, img + h, (size_t)N * S * S) &&
          !memcmp(f->Y, b->Y, N * sizeof *f->Y), "bytes read");
    st = dn_data_split(f, 0.25, 3, &tf, &vf, &e);
    if (!st) st = dn_data_split(b, 0.25, 3, &t8, &v8, &e);
    CHECK(st == DN_OK, "%s", e.msg);
    if (st) goto out;
    CHECK(t8->bytes && !t8->X && v8->bytes && t8->n == tf->n && v8->n == vf->n,
          "a byte split stays bytes");
    train_both(tf, vf, t8, v8, 32, 1, 0);
    train_both(tf, vf, t8, v8, 300, 4, 0);
    train_both(tf, vf, t8, v8, 0, 1, 1);
    /* dn_data_floats gives what dn_idx_read gave. */
    st = dn_data_floats(b, &e);
    CHECK(st == DN_OK && b->X && !b->bytes &&
          !memcmp(b->X, f->X, (size_t)N * S * S * sizeof *f->X),
          "dn_data_floats");
    st = dn_data_floats(b, &e);
    CHECK(st == DN_OK && b->X, "dn_data_floats twice");
out:
    dn_data_free(f);
    dn_data_free(b);
    dn_data_free(tf);
    dn_data_free(vf);
    dn_data_free(t8);
    dn_data_free(v8);
}

static void idx_fail(const char *img, const char *lab, dn_status want,
                     const char *p1, const char *p2, int line)
{
    dn_data *d = (dn_data *)1;
    dn_error e = {0};
    dn_status st = dn_idx_read(img, lab, &d, &e);
    CHECK(st == want && strstr(e.msg, p1) && (!p2 || strstr(e.msg, p2)) &&
          d == NULL, "line %d: %s: %s", line, dn_status_name(st), e.msg);
}

/* A gzipped payload of more than the first 1 MiB buffer: it grows as the
 * bytes arrive, and every byte lands where it belongs. */
static void test_idx_grows(void)
{
    enum { N = 1100, R = 32, C = 32 };
    size_t n = 16 + (size_t)N * R * C;
    unsigned char *b = malloc(n), l[8 + N];
    uint32_t dim[3] = {N, R, C}, nl[1] = {N};
    if (!b) { CHECK(0, "out of memory"); return; }
    idx_head(b, 0x803, dim, 3);
    for (size_t i = 16; i < n; i++) b[i] = (unsigned char)(i * 131 >> 4);
    idx_head(l, 0x801, nl, 1);
    for (int i = 0; i < N; i++) l[8 + i] = (unsigned char)(i % 10);
    char img[256];
    strcpy(img, put_gz("big.gz", b, n));
    dn_data *d = NULL;
    dn_error e = {0};
    dn_status st = dn_idx_read(img, put_bytes("big_l.idx", l, sizeof l), &d,
                               &e);
    CHECK(st == DN_OK && d && d->n == N && d->d == R * C, "%s: %s",
          dn_status_name(st), e.msg);
    if (d) {
        size_t last = (size_t)N * R * C - 1;
        CHECK(d->X[last] == (float)b[16 + last] / 255.0f &&
              d->X[1 << 20] == (float)b[16 + (1 << 20)] / 255.0f &&
              d->Y[N - 1] == (float)((N - 1) % 10),
              "last pixel %g, want %g", d->X[last], b[16 + last] / 255.0);
        dn_data_free(d);
    }
    free(b);
}

static void test_idx_bad(void)
{
    unsigned char b[128] = {0}, l[16] = {0};
    uint32_t dim[3] = {2, 2, 3};
    size_t h = idx_head(b, 0x803, dim, 3), hl = idx_head(l, 0x801, dim, 1);
    char good[256];
    strcpy(good, put_bytes("good.idx", b, h + 12));
    /* the labels file given as images, and the other way round */
    idx_fail(put_bytes("l.idx", l, hl + 2), NULL, DN_EFORMAT,
             "labels file (magic 0x00000801)", "--labels", __LINE__);
    idx_fail(good, good, DN_EFORMAT, "images file (magic 0x00000803)",
             "labels (0x00000801)", __LINE__);
    idx_fail(put("txt.idx", "px0,px1\n1,2\n"), NULL, DN_EFORMAT,
             "magic number 0x7078302C", "0x00000803", __LINE__);
    unsigned char f[16];
    idx_head(f, 0xD03, dim, 3);
    idx_fail(put_bytes("float.idx", f, 16), NULL, DN_EFORMAT,
             "type 0x0D (float)", NULL, __LINE__);
    /* every other IDX value type is named; an unknown one is not IDX */
    static const struct { uint32_t magic; const char *says; } types[] = {
        { 0x903, "type 0x09 (signed byte)" }, { 0xB03, "type 0x0B (short)" },
        { 0xC03, "type 0x0C (int)" }, { 0xE03, "type 0x0E (double)" },
        { 0xA03, "magic number 0x00000A03, but IDX images start with "
                 "0x00000803" },
        { 0x1000803, "magic number 0x01000803" },
    };
    for (int i = 0; i < 6; i++) {
        char name[16];
        snprintf(name, sizeof name, "type%d.idx", i);
        idx_head(f, types[i].magic, dim, 3);
        idx_fail(put_bytes(name, f, 16), NULL, DN_EFORMAT, types[i].says,
                 NULL, __LINE__);
    }
    /* a directory is no IDX file */
    idx_fail(dir, NULL, DN_EIO, "cannot read: Is a directory", NULL, __LINE__);
    idx_fail(put_bytes("tiny.idx", b, 2), NULL, DN_EFORMAT, "too short",
             NULL, __LINE__);
    idx_fail(put_bytes("head.idx", b, 9), NULL, DN_EFORMAT,
             "inside the header", NULL, __LINE__);
    /* plain: the size must match the header exactly */
    idx_fail(put_bytes("trunc.idx", b, h + 10), NULL, DN_EFORMAT,
             "truncated: the file has 26 bytes", "promises 28", __LINE__);
    idx_fail(put_bytes("trail.idx", b, h + 13), NULL, DN_EFORMAT,
             "trailing bytes: the file has 29 bytes", "promises 28",
             __LINE__);
    /* gzipped: the same, found while reading */
    idx_fail(put_gz("trunc.gz", b, h + 10), NULL, DN_EFORMAT,
             "truncated: expected 12 bytes after the header, got 10", NULL,
             __LINE__);
    idx_fail(put_gz("trail.gz", b, h + 13), NULL, DN_EFORMAT,
             "trailing bytes", NULL, __LINE__);
    /* a gzip stream cut short, and one with a damaged checksum */
    unsigned char big[16 + 4000];
    uint32_t many[3] = {10, 20, 20};
    idx_head(big, 0x803, many, 3);
    for (int i = 16; i < (int)sizeof big; i++) big[i] = (unsigned char)(i * 7919 >> 3);
    const char *cut = put_gz("cut.gz", big, sizeof big);
    struct stat sb;
    CHECK(stat(cut, &sb) == 0 && truncate(cut, sb.st_size / 2) == 0,
          "cannot cut %s", cut);
    idx_fail(cut, NULL, DN_EFORMAT, "truncated: expected 4000 bytes after the "
             "header, got", NULL, __LINE__);
    const char *crc = put_gz("crc.gz", big, sizeof big);
    FILE *g = fopen(crc, "r+b");
    int c = g && fseek(g, -8, SEEK_END) == 0 ? fgetc(g) : EOF;
    int flipped = c != EOF && fseek(g, -8, SEEK_END) == 0 &&
                  fputc(c ^ 0xFF, g) != EOF; /* the CRC's first byte */
    if (g) fclose(g);
    CHECK(flipped, "cannot damage %s", crc);
    idx_fail(crc, NULL, DN_EFORMAT, "crc.gz: cannot read: incorrect data "
             "check", "damaged", __LINE__);
    /* absurd dimensions in a 100-byte file */
    uint32_t huge[3] = {1u << 31, 28, 28};
    idx_head(b, 0x803, huge, 3);
    idx_fail(put_bytes("huge.idx", b, 100), NULL, DN_EFORMAT,
             "dimension 1 is 2147483648", NULL, __LINE__);
    uint32_t wide[3] = {1u << 30, 1u << 20, 1u << 20};
    idx_head(b, 0x803, wide, 3);
    idx_fail(put_gz("wide.gz", b, 100), NULL, DN_EFORMAT,
             "beyond the limits", NULL, __LINE__);
    /* items too many or too wide for the limits, each alone */
    uint32_t rows[3] = {200000000, 1, 1}, cols[3] = {2, 2000, 2000};
    idx_head(b, 0x803, rows, 3);
    idx_fail(put_bytes("rows.idx", b, 100), NULL, DN_EFORMAT,
             "promises 200000000 items of 1 bytes", NULL, __LINE__);
    idx_head(b, 0x803, cols, 3);
    idx_fail(put_bytes("cols.idx", b, 100), NULL, DN_EFORMAT,
             "promises 2 items of 4000000 bytes", NULL, __LINE__);
    uint32_t zero[3] = {5, 0, 28};
    idx_head(b, 0x803, zero, 3);
    idx_fail(put_bytes("zero.idx", b, 100), NULL, DN_EFORMAT,
             "dimension 2 is 0", NULL, __LINE__);
    /* labels that do not belong to the images */
    uint32_t three[1] = {3};
    hl = idx_head(l, 0x801, three, 1);
    l[hl] = 1, l[hl + 1] = 0, l[hl + 2] = 1;
    idx_fail(good, put_bytes("l3.idx", l, hl + 3), DN_EFORMAT,
             "has 3 labels", "has 2 images", __LINE__);
    uint32_t two[1] = {2};
    hl = idx_head(l, 0x801, two, 1);
    l[hl] = l[hl + 1] = 0;
    idx_fail(good, put_bytes("l0.idx", l, hl + 2), DN_EFORMAT,
             "every label is 0", NULL, __LINE__);
    idx_fail(at("none.idx"), NULL, DN_EIO, "cannot open", NULL, __LINE__);
}

/* A gzipped header that promises 1.5 GB of pixels but holds 10 bytes
 * must fail as truncated without reserving memory for the promise: in
 * a child limited to 512 MiB of address space, an up-front allocation
 * would turn the answer into "out of memory". */
static void test_idx_lying_gzip(void)
{
    unsigned char b[64] = {0};
    uint32_t dim[3] = {2000000, 28, 28};
    size_t h = idx_head(b, 0x803, dim, 3);
    const char *path = put_gz("lie.gz", b, h + 10);
    idx_fail(path, NULL, DN_EFORMAT, "truncated", "got 10", __LINE__);
#if defined(__SANITIZE_ADDRESS__)
    return; /* ASan reserves terabytes of address space: no limit here */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    return;
#endif
#endif
    if (getenv("DN_NO_RLIMIT")) return; /* e.g. under valgrind */
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit r = {512L << 20, 512L << 20};
        setrlimit(RLIMIT_AS, &r);
        dn_data *d;
        dn_error e;
        exit(dn_idx_read(path, NULL, &d, &e) == DN_EFORMAT ? 0 : 1);
    }
    int ws = -1;
    waitpid(pid, &ws, 0);
    CHECK(pid > 0 && WIFEXITED(ws) && WEXITSTATUS(ws) == 0,
          "a lying gzip header reserved memory (status %d)", ws);
}

int main(void)
{
    if (check_tmpdir(dir)) return 2;
    RUN(test_idx_good);
    RUN(test_idx_bytes);
    RUN(test_idx_bad);
    RUN(test_idx_grows);
    RUN(test_idx_lying_gzip);
    check_rmdir(dir);
    return check_done("test_idx");
}
