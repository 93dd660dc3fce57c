/* Kernel set "reference": every reference int8 kernel.  One image per board + kernel set. */
#include "ref_kernels.h"
#include "tfl/tfl.h"

static const tfl_kernel_t *const kernels[] = {
    &tfl_ref_conv_2d, &tfl_ref_depthwise_conv_2d, &tfl_ref_fully_connected, &tfl_ref_average_pool_2d,
    &tfl_ref_max_pool_2d, &tfl_ref_add, &tfl_ref_mul, &tfl_ref_reshape, &tfl_ref_softmax,
    &tfl_ref_mean, &tfl_ref_pad, &tfl_ref_concatenation, &tfl_ref_quantize, &tfl_ref_dequantize,
    &tfl_ref_logistic, &tfl_ref_svdf,
    &tfl_ref_unidirectional_sequence_lstm,
    &tfl_ref_relu, &tfl_ref_relu6, &tfl_ref_relu_n1_to_1, &tfl_ref_tanh, &tfl_ref_sum, &tfl_ref_reduce_max,
    &tfl_ref_reduce_min, &tfl_ref_arg_max, &tfl_ref_arg_min, &tfl_ref_log_softmax, &tfl_ref_l2_normalization,
    &tfl_ref_squeeze, &tfl_ref_expand_dims, &tfl_ref_shape, &tfl_ref_fill,
    &tfl_ref_zeros_like, &tfl_ref_transpose, &tfl_ref_depth_to_space, &tfl_ref_space_to_depth,
    &tfl_ref_space_to_batch_nd, &tfl_ref_batch_to_space_nd, &tfl_ref_split, &tfl_ref_split_v,
    &tfl_ref_pack, &tfl_ref_unpack, &tfl_ref_gather, &tfl_ref_gather_nd,
    &tfl_ref_resize_nearest_neighbor, &tfl_ref_resize_bilinear, &tfl_ref_equal, &tfl_ref_not_equal,
    &tfl_ref_less, &tfl_ref_less_equal, &tfl_ref_greater, &tfl_ref_greater_equal,
    &tfl_ref_logical_and, &tfl_ref_logical_or, &tfl_ref_logical_not, &tfl_ref_select_v2,
    &tfl_ref_cast, &tfl_ref_abs, &tfl_ref_neg,
    &tfl_ref_transpose_conv, &tfl_ref_batch_matmul,
    &tfl_ref_sub, &tfl_ref_leaky_relu, &tfl_ref_padv2, &tfl_ref_strided_slice,
    &tfl_ref_maximum, &tfl_ref_minimum, &tfl_ref_hard_swish, &tfl_ref_slice,
    &tfl_ref_squared_difference, &tfl_ref_prelu, &tfl_ref_mirror_pad,
};

const tfl_resolver_t tandem_op_set = {kernels, sizeof(kernels) / sizeof(kernels[0])};
