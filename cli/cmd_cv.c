/* cmd_cv.c — `descent cv DATA --folds K [train options]`: K-fold
 * cross-validation.  The folds come from the library (dn_data_folds);
 * each fold is trained by train_run, the code of `descent train`, with
 * the options parsed by train_parse, and tested with dn_evaluate. */
#include "train.h"
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *help =
"usage: descent cv DATA [--folds K] [--repeats R] [--keep DIR]\n"
"                  [--refit -o MODEL] [train options]\n"
"\n"
"K-fold cross-validation: splits the rows of DATA into K folds, trains K\n"
"models, each on the other K-1 folds exactly as 'descent train' would with\n"
"the same options (its own validation split of those rows for early\n"
"stopping included), tests each on the fold it never saw, and prints every\n"
"fold's figures and their mean and standard deviation. Classification folds\n"
"are stratified: each class is dealt out evenly, its count differing by at\n"
"most 1 between folds; regression folds are plain. The folds depend on\n"
"--seed alone: the same seed, the same folds and figures.\n"
"\n"
"  --folds K       folds, from 2 to the rows of the smallest class (default 5)\n"
"  --repeats R     repeated cross-validation: R fold assignments, each its\n"
"                  own, R x K models (default 1)\n"
"  --keep DIR      save every fold's model in DIR (made if missing) as\n"
"                  fold-F.safetensors (repeat-R-fold-F with --repeats)\n"
"  --refit         then train once more on all the rows, saved as -o MODEL\n"
"  -o MODEL        where --refit saves\n"
"  -v, --verbose   show each fold's training as 'descent train' does\n"
"  train options   any of 'descent train --help' but --resume, --checkpoint,\n"
"                  --checkpoint-every, --history, --plot, --tensorboard,\n"
"                  --boundary and --dry-run, which are about one run\n"
"\n"
"Figures per fold: classification accuracy and loss (cross-entropy, as\n"
"'descent eval' reports it); regression R2, RMSE and MAE in the target's\n"
"units. The standard deviation is over the folds (numpy's std, ddof 0).\n"
"\n"
"examples:\n"
"  descent cv data/iris.csv --folds 5\n"
"  descent cv data/digits.csv --folds 10 --layers 64 --epochs 30 --seed 7\n"
"  descent cv data/house.csv --target price --repeats 3 --refit -o house.st\n";

typedef struct {
    long folds, repeats;
    const char *keep;
    int refit, out_given, verbose;
} cv_cfg;

/* The value of --name V / --name=V at argv[*i] (moving *i past it), or
 * NULL when argv[*i] is not that option. */
static int whole(const char *opt, const char *v, long lo, long hi,
                 const char *what, long *out)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || end == v || *end || x < lo || x > hi)
        return cli_usage("cv", "%s '%s': expected %s, a whole number from "
                         "%ld to %ld", opt, v, what, lo, hi);
    *out = x;
    return 0;
}

/* cv's own options (cli_split): --folds, --repeats, --keep, --refit;
 * -o and -v are noted and left to train. */
static int cv_own(void *cfg, int argc, char **argv, int *i, int *missing)
{
    cv_cfg *c = cfg;
    const char *w = argv[*i], *v;
    if ((v = cli_take(argc, argv, i, "--folds", missing)))
        return whole("--folds", v, 2, 100000000, "the number of folds (5 or "
                     "10 are usual)", &c->folds);
    if ((v = cli_take(argc, argv, i, "--repeats", missing)))
        return whole("--repeats", v, 1, 10000, "the number of repeats",
                     &c->repeats);
    if ((v = cli_take(argc, argv, i, "--keep", missing))) {
        c->keep = v;
        return 0;
    }
    if (!strcmp(w, "--refit")) {
        c->refit = 1;
        return 0;
    }
    if (!strcmp(w, "-o") || !strcmp(w, "--output") ||
        !strncmp(w, "--output=", 9) || !strncmp(w, "-o=", 3))
        c->out_given = 1;
    if (!strcmp(w, "-v") || !strcmp(w, "--verbose")) c->verbose = 1;
    return CLI_TRAINS;
}

