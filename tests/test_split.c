/* test_split.c — the validation split (stratified, seeded, the same rows
 * for the same seed, its refusals), the counts it holds out per class,
 * missing cells filled from the training part only, and schema copies.
 * Fixtures are written into a fresh temporary directory. */
#include "descent.h"
#include "check.h"
#include "fixtures.h"
#include <stdlib.h>
#include <string.h>

static char dir[64];

static const char *put(const char *name, const char *text)
{
    return check_write(dir, name, text, strlen(text));
}

static float X_(const dn_data *d, int r, int c) { return d->X[(size_t)r * d->d + c]; }

/* The original row of each of part's rows (rows are distinct in X). */
static int origins(const dn_data *all, const dn_data *part, int *org)
{
    int ordered = 1;
    for (int i = 0; i < part->n; i++) {
        org[i] = -1;
        for (int r = 0; r < all->n && org[i] < 0; r++)
            if (!memcmp(all->X + (size_t)r * all->d,
                        part->X + (size_t)i * all->d, all->d * sizeof(float)) &&
                all->Y[r] == part->Y[i])
                org[i] = r;
        ordered &= org[i] >= 0 && (i == 0 || org[i] > org[i - 1]);
    }
    return ordered;
}

static void test_split(void)
{
    dn_data *all, *tr, *va, *tr2, *va2;
    dn_error e;
    /* wine: its rows are distinct, so each part's rows can be traced */
    dn_status st = dn_csv_read("data/wine.csv", NULL, &all, NULL, 0, &e);
    CHECK(st == DN_OK, "%s", e.msg);
    if (st) return;
    int per[3] = {0}, val_per[3] = {0}, tr_per[3] = {0};
    for (int i = 0; i < all->n; i++) per[(int)all->Y[i]]++;
    st = dn_data_split(all, 0.25, 7, &tr, &va, &e);
    CHECK(st == DN_OK, "%s", e.msg);
    if (st) {
        dn_data_free(all);
        return;
    }
    for (int i = 0; i < va->n; i++) val_per[(int)va->Y[i]]++;
    for (int i = 0; i < tr->n; i++) tr_per[(int)tr->Y[i]]++;
    /* wine: 59, 71, 48 rows → round(0.25·count) = 15, 18, 12 */
    CHECK(per[0] == 59 && per[1] == 71 && per[2] == 48, "class counts");
    CHECK(val_per[0] == 15 && val_per[1] == 18 && val_per[2] == 12,
          "validation per class %d %d %d", val_per[0], val_per[1],
          val_per[2]);
    CHECK(tr_per[0] == 44 && tr_per[1] == 53 && tr_per[2] == 36,
          "training per class");
    CHECK(va->n == 45 && tr->n == 133 && va->d == 13 && tr->k == 1, "sizes");
    int org_t[178], org_v[178], seen[178] = {0};
    CHECK(origins(all, tr, org_t) && origins(all, va, org_v),
          "rows keep the file order");
    int all_once = 1;
    for (int i = 0; i < tr->n; i++) seen[org_t[i]]++;
    for (int i = 0; i < va->n; i++) seen[org_v[i]]++;
    for (int i = 0; i < 178; i++) all_once &= seen[i] == 1;
    CHECK(all_once, "every row in exactly one part");
    CHECK(tr->schema && va->schema && tr->schema != all->schema &&
          va->schema != tr->schema &&
          !strcmp(va->schema->classes[1], "class_1"), "own schema copies");
    /* the same seed, the same split; another seed, another one */
    st = dn_data_split(all, 0.25, 7, &tr2, &va2, &e);
    CHECK(st == DN_OK && va2->n == va->n &&
          !memcmp(va2->X, va->X, (size_t)va->n * va->d * sizeof(float)),
          "same seed");
    if (!st) { dn_data_free(tr2); dn_data_free(va2); }
    st = dn_data_split(all, 0.25, 8, &tr2, &va2, &e);
    CHECK(st == DN_OK && va2->n == va->n &&
          memcmp(va2->X, va->X, (size_t)va->n * va->d * sizeof(float)),
          "another seed");
    if (!st) { dn_data_free(tr2); dn_data_free(va2); }
    dn_data_free(tr);
    dn_data_free(va);

    double bad[] = {0, 1, -0.1, 1.5, NAN};
    for (int i = 0; i < 5; i++) {
        tr = va = (dn_data *)1;
        st = dn_data_split(all, bad[i], 1, &tr, &va, &e);
        CHECK_FAIL(st, DN_EARG, e, "outside (0, 1)");
        CHECK(tr == NULL && va == NULL, "outputs cleared");
    }
    /* ceil(0.001 · 178) = 1 row cannot hold a row of each of 3 classes */
    st = dn_data_split(all, 0.001, 1, &tr, &va, &e);
    CHECK_FAIL(st, DN_EARG, e, "holds out 1 row,", "fewer than the 3 classes",
               "0.02 or more");
    dn_data_free(all);

    /* regression: one shuffle over all rows, round(frac · n) held out */
    st = dn_csv_read(put("houses.csv", HOUSES), NULL, &all, NULL, 0, &e);
    CHECK(st == DN_OK, "%s", e.msg);
    if (st) return;
    st = dn_data_split(all, 0.5, 3, &tr, &va, &e);
    CHECK(st == DN_OK && tr->n == 2 && va->n == 2 && tr->k == 1 &&
          tr->Y && va->schema->task == DN_TASK_REGRESSION, "%s", e.msg);
    if (!st) {
        int o1[4], o2[4];
        CHECK(origins(all, tr, o1) && origins(all, va, o2), "order");
        dn_data_free(tr);
        dn_data_free(va);
    }
    /* rows without targets split too: one shuffle, round(0.75 · 4) held out */
    free(all->Y);
    all->Y = NULL;
    all->k = 0;
    st = dn_data_split(all, 0.75, 3, &tr, &va, &e);
    CHECK(st == DN_OK && tr->n == 1 && va->n == 3 && !tr->Y && !va->Y,
          "%s", e.msg);
    if (!st) {
        dn_data_free(tr);
        dn_data_free(va);
    }
    dn_data_free(all);
}

