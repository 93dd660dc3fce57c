/* AVERAGE_POOL_2D and MAX_POOL_2D, optimized (int8): the reference prepare, then per output
 * pixel a pass over its window's taps with the channels innermost (each tap's channels are
 * contiguous in NHWC), as CMSIS-NN's arm_max_pool_s8 / arm_avgpool_s8. MAX_POOL_2D keeps the
 * running maximum in the output row; with the DSP extension four channels per word (SSUB8/SEL).
 * AVERAGE_POOL_2D sums four channels at a time, with the DSP extension as two halfword pairs
 * (SXTAB16) while the window has at most 256 taps (|sum| <= 128 * 256 fits int16), and divides
 * with the reference's rounding. int16 (16x8, as CMSIS-NN's arm_max_pool_s16 / arm_avgpool_s16):
 * the same loops in portable C. */
#include "opt_common.h"
#include "ref_kernels.h"

extern const tfl_kernel_t tfl_opt_average_pool_2d;
extern const tfl_kernel_t tfl_opt_max_pool_2d;

static tfl_status_t eval_avg16(tfl_interp_t *ip, tfl_node_t *n);
static tfl_status_t eval_max16(tfl_interp_t *ip, tfl_node_t *n);
static const tfl_kernel_t opt_avg16 = {TFL_OP_AVERAGE_POOL_2D, 0, eval_avg16};
static const tfl_kernel_t opt_max16 = {TFL_OP_MAX_POOL_2D, 0, eval_max16};

/* the reference prepare (n->data: tfl_ref_pool_data_t for int8 and int16); int16 takes this
 * file's int16 eval in place of the reference's */
static tfl_status_t prepare_with(tfl_interp_t *ip, tfl_node_t *n, const tfl_kernel_t *ref, const tfl_kernel_t *k16)
{
    tfl_status_t s = ref->prepare(ip, n);
    if (s == TFL_OK && tfl_node_input(ip, n, 0)->type == TFL_TYPE_INT16)
        n->kernel = k16;
    return s;
}
static tfl_status_t prepare_avg(tfl_interp_t *ip, tfl_node_t *n)
{
    return prepare_with(ip, n, &tfl_ref_average_pool_2d, &opt_avg16);
}
static tfl_status_t prepare_max(tfl_interp_t *ip, tfl_node_t *n)
{
    return prepare_with(ip, n, &tfl_ref_max_pool_2d, &opt_max16);
}

/* dst = max(dst, src) over ch int8 lanes */
static void max_row(int8_t *dst, const int8_t *src, int32_t ch)
{
    int32_t c = 0;
#if TFL_OPT_DSP
    for (; c + 4 <= ch; c += 4)
        opt_wr32(dst + c, opt_max8x4(opt_rd32(dst + c), opt_rd32(src + c)));
#endif
    for (; c < ch; c++)
        dst[c] = src[c] > dst[c] ? src[c] : dst[c];
}

static void clamp_row(int8_t *dst, int32_t ch, int32_t lo, int32_t hi)
{
    int32_t c = 0;
#if TFL_OPT_DSP
    const uint32_t lo4 = opt_dup8(lo), hi4 = opt_dup8(hi);
    for (; c + 4 <= ch; c += 4)
        opt_wr32(dst + c, opt_min8x4(opt_max8x4(opt_rd32(dst + c), lo4), hi4));
#endif
    for (; c < ch; c++)
        dst[c] = (int8_t)tfl_clamp(dst[c], lo, hi);
}

/* The output pixel's window, clipped to the input: taps [ky0, ky1) x [kx0, kx1). */
typedef struct {
    int32_t ky0, ky1, kx0, kx1;
    const int8_t *first; /* the window's first tap, channel 0 */
} win_t;

