/* cmd_report.c — `descent report MODEL DATA`: where a model fails, as
 * aligned text on the terminal, as JSON, or as one HTML page with the
 * figures inline.  The numbers are the library's (dn_report_model);
 * this file only lays them out. */
#include "cli.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *help =
"usage: descent report MODEL DATA [--labels FILE] [--json] [--html FILE]\n"
"                      [--bins N]\n"
"\n"
"Evaluates MODEL on labelled DATA (a CSV with the target column, or IDX\n"
"images with --labels) and shows where it fails.\n"
"\n"
"classification: the confusion matrix; per class precision, recall, F1,\n"
"  support and one-vs-rest ROC AUC; macro and weighted averages; accuracy\n"
"  and log loss; calibration (the reliability diagram's bins and the\n"
"  expected calibration error, ECE). Two classes add the ROC curve and its\n"
"  AUC and the precision-recall curve with average precision.\n"
"regression: MSE, RMSE, MAE and R2; the HTML page adds the residual plot\n"
"  and predicted against true.\n"
"Every figure is defined as scikit-learn's sklearn.metrics defines it\n"
"(docs/report.md), and equals it on the same predictions.\n"
"\n"
"  --labels FILE   labels for IDX images\n"
"  --json          everything as one JSON object on stdout, with the\n"
"                  curves' points, instead of the text\n"
"  --html FILE     also one self-contained HTML page: the text and the\n"
"                  figures as inline SVG (opens in any browser, offline)\n"
"  --bins N        calibration bins, equal-width on [0, 1] (default 10;\n"
"                  classification only)\n"
"\n"
"examples:\n"
"  descent report iris.safetensors data/iris.csv\n"
"  descent report digits.safetensors data/digits.csv --html digits.html\n"
"  descent report house.safetensors data/house.csv --json > house.json\n";

typedef struct {
    const char *model, *data, *labels, *html;
    int json, bins_set;
    long bins;
} report_cfg;

static int parse(int argc, char **argv, report_cfg *c)
{
    memset(c, 0, sizeof *c);
    c->bins = 10;
    cli_args a;
    cli_args_init(&a, "report", argc, argv);
    const char *o, *p;
    while (cli_next(&a, &o, &p)) {
        if (p) {
            if (!c->model) c->model = p;
            else if (!c->data) c->data = p;
            else return cli_usage("report", "unexpected argument '%s'", p);
        } else if (!strcmp(o, "h") || !strcmp(o, "help")) {
            fputs(help, stdout);
            return -1;
        } else if (!strcmp(o, "labels")) {
            if (!(c->labels = cli_value(&a))) return EXIT_USAGE;
        } else if (!strcmp(o, "html")) {
            if (!(c->html = cli_value(&a))) return EXIT_USAGE;
        } else if (!strcmp(o, "json")) {
            c->json = 1;
        } else if (!strcmp(o, "bins")) {
            if (!cli_int(&a, 1, 1000, &c->bins)) return EXIT_USAGE;
            c->bins_set = 1;
        } else {
            return cli_usage("report", "unknown option '%s'", argv[a.i - 1]);
        }
    }
    if (!c->model || !c->data)
        return cli_usage("report", "needs MODEL and DATA, e.g. 'descent "
                         "report model.safetensors data.csv'");
    return 0;
}

/* ---- text ---- */

static const char *class_name(const dn_schema *s, int c, char *buf, size_t n)
{
    if (s && s->classes && c < s->n_classes && s->classes[c])
        return s->classes[c];
    snprintf(buf, n, "%d", c);
    return buf;
}

/* The widest class name, within [lo, hi]. */
static int name_width(const dn_schema *s, int k, int lo, int hi)
{
    int w = lo;
    char b[16];
    for (int c = 0; c < k; c++) {
        int l = (int)strlen(class_name(s, c, b, sizeof b));
        if (l > w) w = l;
    }
    return w < hi ? w : hi;
}

/* A number, or "-" where it is not defined. */
static void num(FILE *f, int width, const char *fmt, double v)
{
    if (isfinite(v)) dn_fprintf(f, fmt, width, v);
    else fprintf(f, "%*s", width, "-");
}

