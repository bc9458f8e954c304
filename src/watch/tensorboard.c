/* tensorboard.c — TensorBoard event files written straight from C.
 *
 * An event file is a TFRecord file: a sequence of records
 *
 *   uint64 length                     little-endian
 *   uint32 masked CRC32C of length    (the 8 bytes above)
 *   byte   data[length]               one serialized Event protobuf
 *   uint32 masked CRC32C of data
 *
 * where mask(c) = ((c >> 15) | (c << 17)) + 0xa282ead8 and CRC32C is the
 * CRC-32 of the Castagnoli polynomial (reflected 0x82F63B78).  The first
 * Event carries file_version "brain.Event:2"; each later one a Summary
 * with one scalar (tag, simple_value) or one histogram.  The protobuf
 * fields used:
 *
 *   Event   1 wall_time double, 2 step int64, 3 file_version string,
 *           5 summary Summary
 *   Summary 1 value Value (repeated)
 *   Value   1 tag string, 2 simple_value float, 5 histo HistogramProto
 *   HistogramProto  1 min, 2 max, 3 num, 4 sum, 5 sum_squares (doubles),
 *           6 bucket_limit, 7 bucket (packed repeated doubles): bucket i
 *           counts the values in (bucket_limit[i-1], bucket_limit[i]],
 *           the first everything up to bucket_limit[0]
 *
 * Why this file is appended and not rewritten like the others: TensorBoard
 * reads an event file while it grows, holding it open, so a file renamed
 * over it would never be seen.  The framing makes appending safe instead:
 * every record is checksummed, a reader stops at a torn tail, and when a
 * write fails the file is cut back to its last complete record. */
#include "nn/nn.h"
#include "formats/protobuf.h"
#include "base/byteorder.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILE_VERSION "brain.Event:2"
#define MAX_TAG 256   /* bytes of a tag */

/* ---- CRC32C ---- */

/* Bit by bit: a record is some fifty bytes, so a table (and the global
 * state to build it) would buy nothing. */
static uint32_t masked_crc32c(const unsigned char *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    }
    c ^= 0xFFFFFFFFu;
    /* TFRecord masks the CRC so that a CRC stored inside checksummed data
     * does not checksum to a fixed value. */
    return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}

/* ---- the Event protobuf (written with protobuf.h) ---- */

/* The Event's common head: wall_time and step. */
static void event_head(dn_pb *p, int64_t step)
{
    dn_pb_double(p, 1, dn_wall_time());
    dn_pb_int64(p, 2, step);
}

/* ---- one event file ---- */

struct dn_events {
    FILE *f;
    char *path;
    long  good;    /* bytes up to the end of the last record known written */
    int   failed;  /* an earlier write failed: the file is closed */
};

const char *dn_events_path(const dn_events *ev) { return ev->path; }

/* mkdir -p: each missing directory of dir is created. */
static int make_dirs(const char *dir)
{
    char *p = dn_strdup(dir);
    if (!p) { errno = ENOMEM; return -1; }
    int rc = 0;
    for (char *s = p + 1;; s++) {
        if (*s && *s != '/') continue;
        char c = *s;
        *s = 0;
        struct stat st;
        if (mkdir(p, 0777) && errno != EEXIST) { rc = -1; break; }
        if (stat(p, &st) || !S_ISDIR(st.st_mode)) {
            errno = ENOTDIR;
            rc = -1;
            break;
        }
        if (!c) break;
        *s = c;
    }
    free(p);
    return rc;
}

static dn_status fail_write(dn_events *ev, int e, dn_error *err)
{
    /* Cut the file back to its last complete record, so that a torn
     * record never follows good ones (readers would take it for data
     * loss).  An empty file is removed: it holds nothing. */
    if (ev->f) {
        if (ev->good > 0) {
            fflush(ev->f);
            if (ftruncate(fileno(ev->f), ev->good)) { /* best effort */ }
        }
        fclose(ev->f);
        ev->f = NULL;
        if (ev->good <= 0) remove(ev->path);
    }
    ev->failed = 1;
    return dn_fail(err, DN_EIO, "cannot write the TensorBoard event file "
                   "'%s': %s; check that the directory is writable and the "
                   "disk has room (the records written before are intact)",
                   ev->path, strerror(e));
}

/* One TFRecord; 0, or -1 with errno set. */
static int write_record(FILE *f, const dn_pb *p)
{
    unsigned char head[12], tail[4];
    if (p->failed) { errno = ENOMEM; return -1; }
    dn_put_le64(head, p->len);
    dn_put_le32(head + 8, masked_crc32c(head, 8));
    dn_put_le32(tail, masked_crc32c(p->p, p->len));
    return fwrite(head, 1, 12, f) == 12 && fwrite(p->p, 1, p->len, f) == p->len &&
           fwrite(tail, 1, 4, f) == 4 ? 0 : -1;
}

