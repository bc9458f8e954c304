/* csv.c — CSV files with a header row.  The file is read once and parsed
 * in place into a table of cells; dn_csv_read infers a schema from the
 * cells (numeric or one-hot text columns, the target's task), then both
 * readers encode the rows with a schema through the same code, so that
 * training and prediction see a column the same way. */
#include "data/data.h"
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_MAX_CLASSES 20
#define SHOW_BUF  DN_SHOW_BUF        /* a value quoted in a message */
#define show      dn_show            /* (show.c) */
#define LIST_MAX  200                /* bytes of a list of names */
#define LIST_BUF  (LIST_MAX + SHOW_BUF + 32)
/* One-hot encoding limits (see dn_csv_read): the dense input matrix, and
 * when a text column is an ID rather than categories. */
#define MAX_INPUT_BYTES (2.0 * (1L << 30))  /* rows × inputs × 4 bytes */
#define ID_MIN_VALUES   100   /* an ID column has more distinct values */

static const char *TASK_SAYS[] = {
    "regression, identity output with MSE",
    "binary classification, one sigmoid output with binary cross-entropy",
    "multiclass classification, softmax output with cross-entropy",
};

/* ---- the table ---- */

/* The file as NUL-terminated cells inside its own buffer. */
typedef struct {
    const char *path;
    char   *buf;       /* the whole file, plus one byte for a last NUL */
    size_t  len;
    int     n_cols;    /* fields per record, from the header */
    char  **head;      /* the header's names */
    int     head_line;
    int     n_rows;    /* data records */
    char  **cell;      /* n_rows × n_cols */
    int    *line;      /* 1-based line where each data record starts */
    char    sep;       /* the field delimiter */
    int     sniffed;   /* 1: the delimiter was given, or gave every
                          sniffed record the header's field count */
    char    why_sep[160]; /* when no delimiter did: the closest miss */
    const char *na;    /* the missing-value tokens, comma-separated */
    int     strict;    /* missing cells are errors */
    dn_csv_info *info; /* the caller's, or the reader's own */
} table;

static const char *DEFAULT_NA = "NA,N/A,NaN,null,?";

#define CELL(t, r, c) ((t)->cell[(size_t)(r) * (t)->n_cols + (c)])

static void table_free(table *t)
{
    DN_FREE_ALL(t->buf, t->head, t->cell, t->line);
}

static int is_space(char c) { return c == ' ' || c == '\t'; }
static int is_digit(char c) { return c >= '0' && c <= '9'; }

static int is_blank(const char *s)
{
    while (is_space(*s)) s++;
    return *s == '\0';
}

/* ---- values in messages ---- */

