/* export_c.c — `descent export MODEL --format c`: the model as C source
 * (dn_model_export_c), int8 after calibration (dn_quantize) with its
 * accuracy against the float model, and --check, which builds the
 * generated file with the host's compiler, runs it and compares. */
#include "cli.h"
#include "export_c.h"
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* "accuracy 97.33%" or "R2 0.9123" */
static const char *metric_text(const dn_model *m, const dn_metrics *mt,
                               char *buf, size_t n)
{
    if (dn_model_arch(m)->loss != DN_LOSS_MSE)
        dn_snprintf(buf, n, "accuracy %.2f%%", 100 * mt->accuracy);
    else
        dn_snprintf(buf, n, "R2 %.4f (MAE %.4g)", mt->r2, mt->mae);
    return buf;
}

/* The metric as a number where higher is better, in points for
 * accuracy. */
static double metric_value(const dn_model *m, const dn_metrics *mt)
{
    return dn_model_arch(m)->loss != DN_LOSS_MSE ? 100 * mt->accuracy : mt->r2;
}

/* Largest |a − b| / max(1, |b|) over n values: relative above 1, absolute
 * below, as the ONNX test measures. */
static double max_diff(const float *a, const float *b, size_t n)
{
    double d = 0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)a[i] - b[i]) / fmax(1.0, fabs((double)b[i]));
        if (e > d || isnan(e)) d = isnan(e) ? INFINITY : e;
    }
    return d;
}

static dn_status load(const char *opt, const char *path, const char *labels,
                      const dn_model *m, const char *model, int need_target,
                      dn_data **out, dn_error *err)
{
    dn_status st = cli_load_as(opt, path, labels, NULL, dn_model_schema(m),
                               model, need_target, out, NULL, 0, err);
    if (!st) st = dn_data_floats(*out, err);
    if (!st && (*out)->d != dn_model_n_in(m)) {
        /* a model without a schema reads DATA's last column as a target */
        snprintf(err->msg, sizeof err->msg, "%s has %d input columns but %s "
                 "takes %d%s", path, (*out)->d, model, dn_model_n_in(m),
                 dn_model_schema(m) ? "" : " (it has no schema: the last "
                 "column is read as the target)");
        err->code = st = DN_EFORMAT;
    }
    if (st) {
        dn_data_free(*out);
        *out = NULL;
    }
    return st;
}

/* ---- int8: quantize and measure ---- */

static int quantize(const export_c_args *a, const dn_model *m,
                    const char *model, dn_qmodel **q)
{
    dn_error err;
    dn_data *cal = NULL, *val = NULL;
    float *pf = NULL, *pq = NULL;
    int rc = EXIT_OK;
    dn_quant_opts qo = { .percentile = a->percentile };
    if (load("--calibrate-labels", a->calib, a->calib_labels, m, model, 0,
             &cal, &err) ||
        (a->val && load("--val-labels", a->val, a->val_labels, m, model, 1,
                        &val, &err)) ||
        dn_quantize(m, cal, &qo, q, &err)) {
        rc = cli_error("export", &err);
        goto done;
    }
    const dn_data *ev = val ? val : cal;
    const char *ev_name = val ? a->val : a->calib;
    const size_t K = (size_t)dn_model_n_out(m), n = (size_t)ev->n;
    pf = malloc(sizeof *pf * n * K);
    pq = malloc(sizeof *pq * n * K);
    if (!pf || !pq) {
        fprintf(stderr, "descent export: out of memory\n");
        rc = EXIT_DATA;
        goto done;
    }
    if (dn_predict(m, ev->X, ev->n, pf, &err) ||
        dn_qmodel_predict(*q, ev->X, ev->n, pq, &err)) {
        rc = cli_error("export", &err);
        goto done;
    }
    dn_fprintf(stdout, "int8: calibrated on %d rows of %s (%s); largest output "
           "difference from float %.3g on %d rows of %s\n", cal->n, a->calib,
           a->percentile > 0 && a->percentile < 100 ? "percentile range"
                                                     : "min/max",
           max_diff(pq, pf, n * K), ev->n, ev_name);
    if (!ev->Y) {
        printf("int8: %s has no targets: no accuracy measured (give "
               "--val-data with targets)\n", ev_name);
        goto done;
    }
    dn_metrics mf, mq;
    char tf[64], tq[64];
    if (dn_evaluate_outputs(m, pf, ev, &mf, &err) ||
        dn_evaluate_outputs(m, pq, ev, &mq, &err)) {
        printf("int8: no accuracy measured: %s\n", err.msg);
        goto done;
    }
    double drop = metric_value(m, &mf) - metric_value(m, &mq);
    const int acc = dn_model_arch(m)->loss != DN_LOSS_MSE;
    dn_fprintf(stdout, "int8: %s, float %s on %s (%s %.3g%s)\n",
           metric_text(m, &mq, tq, sizeof tq), metric_text(m, &mf, tf, sizeof tf),
           ev_name, drop >= 0 ? "a loss of" : "a gain of", fabs(drop),
           acc ? " points" : "");
    double tol = acc ? 100 * a->tolerance : a->tolerance;
    if (drop > tol) {
        dn_fprintf(stderr, "descent export: int8 loses %.3g%s of %s against "
                "float on %s, more than the tolerance %g%s; nothing written. "
                "Try --percentile 99.99, a larger --calibrate set, or raise "
                "--tolerance\n", drop, acc ? " points" : "",
                acc ? "accuracy" : "R2", ev_name, tol, acc ? " points" : "");
        rc = EXIT_DATA;
    }
done:
    if (rc) {
        dn_qmodel_free(*q);
        *q = NULL;
    }
    free(pf);
    free(pq);
    dn_data_free(cal);
    dn_data_free(val);
    return rc;
}

