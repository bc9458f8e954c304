/* stream.c — a row file opened for streaming: a descent row cache
 * (rowcache.c) or an uncompressed IDX images file with its labels.
 * Only the header (and, for IDX, the labels: a byte a row) is read at
 * open; the rows are read block by block with pread when asked, each
 * cache block checked against its checksum, so that memory holds only
 * what the caller's buffers hold. */
#include "data/stream.h"
#include "kernels/fpmode.h"
#include "data/rowcache.h"
#include "base/byteorder.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define IDX_HEAD 16   /* magic and three dimensions */

/* Reads n bytes at off, all of them: a short file is a truncated one. */
static dn_status read_at(const dn_stream *s, void *buf, size_t n, uint64_t off,
                         dn_error *err)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(s->fd, (char *)buf + got, n - got, (off_t)(off + got));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0)
            return dn_fail(err, DN_EIO, "%s: cannot read %zu bytes at offset "
                           "%llu: %s", s->path, n, (unsigned long long)(off + got),
                           strerror(errno));
        if (r == 0)
            return dn_fail(err, DN_EFORMAT, "%s: truncated: the file ends at "
                           "offset %llu, inside the rows; convert the data "
                           "again", s->path, (unsigned long long)(off + got));
        got += (size_t)r;
    }
    return DN_OK;
}

static dn_status file_size(const dn_stream *s, uint64_t *size, dn_error *err)
{
    struct stat sb;
    if (fstat(s->fd, &sb))
        return dn_fail(err, DN_EIO, "%s: cannot read: %s", s->path, strerror(errno));
    *size = (uint64_t)sb.st_size;
    return DN_OK;
}

/* The file's size against what its header promises. */
static dn_status check_size(const dn_stream *s, uint64_t want, dn_error *err)
{
    uint64_t size = 0;
    dn_status st = file_size(s, &size, err);
    if (st || size == want) return st;
    if (size < want)
        return dn_fail(err, DN_EFORMAT, "%s: truncated: the file ends at "
                       "offset %llu, its header promises %llu bytes; convert "
                       "or copy it again", s->path, (unsigned long long)size,
                       (unsigned long long)want);
    return dn_fail(err, DN_EFORMAT, "%s: trailing bytes: the file has %llu "
                   "bytes, its header promises %llu; it is damaged or is not "
                   "one row file", s->path, (unsigned long long)size,
                   (unsigned long long)want);
}

