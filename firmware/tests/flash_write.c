/* Stores to flash (tests/test_traps.py): without the programming sequence, then (on STM32 F4/L4)
 * after unlocking FLASH_CR and setting PG. Prints what reads back and FLASH_SR. The HardFault
 * handler prints CFSR/BFAR and exits with 7 (run with vector_faults). */
#include <stdint.h>
#include <stdio.h>

#include "board.h"
#include "hal/system.h"

#define SCB_CFSR (*(volatile uint32_t *)0xE000ED28u)
#define SCB_BFAR (*(volatile uint32_t *)0xE000ED38u)

#if defined(FLASH_F4)
#define FLASH_BASE_REG TANDEM_FLASHCTRL_BASE
#define KEYR 0x04u
#define SR 0x0Cu
#define CR 0x10u
#elif defined(FLASH_L4)
#define FLASH_BASE_REG TANDEM_FLASHCTRL_BASE
#define KEYR 0x08u
#define SR 0x10u
#define CR 0x14u
#endif
#define REG(off) (*(volatile uint32_t *)(FLASH_BASE_REG + (off)))

static const uint32_t constant = 0x12345678u;  /* .rodata, in flash */

void report_fault(uint32_t *frame)
{
    printf("cfsr %08lx bfar %08lx pc %08lx\n", (unsigned long)SCB_CFSR, (unsigned long)SCB_BFAR,
           (unsigned long)frame[6]);
    hal_exit(7);
}

__attribute__((naked)) void HardFault_Handler(void)
{
    __asm__ volatile("mrs r0, msp\n b report_fault\n");
}

int main(void)
{
    volatile uint32_t *p = (volatile uint32_t *)&constant;
    printf("before %08lx\n", (unsigned long)*p);
    *p = 0u;
    printf("after %08lx\n", (unsigned long)*p);
#ifdef FLASH_BASE_REG
    printf("sr %08lx\n", (unsigned long)REG(SR));
    REG(SR) = 0xFFFFu;  /* clear the flags (write 1) */
    REG(CR) = 0x1u;     /* locked: ignored */
    *p = 0u;
    printf("locked cr %08lx sr %08lx value %08lx\n", (unsigned long)REG(CR), (unsigned long)REG(SR), (unsigned long)*p);
    REG(SR) = 0xFFFFu;
    REG(KEYR) = 0x45670123u;
    REG(KEYR) = 0xCDEF89ABu;
    REG(CR) = 0x1u;     /* PG */
    *p = 0x00345600u;
    REG(CR) = 0x80000000u;
    printf("programmed %08lx sr %08lx cr %08lx\n", (unsigned long)*p, (unsigned long)REG(SR), (unsigned long)REG(CR));
#endif
    return 0;
}
