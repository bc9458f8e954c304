/* checkpoint.c — the training state on disk, so that an interrupted run
 * resumes bit for bit.
 *
 * Layout (all little-endian):
 *   "DNCKPT\r\n"   8-byte magic (the \r\n catches text-mode mangling)
 *   u32 version    1
 *   u32 crc        CRC-32 (zlib's) of everything after the header
 *   u64 length     of everything after the header
 *   u32 count      of scalar fields, then count × 8-byte fields (integers
 *                  as i64, reals as IEEE doubles, in the order of fields())
 *   theta          n_params × f32
 *   optimizer      n_opt × f32
 *   best theta     n_params × f32 when has_best
 *   row order      n × i32, a permutation of 0..n−1
 *   history        n_hist × HIST_FIELDS × f64
 *   note           note_len bytes
 *   why            why_len bytes (version 2: a numeric stop's message)
 *   solver         n_solver × f64 (version 2: a full-batch solver's state)
 *   keep           keep_len bytes (version 5: the caller's own state,
 *                  dn_train_opts.keep)
 * Version 2 adds three scalars before note_len (stopped, why_len,
 * n_solver) and the two arrays; version 1 files are still read, as runs
 * that have not stopped.  Version 3 adds the epoch's running weight sum
 * (tally.wsum, for row weights) before note_len; earlier files held
 * unweighted runs, whose weight sum is their row count.  Version 4 adds
 * the one-cycle schedule's pct_start, div_factor and final_div_factor
 * after it; earlier files, which cannot hold a one-cycle run, get
 * dn_sched_defaults' values.  The schedule's floor eta_min is written
 * twice, in the slots of the cosine and the plateau floors that used to
 * be two settings (see the reader).  Version 5 adds keep_len after them
 * and the caller's bytes last; earlier files hold none.  A reader of an
 * earlier version refuses a version 5 file by its number.
 * The reader trusts no number before checking it against the file's
 * length, and checks the CRC before reading anything else. */
#include "train/train.h"
#include "kernels/fpmode.h"
#include "base/buf.h"
#include "base/byteorder.h"
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#define MAGIC "DNCKPT\r\n"
#define VERSION 5u
#define HEADER 24
#define HIST_FIELDS 13  /* version 1: 11, without mu and evals */

/* kind: 'i' int, 'l' long, 's' size_t, 'u' uint64_t, 'd' double */
typedef struct { char kind; void *p; } field;

/* The scalar fields, in file order; writer and reader share this list so
 * they cannot disagree.  Sizes of the arrays come last. */
static int fields(dn_train_state *s, long *has_best, long *note_len,
                  long *why_len, long *keep_len, double *floor2,
                  unsigned version, field *f)
{
    int n = 0;
#define F(k, x) f[n++] = (field){ k, (void *)&(x) }
    F('i', s->epoch); F('i', s->pos); F('l', s->steps); F('i', s->best_epoch);
    F('i', s->stale); F('i', s->calm); F('d', s->best); F('d', s->prev_loss);
    F('d', s->gsum); F('l', s->tally.n); F('d', s->tally.loss_sum);
    F('d', s->tally.correct); F('d', s->tally.sse); F('d', s->tally.sae);
    F('d', s->tally.sum_y); F('d', s->tally.sum_y2);
    for (int i = 0; i < 4; i++) F('u', s->rng.s[i]);
    for (int i = 0; i < 4; i++) F('u', s->drop_rng.s[i]);
    F('l', s->opt_steps);
    dn_sched *c = &s->sched;
    F('i', c->conf.kind); F('i', c->conf.step_size); F('d', c->conf.gamma);
    F('i', c->conf.t_max); F('d', c->conf.eta_min); F('d', c->conf.factor);
    F('i', c->conf.patience); F('d', c->conf.threshold);
    F('i', c->conf.threshold_abs); F('i', c->conf.cooldown);
    F('d', *floor2); F('i', c->conf.warmup); F('d', c->eta0);
    F('d', c->eta); F('i', c->epoch); F('d', c->best); F('i', c->bad);
    F('i', c->cool);
    F('s', s->n_params); F('s', s->n_opt); F('l', *has_best); F('i', s->n);
    F('i', s->n_hist);
    if (version >= 2) {
        F('i', s->stopped); F('l', *why_len); F('s', s->n_solver);
    }
    if (version >= 3) F('d', s->tally.wsum);
    if (version >= 4) {
        F('d', c->conf.pct_start); F('d', c->conf.div_factor);
        F('d', c->conf.final_div_factor);
    }
    if (version >= 5) F('l', *keep_len);
    F('l', *note_len);
#undef F
    return n;
}
#define MAX_FIELDS 64

