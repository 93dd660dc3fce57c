/* Driver for tandem's convolution accelerator; see conv_accel.h. */
#include "drivers/conv_accel.h"

#include <stddef.h>

#define REG(base, name) (*(volatile uint32_t *)((base) + TANDEM_ACCEL_##name##_OFFSET))
#define FIELD(reg, fld, v) (((uint32_t)(v) << TANDEM_ACCEL_##reg##_##fld##_SHIFT) & TANDEM_ACCEL_##reg##_##fld##_MASK)

/* Polls of STATUS before giving up: the engine answers within its own timeout, so this only
 * guards against a missing or wedged device. */
#define POLL_LIMIT 100000000u

/* The register map (sim/accel/regmap.py) has CONFIG.MODE; a single-rounding requantization
 * (CONFIG.ROUND), which FULLY_CONNECTED needs to be bit-exact, only if the map defines it. */
#define HAS_MODE 1
#if defined(TANDEM_ACCEL_CONFIG_ROUND_SHIFT)
#define HAS_ROUND 1
#else
#define HAS_ROUND 0
#endif

int conv_accel_has_depthwise(void) { return HAS_MODE; }
int conv_accel_has_single_rounding(void) { return HAS_ROUND; }

int conv_accel_probe(uintptr_t base, conv_accel_caps_t *caps)
{
    if (REG(base, ID) != TANDEM_ACCEL_ID) {
        return CONV_ACCEL_ERR_ABSENT;
    }
    if (caps != NULL) {
        uint32_t c = REG(base, CAPS);
        caps->rows = (uint8_t)((c & TANDEM_ACCEL_CAPS_ROWS_MASK) >> TANDEM_ACCEL_CAPS_ROWS_SHIFT);
        caps->cols = (uint8_t)((c & TANDEM_ACCEL_CAPS_COLS_MASK) >> TANDEM_ACCEL_CAPS_COLS_SHIFT);
        caps->max_oc = (uint16_t)((c & TANDEM_ACCEL_CAPS_MAX_OC_MASK) >> TANDEM_ACCEL_CAPS_MAX_OC_SHIFT);
        caps->ibuf_words = REG(base, CAPS_IBUF);
        caps->wbuf_words = REG(base, CAPS_WBUF);
        caps->obuf_words = REG(base, CAPS_OBUF);
    }
    return CONV_ACCEL_OK;
}

int conv_accel_start(uintptr_t base, const conv_accel_layer_t *l)
{
    if (REG(base, ID) != TANDEM_ACCEL_ID) {
        return CONV_ACCEL_ERR_ABSENT;
    }
    uint32_t pstride = l->out_pstride ? l->out_pstride : l->out_c;
    uint32_t start = TANDEM_ACCEL_CTRL_START_MASK;
    if (l->single_round && !HAS_ROUND) {
        return CONV_ACCEL_ERR_MODE;
    }
    REG(base, CONFIG) = FIELD(CONFIG, MODE, l->mode)
#if HAS_ROUND
                        | FIELD(CONFIG, ROUND, l->single_round)
#endif
        ;
    REG(base, IN_HW) = FIELD(IN_HW, H, l->in_h) | FIELD(IN_HW, W, l->in_w);
    REG(base, IN_C) = l->in_c;
    REG(base, OUT_HW) = FIELD(OUT_HW, H, l->out_h) | FIELD(OUT_HW, W, l->out_w);
    REG(base, OUT_C) = l->out_c;
    REG(base, KERNEL) = FIELD(KERNEL, KH, l->k_h) | FIELD(KERNEL, KW, l->k_w) |
                        FIELD(KERNEL, SH, l->stride_h) | FIELD(KERNEL, SW, l->stride_w);
    REG(base, DILATION) = FIELD(DILATION, DH, l->dil_h) | FIELD(DILATION, DW, l->dil_w);
    REG(base, PAD) = FIELD(PAD, TOP, l->pad_top) | FIELD(PAD, BOTTOM, l->pad_bottom) |
                     FIELD(PAD, LEFT, l->pad_left) | FIELD(PAD, RIGHT, l->pad_right);
    REG(base, IN_OFFSET) = (uint32_t)l->input_offset;
    REG(base, OUT_OFFSET) = (uint32_t)l->output_offset;
    REG(base, ACT_MIN) = (uint32_t)l->act_min;
    REG(base, ACT_MAX) = (uint32_t)l->act_max;
    REG(base, IN_ADDR) = (uint32_t)(uintptr_t)l->input;
    REG(base, FILTER_ADDR) = (uint32_t)(uintptr_t)l->filter;
    REG(base, BIAS_ADDR) = (uint32_t)(uintptr_t)l->bias;
    REG(base, MULT_ADDR) = (uint32_t)(uintptr_t)l->mult;
    REG(base, SHIFT_ADDR) = (uint32_t)(uintptr_t)l->shift;
    REG(base, OUT_ADDR) = (uint32_t)(uintptr_t)l->output;
    REG(base, OUT_PSTRIDE) = pstride;
    REG(base, CTRL) = start;
    return CONV_ACCEL_OK;
}

