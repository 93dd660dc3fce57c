/* FULLY_CONNECTED, optimized (int8): the reference prepare, the zero points folded into per-unit
 * constants (bias + in_off * sum_k w + depth * w_off * in_off) and, when the weights have a zero
 * point, a per-row term (w_off * sum_k x), then two units at a time sharing each input word.
 * 16x8 runs on the reference kernel. The rescale is the reference's single rounding. */
#include "opt_common.h"
#include "ref_kernels.h"

extern const tfl_kernel_t tfl_opt_fully_connected;

typedef struct {
    const tfl_ref_fc_data_t *ref;
    int32_t *fold; /* per unit */
} opt_fc_t;

static tfl_status_t prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_status_t s = tfl_ref_fully_connected.prepare(ip, n);
    const tfl_tensor_t *in, *w, *bias;
    const tfl_ref_fc_data_t *d;
    opt_fc_t *o;
    int32_t u, in_off, w_off;
    if (s != TFL_OK || n->kernel != &tfl_opt_fully_connected) /* 16x8: the reference 16x8 kernel */
        return s;
    in = tfl_node_input(ip, n, 0);
    w = tfl_node_input(ip, n, 1);
    bias = tfl_node_input(ip, n, 2);
    d = (const tfl_ref_fc_data_t *)n->data;
    o = (opt_fc_t *)tfl_alloc_persistent(ip, sizeof(opt_fc_t) + 4u * (uint32_t)d->units);
    if (o == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    o->ref = d;
    o->fold = (int32_t *)(o + 1);
    in_off = -in->zero_point;
    w_off = -w->zero_point;
    for (u = 0; u < d->units; u++)
        o->fold[u] = (int32_t)((uint32_t)opt_fold(bias ? ((const int32_t *)bias->data)[u] : 0, in_off,
                                                  (const int8_t *)w->data + u * d->depth, d->depth) +
                               (uint32_t)d->depth * (uint32_t)w_off * (uint32_t)in_off);
    n->data = o;
    return TFL_OK;
}

static inline __attribute__((always_inline)) int8_t requant(const tfl_ref_fc_data_t *d, uint32_t acc, int32_t u, int32_t out_off)
{
    const int32_t k = d->per_channel ? u : 0;
    const int32_t v = tfl_mbqm_single((int32_t)acc, d->mult[k], d->shift[k]) + out_off;
    return (int8_t)tfl_clamp(v, d->act_min, d->act_max);
}

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
    const int32_t w_off = -w->zero_point, out_off = out->zero_point, depth = d->depth;
    int32_t bt, u;

    for (bt = 0; bt < d->batches; bt++) {
        const int8_t *xr = x + bt * depth;
        int8_t *yr = y + bt * d->units;
        const uint32_t row = w_off ? (uint32_t)w_off * (uint32_t)opt_sum(xr, depth) : 0u;
        for (u = 0; u + 1 < d->units; u += 2) {
            uint32_t s0, s1;
            dot_1x2(xr, f + u * depth, f + (u + 1) * depth, depth, &s0, &s1);
            yr[u] = requant(d, s0 + row + (uint32_t)o->fold[u], u, out_off);
            yr[u + 1] = requant(d, s1 + row + (uint32_t)o->fold[u + 1], u + 1, out_off);
        }
        if (u < d->units)
            yr[u] = requant(d, (uint32_t)opt_dot(xr, f + u * depth, depth) + row + (uint32_t)o->fold[u], u, out_off);
    }
    (void)ip;
    return TFL_OK;
}

const tfl_kernel_t tfl_opt_fully_connected = {TFL_OP_FULLY_CONNECTED, prepare, eval};
