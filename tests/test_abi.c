/* test_abi.c — the public structs' layouts within a major version
 * (docs/abi.md).  For LP64 it holds, for every struct with a reserved
 * tail, the size, the offset of its last field before the tail and the
 * offset of the tail, recorded at ABI_MAJOR: within that major version
 * the size and that field's offset must stay, and the tail may only
 * shrink from the front (a new field taking reserved words); anything
 * else is a layout change, which needs a new major version and a new
 * record (dn_hist_row's growth by mu and evals, under 0.1, would have
 * failed here).  It also checks that every struct of include/descent.h
 * has a tail or is one of the fixed ones, that the dn_*_defaults()
 * functions and every struct the library fills leave the tail zero, and
 * that the library reads no reserved word: training with words set gives
 * the same bits as training without. */
#include "check.h"
#include "descent.h"
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The major version the numbers below were recorded at. */
#define ABI_MAJOR 1

typedef struct {
    const char *name, *last;
    size_t size, last_off, tail_off, tail_size;       /* as compiled */
    size_t rec_size, rec_last_off, rec_tail_off;      /* as recorded */
} layout;

#define ROW(T, LAST, SIZE, LAST_OFF, TAIL_OFF)                              \
    { #T, #LAST, sizeof(T), offsetof(T, LAST), offsetof(T, reserved),       \
      sizeof(((T *)0)->reserved), SIZE, LAST_OFF, TAIL_OFF }

/* x86-64 and AArch64 Linux (LP64), descent 1.0. */
static const layout LAYOUTS[] = {
    ROW(dn_layer, alpha, 32, 8, 16),
    ROW(dn_arch, loss, 2096, 2056, 2064),
    ROW(dn_column, indicator, 72, 32, 40),
    ROW(dn_schema, classes, 88, 48, 56),
    ROW(dn_data, w, 88, 48, 56),
    ROW(dn_csv_opts, info, 136, 64, 72),
    ROW(dn_csv_info, note, 1088, 28, 1056),
    ROW(dn_opt_conf, amsgrad, 120, 84, 88),
    ROW(dn_sched_conf, final_div_factor, 128, 88, 96),
    ROW(dn_sched, cool, 200, 164, 168),
    ROW(dn_epoch, evals, 176, 104, 112),
    ROW(dn_batch, loss, 72, 32, 40),
    ROW(dn_train_opts, interrupt, 792, 656, 664),
    ROW(dn_result, last, 248, 40, 216),
    ROW(dn_lr_find_conf, diverge, 72, 32, 40),
    ROW(dn_lr_find_result, how, 112, 72, 80),
    ROW(dn_checkpoint_info, solver, 88, 48, 56),
    ROW(dn_metrics, r2, 112, 40, 48),
    ROW(dn_quant_opts, percentile, 40, 0, 8),
    ROW(dn_c_sizes, stack_bytes, 72, 32, 40),
    ROW(dn_c_opts, command, 56, 16, 24),
    ROW(dn_solver_conf, hf_rows, 176, 128, 136),
    ROW(dn_problem, gn, 104, 72, 80),
    ROW(dn_min_iter, g, 104, 64, 72),
    ROW(dn_min_result, mu, 80, 40, 48),
    ROW(dn_hist_row, evals, 120, 80, 88),
    ROW(dn_history, row, 72, 32, 40),
    ROW(dn_plot_opts, title, 48, 8, 16),
    ROW(dn_land_info, eta_adaptive, 152, 112, 120),
    ROW(dn_land_path, n, 56, 16, 24),
    ROW(dn_report, y_pred, 376, 304, 312),
    ROW(dn_synth_conf, classes, 64, 24, 32),
    ROW(dn_health_warning, to, 80, 40, 48),
    ROW(dn_health_conf, overfit_min, 112, 72, 80),
    ROW(dn_boundary_opts, title, 56, 16, 24),
};
#define N_LAYOUTS (sizeof LAYOUTS / sizeof *LAYOUTS)

/* The structs that keep their layout for good, and why (docs/abi.md). */
static const char *const FIXED[] = { "dn_error", "dn_rng", NULL };

static int lp64(void)
{
    return sizeof(long) == 8 && sizeof(void *) == 8 && sizeof(int) == 4 &&
           _Alignof(double) == 8 && _Alignof(uint64_t) == 8;
}