static void text_classes(FILE *f, const dn_report *r, const dn_schema *s)
{
    const int k = r->k, w = name_width(s, k, 12, 24);
    char b[16];
    dn_fprintf(f, "accuracy %.4f   log loss %.4g   macro F1 %.4f   "
               "weighted F1 %.4f\n", r->accuracy, r->log_loss, r->macro_f1,
               r->weighted_f1);
    if (k == 2)
        dn_fprintf(f, "ROC AUC %.4f   average precision %.4f   (class 1 = "
                   "'%s' is the positive class)\n", r->roc_auc,
                   r->average_precision, class_name(s, 1, b, sizeof b));
    else
        dn_fprintf(f, "one-vs-rest ROC AUC, macro mean %.4f\n", r->auc_macro);

    /* the confusion matrix: columns as wide as the names (cut to 10) */
    int cw = name_width(s, k, 5, 10) + 1;
    char num_buf[24];
    for (int c = 0; c < k; c++) {
        int l = snprintf(num_buf, sizeof num_buf, "%ld",
                         r->support[c] > 0 ? r->support[c] : 1);
        if (l + 1 > cw) cw = l + 1;
    }
    fprintf(f, "\nconfusion matrix (rows: true class, columns: predicted)\n");
    fprintf(f, "%-*s", w, "");
    for (int c = 0; c < k; c++)
        fprintf(f, " %*.*s", cw - 1, cw - 1, class_name(s, c, b, sizeof b));
    fputc('\n', f);
    for (int t = 0; t < k; t++) {
        fprintf(f, "%-*.*s", w, w, class_name(s, t, b, sizeof b));
        for (int p = 0; p < k; p++)
            fprintf(f, " %*ld", cw - 1, r->confusion[(size_t)t * k + p]);
        fputc('\n', f);
    }

    fprintf(f, "\n%-*s %9s %9s %9s %8s %9s\n", w, "class", "precision",
            "recall", "F1", "support", "AUC");
    for (int c = 0; c < k; c++) {
        fprintf(f, "%-*.*s", w, w, class_name(s, c, b, sizeof b));
        num(f, 10, "%*.4f", r->precision[c]);
        num(f, 10, "%*.4f", r->recall[c]);
        num(f, 10, "%*.4f", r->f1[c]);
        fprintf(f, " %8ld", r->support[c]);
        num(f, 10, "%*.4f", r->auc[c]);
        fputc('\n', f);
    }
    fprintf(f, "%-*s", w, "macro avg");
    num(f, 10, "%*.4f", r->macro_precision);
    num(f, 10, "%*.4f", r->macro_recall);
    num(f, 10, "%*.4f", r->macro_f1);
    fprintf(f, " %8d", r->n);
    num(f, 10, "%*.4f", r->auc_macro);
    fprintf(f, "\n%-*s", w, "weighted avg");
    num(f, 10, "%*.4f", r->weighted_precision);
    num(f, 10, "%*.4f", r->weighted_recall);
    num(f, 10, "%*.4f", r->weighted_f1);
    fprintf(f, " %8d\n", r->n);
    if (r->n_present < k)
        fprintf(f, "(averages over the %d classes in the targets or the "
                "predictions)\n", r->n_present);

    const int B = r->n_bins;
    dn_fprintf(f, "\ncalibration: ECE %.4f over %d equal-width bins of %s\n",
               r->ece, B, k == 2 ? "P(class 1)" : "the top probability");
    fprintf(f, "%-14s %8s %11s %11s\n", "bin", "rows", "confidence",
            k == 2 ? "of class 1" : "accuracy");
    for (int i = 0; i < B; i++) {
        if (!r->bin_count[i]) continue;
        char bin[40];
        dn_snprintf(bin, sizeof bin, "%s%.3g, %.3g]", i ? "(" : "[",
                    (double)i / B, (i + 1.0) / B);
        dn_fprintf(f, "%-14s %8ld %11.4f %11.4f\n", bin, r->bin_count[i],
                   r->bin_conf[i], r->bin_acc[i]);
    }
}

static void text_report(FILE *f, const report_cfg *c, const dn_report *r,
                        const dn_schema *s)
{
    fprintf(f, "report: %s on %s: %d rows, ", c->model, c->data, r->n);
    if (r->task == DN_TASK_REGRESSION) {
        fprintf(f, "regression");
        if (r->k > 1) fprintf(f, " (%d outputs, each averaged alike)", r->k);
        dn_fprintf(f, "\n\nMSE   %.6g\nRMSE  %.6g\nMAE   %.6g\nR2    %.6f\n",
                   r->mse, r->rmse, r->mae, r->r2);
        return;
    }
    fprintf(f, "%s, %d classes\n\n", r->k == 2 ? "binary" : "multiclass",
            r->k);
    text_classes(f, r, s);
}

