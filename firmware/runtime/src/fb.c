/* Bounds-checked FlatBuffers reader; see tfl/fb.h. */
#include "tfl/fb.h"

/* True when [pos, pos+size) lies inside the buffer (no overflow). */
static int in_bounds(const tfl_fb_t *fb, uint32_t pos, uint32_t size)
{
    return pos <= fb->len && size <= fb->len - pos;
}

static tfl_status_t fail(tfl_fb_t *fb, uint32_t pos)
{
    if (fb->bad_pos == 0)
        fb->bad_pos = pos ? pos : 1;
    return TFL_ERR_MODEL;
}

/* Resolve a table at `pos`: its vtable must lie in the buffer. */
static tfl_status_t table_at(tfl_fb_t *fb, uint32_t pos, tfl_fb_table_t *out)
{
    int64_t vt;
    uint32_t vt_len, obj_len;
    if (pos == 0 || !in_bounds(fb, pos, 4))
        return fail(fb, pos);
    vt = (int64_t)pos - (int64_t)(int32_t)tfl_rd_u32(fb->buf + pos);
    if (vt < 0 || vt > (int64_t)fb->len || !in_bounds(fb, (uint32_t)vt, 4))
        return fail(fb, pos);
    vt_len = tfl_rd_u16(fb->buf + vt);
    obj_len = tfl_rd_u16(fb->buf + vt + 2);
    if (vt_len < 4 || (vt_len & 1u) || !in_bounds(fb, (uint32_t)vt, vt_len) || obj_len < 4 ||
        !in_bounds(fb, pos, obj_len))
        return fail(fb, pos);
    out->pos = pos;
    out->vtable = (uint32_t)vt;
    out->vtable_len = vt_len;
    return TFL_OK;
}

/* Position of field `slot` with `size` bytes, 0 when absent. */
static tfl_status_t field_pos(tfl_fb_t *fb, const tfl_fb_table_t *t, uint32_t slot, uint32_t size,
                              uint32_t *out)
{
    uint32_t entry = 4 + 2 * slot;
    uint16_t off;
    *out = 0;
    if (t->pos == 0)
        return TFL_OK;
    if (entry + 2 > t->vtable_len)
        return TFL_OK;
    off = tfl_rd_u16(fb->buf + t->vtable + entry);
    if (off == 0)
        return TFL_OK;
    /* the field must lie inside the table object */
    if (off + size > tfl_rd_u16(fb->buf + t->vtable + 2) || !in_bounds(fb, t->pos + off, size))
        return fail(fb, t->pos + off);
    *out = t->pos + off;
    return TFL_OK;
}

/* Follow the uoffset stored at `pos`. */
static tfl_status_t deref(tfl_fb_t *fb, uint32_t pos, uint32_t *out)
{
    uint32_t rel = tfl_rd_u32(fb->buf + pos);
    if (rel == 0 || rel > fb->len - pos)
        return fail(fb, pos);
    *out = pos + rel;
    return TFL_OK;
}

tfl_status_t tfl_fb_root(tfl_fb_t *fb, tfl_fb_table_t *root)
{
    uint32_t pos;
    fb->bad_pos = 0;
    if (fb->buf == 0 || fb->len < 8)
        return fail(fb, 0);
    if (deref(fb, 0, &pos) != TFL_OK)
        return TFL_ERR_MODEL;
    return table_at(fb, pos, root);
}

tfl_status_t tfl_fb_table(tfl_fb_t *fb, const tfl_fb_table_t *t, uint32_t slot, tfl_fb_table_t *out)
{
    uint32_t fp, pos;
    out->pos = 0;
    out->vtable = 0;
    out->vtable_len = 0;
    if (field_pos(fb, t, slot, 4, &fp) != TFL_OK)
        return TFL_ERR_MODEL;
    if (fp == 0)
        return TFL_OK;
    if (deref(fb, fp, &pos) != TFL_OK)
        return TFL_ERR_MODEL;
    return table_at(fb, pos, out);
}

tfl_status_t tfl_fb_vector(tfl_fb_t *fb, const tfl_fb_table_t *t, uint32_t slot, uint32_t elem_size,
                           tfl_fb_vec_t *out)
{
    uint32_t fp, pos, n;
    out->pos = 0;
    out->count = 0;
    if (field_pos(fb, t, slot, 4, &fp) != TFL_OK)
        return TFL_ERR_MODEL;
    if (fp == 0)
        return TFL_OK;
    if (deref(fb, fp, &pos) != TFL_OK || !in_bounds(fb, pos, 4))
        return fail(fb, fp);
    n = tfl_rd_u32(fb->buf + pos);
    if (n > (fb->len - pos - 4) / elem_size)
        return fail(fb, pos);
    out->pos = pos + 4;
    out->count = n;
    return TFL_OK;
}

tfl_status_t tfl_fb_vec_table(tfl_fb_t *fb, const tfl_fb_vec_t *v, uint32_t i, tfl_fb_table_t *out)
{
    uint32_t pos;
    if (i >= v->count)
        return fail(fb, v->pos);
    if (deref(fb, v->pos + 4 * i, &pos) != TFL_OK)
        return TFL_ERR_MODEL;
    return table_at(fb, pos, out);
}

tfl_status_t tfl_fb_u32(tfl_fb_t *fb, const tfl_fb_table_t *t, uint32_t slot, uint32_t size, uint32_t dflt,
                        uint32_t *out)
{
    uint32_t fp;
    const uint8_t *p;
    *out = dflt;
    if (field_pos(fb, t, slot, size, &fp) != TFL_OK)
        return TFL_ERR_MODEL;
    if (fp == 0)
        return TFL_OK;
    p = fb->buf + fp;
    *out = size == 1 ? p[0] : size == 2 ? tfl_rd_u16(p) : tfl_rd_u32(p);
    return TFL_OK;
}

tfl_status_t tfl_fb_i32(tfl_fb_t *fb, const tfl_fb_table_t *t, uint32_t slot, uint32_t size, int32_t dflt,
                        int32_t *out)
{
    uint32_t fp;
    const uint8_t *p;
    *out = dflt;
    if (field_pos(fb, t, slot, size, &fp) != TFL_OK)
        return TFL_ERR_MODEL;
    if (fp == 0)
        return TFL_OK;
    p = fb->buf + fp;
    if (size == 1)
        *out = (int8_t)p[0];
    else if (size == 2)
        *out = (int16_t)tfl_rd_u16(p);
    else
        *out = (int32_t)tfl_rd_u32(p);
    return TFL_OK;
}

tfl_status_t tfl_fb_f32(tfl_fb_t *fb, const tfl_fb_table_t *t, uint32_t slot, float dflt, float *out)
{
    uint32_t fp;
    *out = dflt;
    if (field_pos(fb, t, slot, 4, &fp) != TFL_OK)
        return TFL_ERR_MODEL;
    if (fp != 0)
        *out = tfl_rd_f32(fb->buf + fp);
    return TFL_OK;
}

tfl_status_t tfl_fb_u64(tfl_fb_t *fb, const tfl_fb_table_t *t, uint32_t slot, uint64_t *out)
{
    uint32_t fp;
    *out = 0;
    if (field_pos(fb, t, slot, 8, &fp) != TFL_OK)
        return TFL_ERR_MODEL;
    if (fp != 0)
        *out = (uint64_t)tfl_rd_i64(fb->buf + fp);
    return TFL_OK;
}
