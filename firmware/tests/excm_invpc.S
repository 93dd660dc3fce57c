/* Illegal exception returns and escalations (tests/test_exceptions.py, run with vector_faults):
 *   svc 0: the handler returns with EXC_RETURN 0xFFFFFFF5 (no such form): UsageFault, INVPC,
 *          LR = the bad value, taken on the SVC's frame; its handler returns to Thread.
 *   svc 1: the handler pends IRQ0, which returns to Thread mode (0xFFFFFFF9) while SVCall is
 *          still active and CCR.NONBASETHRDENA is 0: INVPC; the UsageFault handler returns to
 *          the SVC handler (0xFFFFFFF1), which returns normally.
 *   svc 2: as svc 0 with UsageFault disabled in SHCSR: HardFault with HFSR.FORCED.
 *   svc 3 under PRIMASK: SVCall cannot preempt: HardFault with HFSR.FORCED.
 * results: 0 n usagefaults 1 CFSR (1st) 2 LR (1st) 3 CFSR (2nd) 4 LR (2nd) 5 n hardfaults
 *          6 HFSR (svc 2) 7 CFSR (svc 2) 8 HFSR (svc 3) 9 back-in-thread marks (bit per svc)
 *          10 IPSR the 2nd UsageFault returned to */
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
    push {r4, lr}
    ldr r4, =results
    ldr r0, =0xE000ED24         /* SHCSR.USGFAULTENA */
    mov r1, #0x40000
    str r1, [r0]
    ldr r0, =0xE000ED1F         /* SVCall priority 0x80; IRQ0 stays 0 */
    movs r1, #0x80
    strb r1, [r0]
    ldr r0, =0xE000E100
    movs r1, #1
    str r1, [r0]
    svc 0
    ldr r1, [r4, #36]
    orr r1, r1, #1
    str r1, [r4, #36]
    svc 1
    ldr r1, [r4, #36]
    orr r1, r1, #2
    str r1, [r4, #36]
    ldr r0, =0xE000ED24         /* UsageFault disabled */
    movs r1, #0
    str r1, [r0]
    svc 2
    ldr r1, [r4, #36]
    orr r1, r1, #4
    str r1, [r4, #36]
    cpsid i
    svc 3
    cpsie i
    ldr r1, [r4, #36]
    orr r1, r1, #8
    str r1, [r4, #36]
    movs r0, #0
    pop {r4, pc}

    .global SVC_Handler
    .type SVC_Handler, %function
    .thumb_func
SVC_Handler:
    ldr r0, [sp, #24]
    ldrb r0, [r0, #-2]
    cmp r0, #1
    beq 1f
    ldr lr, =0xFFFFFFF5         /* svc 0 and 2: an illegal EXC_RETURN */
    bx lr
1:  ldr r3, =0xE000EF00         /* svc 1: pend IRQ0, which preempts */
    movs r0, #0
    str r0, [r3]
    b 2f
2:  bx lr

    .global IRQ_Handler
    .type IRQ_Handler, %function
    .thumb_func
IRQ_Handler:
    ldr lr, =0xFFFFFFF9         /* to Thread mode, but SVCall is active too */
    bx lr

    .global UsageFault_Handler
    .type UsageFault_Handler, %function
    .thumb_func
UsageFault_Handler:
    ldr r0, =results
    ldr r1, [r0]
    adds r2, r1, #1
    str r2, [r0]
    add r0, r0, r1, lsl #3      /* n -> results[1 + 2n], results[2 + 2n] */
    ldr r3, =0xE000ED28
    ldr r2, [r3]
    str r2, [r0, #4]
    str r2, [r3]                /* CFSR is write-one-to-clear */
    str lr, [r0, #8]
    cmp r1, #0
    bne 1f
    ldr lr, =0xFFFFFFF9         /* 1st: back to Thread */
    bx lr
1:  ldr lr, =0xFFFFFFF1         /* 2nd: back to the SVC handler */
    bx lr

    .global HardFault_Handler
    .type HardFault_Handler, %function
    .thumb_func
HardFault_Handler:
    ldr r0, =results
    ldr r1, [r0, #20]
    adds r2, r1, #1
    str r2, [r0, #20]
    ldr r3, =0xE000ED2C
    ldr r2, [r3]
    str r2, [r3]                /* HFSR: write-one-to-clear */
    cmp r1, #0
    ite eq
    streq r2, [r0, #24]
    strne r2, [r0, #32]
    ldr r3, =0xE000ED28
    ldr r2, [r3]
    str r2, [r3]
    it eq
    streq r2, [r0, #28]
    ldr lr, =0xFFFFFFF9
    bx lr
