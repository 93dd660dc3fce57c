/* DEPTHWISE_CONV_2D on tandem's convolution engine (its depthwise mode, CONFIG.MODE), with the
 * reference kernel as fallback; the same structure as conv_accel_kernel.c (accel_node.h).
 *
 * The engine's depthwise job reads a dense NHWC input and a dense 1HWO filter (OUT_C = IN_C *
 * depth multiplier) and is tiled by output rows (conv_accel_run_tiled). A layer with more
 * channels than one job holds (MAX_OC, the filter buffer) runs as G channel groups of n = C / G
 * input channels, without copying the input: group g's pixels are every G-th "pixel" of n
 * channels from input + g * n, so a job sees an image G * W wide with stride, dilation and
 * horizontal padding multiplied by G (taps outside the group's columns land on padding or on
 * other groups' columns that no output reads; the output shape rule gives the same OUT_W).
 * That job reads (G - 1) * n bytes past the input tensor (not used; the CPU runs the layer if
 * they would leave the arena), and G times the input in all. The filter is regrouped once (first eval) into G dense 1HWO blocks in the arena; bias,
 * multipliers, shifts and OUT_ADDR are offset by g * n * multiplier, OUT_PSTRIDE is the layer's
 * channel count. Per layer, the CPU's kernel runs it when no grouping fits or the registers
 * cannot describe it (decided in prepare: the optimized kernel where the image links it,
 * accel_to_cpu), the reference kernel when the engine refuses it as it runs; 16x8 layers go to
 * the reference 16x8 kernel in prepare. */
#include "accel_node.h"

extern const tfl_kernel_t tfl_accel_depthwise_conv_2d;

typedef struct {
    accel_node_t node;
    int32_t groups;   /* G: channel groups, one job (tiled by rows) each */
    int8_t *filter;   /* the filter regrouped for G > 1 (G blocks of kh*kw*n*m bytes), or 0 */
    int filter_ready;
} accel_dw_t;

/* Group g's job: the whole layer in `l` (from accel_layer) turned into its virtual image. */
static int group_layer(conv_accel_layer_t *g, const conv_accel_layer_t *l, int32_t groups, int32_t m)
{
    const int32_t n = l->in_c / groups;
    if ((int32_t)l->in_w * groups > 0xFFFF || l->stride_w * groups > 0xFF || l->dil_w * groups > 0xFF ||
        l->pad_left * groups > 0xFF || l->pad_right * groups > 0xFF)
        return 0;
    *g = *l;
    g->in_w = (uint16_t)(l->in_w * groups);
    g->in_c = (uint16_t)n;
    g->out_c = (uint16_t)(n * m);
    g->stride_w = (uint8_t)(l->stride_w * groups);
    g->dil_w = (uint8_t)(l->dil_w * groups);
    g->pad_left = (uint8_t)(l->pad_left * groups);
    g->pad_right = (uint8_t)(l->pad_right * groups);
    g->out_pstride = l->out_c;
    return 1;
}

