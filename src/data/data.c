/* data.c — data sets and feature schemas in memory: allocation, deep
 * copies, another task for the same targets, and the seeded
 * (stratified) train/validation split. */
#include "data/data.h"
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static dn_status data_alloc(int n, int d, int k, int bytes, dn_data **out,
                            dn_error *err)
{
    *out = NULL;
    dn_data *D = calloc(1, sizeof *D);
    if (!D) return dn_fail(err, DN_ENOMEM, "out of memory for a data set");
    D->n = n;
    D->d = d;
    D->k = k;
    /* +1 keeps calloc from seeing a zero size when d or k is 0. */
    if (bytes)
        D->bytes = calloc((size_t)n * d + 1, 1);
    else
        D->X = calloc((size_t)n * d + 1, sizeof *D->X);
    if (k > 0) D->Y = calloc((size_t)n * k + 1, sizeof *D->Y);
    if ((!D->X && !D->bytes) || (k > 0 && !D->Y)) {
        dn_data_free(D);
        return dn_fail(err, DN_ENOMEM, "out of memory for %d rows of %d "
                       "inputs", n, d);
    }
    *out = D;
    return DN_OK;
}

dn_status dn_data_new(int n, int d, int k, dn_data **out, dn_error *err)
{
    DN_NEED(out);
    *out = NULL;
    if (n < 0 || d < 1 || k < 0 || n > DN_MAX_ROWS || d > DN_MAX_WIDTH ||
        k > DN_MAX_WIDTH || (double)n * d > (double)DN_MAX_ELEMENTS ||
        (double)n * k > (double)DN_MAX_ELEMENTS)
        return dn_fail(err, DN_EARG, "dn_data_new: %d rows of %d inputs and "
                       "%d targets is not a data set it can hold (rows 0.."
                       "%ld, inputs 1..%ld, at most %ld values in X or Y)",
                       n, d, k, DN_MAX_ROWS, DN_MAX_WIDTH, DN_MAX_ELEMENTS);
    return data_alloc(n, d, k, 0, out, err);
}

dn_data dn_data_view(int n, int d, int k, float *X, float *Y)
{
    return (dn_data){ .n = n, .d = d, .k = k, .X = X, .Y = Y };
}

dn_status dn_data_alloc_u8(int n, int d, int k, dn_data **out, dn_error *err)
{
    return data_alloc(n, d, k, 1, out, err);
}

void dn_data_free(dn_data *d)
{
    if (!d) return;
    DN_FREE_ALL(d->X, d->bytes, d->Y, d->w);
    dn_schema_free(d->schema);
    free(d);
}

const float *dn_data_row(const dn_data *d, int i, float *buf)
{
    if (d->X) return d->X + (size_t)i * d->d;
    dn_row_u8(dn_data_x8(d) + (size_t)i * d->d, NULL, NULL, buf, d->d);
    return buf;
}

dn_status dn_data_floats(dn_data *d, dn_error *err)
{
    if (!d || d->X || !d->bytes) return DN_OK;
    size_t n = (size_t)d->n * d->d;
    float *X = malloc((n + 1) * sizeof *X);
    if (!X)
        return dn_fail(err, DN_ENOMEM, "out of memory for %d rows of %d "
                       "inputs", d->n, d->d);
    for (size_t i = 0; i < (size_t)d->n; i++)
        dn_row_u8(dn_data_x8(d) + i * d->d, NULL, NULL, X + i * d->d, d->d);
    free(d->bytes);
    d->bytes = NULL;
    d->X = X;
    return DN_OK;
}

/* ---- schemas ---- */

dn_schema *dn_schema_alloc(int n_cols)
{
    dn_schema *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->n_cols = n_cols;
    s->col = calloc((size_t)n_cols + 1, sizeof *s->col);
    if (!s->col) {
        free(s);
        return NULL;
    }
    return s;
}

void dn_strs_free(char **s, int n)
{
    if (!s) return;
    for (int i = 0; i < n; i++) free(s[i]);
    free(s);
}

void dn_schema_free(dn_schema *s)
{
    if (!s) return;
    for (int i = 0; s->col && i < s->n_cols; i++) {
        free(s->col[i].name);
        dn_strs_free(s->col[i].cats, s->col[i].n_cats);
    }
    free(s->col);
    free(s->target);
    dn_strs_free(s->classes, s->n_classes);
    free(s);
}

