/* cmd_landscape.c — `descent landscape`: the notes' picture of gradient
 * descent.  Optimizers walk a small function from one start point, each
 * with the update that trains networks (dn_land_descend runs
 * dn_opt_step), and the paths are drawn over the function's contours, or
 * along its curve for the one-parameter C(w) = (w − 3)². */
#include "cli.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_OPTS 16
#define MAX_STEPS 100000

static const char *help =
"usage: descent landscape [--fn NAME] [--opt LIST] [--start X,Y] [--steps N]\n"
"                         [--lr RATE | --lr OPT=RATE,...] [-o FILE.svg]\n"
"\n"
"Runs optimizers on a small function from one start point and draws their\n"
"paths over its contour map (SVG), with each path's steps and final value\n"
"in the legend.  The updates are the same code that trains networks\n"
"(dn_opt_step; dn_minimize for the solvers).\n"
"\n"
"functions (--fn, default rosenbrock):\n"
"  parabola     C(w) = (w - 3)^2, one parameter: the curve with the steps\n"
"  bowl         x^2 + 10 y^2, an elongated bowl\n"
"  rosenbrock   (1 - x)^2 + 100 (y - x^2)^2, a curved valley, min (1, 1)\n"
"  beale        (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2\n"
"  saddle       x^2 - y^2/2 + y^4/4, a saddle between minima (0, +-1)\n"
"\n"
"options:\n"
"  --opt LIST     comma-separated: the optimizers sgd, momentum, nesterov,\n"
"                 adagrad, rmsprop, adam, adamw, and the full-batch solvers\n"
"                 lbfgs, cg, newton, hf, lm (lm: not on the saddle, which is\n"
"                 no sum of squares); default sgd,momentum,rmsprop,adam,lbfgs\n"
"                 (sgd alone for the parabola)\n"
"  --start X,Y    the start point (one number for the parabola; default:\n"
"                 the function's classic start)\n"
"  --steps N      updates per optimizer (default: the function's)\n"
"  --lr RATE      one learning rate for all optimizers (solvers choose\n"
"                 their own steps), or per optimizer:\n"
"                 --lr sgd=0.001,adam=0.05 (default: a rate per function\n"
"                 for the SGD family and one for the adaptive methods)\n"
"  -o FILE        the SVG to write (default landscape.svg)\n"
"  --log          contour levels spaced geometrically\n"
"  --csv          also print every path as CSV: optimizer,step,x,y,f\n"
"  --title TEXT   instead of the formula\n"
"\n"
"examples:\n"
"  descent landscape --fn rosenbrock --opt sgd,momentum,rmsprop,adam,lbfgs \\\n"
"      --start -1.5,2 --steps 1000 -o rosenbrock.svg\n"
"  descent landscape --fn parabola --opt sgd --lr 0.1 --steps 10 -o one.svg\n"
"  descent landscape --fn saddle --opt sgd,adam --csv > paths.csv\n";

/* "a,b" into up to max numbers; the count, or -1 if malformed. */
static int parse_numbers(const char *s, double *v, int max)
{
    int n = 0;
    for (const char *p = s;; p++) {
        size_t len = strcspn(p, ",");
        if (n == max || dn_parse_double(p, len, &v[n]) != 1 || !isfinite(v[n]))
            return -1;
        n++;
        p += len;
        if (!*p) return n;
    }
}

/* One path: a first-order optimizer with its rate, or a full-batch
 * solver, which chooses its own steps. */
typedef struct {
    int solver;
    dn_opt_kind kind;
    dn_solver_kind skind;
    double eta;
    int eta_set;
} run;

static const char *run_name(const run *r)
{
    return r->solver ? dn_solver_name(r->skind) : dn_opt_name(r->kind);
}

/* "sgd,adam" into runs. */
static int parse_opts(const char *s, run *r, int *n)
{
    char buf[256];
    if (strlen(s) >= sizeof buf)
        return cli_usage("landscape", "--opt: list too long");
    strcpy(buf, s);
    *n = 0;
    for (char *save, *t = strtok_r(buf, ",", &save); t;
         t = strtok_r(NULL, ",", &save)) {
        dn_error err;
        if (*n == MAX_OPTS)
            return cli_usage("landscape", "--opt: at most %d optimizers",
                             MAX_OPTS);
        r[*n].eta_set = 0;
        r[*n].solver = dn_opt_parse(t, &r[*n].kind, &err) != DN_OK;
        if (r[*n].solver && dn_solver_parse(t, &r[*n].skind, &err))
            return cli_usage("landscape", "--opt '%s': not an optimizer (sgd, "
                             "momentum, nesterov, adagrad, rmsprop, adam, adamw) "
                             "nor a solver (lbfgs, cg, lm, newton)", t);
        (*n)++;
    }
    if (!*n) return cli_usage("landscape", "--opt: no optimizer named");
    return 0;
}

