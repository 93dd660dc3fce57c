/*
 * SVDF, integer: int8 input and feature weights, int16 time weights and state (a variable
 * tensor, symmetric), int32 bias, int8 output.  Each step shifts the state one slot left,
 * writes the feature projections (rescaled to int16) into the newest slot, filters each
 * state row with its time weights, sums `rank` filters per unit, adds bias and rescales.
 */
#include <string.h>

#include "tfl/kernel.h"
#include "ref_kernels.h"

typedef struct {
    int32_t m1, s1, m2, s2;
    int32_t batches, input_size, filters, memory, units, rank;
} svdf_data_t;

static tfl_status_t prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_tensor_t *in = tfl_node_input(ip, n, 0), *wf = tfl_node_input(ip, n, 1), *wt = tfl_node_input(ip, n, 2);
    tfl_tensor_t *bias = tfl_node_input(ip, n, 3), *state = tfl_node_input(ip, n, 4), *out = tfl_node_output(ip, n, 0);
    svdf_data_t *d;
    tfl_status_t s;

    if ((s = tfl_require_options(ip, n, TFL_OPT_SVDF)) != TFL_OK)
        return s;
    if ((s = tfl_check_type(ip, in, TFL_TYPE_INT8)) || (s = tfl_check_type(ip, wf, TFL_TYPE_INT8)) ||
        (s = tfl_check_type(ip, wt, TFL_TYPE_INT16)) || (s = tfl_check_type(ip, state, TFL_TYPE_INT16)) ||
        (s = tfl_check_type(ip, out, TFL_TYPE_INT8)) || (s = tfl_check_ndim(ip, in, 2)) ||
        (s = tfl_check_ndim(ip, wf, 2)) || (s = tfl_check_ndim(ip, wt, 2)))
        return s;
    if (bias && (s = tfl_check_type(ip, bias, TFL_TYPE_INT32)) != TFL_OK)
        return s;
    if (!state->is_variable || state->zero_point != 0)
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, state));
    d = (svdf_data_t *)tfl_alloc_persistent(ip, sizeof(svdf_data_t));
    if (d == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    /* TFLite's integer SVDF insists on a fused RELU in the options but does not apply it
       (outputs are clamped to the int8 range only); both quirks are kept (measured) */
    if (tfl_opt_i32(ip, n, 1, 1, 0) != TFL_ACT_RELU)
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, -1);
    d->rank = tfl_opt_i32(ip, n, 0, 4, 0);
    d->batches = in->dims[0];
    d->input_size = in->dims[1];
    d->filters = wf->dims[0];
    d->memory = wt->dims[1];
    if (d->rank <= 0 || d->filters % d->rank != 0)
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, -1);
    d->units = d->filters / d->rank;
    if (wf->dims[1] != d->input_size || wt->dims[0] != d->filters ||
        tfl_num_elements(state) != (uint64_t)d->batches * (uint64_t)d->filters * (uint64_t)d->memory ||
        (bias && tfl_num_elements(bias) != (uint32_t)d->units) ||
        tfl_num_elements(out) != (uint64_t)d->batches * (uint64_t)d->units)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    /* TFLite forms these scale ratios in float before widening */
    if (tfl_quantize_multiplier((double)(in->scale * wf->scale / state->scale), &d->m1, &d->s1) ||
        tfl_quantize_multiplier((double)(state->scale * wt->scale / out->scale), &d->m2, &d->s2))
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, tfl_tensor_index(ip, out));
    n->data = d;
    return TFL_OK;
}

static tfl_status_t eval(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *wf = tfl_node_input(ip, n, 1), *wt = tfl_node_input(ip, n, 2);
    const tfl_tensor_t *bias = tfl_node_input(ip, n, 3), *st = tfl_node_input(ip, n, 4), *out = tfl_node_output(ip, n, 0);
    const svdf_data_t *d = (const svdf_data_t *)n->data;
    const int8_t *x = (const int8_t *)in->data, *f = (const int8_t *)wf->data;
    const int16_t *w = (const int16_t *)wt->data;
    const int32_t *b = bias ? (const int32_t *)bias->data : 0;
    int16_t *state = (int16_t *)st->data;
    int8_t *y = (int8_t *)out->data;
    const uint32_t total = (uint32_t)(d->batches * d->filters * d->memory);
    int32_t bt, r, c, u, k, m;

    /* shift every state row one slot to the left (oldest value drops out) */
    memmove(state, state + 1, (total - 1) * sizeof(int16_t));
    for (bt = 0; bt < d->batches; bt++) {
        const int8_t *xb = x + bt * d->input_size;
        for (r = 0; r < d->filters; r++) {
            uint32_t acc = 0;
            int32_t v;
            for (c = 0; c < d->input_size; c++)
                acc += (uint32_t)((int32_t)f[r * d->input_size + c] * ((int32_t)xb[c] - in->zero_point));
            v = tfl_mbqm((int32_t)acc, d->m1, d->s1);
            state[(bt * d->filters + r) * d->memory + d->memory - 1] = (int16_t)tfl_clamp(v, -32768, 32767);
        }
    }
    for (bt = 0; bt < d->batches; bt++) {
        for (u = 0; u < d->units; u++) {
            uint32_t acc = b ? (uint32_t)b[u] : 0;
            int32_t v;
            for (k = 0; k < d->rank; k++) {
                const int32_t filt = u * d->rank + k;
                const int16_t *srow = state + (bt * d->filters + filt) * d->memory;
                uint32_t dot = 0;
                for (m = 0; m < d->memory; m++)
                    dot += (uint32_t)((int32_t)w[filt * d->memory + m] * (int32_t)srow[m]);
                acc += dot;
            }
            v = tfl_mbqm((int32_t)acc, d->m2, d->s2) + out->zero_point;
            y[bt * d->units + u] = (int8_t)tfl_clamp(v, -128, 127);
        }
    }
    (void)ip;
    return TFL_OK;
}

const tfl_kernel_t tfl_ref_svdf = {TFL_OP_SVDF, prepare, eval};
