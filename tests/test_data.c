/* test_data.c — the data loaders: CSV (schema inference, encoding, every
 * malformed input), IDX (plain and gzipped, every lying header), the
 * stratified split and schema copies.  Fixtures are written into a
 * fresh temporary directory; the bundled data sets are read from data/
 * (tests run from the repository root). */
#include "descent.h"
#include "check.h"
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

static char dir[64];

/* The path of a fixture, valid for the next 7 calls (keep a copy to
 * hold it longer). */
static const char *at(const char *name)
{
    static char buf[8][256];
    static int i;
    i = (i + 1) % 8;
    snprintf(buf[i], sizeof buf[i], "%s/%s", dir, name);
    return buf[i];
}

static const char *put_bytes(const char *name, const void *data, size_t n)
{
    const char *path = at(name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, n, f) != n) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(2);
    }
    fclose(f);
    return path;
}

static const char *put(const char *name, const char *text)
{
    return put_bytes(name, text, strlen(text));
}

static const char *put_gz(const char *name, const void *data, size_t n)
{
    const char *path = at(name);
    gzFile g = gzopen(path, "wb");
    if (!g || gzwrite(g, data, (unsigned)n) != (int)n) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(2);
    }
    gzclose(g);
    return path;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* The call failed with `want` and its message holds every piece. */
#define CHECK_FAIL(st, want, e, ...) do { \
    const char *pieces_[] = {__VA_ARGS__, NULL}; \
    CHECK((st) == (want), "status %s, want %s: %s", dn_status_name(st), \
          dn_status_name(want), (e).msg); \
    for (int p_ = 0; pieces_[p_]; p_++) \
        CHECK(strstr((e).msg, pieces_[p_]) != NULL, "'%s' not in: %s", \
              pieces_[p_], (e).msg); \
} while (0)

/* Reads a CSV fixture that must fail, and checks status and message. */
#define CSV_FAIL(name, text, opts, want, ...) do { \
    dn_data *d_ = (dn_data *)1; \
    dn_error e_ = {0}; \
    dn_status s_ = dn_csv_read(put(name, text), opts, &d_, NULL, 0, &e_); \
    CHECK_FAIL(s_, want, e_, __VA_ARGS__); \
    CHECK(d_ == NULL, "out not NULL after a failure"); \
} while (0)

static float X_(const dn_data *d, int r, int c) { return d->X[(size_t)r * d->d + c]; }

/* Missing cells refused, as before they were read (--missing error). */
static const dn_csv_opts STRICT = { .missing_error = 1 };

/* ---- bundled data sets ---- */

static void test_iris(void)
{
    dn_data *d;
    dn_error e;
    char why[256];
    dn_status st = dn_csv_read("data/iris.csv", NULL, &d, why, sizeof why, &e);
    CHECK(st == DN_OK, "%s", e.msg);
    if (st) return;
    CHECK(d->n == 150 && d->d == 4 && d->k == 1, "n %d d %d k %d", d->n, d->d,
          d->k);
    const dn_schema *s = d->schema;
    CHECK(s->task == DN_TASK_MULTICLASS, "task %d", s->task);
    CHECK(s->n_classes == 3 && !strcmp(s->classes[0], "setosa") &&
              !strcmp(s->classes[1], "versicolor") &&
              !strcmp(s->classes[2], "virginica"), "classes");
    CHECK(s->n_cols == 4 && s->n_in == 4 && !strcmp(s->col[0].name,
          "sepal_length") && !strcmp(s->col[3].name, "petal_width") &&
          s->col[2].n_cats == 0, "columns");
    CHECK(!strcmp(s->target, "target"), "target %s", s->target);
    CHECK(X_(d, 0, 0) == 5.1f && X_(d, 0, 1) == 3.5f && X_(d, 0, 2) == 1.4f &&
          X_(d, 0, 3) == 0.2f, "row 1");
    /* the last line: 5.9,3.0,5.1,1.8,virginica */
    CHECK(X_(d, 149, 0) == 5.9f && X_(d, 149, 3) == 1.8f, "row 150");
    CHECK(d->Y[0] == 0 && d->Y[50] == 1 && d->Y[149] == 2, "Y %g %g %g",
          d->Y[0], d->Y[50], d->Y[149]);
    CHECK(!strcmp(why, "target 'target' holds text with 3 classes (setosa, "
                  "versicolor, virginica): multiclass classification, "
                  "softmax output with cross-entropy"), "why: %s", why);
    dn_data_free(d);
}

static void test_wine(void)
{
    dn_data *d;
    dn_error e;
    dn_status st = dn_csv_read("data/wine.csv", NULL, &d, NULL, 0, &e);
    CHECK(st == DN_OK, "%s", e.msg);
    if (st) return;
    CHECK(d->n == 178 && d->d == 13, "n %d d %d", d->n, d->d);
    CHECK(d->schema->n_classes == 3 &&
          !strcmp(d->schema->classes[2], "class_2"), "classes");
    CHECK(X_(d, 0, 0) == 14.23f && X_(d, 0, 12) == 1065.0f, "row 1");
    CHECK(d->Y[0] == 0 && d->Y[177] == 2, "Y");
    dn_data_free(d);
}

static void test_digits(void)
{
    dn_data *d;
    dn_error e;
    char why[256];
    double t0 = now();
    dn_status st = dn_csv_read("data/digits.csv", NULL, &d, why, sizeof why,
                               &e);
    double dt = now() - t0;
    CHECK(st == DN_OK, "%s", e.msg);
    if (st) return;
    CHECK(dt < 0.5, "digits.csv took %.3f s", dt);
    CHECK(d->n == 1797 && d->d == 64 && d->k == 1, "n %d d %d", d->n, d->d);
    const dn_schema *s = d->schema;
    CHECK(s->task == DN_TASK_MULTICLASS && s->n_classes == 10, "task");
    CHECK(!strcmp(s->classes[0], "0") && !strcmp(s->classes[9], "9"),
          "class names");
    CHECK(!strcmp(s->col[63].name, "px63"), "column name");
    CHECK(X_(d, 0, 2) == 5 && X_(d, 0, 3) == 13 && X_(d, 1, 3) == 12, "X");
    CHECK(d->Y[0] == 0 && d->Y[1] == 1, "Y");
    CHECK(!strcmp(why, "target 'target' has 10 distinct integer values "
                  "(0..9): multiclass classification, softmax output with "
                  "cross-entropy"), "why: %s", why);
    dn_data_free(d);
}

/* ---- inference and encoding ---- */

static const char *HOUSES =
    "rooms,area,type,distance,price\n"
    "3,120.5,semi,2.5,350000.5\n"
    "2,75,flat,0.8,210000\n"
    "5,210,detached,5.0,520000.25\n"
    "4,150,semi,3.2,410000\n";

static void test_one_hot(void)
{
    dn_data *d;
    dn_error e;
    char why[256];
    dn_status st = dn_csv_read(put("houses.csv", HOUSES), NULL, &d, why,
                               sizeof why, &e);
    CHECK(st == DN_OK, "%s", e.msg);
    if (st) return;
    const dn_schema *s = d->schema;
    CHECK(d->n == 4 && d->d == 6 && s->n_in == 6 && s->n_cols == 4,
          "n %d d %d", d->n, d->d);
    CHECK(s->col[2].n_cats == 3 && !strcmp(s->col[2].cats[0], "detached") &&
          !strcmp(s->col[2].cats[1], "flat") &&
          !strcmp(s->col[2].cats[2], "semi"), "categories");
    float want[4][6] = {{3, 120.5f, 0, 0, 1, 2.5f},
                        {2, 75, 0, 1, 0, 0.8f},
                        {5, 210, 1, 0, 0, 5},
                        {4, 150, 0, 0, 1, 3.2f}};
    int same = 1;
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 6; c++) same &= X_(d, r, c) == want[r][c];
    CHECK(same, "one-hot rows differ");
    CHECK(s->task == DN_TASK_REGRESSION && s->n_classes == 0 && d->k == 1,
          "task %d", s->task);
    CHECK(d->Y[0] == 350000.5f && d->Y[2] == 520000.25f, "Y %g", d->Y[0]);
    CHECK(!strcmp(why, "target 'price' holds real numbers: regression, "
                  "identity output with MSE"), "why: %s", why);
    dn_data_free(d);
}

static void test_target_choice(void)
{
    const char *path = put("houses.csv", HOUSES);
    const char *specs[] = {"rooms", "1", "-5", "type", "3", "-3"};
    int col[] = {0, 0, 0, 2, 2, 2};
    for (int i = 0; i < 6; i++) {
        dn_csv_opts o = {.target = specs[i]};
        dn_data *d;
        dn_error e;
        dn_status st = dn_csv_read(path, &o, &d, NULL, 0, &e);
        CHECK(st == DN_OK, "target %s: %s", specs[i], e.msg);
        if (st) continue;
        const char *name = col[i] == 0 ? "rooms" : "type";
        CHECK(!strcmp(d->schema->target, name), "target %s is %s", specs[i],
              d->schema->target);
        if (col[i] == 0) /* 4 distinct integers: classes 2 < 3 < 4 < 5 */
            CHECK(d->schema->n_classes == 4 && d->Y[0] == 1 && d->Y[1] == 0 &&
                  d->Y[2] == 3 && d->d == 6, "rooms Y %g", d->Y[0]);
        else /* the text target is a class; the others stay inputs */
            CHECK(d->schema->n_classes == 3 && d->Y[0] == 2 && d->Y[2] == 0 &&
                  d->d == 4 && X_(d, 0, 3) == 350000.5f, "type Y %g",
                  d->Y[0]);
        dn_data_free(d);
    }
    dn_csv_opts bad = {.target = "9"};
    CSV_FAIL("houses.csv", HOUSES, &bad, DN_EARG, "out of range",
             "5 columns");
    bad.target = "0";
    CSV_FAIL("houses.csv", HOUSES, &bad, DN_EARG, "out of range");
    bad.target = "-6";
    CSV_FAIL("houses.csv", HOUSES, &bad, DN_EARG, "out of range");
    bad.target = "cost";
    CSV_FAIL("houses.csv", HOUSES, &bad, DN_EARG, "houses.csv",
             "no column named 'cost'", "rooms, area, type, distance, price");
}

