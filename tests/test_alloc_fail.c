/* test_alloc_fail.c — the allocation-failure sweep.  One pipeline runs
 * what a user does: read a CSV (one-hot text column, class target),
 * split it, build a model with PReLU slopes, fit the scaling, set the
 * schema and metadata, train a few steps with Adam and validation, save,
 * load, read rows with the loaded schema, evaluate, quantize to int8 on
 * those rows and evaluate that, export float and int8 C; and a second one
 * does the same for regression with target scaling, and a third for
 * gzipped IDX images with labels; the steps beside them include a row
 * cache written, read back and streamed.  First it runs once
 * to count the N allocations it makes; then, for every k in 1..N, again
 * with the k-th allocation failing (and once more with every allocation
 * from the k-th on failing).  Every run must end in success or
 * DN_ENOMEM with a message saying so — never another status (an
 * allocation failure is not "a damaged file") — with no block left
 * allocated, and a failed save must leave no file behind.
 * The solvers (dn_minimize, every kind) get the same sweep on a small
 * bowl: DN_ENOMEM, x untouched, nothing left allocated.
 *
 * Linked with -Wl,--wrap=malloc,... (see the Makefile and alloc_fail.h);
 * under `make sanitize` ASan also sees every error path. */
#include "alloc_fail.h"
#include "check.h"
#include "descent.h"
#include "kernels/gemm.h"
#include <pthread.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static char dir[128];

static const char *at(const char *name) { return check_path(dir, name); }
static void put(const char *name, const char *text)
{
    check_write(dir, name, text, strlen(text));
}

/* An IDX file of `dims` dimensions, gzipped. */
static void put_idx(const char *name, unsigned magic, const unsigned *dim,
                    int dims, const unsigned char *v, size_t n)
{
    unsigned char h[16];
    for (int i = 0; i <= dims; i++) {
        unsigned x = i ? dim[i - 1] : magic;
        for (int b = 0; b < 4; b++)
            h[4 * i + b] = (unsigned char)(x >> (24 - 8 * b));
    }
    gzFile g = gzopen(at(name), "wb");
    if (!g || gzwrite(g, h, 4 * (dims + 1)) <= 0 ||
        gzwrite(g, v, (unsigned)n) != (int)n || gzclose(g) != Z_OK) {
        perror(name);
        exit(2);
    }
}

/* Files in dir besides the data. */
static int stray_files(void)
{
    DIR *dp = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (dp && (e = readdir(dp)))
        n += e->d_name[0] != '.' && !strstr(e->d_name, ".csv") &&
             !strstr(e->d_name, ".gz");
    if (dp) closedir(dp);
    return n;
}

typedef struct pipeline pipeline;
struct pipeline {
    const char *csv;     /* the data file (IDX images when labels), or the
                            name of a step (the steps below) */
    int regression;
    const char *labels;  /* IDX labels, or NULL for a CSV */
    /* The run (NULL: the whole pipeline, run_pipeline); sets *saved when
     * it leaves files that a failure may not (see one()). */
    dn_status (*run)(const pipeline *p, dn_error *err, int *saved);
    /* After each run with the wrapper disarmed: NULL, or what is wrong
     * with what the run left behind. */
    const char *(*left)(dn_status st);
};

static dn_status load(const pipeline *p, const dn_schema *s, dn_data **out,
                      dn_error *err)
{
    /* Images are read again with the pixels kept as bytes (X NULL), as
     * the command reads them for a model. */
    if (p->labels)
        return s ? dn_idx_read_u8(at(p->csv), at(p->labels), out, err)
                 : dn_idx_read(at(p->csv), at(p->labels), out, err);
    if (s) return dn_csv_read_with(at(p->csv), s, 1, out, err);
    return dn_csv_read(at(p->csv), NULL, out, NULL, 0, err);
}