static dn_status open_cache(dn_stream *s, const unsigned char *h, dn_error *err)
{
    const char *p = s->path;
    uint32_t version = dn_get_le32(h + 8), type = dn_get_le32(h + 12);
    uint64_t n = dn_get_le64(h + 16);
    uint32_t S = dn_get_le32(h + 36);
    if (version != DN_ROWCACHE_VERSION)
        return dn_fail(err, DN_EFORMAT, "%s: row cache version %u at offset "
                       "8; this descent reads version %d: convert the data "
                       "again with this descent", p, version,
                       DN_ROWCACHE_VERSION);
    if (type != DN_ROWCACHE_U8 && type != DN_ROWCACHE_F32)
        return dn_fail(err, DN_EFORMAT, "%s: element type %u at offset 12 is "
                       "neither 1 (bytes) nor 2 (float32): the header is "
                       "damaged", p, type);
    s->es = type == DN_ROWCACHE_U8 ? 1 : 4;
    s->d = (int)dn_get_le32(h + 24);
    s->k = (int)dn_get_le32(h + 28);
    s->R = (long)dn_get_le32(h + 32);
    s->x_off = dn_get_le64(h + 40);
    s->y_off = dn_get_le64(h + 48);
    if (n < 1 || n > (uint64_t)INT_MAX || n > (uint64_t)DN_MAX_ROWS ||
        s->d < 1 || s->d > DN_MAX_WIDTH || s->k < 0 || s->k > DN_MAX_WIDTH ||
        s->R != dn_rowcache_block_rows((long)(s->d * s->es + 4 * (size_t)s->k)))
        return dn_fail(err, DN_EFORMAT, "%s: the header (bytes 16 to 36) "
                       "promises %llu rows of %d inputs and %d targets in "
                       "blocks of %ld: beyond the limits or inconsistent; the "
                       "header is damaged", p, (unsigned long long)n, s->d,
                       s->k, s->R);
    s->n = (long)n;
    s->nb = (s->n + s->R - 1) / s->R;
    const uint64_t table = DN_ROWCACHE_HEAD + (uint64_t)S + 8 * (uint64_t)s->nb;
    if (s->x_off < table || s->x_off % 4096 ||
        s->y_off != s->x_off + n * s->d * s->es)
        return dn_fail(err, DN_EFORMAT, "%s: the section offsets at bytes 40 "
                       "and 48 (%llu, %llu) do not follow from the header: it "
                       "is damaged", p, (unsigned long long)s->x_off,
                       (unsigned long long)s->y_off);
    dn_status st = check_size(s, s->y_off + n * 4 * (uint64_t)s->k, err);
    if (st) return st;
    unsigned char *head = malloc((size_t)table);
    if (!head) return dn_fail(err, DN_ENOMEM, "%s: out of memory for the "
                              "header", p);
    st = read_at(s, head, (size_t)table, 0, err);
    if (!st && dn_rowcache_head_sum(head, (size_t)table) != dn_get_le64(h + 56))
        st = dn_fail(err, DN_EFORMAT, "%s: the header checksum (offset 56) "
                     "does not match bytes 0 to %llu (header, schema, block "
                     "checksums): the file is damaged; convert the data "
                     "again", p, (unsigned long long)table);
    if (!st && S > 0)
        st = dn_rowcache_schema(head + DN_ROWCACHE_HEAD, S, s->d, p,
                                &s->schema, err);
    if (!st && !(s->sums = malloc((size_t)s->nb * sizeof *s->sums)))
        st = dn_fail(err, DN_ENOMEM, "%s: out of memory for the block "
                     "checksums", p);
    for (long b = 0; !st && b < s->nb; b++)
        s->sums[b] = dn_get_le64(head + DN_ROWCACHE_HEAD + S + 8 * b);
    free(head);
    s->cache = 1;
    return st;
}

static dn_status open_idx(dn_stream *s, const char *labels, dn_error *err)
{
    uint32_t dim[3];
    int plain, k = 0;
    dn_status st = dn_idx_head(s->path, 1, dim, &plain, err);
    if (st) return st;
    if (!plain)
        return dn_fail(err, DN_EFORMAT, "%s is gzipped: an IDX file is "
                       "streamed uncompressed (its rows read where they are); "
                       "gunzip it first, or train without --memory", s->path);
    if (dim[0] > (uint32_t)INT_MAX)  /* cov: dn_idx_head refuses a dimension past INT32_MAX first */
        return dn_fail(err, DN_EFORMAT, "%s: %u images, beyond the %d rows a "  /* cov: refused by dn_idx_head */
                       "data set holds", s->path, dim[0], INT_MAX);  /* cov: refused by dn_idx_head */
    s->n = (long)dim[0];
    s->d = (int)(dim[1] * dim[2]);
    s->es = 1;
    s->x_off = IDX_HEAD;
    if (labels) {
        st = dn_idx_labels(labels, dim[0], &s->labels, &k, err);
        if (st) return st;
        s->k = 1;
    }
    s->R = dn_rowcache_block_rows((long)dn_stream_row_bytes(s));
    s->nb = (s->n + s->R - 1) / s->R;
    return dn_idx_schema(s->path, dim, k, &s->schema, err);
}

