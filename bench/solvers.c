/* solvers.c — descent's side of bench/solvers.sh: one network trained
 * on one data set by one method, through the public API alone, and one
 * line of results on stdout.
 *
 *   solvers DATA HIDDEN METHOD [EPOCHS [PATIENCE [DUMP_DIR]]]
 *
 *   DATA      a CSV whose last column is the target (the task is inferred)
 *   HIDDEN    units of the one tanh hidden layer
 *   METHOD    lbfgs | cg | lm | newton (dn_train_full, solver defaults)
 *             or adam (dn_train: eta 1e-3, batch 32, PyTorch's defaults)
 *   EPOCHS    iteration (epoch) budget (default 1000)
 *   PATIENCE  early stopping on validation loss, best weights restored
 *             (default 10; 0 = off: run to the solver's own stop)
 *   DUMP_DIR  also write the problem as the network sees it (standardized
 *             training inputs and targets, the starting weights) for
 *             bench/solvers_scipy.py, which starts SciPy from there
 *
 * Split: 20% validation, seed 1; inputs (and a regression target)
 * standardized with the training rows' statistics; weights initialized
 * with seed 42 (Glorot for tanh).  The timer spans dn_train_full (or
 * dn_train) alone.  Output:
 *
 *   method=lbfgs params=129 iters=57 best=47 evals=63 seconds=0.031
 *   train_loss=0.0052 val_loss=0.0055 val_acc=nan reason=early
 */
#include <descent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* The last epoch's evaluation count (dn_result keeps the last report). */
static int count(const dn_epoch *e, void *user)
{
    *(long *)user = e->evals;
    return 0;
}

/* Writes the training rows as the network sees them — x' = (x − mean) /
 * std, y' = (y − t_mean) / t_std, in float32 as the model computes them —
 * and the starting theta, one value per line. */
static int dump(const char *dir, const dn_model *m, const dn_data *d)
{
    char path[4096];
    const float *mu = dn_model_mean(m), *sd = dn_model_std(m);
    const float *tm = dn_model_target_mean(m), *ts = dn_model_target_std(m);
    snprintf(path, sizeof path, "%s/train.csv", dir);
    FILE *f = fopen(path, "w");
    if (!f) return 1;
    for (int i = 0; i < d->n; i++) {
        for (int j = 0; j < d->d; j++) {
            float x = d->X[(size_t)i * d->d + j];
            fprintf(f, "%.9g,", mu ? (x - mu[j]) * (1.0f / sd[j]) : x);
        }
        float y = d->Y[i];
        fprintf(f, "%.9g\n", tm ? (y - tm[0]) / ts[0] : y);
    }
    fclose(f);
    snprintf(path, sizeof path, "%s/theta0.txt", dir);
    f = fopen(path, "w");
    if (!f) return 1;
    const float *th = dn_model_params_const(m);
    for (size_t i = 0; i < dn_model_n_params(m); i++)
        fprintf(f, "%.9g\n", th[i]);
    fclose(f);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: solvers DATA HIDDEN lbfgs|cg|lm|newton|adam "
                "[EPOCHS [PATIENCE [DUMP_DIR]]]\n");
        return 2;
    }
    const char *method = argv[3];
    const int hidden = atoi(argv[2]);
    const int epochs = argc > 4 ? atoi(argv[4]) : 1000;
    const int patience = argc > 5 ? atoi(argv[5]) : 10;
    dn_error err;
    dn_data *all, *train, *val;
    if (dn_csv_read(argv[1], NULL, &all, NULL, 0, &err) ||
        dn_data_split(all, 0.2, 1, &train, &val, &err)) {
        fprintf(stderr, "solvers: %s\n", err.msg);
        return 1;
    }
    const dn_schema *s = all->schema;
    dn_arch A;
    memset(&A, 0, sizeof A);
    A.n_in = train->d;
    A.n_layers = 1;
    A.layer[0] = (dn_layer){ .units = hidden, .act = DN_ACT_TANH };
    dn_model *m;
    if (dn_arch_set_task(&A, s->task, s->task == DN_TASK_REGRESSION ? 1
                         : s->task == DN_TASK_BINARY ? 1 : s->n_classes,
                         &err) ||
        dn_model_new(&A, &m, &err)) {
        fprintf(stderr, "solvers: %s\n", err.msg);
        return 1;
    }
    dn_model_init(m, DN_INIT_DEFAULT, 0, 42);
    dn_model_fit_scaling(m, train, &err);
    if (s->task == DN_TASK_REGRESSION)
        dn_model_fit_target_scaling(m, train, &err);
    if (argc > 6 && dump(argv[6], m, train)) {
        fprintf(stderr, "solvers: cannot write to %s\n", argv[6]);
        return 1;
    }

    dn_train_opts o;
    dn_train_defaults(&o);
    o.epochs = epochs;
    o.patience = patience;
    long evals = 0;
    o.on_epoch = count;
    o.user = &evals;
    dn_result res;
    dn_status st;
    double t0 = now();
    if (!strcmp(method, "adam")) {
        dn_opt_defaults(&o.opt, DN_OPT_ADAM);
        o.eta = 1e-3;
        o.batch = 32;
        st = dn_train(m, train, val, &o, &res, &err);
    } else {
        dn_solver_kind k;
        dn_solver_conf c;
        st = dn_solver_parse(method, &k, &err);
        if (!st) {
            dn_solver_defaults(&c, k);
            st = dn_train_full(m, train, val, &c, &o, &res, &err);
        }
    }
    double secs = now() - t0;
    if (st && st != DN_ENUMERIC) {
        /* One line the table can show: what was refused and why. */
        printf("method=%s params=%zu refused=\"%s\"\n", method,
               dn_model_n_params(m), err.msg);
        return 0;
    }
    dn_metrics tm, vm;
    dn_evaluate(m, train, &tm, NULL);
    dn_evaluate(m, val, &vm, NULL);
    printf("method=%s params=%zu iters=%d best=%d evals=%ld steps=%ld "
           "seconds=%.3f train_loss=%.6g val_loss=%.6g val_acc=%.4f "
           "reason=\"%s\"\n", method, dn_model_n_params(m), res.epochs,
           res.best_epoch, strcmp(method, "adam") ? evals : res.steps,
           res.steps, secs, tm.loss, vm.loss, vm.accuracy,
           dn_stop_name(res.reason));
    dn_model_free(m);
    dn_data_free(all);
    dn_data_free(train);
    dn_data_free(val);
    return 0;
}
