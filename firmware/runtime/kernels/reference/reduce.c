/*
 * SUM, REDUCE_MAX, REDUCE_MIN (int8, int16) and MEAN's int16 path, over any constant set of
 * axes, keep_dims either way.
 *
 * MAX / MIN: the extreme raw value (input and output must share scale and zero point, as TFLM
 * requires).  SUM and int16 MEAN as TFLM (measured: its int16 results are those of the integer
 * form, not of the float formula in older TFLite sources): the raw int32 sum minus
 * zp_in * count, times QuantizeMultiplier(in_s / out_s) with double rounding (MEAN: with 1/count
 * folded into the multiplier as in mean.c), plus zp_out, saturated to the output type.
 */
#include <math.h>

#include "act_common.h"
#include "ref_kernels.h"

enum { RED_SUM, RED_MAX, RED_MIN, RED_MEAN };

typedef struct {
    int32_t kind, count, zp_in, zp_out, mult, shift;
    int32_t dims[TFL_MAX_DIMS];    /* input dims, left-padded with 1 */
    int32_t strides[TFL_MAX_DIMS]; /* input element strides */
    uint32_t reduced;              /* bit i: axis i (of the padded dims) is reduced */
    uint8_t is16;
} reduce_data_t;

static tfl_status_t eval(tfl_interp_t *ip, tfl_node_t *n);
static const tfl_kernel_t mean16 = {TFL_OP_MEAN, 0, eval};

tfl_status_t tfl_ref_reduce_prepare(tfl_interp_t *ip, tfl_node_t *n, int32_t kind)
{
    tfl_tensor_t *in = tfl_node_input(ip, n, 0), *axis = tfl_node_input(ip, n, 1), *out = tfl_node_output(ip, n, 0);
    reduce_data_t *d;
    tfl_status_t s;
    uint32_t i, kept = 1;
    int32_t lead, k, stride = 1;

    if (in == 0 || axis == 0 || out == 0)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, -1);
    if (in->type != TFL_TYPE_INT8 && in->type != TFL_TYPE_INT16)
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, in));
    if ((s = tfl_check_type(ip, in, in->type)) || (s = tfl_check_type(ip, out, in->type)) ||
        (s = tfl_check_type(ip, axis, TFL_TYPE_INT32)))
        return s;
    if (!axis->is_const)
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, axis));
    if (!(in->scale > 0.0f) || !(out->scale > 0.0f) || isinf(in->scale) || isinf(out->scale))
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, in->scale > 0.0f ? out : in));
    if ((kind == RED_MAX || kind == RED_MIN) && (in->scale != out->scale || in->zero_point != out->zero_point))
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, out));
    d = (reduce_data_t *)tfl_alloc_persistent(ip, sizeof(reduce_data_t));
    if (d == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    lead = TFL_MAX_DIMS - in->ndim;
    d->reduced = 0;
    for (i = 0; i < tfl_num_elements(axis); i++) {
        int32_t a = ((const int32_t *)axis->data)[i];
        if (a < 0)
            a += in->ndim;
        if (a < 0 || a >= in->ndim)
            return tfl_fail(ip, TFL_ERR_BAD_PARAMS, tfl_tensor_index(ip, axis));
        d->reduced |= 1u << (lead + a);
    }
    d->count = 1;
    for (k = TFL_MAX_DIMS - 1; k >= 0; k--) {
        d->dims[k] = k >= lead ? in->dims[k - lead] : 1;
        d->strides[k] = stride;
        stride *= d->dims[k];
        if (d->reduced & (1u << k))
            d->count *= d->dims[k];
        else
            kept *= (uint32_t)d->dims[k];
    }
    if (tfl_num_elements(out) != kept)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    d->kind = kind;
    d->is16 = in->type == TFL_TYPE_INT16;
    d->zp_in = in->zero_point;
    d->zp_out = out->zero_point;
    if (tfl_quantize_multiplier((double)in->scale / (double)out->scale, &d->mult, &d->shift))
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, tfl_tensor_index(ip, out));
    if (kind == RED_MEAN) { /* fold 1/count in, keeping the shift within MBQM's range (as mean.c) */
        int32_t sh = 0;
        while (sh < 32 && ((int64_t)1 << (sh + 1)) <= d->count)
            sh++;
        if (sh > 31 + d->shift)
            sh = 31 + d->shift;
        d->mult = (int32_t)(((int64_t)d->mult << sh) / d->count);
        d->shift -= sh;
    }
    n->data = d;
    if (kind == RED_MEAN)
        n->kernel = &mean16;
    return TFL_OK;
}

static tfl_status_t eval(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    const reduce_data_t *d = (const reduce_data_t *)n->data;
    const int32_t lo = d->is16 ? -32768 : -128, hi = d->is16 ? 32767 : 127;
    int32_t oidx[TFL_MAX_DIMS] = {0};
    uint32_t o, total = tfl_num_elements(out);
    int32_t k;

    for (o = 0; o < total; o++) {
        int32_t ridx[TFL_MAX_DIMS] = {0};
        int32_t base = 0, acc, c, v;
        for (k = 0; k < TFL_MAX_DIMS; k++)
            base += oidx[k] * d->strides[k];
        acc = d->kind == RED_MAX ? lo : (d->kind == RED_MIN ? hi : 0);
        for (c = 0; c < d->count; c++) {
            int32_t off = base;
            for (k = 0; k < TFL_MAX_DIMS; k++)
                off += ridx[k] * d->strides[k];
            v = d->is16 ? ((const int16_t *)in->data)[off] : ((const int8_t *)in->data)[off];
            if (d->kind == RED_MAX)
                acc = v > acc ? v : acc;
            else if (d->kind == RED_MIN)
                acc = v < acc ? v : acc;
            else
                acc = (int32_t)((uint32_t)acc + (uint32_t)v);
            for (k = TFL_MAX_DIMS - 1; k >= 0; k--) {
                if (!(d->reduced & (1u << k)))
                    continue;
                if (++ridx[k] < d->dims[k])
                    break;
                ridx[k] = 0;
            }
        }
        if (d->kind == RED_SUM || d->kind == RED_MEAN) {
            acc = (int32_t)((int64_t)acc - (int64_t)d->zp_in * d->count);
            acc = tfl_clamp(tfl_mbqm(acc, d->mult, d->shift) + d->zp_out, lo, hi);
        }
        if (d->is16)
            ((int16_t *)out->data)[o] = (int16_t)acc;
        else
            ((int8_t *)out->data)[o] = (int8_t)acc;
        for (k = TFL_MAX_DIMS - 1; k >= 0; k--) {
            if (d->reduced & (1u << k))
                continue;
            if (++oidx[k] < d->dims[k])
                break;
            oidx[k] = 0;
        }
    }
    (void)ip;
    return TFL_OK;
}

static tfl_status_t prepare_sum(tfl_interp_t *ip, tfl_node_t *n) { return tfl_ref_reduce_prepare(ip, n, RED_SUM); }
static tfl_status_t prepare_max(tfl_interp_t *ip, tfl_node_t *n) { return tfl_ref_reduce_prepare(ip, n, RED_MAX); }
static tfl_status_t prepare_min(tfl_interp_t *ip, tfl_node_t *n) { return tfl_ref_reduce_prepare(ip, n, RED_MIN); }

const tfl_kernel_t tfl_ref_sum = {TFL_OP_SUM, prepare_sum, eval};
const tfl_kernel_t tfl_ref_reduce_max = {TFL_OP_REDUCE_MAX, prepare_max, eval};
const tfl_kernel_t tfl_ref_reduce_min = {TFL_OP_REDUCE_MIN, prepare_min, eval};