/* ---- JSON ---- */

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') fprintf(f, "\\%c", ch);
        else if (ch < 0x20) fprintf(f, "\\u%04x", ch);
        else fputc(ch, f);
    }
    fputc('"', f);
}

static void json_array(FILE *f, const char *key, const double *v, int n,
                       int last)
{
    fprintf(f, "\"%s\":[", key);
    for (int i = 0; i < n; i++) {
        if (isfinite(v[i])) dn_fprintf(f, "%s%.17g", i ? "," : "", v[i]);
        else fprintf(f, "%snull", i ? "," : "");
    }
    fprintf(f, "]%s", last ? "" : ",");
}

static void json_report(FILE *f, const report_cfg *c, const dn_report *r,
                        const dn_schema *s)
{
    fputs("{\"model\":", f);
    json_str(f, c->model);
    fputs(",\"data\":", f);
    json_str(f, c->data);
    fprintf(f, ",\"task\":\"%s\",\"n\":%d,",
            r->task == DN_TASK_REGRESSION ? "regression"
            : r->k == 2 ? "binary" : "multiclass", r->n);
    if (r->task == DN_TASK_REGRESSION) {
        fprintf(f, "\"outputs\":%d,", r->k);
        cli_json_num(f, "mse", r->mse, 0);
        cli_json_num(f, "rmse", r->rmse, 0);
        cli_json_num(f, "mae", r->mae, 0);
        cli_json_num(f, "r2", r->r2, 1);
        fputs("}\n", f);
        return;
    }
    const int k = r->k;
    char b[16];
    fputs("\"classes\":[", f);
    for (int i = 0; i < k; i++) {
        if (i) fputc(',', f);
        json_str(f, class_name(s, i, b, sizeof b));
    }
    fputs("],", f);
    cli_json_num(f, "accuracy", r->accuracy, 0);
    cli_json_num(f, "log_loss", r->log_loss, 0);
    fputs("\"macro\":{", f);
    cli_json_num(f, "precision", r->macro_precision, 0);
    cli_json_num(f, "recall", r->macro_recall, 0);
    cli_json_num(f, "f1", r->macro_f1, 0);
    cli_json_num(f, "auc", r->auc_macro, 1);
    fputs("},\"weighted\":{", f);
    cli_json_num(f, "precision", r->weighted_precision, 0);
    cli_json_num(f, "recall", r->weighted_recall, 0);
    cli_json_num(f, "f1", r->weighted_f1, 1);
    fputs("},\"per_class\":{", f);
    json_array(f, "precision", r->precision, k, 0);
    json_array(f, "recall", r->recall, k, 0);
    json_array(f, "f1", r->f1, k, 0);
    json_array(f, "auc", r->auc, k, 0);
    fputs("\"support\":[", f);
    for (int i = 0; i < k; i++) fprintf(f, "%s%ld", i ? "," : "", r->support[i]);
    fputs("]},\"confusion\":[", f);
    for (int t = 0; t < k; t++) {
        fputs(t ? ",[" : "[", f);
        for (int p = 0; p < k; p++)
            fprintf(f, "%s%ld", p ? "," : "", r->confusion[(size_t)t * k + p]);
        fputc(']', f);
    }
    fputs("],", f);
    if (k == 2) {
        cli_json_num(f, "roc_auc", r->roc_auc, 0);
        cli_json_num(f, "average_precision", r->average_precision, 0);
        fputs("\"roc\":{", f);
        json_array(f, "fpr", r->roc_fpr, r->roc_n, 0);
        json_array(f, "tpr", r->roc_tpr, r->roc_n, 0);
        json_array(f, "threshold", r->roc_threshold, r->roc_n, 1);
        fputs("},\"pr\":{", f);
        json_array(f, "recall", r->pr_recall, r->pr_n, 0);
        json_array(f, "precision", r->pr_precision, r->pr_n, 0);
        json_array(f, "threshold", r->pr_threshold, r->pr_n, 1);
        fputs("},", f);
    }
    fprintf(f, "\"calibration\":{\"bins\":%d,", r->n_bins);
    cli_json_num(f, "ece", r->ece, 0);
    fputs("\"count\":[", f);
    for (int i = 0; i < r->n_bins; i++)
        fprintf(f, "%s%ld", i ? "," : "", r->bin_count[i]);
    fputs("],", f);
    json_array(f, "confidence", r->bin_conf, r->n_bins, 0);
    json_array(f, "accuracy", r->bin_acc, r->n_bins, 1);
    fputs("}}\n", f);
}

