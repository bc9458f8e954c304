/* peak.c — the float32 multiply-add peak of this CPU, measured, for
 * `make bench`: the ceiling every throughput in bench/RESULTS.md is also
 * shown against.  Plain C with intrinsics, nothing of descent's.
 *
 *   peak [repeats] [threads...]     default: 7 repeats; 1, 2 and all cores
 *
 * The widest vector multiply-add the CPU has is chosen at run time, as
 * the library chooses its kernels (AVX-512F, else AVX2 with FMA, else
 * SSE2's separate multiply and add, counted as two flops per lane too;
 * DESCENT_GEMM=avx2|portable caps it as it caps the library's kernels).
 * Each thread runs CHAINS independent accumulators, acc = acc·x + y: an
 * FMA's result is ready only after ~4 cycles and a core can start two per
 * cycle, so fewer than 8 chains would measure the latency, not the
 * throughput; the chains also fit the registers (32 for AVX-512, 16
 * otherwise), so the loop touches no memory.  x is just under 1 and y
 * small, so the sums move from their starts towards y/(1-x) = 1 and
 * stay normal numbers (no subnormal slow path, no overflow).  One line per thread count:
 *
 *   peak isa=avx512 lanes=16 chains=24 threads=1 gflops=140.2 min=138.0 max=141.1
 *
 * gflops: the median of the repeats (each ~0.2 s of every thread running
 * at once, between two barriers), min and max their range.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if (defined(__x86_64__) || defined(__i386__)) && \
    (defined(__GNUC__) || defined(__clang__))
#define PEAK_X86 1
#include <immintrin.h>
#endif

/* The operands and each chain's start, read through volatile so that
 * the compiler cannot know them: chains it could prove equal it would
 * merge into one (gcc does), and constant ones it could fold away. */
static volatile float vx = 0.999999f, vy = 1e-6f;
static volatile float v0[24] = {
    0.01f, 0.02f, 0.03f, 0.04f, 0.05f, 0.06f, 0.07f, 0.08f,
    0.09f, 0.10f, 0.11f, 0.12f, 0.13f, 0.14f, 0.15f, 0.16f,
    0.17f, 0.18f, 0.19f, 0.20f, 0.21f, 0.22f, 0.23f, 0.24f,
};

/* The steps of one timed run, per thread: ~0.2 s at 100 GFLOP/s. */
static long steps = 1L << 20;

typedef struct {
    const char *name;
    int lanes, chains;
    /* Runs n steps of every chain; returns a sum of the chains, which the
     * caller keeps, so that no work is dead. */
    float (*run)(long n);
} isa;

/* The chains are written out by hand, one statement per register: a
 * loop over an array of vectors would leave the registers to the
 * compiler's judgment, and at -O2 it may keep them in memory. */
#define FMA8(F, a, x, y)                                                  \
    a##0 = F(a##0, x, y); a##1 = F(a##1, x, y); a##2 = F(a##2, x, y);     \
    a##3 = F(a##3, x, y); a##4 = F(a##4, x, y); a##5 = F(a##5, x, y);     \
    a##6 = F(a##6, x, y); a##7 = F(a##7, x, y)

#ifdef PEAK_X86
/* 24 chains of 16 lanes: 3·8, leaving 8 of the 32 registers spare. */
__attribute__((target("avx512f")))
static float run_avx512(long n)
{
    __m512 x = _mm512_set1_ps(vx), y = _mm512_set1_ps(vy);
#define S(i) _mm512_set1_ps(v0[i])
    __m512 a0 = S(0), a1 = S(1), a2 = S(2), a3 = S(3), a4 = S(4),
           a5 = S(5), a6 = S(6), a7 = S(7), b0 = S(8), b1 = S(9),
           b2 = S(10), b3 = S(11), b4 = S(12), b5 = S(13), b6 = S(14),
           b7 = S(15), c0 = S(16), c1 = S(17), c2 = S(18), c3 = S(19),
           c4 = S(20), c5 = S(21), c6 = S(22), c7 = S(23);
#undef S
    for (long i = 0; i < n; i++) {
        FMA8(_mm512_fmadd_ps, a, x, y);
        FMA8(_mm512_fmadd_ps, b, x, y);
        FMA8(_mm512_fmadd_ps, c, x, y);
    }
    __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1),
                                           _mm512_add_ps(a2, a3)),
                             _mm512_add_ps(_mm512_add_ps(a4, a5),
                                           _mm512_add_ps(a6, a7)));
    s = _mm512_add_ps(s, _mm512_add_ps(
            _mm512_add_ps(_mm512_add_ps(b0, b1), _mm512_add_ps(b2, b3)),
            _mm512_add_ps(_mm512_add_ps(b4, b5), _mm512_add_ps(b6, b7))));
    s = _mm512_add_ps(s, _mm512_add_ps(
            _mm512_add_ps(_mm512_add_ps(c0, c1), _mm512_add_ps(c2, c3)),
            _mm512_add_ps(_mm512_add_ps(c4, c5), _mm512_add_ps(c6, c7))));
    return _mm512_reduce_add_ps(s);
}

