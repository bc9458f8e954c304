/* gemm.c — the three matrix products of training, on one or many threads.
 *
 * All three are one product, C (+)= op(A)·op(B), where only the strides
 * differ:  op(A)[i][k] = A[i·ars + k·acs],  op(B)[k][j] = B[k·bks + j·bjs].
 *
 * The loops follow the usual cache plan.  K is cut into blocks of KC; for
 * each block a slice of op(B), KC × up to nc, is packed into panels NR
 * columns wide, laid out k by k so that the micro-kernel reads NR values
 * of one k in a row (a plain copy when B's rows run along j, a transpose
 * when they run along k, as Wᵀ does in the forward product).  The
 * micro-kernel computes one tile of up to MR × NR elements of C in
 * registers: for every k it broadcasts MR values of op(A) and multiplies
 * them by the NR values of B.  Each micro-tile of A stays in L1 while the
 * panels of B (in L2) stream past it.
 *
 * What is copied.  A broadcast is one scalar load whatever the stride, so
 * the SIMD kernels read A where it lies, and come in one version per row
 * count so that a matrix's last rows cost only what they compute and
 * nothing reads past them.  A is packed only when it runs along i (the
 * gradient's deltaᵀ) and will be read for several panels of B: its k
 * values are then a row stride apart, which in L1 would all land in the
 * same few sets.  B is read in place when its rows run along j and its
 * panel would serve only one or two micro-tiles (the small products of a
 * small network), where packing would cost as much as it saves; on AVX2
 * also whenever it is small enough to stay in cache (isa.in_place).
 *
 * Determinism.  Each element of C is computed by one call of the kernel
 * per K block: the sum over the block's k in increasing order, started
 * from zero, then added to C (or stored, for the first block when not
 * accumulating).  Every kernel computes each element on its own, with no
 * sums across lanes, so the bits depend on K and KC only — not on which
 * tile, kernel or thread an element falls in, nor on M.  The SIMD kernels
 * all use fused multiply-adds in that order, so they agree with each
 * other to the bit (AVX2 and AVX-512 alike); threads split C into tiles
 * of rows and columns, never K.  One exception, chosen by N and K alone
 * (so still independent of M and of the threads): a narrow forward
 * product on AVX-512 is a dot product summed across lanes (dot_512).
 *
 * Kernels.  Each instruction set offers one or more tile shapes; the set
 * is chosen once per process (AVX-512, else AVX2+FMA, else portable C;
 * DESCENT_GEMM=avx2 or =portable in the environment forces a lesser one)
 * and, within it, each product takes the shape that suits its N (a
 * 16-column tile for a 16-unit layer, 32 columns otherwise).  The
 * portable kernel does not fuse its multiply-adds, so results may differ
 * between it and the others in the last bits.
 *
 * Tuning to the CPU.  The blocking (nc columns of B packed at once, mc
 * rows of A per packed slice) follows the L2 size the CPU reports
 * (cache.c); KC does not, since it fixes the sums' order.  Beyond that,
 * a few variants (gemm.h: the AVX-512 set's 12 × 32 or 14 × 32 tile for
 * wide products, A copied into panels or read in place where it runs
 * along k) are timed once per process on first use (tune.c) and the
 * fastest kept.  Every variant sums each element's k in the same order
 * with the same fused multiply-adds, so none changes a bit.
 *
 * Epilogues.  An optional callback sees every tile of C right after its
 * last K block is written, while it is still in L1: the forward pass adds
 * the bias and applies the activation there, the backward pass the
 * activation's derivative, so no separate sweep over the matrix is needed.
 */
#include "kernels/gemm.h"
#include "base/base.h"   /* descent.h: dn_isa is public */
#include "kernels/target.h"
#ifdef DN_BLAS
#include <cblas.h>
#endif

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef DN_X86
#include "kernels/simd.h"
#endif

enum {
    KC = 256,      /* k per block: fixes the summation order, so a constant */
    MC_MAX = 384,  /* the most rows of A walked per packed slice of B */
    NC_MAX = 2048, /* the most columns of B packed at once */
    MR_MAX = 16,   /* the largest kernel tile any kernel may use */
    NR_MAX = 32,
    /* Flops below which a second thread costs more than it saves.  The
     * pool's workers spin between jobs, so a hand-off costs well under a
     * microsecond; 2^18 flops take about 1.5 µs on one AVX-512 core. */
    PAR_MIN = 1 << 18,
    TASK_MIN = 1 << 17  /* the least work worth a task of its own */
};

/* A kernel: C[0..mr)[0..nr) (+)= Σ_k op(A)[i][k] · b[k·bks + j], with
 * op(A)[i][k] = a[i·ars + k·acs].  Rows past mr and columns past nr are
 * never written, nor read past A's and B's ends. */
#define KERN_ARGS int kc, const float *a, ptrdiff_t ars, ptrdiff_t acs, \
                  const float *b, ptrdiff_t bks, float *c, ptrdiff_t ldc, \
                  int mr, int nr, int add
typedef void kern_fn(KERN_ARGS);

/* Packs `lines` lines of kc values each into panels w lines wide (see
 * pack() below for the layout), with one of the source's strides 1: the
 * line stride (a copy of rows, stride = ks) or the k stride (a transpose,
 * stride = ls). */
typedef void pack_fn(const float *src, ptrdiff_t stride, int lines, int kc,
                     int w, float *dst);

typedef struct {
    int      mr, nr;
    kern_fn *const *fn;  /* fn[h − 1] computes tiles of h ≤ mr rows */
    int      b_direct;   /* may read B rows in place (else from panels
                            padded to nr) */
} kernel;

/* A dot-product kernel for C = A Bᵀ when both run along k: C[0..mr)
 * [0..nr) (+)= Σ_k a[i·lda + k] · b[j·ldb + k], mr, nr ≤ DOT. */
typedef void dot_fn(int K, const float *a, ptrdiff_t lda, const float *b,
                    ptrdiff_t ldb, float *c, ptrdiff_t ldc, int mr, int nr,
                    int add);

typedef struct {
    const char   *name;
    const kernel *k;
    int           n_k;
    pack_fn      *pack_t;  /* a faster transposing pack, or NULL */
    pack_fn      *pack_c;  /* a faster copying pack (w ≤ 32), or NULL */
    dot_fn       *dot;     /* for narrow forward products, or NULL */
    const kernel *alt;     /* another shape for k[0]'s products, or NULL */
    int           in_place; /* an A or B of at most this many floats is
                               read where it lies, however many tiles
                               read it (0: the rules of "What is copied") */
} isa;

/* acc (tile of C, mr × nr, row stride w) stored into or added to C. */
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

/* --- portable kernel: 6 × 8, plain loops that gcc and clang vectorize */

enum { PMR = 6, PNR = 8 };

