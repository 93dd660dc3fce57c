/*
 * SOFTMAX, int8 in, int8 out (scale 1/256, zero point -128), in gemmlowp-style fixed point:
 * differences to the row maximum are scaled to Q5.26, exponentiated with a Taylor kernel
 * plus a barrel of exp(-2^k) multipliers, summed in Q12.19, and divided via Newton-Raphson.
 * int8 in, int16 out (scale 1/65536, zero point -32768): the same, rounded to 16 bits (its own
 * eval, swapped in by prepare).  int16 in and out: softmax16.c.
 */
#include <math.h>

#include "tfl/kernel.h"
#include "act_common.h"
#include "ref_kernels.h"

static tfl_status_t eval_i8_i16(tfl_interp_t *ip, tfl_node_t *n);
static const tfl_kernel_t softmax_i8_i16 = {TFL_OP_SOFTMAX, 0, eval_i8_i16};

#define SCALED_DIFF_INT_BITS 5
#define ACCUM_INT_BITS 12

typedef tfl_ref_softmax_data_t softmax_data_t;

/* Fixed-point helpers; raw values are int32 with the integer bits noted in the names. */
static int32_t fx_mul(int32_t a, int32_t b) { return tfl_srdhm(a, b); }
static int32_t fx_add(int32_t a, int32_t b) { return (int32_t)((uint32_t)a + (uint32_t)b); }
static int32_t fx_sub(int32_t a, int32_t b) { return (int32_t)((uint32_t)a - (uint32_t)b); }

/* Multiply by 2^e with saturation (e > 0) or rounding (e < 0). */
static int32_t fx_mul_pot(int32_t x, int32_t e)
{
    if (e > 0) {
        const int32_t threshold = (int32_t)((1u << (31 - e)) - 1);
        if (x > threshold)
            return INT32_MAX;
        if (x < -threshold)
            return INT32_MIN;
        return (int32_t)((uint32_t)x << e);
    }
    if (e < 0)
        return tfl_rdbpot(x, -e);
    return x;
}

/* exp(a) for a in [-1/4, 0), Q0.31 in and out. */
static int32_t exp_quarter_interval(int32_t a)
{
    const int32_t exp_minus_eighth = 1895147668; /* exp(-1/8) in Q0.31 */
    const int32_t one_third = 715827883;         /* 1/3 in Q0.31 */
    int32_t x = fx_add(a, 1 << 28);              /* a + 1/8 */
    int32_t x2 = fx_mul(x, x);
    int32_t x3 = fx_mul(x2, x);
    int32_t x4 = fx_mul(x2, x2);
    int32_t x4_over_4 = fx_mul_pot(x4, -2);
    int32_t poly = fx_mul_pot(fx_add(fx_mul(fx_add(x4_over_4, x3), one_third), x2), -1);
    return fx_add(exp_minus_eighth, fx_mul(exp_minus_eighth, fx_add(x, poly)));
}

/* exp(a) for a <= 0 given in Q5.26; result in Q0.31. */
static int32_t exp_negative(int32_t a)
{
    /* exp(-2^k) in Q0.31 for k = -2 .. 4 */
    static const int32_t barrel[7] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
    const int32_t frac_bits = 31 - SCALED_DIFF_INT_BITS;
    const int32_t quarter = 1 << (frac_bits - 2);
    int32_t mod_minus_quarter = fx_sub(a & (quarter - 1), quarter);
    int32_t result = exp_quarter_interval(fx_mul_pot(mod_minus_quarter, SCALED_DIFF_INT_BITS));
    int32_t remainder = fx_sub(mod_minus_quarter, a);
    int32_t k;
    for (k = -2; k <= 4; k++) {
        if (SCALED_DIFF_INT_BITS > k && (remainder & (1 << (frac_bits + k))))
            result = fx_mul(result, barrel[k + 2]);
    }
    return a == 0 ? INT32_MAX : result;
}

