/*
 * SPLIT, SPLIT_V, PACK and UNPACK: one tensor cut along an axis into pieces (or pieces joined
 * along a new or existing axis).  Each is, per index of the dims before the axis ("outer"), a
 * run of contiguous chunks, one per piece.  No requantization (TFLM copies the bytes).
 * Types as TFLM: int8, int16, int32, float32 (PACK: also int64).
 */
#include <string.h>

#include "ref_kernels.h"
#include "shape_util.h"

enum { OPT_SPLIT = 35, OPT_PACK = 59, OPT_UNPACK = 64, OPT_SPLIT_V = 79 };

typedef struct {
    uint32_t outer;
} pieces_data_t;

static tfl_status_t set_outer(tfl_interp_t *ip, tfl_node_t *n, const tfl_tensor_t *whole, int32_t axis)
{
    pieces_data_t *d = (pieces_data_t *)tfl_alloc_persistent(ip, sizeof(*d));
    int32_t k;
    if (d == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    d->outer = 1;
    for (k = 0; k < axis; k++)
        d->outer *= (uint32_t)whole->dims[k];
    n->data = d;
    return TFL_OK;
}

/* Input 0 cut into the outputs (SPLIT_V, UNPACK) or, with `axis_first`, input 1 (SPLIT). */
static tfl_status_t split_eval(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, n->builtin_code == TFL_OP_SPLIT ? 1 : 0);
    const pieces_data_t *d = (const pieces_data_t *)n->data;
    const uint8_t *x = (const uint8_t *)in->data;
    uint32_t o, i;
    for (o = 0; o < d->outer; o++)
        for (i = 0; i < n->n_outputs; i++) {
            const tfl_tensor_t *t = tfl_node_output(ip, n, i);
            uint32_t chunk = t->bytes / d->outer;
            memcpy((uint8_t *)t->data + o * chunk, x, chunk);
            x += chunk;
        }
    return TFL_OK;
}

static tfl_status_t pack_eval(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *out = tfl_node_output(ip, n, 0);
    const pieces_data_t *d = (const pieces_data_t *)n->data;
    uint8_t *y = (uint8_t *)out->data;
    uint32_t o, i;
    for (o = 0; o < d->outer; o++)
        for (i = 0; i < n->n_inputs; i++) {
            const tfl_tensor_t *t = tfl_node_input(ip, n, i);
            uint32_t chunk = t->bytes / d->outer;
            memcpy(y, (const uint8_t *)t->data + o * chunk, chunk);
            y += chunk;
        }
    return TFL_OK;
}

/* Every piece has the whole's type and its dims except along `axis`, where they add up. */
static tfl_status_t check_pieces(tfl_interp_t *ip, const tfl_node_t *n, const tfl_tensor_t *whole, int32_t axis,
                                 uint32_t types)
{
    int64_t sum = 0;
    uint32_t i;
    int32_t k;
    tfl_status_t s;
    if ((s = tfl_shape_check_type(ip, whole, types)) != TFL_OK)
        return s;
    if (n->n_outputs < 1)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, -1);
    for (i = 0; i < n->n_outputs; i++) {
        const tfl_tensor_t *t = tfl_node_output(ip, n, i);
        if ((s = tfl_shape_check_same(ip, whole, t)) != TFL_OK)
            return s;
        if (t->ndim != whole->ndim)
            return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, t));
        for (k = 0; k < whole->ndim; k++)
            if (k != axis && t->dims[k] != whole->dims[k])
                return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, t));
        sum += t->dims[axis];
    }
    if (sum != whole->dims[axis])
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, tfl_node_output(ip, n, 0)));
    return TFL_OK;
}

static tfl_status_t const_axis(tfl_interp_t *ip, const tfl_tensor_t *ax, const tfl_tensor_t *t, int32_t *axis)
{
    tfl_status_t s;
    if ((s = tfl_shape_check_const_index(ip, ax, 1, 0)) != TFL_OK)
        return s;
    *axis = (int32_t)tfl_shape_const_at(ax, 0);
    if (t != 0 && *axis < 0)
        *axis += t->ndim;
    if (t == 0 || *axis < 0 || *axis >= t->ndim)
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, tfl_tensor_index(ip, ax));
    return TFL_OK;
}

#define SPLIT_TYPES (TFL_T_INT8 | TFL_T_INT16 | TFL_T_INT32 | TFL_T_FLOAT32)