static tfl_status_t prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_status_t s = tfl_ref_depthwise_conv_2d.prepare(ip, n);
    if (s != TFL_OK || n->kernel != &tfl_accel_depthwise_conv_2d)
        return s;
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *w = tfl_node_input(ip, n, 1);
    const tfl_tensor_t *bias = tfl_node_input(ip, n, 2), *out = tfl_node_output(ip, n, 0);
    tfl_ref_dw_data_t *d = (tfl_ref_dw_data_t *)n->data;
    const int32_t oc = out->dims[3], ic = in->dims[3];
    conv_accel_caps_t caps;
    conv_accel_layer_t l, g;
    conv_accel_tile_t tile = {0};
    int32_t groups = 0;
    if (conv_accel_has_depthwise() && conv_accel_probe(TANDEM_ACCEL_BASE, &caps) == CONV_ACCEL_OK &&
        accel_layer(&l, CONV_ACCEL_MODE_DEPTHWISE, in, w, out, &d->win)) {
        for (int32_t k = 1; k <= ic && tile.tile_oc == 0; k++) {
            if (ic % k == 0 && group_layer(&g, &l, k, d->depth_mult)) {
                conv_accel_plan(&caps, &g, &tile);
                groups = k;
            }
        }
    }
    if (tile.tile_oc == 0)
        return accel_to_cpu(ip, n, &tfl_opt_depthwise_conv_2d, &tfl_ref_depthwise_conv_2d, d);
    accel_dw_t *a = (accel_dw_t *)tfl_alloc_persistent(ip, sizeof(accel_dw_t));
    if (a == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    accel_node_t *base = accel_node_new(ip, n, oc, d->shift, bias);
    if (base == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    a->node = *base;
    a->node.tile = tile;
    a->groups = groups;
    a->filter = 0;
    a->filter_ready = 0;
    if (groups > 1) {
        a->filter = (int8_t *)tfl_alloc_persistent(ip, (uint32_t)(w->dims[1] * w->dims[2] * oc));
        if (a->filter == 0) /* no room for the regrouped filter: the CPU runs it */
            return accel_to_cpu(ip, n, &tfl_opt_depthwise_conv_2d, &tfl_ref_depthwise_conv_2d, d);
    }
    n->data = a;
    return TFL_OK;
}

static tfl_status_t eval_cpu(tfl_interp_t *ip, tfl_node_t *n, accel_dw_t *a)
{
    n->data = a->node.ref;
    tfl_status_t s = tfl_ref_depthwise_conv_2d.eval(ip, n);
    n->data = a;
    return s;
}

/* G dense 1HWO blocks of the group's n*m output channels each. */
static void regroup_filter(accel_dw_t *a, const int8_t *f, int32_t taps, int32_t oc)
{
    const int32_t per = oc / a->groups;
    for (int32_t grp = 0; grp < a->groups; grp++)
        for (int32_t t = 0; t < taps; t++)
            for (int32_t c = 0; c < per; c++)
                a->filter[(grp * taps + t) * per + c] = f[t * oc + grp * per + c];
    a->filter_ready = 1;
}

static tfl_status_t eval(tfl_interp_t *ip, tfl_node_t *n)
{
    accel_dw_t *a = (accel_dw_t *)n->data;
    const tfl_ref_dw_data_t *d = (const tfl_ref_dw_data_t *)a->node.ref;
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *w = tfl_node_input(ip, n, 1);
    const tfl_tensor_t *out = tfl_node_output(ip, n, 0);
    conv_accel_layer_t l, g;
    if (a->node.tile.tile_oc == 0 || !accel_layer(&l, CONV_ACCEL_MODE_DEPTHWISE, in, w, out, &d->win) ||
        !group_layer(&g, &l, a->groups, d->depth_mult))
        return eval_cpu(ip, n, a);
    const int32_t taps = w->dims[1] * w->dims[2], per_in = l.in_c / a->groups, per_out = l.out_c / a->groups;
    const uint8_t *x = (const uint8_t *)in->data;
    const uint32_t over = (uint32_t)(a->groups - 1) * (uint32_t)per_in; /* read past the input */
    if (over && (x < ip->arena || x + tfl_num_elements(in) + over > ip->arena + ip->arena_size))
        return eval_cpu(ip, n, a); /* the over-read would leave the arena */
    if (a->filter != 0 && !a->filter_ready)
        regroup_filter(a, (const int8_t *)w->data, taps, l.out_c);
    for (int32_t grp = 0; grp < a->groups; grp++) {
        g.input = (const int8_t *)in->data + grp * per_in;
        g.filter = a->filter ? a->filter + grp * taps * per_out : (const int8_t *)w->data;
        g.bias = a->node.bias + grp * per_out;
        g.mult = d->mult + grp * per_out;
        g.shift = a->node.shift + grp * per_out;
        g.output = (int8_t *)out->data + grp * per_out;
        int rc = conv_accel_run_tiled(TANDEM_ACCEL_BASE, &g, &a->node.tile);
        if (rc == CONV_ACCEL_OK)
            continue;
        if (rc < 0x100) { /* the engine refused the layer: the CPU from now on */
            a->node.tile.tile_oc = 0;
            return eval_cpu(ip, n, a);
        }
        ip->error.detail = (uint32_t)rc;
        return tfl_fail(ip, TFL_ERR_STATE, -1);
    }
    return TFL_OK;
}

const tfl_kernel_t tfl_accel_depthwise_conv_2d = {TFL_OP_DEPTHWISE_CONV_2D, prepare, eval};
