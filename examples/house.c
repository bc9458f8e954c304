/* house.c — regression end to end: predict a house's price.
 *
 * Reads data/house.csv (made by examples/gen_house.c from a known formula
 * plus noise; see examples/README.md), with columns rooms, area, type,
 * station_km and the target price in thousands.  Shows:
 *
 *   dn_csv_read            the schema is inferred: `type` is text, so it
 *                          is one-hot encoded into four inputs; price is
 *                          real-valued, so the task is regression
 *   dn_data_split          20% of the rows held out for validation
 *   dn_arch_set_task       a 16-8 ReLU network with an identity output
 *                          and the MSE loss
 *   dn_model_fit_scaling   inputs standardized with the training part's
 *                          mean and standard deviation (area is ~100,
 *                          the one-hot inputs are 0/1)
 *   dn_model_fit_target_scaling
 *                          prices (~300) standardized too, so that the
 *                          network learns numbers near 0 and one
 *                          learning rate works; predictions and metrics
 *                          come back in thousands
 *   dn_train               mini-batch gradient descent, with a callback
 *                          printing the losses every few epochs
 *   dn_evaluate            MSE, MAE and R² on the validation part
 *   dn_predict             the price of one house written by hand,
 *                          encoded with the model's schema
 *
 * The data's noise has a standard deviation of 15, so the best possible
 * validation MSE is about 225 and R² about 0.99.  Exits 1 if the
 * validation R² is below 0.9, so it doubles as a test.
 *
 * Run (from the repository root):
 *        make examples && build/examples/house [data/house.csv]
 */
#include "descent.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EPOCHS 150
#define REPORT 15   /* print the losses every REPORT epochs */

static int report(const dn_epoch *e, void *user)
{
    (void)user;
    if (e->epoch == 1 || e->epoch % REPORT == 0)
        printf("epoch %4d  train loss %.4f  validation loss %.4f\n",
               e->epoch, e->train_loss, e->val_loss);
    return 0;
}

/* One raw value of a hand-written row: a number, or text for a
 * one-hot column. */
typedef struct {
    const char *name;
    double num;
    const char *text;
} field;

/* Encodes a row given by column name into x (schema->n_in floats) the
 * way the CSV reader does: columns in schema order, a numeric column as
 * one input, a text column as a 1 among its n_cats inputs. */
