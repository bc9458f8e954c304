/* idx.c — MNIST-style IDX files, plain or gzipped (zlib reads both the
 * same way).  Every size in a header is checked against the limits and,
 * for a plain file, against the file's size before any memory is given
 * to it; a gzipped payload is read into a buffer that grows only as
 * bytes actually arrive, so a lying header costs nothing. */
#include "data/data.h"
#include "base/byteorder.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define IDX_IMAGES 0x00000803u  /* unsigned bytes, 3 dimensions */
#define IDX_LABELS 0x00000801u  /* unsigned bytes, 1 dimension */
#define IDX_UBYTE  0x08
#define READ_CHUNK (1u << 30)   /* gzread takes an unsigned int */
#define GROW_START (1u << 20)

typedef struct {
    const char *path;
    gzFile   gz;
    int      plain;     /* not gzipped, so `size` is the payload's bound */
    long long size;     /* bytes in the file */
    int      n_dims;
    uint32_t dim[3];
    uint64_t payload;   /* bytes after the header */
    int      streamed;  /* read block by block (stream.c): the limit on
                           the elements of one array in memory is not
                           this file's */
} idx_file;


/* Reads up to n bytes; *got says how many came. */
static dn_status gz_read(const idx_file *f, void *buf, size_t n, size_t *got,
                         dn_error *err)
{
    *got = 0;
    while (*got < n) {
        size_t want = n - *got < READ_CHUNK ? n - *got : READ_CHUNK;
        int r = gzread(f->gz, (char *)buf + *got, (unsigned)want);
        if (r < 0) {
            int code;
            const char *why = gzerror(f->gz, &code);
            const char *tail = strstr(why, ">: ");
            if (why[0] == '<' && tail) why = tail + 3; /* gzdopen's "<fd:3>" */
            return dn_fail(err, code == Z_ERRNO ? DN_EIO : DN_EFORMAT,
                           "%s: cannot read: %s; the file is damaged or "
                           "truncated", f->path,
                           code == Z_ERRNO ? strerror(errno) : why);
        }
        if (r == 0) break;
        *got += (size_t)r;
    }
    return DN_OK;
}

/* 1 if the gzip stream ended early.  gzread reports a stream cut short
 * (zlib's Z_BUF_ERROR) as a plain end of file, even before the checksum
 * that would vouch for the data: only gzerror tells. */
static int gz_cut(const idx_file *f)
{
    int code;
    gzerror(f->gz, &code);
    return code == Z_BUF_ERROR;
}

static const char *type_name(int t)
{
    switch (t) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "short";
    case 0x0C: return "int";
    case 0x0D: return "float";
    case 0x0E: return "double";
    }
    return NULL;
}

/* Says what the file is instead of what was expected. */
static dn_status bad_magic(const char *path, uint32_t magic, uint32_t want,
                           dn_error *err)
{
    const char *what = want == IDX_IMAGES ? "images" : "labels";
    const char *hint = "(the images file is given as DATA, the labels file "
                       "with --labels)";
    uint32_t other = want == IDX_IMAGES ? IDX_LABELS : IDX_IMAGES;
    int type = (int)(magic >> 8 & 0xFF);
    if (magic == other)
        return dn_fail(err, DN_EFORMAT, "%s: this is an IDX %s file (magic "
                       "0x%08X), but IDX %s (0x%08X) are expected here %s",
                       path, want == IDX_IMAGES ? "labels" : "images", magic,
                       what, want, hint);
    if (magic >> 16 == 0 && type != IDX_UBYTE && type_name(type))
        return dn_fail(err, DN_EFORMAT, "%s: IDX values of type 0x%02X (%s) "
                       "are not supported; only unsigned bytes (0x08) are",
                       path, type, type_name(type));
    return dn_fail(err, DN_EFORMAT, "%s: magic number 0x%08X, but IDX %s "
                   "start with 0x%08X: not an IDX %s file %s", path, magic,
                   what, want, what, hint);
}

