/* test_schedule.c — learning-rate schedules against PyTorch.
 *
 * tests/sched_golden.h holds, for every case, the rate that
 * torch.optim.lr_scheduler 1.13 used in each of 50 epochs (recorded by
 * tests/gen_sched_golden.py: StepLR, ExponentialLR, CosineAnnealingLR
 * past t_max, ReduceLROnPlateau in both threshold modes fed a loss
 * sequence with NaN and inf in it, and warmup through LinearLR and
 * SequentialLR).  Every epoch's dn_sched.eta must agree to 1e-10
 * relative.  PyTorch computes recursively and descent in closed form;
 * the generator measures the two within 1e-15 relative, so 1e-10 leaves
 * rounding five orders of magnitude and still catches any real
 * difference (the smallest, one plateau cut missed or misplaced, is a
 * factor of 2).
 *
 * Then what torch cannot tell us: dn_sched_defaults against torch's own
 * default arguments (read from its signatures by the generator), every
 * invalid setting rejected with a message that names it, a copied struct
 * resuming exactly, and losses torch would mishandle (−inf). */
#include "check.h"
#include "descent.h"
#include "sched_golden.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define TOL 1e-10

static double worst_rel;

/* Runs golden case g with configuration c; returns the number of epochs
 * that differ from PyTorch. */
static int run_golden(const sched_golden *g, const dn_sched_conf *c,
                      const char *label)
{
    dn_sched s;
    dn_error err;
    dn_status st = dn_sched_init(&s, c, g->eta0, g->epochs, &err);
    CHECK(st == DN_OK, "%s: dn_sched_init: %s", label, err.msg);
    if (st != DN_OK) return SG_EPOCHS;
    int bad = 0;
    for (int e = 0; e < SG_EPOCHS; e++) {
        double ref = g->eta[e];
        double scale = fmax(fabs(s.eta), fabs(ref));
        double rel = scale > 0 ? fabs(s.eta - ref) / scale : 0;
        if (rel > worst_rel) worst_rel = rel;
        int ok = rel <= TOL;   /* NaN fails */
        CHECK(ok, "%s: epoch %d: descent %.17g, PyTorch %.17g (%s)", label,
              e, s.eta, ref, g->torch);
        bad += !ok;
        /* Without a monitored loss feed NaN: only PLATEAU may read it. */
        dn_sched_step(&s, g->loss ? g->loss[e] : NAN);
        if (s.epoch != e + 1) {
            CHECK(s.epoch == e + 1, "%s: epoch counter %d after %d steps",
                  label, s.epoch, e + 1);
            return bad + 1;
        }
    }
    return bad;
}

static void test_goldens(void)
{
    for (int i = 0; i < SG_N_CASES; i++)
        run_golden(&sched_goldens[i], &sched_goldens[i].conf,
                   sched_goldens[i].name);
    printf("%d PyTorch schedules x %d epochs: largest relative difference "
           "%.2g (tolerance %.0e)\n", SG_N_CASES, SG_EPOCHS, worst_rel, TOL);
}

/* OneCycleLR over OC_STEPS epochs, to 1e-12 relative: torch computes
 * each rate in closed form too, so only rounding separates the two.
 * The defaults case starts from dn_sched_defaults, so it also shows
 * that they are OneCycleLR's. */
static void test_onecycle(void)
{
    double worst = 0;
    for (int i = 0; i < OC_N_CASES; i++) {
        const onecycle_golden *g = &onecycle_goldens[i];
        dn_sched_conf c;
        dn_sched_defaults(&c, DN_SCHED_ONECYCLE);
        if (strcmp(g->name, "onecycle_defaults")) c = g->conf;
        dn_sched s;
        dn_error err;
        dn_status st = dn_sched_init(&s, &c, g->eta0, g->epochs, &err);
        CHECK(st == DN_OK, "%s: %s", g->name, err.msg);
        if (st) continue;
        for (int e = 0; e < OC_STEPS; e++) {
            double ref = g->eta[e];
            double rel = fabs(s.eta - ref) / fabs(ref);
            if (rel > worst) worst = rel;
            CHECK(rel <= 1e-12, "%s: step %d: descent %.17g, torch %.17g",
                  g->name, e, s.eta, ref);
            dn_sched_step(&s, NAN);
        }
    }
    printf("%d OneCycleLR cases x %d steps: largest relative difference "
           "%.2g (tolerance 1e-12)\n", OC_N_CASES, OC_STEPS, worst);
}