/* ---- writing ---- */

static void add64(dn_buf *b, uint64_t v)
{
    unsigned char *o = dn_buf_room(b, 8);
    if (o) { dn_put_le64(o, v); b->len += 8; }
}

static void add32s(dn_buf *b, const int32_t *x, size_t n)
{
    unsigned char *o = dn_buf_room(b, 4 * n);
    if (!o) return;
    for (size_t i = 0; i < n; i++) dn_put_le32(o + 4 * i, (uint32_t)x[i]);
    b->len += 4 * n;
}

static void addf(dn_buf *b, const float *x, size_t n)
{
    unsigned char *o = dn_buf_room(b, 4 * n);
    if (!o) return;
    for (size_t i = 0; i < n; i++) dn_put_f32le(o + 4 * i, x[i]);
    b->len += 4 * n;
}

static int fill(FILE *f, void *arg)
{
    const dn_buf *b = arg;
    return fwrite(b->p, 1, b->len, f) == b->len ? 0 : -1;
}

dn_status dn_ckpt_save(const char *path, const dn_train_state *cs,
                       dn_error *err)
{
    dn_train_state s = *cs;
    long has_best = s.best_theta != NULL;
    long note_len = s.note ? (long)strlen(s.note) : 0;
    long why_len = s.why ? (long)strlen(s.why) : 0;
    const void *keep = NULL;
    size_t kept = 0;
    if (s.keep) {
        dn_status st = s.keep(s.keep_user, &keep, &kept, err);
        if (st) return st;
    }
    long keep_len = keep ? (long)kept : 0;
    double floor2 = s.sched.conf.eta_min;
    field f[MAX_FIELDS];
    int nf = fields(&s, &has_best, &note_len, &why_len, &keep_len, &floor2,
                    VERSION, f);
    dn_buf b = { 0 };
    unsigned char head[HEADER + 4] = { 0 };  /* the header is filled in last */
    dn_put_le32(head + HEADER, (uint32_t)nf);
    dn_buf_add(&b, head, sizeof head);
    for (int i = 0; i < nf; i++) {
        switch (f[i].kind) {
        case 'i': add64(&b, (uint64_t)(int64_t)*(int *)f[i].p); break;
        case 'l': add64(&b, (uint64_t)(int64_t)*(long *)f[i].p); break;
        case 's': add64(&b, (uint64_t)*(size_t *)f[i].p); break;
        case 'u': add64(&b, *(uint64_t *)f[i].p); break;
        default:  add64(&b, dn_f64_bits(*(double *)f[i].p)); break;
        }
    }
    addf(&b, s.theta, s.n_params);
    addf(&b, s.opt_state, s.n_opt);
    if (has_best) addf(&b, s.best_theta, s.n_params);
    add32s(&b, s.idx, (size_t)s.n);
    for (int e = 0; e < s.n_hist; e++) {
        const dn_epoch *h = &s.hist[e];
        double v[HIST_FIELDS] = { h->epoch, (double)h->steps, h->train_loss,
            h->val_loss, h->train_acc, h->val_acc, h->eta, h->grad_norm,
            h->seconds, h->train_mae, h->val_mae, h->mu, (double)h->evals };
        for (int k = 0; k < HIST_FIELDS; k++) add64(&b, dn_f64_bits(v[k]));
    }
    dn_buf_add(&b, s.note, (size_t)note_len);
    dn_buf_add(&b, s.why, (size_t)why_len);
    for (size_t i = 0; i < s.n_solver; i++) add64(&b, dn_f64_bits(s.solver[i]));
    dn_buf_add(&b, keep, (size_t)keep_len);
    if (b.failed) {
        dn_buf_free(&b);
        return dn_fail(err, DN_ENOMEM, "out of memory writing the checkpoint");
    }
    memcpy(b.p, MAGIC, 8);
    dn_put_le32(b.p + 8, VERSION);
    dn_put_le32(b.p + 12, (uint32_t)crc32(0L, b.p + HEADER, (uInt)(b.len - HEADER)));
    dn_put_le64(b.p + 16, (uint64_t)(b.len - HEADER));
    dn_status st = dn_atomic_write(path, "checkpoint", fill, &b, err);
    dn_buf_free(&b);
    return st;
}

