/* Kernel helpers and quantization arithmetic; see tfl/kernel.h. */
#include <math.h>
#include <string.h>

#include "tfl/kernel.h"

tfl_tensor_t *tfl_node_input(tfl_interp_t *ip, const tfl_node_t *n, uint32_t i)
{
    if (i >= n->n_inputs || n->inputs[i] < 0)
        return 0;
    return &ip->tensors[n->inputs[i]];
}

tfl_tensor_t *tfl_node_output(tfl_interp_t *ip, const tfl_node_t *n, uint32_t i)
{
    if (i >= n->n_outputs || n->outputs[i] < 0)
        return 0;
    return &ip->tensors[n->outputs[i]];
}

void *tfl_alloc_persistent(tfl_interp_t *ip, uint32_t bytes)
{
    /* 64-bit sums: a hostile model's requests must not wrap past the arena's size */
    uint64_t need = ((uint64_t)bytes + 7u) & ~(uint64_t)7u;
    uint64_t requested = (uint64_t)ip->tail_requested + need;
    ip->tail_requested = requested > 0xffffffffu ? 0xffffffffu : (uint32_t)requested;
    if ((uint64_t)ip->tail_used + need > ip->arena_size) {
        ip->error.code = TFL_ERR_ARENA_TOO_SMALL;
        return 0;
    }
    ip->tail_used += (uint32_t)need;
    return ip->arena + ip->arena_size - ip->tail_used;
}

static tfl_fb_t node_fb(const tfl_interp_t *ip)
{
    tfl_fb_t fb;
    fb.buf = ip->model;
    fb.len = ip->model_len;
    fb.bad_pos = 0;
    return fb;
}

int32_t tfl_opt_i32(tfl_interp_t *ip, const tfl_node_t *n, uint32_t slot, uint32_t size, int32_t dflt)
{
    tfl_fb_t fb = node_fb(ip);
    int32_t v = dflt;
    /* the options table was validated at parse time; a bad field reads as the default */
    if (tfl_fb_i32(&fb, &n->options, slot, size, dflt, &v) != TFL_OK)
        return dflt;
    return v;
}

float tfl_opt_f32(tfl_interp_t *ip, const tfl_node_t *n, uint32_t slot, float dflt)
{
    tfl_fb_t fb = node_fb(ip);
    float v = dflt;
    if (tfl_fb_f32(&fb, &n->options, slot, dflt, &v) != TFL_OK)
        return dflt;
    return v;
}

tfl_status_t tfl_require_options(tfl_interp_t *ip, const tfl_node_t *n, uint8_t type)
{
    if (n->options.pos == 0 || n->options_type != type)
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, -1);
    return TFL_OK;
}

int32_t tfl_tensor_index(tfl_interp_t *ip, const tfl_tensor_t *t)
{
    return t ? (int32_t)(t - ip->tensors) : -1;
}

tfl_status_t tfl_fail(tfl_interp_t *ip, tfl_status_t code, int32_t tensor_index)
{
    ip->error.code = code;
    ip->error.tensor_index = tensor_index;
    return code;
}

uint32_t tfl_num_elements(const tfl_tensor_t *t)
{
    uint32_t n = 1, i;
    for (i = 0; i < t->ndim; i++)
        n *= (uint32_t)t->dims[i];
    return n;
}

float tfl_scale_at(const tfl_tensor_t *t, uint32_t i)
{
    if (t->nscales == 0)
        return 0.0f;
    return tfl_rd_f32(t->scales + 4 * (i < t->nscales ? i : 0));
}

int32_t tfl_zero_point_at(const tfl_tensor_t *t, uint32_t i)
{
    if (t->nzps == 0)
        return 0;
    return (int32_t)tfl_rd_i64(t->zero_points + 8 * (i < t->nzps ? i : 0));
}

int tfl_same_shape(const tfl_tensor_t *a, const tfl_tensor_t *b)
{
    uint32_t i;
    if (a->ndim != b->ndim)
        return 0;
    for (i = 0; i < a->ndim; i++)
        if (a->dims[i] != b->dims[i])
            return 0;
    return 1;
}

int32_t tfl_dim(const tfl_tensor_t *t, int32_t i)
{
    if (i < 0)
        i += t->ndim;
    if (i < 0 || i >= t->ndim)
        return 1;
    return t->dims[i];
}

tfl_status_t tfl_check_type(tfl_interp_t *ip, const tfl_tensor_t *t, uint8_t type)
{
    if (t == 0)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, -1);
    if (t->type != type)
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, t));
    if ((type == TFL_TYPE_INT8 || type == TFL_TYPE_INT16) && t->nscales == 0)
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, t));
    return TFL_OK;
}

