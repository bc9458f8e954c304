/* test_stream.c — data larger than memory: the row cache's round trip
 * (bytes and floats, schema included), streamed training against
 * in-memory training (identical bits when the budget holds the set; the
 * same bits again by seed when it does not, and a different order),
 * the streamed scaling, resume after an interrupt mid-epoch equal to
 * the run never interrupted, and the refusals: truncated files, a wrong
 * magic, a damaged block or header, a gzipped IDX file, a budget below
 * a batch, bad memory sizes; and headers and schemas forged with a good
 * checksum, each refused naming the file and the offset of the fault. */
#include "descent.h"
#include "check.h"
#include "data/rowcache.h"   /* the header checksum, to forge headers */
#include "base/byteorder.h"
#include "base/base.h"      /* dn_hash64, to reseal changed rows */
#include <fcntl.h>
#include <zlib.h>

static char dir[64];
static const char *at(const char *name) { return check_path(dir, name); }

enum { N = 2000, ROWS = 64, COLS = 64, D = ROWS * COLS, K = 3 };
/* 4,096 bytes of inputs and a 4-byte target a row: blocks of 255 rows
 * (1 MiB / 4,100), 8 of them, the last short. */
enum { R = (1 << 20) / (D + 4) };

static void be32(unsigned char *p, uint32_t v)
{
    for (int j = 0; j < 4; j++) p[j] = (unsigned char)(v >> (24 - 8 * j));
}

/* An IDX images file and its labels: class c lights a band of pixels. */
static void make_idx(const char *img, const char *lab)
{
    unsigned char *b = malloc(16 + (size_t)N * D), l[8 + N];
    be32(b, 0x803); be32(b + 4, N); be32(b + 8, ROWS); be32(b + 12, COLS);
    be32(l, 0x801); be32(l + 4, N);
    dn_rng r;
    dn_rng_seed(&r, 7);
    for (int i = 0; i < N; i++) {
        int c = (int)dn_rng_below(&r, K);
        l[8 + i] = (unsigned char)c;
        for (int j = 0; j < D; j++) {
            int band = j / (D / K) == c;
            b[16 + (size_t)i * D + j] = (unsigned char)dn_rng_below(&r, band ? 256 : 96);
        }
    }
    FILE *f = fopen(img, "wb");
    fwrite(b, 1, 16 + (size_t)N * D, f);
    fclose(f);
    f = fopen(lab, "wb");
    fwrite(l, 1, sizeof l, f);
    fclose(f);
    free(b);
}

static char img[512], lab[512], cache[512];

static dn_model *net(void)
{
    dn_arch A;
    memset(&A, 0, sizeof A);
    A.n_in = D;
    A.layer[A.n_layers++] = (dn_layer){ .units = 8, .act = DN_ACT_RELU };
    dn_arch_set_task(&A, DN_TASK_MULTICLASS, K, NULL);
    dn_model *m;
    dn_model_new(&A, &m, NULL);
    dn_model_init(m, DN_INIT_DEFAULT, 0, 3);
    return m;
}

static dn_train_opts opts(uint64_t seed)
{
    dn_train_opts o;
    dn_train_defaults(&o);
    o.epochs = 3;
    o.batch = 50;
    o.eta = 0.05;
    o.seed = seed;
    o.threads = 1;
    return o;
}

/* A model trained on the file streamed within memory bytes. */
static dn_model *streamed(const char *path, const char *labels,
                          uint64_t memory, dn_train_opts o, dn_status *st,
                          dn_error *err)
{
    dn_stream *s;
    dn_model *m = net();
    *st = dn_stream_open(path, labels, &s, err);
    if (!*st) *st = dn_model_fit_scaling_stream(m, s, err);
    if (!*st) *st = dn_train_stream(m, s, memory, NULL, &o, NULL, err);
    dn_stream_close(s);
    return m;
}

static int same_params(dn_model *a, dn_model *b)
{
    return !memcmp(dn_model_params(a), dn_model_params(b),
                   dn_model_n_params(a) * sizeof(float));
}

static void test_roundtrip(void)
{
    dn_error err;
    dn_data *mem, *back, *mid;
    CHECK(!dn_idx_read_u8(img, lab, &mem, &err), "%s", err.msg);
    CHECK(!dn_rowcache_write(mem, cache, &err), "%s", err.msg);
    dn_stream *s;
    CHECK(!dn_stream_open(cache, NULL, &s, &err), "%s", err.msg);
    CHECK(dn_stream_rows(s) == N && dn_stream_inputs(s) == D &&
          dn_stream_targets(s) == 1, "%ld rows %d inputs %d targets",
          dn_stream_rows(s), dn_stream_inputs(s), dn_stream_targets(s));
    CHECK(dn_stream_bytes(s) == (uint64_t)N * (D + 4), "%llu bytes",
          (unsigned long long)dn_stream_bytes(s));
    const dn_schema *sc = dn_stream_schema(s);
    CHECK(sc && sc->n_classes == K && sc->img_rows == ROWS && sc->n_cols == D &&
          !strcmp(sc->col[D - 1].name, "px4095") && !strcmp(sc->classes[2], "2") &&
          sc->task == DN_TASK_MULTICLASS, "the schema came back different");
    CHECK(!dn_stream_read(s, 0, N, &back, &err), "%s", err.msg);
    /* Rows 300..799: across the first block's end (255). */
    CHECK(!dn_stream_read(s, 300, 500, &mid, &err), "%s", err.msg);
    dn_data *past;
    CHECK(dn_stream_read(s, N - 10, 11, &past, &err) == DN_EARG && !past &&
          strstr(err.msg, "rows 1991 to 2001"), "past the end: %s", err.msg);
    dn_data_floats(mem, NULL);
    dn_data_floats(back, NULL);
    dn_data_floats(mid, NULL);
    CHECK(!memcmp(mem->X, back->X, (size_t)N * D * 4) &&
          !memcmp(mem->Y, back->Y, (size_t)N * 4), "the rows came back different");
    CHECK(!memcmp(mem->X + 300 * D, mid->X, 500 * D * 4) &&
          !memcmp(mem->Y + 300, mid->Y, 500 * 4), "rows 300..799 differ");
    dn_stream_close(s);
    dn_data_free(back);
    dn_data_free(mid);
    dn_data_free(mem);

    /* Floats, and a schema with names and classes of its own. */
    dn_synth_conf c;
    dn_synth_defaults(DN_SYNTH_SPIRAL, &c);
    c.n = 700;
    c.classes = 3;
    dn_data *sp, *sb;
    CHECK(!dn_synth_make(DN_SYNTH_SPIRAL, &c, &sp, &err), "%s", err.msg);
    CHECK(!dn_rowcache_write(sp, at("spiral.dnr"), &err), "%s", err.msg);
    CHECK(!dn_stream_open(at("spiral.dnr"), NULL, &s, &err), "%s", err.msg);
    CHECK(!dn_stream_read(s, 0, 700, &sb, &err), "%s", err.msg);
    CHECK(!memcmp(sp->X, sb->X, 700 * 2 * 4) && !memcmp(sp->Y, sb->Y, 700 * 4),
          "float rows differ");
    CHECK(!strcmp(sb->schema->col[1].name, "x2") && !strcmp(sb->schema->target, "label") &&
          sb->schema->n_classes == 3, "float schema differs");
    dn_stream_close(s);
    dn_data_free(sp);
    dn_data_free(sb);
}

