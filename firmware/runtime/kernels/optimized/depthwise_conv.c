/* DEPTHWISE_CONV_2D, optimized (int8, channel multiplier 1): the reference prepare, then per
 * output pixel two passes. The first sums the window clipped to the input (the border's missing
 * taps are skipped, not padded) into one int32 per channel, four channels at a time on the DSP
 * extension: one word of inputs per tap, SXTAB16 adding the input offset while it sign-extends,
 * one SMLABB/SMLATT per product; whole 3x3 windows and 3x3 windows clipped to 3x2, 2x3, 2x2 are
 * one asm block a group. The second requantizes from a per-channel table (bias, multiplier,
 * shift and rounding constant). Table, sums and the filter widened for the tap loops live in a
 * fixed buffer on the stack, filled at each eval for a chunk of channels at a time, so the op
 * needs no arena beyond the reference's. Other multipliers and 16x8 run on the reference
 * kernels. The sums and the rounding are the reference's, so the bits are too. */
#include "opt_common.h"
#include "ref_kernels.h"
#if defined(__ARM_FEATURE_SAT) && __ARM_FEATURE_SAT
#include <arm_acle.h>
#endif

extern const tfl_kernel_t tfl_opt_depthwise_conv_2d;

/* Per output channel, in the order the requantization loop loads them. */
typedef struct {
    int32_t bias, mult, right, half; /* right = -shift, half = 2^(right-1) (fast rounding only) */
} dw_chan_t;

typedef struct {
    const tfl_ref_dw_data_t *ref;
    int32_t fast; /* dw_rq_fast is exact for every channel and every reachable sum (prepare) */
} opt_dw_t;

/* The eval's buffer (words) and the most pixels summed before one requantization pass. */
#define DW_BUF_WORDS 1280
#define DW_RUN 16

static tfl_status_t prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_status_t s = tfl_ref_depthwise_conv_2d.prepare(ip, n);
    const tfl_tensor_t *w, *bias;
    const tfl_ref_dw_data_t *d;
    opt_dw_t *o;
    int32_t ch, c;
    int64_t taps, bmax = 0;
    if (s != TFL_OK || n->kernel != &tfl_opt_depthwise_conv_2d) /* 16x8: the reference 16x8 kernel */
        return s;
    d = (const tfl_ref_dw_data_t *)n->data;
    w = tfl_node_input(ip, n, 1);
    bias = tfl_node_input(ip, n, 2);
    ch = w->dims[3];
    taps = (int64_t)w->dims[1] * w->dims[2];
    /* the buffer must hold four channels' table, sums and widened filter */
    if (d->depth_mult != 1 || 4 * (taps / 2 + 1 + 4 + DW_RUN) > DW_BUF_WORDS) {
        n->kernel = &tfl_ref_depthwise_conv_2d;
        return TFL_OK;
    }
    o = (opt_dw_t *)tfl_alloc_persistent(ip, sizeof(opt_dw_t));
    if (o == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    o->ref = d;
    o->fast = !TFL_SINGLE_ROUNDING;
    for (c = 0; c < ch; c++) {
        const int32_t b = bias ? ((const int32_t *)bias->data)[c] : 0;
        if (d->shift[c] > -1)
            o->fast = 0;
        bmax = b < 0 ? (-(int64_t)b > bmax ? -(int64_t)b : bmax) : (b > bmax ? b : bmax);
    }
    /* |sum| <= |bias| + taps * 255 * 128 ((x + in_off) in [-255, 255], weights in [-128, 127]) */
    if (bmax + taps * 255 * 128 >= ((int64_t)1 << 30))
        o->fast = 0;
    n->data = o;
    return TFL_OK;
}

/* The table of channels [c0, c0 + nc). */
static void dw_chan_fill(const tfl_ref_dw_data_t *d, const int32_t *bias, int32_t c0, int32_t nc, dw_chan_t *p)
{
    int32_t c;
    for (c = c0; c < c0 + nc; c++, p++) {
        p->bias = bias ? bias[c] : 0;
        p->mult = d->mult[c];
        p->right = -d->shift[c];
        p->half = p->right > 0 ? (int32_t)(1u << (p->right - 1)) : 0;
    }
}

