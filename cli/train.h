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
    const char *boundary;     /* --boundary DIR: the regions' frames */
    int boundary_every;       /* --boundary-every N (0: about 50 frames) */
    int plot_log, verbose, dry_run;           /* --plot-log, --verbose,
                                                 --dry-run */
    int no_health;            /* --no-health: no health warnings */
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
    int act_set;              /* --act was given */
    int lr_find;              /* --lr find: the range test's suggestion */
    int accept_outputs;       /* --accept-outputs: a resume may write where
                                 the checkpoint says, outside its directory */
    int resume_finished;      /* resuming a run that had ended: nothing new
                                 to log */
    /* For `descent cv`, which trains every fold through train_run: */
    dn_data *data_in;         /* train on these rows (taken over and freed)
                                 instead of loading DATA */
    dn_model **model_out;     /* receives the trained model (exit 0 only) */
    int no_save;              /* save no model, write no checkpoint */
    /* Reading the table and weighting its rows, as given (checked when
     * parsed): --sep, --na, --missing, --categorical, --drop,
     * --class-weight, --sample-weight. */
    const char *sep, *na, *missing, *categorical, *drop;
    const char *class_weight, *sample_weight;
    /* --memory SIZE: the budget a data set larger than it is streamed
     * within (train_stream.c); 0 without. */
    uint64_t memory;
} train_cfg;

/* Numeric options: name, where the value goes in train_cfg, its range. */
typedef struct {
    const char *name;
    size_t off;      /* offset in train_cfg */
    char type;       /* 'd' double, 'i' int, 'l' long, 'z' size_t */
    double lo, hi;
} train_num;
const train_num *train_nums(size_t *count);

/* Fills c from the command line: 0 ok, -1 help printed, else an exit code. */
int train_parse(int argc, char **argv, train_cfg *c);
/* For cv, lr-find and trace: the words own takes (cli_split), then the
 * rest into t by train_parse, messages naming cmd.  0: *targv (and
 * *targc, if not NULL) hold the words t points into, to free once t is
 * done with; -1: a help was printed (exit 0); else an exit code.
 * Nothing to free unless 0. */
int train_split(const char *cmd, const char *help, int argc, char **argv,
                cli_own_fn *own, void *cfg, train_cfg *t, char ***targv,
                int *targc);
/* 1 if the numeric option (e.g. "lr") was on the command line. */
int train_given(const train_cfg *c, const char *name);
/* The command line kept in checkpoints for --resume: argv[1..] joined by
 * \x1f, paths made absolute (train_note.c); malloc'd, NULL if out of
 * memory. */
char *train_note(int argc, char **argv, const train_cfg *c);
/* 1 if the option (without dashes) may differ between a run and its
 * resume: it changes no bit of the result (--epochs, --threads, ...). */
int train_free_option(const char *name);
/* 0 if a and b describe the same run (train_same.c); else 1, with the
 * first option that differs ("--lr", "DATA") and its value in each. */
int train_cfg_diff(const train_cfg *a, const train_cfg *b, char *name,
                   size_t name_len, char *va, char *vb, size_t len);
/* --resume FILE|auto (train_resume.c): the exit code. */
int train_resume(int argc, char **argv, train_cfg *now);
/* Loads, builds, trains and saves one run (cmd_train.c); note is kept in
 * its checkpoints. */
int train_run(train_cfg *c, const char *note);

/* Reads DATA (with --labels) as train does, encoded with schema when
 * not NULL (a --warm-start model's); why: see dn_csv_read. */
dn_status train_load(const train_cfg *c, const dn_schema *schema,
                     dn_csv_info *info, dn_data **all, char *why,
                     size_t why_len, dn_error *err);
/* The network of the options for data d, initialized with their seed
 * (cmd_train.c): 0, or an exit code after a message. */
int train_build(train_cfg *c, const dn_data *d, dn_model **out);
/* Input (and, for regression, target) scaling fitted on d, when the
 * options ask for it (the default). */
dn_status train_scale(const train_cfg *c, dn_model *m, const dn_data *d,
                      dn_error *err);
/* The default policy for a small table (train_auto.c): 1 when the user
 * left validation, epochs, L2 and patience to descent and the table is
 * small; then train_auto chooses lambda and the epochs by K-fold
 * cross-validation on all, sets them in c (no validation split, no
 * early stopping), and says so in why.  0, or an exit code. */