/* A deep copy of n strings; NULL on failure (partial copies freed). */
static char **strs_copy(char *const *src, int n)
{
    char **dst = calloc((size_t)n + 1, sizeof *dst);
    if (!dst) return NULL;
    for (int i = 0; i < n; i++) {
        if (src[i] && !(dst[i] = dn_strdup(src[i]))) {
            dn_strs_free(dst, n);
            return NULL;
        }
    }
    return dst;
}

/* Copies one column into a zeroed dst; 0 on allocation failure. */
static int column_copy(const dn_column *src, dn_column *dst)
{
    if (src->name && !(dst->name = dn_strdup(src->name))) return 0;
    dst->has_fill = src->has_fill;
    dst->fill = src->fill;
    dst->indicator = src->indicator;
    if (src->n_cats > 0) {
        if (!(dst->cats = strs_copy(src->cats, src->n_cats))) return 0;
        dst->n_cats = src->n_cats;
    }
    return 1;
}

dn_status dn_schema_copy(const dn_schema *src, dn_schema **out, dn_error *err)
{
    DN_NEED(out);
    *out = NULL;
    if (!src) return DN_OK; /* no schema copies to no schema */
    if (src->n_cols < 0 || (src->n_cols > 0 && !src->col) ||
        src->n_classes < 0 || (src->n_classes > 0 && !src->classes))
        return dn_fail(err, DN_EARG, "cannot copy an inconsistent schema "
                       "(%d columns, %d classes)", src->n_cols,
                       src->n_classes);
    dn_schema *s = dn_schema_alloc(src->n_cols);
    if (!s) goto nomem;
    s->n_in = src->n_in;
    s->img_rows = src->img_rows;
    s->img_cols = src->img_cols;
    s->task = src->task;
    for (int i = 0; i < src->n_cols; i++)
        if (!column_copy(&src->col[i], &s->col[i])) goto nomem;
    if (src->target && !(s->target = dn_strdup(src->target))) goto nomem;
    if (src->n_classes > 0) {
        if (!(s->classes = strs_copy(src->classes, src->n_classes)))
            goto nomem;
        s->n_classes = src->n_classes;
    }
    *out = s;
    return DN_OK;
nomem:
    dn_schema_free(s);
    return dn_fail(err, DN_ENOMEM, "out of memory copying a schema");
}

/* ---- another task for the same targets ---- */

/* Class k's value as a regression target: its name as a number (IDX
 * labels are named "0".."K-1"), or k itself when it has no name. */
static int class_value(const dn_schema *s, int k, double *v)
{
    const char *name = s->classes[k];
    if (!name) { *v = k; return 1; }
    return dn_parse_double(name, strlen(name), v) == 1 && fabs(*v) <= FLT_MAX;
}

dn_status dn_data_set_task(dn_data *d, dn_task task, dn_error *err)
{
    dn_schema *s = d ? d->schema : NULL;
    if ((unsigned)task > DN_TASK_MULTICLASS)
        return dn_fail(err, DN_EARG, "unknown task %d", (int)task);
    if (!s || !d->Y || d->k != 1)
        return dn_fail(err, DN_EARG, "the data set has no target column to "
                       "read as %s", dn_task_name(task));
    if (s->task == task) return DN_OK;
    if (s->task == DN_TASK_REGRESSION)
        return dn_fail(err, DN_EARG, "the target holds numbers read for "
                       "regression; classes are decided when the file is "
                       "read (dn_csv_opts.task)");
    const int K = s->n_classes;
    if (task == DN_TASK_BINARY && K != 2)
        return dn_fail(err, DN_EFORMAT, "binary classification needs 2 "
                       "classes but the target has %d (0..%d); use "
                       "multiclass", K, K - 1);
    if (task != DN_TASK_REGRESSION) {
        s->task = task;
        return DN_OK;
    }
    /* Every class must have a value before any target changes. */
    double *val = malloc(((size_t)K + 1) * sizeof *val);
    if (!val) return dn_fail(err, DN_ENOMEM, "out of memory");
    for (int k = 0; k < K; k++)
        if (!class_value(s, k, &val[k])) {
            dn_status st = dn_fail(err, DN_EFORMAT, "regression needs a "
                                   "numeric target, but class '%.40s' is "
                                   "not a number; use classification",
                                   s->classes[k]);
            free(val);
            return st;
        }
    for (int i = 0; i < d->n; i++) {
        float y = d->Y[i];
        if (!(y >= 0 && y < K) || y != floorf(y)) {
            free(val);
            return dn_fail(err, DN_EARG, "row %d has class %g, outside "
                           "0..%d", i + 1, y, K - 1);
        }
    }
    for (int i = 0; i < d->n; i++) d->Y[i] = (float)val[(int)d->Y[i]];
    free(val);
    dn_strs_free(s->classes, K);
    s->classes = NULL;
    s->n_classes = 0;
    s->task = DN_TASK_REGRESSION;
    return DN_OK;
}

