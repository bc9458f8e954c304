/* optim.c — parameter updates as functions of flat arrays, so the same
 * code serves every network (and any other vector the caller owns).
 *
 * The first-order family follows torch.optim 1.13 (the _single_tensor_*
 * functions) operation by operation: the same float32 products and sums
 * in the same order, with the scalar coefficients (1 − beta, bias
 * corrections, the decayed rate) computed in double as Python does and
 * rounded to float once, as PyTorch does when it hands a Python number to
 * a float32 kernel.  tests/test_optim.c checks the traces against
 * PyTorch's.
 *
 * Every update is one switch per call, then short loops over the flat
 * arrays with no branch inside, so that compilers can vectorize them
 * (gcc needs -fno-math-errno for the loops with sqrtf, and at -O2 the
 * cheap cost model, -fvect-cost-model=cheap; clang needs only the first).
 * dn_opt_step allocates nothing. */
#include "optim/optim.h"
#include "kernels/target.h"
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The hot loops below come three times: as plain C, and compiled for
 * AVX-512 or AVX2 where the matrix kernels use it (dn_simd_wide,
 * dn_simd_avx2, gemm.h; AVX-512 4× faster on a fused Adam step of 235k
 * parameters).  They must round exactly as
 * PyTorch does, so no multiply-add may be fused (kernels/target.h). */
DN_UNFUSED
#ifdef DN_X86
#define WIDE 1
#define wide() dn_simd_wide()
#endif

static inline void sgd_loop(float *restrict theta, const float *restrict g,
                            size_t n, float eta)
{
    for (size_t i = 0; i < n; i++) theta[i] -= eta * g[i];
}

#ifdef WIDE
DN_COPIES(sgd, (float *restrict theta, const float *restrict g, size_t n,
                float eta), sgd_loop(theta, g, n, eta))
#endif

/* Plain gradient descent: theta −= eta · g. */
void dn_sgd_step(float *theta, const float *g, size_t n, float eta)
{
#ifdef WIDE
    if (wide()) {
        sgd_wide(theta, g, n, eta);
        return;
    }
    if (dn_simd_avx2()) {
        sgd_avx2(theta, g, n, eta);
        return;
    }
#endif
    sgd_loop(theta, g, n, eta);
}

/* 1 if every g[i] is finite.  0·x is 0 for finite x and NaN for inf or
 * NaN, so sums tell, with no branch.  In FINITE_LANES sums, not one: a
 * single chain of float additions may not be reordered, so it ran at the
 * adder's latency (3% of a small table's training); the lanes vectorize. */
enum { FINITE_LANES = 16 };

int dn_all_finite(const float *g, size_t n)
{
    float s[FINITE_LANES] = { 0 };
    size_t i = 0;
    for (; i + FINITE_LANES <= n; i += FINITE_LANES)
        for (int j = 0; j < FINITE_LANES; j++) s[j] += 0.0f * g[i + j];
    for (int j = 0; i + j < n; j++) s[j] += 0.0f * g[i + j];
    float t = 0;
    for (int j = 0; j < FINITE_LANES; j++) t += s[j];
    return t == 0;
}

/* ------------------------------------------------------------------ */
/* Settings                                                            */
/* ------------------------------------------------------------------ */

/* Every field gets its documented default, so that changing `kind`
 * after this call still leaves sensible values; the two fields whose
 * default depends on the optimizer (momentum, eps) and AdamW's decay
 * follow `kind`. */
void dn_opt_defaults(dn_opt_conf *c, dn_opt_kind kind)
{
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->momentum = (kind == DN_OPT_MOMENTUM || kind == DN_OPT_NESTEROV)
                      ? 0.9 : 0.0;
    c->dampening = 0.0;
    c->alpha = 0.99;
    c->beta1 = 0.9;
    c->beta2 = 0.999;
    c->eps = kind == DN_OPT_ADAGRAD ? 1e-10 : 1e-8;
    c->lr_decay = 0.0;
    c->initial_accumulator = 0.0;
    c->weight_decay = kind == DN_OPT_ADAMW ? 0.01 : 0.0;
    c->centered = 0;
    c->amsgrad = 0;
}

double dn_opt_default_eta(dn_opt_kind kind)
{
    return (kind == DN_OPT_ADAM || kind == DN_OPT_ADAMW) ? 0.001 : 0.01;
}

/* The error for a field outside its range: names the optimizer, the
 * field, the value, the range and the default. */
