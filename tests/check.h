/* check.h — the smallest test harness: every CHECK asserts a value that
 * could be wrong, failures print where and why, and check_done() prints
 * the closing line "N passed, N failed". */
#ifndef CHECK_H
#define CHECK_H
#include <math.h>
#include <stdio.h>

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

static int check_done(const char *name)
{
    printf("%s: %d passed, %d failed\n", name, check_passed, check_failed);
    return check_failed ? 1 : 0;
}
#endif
