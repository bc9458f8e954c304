/* pool.c — a persistent pool of threads that runs numbered tasks.
 *
 * The workers are created once and sleep on a condition variable between
 * jobs, so a training step pays a wake-up, never a thread creation.  A job
 * is (fn, arg, n_tasks); the caller and the workers that join it take
 * task numbers from one atomic counter until none are left.  Which thread
 * runs which task is left to chance: callers get determinism by making
 * each task's result independent of who runs it (see gemm.c).
 *
 * A job ends in two steps: the caller, out of tasks, closes it (no more
 * workers may join), then waits until the workers inside have left.  So
 * the caller never waits for a worker that was slow to wake, and a worker
 * that wakes late finds the job closed and sleeps again.
 */
#include "gemm.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

struct dn_pool {
    int        n;           /* threads, the caller included */
    pthread_t *tid;         /* the n - 1 workers */
    pthread_mutex_t run;    /* held by the one dn_pool_run in progress */
    pthread_mutex_t mu;     /* guards the fields below, except next */
    pthread_cond_t  wake;   /* a job was posted, or stop */
    pthread_cond_t  idle;   /* the last worker left a closed job */
    unsigned long gen;      /* job number, bumped for every job */
    int  open;              /* workers may still join the current job */
    int  want, joined;      /* workers the job can use, workers that came */
    int  active;            /* workers inside the job */
    int  stop;
    void (*fn)(int task, void *arg);
    void *arg;
    int   n_tasks;
    atomic_int next;        /* the next task number to hand out */
};

/* Runs tasks until the counter passes the end.  The job's fields were
 * written under mu before this thread last took mu, so they are visible. */
static void drain(dn_pool *p)
{
    int t;
    while ((t = atomic_fetch_add_explicit(&p->next, 1,
                                          memory_order_relaxed)) < p->n_tasks)
        p->fn(t, p->arg);
}

static void *worker(void *arg)
{
    dn_pool *p = arg;
    unsigned long seen = 0;   /* gen starts at 0: a late start misses nothing */

    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->stop && p->gen == seen)
            pthread_cond_wait(&p->wake, &p->mu);
        if (p->stop)
            break;
        seen = p->gen;
        if (!p->open || p->joined >= p->want)
            continue;
        p->joined++;
        p->active++;
        pthread_mutex_unlock(&p->mu);
        drain(p);
        pthread_mutex_lock(&p->mu);
        if (--p->active == 0 && !p->open)
            pthread_cond_signal(&p->idle);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* Stops and joins the first `started` workers, then frees everything. */
static void teardown(dn_pool *p, int started)
{
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < started; i++)
        pthread_join(p->tid[i], NULL);
    pthread_cond_destroy(&p->idle);
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
    atomic_init(&p->next, 0);
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
    if (pthread_cond_init(&p->idle, NULL) != 0) {
        pthread_cond_destroy(&p->wake);
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

    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->arg = arg;
    p->n_tasks = n_tasks;
    atomic_store_explicit(&p->next, 0, memory_order_relaxed);
    p->want = n_tasks - 1 < p->n - 1 ? n_tasks - 1 : p->n - 1;
    p->joined = 0;
    p->open = 1;
    p->gen++;
    /* Wake only as many workers as there are tasks to share; a signal
     * that finds nobody waiting is harmless (see the join rule). */
    for (int i = 0; i < p->want; i++)
        pthread_cond_signal(&p->wake);
    pthread_mutex_unlock(&p->mu);

    drain(p);

    pthread_mutex_lock(&p->mu);
    p->open = 0;
    while (p->active > 0)
        pthread_cond_wait(&p->idle, &p->mu);
    pthread_mutex_unlock(&p->mu);
    pthread_mutex_unlock(&p->run);
}