static dn_status bad_field(const dn_opt_conf *c, const char *field,
                           double v, const char *range, double def,
                           dn_error *err)
{
    return dn_fail(err, DN_EARG,
                   "optimizer %s: %s = %.10g is out of range; use %s "
                   "(default %g)", dn_opt_name(c->kind), field, v, range,
                   def);
}

/* 1 if v is finite and lo ≤ v (< hi when hi_open, ≤ hi otherwise). */
static int within(double v, double lo, double hi, int hi_open)
{
    return isfinite(v) && v >= lo && (hi_open ? v < hi : v <= hi);
}

/* Checks the fields c->kind reads; the others are ignored, so a conf
 * filled for one optimizer can be switched to another. */
static dn_status check_conf(const dn_opt_conf *c, dn_error *err)
{
    dn_opt_conf d;
    if ((unsigned)c->kind >= DN_OPT_COUNT)
        return dn_fail(err, DN_EARG, "optimizer kind %d is unknown; use one "
                       "of sgd, momentum, nesterov, adagrad, rmsprop, adam, "
                       "adamw", (int)c->kind);
    dn_opt_defaults(&d, c->kind);
    switch (c->kind) {
    case DN_OPT_SGD:
        break;
    case DN_OPT_MOMENTUM:
    case DN_OPT_NESTEROV:
        if (!within(c->momentum, 0, INFINITY, 1))
            return bad_field(c, "momentum", c->momentum,
                             "a finite momentum >= 0", d.momentum, err);
        if (!within(c->dampening, 0, 1, 0))
            return bad_field(c, "dampening", c->dampening,
                             "0 <= dampening <= 1", d.dampening, err);
        /* PyTorch's rule: the look-ahead step assumes an undamped
         * velocity that exists. */
        if (c->kind == DN_OPT_NESTEROV &&
            (c->momentum <= 0 || c->dampening != 0))
            return dn_fail(err, DN_EARG, "optimizer nesterov: momentum = "
                           "%.10g, dampening = %.10g; Nesterov momentum "
                           "needs momentum > 0 and dampening = 0 (default "
                           "momentum %g)", c->momentum, c->dampening,
                           d.momentum);
        break;
    case DN_OPT_ADAGRAD:
        if (!within(c->lr_decay, 0, INFINITY, 1))
            return bad_field(c, "lr_decay", c->lr_decay,
                             "a finite lr_decay >= 0", d.lr_decay, err);
        if (!within(c->initial_accumulator, 0, INFINITY, 1))
            return bad_field(c, "initial_accumulator",
                             c->initial_accumulator,
                             "a finite initial_accumulator >= 0",
                             d.initial_accumulator, err);
        break;
    case DN_OPT_RMSPROP:
        if (!within(c->alpha, 0, 1, 1))
            return bad_field(c, "alpha", c->alpha, "0 <= alpha < 1",
                             d.alpha, err);
        if (!within(c->momentum, 0, INFINITY, 1))
            return bad_field(c, "momentum", c->momentum,
                             "a finite momentum >= 0", d.momentum, err);
        break;
    case DN_OPT_ADAM:
    case DN_OPT_ADAMW:
        if (!within(c->beta1, 0, 1, 1))
            return bad_field(c, "beta1", c->beta1, "0 <= beta1 < 1",
                             d.beta1, err);
        if (!within(c->beta2, 0, 1, 1))
            return bad_field(c, "beta2", c->beta2, "0 <= beta2 < 1",
                             d.beta2, err);
        if (c->kind == DN_OPT_ADAMW &&
            !within(c->weight_decay, 0, INFINITY, 1))
            return bad_field(c, "weight_decay", c->weight_decay,
                             "a finite weight_decay >= 0", d.weight_decay,
                             err);
        break;
    case DN_OPT_COUNT:
        break;
    }
    /* eps divides: a zero eps turns a zero gradient into 0/0. */
    if (c->kind != DN_OPT_SGD && c->kind != DN_OPT_MOMENTUM &&
        c->kind != DN_OPT_NESTEROV &&
        !(isfinite(c->eps) && c->eps > 0))
        return bad_field(c, "eps", c->eps, "a finite eps > 0", d.eps, err);
    return DN_OK;
}

/* ------------------------------------------------------------------ */
/* The optimizer object                                                */
/* ------------------------------------------------------------------ */

