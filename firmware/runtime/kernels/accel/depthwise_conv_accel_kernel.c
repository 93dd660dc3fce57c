/* DEPTHWISE_CONV_2D on tandem's convolution engine (its depthwise mode), with the reference
 * kernel as fallback; the same structure as conv_accel_kernel.c (accel_node.h).
 *
 * The engine's depthwise job reads a dense NHWC input and a 1HWO filter (OUT_C = IN_C * depth
 * multiplier): a tile holds all channels (no register gives the input or filter a channel
 * stride) and is split into output rows only. Per layer, the CPU reference kernel runs it when
 * the engine (its register map) has no depthwise mode, when all channels do not fit MAX_OC or
 * the filter buffer, when the registers cannot describe it, or when the engine refuses it;
 * 16x8 layers go to the reference 16x8 kernel in prepare. */
#include "accel_node.h"

extern const tfl_kernel_t tfl_accel_depthwise_conv_2d;

static tfl_status_t prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_status_t s = tfl_ref_depthwise_conv_2d.prepare(ip, n);
    if (s != TFL_OK || n->kernel != &tfl_accel_depthwise_conv_2d)
        return s;
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *w = tfl_node_input(ip, n, 1);
    const tfl_tensor_t *bias = tfl_node_input(ip, n, 2), *out = tfl_node_output(ip, n, 0);
    tfl_ref_dw_data_t *d = (tfl_ref_dw_data_t *)n->data;
    accel_node_t *a = accel_node_new(ip, n, out->dims[3], d->shift, bias);
    if (a == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    if (conv_accel_has_depthwise())
        accel_plan(a, CONV_ACCEL_MODE_DEPTHWISE, in, w, out, &d->win);
    n->data = a;
    return TFL_OK;
}

static tfl_status_t eval_cpu(tfl_interp_t *ip, tfl_node_t *n, accel_node_t *a)
{
    n->data = a->ref;
    tfl_status_t s = tfl_ref_depthwise_conv_2d.eval(ip, n);
    n->data = a;
    return s;
}

static tfl_status_t eval(tfl_interp_t *ip, tfl_node_t *n)
{
    accel_node_t *a = (accel_node_t *)n->data;
    const tfl_ref_dw_data_t *d = (const tfl_ref_dw_data_t *)a->ref;
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *w = tfl_node_input(ip, n, 1);
    const tfl_tensor_t *out = tfl_node_output(ip, n, 0);
    conv_accel_layer_t l;
    if (a->tile.tile_oc == 0 || !accel_layer(&l, CONV_ACCEL_MODE_DEPTHWISE, in, w, out, &d->win))
        return eval_cpu(ip, n, a);
    l.input = (const int8_t *)in->data;
    l.filter = (const int8_t *)w->data;
    l.bias = a->bias;
    l.mult = d->mult;
    l.shift = a->shift;
    l.output = (int8_t *)out->data;
    int rc = conv_accel_run_tiled(TANDEM_ACCEL_BASE, &l, &a->tile);
    if (rc == CONV_ACCEL_OK)
        return TFL_OK;
    if (rc < 0x100) { /* the engine refused the layer: the CPU from now on */
        a->tile.tile_oc = 0;
        return eval_cpu(ip, n, a);
    }
    ip->error.detail = (uint32_t)rc;
    return tfl_fail(ip, TFL_ERR_STATE, -1);
}

const tfl_kernel_t tfl_accel_depthwise_conv_2d = {TFL_OP_DEPTHWISE_CONV_2D, prepare, eval};