static void test_layouts(void)
{
    CHECK(DN_VERSION_MAJOR == ABI_MAJOR, "descent.h says major %d, the "
          "layouts were recorded at %d: a new major version needs the "
          "table re-recorded (sizes and offsets as compiled now)",
          DN_VERSION_MAJOR, ABI_MAJOR);
    for (size_t i = 0; i < N_LAYOUTS; i++) {
        const layout *L = &LAYOUTS[i];
        /* On every target: the tail is whole words and ends the struct. */
        CHECK(L->tail_size >= 8 && L->tail_size % 8 == 0 &&
              L->tail_off % _Alignof(uint64_t) == 0 &&
              L->tail_off + L->tail_size == L->size,
              "%s: reserved tail of %zu bytes at %zu in %zu bytes: it must "
              "be whole uint64_t words ending the struct", L->name,
              L->tail_size, L->tail_off, L->size);
        if (!lp64()) continue;
        CHECK(L->size == L->rec_size, "%s is %zu bytes, %zu in descent %d: "
              "a layout change within a major version (a new field takes "
              "reserved words instead)", L->name, L->size, L->rec_size,
              ABI_MAJOR);
        CHECK(L->last_off == L->rec_last_off, "%s.%s moved from %zu to %zu: "
              "a field was inserted, removed or retyped before it", L->name,
              L->last, L->rec_last_off, L->last_off);
        CHECK(L->tail_off >= L->rec_tail_off, "%s's tail starts at %zu, "
              "before %zu: fields may only take the tail's words",
              L->name, L->tail_off, L->rec_tail_off);
    }
    if (!lp64())
        printf("test_abi: not an LP64 target: the recorded sizes and "
               "offsets were not compared, only the tails' shape\n");
}

static int in_table(const char *name)
{
    for (size_t i = 0; i < N_LAYOUTS; i++)
        if (!strcmp(LAYOUTS[i].name, name)) return 1;
    return 0;
}

static int is_fixed(const char *name)
{
    for (int i = 0; FIXED[i]; i++)
        if (!strcmp(FIXED[i], name)) return 1;
    return 0;
}

/* Every struct the header defines has a tail and a row above, or is one
 * of FIXED: a struct added to the header without either fails here. */
static void test_header_structs(void)
{
    FILE *f = fopen("include/descent.h", "r");
    CHECK(f != NULL, "cannot open include/descent.h (run from the top)");
    if (!f) return;
    char line[512], name[64];
    int in_struct = 0, tail = 0, structs = 0, tails = 0;
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "typedef struct", 14) && strchr(line, '{')) {
            const char *close = strstr(line, "} dn_");
            if (close && sscanf(close, "} %63[a-z0-9_]", name) == 1) {
                structs++;   /* one line: a fixed struct such as dn_rng */
                CHECK(is_fixed(name), "%s has no reserved tail", name);
                continue;
            }
            in_struct = 1;
            tail = 0;
        } else if (in_struct && strstr(line, "DN_RESERVED(")) {
            tail = 1;
        } else if (in_struct && sscanf(line, "} %63[a-z0-9_]", name) == 1) {
            in_struct = 0;
            structs++;
            tails += tail;
            if (tail)
                CHECK(in_table(name), "%s has a reserved tail but no row in "
                      "test_abi.c's LAYOUTS", name);
            else
                CHECK(is_fixed(name), "%s has no reserved tail "
                      "(DN_RESERVED) and is not one of the fixed structs",
                      name);
        }
    }
    fclose(f);
    CHECK(tails == (int)N_LAYOUTS, "%d structs with a tail in the header, "
          "%zu rows in LAYOUTS", tails, N_LAYOUTS);
    CHECK(structs == tails + 2, "%d structs in the header, %d with a tail "
          "and 2 fixed", structs, tails);
}

static int zero_words(const uint64_t *w, size_t bytes)
{
    for (size_t i = 0; i < bytes / 8; i++)
        if (w[i]) return 0;
    return 1;
}
#define TAIL_ZERO(s) zero_words((s).reserved, sizeof (s).reserved)
#define GARBAGE(s) memset(&(s), 0xA5, sizeof (s))
#define SET_TAIL(s) memset((s).reserved, 0x5A, sizeof (s).reserved)

/* CALL on a struct T filled with garbage first leaves its tail zero. */
#define DEFAULTS_ZERO(T, CALL, ...) do {                                    \
    T c_;                                                                  \
    GARBAGE(c_);                                                           \
    CALL;                                                                  \
    CHECK(TAIL_ZERO(c_), __VA_ARGS__);                                     \
} while (0)

