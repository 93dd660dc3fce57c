/* CONV_2D on tandem's convolution accelerator (rtl/), with the reference kernel as fallback.
 *
 * prepare is the reference kernel's (shapes, padding, per-channel multipliers), plus the
 * int32 per-channel shifts and, for a bias-less conv, a zero bias: the engine reads both from
 * memory. It also plans tiles from the engine's CAPS registers: a layer whose input, filter or
 * output does not fit the on-chip buffers is split into output-channel tiles (filter, bias,
 * multipliers, shifts and output offset; OUT_PSTRIDE keeps the full channel count) and output-row
 * tiles (the input rows each tile needs, with the padding that falls in the tile). eval runs the
 * tiles one after another, blocking on each; a layer the engine cannot take even as one row
 * of PO channels, or refuses, runs on the CPU reference kernel instead. The host tells which op ran where from the accelerator's
 * job log, so nothing extra is traced here. TANDEM_ACCEL_BASE comes from board.h, generated
 * from a platform with an accelerator overlay (platforms/accel/). */
#include "board.h"
#include "conv_accel.h"
#include "ref_kernels.h"
#include "tfl/kernel.h"

extern const tfl_kernel_t tfl_accel_conv_2d;

typedef struct {
    tfl_ref_conv_data_t *ref;
    int32_t *shift;      /* per output channel, int32 as the engine reads them */
    const int32_t *bias; /* the model's bias, or zeros */
    int32_t tile_oc;     /* output channels per tile (0: the layer runs on the CPU) */
    int32_t tile_rows;   /* output rows per tile */
} accel_conv_t;

static int32_t ceil_div(int32_t a, int32_t b) { return (a + b - 1) / b; }

/* The largest tiles the engine's buffers take (its CAPACITY rule, rtl/README.md): input
 * in_rows*iw*ceil(ic/PI) words, filter ceil(n/PO)*kh*kw*ceil(ic/PI), output ceil(n/PO)*m*ow. */
static void plan_tiles(accel_conv_t *a, const conv_accel_caps_t *caps, int32_t iw, int32_t ih, int32_t ic,
                       int32_t ow, int32_t oh, int32_t oc, int32_t kh, int32_t kw)
{
    const tfl_ref_conv_data_t *d = a->ref;
    const int32_t po = caps->rows, pi = caps->cols, icg = ceil_div(ic, pi);
    const int32_t ekh = (kh - 1) * d->win.dil_h + 1;
    int32_t n = oc < caps->max_oc ? oc : caps->max_oc, m;
    a->tile_oc = 0;
    if (po <= 0 || pi <= 0)
        return;
    while (n > 0 && (int64_t)ceil_div(n, po) * kh * kw * icg > (int64_t)caps->wbuf_words)
        n = n > po ? ((n - 1) / po) * po : 0; /* next lower multiple of PO */
    if (n <= 0)
        return;
    for (m = oh; m > 0; m--) {
        int32_t rows = (m - 1) * d->win.stride_h + ekh;
        if (rows > ih)
            rows = ih;
        if ((int64_t)rows * iw * icg <= (int64_t)caps->ibuf_words &&
            (int64_t)ceil_div(n, po) * m * ow <= (int64_t)caps->obuf_words)
            break;
    }
    if (m <= 0)
        return;
    a->tile_oc = n;
    a->tile_rows = m;
}

static tfl_status_t prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_status_t s = tfl_ref_conv_2d.prepare(ip, n);
    if (s != TFL_OK || n->kernel != &tfl_accel_conv_2d) /* handed to the 16x8 kernel: runs on the CPU */
        return s;
    const tfl_tensor_t *w = tfl_node_input(ip, n, 1), *bias = tfl_node_input(ip, n, 2);
    const int32_t cout = w->dims[0];
    accel_conv_t *a = (accel_conv_t *)tfl_alloc_persistent(ip, sizeof(accel_conv_t) + 4u * (uint32_t)cout * (bias ? 1u : 2u));
    if (a == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    a->ref = (tfl_ref_conv_data_t *)n->data;
    a->shift = (int32_t *)(a + 1);
    for (int32_t c = 0; c < cout; c++)
        a->shift[c] = a->ref->shift[c];
    if (bias) {
        a->bias = (const int32_t *)bias->data;
    } else {
        int32_t *zeros = a->shift + cout;
        for (int32_t c = 0; c < cout; c++)
            zeros[c] = 0;
        a->bias = zeros;
    }
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    conv_accel_caps_t caps;
    if (conv_accel_probe(TANDEM_ACCEL_BASE, &caps) == CONV_ACCEL_OK && in->dims[0] == 1 && w->dims[3] == in->dims[3])
        plan_tiles(a, &caps, in->dims[2], in->dims[1], in->dims[3], out->dims[2], out->dims[1], cout,
                   w->dims[1], w->dims[2]);
    else
        a->tile_oc = 0;
    n->data = a;
    return TFL_OK;
}