static void kern_c(KERN_ARGS)
{
    /* Rows past mr repeat row 0 (read, never stored), so that the loops
     * keep their constant trip counts. */
    const float *ai[PMR];
    for (int i = 0; i < PMR; i++) ai[i] = a + (i < mr ? i : 0) * ars;
    float acc[PMR][PNR] = {{0}};
    for (ptrdiff_t k = 0; k < kc; k++, b += bks)
        for (int i = 0; i < PMR; i++)
            for (int j = 0; j < PNR; j++)
                acc[i][j] += ai[i][k * acs] * b[j];
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

static kern_fn *const f_portable[PMR] = {
    kern_c, kern_c, kern_c, kern_c, kern_c, kern_c
};
static const kernel k_portable[] = { { PMR, PNR, f_portable, 0 } };
static const isa isa_portable = { "portable", k_portable, 1, NULL, NULL,
                                  NULL, NULL, 0 };

#ifdef DN_X86
/* The accumulators are named variables, written out row by row by these
 * macros (ROWSn(X) is X(0) ... X(n−1)): compilers at -O2 keep named
 * vectors in registers, but leave an array of them in memory.  Every
 * kernel comes in one version per row count, so that the last rows of a
 * matrix cost only what they compute and nothing reads past them. */
#define ROWS1(X)  X(0)
#define ROWS2(X)  ROWS1(X) X(1)
#define ROWS3(X)  ROWS2(X) X(2)
#define ROWS4(X)  ROWS3(X) X(3)
#define ROWS5(X)  ROWS4(X) X(4)
#define ROWS6(X)  ROWS5(X) X(5)
#define ROWS7(X)  ROWS6(X) X(6)
#define ROWS8(X)  ROWS7(X) X(7)
#define ROWS9(X)  ROWS8(X) X(8)
#define ROWS10(X) ROWS9(X) X(9)
#define ROWS11(X) ROWS10(X) X(10)
#define ROWS12(X) ROWS11(X) X(11)
#define ROWS13(X) ROWS12(X) X(12)
#define ROWS14(X) ROWS13(X) X(13)
#define ROWS15(X) ROWS14(X) X(14)
#define ROWS16(X) ROWS15(X) X(15)

/* --- AVX2 + FMA kernel: 6 × 16, twelve 8-wide accumulators */

#define Y_ZERO(i) __m256 c##i##0 = _mm256_setzero_ps(), \
                         c##i##1 = _mm256_setzero_ps();
#define Y_FMA(i) { __m256 x = _mm256_broadcast_ss(a + (i) * ars); \
                   c##i##0 = _mm256_fmadd_ps(x, b0, c##i##0);     \
                   c##i##1 = _mm256_fmadd_ps(x, b1, c##i##1); }
#define Y_SAVE(i) _mm256_storeu_ps(acc[i], c##i##0); \
                  _mm256_storeu_ps(acc[i] + 8, c##i##1);
#define Y_PUT(i) {                                                         \
        float *ci = c + (i) * ldc;                                         \
        if (add) {                                                         \
            c##i##0 = _mm256_add_ps(_mm256_loadu_ps(ci), c##i##0);         \
            c##i##1 = _mm256_add_ps(_mm256_loadu_ps(ci + 8), c##i##1);     \
        }                                                                  \
        _mm256_storeu_ps(ci, c##i##0);                                     \
        _mm256_storeu_ps(ci + 8, c##i##1); }
/* B's two vectors of one k: plain loads for a full tile, else masked to
 * nr columns (a masked load never faults on the lanes it leaves out), so
 * that B may be read in place.  Only loads are masked: AMD's masked
 * stores are microcoded, so a narrow tile is stored through acc. */
#define Y_LOOP(R, LD)                                                      \
    for (int k = 0; k < kc; k++, a += acs, b += bks) {                     \
        __m256 b0 = LD(m0, b), b1 = LD(m1, b + 8);                         \
        ROWS##R(Y_FMA)                                                     \
    }
#define Y_PART(m, p) _mm256_maskload_ps((p), (m))
#define Y_FULL(m, p) ((void)(m), _mm256_loadu_ps(p))

/* The first n of AVX2's eight lanes as a mask for _mm256_maskload_ps (a
 * lane is on when its sign bit is set), as dn_lanes is for AVX-512: the
 * kernels' narrow tiles and pack_t_avx's last k. */
__attribute__((target("avx2")))
static inline __m256i lanes8(int n)
{
    static const int ramp[16] = { -1, -1, -1, -1, -1, -1, -1, -1,
                                  0, 0, 0, 0, 0, 0, 0, 0 };
    n = n >= 8 ? 8 : n <= 0 ? 0 : n;
    return _mm256_loadu_si256((const __m256i *)(ramp + 8 - n));
}

#define AVX2_KERNEL(R)                                                     \
__attribute__((target("avx2,fma")))                                        \
static void k_avx2_##R(KERN_ARGS)                                          \
{                                                                          \
    (void)mr;                                                              \
    ROWS##R(Y_ZERO)                                                        \
    if (nr == 16) {                                                        \
        const __m256i m0 = _mm256_setzero_si256(), m1 = m0;                \
        Y_LOOP(R, Y_FULL)                                                  \
        ROWS##R(Y_PUT)                                                     \
    } else {                                                               \
        const __m256i m0 = lanes8(nr), m1 = lanes8(nr - 8);                \
        Y_LOOP(R, Y_PART)                                                  \
        float acc[R][16];                                                  \
        ROWS##R(Y_SAVE)                                                    \
        put(&acc[0][0], 16, c, ldc, R, nr, add);                           \
    }                                                                      \
}
AVX2_KERNEL(1) AVX2_KERNEL(2) AVX2_KERNEL(3)
AVX2_KERNEL(4) AVX2_KERNEL(5) AVX2_KERNEL(6)

static kern_fn *const f_avx2[6] = {
    k_avx2_1, k_avx2_2, k_avx2_3, k_avx2_4, k_avx2_5, k_avx2_6
};

/* 12 × 8 for products at most 8 columns wide (a regression's or a small
 * classifier's output layer, the first layer's weight gradient of a
 * table with few columns): the 6 × 16 tile would spend half its
 * multiply-adds and more on lanes of zeros.  Twelve accumulators of one
 * vector, the same sums in the same order, so the same bits. */
#define Y1_ZERO(i) __m256 c##i##0 = _mm256_setzero_ps();
#define Y1_FMA(i) c##i##0 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + (i) * ars), \
                                            b0, c##i##0);
#define Y1_SAVE(i) _mm256_storeu_ps(acc[i], c##i##0);
#define Y1_PUT(i) {                                                        \
        float *ci = c + (i) * ldc;                                         \
        if (add) c##i##0 = _mm256_add_ps(_mm256_loadu_ps(ci), c##i##0);    \
        _mm256_storeu_ps(ci, c##i##0); }
#define Y1_LOOP(R, LD)                                                     \
    for (int k = 0; k < kc; k++, a += acs, b += bks) {                     \
        __m256 b0 = LD(m0, b);                                             \
        ROWS##R(Y1_FMA)                                                    \
    }

#define AVX2_KERNEL8(R)                                                    \
__attribute__((target("avx2,fma")))                                        \
static void k_avx2_8_##R(KERN_ARGS)                                        \
{                                                                          \
    (void)mr;                                                              \
    ROWS##R(Y1_ZERO)                                                       \
    if (nr == 8) {                                                         \
        const __m256i m0 = _mm256_setzero_si256();                         \
        Y1_LOOP(R, Y_FULL)                                                 \
        ROWS##R(Y1_PUT)                                                    \
    } else {                                                               \
        const __m256i m0 = lanes8(nr);                                     \
        Y1_LOOP(R, Y_PART)                                                 \
        float acc[R][8];                                                   \
        ROWS##R(Y1_SAVE)                                                   \
        put(&acc[0][0], 8, c, ldc, R, nr, add);                            \
    }                                                                      \
}
AVX2_KERNEL8(1) AVX2_KERNEL8(2) AVX2_KERNEL8(3) AVX2_KERNEL8(4)
AVX2_KERNEL8(5) AVX2_KERNEL8(6) AVX2_KERNEL8(7) AVX2_KERNEL8(8)
AVX2_KERNEL8(9) AVX2_KERNEL8(10) AVX2_KERNEL8(11) AVX2_KERNEL8(12)

static kern_fn *const f_avx2_8[12] = {
    k_avx2_8_1, k_avx2_8_2, k_avx2_8_3, k_avx2_8_4, k_avx2_8_5, k_avx2_8_6,
    k_avx2_8_7, k_avx2_8_8, k_avx2_8_9, k_avx2_8_10, k_avx2_8_11,
    k_avx2_8_12
};

/* 8 × 8 blocks transposed in registers: 24 shuffles for 64 floats, where
 * a scalar transpose pays a load and a store for each.  Lines past
 * `lines` are zeros, k past kc is neither read nor written. */
__attribute__((target("avx2")))
static void pack_t_avx(const float *src, ptrdiff_t ls, int lines, int kc,
                       int w, float *dst)
{
    const int padded = (lines + w - 1) / w * w;
    for (int l0 = 0; l0 < padded; l0 += 8) {
        float *d = dst + (ptrdiff_t)(l0 / w) * kc * w + l0 % w;
        const int h = lines - l0 < 0 ? 0 : lines - l0 > 8 ? 8 : lines - l0;
        const float *s = h ? src + (ptrdiff_t)l0 * ls : src;
        for (int k0 = 0; k0 < kc; k0 += 8) {
            const int kk = kc - k0 < 8 ? kc - k0 : 8;
            const __m256i m = lanes8(kk);
            const __m256 z = _mm256_setzero_ps();
            const float *p = s + k0;
            __m256 r0 = h > 0 ? _mm256_maskload_ps(p, m) : z;
            __m256 r1 = h > 1 ? _mm256_maskload_ps(p + ls, m) : z;
            __m256 r2 = h > 2 ? _mm256_maskload_ps(p + 2 * ls, m) : z;
            __m256 r3 = h > 3 ? _mm256_maskload_ps(p + 3 * ls, m) : z;
            __m256 r4 = h > 4 ? _mm256_maskload_ps(p + 4 * ls, m) : z;
            __m256 r5 = h > 5 ? _mm256_maskload_ps(p + 5 * ls, m) : z;
            __m256 r6 = h > 6 ? _mm256_maskload_ps(p + 6 * ls, m) : z;
            __m256 r7 = h > 7 ? _mm256_maskload_ps(p + 7 * ls, m) : z;
            __m256 t0 = _mm256_unpacklo_ps(r0, r1);
            __m256 t1 = _mm256_unpackhi_ps(r0, r1);
            __m256 t2 = _mm256_unpacklo_ps(r2, r3);
            __m256 t3 = _mm256_unpackhi_ps(r2, r3);
            __m256 t4 = _mm256_unpacklo_ps(r4, r5);
            __m256 t5 = _mm256_unpackhi_ps(r4, r5);
            __m256 t6 = _mm256_unpacklo_ps(r6, r7);
            __m256 t7 = _mm256_unpackhi_ps(r6, r7);
            __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44);
            __m256 u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
            __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44);
            __m256 u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
            __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44);
            __m256 u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
            __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44);
            __m256 u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
            float *q = d + (ptrdiff_t)k0 * w;
            /* Row i of the transposed block; only the kk rows that exist
             * are stored. */
            __m256 v[8] = {
                _mm256_permute2f128_ps(u0, u4, 0x20),
                _mm256_permute2f128_ps(u1, u5, 0x20),
                _mm256_permute2f128_ps(u2, u6, 0x20),
                _mm256_permute2f128_ps(u3, u7, 0x20),
                _mm256_permute2f128_ps(u0, u4, 0x31),
                _mm256_permute2f128_ps(u1, u5, 0x31),
                _mm256_permute2f128_ps(u2, u6, 0x31),
                _mm256_permute2f128_ps(u3, u7, 0x31)
            };
            for (int i = 0; i < kk; i++)
                _mm256_storeu_ps(q + (ptrdiff_t)i * w, v[i]);
        }
    }
}

static const kernel k_avx2[] = { { 6, 16, f_avx2, 1 }, { 12, 8, f_avx2_8, 1 } };
/* On AVX2, operands of up to 16k floats (64 KiB, in L2 whatever the
 * core) are read in place: a 4-128-64-3 training step at batch 32 (iris)
 * took 6% less time so on a Zen 3 (the copies of W, a_prev and deltaᵀ
 * cost more than the in-cache reads save at these sizes); measured at
 * 16k and 100k floats alike. */
static const isa isa_avx2 = { "avx2", k_avx2, 2, pack_t_avx, NULL, NULL,
                              NULL, 1 << 14 };

/* --- AVX-512 kernels: 12 × 32 (24 accumulators) and 16 × 16 (16).
 * B's loads are masked to nr columns, so they may read B in place. */


/* Stores or adds one 16-lane vector of a tile row; the mask drops the
 * lanes past nr (a masked load never faults on the lanes it drops). */
#define Z_PUT1(p, v, m) do {                                               \
        __m512 v_ = (v);                                                   \
        if (add) v_ = _mm512_add_ps(_mm512_maskz_loadu_ps((m), (p)), v_);  \
        _mm512_mask_storeu_ps((p), (m), v_);                               \
    } while (0)