static void test_defaults(void)
{
    dn_train_opts o;
    GARBAGE(o);
    dn_train_defaults(&o);
    CHECK(TAIL_ZERO(o) && TAIL_ZERO(o.opt) && TAIL_ZERO(o.sched),
          "dn_train_defaults left reserved words set");
    for (int k = 0; k < DN_OPT_COUNT; k++)
        DEFAULTS_ZERO(dn_opt_conf, dn_opt_defaults(&c_, (dn_opt_kind)k),
                      "dn_opt_defaults(%s)", dn_opt_name(k));
    for (int k = 0; k < DN_SCHED_COUNT; k++)
        DEFAULTS_ZERO(dn_sched_conf, dn_sched_defaults(&c_, (dn_sched_kind)k),
                      "dn_sched_defaults(%s)", dn_sched_name(k));
    for (int k = 0; k < DN_SOLVER_COUNT; k++)
        DEFAULTS_ZERO(dn_solver_conf,
                      dn_solver_defaults(&c_, (dn_solver_kind)k),
                      "dn_solver_defaults(%s)", dn_solver_name(k));
    for (int k = 0; k < DN_SYNTH_COUNT; k++)
        DEFAULTS_ZERO(dn_synth_conf, dn_synth_defaults((dn_synth)k, &c_),
                      "dn_synth_defaults(%s)", dn_synth_name(k));
    DEFAULTS_ZERO(dn_lr_find_conf, dn_lr_find_defaults(&c_),
                  "dn_lr_find_defaults");
    DEFAULTS_ZERO(dn_health_conf, dn_health_defaults(&c_),
                  "dn_health_defaults");
    DEFAULTS_ZERO(dn_boundary_opts, dn_boundary_defaults(&c_),
                  "dn_boundary_defaults");
    DEFAULTS_ZERO(dn_history, (dn_history_init(&c_, "accuracy"),
                               dn_history_free(&c_)), "dn_history_init");
}

/* 60 rows of 2 inputs, class 1 when x0 + x1 > 0. */
static dn_data *two_blobs(void)
{
    dn_data *d = NULL;
    dn_error err;
    if (dn_data_new(60, 2, 1, &d, &err)) return NULL;
    dn_rng r;
    dn_rng_seed(&r, 7);
    for (int i = 0; i < d->n; i++) {
        d->X[2 * i] = (float)dn_rng_normal(&r);
        d->X[2 * i + 1] = (float)dn_rng_normal(&r);
        d->Y[i] = d->X[2 * i] + d->X[2 * i + 1] > 0;
    }
    return d;
}

/* A binary network for two_blobs, built from an arch whose tails hold
 * garbage: the model's copy must not. */
static dn_model *small_model(void)
{
    dn_arch a;
    GARBAGE(a);
    a.n_in = 2;
    a.n_layers = 1;
    a.layer[0].units = 4;
    a.layer[0].act = DN_ACT_TANH;
    a.layer[0].alpha = 0;
    dn_error err;
    dn_model *m = NULL;
    if (dn_arch_set_task(&a, DN_TASK_BINARY, 1, &err) ||
        dn_model_new(&a, &m, &err)) {
        CHECK(0, "making the model: %s", err.msg);
        return NULL;
    }
    CHECK(TAIL_ZERO(a.layer[1]), "dn_arch_set_task's output layer");
    const dn_arch *A = dn_model_arch(m);
    CHECK(TAIL_ZERO(*A) && TAIL_ZERO(A->layer[0]) && TAIL_ZERO(A->layer[1]),
          "dn_model_new kept the caller's reserved words");
    dn_model_init(m, DN_INIT_DEFAULT, 0, 3);
    return m;
}

static int epochs_seen, epochs_zero, batches_seen, batches_zero;
static int on_epoch(const dn_epoch *e, void *user)
{
    (void)user;
    epochs_seen++;
    epochs_zero += TAIL_ZERO(*e);
    return 0;
}
static void on_batch(const dn_batch *b, void *user)
{
    (void)user;
    batches_seen++;
    batches_zero += TAIL_ZERO(*b);
}

static int iters_seen, iters_zero;
static double bowl(const double *x, double *g, void *user)
{
    (void)user;
    if (g) { g[0] = 2 * x[0]; g[1] = 20 * x[1]; }
    return x[0] * x[0] + 10 * x[1] * x[1];
}
static int on_iter(const dn_min_iter *it, void *user)
{
    (void)user;
    iters_seen++;
    iters_zero += TAIL_ZERO(*it);
    return 0;
}

