/* test_refusals_ckpt.c — checkpoints rewritten by someone else: the CRC
 * fixed up, so only the reader's own checks stand between the file and
 * the run; each must be refused with its exact message. */
#include "refusals.h"
#include <errno.h>
#include <zlib.h>

/* ---- checkpoints rewritten by someone else ---- */

static void put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/* Writes b (n bytes) to `name` with its length and CRC made right
 * again, as an attacker (or an older descent) would. */
static void put_refitted(const char *name, const unsigned char *b, size_t n)
{
    unsigned char *c = malloc(n);
    memcpy(c, b, n);
    put64(c + 16, n - 24);
    uint32_t crc = (uint32_t)crc32(0L, c + 24, (uInt)(n - 24));
    for (int i = 0; i < 4; i++) c[12 + i] = (unsigned char)(crc >> (8 * i));
    put(name, c, n);
    free(c);
}

/* b rewritten and read back: the reader must refuse it with `want`. */
static void hostile(const unsigned char *b, size_t n, const char *want,
                    const char *what)
{
    put_refitted("hostile.ckpt", b, n);
    dn_checkpoint_info info;
    err.msg[0] = 0;
    dn_status st = dn_checkpoint_read_info(at("hostile.ckpt"), &info, &err);
    CHECK(st == DN_EFORMAT && strstr(err.msg, want), "%s: status %d, '%s'; "
          "want '%s'", what, (int)st, err.msg, want);
    if (!st) dn_checkpoint_info_free(&info);
}

/* The run whose checkpoints these tests rewrite: 2 epochs of batch 2
 * on rdata's 8 rows, one thread, a checkpoint at `name` every epoch. */
static void ckpt_run_opts(dn_train_opts *o, const char *name)
{
    dn_train_defaults(o);
    o->epochs = 2;
    o->batch = 2;
    o->threads = 1;
    o->eta = 0.01;
    o->checkpoint = at(name);
    o->checkpoint_every = 1;
}