static void test_tasks(void)
{
    dn_data *d;
    dn_error e;
    char why[256];
    /* integers with more distinct values than max_classes: regression */
    const char *ages = put("ages.csv", "x,age\n1,30\n2,31\n3,32\n4,33\n");
    dn_csv_opts o = {.max_classes = 3};
    dn_status st = dn_csv_read(ages, &o, &d, why, sizeof why, &e);
    CHECK(st == DN_OK && d->schema->task == DN_TASK_REGRESSION &&
          d->Y[1] == 31, "%s", e.msg);
    CHECK(strstr(why, "4 distinct integer values, more than 3") != NULL,
          "why: %s", why);
    if (!st) dn_data_free(d);
    /* ... the same file with the default limit: 4 classes */
    st = dn_csv_read(ages, NULL, &d, NULL, 0, &e);
    CHECK(st == DN_OK && d->schema->n_classes == 4 &&
          !strcmp(d->schema->classes[3], "33") && d->Y[3] == 3, "%s", e.msg);
    if (!st) dn_data_free(d);
    /* regression forced on integers */
    o = (dn_csv_opts){.task_set = 1, .task = DN_TASK_REGRESSION};
    st = dn_csv_read(ages, &o, &d, why, sizeof why, &e);
    CHECK(st == DN_OK && d->schema->task == DN_TASK_REGRESSION &&
          d->Y[0] == 30 && strstr(why, "as the task option asks"), "%s %s",
          e.msg, why);
    if (!st) dn_data_free(d);
    /* -1/1 labels: binary, sorted numerically, names as written */
    st = dn_csv_read(put("pm.csv", "x,y\n1,1\n2,-1\n3,1.0\n4,-1\n"), NULL,
                     &d, why, sizeof why, &e);
    CHECK(st == DN_OK && d->schema->task == DN_TASK_BINARY &&
          d->schema->n_classes == 2 && !strcmp(d->schema->classes[0], "-1") &&
          !strcmp(d->schema->classes[1], "1") && d->Y[0] == 1 &&
          d->Y[1] == 0 && d->Y[2] == 1, "%s", e.msg);
    CHECK(strstr(why, "binary classification, one sigmoid output") != NULL,
          "why: %s", why);
    if (!st) dn_data_free(d);
    /* text labels, forced multiclass even with two classes */
    o = (dn_csv_opts){.task_set = 1, .task = DN_TASK_MULTICLASS};
    st = dn_csv_read(put("yn.csv", "x,y\n1,yes\n2,no\n"), &o, &d, NULL, 0,
                     &e);
    CHECK(st == DN_OK && d->schema->task == DN_TASK_MULTICLASS &&
          d->schema->n_classes == 2 && d->Y[0] == 1, "%s", e.msg);
    if (!st) dn_data_free(d);

    CSV_FAIL("real.csv", "x,y\n1,0.5\n2,1\n", &o, DN_EFORMAT, "real.csv:2:",
             "column 2 'y'", "'0.5'", "use regression");
    o.task = DN_TASK_REGRESSION;
    CSV_FAIL("yn.csv", "x,y\n1,yes\n2,no\n", &o, DN_EFORMAT, "'yes'",
             "regression needs a numeric target");
    o.task = DN_TASK_BINARY;
    CSV_FAIL("abc.csv", "x,y\n1,a\n2,b\n3,c\n", &o, DN_EFORMAT,
             "needs 2 classes", "has 3 (a, b, c)");
    CSV_FAIL("one.csv", "x,y\n1,a\n2,a\n", NULL, DN_EFORMAT, "one value only",
             "'a'", "nothing to learn");
    CSV_FAIL("zero.csv", "x,y\n1,0\n2,0\n", NULL, DN_EFORMAT,
             "one value only");
    CSV_FAIL("lone.csv", "y\n1\n2\n", NULL, DN_EFORMAT, "only column");
}

/* dn_data_set_task: classes read as another task, or refused. */
static void test_set_task(void)
{
    dn_data *d;
    dn_error e;
    /* classes "-1", "3", "7" (sorted as numbers): regression on the
     * values the names spell */
    const char *f = put("set_task.csv", "x,y\n1,7\n2,-1\n3,3\n4,7\n");
    dn_csv_opts o = {.task_set = 1, .task = DN_TASK_MULTICLASS};
    dn_status st = dn_csv_read(f, &o, &d, NULL, 0, &e);
    CHECK(st == DN_OK && d->schema->n_classes == 3, "%s", e.msg);
    if (st) return;
    CHECK(dn_data_set_task(d, DN_TASK_MULTICLASS, &e) == DN_OK &&
          d->schema->n_classes == 3 && d->Y[0] == 2, "the same task: %s", e.msg);
    CHECK_FAIL(dn_data_set_task(d, DN_TASK_BINARY, &e), DN_EFORMAT, e,
               "binary classification needs 2 classes but the target has 3",
               "use multiclass");
    st = dn_data_set_task(d, DN_TASK_REGRESSION, &e);
    CHECK(st == DN_OK && d->schema->task == DN_TASK_REGRESSION &&
          d->schema->n_classes == 0 && !d->schema->classes, "%s", e.msg);
    CHECK(d->Y[0] == 7 && d->Y[1] == -1 && d->Y[2] == 3 && d->Y[3] == 7,
          "Y %g %g %g %g", d->Y[0], d->Y[1], d->Y[2], d->Y[3]);
    CHECK_FAIL(dn_data_set_task(d, DN_TASK_MULTICLASS, &e), DN_EARG, e,
               "classes are decided when the file is read");
    dn_data_free(d);
    /* text classes have no value: refused, the targets untouched */
    st = dn_csv_read(put("set_task_text.csv", "x,y\n1,yes\n2,no\n"), NULL,
                     &d, NULL, 0, &e);
    CHECK(st == DN_OK, "%s", e.msg);
    if (st) return;
    CHECK_FAIL(dn_data_set_task(d, DN_TASK_REGRESSION, &e), DN_EFORMAT, e,
               "class 'no' is not a number", "use classification");
    CHECK(d->schema->task == DN_TASK_BINARY && d->Y[0] == 1 && d->Y[1] == 0,
          "changed by a refusal");
    CHECK(dn_data_set_task(d, DN_TASK_MULTICLASS, &e) == DN_OK &&
          d->schema->task == DN_TASK_MULTICLASS, "%s", e.msg);
    dn_data_free(d);
}

static void test_syntax(void)
{
    dn_data *d;
    dn_error e;
    /* quotes: a comma, a doubled quote and a line break inside fields;
     * a quoted number is still a number */
    const char *q = "name,\"size\",y\n"
                    "\"a,b\",\"1.5\",0\n"
                    "\"say \"\"hi\"\"\",2,1\n"
                    "\"two\nlines\",3,0\n"
                    "\"a,b\",4,1\n";
    dn_status st = dn_csv_read(put("quoted.csv", q), NULL, &d, NULL, 0, &e);
    CHECK(st == DN_OK, "%s", e.msg);
    if (!st) {
        const dn_column *c = &d->schema->col[0];
        CHECK(d->n == 4 && c->n_cats == 3 && !strcmp(c->cats[0], "a,b") &&
              !strcmp(c->cats[1], "say \"hi\"") &&
              !strcmp(c->cats[2], "two\nlines"), "cats");
        CHECK(!strcmp(d->schema->col[1].name, "size") && X_(d, 0, 3) == 1.5f &&
              X_(d, 0, 0) == 1 && X_(d, 3, 0) == 1 && X_(d, 2, 2) == 1,
              "quoted values");
        dn_data_free(d);
    }
    /* an error after a quoted line break counts physical lines */
    CSV_FAIL("ql.csv", "a,b\n\"x\ny\",1\nz,\n", &STRICT, DN_EFORMAT, "ql.csv:4:",
             "column 2 'b'", "empty cell");
    /* BOM, CRLF, spaces around numbers, blank lines, no final newline */
    const char *crlf = "\xEF\xBB\xBF" "a,b,y\r\n 1.5 , 2 ,0\r\n\r\n3,\t4e1,1";
    st = dn_csv_read(put("crlf.csv", crlf), NULL, &d, NULL, 0, &e);
    CHECK(st == DN_OK, "%s", e.msg);
    if (!st) {
        CHECK(d->n == 2 && !strcmp(d->schema->col[0].name, "a") &&
              X_(d, 0, 0) == 1.5f && X_(d, 0, 1) == 2 && X_(d, 1, 1) == 40 &&
              d->Y[1] == 1 && d->schema->task == DN_TASK_BINARY, "crlf");
        dn_data_free(d);
    }
    /* numbers in every accepted spelling */
    st = dn_csv_read(put("nums.csv", "a,y\n-.5,0\n+7.,1\n1E-3,0\n"
                         "0.1234567890123456789012,1\n12345678901234567890123,0\n"),
                     NULL, &d, NULL, 0, &e);
    CHECK(st == DN_OK, "%s", e.msg);
    if (!st) {
        CHECK(d->X[0] == -0.5f && d->X[1] == 7 && d->X[2] == 0.001f &&
              d->X[3] == 0.12345678901234567f &&
              d->X[4] == 1.2345678901234567e22f, "numbers %.9g %.9g", d->X[3],
              d->X[4]);
        dn_data_free(d);
    }
}

