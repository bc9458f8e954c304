/* alloc_fail.c — the wrapped allocator of alloc_fail.h.  Counters are
 * atomic: the thread pool's workers allocate their scratch buffers too. */
#include "alloc_fail.h"
#include <stdatomic.h>
#include <stddef.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);
void *__real_aligned_alloc(size_t align, size_t n);
void  __real_free(void *p);

void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t k, size_t n);
void *__wrap_realloc(void *p, size_t n);
void *__wrap_aligned_alloc(size_t align, size_t n);
void  __wrap_free(void *p);

static atomic_long fail_at, attempts, failures, live;
static atomic_int persistent;

void af_arm(long k, int persist)
{
    atomic_store(&fail_at, 0);
    atomic_store(&attempts, 0);
    atomic_store(&failures, 0);
    atomic_store(&persistent, persist);
    atomic_store(&fail_at, k);
}

long af_attempts(void) { return atomic_load(&attempts); }
long af_failures(void) { return atomic_load(&failures); }
long af_live(void) { return atomic_load(&live); }

/* Counts an attempt; 1 if it is to fail. */
static int fail_now(void)
{
    long n = atomic_fetch_add(&attempts, 1) + 1;
    long k = atomic_load(&fail_at);
    if (k > 0 && (n == k || (n > k && atomic_load(&persistent)))) {
        atomic_fetch_add(&failures, 1);
        return 1;
    }
    return 0;
}

static void *counted(void *p)
{
    if (p) atomic_fetch_add(&live, 1);
    return p;
}

void *__wrap_malloc(size_t n)
{
    return fail_now() ? NULL : counted(__real_malloc(n));
}

void *__wrap_calloc(size_t k, size_t n)
{
    return fail_now() ? NULL : counted(__real_calloc(k, n));
}

void *__wrap_aligned_alloc(size_t align, size_t n)
{
    return fail_now() ? NULL : counted(__real_aligned_alloc(align, n));
}

void *__wrap_realloc(void *p, size_t n)
{
    if (fail_now()) return NULL;  /* p stays valid, as realloc promises */
    void *q = __real_realloc(p, n);
    if (!p && q) atomic_fetch_add(&live, 1);       /* realloc(NULL, n) */
    if (p && !q && n == 0) atomic_fetch_sub(&live, 1); /* freed p */
    return q;
}

void __wrap_free(void *p)
{
    if (p) atomic_fetch_sub(&live, 1);
    __real_free(p);
}
