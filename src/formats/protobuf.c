/* protobuf.c — writing protocol-buffer fields (see protobuf.h). */
#include "formats/protobuf.h"
#include "base/byteorder.h"
#include <string.h>

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
    unsigned char *o = dn_buf_room(b, 10);
    if (o) b->len += (size_t)put_varint(o, v);
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

/* The fixed fields are little-endian whatever the host, as the wire
 * format requires. */
void dn_pb_float(dn_pb *b, int field, float v)
{
    unsigned char o[4];
    dn_put_f32le(o, v);
    dn_pb_key(b, field, DN_PB_FIXED32);
    dn_buf_add(b, o, 4);
}

void dn_pb_double(dn_pb *b, int field, double v)
{
    unsigned char o[8];
    dn_put_f64le(o, v);
    dn_pb_key(b, field, DN_PB_FIXED64);
    dn_buf_add(b, o, 8);
}

void dn_pb_bytes(dn_pb *b, int field, const void *s, size_t n)
{
    dn_pb_key(b, field, DN_PB_LEN);
    dn_pb_varint(b, n);
    if (n) dn_buf_add(b, s, n);
}

void dn_pb_string(dn_pb *b, int field, const char *s)
{
    dn_pb_bytes(b, field, s, strlen(s));
}

/* A packed field's key and byte count for n numbers of w bytes; the room
 * for them (the caller fills it and adds w n to len), NULL on failure. */
static unsigned char *packed(dn_pb *b, int field, size_t n, size_t w)
{
    if (n > SIZE_MAX / w) { b->failed = 1; return NULL; }
    dn_pb_key(b, field, DN_PB_LEN);
    dn_pb_varint(b, w * n);
    return dn_buf_room(b, w * n);
}

void dn_pb_floats(dn_pb *b, int field, const float *v, size_t n)
{
    unsigned char *o = packed(b, field, n, 4);
    if (!o) return;
    for (size_t i = 0; i < n; i++) dn_put_f32le(o + 4 * i, v[i]);
    b->len += 4 * n;
}

void dn_pb_doubles(dn_pb *b, int field, const double *v, size_t n)
{
    unsigned char *o = packed(b, field, n, 8);
    if (!o) return;
    for (size_t i = 0; i < n; i++) dn_put_f64le(o + 8 * i, v[i]);
    b->len += 8 * n;
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
    if (!dn_buf_room(b, (size_t)k)) return;
    memmove(b->p + start + k, b->p + start, n);
    put_varint(b->p + start, n);
    b->len += (size_t)k;
}

void dn_pb_free(dn_pb *b) { dn_buf_free(b); }
