/* cmd_train.c — `descent train DATA -o MODEL`: load, split, build,
 * standardize, train, save; and say what was chosen and why. */
#include "cli.h"
#include "progress.h"
#include "train.h"
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Everything that watches a run: the terminal, the history (kept in
 * memory for --history and --plot), TensorBoard.  A log that cannot be
 * written is reported once and dropped; training goes on. */
typedef struct {
    progress    bar;
    int         quiet;
    dn_history  hist;
    const char *hist_path;   /* --history FILE, or NULL */
    double      hist_saved;  /* when the history file was last written */
    dn_tboard  *tb;          /* --tensorboard DIR, or NULL */
    dn_health  *health;      /* the run's health checks, or NULL */
    int         say_health;  /* print their warnings (not --no-health, -q) */
    const dn_model      *m;  /* the model being trained, for the checks
                                and the --boundary frames */
    const dn_train_opts *t;
    train_regions *regions;  /* --boundary DIR, or NULL */
} watch;

static double seconds_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void on_batch(const dn_batch *b, void *user)
{
    watch *w = user;
    if (!w->quiet)
        progress_batch(&w->bar, b->epoch, b->batch, b->n_batches, b->rows,
                       b->loss);
}

static int on_epoch(const dn_epoch *e, void *user)
{
    watch *w = user;
    dn_error err;
    if (dn_history_add_epoch(&w->hist, e, &err)) {
        fprintf(stderr, "descent train: %s\n", err.msg);
        return 1;
    }
    const dn_hist_row *r = &w->hist.row[w->hist.n - 1];
    w->bar.mu = e->mu;
    if (!w->quiet) progress_epoch(&w->bar, r);
    /* The health warnings after the epoch's line, each once, on stderr
     * (not for a resumed run's replayed epochs: the first run said it). */
    int fresh = w->health ? dn_health_epoch(w->health, w->m, e) : 0;
    if (fresh && w->say_health && !e->replay) {
        int n;
        const dn_health_warning *hw = dn_health_list(w->health, &n);
        fflush(stdout);
        for (int i = n - fresh; i < n; i++)
            train_health_say(stderr, w->m, &hw[i], w->t, e->eta);
    }
    /* A resumed run's replayed epochs are in its old event file already. */
    /* ... and the layers: weights, the health sample's gradient, the
     * update ratio. */
    if (w->tb && !e->replay &&
        (dn_tboard_add(w->tb, r, w->hist.metric, &err) ||
         dn_tboard_layers(w->tb, w->m, dn_health_grad(w->health), e->epoch,
                          &err))) {
        fprintf(stderr, "descent train: warning: %s; training goes on "
                "without TensorBoard logs\n", err.msg);
        dn_tboard_close(w->tb, NULL);
        w->tb = NULL;
    }
    /* The history file is rewritten whole, atomically: at most once a
     * second here (so that a long run of quick epochs does not spend its
     * time rewriting it), and once more at the end. */
    double t = seconds_now();
    if (w->hist_path && t - w->hist_saved >= 1) {
        if (dn_history_save(&w->hist, w->hist_path, &err)) {
            fprintf(stderr, "descent train: warning: %s; training goes on "
                    "without it\n", err.msg);
            w->hist_path = NULL;
        }
        w->hist_saved = t;
    }
    if (!e->replay) train_regions_epoch(w->regions, w->m, e->epoch);
    return 0;
}

/* The --boundary frames for each checkpoint (dn_train_opts.keep). */
static dn_status keep_regions(void *user, const void **bytes, size_t *len,
                              dn_error *err)
{
    return train_regions_keep(((watch *)user)->regions, bytes, len, err);
}

/* Describes the network in one line: "64 inputs -> 32 relu -> 10 softmax". */
static void describe(const dn_arch *A, char *buf, size_t len)
{
    size_t o = (size_t)snprintf(buf, len, "%d inputs", A->n_in);
    for (int l = 0; l < A->n_layers && o < len; l++)
        o += (size_t)snprintf(buf + o, len - o, " -> %d %s", A->layer[l].units,
                              dn_act_name(A->layer[l].act));
}

static const char *task_reason(dn_loss loss)
{
    switch (loss) {
    case DN_LOSS_MSE: return "regression: identity output with MSE, the "
                             "Gaussian maximum likelihood";
    case DN_LOSS_BCE: return "binary: one sigmoid unit, P(class 1), with "
                             "binary cross-entropy";
    default:          return "multiclass: softmax output with categorical "
                             "cross-entropy";
    }
}

