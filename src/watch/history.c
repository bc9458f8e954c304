/* history.c — the training history: one row per epoch (or solver
 * iteration), kept in memory, saved as CSV and read back.
 *
 *   epoch,step,train_loss,val_loss,train_accuracy,val_accuracy,learning_rate,grad_norm,seconds,mu,evals
 *
 * Columns 5 and 6 carry the history's metric and are named after it, as
 * Keras's CSVLogger names its columns ("train_accuracy"; "train_mae" for
 * regression), so a spreadsheet or pandas shows what the numbers are.
 * A value that does not exist (no validation data; mu but for
 * Levenberg-Marquardt, evals but for the full-batch solvers) is an empty
 * cell, which pandas and spreadsheets read as missing.  mu and evals
 * came last, after files without them were in use: a reader finds
 * columns by name, and does without those two. */
#include "nn/nn.h"
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINE_MAX_LEN 4096
#define N_COLS 11   /* the last N_OPTIONAL may be missing */
#define N_OPTIONAL 2

const char *dn_history_metric(const dn_model *m)
{
    return dn_model_arch(m)->loss == DN_LOSS_MSE ? "mae" : "accuracy";
}

void dn_history_init(dn_history *h, const char *metric)
{
    memset(h, 0, sizeof *h);
    snprintf(h->metric, sizeof h->metric, "%s",
             metric && *metric ? metric : "metric");
}

void dn_history_free(dn_history *h)
{
    free(h->row);
    h->row = NULL;
    h->n = h->cap = 0;
}

dn_status dn_history_add(dn_history *h, const dn_hist_row *r, dn_error *err)
{
    DN_NEED(h);
    DN_NEED(r);
    /* A resumed run repeats epochs from its checkpoint: the repeated
     * epoch and everything after it are replaced, never duplicated. */
    while (h->n > 0 && h->row[h->n - 1].epoch >= r->epoch) h->n--;
    if (h->n == h->cap) {
        int cap = h->cap ? 2 * h->cap : 64;
        dn_hist_row *p = realloc(h->row, (size_t)cap * sizeof *p);
        if (!p) return dn_fail(err, DN_ENOMEM, "out of memory for the "
                               "history (%d rows)", cap);
        h->row = p;
        h->cap = cap;
    }
    h->row[h->n] = *r;
    DN_CLEAR_RESERVED(&h->row[h->n]);
    h->n++;
    return DN_OK;
}

dn_status dn_history_add_epoch(dn_history *h, const dn_epoch *e, dn_error *err)
{
    DN_NEED(h);
    DN_NEED(e);
    dn_hist_row r = {
        .epoch = e->epoch, .step = e->steps,
        .train_loss = e->train_loss, .val_loss = e->val_loss,
        .train_metric = NAN, .val_metric = NAN,
        .learning_rate = e->eta, .grad_norm = e->grad_norm,
        .seconds = e->seconds, .mu = e->mu, .evals = e->evals,
    };
    if (!strcmp(h->metric, "accuracy")) {
        r.train_metric = e->train_acc;
        r.val_metric = e->val_acc;
    } else if (!strcmp(h->metric, "mae")) {
        r.train_metric = e->train_mae;
        r.val_metric = e->val_mae;
    }
    return dn_history_add(h, &r, err);
}

/* ---- writing ---- */

/* 0, or -1 if the number could not be formatted (dn_fprintf). */
static int put_num(FILE *f, double v, char sep)
{
    /* %.9g round-trips a float32 and reads well; NaN is a missing cell. */
    int bad = 0;
    if (isfinite(v)) bad = dn_fprintf(f, "%.9g", v) < 0;
    else if (!isnan(v)) fputs(v > 0 ? "inf" : "-inf", f);
    fputc(sep, f);
    return bad;
}

static int fill_csv(FILE *f, void *arg)
{
    const dn_history *h = arg;
    int bad = 0;
    fprintf(f, "epoch,step,train_loss,val_loss,train_%s,val_%s,"
            "learning_rate,grad_norm,seconds,mu,evals\n", h->metric, h->metric);
    for (int i = 0; i < h->n; i++) {
        const dn_hist_row *r = &h->row[i];
        fprintf(f, "%d,%ld,", r->epoch, r->step);
        bad |= put_num(f, r->train_loss, ',');
        bad |= put_num(f, r->val_loss, ',');
        bad |= put_num(f, r->train_metric, ',');
        bad |= put_num(f, r->val_metric, ',');
        bad |= put_num(f, r->learning_rate, ',');
        bad |= put_num(f, r->grad_norm, ',');
        bad |= put_num(f, r->seconds, ',');
        bad |= put_num(f, r->mu > 0 ? r->mu : NAN, ',');
        if (r->evals > 0) fprintf(f, "%ld", r->evals);
        fputc('\n', f);
    }
    return bad || ferror(f);
}

