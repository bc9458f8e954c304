/* test_api_args.c — every public function that returns a status answers a
 * NULL where it needs a pointer with DN_EARG and a message saying so,
 * never a crash; void functions that update an object do nothing with
 * NULL; and a thread count is capped at DN_MAX_THREADS.  Each call runs in
 * a child process, so that a crash fails its own check instead of ending
 * the test. */
#include "check.h"
#include "descent.h"
#include "train/train.h" /* the workspace's pool, for the thread cap */
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* What the calls below take besides their NULL. */
static dn_model *m;          /* a 3-2-1 regression network */
static dn_data  *d;          /* 4 rows for it */
static dn_arch   arch;
static dn_data  *data_out, *data_out2;
static dn_model *model_out;
static dn_ws    *ws_out;
static dn_opt   *opt_out;
static dn_opt_conf oconf;
static dn_sched  sched;
static dn_sched_conf sconf;
static dn_train_opts topts;
static dn_result res;
static dn_metrics metrics;
static dn_checkpoint_info info;
static dn_history hist;
static dn_hist_row hrow;
static dn_epoch epoch;
static dn_tboard *tb_out;
static dn_events *ev_out;
static dn_problem problem;
static dn_min_result mres;
static float X[12], out[8], path_pts[64];
static double x2[2], start[2];
static int n_points, i_out;
static char why[64];
static int32_t folds[4] = { 0, 1, 0, 1 };
static dn_qmodel *q, *q_out;
static dn_report *rep, *rep_out;
static dn_boundary *bnd_out;

static int fill_nothing(FILE *f, void *arg) { (void)f; (void)arg; return 0; }

