/* regularize.c — what keeps training in check: the L2 penalty on the
 * weights (not biases, not PReLU slopes, as the notes prescribe) and the
 * gradient's norm for clipping. */
#include "internal.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

unsigned char *dn_weight_mask(const dn_model *m)
{
    unsigned char *mask = calloc(m->n_params, 1);
    if (!mask) return NULL;
    int in = m->arch.n_in;
    for (int l = 0; l < m->arch.n_layers; l++) {
        memset(mask + m->off_W[l], 1, (size_t)m->arch.layer[l].units * in);
        in = m->arch.layer[l].units;
    }
    return mask;
}

double dn_l2_add(const dn_model *m, float *g, float lambda)
{
    double sum = 0;
    int in = m->arch.n_in;
    for (int l = 0; l < m->arch.n_layers; l++) {
        size_t nw = (size_t)m->arch.layer[l].units * in;
        const float *W = m->theta + m->off_W[l];
        float *gW = g + m->off_W[l];
        float s = 0;
        for (size_t i = 0; i < nw; i++) {
            gW[i] += lambda * W[i];
            s += W[i] * W[i];
        }
        sum += s;
        in = m->arch.layer[l].units;
    }
    return 0.5 * lambda * sum;
}

double dn_norm2(const float *g, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)g[i] * g[i];
    return sqrt(s);
}

void dn_scale(float *g, size_t n, float s)
{
    for (size_t i = 0; i < n; i++) g[i] *= s;
}
