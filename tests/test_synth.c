/* test_synth.c — the Playground's generated sets (dn_synth_make) and the
 * CSV they are written as (dn_data_save_csv): the same seed gives the
 * same rows and bytes, each set has its geometry in numbers (the rings'
 * radii, the XOR rule, the blobs' centres and spread, the spiral's
 * arms), the file reads back to the same floats, and bad settings are
 * refused by name. */
#include "check.h"
#include "descent.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PI 3.14159265358979323846

static char tmp[64];

static dn_data *make(dn_synth s, int n, double noise, int classes,
                     uint64_t seed)
{
    dn_synth_conf c;
    dn_synth_defaults(s, &c);
    c.n = n;
    if (noise >= 0) c.noise = noise;
    c.classes = classes;
    c.seed = seed;
    dn_data *d = NULL;
    dn_error err;
    dn_status st = dn_synth_make(s, &c, &d, &err);
    CHECK(st == DN_OK, "%s: %s", dn_synth_name(s), err.msg);
    return d;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *b = malloc(1 << 20);
    *len = b ? fread(b, 1, 1 << 20, f) : 0;
    fclose(f);
    return b;
}

static void test_same_seed_same_bytes(void)
{
    for (int s = 0; s < DN_SYNTH_COUNT; s++) {
        dn_data *a = make((dn_synth)s, 300, -1, 2, 7);
        dn_data *b = make((dn_synth)s, 300, -1, 2, 7);
        dn_data *c = make((dn_synth)s, 300, -1, 2, 8);
        if (!a || !b || !c) return;
        CHECK(!memcmp(a->X, b->X, 600 * sizeof *a->X) &&
              !memcmp(a->Y, b->Y, 300 * sizeof *a->Y), "%s: seed 7 twice "
              "differs", dn_synth_name((dn_synth)s));
        CHECK(memcmp(a->X, c->X, 600 * sizeof *a->X), "%s: seeds 7 and 8 "
              "give the same rows", dn_synth_name((dn_synth)s));
        /* Every coordinate has at most 4 decimals. */
        int odd = 0;
        for (int i = 0; i < 600; i++) {
            double v = a->X[i] * 1e4;
            odd += fabs(v - round(v)) > 1e-3;
        }
        CHECK(odd == 0, "%s: %d coordinates with more than 4 decimals",
              dn_synth_name((dn_synth)s), odd);
        char p1[128], p2[128];
        snprintf(p1, sizeof p1, "%s/a.csv", tmp);
        snprintf(p2, sizeof p2, "%s/b.csv", tmp);
        dn_error err;
        CHECK(dn_data_save_csv(a, p1, &err) == DN_OK, "%s", err.msg);
        CHECK(dn_data_save_csv(b, p2, &err) == DN_OK, "%s", err.msg);
        size_t n1 = 0, n2 = 0;
        char *f1 = slurp(p1, &n1), *f2 = slurp(p2, &n2);
        CHECK(f1 && f2 && n1 == n2 && n1 > 300 * 6 && !memcmp(f1, f2, n1),
              "%s: two files of seed 7 differ (%zu, %zu bytes)",
              dn_synth_name((dn_synth)s), n1, n2);
        CHECK(f1 && !strncmp(f1, "x1,x2,label\n", 12), "header: %.20s",
              f1 ? f1 : "");
        /* Read back: the same floats, the labels as two classes. */
        dn_data *r = NULL;
        CHECK(dn_csv_read(p1, NULL, &r, NULL, 0, &err) == DN_OK, "%s", err.msg);
        if (r) {
            CHECK(r->n == 300 && r->d == 2 && r->schema->task == DN_TASK_BINARY &&
                  r->schema->n_classes == 2, "read back %d x %d, task %d",
                  r->n, r->d, (int)r->schema->task);
            CHECK(r->n == 300 && !memcmp(r->X, a->X, 600 * sizeof *a->X) &&
                  !memcmp(r->Y, a->Y, 300 * sizeof *a->Y),
                  "%s: the CSV reads back to other numbers",
                  dn_synth_name((dn_synth)s));
        }
        dn_data_free(r);
        free(f1);
        free(f2);
        dn_data_free(a);
        dn_data_free(b);
        dn_data_free(c);
    }
}

static double radius(const dn_data *d, int i)
{
    return hypot(d->X[2 * i], d->X[2 * i + 1]);
}

