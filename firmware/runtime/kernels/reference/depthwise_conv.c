/* DEPTHWISE_CONV_2D, int8, per-channel or per-tensor weights, any depth multiplier. */
#include "tfl/kernel.h"
#include "ref_kernels.h"

typedef struct {
    int32_t pad_h, pad_w, stride_h, stride_w, dil_h, dil_w, depth_mult;
    int32_t act_min, act_max;
    int32_t *mult;
    int8_t *shift;
} dw_data_t;

static tfl_status_t prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_tensor_t *in = tfl_node_input(ip, n, 0), *w = tfl_node_input(ip, n, 1);
    tfl_tensor_t *bias = tfl_node_input(ip, n, 2), *out = tfl_node_output(ip, n, 0);
    dw_data_t *d;
    int32_t padding, act, cout, oh, ow;
    tfl_status_t s;

    if ((s = tfl_require_options(ip, n, TFL_OPT_DEPTHWISE)) != TFL_OK)
        return s;
    if ((s = tfl_check_type(ip, in, TFL_TYPE_INT8)) || (s = tfl_check_type(ip, w, TFL_TYPE_INT8)) ||
        (s = tfl_check_type(ip, out, TFL_TYPE_INT8)))
        return s;
    if ((s = tfl_check_ndim(ip, in, 4)) || (s = tfl_check_ndim(ip, w, 4)) || (s = tfl_check_ndim(ip, out, 4)))
        return s;
    cout = w->dims[3];
    if (bias && ((s = tfl_check_type(ip, bias, TFL_TYPE_INT32)) != TFL_OK))
        return s;
    if (bias && tfl_num_elements(bias) != (uint32_t)cout)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, bias));
    padding = tfl_opt_i32(ip, n, 0, 1, 0);
    act = tfl_opt_i32(ip, n, 4, 1, 0);
    d = (dw_data_t *)tfl_alloc_persistent(ip, sizeof(dw_data_t) + 5u * (uint32_t)cout);
    if (d == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    d->mult = (int32_t *)(d + 1);
    d->shift = (int8_t *)(d->mult + cout);
    d->stride_w = tfl_opt_i32(ip, n, 1, 4, 0);
    d->stride_h = tfl_opt_i32(ip, n, 2, 4, 0);
    d->depth_mult = tfl_opt_i32(ip, n, 3, 4, 0);
    d->dil_w = tfl_opt_i32(ip, n, 5, 4, 1);
    d->dil_h = tfl_opt_i32(ip, n, 6, 4, 1);
    if (d->stride_w <= 0 || d->stride_h <= 0 || d->dil_w <= 0 || d->dil_h <= 0 || padding < 0 || padding > 1)
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, -1);
    /* the multiplier follows from the shapes; the option must agree when given */
    if (w->dims[0] != 1 || cout % in->dims[3] != 0 || out->dims[3] != cout || out->dims[0] != in->dims[0])
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    if (d->depth_mult != 0 && d->depth_mult != cout / in->dims[3])
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, -1);
    d->depth_mult = cout / in->dims[3];
    oh = tfl_out_size(padding, in->dims[1], w->dims[1], d->stride_h, d->dil_h);
    ow = tfl_out_size(padding, in->dims[2], w->dims[2], d->stride_w, d->dil_w);
    if (oh != out->dims[1] || ow != out->dims[2])
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    d->pad_h = tfl_padding(d->stride_h, d->dil_h, in->dims[1], w->dims[1], oh);
    d->pad_w = tfl_padding(d->stride_w, d->dil_w, in->dims[2], w->dims[2], ow);
    if (tfl_activation_range_int8(act, out->scale, out->zero_point, &d->act_min, &d->act_max))
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, -1);
    if (w->nscales > 1 && w->qdim != 3)
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, w));
    if ((s = tfl_ref_channel_multipliers(ip, in, w, out, cout, d->mult, d->shift)) != TFL_OK)
        return s;
    n->data = d;
    return TFL_OK;
}

static tfl_status_t eval(tfl_interp_t *ip, tfl_node_t *n)
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
            const int32_t y0 = oy * d->stride_h - d->pad_h;
            for (ox = 0; ox < ow; ox++) {
                const int32_t x0 = ox * d->stride_w - d->pad_w;
                for (c = 0; c < ic; c++) {
                    for (m = 0; m < d->depth_mult; m++) {
                        const int32_t o = c * d->depth_mult + m;
                        uint32_t acc = 0; /* wrapping int32 sum without UB */
                        int32_t v;
                        for (ky = 0; ky < kh; ky++) {
                            const int32_t yy = y0 + d->dil_h * ky;
                            if (yy < 0 || yy >= ih)
                                continue;
                            for (kx = 0; kx < kw; kx++) {
                                const int32_t xx = x0 + d->dil_w * kx;
                                if (xx < 0 || xx >= iw)
                                    continue;
                                acc += (uint32_t)((int32_t)f[(ky * kw + kx) * oc + o] *
                                                  ((int32_t)x[((bt * ih + yy) * iw + xx) * ic + c] + in_off));
                            }
                        }
                        if (b)
                            acc += (uint32_t)b[o];
                        v = tfl_mbqm((int32_t)acc, d->mult[o], d->shift[o]) + out_off;
                        y[((bt * oh + oy) * ow + ox) * oc + o] = (int8_t)tfl_clamp(v, d->act_min, d->act_max);
                    }
                }
            }
        }
    }
    (void)ip;
    return TFL_OK;
}

const tfl_kernel_t tfl_ref_depthwise_conv_2d = {TFL_OP_DEPTHWISE_CONV_2D, prepare, eval};
