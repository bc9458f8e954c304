/* cmd_trace.c — `descent trace`: one training step of a small network,
 * printed in the notes' notation with its numbers.
 *
 * Every number shown comes from the library's own code: the forward pass
 * and the gradient from dn_gradient (z and a read back with dn_ws_z and
 * dn_ws_a), each row's delta as that row's ∂C/∂b (dn_gradient on the row
 * alone), f'(z) from dn_ws_fprime (the backward pass's own factor), L2
 * from dn_l2_add, the update from dn_opt_step with its state read back
 * with dn_opt_state — what `descent train` does in one step, not a
 * second implementation of it.  The only arithmetic done here is for
 * showing: W^T delta_next, the mean over rows, and the bias corrections
 * (scalars).  --check sets each parameter off by ±h and measures the
 * loss again, the definition of the derivative beside backpropagation. */
#include "trace.h"
#include "train.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ROWS 8

static const char *help =
"usage: descent trace DATA [--rows A..B] [--check] [--full]\n"
"                          [--format text|markdown|latex] [train options]\n"
"       descent trace --fn EXPR [--w0 W] [--lr ETA] [--steps N] [--opt O]\n"
"                          [--check] [--format text|markdown|latex]\n"
"\n"
"Shows one training step in the notes' notation, with the numbers: for\n"
"each layer z = W a + b and a = f(z); the loss; the output error delta_L\n"
"and why it has that form for the output and loss; each hidden delta =\n"
"(W^T delta_next) * f'(z); dC/dW = delta a^T and dC/db = delta; the L2\n"
"term; the optimizer's update (for adam: m, v, the bias corrections and\n"
"the step); and the loss after the step.  The numbers are the library's\n"
"own (the same forward, backward and optimizer code as descent train).\n"
"\n"
"options:\n"
"  --rows A..B    the data rows to step on, 1-based (default 1; at most 8:\n"
"                 a batch of N rows shows one column per row, and the\n"
"                 gradient is their mean)\n"
"  --check        beside every gradient its centred finite difference\n"
"                 (C(theta + h) - C(theta - h)) / 2h, and the largest gap\n"
"  --full         every entry of every matrix (default: matrices past 6\n"
"                 rows or columns show their first 4 and last)\n"
"  --format F     text (default), markdown ($$ TeX $$) or latex\n"
"  --warm-start MODEL   step a saved model instead of a new one\n"
"  train options: --layers (default 3 here: a step you can read), --act,\n"
"                 --loss, --init, --seed, --opt, --lr, --l2, the\n"
"                 optimizer's settings, --no-standardize, --target, ...\n"
"                 (see 'descent train --help')\n"
"\n"
"the one-parameter example (--fn):\n"
"  --fn EXPR      a cost C(w): numbers, w, + - * / ^, parentheses, pi, e,\n"
"                 sin cos tan exp log sqrt abs tanh sigmoid; C'(w) is\n"
"                 derived from it exactly\n"
"  --w0 W         the start (default 0)\n"
"  --lr ETA       the learning rate (default 0.1)\n"
"  --steps N      updates (default 5)\n"
"  --opt O        the optimizer (default sgd)\n"
"\n"
"examples:\n"
"  descent trace --fn \"(w-3)^2\" --w0 0 --lr 0.1 --steps 5\n"
"  descent trace data/iris.csv --layers 3 --act sigmoid --opt sgd --lr 0.5\n"
"  descent trace data/xor.csv --rows 1..3 --opt adam --check --format markdown\n";

typedef struct {
    const char *rows;
    int check, full;
    tr_format fmt;
} trace_cfg;

/* "3" or "1..3" into 1-based first and last rows. */
static int parse_rows(const char *v, long *r0, long *r1)
{
    char *end;
    *r0 = strtol(v, &end, 10);
    if (end == v) return -1;
    if (!*end) { *r1 = *r0; return 0; }
    if (strncmp(end, "..", 2)) return -1;
    const char *p = end + 2;
    *r1 = strtol(p, &end, 10);
    return end == p || *end ? -1 : 0;
}

