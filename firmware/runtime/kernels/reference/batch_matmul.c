/* BATCH_MATMUL: int8 (any zero points) and int16 (zero points 0, 64-bit accumulator), as TFLM.
 *
 * lhs [..., A, K] (adj_x: [..., K, A]) times rhs [..., K, C] (adj_y: [..., C, K]) gives
 * [..., A, C]; ranks 2 to 5, the leading (batch) dimensions broadcast.  One multiplier
 * lhs_s * rhs_s / out_s, the scale product formed in float as TFLM does.  TFLM transposes the
 * operands into persistent buffers first; the sums do not depend on the layout, so this kernel
 * indexes the operands in place.
 */
#include "tfl/kernel.h"
#include "ref_kernels.h"

enum { TFL_OPT_BATCH_MATMUL = 101, BMM_BATCH_DIMS = 3 };

typedef struct {
    int32_t rows, cols, depth; /* A, C, K */
    int32_t adj_x, adj_y, mult, shift, act_min, act_max;
    int32_t out_b[BMM_BATCH_DIMS], lhs_b[BMM_BATCH_DIMS], rhs_b[BMM_BATCH_DIMS];
} bmm_data_t;

/* Dimension i of t's shape extended with leading 1s to `rank` dimensions. */
static int32_t ext_dim(const tfl_tensor_t *t, int32_t rank, int32_t i)
{
    int32_t j = i - (rank - (int32_t)t->ndim);
    return j < 0 ? 1 : t->dims[j];
}

static tfl_status_t prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_tensor_t *lhs = tfl_node_input(ip, n, 0), *rhs = tfl_node_input(ip, n, 1), *out = tfl_node_output(ip, n, 0);
    bmm_data_t *d;
    int32_t rank, i, k_rhs;
    uint8_t dtype;
    double real;
    tfl_status_t s;

    if (n->n_inputs != 2 || n->n_outputs != 1)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, -1);
    dtype = lhs && lhs->type == TFL_TYPE_INT16 ? TFL_TYPE_INT16 : TFL_TYPE_INT8;
    if ((s = tfl_check_type(ip, lhs, dtype)) || (s = tfl_check_type(ip, rhs, dtype)) ||
        (s = tfl_check_type(ip, out, dtype)))
        return s;
    if (lhs->ndim < 2 || lhs->ndim > 5)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, lhs));
    if (rhs->ndim < 2 || rhs->ndim > 5)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, rhs));
    d = (bmm_data_t *)tfl_alloc_persistent(ip, sizeof(bmm_data_t));
    if (d == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    /* options are optional: both flags default to false */
    d->adj_x = n->options.pos != 0 && n->options_type == TFL_OPT_BATCH_MATMUL ? tfl_opt_i32(ip, n, 0, 1, 0) != 0 : 0;
    d->adj_y = n->options.pos != 0 && n->options_type == TFL_OPT_BATCH_MATMUL ? tfl_opt_i32(ip, n, 1, 1, 0) != 0 : 0;
    rank = lhs->ndim > rhs->ndim ? lhs->ndim : rhs->ndim;
    if ((int32_t)out->ndim != rank)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    for (i = 0; i < BMM_BATCH_DIMS; i++) {
        int32_t r = i - (BMM_BATCH_DIMS - (rank - 2)); /* batch dim i of 3, counted into the output */
        int32_t l = r < 0 ? 1 : ext_dim(lhs, rank, r), q = r < 0 ? 1 : ext_dim(rhs, rank, r);
        if (l != q && l != 1 && q != 1)
            return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, rhs));
        d->lhs_b[i] = l;
        d->rhs_b[i] = q;
        d->out_b[i] = l > q ? l : q;
        if (r >= 0 && out->dims[r] != d->out_b[i])
            return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    }
    d->rows = d->adj_x ? tfl_dim(lhs, -1) : tfl_dim(lhs, -2);
    d->depth = d->adj_x ? tfl_dim(lhs, -2) : tfl_dim(lhs, -1);
    k_rhs = d->adj_y ? tfl_dim(rhs, -1) : tfl_dim(rhs, -2);
    d->cols = d->adj_y ? tfl_dim(rhs, -2) : tfl_dim(rhs, -1);
    if (k_rhs != d->depth)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, rhs));
    if (tfl_dim(out, -2) != d->rows || tfl_dim(out, -1) != d->cols)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    real = (double)(lhs->scale * rhs->scale) / (double)out->scale;
    if (tfl_quantize_multiplier(real, &d->mult, &d->shift) || (dtype == TFL_TYPE_INT16 && d->shift > 14))
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, tfl_tensor_index(ip, out));
    /* no fused activation: the type's range */
    d->act_min = dtype == TFL_TYPE_INT16 ? -32768 : -128;
    d->act_max = dtype == TFL_TYPE_INT16 ? 32767 : 127;
    n->data = d;
    return TFL_OK;
}