/* A budget that holds the set: the in-memory run's bits, from the cache
 * and from the IDX file itself; the streamed scaling is the in-memory
 * one. */
static void test_same_as_memory(void)
{
    dn_error err;
    dn_data *mem;
    dn_idx_read_u8(img, lab, &mem, NULL);
    dn_model *a = net();
    CHECK(!dn_model_fit_scaling(a, mem, &err), "%s", err.msg);
    dn_train_opts o = opts(1);
    CHECK(!dn_train(a, mem, NULL, &o, NULL, &err), "%s", err.msg);
    dn_status st;
    dn_model *b = streamed(cache, NULL, 1 << 30, opts(1), &st, &err);
    CHECK(!st, "%s", err.msg);
    CHECK(!memcmp(dn_model_mean(a), dn_model_mean(b), D * 4) &&
          !memcmp(dn_model_std(a), dn_model_std(b), D * 4),
          "the streamed scaling differs");
    CHECK(same_params(a, b), "streamed within a budget that holds the set: "
          "different weights");
    dn_model *c = streamed(img, lab, 1 << 30, opts(1), &st, &err);
    CHECK(!st, "%s", err.msg);
    CHECK(same_params(a, c), "the IDX file streamed: different weights");
    dn_model_free(a);
    dn_model_free(b);
    dn_model_free(c);
    dn_data_free(mem);
}

/* Two blocks a window: 2 × 2 × 255 rows of 4,100 bytes. */
#define SMALL (4ull * R * (D + 4))

static void test_windows(void)
{
    dn_error err;
    dn_status st;
    dn_model *a = streamed(cache, NULL, SMALL, opts(1), &st, &err);
    CHECK(!st, "%s", err.msg);
    dn_model *b = streamed(cache, NULL, SMALL, opts(1), &st, &err);
    CHECK(!st, "%s", err.msg);
    dn_model *c = streamed(cache, NULL, SMALL, opts(2), &st, &err);
    dn_model *whole = streamed(cache, NULL, 1 << 30, opts(1), &st, &err);
    dn_model *idx = streamed(img, lab, SMALL, opts(1), &st, &err);
    CHECK(same_params(a, b), "the same seed and budget: different weights");
    CHECK(same_params(a, idx), "the IDX file and its cache, same windows: "
          "different weights");
    CHECK(!same_params(a, c), "another seed gave the same weights");
    CHECK(!same_params(a, whole), "windows of 2 blocks trained as the whole set");
    /* Without shuffling the order is the file's in both. */
    dn_train_opts o = opts(1);
    o.shuffle = 0;
    dn_model *d = streamed(cache, NULL, SMALL, o, &st, &err);
    dn_model *e = streamed(cache, NULL, 1 << 30, o, &st, &err);
    CHECK(same_params(d, e), "unshuffled: windows and whole set differ");
    dn_model_free(a);
    dn_model_free(b);
    dn_model_free(c);
    dn_model_free(d);
    dn_model_free(e);
    dn_model_free(whole);
    dn_model_free(idx);
}

static volatile sig_atomic_t stop_flag;
static long stop_at;
static void on_batch(const dn_batch *b, void *user)
{
    (void)user;
    if (b->steps == stop_at) stop_flag = 1;
}

/* Interrupted mid-epoch (in the second window of epoch 2), resumed from
 * the checkpoint: the run that never stopped, bit for bit. */
static void test_resume(void)
{
    dn_error err;
    dn_status st;
    dn_model *a = streamed(cache, NULL, SMALL, opts(1), &st, &err);
    CHECK(!st, "%s", err.msg);
    char ck[512];
    snprintf(ck, sizeof ck, "%s", at("run.ckpt"));
    dn_train_opts o = opts(1);
    o.checkpoint = ck;
    o.interrupt = &stop_flag;
    o.on_batch = on_batch;
    stop_at = 40 + 13;   /* 40 steps an epoch: step 13 of epoch 2 */
    dn_stream *s;
    dn_stream_open(cache, NULL, &s, NULL);
    dn_model *b = net();
    dn_model_fit_scaling_stream(b, s, NULL);
    dn_result res;
    CHECK(!dn_train_stream(b, s, SMALL, NULL, &o, &res, &err), "%s", err.msg);
    CHECK(res.reason == DN_STOP_INTERRUPTED && res.steps == stop_at,
          "stopped by %s after %ld steps", dn_stop_name(res.reason), res.steps);
    CHECK(!same_params(a, b), "the interrupted run is already the whole one");
    dn_model_free(b);
    stop_flag = 0;
    o.interrupt = NULL;
    o.resume = ck;
    b = net();
    dn_model_fit_scaling_stream(b, s, NULL);
    CHECK(!dn_train_stream(b, s, SMALL, NULL, &o, &res, &err), "%s", err.msg);
    CHECK(res.epochs == 3 && res.steps == 120, "%d epochs, %ld steps",
          res.epochs, res.steps);
    CHECK(same_params(a, b), "resumed mid-epoch: different weights");
    dn_stream_close(s);
    dn_model_free(a);
    dn_model_free(b);
}

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    rewind(f);
    unsigned char *b = malloc(*n);
    if (fread(b, 1, *n, f) != *n) *n = 0;
    fclose(f);
    return b;
}

