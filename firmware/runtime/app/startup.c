/*
 * Minimal Cortex-M startup for the tandem runtime image: vector table, .data copy, .bss
 * clear, main.  Faults end the run through semihosting so the host sees them.  Board
 * ports may replace this file with their own startup.
 */
#include <stdint.h>

extern uint32_t __stack_top[];
extern uint32_t __data_load[], __data_start[], __data_end[], __bss_start[], __bss_end[];
int main(void);

static void fault_exit(void)
{
#if defined(__arm__)
    register uint32_t r0 __asm__("r0") = 0x18u;
    register uint32_t r1 __asm__("r1") = 0x20023u; /* ADP_Stopped_RunTimeErrorUnknown */
    __asm__ volatile("bkpt 0xAB" : : "r"(r0), "r"(r1) : "memory");
#endif
    for (;;) {
    }
}

void Reset_Handler(void)
{
    uint32_t *src = __data_load, *dst = __data_start;
    while (dst < __data_end)
        *dst++ = *src++;
    for (dst = __bss_start; dst < __bss_end;)
        *dst++ = 0;
    main();
    fault_exit();
}

void Default_Handler(void) { fault_exit(); }

typedef void (*vector_t)(void);

__attribute__((section(".isr_vector"), used)) const vector_t tandem_vectors[16] = {
    (vector_t)(uintptr_t)__stack_top, Reset_Handler,   Default_Handler, Default_Handler,
    Default_Handler,                  Default_Handler, Default_Handler, 0,
    0,                                0,               0,               Default_Handler,
    Default_Handler,                  0,               Default_Handler, Default_Handler,
};
