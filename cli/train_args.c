/* train_args.c — the options of `descent train`, their defaults, and
 * the help text that documents them. */
#include "cli.h"
#include "train.h"
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static const char *help =
"usage: descent train DATA [-o MODEL] [options]\n"
"\n"
"Trains a feed-forward network on DATA (a CSV with a header row, or an IDX\n"
"image file with --labels) and saves it as MODEL (safetensors).\n"
"With no options it picks the task from the target column, standardizes\n"
"the inputs and trains with Adam.  A table of up to 1000 rows uses every\n"
"row: 3-fold cross-validation (every L2 strength on two folds, their best\n"
"on the third) chooses the L2 strength and the epochs, then the network\n"
"trains on all rows; a larger one holds out 20% for validation and stops\n"
"early when it stops improving.  Giving --val, --val-data, --epochs,\n"
"--patience or --l2 takes that choice over.\n"
"Every choice is printed with its reason.\n"
"\n"
"data:\n"
"  --target NAME|INDEX   target column by name or 1-based index (default: the\n"
"                        last; -1 counts from the end)\n"
"  --task T              auto|regression|binary|multiclass (default auto: from\n"
"                        the target, or IDX labels as classes); regression on\n"
"                        IDX data reads the labels as numbers\n"
"  --labels FILE         labels for IDX images (e.g. train-labels-idx1-ubyte.gz)\n"
"  --val FRACTION        hold out this fraction for validation (default 0.2; 0: none)\n"
"  --val-data FILE       validate on this file instead (--val-labels for IDX)\n"
"  --memory SIZE         keep the rows within SIZE of memory (e.g. 2G; K, M, G,\n"
"                        T): a row cache (descent convert) or an uncompressed\n"
"                        IDX file larger than that is streamed from disk, in\n"
"                        blocks shuffled within the budget; one that fits is\n"
"                        read whole and trains as without --memory\n"
"  --no-standardize      feed inputs (and regression targets) as they are\n"
"  --sep C               field delimiter: , ; tab | (default: detected; a\n"
"                        decimal comma is read in ';' files)\n"
"  --na TOKENS           comma-separated cells read as missing besides empty\n"
"                        ones (default NA,N/A,NaN,null,?, any case)\n"
"  --missing M           impute (default): a numeric column's gaps take the\n"
"                        training median, plus a 0/1 was-missing input; a text\n"
"                        column's get a 'missing' input; rows without a target\n"
"                        are left out. error: refuse missing cells\n"
"  --categorical COLS    integer-coded columns to one-hot encode (a,b,...)\n"
"  --drop COLS           columns to leave out (ID-like columns are left out on\n"
"                        their own, with a note)\n"
"\n"
"weights (the losses become weighted means, sum w l / sum w):\n"
"  --class-weight W      balanced: n / (k * n_class), as scikit-learn; or\n"
"                        CLASS=W,...: those classes' rows weigh W (others 1)\n"
"  --sample-weight COL   a column of per-row weights (numbers >= 0), not a\n"
"                        feature; multiplies the class weights\n"
"\n"
"network:\n"
"  --layers SPEC         hidden layers, e.g. 64,32 or 64:tanh,32:relu; 'none'\n"
"                        for no hidden layer (default 128,64)\n"
"  --act A               hidden activation: identity, sigmoid, tanh, relu,\n"
"                        leaky_relu, prelu (default relu)\n"
"  --loss L              mse|bce|ce (default: the task's; a pairing that makes\n"
"                        no sense is refused)\n"
"  --init I              default|normal|glorot_uniform|glorot_normal|he_uniform|\n"
"                        he_normal (default: He for the ReLU family, else Glorot)\n"
"  --init-eps E          standard deviation for --init normal (default 0.01)\n"
"  --warm-start MODEL    continue from a saved model's weights and scaling\n"
"\n"
"optimizer (defaults are PyTorch's):\n"
"  --opt O               sgd|momentum|nesterov|adagrad|rmsprop|adam|adamw\n"
"                        (default adam), or a full-batch solver (below)\n"
"  --lr ETA              learning rate (default: 0.001 for adam/adamw, 0.01\n"
"                        for the others); 'find': the rate descent lr-find\n"
"                        suggests on the training rows, found first\n"
"  --momentum MU         momentum/nesterov (0.9), rmsprop (0)\n"
"  --dampening D         momentum (0)\n"
"  --alpha A             rmsprop smoothing (0.99)\n"
"  --centered            rmsprop: divide by the centered second moment\n"
"  --beta1 B --beta2 B   adam/adamw moment decay (0.9, 0.999)\n"
"  --amsgrad             adam/adamw: use the running maximum of v\n"
"  --eps E               adagrad (1e-10), rmsprop/adam/adamw (1e-8)\n"
"  --lr-decay D          adagrad (0)\n"
"  --batch M             rows per step: 1 = stochastic, M = mini-batch,\n"
"                        0 or 'all' = the whole set (default 32)\n"
"\n"
"full-batch solvers (--opt lbfgs|cg|lm|newton|hf; --epochs is the iteration\n"
"budget; docs/solvers.md):\n"
"  --gtol G              stop when the gradient norm is at most G (1e-6)\n"
"  --ftol F              stop when an iteration lowers the loss by less than F\n"
"                        relative (1e-9; 0 = off)\n"
"  --max-evals N         budget of passes over the data (0 = none)\n"
"  --lbfgs-m M           L-BFGS: correction pairs kept (10)\n"
"  --cg-beta pr+|fr      CG: Polak-Ribiere+ (default) or Fletcher-Reeves\n"
"  --cg-restart N        CG: restart every N iterations (0 = every n)\n"
"  --c1 C --c2 C         strong Wolfe constants (1e-4; 0.9, cg 0.1)\n"
"  --ls-max N            evaluations per line search (25)\n"
"  --lm-rule gated|sweep|trainlm|more|hybrid\n"
"                        Levenberg-Marquardt's damping: the sweep with\n"
"                        NL2SOL's estimate of the second-order term while\n"
"                        the fit stays poor (default); trainlm's rule with\n"
"                        mu relative to J'J and lowered again on each\n"
"                        Jacobian while that helps (sweep), MATLAB's\n"
"                        trainlm as it is, More's scaled trust region\n"
"                        (MINPACK), or the sweep with that estimate\n"
"                        whenever it predicts better (hybrid)\n"
"  --mu M --mu-dec D --mu-inc I --mu-max X\n"
"                        the damping (1e-3, 0.1, 10, 1e10; sweep: mu times\n"
"                        J'J's largest diagonal entry); LM is for\n"
"                        sum-of-squares losses only\n"
"  --max-params N        size limit for lm (4096) and newton (2048)\n"
"  --hf-cg-max N         hf (Hessian-free Gauss-Newton): CG iterations per\n"
"                        iteration (250); its damping --mu etc. defaults to\n"
"                        1e-2 (times the first curvature seen), 2/3, 1.5\n"
"  --hf-rows N           hf: rows for the curvature products, a slice that\n"
"                        rotates every iteration (0 = all, default)\n"
"  --hf-decay D          hf: CG starts from D times the last solution (0.95)\n"
"\n"
"regularization:\n"
"  --l2 LAMBDA           adds LAMBDA/2 * sum W^2 to the loss (weights only,\n"
"                        not biases or PReLU slopes)\n"
"  --weight-decay LAMBDA adamw: decoupled decay of the weights (0.01);\n"
"                        other optimizers: the same as --l2\n"
"  --dropout P[,P...]    inverted dropout on the hidden layers' outputs: one\n"
"                        rate for all, or one per hidden layer\n"
"  --clip NORM           rescale the gradient when its L2 norm exceeds NORM\n"
"\n"
"learning-rate schedule (per epoch; --lr is the base rate):\n"
"  --schedule S          constant|step|exp|cosine|plateau|onecycle (default\n"
"                        constant)\n"
"  --step-size N --gamma G      step: eta *= G every N epochs (10, 0.1);\n"
"                               exp: eta *= G every epoch (0.95)\n"
"  --t-max N --eta-min E        cosine: period (the epochs after warmup), and the\n"
"                               floor of cosine and plateau (0)\n"
"  --factor F --plateau-patience N --threshold T --threshold-mode rel|abs\n"
"  --cooldown N --min-lr E      plateau: cut by F (0.1) after N (10) epochs\n"
"                               (--min-lr is --eta-min: torch's name here)\n"
"                               without improvement beyond T (1e-4, rel)\n"
"  --pct-start P --div-factor D --final-div-factor F\n"
"                        onecycle (torch's OneCycleLR, --lr is its max_lr, one\n"
"                        step an epoch, --t-max its length): up from lr/D to lr\n"
"                        over P of the cycle, down to lr/D/F (0.3, 25, 1e4)\n"
"  --warmup N            linear warmup over the first N epochs, then the schedule\n"
"\n"
"stopping:\n"
"  --epochs N            at most N passes over the data (default 100; 0 saves\n"
"                        the initialized model)\n"
"  --patience N          stop when the monitored value has not improved for N\n"
"                        epochs (default 10 with validation data; 0: off)\n"
"  --min-delta D         the least change that counts as improvement (0)\n"
"  --monitor M           val_loss|val_acc|train_loss (default val_loss)\n"
"  --no-restore-best     keep the last weights, not the best epoch's\n"
"  --tol T               stop when the training loss changes by less than T\n"
"  --tol-epochs N        ... for N epochs in a row (default 3)\n"
"\n"
"checkpoints (the whole training state, written atomically):\n"
"  --checkpoint FILE     write the state to FILE (default, only when\n"
"                        interrupted: MODEL.ckpt)\n"
"  --checkpoint-every N  every N epochs (default 1), or 'Nsteps' for every N\n"
"                        optimizer steps\n"
"  --resume FILE         continue an interrupted run from its checkpoint; the\n"
"                        result is bit-identical to a run never interrupted.\n"
"                        Alone, the data and options come from the checkpoint\n"
"                        (paths stored absolute: any directory will do; outputs\n"
"                        outside the checkpoint's directory need\n"
"                        --accept-outputs). With the run's own arguments, each\n"
"                        must agree with the checkpoint's (--epochs, --threads,\n"
"                        --checkpoint-every and -q/-v may change). A run that\n"
"                        had ended writes its result again without training\n"
"  --resume auto         with --checkpoint FILE: resume from FILE when it\n"
"                        exists, start the run when it does not; the same\n"
"                        command line can be re-run after any crash\n"
"  --accept-outputs      let --resume FILE write where the checkpoint says\n"
"                        outside its own directory\n"
"                        Ctrl-C (or SIGTERM) stops after the current step,\n"
"                        writes the checkpoint and the model, and exits with\n"
"                        status 3; a second Ctrl-C exits at once\n"
"\n"
"watching (docs/monitoring.md):\n"
"  --history FILE        one CSV row per epoch: epoch, step, train and val loss\n"
"                        and metric, learning rate, gradient norm, seconds,\n"
"                        and for the full-batch solvers LM's mu and the\n"
"                        evaluation count\n"
"  --tensorboard DIR     TensorBoard event files in DIR/train, DIR/validation;\n"
"                        view with 'tensorboard --logdir DIR'\n"
"  --plot FILE.svg       the training curves as SVG (--plot-log: log scales)\n"
"  --boundary DIR        a two-input model's decision regions as they form:\n"
"                        DIR/epoch-NNNN.svg before training and every N epochs,\n"
"                        and DIR/regions.svg playing them (as descent boundary)\n"
"  --boundary-every N    a frame every N epochs (default: about 50 frames)\n"
"  -v, --verbose         also the gradient norm and step count every epoch\n"
"  --no-health           no health warnings; without it, stderr says once,\n"
"                        with the epoch and layer, when ReLU units die,\n"
"                        sigmoid/tanh units saturate, gradients explode, the\n"
"                        loss keeps rising or validation parts from training\n"
"                        (and what to try); -q silences them too\n"
"  --dry-run             show the network (as 'descent summary') and every\n"
"                        choice, then stop without training\n"
"  On a terminal each epoch has a live progress bar; piped or redirected,\n"
"  one plain line per epoch.\n"
"\n"
"other:\n"
"  --seed S              seed for the split, the initialization, the shuffles\n"
"                        and dropout (default 1)\n"
"  --threads N           threads for the matrix products and the policy's\n"
"                        folds (default: all cores, the products working\n"
"                        alone while they are measured not to help)\n"
"  -o, --output MODEL    where to save (default model.safetensors)\n"
"  -q, --quiet           print only errors\n"
"\n"
"examples:\n"
"  descent train data/digits.csv -o digits.safetensors\n"
"  descent train data/house.csv --target price --layers 32:tanh,16 -o house.safetensors\n"
"  descent train data/digits.csv --opt sgd --lr 0.1 --batch 1 --epochs 20\n"
"  descent train data/digits.csv --history h.csv --plot curves.svg --tensorboard runs\n"
"  descent train data/wine.csv --opt momentum --schedule cosine --warmup 5 --dropout 0.2\n"
"  # a batch job that is re-queued after a crash: the same line every time\n"
"  descent train data.csv --epochs 500 --checkpoint run.ckpt --resume auto -o m.st\n"
"  descent train train-images-idx3-ubyte.gz --labels train-labels-idx1-ubyte.gz \\\n"
"      --layers 128 --epochs 5 -o fashion.safetensors\n";

