/* The register-access benchmark of tandem.cosim.rtl_bench on the example MAC unit at 0x50000000:
 * LOOPS iterations of a store and a load of register A (2 transactions each), then, with
 * LATENCY > 0, one run of LATENCY RTL cycles waited for by a blocking RESULT read. */
    .syntax unified
    .thumb
    .text
    .global main
    .type main, %function
    .thumb_func
main:
    ldr r0, =0x50000000
    ldr r3, =LOOPS
1:  str r3, [r0, #0x00]
    ldr r2, [r0, #0x00]
    subs r3, r3, #1
    bne 1b
#if LATENCY > 0
    ldr r1, =LATENCY
    str r1, [r0, #0x1C]
    movs r1, #1
    str r1, [r0, #0x0C]
    ldr r2, [r0, #0x14]
#endif
    movs r0, #0
    bx lr
    .ltorg
