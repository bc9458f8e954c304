/* test_weights.c — row weights and class weights on a data set
 * (dn_data_set_weights, dn_class_weights_balanced,
 * dn_data_weight_classes): scikit-learn's "balanced" figures,
 * n / (K · n_c) over the K classes present, an absent class weighing 0,
 * the product with row weights already there, and every refusal with
 * its message. */
#include "check.h"
#include "descent.h"
#include <math.h>
#include <string.h>

static char dir[64];

/* A data set read from a CSV fixture written into dir. */
static dn_data *read_csv(const char *name, const char *text)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f)) return NULL;
    dn_data *d = NULL;
    dn_error e;
    if (dn_csv_read(path, NULL, &d, NULL, 0, &e)) {
        fprintf(stderr, "%s\n", e.msg);
        return NULL;
    }
    return d;
}

static void test_balanced(void)
{
    /* 6 rows: a ×3, b ×2, c ×1 */
    dn_data *d = read_csv("abc.csv", "x,y\n1,a\n2,a\n3,a\n4,b\n5,b\n6,c\n");
    if (!d) { CHECK(0, "cannot read abc.csv"); return; }
    double cw[3];
    dn_error e;
    CHECK(dn_class_weights_balanced(d, cw, &e) == DN_OK, "%s", e.msg);
    CHECK_NEAR(cw[0], 6.0 / (3 * 3), 1e-12);
    CHECK_NEAR(cw[1], 6.0 / (3 * 2), 1e-12);
    CHECK_NEAR(cw[2], 6.0 / (3 * 1), 1e-12);
    CHECK(dn_data_weight_classes(d, cw, &e) == DN_OK && d->w, "%s", e.msg);
    if (d->w) {
        CHECK_NEAR(d->w[0], 2.0 / 3, 1e-6);
        CHECK_NEAR(d->w[4], 1, 1e-6);
        CHECK_NEAR(d->w[5], 2, 1e-6);
    }
    /* Again: the new weights multiply the row weights now there. */
    const double twice[3] = { 2, 2, 0.5 };
    CHECK(dn_data_weight_classes(d, twice, &e) == DN_OK, "%s", e.msg);
    if (d->w) {
        CHECK_NEAR(d->w[0], 4.0 / 3, 1e-6);
        CHECK_NEAR(d->w[5], 1, 1e-6);
    }
    /* NULL removes the weights. */
    CHECK(dn_data_set_weights(d, NULL, &e) == DN_OK && d->w == NULL,
          "weights kept after NULL");
    dn_data_free(d);
}

/* A class in the schema with no row: weight 0, and the others averaged
 * over the two present (the split leaves class c out of the training
 * part, its schema still naming it). */
static void test_absent_class(void)
{
    dn_data *d = read_csv("abc2.csv", "x,y\n1,a\n2,a\n3,b\n4,c\n");
    if (!d) { CHECK(0, "cannot read abc2.csv"); return; }
    /* Only the first three rows, which hold no 'c'. */
    dn_data part = dn_data_view(3, d->d, 1, d->X, d->Y);
    part.schema = d->schema;
    double cw[3];
    dn_error e;
    CHECK(dn_class_weights_balanced(&part, cw, &e) == DN_OK, "%s", e.msg);
    CHECK_NEAR(cw[0], 3.0 / (2 * 2), 1e-12);
    CHECK_NEAR(cw[1], 3.0 / (2 * 1), 1e-12);
    CHECK(cw[2] == 0, "an absent class weighs %g", cw[2]);
    dn_data_free(d);
}

#define REFUSED(call, ...) do { \
    dn_error e_ = { DN_OK, "" }; \
    dn_status st_ = (call); \
    const char *want_[] = { __VA_ARGS__, NULL }; \
    int ok_ = st_ == DN_EARG; \
    for (int i_ = 0; want_[i_]; i_++) ok_ = ok_ && strstr(e_.msg, want_[i_]); \
    CHECK(ok_, "%s: status %d, %s", #call, (int)st_, e_.msg); \
} while (0)

static void test_refusals(void)
{
    dn_data *d = read_csv("ab.csv", "x,y\n1,a\n2,b\n3,a\n");
    dn_data *r = read_csv("reg.csv", "x,y\n1,0.5\n2,1.5\n3,2.25\n");
    if (!d || !r) { CHECK(0, "cannot read the fixtures"); return; }
    const float neg[3] = { 1, -1, 1 }, nan_[3] = { 1, 1, NAN },
                zero[3] = { 0, 0, 0 };
    REFUSED(dn_data_set_weights(d, neg, &e_), "row 2 has weight -1",
            "finite numbers >= 0");
    REFUSED(dn_data_set_weights(d, nan_, &e_), "row 3 has weight nan");
    REFUSED(dn_data_set_weights(d, zero, &e_), "every row has weight 0");
    CHECK(d->w == NULL, "a refused weight was kept");
    double cw[3] = { 1, 1, 1 };
    REFUSED(dn_class_weights_balanced(r, cw, &e_), "class weights need a "
            "classification data set");
    REFUSED(dn_data_weight_classes(r, cw, &e_), "class weights need a "
            "classification data set");
    REFUSED(dn_class_weights_balanced(NULL, cw, &e_), "classification");
    const double bad[2] = { 1, -0.5 }, inf[2] = { INFINITY, 1 };
    REFUSED(dn_data_weight_classes(d, bad, &e_), "class 1 has weight -0.5");
    REFUSED(dn_data_weight_classes(d, inf, &e_), "class 0 has weight inf");
    /* A target that is no class number. */
    float y1 = d->Y[1];
    d->Y[1] = 1.5f;
    REFUSED(dn_class_weights_balanced(d, cw, &e_), "row 2 has no class in "
            "0..1");
    REFUSED(dn_data_weight_classes(d, cw, &e_), "row 2 has no class in 0..1");
    d->Y[1] = y1;
    CHECK(d->w == NULL, "a refused class weight was kept");
    /* Weights put straight into a view are checked where they are read:
     * dn_evaluate refuses a negative one and an all-zero set. */
    dn_arch A = { .n_in = 1, .n_layers = 1, .loss = DN_LOSS_MSE };
    A.layer[0] = (dn_layer){ .units = 1, .act = DN_ACT_IDENTITY };
    dn_model *m = NULL;
    dn_error err;
    CHECK(dn_model_new(&A, &m, &err) == DN_OK, "%s", err.msg);
    float w[3] = { 1, -2, 1 };
    dn_data v = dn_data_view(3, 1, 1, r->X, r->Y);
    v.w = w;
    dn_metrics met;
    REFUSED(dn_evaluate(m, &v, &met, &e_), "the evaluation data: row 2 has "
            "weight -2", "finite numbers >= 0");
    w[1] = 0, w[0] = w[2] = 0;
    REFUSED(dn_evaluate(m, &v, &met, &e_), "the evaluation data: every row "
            "has weight 0");
    dn_model_free(m);
    dn_data_free(d);
    dn_data_free(r);
}

int main(void)
{
    if (check_tmpdir(dir)) return 1;
    RUN(test_balanced);
    RUN(test_absent_class);
    RUN(test_refusals);
    check_rmdir(dir);
    return check_done("test_weights");
}
