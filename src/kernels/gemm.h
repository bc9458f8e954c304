/* gemm.h — the three matrix products of training, and the thread pool
 * that splits them.  All matrices are row-major floats with a leading
 * dimension (row stride) ld ≥ their width.
 *
 *   forward   Z  = A_prev · Wᵀ     dn_gemm_nt   (n×in)·(out×in)ᵀ → n×out
 *   backward  dA = delta · W       dn_gemm_nn   (n×out)·(out×in) → n×in
 *   gradient  dW = deltaᵀ · A_prev dn_gemm_tn   (n×out)ᵀ·(n×in)  → out×in
 *
 * No transpose is ever materialized.  Determinism: every element of C is
 * accumulated by one thread, over k in an order fixed by K (and, for the
 * forward product, whether N ≤ 16) alone, so the bits depend neither on
 * the thread count nor on M (a row of C is the same whether computed
 * alone or in a batch).
 * `pool` may be NULL (single thread).  accumulate: 0 → C = A·B, 1 → C += A·B.
 */
#ifndef DN_GEMM_H
#define DN_GEMM_H

#include <stddef.h>

typedef struct dn_pool dn_pool;

/* A persistent pool of threads - 1 workers (the caller is the last);
 * threads ≤ 0 means one per online core.  NULL if threads cannot start. */
dn_pool *dn_pool_new(int threads);
void     dn_pool_free(dn_pool *p);
int      dn_pool_threads(const dn_pool *p); /* 1 for NULL */

/* Calls fn(task, arg) for every task in [0, n_tasks), spread over the
 * pool's threads, and returns when all are done.  Tasks must write
 * disjoint memory. */
void dn_pool_run(dn_pool *p, int n_tasks, void (*fn)(int task, void *arg),
                 void *arg);

/* Work on a finished block of C, done while the block is hot in cache:
 * fn(arg, c, ldc, i0, j0, rows, cols) is called once for every block of
 * a partition of C, after the block's final value is written, where c
 * points at C[i0][j0] and the block is rows × cols.  Blocks may be
 * handled by different threads at once, so fn must write only inside its
 * block (of C or of matrices shaped like C) — the forward pass adds the
 * bias and applies the activation there, the backward pass multiplies by
 * the activation's derivative. */
typedef struct {
    void (*fn)(const void *arg, float *c, ptrdiff_t ldc, int i0, int j0,
               int rows, int cols);
    const void *arg;
} dn_epilogue;

/* 1 when the AVX-512 kernels are in use: other hot loops (the optimizer
 * steps, the gradient's norm) then run their AVX-512 versions too, so
 * DESCENT_GEMM=avx2 or =portable turns them all off at once. */
int dn_simd_wide(void);
/* 1 when the AVX2 kernels are in use (a CPU without AVX-512, or
 * DESCENT_GEMM=avx2): the same hot loops then run their AVX2 versions,
 * which give the plain loops' bits too. */
int dn_simd_avx2(void);

/* The sizes of this CPU's L1 data and L2 caches in bytes (cache.c):
 * dn_cache_read asks one source (DN_CACHE_SYSFS: Linux's
 * /sys/devices/system/cpu/cpu0/cache, DN_CACHE_CPUID: the CPU's leaf 4
 * or, on AMD, 0x8000001D) and returns 0 with zeros if it gives no
 * answer; dn_cache_sizes takes the first that answers, else a guess. */
enum { DN_CACHE_SYSFS, DN_CACHE_CPUID };
int  dn_cache_read(int source, long *l1d, long *l2);
void dn_cache_sizes(long *l1d, long *l2);

/* Variants: the few ways the products can be run on this CPU (tile
 * shape, whether A is copied), which differ in speed and never in bits
 * (see gemm.c).  Variant v is 0 .. dn_gemm_variants() − 1; its name says
 * what it does ("12x32 tiles, A copied").  Which one runs: the one named
 * by DESCENT_GEMM_VARIANT in the environment, else the one forced by
 * dn_gemm_force (v < 0 releases), else the calibration's choice
 * (tune.c: the first product of at least DN_TUNE_FLOPS times them all,
 * once per process), else, until then, variant 0. */
int         dn_gemm_variants(void);
const char *dn_gemm_variant_name(int v);
int         dn_gemm_variant(void);      /* the one in use now */
int         dn_gemm_force(int v);      /* returns the one forced before, or −1 */
/* The blocking gemm.c took from the caches: columns of B packed at once,
 * rows of A walked per packed slice. */
void        dn_gemm_blocking(int *nc, int *mc);

/* tune.c: times every variant on one product (a few milliseconds, one
 * thread) and returns the fastest's number; dn_gemm_variant() then
 * answers it unless something forces another. */
enum { DN_TUNE_FLOPS = 1 << 27 };
int dn_gemm_calibrate(void);

/* C (M×N) = A (M×K) · B (N×K)ᵀ */
void dn_gemm_nt(dn_pool *p, int M, int N, int K,
                const float *A, int lda, const float *B, int ldb,
                float *C, int ldc, int accumulate);

/* C (M×N) = A (M×K) · B (K×N) */
void dn_gemm_nn(dn_pool *p, int M, int N, int K,
                const float *A, int lda, const float *B, int ldb,
                float *C, int ldc, int accumulate);

/* C (M×N) = A (K×M)ᵀ · B (K×N) */
void dn_gemm_tn(dn_pool *p, int M, int N, int K,
                const float *A, int lda, const float *B, int ldb,
                float *C, int ldc, int accumulate);

/* The same three with an epilogue (NULL: none). */
void dn_gemm_nt_epi(dn_pool *p, int M, int N, int K,
                    const float *A, int lda, const float *B, int ldb,
                    float *C, int ldc, int accumulate, const dn_epilogue *epi);
void dn_gemm_nn_epi(dn_pool *p, int M, int N, int K,
                    const float *A, int lda, const float *B, int ldb,
                    float *C, int ldc, int accumulate, const dn_epilogue *epi);
void dn_gemm_tn_epi(dn_pool *p, int M, int N, int K,
                    const float *A, int lda, const float *B, int ldb,
                    float *C, int ldc, int accumulate, const dn_epilogue *epi);

#endif
