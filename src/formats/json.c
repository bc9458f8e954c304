/* json.c — a strict JSON reader into a flat node array, and a small
 * buffer for writing JSON.  See json.h for what "strict" means.
 *
 * The reader is one loop over the text with an explicit stack of open
 * containers (bounded by max_depth), so hostile nesting cannot overflow
 * the C stack.  Decoded strings never grow (an escape is longer than the
 * bytes it stands for), so one block of len + 1 bytes holds them all and
 * the pointers into it never move. */
#include "nn/nn.h"
#include "formats/json.h"
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const unsigned char *s;
    size_t len, p;
    const dn_json_limits *lim;
    dn_json_node *node;
    int n, cap;
    char *strs;
    size_t strs_len;
    char *msg;
    size_t msg_len;
    int oom;            /* the failure was an allocation, not the text */
} parser;

/* Records the first error; always returns -1 so callers can `return`. */
static int fail(parser *P, size_t at, const char *fmt, ...)
{
    if (P->msg && P->msg_len) {
        char what[200];
        va_list ap;
        va_start(ap, fmt);
        dn_vsnprintf(what, sizeof what, fmt, ap);
        va_end(ap);
        snprintf(P->msg, P->msg_len, "%s at byte %zu", what, at);
    }
    return -1;
}

static void skip_ws(parser *P)
{
    while (P->p < P->len) {
        unsigned char c = P->s[P->p];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        P->p++;
    }
}

/* Appends a node (child of parent unless parent < 0); its index or -1. */
static int add_node(parser *P, dn_json_type t, int parent, const char *key)
{
    if (P->n >= P->lim->max_nodes) {
        fail(P, P->p, "more than %d values", P->lim->max_nodes);
        return -1;
    }
    if (P->n == P->cap) {
        int cap = P->cap ? P->cap * 2 : 64;
        if (cap > P->lim->max_nodes) cap = P->lim->max_nodes;
        dn_json_node *nn = realloc(P->node, (size_t)cap * sizeof *nn);
        if (!nn) { P->oom = 1; fail(P, P->p, "out of memory"); return -1; }
        P->node = nn;
        P->cap = cap;
    }
    dn_json_node *d = &P->node[P->n];
    memset(d, 0, sizeof *d);
    d->type = t;
    d->key = key;
    d->pos = P->p;
    d->next = P->n + 1;
    if (parent >= 0) P->node[parent].n++;
    return P->n++;
}

/* ---- UTF-8 ---- */

/* Length of the valid UTF-8 sequence at s (n bytes available), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80) return 1;
    size_t k;
    unsigned lo = 0x80, hi = 0xBF;   /* range of the second byte */
    if (c >= 0xC2 && c <= 0xDF) k = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        k = 3;
        if (c == 0xE0) lo = 0xA0;      /* no overlongs */
        if (c == 0xED) hi = 0x9F;      /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        k = 4;
        if (c == 0xF0) lo = 0x90;      /* no overlongs */
        if (c == 0xF4) hi = 0x8F;      /* nothing above U+10FFFF */
    } else return 0;
    if (n < k || s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < k; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    return k;
}

int dn_utf8_valid(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq(u + i, n - i);
        if (!k) return 0;
        i += k;
    }
    return 1;
}

static size_t utf8_put(char *o, unsigned long cp)
{
    if (cp < 0x80) { o[0] = (char)cp; return 1; }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* ---- strings ---- */

/* Four hex digits at P->p; -1 if not. */
static long hex4(parser *P)
{
    if (P->len - P->p < 4) return -1;
    long v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned char c = P->s[P->p + i];
        int d = c >= '0' && c <= '9' ? c - '0'
              : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) return -1;
        v = v * 16 + d;
    }
    P->p += 4;
    return v;
}

/* The code point of a \u escape whose "\u" has been read, pairing
 * surrogates; -1 after reporting an error. */