/* A CSV of `classes` classes of `per` rows each, rows distinct. */
/* A split refits the fill of a numeric column with missing cells to the
 * training part's median (the file's would leak the validation rows),
 * in both parts' schemas, and the missing rows of both take it. */
static void test_split_fills(void)
{
    dn_data *all, *train, *val;
    dn_error e;
    dn_status st = dn_csv_read(put("fills.csv", "a,y\n1,0\nNA,1\n2,0\n"
                                   "30,1\n,0\n4,1\n50,0\nNA,1\n6,0\n"
                                   "70,1\n"), NULL, &all, NULL, 0, &e);
    CHECK(st == DN_OK, "%s", e.msg);
    if (st) return;
    CHECK(all->d == 2 && all->schema->col[0].indicator &&
          all->schema->col[0].fill == 6, "the file's median: %g (inputs %d)",
          all->schema->col[0].fill, all->d);
    st = dn_data_split(all, 0.4, 3, &train, &val, &e);
    CHECK(st == DN_OK, "%s", e.msg);
    if (!st) {
        float v[10];
        int n = 0;
        for (int i = 0; i < train->n; i++)
            if (X_(train, i, 1) == 0) v[n++] = X_(train, i, 0);
        for (int i = 1; i < n; i++)  /* insertion sort */
            for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
                float t = v[j]; v[j] = v[j - 1]; v[j - 1] = t;
            }
        float med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
        float f = train->schema->col[0].fill;
        CHECK(n >= 2 && f == med && val->schema->col[0].fill == med,
              "fill %g (validation %g), the training median %g of %d",
              f, val->schema->col[0].fill, med, n);
        int missing = 0;
        for (int p = 0; p < 2; p++) {
            dn_data *d = p ? val : train;
            for (int i = 0; i < d->n; i++)
                if (X_(d, i, 1) == 1) {
                    missing++;
                    CHECK(X_(d, i, 0) == f, "a missing row holds %g, not %g",
                          X_(d, i, 0), f);
                }
        }
        CHECK(missing == 3, "%d missing rows", missing);
        dn_data_free(train);
        dn_data_free(val);
    }
    dn_data_free(all);
}

static const char *put_strata(const char *name, int classes, int per)
{
    static char text[65536];
    size_t used = (size_t)sprintf(text, "x,y\n");
    for (int i = 0; i < classes * per; i++)
        used += (size_t)sprintf(text + used, "%d,c%02d\n", i, i % classes);
    return put(name, text);
}

/* Validation rows per class (counts[classes]) and in all. */
static int held_out(const dn_data *va, int *counts, int classes)
{
    memset(counts, 0, (size_t)classes * sizeof *counts);
    for (int i = 0; i < va->n; i++) counts[(int)va->Y[i]]++;
    return va->n;
}

/* The stratified split holds out ceil(frac · n) rows in all, as
 * scikit-learn does, dealt to the classes by largest remainder. */
