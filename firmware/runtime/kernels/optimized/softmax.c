/* SOFTMAX, optimized (int8 in, int8 out): the reference prepare and the reference's fixed-point
 * arithmetic (the same exp on Q5.26 differences, Q12.19 sum and Newton-Raphson reciprocal, as
 * CMSIS-NN's arm_softmax_s8 and TFLite), with the rounding high multiply branch-free (see
 * opt_mbqm) and each row's exponentials computed once: kept in a buffer for rows of up to
 * OPT_SOFTMAX_CACHE elements (the reference and CMSIS-NN compute them twice). int16 in and
 * out (16x8, as CMSIS-NN's arm_softmax_s16): the reference prepare's tables, the rescale with
 * opt_mbqm and the table interpolation inline. int8 -> int16 runs on the reference kernel. */
#include "opt_common.h"
#include "ref_kernels.h"

#define OPT_SOFTMAX_CACHE 256 /* elements, 1 KiB of arena */

extern const tfl_kernel_t tfl_opt_softmax;
static tfl_status_t eval16(tfl_interp_t *ip, tfl_node_t *n);
static const tfl_kernel_t opt_softmax16 = {TFL_OP_SOFTMAX, 0, eval16};

typedef struct {
    const tfl_ref_softmax_data_t *ref;
    int32_t *exps; /* one row's exponentials, or 0 for rows longer than OPT_SOFTMAX_CACHE */
} opt_softmax_t;

static tfl_status_t prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_status_t s = tfl_ref_softmax.prepare(ip, n);
    const tfl_tensor_t *in;
    opt_softmax_t *o;
    int32_t depth;
    if (s != TFL_OK)
        return s;
    in = tfl_node_input(ip, n, 0);
    if (in->type == TFL_TYPE_INT16) { /* n->data is the reference's tfl_ref_softmax16_data_t */
        n->kernel = &opt_softmax16;
        return TFL_OK;
    }
    if (n->kernel != &tfl_opt_softmax) /* int8 -> int16: the reference kernel */
        return TFL_OK;
    depth = in->dims[in->ndim - 1];
    o = (opt_softmax_t *)tfl_alloc_persistent(
        ip, sizeof(opt_softmax_t) + (depth <= OPT_SOFTMAX_CACHE ? 4u * (uint32_t)depth : 0u));
    if (o == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    o->ref = (const tfl_ref_softmax_data_t *)n->data;
    o->exps = depth <= OPT_SOFTMAX_CACHE ? (int32_t *)(o + 1) : 0;
    n->data = o;
    return TFL_OK;
}

/* tfl_srdhm when b > 0 (never saturates): (ab + 2^30) >> 31 is its rounding for either sign */
static inline __attribute__((always_inline)) int32_t mulp(int32_t a, int32_t b)
{
    return (int32_t)(((int64_t)a * b + (1 << 30)) >> 31);
}

/* tfl_srdhm for any operands */
static inline __attribute__((always_inline)) int32_t mul(int32_t a, int32_t b)
{
    return a == INT32_MIN && b == INT32_MIN ? INT32_MAX : mulp(a, b);
}

