/* window.c — the windows of a streamed epoch.  The rows are cut into
 * blocks of R rows (stream.c); a window is W whole blocks, as many as
 * two windows' buffers hold within the memory budget.  An epoch's order
 * (the shuffle descent.h documents at dn_train_stream): the full blocks
 * in a seeded random order, the short last block (if any) after them;
 * cut into windows of W blocks, in that order; the rows of each window
 * shuffled within it.  While the loop trains on one window the reader
 * thread fills the other buffer with the next window (pread), so that
 * reading and computing overlap and memory never holds more than the
 * two buffers.  When the whole set fits, it is read once into one
 * buffer and the order is the in-memory loop's (the whole order
 * reshuffled in place), so that the model is the in-memory one, bit for
 * bit. */
#include "data/stream.h"
#include <pthread.h>
#include <stdlib.h>

struct dn_window {
    dn_stream *s;
    int       whole;      /* the whole set in one buffer */
    long      WR, W;      /* rows and blocks per window */
    int       nwin;       /* windows per epoch */
    unsigned char *X;     /* 2 windows' inputs (whole: all rows) */
    float    *Y;          /* and their targets */
    dn_data   view;       /* both buffers as one data set */
    int32_t  *boff;       /* per block: its first row in the buffers, -1
                             while it is not in one */
    int32_t  *blocks[2];  /* per buffer: the blocks it holds */
    long      nblk[2];
    int       win[2];     /* per buffer: the epoch's window it holds, -1 */
    int       ready[2];   /* ... and whether it has been read */
    int32_t  *order;      /* the full blocks' order, for the shuffle */
    /* The reader thread: job is the buffer to fill (-1: idle). */
    pthread_t th;
    int       started, job, quit;
    pthread_mutex_t mu;
    pthread_cond_t  cv;
    dn_status st;         /* the reader's failure, kept */
    dn_error  err;
};

/* Reads buffer slot's blocks, each where boff places it. */
static dn_status fill(dn_window *w, int slot, dn_error *err)
{
    const dn_stream *s = w->s;
    dn_status st = DN_OK;
    for (long i = 0; !st && i < w->nblk[slot]; i++) {
        long b = w->blocks[slot][i], rows;
        size_t at = (size_t)w->boff[b];
        st = dn_stream_block(s, b, w->X + at * s->d * s->es,
                             w->Y + at * s->k, &rows, err);
    }
    return st;
}