static int encode_row(const dn_schema *s, const field *f, int nf, float *x)
{
    float *p = x;
    for (int j = 0; j < s->n_cols; j++) {
        const dn_column *c = &s->col[j];
        const field *v = NULL;
        for (int i = 0; i < nf && !v; i++)
            if (strcmp(f[i].name, c->name) == 0) v = &f[i];
        if (!v) {
            fprintf(stderr, "house: the row has no column '%s'\n", c->name);
            return -1;
        }
        if (c->n_cats == 0) {
            *p++ = (float)v->num;
            continue;
        }
        int hit = -1;
        for (int k = 0; k < c->n_cats; k++) {
            p[k] = 0;
            if (v->text && strcmp(v->text, c->cats[k]) == 0) hit = k;
        }
        if (hit < 0) {
            fprintf(stderr, "house: '%s' is not a known %s\n",
                    v->text ? v->text : "(none)", c->name);
            return -1;
        }
        p[hit] = 1;
        p += c->n_cats;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "data/house.csv";
    dn_error err;
    dn_data *all = NULL, *train = NULL, *val = NULL;
    dn_model *m = NULL;
    int rc = 1;

    /* Read the file; the target is the column named "price". */
    dn_csv_opts copts = { .target = "price" };
    char why[512];
    if (dn_csv_read(path, &copts, &all, why, sizeof why, &err)) goto fail;
    const dn_schema *s = all->schema;
    printf("%s: %d rows, %d raw columns -> %d inputs\n%s\n", path, all->n,
           s->n_cols, all->d, why);
    for (int j = 0; j < s->n_cols; j++) {
        printf("  %-10s ", s->col[j].name);
        if (s->col[j].n_cats == 0) printf("numeric\n");
        for (int k = 0; k < s->col[j].n_cats; k++)
            printf("%s%s", k ? ", " : "one-hot: ", s->col[j].cats[k]);
        if (s->col[j].n_cats) printf("\n");
    }
    if (s->task != DN_TASK_REGRESSION) {
        fprintf(stderr, "house: expected a regression target\n");
        goto done;
    }

    /* 80% to train on, 20% held out. */
    if (dn_data_split(all, 0.2, 1, &train, &val, &err)) goto fail;
    printf("training rows %d, validation rows %d\n\n", train->n, val->n);

    /* inputs → 16 ReLU → 8 ReLU → 1 identity output, MSE. */
    dn_arch arch;
    memset(&arch, 0, sizeof arch);
    arch.n_in = all->d;
    arch.n_layers = 2;
    arch.layer[0] = (dn_layer){ .units = 16, .act = DN_ACT_RELU };
    arch.layer[1] = (dn_layer){ .units = 8, .act = DN_ACT_RELU };
    if (dn_arch_set_task(&arch, DN_TASK_REGRESSION, all->k, &err) ||
        dn_model_new(&arch, &m, &err))
        goto fail;
    dn_model_init(m, DN_INIT_DEFAULT, 0, 1);  /* He for the ReLU layers */
    if (dn_model_set_schema(m, s, &err) ||
        dn_model_fit_scaling(m, train, &err) ||
        dn_model_fit_target_scaling(m, train, &err))
        goto fail;
    printf("target scaling: price' = (price - %.2f) / %.2f\n\n",
           dn_model_target_mean(m)[0], dn_model_target_std(m)[0]);

    dn_train_opts opts;
    dn_train_defaults(&opts);
    opts.epochs = EPOCHS;
    opts.batch = 32;
    opts.eta = 0.1;
    opts.seed = 1;
    opts.threads = 1;  /* a small network: one thread is fastest */
    opts.on_epoch = report;
    dn_result res;
    printf("losses are ½·MSE on standardized prices "
           "(0.5 = predicting the mean)\n");
    if (dn_train(m, train, val, &opts, &res, &err)) goto fail;

    /* Metrics in the data's units (thousands). */
    dn_metrics tm, vm;
    if (dn_evaluate(m, train, &tm, &err) || dn_evaluate(m, val, &vm, &err))
        goto fail;
    printf("\n            %10s %10s %10s %9s\n", "MSE", "RMSE", "MAE", "R²");
    printf("training    %10.2f %10.2f %10.2f %8.4f\n", tm.mse, sqrt(tm.mse),
           tm.mae, tm.r2);
    printf("validation  %10.2f %10.2f %10.2f %8.4f\n", vm.mse, sqrt(vm.mse),
           vm.mae, vm.r2);
    printf("(the noise alone: MSE 225, RMSE 15, MAE 12)\n\n");

    /* One house, written by hand, priced by the model and by the formula
     * the data came from (without its noise). */
    const field house[] = {
        { "rooms", 4, NULL }, { "area", 80, NULL },
        { "type", 0, "semi-detached" }, { "station_km", 1.5, NULL },
    };
    float x[64], price;
    if (dn_model_n_in(m) > 64 ||
        encode_row(dn_model_schema(m), house, 4, x))
        goto done;
    if (dn_predict(m, x, 1, &price, &err)) goto fail;
    double formula = 80 + 2.1 * 80 + 15 * 4 + 45 - 40 * log(1 + 1.5);
    printf("a 4-room, 80 m² semi-detached house 1.5 km from the station:\n"
           "  predicted %.1f thousand (the formula without noise: %.1f)\n",
           price, formula);

    if (vm.r2 < 0.9) {
        fprintf(stderr, "house: validation R² %.4f is below 0.9\n", vm.r2);
        goto done;
    }
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "house: %s\n", err.msg);
done:
    dn_model_free(m);
    dn_data_free(all);
    dn_data_free(train);
    dn_data_free(val);
    return rc;
}
