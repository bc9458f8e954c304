/* gemm.c — the kernels alone, descent's against OpenBLAS's sgemm, for
 * `make bench`: square products and the shapes of W1 and W2's training
 * steps, on 1 and 2 threads.  Each measurement alternates the two
 * libraries, repeats each call until REP_SECONDS have passed, and keeps
 * the median of ROUNDS such rates and of the rounds' ratios.  One line per case:
 *
 *   gemm nt 256x256x256 t1 descent=201.3 openblas=190.2 ratio=1.058
 *
 * (GFLOP/s; ratio = descent / OpenBLAS).  The first line names the
 * kernels, descent's blocking and the variant its calibration chose:
 * "kernels descent=avx512 openblas=Cooperlake blocking=nc1024,mc240
 * variant=14x32 tiles, A copied".
 *
 *   gemm [quick] [WHAT]   quick: fewer rounds, for a smoke test;
 *   gemm ladder           nn products from L1-sized to 2048³, 1 thread
 *                         (see ladder() below)
 *   gemm shortk           W1's weight gradient for batches 32 to 512
 *                         (see shortk() below)
 *   gemm variants [WHAT]  each of descent's variants against OpenBLAS
 *                         (see variants() below)
 *                         WHAT: only the shapes whose label or "op MxNxK"
 *                         contains it ("square tn", "W1", "2048")
 *   gemm probe [T...]     OpenBLAS alone, 1024³ nn on T threads (default
 *                         1 and 2), for bench.sh's search for its best
 *                         kernel: one line per T,
 *
 *   probe_gemm core=SkylakeX threads=1 gflops=97.2 min=95.0 max=98.1 version=0.3.21
 *
 * (the median of ROUNDS rates and their range; core: the kernels
 * OpenBLAS runs under this process's OPENBLAS_CORETYPE; version: the
 * second word of openblas_get_config(), "OpenBLAS 0.3.21 ...").
 */
#include "kernels/gemm.h"
#include "descent.h"   /* dn_isa */

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Not in every cblas.h: OpenBLAS's own extensions. */
extern char *openblas_get_corename(void);
extern char *openblas_get_config(void);
extern void openblas_set_num_threads(int n);

static int ROUNDS = 9;
static double REP_SECONDS = 0.05;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

typedef struct { const char *op; int M, N, K; const char *what; } shape;

static const shape shapes[] = {
    { "nn", 256, 256, 256, "square" },
    { "nn", 512, 512, 512, "square" },
    { "nn", 1024, 1024, 1024, "square" },
    { "nn", 2048, 2048, 2048, "square" },
    { "nt", 256, 256, 256, "square" },
    { "nt", 1024, 1024, 1024, "square" },
    { "nt", 2048, 2048, 2048, "square" },
    { "tn", 256, 256, 256, "square" },
    { "tn", 1024, 1024, 1024, "square" },
    { "tn", 2048, 2048, 2048, "square" },
    /* W1, batch 32: forward Z = A Wᵀ, then dW = deltaᵀ A, dA = delta W */
    { "nt", 32, 16, 784, "W1 forward 1" },
    { "nt", 32, 16, 16, "W1 forward 2" },
    { "nt", 32, 10, 16, "W1 forward 3" },
    { "tn", 10, 16, 32, "W1 dW 3" },
    { "nn", 32, 16, 10, "W1 delta 2" },
    { "tn", 16, 16, 32, "W1 dW 2" },
    { "nn", 32, 16, 16, "W1 delta 1" },
    { "tn", 16, 784, 32, "W1 dW 1" },
    /* W2, batch 256 */
    { "nt", 256, 1024, 784, "W2 forward 1" },
    { "nt", 256, 1024, 1024, "W2 forward 2" },
    { "nt", 256, 10, 1024, "W2 forward 3" },
    { "tn", 10, 1024, 256, "W2 dW 3" },
    { "nn", 256, 1024, 10, "W2 delta 2" },
    { "tn", 1024, 1024, 256, "W2 dW 2" },
    { "nn", 256, 1024, 1024, "W2 delta 1" },
    { "tn", 1024, 784, 256, "W2 dW 1" },
};

