/* cmd_summary.c — `descent summary MODEL`: a Keras-style table of the
 * layers (activation, output shape, weights, biases, PReLU slopes), the
 * parameter counts and the memory they take, and what the model carries.
 * summary_print is also what `descent train --dry-run` shows. */
#include "cli.h"
#include <string.h>

static const char *help =
"usage: descent summary MODEL\n"
"\n"
"Prints the network layer by layer: activation, output shape, weights,\n"
"biases and PReLU slopes, with the names the tensors have in the file;\n"
"the total and trainable parameter counts and the memory they take (and\n"
"what training adds to it); and what the model carries: task, classes,\n"
"input scaling, feature encoding, training settings.\n"
"\n"
"example:\n"
"  descent summary digits.safetensors\n"
"  descent train data/digits.csv --layers 128,64 --dry-run   # before training\n";

/* A name or string from the model file, safe for a terminal: control
 * bytes (an escape sequence can retitle or reprogram it) print as '?',
 * a null name as "(none)". */
static void put_text(FILE *out, const char *s)
{
    if (!s) { fputs("(none)", out); return; }
    for (; *s; s++) fputc((unsigned char)*s < 0x20 || *s == 0x7F ? '?' : *s, out);
}

/* A long value (the training settings are one JSON object) broken after
 * commas into indented lines of at most ~76 columns. */
static void put_wrapped(FILE *out, const char *s)
{
    if (!s || strlen(s) < 60) {
        fputc(' ', out);
        put_text(out, s);
        fputc('\n', out);
        return;
    }
    size_t col = 76;
    for (const char *p = s; *p; p++) {
        if (col >= 76) { fputs("\n  ", out); col = 2; }
        fputc((unsigned char)*p < 0x20 || *p == 0x7F ? '?' : *p, out);
        col++;
        if (*p == ',' && col > 60) col = 76;
    }
    fputc('\n', out);
}

