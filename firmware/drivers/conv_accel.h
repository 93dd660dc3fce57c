/* Driver for tandem's convolution engine (rtl/), int8 CONV_2D and DEPTHWISE_CONV_2D with TFLite
 * per-channel requantization; FULLY_CONNECTED runs as a 1x1 convolution (conv_accel_fc_layer).
 *
 * The register map comes from the generated tandem_accel_regs.h (sim/accel/regmap.py; tandem's
 * firmware build puts it next to board.h). A board with the engine has TANDEM_ACCEL_BASE in
 * board.h when its platform entry is called "accel" (the overlays in platforms/accel/).
 *
 * conv_accel_run() programs one job, starts it and waits for DONE or ERROR, returning the
 * engine's error code (TANDEM_ACCEL_ERR_*) or a driver code below. conv_accel_plan() and
 * conv_accel_run_tiled() split a layer the buffers cannot hold into tiles of output rows and
 * output channels (the kernels in runtime/kernels/accel/ use them and fall back to the CPU
 * for a layer the engine cannot take). conv_accel_conv2d() is a whole-layer call with a CPU
 * fallback through conv_sw_int8() (a plain reference kernel) for CAPACITY. Configuration
 * errors (bad offsets, unaligned per-channel arrays, inconsistent shapes) are caller bugs and
 * are returned, not hidden by the fallback.
 */
#ifndef TANDEM_CONV_ACCEL_H
#define TANDEM_CONV_ACCEL_H

#include <stdint.h>

#include "tandem_accel_regs.h"

/* Driver return codes beyond the engine's TANDEM_ACCEL_ERR_* (1..255). */
#define CONV_ACCEL_OK 0
#define CONV_ACCEL_ERR_ABSENT 0x100  /* no accelerator (ID mismatch) at the base address */
#define CONV_ACCEL_ERR_TIMEOUT 0x101 /* STATUS never showed DONE or ERROR */
#define CONV_ACCEL_ERR_BUSY 0x102    /* conv_accel_finish() before the run ended */
#define CONV_ACCEL_ERR_MODE 0x103    /* a single-rounding job on an engine without CONFIG.ROUND */

/* Job modes (CONFIG.MODE; conv is the reset value). */
#define CONV_ACCEL_MODE_CONV TANDEM_ACCEL_CONFIG_MODE_CONV
#define CONV_ACCEL_MODE_DEPTHWISE TANDEM_ACCEL_CONFIG_MODE_DEPTHWISE

typedef struct {
    uint16_t in_h, in_w, in_c;
    uint16_t out_h, out_w, out_c;
    uint8_t k_h, k_w, stride_h, stride_w, dil_h, dil_w;
    uint8_t pad_top, pad_bottom, pad_left, pad_right;
    int32_t input_offset;  /* -input zero point */
    int32_t output_offset; /* output zero point */
    int32_t act_min, act_max;
    const int8_t *input;   /* NHWC, N = 1 */
    const int8_t *filter;  /* OHWI (conv) or 1HWO (depthwise) */
    const int32_t *bias, *mult, *shift; /* per output channel */
    int8_t *output;        /* NHWC */
    uint32_t out_pstride;  /* bytes between output pixels; 0 = out_c */
    uint8_t mode;          /* CONV_ACCEL_MODE_*: conv (OHWI filter) or depthwise (1HWO, out_c = in_c * m) */
    uint8_t single_round;  /* requantize with one rounding (FULLY_CONNECTED's), not two (conv's) */
} conv_accel_layer_t;

typedef struct {
    uint8_t rows, cols;
    uint16_t max_oc;
    uint32_t ibuf_words, wbuf_words, obuf_words;
} conv_accel_caps_t;

typedef struct {
    uint32_t status;
    uint32_t cycles, compute_cycles, mac_cycles, load_cycles, store_cycles;
} conv_accel_stats_t;

typedef enum { CONV_PATH_NONE = 0, CONV_PATH_ACCEL = 1, CONV_PATH_CPU = 2 } conv_path_t;

/* A tiling of a layer: tile_rows output rows by tile_oc output channels per job; tile_oc == 0
 * means the engine cannot take the layer at all. */
typedef struct {
    int32_t tile_oc, tile_rows;
} conv_accel_tile_t;

/* Whether the register map has the depthwise mode (CONFIG.MODE) and the single-rounding
 * requantization (CONFIG.ROUND). */
int conv_accel_has_depthwise(void);
int conv_accel_has_single_rounding(void);

/* The largest tiles of `layer` the buffers hold (the CAPACITY rule in rtl/README.md), within
 * what the registers can express; depthwise layers are tiled by rows only (the input and
 * filter have no channel stride register). */
void conv_accel_plan(const conv_accel_caps_t *caps, const conv_accel_layer_t *layer, conv_accel_tile_t *tile);

/* Runs `layer` as `tile`'s jobs, one after another, polling each. If the engine refuses the
 * first job with CAPACITY the tile is halved (rows, then channels) and tried again, and *tile
 * keeps what worked. Returns CONV_ACCEL_OK; the engine's code of a first job it refuses, with
 * nothing written (*tile->tile_oc is 0 after a CAPACITY that no tile avoids); or a code >= 0x100
 * (or the engine's, mid-layer), with part of the output written. After each job the engine's
 * CYCLES register is read once, so the host's report (tandem.accel.joblog) has its count. */
int conv_accel_run_tiled(uintptr_t base, const conv_accel_layer_t *layer, conv_accel_tile_t *tile);

/* Checks the ID register and reads the capacities. */
int conv_accel_probe(uintptr_t base, conv_accel_caps_t *caps);

/* Runs one layer on the accelerator and polls until it ends; stats may be NULL. */
int conv_accel_run(uintptr_t base, const conv_accel_layer_t *layer, conv_accel_stats_t *stats);

/* The two halves of conv_accel_run() for interrupt-driven use: program and START; then, once
 * the accelerator's interrupt (DONE | ERROR, level, cleared by the next START) has fired, read
 * the outcome. conv_accel_finish() returns CONV_ACCEL_ERR_BUSY if the run has not ended. */
int conv_accel_start(uintptr_t base, const conv_accel_layer_t *layer);
int conv_accel_finish(uintptr_t base, conv_accel_stats_t *stats);

/* Accelerator first; on CAPACITY, the CPU kernel. *path says which one produced the output. */
int conv_accel_conv2d(uintptr_t base, const conv_accel_layer_t *layer, conv_accel_stats_t *stats,
                      conv_path_t *path);

/* The CPU reference kernel (bit-exact with TFLite's reference CONV_2D and with the engine). */
void conv_sw_int8(const conv_accel_layer_t *layer);

/* Short name of a return code, for messages. */
const char *conv_accel_strerror(int code);

#endif
