/*
 * MEAN, int8, over any constant set of axes (keep_dims either way).  The int32 sum of the
 * raw inputs is corrected by zp_in * count and rescaled by one multiplier that folds
 * in_scale / out_scale and 1 / count together (count divided into the Q31 significand).
 */
#include "tfl/kernel.h"
#include "act_common.h"
#include "ref_kernels.h"

typedef struct {
    int32_t mult, shift, count;
    int32_t dims[TFL_MAX_DIMS];    /* input dims, left-padded with 1 */
    int32_t strides[TFL_MAX_DIMS]; /* input element strides */
    uint32_t reduced;              /* bit i: axis i (of the padded dims) is reduced */
} mean_data_t;

static int32_t clz64(uint64_t x)
{
    int32_t n = 0;
    if (x == 0)
        return 64;
    while (!(x & ((uint64_t)1 << 63))) {
        x <<= 1;
        n++;
    }
    return n;
}

static tfl_status_t prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_tensor_t *in = tfl_node_input(ip, n, 0), *axis = tfl_node_input(ip, n, 1), *out = tfl_node_output(ip, n, 0);
    mean_data_t *d;
    tfl_status_t s;
    uint32_t i, kept = 1;
    int32_t lead, k, stride = 1, m, sh, pre;

    if ((s = tfl_check_type(ip, in, TFL_TYPE_INT8)) || (s = tfl_check_type(ip, out, TFL_TYPE_INT8)) ||
        (s = tfl_check_type(ip, axis, TFL_TYPE_INT32)))
        return s;
    if (!axis->is_const)
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, axis));
    d = (mean_data_t *)tfl_alloc_persistent(ip, sizeof(mean_data_t));
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
    if (tfl_num_elements(out) != kept) /* kept and count are factors of a validated element count */
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    if (tfl_quantize_multiplier((double)in->scale / (double)out->scale, &m, &pre))
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, tfl_tensor_index(ip, out));
    /* fold 1/count into the multiplier, keeping the shift within MBQM's range */
    sh = 63 - clz64((uint64_t)d->count);
    if (sh > 32)
        sh = 32;
    if (sh > 31 + pre)
        sh = 31 + pre;
    d->mult = (int32_t)(((int64_t)m << sh) / d->count);
    d->shift = pre - sh;
    n->data = d;
    return TFL_OK;
}

static tfl_status_t eval(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    const mean_data_t *d = (const mean_data_t *)n->data;
    const int8_t *x = (const int8_t *)in->data;
    int8_t *y = (int8_t *)out->data;
    int32_t oidx[TFL_MAX_DIMS] = {0};
    uint32_t o, total = tfl_num_elements(out);
    int32_t k;

    for (o = 0; o < total; o++) {
        int32_t ridx[TFL_MAX_DIMS] = {0};
        int32_t base = 0, sum = 0, c, v;
        for (k = 0; k < TFL_MAX_DIMS; k++)
            base += oidx[k] * d->strides[k];
        for (c = 0; c < d->count; c++) {
            int32_t off = base;
            for (k = 0; k < TFL_MAX_DIMS; k++)
                off += ridx[k] * d->strides[k];
            sum = (int32_t)((uint32_t)sum + (uint32_t)(int32_t)x[off]);
            for (k = TFL_MAX_DIMS - 1; k >= 0; k--) {
                if (!(d->reduced & (1u << k)))
                    continue;
                if (++ridx[k] < d->dims[k])
                    break;
                ridx[k] = 0;
            }
        }
        v = (int32_t)((int64_t)sum - (int64_t)in->zero_point * d->count);
        v = tfl_mbqm(v, d->mult, d->shift) + out->zero_point;
        y[o] = (int8_t)tfl_clamp(v, -128, 127);
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

static tfl_status_t prepare_wide(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0);
    if (in != 0 && in->type == TFL_TYPE_INT16)
        return tfl_ref_reduce_prepare(ip, n, 3); /* reduce.c: MEAN's int16 path */
    return prepare(ip, n);
}

const tfl_kernel_t tfl_ref_mean = {TFL_OP_MEAN, prepare_wide, eval};
TFL_REF_EVAL(tfl_ref_mean, eval)
/* int8 only (links no int16 code) */
const tfl_kernel_t tfl_ref_mean_int8 = {TFL_OP_MEAN, prepare, eval};
