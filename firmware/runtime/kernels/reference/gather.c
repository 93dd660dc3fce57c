/*
 * GATHER (axis, batch_dims) and GATHER_ND: slices of the params picked by int32 indices.
 * Types as TFLM: int8 and float32 params, int32 indices.  An index outside the params fails
 * the invocation (TFL_ERR_BAD_PARAMS naming the index tensor), as TFLM's eval does.
 */
#include <string.h>

#include "ref_kernels.h"
#include "shape_util.h"

enum { OPT_GATHER = 23 };

typedef struct {
    uint32_t batch, outer, axis_size, coords, inner; /* GATHER; GATHER_ND: coords = #indices, axis = depth */
    uint32_t esize;
    int32_t dims[TFL_MAX_DIMS]; /* GATHER_ND: element strides of the indexed leading dims */
} gather_data_t;

static tfl_status_t gather_prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_tensor_t *in = tfl_node_input(ip, n, 0), *pos = tfl_node_input(ip, n, 1), *out = tfl_node_output(ip, n, 0);
    int32_t axis = tfl_shape_opt(ip, n, OPT_GATHER, 0, 4, 0), bd = tfl_shape_opt(ip, n, OPT_GATHER, 1, 4, 0), k, j = 0;
    gather_data_t *d;
    tfl_status_t s;
    if ((s = tfl_shape_check_same(ip, in, out)) != TFL_OK ||
        (s = tfl_shape_check_type(ip, in, TFL_T_INT8 | TFL_T_FLOAT32)) != TFL_OK ||
        (s = tfl_shape_check_type(ip, pos, TFL_T_INT32)) != TFL_OK)
        return s;
    if (axis < 0)
        axis += in->ndim;
    if (bd < 0)
        bd += pos->ndim;
    if (axis < 0 || axis >= in->ndim || bd < 0 || bd > axis || bd > pos->ndim)
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, -1);
    for (k = 0; k < bd; k++)
        if (in->dims[k] != pos->dims[k])
            return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, pos));
    if (out->ndim != in->ndim - 1 + pos->ndim - bd)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    for (k = 0; k < axis; k++)
        if (out->dims[j++] != in->dims[k])
            return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    for (k = bd; k < pos->ndim; k++)
        if (out->dims[j++] != pos->dims[k])
            return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    for (k = axis + 1; k < in->ndim; k++)
        if (out->dims[j++] != in->dims[k])
            return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    if ((d = (gather_data_t *)tfl_alloc_persistent(ip, sizeof(*d))) == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    memset(d, 0, sizeof(*d));
    d->batch = d->outer = d->coords = d->inner = 1;
    for (k = 0; k < bd; k++)
        d->batch *= (uint32_t)in->dims[k];
    for (k = bd; k < axis; k++)
        d->outer *= (uint32_t)in->dims[k];
    for (k = axis + 1; k < in->ndim; k++)
        d->inner *= (uint32_t)in->dims[k];
    for (k = bd; k < pos->ndim; k++)
        d->coords *= (uint32_t)pos->dims[k];
    d->axis_size = (uint32_t)in->dims[axis];
    d->esize = tfl_shape_esize(in->type);
    n->data = d;
    return TFL_OK;
}

static tfl_status_t gather_eval(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *pos = tfl_node_input(ip, n, 1), *out = tfl_node_output(ip, n, 0);
    const gather_data_t *d = (const gather_data_t *)n->data;
    const int32_t *p = (const int32_t *)pos->data;
    const uint8_t *x = (const uint8_t *)in->data;
    uint8_t *y = (uint8_t *)out->data;
    uint32_t b, o, c, chunk = d->inner * d->esize;
    for (b = 0; b < d->batch; b++)
        for (o = 0; o < d->outer; o++)
            for (c = 0; c < d->coords; c++) {
                int32_t i = p[b * d->coords + c];
                if (i < 0 || (uint32_t)i >= d->axis_size)
                    return tfl_fail(ip, TFL_ERR_BAD_PARAMS, tfl_tensor_index(ip, pos));
                memcpy(y, x + (((size_t)b * d->outer + o) * d->axis_size + (uint32_t)i) * chunk, chunk);
                y += chunk;
            }
    return TFL_OK;
}

static tfl_status_t gather_nd_prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_tensor_t *in = tfl_node_input(ip, n, 0), *idx = tfl_node_input(ip, n, 1), *out = tfl_node_output(ip, n, 0);
    int32_t depth, k, j = 0, stride = 1;
    gather_data_t *d;
    tfl_status_t s;
    if ((s = tfl_shape_check_same(ip, in, out)) != TFL_OK ||
        (s = tfl_shape_check_type(ip, in, TFL_T_INT8 | TFL_T_FLOAT32)) != TFL_OK ||
        (s = tfl_shape_check_type(ip, idx, TFL_T_INT32)) != TFL_OK)
        return s;
    if (idx->ndim < 1 || in->ndim < 1)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, idx->ndim < 1 ? idx : in));
    depth = idx->dims[idx->ndim - 1];
    if (depth > in->ndim)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, idx));
    if (out->ndim != idx->ndim - 1 + in->ndim - depth)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    for (k = 0; k < idx->ndim - 1; k++)
        if (out->dims[j++] != idx->dims[k])
            return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    for (k = depth; k < in->ndim; k++)
        if (out->dims[j++] != in->dims[k])
            return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    if ((d = (gather_data_t *)tfl_alloc_persistent(ip, sizeof(*d))) == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    memset(d, 0, sizeof(*d));
    d->inner = 1;
    for (k = depth; k < in->ndim; k++)
        d->inner *= (uint32_t)in->dims[k];
    d->coords = tfl_num_elements(idx) / (uint32_t)depth;
    d->axis_size = (uint32_t)depth;
    for (k = depth - 1; k >= 0; k--) {
        d->dims[k] = stride;
        stride *= in->dims[k];
    }
    d->esize = tfl_shape_esize(in->type);
    n->data = d;
    return TFL_OK;
}

static tfl_status_t gather_nd_eval(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *idx = tfl_node_input(ip, n, 1), *out = tfl_node_output(ip, n, 0);
    const gather_data_t *d = (const gather_data_t *)n->data;
    const int32_t *p = (const int32_t *)idx->data;
    uint32_t c, k, chunk = d->inner * d->esize;
    uint8_t *y = (uint8_t *)out->data;
    for (c = 0; c < d->coords; c++, y += chunk) {
        uint32_t off = 0;
        for (k = 0; k < d->axis_size; k++) {
            int32_t i = p[c * d->axis_size + k];
            if (i < 0 || i >= in->dims[k])
                return tfl_fail(ip, TFL_ERR_BAD_PARAMS, tfl_tensor_index(ip, idx));
            off += (uint32_t)i * (uint32_t)d->dims[k];
        }
        memcpy(y, (const uint8_t *)in->data + (size_t)off * chunk, chunk);
    }
    return TFL_OK;
}

const tfl_kernel_t tfl_ref_gather = {TFL_OP_GATHER, gather_prepare, gather_eval};
const tfl_kernel_t tfl_ref_gather_nd = {TFL_OP_GATHER_ND, gather_nd_prepare, gather_nd_eval};
