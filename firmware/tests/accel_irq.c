/* Interrupt-driven accelerator use: START, sleep in WFI until the accelerator's interrupt
 * (board IRQ line ACCEL_IRQ, given by the build) fires, then read the outcome.
 * Prints the interrupt count, the return code, the engine's CYCLES and the DWT span. */
#include <stdint.h>
#include <stdio.h>

#include "board.h"
#include "drivers/conv_accel.h"
#include "hal/cycles.h"

#ifndef ACCEL_IRQ
#error "build with ACCEL_IRQ=<line the accelerator is connected to>"
#endif

#define NVIC_ISER ((volatile uint32_t *)0xE000E100u)
#define NVIC_ICER ((volatile uint32_t *)0xE000E180u)

static volatile uint32_t irq_count, irq_status;
static int8_t input[64] __attribute__((aligned(4)));
static int8_t filter[64 * 64] __attribute__((aligned(4)));
static int32_t bias[64], mult[64], shift[64];
static int8_t output[64] __attribute__((aligned(4)));

void IRQ_Handler(void)
{
    irq_status = *(volatile uint32_t *)(TANDEM_ACCEL_BASE + TANDEM_ACCEL_STATUS_OFFSET);
    irq_count++;
    /* the line stays high until the next START: mask it until then */
    NVIC_ICER[ACCEL_IRQ / 32] = 1u << (ACCEL_IRQ % 32);
}

int main(void)
{
    conv_accel_caps_t caps;
    if (conv_accel_probe(TANDEM_ACCEL_BASE, &caps) != CONV_ACCEL_OK) {
        return 100;
    }
    for (int i = 0; i < 64; i++) {
        mult[i] = 1 << 30;
        shift[i] = -2;
        input[i] = (int8_t)i;
    }
    conv_accel_layer_t l = {
        .in_h = 1, .in_w = 1, .in_c = caps.cols, .out_h = 1, .out_w = 1, .out_c = caps.rows,
        .k_h = 1, .k_w = 1, .stride_h = 1, .stride_w = 1, .dil_h = 1, .dil_w = 1,
        .act_min = -128, .act_max = 127, .input = input, .filter = filter, .bias = bias,
        .mult = mult, .shift = shift, .output = output,
    };
    hal_cycles_init();
    NVIC_ISER[ACCEL_IRQ / 32] = 1u << (ACCEL_IRQ % 32);
    uint32_t t0 = hal_cycles();
    int rc = conv_accel_start(TANDEM_ACCEL_BASE, &l);
    while (rc == CONV_ACCEL_OK && irq_count == 0) {
        __asm__ volatile("wfi");
    }
    uint32_t t1 = hal_cycles();
    conv_accel_stats_t stats = {0};
    if (rc == CONV_ACCEL_OK) {
        rc = conv_accel_finish(TANDEM_ACCEL_BASE, &stats);
    }
    printf("irqs %lu status %08lx rc %d (%s) accel_cycles %lu span %lu\n", (unsigned long)irq_count,
           (unsigned long)irq_status, rc, conv_accel_strerror(rc), (unsigned long)stats.cycles,
           (unsigned long)(t1 - t0));
    return rc;
}
