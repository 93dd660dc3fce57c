/* FULLY_CONNECTED (int8) with each output's dot product on the example vector MAC unit
 * (rtl/examples/vmac_axi.v, overlay platforms/accel/vmac_axi.repl), the requantization on the
 * CPU: bit-exact with the reference kernel, whose prepare (shapes, quantization, multipliers)
 * and, as fallback, eval it uses.
 *
 * The unit reads the input row and the weight row itself through its AXI4 master, so one output
 * costs four register writes and a blocking RESULT read. Its accumulator wraps as int32 like the
 * reference's, and it starts from the bias. A layer runs on the CPU instead when the unit does not
 * answer (ID), when the depth is not a multiple of 4 or the weights are not word aligned (the
 * unit reads 32-bit words): decided in prepare, on the optimized kernel where the image links it
 * (cpu_fallback.h). An input the planner left unaligned, found as the layer runs, goes to the
 * reference kernel; 16x8 layers go to the reference 16x8 kernel.
 * sim/tinyml/job.py links this kernel when the board has the unit (its `top` is vmac_axi). */
#include "board.h"
#include "cpu_fallback.h"
#include "ref_kernels.h"
#include "tfl/kernel.h"
#include "vmac.h"

extern const tfl_kernel_t tfl_vmac_fully_connected;

static tfl_status_t prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_status_t s = tfl_ref_fully_connected.prepare(ip, n);
    const tfl_ref_fc_data_t *d;
    if (s != TFL_OK || n->kernel != &tfl_vmac_fully_connected) /* 16x8: the reference 16x8 kernel */
        return s;
    d = (const tfl_ref_fc_data_t *)n->data;
    if (!vmac_present() || (d->depth & 3) != 0 || !vmac_fits(0, tfl_node_input(ip, n, 1)->data))
        return accel_to_cpu(ip, n, &tfl_opt_fully_connected, &tfl_ref_fully_connected_int8, n->data);
    return TFL_OK;
}

static tfl_status_t eval(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *w = tfl_node_input(ip, n, 1);
    const tfl_tensor_t *bias = tfl_node_input(ip, n, 2), *out = tfl_node_output(ip, n, 0);
    const tfl_ref_fc_data_t *d = (const tfl_ref_fc_data_t *)n->data;
    const int8_t *x = (const int8_t *)in->data, *f = (const int8_t *)w->data;
    const int32_t *b = bias ? (const int32_t *)bias->data : 0;
    int8_t *y = (int8_t *)out->data;
    const int32_t out_off = out->zero_point;
    int32_t bt, u;

    if (!vmac_fits(x, f))
        return tfl_ref_fully_connected_int8.eval(ip, n);
    vmac_set_offsets(-in->zero_point, -w->zero_point);
    for (bt = 0; bt < d->batches; bt++) {
        const int8_t *xr = x + bt * d->depth;
        for (u = 0; u < d->units; u++) {
            int32_t acc = vmac_dot(xr, f + u * d->depth, (uint32_t)d->depth, b ? b[u] : 0);
            int32_t k = d->per_channel ? u : 0;
            int32_t v = tfl_mbqm_single(acc, d->mult[k], d->shift[k]) + out_off;
            y[bt * d->units + u] = (int8_t)tfl_clamp(v, d->act_min, d->act_max);
        }
    }
    return TFL_OK;
}

const tfl_kernel_t tfl_vmac_fully_connected = {TFL_OP_FULLY_CONNECTED, prepare, eval};
