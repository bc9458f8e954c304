/* report.c — the figures of an evaluation report, from predictions and
 * targets: the confusion matrix and what is read from it (precision,
 * recall, F1, their averages), log loss, ROC and precision–recall
 * curves with their areas, calibration, and the regression errors.
 * Every definition is scikit-learn's (see descent.h), so the same
 * predictions give the same numbers in both; tests/report_check.py
 * holds them to 1e-9. */
#include "data/data.h"
#include "nn/nn.h"
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BINS 1000

void dn_report_free(dn_report *r)
{
    if (!r) return;
    DN_FREE_ALL(r->confusion, r->support, r->precision, r->recall, r->f1,
                r->auc, r->roc_fpr, r->roc_tpr, r->roc_threshold,
                r->pr_recall, r->pr_precision, r->pr_threshold, r->bin_count,
                r->bin_conf, r->bin_acc, r->y_true, r->y_pred, r);
}

/* ---- checks ---- */

static dn_status check_inputs(dn_task task, int n, int k, const float *out,
                              const float *Y, int n_bins, dn_error *err)
{
    if (task != DN_TASK_REGRESSION && task != DN_TASK_BINARY &&
        task != DN_TASK_MULTICLASS)
        return dn_fail(err, DN_EARG, "report: task %d is not one of "
                       "regression, binary, multiclass", (int)task);
    if (n < 1)
        return dn_fail(err, DN_EARG, "report: no rows to report on");
    if (task == DN_TASK_BINARY && k != 2)
        return dn_fail(err, DN_EARG, "report: a binary task has 2 classes, "
                       "not %d", k);
    if (k < (task == DN_TASK_REGRESSION ? 1 : 2) || k > DN_MAX_WIDTH)
        return dn_fail(err, DN_EARG, "report: %d %s is out of range (%d to "
                       "%ld)", k, task == DN_TASK_REGRESSION ? "outputs"
                       : "classes", task == DN_TASK_REGRESSION ? 1 : 2,
                       DN_MAX_WIDTH);
    if ((double)n * k > (double)DN_MAX_ELEMENTS)
        return dn_fail(err, DN_EARG, "report: %d rows of %d outputs is more "
                       "than it can hold", n, k);
    if (n_bins < 0 || n_bins > MAX_BINS)
        return dn_fail(err, DN_EARG, "report: %d calibration bins is out of "
                       "range; use 1 to %d (0: 10)", n_bins, MAX_BINS);
    const int cols = task == DN_TASK_BINARY ? 1 : k;
    const int ycols = task == DN_TASK_REGRESSION ? k : 1;
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < cols; j++) {
            float v = out[(size_t)i * cols + j];
            if (!isfinite(v))
                return dn_fail(err, DN_EARG, "report: row %d: output %d is "
                               "not a finite number", i + 1, j + 1);
            if (task != DN_TASK_REGRESSION && !(v >= 0 && v <= 1))
                return dn_fail(err, DN_EARG, "report: row %d: probability "
                               "%g is outside [0, 1]", i + 1, v);
        }
        for (int j = 0; j < ycols; j++) {
            float y = Y[(size_t)i * ycols + j];
            if (!isfinite(y))
                return dn_fail(err, DN_EARG, "report: row %d: the target is "
                               "not a finite number", i + 1);
            if (task != DN_TASK_REGRESSION &&
                (y != floorf(y) || y < 0 || y >= k))
                return dn_fail(err, DN_EARG, "report: row %d: class %g is "
                               "not one of 0..%d", i + 1, y, k - 1);
        }
    }
    return DN_OK;
}

/* ---- classification ---- */

/* P(class c) of row i. */
static double prob(dn_task task, int k, const float *out, int i, int c)
{
    if (task == DN_TASK_BINARY)
        return c ? (double)out[i] : 1.0 - (double)out[i];
    return out[(size_t)i * k + c];
}