dn_status dn_stream_open(const char *path, const char *labels,
                         dn_stream **out, dn_error *err)
{
    DN_NEED(path);
    DN_NEED(out);
    *out = NULL;
    dn_stream *s = calloc(1, sizeof *s);
    if (!s || !(s->path = dn_strdup(path))) {
        free(s);
        return dn_fail(err, DN_ENOMEM, "%s: out of memory", path);
    }
    s->fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    int e = s->fd < 0 ? errno : fstat(s->fd, &sb) ? errno
          : !S_ISREG(sb.st_mode) ? EINVAL : 0;
    dn_status st = DN_OK;
    if (e)
        st = dn_fail(err, DN_EIO, "%s: cannot open for streaming: %s", path,
                     e == EINVAL ? "not a regular file (rows are read where "
                     "they are, so a pipe cannot be streamed)" : strerror(e));
    unsigned char h[DN_ROWCACHE_HEAD];
    uint64_t size = 0;
    if (!st) st = file_size(s, &size, err);
    /* Every byte there is up to the header's: a file of 1 to 3 bytes is
     * shown in the refusal below, so those must be the file's. */
    if (!st && size > 0) st = read_at(s, h, size < sizeof h ? (size_t)size
                                                              : sizeof h, 0, err);
    if (!st && size >= 8 && !memcmp(h, dn_rowcache_magic, 8)) {
        if (size < DN_ROWCACHE_HEAD)
            st = dn_fail(err, DN_EFORMAT, "%s: truncated inside the header "
                         "(%llu of %d bytes)", path, (unsigned long long)size,
                         DN_ROWCACHE_HEAD);
        else if (labels)
            st = dn_fail(err, DN_EARG, "%s is a descent row cache, which holds "
                         "its targets; --labels is for IDX images", path);
        else
            st = open_cache(s, h, err);
    } else if (!st && size >= 4 && dn_get_be32(h) == 0x00000803u) {
        st = open_idx(s, labels, err);
    } else if (!st && size >= 2 && h[0] == 0x1f && h[1] == 0x8b) {
        st = dn_fail(err, DN_EFORMAT, "%s is gzipped (1f 8b at offset 0): a "
                     "file is streamed uncompressed, its rows read where "
                     "they are; gunzip it first, or train without --memory",
                     path);
    } else if (!st) {
        char show[DN_SHOW_BUF], m[8] = { 0 };
        for (size_t i = 0; i < 4 && i < size; i++)
            m[i] = (char)(h[i] >= 32 && h[i] < 127 ? h[i] : '.');
        st = dn_fail(err, DN_EFORMAT, "%s: the first bytes (\"%s\" at offset "
                     "0) are neither a descent row cache's magic (\\x89DNR) "
                     "nor an IDX images file's (00 00 08 03); make a row "
                     "cache with 'descent convert'", path, dn_show(m, show));
    }
    if (st) {
        dn_stream_close(s);
        return st;
    }
    *out = s;
    return DN_OK;
}

int dn_rowcache_detect_fd(int fd)
{
    unsigned char h[8];
    return fd >= 0 && pread(fd, h, 8, 0) == 8 && !memcmp(h, dn_rowcache_magic, 8);
}

void dn_stream_close(dn_stream *s)
{
    if (!s) return;
    if (s->fd >= 0) close(s->fd);
    dn_schema_free(s->schema);
    DN_FREE_ALL(s->path, s->sums, s->labels, s);
}

long dn_stream_rows(const dn_stream *s) { return s ? s->n : 0; }
int dn_stream_inputs(const dn_stream *s) { return s ? s->d : 0; }
int dn_stream_targets(const dn_stream *s) { return s ? s->k : 0; }
const dn_schema *dn_stream_schema(const dn_stream *s) { return s ? s->schema : NULL; }

uint64_t dn_stream_bytes(const dn_stream *s)
{
    return s ? (uint64_t)s->n * dn_stream_row_bytes(s) : 0;
}

/* A checksum proves that a block is what its writer wrote, not that the
 * writer was descent: a forged cache can carry a good checksum.  So the
 * values the training loop relies on are checked as dn_csv_read's are
 * made: finite float inputs, and targets that are finite for a
 * regression and class numbers 0 .. n_classes − 1 for a classifier (an
 * index into the output layer). */
