/*
 * Shared by the int8/int16 activation kernels (activation.c, tanh.c, logistic.c, softmax16.c):
 * gemmlowp-style fixed-point helpers on int32 raw values, the 16-bit sigmoid table TFLite's
 * int16 LOGISTIC/TANH interpolate, and the 513-entry int16 LUTs its int16 SOFTMAX uses.
 */
#ifndef TFL_REF_ACT_COMMON_H
#define TFL_REF_ACT_COMMON_H

#include "tfl/kernel.h"

/* ArgMaxOptions / ArgMinOptions union tags */
enum { TFL_OPT_ARG_MAX = 40, TFL_OPT_ARG_MIN = 57 };

/* sigmoid(i / 24) in unsigned Q0.16, i = 0..255 (TFLite's sigmoid_table_uint16 values). */
extern const uint16_t tfl_ref_sigmoid_q16[256];

/* 513-entry table of f over [lo, hi] with outputs in [-1, 1] as int16 (TFLite's float LUT
 * generator, midpoint bias correction included), and its interpolating lookup. */
void tfl_ref_lut16_fill(float (*f)(float), float lo, float hi, int16_t *lut);
int16_t tfl_ref_lut16_lookup(int16_t x, const int16_t *lut);

/* Fixed-point arithmetic (raw int32 values; the number of integer bits is in the names). */
static inline int32_t tfl_fx_add(int32_t a, int32_t b) { return (int32_t)((uint32_t)a + (uint32_t)b); }
static inline int32_t tfl_fx_sub(int32_t a, int32_t b) { return (int32_t)((uint32_t)a - (uint32_t)b); }

/* x * 2^e, saturating when e > 0, rounding to nearest when e < 0. */
static inline int32_t tfl_fx_mul_pot(int32_t x, int32_t e)
{
    if (e > 0) {
        const int32_t lim = (int32_t)((1u << (31 - e)) - 1);
        if (x > lim)
            return INT32_MAX;
        if (x < -lim)
            return INT32_MIN;
        return (int32_t)((uint32_t)x << e);
    }
    return e < 0 ? tfl_rdbpot(x, -e) : x;
}

/* exp(a) for a <= 0 with `int_bits` integer bits (1..5); result in Q0.31. */
int32_t tfl_fx_exp_neg(int32_t a, int32_t int_bits);
/* (1 - x) / (1 + x) for x in [0, 1], Q0.31 in and out. */
int32_t tfl_fx_one_minus_x_over_one_plus_x(int32_t a);
/* 1 / (1 + x) for x in [0, 1], Q0.31 in and out. */
int32_t tfl_fx_one_over_one_plus_x(int32_t a);
/* log(x) for x >= 1 given in Q12.19; result in Q5.26 (TFLite's log_x_for_x_greater_than_or_equal_to_1). */
int32_t tfl_fx_log_q12_to_q5(int32_t x);
/* gemmlowp's tanh: Q(int_bits) in, Q0.31 out. */
int32_t tfl_fx_tanh(int32_t a, int32_t int_bits);

/* Leading zero bits of x (32 for 0). */
int32_t tfl_ref_clz32(uint32_t x);
/* floor(((2^int_bits - 1) * 2^(31 - int_bits)) / 2^left_shift): inputs at or beyond it saturate. */
int32_t tfl_ref_input_radius(int32_t int_bits, int32_t left_shift);
/* log2 of a scale when it is a power of two to within 1e-3 (as TFLite's CheckedLog2). */
int tfl_ref_checked_log2(float scale, int32_t *log2_out);

/* Shared entry points between the files of this family. */
tfl_status_t tfl_ref_softmax16_prepare(tfl_interp_t *ip, tfl_node_t *n, float beta);
tfl_status_t tfl_ref_reduce_prepare(tfl_interp_t *ip, tfl_node_t *n, int32_t kind);
int32_t tfl_ref_lut_input_scaling(float scale, int32_t max_pot_shift, int32_t *mult, int32_t *shift);

#endif