/* Builds a new model from the task and the hidden layers. */
dn_status train_scale(const train_cfg *c, dn_model *m, const dn_data *d,
                      dn_error *err)
{
    if (!c->standardize) return DN_OK;
    dn_status st = dn_model_fit_scaling(m, d, err);
    if (!st && dn_model_arch(m)->loss == DN_LOSS_MSE)
        st = dn_model_fit_target_scaling(m, d, err);
    return st;
}

int train_build(train_cfg *c, const dn_data *d, dn_model **out)
{
    dn_error err;
    const dn_schema *s = d->schema;
    dn_arch A;
    memset(&A, 0, sizeof A);
    A.n_in = d->d;
    if (!train_parse_layers(c->layers, c->act, &A)) return EXIT_USAGE;
    int n_out = s->task == DN_TASK_REGRESSION ? d->k : s->n_classes;
    if (dn_arch_set_task(&A, s->task, n_out, &err))
        return cli_error("train", &err);
    if (c->loss_set) A.loss = c->loss;
    if (dn_model_new(&A, out, &err)) {
        /* A refused architecture is a usage error; no memory for the
         * weights is a runtime one (exit 1, no pointer to --help). */
        if (err.code != DN_EARG) return cli_error("train", &err);
        fprintf(stderr, "descent train: %s\n(see 'descent train --help')\n",
                err.msg);
        return EXIT_USAGE;
    }
    dn_model_init(*out, c->init, (float)c->init_eps, c->t.seed);
    return 0;
}

/* --layers, --act and --loss given with --warm-start must describe the
 * model's own network: 0, or the usage code naming both networks. */
static int warm_matches(const train_cfg *c, const dn_model *warm)
{
    const dn_arch *W = dn_model_arch(warm);
    /* A: the network the options ask for, W's where they say nothing. */
    dn_arch A = *W;
    if (c->layers_set) {
        dn_arch H;
        memset(&H, 0, sizeof H);
        if (!train_parse_layers(c->layers, c->act, &H)) return EXIT_USAGE;
        A.n_layers = H.n_layers + 1;
        memcpy(A.layer, H.layer, (size_t)H.n_layers * sizeof *H.layer);
        A.layer[H.n_layers] = W->layer[W->n_layers - 1];
    } else if (c->act_set) {
        /* --act alone: the model's widths with that activation. */
        for (int l = 0; l < W->n_layers - 1; l++) A.layer[l].act = c->act;
    }
    if (c->loss_set) A.loss = c->loss;
    int same = A.n_layers == W->n_layers && A.loss == W->loss;
    for (int l = 0; same && l < A.n_layers - 1; l++)
        same = A.layer[l].units == W->layer[l].units &&
               A.layer[l].act == W->layer[l].act;
    if (same) return 0;
    char have[1024], want[1024];
    describe(W, have, sizeof have);
    describe(&A, want, sizeof want);
    return cli_usage("train", "--warm-start %s holds the network %s, loss %s; "
                     "the options ask for %s, loss %s. Give the model's "
                     "layers (or leave out --layers, --act and --loss: the "
                     "network comes from the model)", c->warm, have,
                     dn_loss_name(W->loss), want, dn_loss_name(A.loss));
}

/* The optimizer's settings in words, e.g. "adam (beta1 0.9, ...)". */
static void describe_opt(const dn_train_opts *t, char *buf, size_t len)
{
    const dn_opt_conf *o = &t->opt;
    switch (o->kind) {
    case DN_OPT_SGD:
        snprintf(buf, len, "sgd (plain gradient descent)"); break;
    case DN_OPT_MOMENTUM: case DN_OPT_NESTEROV:
        dn_snprintf(buf, len, "%s (momentum %g, dampening %g)",
                    dn_opt_name(o->kind), o->momentum, o->dampening); break;
    case DN_OPT_ADAGRAD:
        dn_snprintf(buf, len, "adagrad (eps %g, lr_decay %g)", o->eps,
                    o->lr_decay); break;
    case DN_OPT_RMSPROP:
        dn_snprintf(buf, len, "rmsprop (alpha %g, eps %g, momentum %g%s)",
                    o->alpha, o->eps, o->momentum, o->centered ? ", centered" : "");
        break;
    default:
        dn_snprintf(buf, len, "%s (beta1 %g, beta2 %g, eps %g%s", dn_opt_name(o->kind),
                    o->beta1, o->beta2, o->eps, o->amsgrad ? ", amsgrad" : "");
        if (o->kind == DN_OPT_ADAMW)
            dn_snprintf(buf + strlen(buf), len - strlen(buf),
                        ", decoupled weight decay %g", o->weight_decay);
        snprintf(buf + strlen(buf), len - strlen(buf), ")");
    }
}