/* state holds n_state floats, in this order per kind (dn_opt_state
 * hands the whole array to checkpoints):
 *   SGD                 nothing
 *   MOMENTUM, NESTEROV  v              the velocity
 *   ADAGRAD             s              the running sum of g²
 *   RMSPROP             s, [m], [b]    mean of g²; mean of g when
 *                                      centered; velocity when momentum > 0
 *   ADAM, ADAMW         m, v, [vmax]   the moments; vmax with amsgrad
 * each n floats.  AdamW's decay mask is kept as runs [begin, end) of
 * decayed entries: a network's weight matrices are a few long runs, so
 * the decay loop is a few tight loops over contiguous memory. */
struct dn_opt {
    dn_opt_conf conf;
    size_t n;            /* parameters */
    long   t;            /* steps taken */
    float *state;        /* n_state floats (never NULL) */
    size_t n_state;
    size_t *run;         /* ADAMW: run r decays [run[2r], run[2r+1]) */
    size_t n_runs;
};

/* How many n-float arrays of state a conf needs. */
static size_t state_arrays(const dn_opt_conf *c)
{
    switch (c->kind) {
    case DN_OPT_MOMENTUM:
    case DN_OPT_NESTEROV:
    case DN_OPT_ADAGRAD:
        return 1;
    case DN_OPT_RMSPROP:
        return 1 + (c->centered != 0) + (c->momentum > 0);
    case DN_OPT_ADAM:
    case DN_OPT_ADAMW:
        return 2 + (c->amsgrad != 0);
    default:
        return 0;
    }
}

/* 1 if entry i is decayed (no mask: every entry). */
static int decayed(const unsigned char *mask, size_t i)
{
    return !mask || mask[i];
}

/* Turns the byte mask into runs of decayed entries: a run starts at a
 * decayed entry whose predecessor is not. */
static dn_status mask_runs(dn_opt *o, const unsigned char *mask,
                           dn_error *err)
{
    size_t runs = 0;
    for (size_t i = 0; i < o->n; i++)
        runs += decayed(mask, i) && (i == 0 || !decayed(mask, i - 1));
    o->run = malloc((runs ? 2 * runs : 1) * sizeof *o->run);
    if (!o->run)
        return dn_fail(err, DN_ENOMEM, "optimizer adamw: out of memory for "
                       "the decay mask of %zu parameters", o->n);
    size_t r = 0;
    for (size_t i = 0; i < o->n; i++) {
        if (!decayed(mask, i)) continue;
        if (i == 0 || !decayed(mask, i - 1)) o->run[2 * r++] = i;
        o->run[2 * r - 1] = i + 1;  /* the run reaches past i */
    }
    o->n_runs = r;
    return DN_OK;
}

dn_status dn_opt_new(const dn_opt_conf *c, size_t n,
                     const unsigned char *decay_mask, dn_opt **out,
                     dn_error *err)
{
    DN_NEED(out);
    *out = NULL;
    if (!c) return dn_fail(err, DN_EARG, "dn_opt_new: conf is NULL; fill "
                           "one with dn_opt_defaults");
    dn_status st = check_conf(c, err);
    if (st) return st;
    size_t k = state_arrays(c);
    if (k && n > SIZE_MAX / sizeof(float) / k)
        return dn_fail(err, DN_EARG, "optimizer %s: %zu parameters is more "
                       "than memory can address", dn_opt_name(c->kind), n);
    dn_opt *o = calloc(1, sizeof *o);
    if (!o) return dn_fail(err, DN_ENOMEM, "optimizer %s: out of memory",
                           dn_opt_name(c->kind));
    o->conf = *c;
    o->conf.centered = c->centered != 0;
    o->conf.amsgrad = c->amsgrad != 0;
    o->n = n;
    o->n_state = k * n;
    o->state = dn_big_calloc(o->n_state ? o->n_state : 1, sizeof *o->state);
    if (!o->state) {
        dn_opt_free(o);
        return dn_fail(err, DN_ENOMEM, "optimizer %s: out of memory for "
                       "%zu floats of state (%zu parameters)",
                       dn_opt_name(c->kind), k * n, n);
    }
    /* torch.full_like(p, initial_accumulator_value) */
    if (c->kind == DN_OPT_ADAGRAD)
        for (size_t i = 0; i < n; i++)
            o->state[i] = (float)c->initial_accumulator;
    if (c->kind == DN_OPT_ADAMW && (st = mask_runs(o, decay_mask, err))) {
        dn_opt_free(o);
        return st;
    }
    *out = o;
    return DN_OK;
}

