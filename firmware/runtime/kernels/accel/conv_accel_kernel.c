/* CONV_2D on tandem's convolution accelerator (rtl/), with the reference kernel as fallback.
 *
 * prepare is the reference kernel's (shapes, padding, per-channel multipliers), plus the
 * int32 per-channel shifts and, for a bias-less conv, a zero bias: the engine reads both from
 * memory. eval hands a batch-1, ungrouped layer to the engine and blocks until it is done; a
 * layer the engine refuses (its error codes: capacity, shape limits) or cannot express runs on
 * the CPU reference kernel instead. The host tells which op ran where from the accelerator's
 * job log, so nothing extra is traced here. TANDEM_ACCEL_BASE comes from board.h, generated
 * from a platform with an accelerator overlay (platforms/accel/). */
#include "board.h"
#include "conv_accel.h"
#include "ref_kernels.h"
#include "tfl/kernel.h"

typedef struct {
    tfl_ref_conv_data_t *ref;
    int32_t *shift;      /* per output channel, int32 as the engine reads them */
    const int32_t *bias; /* the model's bias, or zeros */
} accel_conv_t;

static tfl_status_t prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_status_t s = tfl_ref_conv_2d.prepare(ip, n);
    if (s != TFL_OK)
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
    const int32_t ph = total_pad(ih, oh, kh, d->stride_h, d->dil_h), pw = total_pad(iw, ow, kw, d->stride_w, d->dil_w);

    /* what the register interface can express: one image, no groups, 16/8-bit fields */
    if (in->dims[0] != 1 || w->dims[3] != ic || ih > 0xFFFF || iw > 0xFFFF || ic > 0xFFFF || oc > 0xFFFF ||
        kh > 0xFF || kw > 0xFF || d->stride_h > 0xFF || d->stride_w > 0xFF || d->dil_h > 0xFF ||
        d->dil_w > 0xFF || ph > 0xFF || pw > 0xFF || d->pad_h > ph || d->pad_w > pw)
        return eval_cpu(ip, n, a);

    conv_accel_layer_t layer = {
        .in_h = (uint16_t)ih, .in_w = (uint16_t)iw, .in_c = (uint16_t)ic,
        .out_h = (uint16_t)oh, .out_w = (uint16_t)ow, .out_c = (uint16_t)oc,
        .k_h = (uint8_t)kh, .k_w = (uint8_t)kw,
        .stride_h = (uint8_t)d->stride_h, .stride_w = (uint8_t)d->stride_w,
        .dil_h = (uint8_t)d->dil_h, .dil_w = (uint8_t)d->dil_w,
        .pad_top = (uint8_t)d->pad_h, .pad_bottom = (uint8_t)(ph - d->pad_h),
        .pad_left = (uint8_t)d->pad_w, .pad_right = (uint8_t)(pw - d->pad_w),
        .input_offset = -in->zero_point, .output_offset = out->zero_point,
        .act_min = d->act_min, .act_max = d->act_max,
        .input = (const int8_t *)in->data, .filter = (const int8_t *)w->data,
        .bias = a->bias, .mult = d->mult, .shift = a->shift,
        .output = (int8_t *)out->data, .out_pstride = 0,
    };
    int rc = conv_accel_run(TANDEM_ACCEL_BASE, &layer, 0);
    if (rc == CONV_ACCEL_OK)
        return TFL_OK;
    if (rc < 0x100)
        return eval_cpu(ip, n, a); /* the engine refused this layer: CPU reference kernel */
    ip->error.detail = (uint32_t)rc; /* no accelerator answered at TANDEM_ACCEL_BASE */
    return tfl_fail(ip, TFL_ERR_STATE, -1);
}

const tfl_kernel_t tfl_accel_conv_2d = {TFL_OP_CONV_2D, prepare, eval};
