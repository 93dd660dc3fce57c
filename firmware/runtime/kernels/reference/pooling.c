/* AVERAGE_POOL_2D and MAX_POOL_2D, int8 and int16 (input and output share scale and zero point).
 * The int16 variants (16x8 models, as TFLM) use the same arithmetic with the int16 range; they
 * run through their own eval, swapped in by prepare, so the int8 path is unchanged. */
#include <math.h>

#include "tfl/kernel.h"
#include "ref_kernels.h"

typedef tfl_ref_pool_data_t pool_data_t;

static tfl_status_t eval_avg16(tfl_interp_t *ip, tfl_node_t *n);
static tfl_status_t eval_max16(tfl_interp_t *ip, tfl_node_t *n);
static const tfl_kernel_t avg16 = {TFL_OP_AVERAGE_POOL_2D, 0, eval_avg16};
static const tfl_kernel_t max16 = {TFL_OP_MAX_POOL_2D, 0, eval_max16};

static int32_t quantize_clamped16(float v, float scale, int32_t zp)
{
    const float r = roundf(v / scale);
    const int32_t q = !(r > -1e6f) ? -1000000 : (r > 1e6f ? 1000000 : (int32_t)r);
    return tfl_clamp(zp + q, -32768, 32767);
}

/* Clamp range of a fused activation for an int16 output (as TFLite's, with the int16 range). */
static int activation_range_int16(int32_t act, float scale, int32_t zp, int32_t *lo, int32_t *hi)
{
    *lo = -32768;
    *hi = 32767;
    switch (act) {
    case TFL_ACT_NONE:
        return 0;
    case TFL_ACT_RELU:
        *lo = quantize_clamped16(0.0f, scale, zp);
        return 0;
    case TFL_ACT_RELU6:
        *lo = quantize_clamped16(0.0f, scale, zp);
        *hi = quantize_clamped16(6.0f, scale, zp);
        return 0;
    case TFL_ACT_RELU_N1_TO_1:
        *lo = quantize_clamped16(-1.0f, scale, zp);
        *hi = quantize_clamped16(1.0f, scale, zp);
        return 0;
    default:
        return 1;
    }
}

/* The int16 part of prepare: activation range and the int16 eval. */
static tfl_status_t finish16(tfl_interp_t *ip, tfl_node_t *n, pool_data_t *d, int32_t act, const tfl_tensor_t *out)
{
    if (activation_range_int16(act, out->scale, out->zero_point, &d->act_min, &d->act_max))
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, -1);
    n->kernel = n->builtin_code == TFL_OP_MAX_POOL_2D ? &max16 : &avg16;
    n->data = d;
    return TFL_OK;
}

typedef tfl_status_t (*finish16_fn)(tfl_interp_t *ip, tfl_node_t *n, pool_data_t *d, int32_t act,
                                    const tfl_tensor_t *out);

/* int8, and int16 when `fin16` is given (so the int8-only kernels link no int16 code). */
static tfl_status_t prepare_common(tfl_interp_t *ip, tfl_node_t *n, finish16_fn fin16)
{
    tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    pool_data_t *d;
    int32_t padding, act, oh, ow;
    tfl_status_t s;
    const uint8_t type = fin16 != 0 && in != 0 && in->type == TFL_TYPE_INT16 ? TFL_TYPE_INT16 : TFL_TYPE_INT8;

    if ((s = tfl_require_options(ip, n, TFL_OPT_POOL2D)) != TFL_OK)
        return s;
    if ((s = tfl_check_type(ip, in, type)) || (s = tfl_check_type(ip, out, type)) ||
        (s = tfl_check_ndim(ip, in, 4)) || (s = tfl_check_ndim(ip, out, 4)))
        return s;
    if (in->scale != out->scale || in->zero_point != out->zero_point)
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, out));
    d = (pool_data_t *)tfl_alloc_persistent(ip, sizeof(pool_data_t));
    if (d == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    padding = tfl_opt_i32(ip, n, 0, 1, 0);
    d->stride_w = tfl_opt_i32(ip, n, 1, 4, 0);
    d->stride_h = tfl_opt_i32(ip, n, 2, 4, 0);
    d->fw = tfl_opt_i32(ip, n, 3, 4, 0);
    d->fh = tfl_opt_i32(ip, n, 4, 4, 0);
    act = tfl_opt_i32(ip, n, 5, 1, 0);
    if (d->stride_w <= 0 || d->stride_h <= 0 || d->fw <= 0 || d->fh <= 0 || padding < 0 || padding > 1)
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, -1);
    oh = tfl_out_size(padding, in->dims[1], d->fh, d->stride_h, 1);
    ow = tfl_out_size(padding, in->dims[2], d->fw, d->stride_w, 1);
    if (oh != out->dims[1] || ow != out->dims[2] || out->dims[0] != in->dims[0] || out->dims[3] != in->dims[3])
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    d->pad_h = tfl_padding(d->stride_h, 1, in->dims[1], d->fh, oh);
    d->pad_w = tfl_padding(d->stride_w, 1, in->dims[2], d->fw, ow);
    if (type == TFL_TYPE_INT16)
        return fin16(ip, n, d, act, out);
    if (tfl_activation_range_int8(act, out->scale, out->zero_point, &d->act_min, &d->act_max))
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, -1);
    n->data = d;
    return TFL_OK;
}