/* A full-batch solver's settings in words. */
static void describe_solver(const dn_solver_conf *v, char *buf, size_t len)
{
    switch (v->kind) {
    case DN_SOLVER_LM:
        if (v->lm_rule == DN_LM_GATED)
            dn_snprintf(buf, len, "lm (Levenberg-Marquardt, the gated rule: "
                        "the sweep rule, mu %g of J'J's largest diagonal "
                        "entry, x%g after a bad step, up to %g, with NL2SOL's "
                        "secant term while the fit stays poor; it beat the "
                        "other rules in bench/SOLVERS.md)", v->mu, v->mu_inc,
                        v->mu_max);
        else if (v->lm_rule == DN_LM_SWEEP)
            dn_snprintf(buf, len, "lm (Levenberg-Marquardt, the sweep rule: "
                        "mu %g of J'J's largest diagonal entry, lowered x%g "
                        "on each Jacobian while that helps, x%g after a bad "
                        "step, up to %g)", v->mu, v->mu_dec, v->mu_inc,
                        v->mu_max);
        else if (v->lm_rule == DN_LM_TRAINLM)
            dn_snprintf(buf, len, "lm (Levenberg-Marquardt, trainlm's rule: mu "
                        "%g, x%g after a good step, x%g after a bad one, up "
                        "to %g)",
                        v->mu, v->mu_dec, v->mu_inc, v->mu_max);
        else if (v->lm_rule == DN_LM_HYBRID)
            dn_snprintf(buf, len, "lm (Levenberg-Marquardt, the sweep rule "
                        "with NL2SOL's secant estimate of the second-order "
                        "term, used when it predicts the steps better)");
        else
            dn_snprintf(buf, len, "lm (Levenberg-Marquardt, More's scaled trust "
                        "region as MINPACK's lmder)");
        break;
    case DN_SOLVER_NEWTON:
        dn_snprintf(buf, len, "newton (exact Hessian by the R-operator, damped, "
                    "strong Wolfe line search c1 %g c2 %g)", v->c1, v->c2);
        break;
    case DN_SOLVER_HF:
        dn_snprintf(buf, len, "hf (Hessian-free Gauss-Newton: CG on G v, at "
                    "most %d iterations, mu %g relative, x%g / x%g by rho)",
                    v->hf_cg_max, v->mu, v->mu_dec, v->mu_inc);
        break;
    case DN_SOLVER_CG:
        dn_snprintf(buf, len, "cg (%s, strong Wolfe line search c1 %g c2 %g)",
                    dn_cg_beta_name(v->cg_beta), v->c1, v->c2);
        break;
    default:
        dn_snprintf(buf, len, "lbfgs (m %d, strong Wolfe line search c1 %g c2 %g)",
                    v->history, v->c1, v->c2);
    }
    dn_snprintf(buf + strlen(buf), len - strlen(buf), ", gtol %g, ftol %g",
                v->gtol, v->ftol);
}

static void describe_sched(const dn_sched_conf *s, char *buf, size_t len)
{
    switch (s->kind) {
    case DN_SCHED_CONSTANT: snprintf(buf, len, "constant rate"); break;
    case DN_SCHED_STEP: dn_snprintf(buf, len, "step decay (x%g every %d epochs)",
                                    s->gamma, s->step_size); break;
    case DN_SCHED_EXP: dn_snprintf(buf, len, "exponential decay (x%g per epoch)",
                                   s->gamma); break;
    case DN_SCHED_COSINE: dn_snprintf(buf, len, "cosine annealing to %g", s->eta_min);
        break;
    case DN_SCHED_ONECYCLE:
        dn_snprintf(buf, len, "one cycle (torch's OneCycleLR, --lr is the peak: "
                    "up from lr/%g over %g of %s, then down to lr/%g; the "
                    "momentum is not cycled)", s->div_factor, s->pct_start,
                    s->t_max ? "--t-max epochs" : "the epochs",
                    s->div_factor * s->final_div_factor);
        break;
    default:
        dn_snprintf(buf, len, "reduce on plateau (x%g after %d epochs without a "
                    "%s improvement of %g, cooldown %d, floor %g)", s->factor,
                    s->patience, s->threshold_abs ? "absolute" : "relative",
                    s->threshold, s->cooldown, s->eta_min);
    }
    if (s->warmup)
        snprintf(buf + strlen(buf), len - strlen(buf), " after %d epochs of "
                 "linear warmup", s->warmup);
}