static void checkpoint_refusals(void)
{
    dn_data d = rdata();
    dn_model *m = small_model(DN_TASK_REGRESSION, 1);
    dn_train_opts o;
    ckpt_run_opts(&o, "run.ckpt");
    CHECK(dn_train(m, &d, NULL, &o, NULL, &err) == DN_OK, "%s", err.msg);
    size_t n;
    unsigned char *b = (unsigned char *)check_slurp(at("run.ckpt"), &n);
    CHECK(b && n > 100, "no checkpoint written");
    if (!b) return;
    const size_t P = dn_model_n_params(m), nf = get32(b + 24);
    unsigned char *c = malloc(n + 1);
    memcpy(c, b, n);
    c[8] = 6;
    hostile(c, n, "checkpoint version 6, this descent reads versions 1 to 5",
            "version");
    memcpy(c, b, n);
    c[24]++;
    hostile(c, n, "unexpected field count in the checkpoint", "field count");
    memcpy(c, b, n);
    put64(c + 28, (uint64_t)-1);        /* field 0: the epoch */
    hostile(c, n, "field 0 holds -1, out of range", "epoch -1");
    memcpy(c, b, n);
    put64(c + 28 + 16, (uint64_t)-5);   /* field 2: the steps */
    hostile(c, n, "field 2 is negative", "steps -5");
    memcpy(c, b, n);
    put64(c + 28, 3);                    /* epoch 3, 2 history rows */
    hostile(c, n, "inconsistent counters in the checkpoint (epoch 3, "
            "position 0 of 8 rows, 2 history rows)", "epoch 3");
    /* Each counter the arrays' sizes hang on, out of its range (field
     * numbers as checkpoint.c's fields() lists them: 57 of them). */
    CHECK(nf == 57, "%zu fields: the layout changed, renumber these", nf);
    static const struct { int field; int64_t v; } counters[] = {
        { 45, 2 },             /* has_best: 0 or 1 */
        { 46, 0 },             /* rows */
        { 1, 8 },              /* the position, at the rows' end */
        { 25, 99 },            /* the schedule's kind */
        { 56, 1LL << 40 },     /* the note's length, past the file */
        { 55, 1LL << 40 },     /* the caller's bytes' */
        { 49, 1LL << 40 },     /* the stop message's */
        { 48, 50 },            /* the stop reason */
    };
    for (size_t i = 0; i < sizeof counters / sizeof *counters; i++) {
        memcpy(c, b, n);
        put64(c + 28 + 8 * counters[i].field, (uint64_t)counters[i].v);
        char what[32];
        snprintf(what, sizeof what, "field %d", counters[i].field);
        hostile(c, n, "inconsistent counters in the checkpoint", what);
    }
    /* The schedule's current rate: NaN, or negative. */
    uint64_t bits;
    const double nan_d = NAN, neg = -1;
    memcpy(c, b, n);
    memcpy(&bits, &nan_d, 8);
    put64(c + 28 + 8 * 38, bits);
    hostile(c, n, "the stored learning rate is nan", "rate NaN");
    memcpy(c, b, n);
    memcpy(&bits, &neg, 8);
    put64(c + 28 + 8 * 38, bits);
    hostile(c, n, "the stored learning rate is -1", "rate -1");
    memcpy(c, b, n);
    c[n] = 0;
    hostile(c, n + 1, "the checkpoint's arrays do not add up to its length "
            "(1 bytes unaccounted for)", "a byte more");
    /* theta first, then (SGD: no optimizer state) the row order */
    const size_t theta = 28 + 8 * nf, idx = theta + 4 * P;
    int perm = 1, seen[8] = { 0 };
    for (int i = 0; i < 8; i++) {
        uint32_t r = get32(b + idx + 4 * i);
        perm &= r < 8 && !seen[r]++;
    }
    CHECK(perm, "the row order is not where the layout puts it");
    memcpy(c, b, n);
    memcpy(c + idx + 4, c + idx, 4);
    hostile(c, n, "the stored row order is not a permutation of the 8 rows",
            "row order");
    memcpy(c, b, n);
    const float nan = NAN;
    memcpy(c + theta + 4 * 5, &nan, 4);
    hostile(c, n, "parameter 5 is not finite", "NaN weight");
    /* The history rows follow the row order: 13 doubles each, the epoch
     * first and the evaluations last; each must be a count. */
    const size_t hist = idx + 4 * 8;
    memcpy(c, b, n);
    memcpy(&bits, &neg, 8);
    put64(c + hist, bits);
    hostile(c, n, "history row 1 holds an impossible epoch or step count",
            "epoch -1 in the history");
    const double huge = 1e16;
    memcpy(c, b, n);
    memcpy(&bits, &huge, 8);
    put64(c + hist + 8 * (13 + 12), bits);
    hostile(c, n, "history row 2 holds an impossible epoch or step count",
            "1e16 evaluations");
    free(c);
    free(b);
    err.msg[0] = 0;
    dn_checkpoint_info info;
    CHECK(dn_checkpoint_read_info(at("absent.ckpt"), &info, &err) == DN_EIO
          && strstr(err.msg, "cannot open checkpoint") &&
          strstr(err.msg, strerror(ENOENT)), "a missing file: %s", err.msg);
    CHECK(dn_checkpoint_read_info(dir, &info, &err) == DN_EIO &&
          strstr(err.msg, "is not a regular file"), "a directory: %s", err.msg);

    /* A resume whose schedule differs in any setting, or in the base
     * rate, is refused: each field of the stored schedule counts, even
     * those the kind does not read (dn_sched_init stores them all). */
    {
        dn_train_opts r = o;
        r.resume = at("run.ckpt");
        r.checkpoint = at("other.ckpt");
        r.epochs = 4;
        for (int f = 0; f < 15; f++) {
            dn_sched_conf *c = &r.sched;
            r.sched = o.sched;
            r.eta = o.eta;
            switch (f) {
            case 0: c->step_size += 1; break;
            case 1: c->gamma = 0.5; break;
            case 2: c->t_max = 5; break;
            case 3: c->eta_min = 0.001; break;
            case 4: c->factor = 0.5; break;
            case 5: c->patience = 3; break;
            case 6: c->threshold = 0.01; break;
            case 7: c->threshold_abs = 1; break;
            case 8: c->cooldown = 1; break;
            case 9: c->warmup = 1; break;
            case 10: c->pct_start = 0.4; break;
            case 11: c->div_factor = 10; break;
            case 12: c->final_div_factor = 100; break;
            case 13: r.eta = 0.02; break;
            default: c->kind = DN_SCHED_EXP; c->gamma = 0.9; break;
            }
            err.msg[0] = 0;
            dn_status st = dn_train(m, &d, NULL, &r, NULL, &err);
            CHECK(st == DN_EARG && strstr(err.msg, "was written with another "
                  "learning-rate schedule or rate") && strstr(err.msg,
                  f == 13 ? "eta 0.01; this run: constant, eta 0.02" :
                  f == 14 ? "this run: exp" : "resume with the same options"),
                  "schedule field %d: status %d, %s", f, (int)st, err.msg);
        }
    }

    /* A resume with another network or another kind of run is refused. */
    dn_arch a = *dn_model_arch(m);
    a.layer[0].units = 4;
    dn_model *w;
    CHECK(dn_model_new(&a, &w, &err) == DN_OK, "%s", err.msg);
    o.resume = at("run.ckpt");
    o.epochs = 4;
    char want[200];
    snprintf(want, sizeof want, "was written for %zu parameters, 8 training "
             "rows and 0 optimizer values; this run has %zu, 8 and 0", P,
             dn_model_n_params(w));
    REFUSE(dn_train(w, &d, NULL, &o, NULL, &err), DN_EARG, want);
    dn_model_free(w);
    /* Early stopping holds best weights the checkpoint does not have. */
    o.patience = 3;
    REFUSE(dn_train(m, &d, NULL, &o, NULL, &err), DN_EARG, "and 0 "
           "optimizer values; this run has");
    CHECK(strstr(err.msg, "and 0 with early stopping"), "%s", err.msg);
    o.patience = 0;
    /* (a solver keeps a zeroed schedule, rate 0: so must the first-order
     * run, or the schedules differ first) */
    o.resume = NULL;
    o.eta = 0;
    memset(&o.sched, 0, sizeof o.sched);
    o.epochs = 2;
    o.checkpoint = at("zero.ckpt");
    CHECK(dn_train(m, &d, NULL, &o, NULL, &err) == DN_OK, "%s", err.msg);
    o.resume = at("zero.ckpt");
    o.epochs = 4;
    dn_solver_conf sc;
    dn_solver_defaults(&sc, DN_SOLVER_LBFGS);
    /* (a solver takes the mini-batch settings at their defaults) */
    dn_train_opts fo;
    dn_train_defaults(&fo);
    fo.epochs = o.epochs;
    fo.checkpoint = o.checkpoint;
    fo.checkpoint_every = o.checkpoint_every;
    fo.resume = o.resume;
    REFUSE(dn_train_full(m, &d, NULL, &sc, &fo, NULL, &err), DN_EARG,
           "holds the state of a first-order run (0 values; this run has");
    o.resume = fo.resume = NULL;
    o.epochs = fo.epochs = 3;
    o.checkpoint = fo.checkpoint = at("solver.ckpt");
    CHECK(dn_train_full(m, &d, NULL, &sc, &fo, NULL, &err) == DN_OK, "%s", err.msg);
    o.checkpoint = at("run2.ckpt");
    o.resume = at("solver.ckpt");
    REFUSE(dn_train(m, &d, NULL, &o, NULL, &err), DN_EARG,
           "holds the state of a full-batch solver (");
    b = (unsigned char *)check_slurp(at("solver.ckpt"), &n);
    if (b) {
        memset(b + n - 8, 0xff, 8);   /* the last solver value: a NaN */
        hostile(b, n, "solver value", "NaN solver state");
        CHECK(strstr(err.msg, "is not finite"), "%s", err.msg);
    }
    free(b);
    dn_model_free(m);
}