int conv_accel_finish(uintptr_t base, conv_accel_stats_t *stats)
{
    uint32_t status = REG(base, STATUS);
    if (status & TANDEM_ACCEL_STATUS_BUSY_MASK) {
        return CONV_ACCEL_ERR_BUSY;
    }
    if (stats != NULL) {
        stats->status = status;
        stats->cycles = REG(base, CYCLES);
        stats->compute_cycles = REG(base, COMPUTE_CYCLES);
        stats->mac_cycles = REG(base, MAC_CYCLES);
        stats->load_cycles = REG(base, LOAD_CYCLES);
        stats->store_cycles = REG(base, STORE_CYCLES);
    }
    if (status & TANDEM_ACCEL_STATUS_ERROR_MASK) {
        return (int)((status & TANDEM_ACCEL_STATUS_ERR_CODE_MASK) >> TANDEM_ACCEL_STATUS_ERR_CODE_SHIFT);
    }
    return CONV_ACCEL_OK;
}

int conv_accel_run(uintptr_t base, const conv_accel_layer_t *l, conv_accel_stats_t *stats)
{
    int rc = conv_accel_start(base, l);
    if (rc != CONV_ACCEL_OK) {
        return rc;
    }
    const uint32_t finished = TANDEM_ACCEL_STATUS_DONE_MASK | TANDEM_ACCEL_STATUS_ERROR_MASK;
    uint32_t polls = 0;
    while (!(REG(base, STATUS) & finished)) {
        if (++polls > POLL_LIMIT) {
            return CONV_ACCEL_ERR_TIMEOUT;
        }
    }
    return conv_accel_finish(base, stats);
}

int conv_accel_conv2d(uintptr_t base, const conv_accel_layer_t *layer, conv_accel_stats_t *stats,
                      conv_path_t *path)
{
    int rc = conv_accel_run(base, layer, stats);
    if (rc == (int)TANDEM_ACCEL_ERR_CAPACITY || rc == CONV_ACCEL_ERR_ABSENT) {
        conv_sw_int8(layer);
        *path = CONV_PATH_CPU;
        return CONV_ACCEL_OK;
    }
    *path = rc == CONV_ACCEL_OK ? CONV_PATH_ACCEL : CONV_PATH_NONE;
    return rc;
}

static int32_t ceil_div(int32_t a, int32_t b) { return (a + b - 1) / b; }

/* Input rows a tile of m output rows from output row r0 reads, clipped to the image, and the
 * padding rows that fall in the tile: [*c0, *c1], *pt above, *pb below. */
static void tile_rows(const conv_accel_layer_t *l, int32_t r0, int32_t m, int32_t *c0, int32_t *c1,
                      int32_t *pt, int32_t *pb)
{
    const int32_t ekh = (l->k_h - 1) * l->dil_h + 1;
    const int32_t y0 = r0 * l->stride_h - l->pad_top, y1 = (r0 + m - 1) * l->stride_h - l->pad_top + ekh - 1;
    *c0 = y0 > 0 ? y0 : 0;
    *c1 = y1 < l->in_h - 1 ? y1 : l->in_h - 1;
    *pt = *c0 - y0;
    *pb = y1 - *c1;
}

