/* buf.h — a byte buffer that grows as it is written: the one the JSON
 * writer, the protobuf writer and the checkpoint writer build their bytes
 * in before a file is written in one go.
 *
 * A builder appends without checking each call: after an allocation
 * failure every append is a no-op and `failed` stays set, so it checks
 * once at the end.  Start from { 0 }. */
#ifndef DN_BUF_H
#define DN_BUF_H

#include <stddef.h>

typedef struct {
    unsigned char *p;
    size_t len, cap;
    int    failed;   /* 0; 1 out of memory; a writer may set its own codes */
} dn_buf;

/* Room for n more bytes at p + len, len unchanged: that address, or NULL
 * (and failed set) when there is none or an earlier write failed.  The
 * caller writes there and adds what it wrote to len. */
unsigned char *dn_buf_room(dn_buf *b, size_t n);

/* Appends s[0..n). */
void dn_buf_add(dn_buf *b, const void *s, size_t n);

void dn_buf_free(dn_buf *b);

#endif