/* The schedule's floor eta_min fills two slots (fields 29 and 35), those
 * of the cosine and plateau floors that were two settings before: a
 * file from then, with the floor in the second slot only, resumes a run
 * with that floor, and a floor that differs from the run's is refused. */
static void checkpoint_floor_slots(void)
{
    dn_data d = rdata();
    dn_model *m = small_model(DN_TASK_REGRESSION, 1);
    dn_train_opts o;
    ckpt_run_opts(&o, "floor.ckpt");
    dn_sched_defaults(&o.sched, DN_SCHED_PLATEAU);
    o.sched.eta_min = 0.004;
    CHECK(dn_train(m, &d, NULL, &o, NULL, &err) == DN_OK, "%s", err.msg);
    size_t n;
    unsigned char *b = (unsigned char *)check_slurp(at("floor.ckpt"), &n);
    CHECK(b && n > 28 + 8 * 36, "no checkpoint written");
    if (!b) { dn_model_free(m); return; }
    double slot[2];
    memcpy(&slot[0], b + 28 + 8 * 29, 8);
    memcpy(&slot[1], b + 28 + 8 * 35, 8);
    CHECK(slot[0] == 0.004 && slot[1] == 0.004, "the floor's slots hold %g "
          "and %g, want 0.004 twice", slot[0], slot[1]);
    const double zero = 0, other = 0.005;
    memcpy(b + 28 + 8 * 29, &zero, 8);            /* the older layout */
    put_refitted("floor_old.ckpt", b, n);
    o.checkpoint = at("floor2.ckpt");
    o.resume = at("floor_old.ckpt");
    o.epochs = 3;
    err.msg[0] = 0;
    CHECK(dn_train(m, &d, NULL, &o, NULL, &err) == DN_OK, "an older file's "
          "plateau floor in the second slot: %s", err.msg);
    memcpy(b + 28 + 8 * 35, &other, 8);           /* another floor */
    put_refitted("floor_old.ckpt", b, n);
    REFUSE(dn_train(m, &d, NULL, &o, NULL, &err), DN_EARG, "was written "
           "with another learning-rate schedule or rate");
    free(b);
    dn_model_free(m);
}