tfl_status_t tfl_check_ndim(tfl_interp_t *ip, const tfl_tensor_t *t, uint32_t ndim)
{
    if (t->ndim != ndim)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, t));
    return TFL_OK;
}

int tfl_quantize_multiplier(double m, int32_t *q, int32_t *shift)
{
    int e = 0;
    double frac;
    int64_t fixed;
    *q = 0;
    *shift = 0;
    if (m == 0.0)
        return 0;
    if (!(m > 0.0) || m > 1e9) /* negative, NaN, inf or absurdly large */
        return 1;
    frac = frexp(m, &e);
    /* frac in [0.5, 1): frac * 2^31 is exact and round() rounds half away from zero */
    fixed = (int64_t)round(frac * 2147483648.0);
    if (fixed == ((int64_t)1 << 31)) {
        fixed /= 2;
        e++;
    }
    if (e < -31) {
        e = 0;
        fixed = 0;
    }
#if TFL_SINGLE_ROUNDING
    if (e > 30) {
        e = 30;
        fixed = ((int64_t)1 << 31) - 1;
    }
#endif
    *q = (int32_t)fixed;
    *shift = e;
    return e > 30;
}

static int32_t quantize_float(float scale, int32_t zp, float f)
{
    float r = roundf(f / scale);
    /* saturate before converting (tiny scales): the caller clamps to the int8/int16 range anyway */
    if (!(r > -1e6f))
        r = -1e6f;
    else if (r > 1e6f)
        r = 1e6f;
    return zp + (int32_t)r;
}

int tfl_activation_range_int8(int32_t act, float scale, int32_t zp, int32_t *lo, int32_t *hi)
{
    int32_t qmin = -128, qmax = 127;
    switch (act) {
    case TFL_ACT_NONE:
        *lo = qmin;
        *hi = qmax;
        return 0;
    case TFL_ACT_RELU: {
        int32_t z = quantize_float(scale, zp, 0.0f);
        *lo = z > qmin ? z : qmin;
        *hi = qmax;
        return 0;
    }
    case TFL_ACT_RELU6: {
        int32_t z = quantize_float(scale, zp, 0.0f), s = quantize_float(scale, zp, 6.0f);
        *lo = z > qmin ? z : qmin;
        *hi = s < qmax ? s : qmax;
        return 0;
    }
    case TFL_ACT_RELU_N1_TO_1: {
        int32_t a = quantize_float(scale, zp, -1.0f), b = quantize_float(scale, zp, 1.0f);
        *lo = a > qmin ? a : qmin;
        *hi = b < qmax ? b : qmax;
        return 0;
    }
    default:
        return 1;
    }
}

/* The int16 range: the same bounds as the int8 function above (TFLite's
   CalculateActivationRangeQuantized), written compactly; a separate function so that int8-only
   images do not carry it. */
int tfl_activation_range_int16(int32_t act, float scale, int32_t zp, int32_t *lo, int32_t *hi)
{
    const int32_t qmin = -32768, qmax = 32767;
    float flo = 0.0f, fhi = 0.0f;
    int32_t q;
    switch (act) {
    case TFL_ACT_NONE:
        *lo = qmin;
        *hi = qmax;
        return 0;
    case TFL_ACT_RELU:
        break;
    case TFL_ACT_RELU6:
        fhi = 6.0f;
        break;
    case TFL_ACT_RELU_N1_TO_1:
        flo = -1.0f;
        fhi = 1.0f;
        break;
    default:
        return 1;
    }
    q = quantize_float(scale, zp, flo);
    *lo = q > qmin ? q : qmin;
    *hi = qmax;
    if (act != TFL_ACT_RELU) {
        q = quantize_float(scale, zp, fhi);
        *hi = q < qmax ? q : qmax;
    }
    return 0;
}

/* Products are formed in 64 bits: strides, dilations and filter sizes come from the model. */
int32_t tfl_out_size(int32_t padding, int32_t in, int32_t filter, int32_t stride, int32_t dilation)
{
    int64_t eff = (int64_t)(filter - 1) * dilation + 1, out;
    if (stride <= 0 || stride > TFL_MAX_STRIDE || dilation <= 0 || dilation > TFL_MAX_STRIDE || filter <= 0 ||
        eff > ((int64_t)1 << 24))
        return -1;
    if (padding == 0) /* SAME */
        out = ((int64_t)in + stride - 1) / stride;
    else /* VALID */
        out = ((int64_t)in + stride - eff) / stride;
    return out < 1 ? -1 : (int32_t)out;
}

int32_t tfl_padding(int32_t stride, int32_t dilation, int32_t in, int32_t filter, int32_t out)
{
    int64_t eff = (int64_t)(filter - 1) * dilation + 1;
    int64_t total = (int64_t)(out - 1) * stride + eff - in;
    return total > 0 ? (int32_t)(total / 2) : 0;
}