/* ---- the train/validation split ---- */

/* Class index of row i when the split can be stratified, else -1. */
int dn_data_row_class(const dn_data *d, int i)
{
    const dn_schema *s = d->schema;
    if (!s || s->task == DN_TASK_REGRESSION || s->n_classes < 2 || !d->Y ||
        d->k != 1)
        return -1;
    float y = d->Y[i];
    if (!(y >= 0 && y < s->n_classes) || y != floorf(y)) return -1;
    return (int)y;
}

/* Rows held out of n for a fraction: ceil(frac · n), computed in double
 * exactly as scikit-learn's train_test_split and StratifiedShuffleSplit
 * count them, so that both hold out the same number of rows. */
static int val_count(double frac, int n)
{
    return (int)ceil(frac * n);
}

/* Marks the first `take` of the given rows after a seeded shuffle. */
static void pick(dn_rng *r, int32_t *rows, int count, int take,
                 unsigned char *is_val)
{
    dn_rng_shuffle(r, rows, count);
    for (int i = 0; i < take; i++) is_val[rows[i]] = 1;
}

/* A class's share of the validation rows while they are dealt out. */
typedef struct {
    int    c;     /* the class */
    double rem;   /* frac · count − floor(frac · count) */
    int    rank;  /* its place in a seeded random order, for ties */
} share;

/* Largest remainder first; equal remainders in the seeded order. */
static int share_cmp(const void *a, const void *b)
{
    const share *x = a, *y = b;
    if (x->rem != y->rem) return x->rem > y->rem ? -1 : 1;
    return (x->rank > y->rank) - (x->rank < y->rank);
}

/* Deals n_val validation rows out to the K classes (count[c] rows each)
 * into take[c], by largest remainder: each class gets floor(frac ·
 * count), then the rows still to place go one at a time to the classes
 * with the largest remainders, ties in a seeded random order (as
 * scikit-learn's _approximate_mode breaks them), passing over a class
 * whose next row would be its last: every class keeps a training row.
 * The caller has checked n − n_val ≥ K, so there is room for all. */
static void deal_shares(dn_rng *r, const int *count, int K, double frac,
                        int n_val, int *take, share *sh, int32_t *order)
{
    int left = n_val;
    for (int c = 0; c < K; c++) order[c] = c;
    dn_rng_shuffle(r, order, K);
    for (int i = 0; i < K; i++) {
        int c = order[i];
        double q = frac * count[c];
        take[c] = (int)floor(q); /* below count[c], as frac < 1 */
        left -= take[c];
        sh[i] = (share){ c, q - floor(q), i };
    }
    qsort(sh, (size_t)K, sizeof *sh, share_cmp);
    while (left > 0) {
        for (int i = 0; i < K && left > 0; i++) {
            int c = sh[i].c;
            if (take[c] < count[c] - 1) {
                take[c]++;
                left--;
            }
        }
    }
}

/* A class's name for a message, quoted by dn_show ("class 3" when it
 * has none); buf holds DN_SHOW_BUF bytes. */
const char *dn_data_class_label(const dn_schema *s, int c, char *buf)
{
    if (s->classes && s->classes[c]) return dn_show(s->classes[c], buf);
    snprintf(buf, DN_SHOW_BUF, "class %d", c);
    return buf;
}

/* Refuses a stratified split of n rows that cannot give every class
 * present a training row and the validation part a row per class
 * (scikit-learn refuses the same). */