/* Every call with one required pointer NULL. */
#define CASES(X_) \
    X_(dn_act_parse(NULL, (dn_act *)&i_out, err)) \
    X_(dn_act_parse("relu", NULL, err)) \
    X_(dn_loss_parse(NULL, (dn_loss *)&i_out, err)) \
    X_(dn_loss_parse("mse", NULL, err)) \
    X_(dn_task_parse(NULL, (dn_task *)&i_out, err)) \
    X_(dn_task_parse("binary", NULL, err)) \
    X_(dn_init_parse(NULL, (dn_init *)&i_out, err)) \
    X_(dn_init_parse("normal", NULL, err)) \
    X_(dn_opt_parse(NULL, (dn_opt_kind *)&i_out, err)) \
    X_(dn_opt_parse("adam", NULL, err)) \
    X_(dn_sched_parse(NULL, (dn_sched_kind *)&i_out, err)) \
    X_(dn_sched_parse("step", NULL, err)) \
    X_(dn_solver_parse(NULL, (dn_solver_kind *)&i_out, err)) \
    X_(dn_solver_parse("lbfgs", NULL, err)) \
    X_(dn_cg_beta_parse(NULL, (dn_cg_beta *)&i_out, err)) \
    X_(dn_cg_beta_parse("fr", NULL, err)) \
    X_(dn_land_parse(NULL, (dn_land *)&i_out, err)) \
    X_(dn_land_parse("bowl", NULL, err)) \
    X_(dn_arch_check(NULL, err)) \
    X_(dn_arch_set_task(NULL, DN_TASK_BINARY, 1, err)) \
    X_(dn_schema_copy(d->schema, NULL, err)) \
    X_(dn_csv_read(NULL, NULL, &data_out, why, sizeof why, err)) \
    X_(dn_csv_read("data/iris.csv", NULL, NULL, why, sizeof why, err)) \
    X_(dn_csv_read_with(NULL, d->schema, 0, &data_out, err)) \
    X_(dn_csv_read_with("data/iris.csv", NULL, 0, &data_out, err)) \
    X_(dn_csv_read_with("data/iris.csv", d->schema, 0, NULL, err)) \
    X_(dn_idx_read(NULL, NULL, &data_out, err)) \
    X_(dn_idx_read("x.idx", NULL, NULL, err)) \
    X_(dn_idx_read_u8(NULL, NULL, &data_out, err)) \
    X_(dn_idx_read_u8("x.idx", NULL, NULL, err)) \
    X_(dn_data_set_task(NULL, DN_TASK_BINARY, err)) \
    X_(dn_data_split(NULL, 0.5, 1, &data_out, &data_out2, err)) \
    X_(dn_data_split(d, 0.5, 1, NULL, &data_out2, err)) \
    X_(dn_data_split(d, 0.5, 1, &data_out, NULL, err)) \
    X_(dn_model_new(NULL, &model_out, err)) \
    X_(dn_model_new(&arch, NULL, err)) \
    X_(dn_model_clone(NULL, &model_out, err)) \
    X_(dn_model_clone(m, NULL, err)) \
    X_(dn_model_set_scaling(NULL, X, X, err)) \
    X_(dn_model_fit_scaling(NULL, d, err)) \
    X_(dn_model_fit_scaling(m, NULL, err)) \
    X_(dn_model_set_target_scaling(NULL, X, X, err)) \
    X_(dn_model_fit_target_scaling(NULL, d, err)) \
    X_(dn_model_fit_target_scaling(m, NULL, err)) \
    X_(dn_model_set_schema(NULL, d->schema, err)) \
    X_(dn_model_meta_set(NULL, "k", "v", err)) \
    X_(dn_model_meta_set(m, NULL, "v", err)) \
    X_(dn_model_meta_set(m, "k", NULL, err)) \
    X_(dn_ws_new(NULL, 4, 1, &ws_out, err)) \
    X_(dn_ws_new(m, 4, 1, NULL, err)) \
    X_(dn_opt_new(NULL, 4, NULL, &opt_out, err)) \
    X_(dn_opt_new(&oconf, 4, NULL, NULL, err)) \
    X_(dn_sched_init(NULL, &sconf, 0.1, 10, err)) \
    X_(dn_sched_init(&sched, NULL, 0.1, 10, err)) \
    X_(dn_train(NULL, d, NULL, &topts, &res, err)) \
    X_(dn_train(m, NULL, NULL, &topts, &res, err)) \
    X_(dn_train_full(NULL, d, NULL, NULL, &topts, &res, err)) \
    X_(dn_train_full(m, NULL, NULL, NULL, &topts, &res, err)) \
    X_(dn_atomic_write(NULL, "file", fill_nothing, NULL, err)) \
    X_(dn_atomic_write("/tmp/x", "file", NULL, NULL, err)) \
    X_(dn_checkpoint_read_info(NULL, &info, err)) \
    X_(dn_checkpoint_read_info("x.ckpt", NULL, err)) \
    X_(dn_evaluate(NULL, d, &metrics, err)) \
    X_(dn_evaluate(m, NULL, &metrics, err)) \
    X_(dn_evaluate(m, d, NULL, err)) \
    X_(dn_predict(NULL, X, 4, out, err)) \
    X_(dn_predict(m, NULL, 4, out, err)) \
    X_(dn_predict(m, X, 4, NULL, err)) \
    X_(dn_model_save(NULL, "/tmp/x.st", err)) \
    X_(dn_model_save(m, NULL, err)) \
    X_(dn_model_load(NULL, &model_out, err)) \
    X_(dn_model_load("x.st", NULL, err)) \
    X_(dn_model_export_onnx(NULL, "/tmp/x.onnx", err)) \
    X_(dn_model_export_onnx(m, NULL, err)) \
    X_(dn_minimize(NULL, NULL, x2, NULL, NULL, &mres, err)) \
    X_(dn_minimize(&problem, NULL, NULL, NULL, NULL, &mres, err)) \
    X_(dn_history_add(NULL, &hrow, err)) \
    X_(dn_history_add(&hist, NULL, err)) \
    X_(dn_history_add_epoch(NULL, &epoch, err)) \
    X_(dn_history_add_epoch(&hist, NULL, err)) \
    X_(dn_history_save(NULL, "/tmp/h.csv", err)) \
    X_(dn_history_save(&hist, NULL, err)) \
    X_(dn_history_load(NULL, &hist, err)) \
    X_(dn_history_load("h.csv", NULL, err)) \
    X_(dn_events_open(NULL, &ev_out, err)) \
    X_(dn_events_open("/tmp", NULL, err)) \
    X_(dn_events_scalar(NULL, "loss", 1, 0.5, err)) \
    X_(dn_events_flush(NULL, err)) \
    X_(dn_tboard_open(NULL, &tb_out, err)) \
    X_(dn_tboard_open("/tmp", NULL, err)) \
    X_(dn_tboard_add(NULL, &hrow, "accuracy", err)) \
    X_(dn_plot_history(NULL, NULL, "/tmp/p.svg", err)) \
    X_(dn_plot_history(&hist, NULL, NULL, err)) \
    X_(dn_land_descend(DN_LAND_BOWL, NULL, 0.1, start, 4, path_pts, &n_points, err)) \
    X_(dn_land_descend(DN_LAND_BOWL, &oconf, 0.1, start, 4, NULL, &n_points, err)) \
    X_(dn_land_descend(DN_LAND_BOWL, &oconf, 0.1, start, 4, path_pts, NULL, err)) \
    X_(dn_land_solve(DN_LAND_BOWL, NULL, NULL, 4, path_pts, &n_points, NULL, err)) \
    X_(dn_land_solve(DN_LAND_BOWL, NULL, start, 4, NULL, &n_points, NULL, err)) \
    X_(dn_land_solve(DN_LAND_BOWL, NULL, start, 4, path_pts, NULL, NULL, err)) \
    X_(dn_plot_landscape(DN_LAND_BOWL, NULL, 1, NULL, "/tmp/l.svg", err)) \
    X_(dn_plot_landscape(DN_LAND_BOWL, NULL, 0, NULL, NULL, err)) \
    X_(dn_synth_parse(NULL, (dn_synth *)&i_out, err)) \
    X_(dn_synth_parse("xor", NULL, err)) \
    X_(dn_synth_make(DN_SYNTH_XOR, NULL, &data_out, err)) \
    X_(dn_data_save_csv(NULL, "/tmp/d.csv", err)) \
    X_(dn_data_save_csv(d, NULL, err)) \
    X_(dn_boundary_check(NULL, err)) \
    X_(dn_boundary_new(NULL, d, NULL, &bnd_out, err)) \
    X_(dn_boundary_new(m, NULL, NULL, &bnd_out, err)) \
    X_(dn_boundary_new(m, d, NULL, NULL, err)) \
    X_(dn_boundary_frame(NULL, m, 1, err)) \
    X_(dn_boundary_save(NULL, "/tmp/b.svg", err)) \
    X_(dn_boundary_save_animation(NULL, 1, "/tmp/b.svg", err)) \
    X_(dn_plot_boundary(m, d, NULL, NULL, err)) \
    X_(dn_data_set_weights(NULL, out, err)) \
    X_(dn_class_weights_balanced(d, NULL, err)) \
    X_(dn_data_weight_classes(d, NULL, err)) \
    X_(dn_data_folds(NULL, 2, 1, 0, folds, err)) \
    X_(dn_data_folds(d, 2, 1, 0, NULL, err)) \
    X_(dn_data_fold_split(NULL, folds, 0, &data_out, &data_out2, err)) \
    X_(dn_data_fold_split(d, NULL, 0, &data_out, &data_out2, err)) \
    X_(dn_data_fold_split(d, folds, 0, NULL, &data_out2, err)) \
    X_(dn_data_fold_split(d, folds, 0, &data_out, NULL, err)) \
    X_(dn_model_export_c(NULL, NULL, "/tmp/x.h", NULL, err)) \
    X_(dn_model_export_c(m, NULL, NULL, NULL, err)) \
    X_(dn_quantize(NULL, d, NULL, &q_out, err)) \
    X_(dn_quantize(m, d, NULL, NULL, err)) \
    X_(dn_qmodel_predict(NULL, X, 4, out, err)) \
    X_(dn_qmodel_predict(q, NULL, 4, out, err)) \
    X_(dn_qmodel_predict(q, X, 4, NULL, err)) \
    X_(dn_qmodel_evaluate(NULL, d, &metrics, err)) \
    X_(dn_qmodel_evaluate(q, d, NULL, err)) \
    X_(dn_evaluate_outputs(NULL, out, d, &metrics, err)) \
    X_(dn_evaluate_outputs(m, NULL, d, &metrics, err)) \
    X_(dn_evaluate_outputs(m, out, d, NULL, err)) \
    X_(dn_report_new(DN_TASK_REGRESSION, 4, 1, NULL, out, 0, &rep_out, err)) \
    X_(dn_report_new(DN_TASK_REGRESSION, 4, 1, out, NULL, 0, &rep_out, err)) \
    X_(dn_report_new(DN_TASK_REGRESSION, 4, 1, out, out, 0, NULL, err)) \
    X_(dn_report_model(NULL, d, 0, &rep_out, err)) \
    X_(dn_report_model(m, d, 0, NULL, err)) \
    X_(dn_report_svg(NULL, DN_FIG_CONFUSION, NULL, stdout, err)) \
    X_(dn_report_svg(rep, DN_FIG_CONFUSION, NULL, NULL, err))

