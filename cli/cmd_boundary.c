/* cmd_boundary.c — `descent boundary MODEL DATA -o regions.svg`: the
 * decision regions of a two-input model over its data, as SVG (the
 * library's dn_boundary, src/watch/boundary.c), and how much of the
 * plane each class takes. */
#include "cli.h"
#include <stdlib.h>
#include <string.h>

static const char *help =
"usage: descent boundary MODEL DATA [-o FILE.svg] [--grid N] [--margin F]\n"
"                        [--title TEXT]\n"
"\n"
"Draws the decision regions of a model with two inputs: the plane of its\n"
"inputs (the bounding box of DATA's points and a margin) cut into N x N\n"
"cells, each coloured by the class the model predicts at its centre,\n"
"lighter where it is less sure (for regression: its value on a colour\n"
"ramp), with DATA's rows on top coloured by their true label.  The axes\n"
"are in the data's units.  A model with more or fewer inputs is refused.\n"
"'descent train --boundary DIR' draws the regions as they form.\n"
"\n"
"options:\n"
"  -o, --output FILE   the SVG to write (default regions.svg)\n"
"  --grid N            cells per side, 2 to 500 (default 100)\n"
"  --margin F          the box's margin, a fraction of the data's span on\n"
"                      each side (default 0.1)\n"
"  --title TEXT        a title above the picture\n"
"  --sep C             DATA's field delimiter (default: detected)\n"
"  --na TOKENS         cells read as missing besides empty ones\n"
"  --missing M         impute (default) or error\n"
"\n"
"examples:\n"
"  descent data make-circles -o circles.csv\n"
"  descent train circles.csv --layers 8,8 -o circles.safetensors\n"
"  descent boundary circles.safetensors circles.csv -o regions.svg\n";

int cmd_boundary(int argc, char **argv)
{
    const char *o, *p, *model = NULL, *data = NULL, *out = "regions.svg";
    dn_boundary_opts bo;
    dn_boundary_defaults(&bo);
    dn_csv_opts copts;
    memset(&copts, 0, sizeof copts);
    int rc = 0;
    long grid;
    cli_args a;
    cli_args_common(&a, "boundary", argc, argv, help, &out, &model, &data);
    while (cli_next(&a, &o, &p)) {
        if (!strcmp(o, "grid")) {
            if (!cli_int(&a, 2, 500, &grid)) return EXIT_USAGE;
            bo.grid = (int)grid;
        } else if (!strcmp(o, "margin")) {
            if (!cli_double(&a, 0, 10, &bo.margin)) return EXIT_USAGE;
        } else if (!strcmp(o, "title")) {
            if (!(bo.title = cli_value(&a))) return EXIT_USAGE;
        } else if (cli_table_option(&a, "boundary", o, &copts, &rc)) {
            if (rc) return rc;
        } else return cli_usage("boundary", "unknown option '%s'", argv[a.i - 1]);
    }
    if (a.exit >= 0) return a.exit;
    if (!data)
        return cli_usage("boundary", "needs MODEL and DATA, e.g. 'descent "
                         "boundary circles.safetensors circles.csv -o "
                         "regions.svg'");
    cli_file f[] = { { "MODEL", model, 0, NULL }, { "DATA", data, 0, NULL },
                     { "-o", out, 1, "plot" } };
    if ((rc = cli_files_check("boundary", f, 3))) return rc;
    dn_error err;
    dn_model *m = NULL;
    dn_data *d = NULL;
    dn_boundary *b = NULL;
    if (dn_model_load(model, &m, &err)) return cli_error("boundary", &err);
    /* Refused before DATA is read: its columns would not be the point. */
    if (dn_boundary_check(m, &err)) {
        fprintf(stderr, "descent boundary: %s: %s\n", model, err.msg);
        dn_model_free(m);
        return EXIT_USAGE;
    }
    if ((rc = cli_data_for("boundary", m, model, data, NULL, &copts, 0, &d)))
        goto out;
    if (dn_boundary_new(m, d, &bo, &b, &err) || dn_boundary_frame(b, m, -1, &err) ||
        dn_boundary_save(b, out, &err)) {
        rc = cli_error("boundary", &err);
        goto out;
    }
    printf("wrote %s: %d x %d cells, %d points", out, bo.grid, bo.grid, d->n);
    /* The share of the plane each class takes. */
    long count[256] = { 0 }, cells = (long)bo.grid * bo.grid;
    int top = -1;
    for (int j = 0; j < bo.grid; j++)
        for (int i = 0; i < bo.grid; i++) {
            int k = dn_boundary_cell(b, 0, i, j, NULL, NULL);
            if (k >= 0 && k < 256) count[k]++;
            if (k > top) top = k;
        }
    const dn_schema *s = dn_model_schema(m);
    for (int k = 0, first = 1; k <= top && k < 256; k++) {
        if (!count[k]) continue;
        char num[16];
        snprintf(num, sizeof num, "%d", k);
        const char *name = s && s->classes && k < s->n_classes && s->classes[k]
                         ? s->classes[k] : num;
        dn_fprintf(stdout, "%s class %s: %.1f%%", first ? ";" : ",", name,
                   100.0 * count[k] / cells);
        first = 0;
    }
    printf("%s\n", top >= 0 ? " of the plane" : "");
out:
    dn_boundary_free(b);
    dn_data_free(d);
    dn_model_free(m);
    return rc;
}