/* (acc * q * 2^-31) rounded twice as tfl_mbqm does it (SaturatingRoundingDoublingHighMul, then
 * RoundingDivideByPOT by `right`), for right >= 1 and |acc| < 2^30 (prepare checks both):
 * SMMULR(2 acc, q) is (acc q + 2^30) >> 31 exactly, and rounding half away from zero by
 * 2^right is (r + half - (r < 0)) >> right, which cannot overflow since |r| < 2^29. */
static inline __attribute__((always_inline)) int32_t dw_rq_fast(int32_t acc, const dw_chan_t *p)
{
    int32_t r;
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
    __asm__("smmulr %0, %1, %2" : "=r"(r) : "r"((int32_t)((uint32_t)acc << 1)), "r"(p->mult));
#else
    r = (int32_t)(((int64_t)acc * 2 * p->mult + ((int64_t)1 << 31)) >> 32);
#endif
    return (r + (r >> 31) + p->half) >> p->right;
}

/* The nc output channels of npix consecutive pixels (ch apart in y) from their sums (nc a
 * pixel; the sums do not include the bias). The clamp to the whole int8 range (no activation,
 * or ReLU with the zero point at -128) is one SSAT. */
static __attribute__((noinline)) void dw_requant(const dw_chan_t *chan, int32_t fast, const int32_t *acc, int8_t *y,
                                                 int32_t nc, int32_t ch, int32_t npix, int32_t out_off, int32_t lo,
                                                 int32_t hi)
{
    const dw_chan_t *const end = chan + nc;
    const dw_chan_t *p;
    for (; npix > 0; npix--, y += ch - nc) {
        if (fast && lo == -128 && hi == 127) {
            for (p = chan; p != end; p++, acc++, y++) {
                const int32_t v = dw_rq_fast((int32_t)((uint32_t)*acc + (uint32_t)p->bias), p) + out_off;
#if defined(__ARM_FEATURE_SAT) && __ARM_FEATURE_SAT
                *y = (int8_t)__ssat(v, 8);
#else
                *y = (int8_t)(v < -128 ? -128 : (v > 127 ? 127 : v));
#endif
            }
        } else if (fast) {
            for (p = chan; p != end; p++, acc++, y++) {
                int32_t v = dw_rq_fast((int32_t)((uint32_t)*acc + (uint32_t)p->bias), p) + out_off;
                v = v < lo ? lo : v;
                v = v > hi ? hi : v;
                *y = (int8_t)v;
            }
        } else {
            for (p = chan; p != end; p++, acc++, y++)
                *y = opt_out8((int32_t)((uint32_t)*acc + (uint32_t)p->bias), p->mult, -p->right, out_off, lo, hi);
        }
    }
}

#if TFL_OPT_DSP
/* The filter's groups of four channels (of the nc from f, ch apart a tap) as the tap loops read
 * them: group g, tap t (ky * kw + kx) is two words, SXTB16 of the four weights (channels 4g,
 * 4g + 2) and of them rotated by 8 (4g + 1, 4g + 3). In RAM: read from flash, a group's taps are
 * a filter row apart, more lines than the ART data cache holds (RM0432 3.3.2), so every tap
 * would wait. */
static void dw_widen(const int8_t *f, int32_t taps, int32_t ch, int32_t nc, uint32_t *wide)
{
    int32_t c, t;
    for (c = 0; c + 4 <= nc; c += 4)
        for (t = 0; t < taps; t++) {
            const uint32_t v = opt_rd32(f + t * ch + c);
            *wide++ = opt_sxtb16(v);
            *wide++ = opt_sxtb16_ror8(v);
        }
}

/* One tap for four channels from the input word at xp and the widened weights at fp (two
 * words): a[k] += (x[k] + in_off) * f[k]. */
#define DW_TAP(xp, fp)                                                                           \
    do {                                                                                         \
        const uint32_t xv_ = opt_rd32(xp);                                                       \
        const uint32_t x02_ = opt_sxtab16(off2, xv_), x13_ = opt_sxtab16_ror8(off2, xv_);        \
        a0 = opt_smlabb(x02_, (fp)[0], a0);                                                      \
        a2 = opt_smlatt(x02_, (fp)[0], a2);                                                      \
        a1 = opt_smlabb(x13_, (fp)[1], a1);                                                      \
        a3 = opt_smlatt(x13_, (fp)[1], a3);                                                      \
    } while (0)