static void *reader(void *arg)
{
    dn_window *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (w->job < 0 && !w->quit) pthread_cond_wait(&w->cv, &w->mu);
        if (w->quit) break;
        const int slot = w->job, failed = w->st != DN_OK;
        pthread_mutex_unlock(&w->mu);
        dn_error e;
        dn_status st = failed ? DN_OK : fill(w, slot, &e);
        pthread_mutex_lock(&w->mu);
        if (st && !w->st) {
            w->st = st;
            w->err = e;
        }
        w->ready[slot] = !st && !failed;
        w->job = -1;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

uint64_t dn_stream_min_memory(const dn_stream *s, int batch)
{
    if (!s) return 0;
    /* Two windows of whole blocks, each holding a batch. */
    long blocks = batch > s->R ? (batch + s->R - 1) / s->R : 1;
    uint64_t two = 2 * dn_stream_row_bytes(s) * (uint64_t)(blocks * s->R);
    uint64_t all = dn_stream_bytes(s);
    return two < all ? two : all;
}

dn_status dn_window_open(dn_stream *s, uint64_t memory, int batch,
                         dn_window **out, dn_error *err)
{
    DN_NEED(s);
    *out = NULL;
    const uint64_t rb = dn_stream_row_bytes(s);
    dn_window *w = calloc(1, sizeof *w);
    if (!w) return dn_fail(err, DN_ENOMEM, "out of memory");
    w->s = s;
    w->job = -1;
    w->win[0] = w->win[1] = -1;
    w->whole = (uint64_t)s->n * rb <= memory;
    if (w->whole) {
        w->WR = s->n;
        w->nwin = 1;
    } else {
        w->W = (long)(memory / 2 / rb / (uint64_t)s->R);
        w->WR = w->W * s->R;
        if (w->W < 1 || w->WR < batch) {
            uint64_t need = dn_stream_min_memory(s, batch);
            long WR = w->WR;
            free(w);
            return dn_fail(err, DN_EARG, "a memory budget of %llu bytes for "
                           "the rows of %s holds two windows of %ld rows, "
                           "fewer than a batch (%d) or a block (%ld rows); "
                           "give at least %llu bytes (%.0f MiB)",
                           (unsigned long long)memory, s->path, WR, batch,
                           s->R, (unsigned long long)need,
                           (double)need / (1 << 20) + 0.5);
        }
        w->nwin = (int)((s->n + w->WR - 1) / w->WR);
    }
    const long rows = w->whole ? s->n : 2 * w->WR;
    w->X = malloc((size_t)rows * s->d * s->es + 1);
    w->Y = malloc((size_t)rows * s->k * sizeof *w->Y + 1);
    w->boff = malloc((size_t)s->nb * sizeof *w->boff);
    w->order = malloc((size_t)s->nb * sizeof *w->order);
    w->blocks[0] = malloc((size_t)(w->W + 1) * sizeof(int32_t));
    w->blocks[1] = malloc((size_t)(w->W + 1) * sizeof(int32_t));
    if (!w->X || !w->Y || !w->boff || !w->order || !w->blocks[0] || !w->blocks[1]) {
        dn_window_close(w);
        return dn_fail(err, DN_ENOMEM, "out of memory for %ld rows of %s "
                       "(%.0f MiB)", rows, s->path,
                       (double)rows * (double)rb / (1 << 20));
    }
    for (long b = 0; b < s->nb; b++) w->boff[b] = w->whole ? (int32_t)(b * s->R) : -1;
    w->view.n = (int)rows;
    w->view.d = s->d;
    w->view.k = s->k;
    w->view.schema = s->schema;
    if (s->es == 4) w->view.X = (float *)w->X;
    else w->view.bytes = (struct dn_data_bytes *)w->X;
    w->view.Y = s->k ? w->Y : NULL;
    dn_status st = DN_OK;
    if (w->whole) {
        /* Every block, once, in this thread. */
        for (long b = 0; !st && b < s->nb; b++) {
            long got;
            st = dn_stream_block(s, b, w->X + (size_t)b * s->R * s->d * s->es,
                                 w->Y + (size_t)b * s->R * s->k, &got, err);
        }
        w->win[0] = 0;
        w->ready[0] = 1;
    } else {
        pthread_mutex_init(&w->mu, NULL);
        pthread_cond_init(&w->cv, NULL);
        w->started = 1;
        if (pthread_create(&w->th, NULL, reader, w)) {
            w->started = 0;
            pthread_mutex_destroy(&w->mu);
            pthread_cond_destroy(&w->cv);
            st = dn_fail(err, DN_ENOMEM, "cannot start the thread that reads "
                         "%s ahead", s->path);
        }
    }
    if (st) {
        dn_window_close(w);
        return st;
    }
    *out = w;
    return DN_OK;
}

void dn_window_close(dn_window *w)
{
    if (!w) return;
    if (w->started) {
        pthread_mutex_lock(&w->mu);
        w->quit = 1;
        pthread_cond_broadcast(&w->cv);
        pthread_mutex_unlock(&w->mu);
        pthread_join(w->th, NULL);
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cv);
    }
    DN_FREE_ALL(w->X, w->Y, w->boff, w->order, w->blocks[0], w->blocks[1], w);
}

int dn_window_whole(const dn_window *w) { return w->whole; }
const dn_data *dn_window_data(const dn_window *w) { return &w->view; }

/* Waits until the reader has nothing to do (call with mu held). */
static void idle(dn_window *w)
{
    while (w->job >= 0) pthread_cond_wait(&w->cv, &w->mu);
}

/* Buffer slot forgets its window (mu held, reader idle or on the other
 * buffer). */
static void evict(dn_window *w, int slot)
{
    for (long i = 0; i < w->nblk[slot]; i++) w->boff[w->blocks[slot][i]] = -1;
    w->nblk[slot] = 0;
    w->win[slot] = -1;
    w->ready[slot] = 0;
}

