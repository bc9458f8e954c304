/* mem.c — the two small memory helpers the C library lacks. */
#include "base/base.h"
#include <stdlib.h>
#include <string.h>

char *dn_strdup(const char *s)
{
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p) memcpy(p, s, n);
    return p;
}

void dn_free_each(void *const *p, size_t n)
{
    for (size_t i = 0; i < n; i++) free(p[i]);
}