/* Parses "64,32" or "64:tanh,32:relu" (or "none") into hidden layers.
 * Reentrant (strtok_r): the cross-validation's threads build their
 * folds' models through here at once. */
int train_parse_layers(const char *spec, dn_act dflt, dn_arch *A)
{
    A->n_layers = 0;
    if (!strcmp(spec, "none") || !strcmp(spec, "0") || !*spec) return 1;
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", spec);
    for (char *save, *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        if (A->n_layers >= DN_MAX_LAYERS - 1) {
            cli_usage("train", "--layers: at most %d hidden layers",
                      DN_MAX_LAYERS - 1);
            return 0;
        }
        char *colon = strchr(tok, ':');
        if (colon) *colon = 0;
        char *end;
        long u = strtol(tok, &end, 10);
        if (end == tok || *end || u < 1 || u > 1000000) {
            cli_usage("train", "--layers '%s': '%s' is not a layer width "
                      "(a whole number from 1); write e.g. 64,32 or "
                      "64:tanh,32:relu", spec, tok);
            return 0;
        }
        dn_layer *L = &A->layer[A->n_layers++];
        memset(L, 0, sizeof *L);
        L->units = (int)u;
        L->act = dflt;
        if (colon) {
            dn_error err;
            if (dn_act_parse(colon + 1, &L->act, &err)) {
                cli_usage("train", "--layers '%s': %s", spec, err.msg);
                return 0;
            }
            if (L->act == DN_ACT_SOFTMAX) {
                cli_usage("train", "--layers: softmax is for the output layer "
                          "only, and descent adds it for multiclass tasks");
                return 0;
            }
        }
    }
    return 1;
}

