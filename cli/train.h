/* train.h — what `descent train`'s two files share: the parsed options. */
#ifndef CLI_TRAIN_H
#define CLI_TRAIN_H
#include "cli.h"

typedef struct {
    const char *data, *labels, *out, *target, *val_data, *val_labels;
    const char *layers, *warm;
    const char *checkpoint, *resume; /* --checkpoint FILE, --resume FILE */
    const char *history, *tensorboard, *plot; /* --history FILE,
                              --tensorboard DIR, --plot FILE.svg */
    int plot_log, verbose, dry_run;           /* --plot-log, --verbose,
                                                 --dry-run */
    int task_set, loss_set, init_set, layers_set, standardize, quiet;
    int dropout_n;            /* dropout rates given (1: for every layer) */
    dn_task task;
    dn_loss loss;
    dn_act act;
    dn_init init;
    dn_opt_kind opt;
    dn_sched_kind sched;
    double init_eps, val, weight_decay;
    unsigned long long given; /* which numeric options were given */
    dn_train_opts t;
    int solver_set;           /* --opt lbfgs|cg|lm|newton */
    dn_solver_conf solver;
    int solver_opts;          /* a solver option was given */
    int batch_set;            /* --batch was given */
} train_cfg;

/* Fills c from the command line: 0 ok, -1 help printed, else an exit code. */
int train_parse(int argc, char **argv, train_cfg *c);
/* 1 if the numeric option (e.g. "lr") was on the command line. */
int train_given(const train_cfg *c, const char *name);
/* The command line kept in checkpoints for --resume: argv[1..] joined by
 * \x1f, paths made absolute (train_note.c); malloc'd, NULL if out of
 * memory. */
char *train_note(int argc, char **argv, const train_cfg *c);
/* cli_files_check on every input and output of the run (outputs.c). */
int train_check_files(const train_cfg *c);
/* "64,32" or "64:tanh,32:relu" or "none" into A's hidden layers. */
int train_parse_layers(const char *spec, dn_act dflt, dn_arch *A);

#endif
