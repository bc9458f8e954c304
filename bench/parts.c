/* parts.c — the parts of a W2 training step on one and two threads, for
 * `make bench`: what the second core buys for each part, in wall time.
 *
 * W2 (784-1024-1024-10, batch 256): rows already in memory, best of 5
 * rounds of 20 calls:
 *
 *   part w=W2 threads=2 what=gradient ms=6.45 gflops=443.1
 *
 * (gflops only for the products: forward 2·weights·rows, gradient
 * 6·weights·rows).
 *
 * (W1's parts on 1 and 2 threads are measured by bench/step.c, on its
 * data set.)
 */
#include "train/train.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { B = 256, IN = 784, H = 1024, OUT = 10, CALLS = 20, ROUNDS = 5 };

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

typedef struct {
    const dn_model *m;
    dn_ws *ws;
    dn_opt *opt;
    const float *X, *Y;
    size_t cut[DN_MAX_CUTS + 1];
    int parts;
} ctx;

static void forward(ctx *c) { dn_forward(c->m, c->ws, c->X, B); }
static void gradient(ctx *c) { dn_gradient(c->m, c->ws, c->X, c->Y, B); }
static void adam(ctx *c)
{
    /* eta 0: the arithmetic of a step, the weights left alone */
    dn_opt_step_parts(c->opt, c->ws->pool, dn_model_params((dn_model *)c->m),
                      dn_ws_grad(c->ws), 0.0, c->cut, c->parts);
}
static void norm(ctx *c)
{
    volatile double s = dn_norm2(dn_ws_grad(c->ws), dn_model_n_params(c->m));
    (void)s;
}

static double best_ms(void (*fn)(ctx *), ctx *c)
{
    double best = 1e30;
    fn(c);
    for (int r = 0; r < ROUNDS; r++) {
        double t0 = now();
        for (int i = 0; i < CALLS; i++) fn(c);
        double t = (now() - t0) / CALLS;
        if (t < best) best = t;
    }
    return best * 1e3;
}

int main(void)
{
    dn_arch a;
    memset(&a, 0, sizeof a);
    a.n_in = IN;
    a.n_layers = 2;
    a.layer[0] = (dn_layer){ .units = H, .act = DN_ACT_RELU };
    a.layer[1] = (dn_layer){ .units = H, .act = DN_ACT_RELU };
    dn_error err;
    dn_model *m;
    if (dn_arch_set_task(&a, DN_TASK_MULTICLASS, OUT, &err) ||
        dn_model_new(&a, &m, &err)) {
        fprintf(stderr, "bench/parts: %s\n", err.msg);
        return 1;
    }
    dn_model_init(m, DN_INIT_DEFAULT, 0, 1);
    float *X = malloc(sizeof(float) * B * IN), *Y = malloc(sizeof(float) * B);
    if (!X || !Y) return 1;
    for (int i = 0; i < B * IN; i++) X[i] = (float)(i % 97) / 97.0f - 0.5f;
    for (int i = 0; i < B; i++) Y[i] = (float)(i % OUT);
    const double w = (double)IN * H + (double)H * H + (double)H * OUT;
    for (int threads = 1; threads <= 2; threads++) {
        ctx c = { m, NULL, NULL, X, Y, { 0 }, 1 };
        dn_opt_conf conf;
        dn_opt_defaults(&conf, DN_OPT_ADAM);
        if (dn_ws_new(m, B, threads, &c.ws, &err) ||
            dn_opt_new(&conf, dn_model_n_params(m), NULL, &c.opt, &err)) {
            fprintf(stderr, "bench/parts: %s\n", err.msg);
            return 1;
        }
        c.parts = dn_ws_cuts(m, c.ws, c.cut);
        double f = best_ms(forward, &c), g = best_ms(gradient, &c);
        printf("part w=W2 threads=%d what=forward ms=%.3f gflops=%.1f\n",
               threads, f, 2 * w * B / f / 1e6);
        printf("part w=W2 threads=%d what=gradient ms=%.3f gflops=%.1f\n",
               threads, g, 6 * w * B / g / 1e6);
        printf("part w=W2 threads=%d what=adam ms=%.3f\n", threads,
               best_ms(adam, &c));
        printf("part w=W2 threads=%d what=norm ms=%.3f\n", threads,
               best_ms(norm, &c));
        fflush(stdout);
        dn_opt_free(c.opt);
        dn_ws_free(c.ws);
    }
    dn_model_free(m);
    free(X);
    free(Y);
    return 0;
}
