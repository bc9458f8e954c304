/* csv_write.c — a data set back to CSV (dn_data_save_csv): the file
 * dn_csv_read reads to the same floats, for generated data sets
 * (synth.c) and anything else held as numeric inputs and targets. */
#include "data/data.h"
#include <stdio.h>
#include <string.h>

typedef struct {
    const dn_data *d;
    const dn_schema *s;   /* NULL: names made up */
} csv_out;

void dn_csv_put_field(FILE *f, const char *s)
{
    if (!f || !s) return;
    if (!strpbrk(s, ",\"\r\n")) { fputs(s, f); return; }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* v in the fewest significant digits that read back (dn_parse_double,
 * as the CSV reader reads a cell, then float) as the same float: the
 * generated sets' 4 decimals come out as written, "0.1234". */
static void put_float(FILE *f, float v)
{
    char b[32];
    for (int p = 1; p <= 9; p++) {
        dn_snprintf(b, sizeof b, "%.*g", p, (double)v);
        double back;
        if (dn_parse_double(b, strlen(b), &back) == 1 && (float)back == v) break;
    }
    fputs(b, f);
}

static int fill(FILE *f, void *arg)
{
    const csv_out *c = arg;
    const dn_data *d = c->d;
    const dn_schema *s = c->s;
    char b[32];
    for (int j = 0; j < d->d; j++) {
        if (j) fputc(',', f);
        if (s) dn_csv_put_field(f, s->col[j].name);
        else fprintf(f, "x%d", j + 1);
    }
    for (int j = 0; j < d->k; j++) {
        fputc(',', f);
        if (s && s->target && d->k == 1) dn_csv_put_field(f, s->target);
        else if (d->k == 1) fputs("y", f);
        else fprintf(f, "y%d", j + 1);
    }
    fputc('\n', f);
    const int classes = s && s->n_classes > 0 && d->k == 1;
    float buf[1];
    for (int i = 0; i < d->n && !ferror(f); i++) {
        const float *x = d->X ? d->X + (size_t)i * d->d : NULL;
        for (int j = 0; j < d->d; j++) {
            if (j) fputc(',', f);
            if (x) put_float(f, x[j]);
            else {
                dn_row_u8(dn_data_x8(d) + (size_t)i * d->d + j, NULL, NULL,
                          buf, 1);
                put_float(f, buf[0]);
            }
        }
        for (int j = 0; j < d->k; j++) {
            float y = d->Y[(size_t)i * d->k + j];
            fputc(',', f);
            int k = (int)y;
            if (classes && k >= 0 && k < s->n_classes && s->classes[k])
                dn_csv_put_field(f, s->classes[k]);
            else if (classes) {
                snprintf(b, sizeof b, "%d", k);
                fputs(b, f);
            } else put_float(f, y);
        }
        fputc('\n', f);
    }
    return ferror(f);
}

dn_status dn_data_save_csv(const dn_data *d, const char *path, dn_error *err)
{
    DN_NEED(d);
    DN_NEED(path);
    if (!d->Y || d->k < 1)
        return dn_fail(err, DN_EARG, "cannot write '%s': the data set has no "
                       "targets", path);
    if (!d->X && !d->bytes)
        return dn_fail(err, DN_EARG, "cannot write '%s': the data set has no "
                       "inputs", path);
    const dn_schema *s = d->schema;
    if (s) {
        for (int j = 0; j < s->n_cols; j++)
            if (s->col[j].n_cats || s->col[j].indicator || !s->col[j].name) {
                char b[DN_SHOW_BUF];
                return dn_fail(err, DN_EARG, "cannot write '%s': column %d "
                               "'%s' is %s, not one numeric input; only data "
                               "sets of numeric columns are written", path,
                               j + 1, s->col[j].name ? dn_show(s->col[j].name, b)
                               : "", s->col[j].n_cats ? "one-hot encoded"
                               : "missing a name or has an indicator");
            }
        if (s->n_cols != d->d)
            return dn_fail(err, DN_EARG, "cannot write '%s': the schema's %d "
                           "columns are not the data set's %d inputs", path,
                           s->n_cols, d->d);
    }
    csv_out c = { d, s };
    return dn_atomic_write(path, "data", fill, &c, err);
}
