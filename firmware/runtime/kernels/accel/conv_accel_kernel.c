/* CONV_2D on tandem's convolution engine (rtl/), with the reference kernel as fallback.
 *
 * prepare is the reference kernel's (shapes, padding, per-channel multipliers), plus the int32
 * per-channel shifts and, for a bias-less conv, a zero bias: the engine reads both from memory
 * (accel_node.h). It also plans tiles from the engine's CAPS registers (conv_accel_plan): a
 * layer whose input, filter or output does not fit the on-chip buffers is split into
 * output-channel and output-row tiles. eval runs the tiles one after another, polling each.
 * The decision is per layer: a layer the registers cannot describe or that no tile fits goes to
 * the CPU's kernel in prepare (the optimized one where the image links it: accel_to_cpu); one
 * the engine refuses when it runs goes to the CPU reference kernel (the whole output, again);
 * 16x8 layers go to the reference 16x8 kernel in prepare. The host tells which op ran where from
 * the engine's jobs (tandem.accel.joblog), so nothing extra is traced here. TANDEM_ACCEL_BASE comes from
 * board.h, generated from a platform with an engine overlay (platforms/accel/). */
#include "accel_node.h"

extern const tfl_kernel_t tfl_accel_conv_2d;

static tfl_status_t prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_status_t s = tfl_ref_conv_2d.prepare(ip, n);
    if (s != TFL_OK || n->kernel != &tfl_accel_conv_2d) /* handed to the 16x8 kernel: runs on the CPU */
        return s;
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *w = tfl_node_input(ip, n, 1);
    const tfl_tensor_t *bias = tfl_node_input(ip, n, 2), *out = tfl_node_output(ip, n, 0);
    tfl_ref_conv_data_t *d = (tfl_ref_conv_data_t *)n->data;
    conv_accel_tile_t tile = {0};
    if (w->dims[3] == in->dims[3]) /* grouped convolutions stay on the CPU */
        accel_plan(&tile, CONV_ACCEL_MODE_CONV, in, w, out, &d->win);
    if (tile.tile_oc == 0)
        return accel_to_cpu(ip, n, &tfl_opt_conv_2d, &tfl_ref_conv_2d, d);
    accel_node_t *a = accel_node_new(ip, n, w->dims[0], d->shift, bias);
    if (a == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    a->tile = tile;
    n->data = a;
    return TFL_OK;
}

static tfl_status_t eval_cpu(tfl_interp_t *ip, tfl_node_t *n, accel_node_t *a)
{
    n->data = a->ref;
    tfl_status_t s = tfl_ref_conv_2d.eval(ip, n);
    n->data = a;
    return s;
}

static tfl_status_t eval(tfl_interp_t *ip, tfl_node_t *n)
{
    accel_node_t *a = (accel_node_t *)n->data;
    const tfl_ref_conv_data_t *d = (const tfl_ref_conv_data_t *)a->ref;
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *w = tfl_node_input(ip, n, 1);
    const tfl_tensor_t *out = tfl_node_output(ip, n, 0);
    conv_accel_layer_t l;
    if (a->tile.tile_oc == 0 || !accel_layer(&l, CONV_ACCEL_MODE_CONV, in, w, out, &d->win))
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
    ip->error.detail = (uint32_t)rc; /* no engine answered, or it timed out */
    return tfl_fail(ip, TFL_ERR_STATE, -1);
}

const tfl_kernel_t tfl_accel_conv_2d = {TFL_OP_CONV_2D, prepare, eval};
