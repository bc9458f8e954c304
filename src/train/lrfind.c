/* lrfind.c — the learning-rate range test (descent.h: dn_lr_find): a
 * short run of mini-batch steps with the rate rising exponentially, to
 * see where the loss starts to fall, where it falls fastest and where
 * training blows up.  The steps are the training loop's own pieces: the
 * batch gradient (dn_gradient_rows), coupled L2, the optimizer's update;
 * the weights are put back afterwards, so the test costs nothing but
 * time. */
#include "train/train.h"
#include "kernels/fpmode.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

void dn_lr_find_defaults(dn_lr_find_conf *c)
{
    memset(c, 0, sizeof *c);
    c->eta_min = 1e-7;    /* fastai's start_lr and end_lr */
    c->eta_max = 10;
    c->steps = 200;       /* a few hundred batches: enough points for a
                             smoothed slope, seconds on small tables */
    c->beta = 0.98;       /* fastai's smoothing */
    c->diverge = 4;       /* fastai's stop_div: 4 × the best loss */
}

void dn_lr_find_free(dn_lr_find_result *r)
{
    if (!r) return;
    free(r->eta);
    r->eta = r->loss = r->smooth = NULL;
    r->n = 0;
}

static dn_status check_conf(const dn_lr_find_conf *c, dn_error *err)
{
    if (!(c->eta_min > 0 && isfinite(c->eta_min)))
        return dn_fail(err, DN_EARG, "lr-find: the start rate %g is out of "
                       "range; it must be a finite number > 0 (1e-7)",
                       c->eta_min);
    if (!(c->eta_max > c->eta_min && isfinite(c->eta_max)))
        return dn_fail(err, DN_EARG, "lr-find: the end rate %g is out of "
                       "range; it must be finite and above the start rate "
                       "%g (10)", c->eta_max, c->eta_min);
    if (c->steps < 3 || c->steps > 100000000)
        return dn_fail(err, DN_EARG, "lr-find: steps %d is out of range; it "
                       "must be from 3 to 1e8 (200)", c->steps);
    if (!(c->beta >= 0 && c->beta < 1))
        return dn_fail(err, DN_EARG, "lr-find: beta %g is out of range [0, "
                       "1) (0.98)", c->beta);
    if (!(c->diverge > 1))
        return dn_fail(err, DN_EARG, "lr-find: diverge %g is out of range; "
                       "it must be > 1 (4: the smoothed loss at 4 times its "
                       "lowest)", c->diverge);
    return DN_OK;
}

/* Where the loss falls fastest against log eta.  Not on the moving
 * average: it lags by beta / (1 − beta) steps (49 at 0.98, two decades
 * of a 200-step sweep), so its steepest fall comes late, and its first
 * values, averages of a few batches, dive for no reason but noise.
 * Here the losses are averaged over a centred window of 2w + 1 steps
 * (w a twentieth of the sweep), which neither lags nor starts short, and
 * the slope spans the window too: neighbouring steps are 0.04 decades
 * apart, and the noise left, divided by so little, would make the
 * steepest slope the noisiest one.  The candidates run from step w to
 * the lowest point of that average.  0, or -1 out of memory. */
static int suggest(dn_lr_find_result *r, int steps)
{
    const int n = r->n, w = steps / 20 > 1 ? steps / 20 : 1;
    r->eta_lowest = r->eta[r->i_lowest];
    double *c = malloc((size_t)n * sizeof *c);
    if (!c) return -1;
    int lo = 0;
    for (int k = 0; k < n; k++) {
        int a = k - w > 0 ? k - w : 0, b = k + w < n - 1 ? k + w : n - 1;
        double s = 0;
        for (int j = a; j <= b; j++) s += r->loss[j];
        c[k] = s / (b - a + 1);
        if (!(c[k] >= c[lo])) lo = k;   /* NaN is never the lowest */
        if (!isfinite(c[k]) && k > lo) break;
    }
    if (lo < 2 * w) {
        free(c);
        r->i_suggest = r->i_lowest;
        r->suggest = r->eta_lowest / 10;
        r->how = "a tenth of the rate at the lowest loss (the loss did not "
                 "fall long enough to measure its slope)";
        return 0;
    }
    double best = INFINITY;
    int at = lo;
    for (int k = w; k <= lo; k++) {
        int a = k - w, b = k + w < lo ? k + w : lo;
        double slope = (c[b] - c[a]) / (log10(r->eta[b]) - log10(r->eta[a]));
        if (slope < best) { best = slope; at = k; }
    }
    free(c);
    r->i_suggest = at;
    r->suggest = r->eta[at];
    r->how = "the steepest fall of the loss (averaged over a centred window) "
             "against log10 of the rate, before its lowest point";
    return 0;
}