/* The whole pipeline; the status of the first step that failed. */
static dn_status run_pipeline(const pipeline *p, dn_error *err, int *saved)
{
    dn_data *all = NULL, *train = NULL, *val = NULL, *rows = NULL;
    dn_model *m = NULL, *m2 = NULL;
    const char *model = at("model.safetensors");
    *saved = 0;
    dn_status st = load(p, NULL, &all, err);
    if (!st) st = dn_data_split(all, 0.25, 7, &train, &val, err);
    dn_arch a;
    memset(&a, 0, sizeof a);
    if (!st) {
        a.n_in = train->d;
        a.n_layers = 1;
        a.layer[0] = (dn_layer){ .units = 4, .act = DN_ACT_PRELU };
        st = dn_arch_set_task(&a, train->schema->task,
                              p->regression ? 1 : train->schema->n_classes,
                              err);
    }
    if (!st) st = dn_model_new(&a, &m, err);
    if (!st) {
        dn_model_init(m, DN_INIT_DEFAULT, 0, 3);
        st = dn_model_fit_scaling(m, train, err);
    }
    if (!st && p->regression) st = dn_model_fit_target_scaling(m, train, err);
    if (!st) st = dn_model_set_schema(m, train->schema, err);
    if (!st) st = dn_model_meta_set(m, "note", "swept", err);
    if (!st) {
        dn_train_opts o;
        dn_train_defaults(&o);
        o.epochs = 2;
        o.batch = 4;
        o.threads = 1;
        o.eta = 0.01;
        /* AdamW and dropout on the classes (their state and masks),
         * Adam on the others. */
        dn_opt_defaults(&o.opt, p->regression || p->labels ? DN_OPT_ADAM
                                                           : DN_OPT_ADAMW);
        if (!p->regression && !p->labels) o.dropout[0] = 0.25f;
        st = dn_train(m, train, val, &o, NULL, err);
    }
    if (!st) {
        st = dn_model_save(m, model, err);
        *saved = st == DN_OK;
    }
    if (!st) st = dn_model_load(model, &m2, err);
    if (!st) st = load(p, dn_model_schema(m2), &rows, err);
    dn_metrics mt;
    if (!st) st = dn_evaluate(m2, rows, &mt, err);
    dn_report *rep = NULL;
    if (!st) st = dn_report_model(m2, rows, 0, &rep, err);
    dn_report_free(rep);
    if (!st) st = dn_model_export_onnx(m2, at("model.onnx"), err);
    dn_qmodel *q = NULL;
    /* Percentile ranges (their histograms) for the images. */
    dn_quant_opts qo = { .percentile = p->labels ? 99.9 : 0 };
    if (!st) st = dn_quantize(m2, rows, &qo, &q, err);
    if (!st) st = dn_qmodel_evaluate(q, rows, &mt, err);
    dn_c_opts co = { .name = "swept" };
    if (!st) st = dn_model_export_c(m2, &co, at("model.h"), NULL, err);
    co.q = q;
    if (!st) st = dn_model_export_c(m2, &co, at("model8.h"), NULL, err);
    dn_qmodel_free(q);
    dn_model_free(m);
    dn_model_free(m2);
    dn_data_free(all);
    dn_data_free(train);
    dn_data_free(val);
    dn_data_free(rows);
    return st;
}

/* ---- the steps beside the pipeline, each swept the same way ---- */

/* A small classifier of d's inputs (hidden tanh layer, scaled). */
static dn_status small_model(const dn_data *d, int regression, dn_model **m,
                             dn_error *err)
{
    dn_arch a;
    memset(&a, 0, sizeof a);
    a.n_in = d->d;
    a.n_layers = 1;
    a.layer[0] = (dn_layer){ .units = 3, .act = DN_ACT_TANH };
    dn_status st = dn_arch_set_task(&a, d->schema->task, regression ? 1 :
                                    d->schema->n_classes, err);
    if (!st) st = dn_model_new(&a, m, err);
    if (!st) {
        dn_model_init(*m, DN_INIT_DEFAULT, 0, 5);
        st = dn_model_fit_scaling(*m, d, err);
    }
    return st;
}

/* A binary report: the ROC and precision-recall curves. */
static dn_status run_ranking(const pipeline *p, dn_error *err, int *saved)
{
    (void)p;
    static const float out[8] = { 0.9f, 0.8f, 0.8f, 0.3f, 0.6f, 0.2f, 0.1f,
                                  0.55f };
    static const float y[8] = { 1, 1, 0, 0, 1, 0, 0, 1 };
    dn_report *r = NULL;
    *saved = 0;
    dn_status st = dn_report_new(DN_TASK_BINARY, 8, 2, out, y, 4, &r, err);
    dn_report_free(r);
    return st;
}

/* Stratified folds of the classes, shuffled folds of the prices. */
static dn_status run_folds(const pipeline *p, dn_error *err, int *saved)
{
    (void)p;
    dn_data *d[2] = { NULL, NULL }, *tr = NULL, *te = NULL;
    int32_t fold[12];
    *saved = 0;
    dn_status st = dn_csv_read(at("iris.csv"), NULL, &d[0], NULL, 0, err);
    if (!st) st = dn_csv_read(at("house.csv"), NULL, &d[1], NULL, 0, err);
    for (int i = 0; i < 2 && !st; i++) {
        st = dn_data_folds(d[i], 3, 11, 1, fold, err);
        if (!st) st = dn_data_fold_split(d[i], fold, 2, &tr, &te, err);
        dn_data_free(tr);
        dn_data_free(te);
        tr = te = NULL;
    }
    dn_data_free(d[0]);
    dn_data_free(d[1]);
    return st;
}