#define Z2_ZERO(i) __m512 c##i##0 = _mm512_setzero_ps(), \
                          c##i##1 = _mm512_setzero_ps(); \
                   _mm_prefetch((const char *)(c + (i) * ldc), _MM_HINT_T0); \
                   _mm_prefetch((const char *)(c + (i) * ldc + 16), _MM_HINT_T0);
#define Z2_FMA(i) { __m512 x = _mm512_set1_ps(a[(i) * ars_]);  \
                    c##i##0 = _mm512_fmadd_ps(x, b0, c##i##0); \
                    c##i##1 = _mm512_fmadd_ps(x, b1, c##i##1); }
#define Z2_PUT(i) Z_PUT1(c + (i) * ldc, c##i##0, m0); \
                  Z_PUT1(c + (i) * ldc + 16, c##i##1, m1);

#define Z1_ZERO(i) __m512 c##i##0 = _mm512_setzero_ps();
#define Z1_FMA(i) c##i##0 = _mm512_fmadd_ps(_mm512_set1_ps(a[(i) * ars_]), \
                                            b0, c##i##0);
#define Z1_PUT(i) Z_PUT1(c + (i) * ldc, c##i##0, m0);

/* The masks and the k loop of a tile one (Z1) or two (Z2) vectors of
 * B wide, A's rows ars_ apart, B's vectors loaded by LD: masked (LD_PART)
 * for a tile narrower than the kernel, plain (LD_FULL) otherwise.  The
 * plain loop is not only a load saved: with the masks live in it, gcc
 * kept one of them on the stack and moved the other from a general
 * register into a mask register every k (kmovw), an instruction that
 * runs on port 5 — one of the two ports that issue the 512-bit
 * multiply-adds — so it took one of the 24 multiply-add slots of each k
 * (12 × 32).  Both loads give the same values, so the same bits. */
#define LD_PART(m, p) _mm512_maskz_loadu_ps((m), (p))
#define LD_FULL(m, p) ((void)(m), _mm512_loadu_ps(p))
#define Z1_MASKS const __mmask16 m0 = dn_lanes(nr);
#define Z2_MASKS const __mmask16 m0 = dn_lanes(nr), m1 = dn_lanes(nr - 16);
#define Z1_LOOP(R, LD)                                                     \
    for (int k = 0; k < kc; k++, a += acs, b += bks) {                     \
        __m512 b0 = LD(m0, b);                                             \
        ROWS##R(Z1_FMA)                                                    \
    }
#define Z2_LOOP(R, LD)                                                     \
    for (int k = 0; k < kc; k++, a += acs, b += bks) {                     \
        __m512 b0 = LD(m0, b);                                             \
        __m512 b1 = LD(m1, b + 16);                                        \
        ROWS##R(Z2_FMA)                                                    \
    }
/* The loop for A's rows ars_ apart: plain loads when the tile is full. */
#define Z_LOOPS(V, W, R)                                                   \
    if (nr == (W)) {                                                       \
        Z##V##_LOOP(R, LD_FULL)                                            \
    } else {                                                               \
        Z##V##_LOOP(R, LD_PART)                                            \
    }

/* The R × 16V kernel k512_W_R (W = 16V columns).  Packed A (ars = 1)
 * gets a loop of its own: its rows' offsets are then constants, where R
 * row strides would take R registers (gcc spilled them, and the masks,
 * to the stack inside the loop). */
#define AVX512_K(V, W, R)                                                  \
__attribute__((target("avx512f")))                                         \
static void k512_##W##_##R(KERN_ARGS)                                      \
{                                                                          \
    (void)mr;                                                              \
    Z##V##_MASKS                                                           \
    ROWS##R(Z##V##_ZERO)                                                   \
    if (ars == 1) {                                                        \
        const ptrdiff_t ars_ = 1;                                          \
        Z_LOOPS(V, W, R)                                                   \
    } else {                                                               \
        const ptrdiff_t ars_ = ars;                                        \
        Z_LOOPS(V, W, R)                                                   \
    }                                                                      \
    ROWS##R(Z##V##_PUT)                                                    \
}
#define AVX512_32(R) AVX512_K(2, 32, R)
#define AVX512_16(R) AVX512_K(1, 16, R)

/* (The marks tell tests/coverage.sh that these lines run only on a CPU
 * with AVX-512.) */
AVX512_32(1) AVX512_32(2) AVX512_32(3) AVX512_32(4)     /* isa: avx512f */
AVX512_32(5) AVX512_32(6) AVX512_32(7) AVX512_32(8)     /* isa: avx512f */
AVX512_32(9) AVX512_32(10) AVX512_32(11) AVX512_32(12)  /* isa: avx512f */
AVX512_32(13) AVX512_32(14)                             /* isa: avx512f */
AVX512_16(1) AVX512_16(2) AVX512_16(3) AVX512_16(4)     /* isa: avx512f */
AVX512_16(5) AVX512_16(6) AVX512_16(7) AVX512_16(8)     /* isa: avx512f */
AVX512_16(9) AVX512_16(10) AVX512_16(11) AVX512_16(12)  /* isa: avx512f */
AVX512_16(13) AVX512_16(14) AVX512_16(15) AVX512_16(16) /* isa: avx512f */

static kern_fn *const f512_32[14] = {
    k512_32_1, k512_32_2, k512_32_3, k512_32_4, k512_32_5, k512_32_6,
    k512_32_7, k512_32_8, k512_32_9, k512_32_10, k512_32_11, k512_32_12,
    k512_32_13, k512_32_14
};
static kern_fn *const f512_16[16] = {
    k512_16_1, k512_16_2, k512_16_3, k512_16_4, k512_16_5, k512_16_6,
    k512_16_7, k512_16_8, k512_16_9, k512_16_10, k512_16_11, k512_16_12,
    k512_16_13, k512_16_14, k512_16_15, k512_16_16
};

/* 16 × 16 for narrow products (a 16-unit layer), 12 × 32 otherwise;
 * 14 × 32 as the variants' other shape (28 accumulators of the 32
 * registers: fewer loads of B per multiply-add, more rows wasted at a
 * matrix's edge). */
static const kernel k_avx512[] = {
    { 12, 32, f512_32, 1 },
    { 16, 16, f512_16, 1 },
};
static const kernel k_avx512_14 = { 14, 32, f512_32, 1 };

/* --- AVX-512 dot products, for C = A Bᵀ with a narrow B (N ≤ DOT_N).
 *
 * With 16 columns or fewer, a broadcast kernel has one vector of B per
 * k against a broadcast per row, and this processor issues about one
 * broadcast per cycle: half the multiply-add rate (measured 0.5-0.6).
 * Both A and Wᵀ run along k in the forward product, so instead each of
 * 4 × 4 accumulators sums a_i[k..k+16) · b_j[k..k+16) lane by lane (two
 * loads per four multiply-adds, no copy of Wᵀ at all), and a fixed tree
 * of shuffles adds the 16 lanes at the end.  The sum's order is then
 * fixed by K alone, but it differs from the broadcast kernels': a narrow
 * forward product rounds differently from a wide one, and on AVX-512
 * from AVX2. */
enum { DOT = 4, DOT_N = 16, DOT_K = 128 };
#endif
enum { DOT_ROWS = 4 };   /* rows per dot call (DOT where it exists) */
#ifdef DN_X86

/* Adds adjacent lanes of x and y: per 128-bit lane, the pair sums of x
 * and y interleaved. */
__attribute__((target("avx512f")))
static inline __m512 sum2(__m512 x, __m512 y)
{
    return _mm512_add_ps(_mm512_unpacklo_ps(x, y), _mm512_unpackhi_ps(x, y));
}

/* From sum2(v0, v1) and sum2(v2, v3): per 128-bit lane, the four sums of
 * v0..v3 over that lane's four floats. */
__attribute__((target("avx512f")))
static inline __m512 sum4(__m512 x, __m512 y)
{
    __m512d a = _mm512_castps_pd(x), b = _mm512_castps_pd(y);
    return _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(a, b)),
                         _mm512_castpd_ps(_mm512_unpackhi_pd(a, b)));
}

