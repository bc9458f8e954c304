/* schedule.c — the learning rate epoch by epoch, as
 * torch.optim.lr_scheduler (1.13) computes it.
 *
 * PyTorch updates most rates recursively (StepLR multiplies the previous
 * rate by gamma, CosineAnnealingLR rescales it by a ratio of cosines).
 * Here STEP, EXP, COSINE and the warmup ramp are closed forms of the
 * epoch number instead: the same values to a few ulps (tests/
 * gen_sched_golden.py measures ≤ 1e-15 relative over 50 epochs), no
 * drift over long runs, and a rate that depends on nothing but the
 * struct, so a checkpointed dn_sched resumes exactly.  PLATEAU is a
 * reaction to the losses, not a function of the epoch, so it keeps
 * ReduceLROnPlateau's state (best, bad epochs, cooldown) and its rules
 * step for step. */
#include "optim/optim.h"
#include <limits.h>
#include <math.h>
#include <string.h>

/* C11's <math.h> has no M_PI. */
#define PI 3.14159265358979323846

/* ReduceLROnPlateau's eps: a cut that would move the rate by no more
 * than this is skipped.  torch makes it an argument that is almost
 * never changed, so it is fixed here rather than one more field to
 * explain. */
#define PLATEAU_EPS 1e-8

void dn_sched_defaults(dn_sched_conf *c, dn_sched_kind kind)
{
    /* Zero first: a checkpoint writes the struct whole, and its padding
     * should be zeros rather than stack leftovers (same run, same
     * bytes).  Every field gets a valid value, whatever the kind, so a
     * caller may switch kinds after this call. */
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->step_size = 10;    /* torch's StepLR has no default; 10 epochs */
    c->gamma = kind == DN_SCHED_EXP ? 0.95 : 0.1; /* ExponentialLR has no
                                                   * default either */
    c->t_max = 0;
    c->eta_min = 0;
    c->factor = 0.1;
    c->patience = 10;
    c->threshold = 1e-4;
    c->threshold_abs = 0;
    c->cooldown = 0;
    c->warmup = 0;
    /* torch.optim.lr_scheduler.OneCycleLR's defaults */
    c->pct_start = 0.3;
    c->div_factor = 25;
    c->final_div_factor = 1e4;
}

/* Each check names the field, the value and the valid range.  The
 * comparisons are written so that NaN fails them.  Most fields are one of
 * two kinds, checked by these two: a real that must be finite and >= 0,
 * and a count (of epochs, mostly) that must be >= 0, whose message ends
 * with `unit`. */
static dn_status real_ge0(const char *k, const char *field, double v,
                          dn_error *err)
{
    if (isfinite(v) && v >= 0) return DN_OK;
    return dn_fail(err, DN_EARG, "schedule %s: %s %.15g is out of range; it "
                   "must be a finite number >= 0", k, field, v);
}

static dn_status count_ge0(const char *k, const char *field, int v,
                           const char *unit, dn_error *err)
{
    if (v >= 0) return DN_OK;
    return dn_fail(err, DN_EARG, "schedule %s: %s %d is out of range; it "
                   "must be >= 0%s", k, field, v, unit);
}

