/* byteorder.h — integers and floats as bytes in a stated order, whatever
 * the host's.  The file formats fix their byte order: safetensors,
 * checkpoints, protobuf's fixed fields and TFRecord frames are
 * little-endian, IDX headers big-endian.  Shifting bytes one at a time
 * says which byte goes where and compiles to a plain load or store (a
 * byte swap on a big-endian host); floats travel as their IEEE bits.
 * Written once here so that every format reads the same bytes the same
 * way. */
#ifndef DN_BYTEORDER_H
#define DN_BYTEORDER_H

#include <stdint.h>
#include <string.h>

/* ---- the bits of a float, and back ---- */

static inline uint32_t dn_f32_bits(float f)
{ uint32_t u; memcpy(&u, &f, 4); return u; }
static inline float dn_bits_f32(uint32_t u)
{ float f; memcpy(&f, &u, 4); return f; }
static inline uint64_t dn_f64_bits(double d)
{ uint64_t u; memcpy(&u, &d, 8); return u; }
static inline double dn_bits_f64(uint64_t u)
{ double d; memcpy(&d, &u, 8); return d; }

/* ---- little-endian: least significant byte first ---- */

static inline void dn_put_le32(unsigned char *o, uint32_t v)
{ for (int i = 0; i < 4; i++) o[i] = (unsigned char)(v >> (8 * i)); }
static inline void dn_put_le64(unsigned char *o, uint64_t v)
{ for (int i = 0; i < 8; i++) o[i] = (unsigned char)(v >> (8 * i)); }

static inline uint32_t dn_get_le32(const unsigned char *s)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) v |= (uint32_t)s[i] << (8 * i);
    return v;
}
static inline uint64_t dn_get_le64(const unsigned char *s)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)s[i] << (8 * i);
    return v;
}

static inline void  dn_put_f32le(unsigned char *o, float f)
{ dn_put_le32(o, dn_f32_bits(f)); }
static inline float dn_get_f32le(const unsigned char *s)
{ return dn_bits_f32(dn_get_le32(s)); }
static inline void   dn_put_f64le(unsigned char *o, double d)
{ dn_put_le64(o, dn_f64_bits(d)); }
static inline double dn_get_f64le(const unsigned char *s)
{ return dn_bits_f64(dn_get_le64(s)); }

/* ---- big-endian: most significant byte first (IDX) ---- */

static inline uint32_t dn_get_be32(const unsigned char *s)
{
    return (uint32_t)s[0] << 24 | (uint32_t)s[1] << 16 |
           (uint32_t)s[2] << 8 | (uint32_t)s[3];
}

#endif