/* "0.01" for every run, or "sgd=0.001,adam=0.05". */
static int parse_lr(const char *s, run *r, int n)
{
    char buf[256];
    double all;
    if (dn_parse_double(s, strlen(s), &all) == 1) {
        if (!isfinite(all) || all < 0)
            return cli_usage("landscape", "--lr '%s': expected a rate ≥ 0", s);
        for (int i = 0; i < n; i++) { r[i].eta = all; r[i].eta_set = 1; }
        return 0;   /* solvers ignore it: they choose their steps */
    }
    if (strlen(s) >= sizeof buf) return cli_usage("landscape", "--lr: too long");
    strcpy(buf, s);
    for (char *save, *t = strtok_r(buf, ",", &save); t;
         t = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(t, '=');
        dn_opt_kind k;
        dn_solver_kind sk;
        dn_error err;
        if (!eq) return cli_usage("landscape", "--lr '%s': expected RATE or "
                                  "OPT=RATE,...", s);
        *eq = 0;
        if (!dn_solver_parse(t, &sk, &err))
            return cli_usage("landscape", "--lr %s: a solver has no learning "
                             "rate; it chooses each step itself", t);
        if (dn_opt_parse(t, &k, &err))
            return cli_usage("landscape", "--lr: %s", err.msg);
        double v;
        if (dn_parse_double(eq + 1, strlen(eq + 1), &v) != 1 || !isfinite(v) ||
            v < 0)
            return cli_usage("landscape", "--lr %s='%s': expected a rate ≥ 0",
                             t, eq + 1);
        int found = 0;
        for (int i = 0; i < n; i++)
            if (!r[i].solver && r[i].kind == k) {
                r[i].eta = v;
                r[i].eta_set = 1;
                found = 1;
            }
        if (!found)
            return cli_usage("landscape", "--lr %s: '%s' is not in --opt", t, t);
    }
    return 0;
}

static int sgd_family(dn_opt_kind k)
{
    return k == DN_OPT_SGD || k == DN_OPT_MOMENTUM || k == DN_OPT_NESTEROV;
}