/* dn_train_opts.keep: the caller's bytes, asked for at each checkpoint
 * (the count here: 2 epochs, 2 checkpoints), come back whole from
 * dn_checkpoint_read_info, and a resume takes no notice of them; a keep
 * that fails fails the run with its message; a version 4 file (no
 * keep_len field, no bytes) still reads, with none. */
static int keeps;
static dn_status keep_bytes(void *user, const void **bytes, size_t *len,
                            dn_error *e)
{
    (void)e;
    keeps++;
    *bytes = user;
    *len = strlen(user);
    return DN_OK;
}

static dn_status keep_fails(void *user, const void **bytes, size_t *len,
                            dn_error *e)
{
    (void)user; (void)bytes; (void)len;
    snprintf(e->msg, sizeof e->msg, "no frames today");
    e->code = DN_ENOMEM;
    return DN_ENOMEM;
}

static void checkpoint_keep(void)
{
    dn_data d = rdata();
    dn_model *m = small_model(DN_TASK_REGRESSION, 1);
    dn_train_opts o;
    ckpt_run_opts(&o, "keep.ckpt");
    o.keep = keep_bytes;
    o.user = "the caller's own state";
    keeps = 0;
    CHECK(dn_train(m, &d, NULL, &o, NULL, &err) == DN_OK, "%s", err.msg);
    CHECK(keeps == 2, "asked %d times for 2 checkpoints", keeps);
    dn_checkpoint_info info;
    CHECK(dn_checkpoint_read_info(at("keep.ckpt"), &info, &err) == DN_OK &&
          info.keep_len == 22 && !memcmp(info.keep, "the caller's own state", 22),
          "%s: %zu bytes back", err.msg, info.keep_len);
    dn_checkpoint_info_free(&info);
    CHECK(!info.keep && !info.keep_len, "freed, still set");
    dn_train_opts r = o;
    r.resume = at("keep.ckpt");
    r.checkpoint = at("keep2.ckpt");
    r.epochs = 3;
    CHECK(dn_train(m, &d, NULL, &r, NULL, &err) == DN_OK, "resumed: %s", err.msg);
    o.keep = keep_fails;
    o.checkpoint = at("keep3.ckpt");
    REFUSE(dn_train(m, &d, NULL, &o, NULL, &err), DN_ENOMEM, "no frames today");
    /* version 4: field 55 (keep_len) out, the bytes off the end */
    size_t n;
    unsigned char *b = (unsigned char *)check_slurp(at("keep.ckpt"), &n);
    if (b) {
        const size_t at55 = 28 + 8 * 55;
        memmove(b + at55, b + at55 + 8, n - at55 - 8);
        n -= 8 + 22;
        b[8] = 4;
        b[24] = 56;
        put_refitted("keep4.ckpt", b, n);
        CHECK(dn_checkpoint_read_info(at("keep4.ckpt"), &info, &err) == DN_OK &&
              !info.keep && !info.keep_len && info.epoch == 2 &&
              info.rows == 8, "version 4: %s", err.msg);
        dn_checkpoint_info_free(&info);
        r.resume = at("keep4.ckpt");
        CHECK(dn_train(m, &d, NULL, &r, NULL, &err) == DN_OK,
              "version 4 resumed: %s", err.msg);
    }
    free(b);
    dn_model_free(m);
}

CHECK_MAIN("test_refusals_ckpt", dir,
           CHECK_CASE(checkpoint_refusals), CHECK_CASE(checkpoint_floor_slots),
           CHECK_CASE(checkpoint_keep))
