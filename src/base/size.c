/* size.c — a memory size as people write it ("2G", "512M", "1.5G"), for
 * --memory: the budget a streamed run keeps its rows within. */
#include "base/base.h"
#include <math.h>
#include <stdint.h>

dn_status dn_parse_size(const char *s, uint64_t *out, dn_error *err)
{
    DN_NEED(out);
    char show[DN_SHOW_BUF];
    size_t n = s ? strlen(s) : 0;
    double mult = 1;
    if (n > 0) {
        /* A unit letter (any case), then an optional "B" or "iB"
         * (1024-based either way, as free(1) and ulimit count). */
        size_t u = n;
        if (u > 2 && (s[u - 2] == 'i' || s[u - 2] == 'I') &&
            (s[u - 1] == 'B' || s[u - 1] == 'b')) u -= 2;
        else if (u > 1 && (s[u - 1] == 'B' || s[u - 1] == 'b') &&
                 s[u - 2] > '9') u -= 1;
        switch (u > 0 ? s[u - 1] : 0) {
        case 'k': case 'K': mult = 1024.0; u--; break;
        case 'm': case 'M': mult = 1024.0 * 1024; u--; break;
        case 'g': case 'G': mult = 1024.0 * 1024 * 1024; u--; break;
        case 't': case 'T': mult = 1024.0 * 1024 * 1024 * 1024; u--; break;
        default: break;
        }
        double v;
        if (u > 0 && dn_parse_double(s, u, &v) == 1 && v > 0 && isfinite(v) &&
            v * mult >= 1 && v * mult < 0x1p63) {
            *out = (uint64_t)(v * mult);
            return DN_OK;
        }
    }
    return dn_fail(err, DN_EARG, "memory size '%s': expected a positive "
                   "number of bytes with an optional unit K, M, G or T "
                   "(1024-based), e.g. 2G or 512M", dn_show(s ? s : "", show));
}
