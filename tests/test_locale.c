/* test_locale.c — numbers in and out of descent do not follow the host's
 * locale.  A program that calls setlocale(LC_ALL, "") under de_DE or
 * fr_FR gets "0,5" from printf; descent's files must not.  The same run
 * (read a CSV with decimals, train with checkpoints, resume, save, load,
 * write the history, its plot, two landscapes, an ONNX export and an
 * error message with a number in it) is done in the C locale, then under
 * de_DE.UTF-8 and fr_FR.UTF-8, and every file must have the same bytes;
 * whatever is read back (the CSV's cells, the model, the history) must
 * give the same values.  TensorBoard event files are left out: their
 * numbers are binary floats, and their names and wall times differ from
 * run to run.  A locale that is not installed fails the test, saying how
 * to make it: a silent skip would let the promise go untested. */
#include "check.h"
#include "descent.h"
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char tmp[64];

/* What the C locale run read, for the runs under other locales. */
static float *ref_X, *ref_Y;
static size_t ref_nx, ref_ny;
static dn_history ref_hist;

/* The files each run writes, compared byte for byte with the C run's. */
static const char *const FILES[] = {
    "model.safetensors", "resumed.safetensors", "history.csv", "curves.svg",
    "land2.svg", "land1.svg", "model.onnx", "message.txt"
};
#define N_FILES ((int)(sizeof FILES / sizeof *FILES))

static void path_of(char *buf, size_t n, const char *sub, const char *name)
{
    snprintf(buf, n, "%s/%s/%s", tmp, sub, name);
}

static int same(double a, double b) { return a == b || (isnan(a) && isnan(b)); }

/* A regression CSV with decimals in every numeric cell and a text
 * column, written while the process is still in the C locale. */
static int write_data(void)
{
    char p[128];
    snprintf(p, sizeof p, "%s/data.csv", tmp);
    FILE *f = fopen(p, "w");
    if (!f) return -1;
    static const char *const color[] = {"red", "green", "blue"};
    fputs("x1,x2,color,y\n", f);
    for (int i = 0; i < 40; i++) {
        double x1 = 0.125 * i - 2.5, x2 = 1.5 * sin(0.7 * i);
        fprintf(f, "%.3f,%.6f,%s,%.5f\n", x1, x2, color[i % 3],
                0.5 * x1 - x2 + 0.25 * (i % 3) + 0.75);
    }
    return fclose(f);
}

static int on_epoch(const dn_epoch *e, void *user)
{
    dn_error err;
    dn_history_add_epoch(user, e, &err);
    return 0;
}

static void train_opts(dn_train_opts *t, const char *ckpt)
{
    dn_train_defaults(t);
    t->epochs = 3;
    t->batch = 8;
    t->eta = 0.05;
    dn_opt_defaults(&t->opt, DN_OPT_ADAM);
    t->threads = 1;
    t->seed = 11;
    t->checkpoint = ckpt;
    t->checkpoint_every = 1;
}

/* A model for d: a leaky-ReLU hidden layer (its alpha is a float in the
 * JSON header), input and target scaling, the schema and a note. */
static dn_model *new_model(const dn_data *d)
{
    dn_arch a = { 0 };
    dn_error err;
    dn_model *m = NULL;
    a.n_in = d->d;
    a.n_layers = 1;
    a.layer[0] = (dn_layer){ .units = 6, .act = DN_ACT_LEAKY_RELU,
                             .alpha = 0.1f };
    if (dn_arch_set_task(&a, DN_TASK_REGRESSION, 1, &err) ||
        dn_model_new(&a, &m, &err)) {
        CHECK(0, "model: %s", err.msg);
        return NULL;
    }
    dn_model_init(m, DN_INIT_DEFAULT, 0, 7);
    dn_status st = dn_model_fit_scaling(m, d, &err);
    if (!st) st = dn_model_fit_target_scaling(m, d, &err);
    if (!st) st = dn_model_set_schema(m, d->schema, &err);
    if (!st) st = dn_model_meta_set(m, "note", "0.5 is a half", &err);
    CHECK(st == DN_OK, "model setup: %s", err.msg);
    return m;
}

