/* test_folds.c — dn_data_folds: stratified folds whose per-class counts
 * differ by at most 1, fold sizes within 1, the same folds for the same
 * seed and repeat and others for another, the refusals; dn_data_fold_split
 * gives the fold and the rest in file order; and dn_report_new on
 * predictions worked out by hand (ties: Mann-Whitney with half credit,
 * AP over distinct thresholds, ECE's bins) and its refusals. */
#include "descent.h"
#include "check.h"

/* n rows; class of row i from cls (NULL: regression targets i). */
static dn_data *make(int n, int K, const int *count)
{
    dn_data *d;
    if (dn_data_new(n, 1, 1, &d, NULL)) return NULL;
    int i = 0;
    for (int c = 0; c < (K ? K : 1); c++)
        for (int j = 0; j < (K ? count[c] : n); j++, i++) {
            d->X[i] = (float)i;
            d->Y[i] = K ? (float)c : (float)i * 0.5f;
        }
    if (K) {
        dn_schema *s = calloc(1, sizeof *s);
        s->task = DN_TASK_MULTICLASS;
        s->n_classes = K;
        s->n_in = 1;
        s->classes = calloc((size_t)K, sizeof *s->classes);
        for (int c = 0; c < K; c++) {
            s->classes[c] = malloc(16);
            snprintf(s->classes[c], 16, "c%d", c);
        }
        d->schema = s;
    }
    return d;
}

static void test_stratified(void)
{
    const int count[3] = { 7, 13, 23 }, n = 43, k = 4;
    dn_data *d = make(n, 3, count);
    int32_t fold[43], again[43], other[43];
    CHECK(dn_data_folds(d, k, 5, 0, fold, NULL) == DN_OK, "folds");
    int per[3][4] = { { 0 } }, size[4] = { 0 };
    for (int i = 0; i < n; i++) {
        CHECK(fold[i] >= 0 && fold[i] < k, "row %d fold %d", i, fold[i]);
        per[(int)d->Y[i]][fold[i]]++;
        size[fold[i]]++;
    }
    for (int c = 0; c < 3; c++) {
        int lo = 1 << 30, hi = 0;
        for (int f = 0; f < k; f++) {
            lo = per[c][f] < lo ? per[c][f] : lo;
            hi = per[c][f] > hi ? per[c][f] : hi;
        }
        CHECK(hi - lo <= 1, "class %d: %d to %d rows per fold", c, lo, hi);
    }
    int lo = 1 << 30, hi = 0;
    for (int f = 0; f < k; f++) {
        lo = size[f] < lo ? size[f] : lo;
        hi = size[f] > hi ? size[f] : hi;
    }
    CHECK(hi - lo <= 1, "fold sizes %d to %d", lo, hi);
    CHECK(dn_data_folds(d, k, 5, 0, again, NULL) == DN_OK, "again");
    CHECK(!memcmp(fold, again, sizeof fold), "same seed, same folds");
    CHECK(dn_data_folds(d, k, 5, 1, other, NULL) == DN_OK, "repeat 1");
    CHECK(memcmp(fold, other, sizeof fold), "another repeat, other folds");
    CHECK(dn_data_folds(d, k, 6, 0, other, NULL) == DN_OK, "seed 6");
    CHECK(memcmp(fold, other, sizeof fold), "another seed, other folds");

    dn_data *tr, *te;
    CHECK(dn_data_fold_split(d, fold, 2, &tr, &te, NULL) == DN_OK, "split");
    CHECK(te->n == size[2] && tr->n == n - size[2], "%d + %d rows", tr->n, te->n);
    int in_order = 1;
    for (int i = 1; i < te->n; i++) in_order &= te->X[i] > te->X[i - 1];
    CHECK(in_order, "test rows in file order");
    for (int i = 0; i < te->n; i++)
        CHECK(fold[(int)te->X[i]] == 2, "test row %g is of fold 2", te->X[i]);
    CHECK(tr->schema && tr->schema->n_classes == 3, "schema copied");
    dn_data_free(tr);
    dn_data_free(te);

    dn_error err;
    CHECK(dn_data_folds(d, 8, 5, 0, fold, &err) == DN_EARG &&
          strstr(err.msg, "class 'c0' has 7 rows; use 7 folds or fewer"), "%s", err.msg);
    CHECK(dn_data_folds(d, 1, 5, 0, fold, &err) == DN_EARG &&
          strstr(err.msg, "1 folds"), "%s", err.msg);
    dn_data_free(d);
}