static tfl_status_t pool(tfl_interp_t *ip, tfl_node_t *n, int is_max)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    const pool_data_t *d = (const pool_data_t *)n->data;
    const int8_t *x = (const int8_t *)in->data;
    int8_t *y = (int8_t *)out->data;
    const int32_t batches = in->dims[0], ih = in->dims[1], iw = in->dims[2], ch = in->dims[3];
    const int32_t oh = out->dims[1], ow = out->dims[2];
    int32_t bt, oy, ox, c, ky, kx;

    for (bt = 0; bt < batches; bt++) {
        for (oy = 0; oy < oh; oy++) {
            const int32_t y0 = oy * d->stride_h - d->pad_h;
            const int32_t ky0 = y0 < 0 ? -y0 : 0;
            const int32_t ky1 = d->fh < ih - y0 ? d->fh : ih - y0;
            for (ox = 0; ox < ow; ox++) {
                const int32_t x0 = ox * d->stride_w - d->pad_w;
                const int32_t kx0 = x0 < 0 ? -x0 : 0;
                const int32_t kx1 = d->fw < iw - x0 ? d->fw : iw - x0;
                for (c = 0; c < ch; c++) {
                    int32_t acc = is_max ? -128 : 0, count = 0;
                    for (ky = ky0; ky < ky1; ky++) {
                        for (kx = kx0; kx < kx1; kx++) {
                            int32_t v = x[((bt * ih + y0 + ky) * iw + x0 + kx) * ch + c];
                            if (is_max)
                                acc = v > acc ? v : acc;
                            else
                                acc += v;
                            count++;
                        }
                    }
                    if (!is_max) {
                        if (count == 0)
                            return tfl_fail(ip, TFL_ERR_BAD_PARAMS, -1);
                        /* divide rounding half away from zero */
                        acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
                    }
                    y[((bt * oh + oy) * ow + ox) * ch + c] = (int8_t)tfl_clamp(acc, d->act_min, d->act_max);
                }
            }
        }
    }
    return TFL_OK;
}

static tfl_status_t pool16(tfl_interp_t *ip, tfl_node_t *n, int is_max)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    const pool_data_t *d = (const pool_data_t *)n->data;
    const int16_t *x = (const int16_t *)in->data;
    int16_t *y = (int16_t *)out->data;
    const int32_t batches = in->dims[0], ih = in->dims[1], iw = in->dims[2], ch = in->dims[3];
    const int32_t oh = out->dims[1], ow = out->dims[2];
    int32_t bt, oy, ox, c, ky, kx;

    for (bt = 0; bt < batches; bt++) {
        for (oy = 0; oy < oh; oy++) {
            const int32_t y0 = oy * d->stride_h - d->pad_h;
            const int32_t ky0 = y0 < 0 ? -y0 : 0;
            const int32_t ky1 = d->fh < ih - y0 ? d->fh : ih - y0;
            for (ox = 0; ox < ow; ox++) {
                const int32_t x0 = ox * d->stride_w - d->pad_w;
                const int32_t kx0 = x0 < 0 ? -x0 : 0;
                const int32_t kx1 = d->fw < iw - x0 ? d->fw : iw - x0;
                for (c = 0; c < ch; c++) {
                    int32_t acc = is_max ? -32768 : 0, count = 0;
                    for (ky = ky0; ky < ky1; ky++) {
                        for (kx = kx0; kx < kx1; kx++) {
                            int32_t v = x[((bt * ih + y0 + ky) * iw + x0 + kx) * ch + c];
                            if (is_max)
                                acc = v > acc ? v : acc;
                            else
                                acc += v;
                            count++;
                        }
                    }
                    if (!is_max) {
                        if (count == 0)
                            return tfl_fail(ip, TFL_ERR_BAD_PARAMS, -1);
                        /* divide rounding half away from zero */
                        acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
                    }
                    y[((bt * oh + oy) * ow + ox) * ch + c] = (int16_t)tfl_clamp(acc, d->act_min, d->act_max);
                }
            }
        }
    }
    return TFL_OK;
}

static tfl_status_t eval_avg(tfl_interp_t *ip, tfl_node_t *n) { return pool(ip, n, 0); }
static tfl_status_t eval_max(tfl_interp_t *ip, tfl_node_t *n) { return pool(ip, n, 1); }
static tfl_status_t eval_avg16(tfl_interp_t *ip, tfl_node_t *n) { return pool16(ip, n, 0); }
static tfl_status_t eval_max16(tfl_interp_t *ip, tfl_node_t *n) { return pool16(ip, n, 1); }

static tfl_status_t prepare(tfl_interp_t *ip, tfl_node_t *n) { return prepare_common(ip, n, finish16); }
static tfl_status_t prepare_int8(tfl_interp_t *ip, tfl_node_t *n) { return prepare_common(ip, n, 0); }

const tfl_kernel_t tfl_ref_average_pool_2d = {TFL_OP_AVERAGE_POOL_2D, prepare, eval_avg};
TFL_REF_EVAL(tfl_ref_average_pool_2d, eval_avg)
const tfl_kernel_t tfl_ref_max_pool_2d = {TFL_OP_MAX_POOL_2D, prepare, eval_max};
TFL_REF_EVAL(tfl_ref_max_pool_2d, eval_max)
/* int8 only: link none of the int16 code */
const tfl_kernel_t tfl_ref_average_pool_2d_int8 = {TFL_OP_AVERAGE_POOL_2D, prepare_int8, eval_avg};
const tfl_kernel_t tfl_ref_max_pool_2d_int8 = {TFL_OP_MAX_POOL_2D, prepare_int8, eval_max};