/* A history kept, saved, read back and plotted. */
static dn_status run_history(const pipeline *p, dn_error *err, int *saved)
{
    (void)p;
    dn_history h, back;
    dn_history_init(&h, "accuracy");
    dn_history_init(&back, NULL);
    dn_status st = DN_OK;
    *saved = 0;
    for (int e = 1; e <= 3 && !st; e++) {
        dn_epoch ep = { .epoch = e, .steps = 4L * e, .train_loss = 1.0 / e,
                        .val_loss = 1.2 / e, .train_acc = 0.5 + 0.1 * e,
                        .val_acc = 0.4 + 0.1 * e, .eta = 0.01,
                        .grad_norm = 0.5, .seconds = 0.01 };
        st = dn_history_add_epoch(&h, &ep, err);
    }
    if (!st) st = dn_history_save(&h, at("h.hist"), err);
    *saved = st == DN_OK;
    if (!st) st = dn_history_load(at("h.hist"), &back, err);
    if (!st) st = dn_plot_history(&back, NULL, at("h.svg"), err);
    dn_history_free(&h);
    dn_history_free(&back);
    return st;
}

/* A TensorBoard run with training and validation scalars. */
static dn_status run_tboard(const pipeline *p, dn_error *err, int *saved)
{
    (void)p;
    dn_tboard *tb = NULL;
    *saved = 1;  /* records written before a failure stay: see left_tb */
    dn_status st = dn_tboard_open(at("tb"), &tb, err);
    for (int e = 1; e <= 2 && !st; e++) {
        dn_hist_row r = { .epoch = e, .step = 4L * e, .train_loss = 1.0 / e,
                          .val_loss = 1.5 / e, .train_metric = 0.5,
                          .val_metric = 0.25, .learning_rate = 0.01,
                          .grad_norm = 2 };
        st = dn_tboard_add(tb, &r, "accuracy", err);
    }
    dn_status sc = dn_tboard_close(tb, st ? NULL : err);
    return st ? st : sc;
}

/* Every event file left in DIR is whole TFRecords: each record's length
 * (8 bytes), then 4 of CRC, the data and 4 more, tiling the file. */
static const char *torn_events(const char *sub)
{
    DIR *dp = opendir(at(sub));
    struct dirent *e;
    const char *why = NULL;
    while (dp && !why && (e = readdir(dp))) {
        if (!strstr(e->d_name, "tfevents")) continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", at(sub), e->d_name);
        size_t n = 0, at_ = 0;
        unsigned char *b = (unsigned char *)check_slurp(path, &n);
        if (!b) why = "an event file cannot be read";
        while (b && !why && at_ < n) {
            uint64_t len = 0;
            for (int i = 7; i >= 0 && at_ + 8 <= n; i--)
                len = len << 8 | b[at_ + i];
            if (at_ + 12 > n || len > n - at_ - 12 ||
                at_ + 12 + len + 4 > n)
                why = "an event file ends in a torn record";
            at_ += 12 + len + 4;
        }
        if (b && !why && n == 0) why = "an empty event file was left";
        free(b);
    }
    if (dp) closedir(dp);
    return why;
}

static const char *left_tb(dn_status st)
{
    (void)st;
    const char *why = torn_events("tb/train");
    return why ? why : torn_events("tb/validation");
}

/* A first-order run writing a checkpoint every epoch, its checkpoint
 * read, and the run resumed from it for one more epoch. */
static dn_status run_ckpt(const pipeline *p, dn_error *err, int *saved)
{
    (void)p;
    dn_data *d = NULL;
    dn_model *m = NULL;
    dn_checkpoint_info info;
    memset(&info, 0, sizeof info);
    *saved = 1;  /* a checkpoint written before a failure stays: left_ckpt */
    dn_status st = dn_csv_read(at("iris.csv"), NULL, &d, NULL, 0, err);
    if (!st) st = small_model(d, 0, &m, err);
    dn_train_opts o;
    dn_train_defaults(&o);
    o.epochs = 2;
    o.batch = 4;
    o.threads = 1;
    o.patience = 5;  /* the best weights are held and checkpointed */
    dn_opt_defaults(&o.opt, DN_OPT_RMSPROP);
    o.checkpoint = at("run.ckpt");
    o.checkpoint_every = 1;
    o.note = "swept";
    if (!st) st = dn_train(m, d, d, &o, NULL, err);
    if (!st) st = dn_checkpoint_read_info(at("run.ckpt"), &info, err);
    dn_checkpoint_info_free(&info);
    o.epochs = 3;
    o.resume = at("run.ckpt");
    if (!st) st = dn_train(m, d, d, &o, NULL, err);
    dn_model_free(m);
    dn_data_free(d);
    return st;
}

