/*
 * CAST between int8, int16, int32, float32 and bool (TFLM's combinations: C conversions, bool
 * as 0/1, anything to bool as "not zero"; quantization parameters are ignored, as TFLM does),
 * ABS (int8 and int16 requantized as TFLM's elementwise kernel, float32) and NEG (float32, the
 * only type TFLM's NEG takes).
 */
#include <string.h>

#include "ref_kernels.h"
#include "shape_util.h"


#define CAST_TYPES (TFL_T_INT8 | TFL_T_INT16 | TFL_T_INT32 | TFL_T_FLOAT32 | TFL_T_BOOL)

static tfl_status_t cast_prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    tfl_status_t s;
    if ((s = tfl_shape_check_type(ip, in, CAST_TYPES)) != TFL_OK ||
        (s = tfl_shape_check_type(ip, out, CAST_TYPES)) != TFL_OK)
        return s;
    if (tfl_num_elements(in) != tfl_num_elements(out))
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    return TFL_OK;
}

/* float -> int32 as the x86 and Arm conversions behave in range; out of range or NaN gives
 * INT32_MIN (x86's answer) instead of C's undefined behaviour. */
static int32_t float_to_i32(float f)
{
    if (f >= -2147483648.0f && f < 2147483648.0f)
        return (int32_t)f;
    return INT32_MIN;
}

static tfl_status_t cast_eval(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    uint32_t i, count = tfl_num_elements(out);
    for (i = 0; i < count; i++) {
        int32_t v = 0;
        float f = 0.0f;
        int is_float = 0, nonzero;
        switch (in->type) {
        case TFL_TYPE_INT8: v = ((const int8_t *)in->data)[i]; break;
        case TFL_TYPE_INT16: v = ((const int16_t *)in->data)[i]; break;
        case TFL_TYPE_INT32: v = ((const int32_t *)in->data)[i]; break;
        case TFL_TYPE_FLOAT32: f = ((const float *)in->data)[i]; is_float = 1; break;
        default: v = ((const uint8_t *)in->data)[i] != 0; break;
        }
        nonzero = is_float ? f != 0.0f : v != 0;
        if (out->type == TFL_TYPE_FLOAT32) {
            ((float *)out->data)[i] = is_float ? f : (float)v;
            continue;
        }
        if (is_float)
            v = float_to_i32(f);
        switch (out->type) {
        case TFL_TYPE_INT8: ((int8_t *)out->data)[i] = (int8_t)(uint8_t)(uint32_t)v; break;
        case TFL_TYPE_INT16: ((int16_t *)out->data)[i] = (int16_t)(uint16_t)(uint32_t)v; break;
        case TFL_TYPE_INT32: ((int32_t *)out->data)[i] = v; break;
        default: ((uint8_t *)out->data)[i] = (uint8_t)nonzero; break;
        }
    }
    return TFL_OK;
}

typedef struct {
    int32_t mult, shift, in_zp, out_zp, rescale, lo, hi;
} abs_data_t;

static tfl_status_t unary_prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    uint32_t types = n->builtin_code == TFL_OP_ABS ? TFL_T_INT8 | TFL_T_INT16 | TFL_T_FLOAT32 : TFL_T_FLOAT32;
    abs_data_t *d;
    tfl_status_t s;
    if ((s = tfl_shape_check_same(ip, in, out)) != TFL_OK || (s = tfl_shape_check_type(ip, in, types)) != TFL_OK)
        return s;
    if (!tfl_same_shape(in, out))
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    if (in->type == TFL_TYPE_FLOAT32)
        return TFL_OK;
    if ((s = tfl_check_type(ip, in, in->type)) != TFL_OK || (s = tfl_check_type(ip, out, in->type)) != TFL_OK)
        return s;
    if (in->type == TFL_TYPE_INT16 && (in->zero_point != 0 || out->zero_point != 0)) /* TFLM: symmetric int16 */
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, in->zero_point ? in : out));
    if ((d = (abs_data_t *)tfl_alloc_persistent(ip, sizeof(*d))) == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    n->data = d;
    d->in_zp = in->zero_point;
    d->out_zp = out->zero_point;
    d->rescale = in->scale != out->scale || in->zero_point != out->zero_point;
    d->lo = in->type == TFL_TYPE_INT8 ? -128 : -32768;
    d->hi = in->type == TFL_TYPE_INT8 ? 127 : 32767;
    if (tfl_quantize_multiplier((double)in->scale / (double)out->scale, &d->mult, &d->shift))
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, tfl_tensor_index(ip, out));
    return TFL_OK;
}

static tfl_status_t unary_eval(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    const abs_data_t *d = (const abs_data_t *)n->data;
    uint32_t i, count = tfl_num_elements(out);
    if (in->type == TFL_TYPE_FLOAT32) {
        const uint32_t *x = (const uint32_t *)in->data; /* sign-bit arithmetic: exact, NaN kept */
        uint32_t *y = (uint32_t *)out->data;
        uint32_t flip = n->builtin_code == TFL_OP_NEG ? 0x80000000u : 0u;
        for (i = 0; i < count; i++)
            y[i] = flip ? x[i] ^ flip : x[i] & 0x7fffffffu;
        return TFL_OK;
    }
    for (i = 0; i < count; i++) {
        int32_t v = in->type == TFL_TYPE_INT8 ? ((const int8_t *)in->data)[i] : ((const int16_t *)in->data)[i];
        v -= d->in_zp;
        v = v < 0 ? -v : v;
        v = (d->rescale ? tfl_mbqm(v, d->mult, d->shift) : v) + d->out_zp;
        v = tfl_clamp(v, d->lo, d->hi);
        if (in->type == TFL_TYPE_INT8)
            ((int8_t *)out->data)[i] = (int8_t)v;
        else
            ((int16_t *)out->data)[i] = (int16_t)v;
    }
    return TFL_OK;
}

const tfl_kernel_t tfl_ref_cast = {TFL_OP_CAST, cast_prepare, cast_eval};
const tfl_kernel_t tfl_ref_abs = {TFL_OP_ABS, unary_prepare, unary_eval};
const tfl_kernel_t tfl_ref_neg = {TFL_OP_NEG, unary_prepare, unary_eval};