void summary_print(FILE *out, const dn_model *m, const char *name)
{
    const dn_arch *A = dn_model_arch(m);
    const dn_schema *s = dn_model_schema(m);
    char n1[32], n2[32], n3[32], n4[32], shape[32], tensors[64], layer[32];
    const char *rule = "----------------------------------------------------"
                       "----------------------------------------------";
    const char *row = "%-22s %-11s %-13s %10s %8s %6s %11s   %s\n";

    fputs("Model: ", out);
    put_text(out, name);
    fprintf(out, "\n%s\n", rule);
    fprintf(out, row, "Layer", "Activation", "Output shape", "Weights",
            "Biases", "PReLU", "Param #", "Tensors");
    fprintf(out, "%s\n", rule);
    snprintf(shape, sizeof shape, "(None, %d)", A->n_in);
    fprintf(out, row, dn_model_mean(m) ? "input (standardized)" : "input", "",
            shape, "0", "0", "0", "0", "-");
    int in = A->n_in, widest = A->n_in;
    long long total = 0, act_floats = A->n_in;
    for (int l = 0; l < A->n_layers; l++) {
        const dn_layer *L = &A->layer[l];
        long long w = (long long)L->units * in, b = L->units;
        long long slopes = L->act == DN_ACT_PRELU ? L->units : 0;
        snprintf(layer, sizeof layer, "dense_%d", l + 1);
        snprintf(shape, sizeof shape, "(None, %d)", L->units);
        if (slopes)
            snprintf(tensors, sizeof tensors, "%d.weight %d.bias %d.weight",
                     2 * l, 2 * l, 2 * l + 1);
        else
            snprintf(tensors, sizeof tensors, "%d.weight %d.bias", 2 * l, 2 * l);
        fprintf(out, row, layer, dn_act_name(L->act), shape,
                cli_thousands(w, n1, sizeof n1), cli_thousands(b, n2, sizeof n2),
                cli_thousands(slopes, n3, sizeof n3),
                cli_thousands(w + b + slopes, n4, sizeof n4), tensors);
        total += w + b + slopes;
        act_floats += 2LL * L->units;   /* z and a */
        if (L->units > widest) widest = L->units;
        in = L->units;
    }
    act_floats += 2LL * widest;         /* the two deltas of backprop */
    fprintf(out, "%s\n", rule);
    fprintf(out, "Total params: %s (%s, float32)\n",
            cli_thousands(total, n1, sizeof n1), cli_bytes(4.0 * total, n2, sizeof n2));
    /* Every entry of theta is trained (PReLU slopes too); the scaling
     * statistics are fixed once fitted. */
    fprintf(out, "Trainable params: %s\n", cli_thousands(total, n1, sizeof n1));
    long long fixed = (dn_model_mean(m) ? 2LL * A->n_in : 0) +
                      (dn_model_target_mean(m) ? 2LL * dn_model_n_out(m) : 0);
    fprintf(out, "Non-trainable params: 0");
    if (fixed)
        fprintf(out, " (plus %lld fixed scaling statistics: %s mean and std)",
                fixed, dn_model_target_mean(m) ? "input and target" : "input");
    fputc('\n', out);
    fprintf(out, "Memory: %s of parameters\n", cli_bytes(4.0 * total, n1, sizeof n1));
    fprintf(out, "Training adds: %s gradient, up to %s optimizer moments "
            "(Adam keeps two), %s activations per batch row\n",
            cli_bytes(4.0 * total, n2, sizeof n2), cli_bytes(8.0 * total, n3, sizeof n3),
            cli_bytes(4.0 * act_floats, n4, sizeof n4));
    fprintf(out, "Loss: %s\n", dn_loss_name(A->loss));
    if (s) {
        fprintf(out, "Task: %s", dn_task_name(s->task));
        if (s->target) {
            fputs(" (target '", out);
            put_text(out, s->target);
            fputs("')", out);
        }
        fputc('\n', out);
        if (s->n_classes) {
            fprintf(out, "Classes (%d):", s->n_classes);
            for (int c = 0; c < s->n_classes && c < 20; c++) {
                fputc(' ', out);
                put_text(out, s->classes[c]);
            }
            fprintf(out, "%s\n", s->n_classes > 20 ? " ..." : "");
        }
        int cat = 0;
        for (int c = 0; c < s->n_cols; c++) cat += s->col[c].n_cats > 0;
        if (s->img_rows)
            fprintf(out, "Inputs: %d x %d image pixels, scaled to [0, 1]\n",
                    s->img_rows, s->img_cols);
        else
            fprintf(out, "Inputs: %d columns (%d numeric, %d one-hot encoded) "
                    "-> %d network inputs\n", s->n_cols, s->n_cols - cat, cat,
                    s->n_in);
        for (int c = 0; c < s->n_cols; c++)
            if (s->col[c].n_cats) {
                fputs("  ", out);
                put_text(out, s->col[c].name);
                fprintf(out, ": %d categories\n", s->col[c].n_cats);
            }
    }
    if (dn_model_target_mean(m))
        dn_fprintf(out, "Target scaling: mean %g, std %g\n",
                   dn_model_target_mean(m)[0], dn_model_target_std(m)[0]);
    for (int i = 0; i < dn_model_meta_count(m); i++) {
        put_text(out, dn_model_meta_key(m, i));
        fputs(":", out);
        put_wrapped(out, dn_model_meta_get(m, dn_model_meta_key(m, i)));
    }
}

int cmd_summary(int argc, char **argv)
{
    const char *o, *p, *path = NULL;
    cli_args a;
    cli_args_common(&a, "summary", argc, argv, help, NULL, &path, NULL);
    while (cli_next(&a, &o, &p))
        return cli_usage("summary", "unknown option '%s'", argv[a.i - 1]);
    if (a.exit >= 0) return a.exit;
    if (!path) return cli_usage("summary", "needs a MODEL file");
    dn_model *m;
    dn_error err;
    if (dn_model_load(path, &m, &err)) return cli_error("summary", &err);
    summary_print(stdout, m, path);
    dn_model_free(m);
    return EXIT_OK;
}
