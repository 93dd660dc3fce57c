/*
 * Shared by the optimized kernels: the DSP-extension primitives they are written in, and the
 * zero-point folding they all use.
 *
 * With the DSP extension (__ARM_FEATURE_DSP: Cortex-M4/M7/M33) the primitives are the ACLE
 * intrinsics of <arm_acle.h>; TFL_OPT_DSP_EMULATE gives the same primitives in plain C, so a
 * host build runs (and tests) the DSP code paths bit for bit; without either the kernels take
 * their portable C loops (Cortex-M0+/M3).
 *
 * Zero-point folding: sum_k f[k] * (x[k] + in_off) + b equals, modulo 2^32 (the wrapping int32
 * sum the reference kernels compute), sum_k f[k] * x[k] + (b + in_off * sum_k f[k]). The second
 * term is per output channel and computed once in prepare, so the inner loops multiply the raw
 * int8 values. Where a window leaves the input, an im2col column holds the input zero point
 * (x + in_off = 0) so every tap still counts, as the folded term assumes.
 */
#ifndef TFL_OPT_COMMON_H
#define TFL_OPT_COMMON_H

#include <string.h>

#include "tfl/kernel.h"

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#include <arm_acle.h>
#define TFL_OPT_DSP 1
/* bytes 0 and 2 sign-extended to halfwords */
static inline uint32_t opt_sxtb16(uint32_t x) { return (uint32_t)__sxtb16((int8x4_t)x); }
/* a + bytes 0 and 2 of b, per halfword */
static inline uint32_t opt_sxtab16(uint32_t a, uint32_t b) { return (uint32_t)__sxtab16((int16x2_t)a, (int8x4_t)b); }
/* acc + lo(a)*lo(b) + hi(a)*hi(b) (wraps; the Q flag is not used) */
static inline int32_t opt_smlad(uint32_t a, uint32_t b, int32_t acc)
{
    return __smlad((int16x2_t)a, (int16x2_t)b, acc);
}
static inline int32_t opt_smlabb(uint32_t a, uint32_t b, int32_t acc) { return __smlabb((int32_t)a, (int32_t)b, acc); }
static inline int32_t opt_smlatt(uint32_t a, uint32_t b, int32_t acc) { return __smlatt((int32_t)a, (int32_t)b, acc); }
#elif defined(TFL_OPT_DSP_EMULATE)
#define TFL_OPT_DSP 1
static inline uint32_t opt_h(int32_t lo, int32_t hi) { return ((uint32_t)lo & 0xFFFFu) | ((uint32_t)hi << 16); }
static inline int32_t opt_lo(uint32_t x) { return (int32_t)(int16_t)(uint16_t)(x & 0xFFFFu); }
static inline int32_t opt_hi(uint32_t x) { return (int32_t)(int16_t)(uint16_t)(x >> 16); }
static inline uint32_t opt_sxtb16(uint32_t x)
{
    return opt_h((int32_t)(int8_t)(uint8_t)(x & 0xFFu), (int32_t)(int8_t)(uint8_t)((x >> 16) & 0xFFu));
}
static inline uint32_t opt_sxtab16(uint32_t a, uint32_t b)
{
    const uint32_t e = opt_sxtb16(b);
    return opt_h(opt_lo(a) + opt_lo(e), opt_hi(a) + opt_hi(e));
}
static inline int32_t opt_smlad(uint32_t a, uint32_t b, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(opt_lo(a) * opt_lo(b)) + (uint32_t)(opt_hi(a) * opt_hi(b)));
}
static inline int32_t opt_smlabb(uint32_t a, uint32_t b, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(opt_lo(a) * opt_lo(b)));
}
static inline int32_t opt_smlatt(uint32_t a, uint32_t b, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(opt_hi(a) * opt_hi(b)));
}
#else
#define TFL_OPT_DSP 0
#endif

#if TFL_OPT_DSP
static inline uint32_t opt_ror8(uint32_t x) { return (x >> 8) | (x << 24); }
#endif

