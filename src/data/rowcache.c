/* rowcache.c — descent's row cache: a data set's encoded rows written
 * once (descent convert), then read block by block without parsing, so
 * that a set larger than memory can be streamed (stream.c, window.c).
 * docs/data-streaming.md has the layout in a table; in brief, all
 * integers little-endian:
 *
 *   0   8  magic 89 'D' 'N' 'R' 0D 0A 1A 0A (a text-mode copy or a
 *          truncated download breaks it, as PNG's does)
 *   8   4  version, 1
 *   12  4  element type of the inputs: 1 uint8 (value v means v / 255,
 *          as IDX pixels), 2 float32
 *   16  8  rows n
 *   24  4  inputs d (the encoded width)
 *   28  4  targets k per row (0: none), float32
 *   32  4  block rows R: the rows each block checksum covers
 *   36  4  schema bytes S (0: no schema)
 *   40  8  offset of the inputs, n × d elements, row-major
 *   48  8  offset of the targets, n × k float32
 *   56  8  header checksum: dn_hash64 over bytes 0..56, then (chained)
 *          over the schema and the block checksum table
 *   64  S  the schema (encode_schema below)
 *   ..  8  per block b: dn_hash64 of its input bytes chained into its
 *          target bytes, seeded with b (so a block in the wrong place
 *          fails too)
 *   then zeros up to the inputs' offset (a multiple of 4096), the
 *   inputs, the targets, and nothing after them. */
#include "data/data.h"
#include "data/rowcache.h"
#include "base/byteorder.h"
#include "base/buf.h"
#include <stdlib.h>

const unsigned char dn_rowcache_magic[8] = { 0x89, 'D', 'N', 'R', 0x0D,
                                             0x0A, 0x1A, 0x0A };

long dn_rowcache_block_rows(long row_bytes)
{
    /* Blocks of about 1 MiB: large enough that a read is one long
     * transfer, small enough that shuffling their order mixes well. */
    long r = (1L << 20) / (row_bytes > 0 ? row_bytes : 1);
    return r < 1 ? 1 : r;
}

/* ---- the schema as bytes ---- */

static void put32(dn_buf *b, uint32_t v)
{
    unsigned char *p = dn_buf_room(b, 4);
    if (p) { dn_put_le32(p, v); b->len += 4; }
}

/* A string: its length, or 0xFFFFFFFF for NULL, then its bytes. */
static void put_str(dn_buf *b, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    put32(b, s ? (uint32_t)n : 0xFFFFFFFFu);
    dn_buf_add(b, s, n);
}

/* u32 n_cols, n_in, img_rows, img_cols, task, n_classes; the target
 * name; the class names; then per column its name, n_cats, the
 * categories, has_fill, fill (float32 bits) and indicator. */
static void encode_schema(dn_buf *b, const dn_schema *s)
{
    put32(b, (uint32_t)s->n_cols);
    put32(b, (uint32_t)s->n_in);
    put32(b, (uint32_t)s->img_rows);
    put32(b, (uint32_t)s->img_cols);
    put32(b, (uint32_t)s->task);
    put32(b, (uint32_t)s->n_classes);
    put_str(b, s->target);
    for (int c = 0; c < s->n_classes; c++) put_str(b, s->classes[c]);
    for (int i = 0; i < s->n_cols; i++) {
        const dn_column *c = &s->col[i];
        put_str(b, c->name);
        put32(b, (uint32_t)c->n_cats);
        for (int j = 0; j < c->n_cats; j++) put_str(b, c->cats[j]);
        put32(b, (uint32_t)c->has_fill);
        put32(b, dn_f32_bits(c->fill));
        put32(b, (uint32_t)c->indicator);
    }
}

typedef struct {
    const unsigned char *p;
    size_t left;
    int bad;
} cursor;

static uint32_t get32(cursor *c)
{
    /* Nothing more is read after a fault, so that the message's offset
     * is the fault's (the column loop reads on to its end). */
    if (!c->bad && c->left < 4) c->bad = 1;
    if (c->bad) return 0;
    uint32_t v = dn_get_le32(c->p);
    c->p += 4;
    c->left -= 4;
    return v;
}

/* A string of the schema (malloc'd; NULL for a NULL one or on failure,
 * which sets bad unless the string was NULL). */
static char *get_str(cursor *c, int may_be_null)
{
    uint32_t n = get32(c);
    if (c->bad) return NULL;
    if (n == 0xFFFFFFFFu) {
        if (!may_be_null) c->bad = 1;
        return NULL;
    }
    if (n > c->left) { c->bad = 1; return NULL; }
    char *s = malloc((size_t)n + 1);
    if (!s) { c->bad = 2; return NULL; }
    memcpy(s, c->p, n);
    s[n] = 0;
    c->p += n;
    c->left -= n;
    return s;
}

