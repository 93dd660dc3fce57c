/* PAD and PADV2, int8 and int16: constant padding.  The pad value is PADV2's constant (a one-element
 * tensor of the input's type; for int8 with the output's scale and zero point, as TFLM requires),
 * else the output zero point for int8 and 0 for int16 (TFLM pads int16 with 0 whatever the zero
 * point; LiteRT uses the zero point, which for its int16 models is 0). */
#include <string.h>

#include "elementwise.h"

#include "tfl/kernel.h"
#include "ref_kernels.h"

typedef struct {
    int32_t before[TFL_MAX_DIMS];
    int32_t in_dims[TFL_MAX_DIMS];
    int32_t out_dims[TFL_MAX_DIMS];
    int32_t value;     /* pad value (int8/int16) */
    int32_t has_value; /* PADV2 with a constant-values input */
} pad_data_t;

static tfl_status_t prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_tensor_t *in = tfl_node_input(ip, n, 0), *pads = tfl_node_input(ip, n, 1), *out = tfl_node_output(ip, n, 0);
    tfl_tensor_t *cv = n->builtin_code == TFL_OP_PADV2 ? tfl_node_input(ip, n, 2) : 0;
    uint8_t type = in && in->type == TFL_TYPE_INT16 ? TFL_TYPE_INT16 : TFL_TYPE_INT8;
    pad_data_t *d;
    tfl_status_t s;
    int32_t i, lead;

    if ((s = tfl_check_type(ip, in, type)) || (s = tfl_check_type(ip, out, type)) ||
        (s = tfl_check_type(ip, pads, TFL_TYPE_INT32)))
        return s;
    if (!pads->is_const)
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, pads));
    if (pads->ndim != 2 || pads->dims[0] != in->ndim || pads->dims[1] != 2 || out->ndim != in->ndim)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, pads));
    if (in->scale != out->scale || in->zero_point != out->zero_point)
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, out));
    if (cv != 0) {
        if ((s = tfl_check_type(ip, cv, type)) != TFL_OK)
            return s;
        if (tfl_num_elements(cv) != 1)
            return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, cv));
        if (type == TFL_TYPE_INT8 && (cv->scale != out->scale || cv->zero_point != out->zero_point))
            return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, cv));
    }
    d = (pad_data_t *)tfl_alloc_persistent(ip, sizeof(pad_data_t));
    if (d == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    d->has_value = cv != 0;
    d->value = type == TFL_TYPE_INT8 ? out->zero_point : 0;
    lead = TFL_MAX_DIMS - in->ndim;
    for (i = 0; i < TFL_MAX_DIMS; i++) {
        d->before[i] = 0;
        d->in_dims[i] = d->out_dims[i] = 1;
    }
    for (i = 0; i < in->ndim; i++) {
        const int32_t *p = (const int32_t *)pads->data + 2 * i;
        if (p[0] < 0 || p[1] < 0 || (int64_t)in->dims[i] + p[0] + p[1] != out->dims[i])
            return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
        d->before[lead + i] = p[0];
        d->in_dims[lead + i] = in->dims[i];
        d->out_dims[lead + i] = out->dims[i];
    }
    n->data = d;
    return TFL_OK;
}

/* PADV2 and int16: the pad value may come from a (possibly non-constant) input tensor. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void eval_general(const tfl_tensor_t *in, const tfl_tensor_t *cv, const tfl_tensor_t *out, const pad_data_t *d)
{
    const uint8_t type = out->type;
    int32_t idx[TFL_MAX_DIMS] = {0};
    uint32_t i, total = tfl_num_elements(out);
    int32_t k, value = cv ? tfl_ref_load(cv->data, type, 0) : d->value;

    for (i = 0; i < total; i++) {
        int32_t src = 0, inside = 1;
        for (k = 0; k < TFL_MAX_DIMS; k++) {
            int32_t v = idx[k] - d->before[k];
            if (v < 0 || v >= d->in_dims[k])
                inside = 0;
            src = src * d->in_dims[k] + v;
        }
        tfl_ref_store(out->data, type, i, inside ? tfl_ref_load(in->data, type, (uint32_t)src) : value);
        for (k = TFL_MAX_DIMS - 1; k >= 0; k--) {
            if (++idx[k] < d->out_dims[k])
                break;
            idx[k] = 0;
        }
    }
}

static tfl_status_t eval(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    const pad_data_t *d = (const pad_data_t *)n->data;
    const int8_t *x = (const int8_t *)in->data;
    int8_t *y = (int8_t *)out->data;
    int32_t idx[TFL_MAX_DIMS] = {0};
    uint32_t i, total = tfl_num_elements(out);
    int32_t k;

    if (d->has_value || out->type != TFL_TYPE_INT8) {
        eval_general(in, d->has_value ? tfl_node_input(ip, n, 2) : 0, out, d);
        return TFL_OK;
    }
    for (i = 0; i < total; i++) {
        int32_t src = 0, inside = 1;
        for (k = 0; k < TFL_MAX_DIMS; k++) {
            int32_t v = idx[k] - d->before[k];
            if (v < 0 || v >= d->in_dims[k])
                inside = 0;
            src = src * d->in_dims[k] + v;
        }
        y[i] = inside ? x[src] : (int8_t)out->zero_point;
        for (k = TFL_MAX_DIMS - 1; k >= 0; k--) {
            if (++idx[k] < d->out_dims[k])
                break;
            idx[k] = 0;
        }
    }
    (void)ip;
    return TFL_OK;
}

const tfl_kernel_t tfl_ref_pad = {TFL_OP_PAD, prepare, eval};
TFL_REF_EVAL(tfl_ref_pad, eval)
const tfl_kernel_t tfl_ref_padv2 = {TFL_OP_PADV2, prepare, eval};