void dn_opt_free(dn_opt *o)
{
    if (!o) return;
    DN_FREE_ALL(o->state, o->run, o);
}

float *dn_opt_state(dn_opt *o, size_t *n_floats)
{
    if (n_floats) *n_floats = o->n_state;
    return o->state;
}

long dn_opt_steps(const dn_opt *o) { return o->t; }

void dn_opt_set_steps(dn_opt *o, long t) { o->t = t > 0 ? t : 0; }

/* ------------------------------------------------------------------ */
/* Update rules, one loop each                                         */
/* ------------------------------------------------------------------ */

/* An exponential moving average, m = a m + c g (momentum's velocity,
 * RMSProp's centering mean, Adam's first moment): PyTorch's
 * m.mul_(a).add_(g, alpha=c). */
static void ema(float *restrict m, const float *restrict g, size_t n,
                float a, float c)
{
    for (size_t i = 0; i < n; i++) m[i] = m[i] * a + c * g[i];
}

/* The same for the square, s = a s + c g² (RMSProp's and Adam's second
 * moment): s.mul_(a).addcmul_(g, g, value=c), which rounds (c g) g. */
static void ema_sq(float *restrict s, const float *restrict g, size_t n,
                   float a, float c)
{
    for (size_t i = 0; i < n; i++) s[i] = s[i] * a + c * g[i] * g[i];
}

/* Nesterov: theta −= eta (g + mu v), the gradient step taken from the
 * point the velocity is about to carry theta to. */
static void nesterov(float *restrict theta, const float *restrict g,
                     const float *restrict v, size_t n, float eta, float mu)
{
    for (size_t i = 0; i < n; i++) theta[i] -= eta * (g[i] + mu * v[i]);
}

/* AdaGrad: s += g²; theta −= eta_t g / (sqrt(s) + eps).  Every entry's
 * rate shrinks with the gradients it has seen. */
static void adagrad(float *restrict theta, const float *restrict g,
                    float *restrict s, size_t n, float eta_t, float eps)
{
    for (size_t i = 0; i < n; i++) {
        s[i] += g[i] * g[i];
        theta[i] -= eta_t * g[i] / (sqrtf(s[i]) + eps);
    }
}

/* RMSProp's four variants, after s (and m) are updated:
 *   plain      theta −= eta g / (sqrt(s) + eps)
 *   centered   the same with s − m² (the variance of g) for s
 *   momentum   b = mu b + g / (sqrt(·) + eps); theta −= eta b */
static void rmsprop_plain(float *restrict theta, const float *restrict g,
                          const float *restrict s, size_t n, float eta,
                          float eps)
{
    for (size_t i = 0; i < n; i++)
        theta[i] -= eta * g[i] / (sqrtf(s[i]) + eps);
}

static void rmsprop_centered(float *restrict theta, const float *restrict g,
                             const float *restrict s,
                             const float *restrict m, size_t n, float eta,
                             float eps)
{
    for (size_t i = 0; i < n; i++)
        theta[i] -= eta * g[i] / (sqrtf(s[i] - m[i] * m[i]) + eps);
}

static void rmsprop_momentum(float *restrict theta, const float *restrict g,
                             const float *restrict s, float *restrict b,
                             size_t n, float eta, float mu, float eps)
{
    for (size_t i = 0; i < n; i++) {
        b[i] = b[i] * mu + g[i] / (sqrtf(s[i]) + eps);
        theta[i] -= eta * b[i];
    }
}

static void rmsprop_centered_momentum(float *restrict theta,
                                      const float *restrict g,
                                      const float *restrict s,
                                      const float *restrict m,
                                      float *restrict b, size_t n,
                                      float eta, float mu, float eps)
{
    for (size_t i = 0; i < n; i++) {
        b[i] = b[i] * mu + g[i] / (sqrtf(s[i] - m[i] * m[i]) + eps);
        theta[i] -= eta * b[i];
    }
}

/* AMSGrad: vmax = max(vmax, v), so the denominator never shrinks. */
static void running_max(float *restrict vmax, const float *restrict v,
                        size_t n)
{
    for (size_t i = 0; i < n; i++) vmax[i] = vmax[i] > v[i] ? vmax[i] : v[i];
}

/* Adam's step, theta −= step m / (sqrt(v) / bc2_sqrt + eps), with
 * step = eta / (1 − beta1^t) and bc2_sqrt = sqrt(1 − beta2^t): the bias
 * corrections folded into scalars exactly where PyTorch puts them. */
