/* step.c — where a W1 training step's time goes, for `make bench`: the
 * parts of one step (784-16-16-10, batch 32) timed on one thread in CPU
 * time, best of 5 epochs over a Fashion-MNIST-sized data set (60000 rows
 * of 784 random pixels, shuffled), so that other processes on a busy
 * machine do not count.  Uses the library's internal API.  Lines:
 *
 *   step part=gather_and_gradient us=19.7   one step as dn_train takes it
 *   step part=gradient_hot us=13.5          the same rows already gathered
 *   step part=forward us=9.3                forward pass alone (hot rows)
 *   step part=norm_and_sgd us=2.6           ‖g‖ and the SGD update
 *   gather bytes_per_pixel=4 ms_per_epoch=18.0   gathering the rows alone
 *   gather bytes_per_pixel=1 ms_per_epoch=7.0    the same from uint8 pixels
 *
 * The last two compare the rows as dn_data holds them (floats) with the
 * pixels as the IDX file holds them (bytes), both standardized on the way
 * and with the next batch asked for early, as dn_gradient_rows does.
 *
 * Then, on the same rows as bytes, the parts dn_train runs per step on 1
 * and 2 threads, in wall time, best of 5 epochs: the gradient as
 * dn_train takes it (gathering the rows, the next batch asked for), the
 * SGD update in parts, and the gradient's norm:
 *
 *   part w=W1 threads=2 what=gradient_rows us=10.9
 */
#include "train/train.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { N = 60000, D = 784, B = 32, EPOCHS = 5 };

static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void prefetch(const void *p, size_t bytes)
{
#if defined(__GNUC__) || defined(__clang__)
    for (size_t b = 0; b < bytes; b += 64)
        __builtin_prefetch((const char *)p + b, 0, 2);
#else
    (void)p; (void)bytes;
#endif
}

/* One row standardized, from floats or from bytes (restrict: so that
 * the compiler vectorizes, as nn.c's does). */
static void row_f(const float *restrict x, const float *restrict mean,
                  const float *restrict inv, float *restrict o)
{
    for (int j = 0; j < D; j++) o[j] = (x[j] - mean[j]) * inv[j];
}

static void row_u8(const unsigned char *restrict x, const float *restrict mean,
                   const float *restrict inv, float *restrict o)
{
    for (int j = 0; j < D; j++)
        o[j] = ((float)x[j] * (1.0f / 255) - mean[j]) * inv[j];
}

/* One epoch of gathers (standardize into a batch buffer), from floats or
 * from bytes, asking for each next-batch row while copying this one. */
static double gather_epoch(const float *X, const unsigned char *X8,
                           const int32_t *idx, const float *mean,
                           const float *inv, float *out)
{
    double t0 = cpu_now();
    for (int s = 0; s + B <= N; s += B)
        for (int r = 0; r < B; r++) {
            size_t next = (size_t)idx[s + B + r < N ? s + B + r : 0] * D;
            size_t row = (size_t)idx[s + r] * D;
            if (X8) {
                prefetch(X8 + next, D);
                row_u8(X8 + row, mean, inv, out + (size_t)r * D);
            } else {
                prefetch(X + next, D * sizeof *X);
                row_f(X + row, mean, inv, out + (size_t)r * D);
            }
        }
    return cpu_now() - t0;
}

static double wall_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* The step's parts on 1 and 2 threads (see the top). */
static int thread_parts(dn_model *m, const dn_data *d, const int32_t *idx)
{
    const size_t P = dn_model_n_params(m);
    const int steps = N / B;
    float Yb[B];
    dn_error err;
    for (int threads = 1; threads <= 2; threads++) {
        dn_ws *ws;
        dn_opt *opt;
        dn_opt_conf conf;
        dn_opt_defaults(&conf, DN_OPT_SGD);
        if (dn_ws_new(m, B, threads, &ws, &err) ||
            dn_opt_new(&conf, P, NULL, &opt, &err)) {
            fprintf(stderr, "bench/step: %s\n", err.msg);
            return 1;
        }
        size_t cut[DN_MAX_CUTS + 1];
        const int parts = dn_ws_cuts(m, ws, cut);
        float *theta = dn_model_params(m), *g = dn_ws_grad(ws);
        double best[3] = { 1e30, 1e30, 1e30 };
        for (int e = 0; e < EPOCHS; e++) {
            double t0 = wall_now();
            for (int i = 0; i < steps; i++)
                dn_gradient_rows(m, ws, d, idx + i * B, B,
                                 i + 1 < steps ? B : 0, Yb, NULL, NULL);
            double t1 = wall_now();
            for (int i = 0; i < steps; i++)   /* eta 0: theta stays */
                dn_opt_step_parts(opt, ws->pool, theta, g, 0.0, cut, parts);
            double t2 = wall_now();
            volatile double sum = 0;
            for (int i = 0; i < steps; i++) sum += dn_norm2(g, P);
            double t3 = wall_now(), v[3] = { t1 - t0, t2 - t1, t3 - t2 };
            for (int k = 0; k < 3; k++) if (v[k] < best[k]) best[k] = v[k];
        }
        static const char *what[3] = { "gradient_rows", "sgd", "norm" };
        for (int k = 0; k < 3; k++)
            printf("part w=W1 threads=%d what=%s us=%.2f\n", threads, what[k],
                   best[k] / steps * 1e6);
        dn_opt_free(opt);
        dn_ws_free(ws);
    }
    return 0;
}

