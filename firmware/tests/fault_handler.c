/* A firmware that handles its own faults: the HardFault handler reads the fault status
 * registers and the stacked PC, prints them and exits with code 7. Run with vector_faults. */
#include <stdint.h>
#include <stdio.h>

#include "hal/system.h"

#define SCB_CFSR (*(volatile uint32_t *)0xE000ED28u)
#define SCB_HFSR (*(volatile uint32_t *)0xE000ED2Cu)
#define SCB_BFAR (*(volatile uint32_t *)0xE000ED38u)

volatile uint32_t *volatile target = (volatile uint32_t *)0x70000000u;

void report_fault(uint32_t *frame)
{
    printf("cfsr %08lx hfsr %08lx bfar %08lx\n", (unsigned long)SCB_CFSR, (unsigned long)SCB_HFSR,
           (unsigned long)SCB_BFAR);
    printf("stacked pc %08lx\n", (unsigned long)frame[6]);
    hal_exit(7);
}

__attribute__((naked)) void HardFault_Handler(void)
{
    __asm__ volatile("mrs r0, msp\n b report_fault\n");
}

__attribute__((noinline)) uint32_t read_it(void)
{
    return *target;
}

int main(void)
{
    printf("start\n");
#ifdef FETCH_XN
    /* a call into an execute-never region instead (ARMv7-M ARM B3.1.1): MemManage, IACCVIOL */
    ((void (*)(void))(FETCH_XN | 1u))();
#endif
    return (int)read_it();
}
