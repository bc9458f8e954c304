/* cli.h — what the subcommands of the `descent` tool share.  The tool
 * uses only the public API (descent.h). */
#ifndef CLI_H
#define CLI_H

#include "descent.h"
#include <stdio.h>

/* Exit codes: 0 success, 1 data or runtime error, 2 usage error,
 * 3 training interrupted (checkpoint and model written). */
enum { EXIT_OK = 0, EXIT_DATA = 1, EXIT_USAGE = 2, EXIT_INTERRUPTED = 3 };

/* A tiny option parser: "--name value", "--name=value", flags, and
 * positionals, in any order.  "--" ends the options. */
typedef struct {
    int    argc;
    char **argv;
    int    i;          /* next argv index */
    const char *cmd;   /* subcommand, for messages */
    const char *name;  /* current option, without dashes */
    const char *value; /* its "=value" part if any */
    int    only_pos;   /* after "--" */
    /* set by cli_args_common (else NULL, 0 and -1) */
    const char *help;
    const char **slot[2], **out;
    int    exit;       /* ≥ 0: the loop ended early, return this code */
} cli_args;

void cli_args_init(cli_args *a, const char *cmd, int argc, char **argv);
/* Returns 1 and sets *opt (option name) or *pos (positional), 0 at end. */
int  cli_next(cli_args *a, const char **opt, const char **pos);
/* The option's value (the "=" part or the next word); NULL + message
 * when missing. */
const char *cli_value(cli_args *a);
/* cli_args_init, and what most commands' loops do alike, done inside
 * cli_next from then on: -h/--help prints help and ends the loop with
 * a->exit = EXIT_OK; the positional words fill slot0, then slot1 (NULL:
 * none), and one more ends it with a usage message and EXIT_USAGE;
 * -o/--output takes its value into *out (out NULL: not an option of this
 * command).  After the loop: if (a.exit >= 0) return a.exit. */
void cli_args_common(cli_args *a, const char *cmd, int argc, char **argv,
                     const char *help, const char **out, const char **slot0,
                     const char **slot1);
int cli_int(cli_args *a, long lo, long hi, long *out);
int cli_double(cli_args *a, double lo, double hi, double *out);
int cli_u64(cli_args *a, uint64_t *out);

/* For the commands that take train's options beside their own (cv,
 * lr-find, trace).  cli_split sorts argv: -h/--help prints help; "--"
 * and all after it go to train; every other word is offered to own,
 * which takes it (0), leaves it to train (CLI_TRAINS) or refuses it (an
 * exit code).  *targv (argv[0], then train's words, NULL-terminated;
 * free it) and *targc are set on 0; -1 after help; else an exit code.
 * In own, cli_take gives the value of option `name` at argv[*i] ("name
 * v" or "name=v"; *i moves past it), NULL if argv[*i] is another word,
 * or NULL with *missing set for name without its value (cli_split then
 * says so). */
enum { CLI_TRAINS = -2 };
typedef int cli_own_fn(void *cfg, int argc, char **argv, int *i,
                       int *missing);
int cli_split(const char *cmd, const char *help, int argc, char **argv,
              cli_own_fn *own, void *cfg, char ***targv, int *targc);
const char *cli_take(int argc, char **argv, int *i, const char *name,
                     int *missing);