#define DW_STORE4(acc)                                                                           \
    do {                                                                                         \
        (acc)[0] = a0;                                                                           \
        (acc)[1] = a1;                                                                           \
        (acc)[2] = a2;                                                                           \
        (acc)[3] = a3;                                                                           \
    } while (0)

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
/* DW_TAP with the input word at XA; the weights post-incremented from fr */
#define DW_ASM_TAP(XA)                                                                           \
    "ldr %[t0], " XA "\n\t"                                                                      \
    "ldr %[t1], [%[fr]], #4\n\t"                                                                 \
    "ldr %[t2], [%[fr]], #4\n\t"                                                                 \
    "sxtab16 %[t3], %[off2], %[t0]\n\t"                                                          \
    "sxtab16 %[t0], %[off2], %[t0], ror #8\n\t"                                                  \
    "smlabb %[a0], %[t3], %[t1], %[a0]\n\t"                                                      \
    "smlatt %[a2], %[t3], %[t1], %[a2]\n\t"                                                      \
    "smlabb %[a1], %[t0], %[t2], %[a1]\n\t"                                                      \
    "smlatt %[a3], %[t0], %[t2], %[a3]\n\t"
#define DW_ASM_ROW                                                                               \
    DW_ASM_TAP("[%[xr]]")                                                                        \
    DW_ASM_TAP("[%[xr], %[ch]]")                                                                 \
    DW_ASM_TAP("[%[xr], %[ch], lsl #1]")                                                         \
    "add %[xr], %[xr], %[row]\n\t"
/* two taps of a row of a 3x3 filter, then past its third tap */
#define DW_ASM_ROW2                                                                              \
    DW_ASM_TAP("[%[xr]]")                                                                        \
    DW_ASM_TAP("[%[xr], %[ch]]")                                                                 \
    "add %[xr], %[xr], %[row]\n\t"                                                               \
    "add %[fr], %[fr], #8\n\t"
