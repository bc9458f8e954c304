/* modelfile.c — models as safetensors files (docs/model-format.md).
 *
 *   [8 bytes: N, little-endian u64] [N bytes: JSON header] [data]
 *
 * The header names each tensor like the state dict of the equivalent
 * PyTorch nn.Sequential: layer l's Linear is module 2l ("2l.weight"
 * [out, in], "2l.bias" [out]) and its activation module 2l+1 (a PReLU's
 * slopes: "2l+1.weight" [out]).  Everything else travels as strings in
 * "__metadata__".  Tensors are written in the order of theta, so the data
 * block is theta itself, as little-endian float32.
 *
 * Saving builds the header in memory, writes a temporary file next to
 * the target, syncs it and renames it over the target: a reader sees the
 * old file or the new one, never half of one.
 *
 * Loading trusts nothing: every length, offset and shape in the file is
 * checked against the file size and the limits of internal.h before it
 * sizes an allocation or a read. */
#include "nn/nn.h"
#include "formats/json.h"
#include "base/byteorder.h"
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FORMAT_MAJOR   1
#define FORMAT_VERSION "1"
#define MAX_HEADER     100000000ULL  /* bytes; the safetensors spec's cap */
#define MAX_RANK       8

/* Embedded JSON documents are small; these bound what a hostile header
 * can make the reader allocate (a node is 64 bytes). */
static const dn_json_limits LIMITS = { 16, 1 << 21, MAX_HEADER };

/* __metadata__ keys that descent writes itself. */
static const char *const RESERVED[] = {
    "format", "descent.version", "descent.arch", "descent.scaling",
    "descent.target_scaling", "descent.schema"
};
#define N_RESERVED (sizeof RESERVED / sizeof *RESERVED)

static int is_reserved(const char *key)
{
    for (size_t i = 0; i < N_RESERVED; i++)
        if (strcmp(key, RESERVED[i]) == 0) return 1;
    return 0;
}

/* Module number and parameter of tensor (layer l, kind k). */
enum { K_W, K_B, K_SLOPE };

static void tensor_name(char *buf, size_t n, int l, int kind)
{
    snprintf(buf, n, "%d.%s", kind == K_SLOPE ? 2 * l + 1 : 2 * l,
             kind == K_B ? "bias" : "weight");
}

/* ================================================================== */
/* Saving                                                              */
/* ================================================================== */

/* Writes s, remembering the first string that is not UTF-8 in *bad. */
static void put_s(dn_jbuf *b, const char *s, const char **bad)
{
    if (s && bad && !*bad && !dn_utf8_valid(s, strlen(s))) *bad = s;
    dn_jb_str(b, s);
}

/* The start of the arch and schema documents, {"n_in":n,"list":[ ;
 * then each element of the list opens with item: {"key": (after a comma
 * from the second on). */
static void doc_start(dn_jbuf *b, int n_in, const char *list)
{
    dn_jb_puts(b, "{\"n_in\":");
    dn_jb_int(b, n_in);
    dn_jb_puts(b, ",\"");
    dn_jb_puts(b, list);
    dn_jb_puts(b, "\":[");
}

static void item(dn_jbuf *b, int i, const char *key)
{
    dn_jb_puts(b, i ? ",{\"" : "{\"");
    dn_jb_puts(b, key);
    dn_jb_puts(b, "\":");
}

static void arch_json(dn_jbuf *b, const dn_arch *A)
{
    doc_start(b, A->n_in, "layers");
    for (int l = 0; l < A->n_layers; l++) {
        const dn_layer *L = &A->layer[l];
        item(b, l, "units");
        dn_jb_int(b, L->units);
        dn_jb_puts(b, ",\"act\":");
        dn_jb_str(b, dn_act_name(L->act));
        if (L->alpha != 0) {
            dn_jb_puts(b, ",\"alpha\":");
            dn_jb_float(b, L->alpha);
        }
        dn_jb_puts(b, "}");
    }
    dn_jb_puts(b, "],\"loss\":");
    dn_jb_str(b, dn_loss_name(A->loss));
    dn_jb_puts(b, "}");
}

static void floats_json(dn_jbuf *b, const float *v, int n)
{
    dn_jb_puts(b, "[");
    for (int i = 0; i < n; i++) {
        if (i) dn_jb_puts(b, ",");
        dn_jb_float(b, v[i]);
    }
    dn_jb_puts(b, "]");
}

static void scaling_json(dn_jbuf *b, const float *mean, const float *std,
                         int n)
{
    dn_jb_puts(b, "{\"mean\":");
    floats_json(b, mean, n);
    dn_jb_puts(b, ",\"std\":");
    floats_json(b, std, n);
    dn_jb_puts(b, "}");
}

void dn_strs_json(dn_jbuf *b, char *const *s, int n, const char **bad)
{
    dn_jb_puts(b, "[");
    for (int i = 0; i < n; i++) {
        if (i) dn_jb_puts(b, ",");
        put_s(b, s[i], bad);
    }
    dn_jb_puts(b, "]");
}

void dn_schema_json(dn_jbuf *b, const dn_schema *s, const char **bad)
{
    doc_start(b, s->n_in, "columns");
    for (int i = 0; i < s->n_cols; i++) {
        const dn_column *c = &s->col[i];
        item(b, i, "name");
        put_s(b, c->name, bad);
        if (c->n_cats > 0) {
            dn_jb_puts(b, ",\"categories\":");
            dn_strs_json(b, c->cats, c->n_cats, bad);
        }
        if (c->has_fill) {
            dn_jb_puts(b, ",\"fill\":");
            dn_jb_float(b, c->fill);
        }
        if (c->indicator) dn_jb_puts(b, ",\"indicator\":true");
        dn_jb_puts(b, "}");
    }
    dn_jb_puts(b, "]");
    if (s->img_rows > 0 || s->img_cols > 0) {
        dn_jb_puts(b, ",\"img_rows\":");
        dn_jb_int(b, s->img_rows);
        dn_jb_puts(b, ",\"img_cols\":");
        dn_jb_int(b, s->img_cols);
    }
    if (s->target) {
        dn_jb_puts(b, ",\"target\":");
        put_s(b, s->target, bad);
    }
    dn_jb_puts(b, ",\"task\":");
    dn_jb_str(b, dn_task_name(s->task));
    if (s->n_classes > 0) {
        dn_jb_puts(b, ",\"classes\":");
        dn_strs_json(b, s->classes, s->n_classes, bad);
    }
    dn_jb_puts(b, "}");
}

