/*
 * LOGISTIC, int8 in, int8 out (scale 1/256, zero point -128).  A 256-entry table is built
 * at prepare time in float: y = 1 / (1 + exp(-x)) for every dequantized input value, then
 * requantized with round-half-away-from-zero.  (LiteRT's reference path agrees bit for bit
 * on the host; on the board the result depends on newlib's expf matching to the last ulp.)
 *
 * int16 (as TFLM): zero points 0, output scale 2^-15; the input is rescaled so that 2^17
 * represents 10.7 (see tanh.c) and looked up in the sigmoid table with 9-bit interpolation.
 */
#include <math.h>

#include "tfl/kernel.h"
#include "act_common.h"
#include "ref_kernels.h"

typedef struct {
    int32_t mult, shift;
} logistic16_data_t;

static tfl_status_t eval16(tfl_interp_t *ip, tfl_node_t *n);
static const tfl_kernel_t logistic16 = {TFL_OP_LOGISTIC, 0, eval16};

static tfl_status_t prepare16(tfl_interp_t *ip, tfl_node_t *n, tfl_tensor_t *in, tfl_tensor_t *out)
{
    logistic16_data_t *d;
    tfl_status_t s;
    int32_t l2;
    if ((s = tfl_check_type(ip, in, TFL_TYPE_INT16)) || (s = tfl_check_type(ip, out, TFL_TYPE_INT16)))
        return s;
    if (!tfl_same_shape(in, out))
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    if (in->zero_point != 0 || !(in->scale > 0.0f) || isinf(in->scale))
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, in));
    if (out->zero_point != 0 || !tfl_ref_checked_log2(out->scale, &l2) || l2 != -15)
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, out));
    d = (logistic16_data_t *)tfl_alloc_persistent(ip, sizeof(logistic16_data_t));
    if (d == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    if (tfl_ref_lut_input_scaling(in->scale, 0, &d->mult, &d->shift))
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, in));
    n->data = d;
    n->kernel = &logistic16; /* the int16 eval, leaving the int8 path as it was */
    return TFL_OK;
}

static tfl_status_t eval16(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    const logistic16_data_t *d = (const logistic16_data_t *)n->data;
    const int16_t *x = (const int16_t *)in->data;
    int16_t *y = (int16_t *)out->data;
    const int32_t round = d->shift > 0 ? 1 << (d->shift - 1) : 0;
    uint32_t i, count = tfl_num_elements(in);
    for (i = 0; i < count; i++) {
        const int32_t v = (x[i] * d->mult + round) >> d->shift;
        const uint32_t a = (uint32_t)(v < 0 ? -v : v), hi = a >> 9;
        uint32_t r;
        if (hi >= 255) {
            r = 0x7FFFu << 10;
        } else {
            const uint32_t ua = tfl_ref_sigmoid_q16[hi], ub = tfl_ref_sigmoid_q16[hi + 1];
            r = (ua << 9) + (a & 0x1FF) * (ub - ua);
        }
        r = v >= 0 ? r + (1u << 9) : (1u << 25) - r + (1u << 9) - 1;
        y[i] = (int16_t)(r >> 10);
    }
    (void)ip;
    return TFL_OK;
}

static tfl_status_t prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    int8_t *table;
    tfl_status_t s;
    int32_t q;

    if ((s = tfl_check_type(ip, in, TFL_TYPE_INT8)) || (s = tfl_check_type(ip, out, TFL_TYPE_INT8)))
        return s;
    if (!tfl_same_shape(in, out))
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    if (out->zero_point != -128 || out->scale != 1.0f / 256)
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, out));
    table = (int8_t *)tfl_alloc_persistent(ip, 256);
    if (table == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    for (q = -128; q <= 127; q++) {
        float x = in->scale * (float)(q - in->zero_point);
        float y = 1.0f / (1.0f + expf(-x));
        float r = roundf(y * 256.0f);
        table[q + 128] = (int8_t)tfl_clamp((int32_t)r - 128, -128, 127);
    }
    n->data = table;
    return TFL_OK;
}

static tfl_status_t eval(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    const int8_t *table = (const int8_t *)n->data;
    const int8_t *x = (const int8_t *)in->data;
    int8_t *y = (int8_t *)out->data;
    uint32_t i, count = tfl_num_elements(in);
    for (i = 0; i < count; i++)
        y[i] = table[x[i] + 128];
    (void)ip;
    return TFL_OK;
}

static tfl_status_t prepare_wide(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    if (in != 0 && in->type == TFL_TYPE_INT16)
        return prepare16(ip, n, in, out);
    return prepare(ip, n);
}

const tfl_kernel_t tfl_ref_logistic = {TFL_OP_LOGISTIC, prepare_wide, eval};
/* int8 only (links no int16 code) */
const tfl_kernel_t tfl_ref_logistic_int8 = {TFL_OP_LOGISTIC, prepare, eval};
