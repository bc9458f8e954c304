/* fuzz.h — what the fuzz targets share.
 *
 * Each target is one file, fuzz/fuzz_<name>.c, whose entry point is
 * written FUZZ_ENTRY(name)(const uint8_t *data, size_t size).  Built by
 * `make fuzz` it is libFuzzer's LLVMFuzzerTestOneInput; included by
 * tests/test_fuzz_regressions.c (which defines FUZZ_REPLAY first) it is
 * fuzz_<name>(), so that the corpora and every crash input replay in the
 * normal test suite, under any compiler.
 *
 * The loaders take paths, so a target writes its input to a file in a
 * private temporary directory (on /dev/shm when there is one: no disk)
 * and hands the path over.  The directory and its files are removed at
 * exit.
 *
 * Beyond "no crash, no leak, no sanitizer report", every target checks
 * what the API promises with FUZZ_CHECK: a failure returns a known
 * status, NULL in *out and a one-line message naming the file; a
 * success returns data or a model that is internally consistent.  A
 * broken promise aborts under libFuzzer (a crash, kept as an input) and
 * is a failed CHECK in the replay test. */
#ifndef FUZZ_H
#define FUZZ_H

#include "descent.h"
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#ifdef FUZZ_REPLAY
#define FUZZ_ENTRY(name) int fuzz_##name
#else
#define FUZZ_ENTRY(name) int LLVMFuzzerTestOneInput
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
#endif

#ifndef FUZZ_CHECK
#define FUZZ_CHECK(cond, ...) do { \
    if (!(cond)) { \
        fprintf(stderr, "%s:%d: broken promise: %s: ", __FILE__, __LINE__, \
                #cond); \
        fprintf(stderr, __VA_ARGS__); \
        fputc('\n', stderr); \
        abort(); \
    } \
} while (0)
#endif

static char fuzz_dir_[200];

/* 1 when the last input loaded (the replay test checks that the seeds
 * named good_* load and those named bad_* do not). */
static int fuzz_loaded_;

static inline void fuzz_cleanup_(void)
{
    DIR *dp = opendir(fuzz_dir_);
    if (!dp) return;
    struct dirent *e;
    char p[512];
    while ((e = readdir(dp))) {
        if (e->d_name[0] == '.' && (!e->d_name[1] ||
                                    (e->d_name[1] == '.' && !e->d_name[2])))
            continue;
        snprintf(p, sizeof p, "%s/%s", fuzz_dir_, e->d_name);
        remove(p);
    }
    closedir(dp);
    rmdir(fuzz_dir_);
}

/* dir/name in the private directory, made on first use.  Valid until
 * the fourth call after. */
static inline const char *fuzz_path(const char *name)
{
    static char buf[4][300];
    static int k;
    if (!fuzz_dir_[0]) {
        struct stat sb;
        const char *base = getenv("TMPDIR");
        if (!base || !*base)
            base = stat("/dev/shm", &sb) == 0 && access("/dev/shm", W_OK) == 0
                 ? "/dev/shm" : "/tmp";
        snprintf(fuzz_dir_, sizeof fuzz_dir_, "%s/descent-fuzz.XXXXXX", base);
        if (!mkdtemp(fuzz_dir_)) {
            perror(fuzz_dir_);
            exit(2);
        }
        atexit(fuzz_cleanup_);
    }
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", fuzz_dir_, name);
    return buf[k];
}

/* Writes n bytes to the file `name`; returns its path. */
static inline const char *fuzz_write(const char *name, const void *data,
                                     size_t n)
{
    const char *path = fuzz_path(name);
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(data, 1, n, f) != n) || fclose(f)) {
        perror(path);
        exit(2);
    }
    return path;
}

/* The same, gzip-compressed. */
static inline const char *fuzz_write_gz(const char *name, const void *data,
                                        size_t n)
{
    const char *path = fuzz_path(name);
    gzFile g = gzopen(path, "wb1");
    if (!g || (n && gzwrite(g, data, (unsigned)n) != (int)n) ||
        gzclose(g) != Z_OK) {
        perror(path);
        exit(2);
    }
    return path;
}

/* 1 if the status is one of the n listed. */
static inline int fuzz_status_in(dn_status st, int n, const dn_status *ok)
{
    for (int i = 0; i < n; i++)
        if (st == ok[i]) return 1;
    return 0;
}

/* A failure keeps the promises of descent.h: a status the call may
 * return for bad content, nothing in *out, and a one-line message (no
 * control bytes, so no byte of the file reaches a terminal raw) that
 * names the file. */
static inline void fuzz_check_failure(dn_status st, const dn_error *e,
                               const void *out, const char *path,
                               int n_ok, const dn_status *ok)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    FUZZ_CHECK(fuzz_status_in(st, n_ok, ok), "status %s: %s",
               dn_status_name(st), e->msg);
    FUZZ_CHECK(out == NULL, "*out is not NULL after a failure (%s)", e->msg);
    FUZZ_CHECK(e->code == st, "err.code %d but status %d", (int)e->code,
               (int)st);
    FUZZ_CHECK(strlen(e->msg) > 10, "message too short: '%s'", e->msg);
    FUZZ_CHECK(strstr(e->msg, base) != NULL, "message does not name %s: %s",
               base, e->msg);
    int ctl = 0;
    for (const unsigned char *p = (const unsigned char *)e->msg; *p; p++)
        ctl |= *p < 0x20 || *p == 0x7F;
    FUZZ_CHECK(!ctl, "control byte in the message: %s", e->msg);
}