void dn_window_order(dn_window *w, dn_rng *rng, int32_t *idx)
{
    const dn_stream *s = w->s;
    if (w->whole) {
        dn_rng_shuffle(rng, idx, (int)s->n);
        return;
    }
    pthread_mutex_lock(&w->mu);
    idle(w);
    evict(w, 0);
    evict(w, 1);
    pthread_mutex_unlock(&w->mu);
    const long nf = s->n / s->R;
    for (long b = 0; b < nf; b++) w->order[b] = (int32_t)b;
    dn_rng_shuffle(rng, w->order, (int)nf);
    long p = 0;
    for (long i = 0; i < nf; i++)
        for (long j = 0, r = (long)w->order[i] * s->R; j < s->R; j++)
            idx[p++] = (int32_t)(r + j);
    for (long r = nf * s->R; r < s->n; r++) idx[p++] = (int32_t)r;
    for (int v = 0; v < w->nwin; v++) {
        long a = v * w->WR, z = a + w->WR < s->n ? a + w->WR : s->n;
        dn_rng_shuffle(rng, idx + a, (int)(z - a));
    }
}

/* Window v goes into buffer v mod 2: its blocks (those of its rows in
 * the order) get their places there, and the reader is asked to fill
 * it (mu held, reader idle). */
static void assign(dn_window *w, const int32_t *idx, int v)
{
    const dn_stream *s = w->s;
    const int slot = v % 2;
    evict(w, slot);
    long a = v * w->WR, z = a + w->WR < s->n ? a + w->WR : s->n;
    for (long p = a; p < z; p++) {
        long b = idx[p] / s->R;
        if (w->boff[b] >= 0) continue;
        w->boff[b] = (int32_t)(slot * w->WR + w->nblk[slot] * s->R);
        w->blocks[slot][w->nblk[slot]++] = (int32_t)b;
    }
    w->win[slot] = v;
    w->job = slot;
    pthread_cond_broadcast(&w->cv);
}

/* Window v in memory, read now if it was not being read. */
static dn_status need(dn_window *w, const int32_t *idx, int v, dn_error *err)
{
    const int slot = v % 2;
    pthread_mutex_lock(&w->mu);
    if (w->win[slot] != v) {
        idle(w);
        if (!w->st) assign(w, idx, v);
    }
    while (!w->st && !w->ready[slot]) pthread_cond_wait(&w->cv, &w->mu);
    dn_status st = w->st;
    if (st && err) *err = w->err;
    pthread_mutex_unlock(&w->mu);
    return st;
}

/* Starts reading window v ahead, when its buffer is free. */
static void read_ahead(dn_window *w, const int32_t *idx, int v)
{
    pthread_mutex_lock(&w->mu);
    if (v < w->nwin && w->win[v % 2] != v && w->job < 0 && !w->st)
        assign(w, idx, v);
    pthread_mutex_unlock(&w->mu);
}

/* 1 if window v has been read (its rows may be used). */
static int have(dn_window *w, int v)
{
    pthread_mutex_lock(&w->mu);
    int ok = w->win[v % 2] == v && w->ready[v % 2];
    pthread_mutex_unlock(&w->mu);
    return ok;
}

dn_status dn_window_rows(dn_window *w, const int32_t *idx, int pos, int b,
                         int ahead, const dn_data **d, int32_t *local,
                         int *got_ahead, dn_error *err)
{
    const dn_stream *s = w->s;
    *d = &w->view;
    if (w->whole) {
        memcpy(local, idx + pos, (size_t)(b + ahead) * sizeof *local);
        *got_ahead = ahead;
        return DN_OK;
    }
    const int lo = (int)(pos / w->WR), hi = (int)((pos + b - 1) / w->WR);
    dn_status st = need(w, idx, lo, err);
    if (!st && hi != lo) st = need(w, idx, hi, err);
    if (st) return st;
    /* The buffer of the window before is free once a batch lies wholly
     * in this one: read the next window into it meanwhile. */
    if (hi == lo) read_ahead(w, idx, lo + 1);
    for (int i = 0; i < b; i++) {
        long r = idx[pos + i];
        local[i] = w->boff[r / s->R] + (int32_t)(r % s->R);
    }
    int n = 0;
    const int last = (int)((pos + b + ahead - 1) / w->WR);
    if (ahead > 0 && (last == hi || have(w, last)))
        for (; n < ahead; n++) {
            long r = idx[pos + b + n];
            local[b + n] = w->boff[r / s->R] + (int32_t)(r % s->R);
        }
    *got_ahead = n;
    return DN_OK;
}
