/* CONV_2D, optimized (int8, one group): the reference prepare, the zero point folded into a
 * per-channel constant, then a matrix product of input columns by filter rows in 2x2 blocks
 * (two output pixels by two output channels: each loaded word is used twice). A 1x1 filter
 * without padding reads its columns straight from the input; other filters copy each window
 * into an im2col column first (taps outside the input hold the zero point). Grouped
 * convolutions and 16x8 run on the reference kernels. The requantization is the reference's
 * (tfl_mbqm), so the results are the same bits. */
#include "opt_common.h"
#include "ref_kernels.h"

extern const tfl_kernel_t tfl_opt_conv_2d;

typedef struct {
    const tfl_ref_conv_data_t *ref;
    int32_t *fold;   /* per output channel: bias + in_off * sum of the filter */
    int8_t *col;     /* two im2col columns of kh*kw*ic bytes, or 0 for direct 1x1 columns */
    uint32_t *wide;  /* DSP: the two columns expanded to halfwords (opt_expand) */
} opt_conv_t;

static tfl_status_t prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_status_t s = tfl_ref_conv_2d.prepare(ip, n);
    const tfl_tensor_t *in, *w, *bias;
    const tfl_ref_conv_data_t *d;
    opt_conv_t *o;
    int32_t oc, depth, c;
    uint32_t wide = 0;
    int direct;
    if (s != TFL_OK || n->kernel != &tfl_opt_conv_2d) /* 16x8: handed to the reference 16x8 kernel */
        return s;
    in = tfl_node_input(ip, n, 0);
    w = tfl_node_input(ip, n, 1);
    bias = tfl_node_input(ip, n, 2);
    d = (const tfl_ref_conv_data_t *)n->data;
    if (w->dims[3] != in->dims[3]) { /* grouped */
        n->kernel = &tfl_ref_conv_2d;
        return TFL_OK;
    }
    oc = w->dims[0];
    depth = w->dims[1] * w->dims[2] * w->dims[3];
    direct = w->dims[1] == 1 && w->dims[2] == 1 && d->win.pad_h == 0 && d->win.pad_w == 0;
#if TFL_OPT_DSP
    wide = opt_expanded_words(depth);
#endif
    o = (opt_conv_t *)tfl_alloc_persistent(ip, sizeof(opt_conv_t) + 4u * (uint32_t)oc + 4u * wide +
                                                   (direct ? 0u : 2u * (uint32_t)depth));
    if (o == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    o->ref = d;
    o->fold = (int32_t *)(o + 1);
    o->wide = (uint32_t *)(o->fold + oc);
    o->col = direct ? 0 : (int8_t *)(o->wide + wide);
    for (c = 0; c < oc; c++)
        o->fold[c] = opt_fold(bias ? ((const int32_t *)bias->data)[c] : 0, -in->zero_point,
                              (const int8_t *)w->data + c * depth, depth);
    n->data = o;
    return TFL_OK;
}

/* The window of output pixel (oy, ox) of batch bt as one column of kh*kw*ic bytes. */
static void im2col(const int8_t *x, const tfl_ref_window_t *g, int32_t ih, int32_t iw, int32_t ic, int32_t kh,
                   int32_t kw, int32_t bt, int32_t oy, int32_t ox, int8_t zp, int8_t *col)
{
    const int32_t y0 = oy * g->stride_h - g->pad_h, x0 = ox * g->stride_w - g->pad_w;
    int32_t ky, kx;
    for (ky = 0; ky < kh; ky++) {
        const int32_t yy = y0 + g->dil_h * ky;
        for (kx = 0; kx < kw; kx++) {
            const int32_t xx = x0 + g->dil_w * kx;
            if (yy < 0 || yy >= ih || xx < 0 || xx >= iw)
                memset(col, zp, (size_t)ic);
            else
                memcpy(col, x + ((bt * ih + yy) * iw + xx) * ic, (size_t)ic);
            col += ic;
        }
    }
}