/* The loaded model holds exactly what was saved. */
static void check_loaded(const dn_model *m, const char *path, const char *loc)
{
    dn_model *l = NULL;
    dn_error err;
    if (dn_model_load(path, &l, &err)) {
        CHECK(0, "%s: loading %s: %s", loc, path, err.msg);
        return;
    }
    size_t n = dn_model_n_params(m);
    int d = dn_model_n_in(m);
    CHECK(dn_model_n_params(l) == n &&
          !memcmp(dn_model_params_const(l), dn_model_params_const(m),
                  n * sizeof(float)), "%s: loaded parameters differ", loc);
    CHECK(!memcmp(dn_model_mean(l), dn_model_mean(m), d * sizeof(float)) &&
          !memcmp(dn_model_std(l), dn_model_std(m), d * sizeof(float)),
          "%s: loaded input scaling differs", loc);
    CHECK(dn_model_target_mean(l)[0] == dn_model_target_mean(m)[0] &&
          dn_model_target_std(l)[0] == dn_model_target_std(m)[0],
          "%s: target scaling %.9g/%.9g, saved %.9g/%.9g", loc,
          dn_model_target_mean(l)[0], dn_model_target_std(l)[0],
          dn_model_target_mean(m)[0], dn_model_target_std(m)[0]);
    CHECK(dn_model_arch(l)->layer[0].alpha == 0.1f, "%s: alpha %.9g", loc,
          dn_model_arch(l)->layer[0].alpha);
    dn_model_free(l);
}

static void check_history(const dn_history *g, const char *loc)
{
    int ok = g->n == ref_hist.n;
    for (int i = 0; ok && i < g->n; i++) {
        const dn_hist_row *a = &g->row[i], *b = &ref_hist.row[i];
        ok = a->epoch == b->epoch && a->step == b->step &&
             same(a->train_loss, b->train_loss) &&
             same(a->val_loss, b->val_loss) &&
             same(a->train_metric, b->train_metric) &&
             same(a->val_metric, b->val_metric) &&
             same(a->learning_rate, b->learning_rate) &&
             same(a->grad_norm, b->grad_norm) &&
             same(a->seconds, b->seconds) && same(a->mu, b->mu) &&
             a->evals == b->evals;
    }
    CHECK(ok, "%s: the history read back differs from the C locale's", loc);
}

/* The landscapes: adam on Rosenbrock (2-D), sgd on the parabola (1-D). */
static void landscapes(const char *sub)
{
    static const struct { dn_land f; dn_opt_kind k; double eta; int steps;
                          const char *file; } L[] = {
        { DN_LAND_ROSENBROCK, DN_OPT_ADAM, 0.02, 60, "land2.svg" },
        { DN_LAND_PARABOLA, DN_OPT_SGD, 0.1, 10, "land1.svg" },
    };
    for (int i = 0; i < 2; i++) {
        float xy[2 * 61];
        int n = 0;
        dn_opt_conf c;
        dn_error err;
        char p[160];
        dn_opt_defaults(&c, L[i].k);
        dn_status st = dn_land_descend(L[i].f, &c, L[i].eta,
                                       dn_land_get(L[i].f)->start, L[i].steps,
                                       xy, &n, &err);
        dn_land_path lp = { .label = "path (lr 0.5)", .xy = xy, .n = n };
        dn_plot_opts po = { .log_scale = 0 };
        path_of(p, sizeof p, sub, L[i].file);
        if (!st) st = dn_plot_landscape(L[i].f, &lp, 1, &po, p, &err);
        CHECK(st == DN_OK, "%s: %s", L[i].file, err.msg);
    }
}