/* four bytes from any address (one LDR where unaligned access is allowed) */
static inline uint32_t opt_rd32(const int8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* Wrapping int32 dot product of n int8 pairs. */
static inline int32_t opt_dot(const int8_t *a, const int8_t *b, int32_t n)
{
    uint32_t acc = 0;
    int32_t k = 0;
#if TFL_OPT_DSP
    int32_t s = 0;
    for (; k + 4 <= n; k += 4) {
        const uint32_t x = opt_rd32(a + k), w = opt_rd32(b + k);
        s = opt_smlad(opt_sxtb16(x), opt_sxtb16(w), s);
        s = opt_smlad(opt_sxtb16(opt_ror8(x)), opt_sxtb16(opt_ror8(w)), s);
    }
    acc = (uint32_t)s;
#endif
    for (; k < n; k++)
        acc += (uint32_t)((int32_t)a[k] * (int32_t)b[k]);
    return (int32_t)acc;
}

/* Wrapping int32 sum of n int8 values. */
static inline int32_t opt_sum(const int8_t *a, int32_t n)
{
    uint32_t acc = 0;
    int32_t k;
    for (k = 0; k < n; k++)
        acc += (uint32_t)(int32_t)a[k];
    return (int32_t)acc;
}

/* The 2x2 block: rows a, b (two input columns) against filters w0, w1 over n values;
 * acc[0] = a.w0, acc[1] = a.w1, acc[2] = b.w0, acc[3] = b.w1 (wrapping). */
static inline void opt_dot_2x2(const int8_t *a, const int8_t *b, const int8_t *w0, const int8_t *w1, int32_t n,
                               int32_t acc[4])
{
    int32_t k = 0;
    uint32_t s00 = 0, s01 = 0, s10 = 0, s11 = 0;
#if TFL_OPT_DSP
    int32_t t00 = 0, t01 = 0, t10 = 0, t11 = 0;
    for (; k + 4 <= n; k += 4) {
        const uint32_t xa = opt_rd32(a + k), xb = opt_rd32(b + k);
        const uint32_t f0 = opt_rd32(w0 + k), f1 = opt_rd32(w1 + k);
        const uint32_t a02 = opt_sxtb16(xa), a13 = opt_sxtb16(opt_ror8(xa));
        const uint32_t b02 = opt_sxtb16(xb), b13 = opt_sxtb16(opt_ror8(xb));
        const uint32_t f002 = opt_sxtb16(f0), f013 = opt_sxtb16(opt_ror8(f0));
        const uint32_t f102 = opt_sxtb16(f1), f113 = opt_sxtb16(opt_ror8(f1));
        t00 = opt_smlad(a02, f002, t00);
        t00 = opt_smlad(a13, f013, t00);
        t01 = opt_smlad(a02, f102, t01);
        t01 = opt_smlad(a13, f113, t01);
        t10 = opt_smlad(b02, f002, t10);
        t10 = opt_smlad(b13, f013, t10);
        t11 = opt_smlad(b02, f102, t11);
        t11 = opt_smlad(b13, f113, t11);
    }
    s00 = (uint32_t)t00;
    s01 = (uint32_t)t01;
    s10 = (uint32_t)t10;
    s11 = (uint32_t)t11;
#endif
    for (; k < n; k++) {
        const int32_t xa = a[k], xb = b[k], f0 = w0[k], f1 = w1[k];
        s00 += (uint32_t)(xa * f0);
        s01 += (uint32_t)(xa * f1);
        s10 += (uint32_t)(xb * f0);
        s11 += (uint32_t)(xb * f1);
    }
    acc[0] = (int32_t)s00;
    acc[1] = (int32_t)s01;
    acc[2] = (int32_t)s10;
    acc[3] = (int32_t)s11;
}

/* Folded per-channel constant: bias[c] + in_off * sum of filter c's n weights (wrapping). */
static inline int32_t opt_fold(int32_t bias, int32_t in_off, const int8_t *w, int32_t n)
{
    return (int32_t)((uint32_t)bias + (uint32_t)in_off * (uint32_t)opt_sum(w, n));
}

#endif