/* What cv refuses of train's options: each is about a single run. */
static int refuse_single_run(const train_cfg *t, const cv_cfg *c)
{
    const char *opt = t->resume ? "--resume" : t->checkpoint ? "--checkpoint"
                    : t->history ? "--history" : t->plot ? "--plot"
                    : t->tensorboard ? "--tensorboard"
                    : t->boundary ? "--boundary"
                    : t->dry_run ? "--dry-run" : NULL;
    if (opt)
        return cli_usage("cv", "%s is about one training run, and cv makes "
                         "%ld; train a single model with 'descent train' to "
                         "use it", opt, c->folds * c->repeats + c->refit);
    if (c->out_given && !c->refit)
        return cli_usage("cv", "-o names the model --refit trains on all the "
                         "rows: add --refit, or drop -o (--keep DIR keeps the "
                         "folds' models)");
    if (c->refit && !c->out_given)
        return cli_usage("cv", "--refit needs -o MODEL, the file to save the "
                         "model trained on all the rows in");
    return 0;
}

/* DIR for --keep: made if missing; the first model's name checked. */
static int keep_dir(const char *dir, const char *first)
{
    struct stat sb;
    if (stat(dir, &sb) != 0) {
        if (mkdir(dir, 0777) != 0) {
            fprintf(stderr, "descent cv: --keep %s: cannot make the "
                    "directory: %s; give a directory that exists or can be "
                    "made\n", dir, strerror(errno));
            return EXIT_DATA;
        }
    } else if (!S_ISDIR(sb.st_mode)) {
        return cli_usage("cv", "--keep %s is not a directory; give a "
                         "directory for the folds' models", dir);
    }
    dn_error err;
    if (dn_atomic_check(first, "model", &err)) return cli_error("cv", &err);
    return 0;
}

static void fold_path(char *buf, size_t n, const char *dir, long repeats,
                      int r, int f)
{
    if (repeats > 1)
        snprintf(buf, n, "%s/repeat-%d-fold-%d.safetensors", dir, r + 1, f + 1);
    else
        snprintf(buf, n, "%s/fold-%d.safetensors", dir, f + 1);
}

/* The figures of one fold: accuracy, loss; or R2, RMSE, MAE; then its
 * training and test rows (N_SLOT numbers a fold). */
enum { N_FIG = 3, N_SLOT = 5 };

static int fold_figures(const dn_model *m, const dn_data *test, double *v,
                        dn_error *err)
{
    dn_metrics mt;
    if (dn_evaluate(m, test, &mt, err)) return -1;
    if (dn_model_arch(m)->loss == DN_LOSS_MSE) {
        v[0] = mt.r2;
        v[1] = sqrt(mt.mse);
        v[2] = mt.mae;
    } else {
        v[0] = mt.accuracy;
        v[1] = mt.loss;
        v[2] = NAN;
    }
    return 0;
}

/* One fold's line of the table. */
static void print_fold(int R, int r, int f, const double *v, int regression)
{
    if (R > 1) printf("%6d ", r + 1);
    dn_fprintf(stdout, "%5d %7d %6d  %10.4f %10.4g", f + 1, (int)v[3],
               (int)v[4], v[0], v[1]);
    if (regression) dn_fprintf(stdout, " %10.4g", v[2]);
    putchar('\n');
    fflush(stdout);
}

static void mean_std(const double *v, int n, double *mean, double *sd)
{
    double s = 0, q = 0;
    for (int i = 0; i < n; i++) s += v[i];
    *mean = s / n;
    for (int i = 0; i < n; i++) q += (v[i] - *mean) * (v[i] - *mean);
    *sd = sqrt(q / n);
}

/* Fold f of repeat r: trained as 'descent train' with t's options on the
 * other folds' rows (alone, under MPI), its figures into v. */
