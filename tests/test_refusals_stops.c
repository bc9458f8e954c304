/* test_refusals_stops.c — the training loops' rarer stops and ends: an
 * interrupt mid-epoch, weights that overflow, a checkpoint that cannot be
 * written, full-batch training's budgets. */
#include "refusals.h"

/* ---- the training loop's rarer stops ---- */
/* (run_stopper sets what every case shares over the caller's options) */

typedef struct {
    dn_model *m;
    int at_epoch, at_batch;   /* where to act */
    int overflow;             /* 1: a weight becomes inf there; 0: interrupt */
    volatile sig_atomic_t flag;
    float kept[64];           /* the weights after epoch 1 */
} stopper;

static void on_batch(const dn_batch *bt, void *u)
{
    stopper *s = u;
    if (bt->epoch != s->at_epoch || bt->batch != s->at_batch) return;
    if (s->overflow) dn_model_params(s->m)[0] = INFINITY;
    else s->flag = 1;
}

static int on_epoch(const dn_epoch *e, void *u)
{
    stopper *s = u;
    if (e->epoch == 1)
        memcpy(s->kept, dn_model_params(s->m),
               dn_model_n_params(s->m) * sizeof(float));
    return 0;
}

static dn_status run_stopper(stopper *s, dn_train_opts *o, dn_result *r)
{
    dn_data d = rdata();
    s->m = small_model(DN_TASK_REGRESSION, 1);
    s->flag = 0;
    o->epochs = 3;
    o->batch = 2;
    o->threads = 1;
    o->eta = 0.01;
    o->on_batch = on_batch;
    o->on_epoch = on_epoch;
    o->user = s;
    o->interrupt = &s->flag;
    return dn_train(s->m, &d, NULL, o, r, &err);
}

static void training_stops(void)
{
    stopper s = { NULL, 1, 2, 0, 0, { 0 } };
    dn_train_opts o;
    dn_result r;
    /* an interrupt mid-epoch, no checkpoint: stopped after step 2 */
    dn_train_defaults(&o);
    dn_status st = run_stopper(&s, &o, &r);
    CHECK(st == DN_OK && r.reason == DN_STOP_INTERRUPTED && r.steps == 2 &&
          r.epochs == 0, "status %d, reason %s, %ld steps, %d epochs", st,
          dn_stop_name(r.reason), r.steps, r.epochs);
    dn_model_free(s.m);

    /* an interrupt in an epoch's last step: that epoch ends (reported,
     * counted) and the run stops there, not after epoch 3 */
    s = (stopper){ NULL, 1, 4, 0, 0, { 0 } };
    dn_train_defaults(&o);
    st = run_stopper(&s, &o, &r);
    CHECK(st == DN_OK && r.reason == DN_STOP_INTERRUPTED && r.steps == 4 &&
          r.epochs == 1 && !memcmp(s.kept, dn_model_params(s.m),
                                   dn_model_n_params(s.m) * sizeof(float)),
          "status %d, reason %s, %ld steps, %d epochs", st,
          dn_stop_name(r.reason), r.steps, r.epochs);
    dn_model_free(s.m);

    /* the last update of epoch 2 overflows: epoch 1's weights are kept */
    s = (stopper){ NULL, 2, 4, 1, 0, { 0 } };
    dn_train_defaults(&o);
    st = run_stopper(&s, &o, &r);
    CHECK(st == DN_ENUMERIC && r.reason == DN_STOP_NONFINITE &&
          strstr(err.msg, "epoch 2, step 8: the weights became NaN or "
                 "infinite; the weights at the end of epoch 1 (step 4), the "
                 "last known finite, were kept"), "%d: %s", st, err.msg);
    CHECK(!memcmp(s.kept, dn_model_params(s.m), dn_model_n_params(s.m) *
                  sizeof(float)), "the weights are not epoch 1's");
    dn_model_free(s.m);

    /* the same mid-epoch, with a checkpoint due at every step */
    s = (stopper){ NULL, 1, 2, 1, 0, { 0 } };
    dn_train_defaults(&o);
    o.checkpoint = at("steps.ckpt");
    o.checkpoint_steps = 1;
    dn_data d = rdata();
    s.m = small_model(DN_TASK_REGRESSION, 1);
    float start[64];
    memcpy(start, dn_model_params(s.m), dn_model_n_params(s.m) * sizeof(float));
    o.epochs = 3; o.batch = 2; o.threads = 1; o.eta = 0.01;
    o.on_batch = on_batch; o.user = &s;
    st = dn_train(s.m, &d, NULL, &o, &r, &err);
    CHECK(st == DN_ENUMERIC && strstr(err.msg, "epoch 1, step 2: the weights "
          "became NaN or infinite; the starting weights, the last known "
          "finite, were kept"), "%d: %s", st, err.msg);
    CHECK(!memcmp(start, dn_model_params(s.m), dn_model_n_params(s.m) *
                  sizeof(float)), "the weights are not the starting ones");
    dn_model_free(s.m);

    /* a numeric stop whose checkpoint cannot be written says so too */
    s = (stopper){ NULL, 1, 4, 1, 0, { 0 } };
    dn_train_defaults(&o);
    o.checkpoint = at("none/c.ckpt");
    o.checkpoint_steps = 1000;
    st = run_stopper(&s, &o, &r);
    CHECK(st == DN_ENUMERIC && strstr(err.msg, "(and the checkpoint could not "
          "be written: cannot write the checkpoint to '"), "%d: %s", st, err.msg);
    CHECK(access(at("none"), F_OK) != 0, "a directory was made");
    dn_model_free(s.m);
}