/* trace's own options (cli_split); the rest are train's. */
static int trace_own(void *cfg, int argc, char **argv, int *i, int *missing)
{
    trace_cfg *c = cfg;
    const char *w = argv[*i], *v;
    if ((v = cli_take(argc, argv, i, "--rows", missing))) {
        c->rows = v;
    } else if ((v = cli_take(argc, argv, i, "--format", missing))) {
        if (!strcmp(v, "text")) c->fmt = TR_TEXT;
        else if (!strcmp(v, "markdown") || !strcmp(v, "md")) c->fmt = TR_MARKDOWN;
        else if (!strcmp(v, "latex")) c->fmt = TR_LATEX;
        else return cli_usage("trace", "--format '%s': use text, markdown "
                              "or latex", v);
    } else if (!strcmp(w, "--check")) {
        c->check = 1;
    } else if (!strcmp(w, "--full")) {
        c->full = 1;
    } else {
        return CLI_TRAINS;
    }
    return 0;
}

/* What a single step cannot show: each is refused with the reason. */
static int refuse(const train_cfg *t)
{
    if (t->solver_set)
        return cli_usage("trace", "--opt: the full-batch solvers (lbfgs, "
                         "cg, lm, newton) take no single step to show; trace "
                         "shows one of a first-order optimizer (sgd, "
                         "momentum, nesterov, adagrad, rmsprop, adam, adamw)");
    if (t->dropout_n)
        return cli_usage("trace", "--dropout: trace shows the step without "
                         "dropout (its masks are random; the notes' step has "
                         "none)");
    if (t->t.clip > 0)
        return cli_usage("trace", "--clip: trace shows the unclipped step");
    if (t->class_weight || t->sample_weight)
        return cli_usage("trace", "--%s: trace shows the unweighted step",
                         t->class_weight ? "class-weight" : "sample-weight");
    return 0;
}

/* The pieces of one step, all in the library's layout. */
typedef struct {
    const dn_model *m;
    int L, n;                 /* layers, rows */
    const float *X, *Y;
    float *delta[DN_MAX_LAYERS];  /* n × units: each row's delta */
    float *g0;                /* ∂(loss)/∂theta, before L2 */
    float *g;                 /* what the optimizer sees */
    float *fd;                /* finite differences (--check), or NULL */
    double gap;               /* the largest |g − fd| */
    double lambda;
} step;

static int units(const dn_model *m, int l)
{
    return l < 0 ? dn_model_n_in(m) : dn_model_arch(m)->layer[l].units;
}

/* Names: text "W2", TeX "W^{(2)}". */
static void name(char *t, char *x, size_t n, const char *sym,
                 const char *tsym, int l)
{
    snprintf(t, n, "%s%d", sym, l);
    snprintf(x, n, "%s^{(%d)}", tsym, l);
}

/* The loss alone (and the L2 penalty) at the model's current theta. */
static double objective(const dn_model *m, dn_ws *ws, const float *X,
                        const float *Y, int n, double lambda, float *scratch)
{
    dn_forward(m, ws, X, n);
    double E = dn_loss_value(m, ws, Y, n);
    return lambda > 0 ? E + dn_l2_add(m, scratch, (float)lambda) : E;
}

/* Centred finite differences of the objective in every parameter.  h is
 * 1e-3 (times |theta| past 1): the network computes in float, whose
 * rounding (1e-7 of the loss) over 2h stays near 1e-4 of that, while
 * the truncation error, h² C'''/6, stays below it.  The denominator is
 * the step the float actually took. */
static int finite_diff(dn_model *m, step *s, dn_error *err)
{
    size_t P = dn_model_n_params(m);
    dn_ws *ws = NULL;
    float *scratch = calloc(P, sizeof *scratch);
    if (!scratch) {
        snprintf(err->msg, sizeof err->msg, "out of memory for --check");
        return 1;
    }
    if (dn_ws_new(m, s->n, 1, &ws, err)) {
        free(scratch);
        return 1;
    }
    float *theta = dn_model_params(m);
    for (size_t i = 0; i < P; i++) {
        float orig = theta[i];
        float h = 1e-3f * fmaxf(1.0f, fabsf(orig));
        theta[i] = orig + h;
        float up = theta[i];
        double ep = objective(m, ws, s->X, s->Y, s->n, s->lambda, scratch);
        theta[i] = orig - h;
        float down = theta[i];
        double em = objective(m, ws, s->X, s->Y, s->n, s->lambda, scratch);
        theta[i] = orig;
        s->fd[i] = (float)((ep - em) / ((double)up - (double)down));
        double gap = fabs((double)s->fd[i] - s->g[i]);
        if (gap > s->gap) s->gap = gap;
    }
    dn_ws_free(ws);
    free(scratch);
    return 0;
}

