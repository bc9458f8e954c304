/* cmd_summary.c — `descent summary MODEL`: a Keras-style table of the
 * layers, their output shapes and parameter counts. */
#include "cli.h"
#include <string.h>

static const char *help =
"usage: descent summary MODEL\n"
"\n"
"Prints the network layer by layer (output shape and parameters, with the\n"
"names the tensors have in the file), the total, and what the model\n"
"carries: task, classes, input scaling, feature encoding.\n"
"\n"
"example:\n"
"  descent summary digits.safetensors\n";

int cmd_summary(int argc, char **argv)
{
    cli_args a;
    cli_args_init(&a, "summary", argc, argv);
    const char *o, *p, *path = NULL;
    while (cli_next(&a, &o, &p)) {
        if (p && !path) path = p;
        else if (p) return cli_usage("summary", "unexpected argument '%s'", p);
        else if (!strcmp(o, "h") || !strcmp(o, "help")) {
            fputs(help, stdout);
            return EXIT_OK;
        } else return cli_usage("summary", "unknown option '%s'", argv[a.i - 1]);
    }
    if (!path) return cli_usage("summary", "needs a MODEL file");
    dn_model *m;
    dn_error err;
    if (dn_model_load(path, &m, &err)) return cli_error("summary", &err);
    const dn_arch *A = dn_model_arch(m);
    const dn_schema *s = dn_model_schema(m);
    char n1[32], n2[64], shape[32], name[64];
    const char *rule = "-------------------------------------------------------"
                       "-----------------";

    printf("Model: %s\n%s\n", path, rule);
    printf("%-28s %-16s %12s   %s\n", "Layer (type)", "Output shape",
           "Param #", "tensors");
    printf("%s\n", rule);
    snprintf(shape, sizeof shape, "(None, %d)", A->n_in);
    printf("%-28s %-16s %12s   %s\n", dn_model_mean(m) ? "input (standardized)"
           : "input", shape, "0", "");
    int in = A->n_in;
    long long total = 0;
    for (int l = 0; l < A->n_layers; l++) {
        const dn_layer *L = &A->layer[l];
        long long w = (long long)L->units * in, b = L->units;
        long long extra = L->act == DN_ACT_PRELU ? L->units : 0;
        snprintf(name, sizeof name, "dense_%d (%s)", l + 1, dn_act_name(L->act));
        snprintf(shape, sizeof shape, "(None, %d)", L->units);
        if (extra)
            snprintf(n2, sizeof n2, "%d.weight %d.bias %d.weight", 2 * l, 2 * l,
                     2 * l + 1);
        else
            snprintf(n2, sizeof n2, "%d.weight %d.bias", 2 * l, 2 * l);
        printf("%-28s %-16s %12s   %s\n", name, shape,
               cli_thousands(w + b + extra, n1, sizeof n1), n2);
        total += w + b + extra;
        in = L->units;
    }
    printf("%s\n", rule);
    printf("Total params: %s (%s, float32)\n",
           cli_thousands(total, n1, sizeof n1),
           total * 4 >= 1 << 20 ? (snprintf(n2, sizeof n2, "%.2f MiB",
                                            total * 4.0 / (1 << 20)), n2)
                                : (snprintf(n2, sizeof n2, "%.1f KiB",
                                            total * 4.0 / 1024), n2));
    printf("Trainable params: %s\n", cli_thousands(total, n1, sizeof n1));
    printf("Loss: %s\n", dn_loss_name(A->loss));
    if (s) {
        printf("Task: %s", dn_task_name(s->task));
        if (s->target) printf(" (target '%s')", s->target);
        putchar('\n');
        if (s->n_classes) {
            printf("Classes (%d):", s->n_classes);
            for (int c = 0; c < s->n_classes && c < 20; c++)
                printf(" %s", s->classes[c]);
            printf("%s\n", s->n_classes > 20 ? " ..." : "");
        }
        int cat = 0;
        for (int c = 0; c < s->n_cols; c++) cat += s->col[c].n_cats > 0;
        if (s->img_rows)
            printf("Inputs: %d x %d image pixels, scaled to [0, 1]\n",
                   s->img_rows, s->img_cols);
        else
            printf("Inputs: %d columns (%d numeric, %d one-hot encoded) -> %d "
                   "network inputs\n", s->n_cols, s->n_cols - cat, cat, s->n_in);
        for (int c = 0; c < s->n_cols; c++)
            if (s->col[c].n_cats)
                printf("  %s: %d categories\n", s->col[c].name, s->col[c].n_cats);
    }
    if (dn_model_target_mean(m))
        printf("Target scaling: mean %g, std %g\n", dn_model_target_mean(m)[0],
               dn_model_target_std(m)[0]);
    for (int i = 0; i < dn_model_meta_count(m); i++)
        printf("%s: %s\n", dn_model_meta_key(m, i),
               dn_model_meta_get(m, dn_model_meta_key(m, i)));
    dn_model_free(m);
    return EXIT_OK;
}
