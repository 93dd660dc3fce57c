/* The conv engine as a Tandem.RtlPeripheral (platforms/accel/conv8x8.repl) programmed
 * through its registers alone (rtl/generated/tandem_accel_regs.h, no driver): a MobileNet-style
 * 1x1 CONV_2D (8x8x16 -> 32, filter in flash), a 3x3 DEPTHWISE_CONV_2D (8x8x16, multiplier 1,
 * stride 1, padding 1), a 3x3 depthwise with multiplier 2 and stride 2 (8x8x16 -> 4x4x32), and
 * a refused job (OUT_C not a multiple of IN_C), and the 1x1 conv again with its filter copied to
 * SRAM (the difference is the flash wait states the engine's filter beats pay). For each job: STATUS after the run, the engine's
 * CYCLES and the DWT cycles from the START store to the STATUS read that saw BUSY clear.
 * tests/test_conv_engine_board.py checks the outputs against sim/reference/conv_engine.py.
 * Exit code: the number of jobs whose STATUS is not the expected one. -DREPEAT=N runs the
 * jobs N times (a longer run for RTL speed measurements; the results are the same); -DWAIT_WFI
 * sleeps in WFI until the engine's interrupt (IRQ 0, as the overlays wire it) instead of
 * polling STATUS. */
#include <stdint.h>

#include "board.h"
#include "hal/cycles.h"
#include "tandem_accel_regs.h"

#ifndef TANDEM_ACCEL_BASE
#error "this test needs a board with the engine's overlay (platforms/accel/conv*.repl)"
#endif
#define REG(name) (*(volatile uint32_t *)(TANDEM_ACCEL_BASE + TANDEM_ACCEL_##name##_OFFSET))

#define H 8
#define W 8
#define C 16
#define PW_OC 32
#define DW2_OC 32
#define DW2_OHW 4

#define B1(i) (int8_t)((((i) * 37u + 5u) ^ ((i) >> 3)) & 0xFFu)
#define B4(i) B1(i), B1((i) + 1), B1((i) + 2), B1((i) + 3)
#define B16(i) B4(i), B4((i) + 4), B4((i) + 8), B4((i) + 12)
#define B64(i) B16(i), B16((i) + 16), B16((i) + 32), B16((i) + 48)
#define B256(i) B64(i), B64((i) + 64), B64((i) + 128), B64((i) + 192)

/* OHWI 32x1x1x16, in flash */
const int8_t pw_filter[PW_OC * C] __attribute__((aligned(4))) = {B256(0), B256(256)};

int8_t input[H * W * C] __attribute__((aligned(4)));
int8_t dw_filter[3 * 3 * C] __attribute__((aligned(4)));          /* 1HWO, multiplier 1 */
int8_t dw2_filter[3 * 3 * DW2_OC] __attribute__((aligned(4)));    /* 1HWO, multiplier 2 */
int32_t bias[PW_OC], mult[PW_OC], shift[PW_OC];
int8_t pw_out[H * W * PW_OC] __attribute__((aligned(4)));
int8_t dw_out[H * W * C] __attribute__((aligned(4)));
int8_t dw2_out[DW2_OHW * DW2_OHW * DW2_OC] __attribute__((aligned(4)));

int8_t pw_filter_ram[PW_OC * C] __attribute__((aligned(4)));
int8_t pw_out_ram[H * W * PW_OC] __attribute__((aligned(4)));

#define NJOBS 5
#ifndef REPEAT
#define REPEAT 1
#endif
uint32_t status[NJOBS], engine_cycles[NJOBS], cpu_cycles[NJOBS];
uint32_t load_cycles[NJOBS], compute_cycles[NJOBS], store_cycles[NJOBS];

static uint32_t hw(uint32_t h, uint32_t w) { return h | (w << 16); }

static void common(uint32_t mode, uint32_t in_c, uint32_t out_c, const int8_t *filter, int8_t *out)
{
    REG(CONFIG) = mode << TANDEM_ACCEL_CONFIG_MODE_SHIFT;
    REG(IN_HW) = hw(H, W);
    REG(IN_C) = in_c;
    REG(OUT_C) = out_c;
    REG(IN_OFFSET) = (uint32_t)5;
    REG(OUT_OFFSET) = (uint32_t)-3;
    REG(ACT_MIN) = (uint32_t)-128;
    REG(ACT_MAX) = 127u;
    REG(IN_ADDR) = (uint32_t)(uintptr_t)input;
    REG(FILTER_ADDR) = (uint32_t)(uintptr_t)filter;
    REG(BIAS_ADDR) = (uint32_t)(uintptr_t)bias;
    REG(MULT_ADDR) = (uint32_t)(uintptr_t)mult;
    REG(SHIFT_ADDR) = (uint32_t)(uintptr_t)shift;
    REG(OUT_ADDR) = (uint32_t)(uintptr_t)out;
    REG(OUT_PSTRIDE) = out_c;
}