/* ---- --check: build and run the generated file ---- */

/* Runs argv with stdin and stdout from/to files (NULL: inherited);
 * returns its exit status, or -1 if it could not run or died. */
static int run(char *const argv[], const char *in, const char *out)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (in) posix_spawn_file_actions_addopen(&fa, 0, in, O_RDONLY, 0);
    if (out) posix_spawn_file_actions_addopen(&fa, 1, out,
                                              O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pid_t pid;
    int st = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (st) {
        fprintf(stderr, "descent export: cannot run '%s': %s\n", argv[0],
                strerror(st));
        return -1;
    }
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    int bad = fwrite(p, 1, n, f) != n;
    return fclose(f) || bad ? -1 : 0;
}

/* Compiles the generated file into a program that reads rows of floats
 * on stdin and writes each row's outputs and class, runs it on X, and
 * fills out (n × K) and cls (n).  0, or -1 after a message. */
static int run_generated(const char *src, const char *name, const float *X,
                         int n, int d, int K, float *out, int32_t *cls)
{
    const char *tmp = getenv("TMPDIR");
    char dir[4096], harness[4200], exe[4200], in[4200], res[4200];
    snprintf(dir, sizeof dir, "%s/descent-check-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        fprintf(stderr, "descent export: cannot make a directory for --check "
                "in %s: %s; set TMPDIR\n", tmp && *tmp ? tmp : "/tmp",
                strerror(errno));
        return -1;
    }
    snprintf(harness, sizeof harness, "%s/check.c", dir);
    snprintf(exe, sizeof exe, "%s/check", dir);
    snprintf(in, sizeof in, "%s/rows.bin", dir);
    snprintf(res, sizeof res, "%s/out.bin", dir);
    char code[1024];
    snprintf(code, sizeof code,
             "#include <stdio.h>\n"
             "int main(void)\n{\n"
             "    float x[%d], out[%d];\n"
             "    while (fread(x, sizeof x, 1, stdin) == 1) {\n"
             "        int32_t c = %s_predict(x, out);\n"
             "        if (fwrite(out, sizeof out, 1, stdout) != 1 ||\n"
             "            fwrite(&c, sizeof c, 1, stdout) != 1) return 1;\n"
             "    }\n    return 0;\n}\n", d, K, name);
    const char *cc = getenv("CC");
    char *ccv = (char *)(cc && *cc ? cc : "cc");
    char *argv[] = { ccv, "-std=c99", "-O2", "-Wall", "-Wextra", "-Wpedantic",
                     "-Werror", "-include", (char *)src, "-o", exe, harness,
                     "-lm", NULL };
    char *runv[] = { exe, NULL };
    const size_t rec = sizeof(float) * K + 4;
    char *buf = malloc(rec * n);
    int rc = -1;
    if (!buf) {
        fprintf(stderr, "descent export: out of memory\n");
    } else if (write_file(harness, code, strlen(code)) ||
               write_file(in, X, sizeof *X * (size_t)n * d)) {
        fprintf(stderr, "descent export: cannot write in %s: %s\n", dir,
                strerror(errno));
    } else if (run(argv, NULL, NULL) != 0) {
        fprintf(stderr, "descent export: --check: '%s' could not compile %s "
                "(messages above); set CC to another compiler\n", ccv, src);
    } else if (run(runv, in, res) != 0) {
        fprintf(stderr, "descent export: --check: the compiled model failed "
                "to run\n");
    } else {
        FILE *f = fopen(res, "rb");
        size_t got = f ? fread(buf, rec, (size_t)n, f) : 0;
        if (f) fclose(f);
        if (got != (size_t)n) {
            fprintf(stderr, "descent export: --check: the compiled model "
                    "gave %zu rows of %d\n", got, n);
        } else {
            for (int r = 0; r < n; r++) {
                memcpy(out + (size_t)r * K, buf + rec * r, sizeof(float) * K);
                memcpy(cls + r, buf + rec * r + sizeof(float) * K, 4);
            }
            rc = 0;
        }
    }
    free(buf);
    unlink(harness); unlink(exe); unlink(in); unlink(res);
    rmdir(dir);
    return rc;
}

