/* main.c — the `descent` command: dispatch to a subcommand. */
#include "cli.h"
#include <string.h>

static const char *usage =
"descent " DN_VERSION " — train feed-forward neural networks, then use them\n"
"\n"
"usage: descent COMMAND [options]\n"
"\n"
"commands:\n"
"  train DATA [-o MODEL]   train a network on a CSV or IDX data set\n"
"  eval MODEL DATA         loss and accuracy (or MSE, MAE, R²) on labelled data\n"
"  predict MODEL DATA      predictions for new rows, as CSV\n"
"  summary MODEL           the layers, shapes and parameter counts\n"
"  plot HISTORY.csv        training curves (loss, metric, learning rate) as SVG\n"
"  landscape [--fn F]      optimizers' paths on a function's contour map, as SVG\n"
"  export MODEL [-o OUT]   the model as ONNX, for deployment runtimes\n"
"\n"
"'descent COMMAND --help' describes each command with examples.\n"
"\n"
"examples:\n"
"  descent train data/digits.csv -o digits.safetensors\n"
"  descent eval digits.safetensors data/digits.csv\n"
"  descent predict digits.safetensors new_rows.csv > predictions.csv\n";

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    const char *c = argv[1];
    if (!strcmp(c, "--help") || !strcmp(c, "-h") || !strcmp(c, "help")) {
        fputs(usage, stdout);
        return EXIT_OK;
    }
    if (!strcmp(c, "--version")) {
        puts("descent " DN_VERSION);
        return EXIT_OK;
    }
    if (!strcmp(c, "train")) {
        /* Under mpirun every rank runs this; see docs/distributed.md. */
        if (dn_dist_init(&argc, &argv)) {
            fputs("descent train: MPI could not start\n", stderr);
            return EXIT_DATA;
        }
        int rc = cmd_train(argc - 1, argv + 1);
        if (rc && rc != EXIT_INTERRUPTED) dn_dist_abort(rc);
        dn_dist_finalize();
        return rc;
    }
    if (!strcmp(c, "eval"))    return cmd_eval(argc - 1, argv + 1);
    if (!strcmp(c, "predict")) return cmd_predict(argc - 1, argv + 1);
    if (!strcmp(c, "summary")) return cmd_summary(argc - 1, argv + 1);
    if (!strcmp(c, "plot"))    return cmd_plot(argc - 1, argv + 1);
    if (!strcmp(c, "landscape")) return cmd_landscape(argc - 1, argv + 1);
    if (!strcmp(c, "export"))  return cmd_export(argc - 1, argv + 1);
    fprintf(stderr, "descent: unknown command '%s'\n\n%s", c, usage);
    return EXIT_USAGE;
}