static dn_status check_values(const dn_stream *s, long b, long r0, long n,
                              const void *x, const float *y, dn_error *err)
{
    const int classes = s->schema && s->schema->task != DN_TASK_REGRESSION
                            ? s->schema->n_classes : 0;
    /* Byte inputs (v / 255) are finite whatever they hold. */
    const float *xf = s->es == 4 ? x : NULL;
    for (long r = 0; r < n; r++) {
        const float *yr = y + (size_t)r * s->k;
        int bad_x = 0, bad_y = 0;
        for (int j = 0; xf && j < s->d && !bad_x; j++)
            bad_x = !isfinite(xf[(size_t)r * s->d + j]);
        for (int t = 0; t < s->k && !bad_y; t++)
            bad_y = !isfinite(yr[t]) ||
                    (classes && !(yr[t] >= 0 && yr[t] < classes &&
                                  yr[t] == floorf(yr[t])));
        if (bad_x || bad_y)
            return dn_fail(err, DN_EFORMAT, "%s: block %ld, row %ld: %s; the "
                           "file was not written by descent convert or is "
                           "damaged; convert the data again", s->path, b,
                           r0 + r + 1, bad_x ? "an input is not a finite number"
                           : classes ? "a target is not a class number of the "
                           "schema" : "a target is not a finite number");
    }
    return DN_OK;
}

dn_status dn_stream_block(const dn_stream *s, long b, void *x, float *y,
                          long *rows, dn_error *err)
{
    const long r0 = b * s->R, n = s->n - r0 < s->R ? s->n - r0 : s->R;
    const size_t nx = (size_t)n * s->d * s->es, ny = (size_t)n * s->k * 4;
    *rows = n;
    dn_status st = read_at(s, x, nx, s->x_off + (uint64_t)r0 * s->d * s->es, err);
    if (!st && s->cache && s->k)
        st = read_at(s, y, ny, s->y_off + (uint64_t)r0 * s->k * 4, err);
    if (st) return st;
    if (s->cache &&
        dn_hash64(y, s->k ? ny : 0, dn_hash64(x, nx, (uint64_t)b)) != s->sums[b])
        return dn_fail(err, DN_EFORMAT, "%s: block %ld (rows %ld to %ld, "
                       "inputs at offset %llu) does not match its checksum: "
                       "the file is damaged; convert the data again", s->path,
                       b, r0 + 1, r0 + n, (unsigned long long)(s->x_off +
                       (uint64_t)r0 * s->d * s->es));
    /* The file's little-endian floats as the host's. */
    if (s->es == 4) {
        uint32_t *u = x;
        for (size_t i = 0; i < (size_t)n * s->d; i++)
            u[i] = dn_get_le32((const unsigned char *)&u[i]);
    }
    if (s->cache) {
        uint32_t *u = (uint32_t *)y;
        for (size_t i = 0; i < (size_t)n * s->k; i++)
            u[i] = dn_get_le32((const unsigned char *)&u[i]);
    } else {
        for (long i = 0; s->labels && i < n; i++) y[i] = s->labels[r0 + i];
    }
    if (!s->cache) return DN_OK;
    /* Checked in the exact floating-point mode, as dn_csv_read checks
     * before training begins: under training's DAZ a subnormal target
     * would compare as the class 0 (kernels/fpmode.h). */
    const unsigned mode = dn_fpmode_exact();
    st = check_values(s, b, r0, n, x, y, err);
    dn_fpmode_leave(mode);
    return st;
}

/* A read of rows: the rows in memory (with a copy of the schema), X
 * their inputs as bytes, and one block's buffers to read them through. */
typedef struct {
    dn_data *D;
    unsigned char *X, *x;
    float *y;
} reading;