static void test_circles(void)
{
    /* Without noise: class 0 inside r < 0.7/C, class k in its ring. */
    for (int C = 2; C <= 4; C++) {
        dn_data *d = make(DN_SYNTH_CIRCLES, 999, 0, C, 3);
        if (!d) return;
        int bad = 0, count[4] = { 0 };
        for (int i = 0; i < d->n; i++) {
            int k = (int)d->Y[i];
            double r = radius(d, i);
            double lo = k ? (k + 0.15) / C : 0, hi = k ? (k + 0.85) / C : 0.7 / C;
            bad += !(r >= lo - 1e-4 && r < hi + 1e-4);
            count[k]++;
        }
        CHECK(bad == 0, "C = %d: %d rows outside their ring", C, bad);
        /* 999 rows dealt in turn: sizes differ by at most 1 */
        int lo = 999, hi = 0;
        for (int k = 0; k < C; k++) {
            lo = count[k] < lo ? count[k] : lo;
            hi = count[k] > hi ? count[k] : hi;
        }
        CHECK(hi - lo <= 1 && lo >= 999 / C, "C = %d: class sizes %d..%d", C,
              lo, hi);
        dn_data_free(d);
    }
    /* With the default noise: the inner class's radius below the outer's,
     * inner mean about 0.7/C / 2 = 0.175, outer about 0.75. */
    dn_data *d = make(DN_SYNTH_CIRCLES, 2000, -1, 2, 1);
    if (!d) return;
    double sum[2] = { 0, 0 }, max_in = 0, min_out = 9;
    for (int i = 0; i < d->n; i++) {
        int k = (int)d->Y[i];
        double r = radius(d, i);
        sum[k] += r;
        if (!k && r > max_in) max_in = r;
        if (k && r < min_out) min_out = r;
    }
    double m0 = sum[0] / 1000, m1 = sum[1] / 1000;
    CHECK(m0 < m1, "inner mean radius %g, outer %g", m0, m1);
    CHECK_NEAR(m0, 0.175, 0.02);
    CHECK_NEAR(m1, 0.75, 0.02);
    CHECK(max_in < 0.6 && min_out > 0.35, "inner reaches %g, outer %g",
          max_in, min_out);
    dn_data_free(d);
}

static void test_xor(void)
{
    dn_data *d = make(DN_SYNTH_XOR, 1000, 0, 2, 5);
    if (!d) return;
    int bad = 0, ones = 0, near_axis = 0;
    for (int i = 0; i < d->n; i++) {
        double x = d->X[2 * i], y = d->X[2 * i + 1];
        bad += (int)d->Y[i] != (x * y > 0);
        ones += d->Y[i] == 1;
        near_axis += fabs(x) < 0.1 - 1e-4 || fabs(y) < 0.1 - 1e-4 ||
                     fabs(x) > 1.1 + 1e-4 || fabs(y) > 1.1 + 1e-4;
    }
    CHECK(bad == 0, "%d rows break label = [x1 x2 > 0] without noise", bad);
    CHECK(near_axis == 0, "%d points within 0.1 of an axis or past 1.1",
          near_axis);
    /* the quadrants are drawn, not dealt: about half each */
    CHECK(ones > 430 && ones < 570, "%d of 1000 in class 1", ones);
    dn_data_free(d);
    /* With noise 0.05 the rule holds but for points pushed over an axis:
     * a point at distance u >= 0.1 crosses with probability below
     * P(N > 2 sigma) = 2.3%, on either of two coordinates. */
    d = make(DN_SYNTH_XOR, 2000, -1, 2, 5);
    if (!d) return;
    bad = 0;
    for (int i = 0; i < d->n; i++)
        bad += (int)d->Y[i] != (d->X[2 * i] * d->X[2 * i + 1] > 0);
    CHECK(bad > 0 && bad < 40, "%d of 2000 rows across an axis", bad);
    dn_data_free(d);
}