static tfl_status_t pool(tfl_interp_t *ip, tfl_node_t *n, int is_max)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    const tfl_ref_pool_data_t *d = (const tfl_ref_pool_data_t *)n->data;
    const int8_t *x = (const int8_t *)in->data;
    int8_t *y = (int8_t *)out->data;
    const int32_t batches = in->dims[0], ih = in->dims[1], iw = in->dims[2], ch = in->dims[3];
    const int32_t oh = out->dims[1], ow = out->dims[2], lo = d->act_min, hi = d->act_max;
    const int clamp = lo > -128 || hi < 127;
    int32_t bt, oy, ox;

    for (bt = 0; bt < batches; bt++) {
        for (oy = 0; oy < oh; oy++) {
            const int32_t y0 = oy * d->stride_h - d->pad_h;
            win_t w;
            w.ky0 = y0 < 0 ? -y0 : 0;
            w.ky1 = d->fh < ih - y0 ? d->fh : ih - y0;
            for (ox = 0; ox < ow; ox++) {
                const int32_t x0 = ox * d->stride_w - d->pad_w;
                int8_t *dst = y + ((bt * oh + oy) * ow + ox) * ch;
                int32_t ky, kx, taps;
                w.kx0 = x0 < 0 ? -x0 : 0;
                w.kx1 = d->fw < iw - x0 ? d->fw : iw - x0;
                taps = w.ky1 > w.ky0 && w.kx1 > w.kx0 ? (w.ky1 - w.ky0) * (w.kx1 - w.kx0) : 0;
                w.first = x + ((bt * ih + y0 + w.ky0) * iw + x0 + w.kx0) * ch;
                if (is_max) {
                    if (taps == 0) { /* the reference's initial -128 */
                        memset(dst, -128, (size_t)ch);
                    } else {
                        memcpy(dst, w.first, (size_t)ch);
                        for (ky = 0; ky < w.ky1 - w.ky0; ky++)
                            for (kx = ky == 0 ? 1 : 0; kx < w.kx1 - w.kx0; kx++)
                                max_row(dst, w.first + (ky * iw + kx) * ch, ch);
                    }
                    if (clamp)
                        clamp_row(dst, ch, lo, hi);
                } else {
                    const int32_t tw = w.kx1 - w.kx0, row = iw * ch;
                    int32_t c = 0;
                    if (taps == 0)
                        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, -1);
#if TFL_OPT_DSP
                    if (taps <= 256) {
                        for (; c + 4 <= ch; c += 4) {
                            const int8_t *p = w.first + c;
                            uint32_t s02 = 0, s13 = 0;
                            for (ky = w.ky1 - w.ky0; ky > 0; ky--, p += row) {
                                const int8_t *q = p;
                                for (kx = tw; kx > 0; kx--, q += ch) {
                                    const uint32_t v = opt_rd32(q);
                                    s02 = opt_sxtab16(s02, v);
                                    s13 = opt_sxtab16_ror8(s13, v);
                                }
                            }
                            dst[c] = (int8_t)tfl_clamp(opt_div_round((int16_t)s02, taps), lo, hi);
                            dst[c + 1] = (int8_t)tfl_clamp(opt_div_round((int16_t)s13, taps), lo, hi);
                            dst[c + 2] = (int8_t)tfl_clamp(opt_div_round((int32_t)s02 >> 16, taps), lo, hi);
                            dst[c + 3] = (int8_t)tfl_clamp(opt_div_round((int32_t)s13 >> 16, taps), lo, hi);
                        }
                    }
#endif
                    for (; c + 4 <= ch; c += 4) {
                        const int8_t *p = w.first + c;
                        int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                        for (ky = w.ky1 - w.ky0; ky > 0; ky--, p += row) {
                            const int8_t *q = p;
                            for (kx = tw; kx > 0; kx--, q += ch) {
                                s0 += q[0];
                                s1 += q[1];
                                s2 += q[2];
                                s3 += q[3];
                            }
                        }
                        dst[c] = (int8_t)tfl_clamp(opt_div_round(s0, taps), lo, hi);
                        dst[c + 1] = (int8_t)tfl_clamp(opt_div_round(s1, taps), lo, hi);
                        dst[c + 2] = (int8_t)tfl_clamp(opt_div_round(s2, taps), lo, hi);
                        dst[c + 3] = (int8_t)tfl_clamp(opt_div_round(s3, taps), lo, hi);
                    }
                    for (; c < ch; c++) {
                        const int8_t *p = w.first + c;
                        int32_t s = 0;
                        for (ky = w.ky1 - w.ky0; ky > 0; ky--, p += row) {
                            const int8_t *q = p;
                            for (kx = tw; kx > 0; kx--, q += ch)
                                s += *q;
                        }
                        dst[c] = (int8_t)tfl_clamp(opt_div_round(s, taps), lo, hi);
                    }
                }
            }
        }
    }
    return TFL_OK;
}

/* int16: the int8 loops' order (taps outer, channels inner for MAX_POOL_2D; four channels per
 * pass over the window for AVERAGE_POOL_2D) without the DSP paths */
