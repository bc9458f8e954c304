/* test_refusals.c — the library's refusals, each with its exact message:
 * architectures, training and solver options, data that does not fit a
 * model, scalings, metadata, the atomic writer's targets, TensorBoard
 * directories, landscapes; checkpoints rewritten by someone else (the
 * CRC fixed up, so only the reader's own checks stand between the file
 * and the run); and the training loop's and the solvers' rarer stops
 * (an interrupt mid-epoch, weights that overflow, a checkpoint that
 * cannot be written, evaluation budgets, starts at a minimum). */
#include "check.h"
#include "descent.h"
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <zlib.h>

static char dir[64];

static const char *at(const char *name) { return check_path(dir, name); }
static void put(const char *name, const void *p, size_t n)
{
    check_write(dir, name, p, n);
}

static dn_error err;

/* The call must fail with status `code` and a message holding `want`. */
#define REFUSE(call, code, want) do { \
    err.msg[0] = 0; \
    dn_status s_ = (call); \
    CHECK(s_ == (code) && strstr(err.msg, (want)), "%s: status %d, '%s'; " \
          "want %d and '%s'", #call, (int)s_, err.msg, (int)(code), (want)); \
} while (0)


/* ---- architectures, tasks, scalings, metadata ---- */

static void arch_refusals(void)
{
    dn_arch a;
    memset(&a, 0, sizeof a);
    a.n_in = 2;
    a.n_layers = 1;
    a.layer[0] = (dn_layer){ .units = 1, .act = DN_ACT_IDENTITY };
    a.loss = DN_LOSS_MSE;
    CHECK(dn_arch_check(&a, &err) == DN_OK, "%s", err.msg);
    dn_arch b = a;
    b.n_in = 0;
    REFUSE(dn_arch_check(&b, &err), DN_EARG, "input width 0 is out of range (1..");
    b = a; b.n_layers = 0;
    REFUSE(dn_arch_check(&b, &err), DN_EARG, "0 layers: a network needs 1 to 64");
    b = a; b.loss = (dn_loss)7;
    REFUSE(dn_arch_check(&b, &err), DN_EARG, "unknown loss 7");
    b = a; b.layer[0].units = 0;
    REFUSE(dn_arch_check(&b, &err), DN_EARG, "layer 1: width 0 is out of range");
    b = a; b.layer[0].act = (dn_act)40;
    REFUSE(dn_arch_check(&b, &err), DN_EARG, "layer 1: unknown activation 40");
    b = a; b.layer[0].alpha = NAN;
    REFUSE(dn_arch_check(&b, &err), DN_EARG, "layer 1: slope alpha is not a finite");
    b = a; b.n_in = 1000000; b.n_layers = 2;
    b.layer[0] = (dn_layer){ .units = 1000000, .act = DN_ACT_RELU };
    b.layer[1] = (dn_layer){ .units = 1, .act = DN_ACT_IDENTITY };
    REFUSE(dn_arch_check(&b, &err), DN_EARG, "1000002000001 parameters exceed the limit");
    b = a; b.loss = DN_LOSS_BCE;
    REFUSE(dn_arch_check(&b, &err), DN_EARG, "loss bce needs a sigmoid output (it "
           "reads the output as P(class 1)), not identity");
    b = a; b.loss = DN_LOSS_CE; b.layer[0].act = DN_ACT_SOFTMAX;
    REFUSE(dn_arch_check(&b, &err), DN_EARG, "softmax over one unit is always 1");
    b = a; b.n_layers = DN_MAX_LAYERS;
    REFUSE(dn_arch_set_task(&b, DN_TASK_BINARY, 1, &err), DN_EARG,
           "no room for the output layer: at most 64 layers");
    b = a; b.n_layers = 0;
    REFUSE(dn_arch_set_task(&b, (dn_task)9, 1, &err), DN_EARG, "unknown task 9");
    CHECK(b.n_layers == 0, "a refused task added a layer");
}

/* A model 2 → 3 (PReLU) → out. */
static dn_model *small_model(dn_task task, int n_out)
{
    dn_arch a;
    memset(&a, 0, sizeof a);
    a.n_in = 2;
    a.n_layers = 1;
    a.layer[0] = (dn_layer){ .units = 3, .act = DN_ACT_PRELU };
    dn_model *m = NULL;
    if (dn_arch_set_task(&a, task, n_out, &err) || dn_model_new(&a, &m, &err)) {
        fprintf(stderr, "small_model: %s\n", err.msg);
        exit(2);
    }
    dn_model_init(m, DN_INIT_DEFAULT, 0, 5);
    return m;
}