static int check(const export_c_args *a, const dn_model *m, const char *model,
                 const dn_qmodel *q)
{
    dn_error err;
    dn_data *d = NULL;
    if (load("--check-labels", a->check, a->check_labels, m, model, 0, &d,
             &err))
        return cli_error("export", &err);
    const int K = dn_model_n_out(m), n = d->n;
    const size_t nk = (size_t)n * K;
    float *pg = malloc(sizeof *pg * nk), *pf = malloc(sizeof *pf * nk),
          *pq = q ? malloc(sizeof *pq * nk) : NULL;
    int32_t *cls = malloc(sizeof *cls * n);
    int rc = EXIT_DATA;
    if (!pg || !pf || !cls || (q && !pq)) {
        fprintf(stderr, "descent export: out of memory\n");
    } else if (dn_predict(m, d->X, n, pf, &err) ||
               (q && dn_qmodel_predict(q, d->X, n, pq, &err))) {
        rc = cli_error("export", &err);
    } else if (!run_generated(a->out, a->name, d->X, n, d->d, K, pg, cls)) {
        int wrong_class = 0;
        for (int r = 0; r < n; r++)
            wrong_class += cls[r] != (dn_model_arch(m)->loss == DN_LOSS_MSE
                                      ? 0 : dn_predict_class(m, pg + (size_t)r * K));
        double df = max_diff(pg, pf, nk);
        printf("check: %s built with %s and run on %d rows of %s\n", a->out,
               getenv("CC") && *getenv("CC") ? getenv("CC") : "cc", n, a->check);
        if (q) {
            int same = !memcmp(pg, pq, sizeof *pg * nk);
            dn_fprintf(stdout, "check: outputs %s the int8 model's in descent; largest "
                   "difference from float predict %.3g\n",
                   same ? "bit-identical to" : "DIFFER from", df);
            rc = same && !wrong_class ? EXIT_OK : EXIT_DATA;
        } else {
            dn_fprintf(stdout, "check: largest difference from descent predict %.3g "
                   "(limit 1e-06, relative above 1)\n", df);
            rc = df <= 1e-6 && !wrong_class ? EXIT_OK : EXIT_DATA;
        }
        if (wrong_class)
            printf("check: %d rows returned a class other than their "
                   "outputs' arg-max\n", wrong_class);
        dn_metrics mg, mf;
        char tg[64], tf[64];
        if (d->Y && !dn_evaluate_outputs(m, pg, d, &mg, &err) &&
            !dn_evaluate_outputs(m, pf, d, &mf, &err))
            printf("check: generated code %s, descent predict %s\n",
                   metric_text(m, &mg, tg, sizeof tg),
                   metric_text(m, &mf, tf, sizeof tf));
        if (rc)
            fprintf(stderr, "descent export: --check failed: the generated "
                    "code does not compute what descent does\n");
    }
    free(pg); free(pf); free(pq); free(cls);
    dn_data_free(d);
    return rc;
}

int export_c(const export_c_args *a, const dn_model *m, const char *model)
{
    dn_qmodel *q = NULL;
    int rc = a->int8 ? quantize(a, m, model, &q) : EXIT_OK;
    if (rc) return rc;
    dn_error err;
    dn_c_sizes z;
    dn_c_opts o = { .name = a->name, .q = q, .command = a->command };
    if (dn_model_export_c(m, &o, a->out, &z, &err)) {
        rc = cli_error("export", &err);
    } else {
        printf("wrote %s: %s C99, %s_predict(x[%d], out[%d]); flash %zu "
               "bytes of data + about %zu of code, RAM %zu bytes of stack "
               "scratch (about %zu in all)\n", a->out, q ? "int8" : "float32",
               a->name, dn_model_n_in(m), dn_model_n_out(m),
               z.weight_bytes + z.table_bytes, z.code_bytes, z.scratch_bytes,
               z.stack_bytes);
        if (a->check) rc = check(a, m, model, q);
    }
    dn_qmodel_free(q);
    return rc;
}