void conv_accel_plan(const conv_accel_caps_t *caps, const conv_accel_layer_t *l, conv_accel_tile_t *t)
{
    const int32_t po = caps->rows, pi = caps->cols, oc = l->out_c;
    const int32_t dw = l->mode == CONV_ACCEL_MODE_DEPTHWISE;
    /* depthwise: each output channel reads one input channel, so the input holds all channels */
    const int32_t icg = ceil_div(l->in_c, pi);
    const int32_t kgroups = dw ? 1 : icg; /* filter words per tap and group of PO channels */
    int32_t n = oc < caps->max_oc ? oc : caps->max_oc, m;
    t->tile_oc = 0;
    t->tile_rows = 0;
    /* a depthwise job needs all channels in one tile and ROWS <= COLS (ERR_BAD_MODE otherwise) */
    if (po <= 0 || pi <= 0 || (dw && (!HAS_MODE || n < oc || po > pi)))
        return;
    while (n > 0 && (int64_t)ceil_div(n, po) * l->k_h * l->k_w * kgroups > (int64_t)caps->wbuf_words)
        n = n > po ? ((n - 1) / po) * po : 0; /* next lower multiple of PO */
    if (n <= 0 || (dw && n < oc))
        return;
    for (m = l->out_h; m > 0; m--) {
        /* the input rows of an inner tile (the first and last lose their padding rows) */
        int32_t rows = (m - 1) * l->stride_h + (l->k_h - 1) * l->dil_h + 1;
        rows = rows < l->in_h ? rows : l->in_h;
        if ((int64_t)rows * l->in_w * icg <= (int64_t)caps->ibuf_words &&
            (int64_t)ceil_div(n, po) * m * l->out_w <= (int64_t)caps->obuf_words)
            break;
    }
    if (m <= 0)
        return;
    t->tile_oc = n;
    t->tile_rows = m;
}

/* The tiles one after another; stops at the first job that does not end DONE. */
static int run_tiles(uintptr_t base, const conv_accel_layer_t *l, const conv_accel_tile_t *t)
{
    const int32_t oh = l->out_h, oc = l->out_c, ow = l->out_w;
    const uint32_t pstride = l->out_pstride ? l->out_pstride : l->out_c;
    const int32_t per_oc = l->mode == CONV_ACCEL_MODE_DEPTHWISE ? 1 : l->k_h * l->k_w * l->in_c;
    for (int32_t r0 = 0; r0 < oh; r0 += t->tile_rows) {
        const int32_t m = oh - r0 < t->tile_rows ? oh - r0 : t->tile_rows;
        int32_t c0, c1, pt, pb;
        tile_rows(l, r0, m, &c0, &c1, &pt, &pb);
        if (c1 < c0 || pt > 0xFF || pb > 0xFF)
            return TANDEM_ACCEL_ERR_KERNEL_TOO_BIG; /* a tile of padding only: not expressible */
        for (int32_t k0 = 0; k0 < oc; k0 += t->tile_oc) {
            conv_accel_layer_t job = *l;
            job.in_h = (uint16_t)(c1 - c0 + 1);
            job.out_h = (uint16_t)m;
            job.out_c = (uint16_t)(oc - k0 < t->tile_oc ? oc - k0 : t->tile_oc);
            job.pad_top = (uint8_t)pt;
            job.pad_bottom = (uint8_t)pb;
            job.input = l->input + (uint32_t)c0 * l->in_w * l->in_c;
            job.filter = l->filter + (uint32_t)k0 * (uint32_t)per_oc;
            job.bias = l->bias + k0;
            job.mult = l->mult + k0;
            job.shift = l->shift + k0;
            job.output = l->output + (uint32_t)r0 * (uint32_t)ow * pstride + (uint32_t)k0;
            job.out_pstride = pstride;
            int rc = conv_accel_run(base, &job, 0);
            if (rc != CONV_ACCEL_OK)
                return rc;
            (void)REG(base, CYCLES); /* one read, for the host's job report (tandem.accel.joblog) */
        }
    }
    return CONV_ACCEL_OK;
}

int conv_accel_run_tiled(uintptr_t base, const conv_accel_layer_t *l, conv_accel_tile_t *t)
{
    for (;;) {
        int rc = run_tiles(base, l, t);
        if (rc != (int)TANDEM_ACCEL_ERR_CAPACITY)
            return rc;
        /* the engine's rule is tighter than the plan: halve the tile and run the layer again
           (every job rewrites its part of the output, and the input is not the output) */
        if (t->tile_rows > 1) {
            t->tile_rows = (t->tile_rows + 1) / 2;
        } else if (l->mode != CONV_ACCEL_MODE_DEPTHWISE && t->tile_oc > 1) {
            t->tile_oc = (t->tile_oc + 1) / 2;
        } else {
            t->tile_oc = 0;
            return rc;
        }
    }
}

