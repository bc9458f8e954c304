/* boundary.h — what a dn_boundary holds (boundary.c draws it,
 * boundary_pack.c turns its frames into bytes and back). */
#ifndef DN_WATCH_BOUNDARY_H
#define DN_WATCH_BOUNDARY_H

#include "nn/nn.h"
#include "base/buf.h"

struct dn_boundary {
    int      grid, K, regression, n_in, n_out;
    dn_loss  loss;
    double   box[4];           /* x1 from box[0] to box[1], x2 box[2..3] */
    char    *title, *axis[2], **cls_name;   /* cls_name: K, NULLs allowed */
    int      n_pts;
    float   *pts, *pt_y;       /* n_pts × 2 inputs; their targets or NULL */
    float   *X, *out;          /* the cells' centres (grid² × 2), outputs */
    int      n_frames, cap;
    int     *label;            /* per frame */
    unsigned char *cls;        /* per frame, grid² classes */
    float   *val;              /* per frame, grid² confidences or values */
    dn_buf   pack;             /* dn_boundary_pack's bytes, of ... */
    int      packed;           /* ... this many frames */
};

/* Room for one more frame (label, cls, val), the arrays doubling. */
dn_status dn_boundary_room(dn_boundary *b, dn_error *err);

#endif
