/*
 * Comparisons (EQUAL, NOT_EQUAL, LESS, LESS_EQUAL, GREATER, GREATER_EQUAL), LOGICAL_AND/OR/NOT
 * and SELECT_V2, with NumPy broadcasting.  Types as TFLM: bool (EQUAL, NOT_EQUAL), int8,
 * int32, int64 and float32; int16 for GREATER only.  Quantized inputs are compared as TFLM
 * does: each `(q - zp) << 8` times its own scale as a Q31 multiplier (shift <= 0), so inputs of
 * different scales compare by real value.  SELECT_V2: bool condition, int8/int16/float32 values.
 */
#include <string.h>

#include "ref_kernels.h"
#include "shape_util.h"


/* Up to three operands broadcast onto the output (dims left-padded to TFL_MAX_DIMS). */
typedef struct {
    int32_t dims[TFL_MAX_DIMS];
    int32_t stride[3][TFL_MAX_DIMS];
    int32_t mult[2], shift[2], offset[2]; /* quantized comparison */
    int quantized;
} elementwise_data_t;

static tfl_status_t broadcast(tfl_interp_t *ip, tfl_node_t *n, uint32_t count, const tfl_tensor_t *out,
                              elementwise_data_t **out_d)
{
    elementwise_data_t *d = (elementwise_data_t *)tfl_alloc_persistent(ip, sizeof(*d));
    uint32_t j;
    int32_t i;
    if (d == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    memset(d, 0, sizeof(*d));
    *out_d = d;
    n->data = d;
    for (i = 0; i < TFL_MAX_DIMS; i++)
        d->dims[i] = tfl_dim(out, i - TFL_MAX_DIMS);
    for (j = 0; j < count; j++) {
        const tfl_tensor_t *t = tfl_node_input(ip, n, j);
        int32_t s = 1;
        if (t->ndim > out->ndim)
            return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, t));
        for (i = TFL_MAX_DIMS - 1; i >= 0; i--) {
            int32_t dt = tfl_dim(t, i - TFL_MAX_DIMS);
            if (i < TFL_MAX_DIMS - t->ndim)
                dt = 1;
            if (dt != 1 && dt != d->dims[i])
                return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, t));
            d->stride[j][i] = dt == 1 ? 0 : s;
            s *= dt;
        }
    }
    for (i = 0; i < TFL_MAX_DIMS; i++) { /* the output is no larger than the broadcast shape */
        int any = 0;
        for (j = 0; j < count; j++)
            any |= d->stride[j][i] != 0 || tfl_dim(tfl_node_input(ip, n, j), i - TFL_MAX_DIMS) == d->dims[i];
        if (!any && d->dims[i] != 1)
            return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    }
    return TFL_OK;
}

/* Position in the output and the matching element offsets into each operand. */
typedef struct {
    int32_t idx[TFL_MAX_DIMS], o[3];
    uint32_t left;
} walk_t;

static uint32_t walk_start(walk_t *w, const elementwise_data_t *d)
{
    int32_t k;
    memset(w, 0, sizeof(*w));
    w->left = 1;
    for (k = 0; k < TFL_MAX_DIMS; k++)
        w->left *= (uint32_t)d->dims[k];
    return w->left;
}

static void walk_next(walk_t *w, const elementwise_data_t *d)
{
    int32_t k, j;
    for (k = TFL_MAX_DIMS - 1; k >= 0; k--) {
        for (j = 0; j < 3; j++)
            w->o[j] += d->stride[j][k];
        if (++w->idx[k] < d->dims[k])
            return;
        for (j = 0; j < 3; j++)
            w->o[j] -= d->stride[j][k] * d->dims[k];
        w->idx[k] = 0;
    }
}