static void adam(float *restrict theta, const float *restrict m,
                 const float *restrict v, size_t n, float step,
                 float bc2_sqrt, float eps)
{
    for (size_t i = 0; i < n; i++)
        theta[i] -= step * m[i] / (sqrtf(v[i]) / bc2_sqrt + eps);
}

/* ema, ema_sq and adam above in one pass over the four arrays: the same
 * operations in the same order per element, so the same bits, with the
 * memory read once instead of three times (Adam without AMSGrad). */
static inline void adam_loop(float *restrict theta, const float *restrict g,
                             float *restrict m, float *restrict v, size_t n,
                             float b1, float c1, float b2, float c2,
                             float step, float bc2_sqrt, float eps)
{
    for (size_t i = 0; i < n; i++) {
        m[i] = m[i] * b1 + c1 * g[i];
        v[i] = v[i] * b2 + c2 * g[i] * g[i];
        theta[i] -= step * m[i] / (sqrtf(v[i]) / bc2_sqrt + eps);
    }
}

#ifdef WIDE
DN_COPIES(adam, (float *restrict theta, const float *restrict g,
                 float *restrict m, float *restrict v, size_t n, float b1,
                 float c1, float b2, float c2, float step, float bc2_sqrt,
                 float eps),
          adam_loop(theta, g, m, v, n, b1, c1, b2, c2, step, bc2_sqrt, eps))
#endif

static void adam_fused(float *theta, const float *g, float *m, float *v,
                       size_t n, float b1, float c1, float b2, float c2,
                       float step, float bc2_sqrt, float eps)
{
#ifdef WIDE
    if (wide()) {
        adam_wide(theta, g, m, v, n, b1, c1, b2, c2, step, bc2_sqrt, eps);
        return;
    }
    if (dn_simd_avx2()) {
        adam_avx2(theta, g, m, v, n, b1, c1, b2, c2, step, bc2_sqrt, eps);
        return;
    }
#endif
    adam_loop(theta, g, m, v, n, b1, c1, b2, c2, step, bc2_sqrt, eps);
}

/* ------------------------------------------------------------------ */
/* One step                                                            */
/* ------------------------------------------------------------------ */

/* Each update below is elementwise, so it runs on any range [i0, i1) of
 * the parameters alone: theta, g and every state array are offset by
 * i0 (state array k of the optimizer starts at state + k·n), and the
 * ranges of one step may run on different threads at once. */
typedef struct {
    float *theta;
    const float *g;
    float *s[3];       /* the state arrays, offset */
    size_t i0, n;      /* the range: [i0, i0 + n) */
} part;

static void step_momentum(const dn_opt *o, const part *p, double eta)
{
    const dn_opt_conf *c = &o->conf;
    float *v = p->s[0];
    /* PyTorch keeps no velocity when momentum is 0: plain SGD. */
    if (c->momentum == 0) {
        dn_sgd_step(p->theta, p->g, p->n, (float)eta);
        return;
    }
    if (o->t == 1)  /* the velocity starts as the gradient, undamped */
        memcpy(v, p->g, p->n * sizeof *v);
    else
        ema(v, p->g, p->n, (float)c->momentum, (float)(1 - c->dampening));
    if (c->kind == DN_OPT_NESTEROV)
        nesterov(p->theta, p->g, v, p->n, (float)eta, (float)c->momentum);
    else
        dn_sgd_step(p->theta, v, p->n, (float)eta);
}

static void step_adagrad(const dn_opt *o, const part *p, double eta)
{
    const dn_opt_conf *c = &o->conf;
    double eta_t = eta / (1 + (double)(o->t - 1) * c->lr_decay);
    adagrad(p->theta, p->g, p->s[0], p->n, (float)eta_t, (float)c->eps);
}

static void step_rmsprop(const dn_opt *o, const part *p, double eta)
{
    const dn_opt_conf *c = &o->conf;
    const size_t n = p->n;
    const float a = (float)c->alpha, ca = (float)(1 - c->alpha);
    const float mu = (float)c->momentum, eps = (float)c->eps;
    float *s = p->s[0];
    float *m = c->centered ? p->s[1] : NULL;
    float *b = c->momentum > 0 ? p->s[c->centered ? 2 : 1] : NULL;
    float *theta = p->theta;
    const float *g = p->g;
    ema_sq(s, g, n, a, ca);
    if (m) ema(m, g, n, a, ca);
    if (m && b)
        rmsprop_centered_momentum(theta, g, s, m, b, n, (float)eta, mu, eps);
    else if (m)
        rmsprop_centered(theta, g, s, m, n, (float)eta, eps);
    else if (b)
        rmsprop_momentum(theta, g, s, b, n, (float)eta, mu, eps);
    else
        rmsprop_plain(theta, g, s, n, (float)eta, eps);
}

