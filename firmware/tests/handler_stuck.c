/* A SysTick handler that never returns (it counts forever, as a handler stuck on a flag would):
 * the run must stop at the handler limit, long before the cycle limit. The first 49 ticks return
 * normally: time in handlers that return does not count against the limit. */
#include <stdint.h>

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)

static volatile uint32_t ticks, spins;

void SysTick_Handler(void)
{
    if (++ticks < 50)
        return;
    for (;;)
        spins++;
}

int main(void)
{
    SYST_RVR = 9999;
    SYST_CVR = 0;
    SYST_CSR = 7; /* ENABLE | TICKINT | CLKSOURCE=core */
    for (;;)
        __asm__ volatile("wfi");
}
