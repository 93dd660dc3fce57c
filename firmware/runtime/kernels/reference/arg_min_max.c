/*
 * ARG_MAX and ARG_MIN over one constant axis: int8 (TFLM) or int32 (LiteRT) input, int32
 * (TFLM) or int64 (LiteRT) output, int32 or int64 axis.  The first index of the extreme value
 * wins ties (strict comparison, as both).  Neither oracle has an int16 version.
 */
#include "act_common.h"
#include "ref_kernels.h"

typedef struct {
    int32_t outer, len, inner;
    uint8_t is_max, in32, out64;
} arg_data_t;

static tfl_status_t prepare_kind(tfl_interp_t *ip, tfl_node_t *n, uint8_t is_max)
{
    tfl_tensor_t *in = tfl_node_input(ip, n, 0), *axis = tfl_node_input(ip, n, 1), *out = tfl_node_output(ip, n, 0);
    arg_data_t *d;
    int32_t a, i, o;
    if (in == 0 || axis == 0 || out == 0)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, -1);
    if (in->type != TFL_TYPE_INT8 && in->type != TFL_TYPE_INT32)
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, in));
    if (in->type == TFL_TYPE_INT8 && in->nscales == 0)
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, in));
    if (out->type != TFL_TYPE_INT32 && out->type != TFL_TYPE_INT64)
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, out));
    if ((axis->type != TFL_TYPE_INT32 && axis->type != TFL_TYPE_INT64) || !axis->is_const)
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, axis));
    if (tfl_num_elements(axis) != 1 || in->ndim < 1)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, axis));
    a = axis->type == TFL_TYPE_INT32 ? ((const int32_t *)axis->data)[0]
                                     : (int32_t)((const int64_t *)axis->data)[0];
    if (a < 0)
        a += in->ndim;
    if (a < 0 || a >= in->ndim)
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, tfl_tensor_index(ip, axis));
    /* output: the input's dims without the axis */
    if (out->ndim + 1 != in->ndim)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    for (i = 0, o = 0; i < in->ndim; i++) {
        if (i == a)
            continue;
        if (out->dims[o++] != in->dims[i])
            return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    }
    d = (arg_data_t *)tfl_alloc_persistent(ip, sizeof(arg_data_t));
    if (d == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    d->outer = 1;
    d->inner = 1;
    for (i = 0; i < a; i++)
        d->outer *= in->dims[i];
    for (i = a + 1; i < in->ndim; i++)
        d->inner *= in->dims[i];
    d->len = in->dims[a];
    if (d->len < 1)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, in));
    d->is_max = is_max;
    d->in32 = in->type == TFL_TYPE_INT32;
    d->out64 = out->type == TFL_TYPE_INT64;
    n->data = d;
    return TFL_OK;
}

static tfl_status_t eval(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    const arg_data_t *d = (const arg_data_t *)n->data;
    int32_t o, j, k;
    for (o = 0; o < d->outer; o++) {
        for (j = 0; j < d->inner; j++) {
            const int32_t base = o * d->len * d->inner + j;
            int32_t best = 0, bv, v;
            bv = d->in32 ? ((const int32_t *)in->data)[base] : ((const int8_t *)in->data)[base];
            for (k = 1; k < d->len; k++) {
                const int32_t off = base + k * d->inner;
                v = d->in32 ? ((const int32_t *)in->data)[off] : ((const int8_t *)in->data)[off];
                if (d->is_max ? v > bv : v < bv) {
                    bv = v;
                    best = k;
                }
            }
            if (d->out64)
                ((int64_t *)out->data)[o * d->inner + j] = best;
            else
                ((int32_t *)out->data)[o * d->inner + j] = best;
        }
    }
    (void)ip;
    return TFL_OK;
}

static tfl_status_t prepare_max(tfl_interp_t *ip, tfl_node_t *n) { return prepare_kind(ip, n, 1); }
static tfl_status_t prepare_min(tfl_interp_t *ip, tfl_node_t *n) { return prepare_kind(ip, n, 0); }

const tfl_kernel_t tfl_ref_arg_max = {TFL_OP_ARG_MAX, prepare_max, eval};
const tfl_kernel_t tfl_ref_arg_min = {TFL_OP_ARG_MIN, prepare_min, eval};
