/* check.h — the smallest test harness: every CHECK asserts a value that
 * could be wrong, failures print where, in which test and why, and
 * check_done() prints the closing line "N passed, N failed".
 *
 * A program's tests are functions run from main with RUN(test_x), which
 * names the test in its failures.  CHECK_ONLY=test_x in the environment
 * runs that test alone (make test T=program:test_x sets it); the closing
 * line then says how many were left out. */
#ifndef CHECK_H
#define CHECK_H
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int check_passed, check_failed, check_left_out;
static const char *check_test = "main";

#define CHECK(cond, ...) do { \
    if (cond) check_passed++; \
    else { check_failed++; \
        fprintf(stderr, "FAIL %s:%d: %s: %s: ", __FILE__, __LINE__, \
                check_test, #cond); \
        fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } \
} while (0)

/* Runs test fn under its name, unless CHECK_ONLY names another. */
#define RUN(fn) check_run(#fn, fn)
static inline void check_run(const char *name, void (*fn)(void))
{
    const char *only = getenv("CHECK_ONLY");
    if (only && *only && strcmp(only, name)) {
        check_left_out++;
        return;
    }
    check_test = name;
    fn();
    check_test = "main";
}

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

/* Removes path and, for a directory, everything below it; links are
 * removed, never followed.  0 on success. */
static inline int check_remove(const char *path)
{
    struct stat st;
    if (lstat(path, &st)) return -1;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (!d) return -1;
        struct dirent *e;
        int bad = 0;
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            size_t n = strlen(path) + strlen(e->d_name) + 2;
            char *sub = malloc(n);
            if (!sub) { bad = -1; break; }
            snprintf(sub, n, "%s/%s", path, e->d_name);
            bad |= check_remove(sub);
            free(sub);
        }
        closedir(d);
        return bad | rmdir(path);
    }
    return unlink(path);
}

static inline void check_rmdir(const char *dir)
{
    if (check_remove(dir)) fprintf(stderr, "could not remove %s\n", dir);
}

/* dir/name: a fixture's path in a test's scratch directory, valid for the
 * next 7 calls (keep a copy to hold it longer). */
static inline const char *check_path(const char *dir, const char *name)
{
    static char buf[8][512];
    static int i;
    i = (i + 1) % 8;
    snprintf(buf[i], sizeof buf[i], "%s/%s", dir, name);
    return buf[i];
}

/* Writes n bytes to the fixture dir/name and returns its path; a fixture
 * that cannot be written ends the program (exit 2): no test can go on. */
static inline const char *check_write(const char *dir, const char *name,
                                      const void *data, size_t n)
{
    const char *path = check_path(dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, n, f) != n || fclose(f)) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(2);
    }
    return path;
}

#ifdef DESCENT_H
/* A descent call failed with status `want` and its message (in the
 * dn_error e) holds every piece. */
#define CHECK_FAIL(st, want, e, ...) do { \
    const char *pieces_[] = {__VA_ARGS__, NULL}; \
    CHECK((st) == (want), "status %s, want %s: %s", dn_status_name(st), \
          dn_status_name(want), (e).msg); \
    for (int p_ = 0; pieces_[p_]; p_++) \
        CHECK(strstr((e).msg, pieces_[p_]) != NULL, "'%s' not in: %s", \
              pieces_[p_], (e).msg); \
} while (0)
#endif

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
    if (check_left_out)
        printf("%s: %d tests left out (CHECK_ONLY=%s)\n", name,
               check_left_out, getenv("CHECK_ONLY"));
    printf("%s: %d passed, %d failed\n", name, check_passed, check_failed);
    return check_failed ? 1 : 0;
}

/* A program's tests, by name, for check_main. */
typedef struct { const char *name; void (*fn)(void); } check_entry;
#define CHECK_CASE(fn) { #fn, fn }

/* The main of a program of n tests: a scratch directory made in dir (64
 * bytes; NULL: none), each test run as RUN runs it, the directory
 * removed with all in it, the closing line printed. */
static inline int check_main(const char *prog, char *dir, const check_entry *t,
                             int n)
{
    if (dir && check_tmpdir(dir)) return 2;
    for (int i = 0; i < n; i++) check_run(t[i].name, t[i].fn);
    if (dir) check_rmdir(dir);
    return check_done(prog);
}

/* That main, written as
 *   CHECK_MAIN("test_x", dir, CHECK_CASE(test_a), CHECK_CASE(test_b)) */
#define CHECK_MAIN(prog, dir, ...) \
int main(void) \
{ \
    const check_entry t_[] = { __VA_ARGS__ }; \
    return check_main(prog, dir, t_, (int)(sizeof t_ / sizeof *t_)); \
}
#endif
