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
/* bytes 1 and 3 sign-extended (SXTB16's rotate, which ACLE does not expose and GCC does not
 * fold from a separate rotate) */
static inline uint32_t opt_sxtb16_ror8(uint32_t x)
{
    uint32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}
static inline uint32_t opt_sxtab16_ror8(uint32_t a, uint32_t b)
{
    uint32_t r;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(b));
    return r;
}
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
static inline uint32_t opt_sxtb16_ror8(uint32_t x) { return opt_sxtb16((x >> 8) | (x << 24)); }
static inline uint32_t opt_sxtab16_ror8(uint32_t a, uint32_t b) { return opt_sxtab16(a, (b >> 8) | (b << 24)); }
#else
#define TFL_OPT_DSP 0
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
        s = opt_smlad(opt_sxtb16_ror8(x), opt_sxtb16_ror8(w), s);
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
        const uint32_t a02 = opt_sxtb16(xa), a13 = opt_sxtb16_ror8(xa);
        const uint32_t b02 = opt_sxtb16(xb), b13 = opt_sxtb16_ror8(xb);
        const uint32_t f002 = opt_sxtb16(f0), f013 = opt_sxtb16_ror8(f0);
        const uint32_t f102 = opt_sxtb16(f1), f113 = opt_sxtb16_ror8(f1);
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

#if TFL_OPT_DSP
/* Words two columns of n int8 values are expanded to for the DSP matrix product. */
static inline uint32_t opt_expanded_words(int32_t n) { return 4u * (uint32_t)(n / 4) + (uint32_t)(n % 4); }

/* Columns a and b interleaved as halfwords: per group of four values (a0, a2), (a1, a3),
 * (b0, b2), (b1, b3) (the pairs SXTB16 makes of the filter words), then the n % 4 tail as
 * (a, b) int16 pairs. One pointer walks both columns, which leaves registers for the sums. */
static inline void opt_expand2(const int8_t *a, const int8_t *b, int32_t n, uint32_t *dst)
{
    int32_t g;
    int16_t *tail;
    for (g = 0; g + 4 <= n; g += 4) {
        const uint32_t va = opt_rd32(a + g), vb = opt_rd32(b + g);
        dst[0] = opt_sxtb16(va);
        dst[1] = opt_sxtb16_ror8(va);
        dst[2] = opt_sxtb16(vb);
        dst[3] = opt_sxtb16_ror8(vb);
        dst += 4;
    }
    tail = (int16_t *)dst;
    for (; g < n; g++) {
        *tail++ = a[g];
        *tail++ = b[g];
    }
}

/* The 2x2 block on two expanded columns e against int8 filter rows w0 and w0 + n; acc as
 * opt_dot_2x2. Only the filters are sign-extended in the loop. */
static inline void opt_dot16_2x2(const uint32_t *e, const int8_t *w0, int32_t n, int32_t acc[4])
{
    int32_t t00 = 0, t01 = 0, t10 = 0, t11 = 0, g;
    const int8_t *end = w0 + (n & ~3);
    const int16_t *et;
    while (w0 != end) {
        const uint32_t f0 = opt_rd32(w0), f1 = opt_rd32(w0 + n);
        const uint32_t f002 = opt_sxtb16(f0), f013 = opt_sxtb16_ror8(f0);
        const uint32_t f102 = opt_sxtb16(f1), f113 = opt_sxtb16_ror8(f1);
        t00 = opt_smlad(e[0], f002, t00);
        t00 = opt_smlad(e[1], f013, t00);
        t10 = opt_smlad(e[2], f002, t10);
        t10 = opt_smlad(e[3], f013, t10);
        t01 = opt_smlad(e[0], f102, t01);
        t01 = opt_smlad(e[1], f113, t01);
        t11 = opt_smlad(e[2], f102, t11);
        t11 = opt_smlad(e[3], f113, t11);
        e += 4;
        w0 += 4;
    }
    et = (const int16_t *)e;
    for (g = 0; g < n % 4; g++) {
        const int32_t f0 = w0[g], f1 = w0[n + g];
        t00 = (int32_t)((uint32_t)t00 + (uint32_t)(et[2 * g] * f0));
        t01 = (int32_t)((uint32_t)t01 + (uint32_t)(et[2 * g] * f1));
        t10 = (int32_t)((uint32_t)t10 + (uint32_t)(et[2 * g + 1] * f0));
        t11 = (int32_t)((uint32_t)t11 + (uint32_t)(et[2 * g + 1] * f1));
    }
    acc[0] = t00;
    acc[1] = t01;
    acc[2] = t10;
    acc[3] = t11;
}

