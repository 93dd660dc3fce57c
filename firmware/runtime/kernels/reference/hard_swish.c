/* HARD_SWISH, int8 (TFLM has no int16 hard swish): x * relu6(x + 3) / 6 in 16-bit fixed point.
 * The input difference is shifted left by 7 ("hires" scale in_s/128); one Q15 multiplier takes it
 * to the output scale (before a final rounding right shift), another to a "reluish" scale where
 * 3.0 is 32768, which is saturated to [-1, 1], mapped to [0, 1] and multiplied in with a doubling
 * high multiply that truncates (not rounds).  Multipliers: float quotients widened to double,
 * quantized, then reduced to 16 bits. */
#include "elementwise.h"
#include "ref_kernels.h"

typedef struct {
    int32_t in_zp, out_zp, out_mult16, out_exp, relu_mult16, relu_exp;
} hard_swish_data_t;

/* Q31 multiplier -> Q15, rounding; saturates near the top as TFLite does. */
static int32_t to_q15(int32_t m)
{
    if (m >= INT32_MAX - (1 << 15))
        return 32767;
    return (m + (1 << 15)) >> 16;
}

static int16_t srdhm16(int16_t a, int16_t b)
{
    int32_t ab = (int32_t)a * b, nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
    if (a == b && a == INT16_MIN)
        return INT16_MAX;
    return (int16_t)((ab + nudge) / (1 << 15));
}

/* Doubling high multiply rounding toward zero. */
static int16_t sdhm16(int16_t a, int16_t b)
{
    if (a == b && a == INT16_MIN)
        return INT16_MAX;
    return (int16_t)(((int32_t)a * b) / (1 << 15));
}

static int16_t rdbpot16(int16_t x, int32_t exponent)
{
    const int16_t mask = (int16_t)(((int64_t)1 << exponent) - 1);
    const int16_t remainder = (int16_t)(x & mask);
    const int16_t threshold = (int16_t)((mask >> 1) + (x < 0 ? 1 : 0));
    return (int16_t)((x >> (exponent > 15 ? 15 : exponent)) + (remainder > threshold ? 1 : 0));
}

static int16_t sat_left_shift16(int16_t v, int32_t amount)
{
    int64_t r = (int64_t)v * ((int64_t)1 << amount);
    return (int16_t)(r > INT16_MAX ? INT16_MAX : (r < INT16_MIN ? INT16_MIN : r));
}

static tfl_status_t prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    hard_swish_data_t *d;
    tfl_status_t s;
    float hires;
    int32_t q;

    if ((s = tfl_check_type(ip, in, TFL_TYPE_INT8)) || (s = tfl_check_type(ip, out, TFL_TYPE_INT8)))
        return s;
    if (!tfl_same_shape(in, out))
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    d = (hard_swish_data_t *)tfl_alloc_persistent(ip, sizeof(hard_swish_data_t));
    if (d == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    d->in_zp = in->zero_point;
    d->out_zp = out->zero_point;
    hires = (1.0f / 128.0f) * in->scale;
    if (tfl_quantize_multiplier((double)(hires / out->scale), &q, &d->out_exp) || d->out_exp > 0)
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, tfl_tensor_index(ip, out)); /* TFLM: exponent <= 0 */
    d->out_mult16 = to_q15(q);
    if (tfl_quantize_multiplier((double)(hires / (3.0f / 32768.0f)), &q, &d->relu_exp))
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, tfl_tensor_index(ip, in));
    d->relu_mult16 = to_q15(q);
    n->data = d;
    return TFL_OK;
}

static tfl_status_t eval(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    const hard_swish_data_t *d = (const hard_swish_data_t *)n->data;
    const int8_t *x = (const int8_t *)in->data;
    int8_t *y = (int8_t *)out->data;
    uint32_t i, total = tfl_num_elements(out);

    for (i = 0; i < total; i++) {
        const int16_t hires = (int16_t)((x[i] - d->in_zp) * 128);
        const int16_t pre_out = srdhm16(hires, (int16_t)d->out_mult16);
        int16_t relu = hires, v;
        int32_t r;
        if (d->relu_exp > 0)
            relu = sat_left_shift16(relu, d->relu_exp - 1);
        relu = srdhm16(relu, (int16_t)d->relu_mult16);
        if (d->relu_exp > 0)
            relu = sat_left_shift16(relu, 1);
        if (d->relu_exp < 0)
            relu = rdbpot16(relu, -d->relu_exp);
        relu = (int16_t)((relu + (1 << 15)) >> 1);
        v = rdbpot16(sdhm16(relu, pre_out), -d->out_exp);
        r = (int32_t)(int16_t)(v + d->out_zp);
        y[i] = (int8_t)tfl_clamp(r, -128, 127);
    }
    (void)ip;
    return TFL_OK;
}

const tfl_kernel_t tfl_ref_hard_swish = {TFL_OP_HARD_SWISH, prepare, eval};