static tfl_status_t split_prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_tensor_t *in = tfl_node_input(ip, n, 1);
    int32_t axis, k;
    uint32_t i;
    tfl_status_t s;
    if ((s = const_axis(ip, tfl_node_input(ip, n, 0), in, &axis)) != TFL_OK ||
        (s = check_pieces(ip, n, in, axis, SPLIT_TYPES)) != TFL_OK)
        return s;
    k = tfl_node_output(ip, n, 0)->dims[axis];
    for (i = 1; i < n->n_outputs; i++) /* equal pieces */
        if (tfl_node_output(ip, n, i)->dims[axis] != k)
            return tfl_fail(ip, TFL_ERR_BAD_SHAPE, n->outputs[i]);
    return set_outer(ip, n, in, axis);
}

static tfl_status_t split_v_prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_tensor_t *in = tfl_node_input(ip, n, 0), *sizes = tfl_node_input(ip, n, 1);
    int32_t axis;
    uint32_t i;
    tfl_status_t s;
    if ((s = const_axis(ip, tfl_node_input(ip, n, 2), in, &axis)) != TFL_OK ||
        (s = check_pieces(ip, n, in, axis, SPLIT_TYPES)) != TFL_OK)
        return s;
    if (sizes == 0 || (sizes->type != TFL_TYPE_INT32 && sizes->type != TFL_TYPE_INT64))
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, sizes ? n->inputs[1] : -1);
    if (tfl_num_elements(sizes) != n->n_outputs)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, n->inputs[1]);
    for (i = 0; sizes->is_const && i < n->n_outputs; i++) { /* -1: the rest (output shapes are known) */
        int64_t v = tfl_shape_const_at(sizes, i);
        if (v != -1 && v != tfl_node_output(ip, n, i)->dims[axis])
            return tfl_fail(ip, TFL_ERR_BAD_SHAPE, n->outputs[i]);
    }
    return set_outer(ip, n, in, axis);
}

static tfl_status_t pack_prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_tensor_t *out = tfl_node_output(ip, n, 0), *in0 = tfl_node_input(ip, n, 0);
    int32_t count = tfl_shape_opt(ip, n, OPT_PACK, 0, 4, 0), axis = tfl_shape_opt(ip, n, OPT_PACK, 1, 4, 0), k;
    uint32_t i;
    tfl_status_t s;
    if ((s = tfl_shape_check_type(ip, out, SPLIT_TYPES | TFL_T_INT64)) != TFL_OK)
        return s;
    if (in0 == 0 || count != n->n_inputs || count < 1)
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, -1);
    if (axis < 0)
        axis += out->ndim;
    if (axis < 0 || axis >= out->ndim || out->ndim != in0->ndim + 1 || out->dims[axis] != count)
        return tfl_fail(ip, axis < 0 || axis >= out->ndim ? TFL_ERR_BAD_PARAMS : TFL_ERR_BAD_SHAPE,
                        tfl_tensor_index(ip, out));
    for (i = 0; i < n->n_inputs; i++) {
        tfl_tensor_t *t = tfl_node_input(ip, n, i);
        if ((s = tfl_shape_check_same(ip, t, out)) != TFL_OK)
            return s;
        if (!tfl_same_shape(t, in0))
            return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, t));
    }
    for (k = 0; k < in0->ndim; k++)
        if (out->dims[k < axis ? k : k + 1] != in0->dims[k])
            return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    return set_outer(ip, n, out, axis);
}

static tfl_status_t unpack_prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_tensor_t *in = tfl_node_input(ip, n, 0);
    int32_t num = tfl_shape_opt(ip, n, OPT_UNPACK, 0, 4, 0), axis = tfl_shape_opt(ip, n, OPT_UNPACK, 1, 4, 0), k;
    uint32_t i;
    tfl_status_t s;
    if ((s = tfl_shape_check_type(ip, in, SPLIT_TYPES)) != TFL_OK)
        return s;
    if (axis < 0)
        axis += in->ndim;
    if (axis < 0 || axis >= in->ndim || num != n->n_outputs || num != in->dims[axis])
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, tfl_tensor_index(ip, in));
    for (i = 0; i < n->n_outputs; i++) {
        tfl_tensor_t *t = tfl_node_output(ip, n, i);
        if ((s = tfl_shape_check_same(ip, in, t)) != TFL_OK)
            return s;
        if (t->ndim + 1 != in->ndim)
            return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, t));
        for (k = 0; k < t->ndim; k++)
            if (t->dims[k] != in->dims[k < axis ? k : k + 1])
                return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, t));
    }
    return set_outer(ip, n, in, axis);
}

const tfl_kernel_t tfl_ref_split = {TFL_OP_SPLIT, split_prepare, split_eval};
const tfl_kernel_t tfl_ref_split_v = {TFL_OP_SPLIT_V, split_v_prepare, split_eval};
const tfl_kernel_t tfl_ref_pack = {TFL_OP_PACK, pack_prepare, pack_eval};
const tfl_kernel_t tfl_ref_unpack = {TFL_OP_UNPACK, unpack_prepare, split_eval};
