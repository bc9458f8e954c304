/* test_alloc_fail.c — the allocation-failure sweep.  One pipeline runs
 * what a user does: read a CSV (one-hot text column, class target),
 * split it, build a model with PReLU slopes, fit the scaling, set the
 * schema and metadata, train a few steps with Adam and validation, save,
 * load, read rows with the loaded schema, evaluate, quantize to int8 on
 * those rows and evaluate that, export float and int8 C; and a second one
 * does the same for regression with target scaling, and a third for
 * gzipped IDX images with labels.  First it runs once
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
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static char dir[128];

static const char *at(const char *name)
{
    static char buf[4][256];
    static int i;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof buf[i], "%s/%s", dir, name);
    return buf[i];
}

static void put(const char *name, const char *text)
{
    FILE *f = fopen(at(name), "w");
    if (!f || fputs(text, f) < 0 || fclose(f)) {
        perror(name);
        exit(2);
    }
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

typedef struct {
    const char *csv;     /* the data file (IDX images when labels) */
    int regression;
    const char *labels;  /* IDX labels, or NULL for a CSV */
} pipeline;

static dn_status load(const pipeline *p, const dn_schema *s, dn_data **out,
                      dn_error *err)
{
    if (p->labels) return dn_idx_read(at(p->csv), at(p->labels), out, err);
    if (s) return dn_csv_read_with(at(p->csv), s, 1, out, err);
    return dn_csv_read(at(p->csv), NULL, out, NULL, 0, err);
}

/* The whole pipeline; the status of the first step that failed. */
static dn_status run(const pipeline *p, dn_error *err, int *saved)
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
        a.layer[0] = (dn_layer){ 4, DN_ACT_PRELU, 0 };
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
        dn_opt_defaults(&o.opt, DN_OPT_ADAM);
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
    dn_qmodel *q = NULL;
    if (!st) st = dn_quantize(m2, rows, NULL, &q, err);
    if (!st) st = dn_qmodel_evaluate(q, rows, &mt, err);
    dn_c_opts co = { "swept", NULL, NULL };
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
    long base = af_live();
    af_arm(0, 0);
    dn_status st = run(p, &err, &saved);
    long n = af_attempts();
    CHECK(st == DN_OK && saved, "%s: %s", p->csv, err.msg);
    CHECK(af_live() == base, "%s: %ld blocks leaked by a good run", p->csv,
          af_live() - base);
    CHECK(n > 50, "%s: only %ld allocations seen; is the wrapper linked?",
          p->csv, n);
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
    A.layer[0] = (dn_layer){ 3, DN_ACT_PRELU, 0 };
    A.layer[1] = (dn_layer){ 1, DN_ACT_IDENTITY, 0 };
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

static void cleanup(void)
{
    remove(at("iris.csv"));
    remove(at("house.csv"));
    remove(at("images.gz"));
    remove(at("labels.gz"));
    remove(at("model.safetensors"));
    remove(at("model.h"));
    remove(at("model8.h"));
    rmdir(dir);
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
    static const pipeline P[] = {
        { "iris.csv", 0, NULL }, { "house.csv", 1, NULL },
        { "images.gz", 0, "labels.gz" },
    };
    for (int i = 0; i < 3; i++) sweep(&P[i]);
    solver_sweep();
    lrfind_sweep();
    return check_done("test_alloc_fail");
}