/* 1 / (1 + x) for x in [0, 1), Q0.31 in and out (three Newton-Raphson steps in Q2.29). */
static int32_t one_over_one_plus_x(int32_t a)
{
    const int32_t c48_17 = 1515870810;      /* 48/17 in Q2.29 */
    const int32_t c_neg32_17 = -1010580540; /* -32/17 in Q2.29 */
    const int32_t one_q2 = 1 << 29;
    int64_t sum = (int64_t)a + INT32_MAX;
    int32_t half_den = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
    int32_t x = fx_add(c48_17, fx_mul(half_den, c_neg32_17));
    int i;
    for (i = 0; i < 3; i++) {
        int32_t hdx = fx_mul(half_den, x);
        int32_t one_minus = fx_sub(one_q2, hdx);
        x = fx_add(x, fx_mul_pot(fx_mul(x, one_minus), 2));
    }
    return fx_mul_pot(x, 1); /* Q2.29 halved is Q1.30 with the same bits; to Q0.31 */
}

static int32_t count_leading_zeros(uint32_t x)
{
    int32_t n = 0;
    if (x == 0)
        return 32;
    while (!(x & 0x80000000u)) {
        x <<= 1;
        n++;
    }
    return n;
}

/* int8 input; int8 output, or int16 output when `k16` (the eval for it) is given. */
static tfl_status_t prepare_common(tfl_interp_t *ip, tfl_node_t *n, const tfl_kernel_t *k16)
{
    tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    softmax_data_t *d;
    tfl_status_t s;
    double real, max_real = 2147483647.0, radius;
    float beta;

    if ((s = tfl_require_options(ip, n, TFL_OPT_SOFTMAX)) != TFL_OK)
        return s;
    if (k16 != 0 && out != 0 && out->type == TFL_TYPE_INT16) {
        if ((s = tfl_check_type(ip, in, TFL_TYPE_INT8)) || (s = tfl_check_type(ip, out, TFL_TYPE_INT16)))
            return s;
        if (out->zero_point != -32768 || fabsf(out->scale - 1.0f / 65536) > 0.001f / 65536)
            return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, out));
        n->kernel = k16;
    } else {
        if ((s = tfl_check_type(ip, in, TFL_TYPE_INT8)) || (s = tfl_check_type(ip, out, TFL_TYPE_INT8)))
            return s;
        if (out->zero_point != -128 || fabsf(out->scale - 1.0f / 256) > 0.001f / 256)
            return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, out));
    }
    if (!tfl_same_shape(in, out) || in->ndim < 1)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    d = (softmax_data_t *)tfl_alloc_persistent(ip, sizeof(softmax_data_t));
    if (d == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    beta = tfl_opt_f32(ip, n, 0, 0.0f);
#if TFL_SINGLE_ROUNDING
    max_real = 1073741823.0;
#endif
    real = (double)beta * (double)in->scale * (double)(1 << (31 - SCALED_DIFF_INT_BITS));
    if (real > max_real)
        real = max_real;
    if (tfl_quantize_multiplier(real, &d->mult, &d->left_shift) || !(real > 1.0) || d->left_shift < 0)
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, -1);
    radius = (double)((1 << SCALED_DIFF_INT_BITS) - 1) * (double)(1LL << (31 - SCALED_DIFF_INT_BITS)) /
             (double)(1LL << d->left_shift);
    d->diff_min = -(int32_t)floor(radius);
    n->data = d;
    return TFL_OK;
}

