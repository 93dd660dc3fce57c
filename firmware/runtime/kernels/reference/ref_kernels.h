/* Reference int8 kernels.  Register the ones a firmware needs in its tfl_resolver_t. */
#ifndef TFL_REF_KERNELS_H
#define TFL_REF_KERNELS_H

#include "tfl/fb.h"
#include "tfl/tfl.h"
#include "broadcast.h"

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

/* DEPTHWISE_CONV_2D's prepared data (shared with the optimized kernel, kernels/optimized/). */
typedef struct {
    tfl_ref_window_t win;
    int32_t depth_mult;
    int32_t *mult;
    int8_t *shift;
} tfl_ref_dw_data_t;

/* FULLY_CONNECTED's prepared data (shared with the optimized and the accelerated kernels):
 * clamp range, shape; mult/shift have one entry, or one per unit when per_channel. */
typedef struct {
    int32_t act_min, act_max, batches, depth, units, per_channel;
    int32_t *mult;
    int8_t *shift;
} tfl_ref_fc_data_t;

/* AVERAGE_POOL_2D and MAX_POOL_2D's prepared data (shared with the optimized kernels): the
 * window, its padding before the first row/column, and the clamp range. */
typedef struct {
    int32_t pad_h, pad_w, stride_h, stride_w, fh, fw, act_min, act_max;
} tfl_ref_pool_data_t;

/* ADD's prepared data (shared with the optimized kernel): input offsets (minus the zero
 * points), the inputs' left shift and multipliers to the common scale, the output's. */
typedef struct {
    int32_t in1_off, in2_off, out_off, left_shift;
    int32_t m1, s1, m2, s2, mo, so, act_min, act_max;
    tfl_bcast_t bc;
} tfl_ref_add_data_t;

/* MUL's prepared data (shared with the optimized kernel). */
typedef struct {
    int32_t in1_off, in2_off, out_off, mult, shift, act_min, act_max;
    tfl_bcast_t bc;
} tfl_ref_mul_data_t;

/* int8 SOFTMAX's prepared data (shared with the optimized kernel): the input multiplier of
 * the differences to the row maximum, its left shift, and the smallest difference counted. */
typedef struct {
    int32_t mult, left_shift, diff_min;
} tfl_ref_softmax_data_t;

/* int16 SOFTMAX's prepared data (shared with the optimized kernel): the multiplier of the
 * differences to the row maximum, and the 513-entry exp and 1 / (1 + x) tables. */
typedef struct {
    int32_t mult, shift;
    int16_t exp_lut[513];
    int16_t recip_lut[513];
} tfl_ref_softmax16_data_t;

/* CONV_2D and DEPTHWISE_CONV_2D tensors: 4-d input and output of type `dtype` (int8, or int16
 * for 16x8), an int8 filter; an optional int32 bias with `cout` elements for int8 (16x8 callers
 * check theirs with tfl_ref_check_bias). */
tfl_status_t tfl_ref_check_conv_tensors(tfl_interp_t *ip, const tfl_tensor_t *in, const tfl_tensor_t *w,
                                        const tfl_tensor_t *bias, const tfl_tensor_t *out, int32_t filter_cout_dim,
                                        uint8_t dtype, int32_t *cout);

/* Complete g (strides and dilations already set from the options): validate them and the
 * padding mode, check the output's spatial size, compute the padding and the clamp range. */
tfl_status_t tfl_ref_window(tfl_interp_t *ip, const tfl_tensor_t *in, const tfl_tensor_t *w, const tfl_tensor_t *out,
                            int32_t padding, int32_t activation, tfl_ref_window_t *g);

/* The eval of a kernel as a function of its own, `NAME_eval`: the AOT runtime (firmware/aot/)
 * calls it with the prepared data resolved at compile time, so the prepare is not linked. */
#define TFL_REF_EVAL(kernel, fn) \
    tfl_status_t kernel##_eval(tfl_interp_t *ip, tfl_node_t *n) { return fn(ip, n); }