/* dn_stream_open then, if it opened, a read of every row: the status
 * and the message of the first failure. */
static dn_status open_read(const char *path, const char *labels, dn_error *err)
{
    dn_stream *s;
    dn_data *d = NULL;
    dn_status st = dn_stream_open(path, labels, &s, err);
    if (!st) st = dn_stream_read(s, 0, (int)dn_stream_rows(s), &d, err);
    dn_data_free(d);
    dn_stream_close(s);
    return st;
}

static void test_bad_files(void)
{
    size_t n;
    unsigned char *b = slurp(cache, &n);
    dn_error err;
    const char *p = check_write(dir, "cut.dnr", b, n - 100);
    CHECK(open_read(p, NULL, &err) == DN_EFORMAT && strstr(err.msg, "cut.dnr") &&
          strstr(err.msg, "truncated") && strstr(err.msg, "offset"), "%s", err.msg);
    p = check_write(dir, "head.dnr", b, 40);
    CHECK(open_read(p, NULL, &err) == DN_EFORMAT && strstr(err.msg, "truncated inside "
          "the header"), "%s", err.msg);
    unsigned char m = b[1];
    b[1] = 'X';
    p = check_write(dir, "magic.dnr", b, n);
    CHECK(open_read(p, NULL, &err) == DN_EFORMAT && strstr(err.msg, "magic.dnr") &&
          strstr(err.msg, "offset 0") && strstr(err.msg, "descent convert"), "%s", err.msg);
    b[1] = m;
    /* A flipped bit in a row of block 2 (rows 511 to 765). */
    size_t x_off = 0;
    for (int i = 0; i < 8; i++) x_off |= (size_t)b[40 + i] << (8 * i);
    b[x_off + (size_t)(2 * R + 7) * D + 5] ^= 4;
    p = check_write(dir, "flip.dnr", b, n);
    CHECK(open_read(p, NULL, &err) == DN_EFORMAT && strstr(err.msg, "flip.dnr") &&
          strstr(err.msg, "block 2 (rows 511 to 765") && strstr(err.msg, "checksum") &&
          strstr(err.msg, "offset"), "%s", err.msg);
    /* ... and while training streams it. */
    dn_status st;
    dn_model *mm = streamed(p, NULL, SMALL, opts(1), &st, &err);
    CHECK(st == DN_EFORMAT && strstr(err.msg, "block 2"), "%s", err.msg);
    dn_model_free(mm);
    b[x_off + (size_t)(2 * R + 7) * D + 5] ^= 4;
    /* A class name changed in the schema: the header's checksum. */
    b[70] ^= 1;
    p = check_write(dir, "sum.dnr", b, n);
    CHECK(open_read(p, NULL, &err) == DN_EFORMAT && strstr(err.msg, "header "
          "checksum (offset 56)"), "%s", err.msg);
    b[70] ^= 1;
    b[8] = 9;   /* the version */
    p = check_write(dir, "version.dnr", b, n);
    CHECK(open_read(p, NULL, &err) == DN_EFORMAT && strstr(err.msg, "version 9 at "
          "offset 8"), "%s", err.msg);
    free(b);
    /* A gzipped IDX file, a labels file that is not the images'. */
    b = slurp(img, &n);
    gzFile g = gzopen(at("img.gz"), "wb");
    gzwrite(g, b, (unsigned)n);
    gzclose(g);
    CHECK(open_read(at("img.gz"), lab, &err) == DN_EFORMAT &&
          strstr(err.msg, "gzipped") && strstr(err.msg, "gunzip"), "%s", err.msg);
    p = check_write(dir, "cut.idx", b, n - 1);
    CHECK(open_read(p, lab, &err) == DN_EFORMAT && strstr(err.msg, "truncated"),
          "%s", err.msg);
    free(b);
    CHECK(open_read(lab, NULL, &err) == DN_EFORMAT, "labels as images: %s", err.msg);
    CHECK(open_read(at("none"), NULL, &err) == DN_EIO && strstr(err.msg, "none"),
          "%s", err.msg);
    /* A budget whose windows are below a batch. */
    dn_train_opts o = opts(1);
    o.batch = 600;
    mm = streamed(cache, NULL, SMALL, o, &st, &err);
    CHECK(st == DN_EARG && strstr(err.msg, "fewer than a batch (600)") &&
          strstr(err.msg, "give at least"), "%s", err.msg);
    dn_model_free(mm);
}

/* ---- headers and schemas that pass the checksum but not the reader ---- */

/* The small cache b (n bytes) with its schema replaced by the S bytes at
 * sch (the block table moved after it, the inputs where they were) and
 * the header checksum made again, written as dir/name: only the schema
 * reader can refuse it. */
static const char *forge(const unsigned char *b, size_t n, const unsigned char *sch,
                         uint32_t S, const char *name)
{
    /* One checksum a block: the blocks from the rows and block rows (a
     * small file, so their low 32 bits). */
    const uint32_t S0 = dn_get_le32(b + 36), R0 = dn_get_le32(b + 32);
    const size_t x_off = dn_get_le32(b + 40), nb = (dn_get_le32(b + 16) + R0 - 1) / R0;
    const size_t table = 64 + S + 8 * nb;
    unsigned char *f = calloc(1, n);
    memcpy(f, b, 64);
    memcpy(f + 64, sch, S);
    memcpy(f + 64 + S, b + 64 + S0, 8 * nb);
    memcpy(f + x_off, b + x_off, n - x_off);
    dn_put_le32(f + 36, S);
    dn_put_le64(f + 56, dn_rowcache_head_sum(f, table));
    const char *p = check_write(dir, name, f, n);
    free(f);
    return p;
}

