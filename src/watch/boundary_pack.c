/* boundary_pack.c — a dn_boundary's frames as bytes and back, so that a
 * run stopped and resumed plays the same animation as one never
 * stopped: the frames are the regions of weights the resumed run no
 * longer has, so they cannot be drawn again, only kept (descent train
 * keeps them in its checkpoints, dn_train_opts.keep).
 *
 * Layout (little-endian):
 *   "DNFRAMES"     8-byte magic
 *   u32 version    1
 *   u32 grid, u32 outputs, u32 loss, u32 frames
 *   f64 box[4]     x1 from, to, x2 from, to (the bits, compared whole)
 *   per frame:     u32 label (two's complement), grid² class bytes,
 *                  grid² f32 confidences or values
 * The bytes may come from a damaged or forged file: the reader checks
 * every count against the length and every class against the task
 * before it adds a frame. */
#include "watch/boundary.h"
#include "base/byteorder.h"
#include <math.h>
#include <string.h>

#define MAGIC "DNFRAMES"
#define VERSION 1u
#define HEAD (8 + 5 * 4 + 4 * 8)

static size_t frame_bytes(const dn_boundary *b)
{
    return 4 + (size_t)b->grid * b->grid * 5;
}

dn_status dn_boundary_pack(dn_boundary *b, const void **bytes, size_t *len,
                           dn_error *err)
{
    DN_NEED(b);
    DN_NEED(bytes);
    DN_NEED(len);
    *bytes = NULL;
    *len = 0;
    /* Rewritten only when frames came since the last call: a checkpoint
     * every step costs no copy. */
    if (b->packed != b->n_frames || !b->pack.p) {
        const size_t cells = (size_t)b->grid * b->grid;
        dn_buf *o = &b->pack;
        o->len = 0;
        o->failed = 0;
        unsigned char *h = dn_buf_room(o, HEAD);
        if (h) {
            memcpy(h, MAGIC, 8);
            const uint32_t w[5] = { VERSION, (uint32_t)b->grid,
                                    (uint32_t)b->n_out, (uint32_t)b->loss,
                                    (uint32_t)b->n_frames };
            for (int i = 0; i < 5; i++) dn_put_le32(h + 8 + 4 * i, w[i]);
            for (int i = 0; i < 4; i++) dn_put_f64le(h + 28 + 8 * i, b->box[i]);
            o->len = HEAD;
        }
        for (int f = 0; f < b->n_frames; f++) {
            unsigned char *p = dn_buf_room(o, frame_bytes(b));
            if (!p) break;
            dn_put_le32(p, (uint32_t)b->label[f]);
            memcpy(p + 4, b->cls + (size_t)f * cells, cells);
            for (size_t c = 0; c < cells; c++)
                dn_put_f32le(p + 4 + cells + 4 * c, b->val[(size_t)f * cells + c]);
            o->len += frame_bytes(b);
        }
        if (o->failed) {
            dn_buf_free(o);
            return dn_fail(err, DN_ENOMEM, "out of memory for the bytes of "
                           "%d frames of the regions", b->n_frames);
        }
        b->packed = b->n_frames;
    }
    *bytes = b->pack.p;
    *len = b->pack.len;
    return DN_OK;
}

#define BAD(...) dn_fail(err, DN_EFORMAT, __VA_ARGS__)

dn_status dn_boundary_unpack(dn_boundary *b, const void *bytes, size_t len,
                             dn_error *err)
{
    DN_NEED(b);
    DN_NEED(bytes);
    const unsigned char *p = bytes;
    if (len < HEAD || memcmp(p, MAGIC, 8))
        return BAD("not the frames of decision regions (%zu bytes, no "
                   "DNFRAMES magic)", len);
    uint32_t w[5];
    for (int i = 0; i < 5; i++) w[i] = dn_get_le32(p + 8 + 4 * i);
    if (w[0] != VERSION)
        return BAD("frames of decision regions in version %u; this descent "
                   "reads version %u", w[0], VERSION);
    double box[4];
    for (int i = 0; i < 4; i++) box[i] = dn_get_f64le(p + 28 + 8 * i);
    if (w[1] != (uint32_t)b->grid || w[2] != (uint32_t)b->n_out ||
        w[3] != (uint32_t)b->loss || memcmp(box, b->box, sizeof box))
        return BAD("the frames were drawn on a grid of %u, for %u outputs "
                   "and loss %u, over x1 %g to %g and x2 %g to %g; these "
                   "regions are a grid of %d, %d outputs, loss %s, x1 %g to "
                   "%g, x2 %g to %g: another model or other data", w[1],
                   w[2], w[3], box[0], box[1], box[2], box[3], b->grid,
                   b->n_out, dn_loss_name(b->loss), b->box[0], b->box[1],
                   b->box[2], b->box[3]);
    const size_t one = frame_bytes(b), cells = (size_t)b->grid * b->grid;
    if ((len - HEAD) % one || (len - HEAD) / one != w[4])
        return BAD("%zu bytes do not hold the %u frames of %zu bytes they "
                   "announce", len, w[4], one);
    /* Every class a class of the task, every confidence in [0, 1] (what
     * the drawing's shades index by), before any frame is added. */
    const int top = b->regression ? 0 : b->K - 1;
    for (uint32_t f = 0; f < w[4]; f++)
        for (size_t c = 0; c < cells; c++) {
            const unsigned char *q = p + HEAD + f * one + 4;
            const float v = dn_get_f32le(q + cells + 4 * c);
            if (q[c] > top || (!b->regression && !(v >= 0 && v <= 1)))
                return BAD("frame %u, cell %zu: class %d, confidence %g; "
                           "the regions have %d classes, confidences in "
                           "[0, 1]", f + 1, c, q[c], v, b->regression ? 0 : b->K);
        }
    for (uint32_t f = 0; f < w[4]; f++) {
        dn_status st = dn_boundary_room(b, err);
        if (st) return st;
        const unsigned char *q = p + HEAD + f * one;
        b->label[b->n_frames] = (int)dn_get_le32(q);
        memcpy(b->cls + (size_t)b->n_frames * cells, q + 4, cells);
        float *v = b->val + (size_t)b->n_frames * cells;
        for (size_t c = 0; c < cells; c++) v[c] = dn_get_f32le(q + 4 + cells + 4 * c);
        b->n_frames++;
    }
    return DN_OK;
}
