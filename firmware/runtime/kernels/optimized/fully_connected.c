/* FULLY_CONNECTED, optimized (int8): the reference prepare, the zero points folded into per-unit
 * constants (bias + in_off * sum_k w + depth * w_off * in_off) and, when the weights have a zero
 * point, a per-row term (w_off * sum_k x), then four units at a time sharing each input word on
 * the DSP extension (an asm loop), two elsewhere. 16x8 runs on the reference kernel. The rescale
 * is the reference's single rounding, as a high multiply, an add and a shift where the shift
 * allows it (prepare), tfl_mbqm_single otherwise. */
#include "opt_common.h"
#include "ref_kernels.h"

extern const tfl_kernel_t tfl_opt_fully_connected;

/* One rescale (one per unit with per-channel weights, else one): see rq_fast. */
typedef struct {
    int32_t mult, shift, hs, half;
} fc_rescale_t;

typedef struct {
    const tfl_ref_fc_data_t *ref;
    int32_t *fold; /* per unit */
    fc_rescale_t *rs;
    int32_t fast; /* every shift is in [-31, -2] */
} opt_fc_t;

static tfl_status_t prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_status_t s = tfl_ref_fully_connected.prepare(ip, n);
    const tfl_tensor_t *in, *w, *bias;
    const tfl_ref_fc_data_t *d;
    opt_fc_t *o;
    int32_t u, in_off, w_off, nrs;
    if (s != TFL_OK || n->kernel != &tfl_opt_fully_connected) /* 16x8: the reference 16x8 kernel */
        return s;
    in = tfl_node_input(ip, n, 0);
    w = tfl_node_input(ip, n, 1);
    bias = tfl_node_input(ip, n, 2);
    d = (const tfl_ref_fc_data_t *)n->data;
    nrs = d->per_channel ? d->units : 1;
    o = (opt_fc_t *)tfl_alloc_persistent(ip, sizeof(opt_fc_t) + 4u * (uint32_t)d->units +
                                                 (uint32_t)sizeof(fc_rescale_t) * (uint32_t)nrs);
    if (o == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    o->ref = d;
    o->fold = (int32_t *)(o + 1);
    o->rs = (fc_rescale_t *)(o->fold + d->units);
    o->fast = 1;
    in_off = -in->zero_point;
    w_off = -w->zero_point;
    for (u = 0; u < d->units; u++)
        o->fold[u] = (int32_t)((uint32_t)opt_fold(bias ? ((const int32_t *)bias->data)[u] : 0, in_off,
                                                  (const int8_t *)w->data + u * d->depth, d->depth) +
                               (uint32_t)d->depth * (uint32_t)w_off * (uint32_t)in_off);
    for (u = 0; u < nrs; u++) {
        fc_rescale_t *p = &o->rs[u];
        p->mult = d->mult[u];
        p->shift = d->shift[u];
        p->hs = -p->shift - 1; /* tfl_mbqm_single shifts the 64-bit product by 31 - shift = 32 + hs */
        p->half = p->hs >= 1 && p->hs <= 30 ? (int32_t)(1u << (p->hs - 1)) : 0;
        if (p->hs < 1 || p->hs > 30)
            o->fast = 0;
    }
    n->data = o;
    return TFL_OK;
}

/* tfl_mbqm_single(acc, q, shift) for shift = -1 - hs, hs in [1, 30]: floor((acc q + 2^(31+hs)) /
 * 2^(32+hs)) = floor((floor(acc q / 2^32) + 2^(hs-1)) / 2^hs), the high word of the product
 * (one SMULL), plus half, shifted; |high word| <= 2^30, so the add cannot overflow. */
static inline __attribute__((always_inline)) int32_t rq_fast(int32_t acc, int32_t q, int32_t half, int32_t hs)
{
    return ((int32_t)(((int64_t)acc * q) >> 32) + half) >> hs;
}

/* Unit u's output from its dot product plus the row term; plain arguments, so that the int8
 * stores (which may alias anything) do not make the compiler reload them. */
