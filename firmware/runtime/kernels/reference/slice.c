/* SLICE for 1-, 2- and 4-byte elements (int8, int16, int32, float32), up to 5-d as TFLM: begin and
 * size are int32 or int64 vectors (size -1: to the end of the axis), validated as TFLM does
 * (0 <= begin <= dim, 0 <= size <= dim - begin, output element count = product of the sizes).
 * TFLM validates in eval so that begin/size may be computed; here they must be constant. */
#include <string.h>

#include "elementwise.h"
#include "ref_kernels.h"

#define SL_DIMS 5

typedef struct {
    int32_t begin[SL_DIMS], size[SL_DIMS], stride[SL_DIMS];
    uint32_t elem;
} slice_data_t;

static int64_t vec_at(const tfl_tensor_t *t, int32_t i)
{
    return t->type == TFL_TYPE_INT64 ? tfl_rd_i64((const uint8_t *)t->data + 8 * i) : ((const int32_t *)t->data)[i];
}

static tfl_status_t prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_tensor_t *in = tfl_node_input(ip, n, 0), *bt = tfl_node_input(ip, n, 1), *st = tfl_node_input(ip, n, 2);
    tfl_tensor_t *out = tfl_node_output(ip, n, 0);
    slice_data_t *d;
    int32_t i, lead;
    int64_t count = 1;

    if (in == 0 || bt == 0 || st == 0 || out == 0 || n->n_inputs != 3)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    if (in->type != out->type ||
        !(in->type == TFL_TYPE_INT8 || in->type == TFL_TYPE_INT16 || in->type == TFL_TYPE_INT32 ||
          in->type == TFL_TYPE_FLOAT32))
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, out));
    if ((bt->type != TFL_TYPE_INT32 && bt->type != TFL_TYPE_INT64) || st->type != bt->type)
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, bt->type == st->type ? bt : st));
    if (!bt->is_const || !st->is_const)
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, bt->is_const ? st : bt));
    if (bt->ndim != 1 || st->ndim != 1 || bt->dims[0] != in->ndim || st->dims[0] != in->ndim || in->ndim > SL_DIMS)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, bt));
    d = (slice_data_t *)tfl_alloc_persistent(ip, sizeof(slice_data_t));
    if (d == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    d->elem = in->type == TFL_TYPE_INT8 ? 1 : (in->type == TFL_TYPE_INT16 ? 2 : 4);
    lead = SL_DIMS - in->ndim;
    for (i = 0; i < SL_DIMS; i++) {
        d->begin[i] = 0;
        d->size[i] = 1;
    }
    for (i = 0; i < in->ndim; i++) {
        int64_t b = vec_at(bt, i), sz = vec_at(st, i), rest;
        if (b < 0 || b > in->dims[i])
            return tfl_fail(ip, TFL_ERR_BAD_PARAMS, tfl_tensor_index(ip, bt));
        rest = in->dims[i] - b;
        if (sz == -1)
            sz = rest;
        if (sz < 0 || sz > rest)
            return tfl_fail(ip, TFL_ERR_BAD_PARAMS, tfl_tensor_index(ip, st));
        d->begin[lead + i] = (int32_t)b;
        d->size[lead + i] = (int32_t)sz;
        count *= sz;
    }
    if (count != (int64_t)tfl_num_elements(out))
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    d->stride[SL_DIMS - 1] = 1;
    for (i = SL_DIMS - 2; i >= 0; i--)
        d->stride[i] = d->stride[i + 1] * (i + 1 >= lead ? in->dims[i + 1 - lead] : 1);
    n->data = d;
    return TFL_OK;
}

static tfl_status_t eval(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    const slice_data_t *d = (const slice_data_t *)n->data;
    const uint8_t *x = (const uint8_t *)in->data;
    uint8_t *y = (uint8_t *)out->data;
    const uint32_t row = (uint32_t)d->size[4] * d->elem;
    int32_t i0, i1, i2, i3;

    for (i0 = d->begin[0]; i0 < d->begin[0] + d->size[0]; i0++)
        for (i1 = d->begin[1]; i1 < d->begin[1] + d->size[1]; i1++)
            for (i2 = d->begin[2]; i2 < d->begin[2] + d->size[2]; i2++)
                for (i3 = d->begin[3]; i3 < d->begin[3] + d->size[3]; i3++) {
                    int32_t src = i0 * d->stride[0] + i1 * d->stride[1] + i2 * d->stride[2] + i3 * d->stride[3] +
                                  d->begin[4];
                    memcpy(y, x + (uint32_t)src * d->elem, row);
                    y += row;
                }
    (void)ip;
    return TFL_OK;
}

const tfl_kernel_t tfl_ref_slice = {TFL_OP_SLICE, prepare, eval};