static const sched_golden *find_golden(const char *name)
{
    for (int i = 0; i < SG_N_CASES; i++)
        if (strcmp(sched_goldens[i].name, name) == 0)
            return &sched_goldens[i];
    CHECK(0, "golden case %s is missing from sched_golden.h", name);
    return NULL;
}

/* dn_sched_defaults holds PyTorch's defaults, as the generator read them
 * from torch's signatures, and the descent choices the header states
 * where torch has none (StepLR step_size, ExponentialLR gamma). */
static void test_defaults(void)
{
    for (int k = 0; k < DN_SCHED_COUNT; k++) {
        dn_sched_conf c;
        memset(&c, 0xA5, sizeof c);
        dn_sched_defaults(&c, (dn_sched_kind)k);
        const char *n = dn_sched_name((dn_sched_kind)k);
        CHECK(c.kind == (dn_sched_kind)k, "%s: kind %d", n, (int)c.kind);
        CHECK(c.warmup == 0, "%s: warmup %d", n, c.warmup);
        switch (k) {
        case DN_SCHED_STEP:
            CHECK(c.step_size == 10, "step: step_size %d", c.step_size);
            CHECK(c.gamma == SG_TORCH_STEP_GAMMA, "step: gamma %g, torch %g",
                  c.gamma, SG_TORCH_STEP_GAMMA);
            break;
        case DN_SCHED_EXP:
            CHECK(c.gamma == 0.95, "exp: gamma %g", c.gamma);
            break;
        case DN_SCHED_COSINE:
            CHECK(c.t_max == 0, "cosine: t_max %d", c.t_max);
            CHECK(c.eta_min == SG_TORCH_COSINE_ETA_MIN,
                  "cosine: eta_min %g", c.eta_min);
            break;
        case DN_SCHED_ONECYCLE:
            CHECK(c.t_max == 0, "onecycle: t_max %d", c.t_max);
            CHECK(c.pct_start == SG_TORCH_ONECYCLE_PCT_START,
                  "onecycle: pct_start %g", c.pct_start);
            CHECK(c.div_factor == SG_TORCH_ONECYCLE_DIV_FACTOR,
                  "onecycle: div_factor %g", c.div_factor);
            CHECK(c.final_div_factor == SG_TORCH_ONECYCLE_FINAL_DIV_FACTOR,
                  "onecycle: final_div_factor %g", c.final_div_factor);
            break;
        case DN_SCHED_PLATEAU:
            CHECK(c.factor == SG_TORCH_PLATEAU_FACTOR, "plateau: factor %g",
                  c.factor);
            CHECK(c.patience == SG_TORCH_PLATEAU_PATIENCE,
                  "plateau: patience %d", c.patience);
            CHECK(c.threshold == SG_TORCH_PLATEAU_THRESHOLD,
                  "plateau: threshold %g", c.threshold);
            CHECK(c.threshold_abs == SG_TORCH_PLATEAU_THRESHOLD_ABS,
                  "plateau: threshold_abs %d", c.threshold_abs);
            CHECK(c.cooldown == SG_TORCH_PLATEAU_COOLDOWN,
                  "plateau: cooldown %d", c.cooldown);
            CHECK(c.eta_min == SG_TORCH_PLATEAU_MIN_LR, "plateau: eta_min %g",
                  c.eta_min);
            break;
        }
        /* Every kind's defaults are a valid configuration. */
        dn_sched s;
        dn_error err;
        dn_status st = dn_sched_init(&s, &c, 0.01, 20, &err);
        CHECK(st == DN_OK, "%s defaults rejected: %s", n, err.msg);
        /* one cycle starts low: at eta0 / div_factor */
        double first = k == DN_SCHED_ONECYCLE ? 0.01 / 25 : 0.01;
        if (st == DN_OK)
            CHECK(fabs(s.eta - first) <= 1e-15, "%s: epoch 0 rate %.17g, "
                  "not %.17g", n, s.eta, first);
    }
    /* descent fixes ReduceLROnPlateau's eps at torch's default. */
    CHECK(SG_TORCH_PLATEAU_EPS == 1e-8, "torch's plateau eps is now %g",
          SG_TORCH_PLATEAU_EPS);

    /* The defaults reproduce ReduceLROnPlateau() with no arguments. */
    const sched_golden *g = find_golden("plateau_defaults");
    if (g) {
        dn_sched_conf c;
        dn_sched_defaults(&c, DN_SCHED_PLATEAU);
        run_golden(g, &c, "plateau from dn_sched_defaults");
    }
}

