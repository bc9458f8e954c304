/* rowcache.h — what the row cache's writer (rowcache.c) and its
 * readers (stream.c) share: the layout's constants and pieces. */
#ifndef DN_ROWCACHE_H
#define DN_ROWCACHE_H

#include "data/data.h"

#define DN_ROWCACHE_VERSION 1
#define DN_ROWCACHE_U8  1   /* inputs as bytes, v / 255 */
#define DN_ROWCACHE_F32 2   /* inputs as float32 */
#define DN_ROWCACHE_HEAD 64 /* the fixed header's bytes */

extern const unsigned char dn_rowcache_magic[8];

/* Rows per checksummed block for rows of row_bytes bytes (about 1 MiB
 * a block); IDX files are cut into blocks the same way. */
long dn_rowcache_block_rows(long row_bytes);

/* The header checksum over head[0..len): the fixed header but its last
 * 8 bytes, the schema and the block checksum table. */
uint64_t dn_rowcache_head_sum(const unsigned char *head, size_t len);

/* The schema stored in bytes p[0..n) of path's header, for rows of d
 * inputs (the columns' widths must add up to d). */
dn_status dn_rowcache_schema(const unsigned char *p, size_t n, int d,
                             const char *path, dn_schema **out,
                             dn_error *err);

#endif
