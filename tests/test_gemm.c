/* test_gemm.c — the three products against a plain triple loop in double,
 * their bits against the thread count, and the pool's bookkeeping.
 *
 * Tolerance: |C − R| ≤ (K + 2)·2⁻²⁴·S, R the exact product (in double)
 * and S = Σ_k |a||b| + |C₀|, C₀ the value accumulated into.  This is the
 * textbook bound for a float sum of K products added to C₀ in any order
 * (Higham, γ_n), so it holds for every blocking and for FMA, and a wrong
 * or missing term (about S/K) still exceeds it by orders of magnitude.
 *
 * Every kernel set the machine has is tested: the program forks before
 * anything else, and children rerun every check with DESCENT_GEMM=avx2
 * and =portable, then send their products back so the sets are compared
 * with each other too: AVX2 and AVX-512 must agree to the bit (both sum
 * each element with fused multiply-adds in k order), the portable set to
 * within the bound.
 *
 * Besides the values: the epilogue sees every element once, after its
 * last K block; a row's bits do not depend on the other rows computed
 * with it (the training loop computes a batch's first layer in parts);
 * nor on the thread count.
 */
#include "check.h"
#include "kernels/gemm.h"
#include "descent.h"   /* dn_isa */

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* --- inputs */

static uint64_t seed = 1;

static float unif(void)   /* in [-1, 1), the same on every platform */
{
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return (float)((double)(seed >> 40) / (double)(1ULL << 23) - 1.0);
}

static float *randv(size_t n)
{
    float *v = malloc((n ? n : 1) * sizeof *v);
    if (!v) {
        fprintf(stderr, "test_gemm: out of memory\n");
        exit(2);
    }
    for (size_t i = 0; i < n; i++) v[i] = unif();
    return v;
}

typedef void gemm_fn(dn_pool *, int, int, int, const float *, int,
                     const float *, int, float *, int, int);

static const struct { const char *name; gemm_fn *fn; } kinds[3] = {
    { "nt", dn_gemm_nt }, { "nn", dn_gemm_nn }, { "tn", dn_gemm_tn },
};

/* Sizes of A and B as stored for kind q: rows × width. */
static void dims(int q, int M, int N, int K, int *ar, int *aw, int *br, int *bw)
{
    *ar = q == 2 ? K : M;  *aw = q == 2 ? M : K;
    *br = q == 0 ? N : K;  *bw = q == 0 ? K : N;
}

static double opa(int q, const float *A, int lda, int i, int k)
{
    return q == 2 ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k];
}

static double opb(int q, const float *B, int ldb, int k, int j)
{
    return q == 0 ? B[(size_t)j * ldb + k] : B[(size_t)k * ldb + j];
}

/* --- products against the reference */

/* One product of kind q with the given padding of every leading dimension;
 * checks every element and that the padding of C is untouched. */
static void one(dn_pool *pool, int q, int M, int N, int K, int pad, int acc)
{
    int ar, aw, br, bw;
    dims(q, M, N, K, &ar, &aw, &br, &bw);
    int lda = aw + pad, ldb = bw + pad, ldc = N + pad;
    float *A = randv((size_t)ar * lda), *B = randv((size_t)br * ldb);
    float *C = randv((size_t)M * ldc), *C0 = malloc(((size_t)M * ldc + 1) * 4);
    memcpy(C0, C, (size_t)M * ldc * sizeof *C);

    kinds[q].fn(pool, M, N, K, A, lda, B, ldb, C, ldc, acc);

    long bad = 0, fi = -1, fj = -1;
    double got = 0, want = 0, tol = 0;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < ldc; j++) {
            double c = C[(size_t)i * ldc + j], c0 = C0[(size_t)i * ldc + j];
            double r = 0, s = 0;
            if (j >= N) {             /* padding: must be left alone */
                r = c0;
            } else {
                for (int k = 0; k < K; k++) {
                    double p = opa(q, A, lda, i, k) * opb(q, B, ldb, k, j);
                    r += p;
                    s += fabs(p);
                }
                if (acc) { r += c0; s += fabs(c0); }
            }
            double t = (K + 2) * 0x1p-24 * s;
            if (!(fabs(c - r) <= t) && bad++ == 0) {
                fi = i; fj = j; got = c; want = r; tol = t;
            }
        }
    CHECK(bad == 0, "%s M=%d N=%d K=%d pad=%d acc=%d threads=%d: %ld bad, "
          "first C[%ld][%ld] = %.9g, want %.9g, tol %.3g", kinds[q].name,
          M, N, K, pad, acc, dn_pool_threads(pool), bad, fi, fj, got, want,
          tol);
    free(A); free(B); free(C); free(C0);
}