static void test_malformed(void)
{
    CSV_FAIL("short.csv", "a,b,c\n1,2,3\n4,5", NULL, DN_EFORMAT,
             "short.csv:3:", "2 fields", "header has 3", "column 3 'c'");
    CSV_FAIL("long.csv", "a,b,c\n1,2,3\n4,5,6,7\n", NULL, DN_EFORMAT,
             "long.csv:3:", "4 fields", "field 4 is '7'");
    CSV_FAIL("nan.csv", "a,b,y\n1,2,0\n3,NaN,1\n", &STRICT, DN_EFORMAT,
             "nan.csv:3:", "column 2 'b'", "'NaN'", "not a finite number");
    CSV_FAIL("inf.csv", "a,b,y\n1,-inf,0\n3,4,1\n", NULL, DN_EFORMAT,
             "inf.csv:2:", "column 2 'b'", "'-inf'");
    CSV_FAIL("big.csv", "a,b,y\n1,2,0\n3,1e39,1\n", NULL, DN_EFORMAT,
             "big.csv:3:", "'1e39'", "too large");
    CSV_FAIL("empty_cell.csv", "a,b,y\n1,2,0\n3,,1\n", &STRICT, DN_EFORMAT,
             "empty_cell.csv:3:", "column 2 'b'", "empty cell");
    CSV_FAIL("mixed.csv", "a,area,y\n1,2,0\n2,3,1\n3,abc,0\n", NULL,
             DN_EFORMAT, "mixed.csv:4:", "column 2 'area'",
             "cell 'abc' is not a number", "fix or remove the row");
    CSV_FAIL("badnum.csv", "a,b,y\n1,2,0\n2,1.2.3,1\n3,4,0\n", NULL,
             DN_EFORMAT, "badnum.csv:3:", "'1.2.3' is not a number");
    CSV_FAIL("mixedtext.csv", "type,b,y\nflat,2,0\nsemi,3,1\n7,4,0\n", NULL,
             DN_EFORMAT, "mixedtext.csv:4:", "column 1 'type'",
             "cell '7' is a number in a text column", "line 2 has 'flat'");
    CSV_FAIL("empty.csv", "", NULL, DN_EFORMAT, "empty.csv:", "is empty");
    CSV_FAIL("blank.csv", "\n\r\n  \n", NULL, DN_EFORMAT, "is empty");
    CSV_FAIL("head.csv", "a,b,y\n", NULL, DN_EFORMAT, "head.csv:",
             "only a header row");
    CSV_FAIL("head2.csv", "a,b,y", NULL, DN_EFORMAT, "only a header row");
    CSV_FAIL("dup.csv", "a,b,a\n1,2,3\n", NULL, DN_EFORMAT, "dup.csv:1:",
             "columns 1 and 3", "'a'");
    CSV_FAIL("noname.csv", ",b,y\n0,1,2\n", NULL, DN_EFORMAT,
             "column 1 has no name", "index=False");
    CSV_FAIL("comma.csv", "a,b,\n0,1,2\n", NULL, DN_EFORMAT,
             "column 3 has no name", "comma at the end");
    CSV_FAIL("open.csv", "a,y\n1,0\n\"x,1\n", NULL, DN_EFORMAT, "open.csv:3:",
             "never ends");
    CSV_FAIL("after.csv", "a,y\n\"x\"z,0\n", NULL, DN_EFORMAT, "after.csv:2:",
             "after the closing quote");
    /* a long value with a control byte is cut and escaped */
    char line[400];
    snprintf(line, sizeof line, "a,y\n1,0\n\x01%s,1\n",
             "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    CSV_FAIL("long_val.csv", line, NULL, DN_EFORMAT, "'\\x01xxxxx", "...'");
    static const char junk[] = "a,b\n1,2\n3\0\x01\x02,4\n";
    dn_data *d = NULL;
    dn_error e;
    dn_status st = dn_csv_read(put_bytes("bin.csv", junk, sizeof junk - 1),
                               NULL, &d, NULL, 0, &e);
    CHECK_FAIL(st, DN_EFORMAT, e, "bin.csv:3:", "NUL byte", "not a text file");
    static const unsigned char gz[] = {0x1F, 0x8B, 8, 0, 0, 0};
    st = dn_csv_read(put_bytes("z.csv", gz, sizeof gz), NULL, &d, NULL, 0, &e);
    CHECK_FAIL(st, DN_EFORMAT, e, "gzip");
    st = dn_csv_read(at("missing.csv"), NULL, &d, NULL, 0, &e);
    CHECK_FAIL(st, DN_EIO, e, "missing.csv", "cannot open");
    st = dn_csv_read(dir, NULL, &d, NULL, 0, &e);
    CHECK_FAIL(st, DN_EIO, e, "cannot read");
}

/* ---- the reader's less common spellings and options ---- */

/* The delimiter as messages name it, spaces and tabs around cells,
 * missing-value tokens in any case, UTF-16 from either end. */
static void test_spellings(void)
{
    dn_csv_opts tab = { .sep = '\t' }, pipe = { .sep = '|' },
                colon = { .sep = ':' };
    CSV_FAIL("tab.csv", "a\tb\ty\n1\t2\t0\n3\t4\n", &tab, DN_EFORMAT,
             "tab.csv:3:", "2 fields", "tab");
    CSV_FAIL("pipe.csv", "a|b|y\n1|2|0\n3|4\n", &pipe, DN_EFORMAT,
             "pipe.csv:3:", "'|'");
    CSV_FAIL("colon.csv", "a:b:y\n1:2:0\n3:4\n", &colon, DN_EFORMAT,
             "colon.csv:3:", "the delimiter");
    dn_csv_opts quote = { .sep = '"' };
    CSV_FAIL("quote.csv", "a,y\n1,0\n", &quote, DN_EARG, "the delimiter "
             "cannot be a quote, a space or a line break");
    /* A delimiter of one's own is said to be given; tabs around cells
     * of a ';' file are padding, a '+' sign is a number's. */
    dn_csv_info info;
    colon.info = &info;
    dn_data *d;
    dn_error e;
    dn_status st = dn_csv_read(put("colon2.csv", "a:b:y\n\t+1.5 :x:0\n"
                                   "2\t: y :1\n3:x:0\n"), &colon, &d, NULL,
                               0, &e);
    CHECK(st == DN_OK, "%s", e.msg);
    if (!st) {
        CHECK(strstr(info.note, "fields separated by ':' (as given)") &&
              X_(d, 0, 0) == 1.5f && X_(d, 1, 0) == 2 &&
              d->schema->col[1].n_cats == 2 &&
              !strcmp(d->schema->col[1].cats[1], "y"), "note '%s', %g %g",
              info.note, X_(d, 0, 0), X_(d, 1, 0));
        dn_data_free(d);
    }
    /* NA tokens matched whatever their case and the spaces around them;
     * an empty token list leaves only the empty cell missing. */
    dn_csv_opts na = { .na = "none,N/A", .info = &info };
    st = dn_csv_read(put("na.csv", "a,b,y\n1, NONE ,0\n2,n/a,1\n3,4,0\n"
                         "4,,1\n"), &na, &d, NULL, 0, &e);
    CHECK(st == DN_OK && info.missing == 3, "%s; %d missing", e.msg,
          info.missing);
    if (!st) dn_data_free(d);
    dn_csv_opts none = { .na = "" };
    CSV_FAIL("na2.csv", "a,b,y\n1,NA,0\n2,3,1\n", &none, DN_EFORMAT,
             "na2.csv:2:", "'NA' is not a number");
    /* Spaces around integer classes, weights and option lists; a cell
     * of spaces alone is empty. */
    dn_csv_opts wsp = { .weight = "w", .drop = " b ", .info = &info };
    st = dn_csv_read(put("sp.csv", "a,b,w,y\n1,0, 2 , 1\n2,0,1,2 \n"
                         "3,0,1, 1\n4,0,3,2\n"), &wsp, &d, NULL, 0, &e);
    CHECK(st == DN_OK, "%s", e.msg);
    if (!st) {
        CHECK(d->schema->n_classes == 2 && !strcmp(d->schema->classes[0], "1")
              && !strcmp(d->schema->classes[1], "2") && d->w && d->w[0] == 2
              && d->w[3] == 3 && d->schema->n_cols == 1, "classes '%s' '%s', "
              "weight %g", d->schema->classes[0], d->schema->classes[1],
              d->w ? d->w[0] : -1);
        dn_data_free(d);
    }
    dn_csv_opts empty_name = { .drop = "a,,b" };
    CSV_FAIL("sp2.csv", "a,b,c,y\n1,2,3,0\n2,3,4,1\n", &empty_name, DN_EARG,
             "no column named '' to drop");
    CSV_FAIL("sp3.csv", "a,b,y\n1,2,0\n3,   ,1\n", &STRICT, DN_EFORMAT,
             "sp3.csv:3:", "column 2 'b'", "empty cell");
    /* A column with no value at all is left out, and said so. */
    dn_csv_opts told = { .info = &info };
    st = dn_csv_read(put("novals.csv", "a,b,y\n1,,0\n2,NA,1\n3,,0\n"),
                     &told, &d, NULL, 0, &e);
    CHECK(st == DN_OK && d->schema->n_cols == 1 &&
          strstr(info.note, "'b'") && strstr(info.note, "no values"),
          "%s; %s", e.msg, info.note);
    if (!st) dn_data_free(d);
    static const unsigned char be[] = { 0xFE, 0xFF, 0, 'a', 0, ',' };
    st = dn_csv_read(put_bytes("be.csv", be, sizeof be), NULL, &d, NULL, 0,
                     &e);
    CHECK_FAIL(st, DN_EFORMAT, e, "be.csv", "UTF-16");
}

/* Columns named like an ID ("user_id", "item-id", "order id",
 * "customerID") with a distinct integer in every row are left out, a
 * name that merely ends in "id" is not. */
static void test_id_names(void)
{
    char csv[4096];
    int n = snprintf(csv, sizeof csv, "user_id,item-id,order id,customerID,"
                     "paid,Id2,y\n");
    for (int r = 0; r < 24; r++)
        n += snprintf(csv + n, sizeof csv - n, "%d,%d,%d,%d,%d,%d,%d\n",
                      100 + r, 7 * r, 3 * r + 1, 1000 - r, 5 * r, r, r % 2);
    dn_csv_info info;
    dn_csv_opts o = { .info = &info };
    dn_data *d;
    dn_error e;
    dn_status st = dn_csv_read(put("ids.csv", csv), &o, &d, NULL, 0, &e);
    CHECK(st == DN_OK, "%s", e.msg);
    if (st) return;
    CHECK(d->schema->n_cols == 2 && !strcmp(d->schema->col[0].name, "paid") &&
          !strcmp(d->schema->col[1].name, "Id2") && info.dropped_cols == 4,
          "%d columns kept (%s), %d dropped: %s", d->schema->n_cols,
          d->schema->col[0].name, info.dropped_cols, info.note);
    CHECK(strstr(info.note, "'user_id'") && strstr(info.note, "'customerID'"),
          "the note names the ID columns: %s", info.note);
    dn_data_free(d);
    /* Repeated values are no identifiers, whatever the name. */
    n = snprintf(csv, sizeof csv, "user_id,y\n");
    for (int r = 0; r < 24; r++)
        n += snprintf(csv + n, sizeof csv - n, "%d,%d\n", r / 2, r % 2);
    st = dn_csv_read(put("ids2.csv", csv), &o, &d, NULL, 0, &e);
    CHECK(st == DN_OK && d->schema->n_cols == 1 && info.dropped_cols == 0,
          "%s; %s", e.msg, info.note);
    if (!st) dn_data_free(d);
}

/* What the options name: a column cannot be both target and dropped, or
 * both weights and a category; all weights 0, every input dropped, a
 * forced task that does not exist, a target number of many digits, and
 * the header's columns listed (cut short) when a name is not there. */
static void test_roles(void)
{
    dn_csv_opts drop_y = { .drop = "y" }, two = { .weight = "w",
                                                  .categorical = "w" };
    CSV_FAIL("role1.csv", "a,w,y\n1,1,0\n2,1,1\n", &drop_y, DN_EARG,
             "column 'y' is the target; it cannot also be dropped");
    CSV_FAIL("role2.csv", "a,w,y\n1,1,0\n2,1,1\n", &two, DN_EARG,
             "column 'w' is named for two roles");
    dn_csv_opts w = { .weight = "w" };
    CSV_FAIL("role3.csv", "a,w,y\n1,0,0\n2,0,1\n", &w, DN_EFORMAT,
             "every row's weight is 0");
    dn_csv_opts drop_all = { .drop = "a, b" };
    CSV_FAIL("role4.csv", "a,b,y\n1,2,0\n2,3,1\n", &drop_all, DN_EFORMAT,
             "no input columns are left", "a network needs at least one");
    dn_csv_opts task = { .task_set = 1, .task = (dn_task)9 };
    CSV_FAIL("role5.csv", "a,y\n1,0\n2,1\n", &task, DN_EARG, "unknown task 9");
    dn_csv_opts far = { .target = "12345678901" };
    CSV_FAIL("role6.csv", "a,y\n1,0\n2,1\n", &far, DN_EARG,
             "target column 12345678901 is out of range");
    char head[8192];
    int n = 0;
    for (int c = 0; c < 60; c++)
        n += snprintf(head + n, sizeof head - n, "%scolumn_number_%02d",
                      c ? "," : "", c);
    n += snprintf(head + n, sizeof head - n, "\n");
    for (int c = 0; c < 60; c++)
        n += snprintf(head + n, sizeof head - n, "%s%d", c ? "," : "", c);
    snprintf(head + n, sizeof head - n, "\n");
    dn_csv_opts nope = { .target = "nope" };
    CSV_FAIL("wide.csv", head, &nope, DN_EARG, "no column named 'nope' for "
             "the target", "column_number_00, column_number_01", "more)");
}

/* A header of more than 10^6 columns is refused as it is read. */
static void test_wide_header(void)
{
    const size_t cols = 1048577;  /* the table grows to 2^20 first */
    char *text = malloc(2 * cols + 8);
    for (size_t c = 0; c < cols; c++) {
        text[2 * c] = 'a';
        text[2 * c + 1] = ',';
    }
    memcpy(text + 2 * cols - 1, "\n1\n", 4);
    CSV_FAIL("widehead.csv", text, NULL, DN_EFORMAT, "widehead.csv:1:",
             "more than 1000000 columns in the header");
    free(text);
}

/* More than 10^6 numeric inputs (the header allows up to 2^20 columns):
 * refused by the input limit, with the columns, not a text column, to
 * blame. */
static void test_many_inputs(void)
{
    const int cols = 1000002;
    char *text = malloc((size_t)cols * 11 + 8), *p = text;
    for (int c = 0; c < cols; c++) p += sprintf(p, "%sc%d", c ? "," : "", c);
    *p++ = '\n';
    for (int c = 0; c < cols; c++) { *p++ = '0'; *p++ = ','; }
    memcpy(p - 1, "\n", 2);
    CSV_FAIL("inputs.csv", text, NULL, DN_EFORMAT, "1000001 inputs after "
             "one-hot encoding is too many for 1 rows (4 MB;",
             "the file has 1000001 numeric input columns: drop some");
    free(text);
}

/* A schema from elsewhere that cannot encode CSV rows is refused, each
 * way named; a good one reads through a descriptor as by path. */
static void test_bad_schemas(void)
{
    dn_data *train = NULL, *d = (dn_data *)1;
    dn_error e;
    const char *path = put("sch.csv", "size,kind,y\n1,a,x\n2,b,y\n3,a,x\n");
    if (dn_csv_read(path, NULL, &train, NULL, 0, &e)) {
        CHECK(0, "%s", e.msg);
        return;
    }
    dn_schema *s = train->schema;
    dn_status st;
#define SCHEMA_FAIL(...) do { \
    d = (dn_data *)1; \
    st = dn_csv_read_with(path, s, 1, &d, &e); \
    CHECK_FAIL(st, DN_EARG, e, "the schema cannot encode the rows of a CSV", \
               __VA_ARGS__); \
    CHECK(d == NULL, "out not NULL"); \
} while (0)
    int n_cols = s->n_cols;
    s->n_cols = 0;
    SCHEMA_FAIL("it has no columns to find in the header");
    s->n_cols = n_cols;
    char *name = s->col[0].name;
    s->col[0].name = NULL;
    SCHEMA_FAIL("its column 1 has no name");
    s->col[0].name = name;
    int cats = s->col[1].n_cats;
    s->col[1].n_cats = -1;
    SCHEMA_FAIL("its column 'kind' has -1 categories");
    s->col[1].n_cats = cats;
    char *cat = s->col[1].cats[1];
    s->col[1].cats[1] = NULL;
    SCHEMA_FAIL("its column 'kind' has a category without a name (number 2)");
    s->col[1].cats[1] = cat;
    s->n_in++;
    SCHEMA_FAIL("its 2 columns encode 3 inputs, but it says 4");
    s->n_in--;
    dn_task task = s->task;
    s->task = (dn_task)9;
    SCHEMA_FAIL("unknown task 9");
    s->task = task;
    int k = s->n_classes;
    s->n_classes = 0;
    SCHEMA_FAIL("a binary task without classes");
    s->n_classes = k;
#undef SCHEMA_FAIL
    int fd = open(path, O_RDONLY);
    st = dn_csv_read_with_fd(fd, path, s, 1, &d, &e);
    CHECK(st == DN_OK && d->n == 3 && d->Y[1] == 1 && X_(d, 2, 0) == 3,
          "through a descriptor: %s", e.msg);
    if (!st) dn_data_free(d);
    if (fd >= 0) close(fd);
    /* A numeric column without a fill (a model from before missing
     * values were read) cannot take a missing cell. */
    s->col[0].has_fill = 0;
    st = dn_csv_read_with(put("sch2.csv", "size,kind,y\nNA,a,x\n"), s, 1, &d,
                          &e);
    CHECK_FAIL(st, DN_EFORMAT, e, "sch2.csv:2:", "column 1 'size'",
               "the schema has no value to fill it with");
    /* Strict: an empty text cell is an error there too. */
    int fdx = open(put("sch3.csv", "size,kind,y\n1,,x\n"), O_RDONLY);
    st = dn_csv_read_with_opts(fdx, at("sch3.csv"), s, 1, &STRICT, &d, &e);
    CHECK_FAIL(st, DN_EFORMAT, e, "sch3.csv:2:", "column 2 'kind'",
               "empty cell");
    if (fdx >= 0) close(fdx);
    dn_data_free(train);
}