/* A checkpoint left behind reads back whole; no temporary file is left. */
static const char *left_ckpt(dn_status st)
{
    (void)st;
    DIR *dp = opendir(dir);
    struct dirent *e;
    int tmp = 0;
    while (dp && (e = readdir(dp))) tmp += strstr(e->d_name, ".tmp") != NULL;
    if (dp) closedir(dp);
    if (tmp) return "a temporary file was left";
    if (access(at("run.ckpt"), F_OK)) return NULL;
    dn_checkpoint_info info;
    dn_error err;
    memset(&info, 0, sizeof info);
    dn_status rs = dn_checkpoint_read_info(at("run.ckpt"), &info, &err);
    dn_checkpoint_info_free(&info);
    return rs ? "the checkpoint left behind does not read back" : NULL;
}

/* The full-batch solvers through dn_train_full: L-BFGS with a
 * checkpoint every iteration and a resume, CG, and on the prices LM and
 * Newton (the exact Hessian's products). */
static dn_status run_full(const pipeline *p, dn_error *err, int *saved)
{
    (void)p;
    dn_data *cls = NULL, *reg = NULL;
    dn_model *m = NULL;
    *saved = 1;
    dn_status st = dn_csv_read(at("iris.csv"), NULL, &cls, NULL, 0, err);
    if (!st) st = dn_csv_read(at("house.csv"), NULL, &reg, NULL, 0, err);
    dn_train_opts o;
    dn_train_defaults(&o);
    o.epochs = 2;
    o.threads = 1;
    dn_solver_conf sc;
    static const dn_solver_kind kinds[4] = { DN_SOLVER_LBFGS, DN_SOLVER_CG,
                                             DN_SOLVER_LM, DN_SOLVER_NEWTON };
    for (int i = 0; i < 4 && !st; i++) {
        const dn_data *d = i < 2 ? cls : reg;
        dn_solver_defaults(&sc, kinds[i]);
        o.checkpoint = i == 0 ? at("run.ckpt") : NULL;
        o.checkpoint_every = i == 0;
        o.resume = NULL;
        st = small_model(d, i >= 2, &m, err);
        if (!st && i >= 2) st = dn_model_fit_target_scaling(m, d, err);
        if (!st) st = dn_train_full(m, d, d, &sc, &o, NULL, err);
        if (!st && i == 0) {
            o.epochs = 3;
            o.resume = at("run.ckpt");
            st = dn_train_full(m, d, d, &sc, &o, NULL, err);
            o.epochs = 2;
        }
        dn_model_free(m);
        m = NULL;
    }
    dn_data_free(cls);
    dn_data_free(reg);
    return st;
}

/* A CSV read with every reading option: a weight column, missing-value
 * tokens, a dropped column, integer codes read as categories, integer
 * classes, and the info filled in. */
static dn_status run_csv_opts(const pipeline *p, dn_error *err, int *saved)
{
    (void)p;
    dn_csv_info info;
    dn_csv_opts o = { .na = "NA,-", .weight = "w", .drop = "note",
                      .categorical = "code", .info = &info };
    dn_data *d = NULL, *again = NULL;
    *saved = 0;
    dn_status st = dn_csv_read(at("opts.csv"), &o, &d, NULL, 0, err);
    /* Again with the schema found and the same reading options (-1: by
     * its path). */
    if (!st) st = dn_csv_read_with_opts(-1, at("opts.csv"), d->schema, 1, &o,
                                        &again, err);
    /* Class weights on the row weights, then a split, which copies the
     * weights and refits the fills. */
    double cw[3];
    if (!st) st = dn_class_weights_balanced(d, cw, err);
    if (!st) st = dn_data_weight_classes(d, cw, err);
    dn_data *tr = NULL, *va = NULL;
    if (!st) st = dn_data_split(d, 0.4, 5, &tr, &va, err);
    dn_data_free(tr);
    dn_data_free(va);
    dn_data_free(d);
    dn_data_free(again);
    d = NULL;
    if (!st) st = dn_csv_read(at("wide.csv"), NULL, &d, NULL, 0, err);
    dn_data_free(d);
    return st;
}

/* Data larger than memory: the CSV written as a row cache (its schema
 * too), opened, read back (rows and a sample) and streamed whole into
 * training.  The cache is removed at the end, so that any file left is a
 * failed write's. */
