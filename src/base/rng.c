/* rng.c — xoshiro256** seeded by splitmix64: one small generator whose
 * sequence is the same on every platform, so a seed means the same run. */
#include "base/base.h"
#include <math.h>

uint64_t dn_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t splitmix64(uint64_t *x)
{
    return dn_mix64(*x += 0x9e3779b97f4a7c15ULL);
}

void dn_rng_seed(dn_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t dn_rng_u64(dn_rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

double dn_rng_uniform(dn_rng *r)
{
    return (double)(dn_rng_u64(r) >> 11) * 0x1.0p-53; /* 53 random bits */
}

uint64_t dn_rng_below(dn_rng *r, uint64_t n)
{
    if (n <= 1) return 0;
    /* Rejection keeps every value equally likely: drop the top partial
     * copy of [0, n) that 2^64 does not hold a whole number of times. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = dn_rng_u64(r); while (x >= limit);
    return x % n;
}

double dn_rng_normal(dn_rng *r)
{
    /* Box–Muller, one value per call: simpler than caching the pair and
     * keeps the stream a pure function of the number of calls. */
    double u1 = 1.0 - dn_rng_uniform(r); /* (0, 1]: log stays finite */
    double u2 = dn_rng_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

void dn_rng_shuffle(dn_rng *r, int32_t *idx, int n)
{
    for (int i = n - 1; i > 0; i--) {
        int j = (int)dn_rng_below(r, (uint64_t)i + 1);
        int32_t t = idx[i]; idx[i] = idx[j]; idx[j] = t;
    }
}