/* A record write_record could not write: out of memory building it
 * (nothing of it reached the file, which stays usable), else a write
 * error. */
static dn_status record_failed(dn_events *ev, dn_error *err)
{
    if (errno == ENOMEM && !ferror(ev->f))
        return dn_fail(err, DN_ENOMEM, "out of memory for a TensorBoard "
                       "record");
    return fail_write(ev, errno ? errno : EIO, err);
}

dn_status dn_events_flush(dn_events *ev, dn_error *err)
{
    DN_NEED(ev);
    if (ev->failed)
        return dn_fail(err, DN_EIO, "the TensorBoard event file '%s' had a "
                       "write error earlier; no more records go to it",
                       ev->path);
    errno = 0;
    if (fflush(ev->f)) return fail_write(ev, errno ? errno : EIO, err);
    ev->good = ftell(ev->f);
    return DN_OK;
}

/* The host name as a file name part: letters, digits, '.', '-', '_'. */
static void host_part(char *h, size_t n)
{
    if (gethostname(h, n) || !h[0]) snprintf(h, n, "localhost");
    h[n - 1] = 0;
    for (char *c = h; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
              (*c >= '0' && *c <= '9') || *c == '.' || *c == '-' || *c == '_'))
            *c = '_';
}

dn_status dn_events_open(const char *dir, dn_events **out, dn_error *err)
{
    DN_NEED(out);
    *out = NULL;
    if (!dir || !*dir)
        return dn_fail(err, DN_EARG, "no directory given for the TensorBoard "
                       "event file");
    if (make_dirs(dir))
        return dn_fail(err, errno == ENOMEM ? DN_ENOMEM : DN_EIO,
                       "cannot create the TensorBoard directory '%s': %s",
                       dir, strerror(errno));
    dn_events *ev = calloc(1, sizeof *ev);
    size_t len = strlen(dir) + 400;
    char host[256];
    host_part(host, sizeof host);
    if (ev) ev->path = malloc(len);
    if (!ev || !ev->path) {
        free(ev);
        return dn_fail(err, DN_ENOMEM, "out of memory");
    }
    long now = (long)dn_wall_time(), pid = (long)getpid();
    /* TensorBoard reads every file whose name contains "tfevents".  The
     * name is TensorFlow's; a second writer in the same directory and
     * second (train and validation share a process) gets a suffix. */
    for (int k = 0; k < 1000; k++) {
        if (k) snprintf(ev->path, len, "%s/events.out.tfevents.%ld.%s.%ld.%d",
                        dir, now, host, pid, k);
        else snprintf(ev->path, len, "%s/events.out.tfevents.%ld.%s.%ld",
                      dir, now, host, pid);
        errno = 0;
        ev->f = fopen(ev->path, "wbx");
        if (ev->f || errno != EEXIST) break;
    }
    if (!ev->f) {
        dn_status st = dn_fail(err, DN_EIO, "cannot create the TensorBoard "
                               "event file '%s': %s", ev->path,
                               strerror(errno ? errno : EIO));
        free(ev->path);
        free(ev);
        return st;
    }
    dn_pb p = { 0 };
    event_head(&p, 0);
    dn_pb_string(&p, 3, FILE_VERSION);
    errno = 0;
    dn_status st = write_record(ev->f, &p) ? record_failed(ev, err)
                                           : dn_events_flush(ev, err);
    dn_pb_free(&p);
    if (st) {
        if (ev->f) {  /* the header never went in: nothing usable, remove it */
            fclose(ev->f);
            ev->f = NULL;
            remove(ev->path);
        }
        dn_events_close(ev, NULL);
        return st;
    }
    *out = ev;
    return DN_OK;
}

/* Checks a tag; DN_OK or DN_EARG. */
static dn_status check_tag(const char *tag, size_t *tn, dn_error *err)
{
    *tn = tag ? strlen(tag) : 0;
    if (*tn == 0 || *tn > MAX_TAG)
        return dn_fail(err, DN_EARG, "a TensorBoard tag must have 1 to %d "
                       "bytes, got %zu", MAX_TAG, *tn);
    return DN_OK;
}

/* Writes e, a built Event, as one record and frees it. */
static dn_status put_event(dn_events *ev, dn_pb *e, dn_error *err)
{
    errno = 0;
    int bad = write_record(ev->f, e);
    int e_ = errno;
    dn_pb_free(e);
    errno = e_;
    return bad ? record_failed(ev, err) : DN_OK;
}