/* One invalid setting: the field to spoil, its value, and text the
 * message must contain besides the field's name (the value as printed). */
typedef struct {
    dn_sched_kind kind;
    const char *field;
    double value;
    const char *shown;
} bad_conf;

static void set_field(dn_sched_conf *c, double *eta0, int *epochs,
                      const char *f, double v)
{
    if (!strcmp(f, "step_size")) c->step_size = (int)v;
    else if (!strcmp(f, "gamma")) c->gamma = v;
    else if (!strcmp(f, "t_max")) c->t_max = (int)v;
    else if (!strcmp(f, "eta_min")) c->eta_min = v;
    else if (!strcmp(f, "factor")) c->factor = v;
    else if (!strcmp(f, "patience")) c->patience = (int)v;
    else if (!strcmp(f, "threshold")) c->threshold = v;
    else if (!strcmp(f, "cooldown")) c->cooldown = (int)v;
    else if (!strcmp(f, "warmup")) c->warmup = (int)v;
    else if (!strcmp(f, "pct_start")) c->pct_start = v;
    else if (!strcmp(f, "final_div_factor")) c->final_div_factor = v;
    else if (!strcmp(f, "div_factor")) c->div_factor = v;
    else if (!strcmp(f, "epochs")) *epochs = (int)v;
    else if (!strcmp(f, "learning rate")) *eta0 = v;
    else if (!strcmp(f, "kind")) c->kind = (dn_sched_kind)(int)v;
    else CHECK(0, "test bug: no field %s", f);
}

