/* optim.c — parameter updates as functions of flat arrays, so the same
 * code serves every network (and any other vector the caller owns). */
#include "internal.h"

/* Plain gradient descent: theta −= eta · g. */
void dn_sgd_step(float *theta, const float *g, size_t n, float eta)
{
    for (size_t i = 0; i < n; i++) theta[i] -= eta * g[i];
}

/* 1 if every g[i] is finite.  0·x is 0 for finite x and NaN for inf or
 * NaN, so one sum tells, and the loop vectorizes (no branch). */
int dn_all_finite(const float *g, size_t n)
{
    float s = 0;
    for (size_t i = 0; i < n; i++) s += 0.0f * g[i];
    return s == 0;
}
