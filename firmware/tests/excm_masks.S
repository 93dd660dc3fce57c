/* Pending exceptions are taken the moment they can be (tests/test_exceptions.py): IRQ0 pended
 * under BASEPRI, PRIMASK and FAULTMASK is taken right after the MSR/CPS that unmasks it (the
 * handler records the marker register r5, which the instructions after the unmasking change);
 * PendSV set through ICSR from Thread mode is taken at the end of the store's block (r6 counts
 * the instructions that ran after the store); FAULTMASK set in a handler is cleared by its
 * exception return. results: 0 irq count 1 count while masked (BASEPRI) 2 r5 at IRQ (BASEPRI)
 * 3 count while masked (PRIMASK) 4 r5 at IRQ (PRIMASK) 5 count while masked (FAULTMASK)
 * 6 r5 at IRQ (FAULTMASK) 7 r6 at PendSV 8 PendSV's stacked PC 9 FAULTMASK after the SVC
 * 10 count while BASEPRI_MAX kept the mask 11 BASEPRI after BASEPRI_MAX. */
    .syntax unified
    .thumb

    .bss
    .align 2
    .global results
results:
    .space 64

    .text
    .global main
    .type main, %function
    .thumb_func
main:
    push {r4-r6, lr}
    ldr r4, =results
    ldr r0, =0xE000E400         /* IRQ0 priority 0x80 */
    movs r1, #0x80
    strb r1, [r0]
    ldr r0, =0xE000E100         /* ISER0 */
    movs r1, #1
    str r1, [r0]
    ldr r3, =0xE000E200         /* ISPR0 */

    /* BASEPRI 0x40 masks priority 0x80 */
    movs r0, #0x40
    msr basepri, r0
    movs r5, #0
    str r1, [r3]                /* pend IRQ0 */
    b 1f
1:  nop
    nop
    ldr r2, [r4]
    str r2, [r4, #4]
    /* BASEPRI_MAX with a lower priority (a larger value) leaves BASEPRI as it is */
    movs r0, #0xC0
    msr basepri_max, r0
    b 4f
4:  ldr r2, [r4]
    str r2, [r4, #40]
    mrs r2, basepri
    str r2, [r4, #44]
    movs r0, #0
    msr basepri, r0
    movs r5, #1
    movs r5, #2
    b 1f
1:  movs r5, #3

    /* PRIMASK */
    cpsid i
    movs r5, #10
    str r1, [r3]
    b 1f
1:  nop
    ldr r2, [r4]
    str r2, [r4, #12]
    cpsie i
    movs r5, #11
    b 1f
1:  movs r5, #12

    /* FAULTMASK */
    cpsid f
    movs r5, #20
    str r1, [r3]
    b 1f
1:  nop
    ldr r2, [r4]
    str r2, [r4, #20]
    cpsie f
    movs r5, #21
    b 1f
1:  movs r5, #22

    /* PendSV from Thread mode */
    ldr r0, =0xE000ED04
    mov r1, #0x10000000
    movs r6, #0
    b 1f
1:  str r1, [r0]
    adds r6, #1
    adds r6, #1
    adds r6, #1
    b 1f
    .global after_pendsv_block
after_pendsv_block:
1:  adds r6, #1
    adds r6, #1

    /* FAULTMASK set inside a handler */
    svc 0
    mrs r2, faultmask
    str r2, [r4, #36]
    movs r0, #0
    pop {r4-r6, pc}

    .global IRQ_Handler
    .type IRQ_Handler, %function
    .thumb_func
IRQ_Handler:
    ldr r0, =results
    ldr r1, [r0]
    adds r2, r1, #1
    str r2, [r0]
    lsls r1, r1, #3             /* count n -> results[2 + 2n] = r5 */
    adds r1, #8
    str r5, [r0, r1]
    bx lr

    .global PendSV_Handler
    .type PendSV_Handler, %function
    .thumb_func
PendSV_Handler:
    ldr r0, =results
    str r6, [r0, #28]
    ldr r1, [sp, #24]
    str r1, [r0, #32]
    bx lr

    .global SVC_Handler
    .type SVC_Handler, %function
    .thumb_func
SVC_Handler:
    cpsid f
    bx lr
