/* vec.h — the vector kernels outside the products: large-page
 * allocation, input-row conversion.  Each has one plain-C meaning and a
 * fast path that gives the same bits. */
#ifndef DN_VEC_H
#define DN_VEC_H

#include "base/base.h"
#include <stdint.h>

/* calloc for arrays of many megabytes (bigmem.c): on 2 MiB pages where
 * the system gives them; freed with free(). */
void *dn_big_calloc(size_t n, size_t size);

/* An input byte as a float: the expression the IDX reader has always
 * used, so byte and float data sets give bit-identical results (a
 * product by 1/255.0f differs for 126 of the 256 bytes).  The division
 * costs nothing measurable in the batch gathers, which wait on memory. */
static inline float dn_u8_float(uint8_t b) { return b / 255.0f; }

/* One input row of d values into o (rows.c): bytes converted as
 * dn_u8_float does, floats as they are, then standardized as
 * (x − mean) · inv when mean is not NULL.  Vectorized; the same bits on
 * every path. */
void dn_row_u8(const uint8_t *x, const float *mean, const float *inv,
               float *o, int d);
void dn_row_f32(const float *x, const float *mean, const float *inv,
                float *o, int d);

/* The fast paths of src/nn's hot loops (vec.c).  Each returns 1 when it
 * did the work, with the bits of the plain loop its caller keeps, and 0
 * when this CPU (or DESCENT_GEMM) has no such path.
 *   softmax rows       a = e^{z − max} / Σ, lse = log Σ e^z (activation.c)
 *   ReLU blocks        z += b, a = max(z, 0); d ⊙= mask, d ⊙= [z > 0]
 *   column sums        out_j = Σ_r d[r][j], rows in order (db = Σ delta)
 *   sum of squares     Σ g_i² in double, in DN_SUM_SQ_LANES running sums
 *                      (sum j takes i ≡ j mod the lanes), combined
 *                      pairwise: regularize.c's plain loop defines it */
enum { DN_SUM_SQ_LANES = 32 };
int dn_vec_softmax_rows(const float *z, float *a, double *lse, int n, int k);
int dn_vec_relu_forward(const float *b, float *z, float *a, ptrdiff_t ld,
                        int rows, int cols);
int dn_vec_relu_backward(const float *z, const float *mask, float *d,
                         ptrdiff_t ld, int rows, int cols);
int dn_vec_col_sums(const float *d, int n, int cols, int ld, float *out);
int dn_vec_sum_sq(const float *g, size_t n, double *s);

#endif