static long unicode_escape(parser *P, size_t at)
{
    long cp = hex4(P);
    if (cp < 0) return fail(P, at, "\\u must be followed by 4 hex digits");
    if (cp >= 0xDC00 && cp <= 0xDFFF)
        return fail(P, at, "lone low surrogate \\u%04lX", cp);
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (P->len - P->p < 2 || P->s[P->p] != '\\' || P->s[P->p + 1] != 'u')
            return fail(P, at, "high surrogate \\u%04lX without a low "
                        "surrogate after it", cp);
        P->p += 2;
        long lo = hex4(P);
        if (lo < 0xDC00 || lo > 0xDFFF)
            return fail(P, at, "high surrogate \\u%04lX must be followed by "
                        "a low surrogate \\uDC00..\\uDFFF", cp);
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    }
    if (cp == 0) return fail(P, at, "\\u0000 (a NUL character) in a string");
    return cp;
}

/* Decodes the string whose opening quote is at P->p into the string
 * store; returns its start there (NULL after an error) and its length. */
static const char *read_string(parser *P, size_t *len_out)
{
    char *o = P->strs + P->strs_len, *start = o;
    size_t open = P->p++;
    for (;;) {
        if (P->p >= P->len) {
            fail(P, open, "unterminated string starting");
            return NULL;
        }
        size_t at = P->p;
        unsigned char c = P->s[P->p];
        if (c == '"') { P->p++; break; }
        if (c < 0x20) {
            fail(P, at, "control character 0x%02X inside a string (write "
                 "it as an escape)", c);
            return NULL;
        }
        if (c != '\\') {
            size_t k = utf8_seq(P->s + P->p, P->len - P->p);
            if (!k) { fail(P, at, "invalid UTF-8 in a string"); return NULL; }
            memcpy(o, P->s + P->p, k);
            o += k;
            P->p += k;
            continue;
        }
        if (++P->p >= P->len) {
            fail(P, at, "unterminated escape");
            return NULL;
        }
        char e = (char)P->s[P->p++];
        const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
        const char *hit = e ? strchr(from, e) : NULL;
        if (hit) { *o++ = to[hit - from]; continue; }
        if (e != 'u') {
            if (e >= 0x20 && e < 0x7F)
                fail(P, at, "invalid escape '\\%c' in a string", e);
            else
                fail(P, at, "invalid escape in a string");
            return NULL;
        }
        long cp = unicode_escape(P, at);
        if (cp < 0) return NULL;
        o += utf8_put(o, (unsigned long)cp);
    }
    *o++ = 0;
    *len_out = (size_t)(o - start) - 1;
    P->strs_len += (size_t)(o - start);
    return start;
}

/* ---- numbers ---- */

static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

/* Reads a number at P->p into node d; -1 after an error. */
static int read_number(parser *P, dn_json_node *d)
{
    size_t b = P->p, p = P->p;
    const unsigned char *s = P->s;
    int neg = p < P->len && s[p] == '-';
    if (neg) p++;
    if (p >= P->len || !is_digit(s[p]))
        return fail(P, b, "a number needs digits after '-'");
    if (s[p] == '0' && p + 1 < P->len && is_digit(s[p + 1]))
        return fail(P, b, "numbers may not have leading zeros");
    while (p < P->len && is_digit(s[p])) p++;
    int integral = 1;
    if (p < P->len && s[p] == '.') {
        integral = 0;
        if (++p >= P->len || !is_digit(s[p]))
            return fail(P, b, "a number needs digits after '.'");
        while (p < P->len && is_digit(s[p])) p++;
    }
    if (p < P->len && (s[p] == 'e' || s[p] == 'E')) {
        integral = 0;
        p++;
        if (p < P->len && (s[p] == '+' || s[p] == '-')) p++;
        if (p >= P->len || !is_digit(s[p]))
            return fail(P, b, "a number needs digits in its exponent");
        while (p < P->len && is_digit(s[p])) p++;
    }
    P->p = p;
    if (integral) {
        /* Exact integer arithmetic: sizes and offsets must not pass
         * through a double, which would round above 2^53. */
        uint64_t mag = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : INT64_MAX;
        for (size_t i = b + neg; i < p; i++) {
            unsigned dgt = s[i] - '0';
            if (mag > (lim - dgt) / 10)
                return fail(P, b, "integer out of range (more than 2^63)");
            mag = mag * 10 + dgt;
        }
        d->is_int = 1;
        d->i = neg ? (mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN
                                                     : -(int64_t)mag)
                   : (int64_t)mag;
        d->num = neg && mag == 0 ? -0.0 : (double)d->i;  /* keep "-0" */
        return 0;
    }
    int ok = dn_parse_double((const char *)s + b, p - b, &d->num);
    if (ok < 0) { P->oom = 1; return fail(P, b, "out of memory"); }
    if (!ok) return fail(P, b, "malformed or unreadable number");
    if (!isfinite(d->num)) return fail(P, b, "number out of range");
    return 0;
}

