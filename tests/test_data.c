/* test_data.c — the CSV loader: schema inference, encoding, every
 * malformed input, the reader's options, reading with a schema, a large
 * file, data sets made and borrowed (IDX: test_idx.c; splits and schema
 * copies: test_split.c).  Fixtures are written into a
 * fresh temporary directory; the bundled data sets are read from data/
 * (tests run from the repository root). */
#include "descent.h"
#include "check.h"
#include "fixtures.h"
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

static char dir[64];

static const char *at(const char *name) { return check_path(dir, name); }
static const char *put(const char *name, const char *text)
{
    return check_write(dir, name, text, strlen(text));
}
static const char *put_bytes(const char *name, const void *data, size_t n)
{
    return check_write(dir, name, data, n);
}

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
    dn_status st = dn_csv_read("data/digits.csv", NULL, &d, why, sizeof why,
                               &e);
    CHECK(st == DN_OK, "%s", e.msg);
    if (st) return;
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
    /* ... the same file with the default limit: 4 classes (too few
     * values to call them measurements) */
    st = dn_csv_read(ages, NULL, &d, NULL, 0, &e);
    CHECK(st == DN_OK && d->schema->n_classes == 4 &&
          !strcmp(d->schema->classes[3], "33") && d->Y[3] == 3, "%s", e.msg);
    if (!st) dn_data_free(d);
    /* 5 values, each on one row: measurements, not labels */
    const char *five = put("five.csv", "x,n\n1,60323\n2,61122\n3,60171\n"
                           "4,61187\n5,63221\n");
    st = dn_csv_read(five, NULL, &d, why, sizeof why, &e);
    CHECK(st == DN_OK && d->schema->task == DN_TASK_REGRESSION &&
          d->Y[2] == 60171, "%s", e.msg);
    CHECK(strstr(why, "5 distinct integer values, 5 of them in one row "
                 "only: numbers, not class labels: regression") != NULL,
          "why: %s", why);
    if (!st) dn_data_free(d);
    /* ... classified when the task asks for it */
    o = (dn_csv_opts){.task_set = 1, .task = DN_TASK_MULTICLASS};
    st = dn_csv_read(five, &o, &d, NULL, 0, &e);
    CHECK(st == DN_OK && d->schema->n_classes == 5 &&
          !strcmp(d->schema->classes[0], "60171") && d->Y[2] == 0, "%s",
          e.msg);
    if (!st) dn_data_free(d);
    /* 6 values, 3 of them alone: half, not more, so classes */
    st = dn_csv_read(put("grades.csv", "x,g\n1,1\n2,2\n3,1\n4,2\n5,3\n6,3\n"
                         "7,4\n8,5\n9,6\n"), NULL, &d, why, sizeof why, &e);
    CHECK(st == DN_OK && d->schema->n_classes == 6 && d->Y[8] == 5, "%s %s",
          e.msg, why);
    if (!st) dn_data_free(d);
    /* 5 values, 3 alone: more than half, regression */
    st = dn_csv_read(put("grades3.csv", "x,g\n1,1\n2,2\n3,1\n4,2\n5,3\n"
                         "6,4\n7,5\n"), NULL, &d, why, sizeof why, &e);
    CHECK(st == DN_OK && d->schema->task == DN_TASK_REGRESSION &&
          strstr(why, "3 of them in one row only"), "%s %s", e.msg, why);
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
    dn_status st = dn_csv_read(path, NULL, &d, NULL, 0, &e);
    CHECK(st == DN_OK, "%s", e.msg);
    if (st) return;
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
    RUN(test_large);
    RUN(test_new_and_view);
    check_rmdir(dir);
    return check_done("test_data");
}
