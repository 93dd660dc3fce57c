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

#if TFL_OPT_DSP
/* One tap for four channels: a[k] += (x[k] + in_off) * f[k]. */
#define DW_TAP(xp, fp)                                                                           \
    do {                                                                                         \
        const uint32_t xv_ = opt_rd32(xp), fv_ = opt_rd32(fp);                                   \
        const uint32_t x02_ = opt_sxtab16(off2, xv_), x13_ = opt_sxtab16_ror8(off2, xv_);   \
        const uint32_t f02_ = opt_sxtb16(fv_), f13_ = opt_sxtb16_ror8(fv_);                 \
        a0 = opt_smlabb(x02_, f02_, a0);                                                         \
        a2 = opt_smlatt(x02_, f02_, a2);                                                         \
        a1 = opt_smlabb(x13_, f13_, a1);                                                         \
        a3 = opt_smlatt(x13_, f13_, a3);                                                         \
    } while (0)

/* The 3x3 fast path: a whole 3x3 window (dilation 1) inside the input, four channels from xp
 * (the window's top-left tap) and fp; row = iw * ch. */
static inline void dw3x3_4(const int8_t *xp, const int8_t *fp, int32_t row, int32_t ch, uint32_t off2,
                           int32_t acc[4])
{
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, ky;
    for (ky = 0; ky < 3; ky++) {
        DW_TAP(xp, fp);
        DW_TAP(xp + ch, fp + ch);
        DW_TAP(xp + 2 * ch, fp + 2 * ch);
        xp += row;
        fp += 3 * ch;
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

/* Any window, clipped to taps [ky0, ky1) x [kx0, kx1); xo: offset of tap (0, 0) from xb. */
static inline void dw_any_4(const int8_t *xb, int32_t xo, const int8_t *fp, const tfl_ref_window_t *g, int32_t iw,
                            int32_t ch, int32_t kw, int32_t ky0, int32_t ky1, int32_t kx0, int32_t kx1, uint32_t off2,
                            int32_t acc[4])
{
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, ky, kx;
    for (ky = ky0; ky < ky1; ky++) {
        const int8_t *xr = xb + (xo + (g->dil_h * ky * iw + g->dil_w * kx0) * ch);
        const int8_t *fr = fp + (ky * kw + kx0) * ch;
        for (kx = kx0; kx < kx1; kx++) {
            DW_TAP(xr, fr);
            xr += g->dil_w * ch;
            fr += ch;
        }
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}
#endif

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
    const int32_t *mult = d->mult, lo = d->win.act_min, hi = d->win.act_max;
    const int8_t *shift = d->shift;
    int32_t bt, oy, ox, c, ky, kx;
#if TFL_OPT_DSP
    int32_t k;
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
                if (kh == 3 && kw == 3 && g->dil_h == 1 && g->dil_w == 1 && ky0 == 0 && ky1 == 3 && kx0 == 0 &&
                    kx1 == 3) {
                    const int8_t *xp = xb + ((y0 * iw + x0) * ch);
                    for (; c + 4 <= ch; c += 4) {
                        int32_t a[4];
                        dw3x3_4(xp + c, f + c, iw * ch, ch, off2, a);
                        for (k = 0; k < 4; k++)
                            yp[c + k] = opt_out8((int32_t)((uint32_t)a[k] + (b ? (uint32_t)b[c + k] : 0u)), mult[c + k], shift[c + k], out_off, lo, hi);
                    }
                }
                for (; c + 4 <= ch; c += 4) {
                    int32_t a[4];
                    dw_any_4(xb, (y0 * iw + x0) * ch + c, f + c, g, iw, ch, kw, ky0, ky1, kx0, kx1, off2, a);
                    for (k = 0; k < 4; k++)
                        yp[c + k] = opt_out8((int32_t)((uint32_t)a[k] + (b ? (uint32_t)b[c + k] : 0u)), mult[c + k], shift[c + k], out_off, lo, hi);
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
                    yp[c] = opt_out8((int32_t)acc, mult[c], shift[c], out_off, lo, hi);
                }
            }
        }
    }
    (void)ip;
    return TFL_OK;
}

const tfl_kernel_t tfl_opt_depthwise_conv_2d = {TFL_OP_DEPTHWISE_CONV_2D, prepare, eval};
