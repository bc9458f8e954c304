/* test_report_edges.c — dn_report at its edges, where tests/test_report.sh
 * (the figures against scikit-learn's on real data) does not go: every
 * refusal with its message, the cases sklearn defines by convention (a
 * class neither true nor predicted, one class only, a constant target),
 * and the figures' own limits (a figure the task does not have, a
 * stream that fails, many classes, thinned scatter plots). */
#include "check.h"
#include "descent.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* dn_report_new refuses, with a message holding `want`. */
static void refused(dn_task task, int n, int k, const float *out,
                    const float *Y, int bins, const char *want)
{
    dn_report *r = (dn_report *)1;
    dn_error e = { DN_OK, "" };
    dn_status st = dn_report_new(task, n, k, out, Y, bins, &r, &e);
    CHECK(st == DN_EARG && strstr(e.msg, want) && r == NULL,
          "want '%s': status %d, %s", want, (int)st, e.msg);
}

static void test_refusals(void)
{
    const float p[3] = { 0.2f, 0.9f, 0.5f }, y[3] = { 0, 1, 1 };
    refused((dn_task)7, 3, 2, p, y, 0, "task 7 is not one of");
    refused(DN_TASK_BINARY, 0, 2, p, y, 0, "no rows to report on");
    refused(DN_TASK_BINARY, 3, 3, p, y, 0, "a binary task has 2 classes, "
            "not 3");
    refused(DN_TASK_MULTICLASS, 3, 1, p, y, 0, "1 classes is out of range "
            "(2 to");
    refused(DN_TASK_REGRESSION, 3, 0, p, y, 0, "0 outputs is out of range "
            "(1 to");
    /* Refused by size before anything is read. */
    refused(DN_TASK_REGRESSION, 100000, 30000, p, y, 0, "100000 rows of "
            "30000 outputs is more than it can hold");
    refused(DN_TASK_BINARY, 3, 2, p, y, -1, "-1 calibration bins is out of "
            "range; use 1 to 1000");
    refused(DN_TASK_BINARY, 3, 2, p, y, 1001, "1001 calibration bins");
    const float nan_out[3] = { 0.2f, NAN, 0.5f };
    refused(DN_TASK_BINARY, 3, 2, nan_out, y, 0, "row 2: output 1 is not a "
            "finite number");
    const float big[3] = { 0.2f, 0.5f, 1.5f };
    refused(DN_TASK_BINARY, 3, 2, big, y, 0, "row 3: probability 1.5 is "
            "outside [0, 1]");
    const float nan_y[3] = { 0, 1, NAN };
    refused(DN_TASK_BINARY, 3, 2, p, nan_y, 0, "row 3: the target is not a "
            "finite number");
    refused(DN_TASK_REGRESSION, 3, 1, p, nan_y, 0, "row 3: the target is "
            "not a finite number");
    const float half[3] = { 0, 0.5f, 1 }, three[3] = { 0, 3, 1 },
                neg[3] = { -1, 0, 1 };
    refused(DN_TASK_BINARY, 3, 2, p, half, 0, "row 2: class 0.5 is not one "
            "of 0..1");
    refused(DN_TASK_BINARY, 3, 2, p, three, 0, "row 2: class 3 is not one "
            "of 0..1");
    refused(DN_TASK_BINARY, 3, 2, p, neg, 0, "row 1: class -1 is not one of "
            "0..1");
}

/* Three classes, the third neither true nor predicted: sklearn averages
 * over the classes present (labels = the union of y_true and y_pred). */
