/* cmd_convert.c — `descent convert DATA OUT`: a data set read once (a
 * CSV with the schema descent infers or a model's, or IDX images with
 * their labels) and written as a descent row cache (dn_rowcache_write),
 * which `descent train --memory` streams when it is larger than memory,
 * and every command reads without parsing again. */
#include "cli.h"
#include <string.h>

static const char *help =
"usage: descent convert DATA OUT [--labels FILE] [--target COL] [--task T]\n"
"                       [--schema MODEL] [--sep C] [--na TOKENS]\n"
"                       [--missing M] [--categorical COLS] [--drop COLS]\n"
"\n"
"Reads DATA as 'descent train' does (a CSV, its columns encoded by the\n"
"schema descent infers, or IDX images with --labels) and writes its encoded\n"
"rows to OUT as a descent row cache: a header (magic, version, rows,\n"
"inputs, targets, element type), the schema that encodes new rows the same\n"
"way, a checksum per block of rows, then the rows (IDX pixels as bytes,\n"
"CSV inputs as float32).  Written atomically.  'descent train OUT --memory\n"
"2G' streams it when it does not fit in 2G; any command reads it as data.\n"
"The rows are read into memory once here; docs/data-streaming.md has the\n"
"format.\n"
"\n"
"options:\n"
"  --labels FILE         labels for IDX images\n"
"  --target NAME|INDEX   the CSV's target column (default: the last)\n"
"  --task T              auto|regression|binary|multiclass (default auto)\n"
"  --schema MODEL        encode the CSV with this model's schema (new rows\n"
"                        for a trained model), not an inferred one\n"
"  --sep C, --na TOKENS, --missing M\n"
"                        how to read the table, as in 'descent train'\n"
"  --categorical COLS    integer-coded columns to one-hot encode\n"
"  --drop COLS           columns to leave out\n"
"\n"
"examples:\n"
"  descent convert data/digits.csv digits.dnr\n"
"  descent convert train-images-idx3-ubyte train.dnr --labels train-labels-idx1-ubyte\n"
"  descent train digits.dnr --memory 2G -o digits.safetensors\n";

int cmd_convert(int argc, char **argv)
{
    cli_args a;
    const char *o, *p, *data = NULL, *out = NULL, *labels = NULL, *schema = NULL;
    dn_csv_opts copts;
    memset(&copts, 0, sizeof copts);
    dn_csv_info info;
    memset(&info, 0, sizeof info);
    copts.info = &info;
    dn_error err;
    int rc;
    cli_args_common(&a, "convert", argc, argv, help, NULL, &data, &out);
    while (cli_next(&a, &o, &p)) {
        if (cli_table_option(&a, "convert", o, &copts, &rc)) {
            if (rc) return rc;
        } else if (!strcmp(o, "labels")) {
            if (!(labels = cli_value(&a))) return EXIT_USAGE;
        } else if (!strcmp(o, "target")) {
            if (!(copts.target = cli_value(&a))) return EXIT_USAGE;
        } else if (!strcmp(o, "schema")) {
            if (!(schema = cli_value(&a))) return EXIT_USAGE;
        } else if (!strcmp(o, "categorical")) {
            if (!(copts.categorical = cli_value(&a))) return EXIT_USAGE;
        } else if (!strcmp(o, "drop")) {
            if (!(copts.drop = cli_value(&a))) return EXIT_USAGE;
        } else if (!strcmp(o, "task")) {
            const char *v = cli_value(&a);
            if (!v) return EXIT_USAGE;
            if (strcmp(v, "auto")) {
                if (dn_task_parse(v, &copts.task, &err))
                    return cli_usage("convert", "--task: %s (or auto)", err.msg);
                copts.task_set = 1;
            }
        } else return cli_usage("convert", "unknown option '%s'", argv[a.i - 1]);
    }
    if (a.exit >= 0) return a.exit;
    if (!data || !out)
        return cli_usage("convert", "give DATA and OUT, e.g. 'descent convert "
                         "data.csv data.dnr'");
    cli_file f[] = { { "DATA", data, 0, "data" }, { "--labels", labels, 0, "labels" },
                     { "--schema", schema, 0, "model" }, { "OUT", out, 1, "row cache" } };
    if ((rc = cli_files_check("convert", f, 4))) return rc;
    dn_model *m = NULL;
    dn_data *d = NULL;
    char why[512];
    if (schema && dn_model_load(schema, &m, &err)) return cli_error("convert", &err);
    if (schema && !dn_model_schema(m)) {
        dn_model_free(m);
        return cli_usage("convert", "--schema %s: the model has no data schema "
                         "to encode the data with", schema);
    }
    dn_status st = cli_load(data, labels, &copts, m ? dn_model_schema(m) : NULL,
                            schema, 1, &d, why, sizeof why, &err);
    dn_model_free(m);
    if (st) return cli_error("convert", &err);
    cli_table_warn("convert", data, &info);
    rc = 0;
    if (dn_rowcache_write(d, out, &err)) rc = cli_error("convert", &err);
    else {
        char n[32];
        printf("wrote %s: %s rows of %d inputs (%s) and %d target%s, with "
               "their schema%s%s%s%s\n", out, cli_thousands(d->n, n, sizeof n),
               d->d, d->X ? "float32" : "bytes", d->k, d->k == 1 ? "" : "s",
               info.note[0] ? "; " : "", info.note, why[0] ? "; " : "", why);
    }
    dn_data_free(d);
    return rc;
}
