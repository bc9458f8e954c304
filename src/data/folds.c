/* folds.c — K-fold cross-validation: which rows each fold holds out,
 * stratified by class when the data has classes, and the train/test
 * pair of one fold. */
#include "data/data.h"
#include <stdlib.h>
#include <string.h>

/* A repeat's own stream: the seed and the repeat mixed by splitmix's
 * constant, so that repeats of one seed do not run into another's. */
static void fold_rng(dn_rng *r, uint64_t seed, int repeat)
{
    dn_rng_seed(r, seed ^ (0x9E3779B97F4A7C15ull * ((uint64_t)repeat + 1)));
}

/* Refuses k folds when a class present has fewer than k rows. */
static dn_status check_classes(const dn_data *d, const int *count, int K,
                               int k, dn_error *err)
{
    int smallest = -1;
    for (int c = 0; c < K; c++)
        if (count[c] && (smallest < 0 || count[c] < count[smallest]))
            smallest = c;
    if (smallest < 0 || count[smallest] >= k) return DN_OK;
    char b[DN_SHOW_BUF];
    return dn_fail(err, DN_EARG, "%d folds need a row of every class in "
                   "every fold, but class '%s' has %d row%s; use %d folds "
                   "or fewer, or more rows of that class",
                   k, dn_data_class_label(d->schema, smallest, b),
                   count[smallest], count[smallest] == 1 ? "" : "s",
                   count[smallest] < 2 ? 2 : count[smallest]);
}

dn_status dn_data_folds(const dn_data *d, int k, uint64_t seed, int repeat,
                        int32_t *fold, dn_error *err)
{
    DN_NEED(d);
    DN_NEED(fold);
    const int n = d->n;
    if (k < 2)
        return dn_fail(err, DN_EARG, "%d folds: cross-validation needs 2 "
                       "or more (5 or 10 are usual)", k);
    if (k > n)
        return dn_fail(err, DN_EARG, "%d folds of %d rows: every fold needs "
                       "a row; use at most %d folds", k, n, n);
    if (repeat < 0)
        return dn_fail(err, DN_EARG, "repeat %d: repeats count from 0",
                       repeat);
    int stratify = dn_data_row_class(d, 0) >= 0;
    for (int i = 1; i < n && stratify; i++)
        stratify = dn_data_row_class(d, i) >= 0;
    const int K = stratify ? d->schema->n_classes : 1;
    int32_t *rows = malloc((size_t)n * sizeof *rows);
    int *start = calloc((size_t)K + 1, sizeof *start);
    if (!rows || !start) {
        free(rows);
        free(start);
        return dn_fail(err, DN_ENOMEM, "out of memory assigning %d rows to "
                       "folds", n);
    }
    /* Rows grouped by class (one group without classes), file order. */
    for (int i = 0; i < n; i++) start[(stratify ? dn_data_row_class(d, i) : 0) + 1]++;
    dn_status st = stratify ? check_classes(d, start + 1, K, k, err) : DN_OK;
    if (!st) {
        for (int c = 0; c < K; c++) start[c + 1] += start[c];
        int *next = malloc((size_t)K * sizeof *next);
        if (!next) st = dn_fail(err, DN_ENOMEM, "out of memory");
        for (int c = 0; next && c < K; c++) next[c] = start[c];
        for (int i = 0; next && i < n; i++)
            rows[next[stratify ? dn_data_row_class(d, i) : 0]++] = i;
        free(next);
    }
    if (!st) {
        dn_rng r;
        fold_rng(&r, seed, repeat);
        /* Dealt in turn from a seeded first fold, on across the classes. */
        int f = (int)dn_rng_below(&r, (uint64_t)k);
        for (int c = 0; c < K; c++) {
            dn_rng_shuffle(&r, rows + start[c], start[c + 1] - start[c]);
            for (int j = start[c]; j < start[c + 1]; j++) {
                fold[rows[j]] = f;
                f = f + 1 == k ? 0 : f + 1;
            }
        }
    }
    free(rows);
    free(start);
    return st;
}

dn_status dn_data_fold_split(const dn_data *d, const int32_t *fold, int f,
                             dn_data **train, dn_data **test, dn_error *err)
{
    DN_NEED(d);
    DN_NEED(fold);
    DN_NEED(train);
    DN_NEED(test);
    *train = *test = NULL;
    unsigned char *mark = malloc((size_t)d->n + 1);
    if (!mark) return dn_fail(err, DN_ENOMEM, "out of memory");
    int n_test = 0;
    for (int i = 0; i < d->n; i++) n_test += mark[i] = fold[i] == f;
    dn_status st = DN_OK;
    if (!n_test || n_test == d->n)
        st = dn_fail(err, DN_EARG, "fold %d holds %s rows; a fold needs "
                     "rows to test and rows to train on", f,
                     n_test ? "all the" : "no");
    if (!st) st = dn_data_part(d, mark, 0, d->n - n_test, train, err);
    if (!st) st = dn_data_part(d, mark, 1, n_test, test, err);
    if (st) {
        dn_data_free(*train);
        *train = NULL;
    }
    free(mark);
    return st;
}
