/* hash.c — the checksum of descent's row caches (data/rowcache.c): fast
 * enough to verify every block as it is read while training streams
 * (several GB/s on one core), so that a damaged file is caught at the
 * block that is wrong, not trusted.  Not cryptographic: it catches
 * flipped bits and torn or misplaced blocks, not tampering.
 *
 * The bytes are read as little-endian 64-bit words into four lanes
 * (word i into lane i mod 4), each lane h ← rotl(h ⊕ w, 31) · K with
 * K = 0x9E3779B97F4A7C15; the tail of fewer than 8 bytes is one word
 * padded with zeros, into the next lane; the lanes start at the seed
 * plus 0, 1, 2, 3 and end as h0 ⊕ rotl(h1, 17) ⊕ rotl(h2, 34) ⊕
 * rotl(h3, 51) ⊕ n, mixed by splitmix64's finalizer.  Four independent
 * lanes keep the multiplier busy; the result is the same on every host. */
#include "base/base.h"
#include "base/byteorder.h"

#define K 0x9E3779B97F4A7C15ULL

static inline uint64_t rotl(uint64_t x, int r) { return x << r | x >> (64 - r); }

static inline uint64_t mix(uint64_t h, uint64_t w) { return rotl(h ^ w, 31) * K; }

uint64_t dn_hash64(const void *data, size_t n, uint64_t seed)
{
    const unsigned char *p = data;
    uint64_t h[4] = { seed, seed + 1, seed + 2, seed + 3 };
    size_t i = 0, lane = 0;
    for (; i + 32 <= n; i += 32) {
        h[0] = mix(h[0], dn_get_le64(p + i));
        h[1] = mix(h[1], dn_get_le64(p + i + 8));
        h[2] = mix(h[2], dn_get_le64(p + i + 16));
        h[3] = mix(h[3], dn_get_le64(p + i + 24));
    }
    for (; i + 8 <= n; i += 8, lane++) h[lane] = mix(h[lane], dn_get_le64(p + i));
    if (i < n) {
        unsigned char t[8] = { 0 };
        memcpy(t, p + i, n - i);
        h[lane] = mix(h[lane], dn_get_le64(t));
    }
    return dn_mix64(h[0] ^ rotl(h[1], 17) ^ rotl(h[2], 34) ^ rotl(h[3], 51) ^
                    (uint64_t)n);
}