static void test_split_counts(void)
{
    dn_data *all, *tr, *va;
    dn_error e;
    int per[20];
    dn_status st = dn_csv_read(put_strata("s10x5.csv", 10, 5), NULL, &all,
                               NULL, 0, &e);
    CHECK(st == DN_OK, "%s", e.msg);
    if (st) return;
    /* 0.30 · 50 = 15; 0.28 · 50 is 14.000000000000002 in double, which
     * scikit-learn's ceil makes 15 too (the old per-class rounding held
     * out 20 and 10) */
    double fr[] = {0.30, 0.28};
    for (int f = 0; f < 2; f++) {
        st = dn_data_split(all, fr[f], 1, &tr, &va, &e);
        CHECK(st == DN_OK, "%s", e.msg);
        if (st) continue;
        CHECK(held_out(va, per, 10) == 15 && tr->n == 35,
              "--val %g: %d validation rows, want 15", fr[f], va->n);
        int lo = 9, hi = 0;
        for (int c = 0; c < 10; c++) {
            if (per[c] < lo) lo = per[c];
            if (per[c] > hi) hi = per[c];
        }
        CHECK(lo == 1 && hi == 2, "each class holds out 1 or 2 rows "
              "(%d..%d)", lo, hi);
        dn_data_free(tr);
        dn_data_free(va);
    }
    /* wine-like remainders: 0.2 · 50 = 10, exactly one row per class */
    st = dn_data_split(all, 0.2, 5, &tr, &va, &e);
    CHECK(st == DN_OK && held_out(va, per, 10) == 10 && per[0] == 1 &&
          per[9] == 1, "%s", e.msg);
    if (!st) { dn_data_free(tr); dn_data_free(va); }
    /* 0.9 · 50 = 45 would take every row of some class: refused */
    st = dn_data_split(all, 0.9, 1, &tr, &va, &e);
    CHECK_FAIL(st, DN_EARG, e, "leaves 5 training rows, fewer than the 10 "
               "classes", "at most 0.8");
    dn_data_free(all);

    /* 19 classes of 3: ceil(0.2 · 57) = 12 rows cannot hold one of each
     * class (the old rounding silently held out 19, a third) */
    st = dn_csv_read(put_strata("s19x3.csv", 19, 3), NULL, &all, NULL, 0, &e);
    CHECK(st == DN_OK, "%s", e.msg);
    if (st) return;
    tr = va = (dn_data *)1;
    st = dn_data_split(all, 0.2, 1, &tr, &va, &e);
    CHECK_FAIL(st, DN_EARG, e, "validation fraction 0.2 of 57 rows holds "
               "out 12 rows, fewer than the 19 classes", "0.34 or more");
    CHECK(tr == NULL && va == NULL, "outputs cleared");
    st = dn_data_split(all, 0.34, 1, &tr, &va, &e);
    CHECK(st == DN_OK && held_out(va, per, 19) == 20 && tr->n == 37,
          "%s", e.msg);
    if (!st) {
        int ones = 1;
        for (int c = 0; c < 19; c++) ones &= per[c] == 1 || per[c] == 2;
        CHECK(ones, "every class in both parts");
        dn_data_free(tr);
        dn_data_free(va);
    }
    dn_data_free(all);

    /* a class of one row stays in training; the others give the rows */
    st = dn_csv_read(put("lone.csv", "x,y\n1,a\n2,a\n3,a\n4,a\n5,b\n6,b\n"
                         "7,b\n8,b\n9,c\n"), NULL, &all, NULL, 0, &e);
    CHECK(st == DN_OK, "%s", e.msg);
    if (st) return;
    st = dn_data_split(all, 0.5, 2, &tr, &va, &e);
    CHECK(st == DN_OK && held_out(va, per, 3) == 5 && per[2] == 0 &&
          per[0] + per[1] == 5 && per[0] <= 3 && per[1] <= 3, "%s", e.msg);
    if (!st) { dn_data_free(tr); dn_data_free(va); }
    /* 3 rows for 2 classes: no fraction gives each a row of both parts */
    dn_data_free(all);
    st = dn_csv_read(put("tiny.csv", "x,y\n1,a\n2,a\n3,b\n"), NULL, &all,
                     NULL, 0, &e);
    CHECK(st == DN_OK, "%s", e.msg);
    if (st) return;
    st = dn_data_split(all, 0.5, 2, &tr, &va, &e);
    CHECK_FAIL(st, DN_EARG, e, "3 rows for 2 classes", "'b' has 1 row)",
               "without a validation split");
    dn_data_free(all);
}

static void test_schema_copy(void)
{
    dn_data *d;
    dn_error e;
    dn_status st = dn_csv_read(put("houses.csv", HOUSES), NULL, &d, NULL, 0,
                               &e);
    CHECK(st == DN_OK, "%s", e.msg);
    if (st) return;
    dn_schema *c;
    st = dn_schema_copy(d->schema, &c, &e);
    CHECK(st == DN_OK, "%s", e.msg);
    const char *cat0 = d->schema->col[2].cats[0];
    dn_data_free(d); /* the copy must not share anything with it */
    if (st) return;
    CHECK(c->n_cols == 4 && c->n_in == 6 && c->col[2].n_cats == 3 &&
          c->col[2].cats[0] != cat0 && !strcmp(c->col[2].cats[0], "detached") &&
          !strcmp(c->col[1].name, "area") && !strcmp(c->target, "price") &&
          c->task == DN_TASK_REGRESSION, "copy");
    dn_schema_free(c);
    c = (dn_schema *)1;
    CHECK(dn_schema_copy(NULL, &c, &e) == DN_OK && c == NULL, "NULL copy");
    dn_schema_free(NULL);
    dn_data_free(NULL);
}

int main(void)
{
    if (check_tmpdir(dir)) return 2;
    RUN(test_split);
    RUN(test_split_counts);
    RUN(test_split_fills);
    RUN(test_schema_copy);
    check_rmdir(dir);
    return check_done("test_split");
}