static void test_shapes(dn_pool *pool3)
{
    /* Around the kernel tiles (6 × 8, 6 × 16, 12 × 32, 16 × 16), the
     * blocks (MC 96, NC 512, KC 256) and with zeros; a few are big enough
     * to be threaded. */
    static const int fixed[][3] = {
        {0, 0, 0}, {0, 7, 5}, {7, 0, 5}, {7, 5, 0}, {1, 1, 1}, {1, 1, 300},
        {2, 3, 1}, {5, 7, 3}, {6, 16, 8}, {7, 17, 9}, {12, 32, 255},
        {13, 33, 256}, {11, 15, 257}, {95, 9, 20}, {96, 10, 31},
        {97, 24, 40}, {193, 17, 13}, {20, 511, 10}, {9, 513, 30},
        {30, 1030, 7}, {3, 5, 513}, {50, 40, 600}, {130, 300, 70},
        {300, 20, 100}, {140, 600, 300},  /* the last: K, row, N blocks */
        /* Narrow forward products with a long K take the dot-product
         * kernels (N ≤ 16, K ≥ 128), K not a multiple of 16 included;
         * then the 16-wide tiles, and the shapes of a small network. */
        {7, 16, 300}, {33, 5, 784}, {4, 1, 129}, {1, 16, 128},
        {17, 12, 1000}, {40, 16, 784}, {100, 20, 50}, {16, 784, 32},
        {10, 16, 32}, {32, 10, 16}, {64, 256, 784},
    };
    int n = (int)(sizeof fixed / sizeof fixed[0]);
    for (int s = 0; s < n; s++)
        for (int q = 0; q < 3; q++)
            for (int v = 0; v < 4; v++)
                one(s % 2 ? pool3 : NULL, q, fixed[s][0], fixed[s][1],
                    fixed[s][2], v & 1 ? 3 : 0, v >> 1);
    for (int s = 0; s < 40; s++) {   /* random small shapes */
        int M = (int)((unif() + 1) * 35), N = (int)((unif() + 1) * 35);
        int K = (int)((unif() + 1) * 150);
        one(s % 2 ? pool3 : NULL, s % 3, M, N, K, s % 5, s % 2);
    }
}

/* K = 0: C = 0 without accumulation, C untouched with it. */
static void test_empty_sum(void)
{
    float C[6] = {1, 2, 3, 4, 5, 6}, A[1] = {7}, B[1] = {8};
    for (int q = 0; q < 3; q++) {
        kinds[q].fn(NULL, 2, 2, 0, A, 1, B, 2, C, 3, 1);
        CHECK(C[0] == 1 && C[1] == 2 && C[2] == 3 && C[4] == 5,
              "%s K=0 acc=1 changed C", kinds[q].name);
        kinds[q].fn(NULL, 2, 2, 0, A, 1, B, 2, C, 3, 0);
        CHECK(C[0] == 0 && C[1] == 0 && C[3] == 0 && C[4] == 0 &&
              C[2] == 3 && C[5] == 6, "%s K=0 acc=0: C = %g %g %g / %g %g %g",
              kinds[q].name, C[0], C[1], C[2], C[3], C[4], C[5]);
        for (int i = 0; i < 6; i++) C[i] = (float)(i + 1);
    }
}

/* --- determinism: the same bits whatever the thread count */