static tfl_status_t pool16(tfl_interp_t *ip, tfl_node_t *n, int is_max)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    const tfl_ref_pool_data_t *d = (const tfl_ref_pool_data_t *)n->data;
    const int16_t *x = (const int16_t *)in->data;
    int16_t *y = (int16_t *)out->data;
    const int32_t batches = in->dims[0], ih = in->dims[1], iw = in->dims[2], ch = in->dims[3];
    const int32_t oh = out->dims[1], ow = out->dims[2], lo = d->act_min, hi = d->act_max, row = iw * ch;
    int32_t bt, oy, ox, c, ky, kx;

    for (bt = 0; bt < batches; bt++) {
        for (oy = 0; oy < oh; oy++) {
            const int32_t y0 = oy * d->stride_h - d->pad_h;
            const int32_t ky0 = y0 < 0 ? -y0 : 0, ky1 = d->fh < ih - y0 ? d->fh : ih - y0;
            for (ox = 0; ox < ow; ox++) {
                const int32_t x0 = ox * d->stride_w - d->pad_w;
                const int32_t kx0 = x0 < 0 ? -x0 : 0, kx1 = d->fw < iw - x0 ? d->fw : iw - x0;
                const int32_t th = ky1 - ky0, tw = kx1 - kx0, taps = th > 0 && tw > 0 ? th * tw : 0;
                const int16_t *first = x + ((bt * ih + y0 + ky0) * iw + x0 + kx0) * ch;
                int16_t *dst = y + ((bt * oh + oy) * ow + ox) * ch;
                if (is_max) {
                    for (c = 0; c < ch; c++)
                        dst[c] = taps ? first[c] : -32768; /* the reference's initial value */
                    for (ky = 0; ky < th && taps; ky++) {
                        for (kx = ky == 0 ? 1 : 0; kx < tw; kx++) {
                            const int16_t *src = first + ky * row + kx * ch;
                            for (c = 0; c < ch; c++)
                                dst[c] = src[c] > dst[c] ? src[c] : dst[c];
                        }
                    }
                    for (c = 0; c < ch; c++)
                        dst[c] = (int16_t)tfl_clamp(dst[c], lo, hi);
                    continue;
                }
                if (taps == 0)
                    return tfl_fail(ip, TFL_ERR_BAD_PARAMS, -1);
                for (c = 0; c + 4 <= ch; c += 4) {
                    const int16_t *p = first + c;
                    int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                    for (ky = th; ky > 0; ky--, p += row) {
                        const int16_t *q = p;
                        for (kx = tw; kx > 0; kx--, q += ch) {
                            s0 += q[0];
                            s1 += q[1];
                            s2 += q[2];
                            s3 += q[3];
                        }
                    }
                    dst[c] = (int16_t)tfl_clamp(opt_div_round(s0, taps), lo, hi);
                    dst[c + 1] = (int16_t)tfl_clamp(opt_div_round(s1, taps), lo, hi);
                    dst[c + 2] = (int16_t)tfl_clamp(opt_div_round(s2, taps), lo, hi);
                    dst[c + 3] = (int16_t)tfl_clamp(opt_div_round(s3, taps), lo, hi);
                }
                for (; c < ch; c++) {
                    const int16_t *p = first + c;
                    int32_t s = 0;
                    for (ky = th; ky > 0; ky--, p += row) {
                        const int16_t *q = p;
                        for (kx = tw; kx > 0; kx--, q += ch)
                            s += *q;
                    }
                    dst[c] = (int16_t)tfl_clamp(opt_div_round(s, taps), lo, hi);
                }
            }
        }
    }
    return TFL_OK;
}

static tfl_status_t eval_avg16(tfl_interp_t *ip, tfl_node_t *n) { return pool16(ip, n, 0); }
static tfl_status_t eval_max16(tfl_interp_t *ip, tfl_node_t *n) { return pool16(ip, n, 1); }
static tfl_status_t eval_avg(tfl_interp_t *ip, tfl_node_t *n) { return pool(ip, n, 0); }
static tfl_status_t eval_max(tfl_interp_t *ip, tfl_node_t *n) { return pool(ip, n, 1); }

const tfl_kernel_t tfl_opt_average_pool_2d = {TFL_OP_AVERAGE_POOL_2D, prepare_avg, eval_avg};
const tfl_kernel_t tfl_opt_max_pool_2d = {TFL_OP_MAX_POOL_2D, prepare_max, eval_max};
