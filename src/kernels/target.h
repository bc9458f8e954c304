/* target.h — the two compile-time facts the files with wide (AVX-512)
 * paths test, written once.  No intrinsics here: the math files of src/nn
 * and src/optim include it too.
 *
 * DN_X86 is defined on x86 with a compiler that takes per-function
 * target attributes (gcc, clang): only there can a file hold AVX-512 code
 * beside its plain loops and pick one at run time (dn_simd_wide).
 *
 * DN_UNFUSED, written once at the top of a file, keeps every product and
 * sum in it rounded one by one, never fused into a multiply-add, so that
 * a wide path gives the bits of its plain loop and of PyTorch's.  gcc
 * fuses none under -std=c11; clang would, for AVX-512, without the
 * pragma. */
#ifndef DN_TARGET_H
#define DN_TARGET_H

#if (defined(__x86_64__) || defined(__i386__)) && \
    (defined(__GNUC__) || defined(__clang__))
#define DN_X86 1
#endif

/* DN_COPIES(name, params, body): name_wide and name_avx2, the same body
 * (a call of a plain inline loop) compiled for AVX-512 and for AVX2, so
 * that a plain loop gets both vector widths without being written three
 * times.  The caller picks one by dn_simd_wide() and dn_simd_avx2(). */
#ifdef DN_X86
#define DN_COPIES(name, params, body)                                      \
    __attribute__((target("avx512f"))) static void name##_wide params      \
    { body; }                                                              \
    __attribute__((target("avx2"))) static void name##_avx2 params         \
    { body; }
#endif

#ifdef __clang__
#define DN_UNFUSED _Pragma("clang fp contract(off)")
#else
#define DN_UNFUSED
#endif

#endif