/* The payload size the dimensions promise, within the limits. */
static dn_status check_dims(idx_file *f, dn_error *err)
{
    uint64_t width = 1;
    for (int i = 0; i < f->n_dims; i++) {
        if (f->dim[i] == 0 || f->dim[i] > INT32_MAX)
            return dn_fail(err, DN_EFORMAT, "%s: dimension %d is %u (bytes "
                           "%d to %d): the header is corrupt", f->path, i + 1,
                           f->dim[i], 4 + 4 * i, 7 + 4 * i);
        if (i > 0) width *= f->dim[i];
    }
    uint64_t n = f->dim[0];
    if (n > DN_MAX_ROWS || width > DN_MAX_WIDTH ||
        (!f->streamed && n * width > (uint64_t)DN_MAX_ELEMENTS))
        return dn_fail(err, DN_EFORMAT, "%s: the header promises %llu items "
                       "of %llu bytes, beyond the limits (%ld items, %ld "
                       "bytes each, %ld in all): the header is corrupt",
                       f->path, (unsigned long long)n,
                       (unsigned long long)width, DN_MAX_ROWS, DN_MAX_WIDTH,
                       DN_MAX_ELEMENTS);
    f->payload = n * width;
    uint64_t total = 4 + 4 * (uint64_t)f->n_dims + f->payload;
    if (f->plain && (uint64_t)f->size != total)
        return dn_fail(err, DN_EFORMAT, "%s: %s: the file has %lld bytes, "
                       "its header promises %llu (%llu after the header); "
                       "%s", f->path,
                       (uint64_t)f->size < total ? "truncated"
                                                 : "trailing bytes",
                       f->size, (unsigned long long)total,
                       (unsigned long long)f->payload,
                       (uint64_t)f->size < total
                           ? "download or decompress it again"
                           : "the file is damaged or is not one IDX file");
    return DN_OK;
}

/* given, if not -1, is path already open: read from its start through a
 * descriptor of our own, which gzclose closes. */
static dn_status open_gz(int given, const char *path, idx_file *f,
                         dn_error *err)
{
    struct stat sb;
    if (given >= 0) lseek(given, 0, SEEK_SET);
    int fd = given >= 0 ? dup(given) : open(path, O_RDONLY);
    if (fd < 0)
        return dn_fail(err, DN_EIO, "%s: cannot open: %s", path,
                       strerror(errno));
    int e = fstat(fd, &sb) != 0 ? errno : S_ISDIR(sb.st_mode) ? EISDIR : 0;
    if (e) {
        close(fd);
        return dn_fail(err, DN_EIO, "%s: cannot read: %s", path,
                       strerror(e));
    }
    f->size = (long long)sb.st_size;
    if (!(f->gz = gzdopen(fd, "rb"))) {
        close(fd);  /* cov: only zlib's own malloc fails it, which the alloc-fail wrapper does not see */
        return dn_fail(err, DN_ENOMEM, "%s: out of memory opening it", path);  /* cov: as above */
    }
    return DN_OK;
}

/* Opens an IDX file of the kind `want` and checks its header. */
static dn_status idx_open(int fd, const char *path, uint32_t want,
                          int streamed, idx_file *f, dn_error *err)
{
    unsigned char h[16];
    size_t got;
    memset(f, 0, sizeof *f);
    f->path = path;
    f->streamed = streamed;
    f->n_dims = (int)(want & 0xFF);
    size_t head = 4 + 4 * (size_t)f->n_dims;
    if (!path) return dn_fail(err, DN_EARG, "no IDX file given");
    dn_status st = open_gz(fd, path, f, err);
    if (!st) st = gz_read(f, h, 4, &got, err);
    if (st) return st;
    f->plain = gzdirect(f->gz);
    if (got < 4)
        return dn_fail(err, DN_EFORMAT, "%s: %zu bytes: %s", path, got,
                       gz_cut(f) ? "truncated: the gzip stream ends early"
                                 : "too short for an IDX file");
    if (dn_get_be32(h) != want) return bad_magic(path, dn_get_be32(h), want, err);
    st = gz_read(f, h + 4, head - 4, &got, err);
    if (st) return st;
    if (got < head - 4)
        return dn_fail(err, DN_EFORMAT, "%s: truncated inside the header "
                       "(%zu of %zu bytes)", path, got + 4, head);
    for (int i = 0; i < f->n_dims; i++) f->dim[i] = dn_get_be32(h + 4 + 4 * i);
    return check_dims(f, err);
}

static void idx_close(idx_file *f)
{
    if (f->gz) gzclose(f->gz);
    f->gz = NULL;
}

/* Reads exactly the promised payload.  The buffer grows only as bytes
 * arrive; one byte more than promised means trailing data. */