#define D_ZERO(i) __m512 c##i##0 = _mm512_setzero_ps(), \
                         c##i##1 = _mm512_setzero_ps(), \
                         c##i##2 = _mm512_setzero_ps(), \
                         c##i##3 = _mm512_setzero_ps();
#define D_LOAD(i) __m512 x##i = _mm512_maskz_loadu_ps(m, a##i + k);
#define D_LOADU(i) __m512 x##i = _mm512_loadu_ps(a##i + k);
#define D_FMA(i) c##i##0 = _mm512_fmadd_ps(x##i, y0, c##i##0); \
                 c##i##1 = _mm512_fmadd_ps(x##i, y1, c##i##1); \
                 c##i##2 = _mm512_fmadd_ps(x##i, y2, c##i##2); \
                 c##i##3 = _mm512_fmadd_ps(x##i, y3, c##i##3);
#define D_ROW(i) const float *a##i = a + (i < mr ? i : 0) * lda;
#define D_SUM(i) __m512 u##i = sum4(sum2(c##i##0, c##i##1), \
                                    sum2(c##i##2, c##i##3));

/* Rows and columns past mr and nr repeat the first (read, never stored),
 * so that the loop is the same for every tile. */
__attribute__((target("avx512f")))
static void dot_512(int K, const float *a, ptrdiff_t lda, const float *b,
                    ptrdiff_t ldb, float *c, ptrdiff_t ldc, int mr, int nr,
                    int add)
{
    ROWS4(D_ROW)
    const float *b0 = b, *b1 = b + (nr > 1 ? ldb : 0),
                *b2 = b + (nr > 2 ? 2 * ldb : 0),
                *b3 = b + (nr > 3 ? 3 * ldb : 0);
    ROWS4(D_ZERO)
    int k = 0;
    for (; k + 16 <= K; k += 16) {
        __m512 y0 = _mm512_loadu_ps(b0 + k), y1 = _mm512_loadu_ps(b1 + k);
        __m512 y2 = _mm512_loadu_ps(b2 + k), y3 = _mm512_loadu_ps(b3 + k);
        ROWS4(D_LOADU)
        ROWS4(D_FMA)
    }
    if (k < K) {   /* the last k, masked: lanes past K hold zeros */
        const __mmask16 m = dn_lanes(K - k);
        __m512 y0 = _mm512_maskz_loadu_ps(m, b0 + k);
        __m512 y1 = _mm512_maskz_loadu_ps(m, b1 + k);
        __m512 y2 = _mm512_maskz_loadu_ps(m, b2 + k);
        __m512 y3 = _mm512_maskz_loadu_ps(m, b3 + k);
        ROWS4(D_LOAD)
        ROWS4(D_FMA)
    }
    ROWS4(D_SUM)
    /* 128-bit lane c of u_i holds row i's four partial sums over lane c;
     * two rounds of adding lanes pairwise leave row i in lane i. */
    __m512 p = _mm512_add_ps(_mm512_shuffle_f32x4(u0, u1, 0x88),
                             _mm512_shuffle_f32x4(u0, u1, 0xDD));
    __m512 q = _mm512_add_ps(_mm512_shuffle_f32x4(u2, u3, 0x88),
                             _mm512_shuffle_f32x4(u2, u3, 0xDD));
    __m512 f = _mm512_add_ps(_mm512_shuffle_f32x4(p, q, 0x88),
                             _mm512_shuffle_f32x4(p, q, 0xDD));
    float s[16];
    _mm512_storeu_ps(s, f);
    for (int i = 0; i < mr; i++, c += ldc)
        for (int j = 0; j < nr; j++)
            c[j] = add ? c[j] + s[4 * i + j] : s[4 * i + j];
}

/* Rows of up to 32 floats copied with two masked loads and stores per
 * k: the generic copy does eight 4-float moves, or one float at a time
 * for the odd widths of A's micro-tiles (measured: packing A was 10% of
 * a 1024³ gradient product). */
__attribute__((target("avx512f")))
static void pack_c_512(const float *src, ptrdiff_t ks, int lines, int kc,
                       int w, float *dst)
{
    for (int l0 = 0; l0 < lines; l0 += w, src += w, dst += (ptrdiff_t)kc * w) {
        const int h = lines - l0 < w ? lines - l0 : w;
        const __mmask16 r0 = dn_lanes(h), r1 = dn_lanes(h - 16);
        const __mmask16 w0 = dn_lanes(w), w1 = dn_lanes(w - 16);
        const float *s = src;
        float *d = dst;
        for (int k = 0; k < kc; k++, s += ks, d += w) {
            /* Lanes past h load as zeros: the panel's padding. */
            _mm512_mask_storeu_ps(d, w0, _mm512_maskz_loadu_ps(r0, s));
            _mm512_mask_storeu_ps(d + 16, w1,
                                  _mm512_maskz_loadu_ps(r1, s + 16));
        }
    }
}

static const isa isa_avx512 = { "avx512", k_avx512, 2, pack_t_avx,
                                pack_c_512, dot_512, &k_avx512_14, 0 };
#endif

/* --- choosing the kernels, and per-thread packing buffers */

static pthread_once_t once = PTHREAD_ONCE_INIT;
static const isa     *chosen;
static pthread_key_t  key;       /* each thread's packing buffer */
static int            key_ok;
static pthread_key_t  slab_key;  /* and its slab (see slab()) */
static int            slab_ok;
static void grown_free(void *v);

/* The blocking, from the caches (init): a packed slice of B, KC × nc
 * floats, takes half of L2, so that it stays there beside the A block
 * and C's lines while every micro-tile of A streams it; the A block, mc
 * rows × KC, an eighth.  (The old constants, nc 512 and mc 96, were
 * these for a 1 MiB L2.) */
static int nc_cols = 512, mc_rows = 96;

/* The variants (see the top): the isa's other wide shape or not, and A
 * copied into panels when it runs along k (the forward and backward
 * products' A) or read in place.  Copying A costs a pass over it per
 * column block of B; reading it in place, R rows a large power of two
 * apart each time k crosses a cache line, may thrash L1's sets. */
typedef struct { int alt, pack_ak; } variant;
static const variant variants[4] = { {0, 0}, {0, 1}, {1, 0}, {1, 1} };
static int  n_variants;
static char variant_names[4][48];
static _Atomic int forced = -1, tuned = -1, tune_state;   /* 0, 1: busy, 2 */

static void init(void)
{
    const char *env = getenv("DESCENT_GEMM");
    chosen = &isa_portable;
#ifdef DN_X86
    int cap = env && strcmp(env, "portable") == 0 ? 0
            : env && strcmp(env, "avx2") == 0 ? 1 : 2;
    __builtin_cpu_init();
    if (cap >= 1 && __builtin_cpu_supports("avx2") &&
        __builtin_cpu_supports("fma"))
        chosen = &isa_avx2;
    if (cap >= 2 && chosen == &isa_avx2 &&
        __builtin_cpu_supports("avx512f"))
        chosen = &isa_avx512;   /* isa: avx512f */
#else
    (void)env;
#endif
    long l1, l2;
    dn_cache_sizes(&l1, &l2);
    long nc = l2 / 2 / (KC * (long)sizeof(float)) / NR_MAX * NR_MAX;
    long mc = l2 / 8 / (KC * (long)sizeof(float)) / 48 * 48;
    nc_cols = nc < 128 ? 128 : nc > NC_MAX ? NC_MAX : (int)nc;
    mc_rows = mc < 48 ? 48 : mc > MC_MAX ? MC_MAX : (int)mc;
    (void)l1;
    n_variants = chosen->alt ? 4 : 2;
    const char *v_env = getenv("DESCENT_GEMM_VARIANT");
    for (int v = 0; v < n_variants; v++) {
        const kernel *k = variants[v].alt ? chosen->alt : &chosen->k[0];
        snprintf(variant_names[v], sizeof variant_names[v],
                 "%dx%d tiles, A %s", k->mr, k->nr,
                 variants[v].pack_ak ? "copied" : "in place");
        if (v_env && strcmp(v_env, variant_names[v]) == 0) forced = v;
    }
    /* The buffers are freed when their thread exits (the pool's workers
     * when the pool is freed); the main thread's live until the process
     * ends. */
    key_ok = pthread_key_create(&key, grown_free) == 0;
    slab_ok = pthread_key_create(&slab_key, grown_free) == 0;
}

const char *dn_isa(void)
{
    pthread_once(&once, init);
    return chosen->name;
}

#ifdef DN_X86
static int chosen_is(const isa *s)
{
    pthread_once(&once, init);
    return chosen == s;
}

int dn_simd_wide(void) { return chosen_is(&isa_avx512); }
int dn_simd_avx2(void) { return chosen_is(&isa_avx2); }
#else
int dn_simd_wide(void) { return 0; }
int dn_simd_avx2(void) { return 0; }
#endif

int dn_gemm_variants(void)
{
    pthread_once(&once, init);
    return n_variants;
}

const char *dn_gemm_variant_name(int v)
{
    pthread_once(&once, init);
    return v >= 0 && v < n_variants ? variant_names[v] : NULL;
}

int dn_gemm_variant(void)
{
    pthread_once(&once, init);
    int f = forced, t = tuned;
    return f >= 0 ? f : t >= 0 ? t : 0;
}

int dn_gemm_force(int v)
{
    pthread_once(&once, init);
    return atomic_exchange(&forced, v >= 0 && v < n_variants ? v : -1);
}

void dn_gemm_blocking(int *nc, int *mc)
{
    pthread_once(&once, init);
    *nc = nc_cols;
    *mc = mc_rows;
}

/* The variant for a product of `flops`: the first product big enough to
 * be worth it calibrates (one thread does; the others meanwhile take
 * what is in use — the bits are the same). */
static const variant *current(double flops)
{
    int expect = 0;
    if (forced < 0 && flops >= DN_TUNE_FLOPS && tune_state == 0 &&
        atomic_compare_exchange_strong(&tune_state, &expect, 1)) {
        tuned = dn_gemm_calibrate();
        tune_state = 2;
    }
    return &variants[dn_gemm_variant()];
}

/* A thread's buffer of at least n floats (the packing buffer, or the
 * slab: a K block of A packed for all of a task's rows), allocated on
 * its first product and kept, grown when a product needs more: the hot
 * path allocates nothing.  NULL if it cannot be had (the callers then
 * fall back on smaller buffers, with the same bits). */
typedef struct { size_t n; float *p; } grown_buf;

static void grown_free(void *v)
{
    grown_buf *b = v;
    free(b->p);
    free(b);
}

static float *grown(pthread_key_t k, int ok, size_t n)
{
    if (!ok)  /* cov: pthread_key_create fails only past PTHREAD_KEYS_MAX */
        return NULL;  /* cov: as above */
    grown_buf *b = pthread_getspecific(k);
    if (!b) {
        if (!(b = calloc(1, sizeof *b))) return NULL;
        if (pthread_setspecific(k, b) != 0) {  /* cov: fails only if libc's own key table cannot grow */
            free(b);  /* cov: as above */
            return NULL;  /* cov: as above */
        }
    }
    if (b->n < n) {
        free(b->p);
        b->n = 0;
        if (!(b->p = aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64)))
            return NULL;
        b->n = n;
    }
    return b->p;
}