static void test_absent_class(void)
{
    const float out[12] = { 0.7f, 0.2f, 0.1f,   0.6f, 0.3f, 0.1f,
                            0.2f, 0.7f, 0.1f,   0.8f, 0.1f, 0.1f };
    const float y[4] = { 0, 1, 1, 0 };
    dn_report *r;
    dn_error e;
    CHECK(dn_report_new(DN_TASK_MULTICLASS, 4, 3, out, y, 0, &r, &e) ==
          DN_OK, "%s", e.msg);
    if (!r) return;
    /* confusion: 0→0 twice, 1→0, 1→1 */
    CHECK(r->confusion[0] == 2 && r->confusion[3] == 1 &&
          r->confusion[4] == 1 && r->confusion[8] == 0, "confusion %ld %ld "
          "%ld %ld", r->confusion[0], r->confusion[3], r->confusion[4],
          r->confusion[8]);
    CHECK(r->n_present == 2, "%d classes present", r->n_present);
    CHECK_NEAR(r->accuracy, 0.75, 1e-12);
    CHECK_NEAR(r->precision[0], 2.0 / 3, 1e-12);
    CHECK_NEAR(r->precision[1], 1, 1e-12);
    CHECK(r->precision[2] == 0 && r->recall[2] == 0 && r->f1[2] == 0,
          "the absent class: %g %g %g", r->precision[2], r->recall[2],
          r->f1[2]);
    CHECK_NEAR(r->macro_precision, (2.0 / 3 + 1) / 2, 1e-12);
    CHECK_NEAR(r->macro_recall, (1 + 0.5) / 2, 1e-12);
    CHECK_NEAR(r->macro_f1, (0.8 + 2.0 / 3) / 2, 1e-12);
    CHECK_NEAR(r->weighted_f1, (2 * 0.8 + 2 * 2.0 / 3) / 4, 1e-12);
    /* No row of class 2: its one-against-the-rest AUC does not exist and
     * the macro average leaves it out; the others rank perfectly. */
    CHECK(isnan(r->auc[2]), "auc[2] = %g", r->auc[2]);
    CHECK_NEAR(r->auc_macro, 1, 1e-12);
    CHECK(isnan(r->roc_auc) && isnan(r->average_precision), "three classes "
          "have no binary figures: %g %g", r->roc_auc, r->average_precision);
    dn_report_free(r);
}

/* Every row of one class: no AUC exists, and a binary report's figures
 * are NaN where sklearn's are undefined. */
static void test_one_class(void)
{
    const float p[3] = { 0.9f, 0.4f, 0.7f }, ones[3] = { 1, 1, 1 },
                zeros[3] = { 0, 0, 0 };
    dn_report *r;
    dn_error e;
    CHECK(dn_report_new(DN_TASK_BINARY, 3, 2, p, ones, 0, &r, &e) == DN_OK,
          "%s", e.msg);
    if (r) {
        CHECK(isnan(r->roc_auc) && isnan(r->auc_macro), "no negatives: auc "
              "%g, macro %g", r->roc_auc, r->auc_macro);
        CHECK(r->roc_n >= 2 && isnan(r->roc_fpr[1]) && r->roc_tpr[1] > 0,
              "no negatives: fpr %g tpr %g", r->roc_fpr[1], r->roc_tpr[1]);
        /* Every threshold's precision is 1: AP = 1. */
        CHECK_NEAR(r->average_precision, 1, 1e-12);
        dn_report_free(r);
    }
    CHECK(dn_report_new(DN_TASK_BINARY, 3, 2, p, zeros, 0, &r, &e) == DN_OK,
          "%s", e.msg);
    if (r) {
        CHECK(isnan(r->average_precision) && isnan(r->roc_tpr[1]) &&
              r->pr_recall[1] == 1 && r->pr_precision[1] == 0,
              "no positives: AP %g, tpr %g, recall %g, precision %g",
              r->average_precision, r->roc_tpr[1], r->pr_recall[1],
              r->pr_precision[1]);
        CHECK_NEAR(r->accuracy, 1.0 / 3, 1e-12);  /* 0.4 alone below 0.5 */
        dn_report_free(r);
    }
}

/* r2_score's force_finite: a constant target counts 1 when predicted
 * exactly, else 0. */