/* The schema reader's refusal of a forged schema: the file, and where. */
static int malformed(const char *path, size_t S, size_t at_off, dn_error *err)
{
    char want[160];
    snprintf(want, sizeof want, "the schema (bytes 64 to %zu) is malformed at "
             "offset %zu", 64 + S, at_off);
    return open_read(path, NULL, err) == DN_EFORMAT && strstr(err->msg, path) &&
           strstr(err->msg, want) && strstr(err->msg, "convert the data again");
}

static void test_bad_headers(void)
{
    dn_error err;
    dn_data *d;
    static const char text[] = "colour,size,species\nred,1.5,cat\nblue,2.5,dog\n"
        "green,0.5,cat\nred,3.5,bird\nblue,1.0,dog\n";
    char csv[512];
    snprintf(csv, sizeof csv, "%s", check_write(dir, "small.csv", text, sizeof text - 1));
    CHECK(!dn_csv_read(csv, NULL, &d, NULL, 0, &err), "%s", err.msg);
    char dnr[512];
    snprintf(dnr, sizeof dnr, "%s", at("small.dnr"));
    CHECK(!dn_rowcache_write(d, dnr, &err), "%s", err.msg);
    size_t n;
    unsigned char *b = slurp(dnr, &n);
    const uint32_t S = dn_get_le32(b + 36);
    const unsigned char *sch = b + 64;
    /* What convert wrote reads back: 5 rows of 4 inputs (3 colours and
     * the size), float32, the schema's classes. */
    dn_stream *s;
    dn_data *back;
    CHECK(!dn_stream_open(dnr, NULL, &s, &err), "%s", err.msg);
    CHECK(!dn_stream_read(s, 0, 5, &back, &err), "%s", err.msg);
    CHECK(dn_get_le32(b + 12) == 2 && back->n == 5 && back->d == 4 &&
          !memcmp(back->X, d->X, 5 * 4 * 4) && !memcmp(back->Y, d->Y, 5 * 4) &&
          back->schema->n_classes == 3 && !strcmp(back->schema->classes[1], "cat") &&
          !strcmp(back->schema->col[0].cats[2], "red"),
          "the small cache came back different");
    dn_data_free(back);   /* the refusals below set back to NULL */
    CHECK(dn_stream_read(s, -1, 2, &back, &err) == DN_EARG && !back &&
          strstr(err.msg, "rows 0 to 1 are not within the 5 rows"), "%s", err.msg);
    CHECK(dn_stream_read(s, 0, 0, &back, &err) == DN_EARG && !back, "%s", err.msg);
    dn_stream_close(s);
    /* A cache holds its targets: no labels file beside it. */
    CHECK(open_read(dnr, lab, &err) == DN_EARG && strstr(err.msg, "small.dnr is a "
          "descent row cache") && strstr(err.msg, "--labels"), "%s", err.msg);

    /* The schema's offsets: 6 counts (n_cols at 64, n_in at 68, task at
     * 80, n_classes at 84), the target's name at 88, the 3 class names,
     * then the first column's name. */
    CHECK(dn_get_le32(sch) == 2 && dn_get_le32(sch + 4) == 4 && dn_get_le32(sch + 20) == 3,
          "schema counts %u %u %u", dn_get_le32(sch), dn_get_le32(sch + 4), dn_get_le32(sch + 20));
    size_t col0 = 24 + 4 + dn_get_le32(sch + 24);
    for (int k = 0; k < 3; k++) col0 += 4 + dn_get_le32(sch + col0);
    CHECK(dn_get_le32(sch + col0) == 6 && !memcmp(sch + col0 + 4, "colour", 6),
          "the first column's name is not at schema byte %zu", col0);
    unsigned char *t = malloc(S + 8);
    const char *p;
    /* Inputs other than the header's: refused after the six counts. */
    memcpy(t, sch, S);
    dn_put_le32(t + 4, 5);
    p = forge(b, n, t, S, "n_in.dnr");
    CHECK(malformed(p, S, 64 + 24, &err), "n_in: %s", err.msg);
    dn_put_le32(t + 4, 4);
    dn_put_le32(t + 16, 9);   /* a task beyond the last */
    p = forge(b, n, t, S, "task.dnr");
    CHECK(malformed(p, S, 64 + 24, &err), "task: %s", err.msg);
    /* Classes the task cannot have: a regression's 3, a binary task's 3. */
    dn_put_le32(t + 16, DN_TASK_REGRESSION);
    p = forge(b, n, t, S, "regclasses.dnr");
    CHECK(malformed(p, S, 64 + 24, &err), "regression with classes: %s", err.msg);
    dn_put_le32(t + 16, DN_TASK_BINARY);
    p = forge(b, n, t, S, "binclasses.dnr");
    CHECK(malformed(p, S, 64 + 24, &err), "binary with 3 classes: %s", err.msg);
    dn_put_le32(t + 16, dn_get_le32(sch + 16));
    /* More columns than the bytes can hold: refused at once. */
    dn_put_le32(t, 1000);
    p = forge(b, n, t, S, "cols.dnr");
    CHECK(malformed(p, S, 64 + 4, &err), "n_cols: %s", err.msg);
    dn_put_le32(t, 2);
    /* The schema cut after 16 bytes, the task's count missing; after
     * 6, fewer bytes than the 2 columns take. */
    p = forge(b, n, t, 16, "short.dnr");
    CHECK(malformed(p, 16, 64 + 16, &err), "short: %s", err.msg);
    p = forge(b, n, t, 6, "shorter.dnr");
    CHECK(malformed(p, 6, 64 + 4, &err), "shorter: %s", err.msg);
    /* The first column's name NULL, and then longer than the schema. */
    dn_put_le32(t + col0, 0xFFFFFFFFu);
    p = forge(b, n, t, S, "noname.dnr");
    CHECK(malformed(p, S, 64 + col0 + 4, &err), "NULL name (at %zu): %s", col0, err.msg);
    dn_put_le32(t + col0, 100000);
    p = forge(b, n, t, S, "long.dnr");
    CHECK(malformed(p, S, 64 + col0 + 4, &err), "long name: %s", err.msg);
    dn_put_le32(t + col0, 6);
    /* A category NULL: the colour's first, after its count. */
    dn_put_le32(t + col0 + 10 + 4, 0xFFFFFFFFu);
    p = forge(b, n, t, S, "nocat.dnr");
    CHECK(malformed(p, S, 64 + col0 + 18, &err), "NULL category: %s", err.msg);
    memcpy(t, sch, S);
    /* The colours out of order ("zzzz", "green", "red" for "blue",
     * "green", "red"): refused after "green", the first out of place. */
    CHECK(!memcmp(t + col0 + 18, "blue", 4) && !memcmp(t + col0 + 26, "green", 5),
          "the colours are not at schema byte %zu", col0 + 18);
    memcpy(t + col0 + 18, "zzzz", 4);
    p = forge(b, n, t, S, "unsorted.dnr");
    CHECK(malformed(p, S, 64 + col0 + 31, &err), "unsorted categories: %s", err.msg);
    memcpy(t, sch, S);
    /* Four bytes more than the columns take. */
    memset(t + S, 0, 4);
    p = forge(b, n, t, S + 4, "tail.dnr");
    CHECK(malformed(p, S + 4, 64 + S, &err), "trailing: %s", err.msg);
    /* The same bytes forged back as they were read fine: forge is not
     * what the reader refuses. */
    p = forge(b, n, sch, S, "same.dnr");
    CHECK(open_read(p, NULL, &err) == DN_OK, "an unchanged schema: %s", err.msg);
    free(t);

    /* Header fields, each refused before the checksum is read. */
    unsigned char keep[8];
    memcpy(keep, b + 12, 4);
    dn_put_le32(b + 12, 3);
    p = check_write(dir, "type.dnr", b, n);
    CHECK(open_read(p, NULL, &err) == DN_EFORMAT && strstr(err.msg, "type.dnr") &&
          strstr(err.msg, "element type 3 at offset 12"), "%s", err.msg);
    memcpy(b + 12, keep, 4);
    memcpy(keep, b + 16, 8);
    memset(b + 16, 0, 8);
    p = check_write(dir, "nrows.dnr", b, n);
    CHECK(open_read(p, NULL, &err) == DN_EFORMAT && strstr(err.msg, "(bytes 16 to "
          "36) promises 0 rows of 4 inputs and 1 targets"), "%s", err.msg);
    memcpy(b + 16, keep, 8);
    memcpy(keep, b + 40, 8);
    dn_put_le32(b + 40, dn_get_le32(b + 40) + 4);
    p = check_write(dir, "xoff.dnr", b, n);
    CHECK(open_read(p, NULL, &err) == DN_EFORMAT && strstr(err.msg, "section "
          "offsets at bytes 40 and 48"), "%s", err.msg);
    memcpy(b + 40, keep, 8);
    /* Each limit of the header's counts and offsets on its own: rows past
     * INT_MAX, no inputs, too many, targets past the limit, block rows
     * that do not follow from the row size, inputs inside the table,
     * targets not after the inputs. */
    static const struct { int at, bytes; uint64_t v; const char *says; } f[] = {
        { 16, 8, 1ull << 31, "promises 2147483648 rows" },
        { 24, 4, 0, "rows of 0 inputs" },
        { 24, 4, 1u << 30, "rows of 1073741824 inputs" },
        { 28, 4, 1u << 30, "and 1073741824 targets" },
        { 32, 4, 7, "in blocks of 7" },
        { 40, 8, 0, "(0, " },
        { 48, 8, 4096, ", 4096) do not follow" },
    };
    for (size_t i = 0; i < sizeof f / sizeof *f; i++) {
        memcpy(keep, b + f[i].at, 8);
        if (f[i].bytes == 8) dn_put_le64(b + f[i].at, f[i].v);
        else dn_put_le32(b + f[i].at, (uint32_t)f[i].v);
        p = check_write(dir, "field.dnr", b, n);
        CHECK(open_read(p, NULL, &err) == DN_EFORMAT && strstr(err.msg, f[i].says) &&
              strstr(err.msg, "damaged"), "byte %d: %s", f[i].at, err.msg);
        memcpy(b + f[i].at, keep, 8);
    }
    /* One byte more than the header promises. */
    unsigned char *longer = calloc(1, n + 1);
    memcpy(longer, b, n);
    p = check_write(dir, "more.dnr", longer, n + 1);
    char want[96];
    snprintf(want, sizeof want, "trailing bytes: the file has %zu bytes, its "
             "header promises %zu", n + 1, n);
    CHECK(open_read(p, NULL, &err) == DN_EFORMAT && strstr(err.msg, want), "%s", err.msg);
    free(longer);
    /* Three bytes: too few for any magic; a directory is not a file. */
    p = check_write(dir, "tiny", "DN\n", 3);
    CHECK(open_read(p, NULL, &err) == DN_EFORMAT && strstr(err.msg, "(\"DN.\" at "
          "offset 0)"), "%s", err.msg);
    p = check_write(dir, "empty", "", 0);
    CHECK(open_read(p, NULL, &err) == DN_EFORMAT && strstr(err.msg, "(\"\" at "
          "offset 0)"), "%s", err.msg);
    CHECK(open_read(dir, NULL, &err) == DN_EIO && strstr(err.msg, "not a regular "
          "file"), "%s", err.msg);
    free(b);

    /* The writer's refusals: row weights, and no rows. */
    dn_csv_opts o = { .weight = "size" };
    dn_data *w;
    CHECK(!dn_csv_read(csv, &o, &w, NULL, 0, &err), "%s", err.msg);
    CHECK(dn_rowcache_write(w, at("w.dnr"), &err) == DN_EARG &&
          strstr(err.msg, "no row weights"), "%s", err.msg);
    dn_data_free(w);
    dn_data *none;
    CHECK(!dn_data_new(1, 4, 1, &none, &err), "%s", err.msg);
    none->n = 0;
    CHECK(dn_rowcache_write(none, at("none.dnr"), &err) == DN_EARG &&
          strstr(err.msg, "no rows or inputs"), "%s", err.msg);
    none->n = 1;
    dn_data_free(none);
    CHECK(access(at("w.dnr"), F_OK) && access(at("none.dnr"), F_OK),
          "a refused cache left a file");
    dn_data_free(d);
}

