/* Shared by the STM32 clock set-up tests (stm32f4_clocks.c, stm32l4_clocks.c, stm32f1_clocks.c):
 * a 1 kHz SysTick from HCLK (HAL_InitTick style), a tick-counting delay (HAL_Delay style),
 * ready-flag waits with a loop-counter timeout, and the report the tests read. */
#ifndef STM32_CLOCK_COMMON_H
#define STM32_CLOCK_COMMON_H

#include <stdint.h>
#include <stdio.h>

#include "board.h"
#include "hal/cycles.h"
#include "hal/system.h"

#define REG(base, off) (*(volatile uint32_t *)((base) + (off)))
#define SYST_CSR REG(0xE000E000u, 0x10u)
#define SYST_RVR REG(0xE000E000u, 0x14u)
#define SYST_CVR REG(0xE000E000u, 0x18u)
#define HSE_VALUE 8000000u /* the boards' crystal (or ST-LINK MCO) */

/* AHB (HPRE) and APB (PPRE) prescaler codes as right shifts (the RMs' RCC_CFGR tables). */
static const uint8_t ahb_shift[16] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 6, 7, 8, 9};
static const uint8_t apb_shift[8] = {0, 0, 0, 0, 1, 2, 3, 4};

static volatile uint32_t tick;

void SysTick_Handler(void) { tick++; }

static void fail(const char *what)
{
    printf("timeout waiting for %s\n", what);
    hal_exit(1);
}

/* Poll until (*reg & mask) == want; give up after `limit` polls, as HAL's timeouts do. */
static void wait_flag(volatile uint32_t *reg, uint32_t mask, uint32_t want, const char *what)
{
    uint32_t limit = 10000000u;
    while ((*reg & mask) != want) {
        if (--limit == 0u) {
            fail(what);
        }
    }
}

/* HAL_InitTick: SysTick reload for 1 ms at the core clock, interrupt on, processor clock. */
static void init_tick(uint32_t hclk)
{
    SYST_RVR = hclk / 1000u - 1u;
    SYST_CVR = 0u;
    SYST_CSR = 7u;
}

/* HAL_Delay: waits one tick more than asked, so that at least `ms` whole ticks pass. */
static void delay_ms(uint32_t ms)
{
    uint32_t start = tick;
    uint32_t wait = ms + 1u;
    while ((tick - start) < wait) {
    }
}

static void report(uint32_t sysclk, uint32_t hclk, uint32_t pclk1, uint32_t pclk2)
{
    printf("SYSCLK=%lu HCLK=%lu PCLK1=%lu PCLK2=%lu\n", (unsigned long)sysclk, (unsigned long)hclk,
           (unsigned long)pclk1, (unsigned long)pclk2);
    init_tick(hclk);
    hal_cycles_init();
    uint32_t t0 = hal_cycles();
    delay_ms(10u);
    uint32_t t1 = hal_cycles();
    printf("delay10 %lu\n", (unsigned long)(t1 - t0));
}

#endif