/* The predicted class, as dn_predict_class picks it. */
static int predicted(dn_task task, int k, const float *out, int i)
{
    if (task == DN_TASK_BINARY) return out[i] >= 0.5f;
    const float *o = out + (size_t)i * k;
    int best = 0;
    for (int j = 1; j < k; j++) if (o[j] > o[best]) best = j;
    return best;
}

static double ratio(double a, double b) { return b > 0 ? a / b : 0; }

/* Counts, per-class precision, recall and F1, and their averages. */
static void confusion(dn_report *r, const float *out, const float *Y)
{
    const int n = r->n, k = r->k;
    long right = 0;
    for (int i = 0; i < n; i++) {
        int t = (int)Y[i], p = predicted(r->task, k, out, i);
        r->confusion[(size_t)t * k + p]++;
        r->support[t]++;
        right += t == p;
    }
    r->accuracy = (double)right / n;
    double sp = 0, sr = 0, sf = 0, wp = 0, wr = 0, wf = 0;
    r->n_present = 0;
    for (int c = 0; c < k; c++) {
        long tp = r->confusion[(size_t)c * k + c], col = 0;
        for (int t = 0; t < k; t++) col += r->confusion[(size_t)t * k + c];
        r->precision[c] = ratio((double)tp, (double)col);
        r->recall[c] = ratio((double)tp, (double)r->support[c]);
        r->f1[c] = ratio(2.0 * tp, (double)(r->support[c] + col));
        if (!r->support[c] && !col) continue;  /* neither true nor predicted */
        r->n_present++;
        sp += r->precision[c];
        sr += r->recall[c];
        sf += r->f1[c];
        wp += r->precision[c] * r->support[c];
        wr += r->recall[c] * r->support[c];
        wf += r->f1[c] * r->support[c];
    }
    r->macro_precision = sp / r->n_present;
    r->macro_recall = sr / r->n_present;
    r->macro_f1 = sf / r->n_present;
    r->weighted_precision = wp / n;
    r->weighted_recall = wr / n;
    r->weighted_f1 = wf / n;
}

/* sklearn's log_loss: clip to [eps, 1 − eps], renormalize each row. */
static void log_loss(dn_report *r, const float *out, const float *Y)
{
    const double eps = DBL_EPSILON;
    double sum = 0;
    for (int i = 0; i < r->n; i++) {
        double tot = 0, mine = 0;
        int y = (int)Y[i];
        if (r->task == DN_TASK_BINARY) {
            double p1 = fmin(fmax((double)out[i], eps), 1 - eps);
            tot = (1 - p1) + p1;
            mine = y ? p1 : 1 - p1;
        } else {
            for (int c = 0; c < r->k; c++) {
                double p = fmin(fmax(prob(r->task, r->k, out, i, c), eps),
                                1 - eps);
                tot += p;
                if (c == y) mine = p;
            }
        }
        sum -= log(mine / tot);
    }
    r->log_loss = sum / r->n;
}

typedef struct { double s; int pos; } scored;

static int by_score_desc(const void *a, const void *b)
{
    double x = ((const scored *)a)->s, y = ((const scored *)b)->s;
    return (x < y) - (x > y);
}

/* The cumulative counts at each distinct score, descending: tp[j] and
 * fp[j] rows with a score ≥ thr[j].  Returns the number of thresholds. */
static int thresholds(scored *v, int n, double *tp, double *fp, double *thr)
{
    qsort(v, (size_t)n, sizeof *v, by_score_desc);
    int m = 0;
    double t = 0, f = 0;
    for (int i = 0; i < n; i++) {
        if (v[i].pos) t++; else f++;
        if (i + 1 < n && v[i + 1].s == v[i].s) continue;
        tp[m] = t;
        fp[m] = f;
        thr[m++] = v[i].s;
    }
    return m;
}

/* The area under the ROC curve from the thresholds' counts: trapezoids,
 * which give tied scores half credit (Mann–Whitney). */