int dn_state_remember(dn_train_state *s, int *cap, const dn_epoch *e)
{
    if (s->n_hist == *cap) {
        int c = *cap ? 2 * *cap : 64;
        dn_epoch *h = realloc(s->hist, (size_t)c * sizeof *h);
        if (!h) return 0;
        s->hist = h;
        *cap = c;
    }
    s->hist[s->n_hist++] = *e;
    return 1;
}

/* ---- reading ---- */

/* A parsed file: the scalars decoded into s, the arrays as pointers into
 * the file's bytes. */
typedef struct {
    unsigned char *file;
    const unsigned char *theta, *opt, *best, *idx, *hist, *note, *why, *solver;
    const unsigned char *keep;
    long has_best, note_len, why_len, keep_len;
    double floor2;          /* the schedule's second floor slot */
    int hist_fields;
} parsed;

#define BAD(...) dn_fail(err, DN_EFORMAT, __VA_ARGS__)

static dn_status read_file(const char *path, unsigned char **out, size_t *len,
                           dn_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return dn_fail(err, DN_EIO, "cannot open checkpoint '%s': %s",
                           path, strerror(errno));
    struct stat sb;
    if (fstat(fileno(f), &sb) || !S_ISREG(sb.st_mode)) {
        fclose(f);
        return dn_fail(err, DN_EIO, "checkpoint '%s' is not a regular file",
                       path);
    }
    size_t n = (size_t)sb.st_size;
    unsigned char *p = malloc(n ? n : 1);
    if (!p) { fclose(f); return dn_fail(err, DN_ENOMEM, "out of memory reading '%s'", path); }
    if (fread(p, 1, n, f) != n) {
        free(p);
        fclose(f);
        return dn_fail(err, DN_EIO, "cannot read checkpoint '%s'", path);
    }
    fclose(f);
    *out = p;
    *len = n;
    return DN_OK;
}

/* Checks that an array of `count` items of `size` bytes fits in what is
 * left, and advances. */
static int take(const unsigned char **at, size_t *left, uint64_t count,
                size_t size, const unsigned char **out)
{
    if (count > *left / size) return 0;
    *out = *at;
    *at += count * size;
    *left -= count * size;
    return 1;
}

static dn_status parse_file(const char *path, dn_train_state *s, parsed *P,
                            dn_error *err);

/* The file read and checked in the exact floating-point mode, whatever
 * the caller's (a resume runs inside training's, kernels/fpmode.h), so
 * that reading its info and resuming from it judge it alike. */
static dn_status parse(const char *path, dn_train_state *s, parsed *P,
                       dn_error *err)
{
    const unsigned mode = dn_fpmode_exact();
    const dn_status st = parse_file(path, s, P, err);
    dn_fpmode_leave(mode);
    return st;
}

