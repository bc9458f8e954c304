/* base.h — what every file of the library shares: errors, safe quoting of
 * file bytes in messages, the clocks, the loaders' size limits.  Nothing
 * here knows networks.  Byte order (byteorder.h) and the growing buffer
 * (buf.h) have their own headers, for the files that write formats. */
#ifndef DN_BASE_H
#define DN_BASE_H

#include "descent.h"
#include <stdarg.h>
#include <string.h>

/* Fills err (if not NULL) with a printf-style message and returns code. */
dn_status dn_fail(dn_error *err, dn_status code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* dn_snprintf with a va_list (numtext.c): every message and number the
 * library formats from a va_list, in the C locale. */
int dn_vsnprintf(char *buf, size_t len, const char *fmt, va_list ap);
/* A NULL where a public function (fn) needs a pointer (arg): DN_EARG,
 * "fn: arg is NULL; ...".  DN_NEED(p) returns it from the calling
 * function, whose error argument must be named err. */
dn_status dn_null(dn_error *err, const char *fn, const char *arg);
#define DN_NEED(p) do { if (!(p)) return dn_null(err, __func__, #p); } while (0)

/* s as it may appear in a one-line message (show.c): control bytes
 * (ESC, BEL, newlines, DEL) escaped as \xNN, cut after DN_SHOW_MAX bytes
 * at a UTF-8 character boundary, "..." marking a cut.  buf holds
 * DN_SHOW_BUF bytes; returns buf.  Every byte a message takes from a file
 * goes through it. */
#define DN_SHOW_MAX 40
#define DN_SHOW_BUF (DN_SHOW_MAX * 4 + 8) /* \xNN escapes and "..." */
const char *dn_show(const char *s, char *buf);

/* Seconds (clock.c): dn_now on the monotonic clock, for durations;
 * dn_wall_time since the Unix epoch, for time stamps. */
double dn_now(void);
double dn_wall_time(void);

/* strdup that the C11 standard library lacks; NULL stays NULL. */
char *dn_strdup(const char *s);

/* free() of each of the n pointers in p (NULLs allowed); DN_FREE_ALL(a,
 * b, ...) frees a list of a structure's arrays in one line, so that the
 * many _free functions do not each spell the same sequence out. */
void dn_free_each(void *const *p, size_t n);
#define DN_FREE_ALL(...)                                                  \
    dn_free_each((void *const[]){ __VA_ARGS__ },                          \
                 sizeof((void *const[]){ __VA_ARGS__ }) / sizeof(void *))

/* Zeroes the reserved tail (DN_RESERVED, docs/abi.md) of a public struct
 * the library copied from the caller's: what the library hands back has
 * zero there, whatever the caller's copy held. */
#define DN_CLEAR_RESERVED(s) memset((s)->reserved, 0, sizeof (s)->reserved)

/* The row caches' checksum (hash.c, where its definition is): of n
 * bytes at data, from seed; chain calls by passing one's result as the
 * next one's seed. */
uint64_t dn_hash64(const void *data, size_t n, uint64_t seed);
/* splitmix64's finalizer (rng.c): 64 bits mixed so that each input bit
 * flips about half the output bits; the generator's seeding and
 * dn_hash64's last step. */
uint64_t dn_mix64(uint64_t z);

/* Largest sizes any loader will accept before allocating: guards against
 * absurd numbers in files (a 2^62-row header must not become malloc). */
#define DN_MAX_ROWS      100000000L   /* 1e8 samples */
#define DN_MAX_WIDTH     1000000L     /* 1e6 inputs or units */
#define DN_MAX_ELEMENTS  (1L << 31)   /* 2^31 floats = 8 GiB in one tensor */

#endif
