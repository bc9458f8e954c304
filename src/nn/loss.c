/* loss.c — the three losses, averaged over the N rows of a batch and
 * computed from the logits so that saturated outputs stay finite. */
#include "nn/nn.h"
#include <math.h>

/* −ln σ(z) for target y, as max(z,0) − z y + ln(1 + e^{−|z|}):
 * exact for every z, never ln 0. */
static inline double bce_logit(double z, double y)
{
    return fmax(z, 0.0) - z * y + log1p(exp(-fabs(z)));
}

/* −ln softmax(z)[c] = logsumexp(z) − z_c, with the max shifted out. */
static double ce_logit(const float *z, int k, int c)
{
    float mx = z[0];
    for (int j = 1; j < k; j++) if (z[j] > mx) mx = z[j];
    double s = 0;
    for (int j = 0; j < k; j++) s += exp((double)z[j] - mx);
    return log(s) + mx - z[c];
}

double dn_loss_ce_lse(const float *z, const double *lse, const float *Y,
                      int n, int k)
{
    double sum = 0;
    for (int r = 0; r < n; r++) sum += lse[r] - z[(long)r * k + (int)Y[r]];
    return n > 0 ? sum / n : 0.0;
}

double dn_loss_eval(dn_loss loss, const float *z, const float *a,
                    const float *Y, int n, int units)
{
    double sum = 0;
    const long nk = (long)n * units;
    switch (loss) {
    case DN_LOSS_MSE:
        for (long i = 0; i < nk; i++) {
            double e = (double)a[i] - Y[i];
            sum += 0.5 * e * e;
        }
        break;
    case DN_LOSS_BCE:
        for (long i = 0; i < nk; i++) sum += bce_logit(z[i], Y[i]);
        break;
    case DN_LOSS_CE:
        for (int r = 0; r < n; r++)
            sum += ce_logit(z + (long)r * units, units, (int)Y[r]);
        break;
    default:
        return NAN;
    }
    return n > 0 ? sum / n : 0.0;
}

void dn_loss_output_grad(dn_loss loss, const float *a, const float *Y,
                         int n, int units, float *d)
{
    const float inv_n = 1.0f / (float)n;
    const long nk = (long)n * units;
    if (loss == DN_LOSS_CE) {
        for (long i = 0; i < nk; i++) d[i] = a[i] * inv_n;
        for (int r = 0; r < n; r++)
            d[(long)r * units + (int)Y[r]] -= inv_n;
    } else {
        /* MSE: dE/da; BCE on a sigmoid: dE/dz.  Both are (a − y)/N. */
        for (long i = 0; i < nk; i++) d[i] = (a[i] - Y[i]) * inv_n;
    }
}
