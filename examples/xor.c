/* xor.c — a network learns XOR, the function no single layer can.
 *
 *     x1 x2 | y
 *      0  0 | 0
 *      0  1 | 1
 *      1  0 | 1
 *      1  1 | 0
 *
 * No line separates the 1s from the 0s, so a network without a hidden
 * layer (logistic regression) cannot fit it.  With a hidden layer of four
 * tanh units and one sigmoid output (binary cross-entropy), gradient
 * descent bends the inputs into a space where a line does.
 *
 * Shows: a view of arrays in memory as a data set (dn_data_view), an architecture by hand
 * plus dn_arch_set_task, dn_model_init, full-batch training with dn_train
 * (batch = all four rows) and an epoch callback, then dn_predict and
 * dn_predict_class.  Exits 1 unless all four rows come out right, so it
 * doubles as a test.
 *
 * Run:   make examples && build/examples/xor [seed]
 */
#include "descent.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EPOCHS 3000
#define REPORT 300   /* print the loss every REPORT epochs */

static int report(const dn_epoch *e, void *user)
{
    (void)user;
    if (e->epoch == 1 || e->epoch % REPORT == 0)
        printf("epoch %5d  loss %.6f  accuracy %.2f\n", e->epoch,
               e->train_loss, e->train_acc);
    return 0; /* keep going */
}

int main(int argc, char **argv)
{
    uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 10) : 7;

    /* The truth table as a data set: 4 rows, 2 inputs, 1 target. */
    float X[4 * 2] = { 0, 0,  0, 1,  1, 0,  1, 1 };
    float Y[4]     = { 0,     1,     1,     0 };
    dn_data data = dn_data_view(4, 2, 1, X, Y);   /* borrowed: not freed */

    /* 2 inputs → 4 tanh units → 1 sigmoid unit with BCE. */
    dn_arch arch;
    memset(&arch, 0, sizeof arch);
    arch.n_in = 2;
    arch.n_layers = 1;
    arch.layer[0] = (dn_layer){ .units = 4, .act = DN_ACT_TANH };
    dn_error err;
    dn_model *m = NULL;
    if (dn_arch_set_task(&arch, DN_TASK_BINARY, 1, &err) ||
        dn_model_new(&arch, &m, &err)) {
        fprintf(stderr, "xor: %s\n", err.msg);
        return 1;
    }
    dn_model_init(m, DN_INIT_DEFAULT, 0, seed);  /* Glorot for tanh/sigmoid */

    dn_train_opts opts;
    dn_train_defaults(&opts);
    opts.epochs = EPOCHS;
    opts.batch = 0;        /* batch gradient descent: all four rows a step */
    opts.eta = 0.5;
    opts.threads = 1;      /* four rows: threads would only cost */
    opts.on_epoch = report;
    dn_result res;
    if (dn_train(m, &data, NULL, &opts, &res, &err)) {
        fprintf(stderr, "xor: training failed: %s\n", err.msg);
        dn_model_free(m);
        return 1;
    }
    printf("stopped after %d epochs (%s), %ld steps\n\n", res.epochs,
           dn_stop_name(res.reason), res.steps);

    float p[4];
    if (dn_predict(m, X, 4, p, &err)) {
        fprintf(stderr, "xor: %s\n", err.msg);
        dn_model_free(m);
        return 1;
    }
    int right = 0;
    printf("x1 x2 | y | P(y = 1)  class\n");
    for (int i = 0; i < 4; i++) {
        int c = dn_predict_class(m, &p[i]);
        right += c == (int)Y[i];
        printf(" %g  %g  | %g | %.4f    %d%s\n", X[2 * i], X[2 * i + 1],
               Y[i], p[i], c, c == (int)Y[i] ? "" : "  <- wrong");
    }
    printf("\n%d of 4 right\n", right);
    dn_model_free(m);
    return right == 4 ? 0 : 1;
}
