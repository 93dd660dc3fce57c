/* FULLY_CONNECTED on tandem's convolution engine, as a 1x1 convolution over a batches x 1 image
 * (input (batches, depth) = NHWC (1, batches, 1, depth); weights (units, depth) = OHWI
 * (units, 1, 1, depth)), with the per-tensor multiplier and shift repeated per unit when the
 * weights are per-tensor; tiled by units and batches like any conv (conv_accel_run_tiled).
 *
 * The engine requantizes as TFLite's conv does (MultiplyByQuantizedMultiplier, two roundings);
 * TFLite's reference FULLY_CONNECTED rounds once (tfl_mbqm_single, fully_connected.c). So a layer
 * goes to the engine only when its register map has the single-rounding mode
 * (conv_accel_has_single_rounding); without it, and for weights with a zero point (the engine
 * has no filter offset), a layer the registers cannot describe or one that no tile fits, the CPU's
 * kernel runs it (decided in prepare: the optimized one where the image links it, accel_to_cpu);
 * one the engine refuses as it runs, the reference kernel; 16x8 layers go to the reference 16x8
 * kernel in prepare. */
#include "accel_node.h"

extern const tfl_kernel_t tfl_accel_fully_connected;

typedef struct {
    accel_node_t node;
    int32_t *mult; /* per unit */
} accel_fc_t;

static int fc_layer(conv_accel_layer_t *l, const tfl_ref_fc_data_t *d, const tfl_tensor_t *in,
                    const tfl_tensor_t *out)
{
    if (d->batches > 0xFFFF || d->depth > 0xFFFF || d->units > 0xFFFF)
        return 0;
    *l = (conv_accel_layer_t){
        .mode = CONV_ACCEL_MODE_CONV, .single_round = 1,
        .in_h = (uint16_t)d->batches, .in_w = 1, .in_c = (uint16_t)d->depth,
        .out_h = (uint16_t)d->batches, .out_w = 1, .out_c = (uint16_t)d->units,
        .k_h = 1, .k_w = 1, .stride_h = 1, .stride_w = 1, .dil_h = 1, .dil_w = 1,
        .input_offset = -in->zero_point, .output_offset = out->zero_point,
        .act_min = d->act_min, .act_max = d->act_max, .out_pstride = (uint32_t)d->units,
    };
    return 1;
}

static tfl_status_t prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_status_t s = tfl_ref_fully_connected.prepare(ip, n);
    if (s != TFL_OK || n->kernel != &tfl_accel_fully_connected)
        return s;
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *w = tfl_node_input(ip, n, 1);
    const tfl_tensor_t *bias = tfl_node_input(ip, n, 2), *out = tfl_node_output(ip, n, 0);
    const tfl_ref_fc_data_t *d = (const tfl_ref_fc_data_t *)n->data;
    conv_accel_caps_t caps;
    conv_accel_layer_t l;
    conv_accel_tile_t tile = {0};
    if (conv_accel_has_single_rounding() && w->zero_point == 0 && fc_layer(&l, d, in, out) &&
        conv_accel_probe(TANDEM_ACCEL_BASE, &caps) == CONV_ACCEL_OK)
        conv_accel_plan(&caps, &l, &tile);
    if (tile.tile_oc == 0) /* the CPU runs this layer */
        return accel_to_cpu(ip, n, &tfl_opt_fully_connected, &tfl_ref_fully_connected_int8, n->data);
    accel_fc_t *a = (accel_fc_t *)tfl_alloc_persistent(ip, sizeof(accel_fc_t) + 4u * (uint32_t)d->units *
                                                       (bias ? 2u : 3u));
    if (a == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    a->node.ref = n->data;
    a->mult = (int32_t *)(a + 1);
    a->node.shift = a->mult + d->units;
    for (int32_t u = 0; u < d->units; u++) {
        int32_t k = d->per_channel ? u : 0;
        a->mult[u] = d->mult[k];
        a->node.shift[u] = d->shift[k];
    }
    if (bias) {
        a->node.bias = (const int32_t *)bias->data;
    } else {
        int32_t *zeros = a->node.shift + d->units;
        for (int32_t u = 0; u < d->units; u++)
            zeros[u] = 0;
        a->node.bias = zeros;
    }
    a->node.tile = tile;
    n->data = a;
    return TFL_OK;
}

static tfl_status_t eval_cpu(tfl_interp_t *ip, tfl_node_t *n, accel_fc_t *a)
{
    n->data = a->node.ref;
    tfl_status_t s = tfl_ref_fully_connected_int8.eval(ip, n);
    n->data = a;
    return s;
}

static tfl_status_t eval(tfl_interp_t *ip, tfl_node_t *n)
{
    accel_fc_t *a = (accel_fc_t *)n->data;
    const tfl_ref_fc_data_t *d = (const tfl_ref_fc_data_t *)a->node.ref;
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *w = tfl_node_input(ip, n, 1);
    const tfl_tensor_t *out = tfl_node_output(ip, n, 0);
    conv_accel_layer_t l;
    if (a->node.tile.tile_oc == 0 || !fc_layer(&l, d, in, out))
        return eval_cpu(ip, n, a);
    l.input = (const int8_t *)in->data;
    l.filter = (const int8_t *)w->data;
    l.bias = a->node.bias;
    l.mult = a->mult;
    l.shift = a->node.shift;
    l.output = (int8_t *)out->data;
    int rc = conv_accel_run_tiled(TANDEM_ACCEL_BASE, &l, &a->node.tile);
    if (rc == CONV_ACCEL_OK)
        return TFL_OK;
    if (rc < 0x100) {
        a->node.tile.tile_oc = 0;
        return eval_cpu(ip, n, a);
    }
    ip->error.detail = (uint32_t)rc;
    return tfl_fail(ip, TFL_ERR_STATE, -1);
}

const tfl_kernel_t tfl_accel_fully_connected = {TFL_OP_FULLY_CONNECTED, prepare, eval};
