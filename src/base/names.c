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
    "constant", "step", "exp", "cosine", "plateau"
};
static const char *init_names[DN_INIT_COUNT] = {
    "default", "normal", "glorot_uniform", "glorot_normal", "he_uniform",
    "he_normal"
};

const char *dn_act_name(dn_act a)
{ return (unsigned)a < DN_ACT_COUNT ? act_names[a] : "?"; }
const char *dn_loss_name(dn_loss l)
{ return (unsigned)l < DN_LOSS_COUNT ? loss_names[l] : "?"; }
const char *dn_task_name(dn_task t)
{ return (unsigned)t < 3 ? task_names[t] : "?"; }
const char *dn_init_name(dn_init i)
{ return (unsigned)i < DN_INIT_COUNT ? init_names[i] : "?"; }
const char *dn_opt_name(dn_opt_kind k)
{ return (unsigned)k < DN_OPT_COUNT ? opt_names[k] : "?"; }
const char *dn_sched_name(dn_sched_kind k)
{ return (unsigned)k < DN_SCHED_COUNT ? sched_names[k] : "?"; }

typedef struct { const char *alias; int value; } alias;

/* Looks s up among the canonical names, then the aliases; -1 if absent. */
static int lookup(const char *s, const char **names, int n,
                  const alias *aliases)
{
    if (!s) return -1;
    for (int i = 0; i < n; i++)
        if (strcasecmp(s, names[i]) == 0) return i;
    for (const alias *a = aliases; a && a->alias; a++)
        if (strcasecmp(s, a->alias) == 0) return a->value;
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
                       const alias *aliases, int *out, dn_error *err)
{
    if (!dest) return dn_null(err, fn, "out");
    int v = lookup(s, names, n, aliases);
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

dn_status dn_act_parse(const char *s, dn_act *out, dn_error *err)
{
    static const alias a[] = {
        { "linear", DN_ACT_IDENTITY }, { "none", DN_ACT_IDENTITY },
        { "logistic", DN_ACT_SIGMOID }, { "leaky", DN_ACT_LEAKY_RELU },
        { "leakyrelu", DN_ACT_LEAKY_RELU }, { "leaky-relu", DN_ACT_LEAKY_RELU },
        { NULL, 0 }
    };
    int v = 0;
    dn_status st = parse(__func__, out, "activation", s, act_names, DN_ACT_COUNT, a, &v, err);
    if (st == DN_OK) *out = (dn_act)v;
    return st;
}

dn_status dn_loss_parse(const char *s, dn_loss *out, dn_error *err)
{
    static const alias a[] = {
        { "sse", DN_LOSS_MSE }, { "squared", DN_LOSS_MSE },
        { "binary_crossentropy", DN_LOSS_BCE }, { "logloss", DN_LOSS_BCE },
        { "cross_entropy", DN_LOSS_CE }, { "crossentropy", DN_LOSS_CE },
        { "categorical_crossentropy", DN_LOSS_CE }, { NULL, 0 }
    };
    int v = 0;
    dn_status st = parse(__func__, out, "loss", s, loss_names, DN_LOSS_COUNT, a, &v, err);
    if (st == DN_OK) *out = (dn_loss)v;
    return st;
}

dn_status dn_task_parse(const char *s, dn_task *out, dn_error *err)
{
    static const alias a[] = {
        { "reg", DN_TASK_REGRESSION }, { "classification", DN_TASK_MULTICLASS },
        { "multi", DN_TASK_MULTICLASS }, { NULL, 0 }
    };
    int v = 0;
    dn_status st = parse(__func__, out, "task", s, task_names, 3, a, &v, err);
    if (st == DN_OK) *out = (dn_task)v;
    return st;
}

dn_status dn_init_parse(const char *s, dn_init *out, dn_error *err)
{
    static const alias a[] = {
        { "auto", DN_INIT_DEFAULT }, { "gaussian", DN_INIT_NORMAL },
        { "glorot", DN_INIT_GLOROT_UNIFORM }, { "xavier", DN_INIT_GLOROT_UNIFORM },
        { "xavier_uniform", DN_INIT_GLOROT_UNIFORM },
        { "xavier_normal", DN_INIT_GLOROT_NORMAL }, { "he", DN_INIT_HE_UNIFORM },
        { "kaiming", DN_INIT_HE_UNIFORM }, { "kaiming_uniform", DN_INIT_HE_UNIFORM },
        { "kaiming_normal", DN_INIT_HE_NORMAL }, { NULL, 0 }
    };
    int v = 0;
    dn_status st = parse(__func__, out, "initialization", s, init_names, DN_INIT_COUNT, a,
                         &v, err);
    if (st == DN_OK) *out = (dn_init)v;
    return st;
}

dn_status dn_opt_parse(const char *s, dn_opt_kind *out, dn_error *err)
{
    static const alias a[] = {
        { "gd", DN_OPT_SGD }, { "nag", DN_OPT_NESTEROV },
        { "rmsprop", DN_OPT_RMSPROP }, { NULL, 0 }
    };
    int v = 0;
    dn_status st = parse(__func__, out, "optimizer", s, opt_names, DN_OPT_COUNT, a, &v, err);
    if (st == DN_OK) *out = (dn_opt_kind)v;
    return st;
}

static const char *solver_names[DN_SOLVER_COUNT] = {
    "lbfgs", "cg", "lm", "newton"
};
static const char *cg_beta_names[2] = { "pr+", "fr" };

const char *dn_solver_name(dn_solver_kind k)
{ return (unsigned)k < DN_SOLVER_COUNT ? solver_names[k] : "?"; }
const char *dn_cg_beta_name(dn_cg_beta b)
{ return (unsigned)b < 2 ? cg_beta_names[b] : "?"; }

dn_status dn_solver_parse(const char *s, dn_solver_kind *out, dn_error *err)
{
    static const alias a[] = {
        { "l-bfgs", DN_SOLVER_LBFGS }, { "l_bfgs", DN_SOLVER_LBFGS },
        { "conjugate-gradient", DN_SOLVER_CG }, { "trainlm", DN_SOLVER_LM },
        { "levenberg-marquardt", DN_SOLVER_LM }, { NULL, 0 }
    };
    int v = 0;
    dn_status st = parse(__func__, out, "solver", s, solver_names, DN_SOLVER_COUNT, a, &v,
                         err);
    if (st == DN_OK) *out = (dn_solver_kind)v;
    return st;
}

dn_status dn_cg_beta_parse(const char *s, dn_cg_beta *out, dn_error *err)
{
    static const alias a[] = {
        { "pr", DN_CG_PR_PLUS }, { "prp", DN_CG_PR_PLUS },
        { "polak-ribiere", DN_CG_PR_PLUS }, { "fletcher-reeves", DN_CG_FR },
        { NULL, 0 }
    };
    int v = 0;
    dn_status st = parse(__func__, out, "conjugate-gradient beta", s, cg_beta_names, 2, a,
                         &v, err);
    if (st == DN_OK) *out = (dn_cg_beta)v;
    return st;
}

dn_status dn_sched_parse(const char *s, dn_sched_kind *out, dn_error *err)
{
    static const alias a[] = {
        { "none", DN_SCHED_CONSTANT }, { "exponential", DN_SCHED_EXP },
        { "cos", DN_SCHED_COSINE }, { "reduce-on-plateau", DN_SCHED_PLATEAU },
        { "reduce_on_plateau", DN_SCHED_PLATEAU }, { NULL, 0 }
    };
    int v = 0;
    dn_status st = parse(__func__, out, "schedule", s, sched_names, DN_SCHED_COUNT, a, &v,
                         err);
    if (st == DN_OK) *out = (dn_sched_kind)v;
    return st;
}

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