static void test_library_fills(void)
{
    char dir[64], ckpt[128], src[128];
    if (check_tmpdir(dir)) return;
    snprintf(ckpt, sizeof ckpt, "%s/run.ckpt", dir);
    snprintf(src, sizeof src, "%s/model.c", dir);
    dn_error err;

    float X[4] = { 1, 2, 3, 4 };
    dn_data view;
    GARBAGE(view);
    view = dn_data_view(2, 2, 0, X, NULL);
    CHECK(TAIL_ZERO(view), "dn_data_view");

    /* A CSV: the data set, its schema and columns, and the info. */
    dn_csv_opts co = { .target = "target" };
    dn_csv_info info;
    GARBAGE(info);
    co.info = &info;
    dn_data *iris = NULL;
    CHECK(dn_csv_read("data/iris.csv", &co, &iris, NULL, 0, &err) == DN_OK,
          "%s", err.msg);
    if (iris) {
        CHECK(TAIL_ZERO(info) && TAIL_ZERO(*iris) && TAIL_ZERO(*iris->schema),
              "dn_csv_read: info, data or schema");
        int cols = 0;
        for (int c = 0; c < iris->schema->n_cols; c++)
            cols += TAIL_ZERO(iris->schema->col[c]);
        CHECK(cols == 4 && iris->schema->n_cols == 4, "%d of %d columns",
              cols, iris->schema->n_cols);
        dn_schema *copy = NULL;
        CHECK(dn_schema_copy(iris->schema, &copy, &err) == DN_OK, "%s",
              err.msg);
        CHECK(copy && TAIL_ZERO(*copy) && TAIL_ZERO(copy->col[0]),
              "dn_schema_copy");
        dn_schema_free(copy);
        dn_data *tr = NULL, *va = NULL;
        CHECK(dn_data_split(iris, 0.2, 1, &tr, &va, &err) == DN_OK, "%s",
              err.msg);
        CHECK(tr && va && TAIL_ZERO(*tr) && TAIL_ZERO(*va) &&
              TAIL_ZERO(*tr->schema), "dn_data_split");
        dn_data_free(tr);
        dn_data_free(va);
        dn_data_free(iris);
    }

    dn_data *d = two_blobs();
    dn_model *m = small_model();
    CHECK(d && m, "no data or model");
    if (!d || !m) { dn_data_free(d); dn_model_free(m); check_remove(dir); return; }

    dn_train_opts o;
    dn_train_defaults(&o);
    o.epochs = 3;
    o.batch = 16;
    o.on_epoch = on_epoch;
    o.on_batch = on_batch;
    o.checkpoint = ckpt;
    o.checkpoint_every = 1;
    dn_result res;
    GARBAGE(res);
    CHECK(dn_train(m, d, NULL, &o, &res, &err) == DN_OK, "%s", err.msg);
    CHECK(TAIL_ZERO(res) && TAIL_ZERO(res.last), "dn_train's result");
    CHECK(epochs_seen == 3 && epochs_zero == 3, "%d of %d epoch reports",
          epochs_zero, epochs_seen);
    CHECK(batches_seen == 12 && batches_zero == 12, "%d of %d batch reports",
          batches_zero, batches_seen);

    dn_checkpoint_info ci;
    GARBAGE(ci);
    CHECK(dn_checkpoint_read_info(ckpt, &ci, &err) == DN_OK, "%s", err.msg);
    CHECK(TAIL_ZERO(ci) && ci.epoch == 3, "dn_checkpoint_read_info (epoch "
          "%d)", ci.epoch);
    dn_checkpoint_info_free(&ci);

    dn_metrics mt;
    GARBAGE(mt);
    CHECK(dn_evaluate(m, d, &mt, &err) == DN_OK, "%s", err.msg);
    CHECK(TAIL_ZERO(mt) && mt.n == 60, "dn_evaluate (n %d)", mt.n);

    dn_history h;
    dn_history_init(&h, "accuracy");
    CHECK(dn_history_add_epoch(&h, &res.last, &err) == DN_OK, "%s", err.msg);
    dn_hist_row row = h.n ? h.row[0] : (dn_hist_row){ .epoch = 0 };
    row.epoch = 4;
    SET_TAIL(row);
    CHECK(dn_history_add(&h, &row, &err) == DN_OK, "%s", err.msg);
    CHECK(h.n == 2 && TAIL_ZERO(h.row[0]) && TAIL_ZERO(h.row[1]),
          "history rows (%d) keep reserved words", h.n);
    dn_history_free(&h);

    dn_lr_find_conf lc;
    dn_lr_find_defaults(&lc);
    lc.steps = 20;
    dn_lr_find_result lr;
    GARBAGE(lr);
    dn_train_opts lo;
    dn_train_defaults(&lo);
    CHECK(dn_lr_find(m, d, &lo, &lc, &lr, &err) == DN_OK, "%s", err.msg);
    CHECK(TAIL_ZERO(lr), "dn_lr_find's result");
    dn_lr_find_free(&lr);

    dn_c_sizes cs;
    GARBAGE(cs);
    dn_c_opts cop = { .name = "abi" };
    CHECK(dn_model_export_c(m, &cop, src, &cs, &err) == DN_OK, "%s", err.msg);
    CHECK(TAIL_ZERO(cs) && cs.weight_bytes > 0, "dn_model_export_c's sizes");

    float *out = malloc(sizeof *out * (size_t)d->n);
    if (out && !dn_predict(m, d->X, d->n, out, &err)) {
        dn_report *rep = NULL;
        CHECK(dn_report_new(DN_TASK_BINARY, d->n, 2, out, d->Y, 0, &rep,
                            &err) == DN_OK, "%s", err.msg);
        CHECK(rep && TAIL_ZERO(*rep), "dn_report_new");
        dn_report_free(rep);
    }
    free(out);

    dn_sched_conf sc;
    dn_sched_defaults(&sc, DN_SCHED_COSINE);
    SET_TAIL(sc);
    dn_sched s;
    GARBAGE(s);
    CHECK(dn_sched_init(&s, &sc, 0.1, 10, &err) == DN_OK, "%s", err.msg);
    CHECK(TAIL_ZERO(s) && TAIL_ZERO(s.conf), "dn_sched_init");

    dn_problem p = { .n = 2, .fg = bowl };
    double x[2] = { 3, -1 };
    dn_min_result mr;
    GARBAGE(mr);
    CHECK(dn_minimize(&p, NULL, x, on_iter, NULL, &mr, &err) == DN_OK, "%s",
          err.msg);
    CHECK(TAIL_ZERO(mr) && iters_seen > 0 && iters_zero == iters_seen,
          "dn_minimize: result, %d of %d iterations", iters_zero, iters_seen);

    int land = 0;
    for (int f = 0; f < DN_LAND_COUNT; f++)
        land += TAIL_ZERO(*dn_land_get((dn_land)f));
    CHECK(land == DN_LAND_COUNT, "%d of %d landscapes", land, DN_LAND_COUNT);

    dn_model_free(m);
    dn_data_free(d);
    check_remove(dir);
}