/* 2·mc·KC floats for A (panels may be rounded up to 8 rows), then KC·nc
 * for B; 64-byte aligned for the loads. */
static float *scratch(void)
{
    return grown(key, key_ok, (size_t)(2 * mc_rows + nc_cols) * KC);
}

static float *slab(size_t n) { return grown(slab_key, slab_ok, n); }

/* --- packing */

/* Packs `lines` lines of kc values each into panels w lines wide, value k
 * of line l at dst[panel·kc·w + k·w + l % w], padding the last panel with
 * zero lines.  Line l's value k is at src[l·ls + k·ks]; one of the two
 * strides is 1 and the inner loop runs along it. */
static void pack(const float *src, ptrdiff_t ls, ptrdiff_t ks,
                 int lines, int kc, int w, float *dst, const isa *fast)
{
    if (ks == 1 && fast && fast->pack_t) {
        fast->pack_t(src, ls, lines, kc, w, dst);
        return;
    }
    if (ls == 1 && fast && fast->pack_c && w <= 32) {   /* isa: avx512f */
        fast->pack_c(src, ks, lines, kc, w, dst);
        return;
    }
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
        } else if (ls == 1 && h == w) {
            /* A copy of rows; constant widths let the compiler vectorize. */
            switch (w) {
            case 32:   /* (AVX-512's panels, which pack_c copies) */
                for (int k = 0; k < kc; k++)            /* isa: avx512f */
                    for (int j = 0; j < 32; j++)        /* isa: avx512f */
                        dst[k * 32 + j] = s[k * ks + j];    /* isa: avx512f */
                break;                                  /* isa: avx512f */
            case 16:
                for (int k = 0; k < kc; k++)
                    for (int j = 0; j < 16; j++)
                        dst[k * 16 + j] = s[k * ks + j];
                break;
            case 8:
                for (int k = 0; k < kc; k++)
                    for (int j = 0; j < 8; j++)
                        dst[k * 8 + j] = s[k * ks + j];
                break;
            default:
                for (int k = 0; k < kc; k++)
                    memcpy(dst + k * w, s + k * ks, (size_t)w * sizeof *dst);
            }
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

static int cdiv(int a, int b) { return a / b + (a % b != 0); }

typedef struct {
    const kernel *kr;
    const isa *set;          /* for its fast packs */
    int M, N, K;
    const float *A;  ptrdiff_t ars, acs;
    const float *B;  ptrdiff_t bks, bjs;
    float *C;        ptrdiff_t ldc;
    int add;                 /* accumulate into C */
    int pack_a, pack_b;      /* copy A, B into panels (else read in place) */
    const dn_epilogue *epi;  /* NULL: none */
    int rows, cols;          /* a task's tile of C, multiples of MR, NR */
    int col_tasks;           /* tiles across N */
} job;

/* One K block (pc, kc) of C[i0..i1)[jc..jc+nc): B's block packed into
 * bp (when B is packed), then A's row blocks of mcb rows, each packed
 * into its own place — ap, or its slot of a slab that keeps every row
 * block of this K block for the next column blocks (fill = 0: already
 * there) — and the micro-tiles.  The rows of each block are cut into the
 * fewest micro-tiles of at most MR rows, as even as can be (16 rows:
 * 8 + 8, not 12 + 4): the kernels' last rows then waste least. */
static void block(const job *g, int pc, int kc, int i0, int i1, int jc,
                  int nc, float *ap, float *slab, int fill, float *bp,
                  int mcb)
{
    const int mr = g->kr->mr, nr = g->kr->nr;
    kern_fn *const *fn = g->kr->fn;
    int add = g->add || pc > 0, last = pc + kc == g->K;
    const float *B = g->B + pc * g->bks + jc * g->bjs;
    if (g->pack_b)
        pack(B, g->bjs, g->bks, nc, kc, nr, bp, g->set);
    for (int ic = i0, blk = 0; ic < i1; ic += mcb, blk++) {
        int mc = i1 - ic < mcb ? i1 - ic : mcb, tiles = cdiv(mc, mr);
        const float *A = g->A + ic * g->ars + pc * g->acs;
        float *pa = slab ? slab + (ptrdiff_t)blk * mc_rows * KC : ap;
        /* Micro-tile t: rows row[t].., h[t] of them; packed, at
         * pa + off[t], w[t] values per k (a transposing pack
         * works in blocks of 8 lines, so it rounds w up). */
        int row[MC_MAX], h[MC_MAX], w[MC_MAX];
        ptrdiff_t off[MC_MAX];
        for (int t = 0, ir = 0; t < tiles; t++) {
            row[t] = ir;
            h[t] = cdiv(mc - ir, tiles - t);
            w[t] = g->acs == 1 && g->set->pack_t ? (h[t] + 7) / 8 * 8 : h[t];
            off[t] = t ? off[t - 1] + (ptrdiff_t)w[t - 1] * kc : 0;
            ir += h[t];
            if (fill && g->pack_a && (g->ars != 1 || tiles <= 2))
                pack(A + row[t] * g->ars, g->ars, g->acs, h[t], kc, w[t],
                     pa + off[t], g->set);
        }
        /* A running along i (deltaᵀ): k by k over the whole block, so
         * that each k's row, a large power of two from the next, is read
         * once, not once per micro-tile (those rows share a few cache
         * sets, and were refetched from L3 for every tile: 10% of a
         * 2048³ gradient product). */
        for (int k = 0; fill && g->pack_a && g->ars == 1 && tiles > 2 &&
                        k < kc; k++) {
            const float *src = A + k * g->acs;
            for (int t = 0; t < tiles; t++) {
                float *d = pa + off[t] + (ptrdiff_t)k * w[t];
                for (int l = 0; l < h[t]; l++) d[l] = src[row[t] + l];
            }
        }
        /* Each micro-tile of A (a few KiB) stays in L1 while the panels
         * of B stream past it from L2. */
        for (int t = 0; t < tiles; t++) {
            const float *a = g->pack_a ? pa + off[t] : A + row[t] * g->ars;
            ptrdiff_t ars = g->pack_a ? 1 : g->ars;
            ptrdiff_t acs = g->pack_a ? w[t] : g->acs;
            float *c = g->C + (ic + row[t]) * g->ldc + jc;
            for (int jr = 0; jr < nc; jr += nr) {
                int wc = nc - jr < nr ? nc - jr : nr;
                const float *b = g->pack_b ? bp + (ptrdiff_t)jr * kc : B + jr;
                ptrdiff_t bks = g->pack_b ? nr : g->bks;
                fn[h[t] - 1](kc, a, ars, acs, b, bks, c + jr, g->ldc, h[t],
                             wc, add);
                if (last && g->epi)
                    g->epi->fn(g->epi->arg, c + jr, g->ldc, ic + row[t],
                               jc + jr, h[t], wc);
            }
        }
    }
}

/* C[i0..i1)[j0..j1): ap holds up to 2·mc_rows·KC floats (packed A), bp KC ×
 * ncb (packed B).  Column blocks outside, K blocks inside, so that a
 * column block of C stays in cache across its K blocks — except when A
 * runs along i (the gradient product deltaᵀ·A_prev) over several column
 * blocks and slab (rows × KC floats, see slab()) could be had: then K
 * blocks outside, and each K block's A packed once into the slab for
 * every column block, where it was copied again for each (measured on
 * 2048³ on one thread: the copies were 9% of the time, 206 -> 218
 * GFLOP/s).  Each element of C still adds its K blocks in order: the
 * same bits either way. */
static void tile(const job *g, int i0, int i1, int j0, int j1,
                 float *ap, float *bp, int mcb, int ncb, float *slab)
{
    if (slab && g->pack_a && g->ars == 1 && j1 - j0 > ncb) {
        for (int pc = 0; pc < g->K; pc += KC) {
            int kc = g->K - pc < KC ? g->K - pc : KC;
            for (int jc = j0; jc < j1; jc += ncb)
                block(g, pc, kc, i0, i1, jc, j1 - jc < ncb ? j1 - jc : ncb,
                      ap, slab, jc == j0, bp, mcb);
        }
        return;
    }
    for (int jc = j0; jc < j1; jc += ncb)
        for (int pc = 0; pc < g->K; pc += KC) {
            int kc = g->K - pc < KC ? g->K - pc : KC;
            block(g, pc, kc, i0, i1, jc, j1 - jc < ncb ? j1 - jc : ncb, ap,
                  NULL, 1, bp, mcb);
        }
}

/* The tile, packed through a small buffer on the stack: used only when a
 * thread's buffer could not be allocated.  Same KC, so the same bits. */
static void tile_small(const job *g, int i0, int i1, int j0, int j1)
{
    float buf[(MR_MAX + 8 + NR_MAX) * KC];
    tile(g, i0, i1, j0, j1, buf, buf + (MR_MAX + 8) * KC, g->kr->mr,
         g->kr->nr, NULL);
}

static void task(int t, void *arg)
{
    const job *g = arg;
    int i0 = t / g->col_tasks * g->rows, j0 = t % g->col_tasks * g->cols;
    int i1 = g->M - i0 < g->rows ? g->M : i0 + g->rows;
    int j1 = g->N - j0 < g->cols ? g->N : j0 + g->cols;
    float *s = scratch();
    const int mcb = mc_rows / g->kr->mr * g->kr->mr;
    const int ncb = nc_cols / g->kr->nr * g->kr->nr;
    if (s)
        tile(g, i0, i1, j0, j1, s, s + 2 * mc_rows * KC, mcb, ncb,
             g->pack_a && g->ars == 1 && j1 - j0 > ncb
                 ? slab((size_t)cdiv(i1 - i0, mcb) * mc_rows * KC) : NULL);
    else
        tile_small(g, i0, i1, j0, j1);
}

/* The kernel of the chosen set for N columns: the narrowest whose tiles
 * are at least N wide, else the widest.  Broadcasts, about one per cycle
 * here, set the pace of a tile with a single vector of B per k, so a
 * 16 × 16 tile runs at about half the rate of 12 × 32 (measured 0.5-0.6)
 * — but for N ≤ 16 the wider tile would only add lanes of zeros. */
static const kernel *pick(const isa *s, int N, const variant *v)
{
    const kernel *best = NULL, *widest = v->alt ? s->alt : &s->k[0];
    for (int i = 0; i < s->n_k; i++) {
        const kernel *k = i == 0 && v->alt ? s->alt : &s->k[i];
        if (k->nr > widest->nr) widest = k;
        if (N <= k->nr && (!best || k->nr < best->nr)) best = k;
    }
    return best ? best : widest;
}

/* Cuts C into tiles for `threads` threads and returns their number.  The
 * cut changes only who computes an element, never its bits.
 *
 * Two tiles per thread let the counter even out uneven progress (the
 * cores may be shared) — four did that better but packed more, and lost
 * 5% of a 2048³ gradient product on two threads — and no tile gets less
 * than TASK_MIN flops.
 * Among the grids of rt × ct tiles that give that many, take the one
 * that finishes soonest: the flops in whole rounds of `threads` tiles
 * (a count just past a multiple of the threads leaves all but one idle
 * at the end), plus packing, where every row of tiles packs all of B
 * again (N·K floats, each worth about 16 flops) and, when A is packed,
 * every column of tiles all of A (M·K); A read in place costs the same
 * whatever the cut. */
static int plan(job *g, int threads, double flops)
{
    int mr = g->kr->mr, nr = g->kr->nr;
    if (threads == 1) {   /* one task: the whole of C */
        g->rows = cdiv(g->M, mr) * mr;
        g->cols = cdiv(g->N, nr) * nr;
        g->col_tasks = 1;
        return 1;
    }
    int ru = cdiv(g->M, mr), cu = cdiv(g->N, nr);   /* micro-tiles */
    double most = flops / TASK_MIN;
    int want = most < 2.0 * threads ? (int)most : 2 * threads;
    if ((double)ru * cu < want)
        want = ru * cu;
    int rt = 1, ct = 1;
    if (threads > 1 && want > 1) {
        double least = -1;
        for (int c = 1; c <= cu && c <= want; c++) {
            int r = cdiv(want, c);
            int n = r * c, rounds = cdiv(n, threads);
            double cost = flops * rounds / n
                        + 16.0 * r * g->N * g->K / threads
                        + (g->pack_a ? 16.0 * c * g->M * g->K / threads : 0);
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

/* The dot-product path (see dot_512): tasks of whole DOT-row blocks, each
 * block's epilogue run once its N columns are done. */
typedef struct {
    dot_fn *dot;
    int M, N, K;
    const float *A; ptrdiff_t lda;
    const float *B; ptrdiff_t ldb;
    float *C; ptrdiff_t ldc;
    int add, rows;
    const dn_epilogue *epi;
} dot_job;

static void dot_task(int t, void *arg)   /* isa: avx512f */
{
    const dot_job *g = arg;
    int i1 = (t + 1) * g->rows < g->M ? (t + 1) * g->rows : g->M;
    for (int i = t * g->rows; i < i1; i += DOT_ROWS) {
        int h = i1 - i < DOT_ROWS ? i1 - i : DOT_ROWS;
        float *c = g->C + i * g->ldc;
        for (int j = 0; j < g->N; j += DOT)
            g->dot(g->K, g->A + i * g->lda, g->lda, g->B + j * g->ldb, g->ldb,
                   c + j, g->ldc, h, g->N - j < DOT ? g->N - j : DOT, g->add);
        if (g->epi)
            g->epi->fn(g->epi->arg, c, g->ldc, i, 0, h, g->N);
    }
}

/* A product too small for copying and planning to pay (a small layer's,
 * a few thousand multiply-adds: the copies and the plan took a third of
 * its time): the kernels straight on A and B in place, rows cut into
 * even micro-tiles as tile() cuts them.  One K block, and each element
 * still sums its k in order with fused multiply-adds: the same bits as
 * the packed path. */
enum { SMALL_MAX = 1 << 16 };

static void small(const kernel *kr, int M, int N, int K, const float *A,
                  ptrdiff_t ars, ptrdiff_t acs, const float *B, ptrdiff_t bks,
                  float *C, ptrdiff_t ldc, int add, const dn_epilogue *epi)
{
    const int mr = kr->mr, nr = kr->nr, tiles = cdiv(M, mr);
    for (int t = 0, i = 0; t < tiles; t++) {
        const int h = cdiv(M - i, tiles - t);
        float *c = C + i * ldc;
        for (int j = 0; j < N; j += nr) {
            const int w = N - j < nr ? N - j : nr;
            kr->fn[h - 1](K, A + i * ars, ars, acs, B + j, bks, c + j, ldc, h,
                          w, add);
            if (epi) epi->fn(epi->arg, c + j, ldc, i, j, h, w);
        }
        i += h;
    }
}

#ifdef DN_BLAS
/* make BLAS=openblas: the products go to the BLAS instead, for
 * comparison (bench/).  The BLAS's own threads split the work its way,
 * so this build does not promise the same bits for every thread count. */
static void blas_gemm(int ta, int tb, int M, int N, int K, const float *A,
                      int lda, const float *B, int ldb, float *C, int ldc,
                      int accumulate, const dn_epilogue *epi)
{
    if (M <= 0 || N <= 0) return;
    if (K > 0)
        cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
                    tb ? CblasTrans : CblasNoTrans, M, N, K, 1.0f, A, lda, B,
                    ldb, accumulate ? 1.0f : 0.0f, C, ldc);
    else if (!accumulate)
        for (int i = 0; i < M; i++) memset(C + (ptrdiff_t)i * ldc, 0, (size_t)N * sizeof *C);
    if (epi) epi->fn(epi->arg, C, ldc, 0, 0, M, N);
}
#define BLAS_OR(ta, tb) \
    blas_gemm(ta, tb, M, N, K, A, lda, B, ldb, C, ldc, accumulate, epi); \
    (void)p; return
#else
#define BLAS_OR(ta, tb) (void)0
#endif

static void gemm(dn_pool *p, int M, int N, int K,
                 const float *A, ptrdiff_t ars, ptrdiff_t acs,
                 const float *B, ptrdiff_t bks, ptrdiff_t bjs,
                 float *C, int ldc, int accumulate, const dn_epilogue *epi)
{
    if (M <= 0 || N <= 0)
        return;

    if (K <= 0) {   /* the empty sum: C += 0 leaves C, C = 0 clears it */
        for (int i = 0; i < M; i++) {
            if (!accumulate)
                memset(C + (ptrdiff_t)i * ldc, 0, (size_t)N * sizeof *C);
        }
        if (epi)
            epi->fn(epi->arg, C, ldc, 0, 0, M, N);
        return;
    }
    pthread_once(&once, init);
    double flops = 2.0 * M * N * K;
    int threads = flops < PAR_MIN ? 1 : dn_pool_threads(p);
    if (chosen->dot && acs == 1 && bks == 1 && N <= DOT_N &&
        K >= DOT_K) {   /* isa: avx512f */
        /* Chosen by N, K and the layout alone, so a row's bits still do
         * not depend on M or on the threads.  (With a short K, the sum of
         * the lanes costs more than the broadcasts.) */
        int blocks = cdiv(M, DOT_ROWS), n = threads > 1 ? 4 * threads : 1;
        if (n > blocks) n = blocks;
        dot_job g = { chosen->dot, M, N, K, A, ars, B, bjs, C, ldc,
                      accumulate != 0, cdiv(blocks, n) * DOT_ROWS, epi };
        n = cdiv(M, g.rows);
        if (n == 1)
            dot_task(0, &g);
        else
            dn_pool_run(p, n, dot_task, &g);
        return;
    }
    const variant *v = current(flops);
    const kernel *kr = pick(chosen, N, v);
    if (threads == 1 && K <= KC && bjs == 1 && kr->b_direct &&
        flops <= SMALL_MAX) {
        small(kr, M, N, K, A, ars, acs, B, bks, C, ldc, accumulate != 0,
              epi);
        return;
    }
    /* See "What is copied" at the top.  Measured on 1024³ and 2048³:
     * packing A along k (a transpose) cost more than it saved, packing it
     * along i gained 5-10%. */
    const double lim = chosen->in_place;
    int pack_b = !kr->b_direct || bjs != 1 ||
                 (cdiv(M, kr->mr) > 2 && (double)K * N > lim);
    int pack_a = (acs != 1 || v->pack_ak) && cdiv(N, kr->nr) >= 4 &&
                 (double)K * M > lim;
    job g = { kr, chosen, M, N, K, A, ars, acs, B, bks, bjs, C, ldc,
              accumulate != 0, pack_a, pack_b, epi, 0, 0, 1 };
    int n = plan(&g, threads, flops);
    if (n == 1)
        task(0, &g);
    else
        dn_pool_run(p, n, task, &g);
}

void dn_gemm_nt_epi(dn_pool *p, int M, int N, int K,
                    const float *A, int lda, const float *B, int ldb,
                    float *C, int ldc, int accumulate, const dn_epilogue *epi)
{
    BLAS_OR(0, 1);
    gemm(p, M, N, K, A, lda, 1, B, 1, ldb, C, ldc, accumulate, epi);
}

void dn_gemm_nn_epi(dn_pool *p, int M, int N, int K,
                    const float *A, int lda, const float *B, int ldb,
                    float *C, int ldc, int accumulate, const dn_epilogue *epi)
{
    BLAS_OR(0, 0);
    gemm(p, M, N, K, A, lda, 1, B, ldb, 1, C, ldc, accumulate, epi);
}

void dn_gemm_tn_epi(dn_pool *p, int M, int N, int K,
                    const float *A, int lda, const float *B, int ldb,
                    float *C, int ldc, int accumulate, const dn_epilogue *epi)
{
    BLAS_OR(1, 0);
    gemm(p, M, N, K, A, 1, lda, B, ldb, 1, C, ldc, accumulate, epi);
}

void dn_gemm_nt(dn_pool *p, int M, int N, int K,
                const float *A, int lda, const float *B, int ldb,
                float *C, int ldc, int accumulate)
{
    dn_gemm_nt_epi(p, M, N, K, A, lda, B, ldb, C, ldc, accumulate, NULL);
}

void dn_gemm_nn(dn_pool *p, int M, int N, int K,
                const float *A, int lda, const float *B, int ldb,
                float *C, int ldc, int accumulate)
{
    dn_gemm_nn_epi(p, M, N, K, A, lda, B, ldb, C, ldc, accumulate, NULL);
}

void dn_gemm_tn(dn_pool *p, int M, int N, int K,
                const float *A, int lda, const float *B, int ldb,
                float *C, int ldc, int accumulate)
{
    dn_gemm_tn_epi(p, M, N, K, A, lda, B, ldb, C, ldc, accumulate, NULL);
}