/* A row cache sorted by class: ten Gaussian blobs of 10,000 rows each
 * (12 bytes a row: blocks of 87,381 rows, 2 of them).  Its first 1,024
 * rows, the sample the health checks used to take, are all of class 0.
 * dn_stream_sample's 1,024 give each class its share, 102.4, to within a
 * row or two; the same seed the same rows, another seed others; asked
 * for more than the file holds, every row in order. */
static void test_sample(void)
{
    enum { C = 10, PER = 10000, W = 2, S = 1024 };
    dn_error err;
    dn_synth_conf sc;
    dn_synth_defaults(DN_SYNTH_GAUSSIANS, &sc);
    sc.n = C * PER;
    sc.classes = C;
    dn_data *d = NULL;
    CHECK(!dn_synth_make(DN_SYNTH_GAUSSIANS, &sc, &d, &err), "%s", err.msg);
    /* dealt to the classes in turn: row i is class i % C; sorted here */
    float *X = malloc((size_t)C * PER * W * 4), *Y = malloc((size_t)C * PER * 4);
    for (int i = 0; i < C * PER; i++) {
        const int to = (i % C) * PER + i / C;
        memcpy(X + (size_t)to * W, d->X + (size_t)i * W, W * 4);
        Y[to] = d->Y[i];
    }
    memcpy(d->X, X, (size_t)C * PER * W * 4);
    memcpy(d->Y, Y, (size_t)C * PER * 4);
    free(X);
    free(Y);
    CHECK(!dn_rowcache_write(d, at("sorted.dnr"), &err), "%s", err.msg);
    dn_stream *s;
    CHECK(!dn_stream_open(at("sorted.dnr"), NULL, &s, &err), "%s", err.msg);
    dn_data *head, *a, *b, *c, *all;
    CHECK(!dn_stream_read(s, 0, S, &head, &err), "%s", err.msg);
    CHECK(!dn_stream_sample(s, S, 1, &a, &err), "%s", err.msg);
    CHECK(!dn_stream_sample(s, S, 1, &b, &err), "%s", err.msg);
    CHECK(!dn_stream_sample(s, S, 2, &c, &err), "%s", err.msg);
    int in_head[C] = { 0 }, in_a[C] = { 0 }, in_c[C] = { 0 };
    for (int i = 0; i < S; i++) {
        in_head[(int)head->Y[i]]++;
        in_a[(int)a->Y[i]]++;
        in_c[(int)c->Y[i]]++;
    }
    CHECK(in_head[0] == S && d->Y[PER - 1] == 0 && d->Y[PER] == 1,
          "the first rows: %d of class 0", in_head[0]);
    for (int k = 0; k < C; k++)
        CHECK(in_a[k] >= 101 && in_a[k] <= 104 && in_c[k] >= 101 &&
              in_c[k] <= 104, "class %d: %d and %d of %d rows sampled", k,
              in_a[k], in_c[k], S);
    /* Sampled row i is a row of span i of the file, bit for bit. */
    int spans_ok = 1;
    for (int i = 0; i < S; i++) {
        int found = 0;
        for (int j = i * (C * PER) / S; j < (i + 1) * (C * PER) / S; j++)
            found |= !memcmp(a->X + (size_t)i * W, d->X + (size_t)j * W, W * 4) &&
                     a->Y[i] == d->Y[j];
        spans_ok &= found;
    }
    CHECK(spans_ok, "a sampled row is not a row of its span");
    CHECK(!memcmp(a->X, b->X, (size_t)S * W * 4) &&
          !memcmp(a->Y, b->Y, (size_t)S * 4), "seed 1 twice: other rows");
    CHECK(memcmp(a->X, c->X, (size_t)S * W * 4), "seeds 1 and 2: the same rows");
    CHECK(a->schema && a->schema->n_classes == C, "no schema with the sample");
    CHECK(!dn_stream_sample(s, C * PER + 5, 1, &all, &err) && all->n == C * PER &&
          !memcmp(all->X, d->X, (size_t)C * PER * W * 4), "every row: %s",
          err.msg);
    dn_data *none = (dn_data *)1;
    CHECK(dn_stream_sample(s, 0, 1, &none, &err) == DN_EARG && !none &&
          strstr(err.msg, "0 rows"), "%s", err.msg);
    CHECK(dn_stream_sample(NULL, 1, 1, &none, &err) == DN_EARG, "NULL stream");
    dn_stream_close(s);
    dn_data_free(head);
    dn_data_free(a);
    dn_data_free(b);
    dn_data_free(c);
    dn_data_free(all);
    dn_data_free(d);
}

