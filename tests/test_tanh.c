/* test_tanh.c — the tanh activation's own tanh (src/nn/activation.c,
 * tanh_f): how far from the true tanh, and the same bits whether the
 * compiler ran it on a vector of units or on one.
 *
 * The error is measured in float ulps of the float64 tanh: on every
 * 61st float from 0 to 10 (past 10 tanh rounds to 1), and on every float
 * from 0.5 to 0.75, around the switch from the polynomial to the
 * exponential at 0.625, where the error is largest.  Checked: at most
 * 1.5 ulp (measured over every float from 0 to 10 once: 1.33 ulp, at
 * 0.6283; glibc's tanhf, 2.19).  Negative z must give exactly −tanh(|z|),
 * and ±0, ±∞, NaN and subnormals what tanh gives them.
 *
 * The bits: a row of 1,000 units goes through the vectorized loop, then
 * each unit alone (a row of 1 runs the loop's scalar tail); every output
 * must be the same float. */
#include "check.h"
#include "nn/nn.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

static dn_layer tanh_layer(void)
{
    dn_layer L;
    memset(&L, 0, sizeof L);
    L.units = 1;
    L.act = DN_ACT_TANH;
    return L;
}

/* tanh of n values, one row of n units. */
static void forward(float *z, float *a, int n)
{
    const dn_layer L = tanh_layer();
    dn_act_forward_block(&L, NULL, NULL, z, a, n, 1, n);
}

static float from_bits(uint32_t b)
{
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

/* The error of y = tanh(z) in ulps: the spacing of the floats in the
 * binade of the true value (just below 1 that is 2^-24, not 1's 2^-23). */
static double ulps(float z, float y)
{
    const double ref = tanh((double)z);
    const double ulp = ref == 0 ? 0x1p-149
                     : fmax(ldexp(1, ilogb(ref) - 23), 0x1p-149);
    return fabs((double)y - ref) / ulp;
}

enum { BATCH = 4096 };

/* The worst error over the floats with bits lo, lo + step, ... < hi; the
 * z where it is in *at.  Also counts negatives that are not −tanh(|z|). */
static double worst(uint32_t lo, uint32_t hi, uint32_t step, float *at,
                    long *odd_bad)
{
    static float z[BATCH], a[BATCH], zn[BATCH], an[BATCH];
    double w = 0;
    for (uint32_t b = lo; b < hi;) {
        int n = 0;
        for (; n < BATCH && b < hi; n++, b += step) {
            z[n] = from_bits(b);
            zn[n] = -z[n];
        }
        forward(z, a, n);
        forward(zn, an, n);
        for (int i = 0; i < n; i++) {
            double e = ulps(z[i], a[i]);
            if (e > w) {
                w = e;
                *at = z[i];
            }
            *odd_bad += an[i] != -a[i];
        }
    }
    return w;
}

static void test_accuracy(void)
{
    float at = 0;
    long odd_bad = 0;
    const uint32_t ten = 0x41200000u, half = 0x3F000000u, q3 = 0x3F400000u;
    double w = worst(0, ten, 61, &at, &odd_bad);
    CHECK(w <= 1.5, "%.3f ulp from tanh at %.9g (every 61st float in "
          "[0, 10])", w, at);
    double ws = worst(half, q3, 1, &at, &odd_bad);
    CHECK(ws <= 1.5, "%.3f ulp from tanh at %.9g (every float in "
          "[0.5, 0.75])", ws, at);
    CHECK(odd_bad == 0, "%ld negatives are not -tanh(|z|)", odd_bad);
    /* Not a loose bound: the polynomial's worst is well above half an
     * ulp, so the measurement sees the arithmetic. */
    CHECK(ws > 0.5, "the worst error near the switch is %.3f ulp", ws);
}

static void test_special(void)
{
    float z[] = { 0.0f, -0.0f, INFINITY, -INFINITY, NAN, 1e-40f, -1e-40f,
                  20.0f, -20.0f, 9.0f, 1e-20f, 3.4e38f };
    enum { N = sizeof z / sizeof z[0] };
    float a[N];
    forward(z, a, N);
    CHECK(a[0] == 0 && !signbit(a[0]) && a[1] == 0 && signbit(a[1]),
          "tanh(±0) = %g, %g", a[0], a[1]);
    CHECK(a[2] == 1 && a[3] == -1, "tanh(±inf) = %g, %g", a[2], a[3]);
    CHECK(isnan(a[4]), "tanh(NaN) = %g", a[4]);
    CHECK(a[5] == 1e-40f && a[6] == -1e-40f, "tanh of a subnormal: %g, %g",
          a[5], a[6]);
    /* tanh(9) = 1 − 3.05e-8 rounds down, to 1 − 2^-24; from 9.01 up it
     * rounds to 1. */
    CHECK(a[7] == 1 && a[8] == -1 && a[9] == nextafterf(1, 0) && a[11] == 1,
          "tanh(20, -20, 9, 3.4e38) = %.9g %.9g %.9g %.9g", a[7], a[8], a[9],
          a[11]);
    CHECK(a[10] == 1e-20f, "tanh(1e-20) = %g", a[10]);
}

static void test_same_bits(void)
{
    enum { N = 1000 };
    static float z[N], a[N], one[N];
    uint64_t s = 7;
    for (int i = 0; i < N; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        z[i] = (float)((double)(s >> 11) / 9007199254740992.0 * 24 - 12);
    }
    forward(z, a, N);
    int bad = 0;
    for (int i = 0; i < N; i++) {
        float zi = z[i];
        forward(&zi, &one[i], 1);
        bad += memcmp(&one[i], &a[i], sizeof a[i]) != 0;
    }
    CHECK(bad == 0, "%d of %d units differ between the row and alone", bad,
          N);
}

int main(void)
{
    test_accuracy();
    test_special();
    test_same_bits();
    return check_done("test_tanh");
}
