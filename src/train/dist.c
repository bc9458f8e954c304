/* dist.c — data-parallel training over MPI, compiled in by `make MPI=1`.
 * Without it this file is a world of one process, so the training loop
 * calls the same functions either way and nothing about MPI is built.
 *
 * Only sums cross processes: each rank computes the gradient of its
 * slice of every global mini-batch, the slices' contributions are summed
 * with MPI_Allreduce, and every rank then takes the same optimizer step. */
#include "train/train.h"

#ifdef DN_MPI
#include <mpi.h>

static int we_initialized;

int dn_dist_init(int *argc, char ***argv)
{
    int ready = 0;
    MPI_Initialized(&ready);
    if (!ready) {
        if (MPI_Init(argc, argv) != MPI_SUCCESS) return -1;
        we_initialized = 1;
    }
    return 0;
}

void dn_dist_finalize(void)
{
    int done = 0;
    MPI_Finalized(&done);
    if (we_initialized && !done) MPI_Finalize();
}

int dn_dist_rank(void)
{
    int ready = 0, r = 0;
    MPI_Initialized(&ready);
    if (ready) MPI_Comm_rank(MPI_COMM_WORLD, &r);
    return r;
}

int dn_dist_size(void)
{
    int ready = 0, k = 1;
    MPI_Initialized(&ready);
    if (ready) MPI_Comm_size(MPI_COMM_WORLD, &k);
    return k;
}

void dn_dist_abort(int code)
{
    int ready = 0;
    MPI_Initialized(&ready);
    if (ready && dn_dist_size() > 1) MPI_Abort(MPI_COMM_WORLD, code);
}

void dn_dist_sum_f(float *x, size_t n)
{
    /* Chunks keep every count within MPI's int. */
    for (size_t i = 0; i < n; i += 1u << 30) {
        size_t c = n - i < (1u << 30) ? n - i : (1u << 30);
        MPI_Allreduce(MPI_IN_PLACE, x + i, (int)c, MPI_FLOAT, MPI_SUM,
                      MPI_COMM_WORLD);
    }
}

void dn_dist_sum(double *x, int n)
{
    MPI_Allreduce(MPI_IN_PLACE, x, n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
}

int dn_dist_any(int flag)
{
    MPI_Allreduce(MPI_IN_PLACE, &flag, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return flag;
}

#else /* one process */

int  dn_dist_init(int *argc, char ***argv) { (void)argc; (void)argv; return 0; }
void dn_dist_finalize(void) {}
int  dn_dist_rank(void) { return 0; }
int  dn_dist_size(void) { return 1; }
void dn_dist_abort(int code) { (void)code; }
void dn_dist_sum_f(float *x, size_t n) { (void)x; (void)n; }  /* cov: MPI only (make test-mpi) */
void dn_dist_sum(double *x, int n) { (void)x; (void)n; }  /* cov: MPI only (make test-mpi) */
int  dn_dist_any(int flag) { return flag; }  /* cov: MPI only (make test-mpi) */

#endif

void dn_dist_slice(int n, int *r0, int *r1)
{
    int k = dn_dist_size(), r = dn_dist_rank();
    /* Contiguous, as even as possible, the same on every rank. */
    *r0 = (int)((long)n * r / k);
    *r1 = (int)((long)n * (r + 1) / k);
}
