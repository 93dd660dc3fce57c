/*
 * Bounds-checked reader for the FlatBuffers wire format (only what .tflite needs).
 *
 * Every accessor checks the position and size it reads against the buffer length and
 * returns TFL_ERR_MODEL instead of reading out of bounds.  Multi-byte values are read
 * byte by byte (little-endian), so misaligned hostile offsets are harmless.
 */
#ifndef TFL_FB_H
#define TFL_FB_H

#include "tfl/tfl.h"

typedef struct {
    const uint8_t *buf;
    uint32_t len;
    uint32_t bad_pos; /* position of the first failed check, for error reports */
} tfl_fb_t;

typedef struct {
    uint32_t pos;   /* position of element 0 (0 when absent) */
    uint32_t count;
} tfl_fb_vec_t;

static inline uint32_t tfl_rd_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint16_t tfl_rd_u16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline float tfl_rd_f32(const uint8_t *p)
{
    union { uint32_t u; float f; } v;
    v.u = tfl_rd_u32(p);
    return v.f;
}
static inline int64_t tfl_rd_i64(const uint8_t *p)
{
    return (int64_t)((uint64_t)tfl_rd_u32(p) | ((uint64_t)tfl_rd_u32(p + 4) << 32));
}

tfl_status_t tfl_fb_root(tfl_fb_t *fb, tfl_fb_table_t *root);
/* Table field at `slot` (0-based field index).  Absent: out->pos = 0, TFL_OK. */
tfl_status_t tfl_fb_table(tfl_fb_t *fb, const tfl_fb_table_t *t, uint32_t slot, tfl_fb_table_t *out);
/* Vector field of `elem_size`-byte elements.  Absent: out->pos = 0, count 0, TFL_OK. */
tfl_status_t tfl_fb_vector(tfl_fb_t *fb, const tfl_fb_table_t *t, uint32_t slot, uint32_t elem_size,
                           tfl_fb_vec_t *out);
/* Element i of a vector of tables. */
tfl_status_t tfl_fb_vec_table(tfl_fb_t *fb, const tfl_fb_vec_t *v, uint32_t i, tfl_fb_table_t *out);
/* Scalars: `size` bytes (1, 2, 4) zero/sign-extended into *out; the default when absent. */
tfl_status_t tfl_fb_u32(tfl_fb_t *fb, const tfl_fb_table_t *t, uint32_t slot, uint32_t size, uint32_t dflt,
                        uint32_t *out);
tfl_status_t tfl_fb_i32(tfl_fb_t *fb, const tfl_fb_table_t *t, uint32_t slot, uint32_t size, int32_t dflt,
                        int32_t *out);
tfl_status_t tfl_fb_f32(tfl_fb_t *fb, const tfl_fb_table_t *t, uint32_t slot, float dflt, float *out);
/* 64-bit unsigned scalar (Buffer.offset/size). */
tfl_status_t tfl_fb_u64(tfl_fb_t *fb, const tfl_fb_table_t *t, uint32_t slot, uint64_t *out);

#endif