dn_status dn_events_scalar(dn_events *ev, const char *tag, int64_t step,
                           double value, dn_error *err)
{
    DN_NEED(ev);
    size_t tn;
    dn_status st = check_tag(tag, &tn, err);
    if (st) return st;
    if (ev->failed) return dn_events_flush(ev, err);
    /* Event { wall_time, step, summary: Summary { value: Value { tag,
     * simple_value } } } */
    dn_pb e = { 0 };
    event_head(&e, step);
    size_t summary = dn_pb_begin(&e, 5);
    size_t val = dn_pb_begin(&e, 1);
    dn_pb_bytes(&e, 1, tag, tn);
    dn_pb_float(&e, 2, (float)value);
    dn_pb_end(&e, val);
    dn_pb_end(&e, summary);
    return put_event(ev, &e, err);
}

/* TensorBoard re-bins whatever it is given into 30 buckets for its
 * charts; 30 of equal width over [min, max] keep every value's place to
 * a thirtieth of the range in a record of some 600 bytes. */
enum { HIST_BUCKETS = 30 };

dn_status dn_events_histogram(dn_events *ev, const char *tag, int64_t step,
                              const float *v, size_t n, dn_error *err)
{
    DN_NEED(ev);
    size_t tn;
    dn_status st = check_tag(tag, &tn, err);
    if (st) return st;
    if (n && !v) return dn_null(err, __func__, "v");
    if (ev->failed) return dn_events_flush(ev, err);
    double lo = INFINITY, hi = -INFINITY, sum = 0, sq = 0, num = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i])) continue;
        const double x = v[i];
        lo = x < lo ? x : lo;
        hi = x > hi ? x : hi;
        sum += x;
        sq += x * x;
        num++;
    }
    if (num == 0) return DN_OK;   /* nothing to draw */
    double limit[HIST_BUCKETS], count[HIST_BUCKETS] = { 0 };
    int nb = hi > lo ? HIST_BUCKETS : 1;
    const double w = (hi - lo) / nb;
    for (int j = 0; j < nb; j++) limit[j] = j == nb - 1 ? hi : lo + (j + 1) * w;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i])) continue;
        const double x = v[i];
        /* the first bucket whose limit is not below x: the division puts
         * it there or beside it, the limits as stored settle it */
        int j = nb > 1 ? (int)((x - lo) / w) : 0;
        j = j < 0 ? 0 : j >= nb ? nb - 1 : j;
        while (j > 0 && x <= limit[j - 1]) j--;
        while (j < nb - 1 && x > limit[j]) j++;
        count[j]++;
    }
    /* Event { wall_time, step, summary: Summary { value: Value { tag,
     * histo: HistogramProto { ... } } } } */
    dn_pb e = { 0 };
    event_head(&e, step);
    size_t summary = dn_pb_begin(&e, 5);
    size_t val = dn_pb_begin(&e, 1);
    dn_pb_bytes(&e, 1, tag, tn);
    size_t histo = dn_pb_begin(&e, 5);
    dn_pb_double(&e, 1, lo);
    dn_pb_double(&e, 2, hi);
    dn_pb_double(&e, 3, num);
    dn_pb_double(&e, 4, sum);
    dn_pb_double(&e, 5, sq);
    dn_pb_doubles(&e, 6, limit, (size_t)nb);
    dn_pb_doubles(&e, 7, count, (size_t)nb);
    dn_pb_end(&e, histo);
    dn_pb_end(&e, val);
    dn_pb_end(&e, summary);
    return put_event(ev, &e, err);
}

dn_status dn_events_close(dn_events *ev, dn_error *err)
{
    if (!ev) return DN_OK;
    dn_status st = DN_OK;
    if (ev->f) {
        st = dn_events_flush(ev, err);
        if (!st && fsync(fileno(ev->f))) st = fail_write(ev, errno, err);
        if (ev->f && fclose(ev->f) && !st) {
            ev->f = NULL;
            st = fail_write(ev, errno ? errno : EIO, err);
        }
        ev->f = NULL;
    }
    free(ev->path);
    free(ev);
    return st;
}

/* ---- a training run: LOGDIR/train and LOGDIR/validation ---- */

struct dn_tboard {
    char *val_dir;
    dn_events *train, *val;
    float *prev;      /* the parameters at the last dn_tboard_layers */
    size_t n_prev;
};

dn_status dn_tboard_open(const char *logdir, dn_tboard **out, dn_error *err)
{
    DN_NEED(out);
    *out = NULL;
    if (!logdir || !*logdir)
        return dn_fail(err, DN_EARG, "no TensorBoard log directory given");
    dn_tboard *tb = calloc(1, sizeof *tb);
    size_t n = strlen(logdir) + 16;
    char *train_dir = malloc(n);
    if (tb) tb->val_dir = malloc(n);
    if (!tb || !train_dir || !tb->val_dir) {
        free(train_dir);
        if (tb) free(tb->val_dir);
        free(tb);
        return dn_fail(err, DN_ENOMEM, "out of memory");
    }
    snprintf(train_dir, n, "%s/train", logdir);
    snprintf(tb->val_dir, n, "%s/validation", logdir);
    dn_status st = dn_events_open(train_dir, &tb->train, err);
    free(train_dir);
    if (st) {
        free(tb->val_dir);
        free(tb);
        return st;
    }
    *out = tb;
    return DN_OK;
}

