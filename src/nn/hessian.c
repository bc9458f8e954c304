/* hessian.c — exact Hessian-vector products of a network's loss, by
 * Pearlmutter's R-operator (1994), for Newton's method.
 *
 * R{q} = d/dr q(theta + r v) at r = 0 is the directional derivative of
 * any quantity q of a forward and backward pass along v.  Applied to the
 * gradient it gives R{g} = H v exactly, at the cost of about two
 * gradients: one forward-mode sweep along the forward pass and one along
 * backpropagation, using the z, a of a forward pass already in a dn_ws.
 * With V, v_b, v_alpha the parts of v that sit where W, b and the PReLU
 * slopes sit in theta:
 *
 *   forward   R{z_l} = R{a_{l−1}} W_lᵀ + a_{l−1} V_lᵀ + 1 v_bᵀ
 *             R{a_l} = f'(z_l) ⊙ R{z_l}  (+ min(z_l, 0) v_alpha for PReLU)
 *   output    MSE:  G_L = dE/da_L = (a_L − y)/N,  R{G_L} = R{a_L}/N
 *             BCE, CE: D_L = (a_L − y)/N,  R{D_L} = f'(z_L)·R{z_L}/N
 *             (sigmoid: σ(1 − σ) R{z}; softmax: a ⊙ (R{z} − aᵀR{z}))
 *   through an activation, from G = dE/da to D = dE/dz:
 *             D = G ⊙ f'(z)
 *             R{D} = R{G} ⊙ f'(z) + G ⊙ f''(z) ⊙ R{z}  (+ G ⊙ [z ≤ 0] v_alpha)
 *             R{dalpha} = Σ_rows (R{G} min(z, 0) + G [z ≤ 0] R{z})
 *   backward  G_{l−1} = D_l W_l,  R{G_{l−1}} = R{D_l} W_l + D_l V_l
 *   gradient  R{dW_l} = R{D_l}ᵀ a_{l−1} + D_lᵀ R{a_{l−1}},
 *             R{db_l} = Σ_rows R{D_l}
 *
 * f'' is a(1 − a)(1 − 2a) for the sigmoid, −2a(1 − a²) for tanh, and 0
 * for identity and the ReLU family (whose kinks have measure zero).
 *
 * Why exact rather than finite differences of gradients: the gradients
 * are float32, so a difference quotient (g(θ + h v) − g(θ − h v)) / 2h is
 * good to about 1e-3 at best, and Newton with an inexact Hessian loses
 * its quadratic convergence.  The R-operator's H v is exact up to float32
 * rounding, for the same O(N·P) cost per product.
 *
 * The Gauss-Newton product G v = J^T H_L J v (dn_gn_vec, for the
 * Hessian-free solver) is the same sweep with every term that carries
 * the first-order D = dE/dz dropped: the forward sweep is J v, the
 * output multiplies by H_L (MSE: 1/N through the output activation's f'
 * only, without G f''), and the backward sweep is J^T: no D_l V_l, no
 * D_l^T R{a_(l-1)}, no G f'' and no PReLU G-terms.  What is left is
 * positive semi-definite whatever the point, which is what conjugate
 * gradient needs.
 *
 * Below the first layer where v is non-zero, R{z} and R{a} vanish; those
 * layers' forward products are skipped, which makes a column H e_j cheap
 * for the parameters of the upper layers. */
#include "nn/nn.h"
#include "nn/hessian.h"
#include <stdlib.h>
#include <string.h>

struct dn_rws {
    int    max_batch, n_layers;
    float *Rz[DN_MAX_LAYERS], *Ra[DN_MAX_LAYERS];
    int    zero[DN_MAX_LAYERS];  /* 1: R{z_l} = R{a_l} = 0 */
    float *D[2], *RD[2];         /* dE/dz and R{·} of it, ping-pong;
                                    dE/da and R{·} of it on the way */
    float *ds;                   /* a PReLU slope gradient we do not keep */
};

dn_status dn_rws_new(const dn_model *m, int max_batch, dn_rws **out,
                     dn_error *err)
{
    *out = NULL;
    const dn_arch *A = &m->arch;
    dn_rws *r = calloc(1, sizeof *r);
    if (!r) return dn_fail(err, DN_ENOMEM, "out of memory for the Hessian "
                           "workspace");
    r->max_batch = max_batch;
    r->n_layers = A->n_layers;
    int w = A->n_in;
    for (int l = 0; l < A->n_layers; l++)
        if (A->layer[l].units > w) w = A->layer[l].units;
    const size_t B = (size_t)max_batch;
    int ok = 1;
    for (int l = 0; l < A->n_layers; l++) {
        r->Rz[l] = malloc(B * A->layer[l].units * sizeof(float));
        r->Ra[l] = malloc(B * A->layer[l].units * sizeof(float));
        ok &= r->Rz[l] && r->Ra[l];
    }
    for (int i = 0; i < 2; i++) {
        r->D[i] = malloc(B * w * sizeof(float));
        r->RD[i] = malloc(B * w * sizeof(float));
        ok &= r->D[i] && r->RD[i];
    }
    r->ds = malloc((size_t)w * sizeof(float));
    if (!ok || !r->ds) {
        dn_rws_free(r);
        return dn_fail(err, DN_ENOMEM, "out of memory for the Hessian "
                       "workspace of %d rows (widest layer %d)", max_batch,
                       w);
    }
    *out = r;
    return DN_OK;
}

