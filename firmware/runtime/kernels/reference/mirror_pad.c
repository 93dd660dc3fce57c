/* MIRROR_PAD, int8 and float32 (TFLM's types), REFLECT or SYMMETRIC, int32 or int64 paddings.
 * TFLM indexes the input without checking the pads; here they must fit the mode (REFLECT: at most
 * dim - 1 on each side, SYMMETRIC: at most dim) and the output shape must be the padded one. */
#include <string.h>

#include "elementwise.h"
#include "ref_kernels.h"

typedef struct {
    int32_t before[TFL_MAX_DIMS], in_dims[TFL_MAX_DIMS], out_dims[TFL_MAX_DIMS];
    int32_t offset; /* 1 for REFLECT (the edge is not repeated), 0 for SYMMETRIC */
    uint32_t elem;
} mirror_pad_data_t;

static int64_t pad_at(const tfl_tensor_t *p, int32_t i)
{
    return p->type == TFL_TYPE_INT64 ? tfl_rd_i64((const uint8_t *)p->data + 8 * i) : ((const int32_t *)p->data)[i];
}

static tfl_status_t prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_tensor_t *in = tfl_node_input(ip, n, 0), *pads = tfl_node_input(ip, n, 1), *out = tfl_node_output(ip, n, 0);
    mirror_pad_data_t *d;
    tfl_status_t s;
    int32_t i, lead, mode;

    if (in == 0 || pads == 0 || out == 0)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    if (in->type == TFL_TYPE_INT8) {
        if ((s = tfl_check_type(ip, in, TFL_TYPE_INT8)) || (s = tfl_check_type(ip, out, TFL_TYPE_INT8)))
            return s;
    } else if (in->type != TFL_TYPE_FLOAT32 || out->type != TFL_TYPE_FLOAT32) {
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, in->type == TFL_TYPE_FLOAT32 ? out : in));
    }
    if ((pads->type != TFL_TYPE_INT32 && pads->type != TFL_TYPE_INT64) || !pads->is_const)
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, pads));
    if (pads->ndim != 2 || pads->dims[0] != in->ndim || pads->dims[1] != 2 || out->ndim != in->ndim)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, pads));
    if (n->options.pos == 0 || n->options_type != TFL_OPT_MIRROR_PAD)
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, -1); /* TFLM: no options is an error */
    mode = tfl_opt_i32(ip, n, 0, 1, 0);
    if (mode != 0 && mode != 1)
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, -1);
    d = (mirror_pad_data_t *)tfl_alloc_persistent(ip, sizeof(mirror_pad_data_t));
    if (d == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    d->offset = mode == 0 ? 1 : 0;
    d->elem = in->type == TFL_TYPE_INT8 ? 1 : 4;
    lead = TFL_MAX_DIMS - in->ndim;
    for (i = 0; i < TFL_MAX_DIMS; i++) {
        d->before[i] = 0;
        d->in_dims[i] = d->out_dims[i] = 1;
    }
    for (i = 0; i < in->ndim; i++) {
        int64_t l = pad_at(pads, 2 * i), r = pad_at(pads, 2 * i + 1), limit = in->dims[i] - d->offset;
        if (l < 0 || r < 0 || l > limit || r > limit)
            return tfl_fail(ip, TFL_ERR_BAD_PARAMS, tfl_tensor_index(ip, pads));
        if (in->dims[i] + l + r != out->dims[i])
            return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
        d->before[lead + i] = (int32_t)l;
        d->in_dims[lead + i] = in->dims[i];
        d->out_dims[lead + i] = out->dims[i];
    }
    n->data = d;
    return TFL_OK;
}

/* Input index along one axis for output index p. */
static int32_t source_index(int32_t p, int32_t left, int32_t size, int32_t offset)
{
    if (p < left) {
        int32_t edge = left + offset - 1, k = edge - offset;
        return edge - (p < k ? p : k);
    }
    p -= left;
    if (p >= size) {
        int32_t edge = size - 1 - offset;
        p -= size;
        return edge - (p < edge ? p : edge);
    }
    return p;
}

static tfl_status_t eval(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    const mirror_pad_data_t *d = (const mirror_pad_data_t *)n->data;
    const uint8_t *x = (const uint8_t *)in->data;
    uint8_t *y = (uint8_t *)out->data;
    int32_t idx[TFL_MAX_DIMS] = {0};
    uint32_t i, total = tfl_num_elements(out);
    int32_t k;

    for (i = 0; i < total; i++) {
        int32_t src = 0;
        for (k = 0; k < TFL_MAX_DIMS; k++)
            src = src * d->in_dims[k] + source_index(idx[k], d->before[k], d->in_dims[k], d->offset);
        memcpy(y + i * d->elem, x + (uint32_t)src * d->elem, d->elem);
        for (k = TFL_MAX_DIMS - 1; k >= 0; k--) {
            if (++idx[k] < d->out_dims[k])
                break;
            idx[k] = 0;
        }
    }
    (void)ip;
    return TFL_OK;
}

const tfl_kernel_t tfl_ref_mirror_pad = {TFL_OP_MIRROR_PAD, prepare, eval};
