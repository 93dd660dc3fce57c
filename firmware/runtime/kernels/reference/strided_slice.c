/* STRIDED_SLICE for 1-, 2- and 4-byte elements (int8, int16, int32, float32), up to 4-d as TFLM.
 * begin/end/strides are constant int32 vectors; begin_mask, end_mask and shrink_axis_mask apply;
 * TFLM ignores ellipsis_mask, new_axis_mask and offset (its parameters hold them as 0), and so does
 * this kernel.  Prepare checks the output shape the way TFLM's does. */
#include <string.h>

#include "elementwise.h"
#include "ref_kernels.h"

#define SS_DIMS 4

typedef struct {
    int32_t start[SS_DIMS], stop[SS_DIMS], step[SS_DIMS], in_stride[SS_DIMS];
    uint32_t elem;
} strided_slice_data_t;

static int32_t clamp_index(int32_t v, int32_t lo, int32_t hi)
{
    return v > hi ? hi : (v < lo ? lo : v);
}

static int32_t start_for_axis(int32_t begin, int32_t step, int32_t size, int masked)
{
    if (begin < 0)
        begin += size;
    begin = step > 0 ? clamp_index(begin, 0, size) : clamp_index(begin, -1, size - 1);
    if (masked)
        begin = step > 0 ? 0 : size - 1;
    return begin;
}

static int32_t stop_for_axis(int32_t end, int32_t step, int32_t size, int masked)
{
    if (end < 0)
        end += size;
    end = step > 0 ? clamp_index(end, 0, size) : clamp_index(end, -1, size - 1);
    if (masked)
        end = step > 0 ? size : -1;
    return end;
}

static uint32_t element_size(uint8_t type)
{
    switch (type) {
    case TFL_TYPE_INT8:
        return 1;
    case TFL_TYPE_INT16:
        return 2;
    case TFL_TYPE_INT32:
    case TFL_TYPE_FLOAT32:
        return 4;
    default:
        return 0;
    }
}

static tfl_status_t prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    tfl_tensor_t *vec[3];
    strided_slice_data_t *d;
    int32_t begin_mask, end_mask, shrink_mask, i, k, lead, out_dim = 0;
    tfl_status_t s;

    if (in == 0 || out == 0 || n->n_inputs != 4)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    for (k = 0; k < 3; k++) {
        vec[k] = tfl_node_input(ip, n, (uint32_t)k + 1);
        if ((s = tfl_check_type(ip, vec[k], TFL_TYPE_INT32)) != TFL_OK)
            return s;
        if (!vec[k]->is_const) /* TFLM: non-constant begin/end/strides are not supported */
            return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, vec[k]));
        if (vec[k]->ndim != 1 || vec[k]->dims[0] != in->ndim)
            return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, vec[k]));
    }
    if (element_size(in->type) == 0 || in->type != out->type)
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, element_size(in->type) ? out : in));
    if (in->ndim > SS_DIMS)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, in));
    if (n->options.pos != 0 && n->options_type != TFL_OPT_STRIDED_SLICE)
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, -1);
    begin_mask = tfl_opt_i32(ip, n, 0, 4, 0);
    end_mask = tfl_opt_i32(ip, n, 1, 4, 0);
    shrink_mask = tfl_opt_i32(ip, n, 4, 4, 0);
    d = (strided_slice_data_t *)tfl_alloc_persistent(ip, sizeof(strided_slice_data_t));
    if (d == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    d->elem = element_size(in->type);
    lead = SS_DIMS - in->ndim;
    for (k = 0; k < lead; k++) { /* leading axes: the whole (size 1) axis */
        d->start[k] = 0;
        d->stop[k] = 1;
        d->step[k] = 1;
    }
    for (i = 0; i < in->ndim; i++) {
        const int32_t size = in->dims[i];
        int32_t b = ((const int32_t *)vec[0]->data)[i], e = ((const int32_t *)vec[1]->data)[i];
        int32_t st = ((const int32_t *)vec[2]->data)[i], start, stop, count;
        const int shrink = (shrink_mask >> i) & 1;
        if (st == 0)
            return tfl_fail(ip, TFL_ERR_BAD_PARAMS, tfl_tensor_index(ip, vec[2]));
        start = start_for_axis(b, st, size, (begin_mask >> i) & 1);
        if (shrink)
            stop = start >= size ? start : start + 1;
        else
            stop = stop_for_axis(e, st, size, (end_mask >> i) & 1);
        /* output size check: TFLM's prepare takes begin + 1 as the end of a shrunk axis */
        {
            int64_t span = (int64_t)(shrink ? start + 1 : stop) - start;
            int64_t c = st > 0 ? (span + st - 1) / st : (span + st + 1) / st;
            if (span == 0 || (span > 0) != (st > 0))
                c = 0;
            count = (int32_t)c;
        }
        if (!shrink) {
            if (out_dim >= out->ndim || out->dims[out_dim] != count)
                return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
            out_dim++;
        }
        d->start[lead + i] = start;
        d->stop[lead + i] = stop;
        d->step[lead + i] = st;
    }
    if (out_dim != out->ndim)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    d->in_stride[SS_DIMS - 1] = 1;
    for (k = SS_DIMS - 2; k >= 0; k--)
        d->in_stride[k] = d->in_stride[k + 1] * (k + 1 >= lead ? in->dims[k + 1 - lead] : 1);
    n->data = d;
    return TFL_OK;
}

static int more(int32_t i, int32_t stop, int32_t step)
{
    return step > 0 ? i < stop : i > stop;
}

static tfl_status_t eval(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    const strided_slice_data_t *d = (const strided_slice_data_t *)n->data;
    const uint8_t *x = (const uint8_t *)in->data;
    uint8_t *y = (uint8_t *)out->data;
    uint32_t w = 0, cap = out->bytes;
    int32_t i0, i1, i2, i3;

    for (i0 = d->start[0]; more(i0, d->stop[0], d->step[0]); i0 += d->step[0])
        for (i1 = d->start[1]; more(i1, d->stop[1], d->step[1]); i1 += d->step[1])
            for (i2 = d->start[2]; more(i2, d->stop[2], d->step[2]); i2 += d->step[2])
                for (i3 = d->start[3]; more(i3, d->stop[3], d->step[3]); i3 += d->step[3]) {
                    int32_t src = i0 * d->in_stride[0] + i1 * d->in_stride[1] + i2 * d->in_stride[2] + i3;
                    if (w + d->elem > cap)
                        return TFL_OK;
                    memcpy(y + w, x + (uint32_t)src * d->elem, d->elem);
                    w += d->elem;
                }
    (void)ip;
    return TFL_OK;
}

const tfl_kernel_t tfl_ref_strided_slice = {TFL_OP_STRIDED_SLICE, prepare, eval};