static void test_gaussians(void)
{
    for (int C = 2; C <= 5; C += 3) {
        dn_data *d = make(DN_SYNTH_GAUSSIANS, 6000, 0.35, C, 11);
        if (!d) return;
        double sx[5] = { 0 }, sy[5] = { 0 }, ss[5] = { 0 };
        int n[5] = { 0 };
        for (int i = 0; i < d->n; i++) {
            int k = (int)d->Y[i];
            sx[k] += d->X[2 * i];
            sy[k] += d->X[2 * i + 1];
            n[k]++;
        }
        for (int i = 0; i < d->n; i++) {
            int k = (int)d->Y[i];
            double dx = d->X[2 * i] - sx[k] / n[k], dy = d->X[2 * i + 1] - sy[k] / n[k];
            ss[k] += dx * dx + dy * dy;
        }
        for (int k = 0; k < C; k++) {
            double phi = PI / 4 + 2 * PI * k / C;
            /* the mean's standard error is 0.35 / sqrt(1200) = 0.01 */
            CHECK(hypot(sx[k] / n[k] - cos(phi), sy[k] / n[k] - sin(phi)) < 0.05,
                  "C = %d: blob %d centred at (%g, %g), want (%g, %g)", C, k,
                  sx[k] / n[k], sy[k] / n[k], cos(phi), sin(phi));
            CHECK_NEAR(sqrt(ss[k] / (2 * n[k])), 0.35, 0.02);
        }
        dn_data_free(d);
    }
}

/* The arm a point lies on: its angle less the spiral's turn at its
 * radius, in units of 2 pi / C. */
static int arm(double x, double y, int C)
{
    double r = hypot(x, y), a = atan2(y, x) - 3.5 * PI * r;
    long k = lround(a / (2 * PI / C));
    return (int)(((k % C) + C) % C);
}

static void test_spiral(void)
{
    for (int C = 2; C <= 3; C++) {
        dn_data *d = make(DN_SYNTH_SPIRAL, 900, 0, C, 2);
        if (!d) return;
        int bad = 0, centre = 0;
        double rmax = 0;
        for (int i = 0; i < d->n; i++) {
            /* (at the centre, rounding to 4 decimals decides the angle) */
            if (radius(d, i) < 0.01) { centre++; continue; }
            bad += arm(d->X[2 * i], d->X[2 * i + 1], C) != (int)d->Y[i];
            rmax = fmax(rmax, radius(d, i));
        }
        CHECK(centre < 20, "C = %d: %d points at the centre", C, centre);
        CHECK(bad == 0, "C = %d: %d points off their arm", C, bad);
        CHECK(rmax < 1 && rmax > 0.95, "C = %d: radius up to %g", C, rmax);
        dn_data_free(d);
    }
    /* noise 0.03 moves few points across to the other arm (0.29 away) */
    dn_data *d = make(DN_SYNTH_SPIRAL, 2000, -1, 2, 2);
    if (!d) return;
    int bad = 0;
    for (int i = 0; i < d->n; i++)
        bad += arm(d->X[2 * i], d->X[2 * i + 1], 2) != (int)d->Y[i];
    CHECK(bad < 100, "%d of 2000 noisy points nearer the other arm", bad);
    dn_data_free(d);
}