/* A count that must fit in what is left (each entry takes ≥ 4 bytes). */
static int get_count(cursor *c, uint32_t limit)
{
    uint32_t n = get32(c);
    if (n > limit || n > c->left / 4) c->bad = 1;
    return c->bad ? 0 : (int)n;
}

dn_status dn_rowcache_schema(const unsigned char *p, size_t n, int d,
                             const char *path, dn_schema **out,
                             dn_error *err)
{
    cursor c = { p, n, 0 };
    *out = NULL;
    int n_cols = get_count(&c, (uint32_t)DN_MAX_WIDTH);
    dn_schema *s = c.bad ? NULL : dn_schema_alloc(n_cols);
    if (!s) {
        if (!c.bad) c.bad = 2;
        goto fail;
    }
    s->n_in = (int)get32(&c);
    s->img_rows = (int)get32(&c);
    s->img_cols = (int)get32(&c);
    uint32_t task = get32(&c);
    s->task = (dn_task)task;
    s->n_classes = get_count(&c, (uint32_t)DN_MAX_WIDTH);
    /* Classes as the task has them: none for a regression, two for a
     * binary task, two or more for a multiclass one. */
    if (task > DN_TASK_MULTICLASS || s->n_in != d || s->img_rows < 0 ||
        s->img_cols < 0 ||
        (task == DN_TASK_REGRESSION ? s->n_classes != 0
         : task == DN_TASK_BINARY ? s->n_classes != 2 : s->n_classes < 2))
        c.bad = 1;
    if (!c.bad) s->target = get_str(&c, 1);
    if (!c.bad && s->n_classes > 0 &&
        !(s->classes = calloc((size_t)s->n_classes, sizeof *s->classes)))
        c.bad = 2;
    for (int k = 0; !c.bad && k < s->n_classes; k++)
        s->classes[k] = get_str(&c, 1);
    long width = 0;
    for (int i = 0; !c.bad && i < n_cols; i++) {
        dn_column *col = &s->col[i];
        col->name = get_str(&c, 0);
        int nc = c.bad ? 0 : get_count(&c, (uint32_t)DN_MAX_WIDTH);
        if (!c.bad && nc > 0 && !(col->cats = calloc((size_t)nc, sizeof *col->cats)))
            c.bad = 2;
        col->n_cats = c.bad ? 0 : nc;
        /* Sorted and distinct, as the CSV reader made them: a list that
         * is not could not have come from descent convert. */
        for (int j = 0; !c.bad && j < nc; j++) {
            col->cats[j] = get_str(&c, 0);   /* NULL only with c.bad */
            if (!c.bad && j > 0 && strcmp(col->cats[j - 1], col->cats[j]) >= 0)
                c.bad = 1;
        }
        col->has_fill = (int)get32(&c);
        col->fill = dn_bits_f32(get32(&c));
        col->indicator = (int)get32(&c);
        if (!c.bad) width += dn_col_width(col);
    }
    /* The columns' inputs must add up to the rows' width. */
    if (!c.bad && (c.left || width != d)) c.bad = 1;
    if (!c.bad) {
        *out = s;
        return DN_OK;
    }
fail:
    dn_schema_free(s);
    if (c.bad == 2) return dn_fail(err, DN_ENOMEM, "%s: out of memory for "
                                   "the schema", path);
    return dn_fail(err, DN_EFORMAT, "%s: the schema (bytes 64 to %zu) is "
                   "malformed at offset %zu: the file is damaged; convert "
                   "the data again", path, 64 + n, 64 + (n - c.left));
}

/* ---- writing ---- */

typedef struct {
    const dn_data *d;
    dn_buf head;      /* header, schema, checksum table, padding */
    long R, nb;       /* block rows, blocks */
    unsigned char *x, *y;  /* one block's bytes: allocated before the
                              file is, so that a failed allocation is
                              DN_ENOMEM, never a failed write */
} writer;

static size_t elem_size(const dn_data *d) { return d->X ? 4 : 1; }

/* Block b's input and target bytes as they go into the file. */
static void block_bytes(const dn_data *d, long b, long R, unsigned char *x,
                        size_t *nx, unsigned char *y, size_t *ny)
{
    long r0 = b * R, r1 = r0 + R < d->n ? r0 + R : d->n;
    size_t cells = (size_t)(r1 - r0) * d->d;
    if (d->X)
        for (size_t i = 0; i < cells; i++)
            dn_put_f32le(x + 4 * i, d->X[(size_t)r0 * d->d + i]);
    else
        memcpy(x, dn_data_x8(d) + (size_t)r0 * d->d, cells);
    *nx = cells * elem_size(d);
    size_t t = (size_t)(r1 - r0) * d->k;
    for (size_t i = 0; d->Y && i < t; i++)
        dn_put_f32le(y + 4 * i, d->Y[(size_t)r0 * d->k + i]);
    *ny = d->Y ? 4 * t : 0;
}

