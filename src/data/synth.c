/* synth.c — the TensorFlow Playground's two-input problems as generated
 * data (dn_synth_make): circles, XOR, Gaussian blobs, spirals.  Small
 * sets whose decision regions one can see, to learn what a hidden layer
 * buys: a line separates the blobs, no line separates XOR or the rings.
 * Every row comes from one seeded dn_rng in a fixed order of draws, so a
 * seed names a data set on every platform. */
#include "data/data.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PI 3.14159265358979323846
#define MAX_ROWS 10000000
#define MAX_CLASSES 10

static const char *const names[DN_SYNTH_COUNT] = {
    "circles", "xor", "gaussians", "spiral"
};
/* The noise that shows each set's shape without hiding it. */
static const double default_noise[DN_SYNTH_COUNT] = { 0.05, 0.05, 0.35, 0.03 };

const char *dn_synth_name(dn_synth s)
{
    return (unsigned)s < DN_SYNTH_COUNT ? names[s] : "?";
}

dn_status dn_synth_parse(const char *s, dn_synth *out, dn_error *err)
{
    DN_NEED(out);
    static const struct { const char *name; dn_synth v; } alias[] = {
        { "circle", DN_SYNTH_CIRCLES }, { "gaussian", DN_SYNTH_GAUSSIANS },
        { "spirals", DN_SYNTH_SPIRAL },
    };
    for (int k = 0; s && k < DN_SYNTH_COUNT; k++)
        if (!strcmp(s, names[k])) { *out = (dn_synth)k; return DN_OK; }
    for (size_t k = 0; s && k < sizeof alias / sizeof *alias; k++)
        if (!strcmp(s, alias[k].name)) { *out = alias[k].v; return DN_OK; }
    char b[DN_SHOW_BUF];
    return dn_fail(err, DN_EARG, "unknown data set '%s'; use circles, xor, "
                   "gaussians or spiral", s ? dn_show(s, b) : "(null)");
}

void dn_synth_defaults(dn_synth s, dn_synth_conf *c)
{
    if (!c) return;
    memset(c, 0, sizeof *c);  /* the reserved tail too */
    c->n = 400;
    c->noise = (unsigned)s < DN_SYNTH_COUNT ? default_noise[s] : 0;
    c->seed = 1;
    c->classes = 2;
}

/* The clean point of a row of class k of C: the set's shape, before the
 * noise. */
static void clean_point(dn_synth s, int k, int C, dn_rng *r, double *x,
                        double *y, int *label)
{
    double t, rad, phi;
    *label = k;
    switch (s) {
    case DN_SYNTH_CIRCLES:
        t = dn_rng_uniform(r);
        rad = k == 0 ? 0.7 * t / C : (k + 0.15 + 0.7 * t) / C;
        phi = 2 * PI * dn_rng_uniform(r);
        *x = rad * cos(phi);
        *y = rad * sin(phi);
        break;
    case DN_SYNTH_XOR:
        /* Drawn, not dealt: the quadrant decides the class, and the
         * padding keeps the clean points off the axes, where the class
         * changes. */
        *x = 2 * dn_rng_uniform(r) - 1;
        *y = 2 * dn_rng_uniform(r) - 1;
        *x += *x >= 0 ? 0.1 : -0.1;
        *y += *y >= 0 ? 0.1 : -0.1;
        *label = *x * *y > 0;
        break;
    case DN_SYNTH_GAUSSIANS:
        phi = PI / 4 + 2 * PI * k / C;
        *x = cos(phi);
        *y = sin(phi);
        break;
    default: /* DN_SYNTH_SPIRAL */
        t = dn_rng_uniform(r);
        phi = 3.5 * PI * t + 2 * PI * k / C;
        *x = t * cos(phi);
        *y = t * sin(phi);
        break;
    }
}

/* x rounded to 4 decimals: what the CSV can hold exactly. */
static float round4(double x)
{
    return (float)(round(x * 1e4) / 1e4);
}

static dn_status make_schema(int C, dn_schema **out)
{
    dn_schema *s = dn_schema_alloc(2);
    if (!s) return DN_ENOMEM;
    s->n_in = 2;
    s->task = C == 2 ? DN_TASK_BINARY : DN_TASK_MULTICLASS;
    s->n_classes = C;
    s->col[0].name = dn_strdup("x1");
    s->col[1].name = dn_strdup("x2");
    s->target = dn_strdup("label");
    s->classes = calloc((size_t)C, sizeof *s->classes);
    int ok = s->col[0].name && s->col[1].name && s->target && s->classes;
    for (int k = 0; ok && k < C; k++) {
        char b[16];
        snprintf(b, sizeof b, "%d", k);
        ok = (s->classes[k] = dn_strdup(b)) != NULL;
    }
    if (!ok) {
        dn_schema_free(s);
        return DN_ENOMEM;
    }
    *out = s;
    return DN_OK;
}

dn_status dn_synth_make(dn_synth s, const dn_synth_conf *c, dn_data **out,
                        dn_error *err)
{
    DN_NEED(c);
    DN_NEED(out);
    *out = NULL;
    if ((unsigned)s >= DN_SYNTH_COUNT)
        return dn_fail(err, DN_EARG, "dn_synth_make: unknown data set %d",
                       (int)s);
    const char *name = names[s];
    if (c->classes < 2 || c->classes > MAX_CLASSES)
        return dn_fail(err, DN_EARG, "%s: %d classes; use 2 to %d", name,
                       c->classes, MAX_CLASSES);
    if (s == DN_SYNTH_XOR && c->classes != 2)
        return dn_fail(err, DN_EARG, "xor: %d classes; XOR has two (the "
                       "sign of x1 x2): leave out the class count, or use "
                       "gaussians, circles or spiral for more", c->classes);
    if (c->n < c->classes || c->n > MAX_ROWS)
        return dn_fail(err, DN_EARG, "%s: %d rows; use %d (a row for each "
                       "class) to %d", name, c->n, c->classes, MAX_ROWS);
    if (!(c->noise >= 0 && c->noise <= 10))
        return dn_fail(err, DN_EARG, "%s: noise %g; use a standard "
                       "deviation from 0 to 10 (the points span about -1 "
                       "to 1)", name, c->noise);
    dn_data *d;
    dn_status st = dn_data_new(c->n, 2, 1, &d, err);
    if (st) return st;
    if (make_schema(c->classes, &d->schema)) {
        dn_data_free(d);
        return dn_fail(err, DN_ENOMEM, "out of memory for a data set");
    }
    dn_rng r;
    dn_rng_seed(&r, c->seed);
    for (int i = 0; i < c->n; i++) {
        double x, y;
        int label;
        clean_point(s, i % c->classes, c->classes, &r, &x, &y, &label);
        /* Both normals are drawn even at noise 0: the stream, and so
         * the clean points, do not depend on the noise. */
        double ex = dn_rng_normal(&r), ey = dn_rng_normal(&r);
        d->X[2 * i] = round4(x + c->noise * ex);
        d->X[2 * i + 1] = round4(y + c->noise * ey);
        d->Y[i] = (float)label;
    }
    *out = d;
    return DN_OK;
}