static const char *why_delta(dn_loss loss, dn_act act)
{
    if (loss == DN_LOSS_CE)
        return "softmax output with cross-entropy: dC/dz = a - y, y one-hot; "
               "the softmax's Jacobian and the log's 1/a cancel";
    if (loss == DN_LOSS_BCE)
        return "sigmoid output with binary cross-entropy: dC/dz = a - y; "
               "sigma' = a(1 - a) cancels the loss's 1/(a(1 - a))";
    if (act == DN_ACT_IDENTITY)
        return "identity output with the squared error C = 1/2 |a - y|^2: "
               "dC/dz = a - y (f' = 1)";
    return "squared error on a non-identity output: delta = (a - y) * "
           "f'(z), the derivative of f stays in";
}

/* y as the network sees it, n × k: one-hot classes, a binary label, or
 * the (standardized) regression targets. */
static void targets(const dn_model *m, const float *Y, int n, float *y)
{
    const int k = dn_model_n_out(m);
    const dn_loss loss = dn_model_arch(m)->loss;
    const float *mu = dn_model_target_mean(m), *sd = dn_model_target_std(m);
    for (int r = 0; r < n; r++)
        for (int j = 0; j < k; j++) {
            float *o = &y[(size_t)r * k + j];
            if (loss == DN_LOSS_CE) *o = (int)Y[r] == j;
            else if (mu) *o = (Y[(size_t)r * k + j] - mu[j]) / sd[j];
            else *o = Y[(size_t)r * k + j];
        }
}

static void show_forward(tr_out *o, const dn_model *m, dn_ws *ws, int n)
{
    const dn_arch *A = dn_model_arch(m);
    char t[4][64], x[4][64];
    tr_head(o, "Forward pass");
    name(t[0], x[0], 64, "a", "a", 0);
    tr_value(o, t[0], x[0], tr_columns(dn_ws_a(ws, -1), n, A->n_in));
    if (n > 1)
        tr_note(o, "one column per row, here and below");
    if (dn_model_mean(m))
        tr_note(o, "a0 is the input standardized with the model's mean and "
                "std, its first step");
    for (int l = 0; l < A->n_layers; l++) {
        char head[128];
        snprintf(head, sizeof head, "Layer %d: %d %s unit%s", l + 1,
                 A->layer[l].units, dn_act_name(A->layer[l].act),
                 A->layer[l].units > 1 ? "s" : "");
        tr_head(o, head);
        char ft[128], fx[160];
        snprintf(ft, sizeof ft, "z%d = W%d a%d + b%d", l + 1, l + 1, l, l + 1);
        snprintf(fx, sizeof fx, "z^{(%d)} = W^{(%d)} a^{(%d)} + b^{(%d)}",
                 l + 1, l + 1, l, l + 1);
        tr_formula(o, ft, fx);
        dn_model *mm = (dn_model *)m;   /* views only: nothing is written */
        name(t[0], x[0], 64, "W", "W", l + 1);
        tr_value(o, t[0], x[0], tr_matrix(dn_model_W(mm, l), units(m, l),
                                          units(m, l - 1)));
        name(t[1], x[1], 64, "b", "b", l + 1);
        tr_value(o, t[1], x[1], tr_vector(dn_model_b(mm, l), units(m, l)));
        name(t[2], x[2], 64, "z", "z", l + 1);
        tr_value(o, t[2], x[2], tr_columns(dn_ws_z(ws, l), n, units(m, l)));
        snprintf(ft, sizeof ft, "a%d = %s(z%d)", l + 1,
                 dn_act_name(A->layer[l].act), l + 1);
        snprintf(fx, sizeof fx, "a^{(%d)} = \\mathrm{%s}(z^{(%d)})", l + 1,
                 dn_act_name(A->layer[l].act), l + 1);
        tr_formula(o, ft, fx);
        name(t[3], x[3], 64, "a", "a", l + 1);
        tr_value(o, t[3], x[3], tr_columns(dn_ws_a(ws, l), n, units(m, l)));
    }
}