/* 12 chains (and the 2 operands) within the 16 registers of AVX2 and
 * SSE, one function written once for both: ATTR its target, T the vector
 * type of L lanes, SET1 its broadcast, MADD its multiply-add, ADD its
 * sum, STORE its unaligned store. */
#define FMA4(F, a, x, y)                                                  \
    a##0 = F(a##0, x, y); a##1 = F(a##1, x, y); a##2 = F(a##2, x, y);     \
    a##3 = F(a##3, x, y)
#define RUN12(ATTR, NAME, T, L, SET1, MADD, ADD, STORE)                   \
    ATTR static float NAME(long n)                                        \
    {                                                                     \
        T x = SET1(vx), y = SET1(vy);                                     \
        T a0 = SET1(v0[0]), a1 = SET1(v0[1]), a2 = SET1(v0[2]),           \
          a3 = SET1(v0[3]), b0 = SET1(v0[4]), b1 = SET1(v0[5]),           \
          b2 = SET1(v0[6]), b3 = SET1(v0[7]), c0 = SET1(v0[8]),           \
          c1 = SET1(v0[9]), c2 = SET1(v0[10]), c3 = SET1(v0[11]);         \
        for (long i = 0; i < n; i++) {                                    \
            FMA4(MADD, a, x, y);                                          \
            FMA4(MADD, b, x, y);                                          \
            FMA4(MADD, c, x, y);                                          \
        }                                                                 \
        T s = ADD(ADD(ADD(ADD(a0, a1), ADD(a2, a3)),                      \
                      ADD(ADD(b0, b1), ADD(b2, b3))),                     \
                  ADD(ADD(c0, c1), ADD(c2, c3)));                         \
        float f[L], sum = 0;                                              \
        STORE(f, s);                                                      \
        for (int i = 0; i < L; i++) sum += f[i];                          \
        return sum;                                                       \
    }

/* 12 chains of 8 lanes. */
RUN12(__attribute__((target("avx2,fma"))), run_avx2, __m256, 8,
      _mm256_set1_ps, _mm256_fmadd_ps, _mm256_add_ps, _mm256_storeu_ps)

/* SSE2 has no fused multiply-add: a multiply and an add per lane, the
 * same two flops, on 12 chains of 4 lanes.  A chain's step waits for
 * both (~8 cycles), more than 12 chains can hide: a lower bound, for
 * CPUs the library runs portably anyway. */
static inline __m128 madd_sse(__m128 a, __m128 x, __m128 y)
{
    return _mm_add_ps(_mm_mul_ps(a, x), y);
}

RUN12(, run_sse, __m128, 4, _mm_set1_ps, madd_sse, _mm_add_ps, _mm_storeu_ps)
#else
/* Elsewhere: scalar chains, for the record (the bench is for x86). */
static float run_scalar(long n)
{
    float x = vx, y = vy;
    float a0 = v0[0], a1 = v0[1], a2 = v0[2], a3 = v0[3], a4 = v0[4],
          a5 = v0[5], a6 = v0[6], a7 = v0[7];
    for (long i = 0; i < n; i++) {
#define MADD(a, x, y) ((a) * (x) + (y))
        FMA8(MADD, a, x, y);
#undef MADD
    }
    return a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
}
#endif

