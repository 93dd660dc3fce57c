/* CONCATENATION, int8 or int16 inputs that share the output's type, scale and zero point. */
#include <string.h>

#include "tfl/kernel.h"
#include "ref_kernels.h"

typedef struct {
    int32_t axis;
    uint32_t esize;
} concat_data_t;

static tfl_status_t prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_tensor_t *out = tfl_node_output(ip, n, 0);
    concat_data_t *d;
    tfl_status_t s;
    int32_t axis, i, k;
    int64_t sum = 0;

    if ((s = tfl_require_options(ip, n, TFL_OPT_CONCAT)) != TFL_OK)
        return s;
    if ((s = tfl_check_type(ip, out, out != 0 && out->type == TFL_TYPE_INT16 ? TFL_TYPE_INT16 : TFL_TYPE_INT8)) != TFL_OK)
        return s;
    if (tfl_opt_i32(ip, n, 1, 1, 0) != TFL_ACT_NONE)
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, -1);
    axis = tfl_opt_i32(ip, n, 0, 4, 0);
    if (axis < 0)
        axis += out->ndim;
    if (axis < 0 || axis >= out->ndim || n->n_inputs < 1)
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, -1);
    for (i = 0; i < n->n_inputs; i++) {
        tfl_tensor_t *in = tfl_node_input(ip, n, (uint32_t)i);
        if ((s = tfl_check_type(ip, in, out->type)) != TFL_OK)
            return s;
        if (in->scale != out->scale || in->zero_point != out->zero_point)
            return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, in));
        if (in->ndim != out->ndim)
            return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, in));
        for (k = 0; k < out->ndim; k++)
            if (k != axis && in->dims[k] != out->dims[k])
                return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, in));
        sum += in->dims[axis];
    }
    if (sum != out->dims[axis])
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    d = (concat_data_t *)tfl_alloc_persistent(ip, sizeof(concat_data_t));
    if (d == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    d->axis = axis;
    d->esize = out->type == TFL_TYPE_INT16 ? 2 : 1;
    n->data = d;
    return TFL_OK;
}

static tfl_status_t eval(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *out = tfl_node_output(ip, n, 0);
    const concat_data_t *d = (const concat_data_t *)n->data;
    uint8_t *y = (uint8_t *)out->data;
    uint32_t outer = 1, inner = d->esize, o;
    int32_t k, i;

    for (k = 0; k < d->axis; k++)
        outer *= (uint32_t)out->dims[k];
    for (k = d->axis + 1; k < out->ndim; k++)
        inner *= (uint32_t)out->dims[k];
    for (o = 0; o < outer; o++) {
        for (i = 0; i < n->n_inputs; i++) {
            const tfl_tensor_t *in = tfl_node_input(ip, n, (uint32_t)i);
            uint32_t chunk = (uint32_t)in->dims[d->axis] * inner;
            memcpy(y, (const uint8_t *)in->data + o * chunk, chunk);
            y += chunk;
        }
    }
    return TFL_OK;
}

const tfl_kernel_t tfl_ref_concatenation = {TFL_OP_CONCATENATION, prepare, eval};
TFL_REF_EVAL(tfl_ref_concatenation, eval)