/* The library reads no reserved word: the same run with every caller's
 * tail set gives the same bits. */
static void test_tails_ignored(void)
{
    dn_data *d = two_blobs();
    dn_model *a = small_model(), *b = small_model();
    CHECK(d && a && b, "no data or model");
    if (d && a && b) {
        dn_train_opts o;
        dn_train_defaults(&o);
        o.epochs = 4;
        o.batch = 8;
        dn_opt_defaults(&o.opt, DN_OPT_ADAM);
        dn_sched_defaults(&o.sched, DN_SCHED_COSINE);
        o.eta = 0.01;
        dn_train_opts t = o;
        SET_TAIL(t);
        SET_TAIL(t.opt);
        SET_TAIL(t.sched);
        dn_result ra, rb;
        dn_error err;
        CHECK(dn_train(a, d, NULL, &o, &ra, &err) == DN_OK, "%s", err.msg);
        CHECK(dn_train(b, d, NULL, &t, &rb, &err) == DN_OK, "%s", err.msg);
        size_t n = dn_model_n_params(a);
        CHECK(n == dn_model_n_params(b) &&
              !memcmp(dn_model_params(a), dn_model_params(b),
                      n * sizeof(float)) &&
              ra.last.train_loss == rb.last.train_loss,
              "training with reserved words set changed the result "
              "(loss %.17g against %.17g)", rb.last.train_loss,
              ra.last.train_loss);

        dn_csv_opts c0 = { .target = "target" }, c1 = c0;
        SET_TAIL(c1);
        dn_data *i0 = NULL, *i1 = NULL;
        CHECK(dn_csv_read("data/iris.csv", &c0, &i0, NULL, 0, &err) == DN_OK &&
              dn_csv_read("data/iris.csv", &c1, &i1, NULL, 0, &err) == DN_OK,
              "%s", err.msg);
        CHECK(i0 && i1 && i0->n == i1->n && i0->d == i1->d &&
              !memcmp(i0->X, i1->X, sizeof(float) * (size_t)i0->n * i0->d),
              "reading with reserved words set changed the data");
        dn_data_free(i0);
        dn_data_free(i1);
    }
    dn_model_free(a);
    dn_model_free(b);
    dn_data_free(d);
}

int main(void)
{
    RUN(test_layouts);
    RUN(test_header_structs);
    RUN(test_defaults);
    RUN(test_library_fills);
    RUN(test_tails_ignored);
    return check_done("test_abi");
}