static int fill_cache(FILE *f, void *arg)
{
    writer *w = arg;
    const dn_data *d = w->d;
    const long R = w->R, nb = w->nb;
    unsigned char *x = w->x, *y = w->y;
    int ok = fwrite(w->head.p, 1, w->head.len, f) == w->head.len;
    size_t nx, ny;
    for (long b = 0; ok && b < nb; b++) {
        block_bytes(d, b, R, x, &nx, y, &ny);
        ok = fwrite(x, 1, nx, f) == nx;
    }
    for (long b = 0; ok && d->k && b < nb; b++) {
        block_bytes(d, b, R, x, &nx, y, &ny);
        ok = fwrite(y, 1, ny, f) == ny;
    }
    return ok ? 0 : -1;
}

dn_status dn_rowcache_write(const dn_data *d, const char *path, dn_error *err)
{
    DN_NEED(d);
    DN_NEED(path);
    if (d->n < 1 || d->d < 1 || (!d->X && !d->bytes) || (d->k > 0 && !d->Y))
        return dn_fail(err, DN_EARG, "dn_rowcache_write: the data set has no "
                       "rows or inputs to write");
    if (d->w)
        return dn_fail(err, DN_EARG, "dn_rowcache_write: a row cache holds "
                       "no row weights; write the rows without them");
    const size_t es = elem_size(d), row = (size_t)d->d * es + 4 * (size_t)d->k;
    const long R = dn_rowcache_block_rows((long)row), nb = (d->n + R - 1) / R;
    writer w = { d, { 0 }, R, nb, NULL, NULL };
    unsigned char *h = dn_buf_room(&w.head, 64);
    if (h) { memset(h, 0, 64); w.head.len = 64; }
    if (d->schema) encode_schema(&w.head, d->schema);
    const size_t S = w.head.len - 64;
    /* The block checksums, from the bytes exactly as written; the same
     * buffers then write the blocks. */
    unsigned char *x = w.x = malloc((size_t)R * d->d * es + 1);
    unsigned char *y = w.y = malloc((size_t)R * d->k * 4 + 1);
    size_t nx, ny;
    for (long b = 0; x && y && b < nb; b++) {
        block_bytes(d, b, R, x, &nx, y, &ny);
        unsigned char *p = dn_buf_room(&w.head, 8);
        if (!p) break;
        dn_put_le64(p, dn_hash64(y, ny, dn_hash64(x, nx, (uint64_t)b)));
        w.head.len += 8;
    }
    if (!x || !y || w.head.failed) {
        DN_FREE_ALL(x, y);
        dn_buf_free(&w.head);
        return dn_fail(err, DN_ENOMEM, "%s: out of memory for the row cache's "
                       "header", path);
    }
    const uint64_t x_off = (w.head.len + 4095) / 4096 * 4096;
    const uint64_t y_off = x_off + (uint64_t)d->n * d->d * es;
    h = w.head.p;
    memcpy(h, dn_rowcache_magic, 8);
    dn_put_le32(h + 8, DN_ROWCACHE_VERSION);
    dn_put_le32(h + 12, d->X ? DN_ROWCACHE_F32 : DN_ROWCACHE_U8);
    dn_put_le64(h + 16, (uint64_t)d->n);
    dn_put_le32(h + 24, (uint32_t)d->d);
    dn_put_le32(h + 28, (uint32_t)d->k);
    dn_put_le32(h + 32, (uint32_t)R);
    dn_put_le32(h + 36, (uint32_t)S);
    dn_put_le64(h + 40, x_off);
    dn_put_le64(h + 48, y_off);
    dn_put_le64(h + 56, dn_rowcache_head_sum(h, w.head.len));
    unsigned char *pad = dn_buf_room(&w.head, x_off - w.head.len);
    if (pad) {
        memset(pad, 0, x_off - w.head.len);
        w.head.len = x_off;
    }
    dn_status st = w.head.failed
        ? dn_fail(err, DN_ENOMEM, "%s: out of memory", path)
        : dn_atomic_write(path, "row cache", fill_cache, &w, err);
    DN_FREE_ALL(x, y);
    dn_buf_free(&w.head);
    return st;
}

uint64_t dn_rowcache_head_sum(const unsigned char *head, size_t len)
{
    return dn_hash64(head + 64, len - 64, dn_hash64(head, 56, 0));
}