static tfl_status_t eval(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    const softmax_data_t *d = (const softmax_data_t *)n->data;
    const int8_t *x = (const int8_t *)in->data;
    int8_t *y = (int8_t *)out->data;
    const int32_t depth = in->dims[in->ndim - 1];
    const uint32_t rows = tfl_num_elements(in) / (uint32_t)depth;
    uint32_t r;
    int32_t c;

    for (r = 0; r < rows; r++) {
        const int8_t *xr = x + r * (uint32_t)depth;
        int8_t *yr = y + r * (uint32_t)depth;
        int32_t maxv = -128, sum = 0, headroom, bits_over_unit, scale;
        for (c = 0; c < depth; c++)
            maxv = xr[c] > maxv ? xr[c] : maxv;
        for (c = 0; c < depth; c++) {
            int32_t diff = xr[c] - maxv;
            if (diff >= d->diff_min) {
                int32_t scaled = tfl_srdhm((int32_t)((uint32_t)diff << d->left_shift), d->mult);
                sum = fx_add(sum, fx_mul_pot(exp_negative(scaled), -ACCUM_INT_BITS));
            }
        }
        headroom = count_leading_zeros((uint32_t)sum);
        bits_over_unit = ACCUM_INT_BITS - headroom;
        scale = one_over_one_plus_x((int32_t)(((uint32_t)sum << headroom) - (1u << 31)));
        for (c = 0; c < depth; c++) {
            int32_t diff = xr[c] - maxv;
            if (diff >= d->diff_min) {
                int32_t scaled = tfl_srdhm((int32_t)((uint32_t)diff << d->left_shift), d->mult);
                int32_t e = exp_negative(scaled);
                int32_t v = tfl_rdbpot(fx_mul(scale, e), bits_over_unit + 31 - 8) - 128;
                yr[c] = (int8_t)tfl_clamp(v, -128, 127);
            } else {
                yr[c] = -128;
            }
        }
    }
    (void)ip;
    return TFL_OK;
}

static tfl_status_t eval_i8_i16(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    const softmax_data_t *d = (const softmax_data_t *)n->data;
    const int8_t *x = (const int8_t *)in->data;
    int16_t *y = (int16_t *)out->data;
    const int32_t depth = in->dims[in->ndim - 1];
    const uint32_t rows = tfl_num_elements(in) / (uint32_t)depth;
    uint32_t r;
    int32_t c;

    for (r = 0; r < rows; r++) {
        const int8_t *xr = x + r * (uint32_t)depth;
        int16_t *yr = y + r * (uint32_t)depth;
        int32_t maxv = -128, sum = 0, headroom, bits_over_unit, scale;
        for (c = 0; c < depth; c++)
            maxv = xr[c] > maxv ? xr[c] : maxv;
        for (c = 0; c < depth; c++) {
            int32_t diff = xr[c] - maxv;
            if (diff >= d->diff_min) {
                int32_t scaled = tfl_srdhm((int32_t)((uint32_t)diff << d->left_shift), d->mult);
                sum = fx_add(sum, fx_mul_pot(exp_negative(scaled), -ACCUM_INT_BITS));
            }
        }
        headroom = count_leading_zeros((uint32_t)sum);
        bits_over_unit = ACCUM_INT_BITS - headroom;
        scale = one_over_one_plus_x((int32_t)(((uint32_t)sum << headroom) - (1u << 31)));
        for (c = 0; c < depth; c++) {
            int32_t diff = xr[c] - maxv;
            if (diff >= d->diff_min) {
                int32_t scaled = tfl_srdhm((int32_t)((uint32_t)diff << d->left_shift), d->mult);
                int32_t e = exp_negative(scaled);
                int32_t v = tfl_rdbpot(fx_mul(scale, e), bits_over_unit + 31 - 16) - 32768;
                yr[c] = (int16_t)tfl_clamp(v, -32768, 32767);
            } else {
                yr[c] = -32768;
            }
        }
    }
    (void)ip;
    return TFL_OK;
}

static tfl_status_t prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0);
    tfl_status_t s;
    if (in != 0 && in->type == TFL_TYPE_INT16) {
        if ((s = tfl_require_options(ip, n, TFL_OPT_SOFTMAX)) != TFL_OK)
            return s;
        return tfl_ref_softmax16_prepare(ip, n, tfl_opt_f32(ip, n, 0, 0.0f));
    }
    return prepare_common(ip, n, &softmax_i8_i16);
}
static tfl_status_t prepare_int8(tfl_interp_t *ip, tfl_node_t *n) { return prepare_common(ip, n, 0); }

const tfl_kernel_t tfl_ref_softmax = {TFL_OP_SOFTMAX, prepare, eval};
TFL_REF_EVAL(tfl_ref_softmax, eval)
/* int8 only: an op set without int16 models links none of the int16 code (as TFLM's
 * Register_SOFTMAX_INT8). */
const tfl_kernel_t tfl_ref_softmax_int8 = {TFL_OP_SOFTMAX, prepare_int8, eval};