static double roc_area(const double *tp, const double *fp, int m)
{
    const double P = tp[m - 1], N = fp[m - 1];
    if (P <= 0 || N <= 0) return NAN;
    double area = 0, t0 = 0, f0 = 0;
    for (int j = 0; j < m; j++) {
        area += (fp[j] - f0) * (tp[j] + t0) / 2;
        t0 = tp[j];
        f0 = fp[j];
    }
    return area / (P * N);
}

/* The binary curves of score s = P(class 1): ROC as roc_curve with
 * drop_intermediate, PR at every distinct threshold, and their areas. */
static dn_status binary_curves(dn_report *r, const double *tp,
                               const double *fp, const double *thr, int m,
                               dn_error *err)
{
    const double P = tp[m - 1], N = fp[m - 1];
    r->roc_fpr = malloc(((size_t)m + 1) * sizeof(double));
    r->roc_tpr = malloc(((size_t)m + 1) * sizeof(double));
    r->roc_threshold = malloc(((size_t)m + 1) * sizeof(double));
    r->pr_recall = malloc(((size_t)m + 1) * sizeof(double));
    r->pr_precision = malloc(((size_t)m + 1) * sizeof(double));
    r->pr_threshold = malloc(((size_t)m + 1) * sizeof(double));
    if (!r->roc_fpr || !r->roc_tpr || !r->roc_threshold || !r->pr_recall ||
        !r->pr_precision || !r->pr_threshold)
        return dn_fail(err, DN_ENOMEM, "report: out of memory for the curves "
                       "of %d thresholds", m);
    int q = 0;
    r->roc_fpr[q] = r->roc_tpr[q] = 0;
    r->roc_threshold[q++] = INFINITY;
    for (int j = 0; j < m; j++) {
        /* A point whose neighbours step alike in both counts lies on
         * their straight line: roc_curve drops it. */
        if (m > 2 && j > 0 && j < m - 1 &&
            fp[j + 1] - 2 * fp[j] + fp[j - 1] == 0 &&
            tp[j + 1] - 2 * tp[j] + tp[j - 1] == 0)
            continue;
        r->roc_fpr[q] = N > 0 ? fp[j] / N : NAN;
        r->roc_tpr[q] = P > 0 ? tp[j] / P : NAN;
        r->roc_threshold[q++] = thr[j];
    }
    r->roc_n = q;
    r->roc_auc = roc_area(tp, fp, m);
    r->pr_recall[0] = 0;
    r->pr_precision[0] = 1;
    r->pr_threshold[0] = NAN;
    double ap = 0, r0 = 0;
    for (int j = 0; j < m; j++) {
        double rec = P > 0 ? tp[j] / P : 1, pre = tp[j] / (tp[j] + fp[j]);
        r->pr_recall[j + 1] = rec;
        r->pr_precision[j + 1] = pre;
        r->pr_threshold[j + 1] = thr[j];
        ap += (rec - r0) * pre;
        r0 = rec;
    }
    r->pr_n = m + 1;
    r->average_precision = P > 0 ? ap : NAN;
    return DN_OK;
}

/* One-against-the-rest AUC of every class; for two classes also the
 * curves of class 1. */
static dn_status ranking(dn_report *r, const float *out, const float *Y,
                         dn_error *err)
{
    const int n = r->n;
    scored *v = malloc((size_t)n * sizeof *v);
    double *tp = malloc((size_t)n * 3 * sizeof *tp);
    if (!v || !tp) {
        free(v);
        free(tp);
        return dn_fail(err, DN_ENOMEM, "report: out of memory ranking %d "
                       "rows", n);
    }
    double *fp = tp + n, *thr = fp + n;
    dn_status st = DN_OK;
    double sum = 0;
    int finite = 0;
    for (int c = 0; c < r->k && !st; c++) {
        for (int i = 0; i < n; i++)
            v[i] = (scored){ prob(r->task, r->k, out, i, c), (int)Y[i] == c };
        int m = thresholds(v, n, tp, fp, thr);
        r->auc[c] = roc_area(tp, fp, m);
        if (isfinite(r->auc[c])) { sum += r->auc[c]; finite++; }
        if (r->k == 2 && c == 1) st = binary_curves(r, tp, fp, thr, m, err);
    }
    r->auc_macro = finite ? sum / finite : NAN;
    if (r->k != 2) r->roc_auc = r->average_precision = NAN;
    free(v);
    free(tp);
    return st;
}