/* Output pixel q's column: in the input for a direct 1x1 filter, else im2col slot k. */
static const int8_t *column(const opt_conv_t *o, const int8_t *x, int32_t ih, int32_t iw, int32_t ic, int32_t kh,
                            int32_t kw, int32_t oh, int32_t ow, int32_t q, int8_t zp, int32_t k)
{
    const tfl_ref_conv_data_t *d = o->ref;
    const int32_t bt = q / (oh * ow), oy = (q / ow) % oh, ox = q % ow, depth = kh * kw * ic;
    if (o->col == 0)
        return x + ((bt * ih + oy * d->win.stride_h) * iw + ox * d->win.stride_w) * ic;
    im2col(x, &d->win, ih, iw, ic, kh, kw, bt, oy, ox, zp, o->col + k * depth);
    return o->col + k * depth;
}

static tfl_status_t eval(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *w = tfl_node_input(ip, n, 1);
    const tfl_tensor_t *out = tfl_node_output(ip, n, 0);
    const opt_conv_t *o = (const opt_conv_t *)n->data;
    const tfl_ref_conv_data_t *d = o->ref;
    const int8_t *x = (const int8_t *)in->data, *f = (const int8_t *)w->data;
    int8_t *y = (int8_t *)out->data;
    const int32_t batches = in->dims[0], ih = in->dims[1], iw = in->dims[2], ic = in->dims[3];
    const int32_t kh = w->dims[1], kw = w->dims[2], depth = kh * kw * ic;
    const int32_t oh = out->dims[1], ow = out->dims[2], oc = out->dims[3];
    const int32_t npix = batches * oh * ow, out_off = out->zero_point;
    const int8_t zp = (int8_t)in->zero_point;
    const int32_t *mult = d->mult, *fold = o->fold, lo = d->win.act_min, hi = d->win.act_max;
    const int8_t *shift = d->shift;
    int32_t p, c;
#define RQ(acc, ch) opt_out8((int32_t)((uint32_t)(acc) + (uint32_t)fold[ch]), mult[ch], shift[ch], out_off, lo, hi)

#if TFL_OPT_DSP
    for (p = 0; p < npix; p += 2) {
        const int two = p + 1 < npix; /* one pixel left: computed twice, stored once */
        const int8_t *ca = column(o, x, ih, iw, ic, kh, kw, oh, ow, p, zp, 0);
        int8_t *ya = y + p * oc, *yb = ya + oc;
        opt_expand2(ca, two ? column(o, x, ih, iw, ic, kh, kw, oh, ow, p + 1, zp, 1) : ca, depth, o->wide);
        for (c = 0; c + 1 < oc; c += 2) {
            int32_t acc[4];
            opt_dot16_2x2(o->wide, f + c * depth, depth, acc);
            ya[c] = RQ(acc[0], c);
            ya[c + 1] = RQ(acc[1], c + 1);
            if (two) {
                yb[c] = RQ(acc[2], c);
                yb[c + 1] = RQ(acc[3], c + 1);
            }
        }
        if (c < oc) {
            int32_t acc[2];
            opt_dot16_2x1(o->wide, f + c * depth, depth, acc);
            ya[c] = RQ(acc[0], c);
            if (two)
                yb[c] = RQ(acc[1], c);
        }
    }
#else
    for (p = 0; p < npix; p += 2) {
        const int two = p + 1 < npix;
        const int8_t *ca = column(o, x, ih, iw, ic, kh, kw, oh, ow, p, zp, 0);
        const int8_t *cb = two ? column(o, x, ih, iw, ic, kh, kw, oh, ow, p + 1, zp, 1) : ca; /* computed twice, stored once */
        int8_t *ya = y + p * oc, *yb = ya + oc;
        for (c = 0; c + 1 < oc; c += 2) {
            int32_t acc[4];
            opt_dot_2x2(ca, cb, f + c * depth, f + (c + 1) * depth, depth, acc);
            ya[c] = RQ(acc[0], c);
            ya[c + 1] = RQ(acc[1], c + 1);
            if (two) {
                yb[c] = RQ(acc[2], c);
                yb[c + 1] = RQ(acc[3], c + 1);
            }
        }
        if (c < oc) {
            ya[c] = RQ(opt_dot(ca, f + c * depth, depth), c);
            if (two)
                yb[c] = RQ(opt_dot(cb, f + c * depth, depth), c);
        }
    }
#endif
#undef RQ
    (void)ip;
    return TFL_OK;
}

const tfl_kernel_t tfl_opt_conv_2d = {TFL_OP_CONV_2D, prepare, eval};
