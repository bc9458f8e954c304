/* report_plot.c — the figures of an evaluation report as SVG elements:
 * the confusion matrix, ROC and precision–recall curves, the
 * reliability diagram, and for regression the residuals and predicted
 * against true.  Drawn with svg.c's pieces; each series is a <path>
 * (or a <g> of points) whose id names it. */
#include "watch/svg.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FIG_W 440
#define FIG_H 380
#define MAX_DOTS 5000  /* scatter plots thin larger sets to this many */

int dn_report_has_fig(const dn_report *r, dn_fig fig)
{
    if (!r) return 0;
    const int classify = r->task != DN_TASK_REGRESSION;
    switch (fig) {
    case DN_FIG_CONFUSION: case DN_FIG_CALIBRATION: return classify;
    case DN_FIG_ROC: case DN_FIG_PR: return classify && r->k == 2 &&
                                            r->roc_fpr != NULL;
    case DN_FIG_RESIDUALS: case DN_FIG_PREDICTED: return !classify;
    default: return 0;
    }
}

static dn_svg_frame unit_frame(void)
{
    return (dn_svg_frame){ 72, 40, FIG_W - 72 - 24, FIG_H - 40 - 60,
                           -0.02, 1.02, -0.02, 1.02, 0 };
}

/* The dashed reference line from (x0, y0) to (x1, y1). */
static void guide(FILE *o, const dn_svg_frame *f, const char *id, double x0,
                  double y0, double x1, double y1)
{
    dn_fprintf(o, "<line id=\"%s\" x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" "
               "y2=\"%.2f\" stroke=\"#888888\" stroke-dasharray=\"5 4\"/>\n",
               id, dn_svg_px(f, x0), dn_svg_py(f, y0), dn_svg_px(f, x1),
               dn_svg_py(f, y1));
}

/* A one-line legend, placed where it hides the fewest points. */
static void legend1(FILE *o, const dn_svg_frame *f, const char *label,
                    const double *x, const double *y, int n)
{
    const int cap = n < 2048 ? n : 2048, step = n > 2048 ? n / 2048 + 1 : 1;
    double xs[2048], ys[2048];
    int np = 0;
    for (int i = 0; i < n && np < cap; i += step) {
        xs[np] = dn_svg_px(f, x[i]);
        ys[np++] = dn_svg_py(f, y[i]);
    }
    const char *lab[1] = { label }, *col[1] = { dn_svg_color[0] },
               *dash[1] = { NULL };
    dn_svg_legend(o, f, lab, col, dash, 1, xs, ys, np);
}

static void roc(FILE *o, const dn_report *r)
{
    dn_svg_frame f = unit_frame();
    dn_svg_axes(o, &f, "false positive rate", "true positive rate",
                "ROC curve", 0);
    guide(o, &f, "chance", 0, 0, 1, 1);
    dn_svg_series(o, &f, "roc", dn_svg_color[0], NULL, r->roc_fpr, r->roc_tpr,
                  r->roc_n);
    char lab[64];
    dn_snprintf(lab, sizeof lab, "AUC %.4f", r->roc_auc);
    legend1(o, &f, lab, r->roc_fpr, r->roc_tpr, r->roc_n);
}

static int pr(FILE *o, const dn_report *r)
{
    /* Steps: precision P_i holds over recall (R_{i-1}, R_i], the area
     * that average precision sums. */
    const int m = r->pr_n - 1;
    double *x = malloc((size_t)(2 * m + 1) * sizeof *x);
    double *y = malloc((size_t)(2 * m + 1) * sizeof *y);
    if (!x || !y) { free(x); free(y); return -1; }
    int q = 0;
    for (int i = 1; i <= m; i++) {
        x[q] = r->pr_recall[i - 1]; y[q++] = r->pr_precision[i];
        x[q] = r->pr_recall[i];     y[q++] = r->pr_precision[i];
    }
    dn_svg_frame f = unit_frame();
    dn_svg_axes(o, &f, "recall", "precision", "Precision-recall curve", 0);
    double base = r->support[1] / (double)r->n;
    guide(o, &f, "prevalence", 0, base, 1, base);
    dn_svg_series(o, &f, "pr", dn_svg_color[0], NULL, x, y, q);
    char lab[64];
    dn_snprintf(lab, sizeof lab, "AP %.4f", r->average_precision);
    legend1(o, &f, lab, x, y, q);
    free(x);
    free(y);
    return 0;
}