/* Equal-width bins as calibration_curve assigns them: the number of
 * inner edges j/B (computed as numpy's linspace does) below p. */
static int bin_of(double p, int B)
{
    const double step = 1.0 / B;
    int b = 0;
    while (b < B - 1 && (b + 1) * step < p) b++;
    return b;
}

static void calibration(dn_report *r, const float *out, const float *Y)
{
    const int B = r->n_bins;
    for (int b = 0; b < B; b++) r->bin_conf[b] = r->bin_acc[b] = 0;
    for (int i = 0; i < r->n; i++) {
        double conf, hit;
        int y = (int)Y[i];
        if (r->k == 2) {
            conf = prob(r->task, 2, out, i, 1);
            hit = y == 1;
        } else {
            int p = predicted(r->task, r->k, out, i);
            conf = prob(r->task, r->k, out, i, p);
            hit = p == y;
        }
        int b = bin_of(conf, B);
        r->bin_count[b]++;
        r->bin_conf[b] += conf;
        r->bin_acc[b] += hit;
    }
    double ece = 0;
    for (int b = 0; b < B; b++) {
        if (!r->bin_count[b]) {
            r->bin_conf[b] = r->bin_acc[b] = NAN;
            continue;
        }
        r->bin_conf[b] /= (double)r->bin_count[b];
        r->bin_acc[b] /= (double)r->bin_count[b];
        ece += (double)r->bin_count[b] / r->n *
               fabs(r->bin_acc[b] - r->bin_conf[b]);
    }
    r->ece = ece;
}

/* ---- regression ---- */

static void regression(dn_report *r, const float *out, const float *Y)
{
    const int n = r->n, k = r->k;
    double mse = 0, rmse = 0, mae = 0, r2 = 0;
    for (int j = 0; j < k; j++) {
        double mean = 0, sse = 0, sae = 0, sst = 0;
        for (int i = 0; i < n; i++) mean += Y[(size_t)i * k + j];
        mean /= n;
        for (int i = 0; i < n; i++) {
            double y = Y[(size_t)i * k + j], e = y - out[(size_t)i * k + j];
            sse += e * e;
            sae += fabs(e);
            sst += (y - mean) * (y - mean);
        }
        mse += sse / n;
        rmse += sqrt(sse / n);
        mae += sae / n;
        r2 += sst > 0 ? 1 - sse / sst : sse == 0 ? 1 : 0;
    }
    r->mse = mse / k;
    r->rmse = rmse / k;
    r->mae = mae / k;
    r->r2 = r2 / k;
    for (int i = 0; i < n; i++) {
        r->y_true[i] = Y[(size_t)i * k];
        r->y_pred[i] = out[(size_t)i * k];
    }
}