static void test_bits(dn_pool **pools, int n_pools)
{
    static const int shapes[][3] = {
        {150, 260, 520},   /* many tiles both ways, three K blocks */
        {1000, 24, 300},   /* tall: cut by rows */
        {24, 1000, 300},   /* wide: cut by columns */
        {700, 300, 32},    /* a gradient's shape: short K */
        {200, 1100, 600},  /* several K, row and column blocks: the slab */
    };
    for (int s = 0; s < 5; s++)
        for (int q = 0; q < 3; q++) {
            int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
            int ar, aw, br, bw;
            dims(q, M, N, K, &ar, &aw, &br, &bw);
            float *A = randv((size_t)ar * aw), *B = randv((size_t)br * bw);
            float *C0 = randv((size_t)M * N);
            float *ref = malloc((size_t)M * N * sizeof *ref);
            float *C = malloc((size_t)M * N * sizeof *C);
            for (int acc = 0; acc < 2; acc++) {
                memcpy(ref, C0, (size_t)M * N * sizeof *C);
                kinds[q].fn(NULL, M, N, K, A, aw, B, bw, ref, N, acc);
                for (int p = 0; p < n_pools; p++) {
                    memcpy(C, C0, (size_t)M * N * sizeof *C);
                    kinds[q].fn(pools[p], M, N, K, A, aw, B, bw, C, N, acc);
                    CHECK(memcmp(C, ref, (size_t)M * N * sizeof *C) == 0,
                          "%s %dx%dx%d acc=%d: %d threads differ from one",
                          kinds[q].name, M, N, K, acc,
                          dn_pool_threads(pools[p]));
                }
            }
            free(A); free(B); free(C0); free(ref); free(C);
        }
}

/* --- the pool */

typedef struct { int *count; dn_pool *pool; int nested; } counts;

static void bump(int t, void *arg) { ((counts *)arg)->count[t]++; }

static void bump_nested(int t, void *arg)
{
    counts *c = arg;
    c->count[t]++;
    /* A task may call the pool again: it must run inline, not hang. */
    dn_pool_run(c->pool, 5, bump, &(counts){ c->count + 1000 + 5 * t, 0, 0 });
}

static void test_pool_counts(dn_pool **pools, int n_pools)
{
    static const int sizes[] = {0, 1, 7, 1000};
    int *count = malloc(2000 * sizeof *count);
    for (int p = 0; p < n_pools; p++)
        for (int s = 0; s < 4; s++) {
            int n = sizes[s], wrong = 0;
            for (int round = 0; round < 20; round++) {
                memset(count, 0, 2000 * sizeof *count);
                dn_pool_run(pools[p], n, bump, &(counts){ count, 0, 0 });
                for (int t = 0; t < 2000; t++)
                    wrong += count[t] != (t < n);
            }
            CHECK(wrong == 0, "%d tasks on %d threads: %d counts wrong", n,
                  dn_pool_threads(pools[p]), wrong);
        }
    for (int p = 0; p < n_pools; p++) {
        memset(count, 0, 2000 * sizeof *count);
        dn_pool_run(pools[p], 7, bump_nested, &(counts){ count, pools[p], 1 });
        int wrong = 0;
        for (int t = 0; t < 2000; t++)
            wrong += count[t] != (t < 7 || (t >= 1000 && t < 1035));
        CHECK(wrong == 0, "nested run on %d threads: %d counts wrong",
              dn_pool_threads(pools[p]), wrong);
    }
    free(count);
}

/* n tasks on an n-thread pool must all be running at once: each waits
 * (up to two seconds) until it has seen all n start. */
typedef struct { atomic_int started; atomic_int met; int n; } rendezvous;

static void meet(int t, void *arg)
{
    rendezvous *r = arg;
    (void)t;
    atomic_fetch_add(&r->started, 1);
    struct timespec nap = {0, 100000};
    for (int i = 0; i < 20000 && atomic_load(&r->started) < r->n; i++)
        nanosleep(&nap, NULL);
    if (atomic_load(&r->started) == r->n)
        atomic_fetch_add(&r->met, 1);
}

