/* PRELU: int8 input/alpha/output, or int16 input/output with int8 alpha (TFLM's pairs); alpha
 * broadcast against the input.  x >= 0: x * in_s/out_s; x < 0: x * alpha * in_s*alpha_s/out_s
 * (offsets removed first, multipliers in double). */
#include "broadcast.h"
#include "elementwise.h"
#include "ref_kernels.h"

typedef struct {
    int32_t in_off, alpha_off, out_off, m1, s1, m2, s2, qmin, qmax;
    tfl_bcast_t bc;
} prelu_data_t;

static tfl_status_t prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_tensor_t *in = tfl_node_input(ip, n, 0), *alpha = tfl_node_input(ip, n, 1), *out = tfl_node_output(ip, n, 0);
    prelu_data_t *d;
    tfl_status_t s;

    if ((s = tfl_ref_check_int8_or_int16(ip, in, 0, out)) || (s = tfl_check_type(ip, alpha, TFL_TYPE_INT8)))
        return s;
    d = (prelu_data_t *)tfl_alloc_persistent(ip, sizeof(prelu_data_t));
    if (d == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    if (tfl_bcast_init(&d->bc, in, alpha, out))
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    d->in_off = -in->zero_point;
    d->alpha_off = -alpha->zero_point;
    d->out_off = out->zero_point;
    tfl_ref_type_range(out->type, &d->qmin, &d->qmax);
    if (tfl_quantize_multiplier((double)in->scale / (double)out->scale, &d->m1, &d->s1) ||
        tfl_quantize_multiplier((double)in->scale * (double)alpha->scale / (double)out->scale, &d->m2, &d->s2))
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, tfl_tensor_index(ip, out));
    n->data = d;
    return TFL_OK;
}

static tfl_status_t eval(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *alpha = tfl_node_input(ip, n, 1);
    const tfl_tensor_t *out = tfl_node_output(ip, n, 0);
    const prelu_data_t *d = (const prelu_data_t *)n->data;
    const uint8_t type = out->type;
    const int8_t *a = (const int8_t *)alpha->data;
    int32_t idx[TFL_MAX_DIMS] = {0};
    uint32_t i, total = tfl_num_elements(out);

    for (i = 0; i < total; i++) {
        int32_t o1, o2, v, r;
        tfl_bcast_offsets(&d->bc, idx, &o1, &o2);
        v = tfl_ref_load(in->data, type, (uint32_t)o1) + d->in_off;
        if (v >= 0)
            r = tfl_mbqm(v, d->m1, d->s1);
        else
            r = tfl_mbqm(v * (a[o2] + d->alpha_off), d->m2, d->s2);
        tfl_ref_store(out->data, type, i, tfl_clamp(r + d->out_off, d->qmin, d->qmax));
        tfl_bcast_next(&d->bc, idx);
    }
    (void)ip;
    return TFL_OK;
}

const tfl_kernel_t tfl_ref_prelu = {TFL_OP_PRELU, prepare, eval};
