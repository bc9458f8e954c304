/* gen_house.c — writes a synthetic house-price data set as CSV.
 *
 * There is no real public house-price table to bundle, so this one is
 * made up, by a known formula plus noise: a regression whose best
 * possible error is known in advance (the noise), which makes it a fair
 * test of whether training works.  data/house.csv is its output with the
 * defaults (1000 rows, seed 42).
 *
 * Columns, in this order, drawn for each row from one seeded dn_rng
 * (xoshiro256**) in exactly this order:
 *
 *   rooms       integer 1..8, uniform:          1 + dn_rng_below(8)
 *   area        m², one decimal, correlated with rooms:
 *                   area = 12 + 16·rooms + 9·N(0,1), at least 15
 *   type        apartment / terraced / semi-detached / detached, larger
 *               homes more often detached:
 *                   t = round((rooms − 1)·3/7 + 0.8·N(0,1)), clamped to
 *                   0..3, indexing that list
 *   station_km  distance to the station, km, two decimals, 0.10..15.00,
 *               more homes near a station than far:
 *                   station_km = 0.1 + 14.9·U², U uniform in [0, 1)
 *   price       thousands, two decimals (the target):
 *                   price = 80 + 2.1·area + 15·rooms + premium[t]
 *                           − 40·ln(1 + station_km) + 15·N(0,1)
 *                   premium = {0, 20, 45, 90} for the types in order,
 *                   at least 10
 *
 * area and station_km enter the price as written (after rounding), so
 * the formula holds exactly for the file's numbers.  N(0,1) is
 * dn_rng_normal, U is dn_rng_uniform.  The noise has standard deviation
 * 15 (thousand), so no model can beat an RMSE of about 15 — an MSE of
 * about 225, a mean absolute error of about 12 — on new rows; prices
 * have a standard deviation of about 145, so that is an R² of about
 * 0.99 at best.
 *
 * Run:   make examples && build/examples/gen_house OUT.csv [rows] [seed]
 *        (defaults: 1000 rows, seed 42 — the bundled data/house.csv)
 */
#include "descent.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const TYPES[4] = {
    "apartment", "terraced", "semi-detached", "detached"
};
static const double PREMIUM[4] = { 0, 20, 45, 90 };

/* x rounded to `digits` decimals, as printf will write it. */
static double rounded(double x, int digits)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%.*f", digits, x);
    return strtod(buf, NULL);
}

static int parse_num(const char *s, unsigned long long max,
                     unsigned long long *out)
{
    char *end;
    if (!*s || *s == '-') return 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || v > max) return 0;
    *out = v;
    return 1;
}

int main(int argc, char **argv)
{
    unsigned long long rows = 1000, seed = 42;
    if (argc < 2 || argc > 4 || (argc > 2 && !parse_num(argv[2], 10000000,
                                                        &rows)) ||
        rows < 1 || (argc > 3 && !parse_num(argv[3], UINT64_MAX, &seed))) {
        fprintf(stderr, "usage: %s OUT.csv [rows 1..10000000] [seed]\n",
                argv[0]);
        return 2;
    }
    const char *path = argv[1];
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        return 1;
    }
    dn_rng r;
    dn_rng_seed(&r, seed);
    fprintf(f, "rooms,area,type,station_km,price\n");
    for (unsigned long long i = 0; i < rows; i++) {
        int rooms = 1 + (int)dn_rng_below(&r, 8);
        double area = 12 + 16.0 * rooms + 9 * dn_rng_normal(&r);
        area = rounded(area < 15 ? 15 : area, 1);
        double tf = (rooms - 1) * 3.0 / 7.0 + 0.8 * dn_rng_normal(&r);
        int t = (int)lround(tf);
        t = t < 0 ? 0 : t > 3 ? 3 : t;
        double u = dn_rng_uniform(&r);
        double km = rounded(0.1 + 14.9 * u * u, 2);
        double price = 80 + 2.1 * area + 15.0 * rooms + PREMIUM[t]
                     - 40 * log(1 + km) + 15 * dn_rng_normal(&r);
        if (price < 10) price = 10;
        fprintf(f, "%d,%.1f,%s,%.2f,%.2f\n", rooms, area, TYPES[t], km,
                price);
    }
    if (ferror(f) | fclose(f)) {  /* | : close even after an error */
        perror(path);
        fprintf(stderr, "gen_house: %s is incomplete\n", path);
        return 1;
    }
    fprintf(stderr, "gen_house: wrote %llu rows to %s (seed %llu)\n", rows,
            path, seed);
    return 0;
}