static void test_pool_parallel(dn_pool *pool)
{
    int n = dn_pool_threads(pool);
    rendezvous r = { 0, 0, n };
    dn_pool_run(pool, n, meet, &r);
    CHECK(atomic_load(&r.met) == n, "%d of %d tasks ran at the same time",
          atomic_load(&r.met), n);
}

/* A pool of one thread has no workers: everything runs on the caller. */
typedef struct { pthread_t caller; atomic_int elsewhere; } where;

static void note(int t, void *arg)
{
    where *w = arg;
    (void)t;
    if (!pthread_equal(pthread_self(), w->caller))
        atomic_fetch_add(&w->elsewhere, 1);
}

static void test_pool_one(dn_pool *one)
{
    where w = { pthread_self(), 0 };
    dn_pool_run(one, 100, note, &w);
    dn_pool_run(NULL, 100, note, &w);
    CHECK(atomic_load(&w.elsewhere) == 0, "%d tasks left the caller's "
          "thread on a one-thread pool", atomic_load(&w.elsewhere));
}

static void test_pool_sizes(void)
{
    CHECK(dn_pool_threads(NULL) == 1, "NULL pool has %d threads",
          dn_pool_threads(NULL));
    dn_pool_free(NULL);   /* must be a no-op */
    dn_pool *p = dn_pool_new(0);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    CHECK(p && dn_pool_threads(p) == (cores < 1 ? 1 : cores),
          "pool of 0 has %d threads, %ld cores", dn_pool_threads(p), cores);
    dn_pool_free(p);
    for (int i = 0; i < 3; i++) {   /* create and free repeatedly */
        p = dn_pool_new(4);
        CHECK(p && dn_pool_threads(p) == 4, "pool of 4 has %d threads",
              dn_pool_threads(p));
        dn_pool_free(p);
    }
}

/* --- the two kernels against each other */

enum { XM = 37, XN = 45, XK = 300 };

/* Products every process computes the same way, for the comparison;
 * with sum, also Σ_k |a||b| of every element. */
static void cross_products(float *out, double *sum)
{
    uint64_t keep = seed;
    seed = 12345;
    float *A = randv(XM * XK), *B = randv(XN * XK);   /* big enough for all */
    for (int q = 0; q < 3; q++) {
        int ar, aw, br, bw;
        dims(q, XM, XN, XK, &ar, &aw, &br, &bw);
        kinds[q].fn(NULL, XM, XN, XK, A, aw, B, bw, out + q * XM * XN, XN, 0);
        for (int i = 0; sum && i < XM; i++)
            for (int j = 0; j < XN; j++) {
                double s = 0;
                for (int k = 0; k < XK; k++)
                    s += fabs(opa(q, A, aw, i, k) * opb(q, B, bw, k, j));
                sum[q * XM * XN + i * XN + j] = s;
            }
    }
    free(A); free(B);
    seed = keep;
}

/* --- the epilogue */

typedef struct { int *seen; int ldc; float *C; } marks;

/* Doubles its block and adds 1, and counts the visits of each element. */
static void mark(const void *arg, float *c, ptrdiff_t ldc, int i0, int j0,
                 int rows, int cols)
{
    const marks *m = arg;
    int inside = c == m->C + (ptrdiff_t)i0 * m->ldc + j0 && ldc == m->ldc;
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) {
            c[i * ldc + j] = 2 * c[i * ldc + j] + 1;
            m->seen[(i0 + i) * m->ldc + j0 + j] += inside ? 1 : 1000;
        }
}

/* C' = 2·(A·B) + 1 with each element visited once, on every path (a dot
 * product, one K block or three, threads or not, small, and K = 0). */