static int calibration(FILE *o, const dn_report *r)
{
    dn_svg_frame f = unit_frame();
    const int two = r->k == 2, B = r->n_bins;
    dn_svg_axes(o, &f, two ? "mean predicted P(class 1)" : "mean confidence",
                two ? "fraction of class 1" : "accuracy",
                "Calibration (reliability)", 0);
    /* The bins' counts as bars along the bottom, a fifth of the height
     * for the fullest. */
    long most = 0;
    for (int b = 0; b < B; b++) if (r->bin_count[b] > most) most = r->bin_count[b];
    fputs("<g id=\"bin_counts\" fill=\"#c6dbef\">\n", o);
    for (int b = 0; b < B && most; b++) {
        double x0 = dn_svg_px(&f, (double)b / B), x1 = dn_svg_px(&f, (b + 1.0) / B);
        double h = 0.2 * f.h * (double)r->bin_count[b] / (double)most;
        dn_fprintf(o, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
                   "height=\"%.2f\"><title>%ld rows</title></rect>\n", x0 + 1,
                   f.y + f.h - h, x1 - x0 - 2, h, r->bin_count[b]);
    }
    fputs("</g>\n", o);
    guide(o, &f, "perfect", 0, 0, 1, 1);
    double *x = malloc((size_t)B * 2 * sizeof *x);
    if (!x) return -1;
    double *y = x + B;
    int q = 0;
    for (int b = 0; b < B; b++)
        if (r->bin_count[b]) { x[q] = r->bin_conf[b]; y[q++] = r->bin_acc[b]; }
    dn_svg_series(o, &f, "calibration", dn_svg_color[0], NULL, x, y, q);
    char lab[64];
    dn_snprintf(lab, sizeof lab, "ECE %.4f (%d bins)", r->ece, B);
    legend1(o, &f, lab, x, y, q);
    free(x);
    return 0;
}

/* Points as small circles, at most MAX_DOTS of them (evenly spaced). */
static void dots(FILE *o, const dn_svg_frame *f, const char *id,
                 const double *x, const double *y, int n)
{
    int step = n > MAX_DOTS ? (n + MAX_DOTS - 1) / MAX_DOTS : 1;
    dn_fprintf(o, "<g id=\"%s\" fill=\"%s\" fill-opacity=\"0.55\">\n", id,
               dn_svg_color[0]);
    for (int i = 0; i < n; i += step)
        dn_fprintf(o, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"2.2\"/>\n",
                   dn_svg_px(f, x[i]), dn_svg_py(f, y[i]));
    fputs("</g>\n", o);
}

static dn_svg_frame data_frame(const double *x, const double *y, int n,
                               int same_scale)
{
    dn_svg_frame f = unit_frame();
    const double *ax[1] = { x }, *ay[1] = { y };
    dn_svg_range(ax, 1, n, 0, &f.xlo, &f.xhi);
    dn_svg_range(ay, 1, n, 0, &f.ylo, &f.yhi);
    if (same_scale) {
        f.xlo = f.ylo = fmin(f.xlo, f.ylo);
        f.xhi = f.yhi = fmax(f.xhi, f.yhi);
    }
    dn_svg_pad(&f.xlo, &f.xhi, 0);
    if (same_scale) { f.ylo = f.xlo; f.yhi = f.xhi; }
    else dn_svg_pad(&f.ylo, &f.yhi, 0);
    return f;
}

static int residuals(FILE *o, const dn_report *r)
{
    double *e = malloc((size_t)r->n * sizeof *e);
    if (!e) return -1;
    for (int i = 0; i < r->n; i++) e[i] = r->y_true[i] - r->y_pred[i];
    dn_svg_frame f = data_frame(r->y_pred, e, r->n, 0);
    dn_svg_axes(o, &f, "predicted", "residual (true - predicted)",
                "Residuals", 0);
    guide(o, &f, "zero", f.xlo, 0, f.xhi, 0);
    dots(o, &f, "residuals", r->y_pred, e, r->n);
    free(e);
    return 0;
}

