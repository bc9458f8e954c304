/* cmd_use.c — using a trained model: `descent eval` and `descent predict`. */
#include "cli.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The reading options both commands take (table_opts.c). */
#define TABLE_HELP \
"  --sep C         field delimiter: , ; tab | (default: detected per file)\n" \
"  --na TOKENS     comma-separated cells read as missing besides empty ones\n" \
"                  (default NA,N/A,NaN,null,?, any case); missing values are\n" \
"                  filled as in training (the median and a was-missing input)\n" \
"  --missing error refuse missing cells instead\n" \
"A category not seen in training is encoded as all zeros, with a warning.\n"

static const char *eval_help =
"usage: descent eval MODEL DATA [--labels FILE] [--json] [--sep C] [--na TOKENS]\n"
"\n"
"Evaluates MODEL on labelled DATA (CSV with the target column, or IDX images\n"
"with --labels), encoded and standardized as the model was trained.\n"
"Prints the loss and, for classification, the accuracy; for regression the\n"
"MSE, MAE and R² in the target's own units.\n"
"\n"
"  --labels FILE   labels for IDX images\n"
"  --json          one JSON object: {\"n\":..,\"loss\":..,\"accuracy\":..} or\n"
"                  {\"n\":..,\"loss\":..,\"mse\":..,\"mae\":..,\"r2\":..}\n"
TABLE_HELP
"Rows whose target is missing are left out (said on stderr).\n"
"\n"
"examples:\n"
"  descent eval digits.safetensors data/digits.csv\n"
"  descent eval fashion.safetensors t10k-images-idx3-ubyte.gz \\\n"
"      --labels t10k-labels-idx1-ubyte.gz --json\n";

static const char *predict_help =
"usage: descent predict MODEL DATA [--labels FILE] [-o OUT.csv] [--sep C] [--na TOKENS]\n"
"\n"
"Predicts for every row of DATA (a CSV with the model's feature columns, in\n"
"any order; a target column, if present, is ignored; or IDX images) and\n"
"writes CSV to stdout or OUT: for classification the predicted class and\n"
"one probability per class (p_<class>), for regression the predicted value,\n"
"each with 9 significant digits: the model's float32 values exactly.\n"
"\n"
TABLE_HELP
"\n"
"examples:\n"
"  descent predict digits.safetensors data/digits.csv > predictions.csv\n"
"  descent predict house.safetensors new_houses.csv -o prices.csv\n";

typedef struct {
    const char *model, *data, *labels, *out;
    int json;
    dn_csv_opts copts;   /* --sep, --na, --missing */
} use_cfg;

static int parse(const char *cmd, const char *help, int argc, char **argv,
                 use_cfg *c)
{
    memset(c, 0, sizeof *c);
    cli_args a;
    cli_args_init(&a, cmd, argc, argv);
    const char *o, *p;
    while (cli_next(&a, &o, &p)) {
        int rc;
        if (!p && cli_table_option(&a, cmd, o, &c->copts, &rc)) {
            if (rc) return rc;
            continue;
        }
        if (p) {
            if (!c->model) c->model = p;
            else if (!c->data) c->data = p;
            else return cli_usage(cmd, "unexpected argument '%s'", p);
        } else if (!strcmp(o, "h") || !strcmp(o, "help")) {
            fputs(help, stdout);
            return -1;
        } else if (!strcmp(o, "labels")) {
            if (!(c->labels = cli_value(&a))) return EXIT_USAGE;
        } else if (!strcmp(o, "json") && !strcmp(cmd, "eval")) {
            c->json = 1;
        } else if ((!strcmp(o, "o") || !strcmp(o, "output")) &&
                   !strcmp(cmd, "predict")) {
            if (!(c->out = cli_value(&a))) return EXIT_USAGE;
        } else {
            return cli_usage(cmd, "unknown option '%s'", argv[a.i - 1]);
        }
    }
    if (!c->model || !c->data)
        return cli_usage(cmd, "needs MODEL and DATA, e.g. 'descent %s "
                         "model.safetensors data.csv'", cmd);
    return 0;
}

/* Before anything is read: the inputs are not one pipe twice, and
 * predict's -o (NULL for eval) is none of them (cli_files_check). */
static int check_files(const char *cmd, const use_cfg *c)
{
    cli_file f[] = { { "MODEL", c->model, 0, NULL }, { "DATA", c->data, 0, NULL },
                     { "--labels", c->labels, 0, NULL },
                     { "-o", c->out, 1, "predictions" } };
    return cli_files_check(cmd, f, 4);
}

/* Loads the model and encodes DATA with its schema. */
int cli_model_data(const char *cmd, const char *model, const char *data,
                   const char *labels, const dn_csv_opts *copts,
                   int need_target, dn_model **m, dn_data **d)
{
    dn_error err;
    *d = NULL;
    if (dn_model_load(model, m, &err)) return cli_error(cmd, &err);
    return cli_data_for(cmd, *m, model, data, labels, copts, need_target, d);
}

int cli_data_for(const char *cmd, const dn_model *m, const char *model,
                 const char *data, const char *labels,
                 const dn_csv_opts *copts, int need_target, dn_data **d)
{
    dn_error err;
    *d = NULL;
    const dn_schema *s = dn_model_schema(m);
    if (!s) {
        fprintf(stderr, "descent %s: %s has no data schema (it was built "
                "through the C API without one), so the tool cannot encode "
                "DATA for it; use dn_predict from C\n", cmd, model);
        return EXIT_DATA;
    }
    dn_csv_info info;
    dn_csv_opts o;
    if (copts) o = *copts; else memset(&o, 0, sizeof o);
    memset(&info, 0, sizeof info);
    o.info = &info;
    if (cli_load(data, labels, &o, s, model, need_target, d, NULL, 0, &err))
        return cli_error(cmd, &err);
    cli_table_warn(cmd, data, &info);
    return 0;
}