static void test_epilogue(dn_pool *pool3)
{
    typedef void epi_fn(dn_pool *, int, int, int, const float *, int,
                        const float *, int, float *, int, int,
                        const dn_epilogue *);
    static epi_fn *const with[3] = { dn_gemm_nt_epi, dn_gemm_nn_epi,
                                     dn_gemm_tn_epi };
    static const int shapes[][3] = {
        {37, 45, 600}, {50, 12, 300}, {130, 70, 40}, {9, 5, 0},
        {20, 37, 30}, {33, 10, 16},   /* small: the kernels on A, B in place */
    };
    for (int s = 0; s < 6; s++)
        for (int q = 0; q < 3; q++)
            for (int t = 0; t < 2; t++) {
                int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
                int ar, aw, br, bw;
                dims(q, M, N, K, &ar, &aw, &br, &bw);
                float *A = randv((size_t)ar * aw), *B = randv((size_t)br * bw);
                float *C = randv((size_t)M * N), *R = randv((size_t)M * N);
                int *seen = calloc((size_t)M * N, sizeof *seen);
                dn_pool *p = t ? pool3 : NULL;
                kinds[q].fn(p, M, N, K, A, aw, B, bw, R, N, 0);
                marks mk = { seen, N, C };
                dn_epilogue epi = { mark, &mk };
                with[q](p, M, N, K, A, aw, B, bw, C, N, 0, &epi);
                long bad = 0, once = 0;
                for (int i = 0; i < M * N; i++) {
                    bad += C[i] != 2 * R[i] + 1;
                    once += seen[i] == 1;
                }
                CHECK(bad == 0 && once == (long)M * N, "%s %dx%dx%d threads "
                      "%d: %ld elements differ from 2·(A·B) + 1, %ld of %d "
                      "seen exactly once by the epilogue", kinds[q].name, M,
                      N, K, dn_pool_threads(p), bad, once, M * N);
                free(A); free(B); free(C); free(R); free(seen);
            }
}

/* --- a row's bits do not depend on the rows computed with it */

static void test_rows(dn_pool *pool3)
{
    /* Wide and narrow (dot-product) forward products, the backward ones. */
    static const int shapes[][4] = {   /* q, M, N, K */
        {0, 37, 45, 300}, {0, 32, 16, 784}, {0, 30, 10, 200},
        {1, 37, 45, 300}, {2, 37, 45, 300}, {2, 16, 784, 32},
    };
    for (int s = 0; s < 6; s++) {
        int q = shapes[s][0], M = shapes[s][1], N = shapes[s][2];
        int K = shapes[s][3], cut = M / 2 - 1;
        int ar, aw, br, bw;
        dims(q, M, N, K, &ar, &aw, &br, &bw);
        float *A = randv((size_t)ar * aw), *B = randv((size_t)br * bw);
        float *C = randv((size_t)M * N), *P = randv((size_t)M * N);
        kinds[q].fn(pool3, M, N, K, A, aw, B, bw, C, N, 0);
        /* Rows [0, cut) and [cut, M): for tn the rows of C are A's
         * columns. */
        size_t off = q == 2 ? (size_t)cut : (size_t)cut * aw;
        kinds[q].fn(NULL, cut, N, K, A, aw, B, bw, P, N, 0);
        kinds[q].fn(NULL, M - cut, N, K, A + off, aw, B, bw,
                    P + (size_t)cut * N, N, 0);
        CHECK(memcmp(C, P, (size_t)M * N * sizeof *C) == 0, "%s %dx%dx%d: "
              "rows computed in two parts differ from all at once",
              kinds[q].name, M, N, K);
        free(A); free(B); free(C); free(P);
    }
}

static void run_all(void)
{
    dn_pool *pools[4] = { dn_pool_new(1), dn_pool_new(2), dn_pool_new(3),
                          dn_pool_new(0) };
    CHECK(pools[0] && pools[1] && pools[2] && pools[3], "dn_pool_new failed");
    if (!(pools[0] && pools[1] && pools[2] && pools[3]))
        return;
    test_pool_sizes();
    test_pool_counts(pools, 4);
    test_pool_one(pools[0]);
    test_pool_parallel(pools[1]);
    test_pool_parallel(pools[2]);
    test_empty_sum();
    test_shapes(pools[2]);
    test_epilogue(pools[2]);
    test_rows(pools[2]);
    test_bits(pools, 4);
    for (int p = 0; p < 4; p++) dn_pool_free(pools[p]);
}