/* Parses "0.5" or "0.5,0.2" into per-hidden-layer dropout rates. */
static int parse_dropout(const char *v, train_cfg *c)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", v);
    int l = 0;
    for (char *save, *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save), l++) {
        double p;
        if (dn_parse_double(tok, strlen(tok), &p) != 1 || !(p >= 0 && p < 1) ||
            l >= DN_MAX_LAYERS) {
            cli_usage("train", "--dropout '%s': expected rates in [0, 1), one "
                      "for all hidden layers or one per layer", v);
            return 0;
        }
        c->t.dropout[l] = (float)p;
    }
    c->dropout_n = l;
    return 1;
}


/* The type letter comes from the field itself, so the two cannot
 * disagree.  Options the help gives one line share a line here; the
 * order is the one train_same.c names a differing option in. */
#define TYPE_OF(field) _Generic(((train_cfg *)0)->field, \
    double: 'd', int: 'i', long: 'l', size_t: 'z')
#define N(name, field, lo, hi) \
    { name, offsetof(train_cfg, field), TYPE_OF(field), lo, hi }
static const train_num nums[] = {
    N("lr", t.eta, 0, 1e6), N("eta", t.eta, 0, 1e6),
    N("init-eps", init_eps, 1e-12, 1e3), N("val", val, 0, 0.95),
    /* the mini-batch optimizers (dn_opt_conf) */
    N("momentum", t.opt.momentum, 0, 1e3),
    N("dampening", t.opt.dampening, 0, 1),
    N("alpha", t.opt.alpha, 0, 1),
    N("beta1", t.opt.beta1, 0, 1), N("beta2", t.opt.beta2, 0, 1),
    N("eps", t.opt.eps, 0, 1),
    N("lr-decay", t.opt.lr_decay, 0, 1e6),
    /* regularization */
    N("l2", t.l2, 0, 1e6), N("weight-decay", weight_decay, 0, 1e6),
    N("clip", t.clip, 0, 1e30),
    /* the schedules (dn_sched_conf) */
    N("step-size", t.sched.step_size, 1, 1e8), N("gamma", t.sched.gamma, 0, 1),
    N("t-max", t.sched.t_max, 0, 1e8), N("eta-min", t.sched.eta_min, 0, 1e6),
    N("factor", t.sched.factor, 0, 1),
    N("plateau-patience", t.sched.patience, 0, 1e8),
    N("threshold", t.sched.threshold, 0, 1e30),
    N("cooldown", t.sched.cooldown, 0, 1e8),
    N("min-lr", t.sched.eta_min, 0, 1e6),
    N("warmup", t.sched.warmup, 0, 1e8),
    N("pct-start", t.sched.pct_start, 0, 1),
    N("div-factor", t.sched.div_factor, 1, 1e30),
    N("final-div-factor", t.sched.final_div_factor, 1, 1e30),
    /* stopping, and the threads */
    N("epochs", t.epochs, 0, 1e8), N("patience", t.patience, 0, 1e8),
    N("min-delta", t.min_delta, 0, 1e30),
    N("tol", t.tol, 0, 1e30), N("tol-epochs", t.tol_epochs, 1, 1e8),
    N("threads", t.threads, 0, 1024),
    /* the full-batch solvers (dn_solver_conf) */
    N("gtol", solver.gtol, 0, 1e30), N("ftol", solver.ftol, 0, 1),
    N("max-evals", solver.max_evals, 0, 1e15),
    N("lbfgs-m", solver.history, 1, 1000),
    N("cg-restart", solver.restart, 0, 1e8),
    N("c1", solver.c1, 0, 1), N("c2", solver.c2, 0, 1),
    N("ls-max", solver.ls_max, 1, 1000),
    N("mu", solver.mu, 0, 1e30), N("mu-dec", solver.mu_dec, 0, 1),
    N("mu-inc", solver.mu_inc, 1, 1e30), N("mu-max", solver.mu_max, 0, 1e300),
    N("max-params", solver.max_params, 1, 1e12),
    N("hf-cg-max", solver.hf_cg_max, 1, 100000),
    N("hf-rows", solver.hf_rows, 0, 1e12),
    N("hf-decay", solver.hf_decay, 0, 1),
    N("boundary-every", boundary_every, 1, 1e8),
};
#undef N
#undef TYPE_OF