static dn_status run_stream(const pipeline *p, dn_error *err, int *saved)
{
    (void)p;
    dn_data *d = NULL, *back = NULL, *sample = NULL;
    dn_model *m = NULL;
    dn_stream *s = NULL;
    *saved = 0;
    dn_train_opts o;
    dn_train_defaults(&o);
    o.epochs = 2;
    o.batch = 3;
    o.threads = 1;
    dn_status st = dn_csv_read(at("iris.csv"), NULL, &d, NULL, 0, err);
    if (!st) st = dn_rowcache_write(d, at("rows.dnr"), err);
    if (!st) st = dn_stream_open(at("rows.dnr"), NULL, &s, err);
    if (!st) st = dn_stream_read(s, 2, 7, &back, err);
    if (!st) st = dn_stream_sample(s, 5, 1, &sample, err);
    if (!st) st = small_model(d, 0, &m, err);
    if (!st) st = dn_train_stream(m, s, dn_stream_bytes(s), NULL, &o, NULL, err);
    dn_stream_close(s);
    dn_model_free(m);
    dn_data_free(d);
    dn_data_free(back);
    dn_data_free(sample);
    remove(at("rows.dnr"));
    return st;
}

/* Decision regions kept across a resume: frames drawn, packed into
 * bytes, unpacked into regions of their own. */
static dn_status run_regions(const pipeline *p, dn_error *err, int *saved)
{
    (void)p;
    *saved = 0;
    dn_synth_conf c;
    dn_synth_defaults(DN_SYNTH_XOR, &c);
    c.n = 20;
    dn_data *d = NULL;
    dn_model *m = NULL;
    dn_boundary *b = NULL, *q = NULL;
    dn_boundary_opts o;
    dn_boundary_defaults(&o);
    o.grid = 8;
    const void *bytes;
    size_t len;
    dn_status st = dn_synth_make(DN_SYNTH_XOR, &c, &d, err);
    if (!st) st = small_model(d, 0, &m, err);
    if (!st) st = dn_boundary_new(m, d, &o, &b, err);
    for (int f = 0; f < 9 && !st; f++) st = dn_boundary_frame(b, m, f, err);
    if (!st) st = dn_boundary_pack(b, &bytes, &len, err);
    if (!st) st = dn_boundary_new(m, d, &o, &q, err);
    if (!st) st = dn_boundary_unpack(q, bytes, len, err);
    dn_boundary_free(b);
    dn_boundary_free(q);
    dn_model_free(m);
    dn_data_free(d);
    return st;
}

static dn_status run(const pipeline *p, dn_error *err, int *saved)
{
    return p->run ? p->run(p, err, saved) : run_pipeline(p, err, saved);
}

/* Runs the pipeline with the k-th allocation failing (and all after it
 * when persistent); returns the failures injected (0: k was past the
 * end). */
static long one(const pipeline *p, long k, int persistent, long base,
                int *bad)
{
    dn_error err;
    int saved;
    err.msg[0] = 0;
    remove(at("model.safetensors"));
    remove(at("model.h"));
    remove(at("model8.h"));
    remove(at("model.onnx"));
    check_remove(at("tb"));
    remove(at("run.ckpt"));
    remove(at("h.hist"));
    remove(at("h.svg"));
    af_arm(k, persistent);
    dn_status st = run(p, &err, &saved);
    long failures = af_failures();
    af_arm(0, 0);
    const char *why = NULL;
    if (st != DN_OK && st != DN_ENOMEM) why = "neither success nor ENOMEM";
    else if (st == DN_ENOMEM && !strstr(err.msg, "memory"))
        why = "the message does not say 'memory'";
    else if (st && !failures) why = "failed with nothing failed";
    else if (af_live() != base) why = "allocations left behind";
    else if (!saved && stray_files()) why = "a failed save left a file";
    else if (p->left) why = p->left(st);
    if (why && (*bad)++ < 5)
        fprintf(stderr, "  %s, allocation %ld%s: %s: %s: %s (live %ld, was "
                "%ld)\n", p->csv, k, persistent ? " on" : "", why,
                dn_status_name(st), err.msg, af_live(), base);
    return failures;
}

static void sweep(const pipeline *p)
{
    dn_error err;
    int saved;
    /* A first run allocates what lives for the whole process (the main
     * thread's matrix-product scratch), then a counted one. */
    CHECK(run(p, &err, &saved) == DN_OK, "%s: %s", p->csv, err.msg);
    af_arm(0, 0);
    const char *why = p->left ? p->left(DN_OK) : NULL;
    CHECK(!why, "%s: a good run: %s", p->csv, why);
    long base = af_live();
    af_arm(0, 0);
    dn_status st = run(p, &err, &saved);
    long n = af_attempts();
    CHECK(st == DN_OK && (saved || p->run), "%s: %s", p->csv, err.msg);
    CHECK(af_live() == base, "%s: %ld blocks leaked by a good run", p->csv,
          af_live() - base);
    CHECK(n > (p->run ? 10 : 50), "%s: only %ld allocations seen; is the "
          "wrapper linked?", p->csv, n);
    int bad = 0, enomem = 0;
    long k;
    for (k = 1; k <= n + 1; k++) {
        long f = one(p, k, 0, base, &bad);
        enomem += f > 0;
        if (!f) break;   /* past the last allocation */
        one(p, k, 1, base, &bad);
    }
    CHECK(bad == 0, "%s: %d of %ld runs with a failed allocation went "
          "wrong", p->csv, bad, 2 * n);
    CHECK(k >= n, "%s: the sweep stopped at allocation %ld of %ld", p->csv,
          k, n);
    CHECK(enomem >= n - 2, "%s: %d of %ld allocations could be failed",
          p->csv, enomem, n);
    printf("%s: %ld allocations, each failed alone and from there on\n",
           p->csv, n);
}