static isa choose(void)
{
#ifdef PEAK_X86
    /* DESCENT_GEMM=avx2|portable asks the library for a lesser set of
     * kernels; the peak follows, so that the percentages compare like
     * with like. */
    const char *env = getenv("DESCENT_GEMM");
    int cap = env && strcmp(env, "portable") == 0 ? 0
            : env && strcmp(env, "avx2") == 0 ? 1 : 2;
    __builtin_cpu_init();
    if (cap >= 2 && __builtin_cpu_supports("avx512f"))
        return (isa){ "avx512", 16, 24, run_avx512 };
    if (cap >= 1 && __builtin_cpu_supports("avx2") &&
        __builtin_cpu_supports("fma"))
        return (isa){ "avx2", 8, 12, run_avx2 };
    return (isa){ "sse2", 4, 12, run_sse };
#else
    return (isa){ "scalar", 1, 8, run_scalar };
#endif
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

typedef struct {
    const isa *k;
    pthread_barrier_t *start, *stop;
    int repeats;
    float sink;
} worker;

/* Every repeat: wait for all, run, wait for all; the main thread times
 * from the first barrier to the second, so the slowest thread counts. */
static void *work(void *p)
{
    worker *w = p;
    for (int r = 0; r < w->repeats; r++) {
        pthread_barrier_wait(w->start);
        w->sink += w->k->run(steps);
        pthread_barrier_wait(w->stop);
    }
    return NULL;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Runs `threads` threads `repeats` times and prints the line. */
static int measure(const isa *k, int threads, int repeats, float *sink)
{
    pthread_t *tid = calloc((size_t)threads, sizeof *tid);
    worker *w = calloc((size_t)threads, sizeof *w);
    double *g = calloc((size_t)repeats, sizeof *g);
    pthread_barrier_t start, stop;
    if (!tid || !w || !g ||
        pthread_barrier_init(&start, NULL, (unsigned)threads + 1) ||
        pthread_barrier_init(&stop, NULL, (unsigned)threads + 1)) {
        fprintf(stderr, "bench/peak: out of memory\n");
        return 1;
    }
    int made = 0;
    for (; made < threads; made++) {
        w[made] = (worker){ k, &start, &stop, repeats, 0 };
        if (pthread_create(&tid[made], NULL, work, &w[made])) break;
    }
    if (made < threads) {
        fprintf(stderr, "bench/peak: cannot start %d threads\n", threads);
        exit(1);   /* the made ones wait at a barrier that never fills */
    }
    double flops = 2.0 * k->lanes * k->chains * (double)steps * threads;
    for (int r = 0; r < repeats; r++) {
        pthread_barrier_wait(&start);
        double t0 = now();
        pthread_barrier_wait(&stop);
        g[r] = flops / (now() - t0) * 1e-9;
    }
    for (int i = 0; i < threads; i++) {
        pthread_join(tid[i], NULL);
        *sink += w[i].sink;
    }
    qsort(g, (size_t)repeats, sizeof *g, cmp);
    printf("peak isa=%s lanes=%d chains=%d threads=%d gflops=%.1f "
           "min=%.1f max=%.1f\n", k->name, k->lanes, k->chains, threads,
           g[repeats / 2], g[0], g[repeats - 1]);
    fflush(stdout);
    pthread_barrier_destroy(&start);
    pthread_barrier_destroy(&stop);
    free(tid); free(w); free(g);
    return 0;
}

int main(int argc, char **argv)
{
    int repeats = argc > 1 ? atoi(argv[1]) : 7;
    if (repeats < 1 || repeats > 1000) {
        fprintf(stderr, "usage: peak [repeats 1-1000] [threads...]\n");
        return 2;
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores < 1) cores = 1;
    int want[64], n = 0;
    for (int a = 2; a < argc && n < 64; a++) {
        int t = atoi(argv[a]);
        if (t < 1 || t > 4096) {
            fprintf(stderr, "bench/peak: threads must be 1-4096, not %s\n",
                    argv[a]);
            return 2;
        }
        want[n++] = t;
    }
    if (n == 0) {
        want[n++] = 1;
        if (cores > 2) want[n++] = 2;
        if (cores > 1) want[n++] = (int)cores;
    }
    isa k = choose();
    /* Size a repeat to ~0.2 s of one thread from a short trial run: a
     * fixed count would take seconds on a slow CPU or milliseconds on a
     * fast one. */
    float sink = 0;
    long trial = 1L << 14;
    for (;;) {
        double t0 = now();
        sink += k.run(trial);
        double dt = now() - t0;
        if (dt > 0.02 || trial > (1L << 40)) {
            steps = (long)((double)trial * 0.2 / (dt > 0 ? dt : 1e-9));
            break;
        }
        trial *= 4;
    }
    if (steps < 1) steps = 1;
    for (int i = 0; i < n; i++)
        if (measure(&k, want[i], repeats, &sink)) return 1;
    /* The sums, so that no compiler drops the chains; every lane stays
     * between its start and 1, so they are positive unless something
     * went wrong. */
    if (!(sink > 0)) fprintf(stderr, "bench/peak: odd sums %g\n", sink);
    return 0;
}