/* A child that reruns everything with DESCENT_GEMM=isa and writes back
 * the kernel set it got (16 bytes) and its cross products. */
typedef struct {
    const char *isa;
    pid_t pid;
    int fd;
    char got[16];
    float prod[3 * XM * XN];
} child;

static void spawn(child *c)
{
    int fd[2];
    c->pid = -1;
    if (pipe(fd) != 0 || (c->pid = fork()) < 0)
        return;
    if (c->pid == 0) {
        close(fd[0]);
        setenv("DESCENT_GEMM", c->isa, 1);
        run_all();
        memset(c->got, 0, sizeof c->got);
        strncpy(c->got, dn_isa(), sizeof c->got - 1);
        cross_products(c->prod, NULL);
        ssize_t w1 = write(fd[1], c->got, sizeof c->got);
        ssize_t w2 = write(fd[1], c->prod, sizeof c->prod);
        printf("  %s kernels: %d passed, %d failed\n", c->got, check_passed,
               check_failed);
        fflush(stdout);
        /* exit, not _exit: a coverage build writes its counts at exit */
        exit(check_failed || w1 != (ssize_t)sizeof c->got ||
              w2 != (ssize_t)sizeof c->prod);
    }
    close(fd[1]);
    c->fd = fd[0];
}

/* Reads a child's answer; 1 if it all came and the child passed. */
static int collect(child *c)
{
    char buf[sizeof c->got + sizeof c->prod];
    size_t got = 0;
    ssize_t r;
    while (got < sizeof buf &&
           (r = read(c->fd, buf + got, sizeof buf - got)) > 0)
        got += (size_t)r;
    close(c->fd);
    int status = 0;
    waitpid(c->pid, &status, 0);
    fflush(stdout);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "the DESCENT_GEMM=%s run failed (status %d)", c->isa, status);
    CHECK(got == sizeof buf, "got %zu bytes from the DESCENT_GEMM=%s run",
          got, c->isa);
    memcpy(c->got, buf, sizeof c->got);
    c->got[sizeof c->got - 1] = 0;
    memcpy(c->prod, buf + sizeof c->got, sizeof c->prod);
    return got == sizeof buf;
}

int main(void)
{
    static float mine[3 * XM * XN];
    static double sum[3 * XM * XN];
    static child kids[2] = { { "avx2", 0, 0, {0}, {0} },
                             { "portable", 0, 0, {0}, {0} } };

    /* Fork before any thread exists. */
    int n_kids = getenv("DESCENT_GEMM") ? 0 : 2;
    for (int k = 0; k < n_kids; k++) spawn(&kids[k]);
    run_all();
    const char *isa = dn_isa();
    cross_products(mine, sum);
    for (int k = 0; k < n_kids; k++) {
        if (kids[k].pid <= 0 || !collect(&kids[k])) continue;
        const char *theirs = kids[k].got;
        if (strcmp(theirs, "portable") != 0 && strcmp(isa, "portable") != 0) {
            /* Both fuse their multiply-adds in k order: the same bits. */
            CHECK(memcmp(mine, kids[k].prod, sizeof mine) == 0, "%s and %s "
                  "kernels differ in the bits", isa, theirs);
            continue;
        }
        double worst = 0;   /* in units of Σ|a||b| */
        for (int i = 0; i < 3 * XM * XN; i++) {
            double d = fabs((double)mine[i] - kids[k].prod[i]) / sum[i];
            if (!(d <= worst)) worst = d;
        }
        /* Both within the bound of the exact value, so of each other
         * within twice it. */
        CHECK(worst <= 2 * (XK + 2) * 0x1p-24, "%s and %s kernels differ "
              "by %.3g of sum |a||b|", isa, theirs, worst);
    }
    return check_done("test_gemm");
}
