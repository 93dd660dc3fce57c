/*
 * RESIZE_NEAREST_NEIGHBOR (int8, int16, float32) and RESIZE_BILINEAR (int8, float32; TFLM
 * refuses int16) on NHWC tensors, align_corners / half_pixel_centers as TFLite.  Nearest
 * neighbour maps output rows/columns to source ones in float at prepare (tables in the arena);
 * the integer bilinear works in 10-bit fixed point as TFLite's ResizeBilinearInteger; the float
 * one takes its source rows/columns and fractions from prepare-time tables and weighs the four
 * neighbours in TFLite's order of float operations.
 */
#include <math.h>
#include <string.h>

#include "ref_kernels.h"
#include "shape_util.h"

enum { OPT_RESIZE_BILINEAR = 15, OPT_RESIZE_NEAREST = 74 };

typedef struct {
    int32_t b, ih, iw, oh, ow, c;
    int32_t align, half; /* options */
    int32_t hscale, wscale; /* bilinear: 10-bit scales */
    int32_t *map;        /* nearest: oh row sources then ow column sources */
    struct frac_s { int32_t lo, hi; float f; } *frac; /* float bilinear: rows then columns */
    uint32_t esize;
} resize_data_t;

/* No fused multiply-add anywhere in the float paths: each product and sum rounded on its own,
 * as TFLite's reference, even where the build contracts (the firmware's gnu11 on an FPU core). */
#if defined(__GNUC__) && !defined(__clang__)
#define TFL_NO_FMA __attribute__((optimize("fp-contract=off")))
#else
#define TFL_NO_FMA
#endif

