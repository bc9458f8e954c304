/* cmd_plot.c — `descent plot HISTORY.csv -o curves.svg`: training curves
 * from a history file, as SVG. */
#include "cli.h"
#include <stdlib.h>
#include <string.h>

static const char *help =
"usage: descent plot HISTORY.csv [-o FILE.svg] [--log] [--title TEXT]\n"
"\n"
"Draws the training curves of a history file (written by 'descent train\n"
"--history FILE'): training and validation loss, the metric (accuracy, or\n"
"MAE for regression) and the learning rate, against the epoch, as an SVG\n"
"that any browser opens.  The best validation loss is marked.\n"
"\n"
"options:\n"
"  -o, --output FILE   the SVG to write (default: HISTORY with .svg)\n"
"  --log               loss and learning rate on log scales\n"
"  --title TEXT        a title above the panels\n"
"\n"
"examples:\n"
"  descent train data/digits.csv --history hist.csv\n"
"  descent plot hist.csv -o curves.svg --log\n"
"  rsvg-convert curves.svg -o curves.png      # a PNG, if you need one\n";

int cmd_plot(int argc, char **argv)
{
    const char *o, *p, *in = NULL, *out = NULL, *v;
    dn_plot_opts po = { .title = NULL };
    cli_args a;
    cli_args_common(&a, "plot", argc, argv, help, &out, &in, NULL);
    while (cli_next(&a, &o, &p)) {
        if (!strcmp(o, "title")) {
            if (!(v = cli_value(&a))) return EXIT_USAGE;
            po.title = v;
        } else if (!strcmp(o, "log")) {
            po.log_scale = 1;
        } else return cli_usage("plot", "unknown option '%s'", argv[a.i - 1]);
    }
    if (a.exit >= 0) return a.exit;
    if (!in) return cli_usage("plot", "needs a HISTORY.csv file (from "
                              "'descent train --history FILE')");
    char *def = NULL;
    if (!out) {
        /* hist.csv -> hist.svg; anything else gets .svg appended. */
        size_t n = strlen(in);
        def = malloc(n + 5);
        if (!def) { fputs("descent plot: out of memory\n", stderr); return EXIT_DATA; }
        memcpy(def, in, n + 1);
        if (n > 4 && !strcmp(in + n - 4, ".csv")) def[n - 4] = 0;
        strcat(def, ".svg");
        out = def;
    }
    dn_history h;
    dn_error err;
    cli_file f[] = { { "HISTORY", in, 0, NULL }, { "-o", out, 1, "plot" } };
    int rc = cli_files_check("plot", f, 2);
    if (rc) {
        free(def);
        return rc;
    }
    if (dn_history_load(in, &h, &err)) {
        free(def);
        return cli_error("plot", &err);
    }
    if (dn_plot_history(&h, &po, out, &err)) rc = cli_error("plot", &err);
    else printf("wrote %s (%d epochs)\n", out, h.n);
    dn_history_free(&h);
    free(def);
    return rc;
}