static dn_status run_case(int i, dn_error *err)
{
    int k = 0;
#define X_(call) if (i == k++) return call;
    CASES(X_)
#undef X_
    return DN_OK;
}

static const char *const NAMES[] = {
#define X_(call) #call,
    CASES(X_)
#undef X_
};

/* Case i in a child process: DN_EARG with a message. */
static void expect_earg(int i)
{
    int fd[2];
    if (pipe(fd)) { CHECK(0, "pipe"); return; }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(fd[0]);
        dn_error e;
        memset(&e, 0, sizeof e);
        dn_status st = run_case(i, &e);
        if (write(fd[1], e.msg, strlen(e.msg) + 1) < 0) exit(3);
        /* exit, not _exit: a coverage build writes its counts at exit */
        exit(st == DN_EARG && e.msg[0] ? 0 : 2);
    }
    close(fd[1]);
    char msg[1100] = "";
    ssize_t got = read(fd[0], msg, sizeof msg - 1);
    msg[got > 0 ? got : 0] = 0;
    close(fd[0]);
    int ws = 0;
    waitpid(pid, &ws, 0);
    if (WIFSIGNALED(ws))
        CHECK(0, "%s crashed (signal %d)", NAMES[i], WTERMSIG(ws));
    else
        CHECK(WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "%s: want invalid "
              "argument and a message, got: %s", NAMES[i], msg);
}

