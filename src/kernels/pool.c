/* pool.c — a persistent pool of threads that runs numbered tasks.
 *
 * The workers are created once and wait between jobs, so a training step
 * pays a hand-off, never a thread creation.  A job is (fn, arg, n_tasks);
 * the caller and the workers that join it claim task numbers until none
 * are left.  Which thread runs which task is left to chance: callers get
 * determinism by making each task's result independent of who runs it
 * (see gemm.c).
 *
 * Claiming.  One 64-bit word holds the job's number, its task count and
 * the next task to hand out; a thread claims task t by changing (job, t)
 * into (job, t + 1) with a compare-and-swap.  A claim can only succeed
 * while its job is unfinished (task t is not done yet), and the caller
 * rewrites the job's fields only after every task is done — so a thread
 * that claimed a task always reads that task's job, and the caller never
 * waits for a worker that is slow to wake or was descheduled between
 * jobs: it takes the tasks itself, and the latecomer finds none left.
 *
 * Waiting.  A small network's step posts a job every few microseconds,
 * faster than a thread asleep on a condition variable wakes.  So a
 * worker first spins on the word (a few microseconds), then keeps
 * looking while yielding its core to anyone else who needs it, for up to
 * SPIN_S in all, and only then sleeps until the next job.  On a machine
 * busier than its cores, the yield keeps a waiting worker from taking
 * the core away from the threads doing the work.
 */
#include "kernels/gemm.h"
#include "kernels/fpmode.h"
#include "kernels/target.h"
#include "base/base.h" /* DN_MAX_THREADS, dn_now */

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#ifdef DN_X86
#define relax() __builtin_ia32_pause()
#else
#define relax() ((void)0)
#endif

#define SPIN_S    5e-4     /* seconds a worker looks for work, then sleeps */
#define SPIN_HOT  2000     /* pauses before it starts yielding the core */

/* The claim word: job number (32 bits), task count (16), next task (16). */
#define WORD(job, n, next) ((uint64_t)(job) << 32 | (uint64_t)(n) << 16 | \
                            (uint64_t)(next))
#define W_JOB(w)  ((uint32_t)((w) >> 32))
#define W_N(w)    ((int)((w) >> 16 & 0xFFFF))
#define W_NEXT(w) ((int)((w) & 0xFFFF))
#define MAX_TASKS 0xFFFF   /* more are run in rounds of this many */

struct dn_pool {
    int        n;           /* threads, the caller included */
    pthread_t *tid;         /* the n - 1 workers */
    pthread_mutex_t run;    /* held by the one dn_pool_run in progress */
    pthread_mutex_t mu;     /* guards sleeping and waking */
    pthread_cond_t  wake;   /* a job was posted, or stop */
    _Atomic uint64_t word;  /* see above */
    atomic_int  done;       /* tasks of the current job finished */
    atomic_int  sleepers;   /* workers waiting on wake */
    atomic_int  stop;
    void (*fn)(int task, void *arg);
    void *arg;
    int   base;             /* task number of the job's task 0 */
    unsigned mode;          /* the caller's floating-point mode (fpmode.h) */
};

/* Claims the next task of job `job`; -1 when it has none left (or a
 * later job has begun). */
static int claim(dn_pool *p, uint32_t job)
{
    uint64_t w = atomic_load_explicit(&p->word, memory_order_acquire);
    while (W_JOB(w) == job && W_NEXT(w) < W_N(w))
        if (atomic_compare_exchange_weak_explicit(&p->word, &w, w + 1,
                                                  memory_order_acq_rel,
                                                  memory_order_acquire))
            return W_NEXT(w);
    return -1;
}

/* Runs the job's tasks until none is left.  The fields were written
 * before the word that announced the job, and a claim acquires it. */
static void drain(dn_pool *p, uint32_t job)
{
    int t;
    while ((t = claim(p, job)) >= 0) {
        /* In the poster's floating-point mode (read, like fn, after the
         * claim).  A worker is the pool's own thread: the mode may stay
         * until a job sets another. */
        dn_fpmode_set(p->mode);
        p->fn(p->base + t, p->arg);
        atomic_fetch_add_explicit(&p->done, 1, memory_order_release);
    }
}

/* Returns the first job numbered other than `seen` (or on stop): looking
 * first, then asleep.  The sleep cannot miss a job: a worker counts
 * itself in `sleepers` before its last look at the word, and the caller
 * stores the word before it looks at `sleepers`; in the single order of
 * these operations one sees the other's, so either the worker sees the
 * job or the caller wakes it (taking mu, which the worker holds until it
 * waits). */
static uint32_t next_job(dn_pool *p, uint32_t seen)
{
    const double t0 = dn_now();
    for (long i = 1;; i++) {
        uint32_t j = W_JOB(atomic_load_explicit(&p->word,
                                                memory_order_acquire));
        if (j != seen || atomic_load_explicit(&p->stop, memory_order_relaxed))
            return j;
        if (i < SPIN_HOT) {
            relax();
        } else {
            sched_yield();
            if (i % 16 == 0 && dn_now() - t0 > SPIN_S) break;
        }
    }
    pthread_mutex_lock(&p->mu);
    atomic_fetch_add(&p->sleepers, 1);
    uint32_t j;
    while ((j = W_JOB(atomic_load(&p->word))) == seen &&
           !atomic_load(&p->stop))
        pthread_cond_wait(&p->wake, &p->mu);
    atomic_fetch_sub(&p->sleepers, 1);
    pthread_mutex_unlock(&p->mu);
    return j;
}

