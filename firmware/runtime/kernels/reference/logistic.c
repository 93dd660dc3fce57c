/*
 * LOGISTIC, int8 in, int8 out (scale 1/256, zero point -128).  A 256-entry table is built
 * at prepare time in float: y = 1 / (1 + exp(-x)) for every dequantized input value, then
 * requantized with round-half-away-from-zero.  (LiteRT's reference path agrees bit for bit
 * on the host; on the board the result depends on newlib's expf matching to the last ulp.)
 */
#include <math.h>

#include "tfl/kernel.h"
#include "ref_kernels.h"

static tfl_status_t prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    int8_t *table;
    tfl_status_t s;
    int32_t q;

    if ((s = tfl_check_type(ip, in, TFL_TYPE_INT8)) || (s = tfl_check_type(ip, out, TFL_TYPE_INT8)))
        return s;
    if (!tfl_same_shape(in, out))
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    if (out->zero_point != -128 || out->scale != 1.0f / 256)
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, out));
    table = (int8_t *)tfl_alloc_persistent(ip, 256);
    if (table == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    for (q = -128; q <= 127; q++) {
        float x = in->scale * (float)(q - in->zero_point);
        float y = 1.0f / (1.0f + expf(-x));
        float r = roundf(y * 256.0f);
        table[q + 128] = (int8_t)tfl_clamp((int32_t)r - 128, -128, 127);
    }
    n->data = table;
    return TFL_OK;
}

static tfl_status_t eval(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    const int8_t *table = (const int8_t *)n->data;
    const int8_t *x = (const int8_t *)in->data;
    int8_t *y = (int8_t *)out->data;
    uint32_t i, count = tfl_num_elements(in);
    for (i = 0; i < count; i++)
        y[i] = table[x[i] + 128];
    (void)ip;
    return TFL_OK;
}

const tfl_kernel_t tfl_ref_logistic = {TFL_OP_LOGISTIC, prepare, eval};