/* "key": "<JSON text of doc, as a string>" */
static void meta_doc(dn_jbuf *b, const char *key, const dn_jbuf *doc)
{
    dn_jb_puts(b, ",");
    dn_jb_str(b, key);
    dn_jb_puts(b, ":");
    dn_jb_str(b, doc->p);
}

static void metadata_json(dn_jbuf *b, const dn_model *m, const char **bad)
{
    dn_jbuf doc = { 0 };
    dn_jb_puts(b, "\"__metadata__\":{\"format\":\"descent\","
               "\"descent.version\":\"" FORMAT_VERSION "\"");
    arch_json(&doc, &m->arch);
    meta_doc(b, "descent.arch", &doc);
    if (m->mean) {
        doc.len = 0;
        scaling_json(&doc, m->mean, m->std, m->arch.n_in);
        meta_doc(b, "descent.scaling", &doc);
    }
    if (m->t_mean) {
        doc.len = 0;
        scaling_json(&doc, m->t_mean, m->t_std,
                     m->arch.layer[m->arch.n_layers - 1].units);
        meta_doc(b, "descent.target_scaling", &doc);
    }
    if (m->schema) {
        doc.len = 0;
        dn_schema_json(&doc, m->schema, bad);
        meta_doc(b, "descent.schema", &doc);
    }
    if (doc.failed) b->failed = doc.failed;
    dn_jb_free(&doc);
    for (int i = 0; i < m->n_meta; i++) {
        dn_jb_puts(b, ",");
        put_s(b, m->meta_key[i], bad);
        dn_jb_puts(b, ":");
        put_s(b, m->meta_val[i], bad);
    }
    dn_jb_puts(b, "}");
}

static void tensor_json(dn_jbuf *b, const char *name, int rows, int cols,
                        size_t off)
{
    size_t n = (size_t)rows * (cols ? cols : 1);
    dn_jb_puts(b, ",");
    dn_jb_str(b, name);
    dn_jb_puts(b, ":{\"dtype\":\"F32\",\"shape\":[");
    dn_jb_int(b, rows);
    if (cols) {
        dn_jb_puts(b, ",");
        dn_jb_int(b, cols);
    }
    dn_jb_puts(b, "],\"data_offsets\":[");
    dn_jb_int(b, (long long)(off * 4));
    dn_jb_puts(b, ",");
    dn_jb_int(b, (long long)((off + n) * 4));
    dn_jb_puts(b, "]}");
}

/* The whole header, padded with spaces to a multiple of 8 bytes so that
 * the data starts aligned. */
static dn_status build_header(const dn_model *m, const char *path,
                              dn_jbuf *b, dn_error *err)
{
    char s1[DN_SHOW_BUF];
    for (int i = 0; i < m->n_meta; i++)
        if (is_reserved(m->meta_key[i]))
            return dn_fail(err, DN_EARG, "cannot save '%s': metadata key "
                           "'%s' is reserved (descent writes it itself); "
                           "rename the key", path, m->meta_key[i]);
    const char *bad = NULL;
    dn_jb_puts(b, "{");
    metadata_json(b, m, &bad);
    int in = m->arch.n_in;
    for (int l = 0; l < m->arch.n_layers; l++) {
        int out = m->arch.layer[l].units;
        char name[32];
        tensor_name(name, sizeof name, l, K_W);
        tensor_json(b, name, out, in, m->off_W[l]);
        tensor_name(name, sizeof name, l, K_B);
        tensor_json(b, name, out, 0, m->off_b[l]);
        if (m->off_slope[l] >= 0) {
            tensor_name(name, sizeof name, l, K_SLOPE);
            tensor_json(b, name, out, 0, (size_t)m->off_slope[l]);
        }
        in = out;
    }
    dn_jb_puts(b, "}");
    while (!b->failed && b->len % 8) dn_jb_puts(b, " ");
    if (bad)
        return dn_fail(err, DN_EARG, "cannot save '%s': the name or "
                       "metadata string '%s' is not valid UTF-8, which JSON "
                       "cannot hold; re-encode the data file or the "
                       "metadata as UTF-8", path, dn_show(bad, s1));
    if (b->failed)
        return dn_fail(err, DN_ENOMEM, "out of memory building the header "
                       "of '%s'", path);
    if (b->len > MAX_HEADER)
        return dn_fail(err, DN_EARG, "cannot save '%s': the header (schema "
                       "and metadata) would take %zu bytes, more than the "
                       "format's limit of %llu; store less metadata",
                       path, b->len, MAX_HEADER);
    return DN_OK;
}

/* Writes length, header and theta; 0 or -1 with errno set. */
static int write_body(FILE *f, const dn_jbuf *hdr, const float *theta,
                      size_t n)
{
    unsigned char len8[8], buf[16384];
    dn_put_le64(len8, (uint64_t)hdr->len);
    if (fwrite(len8, 1, 8, f) != 8 ||
        fwrite(hdr->p, 1, hdr->len, f) != hdr->len)
        return -1;
    for (size_t i = 0; i < n;) {
        size_t k = 0;
        for (; i < n && k < sizeof buf; i++, k += 4)
            dn_put_f32le(buf + k, theta[i]);
        if (fwrite(buf, 1, k, f) != k) return -1;
    }
    return 0;
}

/* What dn_atomic_write needs to fill the file. */
typedef struct { const dn_jbuf *hdr; const dn_model *m; } save_job;

static int fill_model(FILE *f, void *arg)
{
    const save_job *j = arg;
    return write_body(f, j->hdr, j->m->theta, j->m->n_params);
}

dn_status dn_model_save(const dn_model *m, const char *path, dn_error *err)
{
    if (!m || !path || !*path)
        return dn_fail(err, DN_EARG, "dn_model_save needs a model and a "
                       "file name");
    dn_jbuf hdr = { 0 };
    dn_status st = build_header(m, path, &hdr, err);
    if (!st) {
        save_job j = { &hdr, m };
        st = dn_atomic_write(path, "model", fill_model, &j, err);
    }
    dn_jb_free(&hdr);
    return st;
}

dn_status dn_model_check_save(const dn_model *m, const char *path,
                              dn_error *err)
{
    if (!m || !path || !*path)
        return dn_fail(err, DN_EARG, "dn_model_check_save needs a model and "
                       "a file name");
    dn_jbuf hdr = { 0 };
    dn_status st = build_header(m, path, &hdr, err);
    dn_jb_free(&hdr);
    return st ? st : dn_atomic_check(path, "model", err);
}