static void *worker(void *arg)
{
    dn_pool *p = arg;
    uint32_t seen = 0;   /* jobs start at 1: a late start misses nothing */
    for (;;) {
        seen = next_job(p, seen);
        if (atomic_load(&p->stop))
            break;
        drain(p, seen);
    }
    return NULL;
}

/* Stops and joins the first `started` workers, then frees everything. */
static void teardown(dn_pool *p, int started)
{
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->stop, 1);
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

int dn_threads_default(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > DN_MAX_THREADS ? DN_MAX_THREADS : (int)n;
}

dn_pool *dn_pool_new(int threads)
{
    if (threads <= 0) threads = dn_threads_default();
    /* More threads than this only cost memory and scheduling (results
     * do not depend on the count): 20,000 asked must not make 20,000. */
    if (threads > DN_MAX_THREADS) threads = DN_MAX_THREADS;
    dn_pool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->n = threads;
    atomic_init(&p->word, 0);
    atomic_init(&p->done, 0);
    atomic_init(&p->sleepers, 0);
    atomic_init(&p->stop, 0);
    if (threads > 1 && !(p->tid = calloc((size_t)threads - 1, sizeof *p->tid))) {
        free(p);
        return NULL;
    }
    /* Mutexes and condition variables with default attributes cannot
     * fail to initialize on the systems we target (glibc, musl, macOS),
     * but check anyway: a library must not trust what it cannot see. */
    if (pthread_mutex_init(&p->run, NULL) != 0) {  /* cov: default mutexes and conditions do not fail on glibc */
        free(p->tid); free(p);  /* cov: default mutexes and conditions do not fail on glibc */
        return NULL;  /* cov: default mutexes and conditions do not fail on glibc */
    }
    if (pthread_mutex_init(&p->mu, NULL) != 0) {  /* cov: default mutexes and conditions do not fail on glibc */
        pthread_mutex_destroy(&p->run);  /* cov: default mutexes and conditions do not fail on glibc */
        free(p->tid); free(p);  /* cov: default mutexes and conditions do not fail on glibc */
        return NULL;  /* cov: default mutexes and conditions do not fail on glibc */
    }
    if (pthread_cond_init(&p->wake, NULL) != 0) {  /* cov: default mutexes and conditions do not fail on glibc */
        pthread_mutex_destroy(&p->mu);  /* cov: default mutexes and conditions do not fail on glibc */
        pthread_mutex_destroy(&p->run);  /* cov: default mutexes and conditions do not fail on glibc */
        free(p->tid); free(p);  /* cov: default mutexes and conditions do not fail on glibc */
        return NULL;  /* cov: default mutexes and conditions do not fail on glibc */
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
    /* cov: pthread_create fails only out of threads (root ignores
     * RLIMIT_NPROC, so a test cannot make it fail) */
    if (started < threads - 1) {  /* cov: pthread_create failure */
        teardown(p, started);  /* cov: pthread_create failure */
        return NULL;  /* cov: pthread_create failure */
    }
    return p;
}

void dn_pool_free(dn_pool *p)
{
    if (p)
        teardown(p, p->n - 1);
}

int dn_pool_threads(const dn_pool *p) { return p ? p->n : 1; }

/* One job of n ≤ MAX_TASKS tasks, numbered from base. */
static void job(dn_pool *p, int base, int n)
{
    /* No thread reads these now: every task of the last job is done, and
     * a claim of a finished job fails. */
    p->base = base;
    p->mode = dn_fpmode_get();
    atomic_store_explicit(&p->done, 0, memory_order_relaxed);
    uint32_t j = W_JOB(atomic_load_explicit(&p->word,
                                            memory_order_relaxed)) + 1;
    if (j == 0) j = 1;   /* 0 is "no job yet" */
    atomic_store(&p->word, WORD(j, n, 0));   /* publishes the fields */
    if (atomic_load(&p->sleepers) > 0) {
        pthread_mutex_lock(&p->mu);
        pthread_cond_broadcast(&p->wake);
        pthread_mutex_unlock(&p->mu);
    }

    drain(p, j);

    /* The tasks others claimed: spin briefly, then yield, since a task
     * still running belongs to a thread the system has descheduled. */
    for (long i = 0; atomic_load_explicit(&p->done, memory_order_acquire) < n;
         i++) {
        if (i < SPIN_HOT) relax();
        else sched_yield();
    }
}

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
    p->fn = fn;
    p->arg = arg;
    for (int base = 0; base < n_tasks; base += MAX_TASKS)
        job(p, base, n_tasks - base < MAX_TASKS ? n_tasks - base : MAX_TASKS);
    pthread_mutex_unlock(&p->run);
}