/* Both expanded columns against one filter (the odd last output channel): acc[0] for a,
 * acc[1] for b. */
static inline void opt_dot16_2x1(const uint32_t *e, const int8_t *w, int32_t n, int32_t acc[2])
{
    int32_t ta = 0, tb = 0, g;
    const int16_t *et;
    for (g = n / 4; g > 0; g--) {
        const uint32_t f = opt_rd32(w), f02 = opt_sxtb16(f), f13 = opt_sxtb16_ror8(f);
        ta = opt_smlad(e[0], f02, ta);
        ta = opt_smlad(e[1], f13, ta);
        tb = opt_smlad(e[2], f02, tb);
        tb = opt_smlad(e[3], f13, tb);
        e += 4;
        w += 4;
    }
    et = (const int16_t *)e;
    for (g = 0; g < n % 4; g++) {
        ta = (int32_t)((uint32_t)ta + (uint32_t)(et[2 * g] * w[g]));
        tb = (int32_t)((uint32_t)tb + (uint32_t)(et[2 * g + 1] * w[g]));
    }
    acc[0] = ta;
    acc[1] = tb;
}
#endif

/* tfl_mbqm (the reference kernels' MultiplyByQuantizedMultiplier), the same bits in fewer
 * instructions: q from tfl_quantize_multiplier is in [0, 2^31), so SaturatingRoundingDoublingHighMul
 * never saturates, and its truncating (ab + nudge) / 2^31 equals (ab + 2^30) >> 31 for either
 * sign of ab (for ab < 0: trunc((ab + 1 - 2^30) / 2^31) = floor((ab + 2^30) / 2^31)). */
static inline __attribute__((always_inline)) int32_t opt_mbqm(int32_t x, int32_t q, int32_t shift)
{
#if TFL_SINGLE_ROUNDING
    return tfl_mbqm_single(x, q, shift);
#else
    /* branch-free: the left shift, the high multiply, then tfl_rdbpot's rounding (a right
       shift of 0 leaves r as it is: mask 0, remainder 0) */
    const int32_t left = shift & ~(shift >> 31), right = left - shift;
    const int64_t ab = (int64_t)(int32_t)((uint32_t)x << left) * q;
    const int32_t r = (int32_t)((ab + (1 << 30)) >> 31);
    const int32_t mask = (int32_t)((1u << right) - 1u);
    const int32_t threshold = (mask >> 1) + (int32_t)((uint32_t)r >> 31);
    return (r >> right) + ((r & mask) > threshold);
#endif
}

/* One int8 output: acc rescaled (opt_mbqm), offset and clamped. Kernels pass plain locals so
 * the int8 output stores (which may alias anything) do not make the compiler reload them. */
static inline __attribute__((always_inline)) int8_t opt_out8(int32_t acc, int32_t q, int32_t shift, int32_t out_off,
                                                           int32_t lo, int32_t hi)
{
    int32_t v = opt_mbqm(acc, q, shift) + out_off;
    v = v < lo ? lo : v; /* two conditional moves, where tfl_clamp's nesting compiles to branches */
    v = v > hi ? hi : v;
    return (int8_t)v;
}

/* Folded per-channel constant: bias[c] + in_off * sum of filter c's n weights (wrapping). */
static inline int32_t opt_fold(int32_t bias, int32_t in_off, const int8_t *w, int32_t n)
{
    return (int32_t)((uint32_t)bias + (uint32_t)in_off * (uint32_t)opt_sum(w, n));
}

