/*
 * LOG_SOFTMAX, int8 (output scale 16/256, zero point 127, as TFLite and TFLM require), in
 * gemmlowp-style fixed point: differences to the row maximum in Q5.26, exponentials summed in
 * Q12.19, log of the sum in Q5.26; out = (diff - log_sum) rounded to Q4.3, + 127.  Differences
 * below the representable range (the input radius, or less than log_sum - 32 mapped back to
 * the input's scale) give -128.
 */
#include <math.h>

#include "act_common.h"
#include "ref_kernels.h"

typedef struct {
    int32_t mult, shift, rev_mult, rev_shift, diff_min;
} log_softmax_data_t;

static tfl_status_t prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    log_softmax_data_t *d;
    tfl_status_t s;
    double real, max_real = 2147483647.0;

    if ((s = tfl_check_type(ip, in, TFL_TYPE_INT8)) || (s = tfl_check_type(ip, out, TFL_TYPE_INT8)))
        return s;
    if (!tfl_same_shape(in, out) || in->ndim < 1)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    if (out->scale != 16.0f / 256 || out->zero_point != 127)
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, out));
    d = (log_softmax_data_t *)tfl_alloc_persistent(ip, sizeof(log_softmax_data_t));
    if (d == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
#if TFL_SINGLE_ROUNDING
    max_real = 1073741823.0;
#endif
    real = (double)in->scale * (double)(1 << 26); /* beta = 1 */
    if (real > max_real)
        real = max_real;
    if (tfl_quantize_multiplier(real, &d->mult, &d->shift) || d->shift < 0 || d->mult == 0)
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, in));
    /* the inverse scaling, below one: maps Q5.26 values back to input steps */
    if (tfl_quantize_multiplier((double)(1LL << (31 - d->shift)) / (double)d->mult, &d->rev_mult, &d->rev_shift) ||
        d->rev_shift > 0)
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, in));
    d->diff_min = -tfl_ref_input_radius(5, d->shift);
    n->data = d;
    return TFL_OK;
}

static tfl_status_t eval(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    const log_softmax_data_t *d = (const log_softmax_data_t *)n->data;
    const int32_t depth = in->dims[in->ndim - 1];
    const uint32_t rows = tfl_num_elements(in) / (uint32_t)depth;
    uint32_t r;
    int32_t c;
    for (r = 0; r < rows; r++) {
        const int8_t *x = (const int8_t *)in->data + r * (uint32_t)depth;
        int8_t *y = (int8_t *)out->data + r * (uint32_t)depth;
        int32_t maxv = -128, sum = 0, log_sum, lim, adj;
        for (c = 0; c < depth; c++)
            maxv = x[c] > maxv ? x[c] : maxv;
        for (c = 0; c < depth; c++) {
            const int32_t diff = x[c] - maxv;
            if (diff >= d->diff_min)
                sum = tfl_fx_add(sum, tfl_rdbpot(tfl_fx_exp_neg(tfl_mbqm(diff, d->mult, d->shift), 5), 12));
        }
        log_sum = tfl_fx_log_q12_to_q5(sum);
        lim = tfl_mbqm(tfl_fx_add(log_sum, INT32_MIN), d->rev_mult, d->rev_shift);
        adj = d->diff_min - 1 > lim ? d->diff_min - 1 : lim;
        for (c = 0; c < depth; c++) {
            const int32_t diff = x[c] - maxv;
            int32_t v = -128;
            if (diff > adj)
                v = tfl_clamp(tfl_rdbpot(tfl_fx_sub(tfl_mbqm(diff, d->mult, d->shift), log_sum), 22) + 127, -128, 127);
            y[c] = (int8_t)v;
        }
    }
    (void)ip;
    return TFL_OK;
}

const tfl_kernel_t tfl_ref_log_softmax = {TFL_OP_LOG_SOFTMAX, prepare, eval};
