/* pool.c — a persistent pool of threads that runs numbered tasks.
 *
 * The workers are created once and wait between jobs, so a training step
 * pays a hand-off, never a thread creation.  A job is (fn, arg, n_tasks);
 * the caller and the workers that join it take task numbers from one
 * atomic counter until none are left.  Which thread runs which task is
 * left to chance: callers get determinism by making each task's result
 * independent of who runs it (see gemm.c).
 *
 * Waiting.  A small network's step posts a job every few microseconds,
 * and waking a thread that sleeps on a condition variable takes longer
 * than that.  So a worker first spins on the job counter for up to
 * SPIN_NS (a fraction of a millisecond: it stays awake through a
 * training loop), and only then sleeps until the next job.  The caller
 * never waits for a worker to wake: it takes tasks itself, and a worker
 * that arrives late finds none left.
 *
 * Ending a job.  The caller, out of tasks, waits until every task taken
 * is finished (`done`), closes the job (`open` = 0: no worker may start
 * reading it), then waits until the workers that had joined (`inside`)
 * have left.  Only then may the job's fields be rewritten for the next.
 * The orderings that make this safe are spelled out where they are used;
 * every atomic not marked otherwise is sequentially consistent.
 */
#include "gemm.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#if (defined(__x86_64__) || defined(__i386__)) && \
    (defined(__GNUC__) || defined(__clang__))
#define relax() __builtin_ia32_pause()
#else
#define relax() ((void)0)
#endif

#define SPIN_NS 200000L   /* a worker spins this long before sleeping */

struct dn_pool {
    int        n;           /* threads, the caller included */
    pthread_t *tid;         /* the n - 1 workers */
    pthread_mutex_t run;    /* held by the one dn_pool_run in progress */
    pthread_mutex_t mu;     /* guards sleeping and waking */
    pthread_cond_t  wake;   /* a job was posted, or stop */
    atomic_uint gen;        /* bumped for every job, and to stop */
    atomic_int  open;       /* the job's fields may be read */
    atomic_int  inside;     /* workers that may be reading them */
    atomic_int  sleepers;   /* workers waiting on wake */
    atomic_int  stop;
    void (*fn)(int task, void *arg);
    void *arg;
    int   n_tasks;
    atomic_int next;        /* the next task number to hand out */
    atomic_int done;        /* tasks finished */
};

static long elapsed_ns(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - t0->tv_sec) * 1000000000L + (t.tv_nsec - t0->tv_nsec);
}

/* Runs tasks until the counter passes the end.  The job's fields were
 * written before `open` was set, and this thread read `open` set. */
static void drain(dn_pool *p)
{
    int t;
    while ((t = atomic_fetch_add_explicit(&p->next, 1,
                                          memory_order_relaxed)) < p->n_tasks) {
        p->fn(t, p->arg);
        atomic_fetch_add_explicit(&p->done, 1, memory_order_release);
    }
}

/* Returns once gen differs from seen (or stop is set): spinning first,
 * then asleep.  The sleep cannot miss a job: a worker counts itself in
 * `sleepers` before its last look at gen, and the caller bumps gen before
 * it looks at `sleepers`; in the single order of these operations one of
 * the two sees the other's, so either the worker sees the new job or the
 * caller wakes it (taking mu, which the worker holds until it waits). */
static unsigned next_job(dn_pool *p, unsigned seen)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long i = 1;; i++) {
        unsigned g = atomic_load_explicit(&p->gen, memory_order_acquire);
        if (g != seen) return g;
        relax();
        if (i % 64 == 0 && elapsed_ns(&t0) > SPIN_NS) break;
    }
    pthread_mutex_lock(&p->mu);
    atomic_fetch_add(&p->sleepers, 1);
    unsigned g;
    while ((g = atomic_load(&p->gen)) == seen && !atomic_load(&p->stop))
        pthread_cond_wait(&p->wake, &p->mu);
    atomic_fetch_sub(&p->sleepers, 1);
    pthread_mutex_unlock(&p->mu);
    return g;
}

static void *worker(void *arg)
{
    dn_pool *p = arg;
    unsigned seen = 0;   /* gen starts at 0: a late start misses nothing */
    for (;;) {
        seen = next_job(p, seen);
        if (atomic_load(&p->stop))
            break;
        /* Counted in `inside` before looking at `open`: the caller
         * closes before it counts, so it either waits for this worker or
         * this worker sees the job closed. */
        atomic_fetch_add(&p->inside, 1);
        if (atomic_load(&p->open))
            drain(p);
        atomic_fetch_sub_explicit(&p->inside, 1, memory_order_release);
    }
    return NULL;
}