/* ---- HTML ---- */

typedef struct {
    const report_cfg *c;
    const dn_report *r;
    const dn_schema *s;
    dn_error err;      /* a figure's failure */
} html_job;

static void html_text(FILE *f, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '<') fputs("&lt;", f);
        else if (s[i] == '>') fputs("&gt;", f);
        else if (s[i] == '&') fputs("&amp;", f);
        else if (s[i] == '"') fputs("&quot;", f);
        else fputc(s[i], f);
    }
}

static int fill_html(FILE *f, void *arg)
{
    html_job *j = arg;
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (!m) return -1;
    text_report(m, j->c, j->r, j->s);
    if (fclose(m)) { free(text); return -1; }
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<title>descent report: ", f);
    html_text(f, j->c->model, strlen(j->c->model));
    fputs("</title>\n<style>\nbody { font-family: DejaVu Sans, Helvetica, "
          "Arial, sans-serif; margin: 2em; color: #222; }\npre { font-size: "
          "13px; background: #f7f7f7; padding: 1em; overflow-x: auto; }\n"
          ".figures { display: flex; flex-wrap: wrap; gap: 16px; }\n"
          "</style>\n</head>\n<body>\n<h1>descent report</h1>\n<pre>", f);
    html_text(f, text, len);
    free(text);
    fputs("</pre>\n<div class=\"figures\">\n", f);
    const char **names = NULL;
    if (j->s && j->s->classes && j->s->n_classes == j->r->k)
        names = (const char **)j->s->classes;
    for (int fig = 0; fig < DN_FIG_COUNT; fig++) {
        if (!dn_report_has_fig(j->r, (dn_fig)fig)) continue;
        if (dn_report_svg(j->r, (dn_fig)fig, names, f, &j->err)) return -1;
    }
    fputs("</div>\n</body>\n</html>\n", f);
    return ferror(f) ? -1 : 0;
}

int cmd_report(int argc, char **argv)
{
    report_cfg c;
    int rc = parse(argc, argv, &c);
    if (rc) return rc < 0 ? EXIT_OK : rc;
    cli_file files[] = { { "MODEL", c.model, 0, NULL },
                         { "DATA", c.data, 0, NULL },
                         { "--labels", c.labels, 0, NULL },
                         { "--html", c.html, 1, "report" } };
    if ((rc = cli_files_check("report", files, 4))) return rc;
    dn_model *m = NULL;
    dn_data *d = NULL;
    dn_report *r = NULL;
    dn_error err;
    if ((rc = cli_model_data("report", c.model, c.data, c.labels, NULL, 1, &m, &d)))
        goto out;
    if (c.bins_set && dn_model_arch(m)->loss == DN_LOSS_MSE) {
        rc = cli_usage("report", "--bins sets the calibration bins of a "
                       "classification report, but %s is a regression model "
                       "(its report is MSE, RMSE, MAE and R2, with no "
                       "calibration); drop --bins", c.model);
        goto out;
    }
    if (dn_report_model(m, d, (int)c.bins, &r, &err)) {
        rc = cli_error("report", &err);
        goto out;
    }
    const dn_schema *s = dn_model_schema(m);
    /* The page first: if it cannot be written, only the error shows. */
    if (c.html) {
        html_job j = { &c, r, s, { DN_OK, "" } };
        if (dn_atomic_write(c.html, "report", fill_html, &j, &err)) {
            rc = cli_error("report", j.err.code ? &j.err : &err);
            goto out;
        }
    }
    if (c.json) json_report(stdout, &c, r, s);
    else text_report(stdout, &c, r, s);
    if (c.html && !c.json) printf("\nhtml: %s\n", c.html);
out:
    dn_report_free(r);
    dn_data_free(d);
    dn_model_free(m);
    return rc;
}
