/* protobuf.h — the few protocol-buffer encodings the ONNX exporter and
 * the TensorBoard writer need,
 * written into a growing byte buffer.  Writing only: descent never reads
 * protobuf.
 *
 * The wire format in one paragraph: a message is a sequence of fields,
 * each a key then a value.  The key is the varint (field << 3 | wire
 * type).  A varint stores an unsigned integer 7 bits per byte, least
 * significant group first, with the high bit set on every byte but the
 * last (300 = 0xAC 0x02); a negative int64 is its two's complement, so
 * it always takes 10 bytes.  Wire types: 0 varint, 5 fixed32 (a float,
 * little-endian), 1 fixed64 (a double), 2 length-delimited (a varint
 * byte count, then the bytes: strings, nested messages, packed repeated
 * numbers).
 *
 * A nested message's length comes before its content, which is not yet
 * known when it starts.  dn_pb_begin writes the key and remembers where
 * the content starts; dn_pb_end then measures the content and slides it
 * forward by the size of the length's varint to slot the length in.
 * That moves each byte once per level of nesting (ONNX nests weights
 * three deep), simpler than a sizing pass and still linear.
 */
#ifndef DN_PROTOBUF_H
#define DN_PROTOBUF_H

#include "base/buf.h"
#include <stddef.h>
#include <stdint.h>

enum { DN_PB_VARINT = 0, DN_PB_FIXED64 = 1, DN_PB_LEN = 2, DN_PB_FIXED32 = 5 };

/* The message being written: a growing buffer (base/buf.h).  After an
 * allocation failure every write is a no-op and `failed` stays set, so a
 * builder checks once at the end. */
typedef dn_buf dn_pb;

/* Bytes the varint of v takes: 1 to 10. */
int  dn_pb_varint_size(uint64_t v);
void dn_pb_varint(dn_pb *b, uint64_t v);
void dn_pb_key(dn_pb *b, int field, int wire);

/* Scalar fields.  int64 fields take negative values as two's
 * complement (10 bytes), as protobuf's int64 does (not zigzag). */
void dn_pb_uint(dn_pb *b, int field, uint64_t v);
void dn_pb_int64(dn_pb *b, int field, int64_t v);
void dn_pb_float(dn_pb *b, int field, float v);
/* A double field (fixed64, little-endian): TensorBoard's wall_time. */
void dn_pb_double(dn_pb *b, int field, double v);
void dn_pb_bytes(dn_pb *b, int field, const void *s, size_t n);
void dn_pb_string(dn_pb *b, int field, const char *s);
/* A packed repeated float field: one key, the byte count, then n
 * little-endian float32s. */
void dn_pb_floats(dn_pb *b, int field, const float *v, size_t n);
/* The same for doubles (n little-endian float64s): TensorBoard's
 * histogram buckets. */
void dn_pb_doubles(dn_pb *b, int field, const double *v, size_t n);

/* A nested message: begin writes the key and returns where the content
 * starts; end inserts the content's length there.  Pairs nest. */
size_t dn_pb_begin(dn_pb *b, int field);
void   dn_pb_end(dn_pb *b, size_t start);

void dn_pb_free(dn_pb *b);

#endif