static void show_loss(tr_out *o, const dn_model *m, const float *Y, int n,
                      double E, double pen, double lambda)
{
    const int k = dn_model_n_out(m);
    const dn_loss loss = dn_model_arch(m)->loss;
    float *y = malloc(sizeof(float) * (size_t)n * (size_t)k);
    tr_head(o, "Loss");
    if (y) {
        targets(m, Y, n, y);
        tr_value(o, "y", "y", tr_columns(y, n, k));
        free(y);
    }
    if (loss == DN_LOSS_CE)
        tr_formula(o, n > 1 ? "C = -(1/N) sum_rows ln a_y" : "C = -ln a_y",
                   n > 1 ? "C = -\\frac{1}{N} \\sum_n \\ln a_{y_n}"
                         : "C = -\\ln a_y");
    else if (loss == DN_LOSS_BCE)
        tr_formula(o, n > 1 ? "C = -(1/N) sum_rows [y ln a + (1-y) ln(1-a)]"
                            : "C = -[y ln a + (1-y) ln(1-a)]",
                   n > 1 ? "C = -\\frac{1}{N} \\sum_n [y \\ln a + (1-y) "
                           "\\ln(1-a)]"
                         : "C = -[y \\ln a + (1-y) \\ln(1-a)]");
    else
        tr_formula(o, n > 1 ? "C = (1/N) sum_rows 1/2 |a - y|^2"
                            : "C = 1/2 |a - y|^2",
                   n > 1 ? "C = \\frac{1}{N} \\sum_n \\tfrac12 \\|a - y\\|^2"
                         : "C = \\tfrac12 \\|a - y\\|^2");
    tr_scalar(o, "C", "C", E);
    if (lambda > 0) {
        tr_formula(o, "C + lambda/2 sum W^2 (weights, not biases)",
                   "C + \\frac{\\lambda}{2} \\sum W^2");
        tr_scalar(o, "lambda/2 sum W^2", "\\frac{\\lambda}{2} \\sum W^2", pen);
        tr_scalar(o, "C (with L2)", "C_{L2}", E + pen);
    }
}

/* A gradient, with its finite difference beside it under --check. */
static void show_grad(tr_out *o, const step *s, const char *t,
                      const char *x, tr_mat g, size_t off, int check_here)
{
    tr_value(o, t, x, g);
    if (!check_here || !s->fd) return;
    tr_mat f = g;
    f.p = s->fd + off;
    char tt[96], xx[128];
    snprintf(tt, sizeof tt, "finite diff of %s", t);
    snprintf(xx, sizeof xx, "\\text{finite diff. of } %s", x);
    tr_value(o, tt, xx, f);
}

static void show_fprime(tr_out *o, const dn_model *m, dn_ws *ws, int l,
                        int n);

static void show_backward(tr_out *o, dn_model *m, dn_ws *ws, step *s)
{
    const dn_arch *A = dn_model_arch(m);
    const int L = A->n_layers, n = s->n;
    char t[96], x[128], ft[160], fx[200];
    tr_head(o, "Output error");
    snprintf(ft, sizeof ft, "delta%d = dC/dz%d = %s", L, L,
             A->loss == DN_LOSS_MSE && A->layer[L - 1].act != DN_ACT_IDENTITY
             ? "(a - y) * f'(z)" : "a - y");
    snprintf(fx, sizeof fx, "\\delta^{(%d)} = \\frac{\\partial C}{\\partial "
             "z^{(%d)}} = %s", L, L, A->loss == DN_LOSS_MSE &&
             A->layer[L - 1].act != DN_ACT_IDENTITY
             ? "(a - y) \\odot f'(z)" : "a - y");
    tr_formula(o, ft, fx);
    tr_note(o, "%s", why_delta(A->loss, A->layer[L - 1].act));
    if (n > 1)
        tr_note(o, "each row's delta, as if it were alone; the batch's "
                "gradient is their mean");
    snprintf(t, sizeof t, "delta%d", L);
    snprintf(x, sizeof x, "\\delta^{(%d)}", L);
    tr_value(o, t, x, tr_columns(s->delta[L - 1], n, units(m, L - 1)));

    for (int l = L - 2; l >= 0; l--) {
        char head[64];
        snprintf(head, sizeof head, "Back through layer %d", l + 1);
        tr_head(o, head);
        snprintf(ft, sizeof ft, "delta%d = (W%d^T delta%d) * f'(z%d)   "
                 "(* elementwise)", l + 1, l + 2, l + 2, l + 1);
        snprintf(fx, sizeof fx, "\\delta^{(%d)} = (W^{(%d)T} \\delta^{(%d)})"
                 " \\odot f'(z^{(%d)})", l + 1, l + 2, l + 2, l + 1);
        tr_formula(o, ft, fx);
        const int in = units(m, l), out = units(m, l + 1);
        const float *W = dn_model_W(m, l + 1);
        float *wd = malloc(sizeof(float) * (size_t)n * (size_t)in);
        if (wd) {
            /* for showing: the product the backward pass forms */
            for (int r = 0; r < n; r++)
                for (int i = 0; i < in; i++) {
                    double acc = 0;
                    for (int j = 0; j < out; j++)
                        acc += (double)W[(size_t)j * in + i]
                             * s->delta[l + 1][(size_t)r * out + j];
                    wd[(size_t)r * in + i] = (float)acc;
                }
            snprintf(t, sizeof t, "W%d^T delta%d", l + 2, l + 2);
            snprintf(x, sizeof x, "W^{(%d)T} \\delta^{(%d)}", l + 2, l + 2);
            tr_value(o, t, x, tr_columns(wd, n, in));
            free(wd);
        }
        show_fprime(o, m, ws, l, n);
        snprintf(t, sizeof t, "delta%d", l + 1);
        snprintf(x, sizeof x, "\\delta^{(%d)}", l + 1);
        tr_value(o, t, x, tr_columns(s->delta[l], n, in));
    }
}

