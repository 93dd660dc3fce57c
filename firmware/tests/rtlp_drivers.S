/* Three drivers of the example MAC unit (rtl/examples/mac_core.v) on a Tandem.RtlPeripheral at
 * 0x50000000 (tests/test_rtl_peripheral.py derives their cycle counts): each computes
 * ACC = 0 + 6*7 and records DWT_CYCCNT around the call in `cycles` (t0 just before START, t1
 * when the CPU has the result) and the result in `value`.
 *   DRIVER 1: blocking read: START, then read RESULT (the slave holds the read until done)
 *   DRIVER 2: polling: START, then read STATUS until DONE, then RESULT
 *   DRIVER 3: interrupt: START, WFI; the IRQ handler reads t1, ACKs DONE and reads RESULT
 *   DRIVER 4: the same handler while the CPU runs a loop on RAM (not on the unit) until it ran
 * LATENCY (a -D flag) goes into the unit's LATENCY register first.
 * Memory accesses are separated by NOPs so that no load/store pipelining is involved. */
    .syntax unified
    .thumb

    .bss
    .align 2
    .global cycles
cycles:
    .space 8
    .global value
value:
    .space 4

    .text
    .global main
    .type main, %function
    .thumb_func
main:
    push {r4-r7, lr}
    ldr r0, =0xE000EDFC         /* DEMCR.TRCENA */
    ldr r1, =0x01000000
    str r1, [r0]
    ldr r0, =0xE0001000         /* DWT_CTRL.CYCCNTENA */
    movs r1, #1
    str r1, [r0]
#if DRIVER >= 3
    ldr r0, =0xE000E100         /* NVIC_ISER0: IRQ0 */
    movs r1, #1
    str r1, [r0]
#endif
    ldr r0, =0x50000000
    ldr r3, =0xE0001004         /* DWT_CYCCNT */
    ldr r6, =cycles
    movs r1, #6
    str r1, [r0, #0x00]         /* A */
    movs r1, #7
    str r1, [r0, #0x04]         /* B */
    movs r1, #0
    str r1, [r0, #0x08]         /* ACC */
    ldr r1, =LATENCY
    str r1, [r0, #0x1C]         /* LATENCY: cycles from START's edge to DONE's */
    movs r1, #1
    nop
    ldr r4, [r3]                /* t0 */
    nop
    str r1, [r0, #0x0C]         /* CTRL.START */
#if DRIVER == 1
    nop
    ldr r2, [r0, #0x14]         /* RESULT: answered when the unit is done */
    nop
    ldr r5, [r3]                /* t1 */
#elif DRIVER == 2
1:  ldr r2, [r0, #0x10]         /* STATUS */
    tst r2, #2                  /* DONE */
    beq 1b
    ldr r5, [r3]                /* t1 */
    nop
    ldr r2, [r0, #0x14]         /* RESULT */
#elif DRIVER == 4
    movs r5, #0
    str r5, [r6, #4]
1:  ldr r5, [r6, #4]            /* t1, once the handler has stored it */
    cmp r5, #0
    beq 1b
    ldr r2, [r6, #8]
#else
    wfi
    ldr r5, [r6, #4]            /* t1, stored by the handler */
    ldr r2, [r6, #8]
#endif
    str r4, [r6, #0]
    str r5, [r6, #4]
    str r2, [r6, #8]
    movs r0, #0
    pop {r4-r7, pc}

#if DRIVER >= 3
    .global IRQ_Handler
    .type IRQ_Handler, %function
    .thumb_func
IRQ_Handler:
    ldr r3, =0xE0001004
    ldr r5, [r3]                /* t1: the handler's first load */
    ldr r6, =cycles
    str r5, [r6, #4]
    ldr r0, =0x50000000
    movs r1, #2
    str r1, [r0, #0x0C]         /* CTRL.ACK: irq falls */
    ldr r2, [r0, #0x14]
    str r2, [r6, #8]
    bx lr
#endif
    .ltorg
