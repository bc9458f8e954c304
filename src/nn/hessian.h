/* hessian.h — exact Hessian-vector products of a network's loss by the
 * R-operator (hessian.c), for Newton's method. */
#ifndef DN_HESSIAN_H
#define DN_HESSIAN_H

#include "descent.h"

/* The buffers of the R{·} sweeps for up to max_batch rows. */
typedef struct dn_rws dn_rws;

dn_status dn_rws_new(const dn_model *m, int max_batch, dn_rws **out,
                     dn_error *err);
void      dn_rws_free(dn_rws *r);

/* hv = H v, H the Hessian of the mean loss (no L2; weighted by ws->w
 * when set after the forward pass, as dn_loss_value's) over the ws->n
 * rows of the last dn_forward on ws (which must have no dropout), Yt their
 * targets as the network sees them (dn_ws_target), v and hv laid out
 * like theta.  ws->n ≤ the rows r was made for.  Allocates nothing. */
void dn_hess_vec(const dn_model *m, const dn_ws *ws, dn_rws *r,
                 const float *Yt, const float *v, float *hv);

/* gv = G v, G = J^T H_L J the Gauss-Newton matrix of the same mean loss
 * (J the Jacobian of the output's z, H_L the loss's Hessian there; MSE:
 * of the output's a, H_L = I/N), positive semi-definite.  As dn_hess_vec
 * otherwise; G does not depend on the targets. */
void dn_gn_vec(const dn_model *m, const dn_ws *ws, dn_rws *r,
               const float *v, float *gv);

#endif