static dn_status check_conf(const dn_sched_conf *c, double eta0, int epochs,
                            dn_error *err)
{
    if ((unsigned)c->kind >= DN_SCHED_COUNT)
        return dn_fail(err, DN_EARG, "unknown schedule kind %d; use "
                       "constant, step, exp, cosine, plateau or onecycle",
                       (int)c->kind);
    const char *k = dn_sched_name(c->kind);
    dn_status st;
    if ((st = real_ge0(k, "base learning rate", eta0, err)) ||
        (st = count_ge0(k, "warmup", c->warmup, " epochs (0 = no warmup)",
                        err)) ||
        (st = count_ge0(k, "epochs", epochs, "", err)))
        return st;

    /* Only the fields the kind reads are checked: a zeroed or stale
     * value in a field that takes no part cannot do harm. */
    switch (c->kind) {
    case DN_SCHED_STEP:
    case DN_SCHED_EXP:
        if (c->kind == DN_SCHED_STEP && c->step_size < 1)
            return dn_fail(err, DN_EARG, "schedule step: step_size %d is "
                           "out of range; it must be >= 1 (epochs between "
                           "cuts)", c->step_size);
        if (!(c->gamma > 0 && c->gamma <= 1))
            return dn_fail(err, DN_EARG, "schedule %s: gamma %.15g is out "
                           "of range (0, 1]; the rate is multiplied by "
                           "gamma, so 1 keeps it constant", k, c->gamma);
        return DN_OK;
    case DN_SCHED_COSINE:
        if ((st = count_ge0(k, "t_max", c->t_max, " epochs (0 = all epochs "
                            "after warmup)", err)))
            return st;
        return real_ge0(k, "eta_min", c->eta_min, err);
    case DN_SCHED_PLATEAU:
        if (!(c->factor > 0 && c->factor < 1))
            return dn_fail(err, DN_EARG, "schedule plateau: factor %.15g is "
                           "out of range (0, 1); each cut multiplies the "
                           "rate by it", c->factor);
        if ((st = count_ge0(k, "patience", c->patience, " epochs", err)) ||
            (st = real_ge0(k, "threshold", c->threshold, err)))
            return st;
        /* Relative: improved means loss < best (1 − threshold).  At 1 or
         * more no positive loss can ever improve and the rate would just
         * be cut every patience + 1 epochs: surely a mistake. */
        if (!c->threshold_abs && c->threshold >= 1)
            return dn_fail(err, DN_EARG, "schedule plateau: relative "
                           "threshold %.15g is out of range [0, 1); it is a "
                           "fraction of the best loss (1e-4 = 0.01%%); set "
                           "threshold_abs for an absolute one",
                           c->threshold);
        if ((st = count_ge0(k, "cooldown", c->cooldown, " epochs", err)))
            return st;
        return real_ge0(k, "eta_min", c->eta_min, err);
    case DN_SCHED_ONECYCLE:
        if ((st = count_ge0(k, "t_max", c->t_max, " epochs (0 = all epochs "
                            "after warmup)", err)))
            return st;
        /* torch requires 0 <= pct_start <= 1; with 0 or 1 one phase has
         * no length and its cosine would divide by zero, so the range
         * is open here. */
        if (!(c->pct_start > 0 && c->pct_start < 1))
            return dn_fail(err, DN_EARG, "schedule onecycle: pct_start "
                           "%.15g is out of range (0, 1); it is the part of "
                           "the cycle spent raising the rate (0.3)",
                           c->pct_start);
        if (!(c->div_factor >= 1 && isfinite(c->div_factor)))
            return dn_fail(err, DN_EARG, "schedule onecycle: div_factor "
                           "%.15g is out of range; it must be a finite "
                           "number >= 1 (the cycle starts at eta0 / "
                           "div_factor; 25)", c->div_factor);
        if (!(c->final_div_factor >= 1 && isfinite(c->final_div_factor)))
            return dn_fail(err, DN_EARG, "schedule onecycle: "
                           "final_div_factor %.15g is out of range; it must "
                           "be a finite number >= 1 (the cycle ends at the "
                           "start rate / final_div_factor; 1e4)",
                           c->final_div_factor);
        return DN_OK;
    default:
        return DN_OK;
    }
}

/* OneCycleLR (anneal_strategy 'cos', three_phase False) at its step e
 * of total t_max: a cosine from eta0 / div_factor up to eta0 over the
 * first pct_start of the cycle, then a cosine down to that start rate
 * / final_div_factor.  The phase boundaries are torch's, which puts the
 * peak at step pct_start·t_max − 1 (a float, so it may fall between
 * steps).  torch raises an error past the last step; here the rate stays
 * at its end value, so a run given more epochs than the cycle ends
 * quietly at the floor. */
static double onecycle_rate(const dn_sched *s, int e)
{
    const dn_sched_conf *c = &s->conf;
    double start = s->eta0 / c->div_factor;
    double end = start / c->final_div_factor;
    double peak = c->pct_start * c->t_max - 1;
    double last = c->t_max - 1;
    double from, to, pct;
    if (e >= last) return end;
    if (e <= peak) {
        /* a rise of no length (pct_start·t_max = 1, where torch divides
         * by zero) is at its top at once */
        from = start; to = s->eta0; pct = peak > 0 ? e / peak : 1;
    } else {
        from = s->eta0; to = end; pct = (e - peak) / (last - peak);
    }
    /* torch's _annealing_cos */
    return to + (from - to) / 2.0 * (cos(PI * pct) + 1);
}

/* The main schedule's rate at its own epoch e (0 = the first epoch after
 * warmup).  PLATEAU starts from eta0 and then moves only when cut. */