static void show_fprime(tr_out *o, const dn_model *m, dn_ws *ws, int l, int n)
{
    float *f = malloc(sizeof(float) * (size_t)n * (size_t)units(m, l));
    dn_error err;
    if (f && !dn_ws_fprime(m, ws, l, f, &err)) {
        char t[64], x[64];
        snprintf(t, sizeof t, "f'(z%d)", l + 1);
        snprintf(x, sizeof x, "f'(z^{(%d)})", l + 1);
        tr_value(o, t, x, tr_columns(f, n, units(m, l)));
    }
    free(f);
}

static void show_grads(tr_out *o, dn_model *m, step *s)
{
    const int L = dn_model_arch(m)->n_layers, n = s->n;
    char t[96], x[128], ft[160], fx[200];
    tr_head(o, "Gradients");
    if (n > 1) tr_note(o, "means over the %d rows", n);
    for (int l = 0; l < L; l++) {
        const int in = units(m, l - 1), out = units(m, l);
        size_t oW = dn_model_offset_W(m, l), ob = dn_model_offset_b(m, l);
        snprintf(ft, sizeof ft, n > 1 ? "dC/dW%d = (1/N) sum_rows delta%d "
                 "a%d^T" : "dC/dW%d = delta%d a%d^T", l + 1, l + 1, l);
        snprintf(fx, sizeof fx, n > 1 ? "\\frac{\\partial C}{\\partial "
                 "W^{(%d)}} = \\frac{1}{N} \\sum_n \\delta^{(%d)} "
                 "a^{(%d)T}" : "\\frac{\\partial C}{\\partial W^{(%d)}} = "
                 "\\delta^{(%d)} a^{(%d)T}", l + 1, l + 1, l);
        tr_formula(o, ft, fx);
        snprintf(t, sizeof t, "dC/dW%d", l + 1);
        snprintf(x, sizeof x, "\\frac{\\partial C}{\\partial W^{(%d)}}", l + 1);
        show_grad(o, s, t, x, tr_matrix(s->g0 + oW, out, in), oW,
                  s->lambda <= 0);
        snprintf(ft, sizeof ft, n > 1 ? "dC/db%d = (1/N) sum_rows delta%d"
                 : "dC/db%d = delta%d", l + 1, l + 1);
        snprintf(fx, sizeof fx, n > 1 ? "\\frac{\\partial C}{\\partial "
                 "b^{(%d)}} = \\frac{1}{N} \\sum_n \\delta^{(%d)}"
                 : "\\frac{\\partial C}{\\partial b^{(%d)}} = \\delta^{(%d)}",
                 l + 1, l + 1);
        tr_formula(o, ft, fx);
        snprintf(t, sizeof t, "dC/db%d", l + 1);
        snprintf(x, sizeof x, "\\frac{\\partial C}{\\partial b^{(%d)}}", l + 1);
        show_grad(o, s, t, x, tr_vector(s->g0 + ob, out), ob, 1);
    }
    if (s->lambda <= 0) return;
    tr_head(o, "L2");
    char lam[32];
    dn_snprintf(lam, sizeof lam, "%g", s->lambda);
    tr_note(o, "lambda = %s: the weights' gradients gain lambda W; biases "
            "are not decayed", lam);
    for (int l = 0; l < L; l++) {
        const int in = units(m, l - 1), out = units(m, l);
        size_t oW = dn_model_offset_W(m, l);
        snprintf(ft, sizeof ft, "dC/dW%d + lambda W%d", l + 1, l + 1);
        snprintf(fx, sizeof fx, "\\frac{\\partial C}{\\partial W^{(%d)}} + "
                 "\\lambda W^{(%d)}", l + 1, l + 1);
        tr_formula(o, ft, fx);
        snprintf(t, sizeof t, "dC/dW%d (with L2)", l + 1);
        snprintf(x, sizeof x, "\\frac{\\partial C_{L2}}{\\partial W^{(%d)}}",
                 l + 1);
        show_grad(o, s, t, x, tr_matrix(s->g + oW, out, in), oW, 1);
    }
}

