/* trace_fn.c — `descent trace --fn "(w-3)^2"`: the notes' first example,
 * gradient descent on a cost of one parameter, step by step.  The
 * derivative comes from the expression itself (fn_expr.c: the chain rule
 * node by node), and the update from the optimizer that trains networks
 * (dn_opt_step on a parameter vector of one float), so the numbers are
 * those training would produce. */
#include "trace.h"
#include "fn_expr.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STEPS 100000

static const char *tex_num(char *buf, size_t n, double v)
{
    dn_snprintf(buf, n, "%.6g", v);
    return buf;
}

/* One row of the table: k, w, C(w), C'(w) [, the finite difference]. */
static void row(tr_out *o, int k, double w, double c, double dc, int check,
                double fd)
{
    char b[4][32];
    tex_num(b[0], sizeof b[0], w);
    tex_num(b[1], sizeof b[1], c);
    tex_num(b[2], sizeof b[2], dc);
    tex_num(b[3], sizeof b[3], fd);
    switch (o->fmt) {
    case TR_TEXT:
        fprintf(o->out, "%5d  %12s  %12s  %12s", k, b[0], b[1], b[2]);
        if (check) fprintf(o->out, "  %12s", b[3]);
        fputc('\n', o->out);
        break;
    case TR_MARKDOWN:
        fprintf(o->out, "| %d | %s | %s | %s |", k, b[0], b[1], b[2]);
        if (check) fprintf(o->out, " %s |", b[3]);
        fputc('\n', o->out);
        break;
    case TR_LATEX:
        fprintf(o->out, "%d & %s & %s & %s", k, b[0], b[1], b[2]);
        if (check) fprintf(o->out, " & %s", b[3]);
        fputs(" \\\\\n", o->out);
        break;
    }
}

static void header(tr_out *o, int check)
{
    switch (o->fmt) {
    case TR_TEXT:
        fprintf(o->out, "%5s  %12s  %12s  %12s", "step", "w", "C(w)", "C'(w)");
        if (check) fprintf(o->out, "  %12s", "finite diff");
        fputc('\n', o->out);
        break;
    case TR_MARKDOWN:
        fputs(check ? "| k | w | C(w) | C'(w) | finite difference |\n"
                      "|---|---|---|---|---|\n"
                    : "| k | w | C(w) | C'(w) |\n|---|---|---|---|\n", o->out);
        break;
    case TR_LATEX:
        fputs(check ? "\\begin{tabular}{rrrrr}\n$k$ & $w_k$ & $C(w_k)$ & "
                      "$C'(w_k)$ & finite difference \\\\ \\hline\n"
                    : "\\begin{tabular}{rrrr}\n$k$ & $w_k$ & $C(w_k)$ & "
                      "$C'(w_k)$ \\\\ \\hline\n", o->out);
        break;
    }
}

static int fn_usage(const char *fmt, const char *v)
{
    return cli_usage("trace", fmt, v);
}