/* The solvers allocate everything before their first iteration: with
 * the k-th allocation failing, dn_minimize returns DN_ENOMEM saying so,
 * leaves x at the start and nothing allocated; each kind on f = Σ (x_i −
 * i)², whose minimum x_i = i it reaches when nothing fails. */
static double bowl(const double *x, double *g, void *u)
{
    (void)u;
    double f = 0;
    for (int i = 0; i < 3; i++) {
        f += (x[i] - i) * (x[i] - i);
        if (g) g[i] = 2 * (x[i] - i);
    }
    return f;
}

static int bowl_resid(const double *x, int i, double *e, double *J, void *u)
{
    (void)u;
    e[0] = x[i] - i;
    if (J) for (int j = 0; j < 3; j++) J[j] = j == i;
    return 0;
}

static void solver_sweep(void)
{
    const dn_problem p = { .n = 3, .fg = bowl, .resid = bowl_resid,
                           .n_samples = 3, .n_resid = 1 };
    for (int kind = 0; kind < DN_SOLVER_COUNT; kind++) {
        dn_solver_conf c;
        dn_solver_defaults(&c, (dn_solver_kind)kind);
        const char *name = dn_solver_name((dn_solver_kind)kind);
        long base = af_live(), n = 0, bad = 0;
        for (long k = 1;; k++) {
            double x[3] = { 5, 5, 5 };
            dn_min_result r;
            dn_error err = { DN_OK, "" };
            af_arm(k, 0);
            dn_status st = dn_minimize(&p, &c, x, NULL, NULL, &r, &err);
            long failures = af_failures();
            af_arm(0, 0);
            if (!failures) {   /* past the last allocation */
                CHECK(st == DN_OK && fabs(x[1] - 1) < 1e-6 &&
                      fabs(x[2] - 2) < 1e-6, "%s: status %d, x = (%g, %g, "
                      "%g)", name, st, x[0], x[1], x[2]);
                break;
            }
            n++;
            bad += st != DN_ENOMEM || !strstr(err.msg, "memory") ||
                   x[0] != 5 || af_live() != base;
        }
        CHECK(n >= 1 && bad == 0, "%s: %ld of %ld failed allocations "
              "went wrong", name, bad, n);
    }
}

/* The range test, its picture and dn_ws_fprime on a PReLU layer: with
 * the k-th allocation failing each returns DN_ENOMEM saying so (or
 * succeeds, where the allocation was optional), leaves
 * the model's parameters as they were and nothing allocated. */
static void lrfind_sweep(void)
{
    dn_arch A;
    memset(&A, 0, sizeof A);
    A.n_in = 2;
    A.n_layers = 2;
    A.layer[0] = (dn_layer){ .units = 3, .act = DN_ACT_PRELU };
    A.layer[1] = (dn_layer){ .units = 1, .act = DN_ACT_IDENTITY };
    A.loss = DN_LOSS_MSE;
    dn_model *m = NULL;
    dn_error err;
    CHECK(dn_model_new(&A, &m, &err) == DN_OK, "%s", err.msg);
    if (!m) return;
    dn_model_init(m, DN_INIT_DEFAULT, 0, 5);
    float X[16], Y[8];
    for (int i = 0; i < 8; i++) {
        X[2 * i] = (float)i / 8;
        X[2 * i + 1] = 1 - (float)i / 4;
        Y[i] = X[2 * i] - X[2 * i + 1];
    }
    dn_data d = dn_data_view(8, 2, 1, X, Y);
    dn_train_opts o;
    dn_train_defaults(&o);
    o.batch = 4;
    o.opt.kind = DN_OPT_ADAMW;
    dn_lr_find_conf c;
    dn_lr_find_defaults(&c);
    c.steps = 20;
    const size_t P = dn_model_n_params(m);
    float theta[64];
    memcpy(theta, dn_model_params(m), P * sizeof *theta);
    long base = af_live(), n = 0, bad = 0;
    for (long k = 1;; k++) {
        dn_lr_find_result r;
        dn_ws *ws = NULL;
        float fp[3];
        err.msg[0] = 0;
        af_arm(k, 0);
        dn_status st = dn_lr_find(m, &d, &o, &c, &r, &err);
        if (!st) {
            st = dn_plot_lr_find(&r, "t", at("lr.svg"), &err);
            dn_lr_find_free(&r);
        }
        if (!st) st = dn_ws_new(m, 1, 1, &ws, &err);
        if (!st) {
            dn_forward(m, ws, X, 1);
            st = dn_ws_fprime(m, ws, 0, fp, &err);
        }
        dn_ws_free(ws);
        long failures = af_failures();
        af_arm(0, 0);
        remove(at("lr.svg"));
        if (!failures) {   /* past the last allocation */
            CHECK(st == DN_OK, "lr-find sweep: %s", err.msg);
            break;
        }
        n++;
        /* (some allocations are optional: the thread pool's, a faster
         * path's; without them the work is done another way) */
        int wrong = (st != DN_OK && (st != DN_ENOMEM ||
                                     !strstr(err.msg, "memory"))) ||
                    memcmp(theta, dn_model_params(m), P * sizeof *theta) ||
                    af_live() != base;
        if (wrong)
            printf("lr-find sweep: allocation %ld: status %d, '%s', %ld "
                   "blocks left\n", k, (int)st, err.msg, af_live() - base);
        bad += wrong;
    }
    CHECK(n >= 5 && bad == 0, "lr-find: %ld of %ld failed allocations went "
          "wrong", bad, n);
    dn_model_free(m);
}

