/* QUANTIZE: float32 -> int8/int16 (affine), and requantization between the integer types TFLM's
 * quantize.cc pairs: int8 -> int8/int16/int32/uint8, int16 -> int8/int16/int32, int32 -> int8/int16,
 * uint8 -> int8, with the multiplier in_s/out_s (double) and a saturating cast to the output type
 * (TFLM's int8 <-> uint8 shortcut, a flip of the top bit, gives what the general path gives). */
#include <math.h>

#include "elementwise.h"
#include "ref_kernels.h"

typedef struct {
    int32_t mult, shift;
} requant_data_t;

static int is_int_type(uint8_t t)
{
    return t == TFL_TYPE_INT8 || t == TFL_TYPE_INT16 || t == TFL_TYPE_INT32 || t == TFL_TYPE_UINT8;
}

static tfl_status_t prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    tfl_status_t s;
    if (out == 0)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, -1);
    if ((s = tfl_check_type(ip, out, is_int_type(out->type) ? out->type : TFL_TYPE_INT8)) != TFL_OK)
        return s;
    if ((out->type == TFL_TYPE_INT32 || out->type == TFL_TYPE_UINT8) && out->nscales == 0)
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, out));
    if (in == 0 || !tfl_same_shape(in, out))
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    if (out->nscales != 1)
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, out));
    if (is_int_type(in->type)) {
        requant_data_t *d;
        if ((in->type == TFL_TYPE_INT32 && out->type == TFL_TYPE_INT32) || /* pairs TFLM lacks */
            (in->type == TFL_TYPE_UINT8 && out->type != TFL_TYPE_INT8) ||
            (out->type == TFL_TYPE_UINT8 && in->type != TFL_TYPE_INT8))
            return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, in));
        if ((s = tfl_check_type(ip, in, in->type)) != TFL_OK)
            return s;
        if (in->nscales == 0)
            return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, in));
        d = (requant_data_t *)tfl_alloc_persistent(ip, sizeof(requant_data_t));
        if (d == 0)
            return TFL_ERR_ARENA_TOO_SMALL;
        if (tfl_quantize_multiplier((double)in->scale / (double)out->scale, &d->mult, &d->shift))
            return tfl_fail(ip, TFL_ERR_BAD_PARAMS, tfl_tensor_index(ip, out));
        n->data = d;
        return TFL_OK;
    }
    if (in->type != TFL_TYPE_FLOAT32 || out->type == TFL_TYPE_INT32 || out->type == TFL_TYPE_UINT8)
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, in));
    return TFL_OK;
}

static int32_t load_int(const void *p, uint8_t type, uint32_t i)
{
    if (type == TFL_TYPE_INT32)
        return ((const int32_t *)p)[i];
    return type == TFL_TYPE_UINT8 ? ((const uint8_t *)p)[i] : tfl_ref_load(p, type, i);
}

static void store_int(void *p, uint8_t type, uint32_t i, int32_t v)
{
    if (type == TFL_TYPE_INT32)
        ((int32_t *)p)[i] = v;
    else if (type == TFL_TYPE_UINT8)
        ((uint8_t *)p)[i] = (uint8_t)v;
    else
        tfl_ref_store(p, type, i, v);
}

/* Requantization other than int8 -> int8: any input/output pair of the integer types. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void requantize(const tfl_tensor_t *in, const tfl_tensor_t *out, const requant_data_t *d, uint32_t count)
{
    int32_t qmin = INT32_MIN, qmax = INT32_MAX;
    uint32_t i;
    if (out->type == TFL_TYPE_UINT8) {
        qmin = 0;
        qmax = 255;
    } else if (out->type != TFL_TYPE_INT32) {
        tfl_ref_type_range(out->type, &qmin, &qmax);
    }
    for (i = 0; i < count; i++) {
        int32_t x = (int32_t)((uint32_t)load_int(in->data, in->type, i) - (uint32_t)in->zero_point);
        int32_t v = (int32_t)((uint32_t)tfl_mbqm(x, d->mult, d->shift) + (uint32_t)out->zero_point);
        store_int(out->data, out->type, i, tfl_clamp(v, qmin, qmax));
    }
}

static tfl_status_t eval(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    int8_t *y = (int8_t *)out->data;
    uint32_t i, count = tfl_num_elements(out);
    if (in->type == TFL_TYPE_INT8 && out->type == TFL_TYPE_INT8) {
        const requant_data_t *d = (const requant_data_t *)n->data;
        const int8_t *x = (const int8_t *)in->data;
        for (i = 0; i < count; i++) {
            int32_t v = tfl_mbqm(x[i] - in->zero_point, d->mult, d->shift) + out->zero_point;
            y[i] = (int8_t)tfl_clamp(v, -128, 127);
        }
    } else if (in->type != TFL_TYPE_FLOAT32) {
        requantize(in, out, (const requant_data_t *)n->data, count);
    } else if (out->type == TFL_TYPE_INT8) {
        const float *x = (const float *)in->data;
        /* TFLite's AffineQuantize (reference/quantize.h) divides in single precision,
         * TfLiteRound(val / static_cast<float>(scale)): a double quotient can round to the other
         * side of a .5 and is ~10x the cycles without a double-precision FPU */
        const float scale = out->scale;
        for (i = 0; i < count; i++) {
            float q = roundf(x[i] / scale);
            int32_t v;
            /* saturate before the int conversion (NaN maps to the zero point) */
            if (q > 1e9f)
                q = 1e9f;
            else if (q < -1e9f)
                q = -1e9f;
            else if (q != q)
                q = 0.0f;
            v = (int32_t)q + out->zero_point;
            y[i] = (int8_t)tfl_clamp(v, -128, 127);
        }
    } else {
        const float *x = (const float *)in->data;
        const float scale = out->scale;
        int16_t *y16 = (int16_t *)out->data;
        for (i = 0; i < count; i++) {
            float q = roundf(x[i] / scale);
            if (q > 1e9f)
                q = 1e9f;
            else if (q < -1e9f)
                q = -1e9f;
            else if (q != q)
                q = 0.0f;
            y16[i] = (int16_t)tfl_clamp((int32_t)q + out->zero_point, -32768, 32767);
        }
    }
    (void)ip;
    return TFL_OK;
}

const tfl_kernel_t tfl_ref_quantize = {TFL_OP_QUANTIZE, prepare, eval};
TFL_REF_EVAL(tfl_ref_quantize, eval)
