/* cmd_train.c — `descent train DATA -o MODEL`: load, split, build,
 * standardize, train, save; and say what was chosen and why. */
#include "cli.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *help =
"usage: descent train DATA [-o MODEL] [options]\n"
"\n"
"Trains a feed-forward network on DATA (a CSV with a header row, or an IDX\n"
"image file with --labels) and saves it as MODEL (safetensors).\n"
"With no options it picks the task from the target column, standardizes\n"
"the inputs, holds out 20% for validation and says what it chose.\n"
"\n"
"data:\n"
"  --target NAME|INDEX   target column by name or 1-based index (default: the\n"
"                        last; -1 counts from the end)\n"
"  --task T              auto|regression|binary|multiclass (default auto)\n"
"  --labels FILE         labels for IDX images (e.g. train-labels-idx1-ubyte.gz)\n"
"  --val FRACTION        hold out this fraction for validation (default 0.2; 0: none)\n"
"  --val-data FILE       validate on this file instead (--val-labels for IDX)\n"
"  --no-standardize      feed inputs (and regression targets) as they are\n"
"\n"
"network:\n"
"  --layers SPEC         hidden layers, e.g. 64,32 or 64:tanh,32:relu; 'none'\n"
"                        for no hidden layer (default 64,32)\n"
"  --act A               hidden activation: identity, sigmoid, tanh, relu,\n"
"                        leaky_relu, prelu (default relu)\n"
"  --loss L              mse|bce|ce (default: the task's; a pairing that makes\n"
"                        no sense is refused)\n"
"  --init I              default|normal|glorot_uniform|glorot_normal|he_uniform|\n"
"                        he_normal (default: He for the ReLU family, else Glorot)\n"
"  --init-eps E          standard deviation for --init normal (default 0.01)\n"
"  --warm-start MODEL    continue from a saved model's weights and scaling\n"
"\n"
"training (plain gradient descent, theta -= eta * g):\n"
"  --lr ETA              learning rate (default 0.05)\n"
"  --batch M             rows per step: 1 = stochastic, M = mini-batch,\n"
"                        0 or 'all' = the whole set (default 32)\n"
"  --epochs N            passes over the data (default 30; 0 saves the\n"
"                        initialized model)\n"
"  --seed S              seed for the split, the initialization and the\n"
"                        shuffles (default 1)\n"
"  --threads N           threads for the matrix products (default: all cores)\n"
"  -o, --output MODEL    where to save (default model.safetensors)\n"
"  -q, --quiet           print only errors\n"
"\n"
"examples:\n"
"  descent train data/digits.csv -o digits.safetensors\n"
"  descent train data/house.csv --target price --layers 32:tanh,16 -o house.safetensors\n"
"  descent train train-images-idx3-ubyte.gz --labels train-labels-idx1-ubyte.gz \\\n"
"      --layers 128 --epochs 5 -o fashion.safetensors\n";

typedef struct {
    const char *data, *labels, *out, *target, *val_data, *val_labels;
    const char *layers, *warm;
    int task_set, loss_set, init_set, layers_set, standardize, quiet;
    dn_task task;
    dn_loss loss;
    dn_act act;
    dn_init init;
    double init_eps, val;
    dn_train_opts t;
} train_cfg;

