/* test_history.c — the history CSV (header, one row per epoch, empty
 * cells for NaN, a round trip through the reader, the reader's errors),
 * the history a real dn_train run leaves, and the curves SVG drawn from
 * it (each series a path with one point per epoch). */
#include "check.h"
#include "descent.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmp[64];

static void put(const char *name, const char *text, char *path, size_t n)
{
    snprintf(path, n, "%s/%s", tmp, name);
    FILE *f = fopen(path, "w");
    if (f) { fputs(text, f); fclose(f); }
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

/* Points of the <path id="id" ... d="..."> element: its M and L
 * commands; -1 if there is no such element. */
static int path_points(const char *svg, const char *id)
{
    char key[64];
    snprintf(key, sizeof key, "<path id=\"%s\"", id);
    const char *p = strstr(svg, key);
    if (!p) return -1;
    const char *d = strstr(p, " d=\""), *end = strstr(p, "/>");
    if (!d || !end || d > end) return -1;
    int n = 0;
    for (d += 4; *d != '"'; d++) n += *d == 'M' || *d == 'L';
    return n;
}

static void test_add_and_replace(void)
{
    dn_history h;
    dn_error err;
    dn_history_init(&h, "accuracy");
    for (int e = 1; e <= 5; e++) {
        dn_hist_row r = { .epoch = e, .step = 10L * e, .train_loss = 1.0 / e,
                          .val_loss = 2.0 / e, .train_metric = 0.1 * e,
                          .val_metric = 0.2 * e, .learning_rate = 0.01,
                          .grad_norm = 1.5, .seconds = 0.1 };
        CHECK(dn_history_add(&h, &r, &err) == DN_OK, "%s", err.msg);
    }
    CHECK(h.n == 5, "5 rows added, history has %d", h.n);
    /* A resumed run repeats epoch 3: rows 3.. are replaced. */
    dn_hist_row r3 = { .epoch = 3, .step = 31, .train_loss = 9, .val_loss = 9,
                       .train_metric = 9, .val_metric = 9, .learning_rate = 9,
                       .grad_norm = 9, .seconds = 9 };
    CHECK(dn_history_add(&h, &r3, &err) == DN_OK, "%s", err.msg);
    CHECK(h.n == 3 && h.row[2].step == 31 && h.row[1].step == 20,
          "after repeating epoch 3: %d rows, last step %ld", h.n,
          h.row[h.n - 1].step);
    /* An epoch report's metric goes to the metric columns. */
    dn_epoch e = { 0 };
    e.epoch = 4; e.steps = 40; e.train_loss = 0.5; e.val_loss = 0.25;
    e.train_acc = 0.75; e.val_acc = 0.875; e.eta = 0.001; e.grad_norm = 2;
    e.seconds = 0.5; e.mu = 0.01; e.evals = 7;
    CHECK(dn_history_add_epoch(&h, &e, &err) == DN_OK, "%s", err.msg);
    const dn_hist_row *l = &h.row[h.n - 1];
    CHECK(h.n == 4 && l->train_metric == 0.75 && l->val_metric == 0.875 &&
          l->learning_rate == 0.001 && l->step == 40, "epoch row: metric "
          "%g/%g lr %g", l->train_metric, l->val_metric, l->learning_rate);
    CHECK(l->mu == 0.01 && l->evals == 7, "epoch row: mu %g evals %ld", l->mu,
          l->evals);
    dn_history_free(&h);
    CHECK(h.n == 0 && h.row == NULL && !strcmp(h.metric, "accuracy"),
          "freed history keeps its metric, n = %d", h.n);
    dn_history_init(&h, NULL);
    CHECK(!strcmp(h.metric, "metric"), "default metric name '%s'", h.metric);
}

static void test_save_load(void)
{
    dn_history h;
    dn_error err;
    char path[128];
    dn_history_init(&h, "mae");
    /* Odd epochs carry an LM mu and an evaluation count, even ones not. */
    for (int e = 1; e <= 7; e++) {
        dn_hist_row r = { .epoch = e, .step = 3L * e,
                          .train_loss = 1.0 / 3 / e,
                          .val_loss = e == 2 ? NAN : 0.5 / e,
                          .train_metric = 12.5 / e, .val_metric = 13.25 / e,
                          .learning_rate = 0.001 * e, .grad_norm = 0.1 * e,
                          .seconds = 0.0625, .mu = e % 2 ? 0.001 * e : 0,
                          .evals = e % 2 ? 2L * e : 0 };
        dn_history_add(&h, &r, &err);
    }
    snprintf(path, sizeof path, "%s/hist.csv", tmp);
    CHECK(dn_history_save(&h, path, &err) == DN_OK, "save: %s", err.msg);
    char *text = check_slurp(path, NULL);
    const char *header = "epoch,step,train_loss,val_loss,train_mae,val_mae,"
                         "learning_rate,grad_norm,seconds,mu,evals\n";
    CHECK(text && !strncmp(text, header, strlen(header)),
          "header: %.100s", text ? text : "(no file)");
    CHECK(text && count_lines(text) == 8, "%d lines, want header + 7",
          text ? count_lines(text) : -1);
    /* Epoch 2 has no validation loss, mu or evals: empty cells. */
    CHECK(text && strstr(text, "\n2,6,0.166666667,,6.25,6.625,0.002,0.2,0.0625,,\n"),
          "row 2 as written:\n%s", text ? text : "");
    CHECK(text && strstr(text, ",0.0625,0.003,6\n4,"), "row 3's mu and evals "
          "as written:\n%s", text ? text : "");
    free(text);
    char leftover[160];
    snprintf(leftover, sizeof leftover, "%s.tmp.%ld", path, (long)getpid());
    CHECK(access(leftover, F_OK) != 0, "temporary file left behind");

    dn_history g;
    CHECK(dn_history_load(path, &g, &err) == DN_OK, "load: %s", err.msg);
    CHECK(g.n == 7 && !strcmp(g.metric, "mae"), "loaded %d rows, metric '%s'",
          g.n, g.metric);
    double worst = 0;
    for (int i = 0; i < g.n && i < h.n; i++) {
        const double *a = &h.row[i].train_loss, *b = &g.row[i].train_loss;
        for (int k = 0; k < 7; k++)
            if (!(isnan(a[k]) && isnan(b[k])))
                worst = fmax(worst, fabs(a[k] - b[k]) / fmax(fabs(a[k]), 1e-30));
        CHECK(g.row[i].epoch == h.row[i].epoch && g.row[i].step == h.row[i].step,
              "row %d: epoch %d step %ld", i, g.row[i].epoch, g.row[i].step);
        CHECK(g.row[i].mu == h.row[i].mu && g.row[i].evals == h.row[i].evals,
              "row %d: mu %g evals %ld, want %g and %ld", i, g.row[i].mu,
              g.row[i].evals, h.row[i].mu, h.row[i].evals);
    }
    CHECK(worst < 1e-8, "round trip differs by %g (relative)", worst);
    CHECK(g.n > 1 && isnan(g.row[1].val_loss), "empty cell read as %g, want "
          "NaN", g.n > 1 ? g.row[1].val_loss : 0);
    dn_history_free(&g);

    /* Columns in another order, an extra one and CRLF line ends; no mu
     * or evals, as in files written before they were. */
    put("reorder.csv", "seconds,epoch,extra,step,val_loss,train_loss,"
        "val_accuracy,train_accuracy,grad_norm,learning_rate\r\n"
        "0.5,1,x,4,0.75,0.5,0.25,0.125,2,0.01\r\n", path, sizeof path);
    CHECK(dn_history_load(path, &g, &err) == DN_OK, "reordered: %s", err.msg);
    CHECK(g.n == 1 && g.row[0].val_loss == 0.75 && g.row[0].train_metric ==
          0.125 && g.row[0].learning_rate == 0.01 && g.row[0].seconds == 0.5 &&
          g.row[0].mu == 0 && g.row[0].evals == 0 &&
          !strcmp(g.metric, "accuracy"), "reordered row: val_loss %g metric "
          "%g lr %g", g.n ? g.row[0].val_loss : -1,
          g.n ? g.row[0].train_metric : -1, g.n ? g.row[0].learning_rate : -1);
    dn_history_free(&g);

    /* The missing validation loss of epoch 2 breaks its curve in two. */
    char svgpath[128];
    snprintf(svgpath, sizeof svgpath, "%s/gap.svg", tmp);
    CHECK(dn_plot_history(&h, NULL, svgpath, &err) == DN_OK, "%s", err.msg);
    char *svg = check_slurp(svgpath, NULL);
    const char *vl = svg ? strstr(svg, "<path id=\"val_loss\"") : NULL;
    int moves = 0;
    for (const char *c = vl ? strstr(vl, " d=\"") + 4 : ""; *c && *c != '"'; c++)
        moves += *c == 'M';
    CHECK(vl && path_points(svg, "val_loss") == 6 && moves == 2,
          "val_loss with a gap: %d points in %d pieces, want 6 in 2",
          svg ? path_points(svg, "val_loss") : -1, moves);
    CHECK(svg && path_points(svg, "train_mae") == 7 &&
          strstr(svg, ">MAE</text>"), "the mae panel is missing");
    free(svg);

    /* Saving into a directory that does not exist: DN_EIO naming it. */
    snprintf(path, sizeof path, "%s/no/such/dir/h.csv", tmp);
    CHECK(dn_history_save(&h, path, &err) == DN_EIO && strstr(err.msg, path),
          "save into a missing directory: %s", err.msg);
    dn_history_free(&h);
}

static void test_load_errors(void)
{
    static const struct { const char *text, *want; } bad[] = {
        { "", "empty file" },
        { "epoch,step,train_loss\n1,2,3\n", "no 'val_loss' column" },
        { "epoch,step,train_loss,val_loss,train_acc,val_mae,learning_rate,"
          "grad_norm,seconds\n", "different metrics" },
        { "epoch,step,train_loss,val_loss,train_a,val_a,learning_rate,"
          "grad_norm,seconds\n1,1,0.5,zzz,,,0.1,1,1\n",
          ":2: column 'val_loss': 'zzz'" },
        { "epoch,step,train_loss,val_loss,train_a,val_a,learning_rate,"
          "grad_norm,seconds\n1,1,0.5,0.4,,,0.1,1,1\n2,2,0.5\n",
          ":3: 3 fields" },
        { "epoch,step,train_loss,val_loss,train_a,val_a,learning_rate,"
          "grad_norm,seconds\n2,1,0.5,0.4,,,0.1,1,1\n2,2,0.5,0.4,,,0.1,1,1\n",
          ":3: epoch 2 comes after epoch 2" },
        { "epoch,step,train_loss,val_loss,train_a,val_a,learning_rate,"
          "grad_norm,seconds\n1.5,1,0.5,0.4,,,0.1,1,1\n", "whole number" },
        { "epoch,step,train_loss,val_loss,train_a,val_a,learning_rate,"
          "grad_norm,seconds,mu,evals\n1,1,0.5,0.4,,,0.1,1,1,abc,2\n",
          ":2: column 'mu': 'abc'" },
    };
    char path[128];
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        put("bad.csv", bad[i].text, path, sizeof path);
        dn_history h;
        dn_error err;
        err.msg[0] = 0;
        dn_status st = dn_history_load(path, &h, &err);
        CHECK(st == DN_EFORMAT && strstr(err.msg, bad[i].want) &&
              strstr(err.msg, "bad.csv"), "case %zu: status %d, message '%s', "
              "want '%s'", i, (int)st, err.msg, bad[i].want);
        CHECK(h.n == 0 && h.row == NULL, "case %zu: rows left after failure", i);
    }
    /* Bytes from the file reach messages quoted: a terminal showing the
     * message gets no escape sequence, bell or line break from it. */
    static const struct { const char *text, *want; } hostile[] = {
        { "epoch,step,train_loss,val_loss,train_\x1b[31mx,val_\x1b[31mx,"
          "learning_rate,grad_norm,seconds\n", "'train_\\x1B[31mx' is not" },
        { "epoch,step,train_loss,val_loss,train_a\x07,val_b,learning_rate,"
          "grad_norm,seconds\n", "('train_a\\x07', 'val_b')" },
        { "epoch,step,train_loss,val_loss,train_a,val_a,learning_rate,"
          "grad_norm,seconds\n1,1,0.5,\x1b[31m\x07,,,0.1,1,1\n",
          "'val_loss': '\\x1B[31m\\x07' is not" },
        { "epoch,step,train_loss,val_loss,train_a,val_a,learning_rate,"
          "grad_norm,seconds\n1e0\x1b]0;pwned\x07,1,0.5,,,,0.1,1,1\n",
          "'epoch': '1e0\\x1B]0;pwned\\x07'" },
        { "epoch,step,train_loss,val_loss,train_a,val_a,learning_rate,"
          "grad_norm,seconds\n1.5,\x1b[2J,0.5,,,,0.1,1,1\n",
          "'step': '\\x1B[2J'" },
    };
    for (size_t i = 0; i < sizeof hostile / sizeof *hostile; i++) {
        put("hostile.csv", hostile[i].text, path, sizeof path);
        dn_history h;
        dn_error err;
        err.msg[0] = 0;
        dn_status st = dn_history_load(path, &h, &err);
        int raw = 0;
        for (const char *c = err.msg; *c; c++)
            raw |= (unsigned char)*c < 0x20 || *c == 0x7F;
        CHECK(st == DN_EFORMAT && !raw && strstr(err.msg, hostile[i].want),
              "hostile %zu: status %d, raw control bytes %d, message '%s', "
              "want '%s'", i, (int)st, raw, err.msg, hostile[i].want);
    }
    dn_history h;
    dn_error err;
    snprintf(path, sizeof path, "%s/missing.csv", tmp);
    CHECK(dn_history_load(path, &h, &err) == DN_EIO && strstr(err.msg, path),
          "missing file: %s", err.msg);
}

