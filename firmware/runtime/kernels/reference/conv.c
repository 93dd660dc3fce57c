/* CONV_2D: int8 activations and weights (per-channel or per-tensor), int32 bias; and 16x8:
 * int16 activations (zero point 0), int8 weights, int64 or no bias (int64 accumulator and the
 * 64-bit rescale) or an int32 bias (int32 accumulator and the 32-bit rescale), as TFLM. */
#include "tfl/kernel.h"
#include "ref_kernels.h"

typedef tfl_ref_conv_data_t conv_data_t;

/* Per-channel output multipliers: in_scale * filter_scale[c] / out_scale, in double. */
tfl_status_t tfl_ref_channel_multipliers(tfl_interp_t *ip, const tfl_tensor_t *in, const tfl_tensor_t *filter,
                                         const tfl_tensor_t *out, int32_t channels, int32_t *mult,
                                         int8_t *shift)
{
    int32_t c, sh;
    /* per-channel scales need a quantized dimension of that size (the reader marks others -1) */
    if (filter->nscales != 1 && (filter->nscales != (uint32_t)channels || filter->qdim < 0))
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, filter));
    for (c = 0; c < channels; c++) {
        double eff = (double)in->scale * (double)tfl_scale_at(filter, (uint32_t)c) / (double)out->scale;
        if (tfl_zero_point_at(filter, (uint32_t)c) != 0)
            return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, filter));
        if (tfl_quantize_multiplier(eff, &mult[c], &sh))
            return tfl_fail(ip, TFL_ERR_BAD_PARAMS, tfl_tensor_index(ip, filter));
        shift[c] = (int8_t)sh;
    }
    return TFL_OK;
}

tfl_status_t tfl_ref_check_conv_tensors(tfl_interp_t *ip, const tfl_tensor_t *in, const tfl_tensor_t *w,
                                        const tfl_tensor_t *bias, const tfl_tensor_t *out, int32_t filter_cout_dim,
                                        uint8_t dtype, int32_t *cout)
{
    tfl_status_t s;
    if ((s = tfl_check_type(ip, in, dtype)) || (s = tfl_check_type(ip, w, TFL_TYPE_INT8)) ||
        (s = tfl_check_type(ip, out, dtype)))
        return s;
    if ((s = tfl_check_ndim(ip, in, 4)) || (s = tfl_check_ndim(ip, w, 4)) || (s = tfl_check_ndim(ip, out, 4)))
        return s;
    *cout = w->dims[filter_cout_dim];
    if (dtype != TFL_TYPE_INT8) /* 16x8 biases: the caller checks them (tfl_ref_check_bias) */
        return TFL_OK;
    if (bias && ((s = tfl_check_type(ip, bias, TFL_TYPE_INT32)) != TFL_OK))
        return s;
    if (bias && tfl_num_elements(bias) != (uint32_t)*cout)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, bias));
    return TFL_OK;
}

tfl_status_t tfl_ref_check_bias(tfl_interp_t *ip, const tfl_tensor_t *in, const tfl_tensor_t *bias, int32_t cout,
                                int allow_int32_16x8)
{
    /* int8: int32 bias; 16x8: int64 (int32 where the kernel has a 32-bit path).  TFLM checks
       neither the bias's scales nor its quantized dimension for convolutions. */
    if (in->type == TFL_TYPE_INT8 || (allow_int32_16x8 && bias->type == TFL_TYPE_INT32)) {
        if (bias->type != TFL_TYPE_INT32)
            return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, bias));
    } else if (bias->type != TFL_TYPE_INT64) {
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, bias));
    }
    if (tfl_num_elements(bias) != (uint32_t)cout)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, bias));
    return TFL_OK;
}

tfl_status_t tfl_ref_window(tfl_interp_t *ip, const tfl_tensor_t *in, const tfl_tensor_t *w, const tfl_tensor_t *out,
                            int32_t padding, int32_t activation, tfl_ref_window_t *g)
{
    int32_t oh, ow;
    if (g->stride_w <= 0 || g->stride_h <= 0 || g->dil_w <= 0 || g->dil_h <= 0 || padding < 0 || padding > 1)
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, -1);
    oh = tfl_out_size(padding, in->dims[1], w->dims[1], g->stride_h, g->dil_h);
    ow = tfl_out_size(padding, in->dims[2], w->dims[2], g->stride_w, g->dil_w);
    if (oh != out->dims[1] || ow != out->dims[2])
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    g->pad_h = tfl_padding(g->stride_h, g->dil_h, in->dims[1], w->dims[1], oh);
    g->pad_w = tfl_padding(g->stride_w, g->dil_w, in->dims[2], w->dims[2], ow);
    if (tfl_activation_range_int8(activation, out->scale, out->zero_point, &g->act_min, &g->act_max))
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, -1);
    return TFL_OK;
}

