/* Kernel set "reference": every reference int8 kernel.  One image per board + kernel set. */
#include "ref_kernels.h"
#include "tfl/tfl.h"

static const tfl_kernel_t *const kernels[] = {
    &tfl_ref_conv_2d, &tfl_ref_depthwise_conv_2d, &tfl_ref_fully_connected, &tfl_ref_average_pool_2d,
    &tfl_ref_max_pool_2d, &tfl_ref_add, &tfl_ref_mul, &tfl_ref_reshape, &tfl_ref_softmax,
    &tfl_ref_mean, &tfl_ref_pad, &tfl_ref_concatenation, &tfl_ref_quantize, &tfl_ref_dequantize,
    &tfl_ref_logistic, &tfl_ref_svdf,
    &tfl_ref_sub, &tfl_ref_leaky_relu, &tfl_ref_padv2, &tfl_ref_strided_slice,
    &tfl_ref_maximum, &tfl_ref_minimum, &tfl_ref_hard_swish, &tfl_ref_slice,
    &tfl_ref_squared_difference, &tfl_ref_prelu, &tfl_ref_mirror_pad,
};

const tfl_resolver_t tandem_op_set = {kernels, sizeof(kernels) / sizeof(kernels[0])};