/* Writes the finite ones of a run's scalars for one epoch. */
static dn_status scalars(dn_events *ev, int64_t step, const char *const *tag,
                         const double *v, int n, dn_error *err)
{
    for (int i = 0; i < n; i++) {
        if (!isfinite(v[i])) continue;
        dn_status st = dn_events_scalar(ev, tag[i], step, v[i], err);
        if (st) return st;
    }
    return dn_events_flush(ev, err);
}

dn_status dn_tboard_add(dn_tboard *tb, const dn_hist_row *r,
                        const char *metric, dn_error *err)
{
    DN_NEED(tb);
    DN_NEED(r);
    if (!metric || !*metric) metric = "metric";
    /* The same tags in both runs, so TensorBoard overlays train and
     * validation in one chart per tag (Keras's layout).  The learning
     * rate and gradient norm belong to training alone. */
    const char *tag[4] = { "loss", metric, "learning_rate", "grad_norm" };
    const double tv[4] = { r->train_loss, r->train_metric, r->learning_rate,
                           r->grad_norm };
    dn_status st = scalars(tb->train, r->epoch, tag, tv, 4, err);
    if (st) return st;
    const double vv[2] = { r->val_loss, r->val_metric };
    if (!isfinite(vv[0]) && !isfinite(vv[1])) return DN_OK;
    /* Created on first use: a run without validation data leaves no
     * empty validation run in TensorBoard's list. */
    if (!tb->val && (st = dn_events_open(tb->val_dir, &tb->val, err))) return st;
    return scalars(tb->val, r->epoch, tag, vv, 2, err);
}

dn_status dn_tboard_layers(dn_tboard *tb, const dn_model *m,
                           const float *grad, int64_t step, dn_error *err)
{
    DN_NEED(tb);
    DN_NEED(m);
    const dn_arch *A = dn_model_arch(m);
    const size_t P = dn_model_n_params(m);
    const float *theta = dn_model_params_const(m);
    /* The first call (or a model of another size) has nothing to compare
     * with: the copy is made now, so that running out of memory writes
     * nothing. */
    const int have_prev = tb->prev && tb->n_prev == P;
    if (!have_prev) {
        float *p = malloc(P * sizeof *p);
        if (!p) return dn_fail(err, DN_ENOMEM, "out of memory for a copy of "
                               "the %zu parameters (TensorBoard's update "
                               "ratios)", P);
        free(tb->prev);
        tb->prev = p;
        tb->n_prev = P;
    }
    dn_status st = DN_OK;
    char tag[48];
    for (int l = 0; l < A->n_layers && !st; l++) {
        const size_t u = (size_t)A->layer[l].units;
        const size_t nW = u * (size_t)(l ? A->layer[l - 1].units : A->n_in);
        const size_t oW = dn_model_offset_W(m, l), ob = dn_model_offset_b(m, l);
        snprintf(tag, sizeof tag, "weights/layer%d", l + 1);
        st = dn_events_histogram(tb->train, tag, step, theta + oW, nW, err);
        snprintf(tag, sizeof tag, "biases/layer%d", l + 1);
        if (!st) st = dn_events_histogram(tb->train, tag, step, theta + ob, u, err);
        snprintf(tag, sizeof tag, "gradients/layer%d", l + 1);
        if (!st && grad)
            st = dn_events_histogram(tb->train, tag, step, grad + oW, nW, err);
        if (st || !have_prev) continue;
        /* ‖ΔW‖ / ‖W‖ over the epoch, W as it was at its start */
        double d2 = 0, w2 = 0;
        for (size_t i = oW; i < oW + nW; i++) {
            const double d = (double)theta[i] - tb->prev[i];
            d2 += d * d;
            w2 += (double)tb->prev[i] * tb->prev[i];
        }
        snprintf(tag, sizeof tag, "update_ratio/layer%d", l + 1);
        if (w2 > 0 && isfinite(d2))
            st = dn_events_scalar(tb->train, tag, step, sqrt(d2 / w2), err);
    }
    if (st) return st;
    memcpy(tb->prev, theta, P * sizeof *theta);
    return dn_events_flush(tb->train, err);
}

dn_status dn_tboard_close(dn_tboard *tb, dn_error *err)
{
    if (!tb) return DN_OK;
    dn_status st = dn_events_close(tb->train, err);
    dn_status sv = dn_events_close(tb->val, st ? NULL : err);
    free(tb->val_dir);
    free(tb->prev);
    free(tb);
    return st ? st : sv;
}