/* ---- values ---- */

static int literal(parser *P, const char *word)
{
    size_t n = strlen(word);
    if (P->len - P->p < n || memcmp(P->s + P->p, word, n) != 0)
        return -1;
    P->p += n;
    return 0;
}

/* Sort helper for duplicate detection. */
static int key_cmp(const void *a, const void *b)
{
    const dn_json_node *x = *(const dn_json_node *const *)a;
    const dn_json_node *y = *(const dn_json_node *const *)b;
    return strcmp(x->key, y->key);
}

/* Rejects duplicate keys in object obj: sorting makes this n log n, so a
 * header with a million members cannot turn into 10^12 comparisons. */
static int check_keys(parser *P, int obj)
{
    int n = P->node[obj].n;
    if (n < 2) return 0;
    const dn_json_node **k = malloc((size_t)n * sizeof *k);
    if (!k) {
        P->oom = 1;
        return fail(P, P->node[obj].pos, "out of memory");
    }
    int c = 0;
    for (int i = obj + 1; c < n; i = P->node[i].next) k[c++] = &P->node[i];
    qsort(k, (size_t)n, sizeof *k, key_cmp);
    int rc = 0;
    for (int i = 1; i < n && !rc; i++)
        if (strcmp(k[i - 1]->key, k[i]->key) == 0) {
            size_t at = k[i]->pos > k[i - 1]->pos ? k[i]->pos : k[i - 1]->pos;
            char shown[64];
            snprintf(shown, sizeof shown, "%s", k[i]->key);
            rc = fail(P, at, "duplicate key \"%s\"%s", shown,
                      strlen(k[i]->key) >= sizeof shown ? "..." : "");
        }
    free(k);
    return rc;
}

/* Reads one value at P->p as a child of parent; returns its index.  A
 * container is only opened here: the main loop reads its contents. */
static int read_value(parser *P, int parent, const char *key)
{
    if (P->p >= P->len) return fail(P, P->p, "unexpected end of text");
    unsigned char c = P->s[P->p];
    dn_json_type t = c == '{' ? DN_JSON_OBJECT : c == '[' ? DN_JSON_ARRAY
                   : c == '"' ? DN_JSON_STRING : c == 't' ? DN_JSON_TRUE
                   : c == 'f' ? DN_JSON_FALSE : c == 'n' ? DN_JSON_NULL
                   : DN_JSON_NUMBER;
    if (t == DN_JSON_NUMBER && c != '-' && !is_digit(c)) {
        if (c >= 0x20 && c < 0x7F)
            return fail(P, P->p, "unexpected character '%c' where a value "
                        "was expected", c);
        return fail(P, P->p, "unexpected byte 0x%02X where a value was "
                    "expected", c);
    }
    int i = add_node(P, t, parent, key);
    if (i < 0) return -1;
    dn_json_node *d = &P->node[i];
    switch (t) {
    case DN_JSON_OBJECT: case DN_JSON_ARRAY:
        P->p++;
        return i;
    case DN_JSON_STRING:
        d->str = read_string(P, &d->len);
        return d->str ? i : -1;
    case DN_JSON_NUMBER:
        return read_number(P, d) ? -1 : i;
    default:
        if (literal(P, t == DN_JSON_TRUE ? "true" : t == DN_JSON_FALSE
                       ? "false" : "null"))
            return fail(P, d->pos, "unknown word (only true, false and "
                        "null are JSON literals)");
        return i;
    }
}

