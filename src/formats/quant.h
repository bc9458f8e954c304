/* quant.h — the int8 model behind dn_qmodel, shared by quantize.c (which
 * builds and runs it) and export_c.c (which writes it out as C). */
#ifndef DN_QUANT_H
#define DN_QUANT_H

#include "nn/nn.h"
#include "optim/optim.h"
#include "formats/qrt.h"

/* One activation's int8 encoding: real = s (q − zp). */
typedef struct { double s; int32_t zp; } dn_qscale;

struct dn_qmodel {
    const dn_model *m;        /* the float model it was made from */
    dnq_net    net;           /* what the runtime runs; points into ... */
    dnq_layer  layer[DN_MAX_LAYERS];
    void      *block;         /* ... one allocation holding every array */
    dn_qscale *in;            /* each standardized input's encoding */
    dn_qscale  act[DN_MAX_LAYERS]; /* hidden layer l's a (its output) */
    dn_qscale  z[DN_MAX_LAYERS];   /* sigmoid/tanh hidden layers: z */
    int        n_q0, n_q1;    /* int8 scratch of dnq_run, in entries */
    int        calib_rows;    /* rows the ranges were measured on */
    double     percentile;    /* 0: min/max */
};

/* The entries of the two activation buffers a generated predict (and
 * dnq_run) needs: n0 holds the input and the odd hidden layers' outputs,
 * n1 the even ones' (at least 1: C has no empty arrays). */
void dn_scratch_widths(const dn_arch *A, int *n0, int *n1);

#endif
