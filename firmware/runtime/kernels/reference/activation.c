/*
 * RELU, RELU6 and RELU_N1_TO_1 as standalone ops, int8 and int16 (as TFLM: int16 needs zero
 * points 0).
 *
 * RELU and RELU_N1_TO_1 requantize: y = zp_out + x_in * (in_s / out_s) (QuantizeMultiplier,
 * double rounding), clamped to the quantized image of [0, inf) / [-1, 1] in the output's
 * range.  RELU6 follows TFLM's kernel: it clamps the raw input to [zp_in, q(6)] in the
 * input's quantization and ignores the output's (LiteRT requantizes instead: the two agree
 * when input and output share their quantization, the converter's case, and differ when not).
 * RELU_N1_TO_1 is LiteRT's (TFLM has no such kernel), with LiteRT's multiplier in_s / out_s
 * divided in float (TFLM's RELU divides in double: the two differ by 1 LSB where x * in_s / out_s
 * falls within float error of a half); LiteRT has no int16 version, so it is int8 only here.
 */
#include <math.h>

#include "tfl/kernel.h"
#include "act_common.h"
#include "ref_kernels.h"

typedef struct {
    int32_t mult, shift, zp_in, zp_out, lo, hi;
    uint8_t requant, is16;
} relu_data_t;

static int32_t quantize_clamped(float v, float scale, int32_t zp, int32_t qmin, int32_t qmax)
{
    float r = roundf(v / scale);
    if (!(r > -1e7f))
        r = -1e7f;
    else if (r > 1e7f)
        r = 1e7f;
    return tfl_clamp(zp + (int32_t)r, qmin, qmax);
}

static tfl_status_t prepare_kind(tfl_interp_t *ip, tfl_node_t *n, int kind)
{
    tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    relu_data_t *d;
    tfl_status_t s;
    int32_t qmin, qmax;
    uint8_t type;

    if (in == 0 || out == 0)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, -1);
    type = in->type;
    if ((type != TFL_TYPE_INT8 && type != TFL_TYPE_INT16) || (kind == 2 && type != TFL_TYPE_INT8))
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, in));
    if ((s = tfl_check_type(ip, in, type)) || (s = tfl_check_type(ip, out, type)))
        return s;
    if (!tfl_same_shape(in, out))
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    if (type == TFL_TYPE_INT16 && kind == 0 && in->zero_point != 0)
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, in));
    if (type == TFL_TYPE_INT16 && kind == 0 && out->zero_point != 0)
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, out));
    if (!(in->scale > 0.0f) || !(out->scale > 0.0f) || isinf(in->scale) || isinf(out->scale))
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, in->scale > 0.0f ? out : in));
    d = (relu_data_t *)tfl_alloc_persistent(ip, sizeof(relu_data_t));
    if (d == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    qmin = type == TFL_TYPE_INT16 ? -32768 : -128;
    qmax = type == TFL_TYPE_INT16 ? 32767 : 127;
    d->is16 = type == TFL_TYPE_INT16;
    d->zp_in = in->zero_point;
    d->zp_out = out->zero_point;
    if (kind == 1) { /* RELU6: clamp in the input's quantization */
        d->requant = 0;
        d->lo = in->zero_point;
        d->hi = quantize_clamped(6.0f, in->scale, in->zero_point, qmin, qmax);
    } else {
        d->requant = 1;
        /* TFLM divides the scales in double; LiteRT (the reference for RELU_N1_TO_1) in float */
        const double m = kind == 2 ? (double)(in->scale / out->scale) : (double)in->scale / (double)out->scale;
        if (tfl_quantize_multiplier(m, &d->mult, &d->shift))
            return tfl_fail(ip, TFL_ERR_BAD_PARAMS, tfl_tensor_index(ip, out));
        d->lo = kind == 2 ? quantize_clamped(-1.0f, out->scale, out->zero_point, qmin, qmax)
                          : tfl_clamp(out->zero_point, qmin, qmax);
        d->hi = kind == 2 ? quantize_clamped(1.0f, out->scale, out->zero_point, qmin, qmax) : qmax;
    }
    n->data = d;
    return TFL_OK;
}

static tfl_status_t eval(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    const relu_data_t *d = (const relu_data_t *)n->data;
    const uint32_t count = tfl_num_elements(in);
    uint32_t i;
    for (i = 0; i < count; i++) {
        int32_t v = d->is16 ? ((const int16_t *)in->data)[i] : ((const int8_t *)in->data)[i];
        if (d->requant)
            v = d->zp_out + tfl_mbqm(v - d->zp_in, d->mult, d->shift);
        v = tfl_clamp(v, d->lo, d->hi);
        if (d->is16)
            ((int16_t *)out->data)[i] = (int16_t)v;
        else
            ((int8_t *)out->data)[i] = (int8_t)v;
    }
    (void)ip;
    return TFL_OK;
}

static tfl_status_t prepare_relu(tfl_interp_t *ip, tfl_node_t *n) { return prepare_kind(ip, n, 0); }
static tfl_status_t prepare_relu6(tfl_interp_t *ip, tfl_node_t *n) { return prepare_kind(ip, n, 1); }
static tfl_status_t prepare_relu_n1(tfl_interp_t *ip, tfl_node_t *n) { return prepare_kind(ip, n, 2); }

const tfl_kernel_t tfl_ref_relu = {TFL_OP_RELU, prepare_relu, eval};
TFL_REF_EVAL(tfl_ref_relu, eval)
const tfl_kernel_t tfl_ref_relu6 = {TFL_OP_RELU6, prepare_relu6, eval};
TFL_REF_EVAL(tfl_ref_relu6, eval)
const tfl_kernel_t tfl_ref_relu_n1_to_1 = {TFL_OP_RELU_N1_TO_1, prepare_relu_n1, eval};
