/*
 * Ops that move elements without changing them: TRANSPOSE, DEPTH_TO_SPACE and SPACE_TO_DEPTH
 * (each a permutation of a view of the input, done by one strided copy), SPACE_TO_BATCH_ND and
 * BATCH_TO_SPACE_ND (blocks of the spatial dims to and from the batch, with padding or crops).
 * Types as TFLM: int8, int16 and float32 for TRANSPOSE; int8 and float32 for the others.
 */
#include <string.h>

#include "ref_kernels.h"
#include "shape_util.h"

enum { OPT_SPACE_TO_DEPTH = 19, OPT_DEPTH_TO_SPACE = 94 };

typedef struct {
    uint32_t ndim, esize;
    int32_t dims[TFL_MAX_DIMS];   /* output view */
    int32_t stride[TFL_MAX_DIMS]; /* input element stride per output-view dim */
} permute_data_t;

void tfl_shape_permute(const void *in, void *out, uint32_t esize, uint32_t ndim, const int32_t *dims,
                       const int32_t *stride)
{
    int32_t idx[TFL_MAX_DIMS] = {0};
    uint32_t count = 1, i, k;
    int32_t off = 0;
    const uint8_t *x = (const uint8_t *)in;
    uint8_t *y = (uint8_t *)out;
    for (k = 0; k < ndim; k++)
        count *= (uint32_t)dims[k];
    for (i = 0; i < count; i++) {
        memcpy(y + (size_t)i * esize, x + (size_t)off * esize, esize);
        for (k = ndim; k-- > 0;) { /* next output index; keep the input offset in step */
            off += stride[k];
            if (++idx[k] < dims[k])
                break;
            off -= stride[k] * dims[k];
            idx[k] = 0;
        }
    }
}

static tfl_status_t permute_eval(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    const permute_data_t *d = (const permute_data_t *)n->data;
    tfl_shape_permute(in->data, out->data, d->esize, d->ndim, d->dims, d->stride);
    return TFL_OK;
}

static permute_data_t *alloc_permute(tfl_interp_t *ip, tfl_node_t *n, const tfl_tensor_t *in)
{
    permute_data_t *d = (permute_data_t *)tfl_alloc_persistent(ip, sizeof(permute_data_t));
    if (d != 0) {
        memset(d, 0, sizeof(*d));
        d->esize = tfl_shape_esize(in->type);
    }
    n->data = d;
    return d;
}

static tfl_status_t transpose_prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_tensor_t *in = tfl_node_input(ip, n, 0), *perm = tfl_node_input(ip, n, 1), *out = tfl_node_output(ip, n, 0);
    int32_t in_stride[TFL_MAX_DIMS], i, s_ = 1;
    uint32_t seen = 0;
    permute_data_t *d;
    tfl_status_t s;
    if ((s = tfl_shape_check_same(ip, in, out)) != TFL_OK ||
        (s = tfl_shape_check_type(ip, in, TFL_T_INT8 | TFL_T_INT16 | TFL_T_FLOAT32)) != TFL_OK ||
        (s = tfl_shape_check_const_index(ip, perm, in->ndim, 0)) != TFL_OK)
        return s;
    if (in->ndim < 1 || in->ndim > 5) /* TFLM: 1-d to 5-d */
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, in));
    if (out->ndim != in->ndim)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    for (i = in->ndim - 1; i >= 0; i--) {
        in_stride[i] = s_;
        s_ *= in->dims[i];
    }
    if ((d = alloc_permute(ip, n, in)) == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    d->ndim = in->ndim;
    for (i = 0; i < in->ndim; i++) {
        int32_t p = (int32_t)tfl_shape_const_at(perm, (uint32_t)i);
        if (p < 0 || p >= in->ndim || (seen & (1u << p)))
            return tfl_fail(ip, TFL_ERR_BAD_PARAMS, tfl_tensor_index(ip, perm));
        seen |= 1u << p;
        if (out->dims[i] != in->dims[p])
            return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
        d->dims[i] = in->dims[p];
        d->stride[i] = in_stride[p];
    }
    return TFL_OK;
}