/* Every training setting as one JSON object, stored in the model. */
static void settings_json(const train_cfg *c, char *buf, size_t len)
{
    const dn_train_opts *t = &c->t;
    const dn_opt_conf *o = &t->opt;
    const dn_sched_conf *s = &t->sched;
    size_t n = (size_t)dn_snprintf(buf, len,
        "{\"optimizer\":\"%s\",\"eta\":%g,\"momentum\":%g,\"dampening\":%g,"
        "\"alpha\":%g,\"beta1\":%g,\"beta2\":%g,\"eps\":%g,\"lr_decay\":%g,"
        "\"weight_decay\":%g,\"centered\":%d,\"amsgrad\":%d,"
        "\"schedule\":\"%s\",\"step_size\":%d,\"gamma\":%g,\"t_max\":%d,"
        "\"eta_min\":%g,\"factor\":%g,\"plateau_patience\":%d,"
        "\"threshold\":%g,\"threshold_mode\":\"%s\",\"cooldown\":%d,"
        "\"warmup\":%d,\"batch\":%d,\"epochs\":%d,\"l2\":%g,"
        "\"clip\":%g,\"patience\":%d,\"min_delta\":%g,\"restore_best\":%d,"
        "\"tol\":%g,\"tol_epochs\":%d,\"seed\":%llu,\"val\":%g,"
        "\"standardize\":%s,\"dropout\":[",
        dn_opt_name(o->kind), t->eta, o->momentum, o->dampening, o->alpha,
        o->beta1, o->beta2, o->eps, o->lr_decay, o->weight_decay, o->centered,
        o->amsgrad, dn_sched_name(s->kind), s->step_size, s->gamma, s->t_max,
        s->eta_min, s->factor, s->patience, s->threshold,
        s->threshold_abs ? "abs" : "rel", s->cooldown, s->warmup,
        t->batch, t->epochs, t->l2, t->clip, t->patience, t->min_delta,
        t->restore_best, t->tol, t->tol_epochs, (unsigned long long)t->seed,
        c->val_data ? -1.0 : c->val, c->standardize ? "true" : "false");
    for (int l = 0; l < DN_MAX_LAYERS && n < len; l++) {
        if (!t->dropout[l] && l) break;
        n += (size_t)dn_snprintf(buf + n, len - n, "%s%g", l ? "," : "",
                                 t->dropout[l]);
    }
    if (n < len) snprintf(buf + n, len - n, "]}");
}

static void explain(const train_cfg *c, const dn_model *m, const dn_data *train)
{
    const dn_arch *A = dn_model_arch(m);
    char buf[1024], n1[32];
    describe(A, buf, sizeof buf);
    printf("network: %s (%s), loss %s, %s parameters\n", buf,
           task_reason(A->loss), dn_loss_name(A->loss),
           cli_thousands((long long)dn_model_n_params(m), n1, sizeof n1));
    if (c->warm) printf("init: weights and scaling from %s\n", c->warm);
    else if (c->init_set && c->init != DN_INIT_DEFAULT)
        printf("init: %s, biases 0, seed %llu\n", dn_init_name(c->init),
               (unsigned long long)c->t.seed);
    else
        printf("init: He uniform for ReLU-family layers, Glorot uniform for "
               "the others (they keep activations and gradients at a steady "
               "scale), biases 0, seed %llu\n", (unsigned long long)c->t.seed);
    if (dn_model_mean(m))
        printf("scaling: inputs standardized with the training rows' mean and "
               "std%s, stored in the model%s\n", dn_model_target_mean(m)
               ? ", and so is the target (losses are in standardized units; "
                 "MSE/MAE in the target's own)" : "",
               c->standardize ? "" : " (from --warm-start)");
    const dn_train_opts *t = &c->t;
    int B = t->batch <= 0 || t->batch >= train->n ? train->n : t->batch;
    if (c->solver_set) {
        describe_solver(&c->solver, buf, sizeof buf);
        printf("optimizer: %s on the full batch of %d rows; each iteration is "
               "one 'epoch' below\n", buf, train->n);
    } else {
        describe_opt(t, buf, sizeof buf);
        dn_fprintf(stdout, "optimizer: %s, lr %g%s, %s of %d rows\n", buf, t->eta,
                   c->lr_find ? " (--lr find)" : train_given(c, "lr") || train_given(c, "eta") ? "" : " (its default)",
                   B == 1 ? "stochastic steps" : B == train->n ? "full batches"
                                                               : "mini-batches", B);
        describe_sched(&t->sched, buf, sizeof buf);
        printf("schedule: %s\n", buf);
    }
    if (t->l2 > 0 || t->clip > 0 || c->dropout_n)
        printf("regularization:%s%s%s\n",
               t->l2 > 0 ? " L2 on the weights (in the training loss)" : "",
               c->dropout_n ? " dropout on hidden outputs" : "",
               t->clip > 0 ? " gradient clipping by global norm" : "");
    printf("stopping: at most %d epochs", t->epochs);
    if (t->patience > 0)
        printf("; early stop after %d epochs without improvement of %s%s",
               t->patience, t->monitor == DN_MONITOR_VAL_ACC ? "val accuracy"
               : t->monitor == DN_MONITOR_TRAIN_LOSS ? "train loss" : "val loss",
               t->restore_best ? ", then restore the best epoch's weights" : "");
    if (t->tol > 0)
        dn_fprintf(stdout, "; converged when the loss changes < %g for %d epochs", t->tol,
                   t->tol_epochs);
    char th[32];
    snprintf(th, sizeof th, "%d thread%s", t->threads, t->threads == 1 ? "" : "s");
    printf("; %s\n", t->threads ? th : "threads on all cores, or one while "
           "the others are measured not to help");
}

