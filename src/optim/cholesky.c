/* cholesky.c — A + diag(add) + mu I = Rᵀ R for a symmetric A that must
 * survive the factorization, and the two triangular solves after it.
 *
 * LM retries the same JᵀJ with a growing mu, and Newton the same Hessian
 * with a growing shift tau, until the factorization succeeds.  A lives
 * in the strict lower triangle of M and in a separate diagonal; R goes
 * into the upper triangle, so one n × n array serves both (the trick of
 * LINPACK's packed routines).
 *
 * The factorization is right-looking, row by row of R: row k is the
 * current row of the shrinking trailing matrix divided by its pivot's
 * square root, and the trailing rows are then updated, S_ij −= R_ki R_kj.
 * Every inner loop runs along a row, over contiguous memory. */
#include "optim/optim.h"
#include "optim/optim.h"
#include <float.h>
#include <limits.h>
#include <math.h>

int dn_chol_shifted(double *M, const double *diag, const double *add,
                    double mu, size_t n)
{
    /* The upper triangle starts as A + shift (copied from the lower). */
    for (size_t i = 0; i < n; i++) {
        double *Mi = M + i * n;
        Mi[i] = diag[i] + (add ? add[i] : 0) + mu;
        for (size_t j = i + 1; j < n; j++) Mi[j] = M[j * n + i];
    }
    for (size_t k = 0; k < n; k++) {
        double *Rk = M + k * n;
        /* A pivot that cancelled down to rounding noise of its own start
         * value means "not positive definite" as surely as a negative
         * one: its reciprocal would be noise magnified. */
        double start = diag[k] + (add ? add[k] : 0) + mu;
        double pivot = Rk[k];
        if (!(pivot > 64 * DBL_EPSILON * fabs(start)) || !isfinite(pivot))
            return k + 1 > INT_MAX ? INT_MAX : (int)(k + 1);
        double r = sqrt(pivot), inv = 1 / r;
        Rk[k] = r;
        for (size_t j = k + 1; j < n; j++) Rk[j] *= inv;
        for (size_t i = k + 1; i < n; i++) {
            const double rki = Rk[i];
            if (rki == 0) continue;
            double *Si = M + i * n;
            for (size_t j = i; j < n; j++) Si[j] -= rki * Rk[j];
        }
    }
    return 0;
}

void dn_chol_forward(const double *M, size_t n, double *b)
{
    /* Rᵀ y = b: y_k = b_k / R_kk, then b_j −= R_kj y_k for j > k. */
    for (size_t k = 0; k < n; k++) {
        const double *Rk = M + k * n;
        b[k] /= Rk[k];
        const double yk = b[k];
        for (size_t j = k + 1; j < n; j++) b[j] -= Rk[j] * yk;
    }
}

void dn_chol_solve(const double *M, size_t n, double *b)
{
    dn_chol_forward(M, n, b);
    /* R x = y, from the bottom row up. */
    for (size_t k = n; k-- > 0;) {
        const double *Rk = M + k * n;
        double s = b[k];
        for (size_t j = k + 1; j < n; j++) s -= Rk[j] * b[j];
        b[k] = s / Rk[k];
    }
}