static void test_plain(void)
{
    dn_data *d = make(10, 0, NULL);
    int32_t fold[10];
    int size[3] = { 0 };
    CHECK(dn_data_folds(d, 3, 1, 0, fold, NULL) == DN_OK, "regression folds");
    for (int i = 0; i < 10; i++) size[fold[i]]++;
    CHECK(size[0] + size[1] + size[2] == 10 && size[0] >= 3 && size[1] >= 3 &&
          size[2] >= 3, "sizes %d %d %d", size[0], size[1], size[2]);
    dn_error err;
    CHECK(dn_data_folds(d, 11, 1, 0, fold, &err) == DN_EARG &&
          strstr(err.msg, "11 folds of 10 rows"), "%s", err.msg);
    CHECK(dn_data_folds(d, 3, 1, -1, fold, &err) == DN_EARG &&
          strstr(err.msg, "repeat -1: repeats count from 0"), "%s", err.msg);
    /* a fold number that no row, or every row, has cannot be split */
    dn_data *tr = (dn_data *)1, *te = (dn_data *)1;
    CHECK(dn_data_fold_split(d, fold, 3, &tr, &te, &err) == DN_EARG &&
          strstr(err.msg, "fold 3 holds no rows") && !tr && !te, "%s",
          err.msg);
    int32_t same[10] = { 0 };
    CHECK(dn_data_fold_split(d, same, 0, &tr, &te, &err) == DN_EARG &&
          strstr(err.msg, "fold 0 holds all the rows") && !tr && !te, "%s",
          err.msg);
    dn_data_free(d);
}

static void test_report_by_hand(void)
{
    /* scores with ties; positives at 0.9, 0.6, 0.6, 0.2 */
    const float p[8] = { 0.9f, 0.6f, 0.6f, 0.6f, 0.4f, 0.2f, 0.2f, 0.1f };
    const float y[8] = { 1, 1, 1, 0, 0, 1, 0, 0 };
    dn_report *r;
    CHECK(dn_report_new(DN_TASK_BINARY, 8, 2, p, y, 2, &r, NULL) == DN_OK, "new");
    /* Mann-Whitney: of 16 (pos, neg) pairs, 12.5 ranked right (ties
     * count half): 0.9 > all 4; each 0.6 > 3 and ties 1 (3.5 each); 0.2
     * > 1 and ties 1 (1.5). */
    CHECK(fabs(r->roc_auc - 12.5 / 16) < 1e-15, "AUC %.17g", r->roc_auc);
    /* AP: thresholds 0.9 (R 1/4, P 1), 0.6 (R 3/4, P 3/4), 0.4 (R 3/4),
     * 0.2 (R 1, P 4/7), 0.1 (R 1): 1/4 + (1/2)(3/4) + (1/4)(4/7). */
    double ap = 0.25 + 0.5 * 0.75 + 0.25 * 4.0 / 7;
    CHECK(fabs(r->average_precision - ap) < 1e-15, "AP %.17g, want %.17g",
          r->average_precision, ap);
    /* 2 bins: [0, 0.5] holds 0.4 0.2 0.2 0.1 (1 positive), (0.5, 1] the
     * rest (3 of 4). */
    CHECK(r->bin_count[0] == 4 && r->bin_count[1] == 4, "bins %ld %ld",
          r->bin_count[0], r->bin_count[1]);
    double ece = 0.5 * fabs(0.25 - 0.225) + 0.5 * fabs(0.75 - (0.9 + 1.8f) / 4);
    CHECK(fabs(r->ece - ece) < 1e-7, "ECE %.17g, want %.17g", r->ece, ece);
    /* p >= 0.5 predicts 1: TP 3, FP 1, FN 1, TN 3 */
    CHECK(r->confusion[0] == 3 && r->confusion[1] == 1 &&
          r->confusion[2] == 1 && r->confusion[3] == 3, "confusion");
    CHECK(fabs(r->f1[1] - 0.75) < 1e-15 && fabs(r->accuracy - 0.75) < 1e-15,
          "F1 %g accuracy %g", r->f1[1], r->accuracy);
    CHECK(r->roc_n == 6, "ROC points %d (0,0 and 5 thresholds, none collinear)",
          r->roc_n);
    dn_report_free(r);

    dn_error err;
    const float bad[2] = { 0.5f, 1.5f }, cls[2] = { 0, 1 };
    CHECK(dn_report_new(DN_TASK_BINARY, 2, 2, bad, cls, 0, &r, &err) == DN_EARG &&
          strstr(err.msg, "row 2: probability 1.5"), "%s", err.msg);
    const float two[2] = { 0, 2 };
    CHECK(dn_report_new(DN_TASK_BINARY, 2, 2, p, two, 0, &r, &err) == DN_EARG &&
          strstr(err.msg, "row 2: class 2"), "%s", err.msg);
    CHECK(dn_report_new(DN_TASK_BINARY, 2, 2, p, cls, 1001, &r, &err) == DN_EARG,
          "%s", err.msg);
    /* regression: R2 of a constant target predicted exactly is 1 */
    const float yt[3] = { 2, 2, 2 }, yp[3] = { 2, 2, 2 }, yq[3] = { 1, 2, 3 };
    CHECK(dn_report_new(DN_TASK_REGRESSION, 3, 1, yp, yt, 0, &r, NULL) == DN_OK &&
          r->r2 == 1 && r->mse == 0, "constant target");
    dn_report_free(r);
    CHECK(dn_report_new(DN_TASK_REGRESSION, 3, 1, yt, yq, 0, &r, NULL) == DN_OK &&
          fabs(r->r2) < 1e-15 && fabs(r->mse - 2.0 / 3) < 1e-15 &&
          fabs(r->mae - 2.0 / 3) < 1e-15, "r2 %g mse %g", r->r2, r->mse);
    dn_report_free(r);
}

int main(void)
{
    RUN(test_stratified);
    RUN(test_plain);
    RUN(test_report_by_hand);
    return check_done("test_folds");
}