static void test_constant_target(void)
{
    const float y[3] = { 2, 2, 2 }, exact[3] = { 2, 2, 2 },
                off[3] = { 2, 3, 2 };
    dn_report *r;
    dn_error e;
    CHECK(dn_report_new(DN_TASK_REGRESSION, 3, 1, exact, y, 0, &r, &e) ==
          DN_OK, "%s", e.msg);
    if (r) {
        CHECK(r->r2 == 1 && r->mse == 0, "exact: r2 %g, mse %g", r->r2, r->mse);
        dn_report_free(r);
    }
    CHECK(dn_report_new(DN_TASK_REGRESSION, 3, 1, off, y, 0, &r, &e) ==
          DN_OK, "%s", e.msg);
    if (r) {
        CHECK(r->r2 == 0, "off: r2 %g", r->r2);
        CHECK_NEAR(r->mse, 1.0 / 3, 1e-12);
        CHECK_NEAR(r->mae, 1.0 / 3, 1e-12);
        CHECK_NEAR(r->rmse, sqrt(1.0 / 3), 1e-12);
        dn_report_free(r);
    }
}

/* Several sigmoid outputs (several labels per row) have no report. */
static void test_multilabel_model(void)
{
    dn_arch a;
    memset(&a, 0, sizeof a);
    a.n_in = 2;
    a.n_layers = 1;
    a.layer[0] = (dn_layer){ .units = 2, .act = DN_ACT_SIGMOID };
    a.loss = DN_LOSS_BCE;
    dn_model *m;
    dn_error e;
    if (dn_model_new(&a, &m, &e)) { CHECK(0, "%s", e.msg); return; }
    float X[4] = { 0, 1, 1, 0 }, Y[4] = { 0, 1, 1, 0 };
    dn_data d = dn_data_view(2, 2, 2, X, Y);
    dn_report *r = (dn_report *)1;
    dn_status st = dn_report_model(m, &d, 0, &r, &e);
    CHECK(st == DN_EARG && strstr(e.msg, "2 sigmoid outputs") && !r,
          "status %d: %s", (int)st, e.msg);
    dn_model_free(m);
}

/* The SVG of fig into memory; its status, the text in *svg. */
static dn_status draw(const dn_report *r, dn_fig fig,
                      const char *const *names, char **svg, dn_error *e)
{
    size_t n;
    FILE *f = open_memstream(svg, &n);
    dn_status st = dn_report_svg(r, fig, names, f, e);
    fclose(f);
    return st;
}

static int count(const char *s, const char *what)
{
    int n = 0;
    for (; (s = strstr(s, what)); s++) n++;
    return n;
}

static void test_figures(void)
{
    const float out[4] = { 0.1f, 0.8f, 0.6f, 0.3f }, y[4] = { 0, 1, 0, 1 };
    dn_report *bin, *reg;
    dn_error e;
    char *svg = NULL;
    if (dn_report_new(DN_TASK_BINARY, 4, 2, out, y, 0, &bin, &e) ||
        dn_report_new(DN_TASK_REGRESSION, 4, 1, out, y, 0, &reg, &e)) {
        CHECK(0, "%s", e.msg);
        return;
    }
    CHECK(!dn_report_has_fig(NULL, DN_FIG_ROC) &&
          !dn_report_has_fig(bin, DN_FIG_COUNT) &&
          !dn_report_has_fig(reg, DN_FIG_ROC) &&
          dn_report_has_fig(reg, DN_FIG_RESIDUALS), "has_fig");
    dn_status st = draw(reg, DN_FIG_ROC, NULL, &svg, &e);
    CHECK(st == DN_EARG && strstr(e.msg, "figure 1 is not drawn for a "
          "regression report") && !strstr(e.msg, "classes"), "%d: %s",
          (int)st, e.msg);
    free(svg);
    st = draw(bin, DN_FIG_RESIDUALS, NULL, &svg, &e);
    CHECK(st == DN_EARG && strstr(e.msg, "binary report of this many "
          "classes"), "%d: %s", (int)st, e.msg);
    free(svg);
    /* A stream that cannot be written. */
    FILE *ro = fopen("/dev/null", "r");
    st = ro ? dn_report_svg(bin, DN_FIG_ROC, NULL, ro, &e) : DN_EIO;
    CHECK(st == DN_EIO && strstr(e.msg, "writing a figure failed"), "%d: %s",
          (int)st, e.msg);
    if (ro) fclose(ro);
    /* Class names: a NULL one shows as its number. */
    const char *names[2] = { "cat", NULL };
    CHECK(draw(bin, DN_FIG_CONFUSION, names, &svg, &e) == DN_OK, "%s", e.msg);
    CHECK(svg && strstr(svg, ">cat<") && strstr(svg, ">1<"), "labels: %s",
          svg ? svg : "");
    free(svg);
    dn_report_free(bin);
    dn_report_free(reg);
}