static void model_refusals(void)
{
    dn_model *m = small_model(DN_TASK_REGRESSION, 1);
    /* W1 [3, 2], b1 [3], slopes [3], W2 [1, 3], b2 [1] */
    CHECK(dn_model_offset_b(m, 0) == 6 && dn_model_offset_slope(m, 0) == 9 &&
          dn_model_offset_W(m, 1) == 12 && dn_model_offset_b(m, 1) == 15 &&
          dn_model_offset_slope(m, 1) == -1, "offsets %zu %ld %zu %zu %ld",
          dn_model_offset_b(m, 0), dn_model_offset_slope(m, 0),
          dn_model_offset_W(m, 1), dn_model_offset_b(m, 1),
          dn_model_offset_slope(m, 1));
    const float mean[2] = { 1, NAN }, sd[2] = { 1, 1 };
    REFUSE(dn_model_set_scaling(m, mean, sd, &err), DN_EARG,
           "input 2: scaling mean or std is not finite");
    CHECK(dn_model_mean(m) == NULL, "a refused scaling was kept");
    const float tm[1] = { INFINITY }, ts[1] = { 1 };
    REFUSE(dn_model_set_target_scaling(m, tm, ts, &err), DN_EARG,
           "output 1: target mean or std is not finite");
    CHECK(dn_model_target_mean(m) == NULL, "a refused target scaling was kept");
    float X[6] = { 1, 2, 3, 4, 5, 6 }, Y[3] = { 1, 2, 3 };
    dn_data d = dn_data_view(3, 3, 1, X, Y);   /* 3 inputs, not 2 */
    REFUSE(dn_model_fit_scaling(m, &d, &err), DN_EARG, "cannot fit the input "
           "scaling: the data has 3 inputs and 3 rows, the model expects 2");
    d.d = 2; d.k = 2; d.n = 1;
    REFUSE(dn_model_fit_target_scaling(m, &d, &err), DN_EARG, "cannot fit the "
           "target scaling: the data has 2 targets, the model has 1 outputs");
    REFUSE(dn_model_meta_set(m, "", "v", &err), DN_EARG,
           "metadata needs a non-empty key and a value");
    REFUSE(dn_model_meta_set(m, "k", NULL, &err), DN_EARG, "metadata needs");
    dn_model_free(m);
    m = small_model(DN_TASK_MULTICLASS, 3);
    d.k = 1;
    REFUSE(dn_model_fit_target_scaling(m, &d, &err), DN_EARG,
           "target scaling is for regression (MSE) only");
    REFUSE(dn_model_set_target_scaling(m, tm, ts, &err), DN_EARG,
           "target scaling is for regression (MSE) only; class targets are not");
    dn_model_free(m);
}

/* ---- data that does not fit, training options ---- */

