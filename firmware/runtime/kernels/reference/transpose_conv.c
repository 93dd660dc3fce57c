/* TRANSPOSE_CONV: int8, and 16x8 (int16 activations with zero point 0, int8 weights, int64 or
 * int16 bias, 64-bit accumulator), per-channel or per-tensor weights, as TFLM's kernel.
 *
 * Inputs: output_shape (ignored, as TFLM ignores it: the output tensor's shape is static),
 * weights [cout, kh, kw, cin], input [n, h, w, cin], optional bias [cout].  TFLM scatters each
 * input element into an int32/int64 scratch image of the output; the integer sums do not depend
 * on the order, so this kernel gathers per output element instead and needs no scratch buffer.
 */
#include "tfl/kernel.h"
#include "ref_kernels.h"

enum { TFL_OPT_TRANSPOSE_CONV = 49 };

typedef struct {
    int32_t stride_h, stride_w, pad_h, pad_w, act_min, act_max;
    int32_t *mult;
    int8_t *shift;
} tconv_data_t;

/* TFLite's padding for the output size `out` seen as a convolution's input (dilation 1). */
static int32_t tconv_padding(int32_t padding, int32_t stride, int32_t out, int32_t k)
{
    int64_t conv_out = padding == 0 ? ((int64_t)out + stride - 1) / stride : ((int64_t)out + stride - k) / stride;
    int64_t total = (conv_out - 1) * stride + k - out;
    return total > 0 ? (int32_t)(total / 2) : 0;
}

static tfl_status_t prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_tensor_t *w = tfl_node_input(ip, n, 1), *in = tfl_node_input(ip, n, 2);
    tfl_tensor_t *bias = tfl_node_input(ip, n, 3), *out = tfl_node_output(ip, n, 0);
    tconv_data_t *d;
    int32_t cout, padding;
    uint8_t dtype;
    tfl_status_t s;

    if (n->n_inputs < 3 || n->n_inputs > 4 || n->n_outputs != 1)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, -1);
    if ((s = tfl_require_options(ip, n, TFL_OPT_TRANSPOSE_CONV)) != TFL_OK)
        return s;
    dtype = in && in->type == TFL_TYPE_INT16 ? TFL_TYPE_INT16 : TFL_TYPE_INT8;
    if ((s = tfl_check_type(ip, in, dtype)) || (s = tfl_check_type(ip, w, TFL_TYPE_INT8)) ||
        (s = tfl_check_type(ip, out, dtype)))
        return s;
    if ((s = tfl_check_ndim(ip, in, 4)) || (s = tfl_check_ndim(ip, w, 4)) || (s = tfl_check_ndim(ip, out, 4)))
        return s;
    cout = w->dims[0];
    if (in->dims[3] != w->dims[3])
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, w));
    if (out->dims[3] != cout || out->dims[0] != in->dims[0])
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    if (bias) {
        /* int8: int32 bias; 16x8: int64, or int16 (TFLM widens the older int16 biases) */
        if (dtype == TFL_TYPE_INT16 && bias->type == TFL_TYPE_INT16) {
            if (tfl_num_elements(bias) != (uint32_t)cout)
                return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, bias));
        } else if ((s = tfl_ref_check_bias(ip, in, bias, cout, 0)) != TFL_OK) {
            return s;
        }
    }
    /* TFLM wants as many zero points as scales for the weights */
    if (w->nzps != 0 && w->nzps != w->nscales)
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, w));

    d = (tconv_data_t *)tfl_alloc_persistent(ip, sizeof(tconv_data_t) + 5u * (uint32_t)cout);
    if (d == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    d->mult = (int32_t *)(d + 1);
    d->shift = (int8_t *)(d->mult + cout);
    padding = tfl_opt_i32(ip, n, 0, 1, 0);
    d->stride_w = tfl_opt_i32(ip, n, 1, 4, 0);
    d->stride_h = tfl_opt_i32(ip, n, 2, 4, 0);
    if (padding < 0 || padding > 1 || d->stride_w <= 0 || d->stride_h <= 0 || d->stride_w > TFL_MAX_STRIDE ||
        d->stride_h > TFL_MAX_STRIDE)
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, -1);
    d->pad_h = tconv_padding(padding, d->stride_h, out->dims[1], w->dims[1]);
    d->pad_w = tconv_padding(padding, d->stride_w, out->dims[2], w->dims[2]);
    /* the fused activation (newer op versions) clamps the quantized outputs too (measured on
       LiteRT and TFLM) */
    if (tfl_ref_activation_range(tfl_opt_i32(ip, n, 3, 1, 0), out, &d->act_min, &d->act_max))
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, -1);
    if ((s = tfl_ref_channel_multipliers(ip, in, w, out, cout, d->mult, d->shift)) != TFL_OK)
        return s;
    n->data = d;
    return TFL_OK;
}

