/*
 * TANH, int8 and int16, as TFLM's kernel.
 *
 * int8: x - zp_in outside +-radius saturates; inside it is rescaled to Q4.27 (multiplier from
 * frexp of in_s * 2^27) and run through gemmlowp's fixed-point tanh; the Q0.31 result is
 * rounded to Q0.7 (output scale 1/128, zero point 0 assumed: TFLM does not check the
 * output's quantization, LiteRT requires exactly that).
 * int16: zero points 0, output scale 2^-15; the input is rescaled so that 2^17 represents
 * 10.7 (a power-of-two input scale uses the multiplier 3 << shift) and looked up in the
 * 256-entry sigmoid table with 8-bit linear interpolation (tanh(x) = 2 sigmoid(2x) - 1).
 */
#include <math.h>

#include "act_common.h"
#include "ref_kernels.h"

typedef struct {
    int32_t zp, radius, mult, shift;
    uint8_t is16;
} tanh_data_t;

/* int16 TANH/LOGISTIC input rescaling (shared with logistic.c through the same rule): TFLM
 * takes the power-of-two path when the shift it implies is in [0, max_pot_shift]. */
int32_t tfl_ref_lut_input_scaling(float scale, int32_t max_pot_shift, int32_t *mult, int32_t *shift)
{
    int32_t l2;
    int pot = tfl_ref_checked_log2(scale, &l2);
    double m;
    *shift = 12 + l2;
    if (pot && *shift >= 0 && *shift <= max_pot_shift) {
        *mult = 3 << *shift; /* the kernel's power-of-two case, folded here */
        *shift = 0;
        return 0;
    }
    m = (double)scale * 4096.0 * 3.0;
    *shift = 0;
    while (m <= 32767.0 / 2.0 && *shift <= 30) {
        (*shift)++;
        m *= 2.0;
    }
    *mult = (int32_t)m;
    return *mult > 32767; /* TFLM only debug-checks this; such scales overflow its arithmetic */
}

static tfl_status_t prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    tanh_data_t *d;
    tfl_status_t s;
    int32_t l2;

    if (in == 0 || out == 0)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, -1);
    if (in->type != TFL_TYPE_INT8 && in->type != TFL_TYPE_INT16)
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, in));
    if ((s = tfl_check_type(ip, in, in->type)) || (s = tfl_check_type(ip, out, in->type)))
        return s;
    if (!tfl_same_shape(in, out))
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    if (!(in->scale > 0.0f) || isinf(in->scale))
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, in));
    d = (tanh_data_t *)tfl_alloc_persistent(ip, sizeof(tanh_data_t));
    if (d == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    d->is16 = in->type == TFL_TYPE_INT16;
    d->zp = in->zero_point;
    if (!d->is16) {
        int e = 0;
        const double q = frexp((double)in->scale * (double)(1 << 27), &e);
        int64_t m = (int64_t)round(q * 2147483648.0);
        if (m == ((int64_t)1 << 31)) {
            m /= 2;
            e++;
        }
        if (e > 30 || e < -31)
            return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, in));
        d->mult = (int32_t)m;
        d->shift = e;
        d->radius = tfl_ref_input_radius(4, e);
    } else {
        if (in->zero_point != 0)
            return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, in));
        if (out->zero_point != 0 || !tfl_ref_checked_log2(out->scale, &l2) || l2 != -15)
            return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, out));
        if (tfl_ref_lut_input_scaling(in->scale, 1, &d->mult, &d->shift))
            return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, in));
    }
    n->data = d;
    return TFL_OK;
}

static int16_t tanh16(const tanh_data_t *d, int32_t x)
{
    const int32_t round = d->shift > 0 ? 1 << (d->shift - 1) : 0;
    const int32_t v = (x * d->mult + round) >> d->shift;
    const uint32_t a = (uint32_t)(v < 0 ? -v : v), hi = a >> 8;
    int32_t r;
    if (hi >= 255) {
        r = 0xFFFF << 8;
    } else {
        const uint32_t ua = tfl_ref_sigmoid_q16[hi], ub = tfl_ref_sigmoid_q16[hi + 1];
        r = (int32_t)((ua << 8) + (a & 0xFF) * (ub - ua));
    }
    r = v >= 0 ? r - (1 << 23) + (1 << 7) : -r + (1 << 23) + (1 << 7) - 1;
    return (int16_t)(r >> 8);
}

static tfl_status_t eval(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    const tanh_data_t *d = (const tanh_data_t *)n->data;
    const uint32_t count = tfl_num_elements(in);
    uint32_t i;
    if (d->is16) {
        const int16_t *x = (const int16_t *)in->data;
        int16_t *y = (int16_t *)out->data;
        for (i = 0; i < count; i++)
            y[i] = tanh16(d, x[i]);
    } else {
        const int8_t *x = (const int8_t *)in->data;
        int8_t *y = (int8_t *)out->data;
        for (i = 0; i < count; i++) {
            const int32_t v = x[i] - d->zp;
            int32_t r;
            if (v <= -d->radius)
                r = -128;
            else if (v >= d->radius)
                r = 127;
            else
                r = tfl_clamp(tfl_rdbpot(tfl_fx_tanh(tfl_mbqm(v, d->mult, d->shift), 4), 24), -128, 127);
            y[i] = (int8_t)r;
        }
    }
    (void)ip;
    return TFL_OK;
}

const tfl_kernel_t tfl_ref_tanh = {TFL_OP_TANH, prepare, eval};