/* A schema that can encode rows: named columns whose widths add up to
 * n_in, sorted distinct categories, and classes that fit the task. */
static inline void fuzz_check_schema(const dn_schema *s)
{
    FUZZ_CHECK(s != NULL, "no schema");
    if (!s) return;
    FUZZ_CHECK(s->n_cols >= 1 && s->col, "%d columns", s->n_cols);
    long w = 0;
    for (int j = 0; s->col && j < s->n_cols; j++) {
        const dn_column *c = &s->col[j];
        FUZZ_CHECK(c->name != NULL, "column %d has no name", j);
        FUZZ_CHECK(c->n_cats >= 0 && (c->n_cats == 0 || c->cats),
                   "column %d: %d categories", j, c->n_cats);
        for (int i = 0; c->cats && i < c->n_cats; i++) {
            FUZZ_CHECK(c->cats[i] != NULL, "column %d category %d", j, i);
            if (i && c->cats[i] && c->cats[i - 1])
                FUZZ_CHECK(strcmp(c->cats[i - 1], c->cats[i]) < 0,
                           "column %d categories not sorted and distinct", j);
        }
        w += (c->n_cats ? c->n_cats : 1) + (c->indicator != 0);
    }
    FUZZ_CHECK(w == s->n_in, "columns encode %ld inputs, n_in %d", w,
               s->n_in);
    FUZZ_CHECK((unsigned)s->task <= DN_TASK_MULTICLASS, "task %d", s->task);
    if (s->task == DN_TASK_REGRESSION)
        FUZZ_CHECK(s->n_classes == 0, "regression with %d classes",
                   s->n_classes);
    else {
        FUZZ_CHECK(s->n_classes >= 2 && s->classes, "%d classes",
                   s->n_classes);
        if (s->task == DN_TASK_BINARY)
            FUZZ_CHECK(s->n_classes == 2, "binary with %d classes",
                       s->n_classes);
        for (int i = 0; s->classes && i < s->n_classes; i++)
            FUZZ_CHECK(s->classes[i] != NULL, "class %d has no name", i);
    }
}

/* A data set as descent.h describes it: n rows of d finite inputs laid
 * out as dn_column says.  A one-hot block holds at most one 1; none means
 * the cell was missing (its indicator, if any, is 1) or, read with a
 * given schema (unseen_ok), a category the schema does not know.  An
 * indicator is 0 or 1 and is 1 only for a missing cell. */
static inline void fuzz_check_data(const dn_data *d, int unseen_ok)
{
    FUZZ_CHECK(d != NULL, "no data after success");
    if (!d) return;
    fuzz_check_schema(d->schema);
    const dn_schema *s = d->schema;
    FUZZ_CHECK(d->n >= 1 && d->d >= 1 && d->X, "n %d d %d", d->n, d->d);
    if (!s) return;
    FUZZ_CHECK(d->d == s->n_in, "d %d but the schema's n_in %d", d->d,
               s->n_in);
    if (d->d != s->n_in) return;
    int bad_x = 0, bad_hot = 0, bad_ind = 0;
    for (int r = 0; r < d->n; r++) {
        const float *x = d->X + (size_t)r * d->d;
        for (int j = 0; j < d->d; j++) bad_x += !isfinite(x[j]);
        for (int j = 0; j < s->n_cols; j++) {
            const dn_column *c = &s->col[j];
            int k = c->n_cats;
            int ones = 0, other = 0;
            for (int i = 0; i < k; i++) {
                ones += x[i] == 1.0f;
                other += x[i] != 0.0f && x[i] != 1.0f;
            }
            x += k ? k : 1;
            float ind = c->indicator ? *x++ : 0.0f;
            bad_ind += ind != 0.0f && ind != 1.0f;
            if (k)
                bad_hot += ones > 1 || other != 0 || (ind == 1.0f && ones) ||
                           (!ones && ind != 1.0f && !unseen_ok);
        }
    }
    FUZZ_CHECK(bad_x == 0, "%d non-finite inputs", bad_x);
    FUZZ_CHECK(bad_hot == 0, "%d one-hot blocks with more than one 1, a "
               "value other than 0 or 1, a 1 beside a was-missing "
               "indicator, or no 1 for a known, present category", bad_hot);
    FUZZ_CHECK(bad_ind == 0, "%d indicators other than 0 or 1", bad_ind);
    if (!d->Y) return;
    FUZZ_CHECK(d->k >= 1, "Y with k = %d", d->k);
    int bad_y = 0;
    for (size_t i = 0; i < (size_t)d->n * d->k; i++) {
        float y = d->Y[i];
        if (s->task == DN_TASK_REGRESSION) bad_y += !isfinite(y);
        else bad_y += !(y >= 0 && y < s->n_classes && y == floorf(y));
    }
    FUZZ_CHECK(bad_y == 0, "%d targets out of range", bad_y);
}

/* Two data sets hold the same bits. */
static inline int fuzz_same_data(const dn_data *a, const dn_data *b)
{
    if (a->n != b->n || a->d != b->d || (!a->Y) != (!b->Y)) return 0;
    if (memcmp(a->X, b->X, (size_t)a->n * a->d * sizeof *a->X)) return 0;
    if (a->Y && (a->k != b->k ||
                 memcmp(a->Y, b->Y, (size_t)a->n * a->k * sizeof *a->Y)))
        return 0;
    return 1;
}

#endif
