/*
 * MEAN, int8, over the spatial axes {1, 2} of a 4-D NHWC tensor (global average pooling,
 * keep_dims either way): sum of (x - zp_in), rescaled by in_scale/out_scale, divided by
 * the element count rounding half away from zero.  Other axis sets are rejected.
 */
#include "tfl/kernel.h"
#include "ref_kernels.h"

typedef struct {
    int32_t mult, shift;
} mean_data_t;

static tfl_status_t prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_tensor_t *in = tfl_node_input(ip, n, 0), *axis = tfl_node_input(ip, n, 1), *out = tfl_node_output(ip, n, 0);
    mean_data_t *d;
    tfl_status_t s;
    uint32_t i, seen = 0;

    if ((s = tfl_check_type(ip, in, TFL_TYPE_INT8)) || (s = tfl_check_type(ip, out, TFL_TYPE_INT8)) ||
        (s = tfl_check_type(ip, axis, TFL_TYPE_INT32)) || (s = tfl_check_ndim(ip, in, 4)))
        return s;
    if (!axis->is_const)
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, axis));
    for (i = 0; i < tfl_num_elements(axis); i++) {
        int32_t a = ((const int32_t *)axis->data)[i];
        if (a < 0)
            a += 4;
        if (a != 1 && a != 2)
            return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, axis));
        seen |= 1u << a;
    }
    if (seen != 6u || tfl_num_elements(axis) != 2)
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, axis));
    if (tfl_num_elements(out) != (uint32_t)(in->dims[0] * in->dims[3]) || tfl_dim(out, -1) != in->dims[3])
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    d = (mean_data_t *)tfl_alloc_persistent(ip, sizeof(mean_data_t));
    if (d == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    tfl_quantize_multiplier((double)in->scale / (double)out->scale, &d->mult, &d->shift);
    n->data = d;
    return TFL_OK;
}

static tfl_status_t eval(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    const mean_data_t *d = (const mean_data_t *)n->data;
    const int8_t *x = (const int8_t *)in->data;
    int8_t *y = (int8_t *)out->data;
    const int32_t batches = in->dims[0], h = in->dims[1], w = in->dims[2], ch = in->dims[3];
    const int32_t count = h * w;
    int32_t b, c, i;

    for (b = 0; b < batches; b++) {
        for (c = 0; c < ch; c++) {
            int32_t acc = 0;
            for (i = 0; i < count; i++)
                acc += x[(b * count + i) * ch + c] - in->zero_point;
            acc = tfl_mbqm(acc, d->mult, d->shift);
            acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
            acc += out->zero_point;
            y[b * ch + c] = (int8_t)tfl_clamp(acc, -128, 127);
        }
    }
    (void)ip;
    return TFL_OK;
}

const tfl_kernel_t tfl_ref_mean = {TFL_OP_MEAN, prepare, eval};