static int32_t total_pad(int32_t in, int32_t out, int32_t k, int32_t stride, int32_t dil)
{
    int32_t t = (out - 1) * stride + (k - 1) * dil + 1 - in;
    return t > 0 ? t : 0;
}

static tfl_status_t eval_cpu(tfl_interp_t *ip, tfl_node_t *n, accel_conv_t *a)
{
    n->data = a->ref;
    tfl_status_t s = tfl_ref_conv_2d.eval(ip, n);
    n->data = a;
    return s;
}

static tfl_status_t eval(tfl_interp_t *ip, tfl_node_t *n)
{
    accel_conv_t *a = (accel_conv_t *)n->data;
    const tfl_ref_conv_data_t *d = a->ref;
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *w = tfl_node_input(ip, n, 1);
    const tfl_tensor_t *out = tfl_node_output(ip, n, 0);
    const int32_t ih = in->dims[1], iw = in->dims[2], ic = in->dims[3];
    const int32_t kh = w->dims[1], kw = w->dims[2], oh = out->dims[1], ow = out->dims[2], oc = out->dims[3];
    const int32_t ekh = (kh - 1) * d->win.dil_h + 1;
    const int32_t pw = total_pad(iw, ow, kw, d->win.stride_w, d->win.dil_w);
    const int8_t *x = (const int8_t *)in->data, *f = (const int8_t *)w->data;
    int8_t *y = (int8_t *)out->data;

    /* what the register interface can express: 16/8-bit fields; and a tile plan from prepare */
    if (a->tile_oc == 0 || iw > 0xFFFF || ic > 0xFFFF || oc > 0xFFFF || kh > 0xFF || kw > 0xFF ||
        d->win.stride_h > 0xFF || d->win.stride_w > 0xFF || d->win.dil_h > 0xFF || d->win.dil_w > 0xFF || pw > 0xFF ||
        d->win.pad_w > pw || d->win.pad_h > 0xFF)
        return eval_cpu(ip, n, a);

    for (int32_t r0 = 0; r0 < oh; r0 += a->tile_rows) {
        const int32_t m = oh - r0 < a->tile_rows ? oh - r0 : a->tile_rows;
        /* input rows this tile reads, before clipping to the image: [y0, y1] */
        const int32_t y0 = r0 * d->win.stride_h - d->win.pad_h, y1 = (r0 + m - 1) * d->win.stride_h - d->win.pad_h + ekh - 1;
        const int32_t c0 = y0 > 0 ? y0 : 0, c1 = y1 < ih - 1 ? y1 : ih - 1;
        if (c1 < c0 || c0 - y0 > 0xFF || y1 - c1 > 0xFF || c1 - c0 + 1 > 0xFFFF)
            return eval_cpu(ip, n, a);
        for (int32_t k0 = 0; k0 < oc; k0 += a->tile_oc) {
            const int32_t nc = oc - k0 < a->tile_oc ? oc - k0 : a->tile_oc;
            conv_accel_layer_t layer = {
                .in_h = (uint16_t)(c1 - c0 + 1), .in_w = (uint16_t)iw, .in_c = (uint16_t)ic,
                .out_h = (uint16_t)m, .out_w = (uint16_t)ow, .out_c = (uint16_t)nc,
                .k_h = (uint8_t)kh, .k_w = (uint8_t)kw,
                .stride_h = (uint8_t)d->win.stride_h, .stride_w = (uint8_t)d->win.stride_w,
                .dil_h = (uint8_t)d->win.dil_h, .dil_w = (uint8_t)d->win.dil_w,
                .pad_top = (uint8_t)(c0 - y0), .pad_bottom = (uint8_t)(y1 - c1),
                .pad_left = (uint8_t)d->win.pad_w, .pad_right = (uint8_t)(pw - d->win.pad_w),
                .input_offset = -in->zero_point, .output_offset = out->zero_point,
                .act_min = d->win.act_min, .act_max = d->win.act_max,
                .input = x + (int32_t)c0 * iw * ic,
                .filter = f + (int32_t)k0 * kh * kw * ic,
                .bias = a->bias + k0, .mult = d->mult + k0, .shift = a->shift + k0,
                .output = y + ((int32_t)r0 * ow) * oc + k0, .out_pstride = (uint32_t)oc,
            };
            int rc = conv_accel_run(TANDEM_ACCEL_BASE, &layer, 0);
            if (rc == CONV_ACCEL_OK)
                continue;
            if (rc < 0x100 && r0 == 0 && k0 == 0)
                return eval_cpu(ip, n, a); /* the engine refused the layer: CPU reference kernel */
            ip->error.detail = (uint32_t)rc; /* refused mid-layer, or no accelerator answered */
            return tfl_fail(ip, TFL_ERR_STATE, -1);
        }
    }
    return TFL_OK;
}

const tfl_kernel_t tfl_accel_conv_2d = {TFL_OP_CONV_2D, prepare, eval};