/* DEPTH_TO_SPACE and SPACE_TO_DEPTH: 4-d NHWC, both the permutation (0,1,3,2,4,5) of a 6-d view. */
static tfl_status_t depth_space_prepare(tfl_interp_t *ip, tfl_node_t *n, int to_space)
{
    tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    int32_t bs = tfl_shape_opt(ip, n, to_space ? OPT_DEPTH_TO_SPACE : OPT_SPACE_TO_DEPTH, 0, 4, 0);
    int32_t b, h, w, c, oh, ow, oc;
    permute_data_t *d;
    tfl_status_t s;
    if ((s = tfl_shape_check_same(ip, in, out)) != TFL_OK ||
        (s = tfl_shape_check_type(ip, in, TFL_T_INT8 | TFL_T_FLOAT32)) != TFL_OK ||
        (s = tfl_check_ndim(ip, in, 4)) != TFL_OK || (s = tfl_check_ndim(ip, out, 4)) != TFL_OK)
        return s;
    if (bs < 1 || bs > 0xffff)
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, -1);
    b = in->dims[0], h = in->dims[1], w = in->dims[2], c = in->dims[3];
    if (to_space ? c % (bs * bs) != 0 : (h % bs != 0 || w % bs != 0))
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, in));
    oh = to_space ? h * bs : h / bs;
    ow = to_space ? w * bs : w / bs;
    oc = to_space ? c / (bs * bs) : c * bs * bs;
    if (out->dims[0] != b || out->dims[1] != oh || out->dims[2] != ow || out->dims[3] != oc)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    if ((d = alloc_permute(ip, n, in)) == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    d->ndim = 6;
    if (to_space) { /* view [B,H,W,bs,bs,C'] -> [B,H,bs,W,bs,C'] */
        int32_t dims[6] = {b, h, bs, w, bs, oc};
        int32_t st[6] = {h * w * c, w * c, bs * oc, c, oc, 1};
        memcpy(d->dims, dims, sizeof dims);
        memcpy(d->stride, st, sizeof st);
    } else { /* view [B,H',bs,W',bs,C] -> [B,H',W',bs,bs,C] */
        int32_t dims[6] = {b, oh, ow, bs, bs, c};
        int32_t st[6] = {h * w * c, bs * w * c, bs * c, w * c, c, 1};
        memcpy(d->dims, dims, sizeof dims);
        memcpy(d->stride, st, sizeof st);
    }
    return TFL_OK;
}

static tfl_status_t d2s_prepare(tfl_interp_t *ip, tfl_node_t *n) { return depth_space_prepare(ip, n, 1); }
static tfl_status_t s2d_prepare(tfl_interp_t *ip, tfl_node_t *n) { return depth_space_prepare(ip, n, 0); }

/* SPACE_TO_BATCH_ND / BATCH_TO_SPACE_ND on a [B, H, W, C] view (W = 1 for 3-d tensors). */
typedef struct {
    int32_t ib, ih, iw, ob, oh, ow, c, bh, bw, top, left;
    uint32_t esize;
    int32_t pad; /* SPACE_TO_BATCH_ND's pad value (the output zero point), int8 */
} batch_space_data_t;