int main(void)
{
    dn_data d;
    memset(&d, 0, sizeof d);
    d.n = N; d.d = D; d.k = 1;
    d.X = malloc((size_t)N * D * sizeof *d.X);
    d.Y = malloc((size_t)N * sizeof *d.Y);
    unsigned char *X8 = malloc((size_t)N * D);
    int32_t *idx = malloc(N * sizeof *idx);
    float *Xc = malloc((size_t)B * D * sizeof *Xc), Yb[B];
    if (!d.X || !d.Y || !X8 || !idx || !Xc) return 1;
    uint64_t s = 1;
    for (size_t i = 0; i < (size_t)N * D; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        X8[i] = (unsigned char)(s >> 56);
        d.X[i] = X8[i] / 255.0f;
    }
    for (int i = 0; i < N; i++) { d.Y[i] = (float)(i % 10); idx[i] = i; }
    dn_rng rng;
    dn_rng_seed(&rng, 1);
    dn_rng_shuffle(&rng, idx, N);

    dn_arch a;
    memset(&a, 0, sizeof a);
    a.n_in = D;
    a.n_layers = 2;
    a.layer[0] = (dn_layer){ .units = 16, .act = DN_ACT_RELU };
    a.layer[1] = (dn_layer){ .units = 16, .act = DN_ACT_RELU };
    dn_error err;
    dn_model *m;
    dn_ws *ws;
    if (dn_arch_set_task(&a, DN_TASK_MULTICLASS, 10, &err) ||
        dn_model_new(&a, &m, &err) || dn_model_fit_scaling(m, &d, &err) ||
        dn_ws_new(m, B, 1, &ws, &err)) {
        fprintf(stderr, "bench/step: %s\n", err.msg);
        return 1;
    }
    dn_model_init(m, DN_INIT_DEFAULT, 0, 1);
    memcpy(Xc, d.X, (size_t)B * D * sizeof *Xc);
    const size_t P = dn_model_n_params(m);
    float *theta = dn_model_params(m), *g = dn_ws_grad(ws);
    const int steps = N / B;
    double best[6] = { 1e9, 1e9, 1e9, 1e9, 1e9, 1e9 };
    for (int e = 0; e < EPOCHS; e++) {
        double t[7];
        t[0] = cpu_now();
        for (int i = 0; i < steps; i++)
            dn_gradient_rows(m, ws, &d, idx + i * B, B, i + 1 < steps ? B : 0,
                             Yb, NULL, NULL);
        t[1] = cpu_now();
        for (int i = 0; i < steps; i++)
            dn_gradient_train(m, ws, Xc, Yb, B, NULL, NULL);
        t[2] = cpu_now();
        for (int i = 0; i < steps; i++) dn_forward(m, ws, Xc, B);
        t[3] = cpu_now();
        for (int i = 0; i < steps; i++) {
            volatile double gn = dn_norm2(g, P);
            (void)gn;
            dn_sgd_step(theta, g, P, 0.0f);
        }
        t[4] = cpu_now();
        double gf = gather_epoch(d.X, NULL, idx, m->mean, m->inv_std, Xc);
        double g8 = gather_epoch(NULL, X8, idx, m->mean, m->inv_std, Xc);
        double v[6] = { t[1] - t[0], t[2] - t[1], t[3] - t[2], t[4] - t[3],
                        gf, g8 };
        for (int i = 0; i < 6; i++) if (v[i] < best[i]) best[i] = v[i];
    }
    static const char *part[4] = { "gather_and_gradient", "gradient_hot",
                                   "forward", "norm_and_sgd" };
    for (int i = 0; i < 4; i++)
        printf("step part=%s us=%.2f\n", part[i], best[i] / steps * 1e6);
    printf("gather bytes_per_pixel=4 ms_per_epoch=%.2f\n", best[4] * 1e3);
    printf("gather bytes_per_pixel=1 ms_per_epoch=%.2f\n", best[5] * 1e3);
    dn_ws_free(ws);
    dn_data d8 = d;   /* the same rows as the IDX file holds them */
    d8.X = NULL;
    d8.bytes = (struct dn_data_bytes *)X8;
    int bad = thread_parts(m, &d8, idx);
    dn_model_free(m);
    free(d.X); free(d.Y); free(X8); free(idx); free(Xc);
    return bad;
}