static dn_status read_payload(const idx_file *f, unsigned char **out,
                              dn_error *err)
{
    size_t want = (size_t)f->payload, got = 0, n;
    size_t cap = want < GROW_START ? want : GROW_START;
    unsigned char *b = malloc(cap + 1), *nb;
    dn_status st = DN_OK;
    *out = NULL;
    while (b && !st) {
        if (got == cap && cap < want) {
            size_t grown = cap > want / 2 ? want : 2 * cap;
            if (!(nb = realloc(b, grown + 1))) break;
            b = nb;
            cap = grown;
        }
        /* Once the buffer holds the whole payload, ask for one byte more:
         * getting it means trailing data. */
        size_t room = (cap < want ? cap : want + 1) - got;
        st = gz_read(f, b + got, room, &n, err);
        got += n;
        if (n < room || got > want) break;
    }
    if (!b || (!st && got == cap && cap < want)) /* (re)alloc failed */
        st = dn_fail(err, DN_ENOMEM, "%s: out of memory for %zu bytes",
                     f->path, want);
    else if (!st && got != want)
        st = dn_fail(err, DN_EFORMAT, "%s: %s: expected %zu bytes after the "
                     "header, got %s%zu", f->path,
                     got < want ? "truncated" : "trailing bytes", want,
                     got > want ? "more than " : "", got < want ? got : want);
    else if (!st && !f->plain && gz_cut(f))
        st = dn_fail(err, DN_EFORMAT, "%s: truncated: the gzip stream ends "
                     "before its checksum, after all %zu bytes of data; the "
                     "file is damaged or truncated", f->path, want);
    if (st) free(b);
    else *out = b;
    return st;
}

/* Pixel columns px0, px1, ... as a CSV of the same images would name
 * them; the target, when there are labels, is "label" with classes
 * "0".."K-1". */
static dn_status idx_schema(const idx_file *img, int k, dn_schema **out,
                            dn_error *err)
{
    int w = (int)(img->dim[1] * img->dim[2]);
    char name[16];
    dn_schema *s = dn_schema_alloc(w);
    *out = NULL;
    for (int j = 0; s && j < w; j++) {
        snprintf(name, sizeof name, "px%d", j);
        if (!(s->col[j].name = dn_strdup(name))) goto nomem;
    }
    if (!s) goto nomem;
    s->n_in = w;
    s->img_rows = (int)img->dim[1];
    s->img_cols = (int)img->dim[2];
    if (k > 0) {
        if (!(s->target = dn_strdup("label"))) goto nomem;
        if (!(s->classes = calloc((size_t)k, sizeof *s->classes)))
            goto nomem;
        s->n_classes = k;
        for (int c = 0; c < k; c++) {
            snprintf(name, sizeof name, "%d", c);
            if (!(s->classes[c] = dn_strdup(name))) goto nomem;
        }
        s->task = k == 2 ? DN_TASK_BINARY : DN_TASK_MULTICLASS;
    }
    *out = s;
    return DN_OK;
nomem:
    dn_schema_free(s);
    return dn_fail(err, DN_ENOMEM, "%s: out of memory", img->path);
}

/* Classes are 0..max label; fewer than two leaves nothing to learn. */
static dn_status label_classes(const idx_file *lab, const unsigned char *y,
                               int n, int *k, dn_error *err)
{
    int max = 0;
    for (int i = 0; i < n; i++)
        if (y[i] > max) max = y[i];
    *k = max + 1;
    if (*k < 2)
        return dn_fail(err, DN_EFORMAT, "%s: every label is 0: one class, "
                       "nothing to learn; check that this is the right "
                       "labels file", lab->path);
    return DN_OK;
}

/* Builds the data set from the payloads (labels may be NULL); with bytes,
 * the pixel payload itself becomes the bytes (*pxp is then NULL). */
static dn_status idx_data(const idx_file *img, unsigned char **pxp,
                          const idx_file *lab, const unsigned char *y,
                          int bytes, dn_data **out, dn_error *err)
{
    int n = (int)img->dim[0], w = (int)(img->dim[1] * img->dim[2]), k = 0;
    dn_data *D;
    dn_status st = y ? label_classes(lab, y, n, &k, err) : DN_OK;
    if (!st) st = bytes ? dn_data_alloc_u8(n, w, y ? 1 : 0, &D, err)
                        : dn_data_new(n, w, y ? 1 : 0, &D, err);
    if (st) return st;
    const unsigned char *px = *pxp;
    if (bytes) {
        free(D->bytes);  /* calloc'd, never touched */
        D->bytes = (struct dn_data_bytes *)*pxp;
        *pxp = NULL;
    } else
        for (size_t i = 0; i < (size_t)n * w; i++) D->X[i] = px[i] / 255.0f;
    for (int i = 0; y && i < n; i++) D->Y[i] = y[i];
    if ((st = idx_schema(img, k, &D->schema, err))) {
        dn_data_free(D);
        return st;
    }
    *out = D;
    return DN_OK;
}

