/*
 * SOFTMAX with int16 input and output (input zero point 0; output scale 1/32768, zero point 0),
 * as TFLM.
 *
 * Prepare builds two 513-entry int16 tables in float (TFLite's LUT generator): exp on
 * [-10, 0] and 1 / (1 + x) on [0, 1].  Eval: differences to the row maximum are rescaled so
 * that [-65535, 0] covers [-10, 0] (QuantizeMultiplier of in_s * beta * 65535 / 10), shifted to
 * the symmetric table input and looked up; the Q0.15 exponentials are summed in int32, the
 * sum is normalised to the reciprocal table's input, and each exponential is multiplied by the
 * reciprocal with one rounding shift.
 */
#include <math.h>

#include "act_common.h"
#include "ref_kernels.h"

typedef tfl_ref_softmax16_data_t softmax16_data_t;

static float exp_f(float x) { return expf(x); }
static float recip_f(float x) { return 1.0f / (1.0f + x); }

static tfl_status_t eval16(tfl_interp_t *ip, tfl_node_t *n);
static const tfl_kernel_t softmax16 = {TFL_OP_SOFTMAX, 0, eval16};

tfl_status_t tfl_ref_softmax16_prepare(tfl_interp_t *ip, tfl_node_t *n, float beta)
{
    tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    softmax16_data_t *d;
    tfl_status_t s;
    if ((s = tfl_check_type(ip, in, TFL_TYPE_INT16)) || (s = tfl_check_type(ip, out, TFL_TYPE_INT16)))
        return s;
    if (!tfl_same_shape(in, out) || in->ndim < 1)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    if (in->zero_point != 0) /* both TFLite and TFLM require it */
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, in));
    if (out->zero_point != 0 || fabsf(out->scale - 1.0f / 32768) > 0.001f / 32768)
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, out));
    d = (softmax16_data_t *)tfl_alloc_persistent(ip, sizeof(softmax16_data_t));
    if (d == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    if (tfl_quantize_multiplier((double)in->scale * (double)beta / (10.0 / 65535.0), &d->mult, &d->shift))
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, tfl_tensor_index(ip, in));
    tfl_ref_lut16_fill(exp_f, -10.0f, 0.0f, d->exp_lut);
    tfl_ref_lut16_fill(recip_f, 0.0f, 1.0f, d->recip_lut);
    n->data = d;
    n->kernel = &softmax16;
    return TFL_OK;
}

static tfl_status_t eval16(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    const softmax16_data_t *d = (const softmax16_data_t *)n->data;
    const int32_t depth = in->dims[in->ndim - 1];
    const uint32_t rows = tfl_num_elements(in) / (uint32_t)depth;
    uint32_t r;
    int32_t c;
    for (r = 0; r < rows; r++) {
        const int16_t *x = (const int16_t *)in->data + r * (uint32_t)depth;
        int16_t *y = (int16_t *)out->data + r * (uint32_t)depth; /* holds the exponentials first */
        int32_t maxv = -32768, sum = 0, headroom, shifted, rshift;
        int16_t recip;
        int64_t round;
        for (c = 0; c < depth; c++)
            maxv = x[c] > maxv ? x[c] : maxv;
        for (c = 0; c < depth; c++) {
            const int32_t scaled = tfl_mbqm(x[c] - maxv, d->mult, d->shift);
            const int32_t sym = tfl_clamp(scaled + 32767, -32768, 32767); /* scaled <= 0 */
            y[c] = tfl_ref_lut16_lookup((int16_t)sym, d->exp_lut);
            sum = (int32_t)((uint32_t)sum + (uint32_t)(int32_t)y[c]);
        }
        headroom = tfl_ref_clz32((uint32_t)sum);
        shifted = (int32_t)((((int64_t)sum << (headroom - 1)) + (1 << 13)) >> 14);
        recip = tfl_ref_lut16_lookup((int16_t)tfl_clamp(shifted - (32768 + 65536), -32768, 32767), d->recip_lut);
        rshift = 31 - headroom;
        round = (int64_t)1 << (rshift - 1);
        for (c = 0; c < depth; c++) {
            const int64_t v = ((int64_t)y[c] * recip + round) >> rshift;
            y[c] = (int16_t)(v < 0 ? 0 : (v > 32767 ? 32767 : v));
        }
    }
    (void)ip;
    return TFL_OK;
}