static tfl_status_t eval(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *lhs = tfl_node_input(ip, n, 0), *rhs = tfl_node_input(ip, n, 1);
    const tfl_tensor_t *out = tfl_node_output(ip, n, 0);
    const bmm_data_t *d = (const bmm_data_t *)n->data;
    const int wide = lhs->type == TFL_TYPE_INT16;
    const int32_t A = d->rows, C = d->cols, K = d->depth;
    const int32_t lzp = lhs->zero_point, rzp = rhs->zero_point, ozp = out->zero_point;
    /* element strides of the operands' matrices: L(i,k) and R(k,j) */
    const int32_t li = d->adj_x ? 1 : K, lk = d->adj_x ? A : 1;
    const int32_t rk = d->adj_y ? 1 : C, rj = d->adj_y ? K : 1;
    int32_t b0, b1, b2, i, j, k;
    uint32_t ob = 0;

    for (b0 = 0; b0 < d->out_b[0]; b0++) {
        for (b1 = 0; b1 < d->out_b[1]; b1++) {
            for (b2 = 0; b2 < d->out_b[2]; b2++, ob++) {
                const uint32_t lb = (((uint32_t)(d->lhs_b[0] > 1 ? b0 : 0) * (uint32_t)d->lhs_b[1] +
                                      (uint32_t)(d->lhs_b[1] > 1 ? b1 : 0)) * (uint32_t)d->lhs_b[2] +
                                     (uint32_t)(d->lhs_b[2] > 1 ? b2 : 0)) * (uint32_t)(A * K);
                const uint32_t rb = (((uint32_t)(d->rhs_b[0] > 1 ? b0 : 0) * (uint32_t)d->rhs_b[1] +
                                      (uint32_t)(d->rhs_b[1] > 1 ? b1 : 0)) * (uint32_t)d->rhs_b[2] +
                                     (uint32_t)(d->rhs_b[2] > 1 ? b2 : 0)) * (uint32_t)(K * C);
                for (i = 0; i < A; i++) {
                    for (j = 0; j < C; j++) {
                        const uint32_t o = ob * (uint32_t)(A * C) + (uint32_t)(i * C + j);
                        uint64_t acc = 0; /* int32 (int8) or int64 (int16) sums, wrapping */
                        int32_t v;
                        if (wide) {
                            const int16_t *l = (const int16_t *)lhs->data + lb, *r = (const int16_t *)rhs->data + rb;
                            for (k = 0; k < K; k++)
                                acc += (uint64_t)(int64_t)((int32_t)l[i * li + k * lk] * (int32_t)r[k * rk + j * rj]);
                            v = tfl_mbqm64((int64_t)acc, d->mult, d->shift) + ozp;
                            ((int16_t *)out->data)[o] = (int16_t)tfl_clamp(v, d->act_min, d->act_max);
                        } else {
                            const int8_t *l = (const int8_t *)lhs->data + lb, *r = (const int8_t *)rhs->data + rb;
                            for (k = 0; k < K; k++)
                                acc += (uint64_t)(int64_t)(((int32_t)l[i * li + k * lk] - lzp) *
                                                           ((int32_t)r[k * rk + j * rj] - rzp));
                            v = tfl_mbqm((int32_t)(uint32_t)acc, d->mult, d->shift) + ozp;
                            ((int8_t *)out->data)[o] = (int8_t)tfl_clamp(v, d->act_min, d->act_max);
                        }
                    }
                }
            }
        }
    }
    (void)ip;
    return TFL_OK;
}

const tfl_kernel_t tfl_ref_batch_matmul = {TFL_OP_BATCH_MATMUL, prepare, eval};