/* A product whose columns span more than one packed block of B (as many
 * columns as the blocking packs at once, from the L2's size, and 88 more)
 * with A transposed, so that a thread wants both its packing buffer and a
 * slab (A of 64 × 300 floats: more than AVX2 reads in place); run on a
 * fresh thread, whose buffers are made on its first product and freed
 * when it exits. */
enum { GM = 64, GK = 300 };
static int GN;
typedef struct {
    const float *A, *B;
    float *C;
    long arm, attempts, failures;
    int persistent;
} gemm_run;

static void *gemm_thread(void *v)
{
    gemm_run *g = v;
    af_arm(g->arm, g->persistent);
    dn_gemm_tn(NULL, GM, GN, GK, g->A, GM, g->B, GN, g->C, GN, 0);
    g->attempts = af_attempts();
    g->failures = af_failures();
    af_arm(0, 0);
    return NULL;
}

/* A thread's product allocates four blocks: its packing buffer's record
 * and the buffer, the slab's record and the slab.  Without the first
 * (or any), without the buffer, without the slab's record or the slab
 * itself, it falls back to packing on the stack or per column block: the same bits as
 * with both, and nothing left allocated once the thread is gone. */
static void gemm_sweep(void)
{
    int nc, mc;
    dn_gemm_blocking(&nc, &mc);
    GN = nc + 88;
    float *A = malloc(sizeof(float) * GK * GM), *B = malloc(sizeof(float) * GK * GN);
    float *want = malloc(sizeof(float) * GM * GN), *got = malloc(sizeof(float) * GM * GN);
    if (!A || !B || !want || !got) { CHECK(0, "out of memory"); return; }
    dn_rng r;
    dn_rng_seed(&r, 11);
    for (int i = 0; i < GK * GM; i++) A[i] = (float)dn_rng_uniform(&r) - 0.5f;
    for (int i = 0; i < GK * GN; i++) B[i] = (float)dn_rng_uniform(&r) - 0.5f;
    long base = af_live();
    static const struct {
        long arm; int persistent; long attempts; const char *what;
    } c[] = {
        { 0, 0, 4, "every buffer" }, { 1, 1, 1, "no buffer at all" },
        { 2, 0, 2, "no packing buffer" }, { 3, 0, 3, "no slab record" },
        { 4, 0, 4, "no slab" },
    };
    for (int k = 0; k < 5; k++) {
        gemm_run g = { A, B, k ? got : want, c[k].arm, 0, 0, c[k].persistent };
        memset(g.C, 0xff, sizeof(float) * GM * GN);
        pthread_t t;
        int ok = pthread_create(&t, NULL, gemm_thread, &g) == 0 &&
                 pthread_join(t, NULL) == 0;
        CHECK(ok, "%s: no thread", c[k].what);
        /* up to the armed allocation, which fails (all of them when
         * persistent), and none after it */
        CHECK(g.attempts == c[k].attempts &&
              g.failures == (k > 0), "%s: %ld attempts, %ld failed",
              c[k].what, g.attempts, g.failures);
        CHECK(af_live() == base, "%s: %ld blocks left after the thread "
              "exited", c[k].what, af_live() - base);
        if (k) {
            int diff = 0;
            for (int i = 0; i < GM * GN; i++) diff += memcmp(&got[i], &want[i], 4) != 0;
            CHECK(diff == 0, "%s: %d of %d elements differ", c[k].what, diff,
                  GM * GN);
        } else {
            /* the reference itself: C[0][0] = Σ_k A[k][0] B[k][0] */
            double s = 0;
            for (int i = 0; i < GK; i++) s += (double)A[i * GM] * B[i * GN];
            CHECK(fabs(want[0] - s) < 1e-4, "C[0][0] = %g, want %g", want[0], s);
        }
    }
    free(A); free(B); free(want); free(got);
}