/* The names of the optimizer state's arrays, in dn_opt_state's order. */
static int state_names(const dn_opt_conf *c, const char **nm)
{
    switch (c->kind) {
    case DN_OPT_MOMENTUM:
    case DN_OPT_NESTEROV: nm[0] = "v"; return c->momentum > 0;
    case DN_OPT_ADAGRAD: nm[0] = "s"; return 1;
    case DN_OPT_RMSPROP: {
        int k = 0;
        nm[k++] = "s";
        if (c->centered) nm[k++] = "m";
        if (c->momentum > 0) nm[k++] = "b";
        return k;
    }
    case DN_OPT_ADAM:
    case DN_OPT_ADAMW: nm[0] = "m"; nm[1] = "v"; return 2;
    default: return 0;
    }
}

static void show_update(tr_out *o, dn_model *m, const dn_opt_conf *c,
                        dn_opt *op, double eta, const float *before)
{
    const int L = dn_model_arch(m)->n_layers;
    const size_t P = dn_model_n_params(m);
    char t[96], x[128], buf[32];
    tr_head(o, "Update");
    dn_snprintf(buf, sizeof buf, "%g", eta);
    switch (c->kind) {
    case DN_OPT_SGD:
        tr_formula(o, "theta <- theta - eta dC/dtheta",
                   "\\theta \\leftarrow \\theta - \\eta \\frac{\\partial C}"
                   "{\\partial \\theta}");
        break;
    case DN_OPT_ADAM:
    case DN_OPT_ADAMW: {
        if (c->kind == DN_OPT_ADAMW)
            tr_formula(o, "theta <- theta - eta weight_decay theta (weights "
                       "only), then adam",
                       "\\theta \\leftarrow \\theta - \\eta \\lambda_{wd} "
                       "\\theta");
        tr_formula(o, "m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2)"
                   " g^2   (both start at 0)",
                   "m \\leftarrow \\beta_1 m + (1-\\beta_1) g, \\quad v "
                   "\\leftarrow \\beta_2 v + (1-\\beta_2) g^2");
        tr_formula(o, "step = eta (m / (1 - beta1^t)) / (sqrt(v / (1 - "
                   "beta2^t)) + eps)",
                   "\\Delta\\theta = \\eta \\frac{m / (1-\\beta_1^t)}"
                   "{\\sqrt{v / (1-\\beta_2^t)} + \\epsilon}");
        long tt = dn_opt_steps(op);
        tr_scalar(o, "t", "t", (double)tt);
        tr_scalar(o, "1 - beta1^t", "1-\\beta_1^t", 1 - pow(c->beta1, tt));
        tr_scalar(o, "1 - beta2^t", "1-\\beta_2^t", 1 - pow(c->beta2, tt));
        break;
    }
    default:
        tr_note(o, "%s's update (see descent.h): its state after the step, "
                "then the step", dn_opt_name(c->kind));
    }
    tr_scalar(o, "eta", "\\eta", eta);
    size_t nf = 0;
    float *st = dn_opt_state(op, &nf);
    const char *nm[3];
    int ns = state_names(c, nm);
    float *step = malloc(sizeof(float) * P);
    if (step)
        for (size_t i = 0; i < P; i++) step[i] = before[i] - dn_model_params(m)[i];
    for (int l = 0; l < L; l++) {
        const int in = units(m, l - 1), out = units(m, l);
        size_t off[2] = { dn_model_offset_W(m, l), dn_model_offset_b(m, l) };
        for (int w = 0; w < 2; w++) {
            const char *sym = w ? "b" : "W";
            tr_mat shape = w ? tr_vector(NULL, out) : tr_matrix(NULL, out, in);
            for (int k = 0; k < ns && st && nf >= (size_t)(k + 1) * P; k++) {
                tr_mat q = shape;
                q.p = st + (size_t)k * P + off[w];
                snprintf(t, sizeof t, "%s of %s%d", nm[k], sym, l + 1);
                snprintf(x, sizeof x, "%s_{%s^{(%d)}}", nm[k], sym, l + 1);
                tr_value(o, t, x, q);
            }
            if (step && c->kind != DN_OPT_SGD) {
                tr_mat q = shape;
                q.p = step + off[w];
                snprintf(t, sizeof t, "step of %s%d", sym, l + 1);
                snprintf(x, sizeof x, "\\Delta %s^{(%d)}", sym, l + 1);
                tr_value(o, t, x, q);
            }
            tr_mat q = shape;
            q.p = dn_model_params(m) + off[w];
            snprintf(t, sizeof t, "new %s%d", sym, l + 1);
            snprintf(x, sizeof x, "%s^{(%d)}_{\\text{new}}", sym, l + 1);
            tr_value(o, t, x, q);
        }
    }
    free(step);
}

