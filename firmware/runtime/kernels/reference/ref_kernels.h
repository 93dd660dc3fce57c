/* Reference int8 kernels.  Register the ones a firmware needs in its tfl_resolver_t. */
#ifndef TFL_REF_KERNELS_H
#define TFL_REF_KERNELS_H

#include "tfl/tfl.h"

/* The sliding window of a convolution: strides and dilations (from the options), padding
 * before the first row/column, and the fused activation's clamp range. */
typedef struct {
    int32_t pad_h, pad_w, stride_h, stride_w, dil_h, dil_w;
    int32_t act_min, act_max;
} tfl_ref_window_t;

/* CONV_2D's prepared data (n->data after tfl_ref_conv_2d.prepare), shared with kernels that
 * reuse the reference prepare, e.g. the accelerated CONV_2D. */
typedef struct {
    tfl_ref_window_t win;
    int32_t *mult;
    int8_t *shift; /* exponents fit in int8 (range -31..30); saves 3 bytes per channel */
} tfl_ref_conv_data_t;

/* CONV_2D and DEPTHWISE_CONV_2D tensors: int8 4-d input, filter and output; an optional int32
 * bias with `cout` elements. */
tfl_status_t tfl_ref_check_conv_tensors(tfl_interp_t *ip, const tfl_tensor_t *in, const tfl_tensor_t *w,
                                        const tfl_tensor_t *bias, const tfl_tensor_t *out, int32_t filter_cout_dim,
                                        int32_t *cout);

/* Complete g (strides and dilations already set from the options): validate them and the
 * padding mode, check the output's spatial size, compute the padding and the clamp range. */
tfl_status_t tfl_ref_window(tfl_interp_t *ip, const tfl_tensor_t *in, const tfl_tensor_t *w, const tfl_tensor_t *out,
                            int32_t padding, int32_t activation, tfl_ref_window_t *g);

extern const tfl_kernel_t tfl_ref_conv_2d;
extern const tfl_kernel_t tfl_ref_depthwise_conv_2d;
extern const tfl_kernel_t tfl_ref_fully_connected;
extern const tfl_kernel_t tfl_ref_average_pool_2d;
extern const tfl_kernel_t tfl_ref_max_pool_2d;
extern const tfl_kernel_t tfl_ref_add;
extern const tfl_kernel_t tfl_ref_mul;
extern const tfl_kernel_t tfl_ref_reshape;
extern const tfl_kernel_t tfl_ref_softmax;
extern const tfl_kernel_t tfl_ref_mean;
extern const tfl_kernel_t tfl_ref_pad;
extern const tfl_kernel_t tfl_ref_concatenation;
extern const tfl_kernel_t tfl_ref_quantize;
extern const tfl_kernel_t tfl_ref_dequantize;
extern const tfl_kernel_t tfl_ref_logistic;
extern const tfl_kernel_t tfl_ref_svdf;
extern const tfl_kernel_t tfl_ref_sub;
extern const tfl_kernel_t tfl_ref_leaky_relu;
extern const tfl_kernel_t tfl_ref_padv2;
extern const tfl_kernel_t tfl_ref_strided_slice;
extern const tfl_kernel_t tfl_ref_maximum;
extern const tfl_kernel_t tfl_ref_minimum;
extern const tfl_kernel_t tfl_ref_hard_swish;
extern const tfl_kernel_t tfl_ref_slice;
extern const tfl_kernel_t tfl_ref_squared_difference;
extern const tfl_kernel_t tfl_ref_prelu;
extern const tfl_kernel_t tfl_ref_mirror_pad;

/* Shared by CONV_2D and DEPTHWISE_CONV_2D (conv.c): per-channel output multipliers. */
tfl_status_t tfl_ref_channel_multipliers(tfl_interp_t *ip, const tfl_tensor_t *in, const tfl_tensor_t *filter,
                                         const tfl_tensor_t *out, int32_t channels, int32_t *mult,
                                         int8_t *shift);

#endif