_Static_assert(sizeof nums / sizeof *nums <= 64, "train_cfg.given is 64 bits");

static int parse_num(cli_args *a, const char *o, train_cfg *c)
{
    for (size_t i = 0; i < sizeof nums / sizeof *nums; i++) {
        const train_num *n = &nums[i];
        if (strcmp(o, n->name)) continue;
        void *p = (char *)c + n->off;
        if (n->type == 'd') {
            if (!cli_double(a, n->lo, n->hi, p)) return -1;
        } else {
            long v;
            if (!cli_int(a, (long)n->lo, (long)n->hi, &v)) return -1;
            if (n->type == 'l') *(long *)p = v;
            else if (n->type == 'z') *(size_t *)p = (size_t)v;
            else *(int *)p = (int)v;
        }
        c->given |= 1ull << i;
        if (n->off >= offsetof(train_cfg, solver) &&
            n->off < offsetof(train_cfg, solver) + sizeof c->solver)
            c->solver_opts = 1;
        return 1;
    }
    return 0;
}

const train_num *train_nums(size_t *count)
{
    *count = sizeof nums / sizeof *nums;
    return nums;
}

/* 1 if the numeric option `name` was given on the command line. */
int train_given(const train_cfg *c, const char *name)
{
    for (size_t i = 0; i < sizeof nums / sizeof *nums; i++)
        if (!strcmp(nums[i].name, name)) return (c->given >> i) & 1;
    return 0;
}

