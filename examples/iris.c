/* iris.c — the README's C API example, built by `make test` so it stays true.
 * Run from the repository root: build/examples/iris */
#include "descent.h"
#include <stdio.h>

int main(void) {
    dn_error err; dn_data *all, *train, *val; dn_model *m;
    if (dn_csv_read("data/iris.csv", NULL, &all, NULL, 0, &err) ||
        dn_data_split(all, 0.2, 1, &train, &val, &err)) { puts(err.msg); return 1; }
    dn_arch a = { .n_in = train->d, .n_layers = 1, .layer = { { .units = 16, .act = DN_ACT_RELU } } };
    dn_arch_set_task(&a, DN_TASK_MULTICLASS, train->schema->n_classes, &err);
    dn_model_new(&a, &m, &err);
    dn_model_init(m, DN_INIT_DEFAULT, 0, 42);
    dn_model_fit_scaling(m, train, &err);
    dn_train_opts o; dn_train_defaults(&o); o.epochs = 100; o.eta = 0.05;
    dn_metrics mt;
    if (dn_train(m, train, val, &o, NULL, &err) || dn_evaluate(m, val, &mt, &err)) { puts(err.msg); return 1; }
    printf("validation accuracy %.3f\n", mt.accuracy);
    dn_model_free(m); dn_data_free(all); dn_data_free(train); dn_data_free(val);
}