int train_auto_applies(const train_cfg *c, const dn_data *all);
int train_auto(train_cfg *c, const dn_data *all, char *why, size_t len);
/* The run's reading options (train_weights.c); info, if not NULL, is
 * zeroed and receives what the reader found. */
void train_csv_opts(const train_cfg *c, dn_csv_info *info, dn_csv_opts *o);
/* --class-weight into the rows' weights of train and val (may be NULL),
 * and a line saying the weights: 0, or the exit code after the message. */
int train_weights(const train_cfg *c, dn_data *train, dn_data *val);

/* --memory (train_stream.c): opens DATA for streaming when it is a row
 * cache or an uncompressed IDX file and does not fit the budget (*s
 * set, *all NULL), or reads it into *all when it fits (*s NULL); 0, or
 * the exit code after the message. */
int train_stream_open(const train_cfg *c, dn_stream **s, dn_data **all);
/* What a streamed run holds besides its row buffers, at most: the row
 * order, an IDX file's labels, the model and optimizer (params floats
 * each, six copies), the validation rows, the program and its
 * workspaces.  --memory less this is the rows' share. */
uint64_t train_stream_rest(const dn_stream *s, size_t params,
                           const dn_data *val);
/* 0 when the rows' share holds what dn_train_stream needs; else the
 * usage code after a message giving the --memory that would do. */
int train_stream_fits(const train_cfg *c, const dn_stream *s, size_t params,
                      const dn_data *val);
/* The first rows of a streamed file in memory (at most 1,024): the data
 * set train_build and the health checks look at; a --warm-start model's
 * schema must encode as the file's.  0, or the exit code after the
 * message. */
int train_stream_head(const train_cfg *c, const dn_stream *s,
                      const dn_model *warm, dn_data **head);
/* train_scale on the streamed file (both passes read it). */
dn_status train_stream_scale(const train_cfg *c, dn_model *m,
                             const dn_stream *s, dn_error *err);
/* What a streamed run cannot do (it never holds every row): 0, or the
 * usage code naming the option and what to do instead. */
int train_stream_refuse(const train_cfg *c);

/* The learning-rate range test on the training rows (train_lrfind.c):
 * c's optimizer, batch, L2 and seed; 0, or the exit code after the
 * message.  train_lr_say prints its outcome in a sentence. */
int train_lr_find(const train_cfg *c, dn_model *m, const dn_data *train,
                  const dn_lr_find_conf *conf, dn_lr_find_result *r);
void train_lr_say(FILE *out, const dn_lr_find_result *r);

/* --boundary DIR (train_regions.c): the decision regions as they form,
 * a frame before the first epoch and after every N-th (and the last),
 * each DIR/epoch-NNNN.svg, then all in DIR/regions.svg.  open does
 * nothing without --boundary; else it refuses a model that is not 2-D
 * and writes frame 0 (a resumed run: takes the checkpoint's frames): 0,
 * or the exit code after the message.  A frame
 * that fails later is a warning, and the frames stop.  close writes the
 * animation and frees r (NULL: nothing). */
typedef struct train_regions train_regions;
int  train_regions_every(const train_cfg *c);
int  train_regions_open(const train_cfg *c, const dn_model *m,
                        const dn_data *train, train_regions **r);
void train_regions_epoch(train_regions *r, const dn_model *m, int epoch);
/* The frames so far for a checkpoint (dn_keep_fn; user is r, NULL for
 * none): a resumed run's open takes them back instead of drawing frame
 * 0, so that its animation is an uninterrupted run's. */
dn_status train_regions_keep(void *user, const void **bytes, size_t *len,
                             dn_error *err);
void train_regions_close(train_regions *r, int quiet);

/* cli_files_check on every input and output of the run (outputs.c). */
int train_check_files(const train_cfg *c);
/* "64,32" or "64:tanh,32:relu" or "none" into A's hidden layers. */
int train_parse_layers(const char *spec, dn_act dflt, dn_arch *A);
/* One health warning in words on f (train_health.c): where, what it
 * means, what to try; eta is the epoch's learning rate. */
void train_health_say(FILE *f, const dn_model *m, const dn_health_warning *w,
                      const dn_train_opts *t, double eta);
/* The health checks' settings for a run of `epochs` epochs on n
 * training rows with L2 strength l2; under the small-table policy
 * (policy 1) their model pass is spaced out, under L2 the dead-unit
 * share raised, and `why` (len bytes) says what changed, else it is
 * left empty (train_health.c). */
void train_health_conf(int n, int policy, int epochs, double l2,
                       dn_health_conf *hc, char *why, size_t len);

#endif
