/* tune.c — the first-use calibration that picks the products' variant
 * for this CPU (gemm.h: tile shape, A copied or read in place).
 *
 * Why measure at all: the blocking follows the cache sizes the CPU
 * reports (cache.c), but which variant is fastest does not follow from
 * any reported figure — on Zen, reading A in place was faster than
 * copying it; on an Intel Xeon (Sapphire Rapids), whose 12-way L1 holds
 * A's twelve rows 4 KiB apart in a single set, copying won by a tenth to
 * a quarter on large squares.  So each variant runs the two products
 * whose A they treat differently (the forward C = A·Bᵀ, the backward
 * C = A·B) on one thread, on a shape like a wide layer's (84 rows of A
 * 4 KiB apart, 512 columns), and the least total time wins.
 * Each is timed REPS times and keeps its fastest: the other programs on
 * a shared machine only ever slow a run down.
 *
 * Cost: 4 × 2 × REPS products of 0.09 GFLOP, some 15-25 ms, once
 * per process, and only in a process whose products are large enough to
 * gain from it (gemm.c calls this from the first of DN_TUNE_FLOPS).
 * Nothing is stored: the next process measures again.  The bits of every
 * product are the same whichever variant wins. */
#include "kernels/gemm.h"
#include "base/base.h"   /* dn_now */

#include <stdlib.h>

enum { TM = 84, TN = 512, TK = 1024, REPS = 2 };

int dn_gemm_calibrate(void)
{
    const int n = dn_gemm_variants(), was = dn_gemm_force(-1);
    float *A = malloc((size_t)TM * TK * sizeof *A);
    float *B = malloc((size_t)TK * TN * sizeof *B);
    float *C = malloc((size_t)TM * TN * sizeof *C);
    int best = 0;
    if (A && B && C && n > 1) {
        /* Values of a few bits: no subnormals, no overflow, any order. */
        for (size_t i = 0; i < (size_t)TM * TK; i++)
            A[i] = (float)(int)(i % 13) * 0.125f - 0.75f;
        for (size_t i = 0; i < (size_t)TK * TN; i++)
            B[i] = (float)(int)(i % 7) * 0.25f - 0.75f;
        double least = 0;
        for (int v = 0; v < n; v++) {
            dn_gemm_force(v);
            double total = 0;
            for (int op = 0; op < 2; op++) {
                double fastest = 0;
                for (int r = 0; r < REPS; r++) {
                    double t0 = dn_now();
                    if (op == 0)
                        dn_gemm_nt(NULL, TM, TN, TK, A, TK, B, TK, C, TN, 0);
                    else
                        dn_gemm_nn(NULL, TM, TN, TK, A, TK, B, TN, C, TN, 0);
                    double t = dn_now() - t0;
                    if (r == 0 || t < fastest) fastest = t;
                }
                total += fastest;
            }
            if (v == 0 || total < least) {
                least = total;
                best = v;
            }
        }
    }
    free(A);
    free(B);
    free(C);
    dn_gemm_force(was);   /* what was forced before, if anything was */
    return best;
}
