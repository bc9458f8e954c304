/* json.h — a small strict JSON reader and a string builder for writing
 * JSON, for the library's own use (model file headers).
 *
 * The reader parses a whole text into a flat array of nodes in document
 * order, without recursion: a container's children follow it, and each
 * node's `next` is the index just past its subtree, so walking siblings
 * is `for (i = first; i < end; i = node[i].next)`.
 *
 * Strict means: RFC 8259 only (no comments, no trailing commas, no NaN,
 * no leading zeros), valid UTF-8 in the text, escapes checked (\u
 * surrogates must pair), no NUL characters in strings (they become C
 * strings), duplicate keys in an object rejected, integers must fit in
 * int64 and other numbers must be finite doubles, nothing but white
 * space after the value.  Depth, node count and text length are bounded
 * by the caller's limits before anything is allocated for them.
 */
#ifndef DN_JSON_H
#define DN_JSON_H

#include "descent.h"
#include "base/buf.h"
#include <stddef.h>
#include <stdint.h>

typedef enum {
    DN_JSON_NULL, DN_JSON_FALSE, DN_JSON_TRUE, DN_JSON_NUMBER,
    DN_JSON_STRING, DN_JSON_ARRAY, DN_JSON_OBJECT
} dn_json_type;

typedef struct {
    dn_json_type type;
    int         is_int;  /* number written as an integer (fits int64) */
    int64_t     i;       /* its value when is_int */
    double      num;     /* every number's value */
    const char *str;     /* string: decoded, NUL-terminated */
    size_t      len;     /* string: bytes, without the NUL */
    const char *key;     /* member of an object: its decoded key; else NULL */
    int         n;       /* array/object: number of children */
    int         next;    /* index of the first node after this subtree */
    size_t      pos;     /* byte offset in the text, for messages */
} dn_json_node;

typedef struct {
    dn_json_node *node;  /* node[0] is the root */
    int           n_nodes;
    char         *strs;  /* storage of every decoded string */
} dn_json;

typedef struct {
    int    max_depth;    /* nesting of arrays/objects (≥ 1) */
    int    max_nodes;    /* values in the whole document */
    size_t max_len;      /* bytes of text */
} dn_json_limits;

/* Parses text[0..len).  On failure returns -1 (-2 when an allocation
 * failed, not the text), frees everything and writes "what, at byte N"
 * into msg; on success 0. */
int  dn_json_parse(const char *text, size_t len, const dn_json_limits *lim,
                   dn_json *out, char *msg, size_t msg_len);
void dn_json_free(dn_json *j);

/* Index of member `key` of object node obj, or -1. */
int  dn_json_get(const dn_json *j, int obj, const char *key);

/* Type name for messages ("a string", "an array", ...). */
const char *dn_json_type_name(dn_json_type t);

/* ---- writing ---- */

/* A text being built: the growing buffer of base/buf.h, seen as chars,
 * and always NUL-terminated.  After an allocation failure every append is
 * a no-op and `failed` stays set, so builders check once at the end. */
typedef union {
    dn_buf buf;
    struct {            /* the same fields, the bytes as a C string */
        char  *p;
        size_t len, cap;
        int    failed;  /* 1: out of memory; 2: a string was not UTF-8 */
    };
} dn_jbuf;

void dn_jb_raw(dn_jbuf *b, const char *s, size_t n);
void dn_jb_puts(dn_jbuf *b, const char *s);
/* printf into the buffer, in the C locale; one call writes at most 511
 * bytes (the generated C source's lines and numbers are far shorter). */
void dn_jb_printf(dn_jbuf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void dn_jb_int(dn_jbuf *b, long long v);
/* A float as %.9g (enough digits to read back the same float) in the C
 * locale, '.' whatever the host's (numtext.c); non-finite is null. */
void dn_jb_float(dn_jbuf *b, float v);
/* s as a quoted JSON string with escapes; NULL is written as null.
 * Sets failed = 2 if s is not valid UTF-8 (JSON cannot carry it). */
void dn_jb_str(dn_jbuf *b, const char *s);
void dn_jb_free(dn_jbuf *b);

/* 1 if s[0..n) is valid UTF-8 (no overlongs, surrogates or > U+10FFFF). */
int dn_utf8_valid(const char *s, size_t n);

/* descent's own documents, written once for every file that carries them
 * (modelfile.c defines them): an array of strings, and the feature
 * schema as docs/model-format.md describes "descent.schema".  When bad is
 * not NULL, *bad receives the first string that is not UTF-8. */
void dn_strs_json(dn_jbuf *b, char *const *s, int n, const char **bad);
void dn_schema_json(dn_jbuf *b, const dn_schema *s, const char **bad);

#endif