tfl_status_t tfl_ref_conv_2d_eval(tfl_interp_t *ip, tfl_node_t *n);
tfl_status_t tfl_ref_depthwise_conv_2d_eval(tfl_interp_t *ip, tfl_node_t *n);
tfl_status_t tfl_ref_fully_connected_eval(tfl_interp_t *ip, tfl_node_t *n);
tfl_status_t tfl_ref_average_pool_2d_eval(tfl_interp_t *ip, tfl_node_t *n);
tfl_status_t tfl_ref_max_pool_2d_eval(tfl_interp_t *ip, tfl_node_t *n);
tfl_status_t tfl_ref_add_eval(tfl_interp_t *ip, tfl_node_t *n);
tfl_status_t tfl_ref_mul_eval(tfl_interp_t *ip, tfl_node_t *n);
tfl_status_t tfl_ref_softmax_eval(tfl_interp_t *ip, tfl_node_t *n);
tfl_status_t tfl_ref_quantize_eval(tfl_interp_t *ip, tfl_node_t *n);
tfl_status_t tfl_ref_dequantize_eval(tfl_interp_t *ip, tfl_node_t *n);
tfl_status_t tfl_ref_reshape_eval(tfl_interp_t *ip, tfl_node_t *n);
tfl_status_t tfl_ref_concatenation_eval(tfl_interp_t *ip, tfl_node_t *n);
tfl_status_t tfl_ref_pad_eval(tfl_interp_t *ip, tfl_node_t *n);
tfl_status_t tfl_ref_mean_eval(tfl_interp_t *ip, tfl_node_t *n);
tfl_status_t tfl_ref_relu_eval(tfl_interp_t *ip, tfl_node_t *n);
tfl_status_t tfl_ref_relu6_eval(tfl_interp_t *ip, tfl_node_t *n);

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
extern const tfl_kernel_t tfl_ref_unidirectional_sequence_lstm;
/* int8/int16 activations, reducers and arg reductions (activation.c, tanh.c, reduce.c, arg_min_max.c,
 * log_softmax.c, l2norm.c) */
extern const tfl_kernel_t tfl_ref_relu;
extern const tfl_kernel_t tfl_ref_relu6;
extern const tfl_kernel_t tfl_ref_relu_n1_to_1;
extern const tfl_kernel_t tfl_ref_tanh;
extern const tfl_kernel_t tfl_ref_sum;
extern const tfl_kernel_t tfl_ref_reduce_max;
extern const tfl_kernel_t tfl_ref_reduce_min;
extern const tfl_kernel_t tfl_ref_arg_max;
extern const tfl_kernel_t tfl_ref_arg_min;
extern const tfl_kernel_t tfl_ref_log_softmax;
/* int8-only variants of kernels that also take int16 (link none of the int16 code; as TFLM's
 * Register_X_INT8): for op sets that run int8 models only. */
extern const tfl_kernel_t tfl_ref_softmax_int8;
extern const tfl_kernel_t tfl_ref_logistic_int8;
extern const tfl_kernel_t tfl_ref_mean_int8;
extern const tfl_kernel_t tfl_ref_average_pool_2d_int8;
extern const tfl_kernel_t tfl_ref_max_pool_2d_int8;
extern const tfl_kernel_t tfl_ref_l2_normalization;

/* Data movement, comparison, logic and cast (shape_ops.c, permute.c, split_pack.c, gather.c, resize.c,
 * compare.c, cast.c). */
