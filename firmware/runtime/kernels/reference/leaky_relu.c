/* LEAKY_RELU, int8 and int16: x >= 0 scaled by in_s/out_s, x < 0 by in_s*alpha/out_s.  Both real
 * multipliers are formed in float and widened to double, as TFLM's prepare does (and LiteRT's);
 * alpha may be negative or above 1, so the alpha multiplier may be negative. */
#include "elementwise.h"
#include "ref_kernels.h"

typedef struct {
    int32_t in_zp, out_zp, m_id, s_id, m_alpha, s_alpha, qmin, qmax;
} leaky_relu_data_t;

/* A negative multiplier is quantized as the negated quantization of its magnitude. */
static int quantize_signed(double m, int32_t *q, int32_t *shift)
{
    int bad;
    if (m >= 0.0)
        return tfl_quantize_multiplier(m, q, shift);
    bad = tfl_quantize_multiplier(-m, q, shift);
    *q = -*q;
    return bad;
}

static tfl_status_t prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    leaky_relu_data_t *d;
    tfl_status_t s;
    float alpha;

    if ((s = tfl_ref_check_int8_or_int16(ip, in, 0, out)) != TFL_OK)
        return s;
    if (!tfl_same_shape(in, out))
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    if (n->options.pos != 0 && n->options_type != TFL_OPT_LEAKY_RELU)
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, -1);
    alpha = tfl_opt_f32(ip, n, 0, 0.0f);
    d = (leaky_relu_data_t *)tfl_alloc_persistent(ip, sizeof(leaky_relu_data_t));
    if (d == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    d->in_zp = in->zero_point;
    d->out_zp = out->zero_point;
    tfl_ref_type_range(out->type, &d->qmin, &d->qmax);
    if (quantize_signed((double)(in->scale * alpha / out->scale), &d->m_alpha, &d->s_alpha) ||
        tfl_quantize_multiplier((double)(in->scale / out->scale), &d->m_id, &d->s_id))
        return tfl_fail(ip, TFL_ERR_BAD_PARAMS, tfl_tensor_index(ip, out));
    n->data = d;
    return TFL_OK;
}

static tfl_status_t eval(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    const leaky_relu_data_t *d = (const leaky_relu_data_t *)n->data;
    const uint8_t type = out->type;
    uint32_t i, total = tfl_num_elements(out);

    for (i = 0; i < total; i++) {
        int32_t v = tfl_ref_load(in->data, type, i) - d->in_zp, r;
        if (v >= 0)
            r = tfl_mbqm(v, d->m_id, d->s_id);
        else
            r = tfl_mbqm(v, d->m_alpha, d->s_alpha);
        tfl_ref_store(out->data, type, i, tfl_clamp(r + d->out_zp, d->qmin, d->qmax));
    }
    (void)ip;
    return TFL_OK;
}

const tfl_kernel_t tfl_ref_leaky_relu = {TFL_OP_LEAKY_RELU, prepare, eval};