static tfl_status_t compare_prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_tensor_t *a = tfl_node_input(ip, n, 0), *b = tfl_node_input(ip, n, 1), *out = tfl_node_output(ip, n, 0);
    uint32_t types = TFL_T_INT8 | TFL_T_INT32 | TFL_T_INT64 | TFL_T_FLOAT32;
    elementwise_data_t *d;
    int32_t j;
    tfl_status_t s;
    if (n->builtin_code == TFL_OP_EQUAL || n->builtin_code == TFL_OP_NOT_EQUAL)
        types |= TFL_T_BOOL;
    if (n->builtin_code == TFL_OP_GREATER)
        types |= TFL_T_INT16;
    if ((s = tfl_shape_check_type(ip, a, types)) != TFL_OK || (s = tfl_shape_check_same(ip, a, b)) != TFL_OK ||
        (s = tfl_shape_check_type(ip, out, TFL_T_BOOL)) != TFL_OK || (s = broadcast(ip, n, 2, out, &d)) != TFL_OK)
        return s;
    if (a->type != TFL_TYPE_INT8 && a->type != TFL_TYPE_INT16)
        return TFL_OK;
    d->quantized = 1;
    for (j = 0; j < 2; j++) {
        const tfl_tensor_t *t = j ? b : a;
        if ((s = tfl_check_type(ip, t, t->type)) != TFL_OK)
            return s;
        if (tfl_quantize_multiplier((double)t->scale, &d->mult[j], &d->shift[j]) || d->shift[j] > 0)
            return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, t)); /* TFLM: scale < 1 */
        d->offset[j] = -t->zero_point;
    }
    return TFL_OK;
}

/* Operand value as a signed 64-bit number (ints, bools and quantized values). */
static int64_t int_at(const tfl_tensor_t *t, int32_t i, const elementwise_data_t *d, int j)
{
    switch (t->type) {
    case TFL_TYPE_INT8:
        return tfl_mbqm((((const int8_t *)t->data)[i] + d->offset[j]) * 256, d->mult[j], d->shift[j]);
    case TFL_TYPE_INT16:
        return tfl_mbqm((((const int16_t *)t->data)[i] + d->offset[j]) * 256, d->mult[j], d->shift[j]);
    case TFL_TYPE_INT32: return ((const int32_t *)t->data)[i];
    case TFL_TYPE_INT64: return ((const int64_t *)t->data)[i];
    default: return ((const uint8_t *)t->data)[i] != 0;
    }
}

static int holds(int32_t code, int lt, int eq)
{
    switch (code) {
    case TFL_OP_EQUAL: return eq;
    case TFL_OP_NOT_EQUAL: return !eq;
    case TFL_OP_LESS: return lt;
    case TFL_OP_LESS_EQUAL: return lt || eq;
    case TFL_OP_GREATER: return !lt && !eq;
    default: return !lt;
    }
}

static tfl_status_t compare_eval(tfl_interp_t *ip, tfl_node_t *n)
{
    walk_t w;
    uint32_t e;
    const tfl_tensor_t *a = tfl_node_input(ip, n, 0), *b = tfl_node_input(ip, n, 1), *out = tfl_node_output(ip, n, 0);
    const elementwise_data_t *d = (const elementwise_data_t *)n->data;
    uint8_t *y = (uint8_t *)out->data;
    int32_t code = n->builtin_code;
    if (a->type == TFL_TYPE_FLOAT32) {
        const float *x1 = (const float *)a->data, *x2 = (const float *)b->data;
        for (e = walk_start(&w, d); e > 0; e--, walk_next(&w, d)) {
            float u = x1[w.o[0]], v = x2[w.o[1]];
            /* NaN: every ordered comparison false, NOT_EQUAL true (as C++) */
            *y++ = (uint8_t)(code == TFL_OP_NOT_EQUAL ? u != v : code == TFL_OP_EQUAL ? u == v
                             : code == TFL_OP_LESS ? u < v : code == TFL_OP_LESS_EQUAL ? u <= v
                             : code == TFL_OP_GREATER ? u > v : u >= v);
        }
        return TFL_OK;
    }
    for (e = walk_start(&w, d); e > 0; e--, walk_next(&w, d)) {
        int64_t u = int_at(a, w.o[0], d, 0), v = int_at(b, w.o[1], d, 1);
        *y++ = (uint8_t)holds(code, u < v, u == v);
    }
    return TFL_OK;
}

static tfl_status_t logical_prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_tensor_t *a = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    uint32_t count = n->builtin_code == TFL_OP_LOGICAL_NOT ? 1 : 2, j;
    elementwise_data_t *d;
    tfl_status_t s;
    for (j = 0; j < count; j++)
        if ((s = tfl_shape_check_type(ip, tfl_node_input(ip, n, j), TFL_T_BOOL)) != TFL_OK)
            return s;
    if ((s = tfl_shape_check_type(ip, out, TFL_T_BOOL)) != TFL_OK)
        return s;
    if (count == 1 && !tfl_same_shape(a, out))
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    return broadcast(ip, n, count, out, &d);
}

