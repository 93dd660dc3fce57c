/* Helpers shared by the data-movement, comparison and cast kernels (any element type). */
#ifndef TFL_REF_SHAPE_UTIL_H
#define TFL_REF_SHAPE_UTIL_H

#include "tfl/kernel.h"

/* TensorType BOOL (one byte, 0 or 1) and type-set bits for tfl_shape_check_type. */
#define TFL_SHAPE_BOOL 6
#define TFL_T(type) (1u << (type))
#define TFL_T_INT8 TFL_T(TFL_TYPE_INT8)
#define TFL_T_INT16 TFL_T(TFL_TYPE_INT16)
#define TFL_T_INT32 TFL_T(TFL_TYPE_INT32)
#define TFL_T_INT64 TFL_T(TFL_TYPE_INT64)
#define TFL_T_FLOAT32 TFL_T(TFL_TYPE_FLOAT32)
#define TFL_T_BOOL TFL_T(TFL_SHAPE_BOOL)

/* Bytes per element of a tensor type the runtime stores (0 for others). */
static inline uint32_t tfl_shape_esize(uint8_t type)
{
    switch (type) {
    case TFL_TYPE_FLOAT32: case TFL_TYPE_INT32: return 4;
    case TFL_TYPE_INT16: return 2;
    case TFL_TYPE_INT8: case TFL_TYPE_UINT8: case TFL_SHAPE_BOOL: return 1;
    case TFL_TYPE_INT64: return 8;
    default: return 0;
    }
}

/* The tensor exists and its type is in `types` (TFL_T_* bits); else the op fails naming it. */
static inline tfl_status_t tfl_shape_check_type(tfl_interp_t *ip, const tfl_tensor_t *t, uint32_t types)
{
    if (t == 0)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, -1);
    if (t->type >= 32 || (types & TFL_T(t->type)) == 0)
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, t));
    return TFL_OK;
}

/* Integer option field `slot` of options table `type`: the default when the node carries no
 * options of that type (TFLM reads absent options as their defaults). */
static inline int32_t tfl_shape_opt(tfl_interp_t *ip, const tfl_node_t *n, uint8_t type, uint32_t slot,
                                    uint32_t size, int32_t dflt)
{
    if (n->options.pos == 0 || n->options_type != type)
        return dflt;
    return tfl_opt_i32(ip, n, slot, size, dflt);
}

/* Element i of a constant int32 (or int64, when `type` says so) tensor. */
static inline int64_t tfl_shape_const_at(const tfl_tensor_t *t, uint32_t i)
{
    const uint8_t *p = (const uint8_t *)t->data;
    if (t->type == TFL_TYPE_INT64)
        return tfl_rd_i64(p + 8 * i);
    return (int32_t)tfl_rd_u32(p + 4 * i);
}

/* A constant int32 tensor (or int64 where allowed) with `count` elements (-1: any count). */
static inline tfl_status_t tfl_shape_check_const_index(tfl_interp_t *ip, const tfl_tensor_t *t, int32_t count,
                                                       int allow_int64)
{
    if (t == 0)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, -1);
    if (t->type != TFL_TYPE_INT32 && !(allow_int64 && t->type == TFL_TYPE_INT64))
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, t));
    if (!t->is_const)
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, tfl_tensor_index(ip, t));
    if (count >= 0 && tfl_num_elements(t) != (uint32_t)count)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, t));
    return TFL_OK;
}

/* Input and output of the same type with the same quantization (data-movement ops). */
static inline tfl_status_t tfl_shape_check_same(tfl_interp_t *ip, const tfl_tensor_t *in, const tfl_tensor_t *out)
{
    if (in == 0 || out == 0)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, -1);
    if (in->type != out->type)
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, out));
    return TFL_OK;
}

/*
 * Strided copy: the output (row-major, `ndim` dims `dims`) element at index (i0, i1, ...) is
 * the input element at sum(ik * stride[k]) (element strides).  Used by TRANSPOSE,
 * DEPTH_TO_SPACE and SPACE_TO_DEPTH, each a permutation of a view of the input.
 */
void tfl_shape_permute(const void *in, void *out, uint32_t esize, uint32_t ndim, const int32_t *dims,
                       const int32_t *stride);

#endif