static void setup(void)
{
    memset(&arch, 0, sizeof arch);
    arch.n_in = 3;
    arch.layer[arch.n_layers++] = (dn_layer){ .units = 2, .act = DN_ACT_TANH };
    dn_arch_set_task(&arch, DN_TASK_REGRESSION, 1, NULL);
    dn_error e;
    if (dn_model_new(&arch, &m, &e)) { fprintf(stderr, "%s\n", e.msg); exit(1); }
    d = calloc(1, sizeof *d);
    d->n = 4; d->d = 3; d->k = 1;
    d->X = calloc(12, sizeof(float));
    d->Y = calloc(4, sizeof(float));
    for (int i = 0; i < 12; i++) d->X[i] = X[i] = (float)(i % 5);
    dn_opt_defaults(&oconf, DN_OPT_SGD);
    dn_sched_defaults(&sconf, DN_SCHED_CONSTANT);
    dn_train_defaults(&topts);
    dn_history_init(&hist, "mae");
    problem.n = 2;
    if (dn_quantize(m, d, NULL, &q, &e) ||
        dn_report_new(DN_TASK_REGRESSION, 4, 1, d->Y, d->Y, 0, &rep, &e)) {
        fprintf(stderr, "%s\n", e.msg);
        exit(1);
    }
}

/* The void functions that update an object take NULL as nothing to do. */
static void test_void_null(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        float th[2] = { 1, 2 }, g[2] = { 0.5f, 0.5f };
        dn_opt_step(NULL, th, g, 0.1);
        dn_opt *o;
        if (dn_opt_new(&oconf, 2, NULL, &o, NULL)) exit(2);
        dn_opt_step(o, NULL, g, 0.1);
        dn_opt_step(o, th, NULL, 0.1);
        dn_opt_free(o);
        exit(th[0] == 1 && th[1] == 2 ? 0 : 2);
    }
    int ws = 0;
    waitpid(pid, &ws, 0);
    CHECK(WIFEXITED(ws) && WEXITSTATUS(ws) == 0,
          "dn_opt_step with NULL: status %d", ws);
}

/* NULL where descent.h allows it: defaults, or nothing to close. */
static void test_optional_null(void)
{
    dn_error e;
    dn_model *c;
    CHECK(dn_model_clone(m, &c, &e) == DN_OK, "%s", e.msg);
    CHECK(dn_train(c, d, NULL, NULL, NULL, &e) == DN_OK, "default options: "
          "%s", e.msg);
    CHECK(dn_events_close(NULL, &e) == DN_OK && dn_tboard_close(NULL, &e) ==
          DN_OK, "closing NULL: %s", e.msg);
    dn_model_free(c);
}

/* 20,000 threads asked, at most DN_MAX_THREADS made. */
static void test_thread_cap(void)
{
    dn_ws *ws;
    dn_error e;
    dn_status st = dn_ws_new(m, 4, 20000, &ws, &e);
    CHECK(st == DN_OK, "%s", e.msg);
    if (st) return;
    CHECK(DN_MAX_THREADS == 256 && dn_pool_threads(ws->all) == DN_MAX_THREADS,
          "%d threads for 20000 asked", dn_pool_threads(ws->all));
    dn_ws_free(ws);
}

int main(void)
{
    setup();
    for (int i = 0; i < (int)(sizeof NAMES / sizeof *NAMES); i++)
        expect_earg(i);
    RUN(test_void_null);
    RUN(test_optional_null);
    RUN(test_thread_cap);
    return check_done("test_api_args");
}