static tfl_status_t logical_eval(tfl_interp_t *ip, tfl_node_t *n)
{
    walk_t w;
    uint32_t e;
    const tfl_tensor_t *out = tfl_node_output(ip, n, 0);
    const elementwise_data_t *d = (const elementwise_data_t *)n->data;
    const uint8_t *x1 = (const uint8_t *)tfl_node_input(ip, n, 0)->data;
    const uint8_t *x2 = n->builtin_code == TFL_OP_LOGICAL_NOT ? x1 : (const uint8_t *)tfl_node_input(ip, n, 1)->data;
    uint8_t *y = (uint8_t *)out->data;
    int32_t code = n->builtin_code;
    for (e = walk_start(&w, d); e > 0; e--, walk_next(&w, d)) {
        int u = x1[w.o[0]] != 0, v = x2[w.o[1]] != 0;
        *y++ = (uint8_t)(code == TFL_OP_LOGICAL_NOT ? !u : code == TFL_OP_LOGICAL_AND ? (u && v) : (u || v));
    }
    return TFL_OK;
}

static tfl_status_t select_prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_tensor_t *c = tfl_node_input(ip, n, 0), *a = tfl_node_input(ip, n, 1), *b = tfl_node_input(ip, n, 2);
    tfl_tensor_t *out = tfl_node_output(ip, n, 0);
    elementwise_data_t *d;
    tfl_status_t s;
    if ((s = tfl_shape_check_type(ip, c, TFL_T_BOOL)) != TFL_OK ||
        (s = tfl_shape_check_type(ip, a, TFL_T_INT8 | TFL_T_INT16 | TFL_T_FLOAT32)) != TFL_OK ||
        (s = tfl_shape_check_same(ip, a, b)) != TFL_OK || (s = tfl_shape_check_same(ip, a, out)) != TFL_OK)
        return s;
    return broadcast(ip, n, 3, out, &d);
}

static tfl_status_t select_eval(tfl_interp_t *ip, tfl_node_t *n)
{
    walk_t w;
    uint32_t e;
    const tfl_tensor_t *out = tfl_node_output(ip, n, 0);
    const elementwise_data_t *d = (const elementwise_data_t *)n->data;
    const uint8_t *c = (const uint8_t *)tfl_node_input(ip, n, 0)->data;
    const uint8_t *x1 = (const uint8_t *)tfl_node_input(ip, n, 1)->data;
    const uint8_t *x2 = (const uint8_t *)tfl_node_input(ip, n, 2)->data;
    uint32_t es = tfl_shape_esize(out->type);
    uint8_t *y = (uint8_t *)out->data;
    for (e = walk_start(&w, d); e > 0; e--, walk_next(&w, d)) {
        memcpy(y, c[w.o[0]] ? x1 + (size_t)w.o[1] * es : x2 + (size_t)w.o[2] * es, es);
        y += es;
    }
    return TFL_OK;
}

const tfl_kernel_t tfl_ref_equal = {TFL_OP_EQUAL, compare_prepare, compare_eval};
const tfl_kernel_t tfl_ref_not_equal = {TFL_OP_NOT_EQUAL, compare_prepare, compare_eval};
const tfl_kernel_t tfl_ref_less = {TFL_OP_LESS, compare_prepare, compare_eval};
const tfl_kernel_t tfl_ref_less_equal = {TFL_OP_LESS_EQUAL, compare_prepare, compare_eval};
const tfl_kernel_t tfl_ref_greater = {TFL_OP_GREATER, compare_prepare, compare_eval};
const tfl_kernel_t tfl_ref_greater_equal = {TFL_OP_GREATER_EQUAL, compare_prepare, compare_eval};
const tfl_kernel_t tfl_ref_logical_and = {TFL_OP_LOGICAL_AND, logical_prepare, logical_eval};
const tfl_kernel_t tfl_ref_logical_or = {TFL_OP_LOGICAL_OR, logical_prepare, logical_eval};
const tfl_kernel_t tfl_ref_logical_not = {TFL_OP_LOGICAL_NOT, logical_prepare, logical_eval};
const tfl_kernel_t tfl_ref_select_v2 = {TFL_OP_SELECT_V2, select_prepare, select_eval};