/* ---- reading with a schema ---- */

static void test_read_with(void)
{
    dn_data *train, *d;
    dn_error e;
    dn_status st = dn_csv_read(put("houses.csv", HOUSES), NULL, &train, NULL,
                               0, &e);
    CHECK(st == DN_OK, "%s", e.msg);
    if (st) return;
    const dn_schema *s = train->schema;
    /* columns in another order, an extra one, no target */
    const char *pred = put("pred.csv", "distance,note,type,area,rooms\n"
                                       "2.5,x,semi,120.5,3\n"
                                       "1,y,flat,60,1\n");
    st = dn_csv_read_with(pred, s, 0, &d, &e);
    CHECK(st == DN_OK, "%s", e.msg);
    if (!st) {
        CHECK(d->n == 2 && d->d == 6 && d->k == 0 && d->Y == NULL, "shape");
        CHECK(memcmp(d->X, train->X, 6 * sizeof *d->X) == 0, "row 1 encoded "
              "as in training");
        CHECK(X_(d, 1, 0) == 1 && X_(d, 1, 1) == 60 && X_(d, 1, 3) == 1 &&
              X_(d, 1, 5) == 1, "row 2");
        dn_data_free(d);
    }
    /* need_target 0 still reads a target that is there */
    st = dn_csv_read_with(at("houses.csv"), s, 0, &d, &e);
    CHECK(st == DN_OK && d->k == 1 && d->Y && d->Y[2] == 520000.25f &&
          d->schema != s && !strcmp(d->schema->target, "price"), "%s", e.msg);
    if (!st) dn_data_free(d);
    /* ... but leaves out one that does not encode: rows to predict */
    st = dn_csv_read_with(put("blank.csv", "rooms,area,type,distance,price\n"
                              "3,100,flat,1,\n"), s, 0, &d, &e);
    CHECK(st == DN_OK && d->Y == NULL && d->k == 0 && d->X[3] == 1, "%s",
          e.msg);
    if (!st) dn_data_free(d);
    st = dn_csv_read_with_opts(-1, at("blank.csv"), s, 1, &STRICT, &d, &e);
    CHECK_FAIL(st, DN_EFORMAT, e, "blank.csv:2:", "column 5 'price'",
               "empty cell");
    /* (by default the row without a target is left out: none is left) */
    st = dn_csv_read_with(at("blank.csv"), s, 1, &d, &e);
    CHECK_FAIL(st, DN_EFORMAT, e, "blank.csv", "target column 'price' is "
               "missing in every row");
    st = dn_csv_read_with(pred, s, 1, &d, &e);
    CHECK_FAIL(st, DN_EFORMAT, e, "target column 'price' is missing");
    /* with the target: the same encoding as the training read */
    st = dn_csv_read_with(at("houses.csv"), s, 1, &d, &e);
    CHECK(st == DN_OK && d->n == 4 && d->k == 1 &&
          !memcmp(d->X, train->X, 24 * sizeof *d->X) &&
          !memcmp(d->Y, train->Y, 4 * sizeof *d->Y), "%s", e.msg);
    if (!st) dn_data_free(d);
    /* a category not seen in training: all zeros, counted */
    dn_csv_info info;
    dn_csv_opts io = { .info = &info };
    st = dn_csv_read_with_opts(-1, put("castle.csv", "rooms,area,type,distance\n"
                               "3,100,flat,1\n9,900,castle,7\n"), s, 0, &io,
                               &d, &e);
    CHECK(st == DN_OK && d->n == 2 && X_(d, 0, 3) == 1 && X_(d, 1, 2) == 0 &&
          X_(d, 1, 3) == 0 && X_(d, 1, 4) == 0 && X_(d, 1, 5) == 7 &&
          info.unseen == 1 && strstr(info.note, "line 3, column 'type' = "
                                     "'castle'"), "%s / %s", e.msg, info.note);
    if (!st) dn_data_free(d);
    st = dn_csv_read_with(put("noarea.csv", "rooms,type,distance\n3,flat,1\n"),
                          s, 0, &d, &e);
    CHECK_FAIL(st, DN_EFORMAT, e, "noarea.csv", "column 'area' is missing",
               "rooms, type, distance");
    st = dn_csv_read_with(put("txt.csv", "rooms,area,type,distance\n"
                              "3,big,flat,1\n"), s, 0, &d, &e);
    CHECK_FAIL(st, DN_EFORMAT, e, "txt.csv:2:", "column 2 'area'",
               "'big' is not a number");
    dn_data_free(train);

    /* class labels: known by text or by value, unknown ones named */
    st = dn_csv_read(put("cls.csv", "x,y\n1,0\n2,1\n3,2\n"), NULL, &train,
                     NULL, 0, &e);
    CHECK(st == DN_OK, "%s", e.msg);
    if (st) return;
    st = dn_csv_read_with(put("cls2.csv", "y,x\n2.0,5\n1,6\n"), train->schema,
                          1, &d, &e);
    CHECK(st == DN_OK && d->Y[0] == 2 && d->Y[1] == 1 && d->X[0] == 5, "%s",
          e.msg);
    if (!st) dn_data_free(d);
    st = dn_csv_read_with(put("cls3.csv", "x,y\n1,0\n2,7\n"), train->schema,
                          1, &d, &e);
    CHECK_FAIL(st, DN_EFORMAT, e, "cls3.csv:3:", "class '7'", "(0, 1, 2)");
    dn_data_free(train);
}

