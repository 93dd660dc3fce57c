/* What the engine's kernels (conv_accel_kernel.c, depthwise_conv_accel_kernel.c) keep per node: the
 * reference kernel's prepared data (for the CPU fallback), the per-channel arrays as the engine
 * reads them (int32 shifts; the model's bias or zeros) and the layer's tiling, planned in prepare
 * from the engine's CAPS registers and kept across invocations (tile_oc 0: the CPU runs it).
 * A layer prepare finds the engine cannot take leaves the engine's kernel (accel_to_cpu). */
#ifndef TANDEM_ACCEL_NODE_H
#define TANDEM_ACCEL_NODE_H

#include "board.h"
#include "conv_accel.h"
#include "cpu_fallback.h"
#include "ref_kernels.h"
#include "tfl/kernel.h"

typedef struct {
    void *ref;            /* the reference kernel's n->data */
    int32_t *shift;       /* per output channel, int32 */
    const int32_t *bias;  /* the model's bias, or zeros */
    conv_accel_tile_t tile;
} accel_node_t;

/* The node's data for `cout` channels with the reference kernel's int8 shifts; 0 when the arena
 * is full. */
static inline accel_node_t *accel_node_new(tfl_interp_t *ip, tfl_node_t *n, int32_t cout, const int8_t *shift,
                                           const tfl_tensor_t *bias)
{
    accel_node_t *a = (accel_node_t *)tfl_alloc_persistent(ip, sizeof(accel_node_t) +
                                                           4u * (uint32_t)cout * (bias ? 1u : 2u));
    if (a == 0)
        return 0;
    a->ref = n->data;
    a->shift = (int32_t *)(a + 1);
    for (int32_t c = 0; c < cout; c++)
        a->shift[c] = shift[c];
    if (bias) {
        a->bias = (const int32_t *)bias->data;
    } else {
        int32_t *zeros = a->shift + cout;
        for (int32_t c = 0; c < cout; c++)
            zeros[c] = 0;
        a->bias = zeros;
    }
    a->tile.tile_oc = 0;
    a->tile.tile_rows = 0;
    return a;
}

static inline int32_t accel_total_pad(int32_t in, int32_t out, int32_t k, int32_t stride, int32_t dil)
{
    int32_t t = (out - 1) * stride + (k - 1) * dil + 1 - in;
    return t > 0 ? t : 0;
}

/* The whole layer as one engine job (NHWC, batch 1) from TFLite's shapes and window; 0 when a
 * value does not fit its register field (16 bits for sizes, 8 for kernel, stride, dilation and
 * padding), so the layer stays on the CPU. Data pointers are left for the caller. */
static inline int accel_layer(conv_accel_layer_t *l, uint8_t mode, const tfl_tensor_t *in, const tfl_tensor_t *w,
                              const tfl_tensor_t *out, const tfl_ref_window_t *win)
{
    const int32_t ih = in->dims[1], iw = in->dims[2], ic = in->dims[3];
    const int32_t kh = w->dims[1], kw = w->dims[2], oh = out->dims[1], ow = out->dims[2], oc = out->dims[3];
    const int32_t ph = accel_total_pad(ih, oh, kh, win->stride_h, win->dil_h);
    const int32_t pw = accel_total_pad(iw, ow, kw, win->stride_w, win->dil_w);
    if (in->dims[0] != 1 || ih > 0xFFFF || iw > 0xFFFF || ic > 0xFFFF || oh > 0xFFFF || ow > 0xFFFF ||
        oc > 0xFFFF || kh > 0xFF || kw > 0xFF || win->stride_h > 0xFF || win->stride_w > 0xFF ||
        win->dil_h > 0xFF || win->dil_w > 0xFF || ph > 0xFF || pw > 0xFF || win->pad_h > ph || win->pad_w > pw)
        return 0;
    *l = (conv_accel_layer_t){
        .mode = mode,
        .in_h = (uint16_t)ih, .in_w = (uint16_t)iw, .in_c = (uint16_t)ic,
        .out_h = (uint16_t)oh, .out_w = (uint16_t)ow, .out_c = (uint16_t)oc,
        .k_h = (uint8_t)kh, .k_w = (uint8_t)kw,
        .stride_h = (uint8_t)win->stride_h, .stride_w = (uint8_t)win->stride_w,
        .dil_h = (uint8_t)win->dil_h, .dil_w = (uint8_t)win->dil_w,
        .pad_top = (uint8_t)win->pad_h, .pad_bottom = (uint8_t)(ph - win->pad_h),
        .pad_left = (uint8_t)win->pad_w, .pad_right = (uint8_t)(pw - win->pad_w),
        .input_offset = -in->zero_point, .output_offset = out->zero_point,
        .act_min = win->act_min, .act_max = win->act_max,
        .out_pstride = (uint32_t)oc,
    };
    return 1;
}

/* Plan a layer's tiles in prepare: probe the engine, describe the layer, plan (tile_oc 0: no
 * engine, or the layer cannot be described or tiled). */
static inline void accel_plan(conv_accel_tile_t *tile, uint8_t mode, const tfl_tensor_t *in, const tfl_tensor_t *w,
                              const tfl_tensor_t *out, const tfl_ref_window_t *win)
{
    conv_accel_caps_t caps;
    conv_accel_layer_t l;
    tile->tile_oc = 0;
    tile->tile_rows = 0;
    if (conv_accel_probe(TANDEM_ACCEL_BASE, &caps) == CONV_ACCEL_OK && accel_layer(&l, mode, in, w, out, win))
        conv_accel_plan(&caps, &l, tile);
}

#endif
