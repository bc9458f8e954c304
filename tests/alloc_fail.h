/* alloc_fail.h — an allocator that fails on request, for the
 * allocation-failure sweep (tests/test_alloc_fail.c).
 *
 * tests/alloc_fail.c defines __wrap_malloc, __wrap_calloc,
 * __wrap_realloc, __wrap_aligned_alloc and __wrap_free; the test is
 * linked with -Wl,--wrap=malloc,... so that every allocation the library
 * (and the test) makes goes through them.  They count attempts and live
 * blocks, and fail the k-th attempt after af_arm(k, ...).  Allocations
 * inside libc and zlib themselves are not seen (they are not linked
 * through the wrapper), so the sweep covers descent's own code. */
#ifndef ALLOC_FAIL_H
#define ALLOC_FAIL_H

/* From now on, attempt k (1-based) fails; with persistent, every
 * attempt from k on fails.  k = 0 disarms.  Resets the attempt count. */
void af_arm(long k, int persistent);
long af_attempts(void);  /* allocation attempts since af_arm */
long af_failures(void);  /* attempts made to fail since af_arm */
long af_live(void);      /* blocks allocated and not yet freed */

#endif
