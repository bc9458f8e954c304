/* cmd_lrfind.c — `descent lr-find DATA [train options]`: the learning-
 * rate range test (dn_lr_find) on the network and training rows that
 * `descent train` with the same options would use, its suggestion, and
 * its picture (dn_plot_lr_find). */
#include "train.h"
#include <stdlib.h>
#include <string.h>

static const char *help =
"usage: descent lr-find DATA [--steps N] [--start ETA] [--end ETA]\n"
"                            [-o FILE.svg] [--csv] [train options]\n"
"\n"
"The learning-rate range test: mini-batch steps with the rate rising\n"
"exponentially from --start to --end, each batch's loss smoothed by a\n"
"moving average (0.98); the sweep stops where the smoothed loss passes\n"
"4 times its lowest value (the rate where training diverges).  Suggests\n"
"the rate where the smoothed loss falls fastest against log10 of the\n"
"rate, and draws the loss against the rate.  The network, rows (the\n"
"training split) and optimizer are those descent train would use with\n"
"the same options; its weights are not changed.  'descent train --lr\n"
"find' runs this first and trains at the suggestion.\n"
"\n"
"options:\n"
"  --steps N      mini-batch steps (default 200)\n"
"  --start ETA    the first rate (default 1e-7)\n"
"  --end ETA      the last rate (default 10)\n"
"  -o FILE        the SVG to write (default lr_find.svg)\n"
"  --csv          also print every step as CSV: step,lr,loss,smoothed\n"
"  train options: --layers, --act, --opt, --batch, --l2, --seed, --val,\n"
"                 ... (see 'descent train --help')\n"
"\n"
"examples:\n"
"  descent lr-find data/digits.csv --layers 64 -o lr.svg\n"
"  descent train data/digits.csv --layers 64 --lr find --epochs 10\n";

typedef struct {
    const char *out;
    int csv;
    dn_lr_find_conf conf;
} lrfind_cfg;

static int number(const char *opt, const char *v, double lo, double hi,
                  double *out)
{
    if (dn_parse_double(v, strlen(v), out) != 1 || !(*out >= lo && *out <= hi))
        return cli_usage("lr-find", "%s '%s': expected a number from %g to "
                         "%g", opt, v, lo, hi);
    return 0;
}

/* lr-find's own options (cli_split); the rest are train's. */
static int lrfind_own(void *cfg, int argc, char **argv, int *i, int *missing)
{
    lrfind_cfg *c = cfg;
    const char *v;
    double x;
    int rc;
    if ((v = cli_take(argc, argv, i, "--steps", missing))) {
        if ((rc = number("--steps", v, 3, 1e8, &x))) return rc;
        c->conf.steps = (int)x;
    } else if ((v = cli_take(argc, argv, i, "--start", missing))) {
        if ((rc = number("--start", v, 1e-30, 1e30, &x))) return rc;
        c->conf.eta_min = x;
    } else if ((v = cli_take(argc, argv, i, "--end", missing))) {
        if ((rc = number("--end", v, 1e-30, 1e30, &x))) return rc;
        c->conf.eta_max = x;
    } else if ((v = cli_take(argc, argv, i, "-o", missing)) ||
               (v = cli_take(argc, argv, i, "--output", missing))) {
        c->out = v;
    } else if (!strcmp(argv[*i], "--csv")) {
        c->csv = 1;
    } else {
        return CLI_TRAINS;
    }
    return 0;
}

/* The rows descent train would train on: all of DATA, or what its
 * validation split leaves (the held-out rows take no part here). */
static int training_rows(const train_cfg *c, dn_data **train)
{
    dn_error err;
    char why[512];
    dn_data *all = NULL, *val = NULL;
    *train = NULL;
    if (train_load(c, NULL, NULL, &all, why, sizeof why, &err))
        return cli_error("lr-find", &err);
    if (c->val <= 0 || c->val_data) {
        *train = all;
        return 0;
    }
    int rc = 0;
    if (dn_data_split(all, c->val, c->t.seed, train, &val, &err))
        rc = cli_error("lr-find", &err);
    dn_data_free(all);
    dn_data_free(val);
    return rc;
}

static int run(const lrfind_cfg *lc, train_cfg *c)
{
    dn_error err;
    dn_data *train = NULL;
    dn_model *m = NULL;
    dn_lr_find_result r;
    memset(&r, 0, sizeof r);
    int rc = 0;
    {
        cli_file f[] = { { "DATA", c->data, 0, NULL },
                         { "--labels", c->labels, 0, NULL },
                         { "-o", lc->out, 1, "plot" } };
        if ((rc = cli_files_check("lr-find", f, 3))) return rc;
    }
    if ((rc = training_rows(c, &train))) goto out;
    if ((rc = train_build(c, train, &m))) goto out;
    if (train_scale(c, m, train, &err)) { rc = cli_error("lr-find", &err); goto out; }
    if ((rc = train_lr_find(c, m, train, &lc->conf, &r))) goto out;
    printf("lr-find: %s, %d training rows, %s, batches of %d\n", c->data,
           train->n, dn_opt_name(c->t.opt.kind),
           c->t.batch <= 0 || c->t.batch > train->n ? train->n : c->t.batch);
    train_lr_say(stdout, &r);
    dn_fprintf(stdout, "suggested: %.6g\n", r.suggest);
    if (lc->csv) {
        printf("step,lr,loss,smoothed\n");
        for (int k = 0; k < r.n; k++)
            dn_fprintf(stdout, "%d,%.9g,%.9g,%.9g\n", k + 1, r.eta[k],
                       r.loss[k], r.smooth[k]);
    }
    if (dn_plot_lr_find(&r, c->data, lc->out, &err)) {
        rc = cli_error("lr-find", &err);
        goto out;
    }
    printf("plot: %s\n", lc->out);
out:
    dn_lr_find_free(&r);
    dn_model_free(m);
    dn_data_free(train);
    return rc;
}

int cmd_lrfind(int argc, char **argv)
{
    lrfind_cfg lc = { .out = "lr_find.svg" };
    dn_lr_find_defaults(&lc.conf);
    char **targv;
    train_cfg c;
    int rc = train_split("lr-find", help, argc, argv, lrfind_own, &lc, &c,
                         &targv, NULL);
    if (rc) return rc < 0 ? EXIT_OK : rc;
    if (c.solver_set)
        rc = cli_usage("lr-find", "--opt: the range test is for the "
                       "mini-batch optimizers (sgd ... adamw); the full-batch "
                       "solvers choose their own steps");
    else if (c.lr_find)
        rc = cli_usage("lr-find", "--lr find: lr-find sweeps the rate itself "
                       "(--start, --end)");
    else
        rc = run(&lc, &c);
    free(targv);
    return rc;
}