#ifdef WAIT_WFI
#define NVIC_ISER0 (*(volatile uint32_t *)0xE000E100u)
#define NVIC_ICER0 (*(volatile uint32_t *)0xE000E180u)
static volatile uint32_t irq_count;

void IRQ_Handler(void)
{
    irq_count++;
    NVIC_ICER0 = 1u;  /* the level stays high until the next START: mask it until then */
}
#endif

static void run(int job)
{
    uint32_t t0 = hal_cycles();
#ifdef WAIT_WFI
    uint32_t seen = irq_count;
    REG(CTRL) = 1u << TANDEM_ACCEL_CTRL_START_SHIFT;
    NVIC_ISER0 = 1u;
    while (irq_count == seen) {
        __asm__ volatile("wfi");
    }
    uint32_t s = REG(STATUS);
#else
    REG(CTRL) = 1u << TANDEM_ACCEL_CTRL_START_SHIFT;
    uint32_t s;
    do {
        s = REG(STATUS);
    } while (s & TANDEM_ACCEL_STATUS_BUSY_MASK);
#endif
    cpu_cycles[job] = hal_cycles() - t0;
    status[job] = s;
    engine_cycles[job] = REG(CYCLES);
    load_cycles[job] = REG(LOAD_CYCLES);
    compute_cycles[job] = REG(COMPUTE_CYCLES);
    store_cycles[job] = REG(STORE_CYCLES);
}

int main(void)
{
    hal_cycles_init();
    uint32_t seed = 2024u;
    for (int i = 0; i < H * W * C; i++) {
        seed = seed * 1103515245u + 12345u;
        input[i] = (int8_t)(seed >> 24);
    }
    for (int i = 0; i < 3 * 3 * DW2_OC; i++) {
        seed = seed * 1103515245u + 12345u;
        if (i < 3 * 3 * C) dw_filter[i] = (int8_t)(seed >> 16);
        dw2_filter[i] = (int8_t)(seed >> 24);
    }
    for (int i = 0; i < PW_OC; i++) {
        bias[i] = (int32_t)(i * 97) - 1500;
        mult[i] = (int32_t)(0x40000000u + (uint32_t)i * 0x01234567u % 0x3FFFFFFFu);
        shift[i] = -(int32_t)(5 + i % 4);
    }
    const uint32_t done = TANDEM_ACCEL_STATUS_DONE_MASK;
    const uint32_t bad_depth = TANDEM_ACCEL_STATUS_ERROR_MASK |
                               (TANDEM_ACCEL_ERR_BAD_DEPTH << TANDEM_ACCEL_STATUS_ERR_CODE_SHIFT);

    for (int rep = 0; rep < REPEAT; rep++) {
    /* 1x1 CONV_2D, stride 1, no padding */
    common(TANDEM_ACCEL_CONFIG_MODE_CONV, C, PW_OC, pw_filter, pw_out);
    REG(OUT_HW) = hw(H, W);
    REG(KERNEL) = 1u | (1u << 8) | (1u << 16) | (1u << 24);
    REG(PAD) = 0;
    run(0);

    /* 3x3 depthwise, multiplier 1, stride 1, padding 1 all round */
    common(TANDEM_ACCEL_CONFIG_MODE_DEPTHWISE, C, C, dw_filter, dw_out);
    REG(OUT_HW) = hw(H, W);
    REG(KERNEL) = 3u | (3u << 8) | (1u << 16) | (1u << 24);
    REG(PAD) = 1u | (1u << 8) | (1u << 16) | (1u << 24);
    run(1);

    /* 3x3 depthwise, multiplier 2, stride 2, padding 0 top/left and 1 bottom/right (SAME) */
    common(TANDEM_ACCEL_CONFIG_MODE_DEPTHWISE, C, DW2_OC, dw2_filter, dw2_out);
    REG(OUT_HW) = hw(DW2_OHW, DW2_OHW);
    REG(KERNEL) = 3u | (3u << 8) | (2u << 16) | (2u << 24);
    REG(PAD) = (1u << 8) | (1u << 24);
    run(2);

    /* refused: OUT_C 24 is not a multiple of IN_C 16 */
    REG(OUT_C) = 24;
    REG(OUT_PSTRIDE) = 24;
    run(3);

    /* the 1x1 conv with the filter in SRAM */
    for (int i = 0; i < PW_OC * C; i++) pw_filter_ram[i] = pw_filter[i];
    common(TANDEM_ACCEL_CONFIG_MODE_CONV, C, PW_OC, pw_filter_ram, pw_out_ram);
    REG(OUT_HW) = hw(H, W);
    REG(KERNEL) = 1u | (1u << 8) | (1u << 16) | (1u << 24);
    REG(PAD) = 0;
    run(4);
    }

    return (status[0] != done) + (status[1] != done) + (status[2] != done) + (status[3] != bad_depth) +
           (status[4] != done);
}