/* q->D is NULL when even the rows could not be made. */
static dn_status rows_begin(const dn_stream *s, int n, reading *q,
                            dn_error *err)
{
    memset(q, 0, sizeof *q);
    dn_status st = s->es == 1 ? dn_data_alloc_u8(n, s->d, s->k, &q->D, err)
                              : dn_data_new(n, s->d, s->k, &q->D, err);
    if (st) return st;
    q->X = q->D->X ? (unsigned char *)q->D->X : dn_data_x8(q->D);
    q->x = malloc((size_t)s->R * s->d * s->es + 1);
    q->y = malloc((size_t)s->R * s->k * sizeof *q->y + 1);
    if (!q->x || !q->y) st = dn_fail(err, DN_ENOMEM, "%s: out of memory", s->path);
    if (!st && s->schema) st = dn_schema_copy(s->schema, &q->D->schema, err);
    return st;
}

/* count rows of the block in the buffers, from its row `from`, to row
 * `to` of the rows read. */
static void rows_copy(const dn_stream *s, reading *q, long to, long from,
                      long count)
{
    const size_t row = (size_t)s->d * s->es;
    memcpy(q->X + (size_t)to * row, q->x + (size_t)from * row,
           (size_t)count * row);
    if (s->k)
        memcpy(q->D->Y + (size_t)to * s->k, q->y + (size_t)from * s->k,
               (size_t)count * s->k * sizeof *q->y);
}

/* The end of a read: the buffers freed, and the rows given or freed. */
static dn_status rows_end(dn_status st, reading *q, dn_data **out)
{
    free(q->x);
    free(q->y);
    if (st) dn_data_free(q->D);
    else *out = q->D;
    return st;
}

dn_status dn_stream_read(const dn_stream *s, long r0, int n, dn_data **out,
                         dn_error *err)
{
    DN_NEED(s);
    DN_NEED(out);
    *out = NULL;
    if (r0 < 0 || n < 1 || r0 > s->n - n)
        return dn_fail(err, DN_EARG, "dn_stream_read: rows %ld to %ld are not "
                       "within the %ld rows of %s", r0 + 1, r0 + n, s->n, s->path);
    reading q;
    dn_status st = rows_begin(s, n, &q, err);
    if (!q.D) return st;
    /* Whole blocks through one block's buffer, each checked, then the
     * rows asked for copied out. */
    for (long b = r0 / s->R; !st && b * s->R < r0 + n; b++) {
        long rows, from = b * s->R;
        if ((st = dn_stream_block(s, b, q.x, q.y, &rows, err))) break;
        long a = from < r0 ? r0 - from : 0;
        long z = from + rows > r0 + n ? r0 + n - from : rows;
        rows_copy(s, &q, from + a - r0, a, z - a);
    }
    return rows_end(st, &q, out);
}

dn_status dn_stream_sample(const dn_stream *s, int n, uint64_t seed,
                           dn_data **out, dn_error *err)
{
    DN_NEED(s);
    DN_NEED(out);
    *out = NULL;
    if (n < 1)
        return dn_fail(err, DN_EARG, "dn_stream_sample: %d rows; ask for at "
                       "least 1", n);
    if (n >= s->n) return dn_stream_read(s, 0, (int)s->n, out, err);
    reading q;
    dn_status st = rows_begin(s, n, &q, err);
    if (!q.D) return st;
    dn_rng r;
    dn_rng_seed(&r, seed);
    /* Span i is rows [i·N/n, (i+1)·N/n), at least one row as n < N; the
     * spans come in file order, so each block is read once. */
    long have = -1, rows = 0;
    for (int i = 0; i < n && !st; i++) {
        const long lo = (long)((long long)i * s->n / n);
        const long hi = (long)((long long)(i + 1) * s->n / n);
        const long row = lo + (long)dn_rng_below(&r, (uint64_t)(hi - lo));
        const long b = row / s->R;
        if (b != have && (st = dn_stream_block(s, b, q.x, q.y, &rows, err))) break;
        have = b;
        rows_copy(s, &q, i, row - b * s->R, 1);
    }
    return rows_end(st, &q, out);
}
