/* FULLY_CONNECTED: int8 activations, per-tensor or per-channel int8 weights, int32 bias; and 16x8
 * as TFLM: int16 activations, per-tensor or per-channel int8 weights, int64 bias, 64-bit
 * accumulator.  (TFLM reads any 16x8 bias as int64: an int32 one is refused here.) */
#include "tfl/kernel.h"
#include "ref_kernels.h"

typedef tfl_ref_fc_data_t fc_data_t;

static tfl_status_t prepare_common(tfl_interp_t *ip, tfl_node_t *n, uint8_t dtype)
{
    tfl_tensor_t *in = tfl_node_input(ip, n, 0), *w = tfl_node_input(ip, n, 1);
    tfl_tensor_t *bias = tfl_node_input(ip, n, 2), *out = tfl_node_output(ip, n, 0);
    fc_data_t *d;
    tfl_status_t s;
    double real;
    int32_t act;
    uint32_t c;

    if ((s = tfl_require_options(ip, n, TFL_OPT_FC)) != TFL_OK)
        return s;
    if ((s = tfl_check_type(ip, in, dtype)) || (s = tfl_check_type(ip, w, TFL_TYPE_INT8)) ||
        (s = tfl_check_type(ip, out, dtype)) || (s = tfl_check_ndim(ip, w, 2)))
        return s;
    if (w->nscales != 1 && (w->nscales != (uint32_t)w->dims[0] || w->qdim != 0))
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, w));
    if (tfl_opt_i32(ip, n, 1, 1, 0) != 0) /* shuffled weights format */
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, -1);
    d = (fc_data_t *)tfl_alloc_persistent(ip, sizeof(fc_data_t) + 5u * w->nscales);
    if (d == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    d->mult = (int32_t *)(d + 1);
    d->shift = (int8_t *)(d->mult + w->nscales);
    d->per_channel = w->nscales > 1;
    d->units = w->dims[0];
    d->depth = w->dims[1];
    if (tfl_num_elements(in) % (uint32_t)d->depth != 0)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, in));
    d->batches = (int32_t)(tfl_num_elements(in) / (uint32_t)d->depth);
    if (tfl_num_elements(out) != (uint64_t)d->batches * (uint64_t)d->units || tfl_dim(out, -1) != d->units)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    if (bias && dtype == TFL_TYPE_INT8 && ((s = tfl_check_type(ip, bias, TFL_TYPE_INT32)) != TFL_OK))
        return s;
    if (bias && tfl_num_elements(bias) != (uint32_t)d->units)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, bias));
    if (bias && !d->per_channel) {
        /* per-tensor weights: TFLM (and LiteRT) refuse a bias scale further than 2% of the output
           scale from input scale * weight scale (measured at the boundary, int8 and 16x8) */
        double prod = (double)in->scale * (double)w->scale, bs = (double)bias->scale;
        double diff = prod > bs ? prod - bs : bs - prod;
        if (!(diff / (double)out->scale <= 0.02))
            return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, bias));
    }
    for (c = 0; c < w->nscales; c++) {
        int32_t sh;
        real = (double)in->scale * (double)tfl_scale_at(w, c) / (double)out->scale;
        if (tfl_quantize_multiplier(real, &d->mult[c], &sh))
            return tfl_fail(ip, TFL_ERR_BAD_PARAMS, tfl_tensor_index(ip, out));
        if (d->per_channel && tfl_zero_point_at(w, c) != 0)
            return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, w));
        d->shift[c] = (int8_t)sh;
    }
    act = tfl_opt_i32(ip, n, 0, 1, 0);
    if (tfl_activation_range_int8(act, out->scale, out->zero_point, &d->act_min, &d->act_max))
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, -1);
    n->data = d;
    return TFL_OK;
}

static tfl_status_t eval16(tfl_interp_t *ip, tfl_node_t *n);