dn_status dn_report_new(dn_task task, int n, int k, const float *out,
                        const float *Y, int n_bins, dn_report **rep,
                        dn_error *err)
{
    DN_NEED(out);
    DN_NEED(Y);
    DN_NEED(rep);
    *rep = NULL;
    if (!n_bins) n_bins = 10;
    dn_status st = check_inputs(task, n, k, out, Y, n_bins, err);
    if (st) return st;
    dn_report *r = calloc(1, sizeof *r);
    if (!r) return dn_fail(err, DN_ENOMEM, "report: out of memory");
    r->task = task;
    r->n = n;
    r->k = k;
    r->accuracy = r->log_loss = r->auc_macro = r->roc_auc = NAN;
    r->average_precision = r->ece = NAN;
    r->macro_precision = r->macro_recall = r->macro_f1 = NAN;
    r->weighted_precision = r->weighted_recall = r->weighted_f1 = NAN;
    r->mse = r->rmse = r->mae = r->r2 = NAN;
    const size_t K = (size_t)k;
    if (task == DN_TASK_REGRESSION) {
        r->y_true = malloc((size_t)n * sizeof *r->y_true);
        r->y_pred = malloc((size_t)n * sizeof *r->y_pred);
        if (!r->y_true || !r->y_pred) goto oom;
        regression(r, out, Y);
        *rep = r;
        return DN_OK;
    }
    r->n_bins = n_bins;
    r->confusion = calloc(K * K, sizeof *r->confusion);
    r->support = calloc(K, sizeof *r->support);
    r->precision = malloc(K * sizeof *r->precision);
    r->recall = malloc(K * sizeof *r->recall);
    r->f1 = malloc(K * sizeof *r->f1);
    r->auc = malloc(K * sizeof *r->auc);
    r->bin_count = calloc((size_t)n_bins, sizeof *r->bin_count);
    r->bin_conf = malloc((size_t)n_bins * sizeof *r->bin_conf);
    r->bin_acc = malloc((size_t)n_bins * sizeof *r->bin_acc);
    if (!r->confusion || !r->support || !r->precision || !r->recall ||
        !r->f1 || !r->auc || !r->bin_count || !r->bin_conf || !r->bin_acc)
        goto oom;
    confusion(r, out, Y);
    log_loss(r, out, Y);
    calibration(r, out, Y);
    if ((st = ranking(r, out, Y, err))) {
        dn_report_free(r);
        return st;
    }
    *rep = r;
    return DN_OK;
oom:
    dn_report_free(r);
    return dn_fail(err, DN_ENOMEM, "report: out of memory for %d rows", n);
}

dn_status dn_report_model(const dn_model *m, const dn_data *d, int n_bins,
                          dn_report **rep, dn_error *err)
{
    DN_NEED(m);
    DN_NEED(rep);
    *rep = NULL;
    dn_status st = dn_data_check(m, d, "report", 1, err);
    if (st) return st;
    const dn_arch *A = dn_model_arch(m);
    const int k = dn_model_n_out(m);
    dn_task task = A->loss == DN_LOSS_MSE ? DN_TASK_REGRESSION
                 : A->loss == DN_LOSS_CE ? DN_TASK_MULTICLASS : DN_TASK_BINARY;
    if (task == DN_TASK_BINARY && k != 1)
        return dn_fail(err, DN_EARG, "report: the model has %d sigmoid "
                       "outputs with binary cross-entropy (several labels "
                       "per row); a report covers one binary, multiclass or "
                       "regression target", k);
    float *out = malloc((size_t)d->n * k * sizeof *out);
    float *X = d->X ? NULL : malloc((size_t)d->n * d->d * sizeof *X);
    if (!out || (!d->X && !X)) {
        free(out);
        free(X);
        return dn_fail(err, DN_ENOMEM, "report: out of memory for %d rows",
                       d->n);
    }
    /* Byte inputs (IDX pixels) as the floats dn_predict takes. */
    for (int i = 0; !d->X && i < d->n; i++) {
        float *row = X + (size_t)i * d->d;
        const float *src = dn_data_row(d, i, row);
        if (src != row) memcpy(row, src, (size_t)d->d * sizeof *row);
    }
    st = dn_predict(m, d->X ? d->X : X, d->n, out, err);
    if (!st)
        st = dn_report_new(task, d->n, task == DN_TASK_BINARY ? 2 : k, out,
                           d->Y, n_bins, rep, err);
    free(out);
    free(X);
    return st;
}