static int run_fold(const cv_cfg *c, const train_cfg *t, const char *note,
                    const dn_data *all, const int32_t *fold, int r, int f,
                    int say, double *v)
{
    dn_data *train = NULL, *test = NULL;
    dn_model *m = NULL;
    dn_error err;
    char path[4096];
    if (dn_data_fold_split(all, fold, f, &train, &test, &err)) return cli_error("cv", &err);
    train_cfg ft = *t;
    v[3] = train->n;
    v[4] = test->n;
    ft.data_in = train;          /* train_run frees it */
    ft.model_out = &m;
    ft.t.alone = dn_dist_size() > 1;
    ft.quiet = t->quiet || !c->verbose || !say;
    ft.no_save = !c->keep;
    if (c->keep) {
        fold_path(path, sizeof path, c->keep, c->repeats, r, f);
        ft.out = path;
    }
    if (c->verbose && say) {
        if (c->repeats > 1) printf("---- repeat %d, fold %d ----\n", r + 1, f + 1);
        else printf("---- fold %d ----\n", f + 1);
    }
    int rc = train_run(&ft, note);
    if (!rc && fold_figures(m, test, v, &err)) rc = cli_error("cv", &err);
    dn_model_free(m);
    dn_data_free(test);
    return rc;
}

int cmd_cv(int argc, char **argv)
{
    cv_cfg c = { .folds = 5, .repeats = 1 };
    char **targv;
    int targc;
    train_cfg t;
    int rc = train_split("cv", help, argc, argv, cv_own, &c, &t, &targv,
                         &targc);
    if (rc) return rc < 0 ? EXIT_OK : rc;
    /* Under MPI the folds are dealt to the ranks in turn, each trained
     * alone by its rank; the figures are summed over the ranks at the end
     * (the refit trains on all of them together). */
    const int rank = dn_dist_rank(), ranks = dn_dist_size(), say = rank == 0;
    dn_data *all = NULL;
    dn_model *warm = NULL;
    int32_t *fold = NULL;
    double *fig = NULL;
    char *note = NULL;
    dn_error err;
    char path[4096];
    if ((rc = refuse_single_run(&t, &c))) goto out;
    {
        cli_file f[] = { { "DATA", t.data, 0, NULL },
                         { "--labels", t.labels, 0, NULL },
                         { "--val-data", t.val_data, 0, NULL },
                         { "--val-labels", t.val_labels, 0, NULL },
                         { "--warm-start", t.warm, 0, NULL },
                         { "-o", c.refit ? t.out : NULL, 1, "model" },
                         { "--keep", c.keep, 1, NULL } };
        if ((rc = cli_files_check("cv", f, (int)(sizeof f / sizeof *f))))
            goto out;
    }
    /* The rows, read once as train reads them (with the warm model's
     * encoding under --warm-start). */
    if (t.warm && dn_model_load(t.warm, &warm, &err)) { rc = cli_error("cv", &err); goto out; }
    if (warm && !dn_model_schema(warm)) {
        rc = cli_usage("cv", "--warm-start %s: the model has no data schema "
                       "to encode the data with", t.warm);
        goto out;
    }
    char why[512];
    if (train_load(&t, warm ? dn_model_schema(warm) : NULL, NULL, &all, why,
                   sizeof why, &err)) {
        rc = cli_error("cv", &err);
        goto out;
    }
    const dn_schema *s = all->schema;
    const int regression = !s || s->task == DN_TASK_REGRESSION;
    const int K = (int)c.folds, R = (int)c.repeats;
    fold = malloc((size_t)all->n * sizeof *fold);
    fig = calloc((size_t)K * R * N_SLOT, sizeof *fig);
    note = train_note(targc, targv, &t);
    if (!fold || !fig || !note) { fputs("descent cv: out of memory\n", stderr); rc = EXIT_DATA; goto out; }
    /* Every repeat's folds are checked before the first model trains. */
    if (dn_data_folds(all, K, t.t.seed, 0, fold, &err)) {
        fprintf(stderr, "descent cv: --folds %d: %s\n", K, err.msg);
        rc = err.code == DN_EARG ? EXIT_USAGE : EXIT_DATA;
        goto out;
    }
    /* Only now, with the data and folds known good: nothing is made for
     * a run that cannot start. */
    if (c.keep && rank == 0) {
        fold_path(path, sizeof path, c.keep, c.repeats, 0, 0);
        if ((rc = keep_dir(c.keep, path))) goto out;
    }
    if (c.keep && ranks > 1) {   /* the others write into it: wait for it */
        double made = 0;
        dn_dist_sum(&made, 1);
    }
    if (say) {
        printf("cv: %s: %d rows, %s", t.data, all->n, regression ? "regression"
               : s->task == DN_TASK_BINARY ? "binary" : "multiclass");
        if (!regression) printf(" (%d classes)", s->n_classes);
        printf("; %d folds%s, %s, seed %llu%s\n", K, R > 1 ? " per repeat" : "",
               regression ? "plain (shuffled)" : "stratified by class",
               (unsigned long long)t.t.seed, R > 1 ? "" : "");
        if (R > 1) printf("repeats: %d, each with its own fold assignment\n", R);
        printf("each fold: trained as 'descent train' with these options, "
               "tested on the rows it did not see\n\n");
        printf("%s%5s %7s %6s  %10s %10s%s\n", R > 1 ? "repeat " : "", "fold",
               "train", "test", regression ? "R2" : "accuracy",
               regression ? "RMSE" : "loss", regression ? "        MAE" : "");
        fflush(stdout);
    }
    int done = 0;
    for (int r = 0; r < R; r++) {
        if (r && dn_data_folds(all, K, t.t.seed, r, fold, &err)) { rc = cli_error("cv", &err); goto out; }
        for (int f = 0; f < K; f++, done++) {
            double *v = fig + (size_t)done * N_SLOT;
            if (done % ranks == rank && (rc = run_fold(&c, &t, note, all, fold,
                                                       r, f, say, v)))
                goto out;
            if (say && ranks == 1) print_fold(R, r, f, v, regression);
        }
    }
    if (ranks > 1) {
        dn_dist_sum(fig, done * N_SLOT);
        done = 0;
        for (int r = 0; r < R; r++)
            for (int f = 0; f < K; f++, done++)
                if (say) print_fold(R, r, f, fig + (size_t)done * N_SLOT,
                                    regression);
    }
    if (say) {
        double mean[N_FIG], sd[N_FIG];
        double *tmp = malloc((size_t)done * sizeof *tmp);
        if (!tmp) { rc = EXIT_DATA; goto out; }
        for (int j = 0; j < N_FIG; j++) {
            for (int i = 0; i < done; i++) tmp[i] = fig[(size_t)i * N_SLOT + j];
            mean_std(tmp, done, &mean[j], &sd[j]);
        }
        free(tmp);
        const char *name[N_FIG] = { regression ? "R2" : "accuracy",
                                    regression ? "RMSE" : "loss", "MAE" };
        printf("\n");
        for (int j = 0; j < (regression ? 3 : 2); j++)
            dn_fprintf(stdout, j ? "   %s %.4g ± %.3g" : "%s %.4f ± %.4f",
                       name[j], mean[j], sd[j]);
        printf("   (mean ± std over %d folds%s)\n", done, R > 1 ? ", all repeats" : "");
        if (c.keep) printf("models: %s/%s\n", c.keep, R > 1
                           ? "repeat-*-fold-*.safetensors" : "fold-*.safetensors");
    }
    if (c.refit) {
        train_cfg ft = t;
        ft.data_in = all;
        all = NULL;                  /* train_run frees it */
        ft.quiet = t.quiet || !c.verbose;
        if ((rc = train_run(&ft, note))) goto out;
        if (say) printf("refit: trained on all the rows, saved %s\n", t.out);
    }
out:
    dn_model_free(warm);
    dn_data_free(all);
    free(fold);
    free(fig);
    free(note);
    free(targv);
    return rc;
}