/* A message that holds a number: dn_train refuses a negative rate. */
static void message(const dn_model *m0, const dn_data *d, const char *sub)
{
    dn_model *m = NULL;
    dn_error err;
    char p[160];
    if (dn_model_clone(m0, &m, &err)) { CHECK(0, "clone: %s", err.msg); return; }
    dn_train_opts t;
    train_opts(&t, NULL);
    t.eta = -0.5;
    dn_result res;
    CHECK(dn_train(m, d, NULL, &t, &res, &err) == DN_EARG, "eta -0.5 accepted");
    dn_model_free(m);
    path_of(p, sizeof p, sub, "message.txt");
    FILE *f = fopen(p, "w");
    if (f) { fputs(err.msg, f); fclose(f); }
}

/* The reader and the writer themselves under the locale. */
static void numtext(const char *loc)
{
    double v = 0;
    char b[32];
    CHECK(dn_parse_double("0.5", 3, &v) == 1 && v == 0.5, "%s: '0.5' read "
          "as %g", loc, v);
    CHECK(dn_parse_double("0,5", 3, &v) == 0, "%s: '0,5' read as a number",
          loc);
    /* Past the exact fast path (17 digits, an exponent beyond 22) the
     * reader hands over to strtod, which must not see the locale. */
    static const char *const slow[] = {"2.2250738585072014e-308",
                                       "0.10000000000000000555", "1.5e-30"};
    static const double want[] = {2.2250738585072014e-308,
                                  0.10000000000000000555, 1.5e-30};
    for (int i = 0; i < 3; i++)
        CHECK(dn_parse_double(slow[i], strlen(slow[i]), &v) == 1 &&
              v == want[i], "%s: '%s' read as %.17g", loc, slow[i], v);
    dn_snprintf(b, sizeof b, "%.9g|%.2f|%e", (double)0.1f, -2.5, 1e-3);
    CHECK(!strcmp(b, "0.100000001|-2.50|1.000000e-03"), "%s: wrote '%s'",
          loc, b);
}