dn_status dn_lr_find(dn_model *m, const dn_data *train,
                     const dn_train_opts *opts, const dn_lr_find_conf *c,
                     dn_lr_find_result *res, dn_error *err)
{
    if (!m || !train || !opts || !c || !res)
        return dn_fail(err, DN_EARG, "dn_lr_find: a NULL argument");
    memset(res, 0, sizeof *res);
    dn_status st = check_conf(c, err);
    if (!st) st = dn_data_check(m, train, "training", 1, err);
    if (st) return st;
    const int n = train->n, B = opts->batch <= 0 || opts->batch > n
                                ? n : opts->batch;
    const size_t P = m->n_params;
    float *theta0 = malloc(P * sizeof *theta0);
    float *Yb = malloc((size_t)B * (size_t)(train->k > 0 ? train->k : 1)
                       * sizeof *Yb);
    int32_t *idx = malloc((size_t)n * sizeof *idx);
    unsigned char *mask = dn_weight_mask(m);
    res->eta = malloc(3 * (size_t)c->steps * sizeof *res->eta);
    dn_opt *opt = NULL;
    dn_ws *ws = NULL;
    if (!theta0 || !Yb || !idx || !mask || !res->eta) {
        st = dn_fail(err, DN_ENOMEM, "lr-find: out of memory");
        goto out;
    }
    res->loss = res->eta + c->steps;
    res->smooth = res->loss + c->steps;
    if ((st = dn_opt_new(&opts->opt, P, mask, &opt, err)) ||
        (st = dn_ws_new(m, B, opts->threads, &ws, err)))
        goto out;
    memcpy(theta0, m->theta, P * sizeof *theta0);
    for (int i = 0; i < n; i++) idx[i] = i;
    dn_rng rng;
    dn_rng_seed(&rng, opts->seed);
    if (opts->shuffle) dn_rng_shuffle(&rng, idx, n);
    const float lambda = (float)opts->l2;
    const double ratio = c->eta_max / c->eta_min;
    double avg = 0, lowest = INFINITY;
    int pos = 0;
    res->diverged = NAN;
    res->i_lowest = 0;
    /* In training's floating-point mode (kernels/fpmode.h): the steps
     * are training's, so their bits and their speed are too. */
    const unsigned mode = dn_fpmode_enter();
    for (int k = 0; k < c->steps; k++) {
        const double eta = c->eta_min * pow(ratio, (double)k / (c->steps - 1));
        if (pos + B > n) {     /* whole batches only: a new pass */
            if (opts->shuffle) dn_rng_shuffle(&rng, idx, n);
            pos = 0;
        }
        float *g = dn_ws_grad(ws);
        double E = dn_gradient_rows(m, ws, train, idx + pos, B, 0, Yb, NULL,
                                    NULL);
        pos += B;
        if (lambda > 0) E += dn_l2_add(m, g, lambda);
        res->eta[k] = eta;
        res->loss[k] = E;
        avg = c->beta * avg + (1 - c->beta) * E;
        res->smooth[k] = avg / (1 - pow(c->beta, k + 1));
        res->n = k + 1;
        if (!isfinite(res->smooth[k])) { res->diverged = eta; break; }
        if (res->smooth[k] < lowest) { lowest = res->smooth[k]; res->i_lowest = k; }
        if (res->smooth[k] > c->diverge * lowest) { res->diverged = eta; break; }
        dn_opt_step(opt, m->theta, g, eta);
    }
    dn_fpmode_leave(mode);
    memcpy(m->theta, theta0, P * sizeof *theta0);
    if (suggest(res, c->steps)) st = dn_fail(err, DN_ENOMEM, "lr-find: out "
                                             "of memory");
out:
    if (st) dn_lr_find_free(res);
    dn_ws_free(ws);
    dn_opt_free(opt);
    DN_FREE_ALL(mask, idx, Yb, theta0);
    return st;
}
