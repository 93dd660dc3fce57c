/*
 * Ops that change only a tensor's shape or make a tensor from a shape: SQUEEZE and
 * EXPAND_DIMS (a copy, any type TFLM takes), SHAPE (int32 dims), FILL (one value everywhere),
 * ZEROS_LIKE.  Output shapes are static in the model; prepare checks them against the op.
 */
#include <string.h>

#include "ref_kernels.h"
#include "shape_util.h"

enum { OPT_SQUEEZE = 30 };

/* Output = input's bytes unchanged (SQUEEZE, EXPAND_DIMS). */
static tfl_status_t copy_eval(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    if (out->data != in->data)
        memmove(out->data, in->data, in->bytes);
    return TFL_OK;
}

static tfl_status_t squeeze_prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    tfl_fb_t fb;
    tfl_fb_vec_t v = {0, 0};
    uint8_t drop[TFL_MAX_DIMS] = {0};
    uint32_t i, k = 0;
    tfl_status_t s;
    if ((s = tfl_shape_check_same(ip, in, out)) != TFL_OK)
        return s;
    if (n->options.pos != 0 && n->options_type == OPT_SQUEEZE) {
        fb.buf = ip->model;
        fb.len = ip->model_len;
        fb.bad_pos = 0;
        if (tfl_fb_vector(&fb, &n->options, 0, 4, &v) != TFL_OK || v.count > TFL_MAX_DIMS)
            return tfl_fail(ip, TFL_ERR_BAD_PARAMS, -1);
    }
    for (i = 0; i < v.count; i++) {
        int32_t d = (int32_t)tfl_rd_u32(ip->model + v.pos + 4 * i);
        if (d < 0)
            d += in->ndim;
        if (d < 0 || d >= in->ndim || in->dims[d] != 1)
            return tfl_fail(ip, TFL_ERR_BAD_PARAMS, tfl_tensor_index(ip, in));
        drop[d] = 1;
    }
    for (i = 0; i < in->ndim; i++) {
        if (v.count == 0 ? in->dims[i] == 1 : drop[i])
            continue;
        if (k >= out->ndim || out->dims[k] != in->dims[i])
            return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
        k++;
    }
    if (k != out->ndim)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    return TFL_OK;
}

static tfl_status_t expand_dims_prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_tensor_t *in = tfl_node_input(ip, n, 0), *ax = tfl_node_input(ip, n, 1), *out = tfl_node_output(ip, n, 0);
    int32_t axis, i, k = 0;
    tfl_status_t s;
    if ((s = tfl_shape_check_same(ip, in, out)) != TFL_OK ||
        (s = tfl_shape_check_type(ip, in, TFL_T_INT8 | TFL_T_INT16 | TFL_T_FLOAT32)) != TFL_OK ||
        (s = tfl_shape_check_const_index(ip, ax, 1, 0)) != TFL_OK)
        return s;
    axis = (int32_t)tfl_shape_const_at(ax, 0);
    if (axis < 0)
        axis += in->ndim + 1;
    if (axis < 0 || axis > in->ndim)
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, tfl_tensor_index(ip, ax));
    if (out->ndim != in->ndim + 1)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    for (i = 0; i < out->ndim; i++)
        if (out->dims[i] != (i == axis ? 1 : in->dims[k++]))
            return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    return TFL_OK;
}

static tfl_status_t shape_prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    tfl_status_t s;
    if (in == 0)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, -1);
    if ((s = tfl_shape_check_type(ip, out, TFL_T_INT32)) != TFL_OK) /* TFLM: int32 output only */
        return s;
    if (out->ndim != 1 || out->dims[0] != in->ndim)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    return TFL_OK;
}

static tfl_status_t shape_eval(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    memcpy(out->data, in->dims, 4u * in->ndim);
    return TFL_OK;
}

static tfl_status_t fill_prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_tensor_t *dims = tfl_node_input(ip, n, 0), *val = tfl_node_input(ip, n, 1), *out = tfl_node_output(ip, n, 0);
    uint32_t i;
    tfl_status_t s;
    if ((s = tfl_shape_check_const_index(ip, dims, -1, 1)) != TFL_OK ||
        (s = tfl_shape_check_type(ip, out, TFL_T_INT8 | TFL_T_INT32 | TFL_T_FLOAT32)) != TFL_OK ||
        (s = tfl_shape_check_same(ip, val, out)) != TFL_OK)
        return s;
    if (dims->ndim != 1 || val->ndim != 0)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, dims->ndim != 1 ? dims : val));
    if (tfl_num_elements(dims) != out->ndim)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    for (i = 0; i < out->ndim; i++)
        if (tfl_shape_const_at(dims, i) != out->dims[i])
            return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    return TFL_OK;
}

static tfl_status_t fill_eval(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *val = tfl_node_input(ip, n, 1), *out = tfl_node_output(ip, n, 0);
    uint32_t esize = tfl_shape_esize(out->type), i, count = tfl_num_elements(out);
    uint8_t *y = (uint8_t *)out->data;
    for (i = 0; i < count; i++)
        memcpy(y + i * esize, val->data, esize);
    return TFL_OK;
}

static tfl_status_t zeros_like_prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    tfl_status_t s;
    if ((s = tfl_shape_check_same(ip, in, out)) != TFL_OK ||
        (s = tfl_shape_check_type(ip, in, TFL_T_INT8 | TFL_T_INT32 | TFL_T_INT64 | TFL_T_FLOAT32)) != TFL_OK)
        return s;
    if (!tfl_same_shape(in, out))
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    return TFL_OK;
}

static tfl_status_t zeros_like_eval(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *out = tfl_node_output(ip, n, 0);
    memset(out->data, 0, out->bytes); /* all-zero bits: 0 and 0.0f */
    return TFL_OK;
}

const tfl_kernel_t tfl_ref_squeeze = {TFL_OP_SQUEEZE, squeeze_prepare, copy_eval};
const tfl_kernel_t tfl_ref_expand_dims = {TFL_OP_EXPAND_DIMS, expand_dims_prepare, copy_eval};
const tfl_kernel_t tfl_ref_shape = {TFL_OP_SHAPE, shape_prepare, shape_eval};
const tfl_kernel_t tfl_ref_fill = {TFL_OP_FILL, fill_prepare, fill_eval};
const tfl_kernel_t tfl_ref_zeros_like = {TFL_OP_ZEROS_LIKE, zeros_like_prepare, zeros_like_eval};
