/* Kernel set "dscnn": just the ops DS-CNN keyword spotting needs, int8 only (shows flash per op set). */
#include "ref_kernels.h"
#include "tfl/tfl.h"

static const tfl_kernel_t *const kernels[] = {
    &tfl_ref_conv_2d_int8, &tfl_ref_depthwise_conv_2d_int8, &tfl_ref_fully_connected_int8,
    &tfl_ref_average_pool_2d_int8, &tfl_ref_reshape, &tfl_ref_softmax_int8, /* int8 models only */
};

const tfl_resolver_t tandem_op_set = {kernels, sizeof(kernels) / sizeof(kernels[0])};