/* Appends a sentence to the reader's note ("; " between sentences). */
static void note(const table *t, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void note(const table *t, const char *fmt, ...)
{
    char *b = t->info->note;
    size_t used = strlen(b), cap = sizeof t->info->note;
    if (used + 3 >= cap) return;
    if (used) {
        memcpy(b + used, "; ", 3);
        used += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    dn_vsnprintf(b + used, cap - used, fmt, ap);
    va_end(ap);
}

/* The delimiter in words, for messages. */
static const char *sep_name(char sep)
{
    switch (sep) {
    case ',':  return "','";
    case ';':  return "';'";
    case '\t': return "tab";
    case '|':  return "'|'";
    default:   return "the delimiter";
    }
}

/* "a, b, c" for a message, cut after about LIST_MAX bytes; a NULL name
 * (a class without one) shows as its number. */
static const char *join(char *const *names, int n, char *buf)
{
    char one[SHOW_BUF];
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < n; i++) {
        if (used > LIST_MAX) {
            sprintf(buf + used, ", ... (%d more)", n - i);
            break;
        }
        if (names[i]) show(names[i], one);
        else snprintf(one, sizeof one, "%d", i);
        used += (size_t)sprintf(buf + used, "%s%s", i ? ", " : "", one);
    }
    return buf;
}

/* Fails with "path:line: column c 'name': " and the rest of a message. */
static dn_status cell_fail(dn_error *err, const table *t, int r, int c,
                           const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

static dn_status cell_fail(dn_error *err, const table *t, int r, int c,
                           const char *fmt, ...)
{
    char name[SHOW_BUF], rest[800];
    va_list ap;
    va_start(ap, fmt);
    dn_vsnprintf(rest, sizeof rest, fmt, ap);
    va_end(ap);
    return dn_fail(err, DN_EFORMAT, "%s:%d: column %d '%s': %s", t->path,
                   r < 0 ? t->head_line : t->line[r], c + 1,
                   show(t->head[c], name), rest);
}

/* ---- numbers ---- */

/* A cell is a number when it is one by dn_parse_double (numtext.c) with
 * spaces around it: never by the locale (a decimal comma must not change
 * the data), and hex, "nan" or "inf" are not numbers in a data file.
 * -1 when out of memory. */
static int parse_num(const char *s, double *out)
{
    while (is_space(*s)) s++;
    size_t n = strlen(s);
    while (n > 0 && is_space(s[n - 1])) n--;
    return dn_parse_double(s, n, out);
}

/* "nan", "inf", "-Infinity", ... in any case: values strtod would take
 * and a float can hold, but that no data set should. */
static int nonfinite_word(const char *s)
{
    static const char *words[] = {"nan", "inf", "infinity"};
    while (is_space(*s)) s++;
    if (*s == '+' || *s == '-') s++;
    size_t n = strlen(s);
    while (n > 0 && is_space(s[n - 1])) n--;
    for (int w = 0; w < 3; w++) {
        if (strlen(words[w]) != n) continue;
        size_t i = 0;
        while (i < n && (s[i] | 0x20) == words[w][i]) i++;
        if (i == n) return 1;
    }
    return 0;
}

/* 1 if letters a and b are the same but for case, or a == b. */
static int same_ci(char a, char b)
{
    char la = (char)(a | 0x20);
    return a == b || (la >= 'a' && la <= 'z' && la == (char)(b | 0x20));
}

/* 1 if s (spaces around it aside) is missing: empty, or one of t's
 * tokens, in any case. */
static int is_na(const table *t, const char *s)
{
    while (is_space(*s)) s++;
    size_t n = strlen(s);
    while (n > 0 && is_space(s[n - 1])) n--;
    if (n == 0) return 1;
    for (const char *tok = t->na; tok && *tok;) {
        const char *e = strchr(tok, ',');
        size_t len = e ? (size_t)(e - tok) : strlen(tok), i = 0;
        if (len == n)
            while (i < n && same_ci(tok[i], s[i])) i++;
        if (len == n && i == n) return 1;
        if (!e) break;
        tok = e + 1;
    }
    return 0;
}

/* A missing cell that the options let through. */
static int missing(const table *t, const char *s)
{
    return !t->strict && is_na(t, s);
}

enum { CELL_NUM, CELL_TEXT, CELL_MISSING };

/* Reads one cell as a finite number that fits a float, as text, or as
 * missing.  Non-finite cells are errors in every column, and so are
 * missing ones when the options say so. */
static dn_status classify(const table *t, int r, int c, double *v, int *kind,
                          dn_error *err)
{
    const char *s = CELL(t, r, c);
    char b[SHOW_BUF];
    *kind = CELL_TEXT;
    if (missing(t, s)) {
        *kind = CELL_MISSING;
        return DN_OK;
    }
    if (is_blank(s))
        return cell_fail(err, t, r, c, "empty cell (a missing value); fill "
                         "it in or remove the row");
    int num = parse_num(s, v);
    if (num < 0)
        return dn_fail(err, DN_ENOMEM, "%s: out of memory reading a number",
                       t->path);
    if (num) {
        if (fabs(*v) > FLT_MAX)
            return cell_fail(err, t, r, c, "cell '%s' is too large for a "
                             "32-bit float (at most 3.4e38); rescale the "
                             "column", show(s, b));
        *kind = CELL_NUM;
    } else if (nonfinite_word(s)) {
        return cell_fail(err, t, r, c, "cell '%s' is not a finite number "
                         "(%s); fill it in or remove the row", show(s, b),
                         t->strict ? "missing values are refused, as "
                         "asked, and infinite ones are not supported"
                         : "infinite values are not supported");
    }
    return DN_OK;
}

/* ---- reading and splitting the file ---- */

/* fd, if not -1, is path already open (read from its start). */
static dn_status slurp(int fd, const char *path, char **buf, size_t *len,
                       dn_error *err)
{
    if (fd >= 0) lseek(fd, 0, SEEK_SET);
    int own = fd >= 0 ? dup(fd) : -1;
    FILE *f = fd >= 0 ? (own >= 0 ? fdopen(own, "rb") : NULL)
                      : fopen(path, "rb");
    if (!f && own >= 0) close(own);
    if (!f)
        return dn_fail(err, DN_EIO, "%s: cannot open: %s", path,
                       strerror(errno));
    size_t cap = 1 << 16, n = 0, got;
    char *b = malloc(cap + 1);
    while (b) {
        if (n == cap) {
            char *nb = cap > SIZE_MAX / 4 ? NULL : realloc(b, cap * 2 + 1);
            if (!nb) break;
            b = nb;
            cap *= 2;
        }
        if ((got = fread(b + n, 1, cap - n, f)) == 0) break;
        n += got;
    }
    int bad = ferror(f), e = errno;
    fclose(f);
    if (!b || (n == cap && !bad)) {
        free(b);
        return dn_fail(err, DN_ENOMEM, "%s: out of memory reading the file",
                       path);
    }
    if (bad) {
        free(b);
        return dn_fail(err, DN_EIO, "%s: cannot read: %s", path,
                       strerror(e));
    }
    b[n] = '\0';
    *buf = b;
    *len = n;
    return DN_OK;
}

/* Binary files fail here with a message that says what they look like. */
static dn_status check_text(const table *t, dn_error *err)
{
    const unsigned char *b = (const unsigned char *)t->buf;
    if (t->len >= 2 && b[0] == 0x1F && b[1] == 0x8B)
        return dn_fail(err, DN_EFORMAT, "%s: the file is gzip-compressed, "
                       "not CSV text; decompress it first (gunzip)", t->path);
    if (t->len >= 2 && ((b[0] == 0xFF && b[1] == 0xFE) ||
                        (b[0] == 0xFE && b[1] == 0xFF)))
        return dn_fail(err, DN_EFORMAT, "%s: the file is UTF-16 text; save "
                       "it as UTF-8", t->path);
    const char *z = memchr(t->buf, 0, t->len);
    if (!z) return DN_OK;
    int line = 1;
    for (const char *p = t->buf; p < z; p++) line += *p == '\n';
    return dn_fail(err, DN_EFORMAT, "%s:%d: byte %zu is a NUL byte: this is "
                   "not a text file; give a CSV file with a header row",
                   t->path, line, (size_t)(z - t->buf) + 1);
}

typedef struct {
    const char *path;
    char *p, *end;  /* unread input */
    int   line;     /* line of p, 1-based */
    char  sep;      /* the field delimiter */
} lexer;

/* Space around a field: blanks, and tabs unless they delimit. */
static int pad(const lexer *lx, char c)
{
    return c == ' ' || (c == '\t' && lx->sep != '\t');
}

/* Reads the field at lx->p and NUL-terminates it in place: a quoted
 * field loses its quotes and "" becomes ", an unquoted one its
 * surrounding spaces.  *last is set when the field ends its record. */
static dn_status lex_field(lexer *lx, char **field, int *quoted, int *last,
                           dn_error *err)
{
    char *p = lx->p, *end = lx->end, *w;
    while (p < end && pad(lx, *p)) p++;
    *quoted = p < end && *p == '"';
    if (*quoted) {
        int line0 = lx->line;
        *field = w = ++p;
        for (;;) {
            if (p == end)
                return dn_fail(err, DN_EFORMAT, "%s:%d: a quoted field never "
                               "ends; add the closing '\"' (a quote inside a "
                               "quoted field is written \"\")", lx->path,
                               line0);
            if (*p == '"') {
                if (p + 1 < end && p[1] == '"') {
                    *w++ = '"';
                    p += 2;
                    continue;
                }
                p++;
                break;
            }
            lx->line += *p == '\n';
            *w++ = *p++;
        }
        while (p < end && pad(lx, *p)) p++;
        if (p < end && *p != lx->sep && *p != '\n' && *p != '\r')
            return dn_fail(err, DN_EFORMAT, "%s:%d: text after the closing "
                           "quote of a field; quote the whole field (a quote "
                           "inside it is written \"\")", lx->path, lx->line);
    } else {
        *field = p;
        while (p < end && *p != lx->sep && *p != '\n' && *p != '\r') p++;
        w = p;
        while (w > *field && pad(lx, w[-1])) w--;
    }
    *last = p == end || *p != lx->sep;
    if (p < end) {
        if (*p != lx->sep) lx->line++;
        if (*p == '\r' && p + 1 < end && p[1] == '\n') p++;
        p++;
    }
    *w = '\0'; /* after the delimiter was read: w may point at it */
    lx->p = p;
    return DN_OK;
}

/* Reads one record, storing up to max fields; *n counts them all and
 * *extra is the first one past max.  A record of one empty unquoted
 * field is a blank line. */
static dn_status lex_record(lexer *lx, char **fields, int max, int *n,
                            char **extra, int *blank, dn_error *err)
{
    int count = 0, last = 0, quoted = 0;
    char *f = NULL;
    *extra = NULL;
    while (!last) {
        dn_status st = lex_field(lx, &f, &quoted, &last, err);
        if (st) return st;
        if (count < max) fields[count] = f;
        else if (count == max) *extra = f;
        count++;
    }
    *n = count;
    *blank = count == 1 && !quoted && f[0] == '\0';
    return DN_OK;
}

static dn_status read_header(lexer *lx, table *t, dn_error *err)
{
    int cap = 16, n = 0, last = 0, quoted = 0;
    char **h = malloc(cap * sizeof *h);
    if (!h) return dn_fail(err, DN_ENOMEM, "%s: out of memory", t->path);
    t->head = h;
    do { /* blank lines before the header are skipped */
        if (lx->p == lx->end)
            return dn_fail(err, DN_EFORMAT, "%s: the file is empty; a CSV "
                           "file needs a header row and data rows", t->path);
        t->head_line = lx->line;
        for (n = 0, last = 0; !last; n++) {
            if (n == cap) {
                if (cap > DN_MAX_WIDTH)
                    return dn_fail(err, DN_EFORMAT, "%s:%d: more than %ld "
                                   "columns in the header", t->path,
                                   lx->line, DN_MAX_WIDTH);
                if (!(h = realloc(t->head, 2 * cap * sizeof *h)))
                    return dn_fail(err, DN_ENOMEM, "%s: out of memory",
                                   t->path);
                t->head = h;
                cap *= 2;
            }
            dn_status st = lex_field(lx, &h[n], &quoted, &last, err);
            if (st) return st;
        }
    } while (n == 1 && !quoted && h[0][0] == '\0');
    t->n_cols = n;
    return DN_OK;
}

/* ---- looking names up ---- */

/* A sorted index of names: binary search instead of a scan per cell. */
typedef struct {
    const char *key;
    int idx;
} entry;

static int cmp_entry(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

static entry *index_new(char *const *keys, int n)
{
    entry *e = malloc(((size_t)n + 1) * sizeof *e);
    if (!e) return NULL;
    for (int i = 0; i < n; i++) {
        e[i].key = keys[i];
        e[i].idx = i;
    }
    qsort(e, (size_t)n, sizeof *e, cmp_entry);
    return e;
}

/* The lowest index of key, or -1. */
static int index_find(const entry *e, int n, const char *key)
{
    int lo = 0, hi = n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (strcmp(e[mid].key, key) < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo < n && strcmp(e[lo].key, key) == 0 ? e[lo].idx : -1;
}

/* Every column needs a name, and a different one, to be found by it. */
static dn_status check_header(const table *t, const entry *ix,
                              dn_error *err)
{
    char b[SHOW_BUF];
    for (int c = 0; c < t->n_cols; c++)
        if (is_blank(t->head[c]))
            return dn_fail(err, DN_EFORMAT, "%s:%d: column %d has no name; "
                           "name every column in the header%s", t->path,
                           t->head_line, c + 1,
                           c == 0 ? " (a pandas index column? write the "
                                    "file with index=False)"
                           : c == t->n_cols - 1 ? " (a comma at the end of "
                                                  "the header?)" : "");
    for (int i = 1; i < t->n_cols; i++)
        if (strcmp(ix[i - 1].key, ix[i].key) == 0)
            return dn_fail(err, DN_EFORMAT, "%s:%d: columns %d and %d are "
                           "both named '%s'; give every column its own name",
                           t->path, t->head_line, ix[i - 1].idx + 1,
                           ix[i].idx + 1, show(ix[i].key, b));
    return DN_OK;
}

/* ---- the table from a file ---- */

/* Data records can be no more than the line ends, nor than the bytes
 * divided by the fields each needs: whichever is smaller. */
static size_t max_records(const table *t, const char *p)
{
    size_t ends = 0;
    for (const char *q = p; q < t->buf + t->len; q++)
        ends += *q == '\n' || *q == '\r';
    size_t by_size = t->len / (size_t)t->n_cols + 3;
    return (ends < by_size ? ends : by_size) + 1;
}

/* Which delimiter the ragged row was split by, for its message. */
static const char *split_by(const table *t, char *buf, size_t len)
{
    if (t->sniffed)
        snprintf(buf, len, "split at %s%s", sep_name(t->sep),
                 t->info->sep_detected ? " (detected)" : "");
    else
        snprintf(buf, len, "split at %s: no delimiter (',', ';', tab, '|') "
                 "splits every line into as many fields as the header%s%s%s; "
                 "give the file's own with --sep", sep_name(t->sep),
                 t->why_sep[0] ? " (" : "", t->why_sep,
                 t->why_sep[0] ? ")" : "");
    return buf;
}

static dn_status ragged(const table *t, int line, int n, const char *extra,
                        dn_error *err)
{
    char b[SHOW_BUF], h[SHOW_BUF], by[400];
    if (n > t->n_cols)
        return dn_fail(err, DN_EFORMAT, "%s:%d: %d fields but the header has "
                       "%d (%s); field %d is '%s'; remove the extra fields or "
                       "quote a field that contains the delimiter", t->path,
                       line, n, t->n_cols, split_by(t, by, sizeof by),
                       t->n_cols + 1, show(extra, b));
    return dn_fail(err, DN_EFORMAT, "%s:%d: %d field%s but the header has "
                   "%d (%s): the row ends before column %d '%s'; give every "
                   "row one value per header column", t->path, line, n,
                   n == 1 ? "" : "s", t->n_cols, split_by(t, by, sizeof by),
                   n + 1, show(t->head[n], h));
}

static dn_status read_rows(lexer *lx, table *t, dn_error *err)
{
    size_t cap = max_records(t, lx->p);
    t->cell = malloc(cap * (size_t)t->n_cols * sizeof *t->cell);
    t->line = malloc(cap * sizeof *t->line);
    if (!t->cell || !t->line)
        return dn_fail(err, DN_ENOMEM, "%s: out of memory for %zu rows of "
                       "%d columns", t->path, cap, t->n_cols);
    while (lx->p < lx->end) {
        int line = lx->line, n, blank;
        char *extra;
        dn_status st = lex_record(lx, &CELL(t, t->n_rows, 0), t->n_cols, &n,
                                  &extra, &blank, err);
        if (st) return st;
        if (blank) continue;
        if (n != t->n_cols) return ragged(t, line, n, extra, err);
        if (t->n_rows >= DN_MAX_ROWS)  /* cov: 10^8 rows are gigabytes of text */
            return dn_fail(err, DN_EFORMAT, "%s:%d: more than %ld rows; "  /* cov: as above */
                           "split the file", t->path, line, DN_MAX_ROWS);
        t->line[t->n_rows++] = line;
    }
    if (t->n_rows == 0)
        return dn_fail(err, DN_EFORMAT, "%s: only a header row (line %d), "
                       "no data rows; add rows below the header", t->path,
                       t->head_line);
    return DN_OK;
}

/* ---- the delimiter ---- */

#define SNIFF_RECORDS 50

/* 1 if sep splits the header and each of the next records (up to
 * SNIFF_RECORDS, blank lines skipped, quotes respected) into the same
 * number of fields, 2 or more; *fields gets the header's count; when a
 * record differs, *bad its line and *got its count. */
static int sniff_one(const char *p, const char *end, char sep, int *fields,
                     int *bad, int *got)
{
    int n_rec = 0, count = 1, head = -1, inq = 0, seen = 0, line = 1, at = 1;
    *fields = 0;
    for (; p < end && n_rec < SNIFF_RECORDS; p++) {
        char c = *p;
        if (inq) {
            if (c == '"' && p + 1 < end && p[1] == '"') p++;
            else if (c == '"') inq = 0;
            line += c == '\n';
            continue;
        }
        if (c == '"') {
            inq = seen = 1;
        } else if (c == sep) {
            count++;
            seen = 1;
        } else if (c == '\n' || c == '\r') {
            if (c == '\r' && p + 1 < end && p[1] == '\n') p++;
            if (seen) {
                if (head < 0) head = count;
                else if (count != head) break;
                n_rec++;
            }
            count = 1;
            seen = 0;
            at = ++line;
            continue;
        } else if (c != ' ' && c != '\t') {
            seen = 1;
        }
    }
    *fields = head < 0 ? 0 : head;
    if (seen && n_rec < SNIFF_RECORDS && head >= 0 && count != head) {
        *bad = at;
        *got = count;
        return 0;
    }
    return head >= 2;
}

/* The delimiter of the text from p: the candidate that splits every
 * sniffed record alike into the most fields; ',' when none does. */
static void sniff(table *t, const char *p)
{
    static const char cand[] = { ',', ';', '\t', '|' };
    int best = 0, closest = 1;
    t->sep = ',';
    t->sniffed = 0;
    for (size_t i = 0; i < sizeof cand; i++) {
        int fields, bad = 0, got = 0;
        if (sniff_one(p, t->buf + t->len, cand[i], &fields, &bad, &got)) {
            if (fields > best) {
                best = fields;
                t->sep = cand[i];
                t->sniffed = 1;
            }
        } else if (bad && fields > closest) {
            closest = fields;
            snprintf(t->why_sep, sizeof t->why_sep, "with %s, line %d has %d "
                     "field%s and the header %d", sep_name(cand[i]), bad, got,
                     got == 1 ? "" : "s", fields);
        }
    }
}

/* With ';' between fields, a column whose every cell is missing, a
 * number, or a number once its one ',' is read as '.' — with at least
 * one such comma — holds decimal commas: they become points, in place. */
static void decimal_commas(const table *t)
{
    if (t->sep != ';') return;
    char cols[LIST_MAX + 64], b[SHOW_BUF];
    size_t used = 0;
    int n = 0;
    for (int c = 0; c < t->n_cols; c++) {
        int commas = 0, ok = 1;
        for (int r = 0; r < t->n_rows && ok; r++) {
            char *s = CELL(t, r, c), *k;
            double v;
            if (is_na(t, s) || parse_num(s, &v) == 1) continue;
            k = strchr(s, ',');
            ok = k && !strchr(k + 1, ',') && !strchr(s, '.');
            if (!ok) break;
            *k = '.';
            ok = parse_num(s, &v) == 1;
            *k = ',';
            commas++;
        }
        if (!ok || !commas) continue;
        for (int r = 0; r < t->n_rows; r++) {
            char *k = is_na(t, CELL(t, r, c)) ? NULL : strchr(CELL(t, r, c), ',');
            if (k) *k = '.';
        }
        if (used < LIST_MAX)
            used += (size_t)snprintf(cols + used, sizeof cols - used, "%s'%s'",
                                     n ? ", " : "", show(t->head[c], b));
        n++;
    }
    t->info->decimal_comma = n;
    if (n) note(t, "decimal comma in %d column%s (%s%s)", n, n == 1 ? "" : "s",
                cols, used >= LIST_MAX ? ", ..." : "");
}

/* Reads path into a table of cells; *names indexes the header.  o (may
 * be NULL) gives the delimiter and the missing-value tokens; what was
 * found goes into info. */
static dn_status table_load(int fd, const char *path, const dn_csv_opts *o,
                            dn_csv_info *info, table *t, entry **names,
                            dn_error *err)
{
    memset(t, 0, sizeof *t);
    memset(info, 0, sizeof *info);
    *names = NULL;
    t->path = path;
    t->info = info;
    t->na = o && o->na ? o->na : DEFAULT_NA;
    t->strict = o && o->missing_error;
    if (!path) return dn_fail(err, DN_EARG, "no CSV file given");
    if (o && o->sep && strchr("\"\n\r ", o->sep))
        return dn_fail(err, DN_EARG, "the delimiter cannot be a quote, a space "
                       "or a line break; use ',', ';', tab or '|'");
    dn_status st = slurp(fd, path, &t->buf, &t->len, err);
    if (!st) st = check_text(t, err);
    if (st) return st;
    char *p = t->buf;
    if (t->len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) p += 3; /* BOM */
    if (o && o->sep) {
        t->sep = o->sep;
        t->sniffed = 1;
    } else {
        sniff(t, p);
        info->sep_detected = 1;
    }
    info->sep = t->sep;
    lexer lx = {path, p, t->buf + t->len, 1, t->sep};
    st = read_header(&lx, t, err);
    if (st) return st;
    if (!(*names = index_new(t->head, t->n_cols)))
        return dn_fail(err, DN_ENOMEM, "%s: out of memory", path);
    st = check_header(t, *names, err);
    if (!st) st = read_rows(&lx, t, err);
    if (st) return st;
    static const char *says[] = { "comma", "semicolon", "tab", "pipe" };
    int k = t->sep == ',' ? 0 : t->sep == ';' ? 1 : t->sep == '\t' ? 2 : 3;
    if (t->sep == ',' || t->sep == ';' || t->sep == '\t' || t->sep == '|')
        note(t, "%s-separated%s", says[k], info->sep_detected ? "" : " (as given)");
    else
        note(t, "fields separated by '%c' (as given)", t->sep);
    decimal_commas(t);
    return DN_OK;
}

/* Leaves out the rows whose cell in column c is missing (a target);
 * their number. */
static int drop_missing_rows(table *t, int c)
{
    if (t->strict) return 0;
    int k = 0;
    for (int r = 0; r < t->n_rows; r++) {
        if (is_na(t, CELL(t, r, c))) continue;
        if (k != r) {
            memmove(&CELL(t, k, 0), &CELL(t, r, 0),
                    (size_t)t->n_cols * sizeof *t->cell);
            t->line[k] = t->line[r];
        }
        k++;
    }
    int dropped = t->n_rows - k;
    t->n_rows = k;
    return dropped;
}

/* ---- encoding rows with a schema ---- */

/* What encoding needs besides the schema: lookups for every text
 * column's categories and for the class names. */
typedef struct {
    entry **cats;     /* per schema column; NULL for a numeric one */
    entry  *cls;      /* the named classes; NULL for regression */
    int     n_named;  /* entries in cls */
    double *cls_val;  /* each class name as a number, NaN if text; a
                         class without a name is its number */
    int     missing;  /* feature cells missing, so far */
    int     unseen;   /* cells of a category the schema does not know */
    int     unseen_r, unseen_c; /* the first of them */
} coder;

static void coder_free(coder *cd, int n_cols)
{
    for (int j = 0; cd->cats && j < n_cols; j++) free(cd->cats[j]);
    DN_FREE_ALL(cd->cats, cd->cls, cd->cls_val);
}

static dn_status coder_new(const dn_schema *s, coder *cd, dn_error *err)
{
    memset(cd, 0, sizeof *cd);
    int ok = (cd->cats = calloc((size_t)s->n_cols + 1, sizeof *cd->cats)) != 0;
    for (int j = 0; ok && j < s->n_cols; j++)
        if (s->col[j].n_cats > 0)
            ok = (cd->cats[j] = index_new(s->col[j].cats,
                                          s->col[j].n_cats)) != 0;
    if (ok && s->task != DN_TASK_REGRESSION) {
        /* Classes without names (a model file may have them) are found
         * by their number alone: the label "3" or "3.0" is class 3. */
        cd->cls = malloc(((size_t)s->n_classes + 1) * sizeof *cd->cls);
        cd->cls_val = malloc(((size_t)s->n_classes + 1) * sizeof *cd->cls_val);
        ok = cd->cls && cd->cls_val;
        for (int i = 0; ok && i < s->n_classes; i++) {
            if (!s->classes[i]) { cd->cls_val[i] = i; continue; }
            cd->cls[cd->n_named++] = (entry){ s->classes[i], i };
            if (!parse_num(s->classes[i], &cd->cls_val[i]))
                cd->cls_val[i] = NAN;
        }
        if (ok) qsort(cd->cls, (size_t)cd->n_named, sizeof *cd->cls, cmp_entry);
    }
    if (ok) return DN_OK;
    coder_free(cd, s->n_cols);
    return dn_fail(err, DN_ENOMEM, "out of memory for the schema's lookups");
}

/* One feature cell into x (zeroed): one value, or a 1 among the n_cats
 * inputs, then the indicator; a missing cell as dn_column says. */
static dn_status encode_feature(const table *t, int r, int c,
                                const dn_column *col, const entry *ix,
                                float *x, coder *cd, dn_error *err)
{
    char b[SHOW_BUF];
    const char *s = CELL(t, r, c);
    double v;
    int kind;
    if (missing(t, s)) {
        cd->missing++;
        if (col->indicator) x[col->n_cats ? col->n_cats : 1] = 1;
        if (col->n_cats) return DN_OK;
        if (!col->has_fill)
            return cell_fail(err, t, r, c, "a missing value, and the schema "
                             "has no value to fill it with (a model trained "
                             "before missing values were read); fill it in "
                             "or remove the row");
        *x = col->fill;
        return DN_OK;
    }
    if (col->n_cats == 0) {
        dn_status st = classify(t, r, c, &v, &kind, err);
        if (st) return st;
        if (kind != CELL_NUM)
            return cell_fail(err, t, r, c, "cell '%s' is not a number; fix "
                             "or remove the row (a column is text only when "
                             "all its cells are text)", show(s, b));
        *x = (float)v;
        return DN_OK;
    }
    if (is_blank(s))
        return cell_fail(err, t, r, c, "empty cell (a missing value); fill "
                         "it in or remove the row");
    int k = index_find(ix, col->n_cats, s);
    if (k >= 0) {
        x[k] = 1;
        return DN_OK;
    }
    if (cd->unseen++ == 0) {  /* all zeros, counted */
        cd->unseen_r = r;
        cd->unseen_c = c;
    }
    return DN_OK;
}

/* A class label by its text, or else by its value ("1.0" is class "1"). */
static int find_class(const dn_schema *s, const coder *cd, const char *cell)
{
    int k = index_find(cd->cls, cd->n_named, cell);
    double v;
    if (k < 0 && parse_num(cell, &v))
        for (int i = 0; i < s->n_classes && k < 0; i++)
            if (cd->cls_val[i] == v) k = i;
    return k;
}

static dn_status encode_target(const table *t, int r, int c,
                               const dn_schema *s, const coder *cd, float *y,
                               dn_error *err)
{
    char b[SHOW_BUF], l[LIST_BUF];
    const char *cell = CELL(t, r, c);
    double v;
    int kind;
    dn_status st = classify(t, r, c, &v, &kind, err);
    if (st) return st;
    if (s->task == DN_TASK_REGRESSION) {
        if (kind != CELL_NUM)
            return cell_fail(err, t, r, c, "target '%s' is not a number; a "
                             "regression target needs numbers in every row",
                             show(cell, b));
        *y = (float)v;
        return DN_OK;
    }
    int k = find_class(s, cd, cell);
    if (k < 0)
        return cell_fail(err, t, r, c, "class '%s' is not one of the "
                         "classes (%s%s); fix the label or retrain with it",
                         show(cell, b), join(s->classes, s->n_classes, l),
                         cd->n_named < s->n_classes ? "; those without a name "
                         "are written as their number" : "");
    *y = (float)k;
    return DN_OK;
}

static dn_status encode_targets(const table *t, int tcol, const dn_schema *s,
                                const coder *cd, float *Y, dn_error *err)
{
    dn_status st = DN_OK;
    for (int r = 0; !st && r < t->n_rows; r++)
        st = encode_target(t, r, tcol, s, cd, &Y[r], err);
    return st;
}

/* Encodes every row with schema s: feature column j is file column
 * src[j], the target file column tcol (-1: none, Y = NULL).  An
 * optional target that does not encode (blank cells in rows to
 * predict, say) is left out instead of failing.  The data set comes
 * without a schema; the caller attaches one. */
static dn_status encode(const table *t, const dn_schema *s, const int *src,
                        int tcol, int optional, dn_data **out, dn_error *err)
{
    coder cd;
    dn_data *D = NULL;
    dn_status st = coder_new(s, &cd, err);
    if (st) return st;
    st = dn_data_new(t->n_rows, s->n_in, tcol >= 0 ? 1 : 0, &D, err);
    for (int r = 0; !st && r < t->n_rows; r++) {
        float *x = D->X + (size_t)r * s->n_in;
        for (int j = 0; !st && j < s->n_cols; j++) {
            st = encode_feature(t, r, src[j], &s->col[j], cd.cats[j], x, &cd,
                                err);
            x += dn_col_width(&s->col[j]);
        }
    }
    if (!st && tcol >= 0) {
        st = encode_targets(t, tcol, s, &cd, D->Y, optional ? NULL : err);
        if (st && optional) {
            free(D->Y);
            D->Y = NULL;
            D->k = 0;
            st = DN_OK;
        }
    }
    coder_free(&cd, s->n_cols);
    if (st) {
        dn_data_free(D);
        return st;
    }
    dn_csv_info *in = t->info;
    in->missing = cd.missing;
    in->unseen = cd.unseen;
    if (cd.unseen) {
        char b[SHOW_BUF], h[SHOW_BUF];
        note(t, "%d cell%s of a category not seen in training, "
             "encoded as all zeros (the first: line %d, column '%s' = '%s')",
             cd.unseen, cd.unseen == 1 ? "" : "s", t->line[cd.unseen_r],
             show(t->head[cd.unseen_c], h), show(CELL(t, cd.unseen_r,
                                                       cd.unseen_c), b));
    }
    *out = D;
    return DN_OK;
}

/* ---- inferring a schema ---- */

/* What the cells of one column are. */
typedef struct {
    int n_num, n_text, n_miss;
    int first_num, first_text;  /* row of the first such cell */
    int first_real;             /* row of the first non-integer number */
} col_info;

/* What each column of the file is to the schema. */
enum { ROLE_FEATURE = 0, ROLE_TARGET, ROLE_WEIGHT, ROLE_DROP, ROLE_CATEGORY };

/* One pass over all cells, row by row (the order they sit in memory);
 * the weight and dropped columns are not looked at. */
static dn_status scan(const table *t, const unsigned char *role,
                      col_info *ci, dn_error *err)
{
    for (int c = 0; c < t->n_cols; c++)
        ci[c].first_num = ci[c].first_text = ci[c].first_real = -1;
    for (int r = 0; r < t->n_rows; r++)
        for (int c = 0; c < t->n_cols; c++) {
            double v;
            int kind;
            if (role[c] == ROLE_WEIGHT || role[c] == ROLE_DROP) continue;
            dn_status st = classify(t, r, c, &v, &kind, err);
            if (st) return st;
            col_info *i = &ci[c];
            if (kind == CELL_MISSING) {
                i->n_miss++;
                continue;
            }
            if (kind == CELL_TEXT || role[c] == ROLE_CATEGORY) {
                if (i->n_text++ == 0) i->first_text = r;
                continue;
            }
            if (i->n_num++ == 0) i->first_num = r;
            if (i->first_real < 0 && v != floor(v)) i->first_real = r;
        }
    return DN_OK;
}

/* A column is text only when all its cells are text.  In a mixed column
 * the rarer kind is the mistake; the first such cell in the file is
 * reported. */
static dn_status check_mixed(const table *t, const col_info *ci,
                             dn_error *err)
{
    int br = -1, bc = -1, text_bad = 0;
    for (int c = 0; c < t->n_cols; c++) {
        if (!ci[c].n_num || !ci[c].n_text) continue;
        int tb = ci[c].n_text <= ci[c].n_num;
        int r = tb ? ci[c].first_text : ci[c].first_num;
        if (br < 0 || r < br) {
            br = r;
            bc = c;
            text_bad = tb;
        }
    }
    if (br < 0) return DN_OK;
    char b[SHOW_BUF], b2[SHOW_BUF];
    const char *s = CELL(t, br, bc);
    if (text_bad)
        return cell_fail(err, t, br, bc, "cell '%s' is not a number; fix or "
                         "remove the row (a column is text only when all its "
                         "cells are text), or name the column in "
                         "--categorical to read every cell as a category",
                         show(s, b));
    int ft = ci[bc].first_text;
    return cell_fail(err, t, br, bc, "cell '%s' is a number in a text column "
                     "(line %d has '%s'); name the column in --categorical to "
                     "read every cell as a category (a model called '90' "
                     "beside 'Integra'), or write every cell as a number",
                     show(s, b), t->line[ft], show(CELL(t, ft, bc), b2));
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted distinct cells of column c: categories or class names. */
static dn_status distinct_texts(const table *t, int c, char ***out, int *n,
                                dn_error *err)
{
    char **v = malloc(((size_t)t->n_rows + 1) * sizeof *v);
    if (!v) return dn_fail(err, DN_ENOMEM, "%s: out of memory", t->path);
    int m = 0;
    for (int r = 0; r < t->n_rows; r++)
        if (!missing(t, CELL(t, r, c))) v[m++] = CELL(t, r, c);
    qsort(v, (size_t)m, sizeof *v, cmp_str);
    int k = 0;
    for (int r = 0; r < m; r++)
        if (k == 0 || strcmp(v[r], v[k - 1]) != 0) v[k++] = v[r];
    char **names = calloc((size_t)k + 1, sizeof *names);
    for (int i = 0; names && i < k; i++)
        if (!(names[i] = dn_strdup(v[i]))) {
            dn_strs_free(names, k);
            names = NULL;
        }
    free(v);
    if (!names) return dn_fail(err, DN_ENOMEM, "%s: out of memory", t->path);
    *out = names;
    *n = k;
    return DN_OK;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The integer target's values: vals per row, and the sorted distinct
 * ones in uniq[0..*k). */
static dn_status int_values(const table *t, int c, double **vals,
                            double **uniq, int *k, int *once, dn_error *err)
{
    size_t n = (size_t)t->n_rows;
    double *v = malloc((n + 1) * sizeof *v), *u = malloc((n + 1) * sizeof *u);
    if (!v || !u) {
        free(v);
        free(u);
        return dn_fail(err, DN_ENOMEM, "%s: out of memory", t->path);
    }
    for (size_t r = 0; r < n; r++) parse_num(CELL(t, r, c), &v[r]);
    memcpy(u, v, n * sizeof *v);
    qsort(u, n, sizeof *u, cmp_double);
    /* The values held by one row only (sorted: unlike both neighbours). */
    int one = 0;
    for (size_t r = 0; r < n; r++)
        one += (r == 0 || u[r] != u[r - 1]) && (r + 1 == n || u[r] != u[r + 1]);
    *once = one;
    int m = 0;
    for (size_t r = 0; r < n; r++)
        if (m == 0 || u[r] != u[m - 1]) u[m++] = u[r];
    *vals = v;
    *uniq = u;
    *k = m;
    return DN_OK;
}

/* Class names for integer values: each as first written in the file. */
static dn_status int_names(const table *t, int c, const double *vals,
                           const double *uniq, int k, char ***out,
                           dn_error *err)
{
    char **names = calloc((size_t)k + 1, sizeof *names);
    int left = k;
    for (int r = 0; names && r < t->n_rows && left > 0; r++) {
        const double *hit = bsearch(&vals[r], uniq, (size_t)k, sizeof *uniq,
                                    cmp_double);
        char **name = &names[hit - uniq];
        if (*name) continue;
        const char *s = CELL(t, r, c);
        while (is_space(*s)) s++;
        size_t n = strlen(s);
        while (n > 0 && is_space(s[n - 1])) n--;
        if (!(*name = malloc(n + 1))) {
            dn_strs_free(names, k);
            names = NULL;
            break;
        }
        memcpy(*name, s, n);
        (*name)[n] = '\0';
        left--;
    }
    if (!names) return dn_fail(err, DN_ENOMEM, "%s: out of memory", t->path);
    *out = names;
    return DN_OK;
}

/* The class names of the target column and how many there are. */
static dn_status target_classes(const table *t, int c, int text, int limit,
                                char ***names, int *k, int *once,
                                dn_error *err)
{
    *names = NULL;
    *once = 0;
    if (text) return distinct_texts(t, c, names, k, err);
    double *vals = NULL, *uniq = NULL;
    dn_status st = int_values(t, c, &vals, &uniq, k, once, err);
    if (st) return st;
    if (*k <= limit) st = int_names(t, c, vals, uniq, *k, names, err);
    free(vals);
    free(uniq);
    return st;
}

static void say(char *why, size_t len, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static void say(char *why, size_t len, const char *fmt, ...)
{
    if (!why || len == 0) return;
    va_list ap;
    va_start(ap, fmt);
    dn_vsnprintf(why, len, fmt, ap);
    va_end(ap);
}

/* Options with their defaults filled in. */
typedef struct {
    const char *target;
    int forced;
    dn_task task;
    int max_classes;
    char *why;
    size_t why_len;
} infer_opts;

/* Classification of the target column tc into the schema, or a message
 * why it cannot be; *regress is set when the target is better read as
 * numbers: integers with too many values, or with most values in one row
 * only (*once of the *k_out values).  Class labels name groups of rows;
 * a column whose values are mostly unique is a measurement that happens
 * to be whole (a count, a year, employment in thousands), even when it
 * has few values because the table has few rows: 16 rows of 16
 * distinct totals are no 16 classes.  Below MIN_MEASURED values the
 * integers stay labels (three rows of 0, 1, 2 are three classes): too
 * few to tell, and the classes a small example means. */
enum { MIN_MEASURED = 5 };
static dn_status classes_of(const table *t, int tc, int text,
                            const infer_opts *o, dn_schema *s, int *regress,
                            int *k_out, int *once, dn_error *err)
{
    char b[SHOW_BUF], l[LIST_BUF];
    int k, limit = o->forced ? (int)DN_MAX_WIDTH : o->max_classes;
    char **names;
    dn_status st = target_classes(t, tc, text, limit, &names, &k, once, err);
    if (st) return st;
    *k_out = k;
    *regress = !o->forced &&
               (!names || (!text && k >= MIN_MEASURED && 2 * *once > k));
    if (*regress) {
        dn_strs_free(names, names ? k : 0);
        return DN_OK;
    }
    if (k > DN_MAX_WIDTH)  /* cov: 10^6 distinct classes need 10^6 rows */
        return cell_fail(err, t, -1, tc, "%d classes is more than %ld; "  /* cov: as above */
                         "choose another target column", k, DN_MAX_WIDTH);
    s->classes = names;
    s->n_classes = k;
    if (k < 2)
        return cell_fail(err, t, -1, tc, "the target has one value only "
                         "('%s'): nothing to learn; choose another target "
                         "column or add rows of other classes",
                         show(names[0], b));
    if (o->forced && o->task == DN_TASK_BINARY && k != 2)
        return cell_fail(err, t, -1, tc, "binary classification needs 2 "
                         "classes but the target has %d (%s); use multiclass",
                         k, join(names, k, l));
    s->task = o->forced ? o->task
                        : k == 2 ? DN_TASK_BINARY : DN_TASK_MULTICLASS;
    const char *name = show(t->head[tc], b);
    const char *as = o->forced ? " as the task option asks" : "";
    if (text)
        say(o->why, o->why_len, "target '%s' holds text with %d classes "
            "(%s): %s%s", name, k, join(names, k, l), TASK_SAYS[s->task],
            as);
    else
        say(o->why, o->why_len, "target '%s' has %d distinct integer values "
            "(%s..%s): %s%s", name, k, names[0], names[k - 1],
            TASK_SAYS[s->task], as);
    return DN_OK;
}

/* Decides the task from target column tc and fills the schema's target
 * part, with the reason in o->why. */
static dn_status infer_target(const table *t, int tc, const col_info *ci,
                              const infer_opts *o, dn_schema *s,
                              dn_error *err)
{
    char b[SHOW_BUF], v[SHOW_BUF];
    const char *name = show(t->head[tc], b);
    int text = ci->n_text > 0, real = ci->first_real >= 0;
    if (!(s->target = dn_strdup(t->head[tc])))
        return dn_fail(err, DN_ENOMEM, "%s: out of memory", t->path);
    if (text && o->forced && o->task == DN_TASK_REGRESSION)
        return cell_fail(err, t, ci->first_text, tc, "regression needs a "
                         "numeric target, but the target holds text ('%s'); "
                         "use classification", show(CELL(t, ci->first_text,
                                                          tc), v));
    if (real && o->forced && o->task != DN_TASK_REGRESSION)
        return cell_fail(err, t, ci->first_real, tc, "classification needs "
                         "class labels (text or integers), but the target "
                         "holds real numbers ('%s'); use regression",
                         show(CELL(t, ci->first_real, tc), v));
    int regress = !text && (real || (o->forced &&
                                     o->task == DN_TASK_REGRESSION));
    if (!regress) {
        int k, once;
        dn_status st = classes_of(t, tc, text, o, s, &regress, &k, &once,
                                  err);
        if (st || !regress) return st;
        if (k > o->max_classes)
            say(o->why, o->why_len, "target '%s' has %d distinct integer "
                "values, more than %d classes: %s (set the task to classify "
                "them)", name, k, o->max_classes, TASK_SAYS[0]);
        else
            say(o->why, o->why_len, "target '%s' has %d distinct integer "
                "values, %d of them in one row only: numbers, not class "
                "labels: %s (set the task to classify them)", name, k, once,
                TASK_SAYS[0]);
    } else if (o->forced) {
        say(o->why, o->why_len, "target '%s' holds numbers: %s as the task "
            "option asks", name, TASK_SAYS[0]);
    } else {
        say(o->why, o->why_len, "target '%s' holds real numbers: %s", name,
            TASK_SAYS[0]);
    }
    s->task = DN_TASK_REGRESSION;
    return DN_OK;
}

/* "1.6 GB", "73 MB": bytes for a message. */
static const char *bytes_str(double b, char *buf, size_t n)
{
    if (b >= 1e9) dn_snprintf(buf, n, "%.3g GB", b / 1e9);
    else dn_snprintf(buf, n, "%.3g MB", b / 1e6);
    return buf;
}

/* A header name that says "identifier": id, ID, Id, index, a name
 * ending in _id, -id, " id", or in Id / ID after a lower-case letter
 * (customerID, PassengerId), or pandas' unnamed index column. */
static int id_name(const char *h)
{
    static const char *whole[] = { "id", "index", "unnamed: 0", "rowid",
                                   "row_id", NULL };
    size_t n = strlen(h);
    for (int i = 0; whole[i]; i++) {
        size_t k = 0;
        while (h[k] && whole[i][k] && same_ci(h[k], whole[i][k])) k++;
        if (!h[k] && !whole[i][k]) return 1;
    }
    if (n < 3 || (h[n - 2] | 0x20) != 'i' || (h[n - 1] | 0x20) != 'd')
        return 0;
    char before = h[n - 3];
    return before == '_' || before == '-' || before == ' ' ||
           (h[n - 2] == 'I' && before >= 'a' && before <= 'z');
}

#define ID_MIN_ROWS 20  /* rows before a column can look like an ID */

/* Why numeric column c looks like an ID (NULL if it does not): named
 * like one, with a distinct integer in every row.  vals: scratch for
 * n_rows doubles. */
static const char *id_number(const table *t, int c, const col_info *ci,
                             double *vals)
{
    if (t->n_rows < ID_MIN_ROWS || ci->n_miss || ci->first_real >= 0 ||
        !id_name(t->head[c]))
        return NULL;
    for (int r = 0; r < t->n_rows; r++) parse_num(CELL(t, r, c), &vals[r]);
    qsort(vals, (size_t)t->n_rows, sizeof *vals, cmp_double);
    for (int r = 1; r < t->n_rows; r++)
        if (vals[r] == vals[r - 1]) return NULL;
    return "named like one, a distinct integer in every row";
}

/* The median of numeric column c's values (n of them, NaN if none). */
static double median_of(const table *t, int c, double *vals)
{
    int n = 0;
    for (int r = 0; r < t->n_rows; r++)
        if (!missing(t, CELL(t, r, c))) parse_num(CELL(t, r, c), &vals[n++]);
    if (n == 0) return NAN;
    qsort(vals, (size_t)n, sizeof *vals, cmp_double);
    return n % 2 ? vals[n / 2] : (vals[n / 2 - 1] + vals[n / 2]) / 2;
}

/* Column c as schema column col, or a reason (in why) to leave it out:
 * no values, or ID-like.  vals: scratch for n_rows doubles. */
static dn_status infer_column(const table *t, int c, const col_info *ci,
                              int forced, dn_column *col, double *vals,
                              char *why, size_t why_len, dn_error *err)
{
    why[0] = '\0';
    if (!(col->name = dn_strdup(t->head[c])))
        return dn_fail(err, DN_ENOMEM, "%s: out of memory", t->path);
    col->indicator = ci->n_miss > 0;
    if (ci->n_num + ci->n_text == 0) {
        snprintf(why, why_len, "no values");
        return DN_OK;
    }
    if (ci->n_text || forced) {
        dn_status st = distinct_texts(t, c, &col->cats, &col->n_cats, err);
        if (st) return st;
        int present = t->n_rows - ci->n_miss, k = col->n_cats;
        if (!forced && ((k > ID_MIN_VALUES && k > t->n_rows / 2) ||
                        (present >= ID_MIN_ROWS && k == present)))
            snprintf(why, why_len, "text with %d distinct values in %d rows, "
                     "like an ID or free text (one-hot inputs seen about "
                     "once each)", k, t->n_rows);
        return DN_OK;
    }
    const char *id = id_number(t, c, ci, vals);
    if (id) {
        snprintf(why, why_len, "ID-like (%s)", id);
        return DN_OK;
    }
    col->has_fill = 1;
    col->fill = (float)median_of(t, c, vals);
    return DN_OK;
}

/* The feature columns (role ROLE_FEATURE or ROLE_CATEGORY) into the
 * schema, src[j] the file column of schema column j: names, the sorted
 * categories of the text columns, the fill values and indicators; the
 * columns without values and the ID-like ones are left out with a note.
 * Every limit is checked here, before the input matrix is allocated. */
static dn_status infer_features(const table *t, const unsigned char *role,
                                const col_info *ci, dn_schema *s, int *src,
                                dn_error *err)
{
    long n_in = 0;
    int widest = -1, j = 0, miss_cells = 0, miss_num = 0, miss_text = 0;
    char why[200], b[SHOW_BUF];
    double *vals = malloc(((size_t)t->n_rows + 1) * sizeof *vals);
    if (!vals) return dn_fail(err, DN_ENOMEM, "%s: out of memory", t->path);
    dn_status st = DN_OK;
    for (int c = 0; c < t->n_cols && !st; c++) {
        if (role[c] != ROLE_FEATURE && role[c] != ROLE_CATEGORY) continue;
        dn_column *col = &s->col[j];
        st = infer_column(t, c, &ci[c], role[c] == ROLE_CATEGORY, col, vals,
                          why, sizeof why, err);
        if (st) break;
        if (why[0]) {
            note(t, "column '%s' dropped: %s", show(t->head[c], b), why);
            t->info->dropped_cols++;
            free(col->name);
            dn_strs_free(col->cats, col->n_cats);
            memset(col, 0, sizeof *col);
            continue;
        }
        if (col->n_cats && (widest < 0 || col->n_cats > s->col[widest].n_cats))
            widest = j;
        if (col->indicator) {
            miss_cells += ci[c].n_miss;
            miss_num += col->n_cats == 0;
            miss_text += col->n_cats > 0;
        }
        n_in += dn_col_width(col);
        src[j++] = c;
    }
    free(vals);
    if (st) return st;
    s->n_cols = j;
    if (j == 0)
        return dn_fail(err, DN_EFORMAT, "%s: no input columns are left (%s); "
                       "a network needs at least one", t->path,
                       t->info->note);
    if (miss_cells)
        note(t, "%d missing cell%s: %s%s%s", miss_cells,
             miss_cells == 1 ? "" : "s",
             miss_num ? "numeric columns filled with the median, with a "
                        "was-missing input" : "",
             miss_num && miss_text ? "; " : "",
             miss_text ? "text columns given a 'missing' input" : "");
    double bytes = 4.0 * (double)n_in * t->n_rows;
    if (n_in > DN_MAX_WIDTH || bytes > MAX_INPUT_BYTES) {
        char m[32], fix[SHOW_BUF + 96];
        /* The widest text column is the one to drop; without one the
         * columns themselves are too many. */
        if (widest >= 0)
            snprintf(fix, sizeof fix, "text column '%s' alone has %d "
                     "categories: drop it or make it numeric",
                     show(s->col[widest].name, b), s->col[widest].n_cats);
        else
            snprintf(fix, sizeof fix, "the file has %d numeric input "
                     "columns: drop some (--drop)", j);
        return dn_fail(err, DN_EFORMAT, "%s: %ld inputs after one-hot "
                       "encoding is too many for %d rows (%s; the limits "
                       "are %ld inputs and 2 GiB); %s", t->path, n_in,
                       t->n_rows, bytes_str(bytes, m, sizeof m),
                       DN_MAX_WIDTH, fix);
    }
    s->n_in = (int)n_in;
    return DN_OK;
}

/* The target column from a name, or a 1-based number ("3"; "-1" is the
 * last); a header name wins over a number. */
static dn_status find_target(const table *t, const entry *names,
                             const char *spec, int *out, dn_error *err)
{
    char b[SHOW_BUF], l[LIST_BUF];
    int nc = t->n_cols;
    *out = nc - 1;
    if (!spec || !*spec) return DN_OK;
    if ((*out = index_find(names, nc, spec)) >= 0) return DN_OK;
    const char *p = spec + (*spec == '-');
    int numeric = *p != '\0';
    for (; *p; p++) numeric = numeric && is_digit(*p);
    if (!numeric)
        return dn_fail(err, DN_EARG, "%s: no column named '%s' for the "
                       "target; the columns are: %s", t->path,
                       show(spec, b), join(t->head, nc, l));
    long i = strlen(spec) > 9 ? 0 : strtol(spec, NULL, 10);
    if (i >= 1 && i <= nc) *out = (int)i - 1;
    else if (i <= -1 && i >= -nc) *out = nc + (int)i;
    else
        return dn_fail(err, DN_EARG, "%s: target column %s is out of range; "
                       "the file has %d columns: 1..%d from the start or "
                       "-1..-%d from the end", t->path, show(spec, b), nc,
                       nc, nc);
    return DN_OK;
}

static void opts_fill(const dn_csv_opts *in, char *why, size_t why_len,
                      infer_opts *o)
{
    memset(o, 0, sizeof *o);
    o->max_classes = DEFAULT_MAX_CLASSES;
    o->why = why;
    o->why_len = why_len;
    if (!in) return;
    o->target = in->target;
    o->forced = in->task_set;
    o->task = in->task;
    if (in->max_classes > 0) o->max_classes = in->max_classes;
}

/* The schema of table t, with the target in column tc and the other
 * columns' roles in role; src[j] gets schema column j's file column. */
static dn_status infer(const table *t, int tc, const unsigned char *role,
                       const infer_opts *o, dn_schema **out, int *src,
                       dn_error *err)
{
    *out = NULL;
    if (t->n_cols < 2 && !t->sniffed && t->why_sep[0])
        return dn_fail(err, DN_EFORMAT, "%s: no delimiter (',', ';', tab, "
                       "'|') splits every line into as many fields as the "
                       "header (%s); fix that line, or give the delimiter "
                       "with --sep", t->path, t->why_sep);
    if (t->n_cols < 2)
        return dn_fail(err, DN_EFORMAT, "%s: the only column is the target; "
                       "a network needs at least one input column", t->path);
    col_info *ci = calloc((size_t)t->n_cols, sizeof *ci);
    dn_schema *s = dn_schema_alloc(t->n_cols - 1);
    dn_status st = DN_OK;
    if (!ci || !s) st = dn_fail(err, DN_ENOMEM, "%s: out of memory", t->path);
    if (!st) st = scan(t, role, ci, err);
    if (!st) st = check_mixed(t, ci, err);
    if (!st) st = infer_features(t, role, ci, s, src, err);
    if (!st) st = infer_target(t, tc, &ci[tc], o, s, err);
    free(ci);
    if (st) dn_schema_free(s);
    else *out = s;
    return st;
}

dn_status dn_csv_read(const char *path, const dn_csv_opts *opts,
                      dn_data **out, char *why, size_t why_len,
                      dn_error *err)
{
    return dn_csv_read_fd(-1, path, opts, out, why, why_len, err);
}

/* Marks the columns named in a comma-separated list with role r; a
 * name that is not a column, or is the target, is an error. */
static dn_status mark_columns(const table *t, const entry *names,
                              const char *list, unsigned char r,
                              const char *what, unsigned char *role,
                              dn_error *err)
{
    char b[SHOW_BUF], l[LIST_BUF];
    for (const char *p = list; p && *p;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        while (n > 0 && is_space(*p)) p++, n--;
        while (n > 0 && is_space(p[n - 1])) n--;
        char *name = malloc(n + 1);
        if (!name) return dn_fail(err, DN_ENOMEM, "out of memory");
        memcpy(name, p, n);
        name[n] = '\0';
        int c = n ? index_find(names, t->n_cols, name) : -1;
        dn_status st = DN_OK;
        if (c < 0)
            st = dn_fail(err, DN_EARG, "%s: no column named '%s' %s; the "
                         "columns are: %s", t->path, show(name, b), what,
                         join(t->head, t->n_cols, l));
        else if (role[c] == ROLE_TARGET)
            st = dn_fail(err, DN_EARG, "%s: column '%s' is the target; it "
                         "cannot also be %s", t->path, show(name, b),
                         r == ROLE_WEIGHT ? "the row weights" :
                         r == ROLE_DROP ? "dropped" : "a feature");
        else if (role[c] && role[c] != r)
            st = dn_fail(err, DN_EARG, "%s: column '%s' is named for two "
                         "roles (weights, dropped, categories); give it one",
                         t->path, show(name, b));
        free(name);
        if (st) return st;
        role[c] = r;
        if (!e) break;
        p = e + 1;
    }
    return DN_OK;
}

/* Column c's cells as row weights: numbers ≥ 0, not all 0. */
static dn_status read_weights(const table *t, int c, float **out,
                              dn_error *err)
{
    static const char *fix = "row weights must be numbers >= 0: fix the "
                             "cell, or choose another weight column";
    char b[SHOW_BUF];
    float *w = malloc(((size_t)t->n_rows + 1) * sizeof *w);
    if (!w) return dn_fail(err, DN_ENOMEM, "%s: out of memory", t->path);
    double sum = 0;
    dn_status st = DN_OK;
    for (int r = 0; r < t->n_rows && !st; r++) {
        const char *s = CELL(t, r, c);
        double v = 0;
        int num = is_na(t, s) ? 0 : parse_num(s, &v);
        if (num < 0)
            st = dn_fail(err, DN_ENOMEM, "%s: out of memory", t->path);
        else if (is_na(t, s))
            st = cell_fail(err, t, r, c, "the weight is missing; %s", fix);
        else if (!num || !(fabs(v) <= FLT_MAX))
            st = cell_fail(err, t, r, c, "weight '%s' is not a number; %s",
                           show(s, b), fix);
        else if (v < 0)
            st = cell_fail(err, t, r, c, "weight '%s' is negative; %s",
                           show(s, b), fix);
        w[r] = (float)v;
        sum += w[r];
    }
    if (!st && !(sum > 0))
        st = cell_fail(err, t, -1, c, "every row's weight is 0; give some "
                       "rows a positive weight");
    if (st) free(w);
    else *out = w;
    return st;
}

/* The column of the weights, or -1 (or an error) for opts->weight. */
static dn_status weight_column(const table *t, const entry *names,
                               const dn_csv_opts *opts, unsigned char *role,
                               int *wc, dn_error *err)
{
    *wc = -1;
    if (!opts || !opts->weight) return DN_OK;
    dn_status st = mark_columns(t, names, opts->weight, ROLE_WEIGHT,
                                "for the row weights", role, err);
    for (int c = 0; !st && c < t->n_cols; c++)
        if (role[c] == ROLE_WEIGHT) *wc = c;
    return st;
}

/* Rows whose target is missing are left out, and said so. */
static dn_status drop_targetless(table *t, int tc, dn_error *err)
{
    char b[SHOW_BUF];
    int k = drop_missing_rows(t, tc);
    t->info->rows_dropped = k;
    if (k && t->n_rows == 0)
        return dn_fail(err, DN_EFORMAT, "%s: the target column '%s' is missing "
                       "in every row; choose another target column", t->path,
                       show(t->head[tc], b));
    if (k) note(t, "%d row%s without a target value left out", k,
                k == 1 ? "" : "s");
    return DN_OK;
}

dn_status dn_csv_read_fd(int fd, const char *path, const dn_csv_opts *opts,
                         dn_data **out, char *why, size_t why_len,
                         dn_error *err)
{
    DN_NEED(out);
    *out = NULL;
    if (why && why_len) why[0] = '\0';
    infer_opts o;
    opts_fill(opts, why, why_len, &o);
    if (o.forced && (unsigned)o.task > DN_TASK_MULTICLASS)
        return dn_fail(err, DN_EARG, "unknown task %d", (int)o.task);
    table t;
    entry *names;
    dn_schema *s = NULL;
    dn_csv_info own, *info = opts && opts->info ? opts->info : &own;
    int tc = 0, wc = -1, *src = NULL;
    unsigned char *role = NULL;
    float *w = NULL;
    dn_status st = table_load(fd, path, opts, info, &t, &names, err);
    if (!st) st = find_target(&t, names, o.target, &tc, err);
    if (!st && (!(src = malloc((size_t)t.n_cols * sizeof *src)) ||
                !(role = calloc((size_t)t.n_cols, 1))))
        st = dn_fail(err, DN_ENOMEM, "%s: out of memory", path);
    if (!st) {
        role[tc] = ROLE_TARGET;
        st = weight_column(&t, names, opts, role, &wc, err);
    }
    if (!st && opts)
        st = mark_columns(&t, names, opts->drop, ROLE_DROP, "to drop", role,
                          err);
    if (!st && opts)
        st = mark_columns(&t, names, opts->categorical, ROLE_CATEGORY,
                          "to read as categories", role, err);
    for (int c = 0; !st && c < t.n_cols; c++)
        info->dropped_cols += role[c] == ROLE_DROP;
    if (!st) st = drop_targetless(&t, tc, err);
    if (!st) st = infer(&t, tc, role, &o, &s, src, err);
    if (!st && wc >= 0) st = read_weights(&t, wc, &w, err);
    if (!st) st = encode(&t, s, src, tc, 0, out, err);
    if (!st) {
        (*out)->schema = s;
        (*out)->w = w;
    } else {
        dn_schema_free(s);
        free(w);
        if (why && why_len) why[0] = '\0';
    }
    DN_FREE_ALL(src, role, names);
    table_free(&t);
    return st;
}

/* ---- reading with a given schema ---- */

/* A schema from elsewhere (a model file) is checked before it is used:
 * CSV rows are matched to it by name, so its columns and categories need
 * names (its classes need not: those without are written as numbers). */
static dn_status schema_check(const dn_schema *s, dn_error *err)
{
    static const char *what = "the schema cannot encode the rows of a CSV: ";
    if (s->n_cols < 1 || !s->col)
        return dn_fail(err, DN_EARG, "%sit has no columns to find in the "
                       "header", what);
    long n_in = 0;
    for (int j = 0; j < s->n_cols; j++) {
        const dn_column *c = &s->col[j];
        char b[SHOW_BUF];
        if (!c->name)
            return dn_fail(err, DN_EARG, "%sits column %d has no name to "
                           "find in the header", what, j + 1);
        if (c->n_cats < 0 || (c->n_cats > 0 && !c->cats))
            return dn_fail(err, DN_EARG, "%sits column '%s' has %d "
                           "categories", what, show(c->name, b), c->n_cats);
        for (int i = 0; i < c->n_cats; i++)
            if (!c->cats[i])
                return dn_fail(err, DN_EARG, "%sits column '%s' has a "
                               "category without a name (number %d)", what,
                               show(c->name, b), i + 1);
        n_in += dn_col_width(c);
    }
    if (n_in != s->n_in)
        return dn_fail(err, DN_EARG, "%sits %d columns encode %ld inputs, "
                       "but it says %d", what, s->n_cols, n_in, s->n_in);
    if ((unsigned)s->task > DN_TASK_MULTICLASS)
        return dn_fail(err, DN_EARG, "%sunknown task %d", what, (int)s->task);
    if (s->task != DN_TASK_REGRESSION && (s->n_classes < 1 || !s->classes))
        return dn_fail(err, DN_EARG, "%sa %s task without classes", what,
                       dn_task_name(s->task));
    return DN_OK;
}

/* The file column of every schema column, and of the target (-1: not in
 * the file). */
static dn_status match_columns(const table *t, const entry *names,
                               const dn_schema *s, int need_target, int *src,
                               int *tcol, dn_error *err)
{
    char b[SHOW_BUF], l[LIST_BUF];
    for (int j = 0; j < s->n_cols; j++)
        if ((src[j] = index_find(names, t->n_cols, s->col[j].name)) < 0)
            return dn_fail(err, DN_EFORMAT, "%s: column '%s' is missing (the "
                           "header has: %s); add it, in any position",
                           t->path, show(s->col[j].name, b),
                           join(t->head, t->n_cols, l));
    *tcol = s->target ? index_find(names, t->n_cols, s->target) : -1;
    if (*tcol < 0 && need_target)
        return dn_fail(err, DN_EFORMAT, "%s: the target column '%s' is "
                       "missing (the header has: %s); add it",
                       t->path, s->target ? show(s->target, b) : "(none)",
                       join(t->head, t->n_cols, l));
    return DN_OK;
}

dn_status dn_csv_read_with(const char *path, const dn_schema *schema,
                           int need_target, dn_data **out, dn_error *err)
{
    return dn_csv_read_with_opts(-1, path, schema, need_target, NULL, out,
                                 err);
}

dn_status dn_csv_read_with_fd(int fd, const char *path,
                              const dn_schema *schema, int need_target,
                              dn_data **out, dn_error *err)
{
    return dn_csv_read_with_opts(fd, path, schema, need_target, NULL, out,
                                 err);
}

dn_status dn_csv_read_with_opts(int fd, const char *path,
                                const dn_schema *schema, int need_target,
                                const dn_csv_opts *opts, dn_data **out,
                                dn_error *err)
{
    DN_NEED(out);
    *out = NULL;
    if (!schema) return dn_fail(err, DN_EARG, "no schema given");
    dn_status st = schema_check(schema, err);
    if (st) return st;
    table t;
    entry *names;
    dn_csv_info own, *info = opts && opts->info ? opts->info : &own;
    int tcol = -1, wc = -1;
    int *src = malloc((size_t)schema->n_cols * sizeof *src);
    unsigned char *role = NULL;
    float *w = NULL;
    st = table_load(fd, path, opts, info, &t, &names, err);
    if (!st && (!src || !(role = calloc((size_t)t.n_cols, 1))))
        st = dn_fail(err, DN_ENOMEM, "%s: out of memory", path);
    if (!st) st = match_columns(&t, names, schema, need_target, src, &tcol,
                                err);
    if (!st && tcol >= 0) role[tcol] = ROLE_TARGET;
    if (!st) st = weight_column(&t, names, opts, role, &wc, err);
    if (!st && need_target) st = drop_targetless(&t, tcol, err);
    if (!st && wc >= 0) st = read_weights(&t, wc, &w, err);
    if (!st) st = encode(&t, schema, src, tcol, !need_target, out, err);
    if (!st && info->missing)
        note(&t, "%d missing cell%s encoded as in training (the median, "
             "a was-missing input)", info->missing,
             info->missing == 1 ? "" : "s");
    if (!st && (st = dn_schema_copy(schema, &(*out)->schema, err))) {
        dn_data_free(*out);
        *out = NULL;
    }
    if (!st) (*out)->w = w;
    else free(w);
    DN_FREE_ALL(src, role, names);
    table_free(&t);
    return st;
}