/* AdamW's decoupled decay, theta *= 1 − eta lambda, on the part of each
 * run of decayed entries (the decay mask) inside the range. */
static void decay_part(const dn_opt *o, const part *p, float keep)
{
    const size_t i1 = p->i0 + p->n;
    for (size_t r = 0; r < o->n_runs; r++) {
        size_t a = o->run[2 * r] > p->i0 ? o->run[2 * r] : p->i0;
        size_t b = o->run[2 * r + 1] < i1 ? o->run[2 * r + 1] : i1;
        for (size_t i = a; i < b; i++) p->theta[i - p->i0] *= keep;
    }
}

static void step_adam(const dn_opt *o, const part *p, double eta)
{
    const dn_opt_conf *c = &o->conf;
    const size_t n = p->n;
    float *m = p->s[0], *v = p->s[1], *vmax = c->amsgrad ? p->s[2] : NULL;
    if (c->kind == DN_OPT_ADAMW)
        decay_part(o, p, (float)(1 - eta * c->weight_decay));
    const double bc1 = 1 - pow(c->beta1, (double)o->t);
    const double bc2 = 1 - pow(c->beta2, (double)o->t);
    if (!vmax) {
        adam_fused(p->theta, p->g, m, v, n, (float)c->beta1,
                   (float)(1 - c->beta1), (float)c->beta2,
                   (float)(1 - c->beta2), (float)(eta / bc1),
                   (float)sqrt(bc2), (float)c->eps);
        return;
    }
    ema(m, p->g, n, (float)c->beta1, (float)(1 - c->beta1));
    ema_sq(v, p->g, n, (float)c->beta2, (float)(1 - c->beta2));
    running_max(vmax, v, n);
    adam(p->theta, m, vmax, n, (float)(eta / bc1), (float)sqrt(bc2),
         (float)c->eps);
}

/* The update of parameters [i0, i1), with o->t already advanced. */
static void step_range(const dn_opt *o, float *theta, const float *g,
                       double eta, size_t i0, size_t i1)
{
    part p = { theta + i0, g + i0, { NULL, NULL, NULL }, i0, i1 - i0 };
    for (int k = 0; k < 3; k++)
        if ((size_t)(k + 1) * o->n <= o->n_state)
            p.s[k] = o->state + (size_t)k * o->n + i0;
    switch (o->conf.kind) {
    case DN_OPT_SGD:
        dn_sgd_step(p.theta, p.g, p.n, (float)eta);
        break;
    case DN_OPT_MOMENTUM:
    case DN_OPT_NESTEROV:
        step_momentum(o, &p, eta);
        break;
    case DN_OPT_ADAGRAD:
        step_adagrad(o, &p, eta);
        break;
    case DN_OPT_RMSPROP:
        step_rmsprop(o, &p, eta);
        break;
    case DN_OPT_ADAM:
    case DN_OPT_ADAMW:
        step_adam(o, &p, eta);
        break;
    case DN_OPT_COUNT:
        break;
    }
}

void dn_opt_step(dn_opt *o, float *theta, const float *g, double eta)
{
    if (!o || !theta || !g) return; /* nothing to update; see descent.h */
    o->t++;
    step_range(o, theta, g, eta, 0, o->n);
}

typedef struct {
    const dn_opt *o;
    float *theta;
    const float *g;
    double eta;
    const size_t *cut;
} par_step;

static void par_task(int t, void *arg)
{
    const par_step *q = arg;
    step_range(q->o, q->theta, q->g, q->eta, q->cut[t], q->cut[t + 1]);
}

void dn_opt_step_parts(dn_opt *o, dn_pool *pool, float *theta,
                       const float *g, double eta, const size_t *cut,
                       int parts)
{
    o->t++;
    if (parts <= 1 || dn_pool_threads(pool) <= 1) {
        step_range(o, theta, g, eta, 0, o->n);
        return;
    }
    par_step q = { o, theta, g, eta, cut };
    dn_pool_run(pool, parts, par_task, &q);
}