/* TFLite's MultiplyByQuantizedMultiplier (the default, double-rounding form). */
static int32_t sat_round_doubling_high_mul(int32_t a, int32_t b)
{
    if (a == INT32_MIN && b == INT32_MIN) {
        return INT32_MAX;
    }
    int64_t ab = (int64_t)a * (int64_t)b;
    int64_t nudge = ab >= 0 ? (1ll << 30) : (1ll - (1ll << 30));
    return (int32_t)((ab + nudge) / (1ll << 31)); /* C division truncates toward zero */
}

static int32_t rounding_divide_by_pot(int32_t x, int exponent)
{
    int64_t mask = (1ll << exponent) - 1;
    int64_t remainder = (int64_t)x & mask;
    int64_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (int32_t)(((int64_t)x >> exponent) + (remainder > threshold ? 1 : 0));
}

static int32_t requantize(int32_t acc, int32_t mult, int32_t shift)
{
    int left = shift > 0 ? shift : 0;
    int right = shift > 0 ? 0 : -shift;
    int32_t shifted = (int32_t)((uint32_t)acc << left);
    return rounding_divide_by_pot(sat_round_doubling_high_mul(shifted, mult), right);
}

void conv_sw_int8(const conv_accel_layer_t *l)
{
    uint32_t pstride = l->out_pstride ? l->out_pstride : l->out_c;
    for (int oy = 0; oy < l->out_h; oy++) {
        for (int ox = 0; ox < l->out_w; ox++) {
            int8_t *out = l->output + (uint32_t)(oy * l->out_w + ox) * pstride;
            for (int oc = 0; oc < l->out_c; oc++) {
                uint32_t acc = 0; /* int32 arithmetic that wraps, as the engine's */
                for (int ky = 0; ky < l->k_h; ky++) {
                    int iy = oy * l->stride_h - l->pad_top + ky * l->dil_h;
                    if (iy < 0 || iy >= l->in_h) {
                        continue;
                    }
                    for (int kx = 0; kx < l->k_w; kx++) {
                        int ix = ox * l->stride_w - l->pad_left + kx * l->dil_w;
                        if (ix < 0 || ix >= l->in_w) {
                            continue;
                        }
                        const int8_t *in = l->input + ((uint32_t)iy * l->in_w + (uint32_t)ix) * l->in_c;
                        const int8_t *f = l->filter + (((uint32_t)oc * l->k_h + (uint32_t)ky) * l->k_w +
                                                       (uint32_t)kx) * l->in_c;
                        for (int ic = 0; ic < l->in_c; ic++) {
                            acc += (uint32_t)(((int32_t)in[ic] + l->input_offset) * (int32_t)f[ic]);
                        }
                    }
                }
                acc += (uint32_t)l->bias[oc];
                int32_t v = requantize((int32_t)acc, l->mult[oc], l->shift[oc]) + l->output_offset;
                v = v < l->act_min ? l->act_min : v;
                v = v > l->act_max ? l->act_max : v;
                out[oc] = (int8_t)v;
            }
        }
    }
}

const char *conv_accel_strerror(int code)
{
    switch (code) {
    case CONV_ACCEL_OK: return "ok";
    case TANDEM_ACCEL_ERR_ZERO_SIZE: return "ZERO_SIZE";
    case TANDEM_ACCEL_ERR_BAD_PARAM: return "BAD_PARAM";
    case TANDEM_ACCEL_ERR_UNALIGNED: return "UNALIGNED";
    case TANDEM_ACCEL_ERR_KERNEL_TOO_BIG: return "KERNEL_TOO_BIG";
    case TANDEM_ACCEL_ERR_BAD_OUT_SHAPE: return "BAD_OUT_SHAPE";
    case TANDEM_ACCEL_ERR_CAPACITY: return "CAPACITY";
    case TANDEM_ACCEL_ERR_BAD_SHIFT: return "BAD_SHIFT";
    case CONV_ACCEL_ERR_ABSENT: return "ABSENT";
    case CONV_ACCEL_ERR_TIMEOUT: return "TIMEOUT";
    case CONV_ACCEL_ERR_BUSY: return "BUSY";
    default: return "?";
    }
}