/* Input rows (or columns) whose window covers output row o: i*stride - pad + k == o. */
static int32_t tconv_source(int32_t o, int32_t k, int32_t pad, int32_t stride, int32_t in_size)
{
    int32_t t = o + pad - k;
    if (t < 0 || t % stride != 0 || t / stride >= in_size)
        return -1;
    return t / stride;
}

static tfl_status_t eval(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *w = tfl_node_input(ip, n, 1), *in = tfl_node_input(ip, n, 2);
    const tfl_tensor_t *bias = tfl_node_input(ip, n, 3), *out = tfl_node_output(ip, n, 0);
    const tconv_data_t *d = (const tconv_data_t *)n->data;
    const int8_t *f = (const int8_t *)w->data;
    const int wide = in->type == TFL_TYPE_INT16;
    const int32_t batches = in->dims[0], ih = in->dims[1], iw = in->dims[2], ic = in->dims[3];
    const int32_t kh = w->dims[1], kw = w->dims[2];
    const int32_t oh = out->dims[1], ow = out->dims[2], oc = out->dims[3];
    const int32_t in_off = -in->zero_point, out_off = out->zero_point;
    int32_t bt, oy, ox, c, ky, kx, k;

    for (bt = 0; bt < batches; bt++) {
        for (oy = 0; oy < oh; oy++) {
            for (ox = 0; ox < ow; ox++) {
                for (c = 0; c < oc; c++) {
                    const uint32_t o = (uint32_t)(((bt * oh + oy) * ow + ox) * oc + c);
                    uint64_t acc = 0; /* int32 (int8) or int64 (16x8) sums, wrapping */
                    int32_t v;
                    for (ky = 0; ky < kh; ky++) {
                        const int32_t iy = tconv_source(oy, ky, d->pad_h, d->stride_h, ih);
                        if (iy < 0)
                            continue;
                        for (kx = 0; kx < kw; kx++) {
                            const int32_t ix = tconv_source(ox, kx, d->pad_w, d->stride_w, iw);
                            uint32_t xi;
                            const int8_t *fp;
                            if (ix < 0)
                                continue;
                            xi = (uint32_t)(((bt * ih + iy) * iw + ix) * ic);
                            fp = f + ((c * kh + ky) * kw + kx) * ic;
                            if (wide) {
                                const int16_t *xp = (const int16_t *)in->data + xi;
                                for (k = 0; k < ic; k++)
                                    acc += (uint64_t)(int64_t)((int32_t)fp[k] * (int32_t)xp[k]);
                            } else {
                                const int8_t *xp = (const int8_t *)in->data + xi;
                                for (k = 0; k < ic; k++)
                                    acc += (uint64_t)(int64_t)((int32_t)fp[k] * ((int32_t)xp[k] + in_off));
                            }
                        }
                    }
                    acc += (uint64_t)tfl_ref_bias_at(bias, c);
                    if (wide) {
                        v = tfl_mbqm64((int64_t)acc, d->mult[c], d->shift[c]);
                        ((int16_t *)out->data)[o] = (int16_t)tfl_clamp(v, d->act_min, d->act_max);
                    } else {
                        v = tfl_mbqm((int32_t)(uint32_t)acc, d->mult[c], d->shift[c]) + out_off;
                        ((int8_t *)out->data)[o] = (int8_t)tfl_clamp(v, d->act_min, d->act_max);
                    }
                }
            }
        }
    }
    (void)ip;
    return TFL_OK;
}

const tfl_kernel_t tfl_ref_transpose_conv = {TFL_OP_TRANSPOSE_CONV, prepare, eval};