static void predicted_true(FILE *o, const dn_report *r)
{
    dn_svg_frame f = data_frame(r->y_true, r->y_pred, r->n, 1);
    dn_svg_axes(o, &f, "true", "predicted", "Predicted against true", 0);
    guide(o, &f, "identity", f.xlo, f.xlo, f.xhi, f.xhi);
    dots(o, &f, "predicted", r->y_true, r->y_pred, r->n);
}

static void confusion(FILE *o, const dn_report *r, const char *const *names)
{
    const int k = r->k;
    const double side = 270, cell = side / k, x0 = 120, y0 = 48;
    dn_svg_text(o, x0 + side / 2, 22, "middle", 14, "font-weight=\"bold\"",
                "Confusion matrix");
    dn_svg_text(o, x0 + side / 2, 38, "middle", 11, "fill=\"#555555\"",
                "shade: share of the true class");
    char s[64];
    const int label_size = k <= 12 ? 11 : 8;
    for (int c = 0; c < k; c++) {
        const char *nm = names && names[c] ? names[c] : NULL;
        if (!nm) { snprintf(s, sizeof s, "%d", c); nm = s; }
        char cut[24];
        snprintf(cut, sizeof cut, "%.12s", nm);
        dn_svg_text(o, x0 - 6, y0 + (c + 0.5) * cell + 4, "end", label_size,
                    NULL, cut);
        dn_svg_text(o, x0 + (c + 0.5) * cell, y0 + side + 14, "middle",
                    label_size, NULL, cut);
    }
    dn_svg_text(o, x0 + side / 2, y0 + side + 34, "middle", 13, NULL,
                "predicted class");
    char rot[96];
    dn_snprintf(rot, sizeof rot, "transform=\"rotate(-90 %.1f %.1f)\"", 22.0,
                y0 + side / 2);
    dn_svg_text(o, 22, y0 + side / 2, "middle", 13, rot, "true class");
    fputs("<g id=\"confusion\">\n", o);
    for (int t = 0; t < k; t++)
        for (int p = 0; p < k; p++) {
            long v = r->confusion[(size_t)t * k + p];
            double share = r->support[t] ? (double)v / r->support[t] : 0;
            /* white to the first colour, by the share */
            int R = (int)lround(255 - share * (255 - 0x1f));
            int G = (int)lround(255 - share * (255 - 0x77));
            int Bc = (int)lround(255 - share * (255 - 0xb4));
            dn_fprintf(o, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
                       "height=\"%.2f\" fill=\"#%02x%02x%02x\" "
                       "stroke=\"#dddddd\"/>\n", x0 + p * cell, y0 + t * cell,
                       cell, cell, R, G, Bc);
            if (cell >= 14) {
                snprintf(s, sizeof s, "%ld", v);
                dn_svg_text(o, x0 + (p + 0.5) * cell, y0 + (t + 0.5) * cell + 4,
                            "middle", cell >= 30 ? 12 : 8, share > 0.5
                            ? "fill=\"#ffffff\"" : NULL, s);
            }
        }
    fputs("</g>\n", o);
}

dn_status dn_report_svg(const dn_report *r, dn_fig fig,
                        const char *const *names, FILE *o, dn_error *err)
{
    DN_NEED(r);
    DN_NEED(o);
    if (!dn_report_has_fig(r, fig))
        return dn_fail(err, DN_EARG, "report: figure %d is not drawn for a "
                       "%s report%s", (int)fig, dn_task_name(r->task),
                       r->task == DN_TASK_REGRESSION ? "" : " of this many "
                       "classes");
    dn_svg_open(o, FIG_W, FIG_H, 0);
    int bad = 0;
    switch (fig) {
    case DN_FIG_CONFUSION: confusion(o, r, names); break;
    case DN_FIG_ROC: roc(o, r); break;
    case DN_FIG_PR: bad = pr(o, r); break;
    case DN_FIG_CALIBRATION: bad = calibration(o, r); break;
    case DN_FIG_RESIDUALS: bad = residuals(o, r); break;
    default: predicted_true(o, r); break;
    }
    fputs("</svg>\n", o);
    if (bad) return dn_fail(err, DN_ENOMEM, "report: out of memory drawing "
                            "a figure of %d rows", r->n);
    if (ferror(o)) return dn_fail(err, DN_EIO, "report: writing a figure "
                                  "failed");
    return DN_OK;
}
