/* DEPTHWISE_CONV_2D: int8, or 16x8 (int16 activations, int8 weights, int64 bias); per-channel or
 * per-tensor weights, any depth multiplier. */
#include "tfl/kernel.h"
#include "ref_kernels.h"

typedef tfl_ref_dw_data_t dw_data_t;

static tfl_status_t prepare_common(tfl_interp_t *ip, tfl_node_t *n, uint8_t dtype)
{
    tfl_tensor_t *in = tfl_node_input(ip, n, 0), *w = tfl_node_input(ip, n, 1);
    tfl_tensor_t *bias = tfl_node_input(ip, n, 2), *out = tfl_node_output(ip, n, 0);
    dw_data_t *d;
    int32_t cout;
    tfl_status_t s;

    if ((s = tfl_require_options(ip, n, TFL_OPT_DEPTHWISE)) != TFL_OK)
        return s;
    if ((s = tfl_ref_check_conv_tensors(ip, in, w, bias, out, 3, dtype, &cout)) != TFL_OK)
        return s;
    d = (dw_data_t *)tfl_alloc_persistent(ip, sizeof(dw_data_t) + 5u * (uint32_t)cout);
    if (d == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    d->mult = (int32_t *)(d + 1);
    d->shift = (int8_t *)(d->mult + cout);
    d->win.stride_w = tfl_opt_i32(ip, n, 1, 4, 0);
    d->win.stride_h = tfl_opt_i32(ip, n, 2, 4, 0);
    d->depth_mult = tfl_opt_i32(ip, n, 3, 4, 0);
    d->win.dil_w = tfl_opt_i32(ip, n, 5, 4, 1);
    d->win.dil_h = tfl_opt_i32(ip, n, 6, 4, 1);
    /* the multiplier follows from the shapes; the option must agree when given */
    if (w->dims[0] != 1 || cout % in->dims[3] != 0 || out->dims[3] != cout || out->dims[0] != in->dims[0])
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    if (d->depth_mult != 0 && d->depth_mult != cout / in->dims[3])
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, -1);
    d->depth_mult = cout / in->dims[3];
    if ((s = tfl_ref_window(ip, in, w, out, tfl_opt_i32(ip, n, 0, 1, 0), tfl_opt_i32(ip, n, 4, 1, 0), &d->win)))
        return s;
    if (w->nscales > 1 && w->qdim != 3)
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, w));
    if ((s = tfl_ref_channel_multipliers(ip, in, w, out, cout, d->mult, d->shift)) != TFL_OK)
        return s;
    n->data = d;
    return TFL_OK;
}

static tfl_status_t eval16(tfl_interp_t *ip, tfl_node_t *n);

static tfl_status_t eval8(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *w = tfl_node_input(ip, n, 1);
    const tfl_tensor_t *bias = tfl_node_input(ip, n, 2), *out = tfl_node_output(ip, n, 0);
    const dw_data_t *d = (const dw_data_t *)n->data;
    const int8_t *x = (const int8_t *)in->data, *f = (const int8_t *)w->data;
    const int32_t *b = bias ? (const int32_t *)bias->data : 0;
    int8_t *y = (int8_t *)out->data;
    const int32_t batches = in->dims[0], ih = in->dims[1], iw = in->dims[2], ic = in->dims[3];
    const int32_t kh = w->dims[1], kw = w->dims[2];
    const int32_t oh = out->dims[1], ow = out->dims[2], oc = out->dims[3];
    const int32_t in_off = -in->zero_point, out_off = out->zero_point;
    int32_t bt, oy, ox, c, m, ky, kx;

    for (bt = 0; bt < batches; bt++) {
        for (oy = 0; oy < oh; oy++) {
            const int32_t y0 = oy * d->win.stride_h - d->win.pad_h;
            for (ox = 0; ox < ow; ox++) {
                const int32_t x0 = ox * d->win.stride_w - d->win.pad_w;
                for (c = 0; c < ic; c++) {
                    for (m = 0; m < d->depth_mult; m++) {
                        const int32_t o = c * d->depth_mult + m;
                        uint32_t acc = 0; /* wrapping int32 sum without UB */
                        int32_t v;
                        for (ky = 0; ky < kh; ky++) {
                            const int32_t yy = y0 + d->win.dil_h * ky;
                            if (yy < 0 || yy >= ih)
                                continue;
                            for (kx = 0; kx < kw; kx++) {
                                const int32_t xx = x0 + d->win.dil_w * kx;
                                if (xx < 0 || xx >= iw)
                                    continue;
                                acc += (uint32_t)((int32_t)f[(ky * kw + kx) * oc + o] *
                                                  ((int32_t)x[((bt * ih + yy) * iw + xx) * ic + c] + in_off));
                            }
                        }
                        if (b)
                            acc += (uint32_t)b[o];
                        v = tfl_mbqm((int32_t)acc, d->mult[o], d->shift[o]) + out_off;
                        y[((bt * oh + oy) * ow + ox) * oc + o] = (int8_t)tfl_clamp(v, d->win.act_min, d->win.act_max);
                    }
                }
            }
        }
    }
    (void)ip;
    return TFL_OK;
}