/* ================================================================== */
/* Loading                                                             */
/* ================================================================== */

typedef struct {
    const char *name;
    size_t  pos;                 /* in the header, for nothing but order */
    int     rank;
    int64_t shape[MAX_RANK];
    uint64_t b, e;               /* data_offsets */
    int     layer, kind;         /* which of the model's tensors */
} tensor;

typedef struct {
    const char *path;
    dn_error   *err;
    FILE       *f;
    uint64_t    size, hlen, dlen; /* file, header and data bytes */
    char       *htext;
    dn_json     h;                /* the header */
    int         meta;             /* index of __metadata__ in h */
    dn_arch     arch;
    tensor     *t;
    int         n_t;
    float      *mean, *std;       /* input scaling */
    float      *t_mean, *t_std;   /* target scaling */
    dn_schema  *schema;
    dn_model   *m;
} loader;

/* "model file 'p': <what>" as DN_EFORMAT (or code). */
static dn_status lfail(loader *L, dn_status code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static dn_status lfail(loader *L, dn_status code, const char *fmt, ...)
{
    char what[900];
    va_list ap;
    va_start(ap, fmt);
    dn_vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return dn_fail(L->err, code, "model file '%s': %s", L->path, what);
}

#define DAMAGED "; the file is damaged or was not written by descent"

/* ---- the container: size, header length, header JSON ---- */

static dn_status read_exact(loader *L, void *buf, size_t n, uint64_t at)
{
    if (fseeko(L->f, (off_t)at, SEEK_SET) != 0)
        return lfail(L, DN_EIO, "cannot seek to byte %llu: %s",
                     (unsigned long long)at, strerror(errno));
    if (fread(buf, 1, n, L->f) != n)
        return lfail(L, DN_EIO, "cannot read %zu bytes at byte %llu: %s",
                     n, (unsigned long long)at, ferror(L->f)
                     ? strerror(errno) : "the file is shorter than it was "
                     "a moment ago");
    return DN_OK;
}

static dn_status read_header(loader *L)
{
    struct stat sb;
    if (fstat(fileno(L->f), &sb) != 0)
        return lfail(L, DN_EIO, "cannot stat: %s", strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return lfail(L, DN_EIO, "not a regular file; give the path of a "
                     "model saved by descent");
    L->size = (uint64_t)sb.st_size;
    if (L->size < 8)
        return lfail(L, DN_EFORMAT, "only %llu bytes, too short for a model "
                     "(a safetensors file starts with an 8-byte header "
                     "length)" DAMAGED, (unsigned long long)L->size);
    unsigned char len8[8];
    dn_status st = read_exact(L, len8, 8, 0);
    if (st) return st;
    L->hlen = dn_get_le64(len8);
    if (L->hlen > L->size - 8)
        return lfail(L, DN_EFORMAT, "the header length %llu is larger than "
                     "the %llu bytes that follow it (the file is truncated, "
                     "or it is not a safetensors file)",
                     (unsigned long long)L->hlen,
                     (unsigned long long)(L->size - 8));
    if (L->hlen > MAX_HEADER)
        return lfail(L, DN_EFORMAT, "the header length %llu exceeds the "
                     "safetensors limit of %llu bytes" DAMAGED,
                     (unsigned long long)L->hlen, MAX_HEADER);
    L->dlen = L->size - 8 - L->hlen;
    L->htext = malloc((size_t)L->hlen + 1);
    if (!L->htext)
        return lfail(L, DN_ENOMEM, "out of memory for a %llu-byte header",
                     (unsigned long long)L->hlen);
    st = read_exact(L, L->htext, (size_t)L->hlen, 8);
    if (st) return st;
    char why[256];
    int rc = dn_json_parse(L->htext, (size_t)L->hlen, &LIMITS, &L->h, why,
                           sizeof why);
    if (rc == -2)
        return lfail(L, DN_ENOMEM, "out of memory reading the header");
    if (rc)
        return lfail(L, DN_EFORMAT, "the header is not valid JSON: %s"
                     DAMAGED, why);
    if (L->h.node[0].type != DN_JSON_OBJECT)
        return lfail(L, DN_EFORMAT, "the header is %s, not a JSON object"
                     DAMAGED, dn_json_type_name(L->h.node[0].type));
    return DN_OK;
}

/* ---- __metadata__ ---- */

/* A string in __metadata__, or NULL. */
static const char *meta_str(const loader *L, const char *key)
{
    int i = dn_json_get(&L->h, L->meta, key);
    return i >= 0 ? L->h.node[i].str : NULL;
}

static int has_tensors(const loader *L)
{
    const dn_json *h = &L->h;
    for (int i = 1; i < h->n_nodes; i = h->node[i].next)
        if (strcmp(h->node[i].key, "__metadata__") != 0 &&
            dn_json_get(h, i, "dtype") >= 0)
            return 1;
    return 0;
}

static dn_status not_descent(loader *L, const char *why)
{
    if (has_tensors(L))
        return lfail(L, DN_EFORMAT, "this is a safetensors file, but not a "
                     "descent model: %s; descent loads only models it saved "
                     "itself (dn_model_save, descent train)", why);
    return lfail(L, DN_EFORMAT, "not a descent model file: %s; give the "
                 "path of a model saved by descent", why);
}

static dn_status check_version(loader *L)
{
    char s1[DN_SHOW_BUF];
    const char *v = meta_str(L, "descent.version");
    if (!v)
        return lfail(L, DN_EFORMAT, "__metadata__ has no \"descent.version\""
                     DAMAGED);
    long major = 0;
    const char *p = v;
    for (; *p >= '0' && *p <= '9' && major < 100000; p++)
        major = major * 10 + (*p - '0');
    if (p == v || (*p && *p != '.') || major < 1)
        return lfail(L, DN_EFORMAT, "descent.version '%s' is not a format "
                     "version (expected \"" FORMAT_VERSION "\")" DAMAGED,
                     dn_show(v, s1));
    if (major > FORMAT_MAJOR)
        return lfail(L, DN_EFORMAT, "written in model format version %s by "
                     "a newer descent; this descent reads format version %d; "
                     "upgrade descent to load it", dn_show(v, s1),
                     FORMAT_MAJOR);
    return DN_OK;
}

static dn_status check_metadata(loader *L)
{
    char s1[DN_SHOW_BUF];
    const dn_json *h = &L->h;
    L->meta = dn_json_get(h, 0, "__metadata__");
    if (L->meta < 0)
        return not_descent(L, "its header has no \"__metadata__\" with "
                           "\"format\": \"descent\"");
    if (h->node[L->meta].type != DN_JSON_OBJECT)
        return lfail(L, DN_EFORMAT, "__metadata__ is %s, not an object of "
                     "strings" DAMAGED,
                     dn_json_type_name(h->node[L->meta].type));
    for (int i = L->meta + 1; i < h->node[L->meta].next; i = h->node[i].next) {
        if (h->node[i].type != DN_JSON_STRING)
            return lfail(L, DN_EFORMAT, "__metadata__ entry '%s' is %s; "
                         "safetensors metadata values must be strings"
                         DAMAGED, dn_show(h->node[i].key, s1),
                         dn_json_type_name(h->node[i].type));
        if (!*h->node[i].key)
            return lfail(L, DN_EFORMAT, "__metadata__ has an empty key"
                         DAMAGED);
    }
    const char *fmt = meta_str(L, "format");
    if (!fmt)
        return not_descent(L, "its __metadata__ has no \"format\": "
                           "\"descent\"");
    if (strcmp(fmt, "descent") != 0) {
        char why[256];
        snprintf(why, sizeof why, "its __metadata__ says \"format\": \"%s\" "
                 "(another program wrote it)", dn_show(fmt, s1));
        return not_descent(L, why);
    }
    return check_version(L);
}

/* ---- embedded JSON documents (descent.arch, .scaling, .schema) ---- */

typedef struct {
    loader     *L;
    const char *what;  /* "descent.arch" */
    dn_json     j;
} doc;

static dn_status dfail(doc *d, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static dn_status dfail(doc *d, const char *fmt, ...)
{
    char what[700];
    va_list ap;
    va_start(ap, fmt);
    dn_vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return lfail(d->L, DN_EFORMAT, "%s: %s" DAMAGED, d->what, what);
}

static dn_status doc_open(doc *d, loader *L, const char *key, int required)
{
    d->L = L;
    d->what = key;
    memset(&d->j, 0, sizeof d->j);
    const char *s = meta_str(L, key);
    if (!s) {
        if (!required) return DN_OK;
        return lfail(L, DN_EFORMAT, "__metadata__ has no \"%s\"" DAMAGED,
                     key);
    }
    char why[256];
    int rc = dn_json_parse(s, strlen(s), &LIMITS, &d->j, why, sizeof why);
    if (rc == -2)
        return lfail(L, DN_ENOMEM, "out of memory reading %s", key);
    if (rc) return dfail(d, "not valid JSON: %s", why);
    if (d->j.node[0].type != DN_JSON_OBJECT)
        return dfail(d, "is %s, not a JSON object",
                     dn_json_type_name(d->j.node[0].type));
    return DN_OK;
}

/* Rejects members of object obj not in names (NULL-terminated): an
 * unknown field may change the meaning of the model, so it is not
 * silently dropped. */
static dn_status known_fields(doc *d, int obj, const char *where,
                              const char *const *names)
{
    char s1[DN_SHOW_BUF];
    for (int i = obj + 1; i < d->j.node[obj].next; i = d->j.node[i].next) {
        const char *const *n = names;
        while (*n && strcmp(*n, d->j.node[i].key) != 0) n++;
        if (!*n)
            return dfail(d, "unknown field '%s' in %s (a newer descent may "
                         "have written it)",
                         dn_show(d->j.node[i].key, s1), where);
    }
    return DN_OK;
}

/* Member key of object obj as an int in [lo, hi] into *v; when absent,
 * an error if required, else *v is left as it is. */
static dn_status int_field(doc *d, int obj, const char *where,
                           const char *key, long lo, long hi, int required,
                           int *v)
{
    int i = dn_json_get(&d->j, obj, key);
    if (i < 0) {
        if (!required) return DN_OK;
        return dfail(d, "%s has no '%s'", where, key);
    }
    const dn_json_node *n = &d->j.node[i];
    if (n->type != DN_JSON_NUMBER || !n->is_int || n->i < lo || n->i > hi)
        return dfail(d, "'%s' in %s must be an integer from %ld to %ld",
                     key, where, lo, hi);
    *v = (int)n->i;
    return DN_OK;
}

/* Index of a member of the given type, -1 if absent and optional. */
static dn_status typed_field(doc *d, int obj, const char *where,
                             const char *key, dn_json_type t, int required,
                             int *idx)
{
    *idx = dn_json_get(&d->j, obj, key);
    if (*idx < 0)
        return required ? dfail(d, "%s has no '%s'", where, key) : DN_OK;
    dn_json_type got = d->j.node[*idx].type;
    if (got != t && !(t == DN_JSON_STRING && got == DN_JSON_NULL))
        return dfail(d, "'%s' in %s is %s, not %s", key, where,
                     dn_json_type_name(got), dn_json_type_name(t));
    return DN_OK;
}

/* ---- descent.arch ---- */

static dn_status arch_layer(doc *d, int obj, int l, dn_layer *L)
{
    static const char *const fields[] = { "units", "act", "alpha", NULL };
    char where[32];
    snprintf(where, sizeof where, "layer %d", l + 1);
    if (d->j.node[obj].type != DN_JSON_OBJECT)
        return dfail(d, "%s is %s, not an object", where,
                     dn_json_type_name(d->j.node[obj].type));
    dn_status st = known_fields(d, obj, where, fields);
    if (!st) st = int_field(d, obj, where, "units", 1, DN_MAX_WIDTH, 1,
                            &L->units);
    int ia = -1, ial = -1;
    if (!st) st = typed_field(d, obj, where, "act", DN_JSON_STRING, 1, &ia);
    if (!st) st = typed_field(d, obj, where, "alpha", DN_JSON_NUMBER, 0, &ial);
    if (st) return st;
    dn_error e;
    if (!d->j.node[ia].str || dn_act_parse(d->j.node[ia].str, &L->act, &e))
        return dfail(d, "%s: %s", where, d->j.node[ia].str ? e.msg
                     : "'act' is null");
    if (ial >= 0) {
        L->alpha = (float)d->j.node[ial].num;
        if (!isfinite(L->alpha))
            return dfail(d, "%s: alpha is out of float32 range", where);
    }
    return DN_OK;
}

static dn_status parse_arch(loader *L)
{
    static const char *const fields[] = { "n_in", "layers", "loss", NULL };
    doc d;
    dn_arch *A = &L->arch;
    memset(A, 0, sizeof *A);
    dn_status st = doc_open(&d, L, "descent.arch", 1);
    int il = -1, ilo = -1;
    if (!st) st = known_fields(&d, 0, "the architecture", fields);
    if (!st) st = int_field(&d, 0, "the architecture", "n_in", 1,
                            DN_MAX_WIDTH, 1, &A->n_in);
    if (!st) st = typed_field(&d, 0, "the architecture", "layers",
                              DN_JSON_ARRAY, 1, &il);
    if (!st) st = typed_field(&d, 0, "the architecture", "loss",
                              DN_JSON_STRING, 1, &ilo);
    if (!st && (d.j.node[il].n < 1 || d.j.node[il].n > DN_MAX_LAYERS))
        st = dfail(&d, "%d layers; a network has 1 to %d", d.j.node[il].n,
                   DN_MAX_LAYERS);
    if (!st) {
        A->n_layers = d.j.node[il].n;
        int i = il + 1;
        for (int l = 0; !st && l < A->n_layers; l++, i = d.j.node[i].next)
            st = arch_layer(&d, i, l, &A->layer[l]);
    }
    dn_error e;
    if (!st && (!d.j.node[ilo].str ||
                dn_loss_parse(d.j.node[ilo].str, &A->loss, &e)))
        st = dfail(&d, "%s", d.j.node[ilo].str ? e.msg : "'loss' is null");
    if (!st && dn_arch_check(A, &e))
        st = lfail(L, DN_EFORMAT, "descent.arch describes a network descent "
                   "cannot run: %s" DAMAGED, e.msg);
    dn_json_free(&d.j);
    return st;
}

/* ---- tensors ---- */

static int cmp_u64(uint64_t a, uint64_t b) { return (a > b) - (a < b); }

static int tensor_cmp(const void *x, const void *y)
{
    const tensor *a = x, *b = y;
    int c = cmp_u64(a->b, b->b);
    return c ? c : cmp_u64(a->e, b->e);
}

static void shape_str(const int64_t *s, int rank, char *buf, size_t n)
{
    size_t k = (size_t)snprintf(buf, n, "[");
    for (int i = 0; i < rank && k < n; i++)
        k += (size_t)snprintf(buf + k, n - k, "%s%lld", i ? ", " : "",
                              (long long)s[i]);
    if (k < n) snprintf(buf + k, n - k, "]");
}

/* A non-negative integer node, or -1. */
static int64_t nonneg(const dn_json_node *n)
{
    return n->type == DN_JSON_NUMBER && n->is_int && n->i >= 0 ? n->i : -1;
}

static dn_status tensor_shape(loader *L, int i, tensor *t, uint64_t *count)
{
    char s1[DN_SHOW_BUF];
    const dn_json *h = &L->h;
    int is = dn_json_get(h, i, "shape");
    if (is < 0 || h->node[is].type != DN_JSON_ARRAY)
        return lfail(L, DN_EFORMAT, "tensor '%s' has no \"shape\" list"
                     DAMAGED, dn_show(t->name, s1));
    if (h->node[is].n > MAX_RANK)
        return lfail(L, DN_EFORMAT, "tensor '%s' has %d dimensions; descent "
                     "models hold vectors and matrices" DAMAGED,
                     dn_show(t->name, s1), h->node[is].n);
    t->rank = h->node[is].n;
    uint64_t prod = 1;
    int k = 0;
    for (int c = is + 1; k < t->rank; c = h->node[c].next, k++) {
        int64_t v = nonneg(&h->node[c]);
        if (v < 0)
            return lfail(L, DN_EFORMAT, "tensor '%s': shape entries must be "
                         "non-negative integers" DAMAGED,
                         dn_show(t->name, s1));
        t->shape[k] = v;
        /* Checked before multiplying: [2^32, 2^32] must not wrap to 0. */
        if (v && prod > (uint64_t)DN_MAX_ELEMENTS / (uint64_t)v)
            prod = (uint64_t)DN_MAX_ELEMENTS + 1;
        else
            prod *= (uint64_t)v;
    }
    for (k = 0; k < t->rank; k++) if (t->shape[k] == 0) prod = 0;
    if (prod > (uint64_t)DN_MAX_ELEMENTS) {
        char sh[200];
        shape_str(t->shape, t->rank, sh, sizeof sh);
        return lfail(L, DN_EFORMAT, "tensor '%s' has shape %s, more than "
                     "the limit of %ld elements" DAMAGED,
                     dn_show(t->name, s1), sh, DN_MAX_ELEMENTS);
    }
    *count = prod;
    return DN_OK;
}

static dn_status tensor_offsets(loader *L, int i, tensor *t, uint64_t count)
{
    char s1[DN_SHOW_BUF];
    const dn_json *h = &L->h;
    int io = dn_json_get(h, i, "data_offsets");
    if (io < 0 || h->node[io].type != DN_JSON_ARRAY || h->node[io].n != 2 ||
        nonneg(&h->node[io + 1]) < 0 || nonneg(&h->node[io + 2]) < 0)
        return lfail(L, DN_EFORMAT, "tensor '%s' needs \"data_offsets\": "
                     "[begin, end], two non-negative integers" DAMAGED,
                     dn_show(t->name, s1));
    t->b = (uint64_t)h->node[io + 1].i;
    t->e = (uint64_t)h->node[io + 2].i;
    if (t->b > t->e || t->e > L->dlen)
        return lfail(L, DN_EFORMAT, "tensor '%s' has data_offsets [%llu, "
                     "%llu] outside the %llu bytes of data (the file may be "
                     "truncated)" DAMAGED, dn_show(t->name, s1),
                     (unsigned long long)t->b, (unsigned long long)t->e,
                     (unsigned long long)L->dlen);
    if (t->e - t->b != 4 * count)
        return lfail(L, DN_EFORMAT, "tensor '%s' has %llu elements, which "
                     "take %llu bytes as F32, but its data_offsets span "
                     "%llu" DAMAGED, dn_show(t->name, s1),
                     (unsigned long long)count,
                     (unsigned long long)(4 * count),
                     (unsigned long long)(t->e - t->b));
    return DN_OK;
}

/* One header entry other than __metadata__: dtype, shape, offsets. */
static dn_status read_tensor(loader *L, int i, tensor *t)
{
    static const char *const fields[] = { "dtype", "shape", "data_offsets",
                                          NULL };
    char s1[DN_SHOW_BUF], s2[DN_SHOW_BUF];
    const dn_json *h = &L->h;
    t->name = h->node[i].key;
    t->pos = h->node[i].pos;
    if (h->node[i].type != DN_JSON_OBJECT)
        return lfail(L, DN_EFORMAT, "tensor '%s' is %s, not an object with "
                     "dtype, shape and data_offsets" DAMAGED,
                     dn_show(t->name, s1),
                     dn_json_type_name(h->node[i].type));
    for (int c = i + 1; c < h->node[i].next; c = h->node[c].next) {
        const char *const *n = fields;
        while (*n && strcmp(*n, h->node[c].key) != 0) n++;
        if (!*n)
            return lfail(L, DN_EFORMAT, "tensor '%s' has an unknown field "
                         "'%s'" DAMAGED, dn_show(t->name, s1),
                         dn_show(h->node[c].key, s2));
    }
    int id = dn_json_get(h, i, "dtype");
    if (id < 0 || h->node[id].type != DN_JSON_STRING)
        return lfail(L, DN_EFORMAT, "tensor '%s' has no \"dtype\" string"
                     DAMAGED, dn_show(t->name, s1));
    if (strcmp(h->node[id].str, "F32") != 0)
        return lfail(L, DN_EFORMAT, "tensor '%s' has dtype %s; descent "
                     "models hold F32 (float32) tensors only; convert it "
                     "(in PyTorch: tensor.float()) and save again",
                     dn_show(t->name, s1),
                     dn_show(h->node[id].str, s2));
    uint64_t count = 0;
    dn_status st = tensor_shape(L, i, t, &count);
    return st ? st : tensor_offsets(L, i, t, count);
}

/* Tensors must tile the data exactly: no two share a byte, and no byte
 * belongs to none (the safetensors rule that keeps files canonical). */
static dn_status check_coverage(loader *L)
{
    char s1[DN_SHOW_BUF], s2[DN_SHOW_BUF];
    tensor *s = malloc((size_t)(L->n_t ? L->n_t : 1) * sizeof *s);
    if (!s) return lfail(L, DN_ENOMEM, "out of memory");
    memcpy(s, L->t, (size_t)L->n_t * sizeof *s);
    qsort(s, (size_t)L->n_t, sizeof *s, tensor_cmp);
    uint64_t at = 0;
    const tensor *prev = NULL;
    dn_status st = DN_OK;
    for (int i = 0; i < L->n_t && !st; i++) {
        if (s[i].b < at)
            st = lfail(L, DN_EFORMAT, "tensors '%s' and '%s' overlap in the "
                       "data (bytes %llu to %llu)" DAMAGED,
                       dn_show(prev->name, s1),
                       dn_show(s[i].name, s2),
                       (unsigned long long)s[i].b, (unsigned long long)at);
        else if (s[i].b > at)
            st = lfail(L, DN_EFORMAT, "bytes %llu to %llu of the data belong "
                       "to no tensor (a hole before '%s')" DAMAGED,
                       (unsigned long long)at, (unsigned long long)s[i].b,
                       dn_show(s[i].name, s1));
        if (s[i].e > at) {
            at = s[i].e;
            prev = &s[i];
        }
    }
    if (!st && at != L->dlen)
        st = lfail(L, DN_EFORMAT, "the last %llu bytes of the file belong to "
                   "no tensor" DAMAGED, (unsigned long long)(L->dlen - at));
    free(s);
    return st;
}

/* Which of the architecture's tensors `name` is ("4.weight" → layer 2,
 * W); 0 if none. */
static int arch_tensor(const dn_arch *A, const char *name, int *layer,
                       int *kind)
{
    long mod = 0;
    const char *p = name;
    if (*p == '0' && p[1] != '.') return 0;         /* no leading zeros */
    for (; *p >= '0' && *p <= '9' && mod < 1000; p++)
        mod = mod * 10 + *p - '0';
    if (p == name || *p != '.') return 0;
    int l = (int)(mod / 2);
    if (l >= A->n_layers) return 0;
    int weight = strcmp(p + 1, "weight") == 0;
    if (!weight && strcmp(p + 1, "bias") != 0) return 0;
    if (mod % 2 == 1) {
        if (!weight || A->layer[l].act != DN_ACT_PRELU) return 0;
        *kind = K_SLOPE;
    } else
        *kind = weight ? K_W : K_B;
    *layer = l;
    return 1;
}

static int n_expected(const dn_arch *A)
{
    int n = 0;
    for (int l = 0; l < A->n_layers; l++)
        n += A->layer[l].act == DN_ACT_PRELU ? 3 : 2;
    return n;
}

static dn_status match_tensor(loader *L, tensor *t)
{
    char s1[DN_SHOW_BUF], got[200], need[200];
    const dn_arch *A = &L->arch;
    if (!arch_tensor(A, t->name, &t->layer, &t->kind))
        return lfail(L, DN_EFORMAT, "unexpected tensor '%s': a descent model "
                     "of %d layers holds only the Linear weights and biases "
                     "(\"0.weight\", \"0.bias\", \"2.weight\", ...) and PReLU "
                     "slopes; remove it", dn_show(t->name, s1),
                     A->n_layers);
    int l = t->layer, out = A->layer[l].units;
    int64_t want[2] = { out, l ? A->layer[l - 1].units : A->n_in };
    int rank = t->kind == K_W ? 2 : 1;
    if (t->rank != rank || t->shape[0] != want[0] ||
        (rank == 2 && t->shape[1] != want[1])) {
        shape_str(t->shape, t->rank, got, sizeof got);
        shape_str(want, rank, need, sizeof need);
        return lfail(L, DN_EFORMAT, "tensor '%s' has shape %s but the "
                     "architecture needs %s" DAMAGED,
                     dn_show(t->name, s1), got, need);
    }
    return DN_OK;
}

/* The first tensor the architecture needs that the header lacks. */
static dn_status missing_tensor(loader *L)
{
    char name[32];
    for (int l = 0; l < L->arch.n_layers; l++)
        for (int k = K_W; k <= K_SLOPE; k++) {
            if (k == K_SLOPE && L->arch.layer[l].act != DN_ACT_PRELU) continue;
            tensor_name(name, sizeof name, l, k);
            if (dn_json_get(&L->h, 0, name) < 0)
                return lfail(L, DN_EFORMAT, "tensor '%s' is missing (the "
                             "architecture's layer %d needs it)" DAMAGED,
                             name, l + 1);
        }
    return lfail(L, DN_EFORMAT, "tensors are missing" DAMAGED);
}

static dn_status read_tensors(loader *L)
{
    const dn_json *h = &L->h;
    int n = h->node[0].n - 1;   /* members besides __metadata__ */
    L->t = calloc((size_t)(n > 0 ? n : 1), sizeof *L->t);
    if (!L->t) return lfail(L, DN_ENOMEM, "out of memory");
    dn_status st = DN_OK;
    for (int i = 1; !st && i < h->n_nodes; i = h->node[i].next)
        if (i != L->meta) st = read_tensor(L, i, &L->t[L->n_t++]);
    if (!st) st = check_coverage(L);
    for (int i = 0; !st && i < L->n_t; i++) st = match_tensor(L, &L->t[i]);
    if (!st && L->n_t != n_expected(&L->arch)) st = missing_tensor(L);
    return st;
}

/* ---- descent.scaling and descent.target_scaling ---- */

/* mean or std: n finite float32 numbers (std > 0). */
static dn_status scaling_array(doc *d, const char *key, int n, const char *of,
                               float **out)
{
    int ia;
    dn_status st = typed_field(d, 0, "the scaling", key, DN_JSON_ARRAY, 1,
                               &ia);
    if (st) return st;
    if (d->j.node[ia].n != n)
        return dfail(d, "'%s' has %d entries; the architecture has %d %s",
                     key, d->j.node[ia].n, n, of);
    float *v = malloc((size_t)n * sizeof *v);
    if (!v) return lfail(d->L, DN_ENOMEM, "out of memory");
    *out = v;
    int k = 0;
    for (int c = ia + 1; k < n; c = d->j.node[c].next, k++) {
        const dn_json_node *e = &d->j.node[c];
        /* A double beyond float range becomes inf here (IEEE), and fails. */
        v[k] = (float)e->num;
        if (e->type != DN_JSON_NUMBER || !isfinite(v[k]))
            return dfail(d, "%s[%d] is not a finite float32 number", key, k);
        if (!strcmp(key, "std") && !(v[k] > 0))
            return dfail(d, "std[%d] is %g; standard deviations must be "
                         "positive", k, (double)v[k]);
    }
    return DN_OK;
}

/* The input scaling (n_in entries) or the target scaling (one per
 * output, regression only). */
static dn_status parse_scaling(loader *L, const char *key, float **mean,
                               float **std)
{
    static const char *const fields[] = { "mean", "std", NULL };
    const dn_arch *A = &L->arch;
    int target = strcmp(key, "descent.target_scaling") == 0;
    int n = target ? A->layer[A->n_layers - 1].units : A->n_in;
    const char *of = target ? "outputs" : "inputs";
    doc d;
    dn_status st = doc_open(&d, L, key, 0);
    if (!st && d.j.node && target && A->loss != DN_LOSS_MSE)
        st = dfail(&d, "target scaling belongs to regression (mse) models; "
                   "this model's loss is %s", dn_loss_name(A->loss));
    if (!st && d.j.node) {
        st = known_fields(&d, 0, "the scaling", fields);
        if (!st) st = scaling_array(&d, "mean", n, of, mean);
        if (!st) st = scaling_array(&d, "std", n, of, std);
    }
    dn_json_free(&d.j);
    return st;
}

/* ---- descent.schema ---- */

/* Copies array node ia of strings (null allowed) into *out. */
static dn_status str_array(doc *d, int ia, const char *what, char ***out)
{
    int n = d->j.node[ia].n;
    char **s = calloc((size_t)n + 1, sizeof *s);
    if (!s) return lfail(d->L, DN_ENOMEM, "out of memory");
    *out = s;
    int k = 0;
    for (int c = ia + 1; k < n; c = d->j.node[c].next, k++) {
        const dn_json_node *e = &d->j.node[c];
        if (e->type == DN_JSON_NULL) continue;
        if (e->type != DN_JSON_STRING)
            return dfail(d, "%s[%d] is %s, not a string", what, k,
                         dn_json_type_name(e->type));
        if (!(s[k] = dn_strdup(e->str)))
            return lfail(d->L, DN_ENOMEM, "out of memory");
    }
    return DN_OK;
}

static dn_status schema_column(doc *d, int obj, int k, dn_column *c)
{
    static const char *const fields[] = { "name", "categories", "fill",
                                          "indicator", NULL };
    char where[48];
    snprintf(where, sizeof where, "column %d", k + 1);
    if (d->j.node[obj].type != DN_JSON_OBJECT)
        return dfail(d, "%s is %s, not an object", where,
                     dn_json_type_name(d->j.node[obj].type));
    int in = -1, ic = -1, iv = -1;
    dn_status st = known_fields(d, obj, where, fields);
    if (!st) st = typed_field(d, obj, where, "name", DN_JSON_STRING, 1, &in);
    if (!st) st = typed_field(d, obj, where, "categories", DN_JSON_ARRAY, 0,
                              &ic);
    if (!st) st = typed_field(d, obj, where, "fill", DN_JSON_NUMBER, 0, &iv);
    if (st) return st;
    int ii = dn_json_get(&d->j, obj, "indicator");
    if (ii >= 0 && d->j.node[ii].type != DN_JSON_TRUE &&
        d->j.node[ii].type != DN_JSON_FALSE)
        return dfail(d, "'indicator' in %s is %s, not true or false", where,
                     dn_json_type_name(d->j.node[ii].type));
    c->indicator = ii >= 0 && d->j.node[ii].type == DN_JSON_TRUE;
    if (iv >= 0) {
        c->has_fill = 1;
        c->fill = (float)d->j.node[iv].num;
        if (!isfinite(c->fill))
            return dfail(d, "%s: fill is out of float32 range", where);
    }
    if (d->j.node[in].str && !(c->name = dn_strdup(d->j.node[in].str)))
        return lfail(d->L, DN_ENOMEM, "out of memory");
    if (ic < 0) return DN_OK;
    c->n_cats = d->j.node[ic].n;
    return str_array(d, ic, "categories", &c->cats);
}

static dn_status schema_fields(doc *d, dn_schema *s)
{
    static const char *const fields[] = { "n_in", "columns", "img_rows",
        "img_cols", "target", "task", "classes", NULL };
    const char *w = "the schema";
    int ic = -1, it = -1, ik = -1, icl = -1;
    dn_status st = known_fields(d, 0, w, fields);
    if (!st) st = int_field(d, 0, w, "n_in", 1, DN_MAX_WIDTH, 1, &s->n_in);
    if (!st) st = int_field(d, 0, w, "img_rows", 1, DN_MAX_WIDTH, 0,
                            &s->img_rows);
    if (!st) st = int_field(d, 0, w, "img_cols", 1, DN_MAX_WIDTH, 0,
                            &s->img_cols);
    if (!st) st = typed_field(d, 0, w, "columns", DN_JSON_ARRAY, 1, &ic);
    if (!st) st = typed_field(d, 0, w, "target", DN_JSON_STRING, 0, &it);
    if (!st) st = typed_field(d, 0, w, "task", DN_JSON_STRING, 1, &ik);
    if (!st) st = typed_field(d, 0, w, "classes", DN_JSON_ARRAY, 0, &icl);
    if (st) return st;
    dn_error e;
    if (!d->j.node[ik].str || dn_task_parse(d->j.node[ik].str, &s->task, &e))
        return dfail(d, "%s", d->j.node[ik].str ? e.msg : "'task' is null");
    if (it >= 0 && d->j.node[it].str &&
        !(s->target = dn_strdup(d->j.node[it].str)))
        return lfail(d->L, DN_ENOMEM, "out of memory");
    if (icl >= 0) {
        s->n_classes = d->j.node[icl].n;
        st = str_array(d, icl, "classes", &s->classes);
        if (st) return st;
    }
    int n = d->j.node[ic].n;
    s->col = calloc((size_t)n + 1, sizeof *s->col);
    if (!s->col) return lfail(d->L, DN_ENOMEM, "out of memory");
    s->n_cols = n;
    int k = 0;
    for (int c = ic + 1; !st && k < n; c = d->j.node[c].next, k++)
        st = schema_column(d, c, k, &s->col[k]);
    char why[200];
    if (!st && dn_schema_mismatch(&d->L->arch, s, why, sizeof why))
        st = dfail(d, "%s", why);
    return st;
}

static dn_status parse_schema(loader *L)
{
    doc d;
    dn_status st = doc_open(&d, L, "descent.schema", 0);
    if (!st && d.j.node) {
        if (!(L->schema = calloc(1, sizeof *L->schema)))
            st = lfail(L, DN_ENOMEM, "out of memory");
        else
            st = schema_fields(&d, L->schema);
    }
    dn_json_free(&d.j);
    return st;
}

/* ---- parameters and the model ---- */

static dn_status read_params(loader *L)
{
    char s1[DN_SHOW_BUF];
    dn_model *m = L->m;
    unsigned char buf[16384];
    for (int i = 0; i < L->n_t; i++) {
        const tensor *t = &L->t[i];
        size_t off = t->kind == K_W ? m->off_W[t->layer]
                   : t->kind == K_B ? m->off_b[t->layer]
                   : (size_t)m->off_slope[t->layer];
        float *dst = m->theta + off;
        uint64_t n = (t->e - t->b) / 4;
        for (uint64_t done = 0; done < n;) {
            size_t k = n - done < sizeof buf / 4 ? (size_t)(n - done)
                                                 : sizeof buf / 4;
            dn_status st = read_exact(L, buf, 4 * k,
                                      8 + L->hlen + t->b + 4 * done);
            if (st) return st;
            for (size_t j = 0; j < k; j++) {
                float v = dn_get_f32le(buf + 4 * j);
                if (!isfinite(v))
                    return lfail(L, DN_EFORMAT, "tensor '%s' holds a "
                                 "non-finite value (NaN or infinity) at "
                                 "element %llu" DAMAGED,
                                 dn_show(t->name, s1),
                                 (unsigned long long)(done + j));
                dst[done + j] = v;
            }
            done += k;
        }
    }
    return DN_OK;
}

/* User metadata: every __metadata__ entry descent does not write itself
 * (unknown "descent.*" keys included, so that files of a newer minor
 * version keep them through a load and save). */
static dn_status copy_metadata(loader *L)
{
    const dn_json *h = &L->h;
    for (int i = L->meta + 1; i < h->node[L->meta].next; i = h->node[i].next) {
        if (is_reserved(h->node[i].key)) continue;
        dn_error e;
        if (dn_model_meta_set(L->m, h->node[i].key, h->node[i].str, &e))
            return lfail(L, e.code, "%s", e.msg);
    }
    return DN_OK;
}

static dn_status build_model(loader *L)
{
    dn_error e;
    /* Every size was checked against the file: theta is exactly the data
     * block, so this allocation is bounded by the file size. */
    if (dn_model_new(&L->arch, &L->m, &e))
        return lfail(L, e.code == DN_EARG ? DN_EFORMAT : e.code, "%s", e.msg);
    dn_status st = read_params(L);
    if (!st && L->mean && dn_model_set_scaling(L->m, L->mean, L->std, &e))
        st = lfail(L, e.code, "%s", e.msg);
    if (!st && L->t_mean &&
        dn_model_set_target_scaling(L->m, L->t_mean, L->t_std, &e))
        st = lfail(L, e.code, "%s", e.msg);
    if (!st && L->schema && dn_model_set_schema(L->m, L->schema, &e))
        st = lfail(L, e.code, "%s", e.msg);
    if (!st) st = copy_metadata(L);
    return st;
}

static dn_status load(loader *L)
{
    dn_status st = read_header(L);
    if (!st) st = check_metadata(L);
    if (!st) st = parse_arch(L);
    if (!st) st = read_tensors(L);
    if (!st) st = parse_scaling(L, "descent.scaling", &L->mean, &L->std);
    if (!st) st = parse_scaling(L, "descent.target_scaling", &L->t_mean,
                                &L->t_std);
    if (!st) st = parse_schema(L);
    if (!st) st = build_model(L);
    return st;
}

dn_status dn_model_load(const char *path, dn_model **out, dn_error *err)
{
    if (out) *out = NULL;
    if (!path || !out)
        return dn_fail(err, DN_EARG, "dn_model_load needs a file name and "
                       "somewhere to put the model");
    loader L;
    memset(&L, 0, sizeof L);
    L.path = path;
    L.err = err;
    L.meta = -1;
    L.f = fopen(path, "rb");
    if (!L.f)
        return dn_fail(err, DN_EIO, "cannot open model file '%s': %s; check "
                       "the path", path, strerror(errno));
    dn_status st = load(&L);
    fclose(L.f);
    free(L.htext);
    dn_json_free(&L.h);
    DN_FREE_ALL(L.t, L.mean, L.std, L.t_mean, L.t_std);
    dn_schema_free(L.schema);
    if (st) dn_model_free(L.m);
    else *out = L.m;
    return st;
}