static inline __attribute__((always_inline)) int32_t add(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

/* the reference's exp_quarter_interval: exp(a) for a in [-1/4, 0), Q0.31 */
static inline __attribute__((always_inline)) int32_t exp_quarter(int32_t a)
{
    const int32_t exp_minus_eighth = 1895147668, one_third = 715827883;
    const int32_t x = add(a, 1 << 28), x2 = mul(x, x), x3 = mul(x2, x), x4 = mul(x2, x2);
    const int32_t poly = tfl_rdbpot(add(mulp(add(tfl_rdbpot(x4, 2), x3), one_third), x2), 1);
    return add(exp_minus_eighth, mulp(add(x, poly), exp_minus_eighth));
}

/* the reference's exp_negative: exp(a) for a <= 0 in Q5.26, Q0.31 */
static int32_t exp_neg(int32_t a)
{
    static const int32_t barrel[7] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
    const int32_t quarter = 1 << 24;
    const int32_t mmq = (int32_t)((uint32_t)(a & (quarter - 1)) - (uint32_t)quarter);
    /* mmq is in [-2^24, 0): the saturating << 5 of the reference cannot saturate */
    int32_t result = exp_quarter((int32_t)((uint32_t)mmq << 5));
    const uint32_t rem = (uint32_t)mmq - (uint32_t)a;
    int32_t k;
    if (a == 0)
        return INT32_MAX;
    for (k = 0; k < 7; k++)
        if (rem & (1u << (24 + k)))
            result = mulp(result, barrel[k]);
    return result;
}

/* the reference's one_over_one_plus_x: 1 / (1 + x) for x in [0, 1), Q0.31 */
static int32_t recip(int32_t a)
{
    const int32_t c48_17 = 1515870810, c_neg32_17 = -1010580540, one_q2 = 1 << 29;
    const int64_t sum = (int64_t)a + INT32_MAX;
    const int32_t half_den = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
    int32_t x = add(c48_17, mul(half_den, c_neg32_17)), i;
    for (i = 0; i < 3; i++) {
        const int32_t one_minus = (int32_t)((uint32_t)one_q2 - (uint32_t)mul(half_den, x));
        const int32_t t = mul(x, one_minus);
        /* the reference's saturating multiply by 4 */
        x = add(x, t > 0x1FFFFFFF ? INT32_MAX : (t < -0x1FFFFFFF ? INT32_MIN : (int32_t)((uint32_t)t << 2)));
    }
    return x > 0x3FFFFFFF ? INT32_MAX : (x < -0x3FFFFFFF ? INT32_MIN : (int32_t)((uint32_t)x << 1));
}

static tfl_status_t eval(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    const opt_softmax_t *o = (const opt_softmax_t *)n->data;
    const int32_t mult = o->ref->mult, ls = o->ref->left_shift, diff_min = o->ref->diff_min;
    int32_t *exps = o->exps;
    const int8_t *x = (const int8_t *)in->data;
    int8_t *y = (int8_t *)out->data;
    const int32_t depth = in->dims[in->ndim - 1];
    const uint32_t rows = tfl_num_elements(in) / (uint32_t)depth;
    uint32_t r;
    int32_t c;

    for (r = 0; r < rows; r++) {
        const int8_t *xr = x + r * (uint32_t)depth;
        int8_t *yr = y + r * (uint32_t)depth;
        int32_t maxv = -128, sum = 0, headroom, shift, scale;
        c = 0;
#if TFL_OPT_DSP
        if (depth >= 4) {
            uint32_t m4 = opt_rd32(xr);
            for (c = 4; c + 4 <= depth; c += 4)
                m4 = opt_max8x4(m4, opt_rd32(xr + c));
            m4 = opt_max8x4(m4, m4 >> 16);
            m4 = opt_max8x4(m4, m4 >> 8);
            maxv = (int8_t)(uint8_t)m4;
        }
#endif
        for (; c < depth; c++)
            maxv = xr[c] > maxv ? xr[c] : maxv;
        for (c = 0; c < depth; c++) {
            const int32_t diff = xr[c] - maxv;
            int32_t e = 0;
            if (diff >= diff_min) {
                e = exp_neg(mulp((int32_t)((uint32_t)diff << ls), mult));
                sum = add(sum, tfl_rdbpot(e, 12));
            }
            if (exps)
                exps[c] = e;
        }
        headroom = sum == 0 ? 32 : (int32_t)__builtin_clz((uint32_t)sum);
        scale = recip((int32_t)(((uint32_t)sum << headroom) - (1u << 31)));
        shift = 12 - headroom + 31 - 8;
        for (c = 0; c < depth; c++) {
            const int32_t diff = xr[c] - maxv;
            int32_t v = -128;
            if (diff >= diff_min) {
                const int32_t e = exps ? exps[c] : exp_neg(mulp((int32_t)((uint32_t)diff << ls), mult));
                v = tfl_clamp(tfl_rdbpot(mul(scale, e), shift) - 128, -128, 127);
            }
            yr[c] = (int8_t)v;
        }
    }
    (void)ip;
    return TFL_OK;
}

/* tfl_ref_lut16_lookup: the top 9 bits index the table, the low 7 interpolate */
static inline __attribute__((always_inline)) int32_t lut16(int32_t x, const int16_t *lut)
{
    const int16_t *e = lut + 256 + (x >> 7);
    return e[0] + (((e[1] - e[0]) * (x & 0x7f) + 64) >> 7);
}

/* the reference's eval16, the same steps and roundings */
static tfl_status_t eval16(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    const tfl_ref_softmax16_data_t *d = (const tfl_ref_softmax16_data_t *)n->data;
    const int32_t q = d->mult, sh = d->shift;
    const int32_t depth = in->dims[in->ndim - 1];
    const uint32_t rows = tfl_num_elements(in) / (uint32_t)depth;
    uint32_t r;
    int32_t c;
    for (r = 0; r < rows; r++) {
        const int16_t *x = (const int16_t *)in->data + r * (uint32_t)depth;
        int16_t *y = (int16_t *)out->data + r * (uint32_t)depth; /* holds the exponentials first */
        int32_t maxv = -32768, sum = 0, headroom, shifted, rshift, recip;
        int64_t round;
        for (c = 0; c < depth; c++)
            maxv = x[c] > maxv ? x[c] : maxv;
        for (c = 0; c < depth; c++) {
            int32_t sym = opt_mbqm(x[c] - maxv, q, sh) + 32767;
            int32_t e;
            sym = sym < -32768 ? -32768 : sym;
            sym = sym > 32767 ? 32767 : sym;
            e = (int16_t)lut16(sym, d->exp_lut);
            y[c] = (int16_t)e;
            sum = (int32_t)((uint32_t)sum + (uint32_t)e);
        }
        headroom = sum == 0 ? 32 : (int32_t)__builtin_clz((uint32_t)sum);
        shifted = (int32_t)((((int64_t)sum << (headroom - 1)) + (1 << 13)) >> 14);
        recip = (int16_t)lut16(tfl_clamp(shifted - (32768 + 65536), -32768, 32767), d->recip_lut);
        rshift = 31 - headroom;
        round = (int64_t)1 << (rshift - 1);
        for (c = 0; c < depth; c++) {
            const int64_t v = ((int64_t)y[c] * recip + round) >> rshift;
            y[c] = (int16_t)(v < 0 ? 0 : (v > 32767 ? 32767 : v));
        }
    }
    (void)ip;
    return TFL_OK;
}

const tfl_kernel_t tfl_opt_softmax = {TFL_OP_SOFTMAX, prepare, eval};