/* ---- IDX ---- */

/* An IDX header: magic then big-endian dimensions. */
static size_t idx_head(unsigned char *b, uint32_t magic, const uint32_t *dim,
                       int nd)
{
    uint32_t v[4] = {magic, dim[0], nd > 1 ? dim[1] : 0, nd > 2 ? dim[2] : 0};
    for (int i = 0; i <= nd; i++)
        for (int j = 0; j < 4; j++) b[4 * i + j] = (unsigned char)(v[i] >> (24 - 8 * j));
    return 4 + 4 * (size_t)nd;
}

static void test_idx_good(void)
{
    unsigned char img[64], lab[16];
    uint32_t dim[3] = {3, 2, 2};
    size_t h = idx_head(img, 0x803, dim, 3);
    for (int i = 0; i < 12; i++) img[h + i] = (unsigned char)(i * 20 + 15);
    size_t hl = idx_head(lab, 0x801, dim, 1);
    lab[hl] = 2, lab[hl + 1] = 0, lab[hl + 2] = 4;
    char paths[2][2][256];
    strcpy(paths[0][0], put_bytes("img.idx", img, h + 12));
    strcpy(paths[0][1], put_bytes("lab.idx", lab, hl + 3));
    strcpy(paths[1][0], put_gz("img.idx.gz", img, h + 12));
    strcpy(paths[1][1], put_gz("lab.idx.gz", lab, hl + 3));
    for (int z = 0; z < 2; z++) {
        dn_data *d;
        dn_error e;
        dn_status st = dn_idx_read(paths[z][0], paths[z][1], &d, &e);
        CHECK(st == DN_OK, "%s", e.msg);
        if (st) continue;
        CHECK(d->n == 3 && d->d == 4 && d->k == 1, "shape %d %d", d->n, d->d);
        CHECK(d->X[0] == 15 / 255.0f && d->X[11] == 235 / 255.0f, "pixels");
        CHECK(d->Y[0] == 2 && d->Y[1] == 0 && d->Y[2] == 4, "labels");
        const dn_schema *s = d->schema;
        CHECK(s->img_rows == 2 && s->img_cols == 2 && s->n_cols == 4 &&
              s->n_in == 4 && !strcmp(s->col[3].name, "px3"), "schema");
        CHECK(s->n_classes == 5 && !strcmp(s->classes[4], "4") &&
              s->task == DN_TASK_MULTICLASS && !strcmp(s->target, "label"),
              "classes");
        CHECK(dn_idx_detect(paths[z][0]) == 1 && dn_idx_detect(paths[z][1]) == 1,
              "detect");
        dn_data_free(d);
    }
    dn_data *d, *c;
    dn_error e;
    dn_status st = dn_idx_read(paths[1][0], NULL, &d, &e);
    CHECK(st == DN_OK && d->Y == NULL && d->k == 0 && d->n == 3, "%s", e.msg);
    if (!st) dn_data_free(d);
    /* an IDX schema reads a CSV of the same pixels by column name */
    st = dn_idx_read(paths[0][0], paths[0][1], &d, &e);
    if (!st) {
        st = dn_csv_read_with(put("px.csv", "label,px3,px2,px1,px0\n"
                                            "3,1,0.5,0.25,0\n"),
                              d->schema, 1, &c, &e);
        CHECK(st == DN_OK && c->n == 1 && c->d == 4 && c->X[0] == 0 &&
              c->X[1] == 0.25f && c->X[3] == 1 && c->Y[0] == 3 &&
              c->schema->img_rows == 2, "%s", e.msg);
        if (!st) dn_data_free(c);
        dn_data_free(d);
    }
    /* labels 0/1: binary */
    lab[hl] = 1, lab[hl + 2] = 1;
    st = dn_idx_read(paths[0][0], put_bytes("lab01.idx", lab, hl + 3), &d, &e);
    CHECK(st == DN_OK && d->schema->task == DN_TASK_BINARY &&
          d->schema->n_classes == 2, "%s", e.msg);
    if (!st) dn_data_free(d);
    CHECK(dn_idx_detect("data/iris.csv") == 0, "a CSV is not IDX");
    CHECK(dn_idx_detect(at("nothing.idx")) == 0, "no file");
}

/* Runs dn_idx_read on an images file (and labels) that must fail. */
/* One model trained on a data set read as floats (dn_idx_read) and as
 * bytes (dn_idx_read_u8): the weights and metrics must match bit for bit,
 * through the split, the scaling, mini-batch training (one thread, and
 * gathers split over threads with layer 0 fused), evaluation and a
 * full-batch solver. */
static void train_both(const dn_data *tf, const dn_data *vf, const dn_data *t8,
                       const dn_data *v8, int batch, int threads, int full)
{
    dn_error e;
    dn_model *m[2] = { NULL, NULL };
    dn_metrics mt[2];
    const dn_data *tr[2] = { tf, t8 }, *va[2] = { vf, v8 };
    for (int z = 0; z < 2; z++) {
        dn_arch a = { .n_in = tf->d, .n_layers = 1,
                      .layer = { { .units = 16, .act = DN_ACT_RELU } } };
        dn_status st = dn_arch_set_task(&a, DN_TASK_MULTICLASS, 4, &e);
        if (!st) st = dn_model_new(&a, &m[z], &e);
        if (!st) {
            dn_model_init(m[z], DN_INIT_DEFAULT, 0, 7);
            st = dn_model_fit_scaling(m[z], tr[z], &e);
        }
        dn_train_opts o;
        dn_train_defaults(&o);
        o.epochs = 3;
        o.threads = threads;
        if (!full) {   /* (a solver refuses the mini-batch settings) */
            o.batch = batch;
            o.eta = 0.05;
        }
        if (!st && full) {
            dn_solver_conf c;
            dn_solver_defaults(&c, DN_SOLVER_LBFGS);
            st = dn_train_full(m[z], tr[z], va[z], &c, &o, NULL, &e);
        } else if (!st) {
            st = dn_train(m[z], tr[z], va[z], &o, NULL, &e);
        }
        if (!st) st = dn_evaluate(m[z], va[z], &mt[z], &e);
        CHECK(st == DN_OK, "%s", e.msg);
        if (st) goto out;
    }
    CHECK(!memcmp(dn_model_params(m[0]), dn_model_params(m[1]),
                  dn_model_n_params(m[0]) * sizeof(float)) &&
          !memcmp(dn_model_mean(m[0]), dn_model_mean(m[1]),
                  (size_t)tf->d * sizeof(float)) &&
          !memcmp(dn_model_std(m[0]), dn_model_std(m[1]),
                  (size_t)tf->d * sizeof(float)),
          "bytes train like floats (batch %d, %d threads, full %d)", batch,
          threads, full);
    CHECK(mt[0].loss == mt[1].loss && mt[0].accuracy == mt[1].accuracy,
          "bytes evaluate like floats: loss %.9g %.9g", mt[0].loss,
          mt[1].loss);
out:
    dn_model_free(m[0]);
    dn_model_free(m[1]);
}