/* ---- full-batch training's rarer ends ---- */

static void full_batch_ends(void)
{
    dn_data d = rdata();
    dn_model *m = small_model(DN_TASK_REGRESSION, 1);
    float *w = dn_model_params(m);
    const size_t P = dn_model_n_params(m);
    for (size_t i = 0; i < P; i++) w[i] = 1e30f;
    dn_solver_conf c;
    dn_solver_defaults(&c, DN_SOLVER_LBFGS);
    dn_train_opts o;
    dn_train_defaults(&o);
    o.epochs = 5;
    o.threads = 1;
    o.checkpoint = at("inf.ckpt");
    o.checkpoint_every = 1;
    dn_result r;
    REFUSE(dn_train_full(m, &d, NULL, &c, &o, &r, &err), DN_ENUMERIC,
           "; for a network: re-initialize the weights, or check the data for "
           "extreme values");
    CHECK(r.reason == DN_STOP_NONFINITE && w[0] == 1e30f, "%s, w0 %g",
          dn_stop_name(r.reason), w[0]);
    /* resumed, the stop is the same, with the same message, and nothing
     * is computed */
    char first[sizeof err.msg];
    memcpy(first, err.msg, sizeof first);
    o.resume = at("inf.ckpt");
    CHECK(dn_train_full(m, &d, NULL, &c, &o, &r, &err) == DN_ENUMERIC &&
          !strcmp(err.msg, first) && r.reason == DN_STOP_NONFINITE,
          "resumed: '%s', was '%s'", err.msg, first);
    dn_model_free(m);

    /* a checkpoint that cannot be written ends the run with that error:
     * during the run, or at its end */
    for (int every = 1; every <= 1000; every += 999) {
        m = small_model(DN_TASK_REGRESSION, 1);
        dn_train_defaults(&o);
        o.epochs = 3;
        o.threads = 1;
        o.checkpoint = at("none/full.ckpt");
        o.checkpoint_every = every;
        REFUSE(dn_train_full(m, &d, NULL, &c, &o, &r, &err), DN_EIO,
               "cannot write the checkpoint to '");
        dn_model_free(m);
    }

    /* CG resumed from its checkpoint continues bit for bit */
    dn_solver_defaults(&c, DN_SOLVER_CG);
    dn_model *a = small_model(DN_TASK_REGRESSION, 1);
    dn_model *b = small_model(DN_TASK_REGRESSION, 1);
    dn_train_defaults(&o);
    o.epochs = 6;
    o.threads = 1;
    CHECK(dn_train_full(a, &d, NULL, &c, &o, &r, &err) == DN_OK, "%s", err.msg);
    const int iters = r.epochs;
    o.epochs = 3;
    o.checkpoint = at("cg.ckpt");
    o.checkpoint_every = 1;
    CHECK(dn_train_full(b, &d, NULL, &c, &o, &r, &err) == DN_OK, "%s", err.msg);
    o.epochs = 6;
    o.resume = at("cg.ckpt");
    CHECK(dn_train_full(b, &d, NULL, &c, &o, &r, &err) == DN_OK, "%s", err.msg);
    CHECK(iters == 6 && r.epochs == 6 &&
          !memcmp(dn_model_params(a), dn_model_params(b), P * sizeof(float)),
          "cg resumed: %d and %d iterations, weights %s", iters, r.epochs,
          memcmp(dn_model_params(a), dn_model_params(b), P * sizeof(float))
          ? "differ" : "equal");
    dn_model_free(a);
    dn_model_free(b);
}

CHECK_MAIN("test_refusals_stops", dir,
           CHECK_CASE(training_stops), CHECK_CASE(full_batch_ends))
