/*
 * Helpers shared by kernels: tensor access, option reading, arena allocation and the
 * fixed-point arithmetic of the TFLite quantization spec (gemmlowp-style rounding).
 */
#ifndef TFL_KERNEL_H
#define TFL_KERNEL_H

#include "tfl/fb.h"
#include "tfl/tfl.h"

/* Fused activation codes (ActivationFunctionType). */
enum { TFL_ACT_NONE = 0, TFL_ACT_RELU = 1, TFL_ACT_RELU_N1_TO_1 = 2, TFL_ACT_RELU6 = 3 };
/* BuiltinOptions union tags used by the kernels. */
enum {
    TFL_OPT_CONV2D = 1, TFL_OPT_DEPTHWISE = 2, TFL_OPT_POOL2D = 5, TFL_OPT_SVDF = 6,
    TFL_OPT_FC = 8, TFL_OPT_SOFTMAX = 9, TFL_OPT_CONCAT = 10, TFL_OPT_ADD = 11,
    TFL_OPT_RESHAPE = 17, TFL_OPT_MUL = 21, TFL_OPT_PAD = 22, TFL_OPT_REDUCER = 27
};

/* Input/output i of a node (NULL for an absent optional input). */
tfl_tensor_t *tfl_node_input(tfl_interp_t *ip, const tfl_node_t *n, uint32_t i);
tfl_tensor_t *tfl_node_output(tfl_interp_t *ip, const tfl_node_t *n, uint32_t i);

/* Allocate kernel data at the arena tail; NULL (and ip->error set) when it does not fit. */
void *tfl_alloc_persistent(tfl_interp_t *ip, uint32_t bytes);

/* Options of the node: value of field `slot`; `size` in bytes; default when absent. */
int32_t tfl_opt_i32(tfl_interp_t *ip, const tfl_node_t *n, uint32_t slot, uint32_t size, int32_t dflt);
float tfl_opt_f32(tfl_interp_t *ip, const tfl_node_t *n, uint32_t slot, float dflt);
/* Fail with TFL_ERR_BAD_PARAMS unless the node carries options of union type `type`. */
tfl_status_t tfl_require_options(tfl_interp_t *ip, const tfl_node_t *n, uint8_t type);

/* Record an op-level error and return its code. */
tfl_status_t tfl_fail(tfl_interp_t *ip, tfl_status_t code, int32_t tensor_index);
int32_t tfl_tensor_index(tfl_interp_t *ip, const tfl_tensor_t *t);

uint32_t tfl_num_elements(const tfl_tensor_t *t);
float tfl_scale_at(const tfl_tensor_t *t, uint32_t i);
int32_t tfl_zero_point_at(const tfl_tensor_t *t, uint32_t i);
int tfl_same_shape(const tfl_tensor_t *a, const tfl_tensor_t *b);
/* Dimension i counted from the end when negative; 1 for missing leading dims. */
int32_t tfl_dim(const tfl_tensor_t *t, int32_t i);

/* Checks that fail the op with the proper code. */
tfl_status_t tfl_check_type(tfl_interp_t *ip, const tfl_tensor_t *t, uint8_t type);
tfl_status_t tfl_check_ndim(tfl_interp_t *ip, const tfl_tensor_t *t, uint32_t ndim);

/* ---- quantization arithmetic ---- */

/* Real multiplier -> Q31 significand and power-of-two exponent (TFLite convention).
   Returns non-zero (and q = shift = 0) when m is negative, not finite or too large. */
int tfl_quantize_multiplier(double m, int32_t *q, int32_t *shift);
/* Clamp range of a fused activation for an int8 output; non-zero on unsupported act. */
int tfl_activation_range_int8(int32_t act, float scale, int32_t zp, int32_t *lo, int32_t *hi);
/* The same for an int16 output (range -32768..32767). */
int tfl_activation_range_int16(int32_t act, float scale, int32_t zp, int32_t *lo, int32_t *hi);

/* Output size (-1 when invalid: stride/dilation outside 1..TFL_MAX_STRIDE, dilated filter
   over 2^24, empty output)
   and padding (TFLite's SAME/VALID rules).  An output size that came out right bounds the
   padding by the input size, so kernels may use it in int32 arithmetic. */
#define TFL_MAX_STRIDE 65535
int32_t tfl_out_size(int32_t padding, int32_t in, int32_t filter, int32_t stride, int32_t dilation);
int32_t tfl_padding(int32_t stride, int32_t dilation, int32_t in, int32_t filter, int32_t out);

static inline int32_t tfl_srdhm(int32_t a, int32_t b)
{
    int64_t ab;
    int32_t nudge;
    if (a == b && a == INT32_MIN)
        return INT32_MAX;
    ab = (int64_t)a * (int64_t)b;
    nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

static inline int32_t tfl_rdbpot(int32_t x, int32_t exponent)
{
    int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
    int32_t remainder = x & mask;
    int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* x * q * 2^(shift-31) with one rounding (half up) of the 64-bit product. */
static inline int32_t tfl_mbqm_single(int32_t x, int32_t q, int32_t shift)
{
    int32_t total_shift = 31 - shift;
    int64_t r = (int64_t)x * q + ((int64_t)1 << (total_shift - 1));
    return (int32_t)(r >> total_shift);
}

#ifndef TFL_SINGLE_ROUNDING
#define TFL_SINGLE_ROUNDING 0
#endif

static inline int32_t tfl_mbqm(int32_t x, int32_t q, int32_t shift)
{
#if TFL_SINGLE_ROUNDING
    return tfl_mbqm_single(x, q, shift);
#else
    int32_t left = shift > 0 ? shift : 0;
    int32_t right = shift > 0 ? 0 : -shift;
    return tfl_rdbpot(tfl_srdhm((int32_t)((uint32_t)x << left), q), right);
#endif
}

/* The 64-bit accumulator rescale of the 16x8 kernels: the Q31 multiplier rounded to Q15
   (half up; 0x7FFF from 0x7FFF0000 on), then one rounding (half up) of the 64-bit product
   x * q15 * 2^(shift-15).  shift must be <= 14 (kernels check it in prepare).  Products that
   leave int64 wrap, and the result keeps the low 32 bits, instead of undefined behaviour. */
static inline int32_t tfl_mbqm64(int64_t x, int32_t q, int32_t shift)
{
    int32_t reduced = q < 0x7FFF0000 ? (q + (1 << 15)) >> 16 : 0x7FFF;
    int32_t total_shift = 15 - shift;
    uint64_t r = (uint64_t)x * (uint64_t)(int64_t)reduced + ((uint64_t)1 << (total_shift - 1));
    return (int32_t)(uint32_t)(uint64_t)((int64_t)r >> total_shift);
}

static inline int32_t tfl_clamp(int32_t v, int32_t lo, int32_t hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

#endif
