/* Kernel set "accel": CONV_2D on the RTL accelerator (falling back to the reference kernel for
 * layers it refuses), every other op on the reference kernels. Needs a board with an
 * accelerator overlay (TANDEM_ACCEL_BASE in board.h). */
#include "ref_kernels.h"
#include "tfl/tfl.h"

extern const tfl_kernel_t tfl_accel_conv_2d;

static const tfl_kernel_t *const kernels[] = {
    &tfl_accel_conv_2d, &tfl_ref_depthwise_conv_2d, &tfl_ref_fully_connected, &tfl_ref_average_pool_2d,
    &tfl_ref_max_pool_2d, &tfl_ref_add, &tfl_ref_mul, &tfl_ref_reshape, &tfl_ref_softmax,
    &tfl_ref_mean, &tfl_ref_pad, &tfl_ref_concatenation, &tfl_ref_quantize, &tfl_ref_dequantize,
    &tfl_ref_logistic, &tfl_ref_svdf,
};

const tfl_resolver_t tandem_op_set = {kernels, sizeof(kernels) / sizeof(kernels[0])};
