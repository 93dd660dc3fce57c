/* SQUARED_DIFFERENCE, int8 and int16 with broadcasting: both inputs shifted left (7 for int8,
 * 0 for int16), rescaled to twice the larger input scale as ADD does, the difference squared and
 * rescaled by (2*max)^2 / (2^(2*shift) * out_s); clamped to the type's range (no activation). */
#include "broadcast.h"
#include "elementwise.h"
#include "ref_kernels.h"

typedef struct {
    int32_t in1_off, in2_off, out_off, left_shift;
    int32_t m1, s1, m2, s2, mo, so, qmin, qmax;
    tfl_bcast_t bc;
} sqdiff_data_t;

static tfl_status_t prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_tensor_t *a = tfl_node_input(ip, n, 0), *b = tfl_node_input(ip, n, 1), *out = tfl_node_output(ip, n, 0);
    sqdiff_data_t *d;
    tfl_status_t s;
    double twice_max;

    if ((s = tfl_ref_check_binary(ip, a, b, out)) != TFL_OK)
        return s;
    d = (sqdiff_data_t *)tfl_alloc_persistent(ip, sizeof(sqdiff_data_t));
    if (d == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    if (tfl_bcast_init(&d->bc, a, b, out))
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    d->in1_off = -a->zero_point;
    d->in2_off = -b->zero_point;
    d->out_off = out->zero_point;
    d->left_shift = out->type == TFL_TYPE_INT16 ? 0 : 7;
    tfl_ref_type_range(out->type, &d->qmin, &d->qmax);
    twice_max = 2.0 * (double)(a->scale > b->scale ? a->scale : b->scale);
    if (tfl_quantize_multiplier((double)a->scale / twice_max, &d->m1, &d->s1) ||
        tfl_quantize_multiplier((double)b->scale / twice_max, &d->m2, &d->s2) ||
        tfl_quantize_multiplier(twice_max * twice_max / (double)((float)(1 << (2 * d->left_shift)) * out->scale),
                                &d->mo, &d->so))
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, tfl_tensor_index(ip, out));
    n->data = d;
    return TFL_OK;
}

static tfl_status_t eval(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *a = tfl_node_input(ip, n, 0), *b = tfl_node_input(ip, n, 1);
    const tfl_tensor_t *out = tfl_node_output(ip, n, 0);
    const sqdiff_data_t *d = (const sqdiff_data_t *)n->data;
    const uint8_t type = out->type;
    int32_t idx[TFL_MAX_DIMS] = {0};
    uint32_t i, total = tfl_num_elements(out);

    for (i = 0; i < total; i++) {
        int32_t o1, o2, v1, v2, diff, r;
        tfl_bcast_offsets(&d->bc, idx, &o1, &o2);
        v1 = (int32_t)((uint32_t)(tfl_ref_load(a->data, type, (uint32_t)o1) + d->in1_off) << d->left_shift);
        v2 = (int32_t)((uint32_t)(tfl_ref_load(b->data, type, (uint32_t)o2) + d->in2_off) << d->left_shift);
        diff = tfl_mbqm(v1, d->m1, d->s1) - tfl_mbqm(v2, d->m2, d->s2);
        r = tfl_mbqm((int32_t)((uint32_t)diff * (uint32_t)diff), d->mo, d->so) + d->out_off;
        tfl_ref_store(out->data, type, i, tfl_clamp(r, d->qmin, d->qmax));
        tfl_bcast_next(&d->bc, idx);
    }
    (void)ip;
    return TFL_OK;
}

const tfl_kernel_t tfl_ref_squared_difference = {TFL_OP_SQUARED_DIFFERENCE, prepare, eval};
