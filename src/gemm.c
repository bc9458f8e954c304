/* gemm.c — the three matrix products of training, on one or many threads.
 *
 * All three are one product, C (+)= op(A)·op(B), where only the strides
 * differ:  op(A)[i][k] = A[i·ars + k·acs],  op(B)[k][j] = B[k·bks + j·bjs].
 *
 * The loops follow the usual cache plan.  K is cut into blocks of KC; for
 * each block a slice of op(B), KC × up to NC, is packed into panels NR
 * columns wide, and a slice of op(A), up to MC × KC, into panels MR rows
 * tall, both laid out k by k so the micro-kernel reads them in order.  The
 * micro-kernel then computes one MR × NR tile of C in registers: for every
 * k it broadcasts MR values of A and multiplies them by NR contiguous
 * values of B, which is the shape compilers vectorize.  A B panel (KC·NR
 * floats) stays in L1 while the kernel walks down the A block (L2).
 * Packing pads short panels with zeros, so edge tiles run the same kernel.
 *
 * Determinism.  Each element of C is computed by one call of the kernel
 * per K block: the sum over the block's k in increasing order, started
 * from zero, then added to C (or stored, for the first block when not
 * accumulating).  Every kernel computes each element on its own, with no
 * sums across lanes, so the bits depend on K and KC only — not on which
 * tile or thread an element falls in.  Threads split C into tiles of rows
 * and columns, never K.
 *
 * Kernels.  A kernel is a function and its tile size (MR, NR); one is
 * chosen once per process: AVX2+FMA where the CPU has it, else portable C.
 * The two differ in rounding (FMA rounds once), so results may differ
 * across machines in the last bits; DESCENT_GEMM=portable in the
 * environment forces the portable kernel everywhere.
 */
#include "gemm.h"

#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#if (defined(__x86_64__) || defined(__i386__)) && \
    (defined(__GNUC__) || defined(__clang__))
#define HAVE_AVX2 1
#include <immintrin.h>
#endif

enum {
    KC = 256,      /* k per block: fixes the summation order, so a constant */
    MC = 96,       /* most rows of A packed at once: 96·256·4 B = 96 KiB */
    NC = 512,      /* most columns of B packed at once: 512 KiB */
    MR_MAX = 8,    /* the largest kernel tile any kernel may use */
    NR_MAX = 16,
    PAR_MIN = 1 << 20,  /* flops below which waking threads costs more
                           than it saves (a wake-up is a few µs; 2^20
                           flops take 10 µs at 100 GFLOP/s) */
    TASK_MIN = 1 << 18  /* the least work worth a task of its own */
};

/* acc (tile of C, mr × nr at most MR × NR, row stride w) stored into or
 * added to C. */
static void put(const float *acc, int w, float *c, ptrdiff_t ldc,
                int mr, int nr, int add)
{
    for (int i = 0; i < mr; i++, acc += w, c += ldc) {
        if (add)
            for (int j = 0; j < nr; j++) c[j] += acc[j];
        else
            for (int j = 0; j < nr; j++) c[j] = acc[j];
    }
}

/* A kernel: C[0..mr)[0..nr) (+)= Σ_k a[k·MR + i] · b[k·NR + j]. */
typedef void kern_fn(int kc, const float *a, const float *b,
                     float *c, ptrdiff_t ldc, int mr, int nr, int add);

typedef struct {
    int      mr, nr;
    kern_fn *fn;
} kernel;

/* --- portable kernel: 6 × 8, plain loops that gcc and clang vectorize */

enum { PMR = 6, PNR = 8 };

static void kern_c(int kc, const float *a, const float *b,
                   float *c, ptrdiff_t ldc, int mr, int nr, int add)
{
    float acc[PMR][PNR] = {{0}};
    for (int k = 0; k < kc; k++, a += PMR, b += PNR)
        for (int i = 0; i < PMR; i++)
            for (int j = 0; j < PNR; j++)
                acc[i][j] += a[i] * b[j];
    if (mr == PMR && nr == PNR) {
        /* Constant trip counts, so the compiler vectorizes the store. */
        for (int i = 0; i < PMR; i++, c += ldc) {
            if (add)
                for (int j = 0; j < PNR; j++) c[j] += acc[i][j];
            else
                for (int j = 0; j < PNR; j++) c[j] = acc[i][j];
        }
    } else {
        put(&acc[0][0], PNR, c, ldc, mr, nr, add);
    }
}

static const kernel k_portable = { PMR, PNR, kern_c };

