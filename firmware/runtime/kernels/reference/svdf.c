/*
 * SVDF, integer: int8 input and feature weights, int32 bias, int8 output; time weights and
 * state (a variable tensor) both int16 (symmetric, what the converter writes) or both int8
 * (the state may have a zero point), TFLM's two integer variants.  Each step shifts the
 * state one slot left, writes the feature projections (rescaled and saturated to the state
 * type, plus the state's zero point) into the newest slot, filters each state row with its
 * time weights, sums `rank` filters per unit, adds bias and rescales.
 */
#include <string.h>

#include "tfl/kernel.h"
#include "ref_kernels.h"

typedef struct {
    int32_t m1, s1, m2, s2;
    int32_t batches, input_size, filters, memory, units, rank;
    int32_t state_zp, wide; /* wide: int16 time weights and state */
} svdf_data_t;

static tfl_status_t prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_tensor_t *in = tfl_node_input(ip, n, 0), *wf = tfl_node_input(ip, n, 1), *wt = tfl_node_input(ip, n, 2);
    tfl_tensor_t *bias = tfl_node_input(ip, n, 3), *state = tfl_node_input(ip, n, 4), *out = tfl_node_output(ip, n, 0);
    svdf_data_t *d;
    tfl_status_t s;

    if ((s = tfl_require_options(ip, n, TFL_OPT_SVDF)) != TFL_OK)
        return s;
    if (n->n_inputs != 5 || in == 0 || wf == 0 || wt == 0 || state == 0)
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, -1);
    if ((s = tfl_check_type(ip, in, TFL_TYPE_INT8)) || (s = tfl_check_type(ip, wf, TFL_TYPE_INT8)) ||
        (s = tfl_check_type(ip, out, TFL_TYPE_INT8)) || (s = tfl_check_ndim(ip, in, 2)) ||
        (s = tfl_check_ndim(ip, wf, 2)) || (s = tfl_check_ndim(ip, wt, 2)) || (s = tfl_check_ndim(ip, state, 2)))
        return s;
    /* time weights int16 or int8, the state of the same type */
    if (wt->type != TFL_TYPE_INT16 && wt->type != TFL_TYPE_INT8)
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, wt));
    if ((s = tfl_check_type(ip, state, wt->type)) != TFL_OK)
        return s;
    if (bias && (s = tfl_check_type(ip, bias, TFL_TYPE_INT32)) != TFL_OK)
        return s;
    if (!state->is_variable)
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, state));
    /* TFLM: the bias scale must be the state scale times the time-weight scale (to 1e-5) */
    if (bias && !((double)bias->scale - (double)(state->scale * wt->scale) < 1e-5 &&
                  (double)(state->scale * wt->scale) - (double)bias->scale < 1e-5))
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, bias));
    d = (svdf_data_t *)tfl_alloc_persistent(ip, sizeof(svdf_data_t));
    if (d == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    /* the fused activation is not applied: LiteRT insists on RELU in the options but clamps
       to the int8 range only (measured), TFLM ignores the field */
    d->wide = wt->type == TFL_TYPE_INT16;
    d->state_zp = state->zero_point;
    d->rank = tfl_opt_i32(ip, n, 0, 4, 0);
    d->batches = in->dims[0];
    d->input_size = in->dims[1];
    d->filters = wf->dims[0];
    d->memory = wt->dims[1];
    if (d->rank <= 0 || d->filters % d->rank != 0)
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, -1);
    d->units = d->filters / d->rank;
    if (wf->dims[1] != d->input_size || wt->dims[0] != d->filters ||
        state->dims[0] != d->batches || (uint64_t)state->dims[1] != (uint64_t)d->filters * (uint64_t)d->memory ||
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

/* int8 time weights and state: the state's zero point is added to each new value (wrapping
   like TFLM's int8 store) and subtracted in the time filter */
static void eval_int8(const tfl_tensor_t *in, const tfl_tensor_t *wf, const tfl_tensor_t *wt,
                      const int32_t *b, int8_t *state, int8_t *y, const svdf_data_t *d, int32_t out_zp)
{
    const int8_t *x = (const int8_t *)in->data, *f = (const int8_t *)wf->data, *w = (const int8_t *)wt->data;
    const uint32_t total = (uint32_t)(d->batches * d->filters * d->memory);
    int32_t bt, r, c, u, k, m;

    memmove(state, state + 1, total - 1);
    for (bt = 0; bt < d->batches; bt++) {
        const int8_t *xb = x + bt * d->input_size;
        for (r = 0; r < d->filters; r++) {
            uint32_t acc = 0;
            int32_t v;
            for (c = 0; c < d->input_size; c++)
                acc += (uint32_t)((int32_t)f[r * d->input_size + c] * ((int32_t)xb[c] - in->zero_point));
            v = d->state_zp + tfl_clamp(tfl_mbqm((int32_t)acc, d->m1, d->s1), -128, 127);
            state[(bt * d->filters + r) * d->memory + d->memory - 1] = (int8_t)(uint8_t)(uint32_t)v;
        }
    }
    for (bt = 0; bt < d->batches; bt++) {
        for (u = 0; u < d->units; u++) {
            uint32_t acc = b ? (uint32_t)b[u] : 0;
            for (k = 0; k < d->rank; k++) {
                const int32_t filt = u * d->rank + k;
                const int8_t *srow = state + (bt * d->filters + filt) * d->memory;
                uint32_t dot = 0;
                for (m = 0; m < d->memory; m++)
                    dot += (uint32_t)((int32_t)w[filt * d->memory + m] * ((int32_t)srow[m] - d->state_zp));
                acc += dot;
            }
            y[bt * d->units + u] = (int8_t)tfl_clamp(tfl_mbqm((int32_t)acc, d->m2, d->s2) + out_zp, -128, 127);
        }
    }
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

    (void)ip;
    if (!d->wide) {
        eval_int8(in, wf, wt, b, (int8_t *)st->data, y, d, out->zero_point);
        return TFL_OK;
    }
    /* int16: symmetric state (the parser holds int16 zero points at 0) */
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
    return TFL_OK;
}

const tfl_kernel_t tfl_ref_svdf = {TFL_OP_SVDF, prepare, eval};