static tfl_status_t eval8(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *w = tfl_node_input(ip, n, 1);
    const tfl_tensor_t *bias = tfl_node_input(ip, n, 2), *out = tfl_node_output(ip, n, 0);
    const fc_data_t *d = (const fc_data_t *)n->data;
    const int8_t *x = (const int8_t *)in->data, *f = (const int8_t *)w->data;
    const int32_t *b = bias ? (const int32_t *)bias->data : 0;
    int8_t *y = (int8_t *)out->data;
    const int32_t in_off = -in->zero_point, f_off = -w->zero_point, out_off = out->zero_point;
    int32_t bt, u, k;

    for (bt = 0; bt < d->batches; bt++) {
        const int8_t *xr = x + bt * d->depth;
        for (u = 0; u < d->units; u++) {
            const int8_t *fr = f + u * d->depth;
            uint32_t acc = 0; /* wrapping int32 sum without UB */
            int32_t v;
            for (k = 0; k < d->depth; k++)
                acc += (uint32_t)(((int32_t)fr[k] + f_off) * ((int32_t)xr[k] + in_off));
            if (b)
                acc += (uint32_t)b[u];
            /* LiteRT's reference fully-connected rescales with a single rounding (measured) */
            k = d->per_channel ? u : 0;
            v = tfl_mbqm_single((int32_t)acc, d->mult[k], d->shift[k]) + out_off;
            y[bt * d->units + u] = (int8_t)tfl_clamp(v, d->act_min, d->act_max);
        }
    }
    (void)ip;
    return TFL_OK;
}

static tfl_status_t eval16(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *w = tfl_node_input(ip, n, 1);
    const tfl_tensor_t *bias = tfl_node_input(ip, n, 2), *out = tfl_node_output(ip, n, 0);
    const fc_data_t *d = (const fc_data_t *)n->data;
    const int16_t *x = (const int16_t *)in->data;
    const int8_t *f = (const int8_t *)w->data;
    int16_t *y = (int16_t *)out->data;
    const int32_t f_off = -w->zero_point;
    int32_t bt, u, k;

    for (bt = 0; bt < d->batches; bt++) {
        const int16_t *xr = x + bt * d->depth;
        for (u = 0; u < d->units; u++) {
            const int8_t *fr = f + u * d->depth;
            uint64_t acc = 0; /* the int64 sum, wrapping instead of overflowing */
            int32_t v;
            for (k = 0; k < d->depth; k++)
                acc += (uint64_t)(int64_t)(((int32_t)fr[k] + f_off) * (int32_t)xr[k]);
            acc += (uint64_t)tfl_ref_bias_at(bias, u);
            k = d->per_channel ? u : 0;
            v = tfl_mbqm64((int64_t)acc, d->mult[k], d->shift[k]);
            y[bt * d->units + u] = (int16_t)tfl_clamp(v, d->act_min, d->act_max);
        }
    }
    (void)ip;
    return TFL_OK;
}

/* int8 and 16x8: prepare hands 16x8 nodes to the 16x8 eval (n->kernel), so the int8 eval has no
 * type dispatch; the int8-only kernel leaves the 16x8 code out of images that do not list it. */
static tfl_status_t prepare(tfl_interp_t *ip, tfl_node_t *n);
static const tfl_kernel_t fc_16x8 = {TFL_OP_FULLY_CONNECTED, prepare, eval16};

static tfl_status_t prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *w = tfl_node_input(ip, n, 1);
    const tfl_tensor_t *bias = tfl_node_input(ip, n, 2), *out = tfl_node_output(ip, n, 0);
    fc_data_t *d;
    int32_t sh;
    tfl_status_t s;
    if (in == 0 || in->type != TFL_TYPE_INT16)
        return prepare_common(ip, n, TFL_TYPE_INT8);
    if ((s = prepare_common(ip, n, TFL_TYPE_INT16)) != TFL_OK)
        return s;
    /* 16x8: an int64 bias (TFLM reads any as int64); per-tensor weights take the multiplier from
       the float product of the scales, as TFLM does; shift bound and int16 clamp range */
    d = (fc_data_t *)n->data;
    if (bias && (s = tfl_ref_check_bias(ip, in, bias, d->units, 0)) != TFL_OK)
        return s;
    if (!d->per_channel && tfl_quantize_multiplier((double)(in->scale * w->scale) / (double)out->scale, &d->mult[0], &sh))
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, tfl_tensor_index(ip, out));
    if (!d->per_channel)
        d->shift[0] = (int8_t)sh;
    if ((s = tfl_ref_finish_16x8(ip, out, tfl_opt_i32(ip, n, 0, 1, 0), w->nscales, d->shift, &d->act_min,
                                 &d->act_max)) != TFL_OK)
        return s;
    n->kernel = &fc_16x8;
    return TFL_OK;
}

static tfl_status_t prepare_int8(tfl_interp_t *ip, tfl_node_t *n)
{
    return prepare_common(ip, n, TFL_TYPE_INT8);
}

const tfl_kernel_t tfl_ref_fully_connected = {TFL_OP_FULLY_CONNECTED, prepare, eval8};
const tfl_kernel_t tfl_ref_fully_connected_int8 = {TFL_OP_FULLY_CONNECTED, prepare_int8, eval8};
