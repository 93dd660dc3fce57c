/* DEPTHWISE_CONV_2D, optimized (int8, channel multiplier 1): the reference prepare, then per
 * output pixel the window clipped to the input once (no per-tap bounds checks), four channels
 * at a time: one word of inputs and one of weights per tap, SXTAB16 adding the input offset
 * while it sign-extends, and one SMLABB/SMLATT per product. Other multipliers and 16x8 run on
 * the reference kernels. Sums and requantization are the reference's, so the bits are too. */
#include "opt_common.h"
#include "ref_kernels.h"

extern const tfl_kernel_t tfl_opt_depthwise_conv_2d;

static tfl_status_t prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_status_t s = tfl_ref_depthwise_conv_2d.prepare(ip, n);
    if (s != TFL_OK || n->kernel != &tfl_opt_depthwise_conv_2d) /* 16x8: the reference 16x8 kernel */
        return s;
    if (((const tfl_ref_dw_data_t *)n->data)->depth_mult != 1)
        n->kernel = &tfl_ref_depthwise_conv_2d;
    return TFL_OK;
}

static int8_t requant(const tfl_ref_dw_data_t *d, uint32_t acc, int32_t c, int32_t out_off)
{
    const int32_t v = tfl_mbqm((int32_t)acc, d->mult[c], d->shift[c]) + out_off;
    return (int8_t)tfl_clamp(v, d->win.act_min, d->win.act_max);
}

static tfl_status_t eval(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *w = tfl_node_input(ip, n, 1);
    const tfl_tensor_t *bias = tfl_node_input(ip, n, 2), *out = tfl_node_output(ip, n, 0);
    const tfl_ref_dw_data_t *d = (const tfl_ref_dw_data_t *)n->data;
    const int8_t *x = (const int8_t *)in->data, *f = (const int8_t *)w->data;
    const int32_t *b = bias ? (const int32_t *)bias->data : 0;
    int8_t *y = (int8_t *)out->data;
    const int32_t batches = in->dims[0], ih = in->dims[1], iw = in->dims[2], ch = in->dims[3];
    const int32_t kh = w->dims[1], kw = w->dims[2];
    const int32_t oh = out->dims[1], ow = out->dims[2];
    const int32_t in_off = -in->zero_point, out_off = out->zero_point;
    const tfl_ref_window_t *g = &d->win;
    int32_t bt, oy, ox, c, ky, kx;
#if TFL_OPT_DSP
    const uint32_t off2 = ((uint32_t)in_off & 0xFFFFu) | ((uint32_t)in_off << 16);
#endif

    for (bt = 0; bt < batches; bt++) {
        for (oy = 0; oy < oh; oy++) {
            const int32_t y0 = oy * g->stride_h - g->pad_h;
            /* taps ky in [ky0, ky1) fall inside the input */
            int32_t ky0 = 0, ky1 = kh;
            while (ky0 < kh && y0 + g->dil_h * ky0 < 0)
                ky0++;
            while (ky1 > ky0 && y0 + g->dil_h * (ky1 - 1) >= ih)
                ky1--;
            for (ox = 0; ox < ow; ox++) {
                const int32_t x0 = ox * g->stride_w - g->pad_w;
                const int8_t *xb = x + (bt * ih * iw) * ch;
                int8_t *yp = y + ((bt * oh + oy) * ow + ox) * ch;
                int32_t kx0 = 0, kx1 = kw;
                while (kx0 < kw && x0 + g->dil_w * kx0 < 0)
                    kx0++;
                while (kx1 > kx0 && x0 + g->dil_w * (kx1 - 1) >= iw)
                    kx1--;
                c = 0;
#if TFL_OPT_DSP
                for (; c + 4 <= ch; c += 4) {
                    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
                    for (ky = ky0; ky < ky1; ky++) {
                        const int32_t xo = ((y0 + g->dil_h * ky) * iw + x0) * ch + c; /* may be < 0: tap kx0 is not */
                        const int8_t *fr = f + ky * kw * ch + c;
                        for (kx = kx0; kx < kx1; kx++) {
                            const uint32_t xv = opt_rd32(xb + xo + g->dil_w * kx * ch), fv = opt_rd32(fr + kx * ch);
                            const uint32_t x02 = opt_sxtab16(off2, xv), x13 = opt_sxtab16(off2, opt_ror8(xv));
                            const uint32_t f02 = opt_sxtb16(fv), f13 = opt_sxtb16(opt_ror8(fv));
                            a0 = opt_smlabb(x02, f02, a0);
                            a2 = opt_smlatt(x02, f02, a2);
                            a1 = opt_smlabb(x13, f13, a1);
                            a3 = opt_smlatt(x13, f13, a3);
                        }
                    }
                    yp[c] = requant(d, (uint32_t)a0 + (b ? (uint32_t)b[c] : 0u), c, out_off);
                    yp[c + 1] = requant(d, (uint32_t)a1 + (b ? (uint32_t)b[c + 1] : 0u), c + 1, out_off);
                    yp[c + 2] = requant(d, (uint32_t)a2 + (b ? (uint32_t)b[c + 2] : 0u), c + 2, out_off);
                    yp[c + 3] = requant(d, (uint32_t)a3 + (b ? (uint32_t)b[c + 3] : 0u), c + 3, out_off);
                }
#endif
                for (; c < ch; c++) {
                    uint32_t acc = b ? (uint32_t)b[c] : 0u;
                    for (ky = ky0; ky < ky1; ky++) {
                        const int32_t xo = ((y0 + g->dil_h * ky) * iw + x0) * ch + c; /* may be < 0: tap kx0 is not */
                        const int8_t *fr = f + ky * kw * ch + c;
                        for (kx = kx0; kx < kx1; kx++)
                            acc += (uint32_t)((int32_t)fr[kx * ch] * ((int32_t)xb[xo + g->dil_w * kx * ch] + in_off));
                    }
                    yp[c] = requant(d, acc, c, out_off);
                }
            }
        }
    }
    (void)ip;
    return TFL_OK;
}

const tfl_kernel_t tfl_opt_depthwise_conv_2d = {TFL_OP_DEPTHWISE_CONV_2D, prepare, eval};
