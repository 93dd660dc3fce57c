/* DEQUANTIZE: int8, int16 or uint8 -> float32 (TFLM's input types), per-tensor. */
#include "tfl/kernel.h"
#include "ref_kernels.h"

static tfl_status_t prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    tfl_status_t s;
    uint8_t type = in && (in->type == TFL_TYPE_INT16 || in->type == TFL_TYPE_UINT8) ? in->type : TFL_TYPE_INT8;
    if ((s = tfl_check_type(ip, in, type)) || (s = tfl_check_type(ip, out, TFL_TYPE_FLOAT32)))
        return s;
    if (!tfl_same_shape(in, out))
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    if (in->nscales != 1)
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, in));
    return TFL_OK;
}

static tfl_status_t eval(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    float *y = (float *)out->data;
    /* TFLite's Dequantize (reference/dequantize.h) computes static_cast<float>(double scale *
     * (val - zero_point)). The scale is a float32 (24-bit significand) and |val - zero_point|
     * < 2^17, so the double product is exact and the cast rounds it once, as a single-precision
     * multiply rounds the same exact product (IEEE 754 correct rounding, FPSCR.FZ = 0 at reset):
     * the float multiply gives the same bits without soft double arithmetic. */
    const float scale = in->scale;
    uint32_t i, count = tfl_num_elements(in);
    if (in->type == TFL_TYPE_INT16) {
        const int16_t *x16 = (const int16_t *)in->data;
        for (i = 0; i < count; i++)
            y[i] = scale * (float)(x16[i] - in->zero_point);
    } else if (in->type == TFL_TYPE_UINT8) {
        const uint8_t *xu = (const uint8_t *)in->data;
        for (i = 0; i < count; i++)
            y[i] = scale * (float)(xu[i] - in->zero_point);
    } else {
        const int8_t *x = (const int8_t *)in->data;
        for (i = 0; i < count; i++)
            y[i] = scale * (float)(x[i] - in->zero_point);
    }
    (void)ip;
    return TFL_OK;
}

const tfl_kernel_t tfl_ref_dequantize = {TFL_OP_DEQUANTIZE, prepare, eval};
TFL_REF_EVAL(tfl_ref_dequantize, eval)