/* Inside an object: reads `"key" :` and returns the decoded key. */
static const char *read_key(parser *P)
{
    if (P->p >= P->len || P->s[P->p] != '"') {
        fail(P, P->p, "expected a string key in an object");
        return NULL;
    }
    size_t n;
    const char *k = read_string(P, &n);
    if (!k) return NULL;
    skip_ws(P);
    if (P->p >= P->len || P->s[P->p] != ':') {
        fail(P, P->p, "expected ':' after an object key");
        return NULL;
    }
    P->p++;
    skip_ws(P);
    return k;
}

/* What the loop expects next inside the innermost open container. */
enum { FIRST, NEXT, ITEM };

static int parse_doc(parser *P, int *stack)
{
    int depth = 0, want = ITEM;
    skip_ws(P);
    for (;;) {
        int top = depth ? stack[depth - 1] : -1;
        int in_obj = top >= 0 && P->node[top].type == DN_JSON_OBJECT;
        if (want == FIRST || want == NEXT) {
            skip_ws(P);
            char close = in_obj ? '}' : ']';
            if (P->p >= P->len)
                return fail(P, P->p, "unexpected end of text inside %s",
                            in_obj ? "an object" : "an array");
            if (P->s[P->p] == close) {
                P->p++;
                P->node[top].next = P->n;
                if (in_obj && check_keys(P, top)) return -1;
                if (--depth == 0) break;
                want = NEXT;
                continue;
            }
            if (want == NEXT) {
                if (P->s[P->p] != ',')
                    return fail(P, P->p, "expected ',' or '%c'", close);
                P->p++;
                skip_ws(P);
            }
            want = ITEM;
        }
        const char *key = NULL;
        if (in_obj && !(key = read_key(P))) return -1;
        int v = read_value(P, top, key);
        if (v < 0) return -1;
        dn_json_type t = P->node[v].type;
        if (t == DN_JSON_OBJECT || t == DN_JSON_ARRAY) {
            if (depth >= P->lim->max_depth)
                return fail(P, P->node[v].pos, "nesting deeper than %d",
                            P->lim->max_depth);
            stack[depth++] = v;
            want = FIRST;
        } else {
            if (depth == 0) break;
            want = NEXT;
        }
    }
    skip_ws(P);
    if (P->p != P->len)
        return fail(P, P->p, "unexpected text after the JSON value");
    return 0;
}

int dn_json_parse(const char *text, size_t len, const dn_json_limits *lim,
                  dn_json *out, char *msg, size_t msg_len)
{
    memset(out, 0, sizeof *out);
    parser P;
    memset(&P, 0, sizeof P);
    P.s = (const unsigned char *)text;
    P.len = len;
    P.lim = lim;
    P.msg = msg;
    P.msg_len = msg_len;
    if (len > lim->max_len)
        return fail(&P, 0, "text of %zu bytes is longer than the limit of "
                    "%zu", len, lim->max_len);
    if (lim->max_depth < 1 || lim->max_nodes < 1)
        return fail(&P, 0, "invalid limits");
    int *stack = malloc((size_t)lim->max_depth * sizeof *stack);
    P.strs = malloc(len + 1);
    P.oom = !stack || !P.strs;
    int rc = !P.oom ? parse_doc(&P, stack) : fail(&P, 0, "out of memory");
    free(stack);
    if (rc) {
        free(P.node);
        free(P.strs);
        return P.oom ? -2 : -1;
    }
    out->node = P.node;
    out->n_nodes = P.n;
    out->strs = P.strs;
    return 0;
}

