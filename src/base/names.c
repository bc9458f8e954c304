/* names.c — the words the command line and the model file use for
 * activations, losses, tasks and initializations, and back. */
#include "base/base.h"
#include <string.h>
#include <strings.h>

static const char *act_names[DN_ACT_COUNT] = {
    "identity", "sigmoid", "tanh", "relu", "leaky_relu", "prelu", "softmax"
};
static const char *loss_names[DN_LOSS_COUNT] = { "mse", "bce", "ce" };
static const char *task_names[3] = { "regression", "binary", "multiclass" };
static const char *opt_names[DN_OPT_COUNT] = {
    "sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"
};
static const char *sched_names[DN_SCHED_COUNT] = {
    "constant", "step", "exp", "cosine", "plateau", "onecycle"
};
static const char *init_names[DN_INIT_COUNT] = {
    "default", "normal", "glorot_uniform", "glorot_normal", "he_uniform",
    "he_normal"
};
static const char *solver_names[DN_SOLVER_COUNT] = {
    "lbfgs", "cg", "lm", "newton", "hf"
};
static const char *cg_beta_names[2] = { "pr+", "fr" };
static const char *lm_rule_names[5] = { "trainlm", "more", "sweep",
                                        "hybrid", "gated" };

/* dn_<kind>_name: the canonical name of a value, "?" for one out of range. */
#define NAMER(fn, type, names, n)                                         \
    const char *fn(type v) { return (unsigned)v < (n) ? names[v] : "?"; }
NAMER(dn_act_name, dn_act, act_names, DN_ACT_COUNT)
NAMER(dn_loss_name, dn_loss, loss_names, DN_LOSS_COUNT)
NAMER(dn_task_name, dn_task, task_names, 3)
NAMER(dn_init_name, dn_init, init_names, DN_INIT_COUNT)
NAMER(dn_opt_name, dn_opt_kind, opt_names, DN_OPT_COUNT)
NAMER(dn_sched_name, dn_sched_kind, sched_names, DN_SCHED_COUNT)
NAMER(dn_solver_name, dn_solver_kind, solver_names, DN_SOLVER_COUNT)
NAMER(dn_cg_beta_name, dn_cg_beta, cg_beta_names, 2)
NAMER(dn_lm_rule_name, dn_lm_rule, lm_rule_names, 5)

typedef struct { const char *const *names; const char *alias; int value; } alias;

/* The other spellings accepted: each extends one table of canonical
 * names (the values of different kinds overlap, so the table says which). */
static const alias aliases[] = {
    { act_names, "linear", DN_ACT_IDENTITY },
    { act_names, "none", DN_ACT_IDENTITY },
    { act_names, "logistic", DN_ACT_SIGMOID },
    { act_names, "leaky", DN_ACT_LEAKY_RELU },
    { act_names, "leakyrelu", DN_ACT_LEAKY_RELU },
    { act_names, "leaky-relu", DN_ACT_LEAKY_RELU },
    { loss_names, "sse", DN_LOSS_MSE },
    { loss_names, "squared", DN_LOSS_MSE },
    { loss_names, "binary_crossentropy", DN_LOSS_BCE },
    { loss_names, "logloss", DN_LOSS_BCE },
    { loss_names, "cross_entropy", DN_LOSS_CE },
    { loss_names, "crossentropy", DN_LOSS_CE },
    { loss_names, "categorical_crossentropy", DN_LOSS_CE },
    { task_names, "reg", DN_TASK_REGRESSION },
    { task_names, "classification", DN_TASK_MULTICLASS },
    { task_names, "multi", DN_TASK_MULTICLASS },
    { init_names, "auto", DN_INIT_DEFAULT },
    { init_names, "gaussian", DN_INIT_NORMAL },
    { init_names, "glorot", DN_INIT_GLOROT_UNIFORM },
    { init_names, "xavier", DN_INIT_GLOROT_UNIFORM },
    { init_names, "xavier_uniform", DN_INIT_GLOROT_UNIFORM },
    { init_names, "xavier_normal", DN_INIT_GLOROT_NORMAL },
    { init_names, "he", DN_INIT_HE_UNIFORM },
    { init_names, "kaiming", DN_INIT_HE_UNIFORM },
    { init_names, "kaiming_uniform", DN_INIT_HE_UNIFORM },
    { init_names, "kaiming_normal", DN_INIT_HE_NORMAL },
    { opt_names, "gd", DN_OPT_SGD },
    { opt_names, "nag", DN_OPT_NESTEROV },
    { opt_names, "rmsprop", DN_OPT_RMSPROP },
    { solver_names, "l-bfgs", DN_SOLVER_LBFGS },
    { solver_names, "l_bfgs", DN_SOLVER_LBFGS },
    { solver_names, "conjugate-gradient", DN_SOLVER_CG },
    { solver_names, "trainlm", DN_SOLVER_LM },
    { solver_names, "hessian-free", DN_SOLVER_HF },
    { solver_names, "levenberg-marquardt", DN_SOLVER_LM },
    { cg_beta_names, "pr", DN_CG_PR_PLUS },
    { cg_beta_names, "prp", DN_CG_PR_PLUS },
    { cg_beta_names, "polak-ribiere", DN_CG_PR_PLUS },
    { cg_beta_names, "fletcher-reeves", DN_CG_FR },
    { lm_rule_names, "minpack", DN_LM_MORE },
    { lm_rule_names, "matlab", DN_LM_TRAINLM },
    { sched_names, "none", DN_SCHED_CONSTANT },
    { sched_names, "exponential", DN_SCHED_EXP },
    { sched_names, "cos", DN_SCHED_COSINE },
    { sched_names, "reduce-on-plateau", DN_SCHED_PLATEAU },
    { sched_names, "reduce_on_plateau", DN_SCHED_PLATEAU },
    { sched_names, "one-cycle", DN_SCHED_ONECYCLE },
    { sched_names, "one_cycle", DN_SCHED_ONECYCLE },
    { NULL, NULL, 0 }
};