/* Ctrl-C, SIGTERM and SIGHUP (the terminal closed) ask the training
 * loop to stop after the current step and save; a second Ctrl-C ends
 * the process at once, removing the file being written.  A closed pipe
 * on stdout is not a reason to lose the run: SIGPIPE is ignored, and the
 * failed writes are reported at exit (main.c). */
static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    if (stop_requested && sig == SIGINT) {
        dn_atomic_abandon();
        _exit(130);
    }
    stop_requested = 1;
    static const char msg[] = "\ndescent train: stopping after this step "
                              "(Ctrl-C again to quit at once)\n";
    ssize_t w = write(2, msg, sizeof msg - 1);
    (void)w;
}

static void catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* A split refused (classes with too few rows) on classes that were read
 * from integers, the task not given: a target of counts or scores with
 * few rows each is more likely numbers than labels (MASS's ships, 40
 * rows of 16 incident counts; carData's States, 51 rows of 20 pay
 * levels), so the message offers regression too. */
static void hint_regression(const train_cfg *c, const dn_data *all,
                            dn_error *err)
{
    const dn_schema *s = all->schema;
    if (c->task_set || !s || s->task == DN_TASK_REGRESSION || !s->classes)
        return;
    for (int i = 0; i < s->n_classes; i++) {
        double v;
        if (!dn_parse_double(s->classes[i], strlen(s->classes[i]), &v))
            return;
    }
    const size_t n = strlen(err->msg);
    dn_snprintf(err->msg + n, sizeof err->msg - n, "; or, if '%s' holds "
                "numbers (counts, scores) rather than class labels, "
                "--task regression", s->target);
}

int cmd_train(int argc, char **argv)
{
    train_cfg c;
    int rc = train_parse(argc, argv, &c);
    if (rc) return rc < 0 ? EXIT_OK : rc;
    if (c.resume) return train_resume(argc, argv, &c);
    char *note = train_note(argc, argv, &c);
    if (!note) return EXIT_DATA;
    rc = train_run(&c, note);
    free(note);
    return rc;
}

dn_status train_load(const train_cfg *c, const dn_schema *schema,
                     dn_csv_info *info, dn_data **all, char *why,
                     size_t why_len, dn_error *err)
{
    dn_csv_opts copts;
    train_csv_opts(c, info, &copts);
    return cli_load(c->data, c->labels, &copts, schema, c->warm, 1, all, why,
                    why_len, err);
}