/* Waits, spinning and then yielding the core, until *v reaches want (or
 * falls to it, if down). */
static void await(atomic_int *v, int want, int down)
{
    for (long i = 0;; i++) {
        int x = atomic_load_explicit(v, memory_order_acquire);
        if (down ? x <= want : x >= want) return;
        if (i < 4096) relax();
        else sched_yield();   /* a worker was descheduled mid-task */
    }
}

/* Stops and joins the first `started` workers, then frees everything. */
static void teardown(dn_pool *p, int started)
{
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->stop, 1);
    atomic_fetch_add(&p->gen, 1);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < started; i++)
        pthread_join(p->tid[i], NULL);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->mu);
    pthread_mutex_destroy(&p->run);
    free(p->tid);
    free(p);
}

dn_pool *dn_pool_new(int threads)
{
    if (threads <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n < 1 ? 1 : n > 1024 ? 1024 : (int)n;
    }
    dn_pool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->n = threads;
    atomic_init(&p->gen, 0);
    atomic_init(&p->open, 0);
    atomic_init(&p->inside, 0);
    atomic_init(&p->sleepers, 0);
    atomic_init(&p->stop, 0);
    atomic_init(&p->next, 0);
    atomic_init(&p->done, 0);
    if (threads > 1 && !(p->tid = calloc((size_t)threads - 1, sizeof *p->tid))) {
        free(p);
        return NULL;
    }
    /* Mutexes and condition variables with default attributes cannot
     * fail to initialize on the systems we target (glibc, musl, macOS),
     * but check anyway: a library must not trust what it cannot see. */
    if (pthread_mutex_init(&p->run, NULL) != 0) {
        free(p->tid); free(p);
        return NULL;
    }
    if (pthread_mutex_init(&p->mu, NULL) != 0) {
        pthread_mutex_destroy(&p->run);
        free(p->tid); free(p);
        return NULL;
    }
    if (pthread_cond_init(&p->wake, NULL) != 0) {
        pthread_mutex_destroy(&p->mu);
        pthread_mutex_destroy(&p->run);
        free(p->tid); free(p);
        return NULL;
    }

    /* Workers block every signal, so the application's handlers keep
     * running on the application's own threads. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int started = 0;
    while (started < threads - 1 &&
           pthread_create(&p->tid[started], NULL, worker, p) == 0)
        started++;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (started < threads - 1) {
        teardown(p, started);
        return NULL;
    }
    return p;
}

void dn_pool_free(dn_pool *p)
{
    if (p)
        teardown(p, p->n - 1);
}

int dn_pool_threads(const dn_pool *p) { return p ? p->n : 1; }

void dn_pool_run(dn_pool *p, int n_tasks, void (*fn)(int task, void *arg),
                 void *arg)
{
    if (n_tasks <= 0 || !fn)
        return;
    /* Inline when there is nobody to share with, and also when the pool is
     * busy: a task that calls dn_pool_run again, or a second thread using
     * the same pool, then runs on its own instead of deadlocking. */
    if (!p || p->n == 1 || n_tasks == 1 || pthread_mutex_trylock(&p->run) != 0) {
        for (int t = 0; t < n_tasks; t++)
            fn(t, arg);
        return;
    }

    /* No worker reads these now: the last job was closed and emptied. */
    p->fn = fn;
    p->arg = arg;
    p->n_tasks = n_tasks;
    atomic_store_explicit(&p->next, 0, memory_order_relaxed);
    atomic_store_explicit(&p->done, 0, memory_order_relaxed);
    atomic_store(&p->open, 1);        /* publishes the fields above */
    atomic_fetch_add(&p->gen, 1);
    if (atomic_load(&p->sleepers) > 0) {
        pthread_mutex_lock(&p->mu);
        pthread_cond_broadcast(&p->wake);
        pthread_mutex_unlock(&p->mu);
    }

    drain(p);

    await(&p->done, n_tasks, 0);      /* every task's writes are visible */
    atomic_store(&p->open, 0);
    await(&p->inside, 0, 1);
    pthread_mutex_unlock(&p->run);
}
