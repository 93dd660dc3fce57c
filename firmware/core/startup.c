/* Reset handler and vector table for ARMv6-M, ARMv7-M and ARMv8-M (Cortex-M0 to M33; on ARMv6-M
 * the MemManage, BusFault, UsageFault and DebugMon slots are reserved): copies .data, zeroes .bss,
 * enables the FPU when the code was built for one, runs main() and exits with its result. */
#include <stdint.h>

#include "hal/console.h"
#include "hal/system.h"

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
extern int main(void);
void __libc_init_array(void);

void Reset_Handler(void);
void Default_Handler(void);

void NMI_Handler(void) __attribute__((weak, alias("Default_Handler")));
void HardFault_Handler(void) __attribute__((weak, alias("Default_Handler")));
void MemManage_Handler(void) __attribute__((weak, alias("Default_Handler")));
void BusFault_Handler(void) __attribute__((weak, alias("Default_Handler")));
void UsageFault_Handler(void) __attribute__((weak, alias("Default_Handler")));
void SVC_Handler(void) __attribute__((weak, alias("Default_Handler")));
void DebugMon_Handler(void) __attribute__((weak, alias("Default_Handler")));
void PendSV_Handler(void) __attribute__((weak, alias("Default_Handler")));
void SysTick_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ_Handler(void) __attribute__((weak, alias("Default_Handler")));

#define N_IRQ 96

__attribute__((section(".isr_vector"), used)) void (*const g_vectors[16 + N_IRQ])(void) = {
    (void (*)(void))(&_estack), Reset_Handler, NMI_Handler, HardFault_Handler,
    MemManage_Handler, BusFault_Handler, UsageFault_Handler, 0, 0, 0, 0, SVC_Handler,
    DebugMon_Handler, 0, PendSV_Handler, SysTick_Handler,
    [16 ... 16 + N_IRQ - 1] = IRQ_Handler,
};

void Reset_Handler(void)
{
    uint32_t *src = &_sidata;
    for (uint32_t *dst = &_sdata; dst < &_edata;) {
        *dst++ = *src++;
    }
    for (uint32_t *dst = &_sbss; dst < &_ebss;) {
        *dst++ = 0;
    }
#if defined(__ARM_FP)
    /* CPACR: full access to CP10/CP11, as the architecture requires before any FP instruction. */
    *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;
    __asm__ volatile("dsb\n isb" ::: "memory");
#endif
    hal_console_init();
    __libc_init_array();
    hal_exit(main());
}

void Default_Handler(void)
{
    for (;;) {
    }
}

/* The C library's init hooks; -nostartfiles leaves them to us and there is nothing to add. */
void _init(void) {}
void _fini(void) {}