static dn_status parse_file(const char *path, dn_train_state *s, parsed *P,
                            dn_error *err)
{
    size_t len = 0;
    memset(P, 0, sizeof *P);
    dn_status st = read_file(path, &P->file, &len, err);
    if (st) return st;
    const unsigned char *p = P->file;
    if (len < HEADER || memcmp(p, MAGIC, 8))
        return BAD("%s: not a descent checkpoint (wrong magic); give the file "
                   "written by --checkpoint", path);
    const unsigned version = dn_get_le32(p + 8);
    P->hist_fields = version >= 2 ? HIST_FIELDS : 11;
    if (version < 1 || version > VERSION)
        return BAD("%s: checkpoint version %u, this descent reads versions 1 "
                   "to %u", path, version, VERSION);
    if (dn_get_le64(p + 16) != len - HEADER)
        return BAD("%s: the header says %llu bytes follow but the file has %zu: "
                   "the checkpoint is truncated or damaged", path,
                   (unsigned long long)dn_get_le64(p + 16), len - HEADER);
    if (dn_get_le32(p + 12) != (uint32_t)crc32(0L, p + HEADER, (uInt)(len - HEADER)))
        return BAD("%s: CRC-32 mismatch: the checkpoint is damaged", path);
    const unsigned char *at = p + HEADER;
    size_t left = len - HEADER;
    field f[MAX_FIELDS];
    int nf = fields(s, &P->has_best, &P->note_len, &P->why_len, &P->keep_len,
                    &P->floor2, version, f);
    if (left < 4 || dn_get_le32(at) != (uint32_t)nf || left - 4 < (size_t)nf * 8)
        return BAD("%s: unexpected field count in the checkpoint", path);
    at += 4;
    left -= 4;
    for (int i = 0; i < nf; i++, at += 8, left -= 8) {
        uint64_t v = dn_get_le64(at);
        int64_t iv = (int64_t)v;
        switch (f[i].kind) {
        case 'i':
            if (iv < 0 || iv > INT32_MAX)
                return BAD("%s: field %d holds %lld, out of range", path, i,
                           (long long)iv);
            *(int *)f[i].p = (int)iv;
            break;
        case 'l':
            if (iv < 0) return BAD("%s: field %d is negative", path, i);
            *(long *)f[i].p = (long)iv;
            break;
        case 's': *(size_t *)f[i].p = (size_t)v; break;
        case 'u': *(uint64_t *)f[i].p = v; break;
        default:  *(double *)f[i].p = dn_bits_f64(v); break;
        }
    }
    if (version < 3) s->tally.wsum = (double)s->tally.n;
    /* One floor, two slots: files of any version hold cosine's floor in
     * the first and plateau's in the second, from when they were two
     * settings; one of them was 0, so the larger is the run's floor. */
    s->sched.conf.eta_min = fmax(s->sched.conf.eta_min, P->floor2);
    if (version < 4) {   /* the one-cycle fields it could not hold */
        dn_sched_conf d;
        dn_sched_defaults(&d, s->sched.conf.kind);
        s->sched.conf.pct_start = d.pct_start;
        s->sched.conf.div_factor = d.div_factor;
        s->sched.conf.final_div_factor = d.final_div_factor;
    }
    if (P->has_best > 1 || s->n < 1 || s->pos >= s->n ||
        (unsigned)s->sched.conf.kind >= DN_SCHED_COUNT ||
        s->n_hist != s->epoch || P->note_len > (long)left ||
        P->why_len > (long)left || P->keep_len > (long)left ||
        s->stopped > DN_STOP_MU_MAX + 1)
        return BAD("%s: inconsistent counters in the checkpoint (epoch %d, "
                   "position %d of %d rows, %d history rows)", path, s->epoch,
                   s->pos, s->n, s->n_hist);
    if (!take(&at, &left, s->n_params, 4, &P->theta) ||
        !take(&at, &left, s->n_opt, 4, &P->opt) ||
        !take(&at, &left, P->has_best ? s->n_params : 0, 4, &P->best) ||
        !take(&at, &left, (uint64_t)s->n, 4, &P->idx) ||
        !take(&at, &left, (uint64_t)s->n_hist, 8 * (size_t)P->hist_fields, &P->hist) ||
        !take(&at, &left, (uint64_t)P->note_len, 1, &P->note) ||
        !take(&at, &left, (uint64_t)P->why_len, 1, &P->why) ||
        !take(&at, &left, s->n_solver, 8, &P->solver) ||
        !take(&at, &left, (uint64_t)P->keep_len, 1, &P->keep) || left)
        return BAD("%s: the checkpoint's arrays do not add up to its length "
                   "(%zu bytes unaccounted for)", path, left);
    /* The row order must be a permutation, or batches would repeat rows
     * or read past the data. */
    unsigned char *seen = calloc((size_t)s->n, 1);
    if (!seen) return dn_fail(err, DN_ENOMEM, "out of memory");
    for (int i = 0; i < s->n; i++) {
        uint32_t r = dn_get_le32(P->idx + 4 * (size_t)i);
        if (r >= (uint32_t)s->n || seen[r]++) {
            free(seen);
            return BAD("%s: the stored row order is not a permutation of the "
                       "%d rows", path, s->n);
        }
    }
    free(seen);
    for (size_t i = 0; i < s->n_params; i++)
        if (!isfinite(dn_bits_f32(dn_get_le32(P->theta + 4 * i))) ||
            (P->has_best && !isfinite(dn_bits_f32(dn_get_le32(P->best + 4 * i)))))
            return BAD("%s: parameter %zu is not finite", path, i);
    for (size_t i = 0; i < s->n_opt; i++)
        if (!isfinite(dn_bits_f32(dn_get_le32(P->opt + 4 * i))))
            return BAD("%s: optimizer value %zu is not finite", path, i);
    for (size_t i = 0; i < s->n_solver; i++)
        if (!isfinite(dn_bits_f64(dn_get_le64(P->solver + 8 * i))))
            return BAD("%s: solver value %zu is not finite", path, i);
    /* A history row's epoch and step count become integers. */
    for (int e = 0; e < s->n_hist; e++) {
        const size_t row = (size_t)e * (size_t)P->hist_fields;
        double ep = dn_bits_f64(dn_get_le64(P->hist + 8 * row));
        double st = dn_bits_f64(dn_get_le64(P->hist + 8 * (row + 1)));
        double ev = P->hist_fields > 12
                  ? dn_bits_f64(dn_get_le64(P->hist + 8 * (row + 12))) : 0;
        if (!(ep >= 0 && ep <= INT32_MAX && st >= 0 && st <= 9e15 &&
              ev >= 0 && ev <= 9e15))
            return BAD("%s: history row %d holds an impossible epoch or step "
                       "count", path, e + 1);
    }
    if (!(isfinite(s->sched.eta) && s->sched.eta >= 0))
        return BAD("%s: the stored learning rate is %g", path, s->sched.eta);
    return DN_OK;
}