/* The value of "--name V" or "--name=V" at argv[i], else NULL. */
static const char *early_value(int argc, char **argv, int i, const char *name)
{
    size_t n = strlen(name);
    if (strncmp(argv[i], name, n)) return NULL;
    if (argv[i][n] == '=') return argv[i] + n + 1;
    if (!argv[i][n] && i + 1 < argc) return argv[i + 1];
    return NULL;
}

/* Optimizer and schedule defaults depend on their kind, and the numeric
 * options given must override them whatever the order on the command
 * line: so the kinds are read in a first pass. */
static int parse_kinds(int argc, char **argv, train_cfg *c)
{
    dn_error err;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (!strcmp(argv[i], "--")) break;
        if ((v = early_value(argc, argv, i, "--opt")) &&
            dn_opt_parse(v, &c->opt, &err)) {
            dn_solver_kind k;
            if (dn_solver_parse(v, &k, NULL))
                return cli_usage("train", "--opt: unknown optimizer '%s'; use "
                                 "one of: sgd, momentum, nesterov, adagrad, "
                                 "rmsprop, adam, adamw (mini-batch) or lbfgs, "
                                 "cg, lm, newton, hf (full-batch solvers)", v);
            c->solver_set = 1;
            dn_solver_defaults(&c->solver, k);
        }
        if ((v = early_value(argc, argv, i, "--schedule")) &&
            dn_sched_parse(v, &c->sched, &err))
            return cli_usage("train", "--schedule: %s", err.msg);
        if (!strcmp(argv[i], "--nesterov")) c->opt = DN_OPT_NESTEROV;
    }
    dn_opt_defaults(&c->t.opt, c->opt);
    dn_sched_defaults(&c->t.sched, c->sched);
    c->t.eta = dn_opt_default_eta(c->opt);
    return 0;
}

