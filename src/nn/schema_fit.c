/* schema_fit.c — whether a feature schema fits a network: the inputs it
 * encodes are the network's inputs, and its task is what the output layer
 * computes.  The one check behind dn_model_set_schema and the model
 * loader, so that a model in memory and a model read from a file (however
 * it was tampered with) never disagree with their schema: a multiclass
 * schema on a regression network would make `predict` print class names
 * over regression values. */
#include "nn/nn.h"
#include <stdio.h>

/* The encoded width the columns imply: 1 per numeric column, K per
 * categorical one, 1 more per indicator. */
static long encoded_width(const dn_schema *s)
{
    long w = 0;
    for (int i = 0; i < s->n_cols; i++)
        w += dn_col_width(&s->col[i]);
    return w;
}

/* A classifier's output layer.  P(class 1) comes from one sigmoid unit
 * (with bce, or mse: a bounded fit), class probabilities from a softmax
 * unit per class (always with ce).  Each message is written once, with
 * the rule of the task in it. */
static int output_mismatch(const dn_arch *A, const dn_schema *s, char *why,
                           size_t n)
{
    const dn_layer *out = &A->layer[A->n_layers - 1];
    const int binary = s->task == DN_TASK_BINARY, k = s->n_classes;
    const char *task = dn_task_name(s->task);
    if (binary ? k != 2 || out->units != 1 : k < 2 || k != out->units)
        snprintf(why, n, "a %s task needs %s; found %d classes and %d units",
                 task, binary ? "2 classes and 1 output unit"
                              : "one output unit per class", k, out->units);
    else if (out->act != (binary ? DN_ACT_SIGMOID : DN_ACT_SOFTMAX))
        snprintf(why, n, "a %s task needs %s, the network's output is %s "
                 "with the %s loss", task, binary ? "a sigmoid output unit"
                 : "a softmax output with the ce loss",
                 dn_act_name(out->act), dn_loss_name(A->loss));
    else
        return 0;
    return 1;
}

int dn_schema_mismatch(const dn_arch *A, const dn_schema *s, char *why,
                       size_t n)
{
    if (s->n_in != A->n_in)
        snprintf(why, n, "the schema encodes %d inputs but the architecture "
                 "has %d", s->n_in, A->n_in);
    else if (s->n_cols > 0 && encoded_width(s) != s->n_in)
        snprintf(why, n, "the columns encode %ld inputs (numeric columns + "
                 "categories + indicators), not n_in = %d", encoded_width(s), s->n_in);
    else if ((s->img_rows > 0 || s->img_cols > 0) &&
             (long)s->img_rows * s->img_cols != s->n_in)
        snprintf(why, n, "images of %d x %d pixels do not make %d inputs",
                 s->img_rows, s->img_cols, s->n_in);
    else if ((unsigned)s->task > DN_TASK_MULTICLASS)
        snprintf(why, n, "unknown task %d", (int)s->task);
    else if (s->task == DN_TASK_REGRESSION && s->n_classes != 0)
        snprintf(why, n, "a regression schema has no classes, this one has "
                 "%d", s->n_classes);
    else if (s->task == DN_TASK_REGRESSION && A->loss != DN_LOSS_MSE)
        snprintf(why, n, "a regression schema needs the mse loss, the "
                 "network's is %s", dn_loss_name(A->loss));
    else if (s->task != DN_TASK_REGRESSION)
        return output_mismatch(A, s, why, n);
    else
        return 0;
    return 1;
}