int tfl_ref_activation_range(int32_t activation, const tfl_tensor_t *out, int32_t *lo, int32_t *hi)
{
    if (out->type == TFL_TYPE_INT16)
        return tfl_activation_range_int16(activation, out->scale, out->zero_point, lo, hi);
    return tfl_activation_range_int8(activation, out->scale, out->zero_point, lo, hi);
}

tfl_status_t tfl_ref_finish_16x8(tfl_interp_t *ip, const tfl_tensor_t *out, int32_t activation, uint32_t channels,
                                 const int8_t *shift, int32_t *act_min, int32_t *act_max)
{
    uint32_t c;
    for (c = 0; c < channels; c++) /* the 64-bit rescale shifts right by 15 - shift >= 1 */
        if (shift[c] > 14)
            return tfl_fail(ip, TFL_ERR_BAD_PARAMS, tfl_tensor_index(ip, out));
    if (tfl_activation_range_int16(activation, out->scale, out->zero_point, act_min, act_max))
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, -1);
    return TFL_OK;
}

static tfl_status_t prepare_common(tfl_interp_t *ip, tfl_node_t *n, uint8_t dtype)
{
    tfl_tensor_t *in = tfl_node_input(ip, n, 0), *w = tfl_node_input(ip, n, 1);
    tfl_tensor_t *bias = tfl_node_input(ip, n, 2), *out = tfl_node_output(ip, n, 0);
    conv_data_t *d;
    int32_t cout;
    tfl_status_t s;

    if ((s = tfl_require_options(ip, n, TFL_OPT_CONV2D)) != TFL_OK)
        return s;
    if ((s = tfl_ref_check_conv_tensors(ip, in, w, bias, out, 0, dtype, &cout)) != TFL_OK)
        return s;
    if (in->dims[3] % w->dims[3] != 0 || out->dims[3] != cout || out->dims[0] != in->dims[0] ||
        cout % (in->dims[3] / w->dims[3]) != 0)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));

    d = (conv_data_t *)tfl_alloc_persistent(ip, sizeof(conv_data_t) + 5u * (uint32_t)cout);
    if (d == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    d->mult = (int32_t *)(d + 1);
    d->shift = (int8_t *)(d->mult + cout);
    d->win.stride_w = tfl_opt_i32(ip, n, 1, 4, 0);
    d->win.stride_h = tfl_opt_i32(ip, n, 2, 4, 0);
    d->win.dil_w = tfl_opt_i32(ip, n, 4, 4, 1);
    d->win.dil_h = tfl_opt_i32(ip, n, 5, 4, 1);
    if ((s = tfl_ref_window(ip, in, w, out, tfl_opt_i32(ip, n, 0, 1, 0), tfl_opt_i32(ip, n, 3, 1, 0), &d->win)))
        return s;
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
    const conv_data_t *d = (const conv_data_t *)n->data;
    const int8_t *x = (const int8_t *)in->data, *f = (const int8_t *)w->data;
    const int32_t *b = bias ? (const int32_t *)bias->data : 0;
    int8_t *y = (int8_t *)out->data;
    const int32_t batches = in->dims[0], ih = in->dims[1], iw = in->dims[2], ic = in->dims[3];
    const int32_t kh = w->dims[1], kw = w->dims[2], fc = w->dims[3];
    const int32_t oh = out->dims[1], ow = out->dims[2], oc = out->dims[3];
    const int32_t per_group = oc / (ic / fc);
    const int32_t in_off = -in->zero_point, out_off = out->zero_point;
    int32_t bt, oy, ox, c, ky, kx, k;

    for (bt = 0; bt < batches; bt++) {
        for (oy = 0; oy < oh; oy++) {
            const int32_t y0 = oy * d->win.stride_h - d->win.pad_h;
            for (ox = 0; ox < ow; ox++) {
                const int32_t x0 = ox * d->win.stride_w - d->win.pad_w;
                for (c = 0; c < oc; c++) {
                    const int32_t g0 = (c / per_group) * fc;
                    uint32_t acc = 0; /* wraps like the int32 sums it stands for, without UB */
                    int32_t v;
                    for (ky = 0; ky < kh; ky++) {
                        const int32_t yy = y0 + d->win.dil_h * ky;
                        if (yy < 0 || yy >= ih)
                            continue;
                        for (kx = 0; kx < kw; kx++) {
                            const int32_t xx = x0 + d->win.dil_w * kx;
                            const int8_t *xp, *fp;
                            if (xx < 0 || xx >= iw)
                                continue;
                            xp = x + ((bt * ih + yy) * iw + xx) * ic + g0;
                            fp = f + ((c * kh + ky) * kw + kx) * fc;
                            for (k = 0; k < fc; k++)
                                acc += (uint32_t)((int32_t)fp[k] * ((int32_t)xp[k] + in_off));
                        }
                    }
                    if (b)
                        acc += (uint32_t)b[c];
                    v = tfl_mbqm((int32_t)acc, d->mult[c], d->shift[c]) + out_off;
                    y[((bt * oh + oy) * ow + ox) * oc + c] = (int8_t)tfl_clamp(v, d->win.act_min, d->win.act_max);
                }
            }
        }
    }
    (void)ip;
    return TFL_OK;
}

