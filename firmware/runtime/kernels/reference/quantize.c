/* QUANTIZE: float32 -> int8 (affine), or int8 -> int8 requantization. */
#include <math.h>

#include "tfl/kernel.h"
#include "ref_kernels.h"

typedef struct {
    int32_t mult, shift;
} requant_data_t;

static tfl_status_t prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    tfl_status_t s;
    if ((s = tfl_check_type(ip, out, TFL_TYPE_INT8)) != TFL_OK)
        return s;
    if (in == 0 || !tfl_same_shape(in, out))
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    if (out->nscales != 1)
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, out));
    if (in->type == TFL_TYPE_INT8) {
        requant_data_t *d;
        if ((s = tfl_check_type(ip, in, TFL_TYPE_INT8)) != TFL_OK)
            return s;
        d = (requant_data_t *)tfl_alloc_persistent(ip, sizeof(requant_data_t));
        if (d == 0)
            return TFL_ERR_ARENA_TOO_SMALL;
        if (tfl_quantize_multiplier((double)in->scale / (double)out->scale, &d->mult, &d->shift))
            return tfl_fail(ip, TFL_ERR_BAD_PARAMS, tfl_tensor_index(ip, out));
        n->data = d;
        return TFL_OK;
    }
    if (in->type != TFL_TYPE_FLOAT32)
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, in));
    return TFL_OK;
}

static tfl_status_t eval(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    int8_t *y = (int8_t *)out->data;
    uint32_t i, count = tfl_num_elements(out);
    if (in->type == TFL_TYPE_INT8) {
        const requant_data_t *d = (const requant_data_t *)n->data;
        const int8_t *x = (const int8_t *)in->data;
        for (i = 0; i < count; i++) {
            int32_t v = tfl_mbqm(x[i] - in->zero_point, d->mult, d->shift) + out->zero_point;
            y[i] = (int8_t)tfl_clamp(v, -128, 127);
        }
    } else {
        const float *x = (const float *)in->data;
        const double scale = out->scale;
        for (i = 0; i < count; i++) {
            double q = round((double)x[i] / scale);
            int32_t v;
            /* saturate before the int conversion (NaN maps to the zero point) */
            if (q > 1e9)
                q = 1e9;
            else if (q < -1e9)
                q = -1e9;
            else if (q != q)
                q = 0;
            v = (int32_t)q + out->zero_point;
            y[i] = (int8_t)tfl_clamp(v, -128, 127);
        }
    }
    (void)ip;
    return TFL_OK;
}

const tfl_kernel_t tfl_ref_quantize = {TFL_OP_QUANTIZE, prepare, eval};