/* What a spreadsheet or an older descent may leave in a history: a byte
 * order mark, CRLF line ends, blank lines, "nan" and "NaN" for a missing
 * cell, inf and -inf, mu and evals left empty or negative; and the rows
 * and headers that are not a history, each refused with its line. */
static void test_load_edges(void)
{
    char path[128];
    put("edge.csv", "\xEF\xBB\xBF" "epoch,step,train_loss,val_loss,train_r2,"
        "val_r2,learning_rate,grad_norm,seconds,mu,evals\r\n"
        "1,0,nan,NaN,inf,-inf,0.1,2,3,,\r\n\r\n"
        "3,7,0.5,,0.25,,0.01,1e-3,0.5,0.75,-4\r\n", path, sizeof path);
    dn_history h;
    dn_error err;
    dn_status st = dn_history_load(path, &h, &err);
    CHECK(st == DN_OK && h.n == 2 && !strcmp(h.metric, "r2"), "%s: %d rows",
          st ? err.msg : "ok", st ? -1 : h.n);
    if (!st && h.n == 2) {
        const dn_hist_row *a = &h.row[0], *b = &h.row[1];
        CHECK(a->epoch == 1 && a->step == 0 && isnan(a->train_loss) &&
              isnan(a->val_loss) && a->train_metric == INFINITY &&
              a->val_metric == -INFINITY && a->mu == 0 && a->evals == 0,
              "row 1: %d %ld %g %g %g %g %g %ld", a->epoch, a->step,
              a->train_loss, a->val_loss, a->train_metric, a->val_metric,
              a->mu, a->evals);
        CHECK(b->epoch == 3 && b->step == 7 && b->train_loss == 0.5 &&
              isnan(b->val_loss) && b->grad_norm == 1e-3 && b->mu == 0.75 &&
              b->evals == 0, "row 2: %d %ld %g %g %g %ld", b->epoch, b->step,
              b->train_loss, b->grad_norm, b->mu, b->evals);
    }
    dn_history_free(&h);
#define HEAD "epoch,step,train_loss,val_loss,train_a,val_a,learning_rate," \
             "grad_norm,seconds\n"
    static const struct { const char *text, *want; } bad[] = {
        { HEAD "0,1,0.5,,,,0.1,1,1\n", ":2: epoch must be a whole number" },
        { HEAD "1,-1,0.5,,,,0.1,1,1\n", "got '1' and '-1'" },
        { HEAD "1,1.5,0.5,,,,0.1,1,1\n", "got '1' and '1.5'" },
        { HEAD "1,1,1e999,,,,0.1,1,1\n", "column 'train_loss': '1e999' is "
          "not a number" },
        { "epoch,step,train_loss,val_loss,train_,val_,learning_rate,"
          "grad_norm,seconds\n", "the metric name 'train_' is not" },
        { "epoch,step,val_loss,train_a,val_a,learning_rate,grad_norm,"
          "seconds\n", "no 'train_loss' column" },
        { "epoch,step,train_loss,val_loss,val_a,learning_rate,grad_norm,"
          "seconds\n", "no 'train_METRIC' column" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        put("edge_bad.csv", bad[i].text, path, sizeof path);
        err.msg[0] = 0;
        st = dn_history_load(path, &h, &err);
        CHECK(st == DN_EFORMAT && strstr(err.msg, bad[i].want) && h.n == 0,
              "case %zu: status %d, '%s', want '%s'", i, (int)st, err.msg,
              bad[i].want);
    }
    /* a header of 70 columns, and a line past 4094 characters */
    char wide[1024] = "", *longl = malloc(5000);
    for (int i = 0; i < 70; i++) strcat(wide, i ? ",c" : "c");
    strcat(wide, "\n");
    put("wide.csv", wide, path, sizeof path);
    st = dn_history_load(path, &h, &err);
    CHECK(st == DN_EFORMAT && strstr(err.msg, ":1: the header has 70 "
          "columns"), "%s", err.msg);
    if (longl) {
        snprintf(longl, 5000, HEAD "1,1,%04500d\n", 5);
        put("long.csv", longl, path, sizeof path);
        st = dn_history_load(path, &h, &err);
        CHECK(st == DN_EFORMAT && strstr(err.msg, ":2: line longer than "
              "4094 characters"), "%s", err.msg);
        free(longl);
    }
#undef HEAD
}

typedef struct { dn_history *h; dn_error *err; int fails; } rec;

static int on_epoch(const dn_epoch *e, void *user)
{
    rec *r = user;
    r->fails += dn_history_add_epoch(r->h, e, r->err) != DN_OK;
    return 0;
}

/* A real run: one row per epoch, steps as the loop counted them. */
static void test_training_run(void)
{
    dn_error err;
    dn_data *all = NULL, *tr = NULL, *va = NULL;
    if (dn_csv_read("data/iris.csv", NULL, &all, NULL, 0, &err) ||
        dn_data_split(all, 0.2, 1, &tr, &va, &err)) {
        CHECK(0, "iris: %s", err.msg);
        return;
    }
    dn_arch a = { .n_in = tr->d, .n_layers = 1,
                  .layer = { { .units = 8, .act = DN_ACT_TANH } } };
    dn_model *m = NULL;
    dn_arch_set_task(&a, DN_TASK_MULTICLASS, 3, &err);
    dn_model_new(&a, &m, &err);
    dn_model_init(m, DN_INIT_DEFAULT, 0, 7);
    dn_model_fit_scaling(m, tr, &err);
    dn_history h;
    dn_history_init(&h, dn_history_metric(m));
    rec r = { &h, &err, 0 };
    dn_train_opts o;
    dn_train_defaults(&o);
    o.epochs = 12;
    o.batch = 25;
    o.eta = 0.1;
    o.threads = 1;
    o.on_epoch = on_epoch;
    o.user = &r;
    dn_result res;
    CHECK(dn_train(m, tr, va, &o, &res, &err) == DN_OK, "%s", err.msg);
    CHECK(!strcmp(h.metric, "accuracy") && h.n == 12 && r.fails == 0,
          "metric %s, %d rows", h.metric, h.n);
    const int per_epoch = (tr->n + 24) / 25;
    for (int i = 0; i < h.n; i++)
        CHECK(h.row[i].epoch == i + 1 && h.row[i].step == (long)per_epoch * (i + 1)
              && h.row[i].val_metric >= 0 && h.row[i].val_metric <= 1,
              "row %d: epoch %d step %ld val acc %g", i, h.row[i].epoch,
              h.row[i].step, h.row[i].val_metric);
    CHECK(h.n && h.row[h.n - 1].train_loss < h.row[0].train_loss,
          "loss went from %g to %g", h.row[0].train_loss,
          h.row[h.n - 1].train_loss);

    /* The curves from this history. */
    char path[128];
    snprintf(path, sizeof path, "%s/curves.svg", tmp);
    CHECK(dn_plot_history(&h, NULL, path, &err) == DN_OK, "%s", err.msg);
    char *svg = check_slurp(path, NULL);
    static const char *ids[] = { "train_loss", "val_loss", "train_accuracy",
                                 "val_accuracy", "learning_rate" };
    for (int k = 0; k < 5; k++)
        CHECK(svg && path_points(svg, ids[k]) == h.n, "series %s has %d "
              "points, want %d", ids[k], svg ? path_points(svg, ids[k]) : -1,
              h.n);
    CHECK(svg && strstr(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"") &&
          strstr(svg, ">epoch</text>") && strstr(svg, ">learning rate</text>") &&
          strstr(svg, "id=\"best\""), "axis titles or best mark missing");
    free(svg);
    dn_plot_opts po = { .log_scale = 1, .title = "log & <title>" };
    CHECK(dn_plot_history(&h, &po, path, &err) == DN_OK, "%s", err.msg);
    svg = check_slurp(path, NULL);
    CHECK(svg && strstr(svg, ">log &amp; &lt;title&gt;</text>") &&
          strstr(svg, "Loss (log scale)"), "title not escaped or no log scale");
    free(svg);
    /* Nothing to plot is an error, not an empty picture. */
    dn_history empty;
    dn_history_init(&empty, "accuracy");
    CHECK(dn_plot_history(&empty, NULL, path, &err) == DN_EARG,
          "an empty history was plotted");
    dn_history_free(&h);
    dn_model_free(m);
    dn_data_free(all);
    dn_data_free(tr);
    dn_data_free(va);
}

int main(void)
{
    if (check_tmpdir(tmp)) return 1;
    RUN(test_add_and_replace);
    RUN(test_save_load);
    RUN(test_load_errors);
    RUN(test_load_edges);
    RUN(test_training_run);
    check_rmdir(tmp);
    return check_done("test_history");
}