void dn_rws_free(dn_rws *r)
{
    if (!r) return;
    for (int l = 0; l < r->n_layers; l++) {
        free(r->Rz[l]);
        free(r->Ra[l]);
    }
    for (int i = 0; i < 2; i++) {
        free(r->D[i]);
        free(r->RD[i]);
    }
    free(r->ds);
    free(r);
}

static int nonzero(const float *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] != 0) return 1;
    return 0;
}

/* 1 if v has a non-zero entry in layer l's W, b or slopes. */
static int touches(const dn_model *m, const float *v, int l)
{
    const int out = m->arch.layer[l].units;
    const int in = l ? m->arch.layer[l - 1].units : m->arch.n_in;
    return nonzero(v + m->off_W[l], (size_t)out * in) ||
           nonzero(v + m->off_b[l], (size_t)out) ||
           (m->off_slope[l] >= 0 && nonzero(v + m->off_slope[l], (size_t)out));
}

/* R{a_l} from R{z_l}: f'(z) ⊙ R{z}, plus min(z, 0) v_alpha for PReLU. */
static void r_activate(const dn_model *m, const dn_ws *ws, dn_rws *r,
                       const float *v, int l, int n)
{
    const dn_layer *L = &m->arch.layer[l];
    const int k = L->units;
    const float *z = ws->z[l];
    float *Ra = r->Ra[l];
    memcpy(Ra, r->Rz[l], (size_t)n * k * sizeof *Ra);
    const float *slope = m->off_slope[l] >= 0 ? m->theta + m->off_slope[l]
                                              : NULL;
    dn_act_backward(L, slope, z, ws->a[l], Ra, r->ds, n);
    if (!slope) return;
    const float *va = v + m->off_slope[l];
    for (int i = 0; i < n; i++)
        for (int j = 0; j < k; j++) {
            const float zij = z[(size_t)i * k + j];
            if (zij <= 0) Ra[(size_t)i * k + j] += zij * va[j];
        }
}

/* From G = dE/da_l and RG = R{G} to D = dE/dz_l and RD = R{D} (in
 * place: G becomes D, RG becomes RD); writes R{dalpha} into hv's slope
 * entries for PReLU. */
static void r_through(const dn_model *m, const dn_ws *ws, dn_rws *r,
                      const float *v, float *hv, int l, int n, float *G,
                      float *RG, int gn)
{
    const dn_layer *L = &m->arch.layer[l];
    const int k = L->units;
    const size_t nk = (size_t)n * k;
    const float *z = ws->z[l], *a = ws->a[l];
    const float *Rz = r->zero[l] ? NULL : r->Rz[l];
    const long so = m->off_slope[l];
    const float *slope = so >= 0 ? m->theta + so : NULL;
    /* R{G} ⊙ f'(z); for PReLU ds = Σ_rows R{G} min(z, 0). */
    dn_act_backward(L, slope, z, a, RG, r->ds, n);
    if (gn) {
        /* Gauss-Newton keeps J^T only: the slopes' R{dalpha} from R{G},
         * none of the G-terms, and no D (nothing downstream reads it). */
        if (slope) memcpy(hv + so, r->ds, (size_t)k * sizeof *hv);
        return;
    }
    switch (L->act) {
    case DN_ACT_SIGMOID:
        for (size_t i = 0; Rz && i < nk; i++)
            RG[i] += G[i] * a[i] * (1 - a[i]) * (1 - 2 * a[i]) * Rz[i];
        break;
    case DN_ACT_TANH:
        for (size_t i = 0; Rz && i < nk; i++)
            RG[i] += G[i] * -2 * a[i] * (1 - a[i] * a[i]) * Rz[i];
        break;
    case DN_ACT_PRELU: {
        const float *va = v + so;
        float *hs = hv + so;
        for (int j = 0; j < k; j++) hs[j] = r->ds[j];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < k; j++) {
                const size_t ij = (size_t)i * k + j;
                if (z[ij] > 0) continue;
                RG[ij] += G[ij] * va[j];
                if (Rz) hs[j] += G[ij] * Rz[ij];
            }
        break;
    }
    default:  /* identity and the ReLU family: f'' = 0 */
        break;
    }
    dn_act_backward(L, slope, z, a, G, r->ds, n);
}