extern const tfl_kernel_t tfl_ref_squeeze;
extern const tfl_kernel_t tfl_ref_expand_dims;
extern const tfl_kernel_t tfl_ref_shape;
extern const tfl_kernel_t tfl_ref_fill;
extern const tfl_kernel_t tfl_ref_zeros_like;
extern const tfl_kernel_t tfl_ref_transpose;
extern const tfl_kernel_t tfl_ref_depth_to_space;
extern const tfl_kernel_t tfl_ref_space_to_depth;
extern const tfl_kernel_t tfl_ref_space_to_batch_nd;
extern const tfl_kernel_t tfl_ref_batch_to_space_nd;
extern const tfl_kernel_t tfl_ref_split;
extern const tfl_kernel_t tfl_ref_split_v;
extern const tfl_kernel_t tfl_ref_pack;
extern const tfl_kernel_t tfl_ref_unpack;
extern const tfl_kernel_t tfl_ref_gather;
extern const tfl_kernel_t tfl_ref_gather_nd;
extern const tfl_kernel_t tfl_ref_resize_nearest_neighbor;
extern const tfl_kernel_t tfl_ref_resize_bilinear;
extern const tfl_kernel_t tfl_ref_equal;
extern const tfl_kernel_t tfl_ref_not_equal;
extern const tfl_kernel_t tfl_ref_less;
extern const tfl_kernel_t tfl_ref_less_equal;
extern const tfl_kernel_t tfl_ref_greater;
extern const tfl_kernel_t tfl_ref_greater_equal;
extern const tfl_kernel_t tfl_ref_logical_and;
extern const tfl_kernel_t tfl_ref_logical_or;
extern const tfl_kernel_t tfl_ref_logical_not;
extern const tfl_kernel_t tfl_ref_select_v2;
extern const tfl_kernel_t tfl_ref_cast;
extern const tfl_kernel_t tfl_ref_abs;
extern const tfl_kernel_t tfl_ref_neg;
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

/* Bias of a convolution-like kernel: int32 for int8 activations; int64 for 16x8, or int32 too
 * when allow_int32_16x8 (TFLM's CONV_2D).  Checks the type and the element count only. */
tfl_status_t tfl_ref_check_bias(tfl_interp_t *ip, const tfl_tensor_t *in, const tfl_tensor_t *bias, int32_t cout,
                                int allow_int32_16x8);

/* Clamp range of a fused activation for an int8 or int16 output; non-zero when unsupported. */
int tfl_ref_activation_range(int32_t activation, const tfl_tensor_t *out, int32_t *lo, int32_t *hi);

/* The 16x8 part of a prepare whose shared part computed int8 parameters: every shift must be
 * <= 14 (the 64-bit rescale), and the clamp range becomes the int16 one. */
tfl_status_t tfl_ref_finish_16x8(tfl_interp_t *ip, const tfl_tensor_t *out, int32_t activation, uint32_t channels,
                                 const int8_t *shift, int32_t *act_min, int32_t *act_max);

/* Bias element c (0 without a bias).  int64 constants are only 4-byte aligned in TFLite's own
 * files (the reader asks no more), so they are read byte by byte. */
static inline int64_t tfl_ref_bias_at(const tfl_tensor_t *bias, int32_t c)
{
    if (bias == 0)
        return 0;
    if (bias->type == TFL_TYPE_INT64)
        return tfl_rd_i64((const uint8_t *)bias->data + 8u * (uint32_t)c);
    if (bias->type == TFL_TYPE_INT16)
        return ((const int16_t *)bias->data)[c];
    return ((const int32_t *)bias->data)[c];
}

/* int8-only CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED (16x8 models refused): the plain kernels
 * take int8 and 16x8 (their prepare hands a 16x8 node to a file-local 16x8 kernel through
 * n->kernel); these leave the 16x8 code out of small images.  Each is defined after its plain
 * kernel, so a table of the first definition per op picks the plain one. */
extern const tfl_kernel_t tfl_ref_conv_2d_int8;
extern const tfl_kernel_t tfl_ref_depthwise_conv_2d_int8;
extern const tfl_kernel_t tfl_ref_fully_connected_int8;
extern const tfl_kernel_t tfl_ref_transpose_conv;
extern const tfl_kernel_t tfl_ref_batch_matmul;

#endif