static inline __attribute__((always_inline)) int8_t requant(uint32_t acc, int32_t fold, const fc_rescale_t *p,
                                                            int32_t fast, int32_t out_off, int32_t lo, int32_t hi)
{
    const int32_t a = (int32_t)(acc + (uint32_t)fold);
    int32_t v = (fast ? rq_fast(a, p->mult, p->half, p->hs) : tfl_mbqm_single(a, p->mult, p->shift)) + out_off;
    v = v < lo ? lo : v;
    v = v > hi ? hi : v;
    return (int8_t)v;
}

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
/* Four values of x against the four rows: one load of x for all four, SXTB16 of each word and
 * its rotation, two SMLADs per row; rows 1 and 3 read at [w0 + n], [w2 + n]. */
#define FC_ASM_STEP                                                                              \
    "ldr %[t1], [%[x]], #4\n\t"                                                                  \
    "ldr %[t2], [%[w0], %[n]]\n\t"                                                               \
    "sxtb16 %[x02], %[t1]\n\t"                                                                   \
    "sxtb16 %[x13], %[t1], ror #8\n\t"                                                           \
    "sxtb16 %[t3], %[t2]\n\t"                                                                    \
    "sxtb16 %[t2], %[t2], ror #8\n\t"                                                            \
    "smlad %[a1], %[x02], %[t3], %[a1]\n\t"                                                      \
    "smlad %[a1], %[x13], %[t2], %[a1]\n\t"                                                      \
    "ldr %[t2], [%[w2], %[n]]\n\t"                                                               \
    "ldr %[t1], [%[w0]], #4\n\t"                                                                 \
    "sxtb16 %[t3], %[t2]\n\t"                                                                    \
    "sxtb16 %[t2], %[t2], ror #8\n\t"                                                            \
    "smlad %[a3], %[x02], %[t3], %[a3]\n\t"                                                      \
    "smlad %[a3], %[x13], %[t2], %[a3]\n\t"                                                      \
    "sxtb16 %[t3], %[t1]\n\t"                                                                    \
    "sxtb16 %[t1], %[t1], ror #8\n\t"                                                            \
    "smlad %[a0], %[x02], %[t3], %[a0]\n\t"                                                      \
    "smlad %[a0], %[x13], %[t1], %[a0]\n\t"                                                      \
    "ldr %[t1], [%[w2]], #4\n\t"                                                                 \
    "sxtb16 %[t3], %[t1]\n\t"                                                                    \
    "sxtb16 %[t1], %[t1], ror #8\n\t"                                                            \
    "smlad %[a2], %[x02], %[t3], %[a2]\n\t"                                                      \
    "smlad %[a2], %[x13], %[t1], %[a2]\n\t"
#define FC_ASM_OUT                                                                               \
    [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x), [w0] "+r"(w0),      \
        [w2] "+r"(w2), [x02] "=&r"(x02), [x13] "=&r"(x13), [t1] "=&r"(t1), [t2] "=&r"(t2),       \
        [t3] "=&r"(t3)

/* Wrapping dot products of x with the four rows w0 + i * n over the first n & ~3 values, eight
 * values an iteration. Asm: the four sums, the input word's two halves, three temporaries, three
 * pointers, n and the end take all 14 registers (GCC's own schedule of the C spills the sums). */
static __attribute__((noinline)) void dot_4x4(const int8_t *x, const int8_t *w0, int32_t n, int32_t s[4])
{
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    const int8_t *w2 = w0 + 2 * n, *const end = x + (n & ~7);
    uint32_t x02, x13, t1, t2, t3;
    if (x != end)
        __asm__("1:\n\t" FC_ASM_STEP FC_ASM_STEP "cmp %[x], %[end]\n\t"
                                                 "bne 1b\n\t"
                : FC_ASM_OUT : [n] "r"(n), [end] "r"(end) : "cc", "memory");
    if (n & 4)
        __asm__(FC_ASM_STEP : FC_ASM_OUT : [n] "r"(n) : "memory");
    s[0] = a0;
    s[1] = a1;
    s[2] = a2;
    s[3] = a3;
}
#endif