dn_status dn_history_save(const dn_history *h, const char *path, dn_error *err)
{
    DN_NEED(h);
    for (const char *c = h->metric; *c; c++)
        if (*c == ',' || *c == '"' || *c == '\n' || *c == '\r')
            return dn_fail(err, DN_EARG, "cannot write the history to '%s': "
                           "the metric name '%s' would break the CSV header; "
                           "use letters, digits and '_'", path, h->metric);
    return dn_atomic_write(path, "history", fill_csv, (void *)h, err);
}

/* ---- reading ---- */

/* The columns a history must have, in the order of dn_hist_row; the
 * metric pair is found by its prefixes. */
static const char *const COL[N_COLS] = {
    "epoch", "step", "train_loss", "val_loss", "train_", "val_",
    "learning_rate", "grad_norm", "seconds", "mu", "evals"
};

/* Splits a line at commas in place; returns the number of fields. */
static int split(char *line, char **field, int max)
{
    int n = 0;
    char *p = line;
    for (;;) {
        if (n < max) field[n] = p;
        n++;
        char *c = strchr(p, ',');
        if (!c) break;
        *c = 0;
        p = c + 1;
    }
    return n;
}

static void chomp(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r')) s[--n] = 0;
}

/* Finds the columns: where[k] = index of COL[k] in the header. */
static dn_status read_header(char *line, const char *path, dn_history *h,
                             int where[N_COLS], dn_error *err)
{
    char *field[64];
    int n = split(line, field, 64);
    if (n > 64)
        return dn_fail(err, DN_EFORMAT, "%s:1: the header has %d columns; a "
                       "history has 11 (see docs/monitoring.md)", path, n);
    for (int k = 0; k < N_COLS; k++) where[k] = -1;
    for (int i = 0; i < n; i++) {
        const char *f = field[i];
        for (int k = 0; k < N_COLS; k++) {
            int prefix = k == 4 || k == 5;
            if (prefix ? strncmp(f, COL[k], strlen(COL[k])) ||
                         !strcmp(f, k == 4 ? "train_loss" : "val_loss")
                       : strcmp(f, COL[k]))
                continue;
            if (where[k] < 0) where[k] = i;
            break;
        }
    }
    for (int k = 0; k < N_COLS - N_OPTIONAL; k++)
        if (where[k] < 0)
            return dn_fail(err, DN_EFORMAT, "%s:1: no '%s%s' column; a "
                           "history's header is epoch,step,train_loss,"
                           "val_loss,train_METRIC,val_METRIC,learning_rate,"
                           "grad_norm,seconds(,mu,evals)", path, COL[k],
                           k == 4 || k == 5 ? "METRIC" : "");
    const char *tm = field[where[4]] + 6, *vm = field[where[5]] + 4;
    char bt[DN_SHOW_BUF], bv[DN_SHOW_BUF];
    if (strcmp(tm, vm))
        return dn_fail(err, DN_EFORMAT, "%s:1: the metric columns name "
                       "different metrics ('train_%s', 'val_%s')", path,
                       dn_show(tm, bt), dn_show(vm, bv));
    /* The name becomes SVG ids and titles: only a plain word is safe there. */
    size_t len = strlen(tm);
    int plain = len > 0 && len < sizeof h->metric;
    for (const char *c = tm; *c && plain; c++)
        plain = isalnum((unsigned char)*c) || *c == '_' || *c == '-' ||
                *c == '.';
    if (!plain)
        return dn_fail(err, DN_EFORMAT, "%s:1: the metric name 'train_%s' is "
                       "not 1 to %zu letters, digits, '_', '-' or '.'; a "
                       "history names it like train_accuracy", path,
                       dn_show(tm, bt), sizeof h->metric - 1);
    dn_history_init(h, tm);
    return DN_OK;
}

/* A cell as put_num wrote it: empty (or "nan", as older files have it)
 * is missing, "inf" and "-inf" are themselves, and any other is a number
 * by dn_parse_double, whatever the host's locale. */