static void cleanup(void)
{
    remove(at("iris.csv"));
    remove(at("house.csv"));
    remove(at("images.gz"));
    remove(at("labels.gz"));
    remove(at("model.safetensors"));
    remove(at("model.h"));
    remove(at("model8.h"));
    remove(at("opts.csv"));
    remove(at("wide.csv"));
    check_remove(dir);
}

int main(void)
{
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(dir, sizeof dir, "%s/descent-alloc.XXXXXX", base);
    if (!mkdtemp(dir)) {
        perror(dir);
        return 2;
    }
    atexit(cleanup);
    put("iris.csv",
        "colour,sepal_length,sepal_width,petal_length,species\n"
        "red,5.1,3.5,1.4,setosa\nblue,4.9,3.0,1.4,setosa\n"
        "red,4.7,3.2,1.3,setosa\ngreen,4.6,3.1,1.5,setosa\n"
        "blue,7.0,3.2,4.7,versicolor\nred,6.4,3.2,4.5,versicolor\n"
        "green,6.9,3.1,4.9,versicolor\nblue,5.5,2.3,4.0,versicolor\n"
        "red,6.3,3.3,6.0,virginica\ngreen,5.8,2.7,5.1,virginica\n"
        "blue,7.1,3.0,5.9,virginica\nred,6.3,2.9,5.6,virginica\n");
    put("house.csv",
        "rooms,area,type,price\n3,120.5,semi,350000.5\n2,75,flat,210000\n"
        "5,210,detached,520000.25\n4,150,semi,410000\n3,95,flat,260000\n"
        "6,240,detached,610000\n2,60,flat,180000\n4,130,semi,380000\n");
    unsigned char px[12 * 9], lab[12];
    for (int i = 0; i < 12 * 9; i++) px[i] = (unsigned char)(i * 37 % 256);
    for (int i = 0; i < 12; i++) lab[i] = (unsigned char)(i % 3);
    unsigned img_dim[3] = { 12, 3, 3 }, lab_dim[1] = { 12 };
    put_idx("images.gz", 0x803, img_dim, 3, px, sizeof px);
    put_idx("labels.gz", 0x801, lab_dim, 1, lab, sizeof lab);
    /* Two numbers of 130 digits, which the reader copies to convert. */
    char longnum[140], opts[1024];
    snprintf(longnum, sizeof longnum, "1.%0128d", 1);
    snprintf(opts, sizeof opts,
             "w,size,code,note,colour,grade\n%s,1.5,3,a,red,1\n2,NA,4,b,blue,2\n"
             "0.5,2.5,3,c,-,1\n1,%s,5,d,red,3\n2,4.5,4,e,blue,2\n"
             "1,-,5,f,green,3\n3,6.5,3,g,red,1\n1,7.5,4,h,,2\n", longnum,
             longnum);
    put("opts.csv", opts);
    /* More than 16 columns: the header's table grows. */
    char wide[1024];
    int n = 0;
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 20; c++)
            n += snprintf(wide + n, sizeof wide - n, r ? "%s%d" : "%sc%d",
                          c ? "," : r ? "\n" : "", r ? (r * c) % 3 : c);
    snprintf(wide + n, sizeof wide - n, "\n");
    put("wide.csv", wide);
    static const pipeline P[] = {
        { "iris.csv", 0, NULL, NULL, NULL },
        { "house.csv", 1, NULL, NULL, NULL },
        { "images.gz", 0, "labels.gz", NULL, NULL },
        { "binary report", 0, NULL, run_ranking, NULL },
        { "folds", 0, NULL, run_folds, NULL },
        { "history", 0, NULL, run_history, NULL },
        { "tensorboard", 0, NULL, run_tboard, left_tb },
        { "checkpoint", 0, NULL, run_ckpt, left_ckpt },
        { "full batch", 0, NULL, run_full, left_ckpt },
        { "csv options", 0, NULL, run_csv_opts, NULL },
        { "streaming", 0, NULL, run_stream, NULL },
        { "regions", 0, NULL, run_regions, NULL },
    };
    for (size_t i = 0; i < sizeof P / sizeof *P; i++) sweep(&P[i]);
    solver_sweep();
    lrfind_sweep();
    gemm_sweep();
    return check_done("test_alloc_fail");
}