static void data_refusals(void)
{
    dn_model *m = small_model(DN_TASK_MULTICLASS, 3);
    float X[4] = { 0, 1, 2, 3 }, Y[2] = { 0, 2 };
    dn_data d = dn_data_view(2, 2, 1, X, Y);
    dn_metrics mt;
    CHECK(dn_evaluate(m, &d, &mt, &err) == DN_OK && mt.n == 2, "%s", err.msg);
    dn_data e = d; e.n = 0;
    REFUSE(dn_evaluate(m, &e, &mt, &err), DN_EARG, "the evaluation data has no rows");
    e = d; e.X = NULL;
    REFUSE(dn_evaluate(m, &e, &mt, &err), DN_EARG,
           "data has no inputs (X is NULL)");
    e = d; e.d = 5;
    REFUSE(dn_evaluate(m, &e, &mt, &err), DN_EARG,
           "data has 5 inputs but the network takes 2");
    e = d; e.Y = NULL;
    REFUSE(dn_evaluate(m, &e, &mt, &err), DN_EARG, "data has no target column");
    e = d; e.k = 2; e.n = 1;
    REFUSE(dn_evaluate(m, &e, &mt, &err), DN_EARG,
           "data has 2 target columns but the ce output needs 1");
    float bad[2] = { 0, NAN };
    e = d; e.Y = bad;
    REFUSE(dn_evaluate(m, &e, &mt, &err), DN_EARG, "row 2 has a non-finite target");
    float cls[2] = { 3, 0 };
    e = d; e.Y = cls;
    REFUSE(dn_evaluate(m, &e, &mt, &err), DN_EARG,
           "row 1 has class 3 but the output has 3 classes (0..2)");
    dn_model_free(m);
    m = small_model(DN_TASK_BINARY, 1);
    float two[2] = { 1, 2 };
    e = d; e.Y = two;
    REFUSE(dn_evaluate(m, &e, &mt, &err), DN_EARG, "row 2 has target 2; binary "
           "cross-entropy needs targets in [0, 1]");

    /* every option dn_train checks, before anything is touched */
    float y01[2] = { 0, 1 };
    d.Y = y01;
    const float w0 = dn_model_params(m)[0];
    struct { int field; double v; const char *want; } cases[] = {
        { 0, -1, "epochs must be 0 or more, got -1" },
        { 1, -2, "batch size must be 1 or more (0 for the whole set), got -2" },
        { 2, NAN, "learning rate must be a finite number" },
        { 3, -1, "L2 strength lambda must be ≥ 0, got -1" },
        { 4, INFINITY, "gradient clip norm must be ≥ 0 (0 = off), got inf" },
        { 5, -1, "convergence needs tol ≥ 0 and tol_epochs ≥ 1, got -1 and 3" },
        { 6, 0, "convergence needs tol ≥ 0 and tol_epochs ≥ 1, got 0 and 0" },
        { 7, -1, "early stopping needs patience ≥ 0 and min_delta ≥ 0, got -1" },
        { 8, 5, "unknown monitor 5" },
        { 9, 0.5, "layer 3: dropout applies to hidden layers only (the network has 1)" },
        { 10, 1, "layer 1: dropout rate 1 must be in [0, 1)" },
        { 11, -1, "checkpoint intervals must be ≥ 0" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dn_train_opts o;
        dn_train_defaults(&o);
        o.epochs = 2;
        switch (cases[i].field) {
        case 0: o.epochs = (int)cases[i].v; break;
        case 1: o.batch = (int)cases[i].v; break;
        case 2: o.eta = cases[i].v; break;
        case 3: o.l2 = cases[i].v; break;
        case 4: o.clip = cases[i].v; break;
        case 5: o.tol = cases[i].v; break;
        case 6: o.tol_epochs = 0; break;
        case 7: o.patience = (int)cases[i].v; break;
        case 8: o.monitor = (dn_monitor)cases[i].v; break;
        case 9: o.dropout[2] = (float)cases[i].v; break;
        case 10: o.dropout[0] = (float)cases[i].v; break;
        case 11: o.checkpoint_every = -1; break;
        }
        REFUSE(dn_train(m, &d, NULL, &o, NULL, &err), DN_EARG, cases[i].want);
    }
    CHECK(dn_model_params(m)[0] == w0, "a refused run changed the weights");
    dn_model_free(m);
    m = small_model(DN_TASK_REGRESSION, 1);
    dn_train_opts o;
    dn_train_defaults(&o);
    o.monitor = DN_MONITOR_VAL_ACC;
    REFUSE(dn_train(m, &d, NULL, &o, NULL, &err), DN_EARG,
           "accuracy cannot be monitored for regression");
    dn_solver_conf c;
    dn_solver_defaults(&c, DN_SOLVER_LBFGS);
    c.kind = (dn_solver_kind)9;
    dn_train_defaults(&o);
    REFUSE(dn_train_full(m, &d, NULL, &c, &o, NULL, &err), DN_EARG,
           "solver kind 9 is unknown; use one of lbfgs, cg, lm, newton");
    dn_model_free(m);
}

/* ---- the solvers' settings and problems ---- */

static double quad(const double *x, double *g, void *u)
{
    (void)u;
    if (g) { g[0] = 2 * (x[0] - 1); g[1] = 8 * (x[1] + 2); }
    return (x[0] - 1) * (x[0] - 1) + 4 * (x[1] + 2) * (x[1] + 2);
}

static int quad_resid(const double *x, int i, double *e, double *J, void *u)
{
    (void)u;
    e[0] = i ? 2 * (x[1] + 2) : x[0] - 1;
    if (J) { J[0] = i ? 0 : 1; J[1] = i ? 2 : 0; }
    return 0;
}

static void solver_refusals(void)
{
    const dn_problem p = { .n = 2, .fg = quad, .resid = quad_resid,
                           .n_samples = 2, .n_resid = 1 };
    double x[2] = { 4, 4 };
    struct { dn_solver_kind k; int field; double v; const char *want; } cases[] = {
        { DN_SOLVER_LBFGS, 0, -1, "solver lbfgs: max_iter = -1 is out of range; use 0 or more" },
        { DN_SOLVER_LBFGS, 1, -1, "max_evals = -1 is out of range; use 0 (no budget)" },
        { DN_SOLVER_CG, 2, NAN, "solver cg: gtol = nan is out of range" },
        { DN_SOLVER_LBFGS, 3, 1, "ftol = 1 is out of range; use 0 <= ftol < 1" },
        { DN_SOLVER_NEWTON, 4, 0, "solver newton: c1 = 0 is out of range; use 0 < c1 < c2 < 1" },
        { DN_SOLVER_LBFGS, 5, 1, "c2 = 1 is out of range" },
        { DN_SOLVER_LBFGS, 6, 1, "ls_max = 1 is out of range; use 2 to 1000" },
        { DN_SOLVER_LBFGS, 7, 0, "history = 0 is out of range; use 1 to 1000 pairs" },
        { DN_SOLVER_CG, 8, 5, "cg_beta = 5 is out of range; use pr+ or fr" },
        { DN_SOLVER_CG, 9, -1, "restart = -1 is out of range" },
        { DN_SOLVER_LM, 10, 0, "solver lm: mu = 0 is out of range; use a finite mu > 0" },
        { DN_SOLVER_LM, 11, 1, "mu_dec = 1 is out of range" },
        { DN_SOLVER_LM, 12, 1, "mu_inc = 1 is out of range" },
        { DN_SOLVER_LM, 13, 1e-9, "mu_max = 1e-09 is out of range; use a finite mu_max >= mu" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dn_solver_conf c;
        dn_solver_defaults(&c, cases[i].k);
        double v = cases[i].v;
        switch (cases[i].field) {
        case 0: c.max_iter = (int)v; break;
        case 1: c.max_evals = (long)v; break;
        case 2: c.gtol = v; break;
        case 3: c.ftol = v; break;
        case 4: c.c1 = v; break;
        case 5: c.c2 = v; break;
        case 6: c.ls_max = (int)v; break;
        case 7: c.history = (int)v; break;
        case 8: c.cg_beta = (dn_cg_beta)(int)v; break;
        case 9: c.restart = (int)v; break;
        case 10: c.mu = v; break;
        case 11: c.mu_dec = v; break;
        case 12: c.mu_inc = v; break;
        case 13: c.mu_max = v; break;
        }
        REFUSE(dn_minimize(&p, &c, x, NULL, NULL, NULL, &err), DN_EARG, cases[i].want);
    }
    dn_solver_conf c;
    dn_solver_defaults(&c, DN_SOLVER_LBFGS);
    c.kind = (dn_solver_kind)7;
    REFUSE(dn_minimize(&p, &c, x, NULL, NULL, NULL, &err), DN_EARG,
           "solver kind 7 is unknown");
    dn_solver_defaults(&c, DN_SOLVER_LBFGS);
    dn_problem q = p;
    q.n = 0;
    REFUSE(dn_minimize(&q, &c, x, NULL, NULL, NULL, &err), DN_EARG,
           "solver lbfgs: the problem has no unknowns (n = 0)");
    q = p; q.precision = 1;
    REFUSE(dn_minimize(&q, &c, x, NULL, NULL, NULL, &err), DN_EARG,
           "problem.precision = 1 must be in [0, 1)");
    dn_solver_defaults(&c, DN_SOLVER_LM);
    q = p; q.scale = -1;
    REFUSE(dn_minimize(&q, &c, x, NULL, NULL, NULL, &err), DN_EARG,
           "solver lm: problem.scale = -1 must be finite and ≥ 0");
    const double ridge[2] = { 0, -0.5 };
    q = p; q.ridge = ridge;
    REFUSE(dn_minimize(&q, &c, x, NULL, NULL, NULL, &err), DN_EARG,
           "solver lm: problem.ridge[1] = -0.5 must be finite and ≥ 0");
    q = p; q.n = ((size_t)1 << 30) + 1;
    REFUSE(dn_minimize(&q, &c, x, NULL, NULL, NULL, &err), DN_EARG,
           "solver lm: 1073741825 unknowns would need an n × n matrix of");
    CHECK(x[0] == 4 && x[1] == 4, "a refused problem moved x to (%g, %g)",
          x[0], x[1]);

    /* an optimizer whose state could not be addressed */
    dn_opt_conf ac;
    dn_opt_defaults(&ac, DN_OPT_ADAM);
    dn_opt *op = (dn_opt *)1;
    REFUSE(dn_opt_new(&ac, SIZE_MAX / 4, NULL, &op, &err), DN_EARG,
           "optimizer adam: 4611686018427387903 parameters is more than "
           "memory can address");
    CHECK(op == NULL, "a refused optimizer left *out set");

    /* landscapes: a step count out of range, for both kinds of path */
    float path[8];
    int n = -1;
    dn_opt_conf oc;
    dn_opt_defaults(&oc, DN_OPT_SGD);
    const double s0[2] = { 0, 0 };
    REFUSE(dn_land_descend(DN_LAND_BOWL, &oc, 0.1, s0, -1, path, &n, &err),
           DN_EARG, "steps must be from 0 to 10000000, got -1");
    dn_solver_defaults(&c, DN_SOLVER_LBFGS);
    REFUSE(dn_land_solve(DN_LAND_BOWL, &c, s0, 10000001, path, &n, NULL, &err),
           DN_EARG, "steps must be from 0 to 10000000, got 10000001");
    CHECK(n == 0, "a refused path has %d points", n);
}

/* ---- the atomic writer ---- */

static int fill_text(FILE *f, void *arg)
{
    return fputs(arg, f) < 0 ? -1 : 0;
}

/* A fill that abandons its own temporary file, as the second Ctrl-C's
 * handler does: the write fails and the target is untouched. */
static int fill_abandon(FILE *f, void *arg)
{
    (void)arg;
    fputs("half", f);
    dn_atomic_abandon();
    return 0;
}

static void atomic_refusals(void)
{
    put("keep.txt", "old\n", 4);
    CHECK(dn_atomic_write(at("keep.txt"), "note", fill_abandon, NULL, &err) ==
          DN_EIO && strstr(err.msg, "cannot write the note to '") &&
          strstr(err.msg, "(the old file, if any, is unchanged)"), "%s", err.msg);
    char *k = check_slurp(at("keep.txt"), NULL);
    CHECK(k && !strcmp(k, "old\n"), "the target holds '%s'", k ? k : "(none)");
    free(k);
    dn_atomic_abandon();   /* nothing in flight: nothing happens */
    CHECK(access(at("keep.txt"), F_OK) == 0, "abandon removed the target");

    REFUSE(dn_atomic_check("", "model", &err), DN_EARG,
           "no file name given for the model");
    REFUSE(dn_atomic_write(NULL, "model", fill_text, "x", &err), DN_EARG,
           "no file name given for the model");
    CHECK(symlink("nowhere/at/all", at("dangling")) == 0, "symlink: %s",
          strerror(errno));
    REFUSE(dn_atomic_check(at("dangling"), "model", &err), DN_EIO,
           "it is a symbolic link to a file that cannot be reached (No such "
           "file or directory); fix or remove the link");
    REFUSE(dn_atomic_check(at("keep.txt/m.st"), "model", &err), DN_EIO,
           "keep.txt/m.st': Not a directory");
    char name[300];
    memset(name, 'n', 256);
    name[256] = 0;
    REFUSE(dn_atomic_check(at(name), "history", &err), DN_EIO,
           "File name too long");
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", at("sock"));
    CHECK(s >= 0 && bind(s, (struct sockaddr *)&sa, sizeof sa) == 0,
          "socket: %s", strerror(errno));
    REFUSE(dn_atomic_check(at("sock"), "plot", &err), DN_EIO,
           "it is not a regular file (a block device or a socket)");
    if (s >= 0) close(s);
    /* A link to a file is followed: the file is replaced, the link kept. */
    CHECK(symlink("keep.txt", at("link")) == 0, "symlink: %s", strerror(errno));
    CHECK(dn_atomic_write(at("link"), "note", fill_text, "new\n", &err) == DN_OK,
          "%s", err.msg);
    struct stat sb;
    k = check_slurp(at("keep.txt"), NULL);
    CHECK(k && !strcmp(k, "new\n") && lstat(at("link"), &sb) == 0 &&
          S_ISLNK(sb.st_mode), "through a link: '%s'", k ? k : "(none)");
    free(k);
}

/* ---- TensorBoard directories ---- */

static void tensorboard_refusals(void)
{
    dn_events *ev = (dn_events *)1;
    REFUSE(dn_events_open("", &ev, &err), DN_EARG,
           "no directory given for the TensorBoard event file");
    CHECK(ev == NULL, "a refused open left *out set");
    dn_tboard *tb = (dn_tboard *)1;
    REFUSE(dn_tboard_open(NULL, &tb, &err), DN_EARG,
           "no TensorBoard log directory given");
    CHECK(tb == NULL, "a refused open left *out set");
    /* /proc exists and takes no new file, even from root */
    REFUSE(dn_events_open("/proc", &ev, &err), DN_EIO,
           "cannot create the TensorBoard event file '/proc/events.out.tfevents.");
    REFUSE(dn_tboard_open(at("keep.txt"), &tb, &err), DN_EIO,
           "cannot create the TensorBoard directory '");
}


/* ---- checkpoints rewritten by someone else ---- */

/* 8 rows of y = x1 - 2 x2 */
static float RX[16], RY[8];
static dn_data rdata(void)
{
    for (int i = 0; i < 8; i++) {
        RX[2 * i] = (float)(i % 3);
        RX[2 * i + 1] = (float)(i % 4) * 0.5f;
        RY[i] = RX[2 * i] - 2 * RX[2 * i + 1];
    }
    return dn_data_view(8, 2, 1, RX, RY);
}

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
    c[8] = 5;
    hostile(c, n, "checkpoint version 5, this descent reads versions 1 to 4",
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
     * numbers as checkpoint.c's fields() lists them: 56 of them). */
    CHECK(nf == 56, "%zu fields: the layout changed, renumber these", nf);
    static const struct { int field; int64_t v; } counters[] = {
        { 45, 2 },             /* has_best: 0 or 1 */
        { 46, 0 },             /* rows */
        { 1, 8 },              /* the position, at the rows' end */
        { 25, 99 },            /* the schedule's kind */
        { 55, 1LL << 40 },     /* the note's length, past the file */
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

/* ---- the solvers' rarer stops ---- */

static int nan_resid(const double *x, int i, double *e, double *J, void *u)
{
    (void)x; (void)i; (void)u;
    e[0] = NAN;
    if (J) J[0] = J[1] = 0;
    return 0;
}

static double nan_fg(const double *x, double *g, void *u)
{
    (void)x; (void)u;
    if (g) g[0] = g[1] = 0;
    return NAN;
}

static double rosen(const double *x, double *g, void *u)
{
    (void)u;
    double a = 1 - x[0], b = x[1] - x[0] * x[0];
    if (g) { g[0] = -2 * a - 400 * x[0] * b; g[1] = 200 * b; }
    return a * a + 100 * b * b;
}

static void solver_stops(void)
{
    const dn_problem lm_only = { .n = 2, .resid = quad_resid, .n_samples = 2,
                                 .n_resid = 1 };
    dn_solver_conf c;
    dn_min_result r;
    dn_solver_defaults(&c, DN_SOLVER_LM);
    double x[2] = { 1, -2 };   /* the minimum */
    CHECK(dn_minimize(&lm_only, &c, x, NULL, NULL, &r, &err) == DN_OK &&
          r.reason == DN_STOP_GRADIENT && r.iters == 0 && x[0] == 1,
          "lm at the minimum: %s after %d", dn_stop_name(r.reason), r.iters);
    x[0] = 4; x[1] = 4;
    c.max_iter = 0;
    CHECK(dn_minimize(&lm_only, &c, x, NULL, NULL, &r, &err) == DN_OK &&
          r.reason == DN_STOP_EPOCHS && r.iters == 0 && x[0] == 4,
          "lm, max_iter 0: %s after %d", dn_stop_name(r.reason), r.iters);
    dn_solver_defaults(&c, DN_SOLVER_LM);
    c.max_evals = 1;
    CHECK(dn_minimize(&lm_only, &c, x, NULL, NULL, &r, &err) == DN_OK &&
          r.reason == DN_STOP_EVALS && x[0] == 4 && x[1] == 4,
          "lm, max_evals 1: %s after %d, %ld evals", dn_stop_name(r.reason),
          r.iters, r.evals);
    dn_solver_defaults(&c, DN_SOLVER_LM);
    dn_problem q = lm_only;
    q.resid = nan_resid;
    REFUSE(dn_minimize(&q, &c, x, NULL, NULL, &r, &err), DN_ENUMERIC,
           "solver lm: the residuals or their Jacobian are not finite (or "
           "the callback failed) at iteration 0 (f = nan); start where the "
           "residuals are finite");
    q = lm_only;
    q.fg = nan_fg;
    REFUSE(dn_minimize(&q, &c, x, NULL, NULL, &r, &err), DN_ENUMERIC,
           "solver lm: the objective fg is not finite at the starting point "
           "(f = nan) where the residuals are");
    CHECK(x[0] == 4 && x[1] == 4, "x moved to (%g, %g)", x[0], x[1]);

    /* CG on Rosenbrock with an evaluation budget: stops on it, at a
     * point better than the start */
    const dn_problem ro = { .n = 2, .fg = rosen };
    dn_solver_defaults(&c, DN_SOLVER_CG);
    c.max_evals = 30;
    double y[2] = { -1.2, 1 };
    CHECK(dn_minimize(&ro, &c, y, NULL, NULL, &r, &err) == DN_OK &&
          r.reason == DN_STOP_EVALS && r.evals <= 30 &&
          rosen(y, NULL, NULL) < rosen((double[]){ -1.2, 1 }, NULL, NULL),
          "cg, max_evals 30: %s, %ld evals, f %g", dn_stop_name(r.reason),
          r.evals, rosen(y, NULL, NULL));
    /* L-BFGS with two evaluations per line search still converges: the
     * backtracking fallback takes over when the Wolfe search runs out */
    dn_solver_defaults(&c, DN_SOLVER_LBFGS);
    c.ls_max = 2;
    c.max_iter = 5000;
    y[0] = -1.2; y[1] = 1;
    CHECK(dn_minimize(&ro, &c, y, NULL, NULL, &r, &err) == DN_OK &&
          fabs(y[0] - 1) < 1e-3 && fabs(y[1] - 1) < 1e-3,
          "lbfgs, ls_max 2: %s at (%g, %g)", dn_stop_name(r.reason), y[0], y[1]);
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

/* ---- data sets, workspaces, histories ---- */

static void data_set_refusals(void)
{
    dn_schema bad = { 0 };
    bad.n_cols = 2;          /* and no columns */
    dn_schema *copy = (dn_schema *)1;
    REFUSE(dn_schema_copy(&bad, &copy, &err), DN_EARG,
           "cannot copy an inconsistent schema (2 columns, 0 classes)");
    CHECK(copy == NULL, "a refused copy left *out set");
    float X[3] = { 1, 2, 3 }, Y[3] = { 0, 1, 5 };
    dn_data d = dn_data_view(3, 1, 1, X, Y);
    REFUSE(dn_data_set_task(&d, (dn_task)9, &err), DN_EARG, "unknown task 9");
    REFUSE(dn_data_set_task(&d, DN_TASK_BINARY, &err), DN_EARG,
           "the data set has no target column to read as binary");
    /* classes named by numbers read back as regression, but only when
     * every row's class is one of them */
    char *names[3] = { "10", "20", "30" };
    dn_schema s = { 0 };
    s.task = DN_TASK_MULTICLASS;
    s.n_classes = 3;
    s.classes = names;
    CHECK(dn_schema_copy(&s, &d.schema, &err) == DN_OK, "%s", err.msg);
    REFUSE(dn_data_set_task(&d, DN_TASK_REGRESSION, &err), DN_EARG,
           "row 3 has class 5, outside 0..2");
    CHECK(Y[0] == 0 && Y[1] == 1, "a refused task changed the targets");
    Y[2] = 2;
    CHECK(dn_data_set_task(&d, DN_TASK_REGRESSION, &err) == DN_OK &&
          Y[0] == 10 && Y[1] == 20 && Y[2] == 30 &&
          d.schema->task == DN_TASK_REGRESSION,
          "%s: %g %g %g", err.msg, Y[0], Y[1], Y[2]);
    dn_schema_free(d.schema);
    d.schema = NULL;

    dn_data *tr = (dn_data *)1, *va = (dn_data *)1;
    d.n = 1;
    REFUSE(dn_data_split(&d, 0.5, 1, &tr, &va, &err), DN_EARG,
           "cannot split a data set of 1 rows: a training and a validation "
           "part need 2 rows or more");
    CHECK(!tr && !va, "a refused split left its outputs set");
    d.n = 2;
    REFUSE(dn_data_split(&d, 0.9, 1, &tr, &va, &err), DN_EARG,
           "validation fraction 0.9 of 2 rows holds out all 2 and leaves the "
           "training part empty");

    dn_model *m = small_model(DN_TASK_REGRESSION, 1);
    dn_ws *ws = (dn_ws *)1;
    REFUSE(dn_ws_new(m, 0, 1, &ws, &err), DN_EARG,
           "batch size 0 is out of range (1..");
    CHECK(ws == NULL, "a refused workspace left *out set");
    CHECK(dn_ws_new(m, 7, 1, &ws, &err) == DN_OK && dn_ws_max_batch(ws) == 7,
          "%s", err.msg);
    dn_ws_free(ws);
    dn_model_free(m);
}

static void history_refusals(void)
{
    dn_history h;
    dn_history_init(&h, "acc,uracy");
    dn_hist_row r = { .epoch = 1, .step = 10, .train_loss = 0.5,
                      .val_loss = NAN, .train_metric = 0.9, .val_metric = NAN,
                      .learning_rate = 0.1, .grad_norm = 2, .seconds = 0.01 };
    CHECK(dn_history_add(&h, &r, &err) == DN_OK, "%s", err.msg);
    REFUSE(dn_history_save(&h, at("h.csv"), &err), DN_EARG, "the metric name "
           "'acc,uracy' would break the CSV header; use letters, digits and '_'");
    CHECK(access(at("h.csv"), F_OK) != 0, "a refused history was written");
    dn_history_free(&h);

    /* "inf" and "-inf" cells are read as themselves */
    const char *inf = "epoch,step,train_loss,val_loss,train_mae,val_mae,"
                      "learning_rate,grad_norm,seconds\n1,4,inf,-inf,1,2,0.1,inf,0\n";
    put("inf.csv", inf, strlen(inf));
    CHECK(dn_history_load(at("inf.csv"), &h, &err) == DN_OK && h.n == 1 &&
          h.row[0].train_loss == INFINITY && h.row[0].val_loss == -INFINITY &&
          h.row[0].grad_norm == INFINITY && !strcmp(h.metric, "mae"),
          "%s", err.msg);
    dn_history_free(&h);
    /* 65 columns */
    char wide[1024] = "epoch,step,train_loss";
    for (int i = 0; i < 62; i++) strcat(wide, ",x");
    strcat(wide, "\n");
    put("wide.csv", wide, strlen(wide));
    REFUSE(dn_history_load(at("wide.csv"), &h, &err), DN_EFORMAT,
           "wide.csv:1: the header has 65 columns; a history has 11");
    /* a line of 5000 characters */
    char *longline = malloc(6000);
    strcpy(longline, "epoch,step,train_loss,val_loss,train_mae,val_mae,"
           "learning_rate,grad_norm,seconds\n1,1,");
    size_t n = strlen(longline);
    memset(longline + n, '1', 5000);
    longline[n + 5000] = '\n';
    put("long.csv", longline, n + 5001);
    free(longline);
    REFUSE(dn_history_load(at("long.csv"), &h, &err), DN_EFORMAT,
           "long.csv:2: line longer than 4094 characters; is this a history CSV?");
    /* a directory opens but does not read */
    REFUSE(dn_history_load(dir, &h, &err), DN_EIO, "cannot read the history '");
    CHECK(strstr(err.msg, "Is a directory"), "%s", err.msg);
}

int main(void)
{
    if (check_tmpdir(dir)) return 2;
    arch_refusals();
    model_refusals();
    data_refusals();
    solver_refusals();
    atomic_refusals();
    tensorboard_refusals();
    checkpoint_refusals();
    checkpoint_floor_slots();
    training_stops();
    solver_stops();
    full_batch_ends();
    data_set_refusals();
    history_refusals();
    check_rmdir(dir);
    return check_done("test_refusals");
}
