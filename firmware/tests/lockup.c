/* Enables SysTick without a handler: the default handler spins forever (a lock-up). */
#include <stdint.h>

int main(void)
{
    *(volatile uint32_t *)0xE000E014u = 999;
    *(volatile uint32_t *)0xE000E018u = 0;
    *(volatile uint32_t *)0xE000E010u = 7;
    for (;;) {
        __asm__ volatile("wfi");
    }
}
