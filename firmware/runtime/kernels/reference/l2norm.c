/*
 * L2_NORMALIZATION, int8, no fused activation.  The output is written in scale 1/128, zero
 * point 0: LiteRT requires that quantization, TFLM does not check it (and writes the same
 * values whatever the output's parameters), so other output parameters are accepted as TFLM does.  Per row along the last axis: the int32 sum of squares of x - zp, its
 * inverse square root as a Q31 multiplier and shift (Newton-Raphson in Q3.28, five steps, as
 * TFLite's GetInvSqrtQuantizedMultiplierExp), and each x - zp times it, rounded to Q0.7.
 */
#include <math.h>

#include "act_common.h"
#include "ref_kernels.h"

typedef struct {
    int32_t zp;
} l2norm_data_t;

/* 1/sqrt(v) as (multiplier, left shift) for tfl_mbqm. */
static void inv_sqrt(int32_t v, int32_t *mult, int32_t *shift)
{
    const int32_t three_halves = (1 << 28) + (1 << 27), half_sqrt2 = 1518500250;
    int32_t right = 11, pairs, x, half, i;
    if (v <= 1) {
        *mult = INT32_MAX;
        *shift = 0;
        return;
    }
    while (v >= (1 << 29)) {
        v /= 4;
        right++;
    }
    pairs = (tfl_ref_clz32((uint32_t)v) - 1) / 2 - 1;
    right -= pairs;
    v <<= 2 * pairs;
    half = tfl_rdbpot(v >> 1, 1); /* v/2 in Q3.28 */
    x = 1 << 28;                  /* 1.0 in Q3.28 */
    for (i = 0; i < 5; i++) {
        const int32_t x3 = tfl_fx_mul_pot(tfl_srdhm(tfl_srdhm(x, x), x), 6);
        x = tfl_fx_mul_pot(tfl_fx_sub(tfl_srdhm(three_halves, x), tfl_srdhm(half, x3)), 3);
    }
    x = tfl_srdhm(x, half_sqrt2);
    if (right < 0) {
        x = (int32_t)((uint32_t)x << -right);
        right = 0;
    }
    *mult = x;
    *shift = -right;
}

static tfl_status_t prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    l2norm_data_t *d;
    tfl_status_t s;
    if ((s = tfl_check_type(ip, in, TFL_TYPE_INT8)) || (s = tfl_check_type(ip, out, TFL_TYPE_INT8)))
        return s;
    if (!tfl_same_shape(in, out) || in->ndim < 1 || in->ndim > 4)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    if (tfl_opt_i32(ip, n, 0, 1, 0) != TFL_ACT_NONE)
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, -1);
    d = (l2norm_data_t *)tfl_alloc_persistent(ip, sizeof(l2norm_data_t));
    if (d == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    d->zp = in->zero_point;
    n->data = d;
    return TFL_OK;
}

static tfl_status_t eval(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    const l2norm_data_t *d = (const l2norm_data_t *)n->data;
    const int32_t depth = in->dims[in->ndim - 1];
    const uint32_t rows = tfl_num_elements(in) / (uint32_t)depth;
    uint32_t r;
    int32_t c, m, sh;
    for (r = 0; r < rows; r++) {
        const int8_t *x = (const int8_t *)in->data + r * (uint32_t)depth;
        int8_t *y = (int8_t *)out->data + r * (uint32_t)depth;
        uint32_t acc = 0;
        for (c = 0; c < depth; c++) {
            const int32_t v = x[c] - d->zp;
            acc += (uint32_t)(v * v);
        }
        inv_sqrt((int32_t)acc, &m, &sh);
        for (c = 0; c < depth; c++)
            y[c] = (int8_t)tfl_clamp(tfl_mbqm(x[c] - d->zp, m, sh + 7), -128, 127);
    }
    (void)ip;
    return TFL_OK;
}

const tfl_kernel_t tfl_ref_l2_normalization = {TFL_OP_L2_NORMALIZATION, prepare, eval};