/* `gemm ladder`: nn products from one micro-tile's work to a large
 * square, one thread, to show where the rate is lost as the operands
 * leave each cache: one K block (K = 256, descent's KC) with A, B and C
 * in L1 (12 × 32), then in L2 (240 × 1024: one block of descent's mc ×
 * nc here), then C in L3 (1024², 2048²), then the same squares with all
 * of K, where C is read and written again for every K block. */
static const shape ladder_shapes[] = {
    { "nn", 12, 32, 256, "ladder L1" },
    { "nn", 240, 1024, 256, "ladder L2" },
    { "nn", 1024, 1024, 256, "ladder C 4 MB, one K block" },
    { "nn", 2048, 2048, 256, "ladder C 16 MB, one K block" },
    { "nn", 1024, 1024, 1024, "ladder C 4 MB, 4 K blocks" },
    { "nn", 2048, 2048, 2048, "ladder C 16 MB, 8 K blocks" },
};

typedef struct {
    const shape *s;
    const float *A, *B;
    float *C;
    int lda, ldb;
    dn_pool *pool;
} call;

static void run_descent(const call *c)
{
    const shape *s = c->s;
    if (s->op[0] == 'n' && s->op[1] == 't')
        dn_gemm_nt(c->pool, s->M, s->N, s->K, c->A, c->lda, c->B, c->ldb,
                   c->C, s->N, 0);
    else if (s->op[0] == 'n')
        dn_gemm_nn(c->pool, s->M, s->N, s->K, c->A, c->lda, c->B, c->ldb,
                   c->C, s->N, 0);
    else
        dn_gemm_tn(c->pool, s->M, s->N, s->K, c->A, c->lda, c->B, c->ldb,
                   c->C, s->N, 0);
}

static void run_openblas(const call *c)
{
    const shape *s = c->s;
    enum CBLAS_TRANSPOSE ta = s->op[0] == 't' ? CblasTrans : CblasNoTrans;
    enum CBLAS_TRANSPOSE tb = s->op[1] == 't' ? CblasTrans : CblasNoTrans;
    cblas_sgemm(CblasRowMajor, ta, tb, s->M, s->N, s->K, 1.0f, c->A, c->lda,
                c->B, c->ldb, 0.0f, c->C, s->N);
}