static void test_idx_bytes(void)
{
    enum { N = 600, S = 8 };
    static unsigned char img[16 + N * S * S], lab[8 + N];
    uint32_t dim[3] = {N, S, S};
    size_t h = idx_head(img, 0x803, dim, 3), hl = idx_head(lab, 0x801, dim, 1);
    uint32_t r = 12345;
    for (int i = 0; i < N; i++) {
        int c = i % 4;
        lab[hl + i] = (unsigned char)c;
        for (int j = 0; j < S * S; j++) {
            r = r * 1103515245u + 12345u;
            int v = (int)(r >> 24) / 2 + (j % 4 == c ? 120 : 0);
            img[h + (size_t)i * S * S + j] = (unsigned char)v;
        }
    }
    /* Every byte value once, for dn_data_floats against dn_idx_read. */
    for (int v = 0; v < 256; v++) img[h + v] = (unsigned char)v;
    char ip[256];
    strcpy(ip, put_gz("bytes.idx.gz", img, h + (size_t)N * S * S));
    const char *lp = put_bytes("bytes-labels.idx", lab, hl + N);
    dn_data *f = NULL, *b = NULL, *tf = NULL, *vf = NULL, *t8 = NULL,
            *v8 = NULL;
    dn_error e;
    dn_status st = dn_idx_read(ip, lp, &f, &e);
    if (!st) st = dn_idx_read_u8(ip, lp, &b, &e);
    CHECK(st == DN_OK, "%s", e.msg);
    if (st) goto out;
    CHECK(f->X && !f->bytes && b->bytes && !b->X && b->n == N && b->d == S * S &&
          b->k == 1 && b->schema && b->schema->n_classes == 4 &&
          !memcmp(b->bytes, img + h, (size_t)N * S * S) &&
          !memcmp(f->Y, b->Y, N * sizeof *f->Y), "bytes read");
    st = dn_data_split(f, 0.25, 3, &tf, &vf, &e);
    if (!st) st = dn_data_split(b, 0.25, 3, &t8, &v8, &e);
    CHECK(st == DN_OK, "%s", e.msg);
    if (st) goto out;
    CHECK(t8->bytes && !t8->X && v8->bytes && t8->n == tf->n && v8->n == vf->n,
          "a byte split stays bytes");
    train_both(tf, vf, t8, v8, 32, 1, 0);
    train_both(tf, vf, t8, v8, 300, 4, 0);
    train_both(tf, vf, t8, v8, 0, 1, 1);
    /* dn_data_floats gives what dn_idx_read gave. */
    st = dn_data_floats(b, &e);
    CHECK(st == DN_OK && b->X && !b->bytes &&
          !memcmp(b->X, f->X, (size_t)N * S * S * sizeof *f->X),
          "dn_data_floats");
    st = dn_data_floats(b, &e);
    CHECK(st == DN_OK && b->X, "dn_data_floats twice");
out:
    dn_data_free(f);
    dn_data_free(b);
    dn_data_free(tf);
    dn_data_free(vf);
    dn_data_free(t8);
    dn_data_free(v8);
}

static void idx_fail(const char *img, const char *lab, dn_status want,
                     const char *p1, const char *p2, int line)
{
    dn_data *d = (dn_data *)1;
    dn_error e = {0};
    dn_status st = dn_idx_read(img, lab, &d, &e);
    CHECK(st == want && strstr(e.msg, p1) && (!p2 || strstr(e.msg, p2)) &&
          d == NULL, "line %d: %s: %s", line, dn_status_name(st), e.msg);
}

static void test_idx_bad(void)
{
    unsigned char b[128] = {0}, l[16] = {0};
    uint32_t dim[3] = {2, 2, 3};
    size_t h = idx_head(b, 0x803, dim, 3), hl = idx_head(l, 0x801, dim, 1);
    char good[256];
    strcpy(good, put_bytes("good.idx", b, h + 12));
    /* the labels file given as images, and the other way round */
    idx_fail(put_bytes("l.idx", l, hl + 2), NULL, DN_EFORMAT,
             "labels file (magic 0x00000801)", "--labels", __LINE__);
    idx_fail(good, good, DN_EFORMAT, "images file (magic 0x00000803)",
             "labels (0x00000801)", __LINE__);
    idx_fail(put("txt.idx", "px0,px1\n1,2\n"), NULL, DN_EFORMAT,
             "magic number 0x7078302C", "0x00000803", __LINE__);
    unsigned char f[16];
    idx_head(f, 0xD03, dim, 3);
    idx_fail(put_bytes("float.idx", f, 16), NULL, DN_EFORMAT,
             "type 0x0D (float)", NULL, __LINE__);
    idx_fail(put_bytes("tiny.idx", b, 2), NULL, DN_EFORMAT, "too short",
             NULL, __LINE__);
    idx_fail(put_bytes("head.idx", b, 9), NULL, DN_EFORMAT,
             "inside the header", NULL, __LINE__);
    /* plain: the size must match the header exactly */
    idx_fail(put_bytes("trunc.idx", b, h + 10), NULL, DN_EFORMAT,
             "truncated: the file has 26 bytes", "promises 28", __LINE__);
    idx_fail(put_bytes("trail.idx", b, h + 13), NULL, DN_EFORMAT,
             "trailing bytes: the file has 29 bytes", "promises 28",
             __LINE__);
    /* gzipped: the same, found while reading */
    idx_fail(put_gz("trunc.gz", b, h + 10), NULL, DN_EFORMAT,
             "truncated: expected 12 bytes after the header, got 10", NULL,
             __LINE__);
    idx_fail(put_gz("trail.gz", b, h + 13), NULL, DN_EFORMAT,
             "trailing bytes", NULL, __LINE__);
    /* a gzip stream cut short, and one with a damaged checksum */
    unsigned char big[16 + 4000];
    uint32_t many[3] = {10, 20, 20};
    idx_head(big, 0x803, many, 3);
    for (int i = 16; i < (int)sizeof big; i++) big[i] = (unsigned char)(i * 7919 >> 3);
    const char *cut = put_gz("cut.gz", big, sizeof big);
    struct stat sb;
    CHECK(stat(cut, &sb) == 0 && truncate(cut, sb.st_size / 2) == 0,
          "cannot cut %s", cut);
    idx_fail(cut, NULL, DN_EFORMAT, "truncated: expected 4000 bytes after the "
             "header, got", NULL, __LINE__);
    const char *crc = put_gz("crc.gz", big, sizeof big);
    FILE *g = fopen(crc, "r+b");
    int c = g && fseek(g, -8, SEEK_END) == 0 ? fgetc(g) : EOF;
    int flipped = c != EOF && fseek(g, -8, SEEK_END) == 0 &&
                  fputc(c ^ 0xFF, g) != EOF; /* the CRC's first byte */
    if (g) fclose(g);
    CHECK(flipped, "cannot damage %s", crc);
    idx_fail(crc, NULL, DN_EFORMAT, "crc.gz: cannot read: incorrect data "
             "check", "damaged", __LINE__);
    /* absurd dimensions in a 100-byte file */
    uint32_t huge[3] = {1u << 31, 28, 28};
    idx_head(b, 0x803, huge, 3);
    idx_fail(put_bytes("huge.idx", b, 100), NULL, DN_EFORMAT,
             "dimension 1 is 2147483648", NULL, __LINE__);
    uint32_t wide[3] = {1u << 30, 1u << 20, 1u << 20};
    idx_head(b, 0x803, wide, 3);
    idx_fail(put_gz("wide.gz", b, 100), NULL, DN_EFORMAT,
             "beyond the limits", NULL, __LINE__);
    uint32_t zero[3] = {5, 0, 28};
    idx_head(b, 0x803, zero, 3);
    idx_fail(put_bytes("zero.idx", b, 100), NULL, DN_EFORMAT,
             "dimension 2 is 0", NULL, __LINE__);
    /* labels that do not belong to the images */
    uint32_t three[1] = {3};
    hl = idx_head(l, 0x801, three, 1);
    l[hl] = 1, l[hl + 1] = 0, l[hl + 2] = 1;
    idx_fail(good, put_bytes("l3.idx", l, hl + 3), DN_EFORMAT,
             "has 3 labels", "has 2 images", __LINE__);
    uint32_t two[1] = {2};
    hl = idx_head(l, 0x801, two, 1);
    l[hl] = l[hl + 1] = 0;
    idx_fail(good, put_bytes("l0.idx", l, hl + 2), DN_EFORMAT,
             "every label is 0", NULL, __LINE__);
    idx_fail(at("none.idx"), NULL, DN_EIO, "cannot open", NULL, __LINE__);
}

/* A gzipped header that promises 1.5 GB of pixels but holds 10 bytes
 * must fail as truncated without reserving memory for the promise: in
 * a child limited to 512 MiB of address space, an up-front allocation
 * would turn the answer into "out of memory". */
static void test_idx_lying_gzip(void)
{
    unsigned char b[64] = {0};
    uint32_t dim[3] = {2000000, 28, 28};
    size_t h = idx_head(b, 0x803, dim, 3);
    const char *path = put_gz("lie.gz", b, h + 10);
    idx_fail(path, NULL, DN_EFORMAT, "truncated", "got 10", __LINE__);
#if defined(__SANITIZE_ADDRESS__)
    return; /* ASan reserves terabytes of address space: no limit here */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    return;
#endif
#endif
    if (getenv("DN_NO_RLIMIT")) return; /* e.g. under valgrind */
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit r = {512L << 20, 512L << 20};
        setrlimit(RLIMIT_AS, &r);
        dn_data *d;
        dn_error e;
        exit(dn_idx_read(path, NULL, &d, &e) == DN_EFORMAT ? 0 : 1);
    }
    int ws = -1;
    waitpid(pid, &ws, 0);
    CHECK(pid > 0 && WIFEXITED(ws) && WEXITSTATUS(ws) == 0,
          "a lying gzip header reserved memory (status %d)", ws);
}

