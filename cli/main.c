/* main.c — the `descent` command: dispatch to a subcommand. */
#include "cli.h"
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static const char *usage =
"descent " DN_VERSION " — train feed-forward neural networks, then use them\n"
"\n"
"usage: descent COMMAND [options]\n"
"\n"
"commands:\n"
"  train DATA [-o MODEL]   train a network on a CSV or IDX data set\n"
"  eval MODEL DATA         loss and accuracy (or MSE, MAE, R²) on labelled data\n"
"  report MODEL DATA       where it fails: confusion, per-class F1, ROC, calibration\n"
"  cv DATA --folds K       K-fold cross-validation with train's options\n"
"  predict MODEL DATA      predictions for new rows, as CSV\n"
"  summary MODEL           the layers, shapes and parameter counts\n"
"  plot HISTORY.csv        training curves (loss, metric, learning rate) as SVG\n"
"  landscape [--fn F]      optimizers' paths on a function's contour map, as SVG\n"
"  trace DATA | --fn EXPR  one training step in the notes' notation, with numbers\n"
"  lr-find DATA            the learning-rate range test: a suggested rate, SVG\n"
"  boundary MODEL DATA     the decision regions of a two-input model, as SVG\n"
"  data make-circles ...   the Playground's 2-D sets (xor, spiral, ...) as CSV\n"
"  convert DATA OUT        a data set as a row cache, for training larger than memory\n"
"  export MODEL [-o OUT]   the model as ONNX, or as C source (float32 or int8)\n"
"\n"
"'descent COMMAND --help' describes each command with examples.\n"
"\n"
"examples:\n"
"  descent train data/digits.csv -o digits.safetensors\n"
"  descent eval digits.safetensors data/digits.csv\n"
"  descent predict digits.safetensors new_rows.csv > predictions.csv\n";

/* What a command printed must have arrived: a full disk, /dev/full or a
 * closed pipe (SIGPIPE is ignored while training) fails the command
 * here, with a message, rather than exiting 0 having written nothing. */
static int stdout_closed(const char *cmd, int rc)
{
    errno = 0;
    int bad = fflush(stdout) != 0 || ferror(stdout);
    int e = errno;
    if (bad && !e) {
        /* The write failed earlier, inside a printf, and errno has moved
         * on since: one more byte on the broken stream tells why. */
        signal(SIGPIPE, SIG_IGN);
        e = write(fileno(stdout), "\n", 1) < 0 ? errno : 0;
    }
    if (fclose(stdout) != 0 && !bad) bad = 1, e = errno;
    if (!bad) return rc;
    fprintf(stderr, "descent%s%s: cannot write to standard output: %s\n",
            cmd ? " " : "", cmd ? cmd : "", e ? strerror(e) : "write error");
    return rc ? rc : EXIT_DATA;
}

static int dispatch(int argc, char **argv);

/* A command that may run on every rank of an MPI job: MPI starts before
 * it and ends after it, and a failing rank takes the job down. */
static int distributed(const char *name, int (*cmd)(int, char **), int argc,
                       char **argv)
{
    if (dn_dist_init(&argc, &argv)) {
        fprintf(stderr, "descent %s: MPI could not start\n", name);
        return EXIT_DATA;
    }
    int rc = cmd(argc - 1, argv + 1);
    if (rc && rc != EXIT_INTERRUPTED) dn_dist_abort(rc);
    dn_dist_finalize();
    return rc;
}

int main(int argc, char **argv)
{
    int rc = dispatch(argc, argv);
    return stdout_closed(argc > 1 && argv[1][0] != '-' ? argv[1] : NULL, rc);
}

static int dispatch(int argc, char **argv)
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
        /* The library's version (which may be newer than the header's),
         * and how it would run here. */
        printf("descent %s\nkernels: %s (chosen for this CPU at run time)\n"
               "threads: %d (one per online core)\n", dn_version(), dn_isa(),
               dn_threads_default());
        return EXIT_OK;
    }
    /* Under mpirun every rank runs train, and cv's folds train as train
     * does; see docs/distributed.md. */
    if (!strcmp(c, "train")) return distributed("train", cmd_train, argc, argv);
    if (!strcmp(c, "cv"))    return distributed("cv", cmd_cv, argc, argv);
    /* The others run once, on the words after their name. */
    static const struct { const char *name; int (*run)(int, char **); }
    cmds[] = {
        { "eval", cmd_eval }, { "report", cmd_report },
        { "predict", cmd_predict }, { "summary", cmd_summary },
        { "plot", cmd_plot }, { "landscape", cmd_landscape },
        { "trace", cmd_trace }, { "lr-find", cmd_lrfind },
        { "export", cmd_export }, { "data", cmd_data },
        { "convert", cmd_convert }, { "boundary", cmd_boundary },
    };
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++)
        if (!strcmp(c, cmds[i].name)) return cmds[i].run(argc - 1, argv + 1);
    fprintf(stderr, "descent: unknown command '%s'\n\n%s", c, usage);
    return EXIT_USAGE;
}
