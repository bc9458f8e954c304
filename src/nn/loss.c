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

double dn_weight_sum(const float *w, int n)
{
    if (!w) return n;
    double s = 0;
    for (int r = 0; r < n; r++) s += w[r];
    return s;
}

double dn_loss_ce_lse(const float *z, const double *lse, const float *Y,
                      const float *w, int n, int k)
{
    double sum = 0;
    if (w) {
        double W = dn_weight_sum(w, n);
        for (int r = 0; r < n; r++)
            sum += w[r] * (lse[r] - z[(long)r * k + (int)Y[r]]);
        return W > 0 ? sum / W : 0.0;
    }
    for (int r = 0; r < n; r++) sum += lse[r] - z[(long)r * k + (int)Y[r]];
    return n > 0 ? sum / n : 0.0;
}

/* Row r's loss (summed over its outputs). */
static double row_loss(dn_loss loss, const float *z, const float *a,
                       const float *Y, int r, int units)
{
    const long o = (long)r * units;
    double sum = 0;
    if (loss == DN_LOSS_CE) return ce_logit(z + o, units, (int)Y[r]);
    for (int j = 0; j < units; j++) {
        double e = (double)a[o + j] - Y[o + j];
        sum += loss == DN_LOSS_MSE ? 0.5 * e * e : bce_logit(z[o + j], Y[o + j]);
    }
    return sum;
}

double dn_loss_eval_w(dn_loss loss, const float *z, const float *a,
                      const float *Y, const float *w, int n, int units)
{
    if (!w) return dn_loss_eval(loss, z, a, Y, n, units);
    if ((unsigned)loss >= DN_LOSS_COUNT) return NAN;
    double sum = 0, W = dn_weight_sum(w, n);
    for (int r = 0; r < n; r++)
        sum += w[r] * row_loss(loss, z, a, Y, r, units);
    return W > 0 ? sum / W : 0.0;
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

/* The weighted form: row r's share w_r / Σ w in place of 1/N. */
static void output_grad_w(dn_loss loss, const float *a, const float *Y,
                          const float *w, int n, int units, float *d)
{
    const double W = dn_weight_sum(w, n);
    for (int r = 0; r < n; r++) {
        const float s = W > 0 ? (float)(w[r] / W) : 0.0f;
        const long o = (long)r * units;
        if (loss == DN_LOSS_CE) {
            for (int j = 0; j < units; j++) d[o + j] = a[o + j] * s;
            d[o + (int)Y[r]] -= s;
        } else {
            for (int j = 0; j < units; j++) d[o + j] = (a[o + j] - Y[o + j]) * s;
        }
    }
}

void dn_loss_output_grad(dn_loss loss, const float *a, const float *Y,
                         const float *w, int n, int units, float *d)
{
    if (w) {
        output_grad_w(loss, a, Y, w, n, units, d);
        return;
    }
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
