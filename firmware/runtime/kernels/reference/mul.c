/* MUL, int8 and int16 (all zero points 0, as TFLM requires) with broadcasting. */
#include "broadcast.h"
#include "elementwise.h"
#include "ref_kernels.h"

typedef tfl_ref_mul_data_t mul_data_t;

static tfl_status_t prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_tensor_t *a = tfl_node_input(ip, n, 0), *b = tfl_node_input(ip, n, 1), *out = tfl_node_output(ip, n, 0);
    mul_data_t *d;
    tfl_status_t s;

    if ((s = tfl_ref_check_binary(ip, a, b, out)) != TFL_OK)
        return s;
    if (out->type == TFL_TYPE_INT16 && (a->zero_point || b->zero_point || out->zero_point))
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE,
                        tfl_tensor_index(ip, a->zero_point ? a : (b->zero_point ? b : out)));
    d = (mul_data_t *)tfl_alloc_persistent(ip, sizeof(mul_data_t));
    if (d == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    if (tfl_bcast_init(&d->bc, a, b, out))
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    d->in1_off = -a->zero_point;
    d->in2_off = -b->zero_point;
    d->out_off = out->zero_point;
    if (tfl_quantize_multiplier((double)a->scale * (double)b->scale / (double)out->scale, &d->mult, &d->shift))
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, tfl_tensor_index(ip, out));
    if (n->options.pos != 0 && n->options_type != TFL_OPT_MUL)
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, -1);
    if (out->type == TFL_TYPE_INT16 ? tfl_ref_activation_range(tfl_opt_i32(ip, n, 0, 1, 0), out, &d->act_min, &d->act_max)
                                    : tfl_activation_range_int8(tfl_opt_i32(ip, n, 0, 1, 0), out->scale, out->zero_point,
                                                                &d->act_min, &d->act_max))
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, -1);
    n->data = d;
    return TFL_OK;
}

#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void eval_int16(const mul_data_t *d, const int16_t *x1, const int16_t *x2, int16_t *y, uint32_t total)
{
    int32_t idx[TFL_MAX_DIMS] = {0};
    uint32_t i;
    for (i = 0; i < total; i++) {
        int32_t o1, o2;
        tfl_bcast_offsets(&d->bc, idx, &o1, &o2);
        y[i] = (int16_t)tfl_clamp(tfl_mbqm(x1[o1] * x2[o2], d->mult, d->shift), d->act_min, d->act_max);
        tfl_bcast_next(&d->bc, idx);
    }
}

static tfl_status_t eval(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *a = tfl_node_input(ip, n, 0), *b = tfl_node_input(ip, n, 1);
    const tfl_tensor_t *out = tfl_node_output(ip, n, 0);
    const mul_data_t *d = (const mul_data_t *)n->data;
    const int8_t *x1 = (const int8_t *)a->data, *x2 = (const int8_t *)b->data;
    int8_t *y = (int8_t *)out->data;
    int32_t idx[TFL_MAX_DIMS] = {0};
    uint32_t i, total = tfl_num_elements(out);

    if (out->type == TFL_TYPE_INT16) {
        eval_int16(d, (const int16_t *)a->data, (const int16_t *)b->data, (int16_t *)out->data, total);
        return TFL_OK;
    }
    for (i = 0; i < total; i++) {
        int32_t o1, o2, r;
        tfl_bcast_offsets(&d->bc, idx, &o1, &o2);
        r = tfl_mbqm((x1[o1] + d->in1_off) * (x2[o2] + d->in2_off), d->mult, d->shift) + d->out_off;
        y[i] = (int8_t)tfl_clamp(r, d->act_min, d->act_max);
        tfl_bcast_next(&d->bc, idx);
    }
    (void)ip;
    return TFL_OK;
}

const tfl_kernel_t tfl_ref_mul = {TFL_OP_MUL, prepare, eval};
TFL_REF_EVAL(tfl_ref_mul, eval)