static int run(const trace_cfg *tc, train_cfg *c)
{
    dn_error err;
    dn_data *all = NULL;
    dn_model *m = NULL;
    dn_ws *ws = NULL, *w1 = NULL;
    dn_opt *op = NULL;
    unsigned char *mask = NULL;
    float *before = NULL;
    step s;
    memset(&s, 0, sizeof s);
    char why[512];
    int rc = 0;
    if (c->warm) {
        if (dn_model_load(c->warm, &m, &err)) { rc = cli_error("trace", &err); goto out; }
        if (train_load(c, dn_model_schema(m), NULL, &all, why, sizeof why, &err)) {
            rc = cli_error("trace", &err);
            goto out;
        }
    } else {
        if (train_load(c, NULL, NULL, &all, why, sizeof why, &err)) {
            rc = cli_error("trace", &err);
            goto out;
        }
        if ((rc = train_build(c, all, &m))) goto out;
        if (train_scale(c, m, all, &err)) { rc = cli_error("trace", &err); goto out; }
    }
    if (dn_data_floats(all, &err)) { rc = cli_error("trace", &err); goto out; }
    long r0 = 1, r1 = 1;
    if (tc->rows && (parse_rows(tc->rows, &r0, &r1) || r0 < 1 || r1 < r0 ||
                     r1 - r0 + 1 > MAX_ROWS)) {
        rc = cli_usage("trace", "--rows '%s': expected a row or a range A..B "
                       "of at most %d rows, 1-based (e.g. 1 or 1..3)",
                       tc->rows, MAX_ROWS);
        goto out;
    }
    if (r1 > all->n) {
        rc = cli_usage("trace", "--rows '%s': %s has %d rows", tc->rows,
                       c->data, all->n);
        goto out;
    }
    if (all->d != dn_model_n_in(m)) {
        rc = cli_usage("trace", "%s has %d inputs, the model %d", c->data,
                       all->d, dn_model_n_in(m));
        goto out;
    }
    const int n = (int)(r1 - r0 + 1), L = dn_model_arch(m)->n_layers;
    const size_t P = dn_model_n_params(m);
    s.m = m; s.L = L; s.n = n; s.lambda = c->t.l2;
    s.X = all->X + (size_t)(r0 - 1) * all->d;
    s.Y = all->Y + (size_t)(r0 - 1) * all->k;
    s.g0 = malloc(sizeof(float) * P);
    s.g = malloc(sizeof(float) * P);
    before = malloc(sizeof(float) * P);
    if (tc->check) s.fd = malloc(sizeof(float) * P);
    for (int l = 0; l < L; l++)
        if (!(s.delta[l] = malloc(sizeof(float) * (size_t)n * units(m, l))))
            goto oom;
    if (!s.g0 || !s.g || !before || (tc->check && !s.fd)) goto oom;
    if (dn_ws_new(m, n, 1, &ws, &err) || dn_ws_new(m, 1, 1, &w1, &err)) {
        rc = cli_error("trace", &err);
        goto out;
    }
    /* Each row's delta: that row's ∂C/∂b, from its own backward pass. */
    for (int r = 0; r < n; r++) {
        dn_gradient(m, w1, s.X + (size_t)r * all->d, s.Y + (size_t)r * all->k, 1);
        const float *g = dn_ws_grad(w1);
        for (int l = 0; l < L; l++)
            memcpy(s.delta[l] + (size_t)r * units(m, l),
                   g + dn_model_offset_b(m, l), sizeof(float) * units(m, l));
    }
    /* The step itself, as dn_train takes it. */
    double E = dn_gradient(m, ws, s.X, s.Y, n);
    memcpy(s.g0, dn_ws_grad(ws), sizeof(float) * P);
    memcpy(s.g, s.g0, sizeof(float) * P);
    double pen = s.lambda > 0 ? dn_l2_add(m, s.g, (float)s.lambda) : 0;

    tr_out o = { stdout, tc->fmt, tc->full };
    {
        char desc[512];
        size_t k = (size_t)snprintf(desc, sizeof desc, "%d inputs",
                                    dn_model_n_in(m));
        for (int l = 0; l < L && k < sizeof desc; l++)
            k += (size_t)snprintf(desc + k, sizeof desc - k, " -> %d %s",
                                  units(m, l),
                                  dn_act_name(dn_model_arch(m)->layer[l].act));
        char eta[32];
        dn_snprintf(eta, sizeof eta, "%g", c->t.eta);
        char rows[64];
        if (n > 1) snprintf(rows, sizeof rows, "rows %ld..%ld", r0, r1);
        else snprintf(rows, sizeof rows, "row %ld", r0);
        if (o.fmt == TR_TEXT)
            printf("descent trace: one step of %s, loss %s, on %s of %s; %s, "
                   "eta %s\n", desc, dn_loss_name(dn_model_arch(m)->loss),
                   rows, c->data, dn_opt_name(c->t.opt.kind), eta);
        else
            tr_note(&o, "One step of %s (loss %s) on %s of %s; %s, eta %s.",
                    desc, dn_loss_name(dn_model_arch(m)->loss), rows, c->data,
                    dn_opt_name(c->t.opt.kind), eta);
    }
    show_forward(&o, m, ws, n);
    show_loss(&o, m, s.Y, n, E, pen, s.lambda);
    if (tc->check && finite_diff(m, &s, &err)) { rc = cli_error("trace", &err); goto out; }
    /* f'(z) reads the batch's forward pass in ws: the finite differences
     * ran in a workspace of their own to keep it. */
    show_backward(&o, m, ws, &s);
    show_grads(&o, m, &s);

    /* The update: the optimizer the options chose, its first step. */
    dn_opt_conf oc = c->t.opt;
    if (oc.kind == DN_OPT_ADAMW && !(mask = dn_weight_mask(m))) goto oom;
    if (dn_opt_new(&oc, P, mask, &op, &err)) { rc = cli_error("trace", &err); goto out; }
    memcpy(before, dn_model_params(m), sizeof(float) * P);
    dn_opt_step(op, dn_model_params(m), s.g, c->t.eta);
    show_update(&o, m, &oc, op, c->t.eta, before);

    {
        float *scratch = calloc(P, sizeof *scratch);
        if (!scratch) goto oom;
        double E1 = objective(m, ws, s.X, s.Y, n, s.lambda, scratch);
        free(scratch);
        tr_head(&o, "After the step");
        tr_scalar(&o, s.lambda > 0 ? "C after (with L2)" : "C after",
                  "C_{\\text{after}}", E1);
        double E0 = E + pen;
        if (o.fmt == TR_TEXT)
            dn_fprintf(stdout, "  (%s by %.6g from %.6g)\n", E1 < E0 ? "down" : "up",
                   fabs(E1 - E0), E0);
    }
    if (tc->check) {
        char gap[32];
        dn_snprintf(gap, sizeof gap, "%.3g", s.gap);
        if (o.fmt == TR_TEXT) putchar('\n');
        tr_note(&o, "--check: largest |backpropagation - finite difference| "
                "over the %zu parameters: %s", P, gap);
    }
    goto out;
oom:
    fputs("descent trace: out of memory\n", stderr);
    rc = EXIT_DATA;
out:
    for (int l = 0; l < DN_MAX_LAYERS; l++) free(s.delta[l]);
    free(s.g0); free(s.g); free(s.fd); free(before); free(mask);
    dn_opt_free(op);
    dn_ws_free(ws);
    dn_ws_free(w1);
    dn_model_free(m);
    dn_data_free(all);
    return rc;
}

int cmd_trace(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--fn") || !strncmp(argv[i], "--fn=", 5))
            return trace_fn(argc, argv);
        else if (!strcmp(argv[i], "--")) break;
    trace_cfg tc = { NULL, 0, 0, TR_TEXT };
    char **targv;
    train_cfg c;
    int rc = train_split("trace", help, argc, argv, trace_own, &tc, &c,
                         &targv, NULL);
    if (rc) return rc < 0 ? EXIT_OK : rc;
    if (!c.data) rc = cli_usage("trace", "no DATA given (or --fn EXPR "
                                "for the one-parameter example)");
    if (!rc) rc = refuse(&c);
    if (!rc && !c.layers_set && !c.warm) c.layers = "3";
    if (!rc) rc = run(&tc, &c);
    free(targv);
    return rc;
}