/* ---- split and schema copies ---- */

/* The original row of each of part's rows (rows are distinct in X). */
static int origins(const dn_data *all, const dn_data *part, int *org)
{
    int ordered = 1;
    for (int i = 0; i < part->n; i++) {
        org[i] = -1;
        for (int r = 0; r < all->n && org[i] < 0; r++)
            if (!memcmp(all->X + (size_t)r * all->d,
                        part->X + (size_t)i * all->d, all->d * sizeof(float)) &&
                all->Y[r] == part->Y[i])
                org[i] = r;
        ordered &= org[i] >= 0 && (i == 0 || org[i] > org[i - 1]);
    }
    return ordered;
}

static void test_split(void)
{
    dn_data *all, *tr, *va, *tr2, *va2;
    dn_error e;
    /* wine: its rows are distinct, so each part's rows can be traced */
    dn_status st = dn_csv_read("data/wine.csv", NULL, &all, NULL, 0, &e);
    CHECK(st == DN_OK, "%s", e.msg);
    if (st) return;
    int per[3] = {0}, val_per[3] = {0}, tr_per[3] = {0};
    for (int i = 0; i < all->n; i++) per[(int)all->Y[i]]++;
    st = dn_data_split(all, 0.25, 7, &tr, &va, &e);
    CHECK(st == DN_OK, "%s", e.msg);
    if (st) {
        dn_data_free(all);
        return;
    }
    for (int i = 0; i < va->n; i++) val_per[(int)va->Y[i]]++;
    for (int i = 0; i < tr->n; i++) tr_per[(int)tr->Y[i]]++;
    /* wine: 59, 71, 48 rows → round(0.25·count) = 15, 18, 12 */
    CHECK(per[0] == 59 && per[1] == 71 && per[2] == 48, "class counts");
    CHECK(val_per[0] == 15 && val_per[1] == 18 && val_per[2] == 12,
          "validation per class %d %d %d", val_per[0], val_per[1],
          val_per[2]);
    CHECK(tr_per[0] == 44 && tr_per[1] == 53 && tr_per[2] == 36,
          "training per class");
    CHECK(va->n == 45 && tr->n == 133 && va->d == 13 && tr->k == 1, "sizes");
    int org_t[178], org_v[178], seen[178] = {0};
    CHECK(origins(all, tr, org_t) && origins(all, va, org_v),
          "rows keep the file order");
    int all_once = 1;
    for (int i = 0; i < tr->n; i++) seen[org_t[i]]++;
    for (int i = 0; i < va->n; i++) seen[org_v[i]]++;
    for (int i = 0; i < 178; i++) all_once &= seen[i] == 1;
    CHECK(all_once, "every row in exactly one part");
    CHECK(tr->schema && va->schema && tr->schema != all->schema &&
          va->schema != tr->schema &&
          !strcmp(va->schema->classes[1], "class_1"), "own schema copies");
    /* the same seed, the same split; another seed, another one */
    st = dn_data_split(all, 0.25, 7, &tr2, &va2, &e);
    CHECK(st == DN_OK && va2->n == va->n &&
          !memcmp(va2->X, va->X, (size_t)va->n * va->d * sizeof(float)),
          "same seed");
    if (!st) { dn_data_free(tr2); dn_data_free(va2); }
    st = dn_data_split(all, 0.25, 8, &tr2, &va2, &e);
    CHECK(st == DN_OK && va2->n == va->n &&
          memcmp(va2->X, va->X, (size_t)va->n * va->d * sizeof(float)),
          "another seed");
    if (!st) { dn_data_free(tr2); dn_data_free(va2); }
    dn_data_free(tr);
    dn_data_free(va);

    double bad[] = {0, 1, -0.1, 1.5, NAN};
    for (int i = 0; i < 5; i++) {
        tr = va = (dn_data *)1;
        st = dn_data_split(all, bad[i], 1, &tr, &va, &e);
        CHECK_FAIL(st, DN_EARG, e, "outside (0, 1)");
        CHECK(tr == NULL && va == NULL, "outputs cleared");
    }
    /* ceil(0.001 · 178) = 1 row cannot hold a row of each of 3 classes */
    st = dn_data_split(all, 0.001, 1, &tr, &va, &e);
    CHECK_FAIL(st, DN_EARG, e, "holds out 1 row,", "fewer than the 3 classes",
               "0.02 or more");
    dn_data_free(all);

    /* regression: one shuffle over all rows, round(frac · n) held out */
    st = dn_csv_read(put("houses.csv", HOUSES), NULL, &all, NULL, 0, &e);
    CHECK(st == DN_OK, "%s", e.msg);
    if (st) return;
    st = dn_data_split(all, 0.5, 3, &tr, &va, &e);
    CHECK(st == DN_OK && tr->n == 2 && va->n == 2 && tr->k == 1 &&
          tr->Y && va->schema->task == DN_TASK_REGRESSION, "%s", e.msg);
    if (!st) {
        int o1[4], o2[4];
        CHECK(origins(all, tr, o1) && origins(all, va, o2), "order");
        dn_data_free(tr);
        dn_data_free(va);
    }
    /* rows without targets split too: one shuffle, round(0.75 · 4) held out */
    free(all->Y);
    all->Y = NULL;
    all->k = 0;
    st = dn_data_split(all, 0.75, 3, &tr, &va, &e);
    CHECK(st == DN_OK && tr->n == 1 && va->n == 3 && !tr->Y && !va->Y,
          "%s", e.msg);
    if (!st) {
        dn_data_free(tr);
        dn_data_free(va);
    }
    dn_data_free(all);
}

/* A CSV of `classes` classes of `per` rows each, rows distinct. */
/* A split refits the fill of a numeric column with missing cells to the
 * training part's median (the file's would leak the validation rows),
 * in both parts' schemas, and the missing rows of both take it. */
static void test_split_fills(void)
{
    dn_data *all, *train, *val;
    dn_error e;
    dn_status st = dn_csv_read(put("fills.csv", "a,y\n1,0\nNA,1\n2,0\n"
                                   "30,1\n,0\n4,1\n50,0\nNA,1\n6,0\n"
                                   "70,1\n"), NULL, &all, NULL, 0, &e);
    CHECK(st == DN_OK, "%s", e.msg);
    if (st) return;
    CHECK(all->d == 2 && all->schema->col[0].indicator &&
          all->schema->col[0].fill == 6, "the file's median: %g (inputs %d)",
          all->schema->col[0].fill, all->d);
    st = dn_data_split(all, 0.4, 3, &train, &val, &e);
    CHECK(st == DN_OK, "%s", e.msg);
    if (!st) {
        float v[10];
        int n = 0;
        for (int i = 0; i < train->n; i++)
            if (X_(train, i, 1) == 0) v[n++] = X_(train, i, 0);
        for (int i = 1; i < n; i++)  /* insertion sort */
            for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
                float t = v[j]; v[j] = v[j - 1]; v[j - 1] = t;
            }
        float med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
        float f = train->schema->col[0].fill;
        CHECK(n >= 2 && f == med && val->schema->col[0].fill == med,
              "fill %g (validation %g), the training median %g of %d",
              f, val->schema->col[0].fill, med, n);
        int missing = 0;
        for (int p = 0; p < 2; p++) {
            dn_data *d = p ? val : train;
            for (int i = 0; i < d->n; i++)
                if (X_(d, i, 1) == 1) {
                    missing++;
                    CHECK(X_(d, i, 0) == f, "a missing row holds %g, not %g",
                          X_(d, i, 0), f);
                }
        }
        CHECK(missing == 3, "%d missing rows", missing);
        dn_data_free(train);
        dn_data_free(val);
    }
    dn_data_free(all);
}

static const char *put_strata(const char *name, int classes, int per)
{
    static char text[65536];
    size_t used = (size_t)sprintf(text, "x,y\n");
    for (int i = 0; i < classes * per; i++)
        used += (size_t)sprintf(text + used, "%d,c%02d\n", i, i % classes);
    return put(name, text);
}

/* Validation rows per class (counts[classes]) and in all. */
static int held_out(const dn_data *va, int *counts, int classes)
{
    memset(counts, 0, (size_t)classes * sizeof *counts);
    for (int i = 0; i < va->n; i++) counts[(int)va->Y[i]]++;
    return va->n;
}

/* The stratified split holds out ceil(frac · n) rows in all, as
 * scikit-learn does, dealt to the classes by largest remainder. */
