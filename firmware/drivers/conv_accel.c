/* Driver for tandem's convolution accelerator; see conv_accel.h. */
#include "drivers/conv_accel.h"

#include <stddef.h>

#define REG(base, name) (*(volatile uint32_t *)((base) + TANDEM_ACCEL_##name##_OFFSET))
#define FIELD(reg, fld, v) (((uint32_t)(v) << TANDEM_ACCEL_##reg##_##fld##_SHIFT) & TANDEM_ACCEL_##reg##_##fld##_MASK)

/* Polls of STATUS before giving up: the engine answers within its own timeout, so this only
 * guards against a missing or wedged device. */
#define POLL_LIMIT 100000000u

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
    REG(base, CTRL) = TANDEM_ACCEL_CTRL_START_MASK;
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