static dn_status check_strata(const dn_data *all, const int *count, int K,
                              double frac, int n_val, dn_error *err)
{
    int n = all->n, smallest = -1, present = 0;
    for (int c = 0; c < K; c++) {
        if (!count[c]) continue;
        present++;
        if (smallest < 0 || count[c] < count[smallest]) smallest = c;
    }
    K = present;
    char b[DN_SHOW_BUF];
    if (n < 2 * K)
        return dn_fail(err, DN_EARG, "cannot hold out a stratified "
                       "validation part: %d rows for %d classes leave no "
                       "room for a training and a validation row of every "
                       "class ('%s' has %d row%s); train without a validation "
                       "split or give a separate validation file",
                       n, K, dn_data_class_label(all->schema, smallest, b),
                       count[smallest], count[smallest] == 1 ? "" : "s");
    /* the smallest fraction with ceil(frac · n) ≥ K, in hundredths */
    double lo = ceil(100.0 * K / n) / 100.0;
    if (n_val < K)
        return dn_fail(err, DN_EARG, "validation fraction %g of %d rows "
                       "holds out %d row%s, fewer than the %d classes: a "
                       "stratified split needs a validation row per class; "
                       "use a fraction of %g or more, or no validation "
                       "split", frac, n, n_val, n_val == 1 ? "" : "s", K, lo);
    if (n - n_val < K)
        return dn_fail(err, DN_EARG, "validation fraction %g of %d rows "
                       "leaves %d training rows, fewer than the %d classes: "
                       "every class needs a training row; use a smaller "
                       "fraction (at most %g)", frac, n, n - n_val, K,
                       floor(100.0 * (n - K) / n) / 100.0);
    return DN_OK;
}

/* Chooses the validation rows, val_count(frac, n) of them: per class
 * when every row has a valid class, each class holding out its share by
 * largest remainder (deal_shares); otherwise over all rows.  start
 * (n_classes + 1 ints) is scratch for grouping rows by class, NULL when
 * the data has no classes. */
static dn_status choose_val(const dn_data *all, double frac, uint64_t seed,
                            int32_t *rows, int *start, unsigned char *is_val,
                            dn_error *err)
{
    dn_rng r;
    dn_rng_seed(&r, seed);
    int n = all->n, n_val = val_count(frac, n), stratify = start != NULL;
    for (int i = 0; i < n && stratify; i++)
        stratify = dn_data_row_class(all, i) >= 0;
    if (!stratify) {
        if (n_val >= n)
            return dn_fail(err, DN_EARG, "validation fraction %g of %d rows "
                           "holds out all %d and leaves the training part "
                           "empty; use a smaller fraction such as 0.2, or "
                           "more data", frac, n, n_val);
        for (int i = 0; i < n; i++) rows[i] = i;
        pick(&r, rows, n, n_val, is_val);
        return DN_OK;
    }
    /* A counting sort groups the rows by class, each group in file order. */
    int K = all->schema->n_classes;
    int *count = malloc((size_t)K * 2 * sizeof *count);
    share *sh = malloc((size_t)K * sizeof *sh);
    int32_t *order = malloc((size_t)K * sizeof *order);
    dn_status st = DN_OK;
    if (!count || !sh || !order) {
        st = dn_fail(err, DN_ENOMEM, "out of memory splitting %d classes", K);
        goto done;
    }
    int *take = count + K;
    memset(start, 0, ((size_t)K + 1) * sizeof *start);
    for (int i = 0; i < n; i++) start[dn_data_row_class(all, i) + 1]++;
    for (int c = 0; c < K; c++) count[c] = start[c + 1];
    if ((st = check_strata(all, count, K, frac, n_val, err))) goto done;
    deal_shares(&r, count, K, frac, n_val, take, sh, order);
    for (int c = 0; c < K; c++) start[c + 1] += start[c];
    for (int i = 0; i < n; i++) rows[start[dn_data_row_class(all, i)]++] = i;
    /* Filling moved each start[c] to where class c ends. */
    for (int c = 0; c < K; c++) {
        int lo = c ? start[c - 1] : 0;
        pick(&r, rows + lo, start[c] - lo, take[c], is_val);
    }
done:
    DN_FREE_ALL(count, sh, order);
    return st;
}