static tfl_status_t batch_space_prepare(tfl_interp_t *ip, tfl_node_t *n, int to_batch)
{
    tfl_tensor_t *in = tfl_node_input(ip, n, 0), *block = tfl_node_input(ip, n, 1);
    tfl_tensor_t *pads = tfl_node_input(ip, n, 2), *out = tfl_node_output(ip, n, 0);
    batch_space_data_t *d;
    int32_t sp, k, blk[2] = {1, 1}, pb[2] = {0, 0}, pe[2] = {0, 0}, nb;
    tfl_status_t s;
    if ((s = tfl_shape_check_same(ip, in, out)) != TFL_OK ||
        (s = tfl_shape_check_type(ip, in, TFL_T_INT8 | TFL_T_FLOAT32)) != TFL_OK)
        return s;
    if (in->ndim < 3 || in->ndim > 4 || out->ndim != in->ndim)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, in->ndim < 3 || in->ndim > 4 ? in : out));
    sp = in->ndim - 2;
    if ((s = tfl_shape_check_const_index(ip, block, sp, 0)) != TFL_OK ||
        (s = tfl_shape_check_const_index(ip, pads, 2 * sp, 0)) != TFL_OK)
        return s;
    for (k = 0; k < sp; k++) {
        blk[k] = (int32_t)tfl_shape_const_at(block, (uint32_t)k);
        pb[k] = (int32_t)tfl_shape_const_at(pads, (uint32_t)(2 * k));
        pe[k] = (int32_t)tfl_shape_const_at(pads, (uint32_t)(2 * k + 1));
        if (blk[k] < 1 || blk[k] > 0xffff || pb[k] < 0 || pe[k] < 0 || pb[k] > 0xffffff || pe[k] > 0xffffff)
            return tfl_fail(ip, TFL_ERR_BAD_PARAMS, tfl_tensor_index(ip, blk[k] < 1 ? block : pads));
    }
    if ((d = (batch_space_data_t *)tfl_alloc_persistent(ip, sizeof(*d))) == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    n->data = d;
    nb = blk[0] * blk[1];
    d->ib = in->dims[0], d->ih = in->dims[1], d->iw = sp == 2 ? in->dims[2] : 1, d->c = in->dims[in->ndim - 1];
    d->ob = out->dims[0], d->oh = out->dims[1], d->ow = sp == 2 ? out->dims[2] : 1;
    d->bh = blk[0], d->bw = blk[1], d->top = pb[0], d->left = pb[1];
    d->esize = tfl_shape_esize(in->type);
    d->pad = in->type == TFL_TYPE_INT8 ? out->zero_point : 0;
    if (out->dims[in->ndim - 1] != d->c)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    if (to_batch) {
        if ((d->ih + pb[0] + pe[0]) % blk[0] != 0 || (d->iw + pb[1] + pe[1]) % blk[1] != 0)
            return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, in));
        if (d->ob != d->ib * nb || d->oh != (d->ih + pb[0] + pe[0]) / blk[0] ||
            d->ow != (d->iw + pb[1] + pe[1]) / blk[1])
            return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    } else {
        if (d->ib % nb != 0)
            return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, in));
        if (d->ob != d->ib / nb || d->oh != d->ih * blk[0] - pb[0] - pe[0] ||
            d->ow != d->iw * blk[1] - pb[1] - pe[1])
            return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    }
    return TFL_OK;
}

static tfl_status_t s2b_prepare(tfl_interp_t *ip, tfl_node_t *n) { return batch_space_prepare(ip, n, 1); }
static tfl_status_t b2s_prepare(tfl_interp_t *ip, tfl_node_t *n) { return batch_space_prepare(ip, n, 0); }

static tfl_status_t batch_space_eval(tfl_interp_t *ip, tfl_node_t *n, int to_batch)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    const batch_space_data_t *d = (const batch_space_data_t *)n->data;
    const uint8_t *x = (const uint8_t *)in->data;
    uint8_t *y = (uint8_t *)out->data;
    uint32_t row = (uint32_t)d->c * d->esize;
    int32_t ob, oh, ow;
    for (ob = 0; ob < d->ob; ob++) {
        for (oh = 0; oh < d->oh; oh++) {
            for (ow = 0; ow < d->ow; ow++, y += row) {
                int32_t b, h, w;
                if (to_batch) {
                    int32_t k = ob / d->ib;
                    b = ob % d->ib;
                    h = oh * d->bh + k / d->bw - d->top;
                    w = ow * d->bw + k % d->bw - d->left;
                    if (h < 0 || h >= d->ih || w < 0 || w >= d->iw) {
                        memset(y, d->pad & 0xff, row);
                        continue;
                    }
                } else {
                    int32_t hh = oh + d->top, ww = ow + d->left;
                    h = hh / d->bh;
                    w = ww / d->bw;
                    b = ((hh % d->bh) * d->bw + ww % d->bw) * d->ob + ob;
                }
                memcpy(y, x + (((size_t)b * d->ih + h) * d->iw + w) * row, row);
            }
        }
    }
    return TFL_OK;
}

static tfl_status_t s2b_eval(tfl_interp_t *ip, tfl_node_t *n) { return batch_space_eval(ip, n, 1); }
static tfl_status_t b2s_eval(tfl_interp_t *ip, tfl_node_t *n) { return batch_space_eval(ip, n, 0); }

const tfl_kernel_t tfl_ref_transpose = {TFL_OP_TRANSPOSE, transpose_prepare, permute_eval};
const tfl_kernel_t tfl_ref_depth_to_space = {TFL_OP_DEPTH_TO_SPACE, d2s_prepare, permute_eval};
const tfl_kernel_t tfl_ref_space_to_depth = {TFL_OP_SPACE_TO_DEPTH, s2d_prepare, permute_eval};
const tfl_kernel_t tfl_ref_space_to_batch_nd = {TFL_OP_SPACE_TO_BATCH_ND, s2b_prepare, s2b_eval};
const tfl_kernel_t tfl_ref_batch_to_space_nd = {TFL_OP_BATCH_TO_SPACE_ND, b2s_prepare, b2s_eval};