/* Float bilinear: source position of each output row/column, its two neighbours and fraction. */
TFL_NO_FMA static tfl_status_t float_tables(tfl_interp_t *ip, resize_data_t *d)
{
    int32_t i;
    if ((d->frac = (struct frac_s *)tfl_alloc_persistent(ip, sizeof(struct frac_s) * (uint32_t)(d->oh + d->ow))) == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    for (i = 0; i < d->oh + d->ow; i++) {
        int32_t o = i < d->oh ? i : i - d->oh, isz = i < d->oh ? d->ih : d->iw, osz = i < d->oh ? d->oh : d->ow;
        float scale = (d->align && osz > 1) ? (float)(isz - 1) / (float)(osz - 1) : (float)isz / (float)osz;
        float v = d->half ? ((float)o + 0.5f) * scale - 0.5f : (float)o * scale;
        int32_t lo = (int32_t)floorf(v), hi = (int32_t)ceilf(v);
        d->frac[i].lo = lo > 0 ? lo : 0;
        d->frac[i].hi = hi < isz - 1 ? hi : isz - 1;
        d->frac[i].f = v - (float)d->frac[i].lo;
    }
    return TFL_OK;
}

static tfl_status_t resize_prepare(tfl_interp_t *ip, tfl_node_t *n, int nearest)
{
    tfl_tensor_t *in = tfl_node_input(ip, n, 0), *size = tfl_node_input(ip, n, 1), *out = tfl_node_output(ip, n, 0);
    uint8_t opt = nearest ? OPT_RESIZE_NEAREST : OPT_RESIZE_BILINEAR;
    resize_data_t *d;
    int32_t i;
    tfl_status_t s;
    if ((s = tfl_shape_check_same(ip, in, out)) != TFL_OK ||
        (s = tfl_shape_check_type(ip, in, TFL_T_INT8 | TFL_T_FLOAT32 | (nearest ? TFL_T_INT16 : 0))) != TFL_OK ||
        (s = tfl_check_ndim(ip, in, 4)) != TFL_OK || (s = tfl_check_ndim(ip, out, 4)) != TFL_OK ||
        (s = tfl_shape_check_type(ip, size, TFL_T_INT32)) != TFL_OK)
        return s;
    if (tfl_num_elements(size) != 2)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, size));
    if (size->is_const && (tfl_shape_const_at(size, 0) != out->dims[1] || tfl_shape_const_at(size, 1) != out->dims[2]))
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    if (out->dims[0] != in->dims[0] || out->dims[3] != in->dims[3] || out->dims[1] > 0xffff || out->dims[2] > 0xffff ||
        in->dims[1] > 0xffff || in->dims[2] > 0xffff)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    if ((d = (resize_data_t *)tfl_alloc_persistent(ip, sizeof(*d))) == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    n->data = d;
    d->b = in->dims[0], d->ih = in->dims[1], d->iw = in->dims[2], d->c = in->dims[3];
    d->oh = out->dims[1], d->ow = out->dims[2];
    d->align = tfl_shape_opt(ip, n, opt, nearest ? 0 : 2, 1, 0) != 0;
    d->half = tfl_shape_opt(ip, n, opt, nearest ? 1 : 3, 1, 0) != 0;
    d->esize = tfl_shape_esize(in->type);
    if (!nearest) {
        if (d->align && d->half) /* TFLite: half_pixel_centers needs align_corners off */
            return tfl_fail(ip, TFL_ERR_BAD_PARAMS, -1);
        d->hscale = ((1 << 10) * d->ih + d->oh / 2) / d->oh;
        d->wscale = ((1 << 10) * d->iw + d->ow / 2) / d->ow;
        if (d->align && d->oh > 1)
            d->hscale = ((1 << 10) * (d->ih - 1) + (d->oh - 1) / 2) / (d->oh - 1);
        if (d->align && d->ow > 1)
            d->wscale = ((1 << 10) * (d->iw - 1) + (d->ow - 1) / 2) / (d->ow - 1);
        if (in->type == TFL_TYPE_FLOAT32)
            return float_tables(ip, d);
        return TFL_OK;
    }
    if ((d->map = (int32_t *)tfl_alloc_persistent(ip, 4u * (uint32_t)(d->oh + d->ow))) == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    for (i = 0; i < d->oh + d->ow; i++) {
        int32_t o = i < d->oh ? i : i - d->oh, isz = i < d->oh ? d->ih : d->iw, osz = i < d->oh ? d->oh : d->ow;
        float scale = (d->align && osz > 1) ? (float)(isz - 1) / (float)(osz - 1) : (float)isz / (float)osz;
        float v = ((float)o + (d->half ? 0.5f : 0.0f)) * scale;
        int32_t src = d->align ? (int32_t)roundf(v) : (int32_t)floorf(v);
        if (src > isz - 1)
            src = isz - 1;
        if (d->half && src < 0)
            src = 0;
        d->map[i] = src;
    }
    return TFL_OK;
}

static tfl_status_t nearest_prepare(tfl_interp_t *ip, tfl_node_t *n) { return resize_prepare(ip, n, 1); }
static tfl_status_t bilinear_prepare(tfl_interp_t *ip, tfl_node_t *n) { return resize_prepare(ip, n, 0); }

static tfl_status_t nearest_eval(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    const resize_data_t *d = (const resize_data_t *)n->data;
    const uint8_t *x = (const uint8_t *)in->data;
    uint8_t *y = (uint8_t *)out->data;
    uint32_t row = (uint32_t)d->c * d->esize;
    int32_t b, oy, ox;
    for (b = 0; b < d->b; b++)
        for (oy = 0; oy < d->oh; oy++)
            for (ox = 0; ox < d->ow; ox++, y += row)
                memcpy(y, x + (((size_t)b * d->ih + d->map[oy]) * d->iw + d->map[d->oh + ox]) * row, row);
    return TFL_OK;
}

/* Source position (10-bit fixed point) of output index v and its two neighbours. */
static void interp_values(int32_t v, int32_t scale, int32_t half, int32_t size, int32_t *pos, int32_t *lo,
                          int32_t *hi)
{
    *pos = half ? v * scale + scale / 2 - (1 << 9) : v * scale;
    *lo = *pos / (1 << 10) > 0 ? *pos / (1 << 10) : 0;
    *hi = (*pos + (1 << 10) - 1) / (1 << 10) < size - 1 ? (*pos + (1 << 10) - 1) / (1 << 10) : size - 1;
}

TFL_NO_FMA static void bilinear_float(const resize_data_t *d, const float *x, float *y)
{
    int32_t b, oy, ox, c;
    for (b = 0; b < d->b; b++)
        for (oy = 0; oy < d->oh; oy++) {
            const struct frac_s *fy = &d->frac[oy];
            const float *r0 = x + ((size_t)b * d->ih + fy->lo) * d->iw * d->c;
            const float *r1 = x + ((size_t)b * d->ih + fy->hi) * d->iw * d->c;
            for (ox = 0; ox < d->ow; ox++) {
                const struct frac_s *fx = &d->frac[d->oh + ox];
                for (c = 0; c < d->c; c++)
                    *y++ = r0[fx->lo * d->c + c] * (1 - fy->f) * (1 - fx->f) + r1[fx->lo * d->c + c] * fy->f * (1 - fx->f) +
                           r0[fx->hi * d->c + c] * (1 - fy->f) * fx->f + r1[fx->hi * d->c + c] * fy->f * fx->f;
            }
        }
}

static tfl_status_t bilinear_eval(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    const resize_data_t *d = (const resize_data_t *)n->data;
    if (in->type == TFL_TYPE_FLOAT32) {
        bilinear_float(d, (const float *)in->data, (float *)out->data);
        return TFL_OK;
    }
    const int8_t *x = (const int8_t *)in->data;
    int8_t *y = (int8_t *)out->data;
    int32_t b, oy, ox, c;
    for (b = 0; b < d->b; b++)
        for (oy = 0; oy < d->oh; oy++) {
            int32_t py, y0, y1;
            interp_values(oy, d->hscale, d->half, d->ih, &py, &y0, &y1);
            for (ox = 0; ox < d->ow; ox++) {
                int32_t px, x0, x1;
                const int8_t *r0, *r1;
                int64_t fy, fx;
                interp_values(ox, d->wscale, d->half, d->iw, &px, &x0, &x1);
                fy = py - (1 << 10) * y0;
                fx = px - (1 << 10) * x0;
                r0 = x + ((size_t)b * d->ih + y0) * d->iw * d->c;
                r1 = x + ((size_t)b * d->ih + y1) * d->iw * d->c;
                for (c = 0; c < d->c; c++) {
                    int64_t v = (int64_t)r0[x0 * d->c + c] * ((1 << 10) - fy) * ((1 << 10) - fx) +
                                (int64_t)r1[x0 * d->c + c] * fy * ((1 << 10) - fx) +
                                (int64_t)r0[x1 * d->c + c] * ((1 << 10) - fy) * fx +
                                (int64_t)r1[x1 * d->c + c] * fy * fx;
                    v += v > 0 ? (1 << 19) : -(1 << 19);
                    *y++ = (int8_t)(v / (1 << 20));
                }
            }
        }
    return TFL_OK;
}

const tfl_kernel_t tfl_ref_resize_nearest_neighbor = {TFL_OP_RESIZE_NEAREST_NEIGHBOR, nearest_prepare, nearest_eval};
const tfl_kernel_t tfl_ref_resize_bilinear = {TFL_OP_RESIZE_BILINEAR, bilinear_prepare, bilinear_eval};