/* GFLOP/s of repeated calls for about REP_SECONDS. */
static double rate(void (*fn)(const call *), const call *c, long reps)
{
    double t0 = now();
    for (long r = 0; r < reps; r++) fn(c);
    return 2.0 * c->s->M * c->s->N * c->s->K * reps / (now() - t0) * 1e-9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static float *randv(size_t n)
{
    float *v = malloc(n * sizeof *v);
    uint64_t s = 88172645463325252ull;
    for (size_t i = 0; v && i < n; i++) {
        s ^= s << 13; s ^= s >> 7; s ^= s << 17;
        v[i] = (float)((double)(s >> 11) / 9007199254740992.0 - 0.5);
    }
    return v;
}

/* Repetitions of c for about REP_SECONDS, from the time of one call
 * (after one unmeasured call, which pays for first-touch and threads). */
static long calibrate(void (*fn)(const call *), const call *c)
{
    fn(c);
    double t0 = now();
    fn(c);
    double one = now() - t0;
    long reps = one > 0 ? (long)(REP_SECONDS / one) : 1000;
    if (reps < 1) reps = 1;
    if (reps > 1000000) reps = 1000000;
    return reps;
}

/* `gemm probe`: OpenBLAS's 1024³ on each thread count asked. */
static int probe(int argc, char **argv, float *A, float *B, float *C)
{
    static const shape sq = { "nn", 1024, 1024, 1024, "probe" };
    char version[32] = "?";
    sscanf(openblas_get_config(), "%*s %31s", version);
    int n = argc > 0 ? argc : 2;
    for (int i = 0; i < n; i++) {
        int t = argc > 0 ? atoi(argv[i]) : i + 1;
        if (t < 1 || t > 4096) {
            fprintf(stderr, "bench/gemm: threads must be 1-4096, not %s\n",
                    argv[i]);
            return 2;
        }
        openblas_set_num_threads(t);
        call c = { &sq, A, B, C, sq.K, sq.N, NULL };
        long reps = calibrate(run_openblas, &c);
        double o[32];
        for (int r = 0; r < ROUNDS; r++) o[r] = rate(run_openblas, &c, reps);
        qsort(o, (size_t)ROUNDS, sizeof *o, cmp);
        printf("probe_gemm core=%s threads=%d gflops=%.1f min=%.1f "
               "max=%.1f version=%s\n", openblas_get_corename(), t,
               o[ROUNDS / 2], o[0], o[ROUNDS - 1], version);
        fflush(stdout);
    }
    return 0;
}

/* ROUNDS rounds of descent then OpenBLAS, each as many calls as fill
 * REP_SECONDS at descent's rate (after a call of each to warm up): the
 * medians of their rates and of the rounds' ratios.  The ratio is the
 * median of each round's ratio: the two measurements of a round are a
 * few milliseconds apart, so a minute in which the machine's other core
 * is busy slows both, where medians taken apart could pair a quiet round
 * of one library with a busy one of the other. */
static void rounds(const call *c, double *dm, double *om, double *qm)
{
    run_openblas(c);
    long reps = calibrate(run_descent, c);
    double d[32], o[32], q[32];
    for (int r = 0; r < ROUNDS; r++) {
        d[r] = rate(run_descent, c, reps);
        o[r] = rate(run_openblas, c, reps);
        q[r] = d[r] / o[r];
    }
    qsort(d, (size_t)ROUNDS, sizeof *d, cmp);
    qsort(o, (size_t)ROUNDS, sizeof *o, cmp);
    qsort(q, (size_t)ROUNDS, sizeof *q, cmp);
    *dm = d[ROUNDS / 2];
    *om = o[ROUNDS / 2];
    *qm = q[ROUNDS / 2];
}

/* `gemm variants [WHAT]`: every variant of descent's (forced with
 * dn_gemm_force), on 1 thread, against OpenBLAS, alternated in every
 * round, on the large squares (or the shapes WHAT selects): one line per
 * shape and variant, the median of ROUNDS rates and ratios,
 *
 *   variant nt 1024x1024x1024 t1 v=1 descent=97.2 openblas=106.0 ratio=0.917 name=12x32 tiles, A copied
 */
static int variants(const char *only, float *A, float *B, float *C)
{
    openblas_set_num_threads(1);
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        const shape *s = &shapes[i];
        char label[96];
        snprintf(label, sizeof label, "%s %s %dx%dx%d", s->what, s->op, s->M,
                 s->N, s->K);
        if (only ? !strstr(label, only) : s->M < 1024) continue;
        call c = { s, A, B, C, s->op[0] == 't' ? s->M : s->K,
                   s->op[1] == 't' ? s->K : s->N, NULL };
        for (int v = 0; v < dn_gemm_variants(); v++) {
            dn_gemm_force(v);
            double dm, om, qm;
            rounds(&c, &dm, &om, &qm);
            printf("variant %s %dx%dx%d t1 v=%d descent=%.1f openblas=%.1f "
                   "ratio=%.3f name=%s\n", s->op, s->M, s->N, s->K, v, dm,
                   om, qm, dn_gemm_variant_name(v));
            fflush(stdout);
        }
    }
    dn_gemm_force(-1);
    return 0;
}

/* `gemm ladder`: the ladder's shapes, one thread, both libraries
 * alternated as in rounds(): one line per shape,
 *
 *   ladder nn 240x1024x256 t1 descent=112.0 openblas=118.3 ratio=0.947 what=ladder L2
 */
static int ladder(float *A, float *B, float *C)
{
    openblas_set_num_threads(1);
    for (size_t i = 0; i < sizeof ladder_shapes / sizeof ladder_shapes[0];
         i++) {
        const shape *s = &ladder_shapes[i];
        call c = { s, A, B, C, s->K, s->N, NULL };
        double dm, om, qm;
        rounds(&c, &dm, &om, &qm);
        printf("ladder %s %dx%dx%d t1 descent=%.1f openblas=%.1f "
               "ratio=%.3f what=%s\n", s->op, s->M, s->N, s->K, dm, om, qm,
               s->what);
        fflush(stdout);
    }
    return 0;
}