/* Copies the rows whose is_val equals `want`, in file order. */
static void copy_rows(const dn_data *all, const unsigned char *is_val,
                      int want, dn_data *part)
{
    int j = 0;
    for (int i = 0; i < all->n; i++) {
        if (is_val[i] != want) continue;
        if (all->X)
            memcpy(part->X + (size_t)j * all->d, all->X + (size_t)i * all->d,
                   (size_t)all->d * sizeof *all->X);
        else
            memcpy(dn_data_x8(part) + (size_t)j * all->d,
                   dn_data_x8(all) + (size_t)i * all->d, (size_t)all->d);
        if (all->Y)
            memcpy(part->Y + (size_t)j * all->k,
                   all->Y + (size_t)i * all->k,
                   (size_t)all->k * sizeof *all->Y);
        if (all->w) part->w[j] = all->w[i];
        j++;
    }
}

/* Builds one part of n rows with its own schema copy. */
dn_status dn_data_part(const dn_data *all, const unsigned char *is_val,
                       int want, int n, dn_data **out, dn_error *err)
{
    dn_data *p;
    dn_status st = data_alloc(n, all->d, all->Y ? all->k : 0, !all->X, &p,
                              err);
    if (st) return st;
    p->k = all->k;
    if (all->w && !(p->w = malloc(((size_t)n + 1) * sizeof *p->w))) {
        dn_data_free(p);
        return dn_fail(err, DN_ENOMEM, "out of memory for %d weights", n);
    }
    copy_rows(all, is_val, want, p);
    st = dn_schema_copy(all->schema, &p->schema, err);
    if (st) {
        dn_data_free(p);
        return st;
    }
    *out = p;
    return DN_OK;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* The fill values of the numeric columns become the training part's
 * medians (the reader took the whole file's), in both parts' schemas,
 * and the rows that were missing (indicator 1) take the new value: the
 * validation rows are then encoded as new rows will be. */
static dn_status refit_fills(dn_data *train, dn_data *val, dn_error *err)
{
    dn_schema *s = train->schema;
    if (!s || !train->X || !val->X || s->n_in != train->d) return DN_OK;
    float *v = NULL;
    size_t pos = 0;
    for (int j = 0; j < s->n_cols; pos += (size_t)dn_col_width(&s->col[j]), j++) {
        dn_column *c = &s->col[j];
        if (!c->has_fill || c->n_cats) continue;
        if (!v && !(v = malloc(((size_t)train->n + 1) * sizeof *v)))
            return dn_fail(err, DN_ENOMEM, "out of memory");
        int n = 0;
        for (int i = 0; i < train->n; i++) {
            const float *x = train->X + (size_t)i * train->d + pos;
            if (!c->indicator || x[1] == 0) v[n++] = x[0];
        }
        if (n == 0) continue;  /* every training value missing: keep it */
        qsort(v, (size_t)n, sizeof *v, cmp_float);
        float f = n % 2 ? v[n / 2]
                        : (float)(((double)v[n / 2 - 1] + v[n / 2]) / 2);
        c->fill = val->schema->col[j].fill = f;
        for (int p = 0; c->indicator && p < 2; p++) {
            dn_data *d = p ? val : train;
            for (int i = 0; i < d->n; i++) {
                float *x = d->X + (size_t)i * d->d + pos;
                if (x[1] != 0) x[0] = f;
            }
        }
    }
    free(v);
    return DN_OK;
}

dn_status dn_data_split(const dn_data *all, double val_frac, uint64_t seed,
                        dn_data **train, dn_data **val, dn_error *err)
{
    DN_NEED(train);
    DN_NEED(val);
    *train = *val = NULL;
    if (!all || all->n < 2 || (!all->X && !all->bytes))
        return dn_fail(err, DN_EARG, "cannot split a data set of %d rows: "
                       "a training and a validation part need 2 rows or "
                       "more", all ? all->n : 0);
    if (!(val_frac > 0 && val_frac < 1))
        return dn_fail(err, DN_EARG, "validation fraction %g is outside "
                       "(0, 1); use e.g. 0.2 to hold out 20%% of the rows",
                       val_frac);
    int K = dn_data_row_class(all, 0) >= 0 ? all->schema->n_classes : 0;
    int32_t *rows = malloc((size_t)all->n * sizeof *rows);
    int *start = K ? malloc(((size_t)K + 1) * sizeof *start) : NULL;
    unsigned char *is_val = calloc((size_t)all->n, 1);
    dn_status st = DN_OK;
    if (!rows || !is_val || (K && !start)) {
        st = dn_fail(err, DN_ENOMEM, "out of memory splitting %d rows",
                     all->n);
        goto done;
    }
    if ((st = choose_val(all, val_frac, seed, rows, start, is_val, err)))
        goto done;
    int n_val = 0;
    for (int i = 0; i < all->n; i++) n_val += is_val[i];
    st = dn_data_part(all, is_val, 0, all->n - n_val, train, err);
    if (!st) st = dn_data_part(all, is_val, 1, n_val, val, err);
    if (!st && (st = refit_fills(*train, *val, err))) {
        dn_data_free(*val);
        *val = NULL;
    }
    if (st) {
        dn_data_free(*train);
        *train = NULL;
    }
done:
    DN_FREE_ALL(rows, start, is_val);
    return st;
}

/* ---- row weights ---- */

dn_status dn_data_set_weights(dn_data *d, const float *w, dn_error *err)
{
    DN_NEED(d);
    if (!w) {
        free(d->w);
        d->w = NULL;
        return DN_OK;
    }
    double sum = 0;
    for (int i = 0; i < d->n; i++) {
        if (!(w[i] >= 0) || !isfinite(w[i]))
            return dn_fail(err, DN_EARG, "row %d has weight %g; weights must "
                           "be finite numbers >= 0", i + 1, (double)w[i]);
        sum += w[i];
    }
    if (d->n > 0 && !(sum > 0))
        return dn_fail(err, DN_EARG, "every row has weight 0; give some rows "
                       "a positive weight");
    float *c = malloc(((size_t)d->n + 1) * sizeof *c);
    if (!c) return dn_fail(err, DN_ENOMEM, "out of memory for %d weights",
                           d->n);
    memcpy(c, w, (size_t)d->n * sizeof *c);
    free(d->w);
    d->w = c;
    return DN_OK;
}

/* The class of every row into count[0..K), or a message why not. */
static dn_status class_counts(const dn_data *d, long *count, dn_error *err)
{
    const int K = d->schema->n_classes;
    for (int c = 0; c < K; c++) count[c] = 0;
    for (int i = 0; i < d->n; i++) {
        int c = dn_data_row_class(d, i);
        if (c < 0)
            return dn_fail(err, DN_EARG, "row %d has no class in 0..%d; "
                           "class weights need class targets", i + 1, K - 1);
        count[c]++;
    }
    return DN_OK;
}

static dn_status need_classes(const dn_data *d, dn_error *err)
{
    if (!d || !d->schema || d->schema->task == DN_TASK_REGRESSION ||
        d->schema->n_classes < 2 || !d->Y || d->k != 1)
        return dn_fail(err, DN_EARG, "class weights need a classification "
                       "data set (a target of 2 or more classes)");
    return DN_OK;
}

dn_status dn_class_weights_balanced(const dn_data *d, double *cw,
                                    dn_error *err)
{
    DN_NEED(cw);
    dn_status st = need_classes(d, err);
    if (st) return st;
    const int K = d->schema->n_classes;
    long *count = malloc(((size_t)K + 1) * sizeof *count);
    if (!count) return dn_fail(err, DN_ENOMEM, "out of memory");
    if (!(st = class_counts(d, count, err))) {
        int present = 0;
        for (int c = 0; c < K; c++) present += count[c] > 0;
        for (int c = 0; c < K; c++)
            cw[c] = count[c] ? (double)d->n / ((double)present * count[c]) : 0;
    }
    free(count);
    return st;
}

dn_status dn_data_weight_classes(dn_data *d, const double *cw, dn_error *err)
{
    DN_NEED(cw);
    dn_status st = need_classes(d, err);
    if (st) return st;
    const int K = d->schema->n_classes;
    for (int c = 0; c < K; c++)
        if (!(cw[c] >= 0) || !isfinite(cw[c]))
            return dn_fail(err, DN_EARG, "class %d has weight %g; class "
                           "weights must be finite numbers >= 0", c, cw[c]);
    float *w = malloc(((size_t)d->n + 1) * sizeof *w);
    if (!w) return dn_fail(err, DN_ENOMEM, "out of memory for %d weights",
                           d->n);
    for (int i = 0; i < d->n && !st; i++) {
        int c = dn_data_row_class(d, i);
        if (c < 0)
            st = dn_fail(err, DN_EARG, "row %d has no class in 0..%d; class "
                         "weights need class targets", i + 1, K - 1);
        else
            w[i] = (float)((d->w ? d->w[i] : 1.0) * cw[c]);
    }
    if (!st) st = dn_data_set_weights(d, w, err);
    free(w);
    return st;
}