/* One run, every file into tmp/sub, under locale loc. */
static void run(const char *loc, const char *sub)
{
    if (!setlocale(LC_ALL, loc)) {
        CHECK(0, "setlocale(LC_ALL, \"%s\") failed: the locale is not "
              "installed.  Generate it (as root): apt-get install locales && "
              "localedef -i %.5s -f UTF-8 %s — .ci/run does this", loc, loc,
              loc);
        return;
    }
    if (strcmp(loc, "C")) {
        char b[16];
        snprintf(b, sizeof b, "%.1f", 0.5);
        CHECK(!strcmp(b, "0,5"), "%s: printf writes '%s', not a decimal comma: "
              "this run tests nothing", loc, b);
    }
    numtext(loc);
    char dir[128], p[160], ckpt[160];
    snprintf(dir, sizeof dir, "%s/%s", tmp, sub);
    mkdir(dir, 0700);
    dn_error err;
    dn_data *d = NULL;
    snprintf(p, sizeof p, "%s/data.csv", tmp);
    if (dn_csv_read(p, NULL, &d, NULL, 0, &err)) {
        CHECK(0, "%s: reading the CSV: %s", loc, err.msg);
        return;
    }
    size_t nx = (size_t)d->n * d->d, ny = (size_t)d->n * d->k;
    CHECK(d->d == 5 && d->k == 1, "%s: %d inputs, %d targets (want 5, 1: "
          "the decimal cells must stay numbers)", loc, d->d, d->k);
    if (!ref_X) {
        ref_X = malloc(nx * sizeof(float));
        ref_Y = malloc(ny * sizeof(float));
        if (ref_X) memcpy(ref_X, d->X, nx * sizeof(float));
        if (ref_Y) memcpy(ref_Y, d->Y, ny * sizeof(float));
        ref_nx = nx;
        ref_ny = ny;
    } else {
        CHECK(nx == ref_nx && ny == ref_ny && ref_Y &&
              !memcmp(d->X, ref_X, nx * sizeof(float)) &&
              !memcmp(d->Y, ref_Y, ny * sizeof(float)),
              "%s: the CSV's cells read differently", loc);
    }

    dn_model *m = new_model(d), *r = m ? new_model(d) : NULL;
    if (!r) { dn_model_free(m); dn_data_free(d); return; }
    dn_history h;
    dn_history_init(&h, dn_history_metric(m));
    dn_train_opts t;
    dn_result res;
    path_of(ckpt, sizeof ckpt, sub, "run.ckpt");
    train_opts(&t, ckpt);
    t.on_epoch = on_epoch;
    t.user = &h;
    dn_status st = dn_train(m, d, NULL, &t, &res, &err);
    CHECK(st == DN_OK, "%s: train: %s", loc, err.msg);
    /* Resumed from the checkpoint just written, two epochs more. */
    train_opts(&t, ckpt);
    t.epochs = 5;
    t.resume = ckpt;
    CHECK(dn_train(r, d, NULL, &t, &res, &err) == DN_OK, "%s: resume: %s",
          loc, err.msg);

    path_of(p, sizeof p, sub, "model.safetensors");
    CHECK(dn_model_save(m, p, &err) == DN_OK, "%s: save: %s", loc, err.msg);
    check_loaded(m, p, loc);
    path_of(p, sizeof p, sub, "resumed.safetensors");
    CHECK(dn_model_save(r, p, &err) == DN_OK, "%s: save: %s", loc, err.msg);

    /* Wall times differ from run to run; these are ones the files can
     * compare, with fractions. */
    for (int i = 0; i < h.n; i++) h.row[i].seconds = 0.375 * (i + 1);
    path_of(p, sizeof p, sub, "history.csv");
    CHECK(dn_history_save(&h, p, &err) == DN_OK, "%s: history: %s", loc,
          err.msg);
    dn_history g;
    if (dn_history_load(p, &g, &err) == DN_OK) {
        if (ref_hist.n == 0) ref_hist = g;
        else { check_history(&g, loc); dn_history_free(&g); }
    } else {
        CHECK(0, "%s: loading the history: %s", loc, err.msg);
    }
    dn_plot_opts po = { .log_scale = 1, .title = "curves" };
    path_of(p, sizeof p, sub, "curves.svg");
    CHECK(dn_plot_history(&h, &po, p, &err) == DN_OK, "%s: plot: %s", loc,
          err.msg);
    landscapes(sub);
    path_of(p, sizeof p, sub, "model.onnx");
    CHECK(dn_model_export_onnx(m, p, &err) == DN_OK, "%s: onnx: %s", loc,
          err.msg);
    message(m, d, sub);

    dn_history_free(&h);
    dn_model_free(m);
    dn_model_free(r);
    dn_data_free(d);
    setlocale(LC_ALL, "C");
}

static void compare(const char *sub, const char *loc)
{
    for (int i = 0; i < N_FILES; i++) {
        char a[160], b[160];
        size_t na = 0, nb = 0;
        path_of(a, sizeof a, "C", FILES[i]);
        path_of(b, sizeof b, sub, FILES[i]);
        char *x = check_slurp(a, &na), *y = check_slurp(b, &nb);
        size_t at = 0;
        while (x && y && at < na && at < nb && x[at] == y[at]) at++;
        CHECK(x && y && na == nb && at == na, "%s: %s differs from the C "
              "locale's at byte %zu: '%.40s' vs '%.40s'", loc, FILES[i], at,
              x && at < na ? x + at : "(end)", y && at < nb ? y + at : "(end)");
        free(x);
        free(y);
    }
}

int main(void)
{
    if (check_tmpdir(tmp) || write_data()) return 1;
    run("C", "C");
    /* The comparisons below compare something only if the C run wrote
     * its files and numbers with fractions are in them. */
    char p[160];
    path_of(p, sizeof p, "C", "history.csv");
    char *text = check_slurp(p, NULL);
    CHECK(text && strstr(text, ",0.375,"), "the C locale's history: %.200s",
          text ? text : "(none)");
    free(text);
    run("de_DE.UTF-8", "de");
    compare("de", "de_DE.UTF-8");
    run("fr_FR.UTF-8", "fr");
    compare("fr", "fr_FR.UTF-8");
    dn_history_free(&ref_hist);
    free(ref_X);
    free(ref_Y);
    check_rmdir(tmp);
    return check_done("test_locale");
}