static void test_split_counts(void)
{
    dn_data *all, *tr, *va;
    dn_error e;
    int per[20];
    dn_status st = dn_csv_read(put_strata("s10x5.csv", 10, 5), NULL, &all,
                               NULL, 0, &e);
    CHECK(st == DN_OK, "%s", e.msg);
    if (st) return;
    /* 0.30 · 50 = 15; 0.28 · 50 is 14.000000000000002 in double, which
     * scikit-learn's ceil makes 15 too (the old per-class rounding held
     * out 20 and 10) */
    double fr[] = {0.30, 0.28};
    for (int f = 0; f < 2; f++) {
        st = dn_data_split(all, fr[f], 1, &tr, &va, &e);
        CHECK(st == DN_OK, "%s", e.msg);
        if (st) continue;
        CHECK(held_out(va, per, 10) == 15 && tr->n == 35,
              "--val %g: %d validation rows, want 15", fr[f], va->n);
        int lo = 9, hi = 0;
        for (int c = 0; c < 10; c++) {
            if (per[c] < lo) lo = per[c];
            if (per[c] > hi) hi = per[c];
        }
        CHECK(lo == 1 && hi == 2, "each class holds out 1 or 2 rows "
              "(%d..%d)", lo, hi);
        dn_data_free(tr);
        dn_data_free(va);
    }
    /* wine-like remainders: 0.2 · 50 = 10, exactly one row per class */
    st = dn_data_split(all, 0.2, 5, &tr, &va, &e);
    CHECK(st == DN_OK && held_out(va, per, 10) == 10 && per[0] == 1 &&
          per[9] == 1, "%s", e.msg);
    if (!st) { dn_data_free(tr); dn_data_free(va); }
    /* 0.9 · 50 = 45 would take every row of some class: refused */
    st = dn_data_split(all, 0.9, 1, &tr, &va, &e);
    CHECK_FAIL(st, DN_EARG, e, "leaves 5 training rows, fewer than the 10 "
               "classes", "at most 0.8");
    dn_data_free(all);

    /* 19 classes of 3: ceil(0.2 · 57) = 12 rows cannot hold one of each
     * class (the old rounding silently held out 19, a third) */
    st = dn_csv_read(put_strata("s19x3.csv", 19, 3), NULL, &all, NULL, 0, &e);
    CHECK(st == DN_OK, "%s", e.msg);
    if (st) return;
    tr = va = (dn_data *)1;
    st = dn_data_split(all, 0.2, 1, &tr, &va, &e);
    CHECK_FAIL(st, DN_EARG, e, "validation fraction 0.2 of 57 rows holds "
               "out 12 rows, fewer than the 19 classes", "0.34 or more");
    CHECK(tr == NULL && va == NULL, "outputs cleared");
    st = dn_data_split(all, 0.34, 1, &tr, &va, &e);
    CHECK(st == DN_OK && held_out(va, per, 19) == 20 && tr->n == 37,
          "%s", e.msg);
    if (!st) {
        int ones = 1;
        for (int c = 0; c < 19; c++) ones &= per[c] == 1 || per[c] == 2;
        CHECK(ones, "every class in both parts");
        dn_data_free(tr);
        dn_data_free(va);
    }
    dn_data_free(all);

    /* a class of one row stays in training; the others give the rows */
    st = dn_csv_read(put("lone.csv", "x,y\n1,a\n2,a\n3,a\n4,a\n5,b\n6,b\n"
                         "7,b\n8,b\n9,c\n"), NULL, &all, NULL, 0, &e);
    CHECK(st == DN_OK, "%s", e.msg);
    if (st) return;
    st = dn_data_split(all, 0.5, 2, &tr, &va, &e);
    CHECK(st == DN_OK && held_out(va, per, 3) == 5 && per[2] == 0 &&
          per[0] + per[1] == 5 && per[0] <= 3 && per[1] <= 3, "%s", e.msg);
    if (!st) { dn_data_free(tr); dn_data_free(va); }
    /* 3 rows for 2 classes: no fraction gives each a row of both parts */
    dn_data_free(all);
    st = dn_csv_read(put("tiny.csv", "x,y\n1,a\n2,a\n3,b\n"), NULL, &all,
                     NULL, 0, &e);
    CHECK(st == DN_OK, "%s", e.msg);
    if (st) return;
    st = dn_data_split(all, 0.5, 2, &tr, &va, &e);
    CHECK_FAIL(st, DN_EARG, e, "3 rows for 2 classes", "'b' has 1 row)",
               "without a validation split");
    dn_data_free(all);
}

static void test_schema_copy(void)
{
    dn_data *d;
    dn_error e;
    dn_status st = dn_csv_read(put("houses.csv", HOUSES), NULL, &d, NULL, 0,
                               &e);
    CHECK(st == DN_OK, "%s", e.msg);
    if (st) return;
    dn_schema *c;
    st = dn_schema_copy(d->schema, &c, &e);
    CHECK(st == DN_OK, "%s", e.msg);
    const char *cat0 = d->schema->col[2].cats[0];
    dn_data_free(d); /* the copy must not share anything with it */
    if (st) return;
    CHECK(c->n_cols == 4 && c->n_in == 6 && c->col[2].n_cats == 3 &&
          c->col[2].cats[0] != cat0 && !strcmp(c->col[2].cats[0], "detached") &&
          !strcmp(c->col[1].name, "area") && !strcmp(c->target, "price") &&
          c->task == DN_TASK_REGRESSION, "copy");
    dn_schema_free(c);
    c = (dn_schema *)1;
    CHECK(dn_schema_copy(NULL, &c, &e) == DN_OK && c == NULL, "NULL copy");
    dn_schema_free(NULL);
    dn_data_free(NULL);
}

/* 100k rows of 5 numbers, a text column and an integer target. */
static void test_large(void)
{
    const char *path = at("large.csv");
    FILE *f = fopen(path, "w");
    if (!f) return;
    fputs("a,b,c,d,e,kind,y\n", f);
    const char *kinds[] = {"red", "green", "blue"};
    for (int i = 0; i < 100000; i++)
        fprintf(f, "%d,%.3f,%d.5,-%d,%de-2,%s,%d\n", i, i * 0.001, i % 97,
                i % 13, i % 7, kinds[i % 3], i % 4);
    fclose(f);
    dn_data *d;
    dn_error e;
    double t0 = now();
    dn_status st = dn_csv_read(path, NULL, &d, NULL, 0, &e);
    double dt = now() - t0;
    CHECK(st == DN_OK, "%s", e.msg);
    if (st) return;
    CHECK(dt < 2.0, "100k rows took %.3f s", dt);
    CHECK(d->n == 100000 && d->d == 8 && d->schema->n_classes == 4, "shape");
    /* row 99999: 99999, 99.999, 89.5, -3, 4e-2, red, 3 */
    const float *x = d->X + (size_t)99999 * 8;
    CHECK(x[0] == 99999 && x[1] == 99.999f && x[2] == 89.5f && x[3] == -3 &&
          x[4] == 0.04f && x[5] == 0 && x[7] == 1 && d->Y[99999] == 3,
          "last row");
    dn_data_free(d);
}

/* dn_data_new: zeroed arrays the caller fills; dn_data_view: the
 * caller's arrays borrowed.  Both train to the same bits. */
static void test_new_and_view(void)
{
    dn_data *a = NULL;
    dn_error e;
    dn_status st = dn_data_new(5, 3, 1, &a, &e);
    CHECK(st == DN_OK && a && a->n == 5 && a->d == 3 && a->k == 1 && a->X &&
          a->Y && !a->bytes && !a->schema, "dn_data_new: %s", st ? e.msg : "");
    if (st) return;
    double sum = 0;
    for (int i = 0; i < 15; i++) sum += fabs(a->X[i]);
    for (int i = 0; i < 5; i++) sum += fabs(a->Y[i]);
    CHECK(sum == 0, "dn_data_new zeroes X and Y (sum %g)", sum);
    float X[15], Y[5];
    for (int i = 0; i < 15; i++) a->X[i] = X[i] = (float)((i * 7) % 5) - 2;
    for (int i = 0; i < 5; i++) a->Y[i] = Y[i] = (float)(i % 3) * 0.5f;
    dn_data v = dn_data_view(5, 3, 1, X, Y);
    CHECK(v.X == X && v.Y == Y && v.n == 5 && !v.bytes && !v.schema,
          "dn_data_view borrows the arrays");
    dn_arch arch = { .n_in = 3, .n_layers = 1,
                     .layer = { { .units = 4, .act = DN_ACT_TANH } } };
    dn_model *m1 = NULL, *m2 = NULL;
    st = dn_arch_set_task(&arch, DN_TASK_REGRESSION, 1, &e);
    if (!st) st = dn_model_new(&arch, &m1, &e);
    if (!st) st = dn_model_new(&arch, &m2, &e);
    dn_train_opts o;
    dn_train_defaults(&o);
    o.epochs = 5;
    o.batch = 2;
    if (!st) {
        dn_model_init(m1, DN_INIT_DEFAULT, 0, 3);
        dn_model_init(m2, DN_INIT_DEFAULT, 0, 3);
        st = dn_train(m1, a, NULL, &o, NULL, &e);
    }
    if (!st) st = dn_train(m2, &v, NULL, &o, NULL, &e);
    CHECK(st == DN_OK && !memcmp(dn_model_params(m1), dn_model_params(m2),
                                 dn_model_n_params(m1) * sizeof(float)),
          "a view trains as its copy: %s", st ? e.msg : "");
    CHECK(X[4] == (float)((4 * 7) % 5) - 2 && Y[2] == 1.0f,
          "training leaves a view's arrays as they were");
    dn_model_free(m1);
    dn_model_free(m2);
    dn_data_free(a);
    /* Sizes it cannot hold are refused, naming the call and the limits. */
    dn_data *b = (dn_data *)&e;
    st = dn_data_new(-1, 3, 1, &b, &e);
    CHECK(st == DN_EARG && !b && strstr(e.msg, "dn_data_new: -1 rows"),
          "negative rows: %s", e.msg);
    st = dn_data_new(10, 0, 1, &b, &e);
    CHECK(st == DN_EARG && strstr(e.msg, "inputs 1.."), "no inputs: %s", e.msg);
    st = dn_data_new(100000, 100000, 0, &b, &e);
    CHECK(st == DN_EARG && strstr(e.msg, "at most"), "10^10 values: %s", e.msg);
    st = dn_data_new(1, 1, 1, NULL, &e);
    CHECK(st == DN_EARG && strstr(e.msg, "out is NULL"), "NULL out: %s", e.msg);
}

int main(void)
{
    if (check_tmpdir(dir)) return 2;
    RUN(test_iris);
    RUN(test_wine);
    RUN(test_digits);
    RUN(test_one_hot);
    RUN(test_target_choice);
    RUN(test_tasks);
    RUN(test_set_task);
    RUN(test_syntax);
    RUN(test_malformed);
    RUN(test_spellings);
    RUN(test_id_names);
    RUN(test_roles);
    RUN(test_wide_header);
    RUN(test_many_inputs);
    RUN(test_bad_schemas);
    RUN(test_read_with);
    RUN(test_idx_good);
    RUN(test_idx_bytes);
    RUN(test_idx_bad);
    RUN(test_idx_lying_gzip);
    RUN(test_split);
    RUN(test_split_counts);
    RUN(test_split_fills);
    RUN(test_schema_copy);
    RUN(test_large);
    RUN(test_new_and_view);
    check_rmdir(dir);
    return check_done("test_data");
}