/* A block damaged, or the file cut, after the stream was opened: the
 * run stops with the block's message, read ahead by the windows' thread
 * or all at once when the set fits; the weights are the last step's
 * (none: the model as it was made). */
static void test_damaged_while_training(void)
{
    size_t n;
    unsigned char *b = slurp(cache, &n);
    const size_t x_off = dn_get_le32(b + 40);
    b[x_off + (size_t)(2 * R + 7) * D + 5] ^= 4;
    const char *p = check_write(dir, "flip2.dnr", b, n);
    char flip[512];
    snprintf(flip, sizeof flip, "%s", p);
    dn_error err;
    dn_stream *s;
    CHECK(!dn_stream_open(flip, NULL, &s, &err), "%s", err.msg);
    dn_train_opts o = opts(1);
    dn_model *fresh = net();
    const uint64_t budget[2] = { SMALL, 1 << 30 };
    for (int i = 0; i < 2; i++) {
        dn_model *m = net();
        dn_status st = dn_train_stream(m, s, budget[i], NULL, &o, NULL, &err);
        CHECK(st == DN_EFORMAT && strstr(err.msg, "flip2.dnr: block 2 (rows 511 "
              "to 765") && strstr(err.msg, "checksum"), "budget %llu: %s",
              (unsigned long long)budget[i], err.msg);
        if (i == 1) CHECK(same_params(m, fresh), "the whole set failed to read, "
                          "yet the weights moved");
        dn_model_free(m);
    }
    /* the health checks' sample over the file reads block 2 too */
    dn_data *smp = NULL;
    CHECK(dn_stream_sample(s, 100, 1, &smp, &err) == DN_EFORMAT && !smp &&
          strstr(err.msg, "flip2.dnr: block 2"), "sample: %s", err.msg);
    dn_stream_close(s);
    /* The good file, cut inside block 3's inputs once it is open. */
    b[x_off + (size_t)(2 * R + 7) * D + 5] ^= 4;
    p = check_write(dir, "shrink.dnr", b, n);
    CHECK(!dn_stream_open(p, NULL, &s, &err), "%s", err.msg);
    CHECK(!truncate(p, (off_t)(x_off + (size_t)3 * R * D + 100)), "truncate");
    dn_model *m = net();
    CHECK(dn_train_stream(m, s, SMALL, NULL, &o, NULL, &err) == DN_EFORMAT &&
          strstr(err.msg, "shrink.dnr: truncated: the file ends at offset") &&
          strstr(err.msg, "inside the rows"), "%s", err.msg);
    dn_model_free(m);
    dn_model_free(fresh);
    dn_stream_close(s);
    free(b);
    /* An IDX header promising 2^31 images of one pixel: refused by the
     * IDX header's reader (so stream.c's own check of it never runs). */
    unsigned char h[16 + 4];
    be32(h, 0x803); be32(h + 4, 0x80000000u); be32(h + 8, 1); be32(h + 12, 1);
    p = check_write(dir, "many.idx", h, sizeof h);
    CHECK(open_read(p, NULL, &err) == DN_EFORMAT && strstr(err.msg, "many.idx: "
          "dimension 1 is 2147483648 (bytes 4 to 7)"), "%s", err.msg);
}