/* --- AVX2 + FMA kernel: 6 × 16, twelve 8-wide accumulators */

#ifdef HAVE_AVX2
enum { XMR = 6, XNR = 16 };

__attribute__((target("avx2,fma")))
static void kern_avx2(int kc, const float *a, const float *b,
                      float *c, ptrdiff_t ldc, int mr, int nr, int add)
{
    __m256 c0 = _mm256_setzero_ps(), d0 = _mm256_setzero_ps();
    __m256 c1 = _mm256_setzero_ps(), d1 = _mm256_setzero_ps();
    __m256 c2 = _mm256_setzero_ps(), d2 = _mm256_setzero_ps();
    __m256 c3 = _mm256_setzero_ps(), d3 = _mm256_setzero_ps();
    __m256 c4 = _mm256_setzero_ps(), d4 = _mm256_setzero_ps();
    __m256 c5 = _mm256_setzero_ps(), d5 = _mm256_setzero_ps();
    for (int k = 0; k < kc; k++, a += XMR, b += XNR) {
        __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8), x;
        x = _mm256_broadcast_ss(a + 0);
        c0 = _mm256_fmadd_ps(x, b0, c0); d0 = _mm256_fmadd_ps(x, b1, d0);
        x = _mm256_broadcast_ss(a + 1);
        c1 = _mm256_fmadd_ps(x, b0, c1); d1 = _mm256_fmadd_ps(x, b1, d1);
        x = _mm256_broadcast_ss(a + 2);
        c2 = _mm256_fmadd_ps(x, b0, c2); d2 = _mm256_fmadd_ps(x, b1, d2);
        x = _mm256_broadcast_ss(a + 3);
        c3 = _mm256_fmadd_ps(x, b0, c3); d3 = _mm256_fmadd_ps(x, b1, d3);
        x = _mm256_broadcast_ss(a + 4);
        c4 = _mm256_fmadd_ps(x, b0, c4); d4 = _mm256_fmadd_ps(x, b1, d4);
        x = _mm256_broadcast_ss(a + 5);
        c5 = _mm256_fmadd_ps(x, b0, c5); d5 = _mm256_fmadd_ps(x, b1, d5);
    }
    __m256 r[XMR][2] = { {c0, d0}, {c1, d1}, {c2, d2},
                         {c3, d3}, {c4, d4}, {c5, d5} };
    if (mr == XMR && nr == XNR) {
        for (int i = 0; i < XMR; i++, c += ldc) {
            __m256 lo = r[i][0], hi = r[i][1];
            if (add) {
                lo = _mm256_add_ps(_mm256_loadu_ps(c), lo);
                hi = _mm256_add_ps(_mm256_loadu_ps(c + 8), hi);
            }
            _mm256_storeu_ps(c, lo);
            _mm256_storeu_ps(c + 8, hi);
        }
    } else {
        float acc[XMR][XNR];
        for (int i = 0; i < XMR; i++) {
            _mm256_storeu_ps(acc[i], r[i][0]);
            _mm256_storeu_ps(acc[i] + 8, r[i][1]);
        }
        put(&acc[0][0], XNR, c, ldc, mr, nr, add);
    }
}

static const kernel k_avx2 = { XMR, XNR, kern_avx2 };
#endif

/* --- choosing the kernel, and per-thread packing buffers */

static pthread_once_t once = PTHREAD_ONCE_INIT;
static const kernel *kern;
static pthread_key_t  key;       /* each thread's packing buffer */
static int            key_ok;

