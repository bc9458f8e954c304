/* check.h — the smallest test harness: every CHECK asserts a value that
 * could be wrong, failures print where and why, and check_done() prints
 * the closing line "N passed, N failed". */
#ifndef CHECK_H
#define CHECK_H
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int check_passed, check_failed;

#define CHECK(cond, ...) do { \
    if (cond) check_passed++; \
    else { check_failed++; \
        fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
        fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } \
} while (0)

/* |a - b| <= tol, and neither is NaN. */
#define CHECK_NEAR(a, b, tol) do { \
    double ca_ = (double)(a), cb_ = (double)(b), ct_ = (double)(tol); \
    CHECK(fabs(ca_ - cb_) <= ct_, "%s = %.10g, %s = %.10g, tol %.3g", \
          #a, ca_, #b, cb_, ct_); \
} while (0)

/* |a - b| <= tol * max(|a|, |b|, floor): relative with an absolute floor. */
#define CHECK_REL(a, b, tol, floor) do { \
    double ca_ = (double)(a), cb_ = (double)(b); \
    double cs_ = fmax(fmax(fabs(ca_), fabs(cb_)), (double)(floor)); \
    CHECK(fabs(ca_ - cb_) <= (double)(tol) * cs_, \
          "%s = %.10g, %s = %.10g, rel tol %.3g", #a, ca_, #b, cb_, \
          (double)(tol)); \
} while (0)

/* A scratch directory for a test's files (dir must hold 64 bytes), and
 * its removal with everything in it at the end. */
static inline int check_tmpdir(char *dir)
{
    snprintf(dir, 64, "/tmp/descent_test_XXXXXX");
    if (mkdtemp(dir)) return 0;
    perror("mkdtemp");
    return -1;
}

static inline void check_rmdir(const char *dir)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

/* The whole of a file, NUL-terminated, its length in *n (when not NULL);
 * NULL if it cannot be read.  The caller frees it. */
static inline char *check_slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, len = 0, got;
    char *b = malloc(cap + 1);
    while (b && (got = fread(b + len, 1, cap - len, f)) > 0) {
        len += got;
        if (len == cap) {
            char *nb = realloc(b, (cap *= 2) + 1);
            if (!nb) free(b);
            b = nb;
        }
    }
    fclose(f);
    if (b) b[len] = 0;
    if (n) *n = len;
    return b;
}

static int check_done(const char *name)
{
    printf("%s: %d passed, %d failed\n", name, check_passed, check_failed);
    return check_failed ? 1 : 0;
}
#endif