static tfl_status_t eval16(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *w = tfl_node_input(ip, n, 1);
    const tfl_tensor_t *bias = tfl_node_input(ip, n, 2), *out = tfl_node_output(ip, n, 0);
    const dw_data_t *d = (const dw_data_t *)n->data;
    const int16_t *x = (const int16_t *)in->data;
    const int8_t *f = (const int8_t *)w->data;
    int16_t *y = (int16_t *)out->data;
    const int32_t batches = in->dims[0], ih = in->dims[1], iw = in->dims[2], ic = in->dims[3];
    const int32_t kh = w->dims[1], kw = w->dims[2];
    const int32_t oh = out->dims[1], ow = out->dims[2], oc = out->dims[3];
    int32_t bt, oy, ox, c, m, ky, kx;

    for (bt = 0; bt < batches; bt++) {
        for (oy = 0; oy < oh; oy++) {
            const int32_t y0 = oy * d->win.stride_h - d->win.pad_h;
            for (ox = 0; ox < ow; ox++) {
                const int32_t x0 = ox * d->win.stride_w - d->win.pad_w;
                for (c = 0; c < ic; c++) {
                    for (m = 0; m < d->depth_mult; m++) {
                        const int32_t o = c * d->depth_mult + m;
                        uint64_t acc = 0; /* the int64 sum, wrapping instead of overflowing */
                        int32_t v;
                        for (ky = 0; ky < kh; ky++) {
                            const int32_t yy = y0 + d->win.dil_h * ky;
                            if (yy < 0 || yy >= ih)
                                continue;
                            for (kx = 0; kx < kw; kx++) {
                                const int32_t xx = x0 + d->win.dil_w * kx;
                                if (xx < 0 || xx >= iw)
                                    continue;
                                acc += (uint64_t)(int64_t)((int32_t)f[(ky * kw + kx) * oc + o] *
                                                           (int32_t)x[((bt * ih + yy) * iw + xx) * ic + c]);
                            }
                        }
                        acc += (uint64_t)tfl_ref_bias_at(bias, o);
                        v = tfl_mbqm64((int64_t)acc, d->mult[o], d->shift[o]);
                        y[((bt * oh + oy) * ow + ox) * oc + o] = (int16_t)tfl_clamp(v, d->win.act_min, d->win.act_max);
                    }
                }
            }
        }
    }
    (void)ip;
    return TFL_OK;
}

/* int8 and 16x8: prepare hands 16x8 nodes to the 16x8 eval (n->kernel), so the int8 eval has no
 * type dispatch; the int8-only kernel leaves the 16x8 code out of images that do not list it. */
static tfl_status_t prepare(tfl_interp_t *ip, tfl_node_t *n);
static const tfl_kernel_t dw_16x8 = {TFL_OP_DEPTHWISE_CONV_2D, prepare, eval16};

static tfl_status_t prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *bias = tfl_node_input(ip, n, 2);
    const tfl_tensor_t *out = tfl_node_output(ip, n, 0);
    dw_data_t *d;
    tfl_status_t s;
    if (in == 0 || in->type != TFL_TYPE_INT16)
        return prepare_common(ip, n, TFL_TYPE_INT8);
    if ((s = prepare_common(ip, n, TFL_TYPE_INT16)) != TFL_OK)
        return s;
    /* 16x8: TFLM's depthwise reads the bias as int64 only */
    d = (dw_data_t *)n->data;
    if (bias && (s = tfl_ref_check_bias(ip, in, bias, out->dims[3], 0)) != TFL_OK)
        return s;
    if ((s = tfl_ref_finish_16x8(ip, out, tfl_opt_i32(ip, n, 4, 1, 0), (uint32_t)out->dims[3], d->shift,
                                 &d->win.act_min, &d->win.act_max)) != TFL_OK)
        return s;
    n->kernel = &dw_16x8;
    return TFL_OK;
}

static tfl_status_t prepare_int8(tfl_interp_t *ip, tfl_node_t *n)
{
    return prepare_common(ip, n, TFL_TYPE_INT8);
}

const tfl_kernel_t tfl_ref_depthwise_conv_2d = {TFL_OP_DEPTHWISE_CONV_2D, prepare, eval8};
TFL_REF_EVAL(tfl_ref_depthwise_conv_2d, eval8)
const tfl_kernel_t tfl_ref_depthwise_conv_2d_int8 = {TFL_OP_DEPTHWISE_CONV_2D, prepare_int8, eval8};
