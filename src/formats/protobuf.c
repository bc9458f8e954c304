/* protobuf.c — writing protocol-buffer fields (see protobuf.h). */
#include "formats/protobuf.h"
#include <stdlib.h>
#include <string.h>

/* Room for n more bytes; 0 (and failed set) if there is none. */
static int reserve(dn_pb *b, size_t n)
{
    if (b->failed) return 0;
    if (n <= b->cap - b->len) return 1;
    if (n > SIZE_MAX / 2 - b->len) { b->failed = 1; return 0; }
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < n) cap *= 2;
    unsigned char *p = realloc(b->p, cap);
    if (!p) { b->failed = 1; return 0; }
    b->p = p;
    b->cap = cap;
    return 1;
}

int dn_pb_varint_size(uint64_t v)
{
    int n = 1;
    while (v >= 0x80) { v >>= 7; n++; }
    return n;
}

/* Writes the varint of v at o; returns its size. */
static int put_varint(unsigned char *o, uint64_t v)
{
    int n = 0;
    while (v >= 0x80) {
        o[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    o[n++] = (unsigned char)v;
    return n;
}

void dn_pb_varint(dn_pb *b, uint64_t v)
{
    if (reserve(b, 10)) b->len += (size_t)put_varint(b->p + b->len, v);
}

void dn_pb_key(dn_pb *b, int field, int wire)
{
    dn_pb_varint(b, (uint64_t)field << 3 | (uint64_t)wire);
}

void dn_pb_uint(dn_pb *b, int field, uint64_t v)
{
    dn_pb_key(b, field, DN_PB_VARINT);
    dn_pb_varint(b, v);
}

void dn_pb_int64(dn_pb *b, int field, int64_t v)
{
    /* The conversion to uint64 is defined as modulo 2^64: exactly the
     * two's complement bits protobuf wants. */
    dn_pb_uint(b, field, (uint64_t)v);
}

/* Little-endian whatever the host, as the wire format requires. */
static void put_f32le(unsigned char *o, float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    for (int i = 0; i < 4; i++) o[i] = (unsigned char)(u >> (8 * i));
}

void dn_pb_float(dn_pb *b, int field, float v)
{
    dn_pb_key(b, field, DN_PB_FIXED32);
    if (reserve(b, 4)) {
        put_f32le(b->p + b->len, v);
        b->len += 4;
    }
}

void dn_pb_double(dn_pb *b, int field, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    dn_pb_key(b, field, DN_PB_FIXED64);
    if (reserve(b, 8)) {
        for (int i = 0; i < 8; i++)
            b->p[b->len + i] = (unsigned char)(u >> (8 * i));
        b->len += 8;
    }
}

void dn_pb_bytes(dn_pb *b, int field, const void *s, size_t n)
{
    dn_pb_key(b, field, DN_PB_LEN);
    dn_pb_varint(b, n);
    if (n && reserve(b, n)) {
        memcpy(b->p + b->len, s, n);
        b->len += n;
    }
}

void dn_pb_string(dn_pb *b, int field, const char *s)
{
    dn_pb_bytes(b, field, s, strlen(s));
}

void dn_pb_floats(dn_pb *b, int field, const float *v, size_t n)
{
    if (n > SIZE_MAX / 4) { b->failed = 1; return; }
    dn_pb_key(b, field, DN_PB_LEN);
    dn_pb_varint(b, 4 * n);
    if (!reserve(b, 4 * n)) return;
    for (size_t i = 0; i < n; i++) put_f32le(b->p + b->len + 4 * i, v[i]);
    b->len += 4 * n;
}

size_t dn_pb_begin(dn_pb *b, int field)
{
    dn_pb_key(b, field, DN_PB_LEN);
    return b->len;
}

void dn_pb_end(dn_pb *b, size_t start)
{
    if (b->failed) return;
    size_t n = b->len - start;
    int k = dn_pb_varint_size(n);
    if (!reserve(b, (size_t)k)) return;
    memmove(b->p + start + k, b->p + start, n);
    put_varint(b->p + start, n);
    b->len += (size_t)k;
}

void dn_pb_free(dn_pb *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}