static void test_invalid(void)
{
    static const bad_conf bad[] = {
        { DN_SCHED_STEP, "step_size", 0, "0" },
        { DN_SCHED_STEP, "step_size", -3, "-3" },
        { DN_SCHED_STEP, "gamma", 0, "0" },
        { DN_SCHED_STEP, "gamma", 1.5, "1.5" },
        { DN_SCHED_EXP, "gamma", -0.5, "-0.5" },
        { DN_SCHED_EXP, "gamma", 1.0000001, "1.0000001" },
        { DN_SCHED_EXP, "gamma", NAN, "nan" },
        { DN_SCHED_COSINE, "t_max", -1, "-1" },
        { DN_SCHED_COSINE, "eta_min", -1e-3, "-0.001" },
        { DN_SCHED_COSINE, "eta_min", INFINITY, "inf" },
        { DN_SCHED_PLATEAU, "factor", 0, "0" },
        { DN_SCHED_PLATEAU, "factor", 1, "1" },
        { DN_SCHED_PLATEAU, "factor", 2.5, "2.5" },
        { DN_SCHED_PLATEAU, "factor", NAN, "nan" },
        { DN_SCHED_PLATEAU, "patience", -1, "-1" },
        { DN_SCHED_PLATEAU, "threshold", -1e-4, "-0.0001" },
        { DN_SCHED_PLATEAU, "threshold", NAN, "nan" },
        { DN_SCHED_PLATEAU, "threshold", 1, "1" },   /* relative */
        { DN_SCHED_PLATEAU, "cooldown", -2, "-2" },
        { DN_SCHED_PLATEAU, "eta_min", -0.1, "-0.1" },
        { DN_SCHED_PLATEAU, "eta_min", NAN, "nan" },
        { DN_SCHED_CONSTANT, "warmup", -1, "-1" },
        { DN_SCHED_COSINE, "warmup", -5, "-5" },
        { DN_SCHED_COSINE, "epochs", -1, "-1" },
        { DN_SCHED_EXP, "learning rate", -0.1, "-0.1" },
        { DN_SCHED_STEP, "learning rate", NAN, "nan" },
        { DN_SCHED_PLATEAU, "learning rate", INFINITY, "inf" },
        { DN_SCHED_ONECYCLE, "t_max", -1, "-1" },
        { DN_SCHED_ONECYCLE, "pct_start", 0, "0" },
        { DN_SCHED_ONECYCLE, "pct_start", 1, "1" },
        { DN_SCHED_ONECYCLE, "pct_start", NAN, "nan" },
        { DN_SCHED_ONECYCLE, "div_factor", 0.5, "0.5" },
        { DN_SCHED_ONECYCLE, "div_factor", INFINITY, "inf" },
        { DN_SCHED_ONECYCLE, "final_div_factor", 0, "0" },
        { DN_SCHED_ONECYCLE, "final_div_factor", NAN, "nan" },
        { DN_SCHED_CONSTANT, "kind", DN_SCHED_COUNT, "6" },
        { DN_SCHED_CONSTANT, "kind", -1, "-1" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        const bad_conf *b = &bad[i];
        dn_sched_conf c;
        dn_sched_defaults(&c, b->kind);
        double eta0 = 0.1;
        int epochs = 30;
        set_field(&c, &eta0, &epochs, b->field, b->value);
        dn_sched s, before;
        memset(&s, 0x5A, sizeof s);
        before = s;
        dn_error err;
        memset(&err, 0, sizeof err);
        dn_status st = dn_sched_init(&s, &c, eta0, epochs, &err);
        const char *kn = dn_sched_name(b->kind);
        CHECK(st == DN_EARG, "%s %s = %s accepted (status %d)", kn, b->field,
              b->shown, (int)st);
        CHECK(err.code == DN_EARG, "%s %s = %s: err.code %d", kn, b->field,
              b->shown, (int)err.code);
        /* "kind" is named as "schedule kind"; the rest by field name. */
        CHECK(strstr(err.msg, b->field) != NULL,
              "%s %s = %s: message does not name the field: \"%s\"", kn,
              b->field, b->shown, err.msg);
        CHECK(strstr(err.msg, b->shown) != NULL,
              "%s %s = %s: message does not show the value: \"%s\"", kn,
              b->field, b->shown, err.msg);
        CHECK(strstr(err.msg, "range") != NULL || !strcmp(b->field, "kind"),
              "%s %s = %s: message gives no valid range: \"%s\"", kn,
              b->field, b->shown, err.msg);
        CHECK(memcmp(&s, &before, sizeof s) == 0,
              "%s %s = %s: a failed init changed the schedule", kn, b->field,
              b->shown);
        /* err may be NULL. */
        CHECK(dn_sched_init(&s, &c, eta0, epochs, NULL) == DN_EARG,
              "%s %s = %s accepted with err NULL", kn, b->field, b->shown);
    }
    dn_error err;
    CHECK(dn_sched_init(NULL, NULL, 0.1, 10, &err) == DN_EARG,
          "NULL schedule accepted");

    /* Edges that are valid, and fields the kind does not read. */
    dn_sched_conf c;
    dn_sched s;
    dn_sched_defaults(&c, DN_SCHED_EXP);
    c.gamma = 1;            /* the top of (0, 1] */
    c.step_size = 0;        /* STEP's field, unused by EXP */
    c.factor = 7;           /* PLATEAU's */
    c.t_max = -4;           /* COSINE's */
    CHECK(dn_sched_init(&s, &c, 0, 0, &err) == DN_OK,
          "exp gamma 1, eta0 0, epochs 0 rejected: %s", err.msg);
    dn_sched_defaults(&c, DN_SCHED_PLATEAU);
    c.patience = 0;
    c.threshold = 0;
    c.cooldown = 0;
    c.factor = 0.999;
    CHECK(dn_sched_init(&s, &c, 0.1, 10, &err) == DN_OK,
          "plateau patience 0, threshold 0 rejected: %s", err.msg);
    c.threshold_abs = 1;
    c.threshold = 5;        /* absolute: any size is meaningful */
    CHECK(dn_sched_init(&s, &c, 0.1, 10, &err) == DN_OK,
          "plateau absolute threshold 5 rejected: %s", err.msg);
}

/* Cosine's t_max = 0 means the epochs after warmup, at least 1, and is
 * resolved into the struct (which does not keep `epochs`). */
static void test_t_max(void)
{
    static const struct { int t_max, warmup, epochs, want; } t[] = {
        { 0, 0, 50, 50 }, { 0, 5, 50, 45 }, { 0, 0, 0, 1 }, { 0, 5, 5, 1 },
        { 0, 20, 10, 1 }, { 7, 5, 50, 7 }, { 0, 0, 1, 1 }, { 0, 1, 3, 2 },
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        dn_sched_conf c;
        dn_sched_defaults(&c, DN_SCHED_COSINE);
        c.t_max = t[i].t_max;
        c.warmup = t[i].warmup;
        dn_sched s;
        dn_error err;
        dn_status st = dn_sched_init(&s, &c, 0.1, t[i].epochs, &err);
        CHECK(st == DN_OK && s.conf.t_max == t[i].want,
              "t_max %d, warmup %d, epochs %d: resolved t_max %d, want %d",
              t[i].t_max, t[i].warmup, t[i].epochs, s.conf.t_max,
              t[i].want);
        /* A cosine over one epoch still runs: rate 0 at its end. */
        for (int e = 0; e < t[i].warmup + 3; e++) dn_sched_step(&s, 1.0);
        CHECK(isfinite(s.eta) && s.eta >= 0, "t_max %d: rate %g",
              s.conf.t_max, s.eta);
    }
}

/* A dn_sched is a plain struct: a copy taken mid-run (by assignment, or
 * through bytes as a checkpoint would) goes on exactly like the
 * original, for every golden case and several split points, including
 * mid-warmup and mid-cooldown. */
static void test_resume(void)
{
    static const int splits[] = { 0, 3, 5, 17, 24, 31 };
    for (int i = 0; i < SG_N_CASES; i++) {
        const sched_golden *g = &sched_goldens[i];
        for (size_t k = 0; k < sizeof splits / sizeof *splits; k++) {
            dn_sched a;
            dn_error err;
            if (dn_sched_init(&a, &g->conf, g->eta0, g->epochs, &err)) {
                CHECK(0, "%s: %s", g->name, err.msg);
                break;
            }
            int e = 0;
            for (; e < splits[k]; e++)
                dn_sched_step(&a, g->loss ? g->loss[e] : NAN);
            dn_sched b = a;
            unsigned char bytes[sizeof a];
            memcpy(bytes, &a, sizeof a);
            dn_sched c;
            memcpy(&c, bytes, sizeof c);
            int same = 1;
            for (; e < SG_EPOCHS && same; e++) {
                same = a.eta == b.eta && a.eta == c.eta
                    && a.epoch == b.epoch && a.epoch == c.epoch
                    && a.bad == b.bad && a.bad == c.bad
                    && a.cool == b.cool && a.cool == c.cool
                    && a.best == b.best && a.best == c.best;
                double loss = g->loss ? g->loss[e] : NAN;
                dn_sched_step(&a, loss);
                dn_sched_step(&b, loss);
                dn_sched_step(&c, loss);
            }
            CHECK(same, "%s: copy taken after %d epochs diverges at epoch "
                  "%d", g->name, splits[k], e - 1);
        }
    }

    /* dn_sched_init leaves no stray bytes: two inits of the same
     * configuration into differently dirty memory give the same bytes,
     * so a checkpoint of the struct is reproducible. */
    for (int i = 0; i < SG_N_CASES; i++) {
        const sched_golden *g = &sched_goldens[i];
        dn_sched x, y;
        memset(&x, 0xA5, sizeof x);
        memset(&y, 0x3C, sizeof y);
        dn_sched_init(&x, &g->conf, g->eta0, g->epochs, NULL);
        dn_sched_init(&y, &g->conf, g->eta0, g->epochs, NULL);
        CHECK(memcmp(&x, &y, sizeof x) == 0,
              "%s: dn_sched_init left uninitialized bytes", g->name);
    }
}

/* Non-finite losses fed to PLATEAU are bad epochs and never the best;
 * torch would make −inf the best, after which nothing improves. */
static void test_nonfinite(void)
{
    dn_sched_conf c;
    dn_sched_defaults(&c, DN_SCHED_PLATEAU);
    c.patience = 2;
    c.factor = 0.5;
    dn_sched s;
    dn_sched_init(&s, &c, 0.1, 0, NULL);
    dn_sched_step(&s, 1.0);
    CHECK(s.best == 1.0 && s.bad == 0, "best %g, bad %d", s.best, s.bad);
    dn_sched_step(&s, -INFINITY);
    CHECK(s.best == 1.0 && s.bad == 1, "after -inf: best %g, bad %d", s.best,
          s.bad);
    dn_sched_step(&s, NAN);
    CHECK(s.best == 1.0 && s.bad == 2, "after NaN: best %g, bad %d", s.best,
          s.bad);
    dn_sched_step(&s, 0.5);   /* still an improvement on 1.0 */
    CHECK(s.best == 0.5 && s.bad == 0 && s.eta == 0.1,
          "after 0.5: best %g, bad %d, eta %g", s.best, s.bad, s.eta);
    for (int i = 0; i < 3; i++) dn_sched_step(&s, INFINITY);
    CHECK(s.eta == 0.05 && s.best == 0.5,
          "three +inf epochs with patience 2: eta %g (want one cut to "
          "0.05), best %g", s.eta, s.best);

    /* A run of nothing but NaN: cut every patience + 1 epochs down to
     * eta_min, never NaN. */
    c.eta_min = 1e-3;
    dn_sched_init(&s, &c, 0.1, 0, NULL);
    for (int i = 0; i < 100; i++) dn_sched_step(&s, NAN);
    CHECK(s.eta == 1e-3, "100 NaN epochs: eta %g, want eta_min 1e-3", s.eta);

    /* STEP, EXP and COSINE ignore the loss altogether. */
    dn_sched_defaults(&c, DN_SCHED_COSINE);
    dn_sched a, b;
    dn_sched_init(&a, &c, 0.1, 10, NULL);
    dn_sched_init(&b, &c, 0.1, 10, NULL);
    int same = 1;
    for (int i = 0; i < 12; i++) {
        dn_sched_step(&a, i % 2 ? -INFINITY : NAN);
        dn_sched_step(&b, 1.0 / (i + 1));
        same &= a.eta == b.eta;
    }
    CHECK(same, "cosine's rate depends on the loss fed");
}

/* CONSTANT is eta0 exactly, for ever; with a patience of INT_MAX the
 * plateau's bad-epoch count must not overflow. */
static void test_constant_and_limits(void)
{
    dn_sched_conf c;
    dn_sched_defaults(&c, DN_SCHED_CONSTANT);
    dn_sched s;
    dn_sched_init(&s, &c, 0.037, 0, NULL);
    int same = s.eta == 0.037;
    for (int i = 0; i < 1000; i++) {
        dn_sched_step(&s, 1.0);
        same &= s.eta == 0.037;
    }
    CHECK(same && s.epoch == 1000, "constant: eta %g after %d epochs",
          s.eta, s.epoch);

    dn_sched_defaults(&c, DN_SCHED_PLATEAU);
    c.patience = INT_MAX;
    dn_sched_init(&s, &c, 0.1, 0, NULL);
    dn_sched_step(&s, 5.0);      /* the first loss: the best */
    s.bad = INT_MAX - 1;         /* as if after two billion bad epochs */
    for (int i = 0; i < 3; i++) dn_sched_step(&s, 6.0);
    CHECK(s.bad == INT_MAX && s.eta == 0.1 && s.best == 5.0,
          "patience INT_MAX: bad %d, eta %g, best %g", s.bad, s.eta, s.best);
}

int main(void)
{
    RUN(test_goldens);
    RUN(test_onecycle);
    RUN(test_defaults);
    RUN(test_invalid);
    RUN(test_t_max);
    RUN(test_resume);
    RUN(test_nonfinite);
    RUN(test_constant_and_limits);
    return check_done("test_schedule");
}
