/* simd.h — what the AVX-512 loops of several files share. */
#ifndef DN_SIMD_H
#define DN_SIMD_H

#include "kernels/target.h"

#ifdef DN_X86
#include <immintrin.h>

/* The mask of the first n of 16 lanes: none for n ≤ 0, all for n ≥ 16.
 * A masked load never faults on the lanes it drops, so a loop's tail is
 * one more pass with this mask. */
static inline __mmask16 dn_lanes(int n)   /* isa: avx512f */
{
    return n >= 16 ? (__mmask16)0xFFFF
         : n <= 0 ? (__mmask16)0 : (__mmask16)((1u << n) - 1);
}
#endif

#endif