void dn_json_free(dn_json *j)
{
    if (!j) return;
    free(j->node);
    free(j->strs);
    memset(j, 0, sizeof *j);
}

int dn_json_get(const dn_json *j, int obj, const char *key)
{
    if (obj < 0 || obj >= j->n_nodes || j->node[obj].type != DN_JSON_OBJECT)
        return -1;
    int end = j->node[obj].next;
    for (int i = obj + 1; i < end; i = j->node[i].next)
        if (strcmp(j->node[i].key, key) == 0) return i;
    return -1;
}

const char *dn_json_type_name(dn_json_type t)
{
    switch (t) {
    case DN_JSON_NULL:   return "null";
    case DN_JSON_FALSE:
    case DN_JSON_TRUE:   return "a boolean";
    case DN_JSON_NUMBER: return "a number";
    case DN_JSON_STRING: return "a string";
    case DN_JSON_ARRAY:  return "an array";
    case DN_JSON_OBJECT: return "an object";
    }
    return "?";
}

/* ---- writing ---- */

void dn_jb_raw(dn_jbuf *b, const char *s, size_t n)
{
    /* one byte more: always a C string, for messages and tests */
    unsigned char *o = n < SIZE_MAX ? dn_buf_room(&b->buf, n + 1) : NULL;
    if (!o) { if (!b->failed) b->failed = 1; return; }
    if (n) memcpy(o, s, n);
    o[n] = 0;
    b->len += n;
}

void dn_jb_puts(dn_jbuf *b, const char *s) { dn_jb_raw(b, s, strlen(s)); }

void dn_jb_printf(dn_jbuf *b, const char *fmt, ...)
{
    char t[512];
    va_list ap;
    va_start(ap, fmt);
    int n = dn_vsnprintf(t, sizeof t, fmt, ap);
    va_end(ap);
    if (n > 0) dn_jb_raw(b, t, (size_t)n < sizeof t ? (size_t)n : sizeof t - 1);
}

void dn_jb_int(dn_jbuf *b, long long v)
{
    char t[32];
    int n = snprintf(t, sizeof t, "%lld", v);
    dn_jb_raw(b, t, (size_t)n);
}

void dn_jb_float(dn_jbuf *b, float v)
{
    if (!isfinite(v)) { dn_jb_puts(b, "null"); return; }
    char t[64];
    int n = dn_snprintf(t, sizeof t, "%.9g", (double)v);
    if (n < 0) { b->failed = 1; return; }
    dn_jb_raw(b, t, (size_t)n);
}

void dn_jb_str(dn_jbuf *b, const char *s)
{
    if (!s) { dn_jb_puts(b, "null"); return; }
    size_t n = strlen(s);
    if (!dn_utf8_valid(s, n)) {
        if (!b->failed) b->failed = 2;
        return;
    }
    dn_jb_raw(b, "\"", 1);
    size_t run = 0;   /* bytes copied as they are, flushed in one go */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        dn_jb_raw(b, s + run, i - run);
        run = i + 1;
        char e[8];
        const char *named = c == '"' ? "\\\"" : c == '\\' ? "\\\\"
                          : c == '\n' ? "\\n" : c == '\t' ? "\\t"
                          : c == '\r' ? "\\r" : NULL;
        if (named) dn_jb_puts(b, named);
        else {
            snprintf(e, sizeof e, "\\u%04x", c);
            dn_jb_puts(b, e);
        }
    }
    dn_jb_raw(b, s + run, n - run);
    dn_jb_raw(b, "\"", 1);
}

void dn_jb_free(dn_jbuf *b) { dn_buf_free(&b->buf); }