/* The edges: NULL streams answer 0, NULL arguments are refused, a cache
 * without targets round-trips, IDX images stream without labels, a
 * labels file that is not one is refused, and the magic is detected
 * only on a whole one. */
static void test_edges(void)
{
    dn_error err;
    dn_stream *s;
    CHECK(!dn_stream_rows(NULL) && !dn_stream_inputs(NULL) && !dn_stream_targets(NULL) &&
          !dn_stream_schema(NULL) && !dn_stream_bytes(NULL) &&
          !dn_stream_min_memory(NULL, 10), "a NULL stream answered non-zero");
    CHECK(dn_stream_open(NULL, NULL, &s, &err) == DN_EARG, "NULL path");
    CHECK(dn_stream_open(cache, NULL, NULL, &err) == DN_EARG, "NULL out");
    dn_data *d = NULL;
    CHECK(dn_stream_read(NULL, 0, 1, &d, &err) == DN_EARG, "NULL stream");
    CHECK(!dn_stream_open(cache, NULL, &s, &err), "%s", err.msg);
    CHECK(dn_stream_read(s, 0, 1, NULL, &err) == DN_EARG, "NULL out");
    dn_stream_close(s);
    /* 7 rows of 3 floats, no targets, no schema. */
    dn_data *in, *back;
    CHECK(!dn_data_new(7, 3, 0, &in, &err), "%s", err.msg);
    for (int i = 0; i < 21; i++) in->X[i] = 0.25f * (float)i - 1;
    char p[512];
    snprintf(p, sizeof p, "%s", at("bare.dnr"));
    CHECK(!dn_rowcache_write(in, p, &err), "%s", err.msg);
    CHECK(!dn_stream_open(p, NULL, &s, &err), "%s", err.msg);
    CHECK(dn_stream_targets(s) == 0 && !dn_stream_schema(s) &&
          dn_stream_bytes(s) == 7 * 3 * 4, "%d targets, %llu bytes",
          dn_stream_targets(s), (unsigned long long)dn_stream_bytes(s));
    CHECK(!dn_stream_read(s, 1, 5, &back, &err), "%s", err.msg);
    CHECK(back->k == 0 && !memcmp(back->X, in->X + 3, 5 * 3 * 4), "bare rows differ");
    dn_stream_close(s);
    dn_data_free(back);
    dn_data_free(in);
    /* Images without labels: the pixels, no targets. */
    CHECK(!dn_stream_open(img, NULL, &s, &err), "%s", err.msg);
    CHECK(dn_stream_targets(s) == 0 && dn_stream_inputs(s) == D, "%d targets",
          dn_stream_targets(s));
    CHECK(!dn_stream_read(s, 3, 2, &back, &err), "%s", err.msg);
    dn_data *all;
    CHECK(!dn_idx_read_u8(img, NULL, &all, &err), "%s", err.msg);
    dn_data_floats(all, NULL);
    dn_data_floats(back, NULL);
    CHECK(!memcmp(back->X, all->X + 3 * D, 2 * D * 4), "unlabelled rows differ");
    dn_data_free(all);
    dn_data_free(back);
    dn_stream_close(s);
    CHECK(dn_stream_open(img, cache, &s, &err) == DN_EFORMAT && !s &&
          strstr(err.msg, "rows.dnr"), "a cache as labels: %s", err.msg);
    /* The magic on a whole cache, not on a closed fd or 3 bytes. */
    int fd = open(cache, O_RDONLY);
    CHECK(dn_rowcache_detect_fd(fd) == 1, "a cache's magic not seen");
    close(fd);
    CHECK(dn_rowcache_detect_fd(-1) == 0, "a closed fd has a magic");
    fd = open(check_write(dir, "3b", "\x89" "DN", 3), O_RDONLY);
    CHECK(dn_rowcache_detect_fd(fd) == 0, "3 bytes have the magic");
    close(fd);
}

/* A cache whose rows were changed and whose checksums were made again
 * (a checksum proves the writer, not that it was descent): each value
 * the training loop relies on is checked when its block is read. */
static void reseal(unsigned char *f, size_t x_off, size_t y_off, size_t n,
                   size_t d, size_t table)
{
    /* One block (5 rows): its checksum follows the schema. */
    const uint32_t S = dn_get_le32(f + 36);
    uint64_t h = dn_hash64(f + y_off, n * 4, dn_hash64(f + x_off, n * d * 4, 0));
    dn_put_le64(f + 64 + S, h);
    dn_put_le64(f + 56, dn_rowcache_head_sum(f, table));
}