int trace_fn(int argc, char **argv)
{
    const char *text = NULL, *opt = "sgd";
    double w0 = 0, eta = 0.1;
    long steps = 5;
    int check = 0, eta_given = 0;
    tr_out o = { stdout, TR_TEXT, 0 };
    cli_args a;
    cli_args_init(&a, "trace", argc, argv);
    const char *name, *pos;
    while (cli_next(&a, &name, &pos)) {
        if (pos)
            return cli_usage("trace", "unexpected argument '%s': with --fn "
                             "the cost is the expression, no DATA", pos);
        if (!strcmp(name, "fn")) {
            if (!(text = cli_value(&a))) return EXIT_USAGE;
        } else if (!strcmp(name, "w0")) {
            if (!cli_double(&a, -1e30, 1e30, &w0)) return EXIT_USAGE;
        } else if (!strcmp(name, "lr") || !strcmp(name, "eta")) {
            if (!cli_double(&a, 0, 1e30, &eta)) return EXIT_USAGE;
            eta_given = 1;
        } else if (!strcmp(name, "steps")) {
            if (!cli_int(&a, 0, MAX_STEPS, &steps)) return EXIT_USAGE;
        } else if (!strcmp(name, "opt")) {
            if (!(opt = cli_value(&a))) return EXIT_USAGE;
        } else if (!strcmp(name, "check")) {
            check = 1;
        } else if (!strcmp(name, "format")) {
            const char *v = cli_value(&a);
            if (!v) return EXIT_USAGE;
            if (!strcmp(v, "text")) o.fmt = TR_TEXT;
            else if (!strcmp(v, "markdown") || !strcmp(v, "md")) o.fmt = TR_MARKDOWN;
            else if (!strcmp(v, "latex")) o.fmt = TR_LATEX;
            else return fn_usage("--format '%s': use text, markdown or latex", v);
        } else {
            return cli_usage("trace", "--%s is not an option of trace --fn "
                             "(it takes --w0, --lr, --steps, --opt, --check, "
                             "--format)", name);
        }
    }
    fn_expr e;
    char msg[256];
    if (fn_parse(text, &e, msg, sizeof msg))
        return cli_usage("trace", "--fn \"%s\": %s", text, msg);

    dn_error err;
    dn_opt_conf conf;
    dn_opt_kind kind;
    if (dn_opt_parse(opt, &kind, &err))
        return cli_usage("trace", "--opt: %s", err.msg);
    dn_opt_defaults(&conf, kind);
    if (!eta_given && kind != DN_OPT_SGD) eta = dn_opt_default_eta(kind);
    dn_opt *op = NULL;
    if (dn_opt_new(&conf, 1, NULL, &op, &err)) return cli_error("trace", &err);

    /* w is a float, as a network's parameters are: the update is theirs. */
    float w = (float)w0, g;
    char b1[32], b2[32];
    if (o.fmt == TR_TEXT) {
        printf("C(w) = %s, w0 = %s, eta = %s, %s", text,
               tex_num(b1, sizeof b1, w), tex_num(b2, sizeof b2, eta),
               dn_opt_name(kind));
        printf(kind == DN_OPT_SGD ? ": w <- w - eta C'(w)\n" : " (see "
               "descent.h for its update)\n");
        printf("C'(w) is the expression's own derivative (the chain rule, "
               "node by node);\nthe update is dn_opt_step, the one that "
               "trains networks, on one float.\n");
        if (check) printf("finite diff: (C(w + h) - C(w - h)) / 2h, h = "
                          "1e-4 max(1, |w|)\n");
        putchar('\n');
    } else {
        tr_note(&o, "Gradient descent on C(w) = %s from w0 = %s with eta = "
                "%s (%s).", text, tex_num(b1, sizeof b1, w),
                tex_num(b2, sizeof b2, eta), dn_opt_name(kind));
    }
    header(&o, check);
    int rc = EXIT_OK;
    for (long k = 0; k <= steps; k++) {
        double c, dc, fd = 0;
        fn_eval(&e, w, &c, &dc);
        if (check) {
            double h = 1e-4 * fmax(1, fabs(w)), cp, cm, unused;
            fn_eval(&e, w + h, &cp, &unused);
            fn_eval(&e, w - h, &cm, &unused);
            fd = (cp - cm) / (2 * h);
        }
        row(&o, (int)k, w, c, dc, check, fd);
        if (!isfinite(c) || !isfinite(dc)) {
            dn_fprintf(stderr, "descent trace: step %ld: C(%g) = %g, C'(%g) = %g:"
                    " not a finite number; w is outside the function's domain "
                    "or the steps diverged (try a smaller --lr)\n", k, w, c,
                    w, dc);
            rc = EXIT_DATA;
            break;
        }
        if (k == steps) break;
        g = (float)dc;
        dn_opt_step(op, &w, &g, eta);
    }
    if (o.fmt == TR_LATEX) fputs("\\end{tabular}\n", o.out);
    dn_opt_free(op);
    return rc;
}
