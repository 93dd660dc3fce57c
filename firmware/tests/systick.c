/* A SysTick interrupt handler counts ticks while main sleeps in WFI; also reads back the
 * timer registers. Prints the tick count and the CYCCNT span of 10 ticks. */
#include <stdint.h>
#include <stdio.h>

#include "hal/cycles.h"

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)

static volatile uint32_t ticks;

void SysTick_Handler(void) { ticks++; }

int main(void)
{
    hal_cycles_init();
    SYST_RVR = 9999;  /* 10000 core cycles per tick */
    SYST_CVR = 0;
    printf("rvr %lu cvr %lu\n", (unsigned long)SYST_RVR, (unsigned long)SYST_CVR);
    uint32_t t0 = hal_cycles();
    SYST_CSR = 7;  /* ENABLE | TICKINT | CLKSOURCE=core */
    while (ticks < 10) {
        __asm__ volatile("wfi");
    }
    uint32_t t1 = hal_cycles();
    SYST_CSR = 0;
    printf("ticks %lu\n", (unsigned long)ticks);
    printf("span %lu\n", (unsigned long)(t1 - t0));
    /* polling COUNTFLAG without interrupts */
    SYST_RVR = 499;
    SYST_CVR = 0;
    SYST_CSR = 5;
    uint32_t wraps = 0;
    while (wraps < 3) {
        if (SYST_CSR & (1u << 16)) {
            wraps++;
        }
    }
    SYST_CSR = 0;
    printf("wraps %lu\n", (unsigned long)wraps);
    return 0;
}