/* The stored schedule was made with the run's options: its settings
 * (which dn_sched_init checked for this run) must be the same. */
static int same_sched(const dn_sched *a, const dn_sched *b)
{
    const dn_sched_conf *x = &a->conf, *y = &b->conf;
    return x->kind == y->kind && x->step_size == y->step_size &&
           x->gamma == y->gamma && x->t_max == y->t_max &&
           x->eta_min == y->eta_min && x->factor == y->factor &&
           x->patience == y->patience && x->threshold == y->threshold &&
           x->threshold_abs == y->threshold_abs &&
           x->cooldown == y->cooldown &&
           x->warmup == y->warmup && x->pct_start == y->pct_start &&
           x->div_factor == y->div_factor &&
           x->final_div_factor == y->final_div_factor && a->eta0 == b->eta0;
}

dn_status dn_ckpt_load(const char *path, dn_train_state *s, int hist_cap,
                       dn_error *err)
{
    dn_train_state t;
    memset(&t, 0, sizeof t);
    parsed P;
    dn_status st = parse(path, &t, &P, err);
    if (!st && !same_sched(&t.sched, &s->sched))
        st = dn_fail(err, DN_EARG, "%s was written with another learning-rate "
                     "schedule or rate (%s, eta %g; this run: %s, eta %g): "
                     "resume with the same options", path,
                     dn_sched_name(t.sched.conf.kind), t.sched.eta0,
                     dn_sched_name(s->sched.conf.kind), s->sched.eta0);
    if (!st && t.n_solver != s->n_solver)
        st = dn_fail(err, DN_EARG, "%s holds the state of %s (%zu values; "
                     "this run has %zu): resume with the same optimizer or "
                     "solver and options", path, t.n_solver ? "a full-batch "
                     "solver" : "a first-order run", t.n_solver, s->n_solver);
    if (!st && (t.n_params != s->n_params || t.n != s->n ||
                t.n_opt != s->n_opt || P.has_best != (s->best_theta != NULL)))
        st = dn_fail(err, DN_EARG, "%s was written for %zu parameters, %d "
                     "training rows and %zu optimizer values%s; this run has "
                     "%zu, %d and %zu%s: resume with the same data and options",
                     path, t.n_params, t.n, t.n_opt,
                     P.has_best ? " with early stopping" : "", s->n_params,
                     s->n, s->n_opt, s->best_theta ? " with early stopping" : "");
    int cap = hist_cap > t.n_hist ? hist_cap : t.n_hist;
    dn_epoch *hist = st ? NULL : calloc((size_t)(cap ? cap : 1), sizeof *hist);
    char *why = st || !P.why_len ? NULL : malloc((size_t)P.why_len + 1);
    if (!st && (!hist || (P.why_len && !why)))
        st = dn_fail(err, DN_ENOMEM, "out of memory");
    if (st) { free(hist); free(why); free(P.file); return st; }
    if (why) {
        memcpy(why, P.why, (size_t)P.why_len);
        why[P.why_len] = 0;
    }
    for (size_t i = 0; i < t.n_solver; i++)
        s->solver[i] = dn_bits_f64(dn_get_le64(P.solver + 8 * i));

    for (size_t i = 0; i < t.n_params; i++) {
        s->theta[i] = dn_bits_f32(dn_get_le32(P.theta + 4 * i));
        if (P.has_best) s->best_theta[i] = dn_bits_f32(dn_get_le32(P.best + 4 * i));
    }
    for (size_t i = 0; i < t.n_opt; i++)
        s->opt_state[i] = dn_bits_f32(dn_get_le32(P.opt + 4 * i));
    for (int i = 0; i < t.n; i++) s->idx[i] = (int32_t)dn_get_le32(P.idx + 4 * (size_t)i);
    for (int e = 0; e < t.n_hist; e++) {
        double v[HIST_FIELDS] = { 0 };
        for (int k = 0; k < P.hist_fields; k++)
            v[k] = dn_bits_f64(dn_get_le64(P.hist + 8 * ((size_t)e * (size_t)P.hist_fields + k)));
        dn_epoch *h = &hist[e];
        h->epoch = (int)v[0]; h->steps = (long)v[1]; h->train_loss = v[2];
        h->val_loss = v[3]; h->train_acc = v[4]; h->val_acc = v[5];
        h->eta = v[6]; h->grad_norm = v[7]; h->seconds = v[8];
        h->train_mae = v[9]; h->val_mae = v[10]; h->mu = v[11];
        h->evals = (long)v[12];
    }
    /* Scalars last, once everything has been checked. */
    float *theta = s->theta, *opt = s->opt_state, *best = s->best_theta;
    int32_t *idx = s->idx;
    double *solver = s->solver;
    const char *note = s->note;
    const dn_keep_fn keep = s->keep;
    void *keep_user = s->keep_user;
    *s = t;
    s->theta = theta; s->opt_state = opt; s->best_theta = best; s->idx = idx;
    s->note = note;
    s->keep = keep;
    s->keep_user = keep_user;
    s->solver = solver;
    s->hist = hist;
    s->why = why;
    free(P.file);
    return DN_OK;
}