/* Looks s up among the canonical names, then their aliases; -1 if absent. */
static int lookup(const char *s, const char **names, int n)
{
    if (!s) return -1;
    for (int i = 0; i < n; i++)
        if (strcasecmp(s, names[i]) == 0) return i;
    for (const alias *a = aliases; a->alias; a++)
        if (a->names == names && strcasecmp(s, a->alias) == 0) return a->value;
    return -1;
}

/* Writes "a, b, c" into buf for the error message. */
static const char *list(const char **names, int n, char *buf, size_t len)
{
    buf[0] = 0;
    for (int i = 0; i < n; i++) {
        strncat(buf, names[i], len - strlen(buf) - 1);
        if (i + 1 < n) strncat(buf, ", ", len - strlen(buf) - 1);
    }
    return buf;
}

/* Looks s up for a dn_*_parse function (fn), whose result goes to dest
 * (checked here: the caller stores *out only on success). */
static dn_status parse(const char *fn, const void *dest, const char *what,
                       const char *s, const char **names, int n,
                       int *out, dn_error *err)
{
    if (!dest) return dn_null(err, fn, "out");
    int v = lookup(s, names, n);
    if (v < 0) {
        /* s may come from a file: no control byte goes into a message. */
        char buf[256], shown[DN_SHOW_BUF];
        return dn_fail(err, DN_EARG, "unknown %s '%s'; use one of: %s",
                       what, dn_show(s ? s : "", shown),
                       list(names, n, buf, sizeof buf));
    }
    *out = v;
    return DN_OK;
}

/* dn_<kind>_parse, the same for every kind of name: the value of s as a
 * type, from names (n of them) or an alias of one; *out is stored on
 * success. */
#define PARSER(fn, type, what, names, n)                              \
    dn_status fn(const char *s, type *out, dn_error *err)            \
    {                                                                 \
        int v = 0;                                                    \
        dn_status st = parse(#fn, out, what, s, names, n, &v, err);   \
        if (st == DN_OK) *out = (type)v;                              \
        return st;                                                    \
    }

PARSER(dn_act_parse, dn_act, "activation", act_names, DN_ACT_COUNT)
PARSER(dn_loss_parse, dn_loss, "loss", loss_names, DN_LOSS_COUNT)
PARSER(dn_task_parse, dn_task, "task", task_names, 3)
PARSER(dn_init_parse, dn_init, "initialization", init_names, DN_INIT_COUNT)
PARSER(dn_opt_parse, dn_opt_kind, "optimizer", opt_names, DN_OPT_COUNT)
PARSER(dn_sched_parse, dn_sched_kind, "schedule", sched_names, DN_SCHED_COUNT)
PARSER(dn_solver_parse, dn_solver_kind, "solver", solver_names,
       DN_SOLVER_COUNT)
PARSER(dn_cg_beta_parse, dn_cg_beta, "conjugate-gradient beta",
       cg_beta_names, 2)
PARSER(dn_lm_rule_parse, dn_lm_rule, "LM rule", lm_rule_names, 5)

const char *dn_stop_name(dn_stop s)
{
    switch (s) {
    case DN_STOP_EPOCHS:    return "reached the epoch limit";
    case DN_STOP_CALLBACK:  return "stopped by the callback";
    case DN_STOP_NONFINITE: return "loss or gradient became non-finite";
    case DN_STOP_CONVERGED: return "converged (loss change below tol)";
    case DN_STOP_EARLY:     return "early stopping (no improvement for "
                                   "patience epochs)";
    case DN_STOP_INTERRUPTED: return "interrupted";
    case DN_STOP_GRADIENT:  return "converged (gradient norm below gtol)";
    case DN_STOP_FTOL:      return "converged (relative loss change below "
                                   "ftol)";
    case DN_STOP_EVALS:     return "reached the evaluation limit";
    case DN_STOP_LINESEARCH: return "no step lowered the loss (line search "
                                    "failed: the limit of precision)";
    case DN_STOP_MU_MAX:    return "mu reached mu_max (no step lowered the "
                                   "loss)";
    }
    return "?";
}
