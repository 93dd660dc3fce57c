/* A CubeMX-style clock start-up on a clock controller tandem does not model (the clkctl window
 * of tests/data/repl/poll_m4.repl: reads give 0). osc_config() sets the oscillator's enable bit
 * and waits for its ready bit with a time-out measured by a millisecond tick, as the STM32 HAL's
 * RCC code does; the tick is the DWT cycle counter (no interrupt: no timed event). POLL_VARIANT:
 *   0  the time-out is huge: only tandem's poll detection ends the wait;
 *   1  a 1 ms time-out expires (a few thousand polls), the program goes on and exits 0;
 *   2  the time-out leads to Error_Handler(): __disable_irq(); while (1) {} (a lock-up), with
 *      SysTick interrupts enabled (PRIMASK masks them);
 *   3  main ends in while (1) {} and the SysTick handler exits the program at the third tick;
 *   4  register-level code without a time-out: while (!(CLK_CR & CLK_HSERDY)) {};
 *   5  the Standard Peripheral Library's SetSysClock() style: a counted wait of 0x5000 polls
 *      (its HSE_STARTUP_TIMEOUT on the F4) with the counter in a volatile local, then exit 0. */
#include <stdint.h>
#include <stdio.h>

#include "board.h"
#include "hal/cycles.h"
#include "hal/system.h"

#define CLK_CR     (*(volatile uint32_t *)(TANDEM_CLKCTL_BASE + 0x0u))
#define CLK_HSEON  (1u << 16)
#define CLK_HSERDY (1u << 17)
#define SYST_CSR   (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR   (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR   (*(volatile uint32_t *)0xE000E018u)

#ifndef POLL_VARIANT
#define POLL_VARIANT 0
#endif
#if POLL_VARIANT == 0
#define HSE_TIMEOUT_MS 0xFFFFFFF0u
#else
#define HSE_TIMEOUT_MS 1u
#endif

typedef enum { HAL_OK = 0, HAL_TIMEOUT = 3 } HAL_StatusTypeDef;

volatile uint32_t ticks;
volatile uint32_t polls;

void SysTick_Handler(void)
{
    if (++ticks == 3 && POLL_VARIANT == 3) {
        hal_exit(5);
    }
}

__attribute__((noinline)) uint32_t HAL_GetTick(void)
{
    return hal_cycles() / (TANDEM_CPU_HZ / 1000u);
}

__attribute__((noinline)) HAL_StatusTypeDef osc_config(void)
{
    CLK_CR |= CLK_HSEON;
    uint32_t tickstart = HAL_GetTick();
    while ((CLK_CR & CLK_HSERDY) == 0u) {
        polls++;
        if ((HAL_GetTick() - tickstart) > HSE_TIMEOUT_MS) {
            return HAL_TIMEOUT;
        }
    }
    return HAL_OK;
}

__attribute__((noinline)) void Error_Handler(void)
{
    __asm__ volatile("cpsid i" ::: "memory");
    while (1) {
    }
}

int main(void)
{
    hal_cycles_init();
#if POLL_VARIANT >= 2
    SYST_RVR = 9999;
    SYST_CVR = 0;
    SYST_CSR = 7; /* ENABLE | TICKINT | core clock */
#endif
#if POLL_VARIANT == 3
    while (1) {
    }
#elif POLL_VARIANT == 4
    CLK_CR |= CLK_HSEON;
    while (!(CLK_CR & CLK_HSERDY)) {
    }
    return 1;
#elif POLL_VARIANT == 5
    volatile uint32_t startup = 0, status = 0;
    CLK_CR |= CLK_HSEON;
    do {
        status = CLK_CR & CLK_HSERDY;
        startup++;
    } while (status == 0u && startup != 0x5000u);
    printf("hse startup counter %lu\n", (unsigned long)startup);
    return 0;
#else
    if (osc_config() != HAL_OK) {
#if POLL_VARIANT == 2
        Error_Handler();
#endif
        printf("hse timeout after %lu polls: running on the internal oscillator\n", (unsigned long)polls);
        return 0;
    }
    printf("hse ready\n");
    return 1;
#endif
}
