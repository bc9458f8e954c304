/* stream.h — a row file read block by block (stream.c), and the
 * windows of a streamed epoch over it (window.c), which the training
 * loop asks for its batches. */
#ifndef DN_STREAM_H
#define DN_STREAM_H

#include "data/data.h"

struct dn_stream {
    char     *path;        /* the rows' file, for messages */
    int       fd;
    int       cache;       /* 1 a row cache, 0 an IDX images file */
    long      n, R, nb;    /* rows, rows per block, blocks */
    int       d, k;
    size_t    es;          /* bytes of an input: 1 or 4 */
    uint64_t  x_off, y_off;
    uint64_t *sums;        /* per-block checksums (cache), else NULL */
    unsigned char *labels; /* IDX: every label, n bytes; else NULL */
    dn_schema *schema;
};

/* Bytes of one row in memory: its inputs and its targets as floats. */
static inline size_t dn_stream_row_bytes(const dn_stream *s)
{
    return (size_t)s->d * s->es + 4 * (size_t)s->k;
}

/* Reads block b: its inputs into x (R × d elements, as dn_data holds
 * them: bytes, or floats), its targets into y (R × k floats), checking
 * the block's checksum; *rows gets its row count.  Thread-safe (pread). */
dn_status dn_stream_block(const dn_stream *s, long b, void *x, float *y,
                          long *rows, dn_error *err);

/* ---- the windows of a streamed epoch (window.c) ---- */

typedef struct dn_window dn_window;

/* The windows over s for batches of `batch` rows, their buffers within
 * `memory` bytes: the whole set in one buffer when it fits (then the
 * order is the in-memory loop's), else two windows of whole blocks,
 * one being trained on while the other is read.  DN_EARG when a window
 * would not hold a batch. */
dn_status dn_window_open(dn_stream *s, uint64_t memory, int batch,
                         dn_window **out, dn_error *err);
void dn_window_close(dn_window *w);
/* The buffers as one data set, the one dn_window_rows' positions index. */
const dn_data *dn_window_data(const dn_window *w);
/* 1 when the whole set is in memory. */
int dn_window_whole(const dn_window *w);
/* The next epoch's row order into idx (n rows, the previous epoch's
 * order on entry), from rng: see dn_train_stream in descent.h. */
void dn_window_order(dn_window *w, dn_rng *rng, int32_t *idx);
/* Rows idx[pos .. pos + b) of the epoch's order, and up to `ahead` more
 * if they are already in memory, as positions in *d (the windows'
 * buffers as one data set) in *local (room for b + ahead); *got_ahead
 * says how many of the ahead rows came.  Waits for a window still
 * being read; starts reading the next one when its buffer is free. */
dn_status dn_window_rows(dn_window *w, const int32_t *idx, int pos, int b,
                         int ahead, const dn_data **d, int32_t *local,
                         int *got_ahead, dn_error *err);

#endif