/* What eval and predict both do first: the options, the files checked
 * against each other, then the model and the data read.  Returns -1
 * after --help, else an exit code (0: *m and *d are set). */
static int open_use(const char *cmd, const char *help, int argc, char **argv,
                    use_cfg *c, int need_target, dn_model **m, dn_data **d)
{
    int rc = parse(cmd, help, argc, argv, c);
    if (rc) return rc < 0 ? -1 : rc;
    if ((rc = check_files(cmd, c))) return rc;
    return cli_model_data(cmd, c->model, c->data, c->labels, &c->copts,
                          need_target, m, d);
}

void cli_json_num(FILE *f, const char *key, double v, int last)
{
    if (isfinite(v)) dn_fprintf(f, "\"%s\":%.17g%s", key, v, last ? "" : ",");
    else fprintf(f, "\"%s\":null%s", key, last ? "" : ",");
}

int cmd_eval(int argc, char **argv)
{
    use_cfg c;
    dn_model *m = NULL;
    dn_data *d = NULL;
    dn_metrics mt;
    dn_error err;
    int rc = open_use("eval", eval_help, argc, argv, &c, 1, &m, &d);
    if (rc < 0) return EXIT_OK;
    if (rc) goto out;
    if (dn_evaluate(m, d, &mt, &err)) { rc = cli_error("eval", &err); goto out; }
    int regression = dn_model_arch(m)->loss == DN_LOSS_MSE;
    if (c.json) {
        printf("{\"n\":%d,", mt.n);
        cli_json_num(stdout, "loss", mt.loss, 0);
        if (regression) {
            cli_json_num(stdout, "mse", mt.mse, 0);
            cli_json_num(stdout, "mae", mt.mae, 0);
            cli_json_num(stdout, "r2", mt.r2, 1);
        } else {
            cli_json_num(stdout, "accuracy", mt.accuracy, 1);
        }
        printf("}\n");
    } else if (regression) {
        dn_fprintf(stdout, "%s on %s: n %d  loss %.6g  mse %.6g  mae %.6g  "
                   "r2 %.4f\n", c.model, c.data, mt.n, mt.loss, mt.mse, mt.mae,
                   mt.r2);
    } else {
        dn_fprintf(stdout, "%s on %s: n %d  loss %.6g  accuracy %.2f%%\n",
                   c.model, c.data, mt.n, mt.loss, 100 * mt.accuracy);
    }
out:
    dn_data_free(d);
    dn_model_free(m);
    return rc;
}

static void write_predictions(FILE *f, const dn_model *m, const dn_data *d,
                              const float *out)
{
    const dn_schema *s = dn_model_schema(m);
    const int k = dn_model_n_out(m);
    const int classify = dn_model_arch(m)->loss != DN_LOSS_MSE;
    char name[300];
    if (classify) {
        fputs("class", f);
        for (int c = 0; c < s->n_classes; c++) {
            if (s->classes[c]) snprintf(name, sizeof name, "p_%s", s->classes[c]);
            else snprintf(name, sizeof name, "p_%d", c); /* a null name */
            fputc(',', f);
            dn_csv_put_field(f, name);
        }
    } else {
        dn_csv_put_field(f, s->target ? s->target : "prediction");
        for (int j = 1; j < k; j++) fprintf(f, ",output_%d", j + 1);
    }
    fputc('\n', f);
    for (int r = 0; r < d->n; r++) {
        const float *o = out + (size_t)r * k;
        if (classify) {
            int cls = dn_predict_class(m, o);
            if (s->classes[cls]) dn_csv_put_field(f, s->classes[cls]);
            else fprintf(f, "%d", cls); /* a null name */
            if (k == 1) dn_fprintf(f, ",%.9g,%.9g", 1.0f - o[0], o[0]);
            else for (int j = 0; j < k; j++) dn_fprintf(f, ",%.9g", o[j]);
        } else {
            for (int j = 0; j < k; j++) dn_fprintf(f, j ? ",%.9g" : "%.9g", o[j]);
        }
        fputc('\n', f);
    }
}

typedef struct { const dn_model *m; const dn_data *d; const float *out; } pred_job;

static int fill_predictions(FILE *f, void *arg)
{
    const pred_job *j = arg;
    write_predictions(f, j->m, j->d, j->out);
    return ferror(f) ? -1 : 0;
}

int cmd_predict(int argc, char **argv)
{
    use_cfg c;
    dn_model *m = NULL;
    dn_data *d = NULL;
    float *out = NULL;
    dn_error err;
    int rc = open_use("predict", predict_help, argc, argv, &c, 0, &m, &d);
    if (rc < 0) return EXIT_OK;
    if (rc) goto out;
    out = malloc((size_t)d->n * dn_model_n_out(m) * sizeof *out);
    if (!out) { fprintf(stderr, "descent predict: out of memory\n"); rc = EXIT_DATA; goto out; }
    /* dn_predict takes rows of floats: IDX pixels arrive as bytes. */
    if (dn_data_floats(d, &err) || dn_predict(m, d->X, d->n, out, &err)) { rc = cli_error("predict", &err); goto out; }
    if (!c.out) {
        write_predictions(stdout, m, d, out);
        goto out;
    }
    /* Written like every file descent writes: never a half file. */
    pred_job j = { m, d, out };
    if (dn_atomic_write(c.out, "predictions", fill_predictions, &j, &err))
        rc = cli_error("predict", &err);
out:
    free(out);
    dn_data_free(d);
    dn_model_free(m);
    return rc;
}
