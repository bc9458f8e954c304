/* cache.c — the sizes of this CPU's data caches, for the products'
 * blocking (gemm.c: how many columns of B are packed at once, how many
 * rows of A walked per packed slice).
 *
 * Asked of Linux first (sysfs: cpu0's caches, as the kernel read them
 * from the CPU), then of the CPU itself (CPUID leaf 4 on Intel,
 * 0x8000001D on AMD: the same layout, ways × partitions × line × sets),
 * else a guess that suits most x86 cores of the last decade.  Only
 * speed depends on the answer: the products' bits are fixed by KC alone
 * (gemm.c), which no cache size changes. */
#include "kernels/gemm.h"
#include "kernels/target.h"
#include "base/base.h"

#include <stdio.h>
#include <stdint.h>
#include <string.h>

#ifdef DN_X86
#include <cpuid.h>
#endif

enum { GUESS_L1 = 32 << 10, GUESS_L2 = 512 << 10 };

/* The first line of a sysfs file, without its newline; 0 if unreadable. */
static int sysfs_line(int index, const char *name, char *text, size_t n)
{
    char path[96];
    snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/%s",
             index, name);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    int got = fgets(text, (int)n, f) != NULL;
    fclose(f);
    if (got) text[strcspn(text, "\n")] = 0;
    return got;
}

/* One cache's level, whether it holds data, and its size in bytes
 * ("48K", "2048K", "1M" as sysfs writes them, read by the library's
 * locale-free readers); 0 if unreadable. */
static long sysfs_size(int index, int *level, int *data)
{
    char text[32];
    double v;
    uint64_t size = 0;
    if (!sysfs_line(index, "level", text, sizeof text)) return 0;
    *level = dn_parse_double(text, strlen(text), &v) == 1 ? (int)v : 0;
    *data = sysfs_line(index, "type", text, sizeof text) &&
            (strcmp(text, "Data") == 0 || strcmp(text, "Unified") == 0);
    if (!sysfs_line(index, "size", text, sizeof text) ||
        dn_parse_size(text, &size, NULL))
        return 0;
    return (long)size;
}

/* CPUID's deterministic cache parameters. */
static void cpuid_sizes(long *l1, long *l2)
{
#ifdef DN_X86
    unsigned a, b, c, d, leaf = 4;
    if (!__get_cpuid(0, &a, &b, &c, &d)) return;   /* cov: every x86-64 has leaf 0 */
    if (b == 0x68747541) {   /* "Auth"enticAMD */
        if (!__get_cpuid(0x80000000, &a, &b, &c, &d) || a < 0x8000001D)  /* cov: on AMD only */
            return;  /* cov: AMD before Zen */
        leaf = 0x8000001D;  /* cov: on AMD only (measured on Intel) */
    } else if (a < 4) {
        return;  /* cov: only CPUs of the last century lack leaf 4 */
    }
    for (unsigned i = 0; i < 16; i++) {
        __cpuid_count(leaf, i, a, b, c, d);
        unsigned type = a & 31, level = (a >> 5) & 7;
        if (type == 0) break;
        long bytes = (long)((b >> 22) + 1) * (((b >> 12) & 1023) + 1) *
                     ((b & 4095) + 1) * ((long)c + 1);
        if (type != 2 && level == 1) *l1 = bytes;   /* 2: instructions */
        if (type != 2 && level == 2) *l2 = bytes;
    }
#else
    (void)l1; (void)l2;
#endif
}

int dn_cache_read(int source, long *l1d, long *l2)
{
    *l1d = *l2 = 0;
    if (source == DN_CACHE_CPUID) {
        cpuid_sizes(l1d, l2);
    } else {
        for (int i = 0; i < 8; i++) {
            int level = 0, data = 0;
            long size = sysfs_size(i, &level, &data);
            if (data && level == 1) *l1d = size;
            if (data && level == 2) *l2 = size;
        }
    }
    return *l1d > 0 && *l2 > 0;
}

void dn_cache_sizes(long *l1d, long *l2)
{
    if (!dn_cache_read(DN_CACHE_SYSFS, l1d, l2) &&   /* cov: Linux answers */
        !dn_cache_read(DN_CACHE_CPUID, l1d, l2)) {  /* cov: as above */
        *l1d = GUESS_L1;  /* cov: neither sysfs nor CPUID */
        *l2 = GUESS_L2;  /* cov: as above */
    }
}