static double main_rate(const dn_sched *s, int e)
{
    const dn_sched_conf *c = &s->conf;
    switch (c->kind) {
    case DN_SCHED_STEP:
        return s->eta0 * pow(c->gamma, e / c->step_size);
    case DN_SCHED_EXP:
        return s->eta0 * pow(c->gamma, e);
    case DN_SCHED_COSINE:
        /* Past t_max this keeps going round the cosine (back up to eta0
         * at 2 t_max), exactly as torch's recursive form does. */
        return c->eta_min + (s->eta0 - c->eta_min)
                          * (1 + cos(PI * e / c->t_max)) / 2;
    case DN_SCHED_ONECYCLE:
        return onecycle_rate(s, e);
    default:
        return s->eta0;
    }
}

/* The rate of epoch e: the warmup ramp, then the main schedule. */
static double rate_at(const dn_sched *s, int e)
{
    int n = s->conf.warmup;
    if (e < n) return s->eta0 * (e + 1) / n;
    return main_rate(s, e - n);
}

dn_status dn_sched_init(dn_sched *s, const dn_sched_conf *c, double eta0,
                        int epochs, dn_error *err)
{
    if (!s || !c)
        return dn_fail(err, DN_EARG, "dn_sched_init: no %s given",
                       s ? "configuration" : "schedule");
    dn_status st = check_conf(c, eta0, epochs, err);
    if (st != DN_OK) return st;

    /* Field by field into a zeroed struct: `s->conf = *c` could carry the
     * caller's padding bytes into a checkpoint. */
    memset(s, 0, sizeof *s);
    dn_sched_conf *k = &s->conf;
    k->kind = c->kind;
    k->warmup = c->warmup;
    k->step_size = c->step_size;      k->gamma = c->gamma;    /* step, exp */
    k->t_max = c->t_max;              k->eta_min = c->eta_min; /* the floor */
    k->factor = c->factor;            k->patience = c->patience; /* plateau */
    k->threshold = c->threshold;      k->threshold_abs = c->threshold_abs;
    k->cooldown = c->cooldown;
    k->pct_start = c->pct_start;      k->div_factor = c->div_factor;
    k->final_div_factor = c->final_div_factor;               /* onecycle */
    /* Resolved here and stored, because the struct alone must carry the
     * schedule on (epochs is not kept). */
    if ((k->kind == DN_SCHED_COSINE || k->kind == DN_SCHED_ONECYCLE)
        && k->t_max == 0)
        k->t_max = epochs - k->warmup > 1 ? epochs - k->warmup : 1;

    s->eta0 = eta0;
    s->epoch = 0;
    s->best = INFINITY;   /* torch's mode_worse for mode 'min' */
    s->bad = 0;
    s->cool = 0;
    s->eta = rate_at(s, 0);
    return DN_OK;
}

/* ReduceLROnPlateau.step(loss), mode 'min', in torch's order: score the
 * loss, let a cooldown swallow the bad epoch, cut once patience is
 * exceeded. */
static void plateau_watch(dn_sched *s, double loss)
{
    const dn_sched_conf *c = &s->conf;
    /* torch would let −inf become the best and then nothing could beat
     * it; NaN and +inf already fail its comparison.  Treat every
     * non-finite loss as a bad epoch and leave best alone. */
    int better = isfinite(loss)
        && (c->threshold_abs ? loss < s->best - c->threshold
                             : loss < s->best * (1 - c->threshold));
    if (better) {
        s->best = loss;
        s->bad = 0;
    } else if (s->bad < INT_MAX) {   /* patience may be INT_MAX */
        s->bad++;
    }
    if (s->cool > 0) {
        s->cool--;
        s->bad = 0;
    }
    if (s->bad > c->patience) {
        double cut = fmax(s->eta * c->factor, c->eta_min);
        if (s->eta - cut > PLATEAU_EPS) s->eta = cut;
        s->cool = c->cooldown;
        s->bad = 0;
    }
}

void dn_sched_step(dn_sched *s, double loss)
{
    int ended = s->epoch;   /* the epoch whose loss this is */
    if (s->epoch < INT_MAX) s->epoch++;
    /* PLATEAU reacts to losses, but not to those of warmup epochs: they
     * measure a network still on the ramp.  It starts from the ramp's
     * last rate, eta0, which the warmup's last step set. */
    if (s->conf.kind == DN_SCHED_PLATEAU && ended >= s->conf.warmup)
        plateau_watch(s, loss);
    else
        s->eta = rate_at(s, s->epoch);
}
