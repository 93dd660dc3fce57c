/* ADD, optimized (int8 and int16): the reference prepare, then passes over the elements with the
 * reference's arithmetic (each input shifted left and rescaled to the common scale, the sum
 * rescaled to the output's; opt_mbqm is tfl_mbqm's bits), without the broadcast index walk. With
 * the DSP extension four int8 inputs come from one word each, offset by SXTAB16 (as CMSIS-NN's
 * arm_elementwise_add_s8). Inputs of the output's shape take one pass; an operand broadcast by
 * blocks (opt_block_bcast: a per-channel or per-row operand) one pass per block; a single value
 * has its rescaled term computed once. Any other broadcast runs on the reference kernel. */
#include "opt_common.h"
#include "ref_kernels.h"

extern const tfl_kernel_t tfl_opt_add;

static tfl_status_t prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_status_t s = tfl_ref_add.prepare(ip, n);
    const tfl_tensor_t *a, *b, *out;
    if (s != TFL_OK)
        return s;
    a = tfl_node_input(ip, n, 0);
    b = tfl_node_input(ip, n, 1);
    out = tfl_node_output(ip, n, 0);
    uint32_t inner;
    if (!opt_block_bcast(b, a, out, &inner) && !opt_block_bcast(a, b, out, &inner))
        n->kernel = &tfl_ref_add;
    return TFL_OK;
}

static inline __attribute__((always_inline)) int32_t add1(const tfl_ref_add_data_t *d, int32_t v1, int32_t v2,
                                                          int32_t ls)
{
    v1 = opt_mbqm((int32_t)((uint32_t)v1 << ls), d->m1, d->s1);
    v2 = opt_mbqm((int32_t)((uint32_t)v2 << ls), d->m2, d->s2);
    return opt_mbqm((int32_t)((uint32_t)v1 + (uint32_t)v2), d->mo, d->so) + d->out_off;
}

static void add_int8(const tfl_ref_add_data_t *d, const int8_t *x1, const int8_t *x2, int8_t *y, uint32_t total)
{
    const int32_t off1 = d->in1_off, off2 = d->in2_off, lo = d->act_min, hi = d->act_max;
    uint32_t i = 0;
#if TFL_OPT_DSP
    const uint32_t o1 = opt_dup16(off1), o2 = opt_dup16(off2);
    for (; i + 4 <= total; i += 4) {
        const uint32_t a = opt_rd32(x1 + i), b = opt_rd32(x2 + i);
        const uint32_t a02 = opt_sxtab16(o1, a), a13 = opt_sxtab16_ror8(o1, a);
        const uint32_t b02 = opt_sxtab16(o2, b), b13 = opt_sxtab16_ror8(o2, b);
        int32_t r0 = add1(d, (int16_t)a02, (int16_t)b02, 20), r1 = add1(d, (int16_t)a13, (int16_t)b13, 20);
        int32_t r2 = add1(d, (int32_t)a02 >> 16, (int32_t)b02 >> 16, 20);
        int32_t r3 = add1(d, (int32_t)a13 >> 16, (int32_t)b13 >> 16, 20);
        r0 = tfl_clamp(r0, lo, hi);
        r1 = tfl_clamp(r1, lo, hi);
        r2 = tfl_clamp(r2, lo, hi);
        r3 = tfl_clamp(r3, lo, hi);
        opt_wr32(y + i, ((uint32_t)r0 & 0xFFu) | (((uint32_t)r1 & 0xFFu) << 8) | (((uint32_t)r2 & 0xFFu) << 16) |
                            ((uint32_t)r3 << 24));
    }
#endif
    for (; i < total; i++)
        y[i] = (int8_t)tfl_clamp(add1(d, x1[i] + off1, x2[i] + off2, 20), lo, hi);
}

static void add_int16(const tfl_ref_add_data_t *d, const int16_t *x1, const int16_t *x2, int16_t *y, uint32_t total)
{
    const int32_t off1 = d->in1_off, off2 = d->in2_off, lo = d->act_min, hi = d->act_max;
    uint32_t i;
    for (i = 0; i < total; i++)
        y[i] = (int16_t)tfl_clamp(add1(d, x1[i] + off1, x2[i] + off2, 15), lo, hi);
}

/* x op c for a single value c: c's rescaled term once (the sum wraps as uint32 either way round) */
static int32_t add_term(int32_t v, int32_t m, int32_t sh, int32_t ls)
{
    return opt_mbqm((int32_t)((uint32_t)v << ls), m, sh);
}

static void add_scalar(const tfl_ref_add_data_t *d, const void *x, int x_first, int32_t c, void *y, uint32_t total,
                       int is16)
{
    const int32_t ls = is16 ? 15 : 20, lo = d->act_min, hi = d->act_max;
    const int32_t xo = x_first ? d->in1_off : d->in2_off, xm = x_first ? d->m1 : d->m2, xs = x_first ? d->s1 : d->s2;
    const uint32_t term = (uint32_t)(x_first ? add_term(c + d->in2_off, d->m2, d->s2, ls)
                                             : add_term(c + d->in1_off, d->m1, d->s1, ls));
    uint32_t i;
    for (i = 0; i < total; i++) {
        const int32_t v = is16 ? ((const int16_t *)x)[i] : ((const int8_t *)x)[i];
        const uint32_t t = (uint32_t)add_term(v + xo, xm, xs, ls);
        const int32_t r = tfl_clamp(opt_mbqm((int32_t)(t + term), d->mo, d->so) + d->out_off, lo, hi);
        if (is16)
            ((int16_t *)y)[i] = (int16_t)r;
        else
            ((int8_t *)y)[i] = (int8_t)r;
    }
}

static void add_block(const void *data, const void *x1, const void *x2, void *y, uint32_t total, int is16)
{
    const tfl_ref_add_data_t *d = (const tfl_ref_add_data_t *)data;
    if (is16)
        add_int16(d, (const int16_t *)x1, (const int16_t *)x2, (int16_t *)y, total);
    else
        add_int8(d, (const int8_t *)x1, (const int8_t *)x2, (int8_t *)y, total);
}

static tfl_status_t eval(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *a = tfl_node_input(ip, n, 0), *b = tfl_node_input(ip, n, 1);
    const tfl_tensor_t *out = tfl_node_output(ip, n, 0);
    const tfl_ref_add_data_t *d = (const tfl_ref_add_data_t *)n->data;
    const uint32_t total = tfl_num_elements(out), size = out->type == TFL_TYPE_INT16 ? 2u : 1u;
    const int is16 = size == 2u;
    const uint8_t *x1 = (const uint8_t *)a->data, *x2 = (const uint8_t *)b->data;
    uint8_t *y = (uint8_t *)out->data;
    uint32_t inner = total;
    const int b_small = opt_bcast_b(a, b, out, &inner);
    if (inner == total) {
        add_block(d, x1, x2, y, total, is16);
    } else if (inner == 1) {
        const uint8_t *c = b_small ? x2 : x1;
        add_scalar(d, b_small ? x1 : x2, b_small, is16 ? *(const int16_t *)c : *(const int8_t *)c, y, total, is16);
    } else {
        opt_bcast_blocks(add_block, d, x1, x2, y, total, inner, size, is16, b_small);
    }
    return TFL_OK;
}

const tfl_kernel_t tfl_opt_add = {TFL_OP_ADD, prepare, eval};