int cmd_landscape(int argc, char **argv)
{
    cli_args a;
    cli_args_init(&a, "landscape", argc, argv);
    const char *o, *p, *v, *out = "landscape.svg", *opts = NULL, *lr = NULL;
    const char *start_s = NULL;
    dn_land fn = DN_LAND_ROSENBROCK;
    dn_plot_opts po = { .title = NULL };
    long steps = -1;
    int csv = 0;
    dn_error err;
    while (cli_next(&a, &o, &p)) {
        if (p) return cli_usage("landscape", "unexpected argument '%s'", p);
        if (!strcmp(o, "h") || !strcmp(o, "help")) {
            fputs(help, stdout);
            return EXIT_OK;
        } else if (!strcmp(o, "fn")) {
            if (!(v = cli_value(&a))) return EXIT_USAGE;
            if (dn_land_parse(v, &fn, &err))
                return cli_usage("landscape", "--fn: %s", err.msg);
        } else if (!strcmp(o, "opt")) {
            if (!(opts = cli_value(&a))) return EXIT_USAGE;
        } else if (!strcmp(o, "lr")) {
            if (!(lr = cli_value(&a))) return EXIT_USAGE;
        } else if (!strcmp(o, "start")) {
            if (!(start_s = cli_value(&a))) return EXIT_USAGE;
        } else if (!strcmp(o, "steps")) {
            if (!cli_int(&a, 0, MAX_STEPS, &steps)) return EXIT_USAGE;
        } else if (!strcmp(o, "o") || !strcmp(o, "output")) {
            if (!(out = cli_value(&a))) return EXIT_USAGE;
        } else if (!strcmp(o, "title")) {
            if (!(po.title = cli_value(&a))) return EXIT_USAGE;
        } else if (!strcmp(o, "log")) {
            po.log_scale = 1;
        } else if (!strcmp(o, "csv")) {
            csv = 1;
        } else return cli_usage("landscape", "unknown option '%s'",
                                argv[a.i - 1]);
    }
    const dn_land_info *in = dn_land_get(fn);
    run r[MAX_OPTS];
    int n_runs = 0, rc;
    if (!opts) opts = in->dim == 1 ? "sgd" : "sgd,momentum,rmsprop,adam,lbfgs";
    if ((rc = parse_opts(opts, r, &n_runs))) return rc;
    if (lr && (rc = parse_lr(lr, r, n_runs))) return rc;
    double start[2] = { in->start[0], in->start[1] };
    if (start_s && parse_numbers(start_s, start, 2) != in->dim)
        return cli_usage("landscape", "--start '%s': expected %s", start_s,
                         in->dim == 1 ? "one number (w)" : "two numbers, X,Y");
    if (steps < 0) steps = in->steps;
    /* The SVG's place is checked before any path is run or printed, as
     * every command checks its outputs (cli_files_check).  No rescue
     * file if the write still fails: the paths take under a second even
     * at the limits (16 optimizers of 100,000 steps) and the same
     * command gives the same bits again. */
    cli_file f[] = { { "-o", out, 1, "plot" } };
    if ((rc = cli_files_check("landscape", f, 1))) return rc;

    float *buf = malloc((size_t)n_runs * (steps + 1) * in->dim * sizeof *buf);
    dn_land_path paths[MAX_OPTS];
    char labels[MAX_OPTS][64];
    if (!buf) { fputs("descent landscape: out of memory\n", stderr); return EXIT_DATA; }
    if (csv) printf("optimizer,step,x,y,f\n");
    for (int i = 0; i < n_runs; i++) {
        float *xy = buf + (size_t)i * (steps + 1) * in->dim;
        int n;
        dn_status st;
        char how[96] = "";
        if (r[i].solver) {
            dn_solver_conf c;
            dn_min_result res;
            dn_solver_defaults(&c, r[i].skind);
            st = dn_land_solve(fn, &c, start, (int)steps, xy, &n, &res, &err);
            snprintf(labels[i], sizeof labels[i], "%s", run_name(&r[i]));
            if (!st && n - 1 < steps)
                snprintf(how, sizeof how, "; %s", dn_stop_name(res.reason));
        } else {
            dn_opt_conf c;
            dn_opt_defaults(&c, r[i].kind);
            double eta = r[i].eta_set ? r[i].eta
                       : sgd_family(r[i].kind) ? in->eta_sgd : in->eta_adaptive;
            st = dn_land_descend(fn, &c, eta, start, (int)steps, xy, &n, &err);
            dn_snprintf(labels[i], sizeof labels[i], "%s (lr %g)",
                        run_name(&r[i]), eta);
            if (!st && n - 1 < steps) snprintf(how, sizeof how, "; diverged");
        }
        if (st) {
            free(buf);
            return cli_error("landscape", &err);
        }
        if (n == 0) {
            free(buf);
            return cli_usage("landscape", "--start: f is not finite there, "
                             "or a coordinate exceeds 1e6");
        }
        paths[i] = (dn_land_path){ .label = labels[i], .xy = xy, .n = n };
        const float *e = xy + (size_t)(n - 1) * in->dim;
        double pt[2] = { e[0], in->dim == 2 ? e[1] : 0 };
        if (csv) {
            for (int k = 0; k < n; k++) {
                double q[2] = { xy[k * in->dim], in->dim == 2 ? xy[k * 2 + 1] : 0 };
                dn_fprintf(stdout, "%s,%d,%.9g,", run_name(&r[i]), k, q[0]);
                if (in->dim == 2) dn_fprintf(stdout, "%.9g", q[1]);
                dn_fprintf(stdout, ",%.9g\n", dn_land_eval(fn, q, NULL));
            }
        } else if (in->dim == 2) {
            dn_fprintf(stdout, "%-24s %d step%s, end (%.4g, %.4g), f = %.4g%s\n",
                       labels[i], n - 1, n == 2 ? "" : "s", pt[0], pt[1],
                       dn_land_eval(fn, pt, NULL), how);
        } else {
            dn_fprintf(stdout, "%-24s %d step%s, end w = %.6g, C(w) = %.4g%s\n",
                       labels[i], n - 1, n == 2 ? "" : "s", pt[0],
                       dn_land_eval(fn, pt, NULL), how);
        }
    }
    rc = EXIT_OK;
    if (dn_plot_landscape(fn, paths, n_runs, &po, out, &err))
        rc = cli_error("landscape", &err);
    else if (!csv)
        printf("wrote %s: %s\n", out, in->formula);
    free(buf);
    return rc;
}