/* Wrapping dot products of x with rows w0 and w1, sharing the loads of x. */
static void dot_1x2(const int8_t *x, const int8_t *w0, const int8_t *w1, int32_t n, uint32_t *s0, uint32_t *s1)
{
    int32_t k = 0;
    uint32_t a0 = 0, a1 = 0;
#if TFL_OPT_DSP
    int32_t t0 = 0, t1 = 0;
    for (; k + 4 <= n; k += 4) {
        const uint32_t xv = opt_rd32(x + k), f0 = opt_rd32(w0 + k), f1 = opt_rd32(w1 + k);
        const uint32_t x02 = opt_sxtb16(xv), x13 = opt_sxtb16_ror8(xv);
        t0 = opt_smlad(x02, opt_sxtb16(f0), t0);
        t0 = opt_smlad(x13, opt_sxtb16_ror8(f0), t0);
        t1 = opt_smlad(x02, opt_sxtb16(f1), t1);
        t1 = opt_smlad(x13, opt_sxtb16_ror8(f1), t1);
    }
    a0 = (uint32_t)t0;
    a1 = (uint32_t)t1;
#endif
    for (; k < n; k++) {
        a0 += (uint32_t)((int32_t)x[k] * (int32_t)w0[k]);
        a1 += (uint32_t)((int32_t)x[k] * (int32_t)w1[k]);
    }
    *s0 = a0;
    *s1 = a1;
}

static tfl_status_t eval(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *w = tfl_node_input(ip, n, 1);
    const tfl_tensor_t *out = tfl_node_output(ip, n, 0);
    const opt_fc_t *o = (const opt_fc_t *)n->data;
    const tfl_ref_fc_data_t *d = o->ref;
    const int8_t *x = (const int8_t *)in->data, *f = (const int8_t *)w->data;
    int8_t *y = (int8_t *)out->data;
    const int32_t w_off = -w->zero_point, out_off = out->zero_point, depth = d->depth, units = d->units;
    const int32_t *fold = o->fold, fast = o->fast, lo = d->act_min, hi = d->act_max, rstep = d->per_channel;
    const fc_rescale_t *rs = o->rs;
    int32_t bt, u;
#define RQ(acc, u) requant((acc), fold[u], rs + rstep * (u), fast, out_off, lo, hi)

    for (bt = 0; bt < d->batches; bt++) {
        const int8_t *xr = x + bt * depth;
        int8_t *yr = y + bt * units;
        const uint32_t row = w_off ? (uint32_t)w_off * (uint32_t)opt_sum(xr, depth) : 0u;
        u = 0;
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
        if (fast && !rstep && !(depth & 3)) {
            /* one rescale for all units (per-tensor weights), no depth tail: its constants stay
               in registers */
            const int32_t q = rs->mult, hs = rs->hs, half = rs->half;
            for (; u + 3 < units; u += 4) {
                int32_t sm[4], j;
                dot_4x4(xr, f + u * depth, depth, sm);
                for (j = 0; j < 4; j++) {
                    const int32_t a = (int32_t)((uint32_t)sm[j] + row + (uint32_t)fold[u + j]);
                    int32_t v = rq_fast(a, q, half, hs) + out_off;
                    v = v < lo ? lo : v;
                    v = v > hi ? hi : v;
                    yr[u + j] = (int8_t)v;
                }
            }
        }
        for (; u + 3 < units; u += 4) {
            int32_t sm[4], j, k;
            dot_4x4(xr, f + u * depth, depth, sm);
            if (depth & 3)
                for (j = 0; j < 4; j++)
                    for (k = depth & ~3; k < depth; k++)
                        sm[j] = (int32_t)((uint32_t)sm[j] + (uint32_t)((int32_t)xr[k] * (int32_t)f[(u + j) * depth + k]));
            yr[u] = RQ((uint32_t)sm[0] + row, u);
            yr[u + 1] = RQ((uint32_t)sm[1] + row, u + 1);
            yr[u + 2] = RQ((uint32_t)sm[2] + row, u + 2);
            yr[u + 3] = RQ((uint32_t)sm[3] + row, u + 3);
        }
#endif
        for (; u + 1 < units; u += 2) {
            uint32_t s0, s1;
            dot_1x2(xr, f + u * depth, f + (u + 1) * depth, depth, &s0, &s1);
            yr[u] = RQ(s0 + row, u);
            yr[u + 1] = RQ(s1 + row, u + 1);
        }
        if (u < units)
            yr[u] = RQ((uint32_t)opt_dot(xr, f + u * depth, depth) + row, u);
    }
#undef RQ
    (void)ip;
    return TFL_OK;
}

const tfl_kernel_t tfl_opt_fully_connected = {TFL_OP_FULLY_CONNECTED, prepare, eval};