static dn_status parse_num(const char *s, const char *path, long line,
                           const char *col, double *out, dn_error *err)
{
    if (!*s || !strcmp(s, "nan") || !strcmp(s, "NaN")) { *out = NAN; return DN_OK; }
    if (!strcmp(s, "inf") || !strcmp(s, "-inf")) {
        *out = *s == '-' ? -INFINITY : INFINITY;
        return DN_OK;
    }
    int ok = dn_parse_double(s, strlen(s), out);
    char b[DN_SHOW_BUF];
    if (ok < 0)
        return dn_fail(err, DN_ENOMEM, "%s:%ld: out of memory reading a "
                       "number", path, line);
    if (!ok || !isfinite(*out))
        return dn_fail(err, DN_EFORMAT, "%s:%ld: column '%s': '%s' is not "
                       "a number", path, line, col, dn_show(s, b));
    return DN_OK;
}

dn_status dn_history_load(const char *path, dn_history *h, dn_error *err)
{
    DN_NEED(path);
    DN_NEED(h);
    dn_history_init(h, NULL);
    FILE *f = fopen(path, "rb");
    if (!f) return dn_fail(err, DN_EIO, "cannot open the history '%s': %s",
                           path, strerror(errno));
    static const char *const name[N_COLS] = {
        "epoch", "step", "train_loss", "val_loss", "train_metric",
        "val_metric", "learning_rate", "grad_norm", "seconds", "mu", "evals"
    };
    char *line = malloc(LINE_MAX_LEN);
    int where[N_COLS];
    dn_status st = DN_OK;
    long ln = 0;
    if (!line) { st = dn_fail(err, DN_ENOMEM, "out of memory"); goto out; }
    while (fgets(line, LINE_MAX_LEN, f)) {
        ln++;
        size_t len = strlen(line);
        if (len == LINE_MAX_LEN - 1 && line[len - 1] != '\n') {
            st = dn_fail(err, DN_EFORMAT, "%s:%ld: line longer than %d "
                         "characters; is this a history CSV?", path, ln,
                         LINE_MAX_LEN - 2);
            goto out;
        }
        chomp(line);
        if (ln == 1) {
            /* A UTF-8 byte order mark from a spreadsheet is not a name. */
            char *s = line;
            if (!strncmp(s, "\xEF\xBB\xBF", 3)) s += 3;
            st = read_header(s, path, h, where, err);
            if (st) goto out;
            continue;
        }
        if (!*line) continue;
        char *field[64];
        int n = split(line, field, 64);
        int need = 0;
        for (int k = 0; k < N_COLS; k++) if (where[k] >= need) need = where[k] + 1;
        if (n < need) {
            st = dn_fail(err, DN_EFORMAT, "%s:%ld: %d fields, the header has "
                         "at least %d", path, ln, n, need);
            goto out;
        }
        double v[N_COLS];
        for (int k = 0; k < N_COLS && !st; k++) {
            v[k] = NAN;
            if (where[k] >= 0)
                st = parse_num(field[where[k]], path, ln, name[k], &v[k], err);
        }
        if (st) goto out;
        if (!(v[0] >= 1 && v[0] <= 1e9 && v[0] == floor(v[0])) ||
            !(v[1] >= 0 && v[1] <= 9e15 && v[1] == floor(v[1]))) {
            char be[DN_SHOW_BUF], bs[DN_SHOW_BUF];
            st = dn_fail(err, DN_EFORMAT, "%s:%ld: epoch must be a whole "
                         "number ≥ 1 and step one ≥ 0, got '%s' and '%s'",
                         path, ln, dn_show(field[where[0]], be),
                         dn_show(field[where[1]], bs));
            goto out;
        }
        if (h->n && v[0] <= h->row[h->n - 1].epoch) {
            st = dn_fail(err, DN_EFORMAT, "%s:%ld: epoch %g comes after epoch "
                         "%d; rows must be in increasing epoch order", path,
                         ln, v[0], h->row[h->n - 1].epoch);
            goto out;
        }
        /* mu and evals: missing or empty is 0, as in dn_epoch. */
        if (!(v[10] >= 0 && v[10] <= 9e15)) v[10] = 0;
        dn_hist_row r = { .epoch = (int)v[0], .step = (long)v[1],
                          .train_loss = v[2], .val_loss = v[3],
                          .train_metric = v[4], .val_metric = v[5],
                          .learning_rate = v[6], .grad_norm = v[7],
                          .seconds = v[8], .mu = v[9] > 0 ? v[9] : 0,
                          .evals = (long)v[10] };
        st = dn_history_add(h, &r, err);
        if (st) goto out;
    }
    if (ferror(f))
        st = dn_fail(err, DN_EIO, "cannot read the history '%s': %s", path,
                     strerror(errno));
    else if (ln == 0)
        st = dn_fail(err, DN_EFORMAT, "%s: empty file; a history starts with "
                     "the header epoch,step,train_loss,...", path);
out:
    free(line);
    fclose(f);
    if (st) dn_history_free(h);
    return st;
}