static void init(void)
{
    const char *env = getenv("DESCENT_GEMM");
    kern = &k_portable;
#ifdef HAVE_AVX2
    __builtin_cpu_init();
    if (!(env && strcmp(env, "portable") == 0) &&
        __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        kern = &k_avx2;
#else
    (void)env;
#endif
    /* The buffer is freed when its thread exits (the pool's workers when
     * the pool is freed); the main thread's lives until the process ends. */
    key_ok = pthread_key_create(&key, free) == 0;
}

/* MC·KC floats for A, then KC·NC for B; 64-byte aligned for the loads. */
#define SCRATCH_BYTES ((size_t)(MC + NC) * KC * sizeof(float))

/* The calling thread's buffer, allocated on its first product and kept:
 * the hot path allocates nothing.  NULL if it cannot be had. */
static float *scratch(void)
{
    if (!key_ok)
        return NULL;
    float *s = pthread_getspecific(key);
    if (!s && (s = aligned_alloc(64, SCRATCH_BYTES)) &&
        pthread_setspecific(key, s) != 0) {
        free(s);
        s = NULL;
    }
    return s;
}

/* --- packing */

/* Packs `lines` lines of kc values each into panels w lines wide, value k
 * of line l at dst[panel·kc·w + k·w + l % w], padding the last panel with
 * zero lines.  Line l's value k is at src[l·ls + k·ks]; one of the two
 * strides is 1 and the inner loop runs along it. */
static void pack(const float *src, ptrdiff_t ls, ptrdiff_t ks,
                 int lines, int kc, int w, float *dst)
{
    for (int l0 = 0; l0 < lines; l0 += w, dst += (ptrdiff_t)kc * w) {
        int h = lines - l0 < w ? lines - l0 : w, l = 0;
        const float *s = src + l0 * ls;
        if (ks == 1) {
            /* A transpose.  Four lines at a time, so that each k writes
             * four adjacent floats and reads four streams in order: twice
             * as fast as one line at a time. */
            for (; l + 4 <= h; l += 4) {
                const float *s0 = s + l * ls, *s1 = s0 + ls,
                            *s2 = s1 + ls, *s3 = s2 + ls;
                float *d = dst + l;
                for (int k = 0; k < kc; k++, d += w) {
                    d[0] = s0[k]; d[1] = s1[k]; d[2] = s2[k]; d[3] = s3[k];
                }
            }
            for (; l < h; l++)
                for (int k = 0; k < kc; k++)
                    dst[k * w + l] = s[l * ls + k];
        } else if (ls == 1 && h == 16 && w == 16) {
            /* A copy of rows; constant widths let the compiler vectorize. */
            for (int k = 0; k < kc; k++)
                for (int j = 0; j < 16; j++)
                    dst[k * 16 + j] = s[k * ks + j];
        } else if (ls == 1 && h == 8 && w == 8) {
            for (int k = 0; k < kc; k++)
                for (int j = 0; j < 8; j++)
                    dst[k * 8 + j] = s[k * ks + j];
        } else {
            for (int k = 0; k < kc; k++)
                for (l = 0; l < h; l++)
                    dst[k * w + l] = s[k * ks + l * ls];
        }
        /* Zeros, not garbage, in the padding: the lanes they feed are
         * never stored, but garbage could be subnormal and slow. */
        for (int k = 0; k < kc && h < w; k++)
            memset(dst + k * w + h, 0, (size_t)(w - h) * sizeof *dst);
    }
}

/* --- the product */

typedef struct {
    const kernel *kr;
    int M, N, K;
    const float *A;  ptrdiff_t ars, acs;
    const float *B;  ptrdiff_t bks, bjs;
    float *C;        ptrdiff_t ldc;
    int add;                 /* accumulate into C */
    int rows, cols;          /* a task's tile of C, multiples of MR, NR */
    int col_tasks;           /* tiles across N */
} job;

/* C[i0..i1)[j0..j1) with packing blocks of mcb rows and ncb columns. */
static void tile(const job *g, int i0, int i1, int j0, int j1,
                 float *ap, float *bp, int mcb, int ncb)
{
    const int mr = g->kr->mr, nr = g->kr->nr;
    kern_fn *fn = g->kr->fn;

    for (int jc = j0; jc < j1; jc += ncb) {
        int nc = j1 - jc < ncb ? j1 - jc : ncb;
        for (int pc = 0; pc < g->K; pc += KC) {
            int kc = g->K - pc < KC ? g->K - pc : KC;
            int add = g->add || pc > 0;
            pack(g->B + pc * g->bks + jc * g->bjs, g->bjs, g->bks,
                 nc, kc, nr, bp);
            for (int ic = i0; ic < i1; ic += mcb) {
                int mc = i1 - ic < mcb ? i1 - ic : mcb;
                pack(g->A + ic * g->ars + pc * g->acs, g->ars, g->acs,
                     mc, kc, mr, ap);
                for (int jr = 0; jr < nc; jr += nr) {
                    int w = nc - jr < nr ? nc - jr : nr;
                    float *c = g->C + ic * g->ldc + jc + jr;
                    for (int ir = 0; ir < mc; ir += mr, c += mr * g->ldc)
                        fn(kc, ap + (ptrdiff_t)ir * kc,
                           bp + (ptrdiff_t)jr * kc, c, g->ldc,
                           mc - ir < mr ? mc - ir : mr, w, add);
                }
            }
        }
    }
}

/* The tile, packed through a small buffer on the stack: used only when a
 * thread's buffer could not be allocated.  Same KC, so the same bits. */
static void tile_small(const job *g, int i0, int i1, int j0, int j1)
{
    float buf[(MR_MAX + NR_MAX) * KC];
    tile(g, i0, i1, j0, j1, buf, buf + MR_MAX * KC, g->kr->mr, g->kr->nr);
}

static void task(int t, void *arg)
{
    const job *g = arg;
    int i0 = t / g->col_tasks * g->rows, j0 = t % g->col_tasks * g->cols;
    int i1 = g->M - i0 < g->rows ? g->M : i0 + g->rows;
    int j1 = g->N - j0 < g->cols ? g->N : j0 + g->cols;
    float *s = scratch();
    if (s)
        tile(g, i0, i1, j0, j1, s, s + MC * KC, MC / g->kr->mr * g->kr->mr,
             NC / g->kr->nr * g->kr->nr);
    else
        tile_small(g, i0, i1, j0, j1);
}

static int cdiv(int a, int b) { return a / b + (a % b != 0); }

/* Cuts C into tiles for `threads` threads and returns their number.  The
 * cut changes only who computes an element, never its bits.
 *
 * About four tiles per thread let the counter even out uneven progress
 * (the cores may be shared), but no tile gets less than TASK_MIN flops.
 * Among the grids of rt × ct tiles that give that many, take the one
 * that packs least: every column of tiles packs all of A again (M·K) and
 * every row of tiles all of B (N·K). */
static int plan(job *g, int threads, double flops)
{
    int mr = g->kr->mr, nr = g->kr->nr;
    int ru = cdiv(g->M, mr), cu = cdiv(g->N, nr);   /* micro-tiles */
    double most = flops / TASK_MIN;
    int want = most < 4.0 * threads ? (int)most : 4 * threads;
    if ((double)ru * cu < want)
        want = ru * cu;
    int rt = 1, ct = 1;
    if (threads > 1 && want > 1) {
        double least = -1;
        for (int c = 1; c <= cu && c <= want; c++) {
            int r = cdiv(want, c);
            double cost = (double)c * g->M + (double)r * g->N;
            if (r <= ru && (least < 0 || cost < least)) {
                least = cost;
                ct = c;
                rt = r;
            }
        }
    }
    g->cols = cdiv(cu, ct) * nr;
    g->rows = cdiv(ru, rt) * mr;
    g->col_tasks = cdiv(g->N, g->cols);
    return cdiv(g->M, g->rows) * g->col_tasks;
}

static void gemm(dn_pool *p, int M, int N, int K,
                 const float *A, ptrdiff_t ars, ptrdiff_t acs,
                 const float *B, ptrdiff_t bks, ptrdiff_t bjs,
                 float *C, int ldc, int accumulate)
{
    if (M <= 0 || N <= 0)
        return;
    if (K <= 0) {   /* the empty sum: C += 0 leaves C, C = 0 clears it */
        if (!accumulate)
            for (int i = 0; i < M; i++)
                memset(C + (ptrdiff_t)i * ldc, 0, (size_t)N * sizeof *C);
        return;
    }
    pthread_once(&once, init);
    job g = { kern, M, N, K, A, ars, acs, B, bks, bjs, C, ldc,
              accumulate != 0, 0, 0, 1 };
    double flops = 2.0 * M * N * K;
    int threads = flops < PAR_MIN ? 1 : dn_pool_threads(p);
    int n = plan(&g, threads, flops);
    if (n == 1)
        task(0, &g);
    else
        dn_pool_run(p, n, task, &g);
}

void dn_gemm_nt(dn_pool *p, int M, int N, int K,
                const float *A, int lda, const float *B, int ldb,
                float *C, int ldc, int accumulate)
{
    gemm(p, M, N, K, A, lda, 1, B, 1, ldb, C, ldc, accumulate);
}

void dn_gemm_nn(dn_pool *p, int M, int N, int K,
                const float *A, int lda, const float *B, int ldb,
                float *C, int ldc, int accumulate)
{
    gemm(p, M, N, K, A, lda, 1, B, ldb, 1, C, ldc, accumulate);
}

void dn_gemm_tn(dn_pool *p, int M, int N, int K,
                const float *A, int lda, const float *B, int ldb,
                float *C, int ldc, int accumulate)
{
    gemm(p, M, N, K, A, 1, lda, B, ldb, 1, C, ldc, accumulate);
}