#define DW_ASM_OUT                                                                               \
    [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [xr] "+r"(xr), [fr] "+r"(fr),    \
        [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3)
#endif

/* npix pixels xstep apart, each a whole 3x3 window (dilation 1): the sums of channels
 * [0, nc & ~3) into acc (nc per pixel) from xp (the first window's top-left tap; channels ch
 * apart a tap); row = iw * ch.
 * On the Cortex-M the 9 taps of a group are one asm block (GCC's own schedule hoists the loads
 * and spills the sums); the widened weights of consecutive groups are consecutive. */
static __attribute__((noinline)) void dw_sums_3x3(const int8_t *xp, const uint32_t *wide, int32_t row, int32_t ch,
                                                  int32_t nc, uint32_t off2, int32_t *acc, int32_t npix,
                                                  int32_t xstep)
{
    const int32_t groups = nc >> 2;
    for (; npix > 0; npix--, xp += xstep, acc += nc) {
        const int8_t *xg = xp;
        const uint32_t *fr = wide;
        int32_t *ag = acc, g;
        for (g = groups; g > 0; g--, xg += 4, ag += 4) {
            int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
            const int8_t *xr = xg;
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
            uint32_t t0, t1, t2, t3;
            __asm__(DW_ASM_ROW DW_ASM_ROW DW_ASM_ROW : DW_ASM_OUT : [off2] "r"(off2), [ch] "r"(ch), [row] "r"(row)
                    : "memory");
#else
            int32_t ky;
            for (ky = 0; ky < 3; ky++, xr += row, fr += 6) {
                DW_TAP(xr, fr);
                DW_TAP(xr + ch, fr + 2);
                DW_TAP(xr + 2 * ch, fr + 4);
            }
#endif
            DW_STORE4(ag);
        }
    }
}

/* Any window of nky x nkx taps, channels [0, nc & ~3): xw points at its first tap (channel 0),
 * fw at that tap in the widened weights of group 0; xrow/xcol step one tap down/right in the
 * input. */
static __attribute__((noinline)) void dw_sums_any(const int8_t *xw, const uint32_t *fw, int32_t nky, int32_t nkx,
                                                  int32_t xrow, int32_t xcol, int32_t kw, int32_t taps, int32_t ch,
                                                  int32_t nc, uint32_t off2, int32_t *acc)
{
    int32_t c, ky, kx;
    (void)ch; /* the input's channel stride: only the asm paths need it apart from xcol */
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
    if (xcol == ch && kw == 3 && nky >= 2 && nky <= 3 && nkx >= 2 && nkx <= 3 && nky + nkx < 6) {
        /* a 3x3 filter's window clipped by the border to 3x2, 2x3 or 2x2 taps: one asm block a
           group (a 2-tap row then skips the filter's third tap) */
        const int32_t row = xrow, shape = nky * 4 + nkx;
        for (c = 0; c + 4 <= nc; c += 4, acc += 4, fw += 2 * taps) {
            int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
            const int8_t *xr = xw + c;
            const uint32_t *fr = fw;
            uint32_t t0, t1, t2, t3;
            if (shape == 3 * 4 + 2)
                __asm__(DW_ASM_ROW2 DW_ASM_ROW2 DW_ASM_ROW2
                        : DW_ASM_OUT : [off2] "r"(off2), [ch] "r"(ch), [row] "r"(row) : "memory");
            else if (shape == 2 * 4 + 3)
                __asm__(DW_ASM_ROW DW_ASM_ROW : DW_ASM_OUT : [off2] "r"(off2), [ch] "r"(ch), [row] "r"(row)
                        : "memory");
            else
                __asm__(DW_ASM_ROW2 DW_ASM_ROW2 : DW_ASM_OUT : [off2] "r"(off2), [ch] "r"(ch), [row] "r"(row)
                        : "memory");
            DW_STORE4(acc);
        }
        return;
    }
    if (xcol == ch && nkx >= 1 && nkx <= 3) { /* dilation 1, up to 3 taps a row: asm rows */
        const int32_t fskip = 2 * (kw - nkx), row = xrow;
        for (c = 0; c + 4 <= nc; c += 4, acc += 4, fw += 2 * taps) {
            int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
            const int8_t *xr = xw + c;
            const uint32_t *fr = fw;
            uint32_t t0, t1, t2, t3;
            for (ky = 0; ky < nky; ky++, fr += fskip) {
                if (nkx == 3)
                    __asm__(DW_ASM_ROW : DW_ASM_OUT : [off2] "r"(off2), [ch] "r"(ch), [row] "r"(row) : "memory");
                else if (nkx == 2)
                    __asm__(DW_ASM_TAP("[%[xr]]") DW_ASM_TAP("[%[xr], %[ch]]") "add %[xr], %[xr], %[row]\n\t"
                            : DW_ASM_OUT : [off2] "r"(off2), [ch] "r"(ch), [row] "r"(row) : "memory");
                else
                    __asm__(DW_ASM_TAP("[%[xr]]") "add %[xr], %[xr], %[row]\n\t"
                            : DW_ASM_OUT : [off2] "r"(off2), [row] "r"(row) : "memory");
            }
            DW_STORE4(acc);
        }
        return;
    }
#endif
    for (c = 0; c + 4 <= nc; c += 4, acc += 4, fw += 2 * taps) {
        int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        const int8_t *xr = xw + c;
        const uint32_t *frow = fw;
        for (ky = 0; ky < nky; ky++, xr += xrow, frow += 2 * kw) {
            const int8_t *xp = xr;
            const uint32_t *fp = frow;
            for (kx = 0; kx < nkx; kx++, xp += xcol, fp += 2)
                DW_TAP(xp, fp);
        }
        DW_STORE4(acc);
    }
}
#else
/* Without the DSP extension: the filter's groups of four channels as words, group g, tap t
 * (ky * kw + kx) at g * taps + t, so a group's taps are consecutive (one line of the flash
 * cache, not a filter row apart). */
static void dw_gather(const int8_t *f, int32_t taps, int32_t ch, int32_t nc, uint32_t *wide)
{
    int32_t c, t;
    for (c = 0; c + 4 <= nc; c += 4)
        for (t = 0; t < taps; t++)
            *wide++ = opt_rd32(f + t * ch + c);
}

/* Byte k of v, sign-extended (SXTB with a rotation on the M3) */
#define DW_B(v, k) ((int32_t)(int8_t)(uint8_t)((v) >> (8 * (k))))

/* Any window of nky x nkx taps, channels [0, nc & ~3), four at a time from one input word and
 * one filter word a tap: xw points at the window's first tap (channel 0), fw at that tap in the
 * gathered filter of group 0. */
static __attribute__((noinline)) void dw_sums_c4(const int8_t *xw, const uint32_t *fw, int32_t nky, int32_t nkx,
                                                 int32_t xrow, int32_t xcol, int32_t kw, int32_t taps, int32_t nc,
                                                 int32_t in_off, int32_t *acc)
{
    int32_t c, ky, kx;
    for (c = 0; c + 4 <= nc; c += 4, acc += 4, fw += taps) {
        uint32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        const int8_t *xr = xw + c;
        const uint32_t *frow = fw;
        for (ky = 0; ky < nky; ky++, xr += xrow, frow += kw) {
            const int8_t *xp = xr;
            const uint32_t *fp = frow;
            for (kx = 0; kx < nkx; kx++, xp += xcol, fp++) {
                const uint32_t xv = opt_rd32(xp), fv = *fp;
                a0 += (uint32_t)((DW_B(xv, 0) + in_off) * DW_B(fv, 0));
                a1 += (uint32_t)((DW_B(xv, 1) + in_off) * DW_B(fv, 1));
                a2 += (uint32_t)((DW_B(xv, 2) + in_off) * DW_B(fv, 2));
                a3 += (uint32_t)((DW_B(xv, 3) + in_off) * DW_B(fv, 3));
            }
        }
        acc[0] = (int32_t)a0;
        acc[1] = (int32_t)a1;
        acc[2] = (int32_t)a2;
        acc[3] = (int32_t)a3;
    }
}
#endif

/* Channels [c0, nc) of one window of nky x nkx taps, one at a time: xw and fw point at its first
 * tap (channel 0) in the input and the filter (channels ch apart a tap). */
static void dw_tail(const int8_t *xw, const int8_t *fw, int32_t nky, int32_t nkx, int32_t xrow, int32_t xcol,
                    int32_t frow, int32_t ch, int32_t c0, int32_t nc, int32_t in_off, int32_t *acc)
{
    int32_t c, ky, kx;
    for (c = c0; c < nc; c++) {
        uint32_t a = 0;
        const int8_t *xr = xw + c, *fr = fw + c;
        for (ky = 0; ky < nky; ky++, xr += xrow, fr += frow) {
            const int8_t *xp = xr, *fp = fr;
            for (kx = 0; kx < nkx; kx++, xp += xcol, fp += ch)
                a += (uint32_t)((int32_t)*fp * ((int32_t)*xp + in_off));
        }
        acc[c] = (int32_t)a;
    }
}

static tfl_status_t eval(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *w = tfl_node_input(ip, n, 1);
    const tfl_tensor_t *bias = tfl_node_input(ip, n, 2), *out = tfl_node_output(ip, n, 0);
    const opt_dw_t *o = (const opt_dw_t *)n->data;
    const tfl_ref_dw_data_t *d = o->ref;
    const int8_t *x = (const int8_t *)in->data, *f = (const int8_t *)w->data;
    const int32_t *b = bias ? (const int32_t *)bias->data : 0;
    int8_t *y = (int8_t *)out->data;
    const int32_t batches = in->dims[0], ih = in->dims[1], iw = in->dims[2], ch = in->dims[3];
    const int32_t kh = w->dims[1], kw = w->dims[2], taps = kh * kw;
    const int32_t oh = out->dims[1], ow = out->dims[2];
    const int32_t in_off = -in->zero_point, out_off = out->zero_point;
    const tfl_ref_window_t *g = &d->win;
    const int32_t lo = g->act_min, hi = g->act_max;
    const int32_t xrow = g->dil_h * iw * ch, xcol = g->dil_w * ch, frow = kw * ch;
    const int full3x3 = kh == 3 && kw == 3 && g->dil_h == 1 && g->dil_w == 1;
    const int32_t run_max = ow < DW_RUN ? ow : DW_RUN;
    /* words a channel takes: table, sums of run_max pixels, widened filter (half a word a tap) */
    const int32_t per_ch = 4 + run_max + (TFL_OPT_DSP ? (taps + 1) / 2 : (taps + 3) / 4);
    const int32_t cmax = (DW_BUF_WORDS / per_ch) & ~3, nchunks = (ch + cmax - 1) / cmax;
    const int32_t csz = ((ch + nchunks - 1) / nchunks + 3) & ~3; /* <= cmax */
    uint32_t buf[DW_BUF_WORDS];
    dw_chan_t *const chan = (dw_chan_t *)buf;
    int32_t *const acc = (int32_t *)(chan + csz);
    uint32_t *const wide = (uint32_t *)(acc + csz * run_max);
    int32_t c0, bt, oy, ox;
#if TFL_OPT_DSP
    const uint32_t off2 = ((uint32_t)in_off & 0xFFFFu) | ((uint32_t)in_off << 16);
#else
    (void)full3x3;
#endif

    for (c0 = 0; c0 < ch; c0 += csz) {
        const int32_t nc = ch - c0 < csz ? ch - c0 : csz;
        dw_chan_fill(d, b, c0, nc, chan);
#if TFL_OPT_DSP
        dw_widen(f + c0, taps, ch, nc, wide);
#else
        dw_gather(f + c0, taps, ch, nc, wide);
#endif
        for (bt = 0; bt < batches; bt++) {
            const int8_t *xb = x + bt * ih * iw * ch + c0;
            for (oy = 0; oy < oh; oy++) {
                const int32_t y0 = oy * g->stride_h - g->pad_h;
                int8_t *yrow = y + (bt * oh + oy) * ow * ch + c0;
                int32_t seg = 0; /* first pixel of the sums not yet requantized */
                /* taps ky in [ky0, ky1) fall inside the input */
                int32_t ky0 = 0, ky1 = kh;
                while (ky0 < kh && y0 + g->dil_h * ky0 < 0)
                    ky0++;
                while (ky1 > ky0 && y0 + g->dil_h * (ky1 - 1) >= ih)
                    ky1--;
                for (ox = 0; ox < ow; ox++) {
                    const int32_t x0 = ox * g->stride_w - g->pad_w;
                    int32_t kx0 = 0, kx1 = kw, *pa;
                    const int8_t *xw;
                    if (ox - seg == run_max) {
                        dw_requant(chan, o->fast, acc, yrow + seg * ch, nc, ch, ox - seg, out_off, lo, hi);
                        seg = ox;
                    }
                    pa = acc + (ox - seg) * nc;
                    while (kx0 < kw && x0 + g->dil_w * kx0 < 0)
                        kx0++;
                    while (kx1 > kx0 && x0 + g->dil_w * (kx1 - 1) >= iw)
                        kx1--;
                    /* tap (ky0, kx0), channel c0; only formed when the window has a tap inside */
                    xw = ky1 > ky0 && kx1 > kx0 ? xb + ((y0 + g->dil_h * ky0) * iw + x0 + g->dil_w * kx0) * ch : xb;
#if TFL_OPT_DSP
                    if (full3x3 && ky1 - ky0 == 3 && kx1 - kx0 == 3) {
                        /* this pixel and the next ones whose windows lie inside the input */
                        int32_t run = 1, p;
                        while (ox + run < ow && ox + run - seg < run_max && x0 + run * g->stride_w + 2 < iw)
                            run++;
                        dw_sums_3x3(xw, wide, iw * ch, ch, nc, off2, pa, run, g->stride_w * ch);
                        for (p = 0; p < run && (nc & 3); p++)
                            dw_tail(xw + p * g->stride_w * ch, f + c0, 3, 3, xrow, xcol, frow, ch, nc & ~3, nc,
                                    in_off, pa + p * nc);
                        ox += run - 1;
                        continue;
                    }
                    dw_sums_any(xw, wide + 2 * (ky0 * kw + kx0), ky1 - ky0, kx1 - kx0, xrow, xcol, kw, taps, ch, nc,
                                off2, pa);
                    dw_tail(xw, f + c0 + (ky0 * kw + kx0) * ch, ky1 - ky0, kx1 - kx0, xrow, xcol, frow, ch, nc & ~3,
                            nc, in_off, pa);
#else
                    dw_sums_c4(xw, wide + ky0 * kw + kx0, ky1 - ky0, kx1 - kx0, xrow, xcol, kw, taps, nc, in_off, pa);
                    dw_tail(xw, f + c0 + (ky0 * kw + kx0) * ch, ky1 - ky0, kx1 - kx0, xrow, xcol, frow, ch, nc & ~3,
                            nc, in_off, pa);
#endif
                }
                dw_requant(chan, o->fast, acc, yrow + seg * ch, nc, ch, ow - seg, out_off, lo, hi);
            }
        }
    }
    (void)ip;
    return TFL_OK;
}

const tfl_kernel_t tfl_opt_depthwise_conv_2d = {TFL_OP_DEPTHWISE_CONV_2D, prepare, eval};
