/* train_weights.c — `descent train --class-weight`: the classes' weights
 * from "balanced" or "cat=2,dog=1", checked against the data's classes
 * and multiplied into the rows' weights; and the reading options of a
 * run as dn_csv_opts. */
#include "train.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

void train_csv_opts(const train_cfg *c, dn_csv_info *info, dn_csv_opts *o)
{
    memset(o, 0, sizeof *o);
    o->target = c->target;
    o->task_set = c->task_set;
    o->task = c->task;
    if (c->sep) cli_sep("train", c->sep, &o->sep);
    if (c->missing) cli_missing("train", c->missing, &o->missing_error);
    o->na = c->na;
    o->weight = c->sample_weight;
    o->drop = c->drop;
    o->categorical = c->categorical;
    o->info = info;
    if (info) memset(info, 0, sizeof *info);
}

/* "a, b, c" of the class names, for a message. */
static void class_list(const dn_schema *s, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = 0;
    for (int k = 0; k < s->n_classes && o + 1 < len; k++)
        o += (size_t)snprintf(buf + o, len - o, "%s%s", k ? ", " : "",
                              s->classes[k] ? s->classes[k] : "?");
}

/* cw[k] from "NAME=W,NAME=W": classes not named weigh 1. */
static int parse_list(const train_cfg *c, const dn_schema *s, double *cw)
{
    char names[600];
    for (int k = 0; k < s->n_classes; k++) cw[k] = 1;
    for (const char *p = c->class_weight; *p;) {
        const char *e = strchr(p, ','), *end = e ? e : p + strlen(p);
        const char *eq = NULL;
        for (const char *q = p; q < end; q++) if (*q == '=') eq = q;
        double w;
        if (!eq || eq == p || dn_parse_double(eq + 1, (size_t)(end - eq - 1), &w) != 1 ||
            !(w >= 0) || !isfinite(w))
            return cli_usage("train", "--class-weight '%s': expected "
                             "'balanced' or CLASS=WEIGHT,... with weights "
                             ">= 0 (e.g. cat=2,dog=1)", c->class_weight);
        int k = -1;
        for (int i = 0; i < s->n_classes && k < 0; i++)
            if (s->classes[i] && strlen(s->classes[i]) == (size_t)(eq - p) &&
                !strncmp(s->classes[i], p, (size_t)(eq - p)))
                k = i;
        if (k < 0) {
            class_list(s, names, sizeof names);
            return cli_usage("train", "--class-weight: %s has no class "
                             "'%.*s' in its target column '%s' (the classes "
                             "are: %s); name one of those", c->data,
                             (int)(eq - p), p, s->target ? s->target : "?",
                             names);
        }
        cw[k] = w;
        if (!e) break;
        p = e + 1;
    }
    return 0;
}

static double weight_mean(const dn_data *d)
{
    double s = 0;
    for (int i = 0; i < d->n; i++) s += d->w[i];
    return d->n ? s / d->n : 0;
}

int train_weights(const train_cfg *c, dn_data *train, dn_data *val)
{
    dn_error err;
    const dn_schema *s = train->schema;
    if (!c->class_weight) {
        if (c->sample_weight && !c->quiet)
            dn_fprintf(stdout, "weights: rows weighted by column '%s' (mean "
                       "%.4g over the training rows); the losses are weighted "
                       "means\n", c->sample_weight,
                       train->w ? weight_mean(train) : 1.0);
        return 0;
    }
    if (!s || s->task == DN_TASK_REGRESSION || s->n_classes < 2)
        return cli_usage("train", "--class-weight needs a classification "
                         "target, and %s's target is read for regression; "
                         "use --sample-weight for row weights", c->data);
    double *cw = malloc(((size_t)s->n_classes + 1) * sizeof *cw);
    if (!cw) {
        fprintf(stderr, "descent train: out of memory\n");
        return EXIT_DATA;
    }
    int balanced = !strcmp(c->class_weight, "balanced"), rc = 0;
    if (balanced ? dn_class_weights_balanced(train, cw, &err) != DN_OK
                 : (rc = parse_list(c, s, cw)) != 0) {
        free(cw);
        return rc ? rc : cli_error("train", &err);
    }
    if (dn_data_weight_classes(train, cw, &err) ||
        (val && dn_data_weight_classes(val, cw, &err))) {
        free(cw);
        return cli_error("train", &err);
    }
    if (!c->quiet) {
        printf("weights: classes weighted");
        for (int k = 0; k < s->n_classes && k < 20; k++)
            dn_fprintf(stdout, "%s %s %.4g", k ? "," : "",
                       s->classes[k] ? s->classes[k] : "?", cw[k]);
        printf("%s (%s)%s; the losses are weighted means, validation's "
               "too\n", s->n_classes > 20 ? ", ..." : "",
               balanced ? "balanced: n / (k n_class) on the training rows"
                        : "as given, others 1",
               c->sample_weight ? ", times the --sample-weight column" : "");
    }
    free(cw);
    return 0;
}