int train_run(train_cfg *c_, const char *note)
{
    train_cfg c = *c_;
    int rc = 0;
    /* From here on Ctrl-C asks training to stop cleanly (even while the
     * data loads: training then stops after its first step). */
    catch_signals();
    /* (cv checks its own outputs, and a fold that saves nothing has none) */
    if (!c.no_save && (rc = train_check_files(&c))) {
        dn_data_free(c.data_in);
        return rc;
    }
    /* Under MPI only rank 0 prints and writes files (a run alone, one of
     * cv's folds, is its rank's own). */
    const int rank = c.t.alone ? 0 : dn_dist_rank();
    if (rank > 0) c.quiet = 1;
    dn_error err;
    watch w;   /* what watches the run; whatever of it exists is freed at out */
    memset(&w, 0, sizeof w);
    dn_data *all = c.data_in, *train = NULL, *val = NULL;
    dn_model *m = NULL, *warm = NULL;
    /* --memory on a set larger than it: the file streamed, and its first
     * rows in `all` (then `train`) for what needs rows to look at: the
     * network's shape, the health checks' sample. */
    dn_stream *rows = NULL;
    char why[512];
    static char buf[4096];
    dn_csv_opts vopts;
    dn_csv_info info, vinfo;
    memset(&info, 0, sizeof info);
    train_csv_opts(&c, &vinfo, &vopts);
    const char *say_split = "";

    if (c.warm) {
        /* Encode the new data exactly as the warm model's data was. */
        if (dn_model_load(c.warm, &warm, &err)) { rc = cli_error("train", &err); goto out; }
        if ((rc = warm_matches(&c, warm))) goto out;
        if (!dn_model_schema(warm)) {
            rc = cli_usage("train", "--warm-start %s: the model has no data "
                           "schema to encode the data with", c.warm);
            goto out;
        }
    }
    why[0] = 0;
    if (!all && c.memory && (rc = train_stream_open(&c, &rows, &all))) goto out;
    if (rows && ((rc = train_stream_refuse(&c)) ||
                 (rc = train_stream_head(&c, rows, warm, &all))))
        goto out;
    char mem_text[64] = "", rows_text[64] = "";
    if (!all && train_load(&c, warm ? dn_model_schema(warm) : NULL, &info, &all, why,
                          sizeof why, &err)) {
        rc = cli_error("train", &err);
        goto out;
    }
    const int n_rows = rows ? (int)dn_stream_rows(rows) : all->n;
    if (!c.quiet) {
        printf("data: %s: %d rows, %d inputs", c.data, n_rows, all->d);
        if (rows)
            printf("; streamed within --memory %s (the rows take %s)",
                   cli_bytes((double)c.memory, mem_text, sizeof mem_text),
                   cli_bytes((double)dn_stream_bytes(rows), rows_text,
                                   sizeof rows_text));
        if (info.note[0]) printf("; %s", info.note);
        if (why[0]) printf("; %s", why);
        putchar('\n');
    }
    char policy[768] = "";
    if (!rows && train_auto_applies(&c, all) &&
        (rc = train_auto(&c, all, policy, sizeof policy)))
        goto out;
    if (!c.quiet && policy[0]) printf("policy: %s\n", policy);
    if (c.val_data) {
        if (cli_load_as("--val-labels", c.val_data, c.val_labels, &vopts,
                        all->schema, NULL, 1, &val, NULL, 0, &err)) { rc = cli_error("train", &err); goto out; }
        cli_table_warn("train", c.val_data, &vinfo);
        train = all;
        all = NULL;
        say_split = "from --val-data";
    } else if (c.val > 0 && !rows) {
        if (dn_data_split(all, c.val, c.t.seed, &train, &val, &err)) {
            hint_regression(&c, all, &err);
            rc = cli_error("train", &err);
            goto out;
        }
        say_split = all->schema->task == DN_TASK_REGRESSION
                  ? "held out at random" : "held out at random, stratified by class";
    } else {
        train = all;
        all = NULL;
    }
    if (!c.quiet) {
        if (val) printf("split: %d training rows, %d validation rows (%s)\n",
                        rows ? n_rows : train->n, val->n, say_split);
        else printf("split: all %d rows train, no validation (%s)\n",
                    n_rows, policy[0] ? "the policy above" : rows
                    ? "streamed: --val-data FILE validates" : "--val 0");
    }

    if ((rc = train_weights(&c, train, val))) goto out;
    if (warm) { m = warm; warm = NULL; }
    else if ((rc = train_build(&c, train, &m))) goto out;
    const dn_arch *A = dn_model_arch(m);

    /* Early stopping needs something to watch: on by default only when
     * there is validation data. */
    if (c.t.patience < 0) c.t.patience = val ? 10 : 0;
    if (c.dropout_n == 1)
        for (int l = 1; l < A->n_layers - 1; l++) c.t.dropout[l] = c.t.dropout[0];
    if (c.dropout_n > A->n_layers - 1) {
        rc = cli_usage("train", "--dropout gives %d rates but the network has "
                       "%d hidden layers", c.dropout_n, A->n_layers - 1);
        goto out;
    }
    if (!dn_model_mean(m) && (rows ? train_stream_scale(&c, m, rows, &err)
                                   : train_scale(&c, m, train, &err))) {
        rc = cli_error("train", &err);
        goto out;
    }
    if (dn_model_set_schema(m, train->schema, &err)) { rc = cli_error("train", &err); goto out; }
    if (c.lr_find) {
        /* The range test on the rows and network about to train; the
         * model's weights are left as they were. */
        if (c.solver_set) {
            rc = cli_usage("train", "--lr find is for the mini-batch "
                           "optimizers; the full-batch solvers choose their "
                           "own steps");
            goto out;
        }
        dn_lr_find_conf lc;
        dn_lr_find_result lr;
        dn_lr_find_defaults(&lc);
        if ((rc = train_lr_find(&c, m, train, &lc, &lr))) goto out;
        c.t.eta = lr.suggest;
        if (!c.quiet) {
            train_lr_say(stdout, &lr);
            dn_fprintf(stdout, "lr: %.6g, the range test's suggestion "
                       "(--lr find)\n", c.t.eta);
        }
        dn_lr_find_free(&lr);
    }
    if (rows && (rc = train_stream_fits(&c, rows, dn_model_n_params(m), val)))
        goto out;
    /* (the rows a streamed run trains on, not its head) */
    dn_data shape = *train;
    shape.n = n_rows;
    if (!c.quiet) explain(&c, m, &shape);
    if (!c.quiet && !c.t.alone && dn_dist_size() > 1)
        printf("processes: %d (MPI); each computes the gradient of its slice "
               "of every global batch, summed with MPI_Allreduce\n",
               dn_dist_size());
    settings_json(&c, buf, sizeof buf);
    if (dn_model_meta_set(m, "training", buf, &err)) { rc = cli_error("train", &err); goto out; }

    if (c.dry_run) {
        /* The network and every choice above, without training. */
        putchar('\n');
        summary_print(stdout, m, "(not trained: --dry-run)");
        goto out;
    }
    /* The names are UTF-8 and the model can be saved: known now, not
     * after the run. */
    if (!c.no_save && dn_model_check_save(m, c.out, &err)) { rc = cli_error("train", &err); goto out; }
    w.quiet = c.quiet;
    /* The health checks watch mini-batch runs (the full-batch solvers
     * take no rate to lower, and their line searches never let the loss
     * rise); rank 0 alone, which prints. */
    w.say_health = !c.no_health && !c.quiet;
    /* (with TensorBoard they run silent when not asked to speak: its
     * gradient histograms are theirs) */
    /* (TensorBoard's histograms want every epoch's gradient) */
    dn_health_conf hc;
    char hwhy[512];
    train_health_conf(train->n, policy[0] && !c.tensorboard, c.t.epochs,
                      c.t.l2, &hc, hwhy, sizeof hwhy);
    if (rank == 0 && !c.solver_set && (w.say_health || c.tensorboard) &&
        dn_health_new(m, train, &hc, &w.health, &err)) {
        rc = cli_error("train", &err);
        goto out;
    }
    if (w.health && w.say_health && hwhy[0]) printf("health: %s\n", hwhy);
    w.m = m;
    w.t = &c.t;
    progress_init(&w.bar, stdout, c.t.epochs, dn_history_metric(m), c.verbose);
    if (c.solver_set) w.bar.unit = "iter";
    dn_history_init(&w.hist, dn_history_metric(m));
    if (rank == 0) {   /* under MPI, rank 0 alone writes files */
        /* The header now: a bad path fails before training, not after. */
        w.hist_path = c.history;
        w.hist_saved = seconds_now();
        if (w.hist_path && dn_history_save(&w.hist, w.hist_path, &err)) {
            rc = cli_error("train", &err);
            goto out;
        }
        if ((rc = train_regions_open(&c, m, train, &w.regions))) goto out;
        /* A finished run resumed has no new events to log. */
        if (c.tensorboard && !c.resume_finished && dn_tboard_open(c.tensorboard, &w.tb, &err)) {
            rc = cli_error("train", &err);
            goto out;
        }
    }
    c.t.on_epoch = on_epoch;
    c.t.on_batch = on_batch;
    c.t.user = &w;
    /* Periodic checkpoints only when asked for; on an interrupt always,
     * by default beside the model. */
    char ckpt[4096];
    snprintf(ckpt, sizeof ckpt, "%s.ckpt", c.out);
    if (!c.checkpoint) c.t.checkpoint_every = 0, c.t.checkpoint_steps = 0;
    c.t.checkpoint = c.checkpoint ? c.checkpoint : c.no_save ? NULL : ckpt;
    c.t.note = note;
    c.t.interrupt = &stop_requested;
    if (w.regions) c.t.keep = keep_regions;
    dn_result res;
    dn_status st;
    if (c.solver_set) {
        /* The mini-batch settings, which the options above refused for a
         * solver, at dn_train_defaults' values: dn_train_full refuses
         * them otherwise.  (An iteration is one update: no step display.) */
        dn_train_opts t = c.t, d;
        dn_train_defaults(&d);
        t.batch = d.batch;
        t.eta = d.eta;
        t.opt = d.opt;
        t.sched = d.sched;
        t.on_batch = NULL;
        st = dn_train_full(m, train, val, &c.solver, &t, &res, &err);
    } else if (rows) {
        st = dn_train_stream(m, rows, c.memory - train_stream_rest(rows,
                             dn_model_n_params(m), val), val, &c.t, &res, &err);
    } else {
        st = dn_train(m, train, val, &c.t, &res, &err);
    }
    if (!c.quiet) progress_end(&w.bar);
    {
        /* The logs, complete, whatever the outcome: they show what
         * happened up to a failure too. */
        dn_error lerr;
        dn_plot_opts po = { .log_scale = c.plot_log };
        if (w.hist_path && dn_history_save(&w.hist, w.hist_path, &lerr))
            fprintf(stderr, "descent train: warning: %s\n", lerr.msg);
        else if (w.hist_path && !c.quiet)
            printf("history: %s (%d epochs)\n", w.hist_path, w.hist.n);
        if (rank == 0 && c.plot && w.hist.n > 0) {
            if (dn_plot_history(&w.hist, &po, c.plot, &lerr))
                fprintf(stderr, "descent train: warning: %s\n", lerr.msg);
            else if (!c.quiet)
                printf("curves: %s\n", c.plot);
        }
        train_regions_close(w.regions, c.quiet);
        w.regions = NULL;
        if (w.tb && dn_tboard_close(w.tb, &lerr))
            fprintf(stderr, "descent train: warning: %s\n", lerr.msg);
        else if (w.tb && !c.quiet)
            printf("tensorboard: tensorboard --logdir %s\n", c.tensorboard);
        w.tb = NULL;
    }
    if (st && st != DN_ENUMERIC) { rc = cli_error("train", &err); goto out; }
    if (st == DN_ENUMERIC) {
        fprintf(stderr, "descent train: %s\n", err.msg);
        rc = EXIT_DATA;
    } else if (res.reason == DN_STOP_INTERRUPTED && c.no_save) {
        rc = EXIT_INTERRUPTED;
    } else if (res.reason == DN_STOP_INTERRUPTED) {
        fprintf(stderr, "descent train: interrupted after epoch %d, step %ld; "
                "checkpoint written to %s, model to %s; continue with "
                "'descent train --resume %s'\n", res.epochs, res.steps,
                c.t.checkpoint, c.out, c.t.checkpoint);
        rc = EXIT_INTERRUPTED;
    } else if (!c.quiet) {
        printf("stopped: %s after %d epochs", dn_stop_name(res.reason), res.epochs);
        if (res.restored)
            dn_fprintf(stdout, "; restored the weights of epoch %d (best %s %.4g)",
                       res.best_epoch, c.t.monitor == DN_MONITOR_VAL_ACC ? "val acc"
                       : val && c.t.monitor == DN_MONITOR_VAL_LOSS ? "val loss"
                       : "train loss", res.best);
        putchar('\n');
    }
    if (c.no_save) goto out;
    if (rank == 0 && cli_save_model("train", m, c.out)) { rc = EXIT_DATA; goto out; }
    if (!c.quiet || rc == EXIT_DATA)
        printf("saved %s%s\n", c.out, rc == EXIT_DATA ? " (the last good weights)" : "");
out:
    /* (an early exit: before training, nothing of these is worth keeping) */
    train_regions_close(w.regions, 1);
    if (w.tb) dn_tboard_close(w.tb, NULL);
    dn_history_free(&w.hist);
    dn_health_free(w.health);
    if (!rc && c.model_out) { *c.model_out = m; m = NULL; }
    dn_model_free(m);
    dn_model_free(warm);
    dn_data_free(all);
    dn_data_free(train);
    dn_data_free(val);
    dn_stream_close(rows);
    return rc;
}