/* H v (gn = 0) or G v (gn = 1): one sweep, the Gauss-Newton one
 * skipping every term that carries the first-order D = dE/dz. */
static void r_sweep(const dn_model *m, const dn_ws *ws, dn_rws *r,
                    const float *Yt, const float *v, float *hv, int gn)
{
    const dn_arch *A = &m->arch;
    const int last = A->n_layers - 1, n = ws->n;
    const float inv_n = 1.0f / (float)n;
    dn_pool *pool = ws->pool;

    /* Forward sweep. */
    int live = 0;  /* R{a_{l−1}} is non-zero */
    for (int l = 0; l <= last; l++) {
        const int out = A->layer[l].units;
        const int in = l ? A->layer[l - 1].units : A->n_in;
        const int here = touches(m, v, l);
        float *Rz = r->Rz[l];
        r->zero[l] = !live && !here;
        if (r->zero[l]) continue;
        const float *a_prev = l ? ws->a[l - 1] : ws->a0;
        if (live)
            dn_gemm_nt(pool, n, out, in, r->Ra[l - 1], in,
                       m->theta + m->off_W[l], in, Rz, out, 0);
        else
            memset(Rz, 0, (size_t)n * out * sizeof *Rz);
        if (here) {
            const float *vb = v + m->off_b[l];
            dn_gemm_nt(pool, n, out, in, a_prev, in, v + m->off_W[l], in, Rz,
                       out, 1);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < out; j++) Rz[(size_t)i * out + j] += vb[j];
        }
        if (l < last || A->loss == DN_LOSS_MSE) r_activate(m, ws, r, v, l, n);
        live = 1;
    }

    /* The output layer's D and R{D}. */
    const int K = A->layer[last].units;
    float *D = r->D[0], *RD = r->RD[0];
    if (!gn) dn_loss_output_grad(A->loss, ws->a[last], Yt, ws->w, n, K, D);
    /* Row weights (ws->w) make the mean a weighted one, row r's share
     * w_r / Σw in place of 1/N, in R{D} as in D. */
    const double W = ws->w ? dn_weight_sum(ws->w, n) : 0;
    const float *Rq = A->loss == DN_LOSS_MSE ? r->Ra[last] : r->Rz[last];
    for (int i = 0; i < n; i++) {
        const float s = !ws->w ? inv_n : W > 0 ? (float)(ws->w[i] / W) : 0.0f;
        for (int k = 0; k < K; k++) {
            const size_t o = (size_t)i * K + k;
            RD[o] = r->zero[last] ? 0 : Rq[o] * s;
        }
    }
    if (A->loss == DN_LOSS_MSE) {
        /* D holds G_L = dE/da_L; R{G_L} = R{a_L}/N. */
        r_through(m, ws, r, v, hv, last, n, D, RD, gn);
    } else {
        dn_act_backward(&A->layer[last], NULL, ws->z[last], ws->a[last], RD,
                        NULL, n);
    }

    /* Backward sweep. */
    for (int l = last; l >= 0; l--) {
        const int out = A->layer[l].units;
        const int in = l ? A->layer[l - 1].units : A->n_in;
        const float *a_prev = l ? ws->a[l - 1] : ws->a0;
        float *hW = hv + m->off_W[l], *hb = hv + m->off_b[l];
        dn_gemm_tn(pool, out, in, n, RD, out, a_prev, in, hW, in, 0);
        if (!gn && l && !r->zero[l - 1])
            dn_gemm_tn(pool, out, in, n, D, out, r->Ra[l - 1], in, hW, in, 1);
        for (int j = 0; j < out; j++) hb[j] = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < out; j++) hb[j] += RD[(size_t)i * out + j];
        if (l == 0) break;

        /* G = D W and R{G} into the other buffers, which r_through then
         * turns into layer l−1's D and R{D}. */
        const int nxt = D == r->D[0];
        float *G = r->D[nxt], *RG = r->RD[nxt];
        const float *W = m->theta + m->off_W[l], *V = v + m->off_W[l];
        if (!gn) dn_gemm_nn(pool, n, in, out, D, out, W, in, G, in, 0);
        dn_gemm_nn(pool, n, in, out, RD, out, W, in, RG, in, 0);
        if (!gn && nonzero(V, (size_t)out * in))
            dn_gemm_nn(pool, n, in, out, D, out, V, in, RG, in, 1);
        r_through(m, ws, r, v, hv, l - 1, n, G, RG, gn);
        D = G;
        RD = RG;
    }
}

void dn_hess_vec(const dn_model *m, const dn_ws *ws, dn_rws *r,
                 const float *Yt, const float *v, float *hv)
{
    r_sweep(m, ws, r, Yt, v, hv, 0);
}

void dn_gn_vec(const dn_model *m, const dn_ws *ws, dn_rws *r,
               const float *v, float *gv)
{
    r_sweep(m, ws, r, NULL, v, gv, 1);
}