static void test_refusals(void)
{
    dn_synth_conf c;
    dn_data *d = (dn_data *)1;
    dn_error err;
    struct { dn_synth s; int n, classes; double noise; const char *says; } bad[] = {
        { DN_SYNTH_CIRCLES, 1, 2, 0.1, "1 rows; use 2" },
        { DN_SYNTH_SPIRAL, 20000000, 2, 0.1, "to 10000000" },
        { DN_SYNTH_GAUSSIANS, 100, 1, 0.1, "1 classes; use 2 to 10" },
        { DN_SYNTH_GAUSSIANS, 100, 11, 0.1, "11 classes" },
        { DN_SYNTH_XOR, 100, 3, 0.1, "XOR has two" },
        { DN_SYNTH_CIRCLES, 100, 2, -0.5, "noise -0.5" },
        { DN_SYNTH_CIRCLES, 100, 2, NAN, "noise" },
        { DN_SYNTH_CIRCLES, 100, 2, 11, "from 0 to 10" },
        { DN_SYNTH_COUNT, 100, 2, 0.1, "unknown data set" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        dn_synth_defaults(DN_SYNTH_CIRCLES, &c);
        c.n = bad[i].n;
        c.classes = bad[i].classes;
        c.noise = bad[i].noise;
        d = (dn_data *)1;
        dn_status st = dn_synth_make(bad[i].s, &c, &d, &err);
        CHECK(st == DN_EARG && d == NULL && strstr(err.msg, bad[i].says),
              "case %zu: status %d, '%s'", i, (int)st, err.msg);
    }
    CHECK(dn_synth_make(DN_SYNTH_XOR, NULL, &d, &err) == DN_EARG, "NULL conf");
    dn_synth s;
    CHECK(dn_synth_parse("circle", &s, &err) == DN_OK && s == DN_SYNTH_CIRCLES,
          "alias circle");
    CHECK(dn_synth_parse("spiral", &s, &err) == DN_OK && s == DN_SYNTH_SPIRAL,
          "spiral");
    CHECK(dn_synth_parse("moons", &s, &err) == DN_EARG &&
          strstr(err.msg, "'moons'") && strstr(err.msg, "gaussians"), "%s",
          err.msg);
    CHECK(!strcmp(dn_synth_name(DN_SYNTH_GAUSSIANS), "gaussians") &&
          !strcmp(dn_synth_name(DN_SYNTH_COUNT), "?"), "names");
    dn_synth_defaults(DN_SYNTH_GAUSSIANS, &c);
    CHECK(c.n == 400 && c.noise == 0.35 && c.seed == 1 && c.classes == 2,
          "defaults %d %g", c.n, c.noise);
}

/* dn_data_save_csv on a read table: quoted names survive, a regression
 * target is a number, the bytes read back the same. */
static void test_save_csv(void)
{
    char in[128], out[128];
    snprintf(in, sizeof in, "%s/in.csv", tmp);
    snprintf(out, sizeof out, "%s/out.csv", tmp);
    FILE *f = fopen(in, "w");
    if (!f) return;
    fputs("\"a,b\",c,price\n1.5,2,10.25\n-3,0.1,7\n", f);
    fclose(f);
    dn_data *d = NULL, *r = NULL;
    dn_error err;
    dn_csv_opts o;
    memset(&o, 0, sizeof o);
    o.task_set = 1;
    o.task = DN_TASK_REGRESSION;
    CHECK(dn_csv_read(in, &o, &d, NULL, 0, &err) == DN_OK, "%s", err.msg);
    if (!d) return;
    CHECK(dn_data_save_csv(d, out, &err) == DN_OK, "%s", err.msg);
    size_t n = 0;
    char *b = slurp(out, &n);
    const char *want = "\"a,b\",c,price\n1.5,2,10.25\n-3,0.1,7\n";
    CHECK(b && n == strlen(want) && !memcmp(b, want, n), "wrote '%.*s'",
          (int)n, b ? b : "");
    free(b);
    /* no targets: refused, nothing written */
    dn_data v = dn_data_view(2, 3, 0, d->X, NULL);
    char none[128];
    snprintf(none, sizeof none, "%s/none.csv", tmp);
    CHECK(dn_data_save_csv(&v, none, &err) == DN_EARG &&
          strstr(err.msg, "no targets") && access(none, F_OK) != 0, "%s",
          err.msg);
    /* a view without a schema: made-up names */
    float X[4] = { 1, 2, 3, 4 }, Y[2] = { 0.5f, 1 };
    v = dn_data_view(2, 2, 1, X, Y);
    CHECK(dn_data_save_csv(&v, out, &err) == DN_OK, "%s", err.msg);
    b = slurp(out, &n);
    want = "x1,x2,y\n1,2,0.5\n3,4,1\n";
    CHECK(b && n == strlen(want) && !memcmp(b, want, n), "wrote '%.*s'",
          (int)n, b ? b : "");
    free(b);
    /* a one-hot column cannot be written as the raw column */
    f = fopen(in, "w");
    if (f) {
        fputs("colour,y\nred,1\nblue,2\nred,3\n", f);
        fclose(f);
        CHECK(dn_csv_read(in, &o, &r, NULL, 0, &err) == DN_OK, "%s", err.msg);
        CHECK(r && dn_data_save_csv(r, none, &err) == DN_EARG &&
              strstr(err.msg, "'colour' is one-hot encoded"), "%s", err.msg);
    }
    dn_data_free(r);
    dn_data_free(d);
}

int main(void)
{
    if (check_tmpdir(tmp)) return 1;
    RUN(test_same_seed_same_bytes);
    RUN(test_circles);
    RUN(test_xor);
    RUN(test_gaussians);
    RUN(test_spiral);
    RUN(test_refusals);
    RUN(test_save_csv);
    check_remove(tmp);
    return check_done("test_synth");
}