int train_parse(int argc, char **argv, train_cfg *c)
{
    memset(c, 0, sizeof *c);
    dn_train_defaults(&c->t);
    c->t.epochs = 100;
    c->opt = DN_OPT_ADAM;
    c->sched = DN_SCHED_CONSTANT;
    c->out = "model.safetensors";
    c->layers = "128,64";
    c->act = DN_ACT_RELU;
    c->standardize = 1;
    c->val = 0.2;
    c->t.patience = -1; /* "not given": 10 when there is validation data */
    c->t.checkpoint_every = 1;
    int rc = parse_kinds(argc, argv, c);
    if (rc) return rc;

    cli_args a;
    cli_args_init(&a, "train", argc, argv);
    const char *o, *p;
    dn_error err;
    while (cli_next(&a, &o, &p)) {
        if (p) {
            if (c->data) return cli_usage("train", "unexpected argument '%s' "
                                          "(DATA is already '%s')", p, c->data);
            c->data = p;
            continue;
        }
        const char *v;
        /* --lr find: the range test chooses the rate (train_lrfind.c) */
        if (!strcmp(o, "lr") || !strcmp(o, "eta")) {
            const char *pv = a.value ? a.value
                           : a.i < a.argc ? a.argv[a.i] : NULL;
            if (pv && !strcmp(pv, "find")) {
                cli_value(&a);
                c->lr_find = 1;
                continue;
            }
        }
        int r = parse_num(&a, o, c);
        if (r < 0) return EXIT_USAGE;
        if (r > 0) continue;
#define VALUE() do { if (!(v = cli_value(&a))) return EXIT_USAGE; } while (0)
        if (!strcmp(o, "h") || !strcmp(o, "help")) {
            fputs(help, stdout);
            return -1;
        } else if (!strcmp(o, "o") || !strcmp(o, "output")) { VALUE(); c->out = v;
        } else if (!strcmp(o, "target")) { VALUE(); c->target = v;
        } else if (!strcmp(o, "sep")) { VALUE(); c->sep = v;
            char ch;
            if (cli_sep("train", v, &ch)) return EXIT_USAGE;
        } else if (!strcmp(o, "missing")) { VALUE(); c->missing = v;
            int e;
            if (cli_missing("train", v, &e)) return EXIT_USAGE;
        } else if (!strcmp(o, "na")) { VALUE(); c->na = v;
        } else if (!strcmp(o, "categorical")) { VALUE(); c->categorical = v;
        } else if (!strcmp(o, "drop")) { VALUE(); c->drop = v;
        } else if (!strcmp(o, "class-weight")) { VALUE(); c->class_weight = v;
        } else if (!strcmp(o, "sample-weight")) { VALUE(); c->sample_weight = v;
        } else if (!strcmp(o, "labels")) { VALUE(); c->labels = v;
        } else if (!strcmp(o, "memory")) { VALUE();
            if (dn_parse_size(v, &c->memory, &err))
                return cli_usage("train", "--memory: %s", err.msg);
        } else if (!strcmp(o, "val-data")) { VALUE(); c->val_data = v;
        } else if (!strcmp(o, "val-labels")) { VALUE(); c->val_labels = v;
        } else if (!strcmp(o, "warm-start")) { VALUE(); c->warm = v;
        } else if (!strcmp(o, "layers")) { VALUE(); c->layers = v; c->layers_set = 1;
        } else if (!strcmp(o, "opt") || !strcmp(o, "schedule")) { VALUE();
        } else if (!strcmp(o, "task")) {
            VALUE();
            if (strcmp(v, "auto")) {
                if (dn_task_parse(v, &c->task, &err))
                    return cli_usage("train", "--task: %s (or auto)", err.msg);
                c->task_set = 1;
            }
        } else if (!strcmp(o, "act")) {
            VALUE();
            c->act_set = 1;
            if (dn_act_parse(v, &c->act, &err))
                return cli_usage("train", "--act: %s", err.msg);
            if (c->act == DN_ACT_SOFTMAX)
                return cli_usage("train", "--act softmax: softmax is for the "
                                 "output layer only; descent adds it for "
                                 "multiclass tasks");
        } else if (!strcmp(o, "loss")) {
            VALUE();
            if (dn_loss_parse(v, &c->loss, &err))
                return cli_usage("train", "--loss: %s", err.msg);
            c->loss_set = 1;
        } else if (!strcmp(o, "init")) {
            VALUE();
            if (dn_init_parse(v, &c->init, &err))
                return cli_usage("train", "--init: %s", err.msg);
            c->init_set = 1;
        } else if (!strcmp(o, "batch")) {
            VALUE();
            if (!strcmp(v, "all")) c->t.batch = 0;
            else {
                char *end;
                long b = strtol(v, &end, 10);
                if (end == v || *end || b < 0 || b > 100000000)
                    return cli_usage("train", "--batch '%s': expected 1 "
                                     "(stochastic), a mini-batch size, or 0/all "
                                     "(the whole set)", v);
                c->t.batch = (int)b;
            }
            c->batch_set = 1;
        } else if (!strcmp(o, "cg-beta")) {
            VALUE();
            if (dn_cg_beta_parse(v, &c->solver.cg_beta, &err))
                return cli_usage("train", "--cg-beta: %s", err.msg);
            c->solver_opts = 1;
        } else if (!strcmp(o, "lm-rule")) {
            VALUE();
            if (dn_lm_rule_parse(v, &c->solver.lm_rule, &err))
                return cli_usage("train", "--lm-rule: %s", err.msg);
            c->solver_opts = 1;
        } else if (!strcmp(o, "checkpoint")) { VALUE(); c->checkpoint = v;
        } else if (!strcmp(o, "resume")) { VALUE(); c->resume = v;
        } else if (!strcmp(o, "checkpoint-every")) {
            VALUE();
            char *end;
            long k = strtol(v, &end, 10);
            int steps = !strcmp(end, "steps") || !strcmp(end, "step");
            if (end == v || k < 1 || (*end && !steps && strcmp(end, "epochs")))
                return cli_usage("train", "--checkpoint-every '%s': expected N "
                                 "(epochs) or Nsteps, e.g. 5 or 500steps", v);
            c->t.checkpoint_every = steps ? 0 : (int)k;
            c->t.checkpoint_steps = steps ? k : 0;
        } else if (!strcmp(o, "seed")) {
            if (!cli_u64(&a, &c->t.seed)) return EXIT_USAGE;
        } else if (!strcmp(o, "dropout")) {
            VALUE();
            if (!parse_dropout(v, c)) return EXIT_USAGE;
        } else if (!strcmp(o, "threshold-mode")) {
            VALUE();
            if (!strcmp(v, "abs")) c->t.sched.threshold_abs = 1;
            else if (!strcmp(v, "rel")) c->t.sched.threshold_abs = 0;
            else return cli_usage("train", "--threshold-mode '%s': use rel "
                                  "or abs", v);
        } else if (!strcmp(o, "monitor")) {
            VALUE();
            if (!strcmp(v, "val_loss")) c->t.monitor = DN_MONITOR_VAL_LOSS;
            else if (!strcmp(v, "val_acc")) c->t.monitor = DN_MONITOR_VAL_ACC;
            else if (!strcmp(v, "train_loss")) c->t.monitor = DN_MONITOR_TRAIN_LOSS;
            else return cli_usage("train", "--monitor '%s': use val_loss, "
                                  "val_acc or train_loss", v);
        } else if (!strcmp(o, "centered")) { c->t.opt.centered = 1;
        } else if (!strcmp(o, "amsgrad")) { c->t.opt.amsgrad = 1;
        } else if (!strcmp(o, "nesterov")) { /* read by parse_kinds */
        } else if (!strcmp(o, "no-restore-best")) { c->t.restore_best = 0;
        } else if (!strcmp(o, "accept-outputs")) { c->accept_outputs = 1;
        } else if (!strcmp(o, "no-standardize")) { c->standardize = 0;
        } else if (!strcmp(o, "q") || !strcmp(o, "quiet")) { c->quiet = 1;
        } else if (!strcmp(o, "v") || !strcmp(o, "verbose")) { c->verbose = 1;
        } else if (!strcmp(o, "dry-run")) { c->dry_run = 1;
        } else if (!strcmp(o, "plot-log")) { c->plot_log = 1;
        } else if (!strcmp(o, "no-health")) { c->no_health = 1;
        } else if (!strcmp(o, "history")) { VALUE(); c->history = v;
        } else if (!strcmp(o, "tensorboard")) { VALUE(); c->tensorboard = v;
        } else if (!strcmp(o, "plot")) { VALUE(); c->plot = v;
        } else if (!strcmp(o, "boundary")) { VALUE(); c->boundary = v;
        } else {
            return cli_usage("train", "unknown option '%s'", argv[a.i - 1]);
        }
#undef VALUE
    }
    if (c->resume) return 0; /* the rest comes from the checkpoint */
    /* Check --layers now, before any data is read. */
    dn_arch probe;
    memset(&probe, 0, sizeof probe);
    if (!train_parse_layers(c->layers, c->act, &probe)) return EXIT_USAGE;
    if (!c->data) return cli_usage("train", "no DATA file given; e.g. "
                                   "'descent train data/digits.csv -o m.safetensors'");
    /* --layers, --act and --loss may repeat the warm model's network
     * (checked once it is loaded); an initialization has no meaning. */
    if (c->warm && c->init_set)
        return cli_usage("train", "--warm-start takes the weights from the "
                         "model: drop --init");
    if (c->val_labels && !c->val_data)
        return cli_usage("train", "--val-labels needs --val-data");
    if (c->boundary_every && !c->boundary)
        return cli_usage("train", "--boundary-every needs --boundary DIR, "
                         "where the frames go");
    if (c->solver_opts && !c->solver_set)
        return cli_usage("train", "solver options (--gtol, --mu, --cg-beta, "
                         "...) apply to --opt lbfgs|cg|lm|newton|hf only");
    if (c->solver_set) {
        /* What a full-batch solver has no use for is refused, not
         * silently ignored. */
        static const char *mb[] = { "lr", "eta", "momentum", "dampening",
            "alpha", "beta1", "beta2", "eps", "lr-decay", "step-size", "gamma",
            "t-max", "eta-min", "factor", "plateau-patience", "threshold",
            "cooldown", "min-lr", "warmup", "pct-start", "div-factor",
            "final-div-factor" };
        for (size_t i = 0; i < sizeof mb / sizeof *mb; i++)
            if (train_given(c, mb[i]))
                return cli_usage("train", "--%s is for the mini-batch "
                                 "optimizers; --opt %s chooses its own steps "
                                 "by line search or damping", mb[i],
                                 dn_solver_name(c->solver.kind));
        if (c->sched != DN_SCHED_CONSTANT || c->batch_set || c->dropout_n ||
            c->t.clip > 0)
            return cli_usage("train", "--opt %s trains on the whole set at "
                             "every iteration: drop --batch, --schedule, "
                             "--dropout and --clip",
                             dn_solver_name(c->solver.kind));
    }
    /* --weight-decay is AdamW's own decoupled decay; elsewhere it means
     * the coupled L2 of the notes, as in PyTorch's other optimizers. */
    if (train_given(c, "weight-decay")) {
        if (c->opt == DN_OPT_ADAMW) c->t.opt.weight_decay = c->weight_decay;
        else c->t.l2 = c->weight_decay;
    }
    return 0;
}