/* Parses "64,32" or "64:tanh,32:relu" (or "none") into hidden layers. */
static int parse_layers(const char *spec, dn_act dflt, dn_arch *A)
{
    A->n_layers = 0;
    if (!strcmp(spec, "none") || !strcmp(spec, "0") || !*spec) return 1;
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", spec);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
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

static int parse(int argc, char **argv, train_cfg *c)
{
    memset(c, 0, sizeof *c);
    dn_train_defaults(&c->t);
    c->t.epochs = 30;
    c->t.eta = 0.05;
    c->out = "model.safetensors";
    c->layers = "64,32";
    c->act = DN_ACT_RELU;
    c->standardize = 1;
    c->val = 0.2;
    cli_args a;
    cli_args_init(&a, "train", argc, argv);
    const char *o, *p;
    dn_error err;
    long l;
    while (cli_next(&a, &o, &p)) {
        if (p) {
            if (c->data) return cli_usage("train", "unexpected argument '%s' "
                                          "(DATA is already '%s')", p, c->data);
            c->data = p;
            continue;
        }
        const char *v;
#define VALUE() do { if (!(v = cli_value(&a))) return EXIT_USAGE; } while (0)
        if (!strcmp(o, "h") || !strcmp(o, "help")) {
            fputs(help, stdout);
            return -1;
        } else if (!strcmp(o, "o") || !strcmp(o, "output")) { VALUE(); c->out = v;
        } else if (!strcmp(o, "target")) { VALUE(); c->target = v;
        } else if (!strcmp(o, "labels")) { VALUE(); c->labels = v;
        } else if (!strcmp(o, "val-data")) { VALUE(); c->val_data = v;
        } else if (!strcmp(o, "val-labels")) { VALUE(); c->val_labels = v;
        } else if (!strcmp(o, "warm-start")) { VALUE(); c->warm = v;
        } else if (!strcmp(o, "layers")) { VALUE(); c->layers = v; c->layers_set = 1;
        } else if (!strcmp(o, "task")) {
            VALUE();
            if (strcmp(v, "auto")) {
                if (dn_task_parse(v, &c->task, &err))
                    return cli_usage("train", "--task: %s (or auto)", err.msg);
                c->task_set = 1;
            }
        } else if (!strcmp(o, "act")) {
            VALUE();
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
        } else if (!strcmp(o, "init-eps")) {
            if (!cli_double(&a, 1e-12, 1e3, &c->init_eps)) return EXIT_USAGE;
        } else if (!strcmp(o, "lr") || !strcmp(o, "eta")) {
            if (!cli_double(&a, 0, 1e6, &c->t.eta)) return EXIT_USAGE;
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
        } else if (!strcmp(o, "epochs")) {
            if (!cli_int(&a, 0, 100000000, &l)) return EXIT_USAGE;
            c->t.epochs = (int)l;
        } else if (!strcmp(o, "val")) {
            if (!cli_double(&a, 0, 0.95, &c->val)) return EXIT_USAGE;
        } else if (!strcmp(o, "seed")) {
            if (!cli_u64(&a, &c->t.seed)) return EXIT_USAGE;
        } else if (!strcmp(o, "threads")) {
            if (!cli_int(&a, 0, 1024, &l)) return EXIT_USAGE;
            c->t.threads = (int)l;
        } else if (!strcmp(o, "no-standardize")) { c->standardize = 0;
        } else if (!strcmp(o, "q") || !strcmp(o, "quiet")) { c->quiet = 1;
        } else {
            return cli_usage("train", "unknown option '%s'", argv[a.i - 1]);
        }
#undef VALUE
    }
    if (!c->data) return cli_usage("train", "no DATA file given; e.g. "
                                   "'descent train data/digits.csv -o m.safetensors'");
    if (c->warm && (c->layers_set || c->loss_set || c->init_set))
        return cli_usage("train", "--warm-start takes the network from the "
                         "model; drop --layers, --loss and --init");
    if (c->val_labels && !c->val_data)
        return cli_usage("train", "--val-labels needs --val-data");
    return 0;
}

typedef struct { int quiet, epochs, classify; } progress;

static int on_epoch(const dn_epoch *e, void *user)
{
    const progress *p = user;
    if (p->quiet) return 0;
    printf("epoch %*d/%d  train loss %.4f", p->epochs >= 100 ? 4 : 3,
           e->epoch, p->epochs, e->train_loss);
    if (p->classify) printf("  acc %5.1f%%", 100 * e->train_acc);
    if (!isnan(e->val_loss)) {
        printf("   val loss %.4f", e->val_loss);
        if (p->classify) printf("  acc %5.1f%%", 100 * e->val_acc);
    }
    printf("   %.2fs\n", e->seconds);
    fflush(stdout);
    return 0;
}

/* Describes the network in one line: "64 -> 32 relu -> 10 softmax". */
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
static int build(train_cfg *c, const dn_data *d, dn_model **out)
{
    dn_error err;
    const dn_schema *s = d->schema;
    dn_arch A;
    memset(&A, 0, sizeof A);
    A.n_in = d->d;
    if (!parse_layers(c->layers, c->act, &A)) return EXIT_USAGE;
    int n_out = s->task == DN_TASK_REGRESSION ? d->k : s->n_classes;
    if (dn_arch_set_task(&A, s->task, n_out, &err))
        return cli_error("train", &err);
    if (c->loss_set) A.loss = c->loss;
    if (dn_model_new(&A, out, &err)) {
        fprintf(stderr, "descent train: %s\n(see 'descent train --help')\n",
                err.msg);
        return EXIT_USAGE;
    }
    dn_model_init(*out, c->init, (float)c->init_eps, c->t.seed);
    return 0;
}

int cmd_train(int argc, char **argv)
{
    train_cfg c;
    int rc = parse(argc, argv, &c);
    if (rc) return rc < 0 ? EXIT_OK : rc;

    dn_error err;
    dn_data *all = NULL, *train = NULL, *val = NULL;
    dn_model *m = NULL, *warm = NULL;
    char why[512], buf[512], n1[32];
    dn_csv_opts copts = { c.target, c.task_set, c.task, 0 };
    const char *say_split = "";

    if (c.warm) {
        /* Encode the new data exactly as the warm model's data was. */
        if (dn_model_load(c.warm, &warm, &err)) { rc = cli_error("train", &err); goto out; }
        if (!dn_model_schema(warm)) {
            rc = cli_usage("train", "--warm-start %s: the model has no data "
                           "schema to encode the data with", c.warm);
            goto out;
        }
    }
    if (cli_load(c.data, c.labels, &copts, warm ? dn_model_schema(warm) : NULL,
                 1, &all, why, sizeof why, &err)) {
        rc = cli_error("train", &err);
        goto out;
    }
    if (!c.quiet) {
        printf("data: %s: %d rows, %d inputs", c.data, all->n, all->d);
        if (why[0]) printf("; %s", why);
        putchar('\n');
    }
    if (c.val_data) {
        if (cli_load(c.val_data, c.val_labels, NULL, all->schema, 1, &val,
                     NULL, 0, &err)) { rc = cli_error("train", &err); goto out; }
        train = all;
        all = NULL;
        say_split = "from --val-data";
    } else if (c.val > 0) {
        if (dn_data_split(all, c.val, c.t.seed, &train, &val, &err)) {
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
                        train->n, val->n, say_split);
        else printf("split: all %d rows train, no validation (--val 0)\n",
                    train->n);
    }

    if (warm) { m = warm; warm = NULL; }
    else if ((rc = build(&c, train, &m))) goto out;
    const dn_arch *A = dn_model_arch(m);

    if (!dn_model_mean(m) && c.standardize) {
        if (dn_model_fit_scaling(m, train, &err) ||
            (A->loss == DN_LOSS_MSE && dn_model_fit_target_scaling(m, train, &err))) {
            rc = cli_error("train", &err);
            goto out;
        }
    }
    if (dn_model_set_schema(m, train->schema, &err)) { rc = cli_error("train", &err); goto out; }

    if (!c.quiet) {
        describe(A, buf, sizeof buf);
        printf("network: %s (%s), loss %s, %s parameters\n", buf,
               task_reason(A->loss), dn_loss_name(A->loss),
               cli_thousands((long long)dn_model_n_params(m), n1, sizeof n1));
        if (c.warm) printf("init: weights and scaling from %s\n", c.warm);
        else if (c.init_set && c.init != DN_INIT_DEFAULT)
            printf("init: %s, biases 0, seed %llu\n", dn_init_name(c.init),
                   (unsigned long long)c.t.seed);
        else
            printf("init: He uniform for ReLU-family layers, Glorot uniform "
                   "for the others (they keep activations and gradients at a "
                   "steady scale), biases 0, seed %llu\n",
                   (unsigned long long)c.t.seed);
        if (dn_model_mean(m))
            printf("scaling: inputs standardized with the training rows' mean "
                   "and std%s, stored in the model%s\n",
                   dn_model_target_mean(m) ? ", and so is the target (losses "
                   "are in standardized units; MSE/MAE in the target's own)" : "",
                   c.standardize ? "" : " (from --warm-start)");
        int B = c.t.batch <= 0 || c.t.batch >= train->n ? train->n : c.t.batch;
        char th[32];
        snprintf(th, sizeof th, "%d thread%s", c.t.threads,
                 c.t.threads == 1 ? "" : "s");
        printf("training: gradient descent, eta %g, %s of %d rows, %d epochs, "
               "reshuffled each epoch, %s\n", c.t.eta,
               B == 1 ? "stochastic steps" : B == train->n ? "full batches"
                                                           : "mini-batches",
               B, c.t.epochs, c.t.threads ? th : "threads on all cores");
    }

    snprintf(buf, sizeof buf, "{\"optimizer\":\"sgd\",\"eta\":%g,\"batch\":%d,"
             "\"epochs\":%d,\"seed\":%llu,\"val\":%g,\"standardize\":%s,"
             "\"data\":\"%s\"}", c.t.eta, c.t.batch, c.t.epochs,
             (unsigned long long)c.t.seed, c.val_data ? -1.0 : c.val,
             c.standardize ? "true" : "false",
             strchr(c.data, '"') || strchr(c.data, '\\') ? "?" : c.data);
    if (dn_model_meta_set(m, "training", buf, &err)) { rc = cli_error("train", &err); goto out; }

    progress p = { c.quiet, c.t.epochs, A->loss != DN_LOSS_MSE };
    c.t.on_epoch = on_epoch;
    c.t.user = &p;
    dn_result res;
    dn_status st = dn_train(m, train, val, &c.t, &res, &err);
    if (st && st != DN_ENUMERIC) { rc = cli_error("train", &err); goto out; }
    if (st == DN_ENUMERIC) {
        fprintf(stderr, "descent train: %s\n", err.msg);
        rc = EXIT_DATA;
    }
    if (dn_model_save(m, c.out, &err)) { rc = cli_error("train", &err); goto out; }
    if (!c.quiet || rc)
        printf("saved %s%s\n", c.out, rc ? " (the last good weights)" : "");
out:
    dn_model_free(m);
    dn_model_free(warm);
    dn_data_free(all);
    dn_data_free(train);
    dn_data_free(val);
    return rc;
}
