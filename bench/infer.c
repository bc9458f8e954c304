/* infer.c — inference speed on one model in one run: descent's
 * dn_predict, the generated C (float32 and int8, included here with the
 * prefixes bf_ and bq_), single-row latency and batch throughput.  Built
 * and run by bench/infer.sh, which adds ONNX Runtime's figures.
 *   infer ROWS.bin N D MODEL.safetensors */
#include "descent.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include BF_FILE
#include BQ_FILE

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* Runs f over the rows until 0.5 s have passed (at least once); seconds
 * per row. */
#define TIME_ROWS(expr) do {                                            \
        long done_ = 0; double t0_ = now(), t_;                         \
        do { for (int r = 0; r < n; r++, done_++) { expr; } }           \
        while ((t_ = now() - t0_) < 0.5);                               \
        per_row = t_ / done_;                                           \
    } while (0)

int main(int argc, char **argv)
{
    if (argc != 5) { fprintf(stderr, "usage: infer ROWS.bin N D MODEL\n"); return 2; }
    const int n = atoi(argv[2]), d = atoi(argv[3]);
    float *X = malloc(sizeof *X * n * d), *out = malloc(sizeof *out * n * 16);
    FILE *f = fopen(argv[1], "rb");
    if (!X || !out || !f || fread(X, sizeof *X * d, n, f) != (size_t)n) return 1;
    fclose(f);
    dn_error err;
    dn_model *m;
    if (dn_model_load(argv[4], &m, &err)) { fprintf(stderr, "%s\n", err.msg); return 1; }
    double per_row;
    volatile int sink = 0;
    TIME_ROWS(dn_predict(m, X + (size_t)r * d, 1, out, &err));
    printf("dn_predict, one row (a workspace per call)\t%.2f us\n", per_row * 1e6);
    dn_ws *ws;
    if (dn_ws_new(m, 1, 1, &ws, &err)) { fprintf(stderr, "%s\n", err.msg); return 1; }
    TIME_ROWS(sink += dn_forward(m, ws, X + (size_t)r * d, 1) != NULL);
    printf("dn_forward, one row (workspace reused, 1 thread)\t%.2f us\n", per_row * 1e6);
    dn_ws_free(ws);
    double t0 = now();
    int reps = 0;
    do { dn_predict(m, X, n, out, &err); reps++; } while (now() - t0 < 0.5);
    printf("dn_predict, batch of %d\t%.2f us/row\n", n, (now() - t0) / reps / n * 1e6);
    TIME_ROWS(sink += bf_predict(X + (size_t)r * d, out));
    printf("generated float32, one row\t%.2f us\n", per_row * 1e6);
    TIME_ROWS(sink += bq_predict(X + (size_t)r * d, out));
    printf("generated int8, one row\t%.2f us\n", per_row * 1e6);
    dn_model_free(m);
    free(X);
    free(out);
    return sink < 0;
}