/* `gemm shortk`: W1's weight gradient, 16 × 784 × K (tn), for K (the
 * batch) from 32 to 512, one thread, both libraries alternated as in
 * rounds(): microseconds per call, whose growth with K is the rate of
 * the k loop and whose intercept is the fixed cost of a call,
 *
 *   shortk tn 16x784x32 t1 descent_us=12.16 openblas_us=10.19
 */
static int shortk(float *A, float *B, float *C)
{
    openblas_set_num_threads(1);
    static const int ks[] = { 32, 64, 128, 256, 512 };
    for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++) {
        shape s = { "tn", 16, 784, ks[i], "shortk" };
        call c = { &s, A, B, C, s.M, s.N, NULL };
        double dm, om, qm, flops = 2.0 * s.M * s.N * s.K;
        rounds(&c, &dm, &om, &qm);
        printf("shortk tn %dx%dx%d t1 descent_us=%.2f openblas_us=%.2f "
               "ratio=%.3f\n", s.M, s.N, s.K, flops / dm * 1e-3,
               flops / om * 1e-3, qm);
        fflush(stdout);
    }
    return 0;
}

int main(int argc, char **argv)
{
    int a = 1;
    if (argc > a && strcmp(argv[a], "quick") == 0) {
        ROUNDS = 3;
        REP_SECONDS = 0.01;
        a++;
    }
    int probing = argc > a && strcmp(argv[a], "probe") == 0;
    size_t most = (size_t)2048 * 2048;
    float *A = randv(most), *B = randv(most), *C = randv(most);
    if (!A || !B || !C) {
        fprintf(stderr, "bench/gemm: out of memory\n");
        return 1;
    }
    if (probing) {
        int rc = probe(argc - a - 1, argv + a + 1, A, B, C);
        free(A); free(B); free(C);
        return rc;
    }
    if (argc > a && strcmp(argv[a], "shortk") == 0) {
        int rc = shortk(A, B, C);
        free(A); free(B); free(C);
        return rc;
    }
    if (argc > a && strcmp(argv[a], "ladder") == 0) {
        int rc = ladder(A, B, C);
        free(A); free(B); free(C);
        return rc;
    }
    if (argc > a && strcmp(argv[a], "variants") == 0) {
        int rc = variants(argc > a + 1 ? argv[a + 1] : NULL, A, B, C);
        free(A); free(B); free(C);
        return rc;
    }
    const char *only = argc > a ? argv[a] : NULL;
    /* One product large enough to run the calibration (src/kernels/
     * tune.c), so that the line can name the variant it chose. */
    dn_gemm_nn(NULL, 512, 512, 512, A, 512, B, 512, C, 512, 0);
    int nc, mc;
    dn_gemm_blocking(&nc, &mc);
    printf("kernels descent=%s openblas=%s blocking=nc%d,mc%d "
           "variant=%s\n", dn_isa(), openblas_get_corename(), nc, mc,
           dn_gemm_variant_name(dn_gemm_variant()));
    dn_pool *pools[2] = { dn_pool_new(1), dn_pool_new(2) };
    if (!pools[0] || !pools[1]) {
        fprintf(stderr, "bench/gemm: cannot start threads\n");
        return 1;
    }
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        const shape *s = &shapes[i];
        char label[96];
        snprintf(label, sizeof label, "%s %s %dx%dx%d", s->what, s->op, s->M,
                 s->N, s->K);
        if (only && !strstr(label, only)) continue;
        /* Stored as the op reads them: A is M×K (K×M for "tn"), B is
         * K×N (N×K for "nt"); leading dimensions are the widths. */
        int lda = s->op[0] == 't' ? s->M : s->K;
        int ldb = s->op[1] == 't' ? s->K : s->N;
        for (int t = 1; t <= 2; t++) {
            call c = { s, A, B, C, lda, ldb, pools[t - 1] };
            openblas_set_num_threads(t);
            double dm, om, qm;
            rounds(&c, &dm, &om, &qm);
            printf("gemm %s %dx%dx%d t%d descent=%.1f openblas=%.1f "
                   "ratio=%.3f what=%s\n", s->op, s->M, s->N, s->K, t, dm,
                   om, qm, s->what);
            fflush(stdout);
        }
    }
    free(A); free(B); free(C);
    dn_pool_free(pools[0]);
    dn_pool_free(pools[1]);
    return 0;
}