/* Twenty classes: smaller labels, cells too small for their counts. */
static void test_many_classes(void)
{
    enum { K = 20, N = 40 };
    float *out = calloc((size_t)N * K, sizeof *out), y[N];
    for (int i = 0; i < N; i++) {
        y[i] = (float)(i % K);
        out[(size_t)i * K + (i * 7) % K] = 1;
    }
    dn_report *r;
    dn_error e;
    char *svg = NULL;
    CHECK(dn_report_new(DN_TASK_MULTICLASS, N, K, out, y, 0, &r, &e) ==
          DN_OK, "%s", e.msg);
    if (r) {
        CHECK(draw(r, DN_FIG_CONFUSION, NULL, &svg, &e) == DN_OK, "%s", e.msg);
        /* 400 cells, 40 class labels, and no count in any cell */
        CHECK(svg && count(svg, "<rect") >= K * K &&
              count(svg, "font-size=\"8\"") == 2 * K, "%d rects, %d small "
              "labels", svg ? count(svg, "<rect") : -1,
              svg ? count(svg, "font-size=\"8\"") : -1);
        free(svg);
        dn_report_free(r);
    }
    free(out);
}

/* Large sets: the scatter plots thin to at most 5,000 dots, and a
 * curve of more than 2,048 points still gets its legend. */
static void test_large(void)
{
    enum { N = 6000 };
    float *out = malloc(N * sizeof *out), *y = malloc(N * sizeof *y);
    for (int i = 0; i < N; i++) {
        out[i] = (float)((i * 7919) % N) / N;
        y[i] = (float)((i * 104729 + i / 3) % 2);
    }
    dn_report *reg = NULL, *bin = NULL;
    dn_error e;
    char *svg = NULL;
    if (dn_report_new(DN_TASK_REGRESSION, N, 1, out, y, 0, &reg, &e) ||
        dn_report_new(DN_TASK_BINARY, N, 2, out, y, 0, &bin, &e)) {
        CHECK(0, "%s", e.msg);
        dn_report_free(reg);
        free(out);
        free(y);
        return;
    }
    CHECK(draw(reg, DN_FIG_RESIDUALS, NULL, &svg, &e) == DN_OK, "%s", e.msg);
    int dots = svg ? count(svg, "<circle") : -1;
    CHECK(dots > 2500 && dots <= 5000, "%d dots of %d rows", dots, N);
    free(svg);
    CHECK(draw(reg, DN_FIG_PREDICTED, NULL, &svg, &e) == DN_OK, "%s", e.msg);
    dots = svg ? count(svg, "<circle") : -1;
    CHECK(dots > 2500 && dots <= 5000, "%d dots of %d rows", dots, N);
    free(svg);
    CHECK(bin->pr_n > 2048, "%d PR points", bin->pr_n);
    CHECK(draw(bin, DN_FIG_PR, NULL, &svg, &e) == DN_OK, "%s", e.msg);
    char ap[32];
    snprintf(ap, sizeof ap, "AP %.4f", bin->average_precision);
    CHECK(svg && strstr(svg, "class=\"legend\"") && strstr(svg, ap),
          "the PR curve has no legend '%s'", ap);
    free(svg);
    dn_report_free(reg);
    dn_report_free(bin);
    free(out);
    free(y);
}

int main(void)
{
    RUN(test_refusals);
    RUN(test_absent_class);
    RUN(test_one_class);
    RUN(test_constant_target);
    RUN(test_multilabel_model);
    RUN(test_figures);
    RUN(test_many_classes);
    RUN(test_large);
    return check_done("test_report_edges");
}
