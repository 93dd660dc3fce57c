/* Helpers shared by the elementwise kernels (ADD/SUB/MUL int16, SUB, LEAKY_RELU, ...). */
#ifndef TFL_REF_ELEMENTWISE_H
#define TFL_REF_ELEMENTWISE_H

#include <math.h>

#include "tfl/kernel.h"

/* BuiltinOptions tags of the ops in this family (their BuiltinOperator codes are in tfl.h). */
enum {
    TFL_OPT_SUB = 28, TFL_OPT_STRIDED_SLICE = 32, TFL_OPT_PADV2 = 43, TFL_OPT_LEAKY_RELU = 75,
    TFL_OPT_MIRROR_PAD = 77
};

/* Value range of an int8/int16 tensor type. */
static inline void tfl_ref_type_range(uint8_t type, int32_t *qmin, int32_t *qmax)
{
    if (type == TFL_TYPE_INT16) {
        *qmin = -32768;
        *qmax = 32767;
    } else {
        *qmin = -128;
        *qmax = 127;
    }
}

static inline int32_t tfl_ref_quantize_value(float scale, int32_t zp, float f)
{
    float r = roundf(f / scale);
    if (!(r > -1e6f))
        r = -1e6f;
    else if (r > 1e6f)
        r = 1e6f;
    return zp + (int32_t)r;
}

/* Clamp range of a fused activation for an int8 or int16 output (TFLite's
 * CalculateActivationRangeQuantized); non-zero on an unsupported activation. */
static inline int tfl_ref_activation_range(int32_t act, const tfl_tensor_t *out, int32_t *lo, int32_t *hi)
{
    int32_t qmin, qmax, a = 0, b = 0;
    tfl_ref_type_range(out->type, &qmin, &qmax);
    *lo = qmin;
    *hi = qmax;
    switch (act) {
    case TFL_ACT_NONE:
        return 0;
    case TFL_ACT_RELU:
        a = tfl_ref_quantize_value(out->scale, out->zero_point, 0.0f);
        *lo = a > qmin ? a : qmin;
        return 0;
    case TFL_ACT_RELU6:
        a = tfl_ref_quantize_value(out->scale, out->zero_point, 0.0f);
        b = tfl_ref_quantize_value(out->scale, out->zero_point, 6.0f);
        break;
    case TFL_ACT_RELU_N1_TO_1:
        a = tfl_ref_quantize_value(out->scale, out->zero_point, -1.0f);
        b = tfl_ref_quantize_value(out->scale, out->zero_point, 1.0f);
        break;
    default:
        return 1;
    }
    *lo = a > qmin ? a : qmin;
    *hi = b < qmax ? b : qmax;
    return 0;
}

/* Element i of an int8 or int16 tensor's data. */
static inline int32_t tfl_ref_load(const void *p, uint8_t type, uint32_t i)
{
    return type == TFL_TYPE_INT16 ? ((const int16_t *)p)[i] : ((const int8_t *)p)[i];
}

static inline void tfl_ref_store(void *p, uint8_t type, uint32_t i, int32_t v)
{
    if (type == TFL_TYPE_INT16)
        ((int16_t *)p)[i] = (int16_t)v;
    else
        ((int8_t *)p)[i] = (int8_t)v;
}

/* Check that a, b (b may be NULL) and out are all int8 or all int16 with quantization. */
static inline tfl_status_t tfl_ref_check_int8_or_int16(tfl_interp_t *ip, const tfl_tensor_t *a, const tfl_tensor_t *b,
                                                       const tfl_tensor_t *out)
{
    tfl_status_t s;
    uint8_t type;
    if (out == 0 || a == 0)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, -1);
    type = out->type == TFL_TYPE_INT16 ? TFL_TYPE_INT16 : TFL_TYPE_INT8;
    if ((s = tfl_check_type(ip, a, type)) || (b && (s = tfl_check_type(ip, b, type))) ||
        (s = tfl_check_type(ip, out, type)))
        return s;
    return TFL_OK;
}

/* The same for a binary op: both inputs present. */
static inline tfl_status_t tfl_ref_check_binary(tfl_interp_t *ip, const tfl_tensor_t *a, const tfl_tensor_t *b,
                                                const tfl_tensor_t *out)
{
    if (b == 0)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, -1);
    return tfl_ref_check_int8_or_int16(ip, a, b, out);
}

#endif