/* 16x8: products and bias summed in 64 bits; with an int32 bias TFLM sums in int32, which wraps
 * to the same low 32 bits, and rescales with the 32-bit multiply (measured: without a bias it
 * takes the 64-bit path; LiteRT refuses both int32 and absent biases, and its int32-bias
 * results differ from TFLM's). */
static tfl_status_t eval16(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *w = tfl_node_input(ip, n, 1);
    const tfl_tensor_t *bias = tfl_node_input(ip, n, 2), *out = tfl_node_output(ip, n, 0);
    const conv_data_t *d = (const conv_data_t *)n->data;
    const int16_t *x = (const int16_t *)in->data;
    const int8_t *f = (const int8_t *)w->data;
    int16_t *y = (int16_t *)out->data;
    const int wide = bias == 0 || bias->type == TFL_TYPE_INT64;
    const int32_t batches = in->dims[0], ih = in->dims[1], iw = in->dims[2], ic = in->dims[3];
    const int32_t kh = w->dims[1], kw = w->dims[2], fc = w->dims[3];
    const int32_t oh = out->dims[1], ow = out->dims[2], oc = out->dims[3];
    const int32_t per_group = oc / (ic / fc);
    int32_t bt, oy, ox, c, ky, kx, k;

    for (bt = 0; bt < batches; bt++) {
        for (oy = 0; oy < oh; oy++) {
            const int32_t y0 = oy * d->win.stride_h - d->win.pad_h;
            for (ox = 0; ox < ow; ox++) {
                const int32_t x0 = ox * d->win.stride_w - d->win.pad_w;
                for (c = 0; c < oc; c++) {
                    const int32_t g0 = (c / per_group) * fc;
                    uint64_t acc = 0; /* wraps instead of overflowing */
                    int32_t v;
                    for (ky = 0; ky < kh; ky++) {
                        const int32_t yy = y0 + d->win.dil_h * ky;
                        if (yy < 0 || yy >= ih)
                            continue;
                        for (kx = 0; kx < kw; kx++) {
                            const int32_t xx = x0 + d->win.dil_w * kx;
                            const int16_t *xp;
                            const int8_t *fp;
                            if (xx < 0 || xx >= iw)
                                continue;
                            xp = x + ((bt * ih + yy) * iw + xx) * ic + g0;
                            fp = f + ((c * kh + ky) * kw + kx) * fc;
                            for (k = 0; k < fc; k++)
                                acc += (uint64_t)(int64_t)((int32_t)fp[k] * (int32_t)xp[k]);
                        }
                    }
                    acc += (uint64_t)tfl_ref_bias_at(bias, c);
                    if (wide)
                        v = tfl_mbqm64((int64_t)acc, d->mult[c], d->shift[c]);
                    else
                        v = tfl_mbqm((int32_t)(uint32_t)acc, d->mult[c], d->shift[c]);
                    y[((bt * oh + oy) * ow + ox) * oc + c] = (int16_t)tfl_clamp(v, d->win.act_min, d->win.act_max);
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
static const tfl_kernel_t conv_16x8 = {TFL_OP_CONV_2D, prepare, eval16};

static tfl_status_t prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *bias = tfl_node_input(ip, n, 2);
    const tfl_tensor_t *out = tfl_node_output(ip, n, 0);
    conv_data_t *d;
    tfl_status_t s;
    if (in == 0 || in->type != TFL_TYPE_INT16)
        return prepare_common(ip, n, TFL_TYPE_INT8);
    if ((s = prepare_common(ip, n, TFL_TYPE_INT16)) != TFL_OK)
        return s;
    /* 16x8: the bias (int64, int32 or none), the rescale's shift bound, the int16 clamp range */
    d = (conv_data_t *)n->data;
    if (bias && (s = tfl_ref_check_bias(ip, in, bias, out->dims[3], 1)) != TFL_OK)
        return s;
    if ((s = tfl_ref_finish_16x8(ip, out, tfl_opt_i32(ip, n, 3, 1, 0), (uint32_t)out->dims[3], d->shift,
                                 &d->win.act_min, &d->win.act_max)) != TFL_OK)
        return s;
    n->kernel = &conv_16x8;
    return TFL_OK;
}

static tfl_status_t prepare_int8(tfl_interp_t *ip, tfl_node_t *n)
{
    return prepare_common(ip, n, TFL_TYPE_INT8);
}

const tfl_kernel_t tfl_ref_conv_2d = {TFL_OP_CONV_2D, prepare, eval8};
TFL_REF_EVAL(tfl_ref_conv_2d, eval8)
const tfl_kernel_t tfl_ref_conv_2d_int8 = {TFL_OP_CONV_2D, prepare_int8, eval8};