dn_status dn_checkpoint_read_info(const char *path, dn_checkpoint_info *out,
                                  dn_error *err)
{
    DN_NEED(path);
    DN_NEED(out);
    memset(out, 0, sizeof *out);
    dn_train_state t;
    memset(&t, 0, sizeof t);
    parsed P;
    dn_status st = parse(path, &t, &P, err);
    if (!st) {
        out->note = malloc((size_t)P.note_len + 1);
        out->keep = P.keep_len ? malloc((size_t)P.keep_len) : NULL;
        if (!out->note || (P.keep_len && !out->keep)) {
            dn_checkpoint_info_free(out);
            st = dn_fail(err, DN_ENOMEM, "out of memory");
        } else {
            if (P.keep_len) memcpy(out->keep, P.keep, (size_t)P.keep_len);
            out->keep_len = (size_t)P.keep_len;
            memcpy(out->note, P.note, (size_t)P.note_len);
            out->note[P.note_len] = 0;
            out->epoch = t.epoch;
            out->position = t.pos;
            out->steps = t.steps;
            out->n_params = t.n_params;
            out->rows = t.n;
            out->stopped = t.stopped > 0;
            out->reason = t.stopped > 0 ? (dn_stop)(t.stopped - 1) : DN_STOP_EPOCHS;
            out->solver = t.n_solver > 0;
        }
    }
    free(P.file);
    return st;
}

void dn_checkpoint_info_free(dn_checkpoint_info *info)
{
    if (!info) return;
    free(info->note);
    free(info->keep);
    info->note = NULL;
    info->keep = NULL;
    info->keep_len = 0;
}
