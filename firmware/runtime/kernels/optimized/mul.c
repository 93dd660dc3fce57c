/* MUL, optimized (int8 and int16): the reference prepare, then passes with the reference's
 * arithmetic ((x1 + off1) * (x2 + off2) rescaled; opt_mbqm is tfl_mbqm's bits) without the
 * broadcast index walk. With the DSP extension four int8 pairs come from one word each, offset by
 * SXTAB16 and multiplied by SMULBB/SMULTT (as CMSIS-NN's arm_elementwise_mul_s8). Inputs of the
 * output's shape take one pass; an operand broadcast by blocks (opt_block_bcast: a per-channel
 * scale, as in squeeze-and-excitation blocks) one pass per block; a single value is a constant
 * factor. Any other broadcast runs on the reference kernel. */
#include "opt_common.h"
#include "ref_kernels.h"

extern const tfl_kernel_t tfl_opt_mul;

static tfl_status_t prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_status_t s = tfl_ref_mul.prepare(ip, n);
    const tfl_tensor_t *a, *b, *out;
    if (s != TFL_OK)
        return s;
    a = tfl_node_input(ip, n, 0);
    b = tfl_node_input(ip, n, 1);
    out = tfl_node_output(ip, n, 0);
    uint32_t inner;
    if (!opt_block_bcast(b, a, out, &inner) && !opt_block_bcast(a, b, out, &inner))
        n->kernel = &tfl_ref_mul;
    return TFL_OK;
}

static void mul_int8(const tfl_ref_mul_data_t *d, const int8_t *x1, const int8_t *x2, int8_t *y, uint32_t total)
{
    const int32_t off1 = d->in1_off, off2 = d->in2_off, q = d->mult, sh = d->shift, zo = d->out_off;
    const int32_t lo = d->act_min, hi = d->act_max;
    uint32_t i = 0;
#if TFL_OPT_DSP
    const uint32_t o1 = opt_dup16(off1), o2 = opt_dup16(off2);
    for (; i + 4 <= total; i += 4) {
        const uint32_t a = opt_rd32(x1 + i), b = opt_rd32(x2 + i);
        const uint32_t a02 = opt_sxtab16(o1, a), a13 = opt_sxtab16_ror8(o1, a);
        const uint32_t b02 = opt_sxtab16(o2, b), b13 = opt_sxtab16_ror8(o2, b);
        const int8_t r0 = opt_out8(opt_smlabb(a02, b02, 0), q, sh, zo, lo, hi);
        const int8_t r1 = opt_out8(opt_smlabb(a13, b13, 0), q, sh, zo, lo, hi);
        const int8_t r2 = opt_out8(opt_smlatt(a02, b02, 0), q, sh, zo, lo, hi);
        const int8_t r3 = opt_out8(opt_smlatt(a13, b13, 0), q, sh, zo, lo, hi);
        opt_wr32(y + i, (uint32_t)(uint8_t)r0 | ((uint32_t)(uint8_t)r1 << 8) | ((uint32_t)(uint8_t)r2 << 16) |
                            ((uint32_t)(uint8_t)r3 << 24));
    }
#endif
    for (; i < total; i++)
        y[i] = opt_out8((x1[i] + off1) * (x2[i] + off2), q, sh, zo, lo, hi);
}

/* int16: the zero points are 0 (the reference prepare requires it) */
static void mul_int16(const tfl_ref_mul_data_t *d, const int16_t *x1, const int16_t *x2, int16_t *y, uint32_t total)
{
    const int32_t q = d->mult, sh = d->shift, lo = d->act_min, hi = d->act_max;
    uint32_t i;
    for (i = 0; i < total; i++)
        y[i] = (int16_t)tfl_clamp(opt_mbqm(x1[i] * x2[i], q, sh), lo, hi);
}

/* x * c for a single value c (its offset added once); the product commutes */
static void mul_scalar(const tfl_ref_mul_data_t *d, const void *x, int32_t xoff, int32_t c, void *y, uint32_t total,
                       int is16)
{
    const int32_t q = d->mult, sh = d->shift, zo = d->out_off, lo = d->act_min, hi = d->act_max;
    uint32_t i;
    if (is16) {
        for (i = 0; i < total; i++)
            ((int16_t *)y)[i] = (int16_t)tfl_clamp(opt_mbqm(((const int16_t *)x)[i] * c, q, sh), lo, hi);
    } else {
        for (i = 0; i < total; i++)
            ((int8_t *)y)[i] = opt_out8((((const int8_t *)x)[i] + xoff) * c, q, sh, zo, lo, hi);
    }
}

static void mul_block(const void *data, const void *x1, const void *x2, void *y, uint32_t total, int is16)
{
    const tfl_ref_mul_data_t *d = (const tfl_ref_mul_data_t *)data;
    if (is16)
        mul_int16(d, (const int16_t *)x1, (const int16_t *)x2, (int16_t *)y, total);
    else
        mul_int8(d, (const int8_t *)x1, (const int8_t *)x2, (int8_t *)y, total);
}

static tfl_status_t eval(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *a = tfl_node_input(ip, n, 0), *b = tfl_node_input(ip, n, 1);
    const tfl_tensor_t *out = tfl_node_output(ip, n, 0);
    const tfl_ref_mul_data_t *d = (const tfl_ref_mul_data_t *)n->data;
    const uint32_t total = tfl_num_elements(out), size = out->type == TFL_TYPE_INT16 ? 2u : 1u;
    const int is16 = size == 2u;
    const uint8_t *x1 = (const uint8_t *)a->data, *x2 = (const uint8_t *)b->data;
    uint8_t *y = (uint8_t *)out->data;
    uint32_t inner = total;
    const int b_small = opt_bcast_b(a, b, out, &inner);
    if (inner == total) {
        mul_block(d, x1, x2, y, total, is16);
    } else if (inner == 1) {
        const uint8_t *c = b_small ? x2 : x1;
        const int32_t cv = is16 ? *(const int16_t *)c : *(const int8_t *)c + (b_small ? d->in2_off : d->in1_off);
        mul_scalar(d, b_small ? x1 : x2, b_small ? d->in1_off : d->in2_off, cv, y, total, is16);
    } else {
        opt_bcast_blocks(mul_block, d, x1, x2, y, total, inner, size, is16, b_small);
    }
    return TFL_OK;
}

const tfl_kernel_t tfl_opt_mul = {TFL_OP_MUL, prepare, eval};
