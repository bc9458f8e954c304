/* fpmode.c — training's floating-point mode (fpmode.h says why). */
#include "kernels/fpmode.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
/* MXCSR: bit 15 flushes subnormal results to zero (FTZ), bit 6 reads
 * subnormal operands as zero (DAZ); every SSE and AVX instruction obeys
 * them, the scalar ones too, so every kernel path stays alike. */
enum { FLUSH = 0x8000u | 0x0040u };

unsigned dn_fpmode_get(void) { return __builtin_ia32_stmxcsr(); }

void dn_fpmode_set(unsigned mode)
{
    if (__builtin_ia32_stmxcsr() != mode) __builtin_ia32_ldmxcsr(mode);
}
#else
enum { FLUSH = 0 };
unsigned dn_fpmode_get(void) { return 0; }
void dn_fpmode_set(unsigned mode) { (void)mode; }
#endif

unsigned dn_fpmode_enter(void)
{
    const unsigned before = dn_fpmode_get();
    dn_fpmode_set(before | FLUSH);
    return before;
}

void dn_fpmode_leave(unsigned before) { dn_fpmode_set(before); }

unsigned dn_fpmode_exact(void)
{
    const unsigned before = dn_fpmode_get();
    dn_fpmode_set(before & ~(unsigned)FLUSH);
    return before;
}
