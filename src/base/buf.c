/* buf.c — the growing byte buffer (buf.h).  The capacity doubles, so n
 * appends move each byte a constant number of times on average. */
#include "base/buf.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

unsigned char *dn_buf_room(dn_buf *b, size_t n)
{
    if (b->failed) return NULL;
    if (b->p && n <= b->cap - b->len) return b->p + b->len;
    if (n > SIZE_MAX / 2 - b->len) { b->failed = 1; return NULL; }
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < n) cap *= 2;
    unsigned char *p = realloc(b->p, cap);
    if (!p) { b->failed = 1; return NULL; }
    b->p = p;
    b->cap = cap;
    return p + b->len;
}

void dn_buf_add(dn_buf *b, const void *s, size_t n)
{
    unsigned char *o = dn_buf_room(b, n);
    if (!o) return;
    if (n) memcpy(o, s, n);
    b->len += n;
}

void dn_buf_free(dn_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}