static dn_status idx_read(int images_fd, const char *images_path,
                          int labels_fd, const char *labels_path,
                          int bytes, dn_data **out, dn_error *err)
{
    idx_file img, lab;
    unsigned char *px = NULL, *y = NULL;
    *out = NULL;
    memset(&lab, 0, sizeof lab);
    /* Both headers before either payload: a mismatch fails fast. */
    dn_status st = idx_open(images_fd, images_path, IDX_IMAGES, 0, &img, err);
    if (!st && labels_path) {
        st = idx_open(labels_fd, labels_path, IDX_LABELS, 0, &lab, err);
        if (!st && lab.dim[0] != img.dim[0])
            st = dn_fail(err, DN_EFORMAT, "%s has %u labels but %s has %u "
                         "images; give the labels file that belongs to the "
                         "images", labels_path, lab.dim[0], images_path,
                         img.dim[0]);
    }
    if (!st) st = read_payload(&img, &px, err);
    if (!st && labels_path) st = read_payload(&lab, &y, err);
    if (!st) st = idx_data(&img, &px, &lab, y, bytes, out, err);
    idx_close(&img);
    idx_close(&lab);
    free(px);
    free(y);
    return st;
}

dn_status dn_idx_read(const char *images_path, const char *labels_path,
                      dn_data **out, dn_error *err)
{
    DN_NEED(out);
    return idx_read(-1, images_path, -1, labels_path, 0, out, err);
}

dn_status dn_idx_read_u8(const char *images_path, const char *labels_path,
                         dn_data **out, dn_error *err)
{
    DN_NEED(out);
    return idx_read(-1, images_path, -1, labels_path, 1, out, err);
}

dn_status dn_idx_read_u8_fd(int images_fd, const char *images_path,
                            int labels_fd, const char *labels_path,
                            dn_data **out, dn_error *err)
{
    return idx_read(images_fd, images_path, labels_fd, labels_path, 1, out,
                    err);
}

int dn_idx_detect(const char *path)
{
    return dn_idx_detect_fd(-1, path);
}

int dn_idx_detect_fd(int fd, const char *path)
{
    unsigned char h[4];
    idx_file f;
    size_t got;
    memset(&f, 0, sizeof f);
    f.path = path;
    if ((fd < 0 && !path) || open_gz(fd, path, &f, NULL)) return 0;
    int ok = !gz_read(&f, h, 4, &got, NULL) && got == 4 &&
             (dn_get_be32(h) == IDX_IMAGES || dn_get_be32(h) == IDX_LABELS);
    idx_close(&f);
    return ok;
}

/* ---- for streaming (stream.c): headers, labels and the schema without
 * the pixels ---- */

dn_status dn_idx_head(const char *path, int images, uint32_t dim[3],
                      int *plain, dn_error *err)
{
    idx_file f;
    dn_status st = idx_open(-1, path, images ? IDX_IMAGES : IDX_LABELS, 1, &f, err);
    if (!st) {
        memcpy(dim, f.dim, sizeof f.dim);
        *plain = f.plain;
    }
    idx_close(&f);
    return st;
}

dn_status dn_idx_labels(const char *path, uint32_t n, unsigned char **y,
                        int *k, dn_error *err)
{
    idx_file f;
    *y = NULL;
    dn_status st = idx_open(-1, path, IDX_LABELS, 0, &f, err);
    if (!st && f.dim[0] != n)
        st = dn_fail(err, DN_EFORMAT, "%s has %u labels but the images have "
                     "%u; give the labels file that belongs to the images",
                     path, f.dim[0], n);
    if (!st) st = read_payload(&f, y, err);
    if (!st) st = label_classes(&f, *y, (int)n, k, err);
    if (st) {
        free(*y);
        *y = NULL;
    }
    idx_close(&f);
    return st;
}

dn_status dn_idx_schema(const char *path, const uint32_t dim[3], int k,
                        dn_schema **out, dn_error *err)
{
    idx_file f;
    memset(&f, 0, sizeof f);
    f.path = path;
    memcpy(f.dim, dim, sizeof f.dim);
    return idx_schema(&f, k, out, err);
}