/* Per-byte signed maximum and minimum of four int8 lanes (MAX_POOL_2D, clamps). With the DSP
 * extension SSUB8 sets the GE flag of each lane where a >= b and SEL picks those lanes from a
 * (ARMv7-M ARM A7.7.175 SSUB8, A7.7.127 SEL); one asm block keeps the flags between them. */
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
static inline uint32_t opt_max8x4(uint32_t a, uint32_t b)
{
    uint32_t r;
    __asm__("ssub8 %0, %1, %2\n\tsel %0, %1, %2" : "=&r"(r) : "r"(a), "r"(b) : "cc");
    return r;
}
static inline uint32_t opt_min8x4(uint32_t a, uint32_t b)
{
    uint32_t r;
    __asm__("ssub8 %0, %1, %2\n\tsel %0, %2, %1" : "=&r"(r) : "r"(a), "r"(b) : "cc");
    return r;
}
#elif defined(TFL_OPT_DSP_EMULATE)
static inline uint32_t opt_lanes8(uint32_t a, uint32_t b, int want_max)
{
    uint32_t r = 0;
    int k;
    for (k = 0; k < 32; k += 8) {
        const int32_t x = (int8_t)(uint8_t)(a >> k), y = (int8_t)(uint8_t)(b >> k);
        const int32_t v = (x >= y) == (want_max != 0) ? x : y;
        r |= ((uint32_t)v & 0xFFu) << k;
    }
    return r;
}
static inline uint32_t opt_max8x4(uint32_t a, uint32_t b) { return opt_lanes8(a, b, 1); }
static inline uint32_t opt_min8x4(uint32_t a, uint32_t b) { return opt_lanes8(a, b, 0); }
#endif

/* four bytes to any address */
static inline void opt_wr32(int8_t *p, uint32_t v) { memcpy(p, &v, 4); }

/* v replicated into the two halfwords (the offsets SXTAB16 adds) and the four bytes */
static inline uint32_t opt_dup16(int32_t v) { return ((uint32_t)v & 0xFFFFu) * 0x00010001u; }
static inline uint32_t opt_dup8(int32_t v) { return ((uint32_t)v & 0xFFu) * 0x01010101u; }

/* the reference pooling's average: the sum divided by count, rounding half away from zero */
static inline int32_t opt_div_round(int32_t acc, int32_t count)
{
    return acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
}

/* Whether `small` broadcasts over `full` (which has the output's shape) by blocks: its dims,
 * aligned right with the output's, equal the output's up to some axis and are 1 before it (a
 * per-channel scale or offset, a row, a scalar). Then output element o * inner + j pairs full's
 * element o * inner + j with small's element j; *inner is the product of those trailing dims. */
static inline int opt_block_bcast(const tfl_tensor_t *small, const tfl_tensor_t *full, const tfl_tensor_t *out,
                                  uint32_t *inner)
{
    uint32_t n = 1;
    int32_t j = (int32_t)small->ndim - 1, k = (int32_t)out->ndim - 1;
    if (!tfl_same_shape(full, out) || small->ndim > out->ndim)
        return 0;
    for (; j >= 0 && small->dims[j] == out->dims[k]; j--, k--)
        n *= (uint32_t)out->dims[k];
    for (; j >= 0; j--)
        if (small->dims[j] != 1)
            return 0;
    *inner = n;
    return 1;
}

/* Which input of a binary op broadcasts by blocks (prepare saw one of the two forms hold): 1 for
 * b, 0 for a; *inner is the block length (the output's size when neither broadcasts).
 * always_inline here and below: inlined, the kernels compile to the same code as with the loop
 * written in each (the block function's call stays direct and is inlined). */
static inline __attribute__((always_inline)) int opt_bcast_b(const tfl_tensor_t *a, const tfl_tensor_t *b,
                                                             const tfl_tensor_t *out, uint32_t *inner)
{
    const int b_small = opt_block_bcast(b, a, out, inner);
    if (!b_small)
        opt_block_bcast(a, b, out, inner);
    return b_small;
}

/* An elementwise kernel's loop over `n` elements of int8 or int16 operands. */
typedef void (*opt_block_fn)(const void *d, const void *x1, const void *x2, void *y, uint32_t n, int is16);

/* `block` over the output in blocks of `inner` elements of `size` bytes, the broadcast input
 * (b when b_small, else a) starting again at each block. */
static inline __attribute__((always_inline)) void opt_bcast_blocks(opt_block_fn block, const void *d,
                                                                  const uint8_t *x1, const uint8_t *x2, uint8_t *y,
                                                                  uint32_t total, uint32_t inner, uint32_t size,
                                                                  int is16, int b_small)
{
    uint32_t o;
    for (o = 0; o < total; o += inner) {
        const uint32_t at = o * size;
        block(d, b_small ? x1 + at : x1, b_small ? x2 : x2 + at, y + at, inner, is16);
    }
}

#endif