static void test_forged_values(void)
{
    dn_error err;
    dn_data *d, *back;
    dn_stream *s;
    static const char text[] = "colour,size,species\nred,1.5,cat\nblue,2.5,dog\n"
        "green,0.5,cat\nred,3.5,bird\nblue,1.0,dog\n";
    char csv[512], dnr[512];
    snprintf(csv, sizeof csv, "%s", check_write(dir, "values.csv", text, sizeof text - 1));
    CHECK(!dn_csv_read(csv, NULL, &d, NULL, 0, &err), "%s", err.msg);
    snprintf(dnr, sizeof dnr, "%s", at("values.dnr"));
    CHECK(!dn_rowcache_write(d, dnr, &err), "%s", err.msg);
    size_t len;
    unsigned char *b = slurp(dnr, &len);
    const size_t x_off = dn_get_le64(b + 40), y_off = dn_get_le64(b + 48);
    const size_t table = 64 + dn_get_le32(b + 36) + 8;
    CHECK(dn_get_le64(b + 16) == 5 && dn_get_le32(b + 24) == 4 && len == y_off + 20,
          "the small cache's layout: %zu bytes", len);
    static const struct { int input; float v; const char *what; } c[] = {
        { 0, 3.0f, "a target is not a class number of the schema" },
        { 0, -1.0f, "a target is not a class number of the schema" },
        { 0, 0.5f, "a target is not a class number of the schema" },
        { 1, NAN, "an input is not a finite number" },
        { 1, INFINITY, "an input is not a finite number" },
    };
    for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
        unsigned char *f = malloc(len);
        memcpy(f, b, len);
        /* row 3: its target, or its size (input 3) */
        dn_put_le32(f + (c[i].input ? x_off + (2 * 4 + 3) * 4 : y_off + 2 * 4),
                    dn_f32_bits(c[i].v));
        reseal(f, x_off, y_off, 5, 4, table);
        const char *p = check_write(dir, "forged.dnr", f, len);
        free(f);
        back = NULL;
        CHECK(!dn_stream_open(p, NULL, &s, &err), "forged %zu: %s", i, err.msg);
        dn_status st = s ? dn_stream_read(s, 0, 5, &back, &err) : DN_EARG;
        CHECK(st == DN_EFORMAT && !back && strstr(err.msg, "forged.dnr: block 0, row 3: ") &&
              strstr(err.msg, c[i].what) && strstr(err.msg, "convert the data again"),
              "forged %zu: status %d: %s", i, (int)st, err.msg);
        dn_stream_close(s);
    }
    /* The same bytes resealed unchanged read back (reseal is right). */
    reseal(b, x_off, y_off, 5, 4, table);
    const char *p = check_write(dir, "resealed.dnr", b, len);
    CHECK(!dn_stream_open(p, NULL, &s, &err) && !dn_stream_read(s, 0, 5, &back, &err) &&
          !memcmp(back->X, d->X, 5 * 4 * 4), "resealed: %s", err.msg);
    dn_data_free(back);
    dn_stream_close(s);
    free(b);
    dn_data_free(d);
}

/* A cache without a schema holds targets nothing bounds: streamed into
 * a classifier it is refused (a class past the output would index past
 * it); read whole, dn_train's own check of every row applies. */
static void test_no_schema_classes(void)
{
    dn_error err;
    dn_data *mem;
    CHECK(!dn_idx_read_u8(img, lab, &mem, &err), "%s", err.msg);
    dn_schema_free(mem->schema);
    mem->schema = NULL;
    char p[512];
    snprintf(p, sizeof p, "%s", at("noschema.dnr"));
    CHECK(!dn_rowcache_write(mem, p, &err), "%s", err.msg);
    dn_status st;
    dn_model *m = streamed(p, NULL, SMALL, opts(1), &st, &err);
    CHECK(st == DN_EARG && strstr(err.msg, "no schema with classes") &&
          strstr(err.msg, "network's 3 classes"), "status %d: %s", (int)st,
          err.msg);
    dn_model_free(m);
    m = streamed(p, NULL, 1 << 30, opts(1), &st, &err);
    CHECK(st == DN_OK, "read whole: %s", err.msg);
    dn_model_free(m);
    dn_data_free(mem);
}

static void test_parse_size(void)
{
    uint64_t v = 0;
    dn_error err;
    CHECK(!dn_parse_size("2G", &v, &err) && v == 2147483648ull, "%llu", (unsigned long long)v);
    CHECK(!dn_parse_size("512m", &v, &err) && v == 512ull << 20, "%llu", (unsigned long long)v);
    CHECK(!dn_parse_size("1.5K", &v, &err) && v == 1536, "%llu", (unsigned long long)v);
    CHECK(!dn_parse_size("3GiB", &v, &err) && v == 3ull << 30, "%llu", (unsigned long long)v);
    CHECK(!dn_parse_size("100", &v, &err) && v == 100, "%llu", (unsigned long long)v);
    const char *bad[] = { "", "G", "abc", "-1G", "0", "2X", "1e30T", "2 G", NULL };
    for (int i = 0; bad[i]; i++)
        CHECK(dn_parse_size(bad[i], &v, &err) == DN_EARG && strstr(err.msg, "e.g. 2G"),
              "'%s' accepted", bad[i]);
    CHECK(dn_parse_size(NULL, &v, &err) == DN_EARG, "NULL accepted");
}

int main(void)
{
    if (check_tmpdir(dir)) return 2;
    snprintf(img, sizeof img, "%s", at("img.idx"));
    snprintf(lab, sizeof lab, "%s", at("lab.idx"));
    snprintf(cache, sizeof cache, "%s", at("rows.dnr"));
    make_idx(img, lab);
    RUN(test_roundtrip);
    RUN(test_same_as_memory);
    RUN(test_windows);
    RUN(test_resume);
    RUN(test_bad_files);
    RUN(test_bad_headers);
    RUN(test_sample);
    RUN(test_damaged_while_training);
    RUN(test_edges);
    RUN(test_forged_values);
    RUN(test_no_schema_classes);
    RUN(test_parse_size);
    check_rmdir(dir);
    return check_done("test_stream");
}