/* "descent CMD: message" on stderr; returns the code for chaining. */
int cli_usage(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
int cli_error(const char *cmd, const dn_error *err);
/* err's message between a prefix and a suffix, cut to fit. */
void cli_reword(dn_error *err, const char *prefix, const char *suffix);
/* From now on the two above name `cmd` where they are given "train"
 * (`descent cv` runs train's option parser and training). */
void cli_train_as(const char *cmd);

/* Loads DATA, a CSV or an IDX image file (recognized by its content)
 * with its labels.  With schema NULL the schema is inferred (training);
 * otherwise rows are encoded with it, and model names the file it came
 * from when it cannot encode them.  why: see dn_csv_read. */
dn_status cli_load(const char *path, const char *labels,
                   const dn_csv_opts *copts, const dn_schema *schema,
                   const char *model, int need_target, dn_data **out,
                   char *why, size_t why_len, dn_error *err);
/* The same for labels given by another option (labels_opt, e.g.
 * "--val-labels" for --val-data), which its messages name. */
dn_status cli_load_as(const char *labels_opt, const char *path,
                      const char *labels, const dn_csv_opts *copts,
                      const dn_schema *schema, const char *model,
                      int need_target, dn_data **out, char *why,
                      size_t why_len, dn_error *err);

/* Reading tables (table_opts.c).  --sep C ("tab" for a tab) and
 * --missing impute|error into their dn_csv_opts fields: 0, or the usage
 * code after the message. */
int cli_sep(const char *cmd, const char *v, char *sep);
int cli_missing(const char *cmd, const char *v, int *error);
/* 1 if option o is --sep, --na or --missing, its value parsed into
 * copts (*rc: 0, or the usage code after the message); 0 if not. */
int cli_table_option(cli_args *a, const char *cmd, const char *o,
                     dn_csv_opts *copts, int *rc);
/* A reader's warnings (unseen categories, rows left out) on stderr. */
void cli_table_warn(const char *cmd, const char *path,
                    const dn_csv_info *info);

/* Opens an input once (input.c): a regular file as it is; a pipe, FIFO
 * or device read to its end into an anonymous temporary file, so that
 * its first bytes can be sniffed and then read again.  *fd is seekable;
 * the caller closes it. */
dn_status cli_input_open(const char *path, int *fd, dn_error *err);

/* A file a command reads (out 0) or writes (out 1): opt names it in
 * messages ("-o", "DATA"); what is its role for dn_atomic_check
 * ("model"), NULL for a directory. */
typedef struct { const char *opt, *path; int out; const char *what; } cli_file;
/* Before anything is read or written (outputs.c): refuses an output that
 * is an input or another output, however spelled or linked, and one that
 * cannot be written (dn_atomic_check).  NULL paths are skipped.  0, or
 * the exit code after the message. */
int cli_files_check(const char *cmd, const cli_file *f, int n);
/* 1 if paths a and b name the same file (outputs.c): the same device and
 * inode, or for files still to be made the same resolved directory and
 * name; also when both are NULL or spelt alike. */
int cli_same_file(const char *a, const char *b);
/* dn_model_save, and when it fails after all (the disk filled during a
 * long run), the model saved under $TMPDIR (or /tmp) and the place said:
 * the run's work is not lost.  0, or EXIT_DATA after the messages. */
int cli_save_model(const char *cmd, const dn_model *m, const char *path);

/* Loads MODEL and encodes DATA (with its --labels) with the model's
 * schema, read with copts (--sep, --na, ...; NULL: the defaults), and
 * warns of unseen categories (cmd_use.c): 0, or the exit code after the
 * message. */
int cli_model_data(const char *cmd, const char *model, const char *data,
                   const char *labels, const dn_csv_opts *copts,
                   int need_target, dn_model **m, dn_data **d);
/* Its second half: DATA encoded for the loaded model m (read from the
 * file `model`). */
int cli_data_for(const char *cmd, const dn_model *m, const char *model,
                 const char *data, const char *labels,
                 const dn_csv_opts *copts, int need_target, dn_data **d);
/* "key":value and a comma unless last; null for NaN or infinity, which
 * JSON cannot hold.  Enough digits to read the same double back. */
void cli_json_num(FILE *f, const char *key, double v, int last);

/* "1,234,567" */
const char *cli_thousands(long long v, char *buf, size_t len);
/* A size in bytes as people read it, 1024-based, three digits: "164
 * bytes", "18.8 KiB", "4.51 MiB", "1.94 GiB". */
const char *cli_bytes(double n, char *buf, size_t len);

int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_summary(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_landscape(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_lrfind(int argc, char **argv);
int cmd_data(int argc, char **argv);
int cmd_boundary(int argc, char **argv);
/* The layer table, counts, memory and what the model carries (`descent
 * summary`, `descent train --dry-run`); name heads it. */
void summary_print(FILE *out, const dn_model *m, const char *name);
int cmd_export(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_cv(int argc, char **argv);
int cmd_convert(int argc, char **argv);

#endif
